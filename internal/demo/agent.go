package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
	"math/rand/v2"
)

// LiveAgent runs a real vigie-agent in this process against the demo
// server at base once it answers: it enrolls this machine in the first demo
// client, whose agents report every 10 s, so that it appears with live
// graphs within a minute. Its files live under dataDir/demo-agent. It
// returns when ctx is done; a failure is logged, never fatal to the demo.
func LiveAgent(ctx context.Context, a *app.App, base, dataDir string, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := liveAgent(ctx, a, strings.TrimRight(base, "/"), dataDir, log); err != nil && ctx.Err() == nil {
		log.Warn("demo agent stopped", "err", err)
	}
}

func liveAgent(ctx context.Context, a *app.App, base, dataDir string, log *slog.Logger) error {
	s := tenant.System()
	cs, err := a.Clients.List(ctx, s, client.Filter{Limit: 1})
	if err != nil || len(cs) == 0 {
		return fmt.Errorf("no demo client to enroll in: %v", err)
	}
	c := cs[0]
	st := agentproto.DefaultSettings()
	st.MetricInterval, st.ReportInterval = 10, 10
	if err := a.Assets.UpdateSettings(ctx, s, c.ID, st); err != nil {
		return fmt.Errorf("demo agent settings: %w", err)
	}
	token, err := a.Assets.CreateEnrollToken(ctx, s, &asset.EnrollToken{ClientID: c.ID, Name: "Démo : cette machine", MaxUses: 1})
	if err != nil {
		return fmt.Errorf("demo enrollment token: %w", err)
	}
	if err := waitReady(ctx, base); err != nil {
		return err
	}
	host, _ := os.Hostname()
	version := a.Assets.AgentVersion()
	res, err := agent.NewClient(base, "", version).Enroll(ctx, agentproto.EnrollRequest{Token: token, Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, AgentVersion: version})
	if err != nil {
		return fmt.Errorf("enroll the demo agent: %w", err)
	}
	dir := filepath.Join(dataDir, "demo-agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := &agent.Config{Server: base, AgentID: res.AgentID, AssetID: res.AssetID, Secret: res.Secret, Settings: res.Settings, StateDir: filepath.Join(dir, "state")}
	path := filepath.Join(dir, "agent.json")
	if err := agent.SaveConfig(path, cfg); err != nil {
		return err
	}
	log.Info("demo agent enrolled: this machine reports every 10 s", "asset", res.AssetID, "hostname", host)
	// In process, the agent would count the whole server against its own
	// budget: the demo gives it room.
	ag := &agent.Agent{Config: cfg, ConfigPath: path, StateDir: cfg.StateDir, Version: version, Log: log.With("component", "demo-agent"),
		Budget: agent.Budget{RSSBytes: 1 << 40, CPUPercent: 100}}
	return ag.Run(ctx)
}

// Simulate keeps the demo's simulated machines reporting, as their agents
// would, every interval until ctx is done, so that they stay online and their
// graphs move. Their reports go straight to the fleet service (the agent
// API's own path after authentication).
func Simulate(ctx context.Context, a *app.App, every time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	byHost := map[string]demoMachine{}
	for _, m := range machines() {
		byHost[m.host] = m
	}
	type sim struct {
		agentID, assetID int64
		machine          demoMachine
		gens             []gen
	}
	var sims []sim
	list, err := a.Assets.List(ctx, tenant.System(), asset.Filter{Limit: 500})
	if err != nil {
		log.Warn("demo simulation", "err", err)
		return
	}
	for i, as := range list {
		if m, ok := byHost[as.Name]; ok && as.Agent != nil {
			sims = append(sims, sim{as.Agent.ID, as.ID, m, m.gens(time.Now(), rand.New(rand.NewPCG(uint64(i), 29)))})
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	ticks := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			ticks++
			for _, sm := range sims {
				ag, err := a.Assets.Agent(ctx, tenant.System(), sm.agentID)
				if err != nil {
					log.Warn("demo simulation", "agent", sm.agentID, "err", err)
					continue
				}
				if ag.Revoked != nil {
					continue // revoked by someone trying the demo
				}
				r := agentproto.Report{Seq: ag.LastSeq + 1, Sent: now.UTC(), AgentVersion: ag.Version, SettingsVersion: ag.SettingsVersion,
					Series: samples(sm.gens, []time.Time{now.Truncate(time.Second)})}
				// The checks the server gave this machine's agent, run on
				// the simulated figures.
				if specs, _, err := a.Supervision.AgentChecks(ctx, sm.assetID); err == nil {
					r.Results = sm.machine.simulatedResults(specs, r.Series, now.UTC(), ticks)
				}
				if _, err := a.Assets.Report(ctx, ag, &r); err != nil && ctx.Err() == nil {
					log.Warn("demo simulation", "agent", sm.agentID, "err", err)
				}
			}
		}
	}
}

// waitReady polls base/readyz until it answers 200 (one minute at most).
func waitReady(ctx context.Context, base string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		if res, err := hc.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the demo server at %s is not ready after a minute", base)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
