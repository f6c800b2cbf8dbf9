package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/agent/spool"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Budget is what the agent allows itself. Over it, it logs a warning and
// skips optional work (the software inventory) until it is back under.
type Budget struct {
	RSSBytes   uint64  // resident memory
	CPUPercent float64 // of one core, averaged over the last metric intervals
}

// DefaultBudget is the agent's promise: 15 MiB, 0.5 % of a core on average
// (the steady state is far below; inventory runs are the peaks).
var DefaultBudget = Budget{RSSBytes: 15 << 20, CPUPercent: 0.5}

// Agent runs the collectors, the spool and the sender.
type Agent struct {
	Config     *Config
	ConfigPath string
	StateDir   string
	Version    string
	Log        *slog.Logger
	Budget     Budget
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Unit is the length of the settings' "second"; tests shorten it.
	Unit time.Duration
	// Inventory collects the inventory; CollectInventory when nil.
	Inventory func(ctx context.Context, set agentproto.Settings, withSoftware bool) *agentproto.Inventory

	mu       sync.Mutex
	settings agentproto.Settings
	changed  chan struct{} // settings changed
	invNow   chan struct{} // collect the inventory now
	overCPU  float64       // EWMA of the agent's CPU %
	over     bool
}

// maxUnspooledSamples bounds what is kept in memory while the spool cannot
// be written (about an hour of samples at 10 s).
const maxUnspooledSamples = 20_000

// InventoryHashFile is the file, in the state directory, that holds the
// hash of the last inventory put in the spool.
const InventoryHashFile = "inventory.sha256"

