package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Supervise gives the demo its checks once the server at base answers (the
// engine that owns check states runs with the server): templates for CPU,
// disks and agent heartbeats, a real HTTP and TCP probe of the demo server
// itself, a router that does not answer (its machines' problems show as
// unreachable), a failing SMART disk, a disk filling up, a flapping process,
// and two backup jobs — one whose failure opened an incident ticket, one
// with its restore tests. A failure is logged, never fatal to the demo.
func Supervise(ctx context.Context, a *app.App, base string, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := waitReady(ctx, strings.TrimRight(base, "/")); err != nil {
		log.Warn("demo checks", "err", err)
		return
	}
	if err := seedSupervision(audit.WithActor(ctx, audit.Actor{Name: "demo"}), a, strings.TrimRight(base, "/")); err != nil && ctx.Err() == nil {
		log.Warn("demo checks", "err", err)
	}
}

// demoAssets finds the demo's assets by name.
func demoAssets(ctx context.Context, a *app.App) (map[string]asset.Asset, error) {
	list, err := a.Assets.List(ctx, tenant.System(), asset.Filter{Limit: 500})
	if err != nil {
		return nil, err
	}
	out := map[string]asset.Asset{}
	for _, as := range list {
		out[as.Name] = as
	}
	return out, nil
}

func seedSupervision(ctx context.Context, a *app.App, base string) error {
	s := tenant.System()
	sup := a.Supervision
	assets, err := demoAssets(ctx, a)
	if err != nil {
		return err
	}
	need := func(name string) (asset.Asset, error) {
		as, ok := assets[name]
		if !ok {
			return as, fmt.Errorf("demo asset %q is missing", name)
		}
		return as, nil
	}

	// Templates: every server and workstation, now and later.
	for _, t := range []supervision.Template{
		{Name: "Charge CPU soutenue", MatchKind: string(asset.KindServer), Rules: supervision.Rules{Kind: supervision.KindCPU,
			Params: supervision.Params{Warning: 85, Critical: 95, For: 5}, Severity: supervision.SeverityMajor, Ticket: supervision.TicketAutoResolve}},
		{Name: "Espace disque des serveurs", MatchKind: string(asset.KindServer), Rules: supervision.Rules{Kind: supervision.KindFilesystem,
			Params: supervision.Params{Warning: 85, Critical: 95}, Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}},
		{Name: "Espace disque des postes", MatchKind: string(asset.KindWorkstation), Rules: supervision.Rules{Kind: supervision.KindFilesystem,
			Params: supervision.Params{Warning: 90, Critical: 97}, Severity: supervision.SeverityMinor, Ticket: supervision.TicketNone}},
		{Name: "Agent joignable", MatchKind: string(asset.KindServer), Rules: supervision.Rules{Kind: supervision.KindHeartbeat,
			Params: supervision.Params{Intervals: 3}, Severity: supervision.SeverityCritical, Ticket: supervision.TicketAutoResolve}},
	} {
		t.Enabled = true
		if err := sup.CreateTemplate(ctx, s, &t); err != nil {
			return fmt.Errorf("template %s: %w", t.Name, err)
		}
	}

	add := func(assetName string, c supervision.Check) (supervision.Check, error) {
		as, err := need(assetName)
		if err != nil {
			return c, err
		}
		c.AssetID, c.Enabled = as.ID, true
		if err := sup.CreateCheck(ctx, s, &c); err != nil {
			return c, fmt.Errorf("check %s on %s: %w", c.Name, assetName, err)
		}
		return c, nil
	}

	// The demo server itself, probed for real over HTTP and TCP.
	lyon, err := need("srv-lyon-01")
	if err != nil {
		return err
	}
	portal := asset.Asset{ClientID: lyon.ClientID, Kind: asset.KindApplication, Name: "Portail Vigie (cette démo)", Criticality: asset.CriticalityHigh,
		Fields: map[string]string{"vendor": "Vigie", "url": base}}
	if err := a.Assets.Create(ctx, s, &portal); err != nil {
		return fmt.Errorf("demo portal asset: %w", err)
	}
	assets[portal.Name] = portal
	host, port := hostPort(base)
	for _, c := range []supervision.Check{
		{Name: "Page de santé", Rules: supervision.Rules{Kind: supervision.KindHTTP, Params: supervision.Params{URL: base + "/healthz",
			BodyContains: "ok", RTTWarning: 500, RTTCritical: 2000}, Interval: 30, Severity: supervision.SeverityCritical, Ticket: supervision.TicketAutoResolve}},
		{Name: "Port du serveur", Rules: supervision.Rules{Kind: supervision.KindTCP, Params: supervision.Params{Host: host, Port: port},
			Interval: 60, Severity: supervision.SeverityMajor, Ticket: supervision.TicketNone}},
	} {
		if _, err := add(portal.Name, c); err != nil {
			return err
		}
	}

	// Lyon's router answers no ping (a documentation address): the machines
	// behind it are unreachable rather than alerting on their own.
	if _, err := add("Routeur fibre Lyon", supervision.Check{Name: "Ping du routeur", Rules: supervision.Rules{Kind: supervision.KindPing,
		Params: supervision.Params{Host: "192.0.2.1", Count: 3, Timeout: 5}, Interval: 60, RetryInterval: 20, MaxAttempts: 2,
		Severity: supervision.SeverityCritical, Ticket: supervision.TicketNone}}); err != nil {
		return err
	}

	// Checks the simulated agents run.
	if _, err := add("srv-cabinet", supervision.Check{Name: "Santé SMART", Rules: supervision.Rules{Kind: supervision.KindSMART,
		Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}}); err != nil {
		return err
	}
	flappy, err := add("lh-wms-01", supervision.Check{Name: "Process wms-sync", Rules: supervision.Rules{Kind: supervision.KindProcess,
		Params: supervision.Params{Name: "wms-sync"}, MaxAttempts: 1, Severity: supervision.SeverityMajor, Ticket: supervision.TicketNone}})
	if err != nil {
		return err
	}
	if _, err := add("sto-app-01", supervision.Check{Name: "Service PostgreSQL", Rules: supervision.Rules{Kind: supervision.KindService,
		Params: supervision.Params{Name: "postgresql"}, Severity: supervision.SeverityCritical, Ticket: supervision.TicketAutoResolve}}); err != nil {
		return err
	}

	// Backups: the cabinet's NAS job pushes its result; last night's failed
	// and opened an incident. Lyon's restic job runs under vigie-agent.
	nas, err := add("Sauvegarde NAS cabinet", supervision.Check{Name: "Sauvegarde Veeam", Rules: supervision.Rules{Kind: supervision.KindBackupPush,
		Params: supervision.Params{Schedule: "0 23 * * 1-5", GraceMinutes: 120}, MaxAttempts: 1, Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}})
	if err != nil {
		return err
	}
	if _, err := add("Sauvegarde nocturne srv-lyon-01", supervision.Check{Name: "Job restic-nightly", RunnerAssetID: &lyon.ID,
		Rules: supervision.Rules{Kind: supervision.KindBackupJob, Params: supervision.Params{Name: "restic-nightly"}, Interval: 86400,
			MaxAttempts: 1, Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}}); err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := sup.Push(ctx, nas.PushToken, supervision.PushInput{OK: true, Seconds: 47 * 60, Bytes: 412 << 30, Message: "Veeam Agent: 14 points de restauration"}); err != nil {
		return fmt.Errorf("demo backup push: %w", err)
	}
	if err := sup.Push(ctx, nas.PushToken, supervision.PushInput{OK: false, Seconds: 3 * 60,
		Message: "Échec de la capture VSS : le volume D: est plein (0x8004230F)"}); err != nil {
		return fmt.Errorf("demo backup push: %w", err)
	}
	job := agentproto.JobRun{Name: "restic-nightly", Start: now.Add(-5 * time.Hour), End: now.Add(-5*time.Hour + 38*time.Minute),
		Output: "Files: 1204 new, 3310 changed, 381022 unmodified\nAdded to the repository: 2.114 GiB\nsnapshot 9f3c21ab saved"}
	if err := sup.IngestAgent(ctx, lyon.ID, nil, []agentproto.JobRun{job}); err != nil {
		return fmt.Errorf("demo backup job: %w", err)
	}
	resticAsset, err := need("Sauvegarde nocturne srv-lyon-01")
	if err != nil {
		return err
	}
	for _, rt := range []supervision.RestoreTest{
		{TestedAt: now.AddDate(0, -3, -4), Scope: "Dossier /srv/compta complet vers un serveur de test", Result: supervision.RestoreOK, Minutes: 42,
			Evidence: "Contrôle des sommes SHA-256 de 1 204 fichiers : identiques. Ouverture de la base comptable vérifiée avec le client."},
		{TestedAt: now.AddDate(0, 0, -12), Scope: "Base PostgreSQL de production (dump du jour)", Result: supervision.RestorePartial, Minutes: 95,
			Evidence: "Restauration réussie mais 95 min contre 60 min visées : index à reconstruire. Action : paralléliser pg_restore (-j 4)."},
	} {
		rt.AssetID = resticAsset.ID
		if err := sup.AddRestoreTest(ctx, s, &rt); err != nil {
			return fmt.Errorf("demo restore test: %w", err)
		}
	}

	// Maintenance: Lyon's weekly patch night, and a workstation being
	// repaired right now (its problems notify nobody).
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.UTC
	}
	mac, err := need("mac-associee")
	if err != nil {
		return err
	}
	for _, w := range []supervision.Window{
		{Window: check.Window{ClientID: lyon.ClientID, Weekdays: []time.Weekday{time.Sunday}, Start: 3 * time.Hour, Duration: 2 * time.Hour,
			Location: paris, Comment: "Mises à jour mensuelles et redémarrages"}},
		{Window: check.Window{AssetID: mac.ID, From: now.Add(-30 * time.Minute).Truncate(time.Minute), To: now.Add(90 * time.Minute).Truncate(time.Minute),
			Comment: "Remplacement du SSD (intervention sur site)"}},
	} {
		if err := sup.CreateWindow(ctx, s, &w); err != nil {
			return fmt.Errorf("demo maintenance window: %w", err)
		}
	}

	// The flapping process: twenty minutes of results going up and down.
	for i := 20; i >= 1; i-- {
		st := check.OK
		out := "PROCS OK: 1 process with command name 'wms-sync'"
		if i%2 == 0 {
			st, out = check.Critical, "PROCS CRITICAL: 0 processes with command name 'wms-sync'"
		}
		if err := a.Engine.Submit(ctx, supervision.Result{CheckID: flappy.ID, Result: check.Result{At: now.Add(-time.Duration(i) * time.Minute), State: st, Output: out}}); err != nil {
			return fmt.Errorf("demo flapping history: %w", err)
		}
	}
	return nil
}

