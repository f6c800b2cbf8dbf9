package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

const benchReportsUsage = `  vigie bench reports [--assets 500] [--tickets 2000] [--days 30] [--interval 10m]
                      [--runs 5] [--database-url postgres://…]
      Seeds one client in a temporary data directory (SQLite; with
      --database-url, a fresh PostgreSQL database dropped afterwards): --assets
      assets (a tenth critical, with a ping check and its hard events; backup
      jobs with a run a day), --tickets tickets of the last complete month
      (status changes, a time entry each, some out of the perimeter) and --days
      days of filesystem metrics (two mounts per asset, a sample every
      --interval, compacted into chunks and hourly rollups as the server does).
      Then generates the monthly report's PDF and CSV --runs times, in process,
      through the monthly generator (figures, capacity trends, PDF), and prints
      the wall time per report (p50, max) and the peak resident memory while
      generating (VmHWM, reset after seeding); then times the annual report of
      that year (--runs times: twelve months of figures, the year and the
      year before, and its PDF).`

// reportBenchOptions are the settings of vigie bench reports.
type reportBenchOptions struct {
	benchPlace
	assets, tickets, days int
	runs                  int
	interval              time.Duration
	seed                  uint64
	cpuProfile            string
}

func benchReports(ctx context.Context, args []string, env Env) error {
	fs := benchFlagSet("reports", benchReportsUsage, env)
	var o reportBenchOptions
	o.flags(fs, "")
	fs.IntVar(&o.assets, "assets", 500, "assets of the client")
	fs.IntVar(&o.tickets, "tickets", 2000, "tickets of the reported month")
	fs.IntVar(&o.days, "days", 30, "days of filesystem metrics before the end of the month")
	fs.DurationVar(&o.interval, "interval", 10*time.Minute, "time between two filesystem samples")
	fs.IntVar(&o.runs, "runs", 5, "reports generated")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generator")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the report generations to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.assets < 1 || o.tickets < 0 || o.days < 1 || o.days > 60 || o.runs < 1 || o.interval < time.Minute {
		return errors.New("--assets and --runs: ≥ 1; --tickets: ≥ 0; --days: 1 to 60; --interval: ≥ 1m")
	}
	benv, err := newBenchEnv(o.databaseURL)
	if err != nil {
		return err
	}
	defer benv.close()
	d, err := benv.fresh(ctx)
	if err != nil {
		return err
	}
	dsn := d.url
	if dsn == "" {
		dsn = filepath.Join(d.dir, "vigie.db")
	}
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	texts, err := i18n.Load()
	if err != nil {
		return err
	}
	now := time.Now()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return fmt.Errorf("load time zone: %w", err)
	}
	n := now.In(paris)
	period := report.Month(n.Year(), n.Month(), paris)
	period = report.Month(period.From.AddDate(0, -1, 0).Year(), period.From.AddDate(0, -1, 0).Month(), paris)

	start := time.Now()
	c, err := seedReportBench(ctx, db, o, period, now, env.Stderr)
	if err != nil {
		return err
	}
	seeded := time.Since(start)
	if db.Dialect() == store.Postgres {
		if _, err := db.SQL().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return fmt.Errorf("vacuum analyze: %w", err)
		}
	} else if _, err := db.SQL().ExecContext(ctx, `PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("optimize: %w", err)
	}

	b := reportdoc.Builder{Store: db, Clients: benchClients{db}, Provider: benchProvider{db}, Texts: texts}
	gen := b.Monthly()
	runtime.GC()
	debug.FreeOSMemory()
	before := selfStatus("VmRSS")
	resetPeakRSS()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var times []time.Duration
	var doc report.Document
	cpu0 := selfCPU()
	for range o.runs {
		t0 := time.Now()
		doc, err = gen(ctx, report.Request{ClientID: c.ID, Period: period, Lang: "fr", Now: now})
		if err != nil {
			return fmt.Errorf("generate the monthly report: %w", err)
		}
		times = append(times, time.Since(t0))
	}
	cpuPer := (selfCPU() - cpu0) / time.Duration(o.runs)
	peak := selfStatus("VmHWM")
	slices.Sort(times)
	// The annual report of the year: fourteen Figures (each month, the
	// year, the year before) and its PDF.
	year := report.Year(period.From.Year(), paris)
	var annual []time.Duration
	for range o.runs {
		t0 := time.Now()
		if _, err := b.Annual()(ctx, report.Request{ClientID: c.ID, Period: year, Lang: "fr", Now: now}); err != nil {
			return fmt.Errorf("generate the annual report: %w", err)
		}
		annual = append(annual, time.Since(t0))
	}
	slices.Sort(annual)
	m, err := report.Figures(ctx, db, c.ID, period, now)
	if err != nil {
		return err
	}
	dialect := "sqlite"
	if db.Dialect() == store.Postgres {
		dialect = "postgres"
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "database\t%s\n", dialect)
	fmt.Fprintf(w, "data set\t%d assets, %d tickets in %s, %d days of filesystem metrics (%d series, a sample every %s); seeded in %s\n",
		o.assets, o.tickets, period.Label(), o.days, 2*o.assets, o.interval, seeded.Round(time.Second))
	fmt.Fprintf(w, "report\t%s.pdf %d KiB, CSV %d KiB; %d tickets opened, %d capacity warnings, %d critical assets, %d out-of-perimeter tickets\n",
		doc.Name, len(doc.PDF)/1024, len(doc.CSV)/1024, m.Tickets.Opened, len(m.Capacity), len(m.Availability), len(m.OutOfPerimeter.Tickets))
	fmt.Fprintf(w, "monthly PDF, %d runs\tp50 %s\tmax %s\tthis process's CPU per report %s (load average %s)\n", o.runs, times[len(times)/2].Round(time.Millisecond),
		times[len(times)-1].Round(time.Millisecond), cpuPer.Round(time.Millisecond), loadAverage())
	fmt.Fprintf(w, "annual PDF %s, %d runs\tp50 %s\tmax %s\n", year.Label(), o.runs, annual[len(annual)/2].Round(time.Millisecond), annual[len(annual)-1].Round(time.Millisecond))
	fmt.Fprintf(w, "resident memory\tbefore %s\tpeak while generating (VmHWM) %s\n", before, peak)
	return w.Flush()
}

// benchClients and benchProvider read through the store, as the services do.
type benchClients struct{ db *store.DB }

func (c benchClients) Get(ctx context.Context, s tenant.Scope, id int64) (client.Client, error) {
	return c.db.Client(ctx, s, id)
}

type benchProvider struct{ db *store.DB }

func (p benchProvider) Get(ctx context.Context) (provider.Provider, error) { return p.db.Provider(ctx) }

// selfStatus returns a field of /proc/self/status ("123456 kB"), or "n/a".
func selfStatus(field string) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), ":"); ok && name == field {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
			if err != nil {
				return strings.TrimSpace(value)
			}
			return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
		}
	}
	return "n/a"
}

// resetPeakRSS resets VmHWM to the current RSS (Linux: 5 to clear_refs), so
// that the peak measured is the reports', not the seeding's.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// seedReportBench creates the client and its month.
func seedReportBench(ctx context.Context, db *store.DB, o reportBenchOptions, p report.Period, now time.Time, progress io.Writer) (client.Client, error) {
	sys := tenant.System()
	r := rand.New(rand.NewPCG(o.seed, 7))
	c := client.Client{Code: "BENCH", Name: "Établissements Bench", TimeZone: "Europe/Paris", Language: "fr"}
	if err := db.CreateClient(ctx, sys, &c); err != nil {
		return c, err
	}
	tech := user.User{Email: "bench-tech@msp.example", Name: "Technicienne Bench", Role: tenant.RoleTechnician, Level: user.LevelN2, Language: "fr"}
	if err := db.CreateUser(ctx, &tech, "$argon2id$bench"); err != nil {
		return c, err
	}
	var cats []int64
	for _, name := range []string{"Réseau", "Messagerie", "Poste de travail", "Serveurs", "Évolutions"} {
		cat := ticket.Category{Name: name}
		if err := db.SaveCategory(ctx, &cat); err != nil {
			return c, err
		}
		cats = append(cats, cat.ID)
	}
	fmt.Fprintf(progress, "  seeding %d assets…\n", o.assets)
	from, to := p.From.UTC(), p.To.UTC()
	span := to.Sub(from)
	var assets []asset.Asset
	var events []supervision.Event
	var backups []int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		for i := range o.assets {
			kind, crit := asset.KindWorkstation, asset.CriticalityNormal
			if i%5 == 0 {
				kind = asset.KindServer
			}
			if i%10 == 0 {
				crit = asset.CriticalityCritical
			}
			a := asset.Asset{ClientID: c.ID, Kind: kind, Name: fmt.Sprintf("bench-%04d", i), Criticality: crit, Fields: map[string]string{}}
			if err := db.CreateAsset(ctx, sys, &a); err != nil {
				return err
			}
			assets = append(assets, a)
			if crit == asset.CriticalityCritical {
				ch := supervision.Check{AssetID: a.ID, Name: "ping", Enabled: true, Rules: supervision.Rules{Kind: supervision.KindPing, Interval: 60,
					RetryInterval: 30, MaxAttempts: 3, RecoverAfter: 1, Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}}
				if err := db.CreateCheck(ctx, sys, &ch); err != nil {
					return err
				}
				events = append(events, supervision.Event{CheckID: ch.ID, Event: check.Event{At: from.Add(-time.Hour), Kind: check.Recovery, To: check.OK, Type: check.Hard}})
				for k := range 6 {
					at := from.Add(time.Duration(r.Int64N(int64(span - time.Hour))))
					events = append(events,
						supervision.Event{CheckID: ch.ID, Event: check.Event{At: at, Kind: check.Problem, To: check.Critical, Type: check.Hard}},
						supervision.Event{CheckID: ch.ID, Event: check.Event{At: at.Add(time.Duration(5+k*3) * time.Minute), Kind: check.Recovery, To: check.OK, Type: check.Hard}})
				}
			}
			if i%25 == 0 {
				ch := supervision.Check{AssetID: a.ID, Name: "sauvegarde", Enabled: true, PushToken: fmt.Sprintf("bench-push-%d", i),
					Rules: supervision.Rules{Kind: supervision.KindBackupPush, Interval: 86400, RetryInterval: 3600, MaxAttempts: 1, RecoverAfter: 1,
						Severity: supervision.SeverityMajor, Ticket: supervision.TicketOpen}}
				if err := db.CreateCheck(ctx, sys, &ch); err != nil {
					return err
				}
				backups = append(backups, ch.ID)
			}
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("seed assets: %w", err)
	}
	if err := db.SaveResults(ctx, nil, events); err != nil {
		return c, fmt.Errorf("seed check events: %w", err)
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		for _, id := range backups {
			for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
				if err := db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: id, At: day.Add(2 * time.Hour), OK: r.IntN(20) != 0, Source: "push"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("seed backup runs: %w", err)
	}

	fmt.Fprintf(progress, "  seeding %d tickets…\n", o.tickets)
	for batch := 0; batch < o.tickets; batch += 500 {
		err := db.InTx(ctx, func(ctx context.Context) error {
			for i := batch; i < min(batch+500, o.tickets); i++ {
				if err := seedBenchTicket(ctx, db, r, c.ID, tech.ID, cats, assets, from, span); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return c, fmt.Errorf("seed tickets: %w", err)
		}
	}
	// One ticket in twenty is out of the perimeter (the helpdesk sets the
	// flag; the store has no method for it yet outside ticket creation).
	if _, err := db.SQL().ExecContext(ctx, `UPDATE tickets SET out_of_perimeter = (1 = 1), perimeter_reason = 'kind_not_included' WHERE client_id = `+
		strconv.FormatInt(c.ID, 10)+` AND id % 20 = 0`); err != nil {
		return c, fmt.Errorf("seed out-of-perimeter tickets: %w", err)
	}

	fmt.Fprintf(progress, "  seeding %d days of filesystem metrics…\n", o.days)
	metrics := metric.NewServiceOptions(db, func() time.Time { return now.Add(time.Hour) }, nil, metric.Options{FoldAfter: time.Minute})
	mFrom := to.Add(-time.Duration(o.days) * 24 * time.Hour)
	for i, a := range assets {
		base, growth := 20+r.Float64()*50, r.Float64()*0.6-0.1
		if i%50 == 0 {
			growth = 1.5 // a few fill up fast: capacity warnings
		}
		var series []agentproto.Series
		for _, mount := range []string{"/", "/data"} {
			s := agentproto.Series{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": mount}}
			for t := mFrom; t.Before(to); t = t.Add(o.interval) {
				days := t.Sub(mFrom).Hours() / 24
				v := min(100, max(0, base+growth*days+r.NormFloat64()*0.3))
				s.T, s.V = append(s.T, t.UnixMilli()), append(s.V, v)
			}
			series = append(series, s)
			base += 10
		}
		if _, err := metrics.Append(ctx, c.ID, a.ID, series, metric.AppendOptions{AllowPast: true}); err != nil {
			return c, fmt.Errorf("seed metrics of asset %d: %w", a.ID, err)
		}
	}
	fmt.Fprintln(progress, "  compacting the metrics…")
	// Later than every ingest row, until nothing is left, as the server's compaction every 5 minutes
	// would have done by the time the month's report is made.
	compactor := metric.NewServiceOptions(db, func() time.Time { return now.Add(2 * time.Hour) }, nil, metric.Options{FoldAfter: time.Minute})
	for range 100 {
		st, err := compactor.Compact(ctx)
		if err != nil {
			return c, fmt.Errorf("compact metrics: %w", err)
		}
		if st.IngestRows == 0 && st.RolledSeries == 0 {
			break
		}
	}
	return c, nil
}

// seedBenchTicket creates the i-th ticket of the month: its status changes,
// a time entry.
func seedBenchTicket(ctx context.Context, db *store.DB, r *rand.Rand, clientID, techID int64, cats []int64, assets []asset.Asset, from time.Time, span time.Duration) error {
	created := from.Add(time.Duration(r.Int64N(int64(span - 2*time.Hour))))
	cat := cats[r.IntN(len(cats))]
	typ := []ticket.Type{ticket.TypeIncident, ticket.TypeIncident, ticket.TypeRequest, ticket.TypeChange}[r.IntN(4)]
	tk := ticket.Ticket{ClientID: clientID, Type: typ, Priority: ticket.Priority(1 + r.IntN(4)), Title: fmt.Sprintf("%s %s", benchSubjectsFR[r.IntN(len(benchSubjectsFR))],
		benchProblemsFR[r.IntN(len(benchProblemsFR))]), Impact: 2, Urgency: 2, Level: "N1", CategoryID: &cat, Created: created,
		SLA: ticket.SLA{Covered: true}, Status: ticket.StatusNew}
	tk.AssetIDs = []int64{assets[r.IntN(len(assets))].ID}
	owned := created.Add(time.Duration(5+r.IntN(120)) * time.Minute)
	tk.OwnedAt = &owned
	if r.IntN(10) == 0 {
		breach := created.Add(30 * time.Minute)
		tk.SLA.TTOBreachAt = &breach
	}
	resolved := r.IntN(10) < 8
	if resolved {
		at := owned.Add(time.Duration(10+r.IntN(3000)) * time.Minute)
		tk.ResolvedAt, tk.Status = &at, ticket.StatusResolved
	} else {
		tk.Status = ticket.StatusInProgress
	}
	tk.Updated = created
	if err := db.CreateTicket(ctx, tenant.System(), &tk); err != nil {
		return err
	}
	evs := []ticket.Event{{TicketID: tk.ID, At: owned, Kind: "status", From: string(ticket.StatusNew), To: string(ticket.StatusInProgress), Public: true}}
	if resolved {
		evs = append(evs, ticket.Event{TicketID: tk.ID, At: *tk.ResolvedAt, Kind: "status", From: string(ticket.StatusInProgress), To: string(ticket.StatusResolved), Public: true})
	}
	for k := range evs {
		if err := db.AddEvent(ctx, &evs[k]); err != nil {
			return err
		}
	}
	if err := db.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: tk.ID, TechnicianID: techID, Start: owned, Duration: time.Duration(15+r.IntN(120)) * time.Minute,
		Billable: r.IntN(3) > 0, OnSite: r.IntN(8) == 0}); err != nil {
		return err
	}
	return nil
}

// selfCPU is the CPU time (user and system) this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the one-minute load average of the machine ("?" when
// unknown): the times above stretch with it on a shared machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