// Run works until ctx is done.
func (a *Agent) Run(ctx context.Context) error {
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Inventory == nil {
		a.Inventory = func(ctx context.Context, set agentproto.Settings, sw bool) *agentproto.Inventory {
			return CollectInventory(ctx, set, sw, a.Version, a.Log)
		}
	}
	if a.Unit == 0 {
		a.Unit = time.Second
	}
	if a.Budget == (Budget{}) {
		a.Budget = DefaultBudget
	}
	a.settings = NormalizeSettings(a.Config.Settings)
	a.changed = make(chan struct{}, 1)
	a.invNow = make(chan struct{}, 1)
	sp, err := spool.Open(filepath.Join(a.StateDir, "spool"), a.settings.SpoolBytes, a.Log)
	if err != nil {
		return err
	}
	client := NewClient(a.Config.Server, a.Config.Secret, a.Version)
	if a.Config.CAFile != "" {
		if err := client.TrustCAFile(a.Config.CAFile); err != nil {
			return err
		}
	}
	wake := make(chan struct{}, 1)
	invHash := a.loadInventoryHash()
	lostInventory := func() {
		a.mu.Lock()
		invHash = ""
		a.mu.Unlock()
		_ = os.Remove(filepath.Join(a.StateDir, InventoryHashFile))
		select {
		case a.invNow <- struct{}{}:
		default:
		}
	}
	sender := &Sender{
		Spool: sp, Client: client, Log: a.Log, Wake: wake,
		OnAck:  a.onAck(client),
		OnLost: lostInventory,
		// A refused secret is tried again now and then: the spool keeps
		// what the server missed, and sending resumes if it is accepted.
		RevokedRetry: 15 * time.Minute,
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := sender.Run(ctx); errors.Is(err, ErrRevoked) {
			a.Log.Error("sending stopped; metrics keep being spooled until the agent is enrolled again and restarted")
		}
	}()
	history := NewHistory(time.Duration(a.settings.MetricInterval) * a.Unit)
	for name, argv := range a.Config.Commands {
		if err := CheckCommandEntry(argv); err != nil {
			a.Log.Warn("allow-list command cannot run", "command", name, "err", err)
		}
	}
	runner := &CheckRunner{
		Checker: &Checker{Commands: a.Config.Commands, History: history, Now: a.Now, Started: a.Now()},
		Log:     a.Log, Unit: a.Unit, Changed: make(chan struct{}, 1),
	}
	runner.Apply(ctx, a.settings.Checks)
	defer runner.Wait()
	invCh := make(chan *agentproto.Inventory, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.inventoryLoop(ctx, invCh)
	}()
	defer wg.Wait()

	a.Log.Info("vigie-agent running", "server", a.Config.Server, "agent_id", a.Config.AgentID, "version", a.Version,
		"metric_interval", a.settings.MetricInterval, "report_interval", a.settings.ReportInterval, "spooled", sp.Len())
	sampler := NewSampler()
	var batch Batch
	var pendingInv *agentproto.Inventory
	set := a.currentSettings()
	metricT := time.NewTicker(time.Duration(set.MetricInterval) * a.Unit)
	reportT := time.NewTicker(time.Duration(set.ReportInterval) * a.Unit)
	defer metricT.Stop()
	defer reportT.Stop()
	sampler.Sample(ctx, a.Now(), &batch, set, sp.Bytes(), sp.Dropped()) // counters for the first rates

	flush := func() {
		results := runner.Take()
		jobs, jobFiles := PendingJobs(a.StateDir, func(file string, err error) {
			a.Log.Warn("unreadable job run removed", "file", file, "err", err)
		})
		if batch.Samples() == 0 && pendingInv == nil && len(results) == 0 && len(jobs) == 0 {
			return
		}
		r := &agentproto.Report{
			Sent: a.Now().UTC(), AgentVersion: a.Version, SettingsVersion: set.Version,
			Inventory: pendingInv, Series: batch.Series(), Results: results, Jobs: jobs,
		}
		dropped, err := sp.Put(r)
		if err != nil {
			runner.Return(results) // job runs stay in their files
			// Disk full or read-only: keep the samples for the next try,
			// up to a bound, so the agent's memory does not grow forever.
			a.Log.Error("spool batch", "samples", batch.Samples(), "err", err)
			if batch.Samples() > maxUnspooledSamples {
				batch.Reset()
				_ = sp.CountDropped(1)
			}
			return
		}
		if pendingInv != nil {
			h := InventoryHash(pendingInv)
			a.mu.Lock()
			invHash = h
			a.mu.Unlock()
			if err := os.WriteFile(filepath.Join(a.StateDir, InventoryHashFile), []byte(h+"\n"), 0o600); err != nil {
				a.Log.Warn("save inventory hash", "err", err)
			}
		}
		for _, e := range dropped {
			if e.Inventory {
				lostInventory()
			}
		}
		// A job run is in the spool now; were its file to stay (removal
		// failed), it would be sent again, with the same start and end.
		if err := removeJobFiles(jobFiles); err != nil {
			a.Log.Warn("remove spooled job runs", "err", err)
		}
		pendingInv = nil
		batch.Reset()
		select {
		case wake <- struct{}{}:
		default:
		}
	}

	var lastFlush time.Time
	for {
		select {
		case <-ctx.Done():
			flush() // what was sampled is kept for the next run
			return nil
		case <-a.changed:
			old := set
			set = a.currentSettings()
			if old.InventoryInterval != set.InventoryInterval || !maps.Equal(old.Collectors, set.Collectors) {
				// Collect now under the new settings (a collector turned on
				// shows at once), then at the new interval.
				select {
				case a.invNow <- struct{}{}:
				default:
				}
			}
			metricT.Reset(time.Duration(set.MetricInterval) * a.Unit)
			reportT.Reset(time.Duration(set.ReportInterval) * a.Unit)
			sp.SetMax(set.SpoolBytes)
			history.SetInterval(time.Duration(set.MetricInterval) * a.Unit)
			runner.Apply(ctx, set.Checks)
			a.Log.Info("settings applied", "version", set.Version, "metric_interval", set.MetricInterval,
				"report_interval", set.ReportInterval, "inventory_interval", set.InventoryInterval, "checks", len(set.Checks))
		case <-metricT.C:
			sampler.Sample(ctx, a.Now(), &batch, set, sp.Bytes(), sp.Dropped())
			recordHistory(history, &batch)
			a.checkBudget(sampler, set)
		case <-reportT.C:
			flush()
			lastFlush = time.Now()
		case <-runner.Changed:
			// A check changed state: report it now rather than at the next
			// report interval, but not more than once per minimum check
			// interval, so a flapping check cannot make a report a second.
			if time.Since(lastFlush) >= minCheckInterval*a.Unit {
				flush()
				lastFlush = time.Now()
				reportT.Reset(time.Duration(set.ReportInterval) * a.Unit)
			}
		case inv := <-invCh:
			h := InventoryHash(inv)
			a.mu.Lock()
			same := h == invHash
			a.mu.Unlock()
			if same {
				a.Log.Debug("inventory unchanged")
				continue
			}
			a.Log.Info("inventory changed; sent with the next batch", "software", len(inv.Software))
			pendingInv = inv
		}
	}
}