// hostPort splits the host and port of a base URL (port 80 or 443 by default).
func hostPort(base string) (string, int) {
	rest := base
	port := 80
	if after, ok := strings.CutPrefix(rest, "https://"); ok {
		rest, port = after, 443
	} else {
		rest = strings.TrimPrefix(rest, "http://")
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		var p int
		if _, err := fmt.Sscanf(rest[i+1:], "%d", &p); err == nil && p > 0 {
			port = p
		}
		rest = rest[:i]
	}
	return strings.Trim(rest, "[]"), port
}

// simulatedResults are what a demo machine's agent finds for its checks at
// t: thresholds against the simulated metrics, a failing SMART disk, a
// process that comes and goes.
func (m demoMachine) simulatedResults(specs []agentproto.CheckSpec, series []agentproto.Series, t time.Time, tick int) []agentproto.CheckResult {
	last := map[string]float64{}
	for _, sr := range series {
		if n := len(sr.V); n > 0 {
			last[sr.Name] = sr.V[n-1]
		}
	}
	var out []agentproto.CheckResult
	for _, sp := range specs {
		r := agentproto.CheckResult{CheckID: sp.ID, At: t}
		switch sp.Kind {
		case agentproto.CheckCPU, agentproto.CheckMemory, agentproto.CheckSwap, agentproto.CheckFilesystem:
			name, label := agentproto.MetricCPU, "CPU"
			switch sp.Kind {
			case agentproto.CheckMemory:
				name, label = agentproto.MetricMemory, "Mémoire"
			case agentproto.CheckSwap:
				name, label = agentproto.MetricSwap, "Swap"
			case agentproto.CheckFilesystem:
				name, label = agentproto.MetricFSUsed, "Disque"
			}
			v, ok := last[name]
			if !ok {
				r.State, r.Output = 3, label+": pas de mesure"
				break
			}
			r.State = int(gradePercent(v, sp.Params.Warning, sp.Params.Critical))
			r.Output = fmt.Sprintf("%s %.1f %% (alerte ≥ %g %%, critique ≥ %g %%)", label, v, sp.Params.Warning, sp.Params.Critical)
			r.Perf = map[string]float64{"percent": v}
		case agentproto.CheckSMART:
			r.Output = "SMART PASSED sur tous les disques"
			if m.failingDisk {
				r.State, r.Output = 2, "SMART FAILED sur PhysicalDrive1 : 1 248 secteurs réalloués"
			}
		case agentproto.CheckProcess:
			r.Output = fmt.Sprintf("PROCS OK: 1 process with command name '%s'", sp.Params.Name)
			if tick%2 == 0 {
				r.State, r.Output = 2, fmt.Sprintf("PROCS CRITICAL: 0 processes with command name '%s'", sp.Params.Name)
			}
		case agentproto.CheckService:
			r.Output = fmt.Sprintf("service %s actif (running)", sp.Params.Name)
		default:
			continue // kinds the demo machines do not simulate
		}
		out = append(out, r)
	}
	return out
}

// gradePercent grades a percentage against thresholds (0: not set).
func gradePercent(v, warn, crit float64) check.State {
	switch {
	case crit > 0 && v >= crit:
		return check.Critical
	case warn > 0 && v >= warn:
		return check.Warning
	case math.IsNaN(v):
		return check.Unknown
	}
	return check.OK
}