func (a *Agent) currentSettings() agentproto.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings
}

// overBudget says whether optional work should be skipped.
func (a *Agent) overBudget() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.over
}

func (a *Agent) checkBudget(s *Sampler, set agentproto.Settings) {
	rss, cpu := s.Self()
	a.mu.Lock()
	defer a.mu.Unlock()
	// EWMA over about ten metric intervals.
	a.overCPU = 0.9*a.overCPU + 0.1*cpu
	over := rss > a.Budget.RSSBytes || a.overCPU > a.Budget.CPUPercent
	if over && !a.over {
		a.Log.Warn("agent over its budget: skipping the software inventory until back under",
			"rss_bytes", rss, "rss_budget", a.Budget.RSSBytes, "cpu_percent", round2(a.overCPU), "cpu_budget", a.Budget.CPUPercent)
	} else if !over && a.over {
		a.Log.Info("agent back under its budget", "rss_bytes", rss, "cpu_percent", round2(a.overCPU))
	}
	a.over = over
}

func (a *Agent) inventoryLoop(ctx context.Context, out chan<- *agentproto.Inventory) {
	var lastSoftware []agentproto.Software
	for {
		set := a.currentSettings()
		sw := collectorOn(set, agentproto.CollectorSoftware)
		skipped := false
		if sw && a.overBudget() {
			a.Log.Warn("software inventory skipped: agent over its budget")
			sw, skipped = false, true
		}
		inv := a.Inventory(ctx, set, sw)
		if inv != nil && skipped {
			// Keep the software last seen rather than report it all removed.
			inv.Software = lastSoftware
		} else if inv != nil {
			lastSoftware = inv.Software
		}
		if inv != nil {
			select {
			case out <- inv:
			case <-ctx.Done():
				return
			}
		}
		wait := time.NewTimer(time.Duration(set.InventoryInterval) * a.Unit)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		case <-a.invNow:
			wait.Stop()
		}
	}
}

// onAck fetches and applies the settings when the server's version differs.
func (a *Agent) onAck(client *Client) func(ctx context.Context, ack agentproto.Ack) {
	return func(ctx context.Context, ack agentproto.Ack) {
		if ack.SettingsVersion == 0 || ack.SettingsVersion == a.currentSettings().Version {
			return
		}
		s, err := client.Settings(ctx)
		if err != nil {
			a.Log.Warn("fetch settings", "version", ack.SettingsVersion, "err", err)
			return
		}
		s = NormalizeSettings(s)
		a.mu.Lock()
		a.settings = s
		a.Config.Settings = s
		cfg := *a.Config
		a.mu.Unlock()
		if onDisk, err := LoadConfig(a.ConfigPath); a.ConfigPath != "" && err == nil {
			// Keep what an administrator changed in the file since the
			// agent started (its allow-list): only the settings are ours.
			onDisk.Settings = s
			cfg = *onDisk
		}
		if a.ConfigPath != "" {
			if err := SaveConfig(a.ConfigPath, &cfg); err != nil {
				a.Log.Warn("save settings", "err", err)
			}
		}
		select {
		case a.changed <- struct{}{}:
		default:
		}
	}
}

// recordHistory keeps this tick's CPU, memory and swap samples for the
// threshold checks.
func recordHistory(h *History, b *Batch) {
	for _, m := range []string{agentproto.MetricCPU, agentproto.MetricMemory, agentproto.MetricSwap} {
		if t, v, ok := b.Last(m); ok {
			h.Add(m, time.UnixMilli(t), v)
		}
	}
}

func (a *Agent) loadInventoryHash() string {
	b, err := os.ReadFile(filepath.Join(a.StateDir, InventoryHashFile))
	if err != nil {
		return ""
	}
	return string(trimNL(b))
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// InventoryHash is the SHA-256 of the inventory's JSON without its
// collection time. The inventory is normalized when collected (sorted
// lists, file system usage rounded to 1 %), so the hash changes only when
// something a technician cares about changed.
func InventoryHash(inv *agentproto.Inventory) string {
	c := *inv
	c.Collected = time.Time{}
	b, err := jsonMarshal(&c)
	if err != nil {
		return fmt.Sprint(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
