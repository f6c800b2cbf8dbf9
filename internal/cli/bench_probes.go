package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/alert"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

const benchProbesUsage = `vigie bench probes [--checks 10000] [--interval 60s] [--duration 2m] [--http-share 0.5]
      Runs the supervision engine in this process, with the real store on a
      fresh database (SQLite in a temporary directory, --data-dir to choose
      it, or --database-url postgres://…), against HTTP and TCP targets it
      starts on loopback (8 ports of each): --checks checks (HTTP for --http-share of them, TCP
      for the others) every --interval, for --duration. Prints runs against
      expected runs, missed runs, schedule drift percentiles, CPU time per
      probe (the whole process: engine, store and the loopback targets),
      RSS, and the time of each batch of results written. Twenty more checks
      every 10 s (retry 5 s, 3 attempts) watch a target that goes down at
      half time: the fault-to-ticket figure is the time from the first run
      that saw the fault to the return of the real alerter (package alert:
      the incident ticket is created and its webhook notification queued)
      for its hard problem, minus the two retries (2 × 5 s). --alerter record
      measures to the Alert call of a recording alerter instead.`

// probesOptions are the settings of vigie bench probes.
type probesOptions struct {
	benchPlace
	checks             int
	interval, duration time.Duration
	httpShare          float64
	workers            int
	alerter            string
	cpuProfile         string
	// faultEvery and faultRetry are the interval and retry interval of the
	// fault checks, in seconds (10 and 5; shorter in tests).
	faultEvery, faultRetry int
}

func benchProbes(ctx context.Context, args []string, env Env) error {
	fs := benchFlagSet("probes", benchProbesUsage, env)
	o := probesOptions{faultEvery: 10, faultRetry: 5}
	o.flags(fs, "SQLite: put the database in this (empty) directory; empty: a temporary one")
	fs.IntVar(&o.checks, "checks", 10000, "checks run by the server")
	fs.DurationVar(&o.interval, "interval", time.Minute, "interval of every check")
	fs.DurationVar(&o.duration, "duration", 2*time.Minute, "measured time")
	fs.Float64Var(&o.httpShare, "http-share", 0.5, "share of HTTP checks (the others are TCP)")
	fs.IntVar(&o.workers, "workers", 256, "concurrent probes of the engine")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured time to this file")
	fs.StringVar(&o.alerter, "alerter", "real", "real: tickets and queued notifications (package alert); record: only note the Alert calls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	switch {
	case o.checks < 1 || o.checks > 1_000_000:
		return errors.New("--checks: 1 to 1,000,000")
	case o.interval < time.Second || o.interval%time.Second != 0:
		return errors.New("--interval: whole seconds, at least 1s")
	case o.duration < time.Second:
		return errors.New("--duration: at least 1s")
	case o.httpShare < 0 || o.httpShare > 1:
		return errors.New("--http-share: between 0 and 1")
	case o.workers < 1:
		return errors.New("--workers: at least 1")
	case o.alerter != "real" && o.alerter != "record":
		return errors.New("--alerter: real or record")
	}
	return probesBench(ctx, o, env)
}

// raiseFileLimit raises the soft limit of open files to the hard one: every
// probe holds a socket, and so does each side of a loopback target.
func raiseFileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	return r.Cur, nil
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// targetPorts is how many ports each kind of target listens on: the checks
// are spread over them, so that no single address pair runs out of
// ephemeral ports while thousands of closed connections sit in TIME_WAIT.
const targetPorts = 8

// probeTargets are the loopback servers the checks look at.
type probeTargets struct {
	web, fault *http.Server
	webURLs    []string
	faultURL   string
	faultDown  atomic.Bool
	tcp        []net.Listener
	tcpPorts   []int
	wg         sync.WaitGroup
}

func startProbeTargets() (t *probeTargets, err error) {
	t = &probeTargets{}
	var all []net.Listener
	defer func() {
		if err != nil {
			for _, l := range all {
				l.Close()
			}
		}
	}()
	listen := func() (net.Listener, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			all = append(all, l)
		}
		return l, err
	}
	var webLn []net.Listener
	for range targetPorts {
		wl, err := listen()
		if err != nil {
			return nil, err
		}
		webLn = append(webLn, wl)
		t.webURLs = append(t.webURLs, "http://"+wl.Addr().String()+"/")
		tl, err := listen()
		if err != nil {
			return nil, err
		}
		t.tcp = append(t.tcp, tl)
		t.tcpPorts = append(t.tcpPorts, tl.Addr().(*net.TCPAddr).Port)
	}
	fl, err := listen()
	if err != nil {
		return nil, err
	}
	body := []byte("<html><body>Vigie benchmark target: OK</body></html>")
	t.web = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }), ReadHeaderTimeout: 10 * time.Second}
	t.fault = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t.faultDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(body)
	}), ReadHeaderTimeout: 10 * time.Second}
	t.faultURL = "http://" + fl.Addr().String() + "/"
	for _, wl := range webLn {
		t.wg.Add(1)
		go func() { defer t.wg.Done(); _ = t.web.Serve(wl) }()
	}
	t.wg.Add(1)
	go func() { defer t.wg.Done(); _ = t.fault.Serve(fl) }()
	for _, tl := range t.tcp {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			for {
				c, err := tl.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	return t, nil
}

func (t *probeTargets) close() {
	t.web.Close()
	t.fault.Close()
	for _, l := range t.tcp {
		l.Close()
	}
	t.wg.Wait()
}

// faultChecks is the number of checks watching the target that goes down.
const faultChecks = 20

// timingAlerter records when the alerter returned for each check's hard
// problem, and when each check's fault was first seen (its soft change);
// next, when set, is the real alerter it times.
type timingAlerter struct {
	next      supervision.Alerter
	errors    int
	mu        sync.Mutex
	firstSeen map[int64]time.Time // check → At of its first soft problem
	alerted   map[int64]time.Time // check → Alert call returned for its problem
	watch     map[int64]bool
	notices   int
	problems  int
}

func (a *timingAlerter) Alert(ctx context.Context, ns []supervision.Notice) error {
	var err error
	if a.next != nil {
		err = a.next.Alert(ctx, ns)
	}
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.errors++
	}
	a.notices += len(ns)
	for _, n := range ns {
		if n.Event.Kind == check.Problem && n.Event.Notify {
			a.problems++
		}
		id := n.Check.ID
		if !a.watch[id] {
			continue
		}
		switch {
		case n.Event.Kind == check.SoftChange && n.Event.To != check.OK:
			if _, ok := a.firstSeen[id]; !ok {
				a.firstSeen[id] = n.Event.At
			}
		case n.Event.Kind == check.Problem:
			if _, ok := a.alerted[id]; !ok {
				a.alerted[id] = now
			}
		}
	}
	return nil
}

func probesBench(ctx context.Context, o probesOptions, env Env) error {
	limit, err := raiseFileLimit()
	if err != nil {
		fmt.Fprintf(env.Stderr, "  could not raise the open files limit: %v\n", err)
	}
	targets, err := startProbeTargets()
	if err != nil {
		return fmt.Errorf("start loopback targets: %w", err)
	}
	defer targets.close()

	benv, err := newBenchEnv(o.databaseURL)
	if err != nil {
		return err
	}
	defer benv.close()
	dsn := ""
	switch {
	case o.databaseURL != "":
		d, err := benv.fresh(ctx)
		if err != nil {
			return err
		}
		dsn = d.url
	case o.dataDir != "":
		dsn = filepath.Join(o.dataDir, "vigie.db")
	default:
		dsn = filepath.Join(benv.root, "vigie.db")
	}
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	watch, err := createProbeChecks(ctx, db, o, targets)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "  %d checks created in %v (%s)\n", o.checks+faultChecks, time.Since(start).Round(time.Millisecond), db.Dialect())

	alerts := &timingAlerter{firstSeen: map[int64]time.Time{}, alerted: map[int64]time.Time{}, watch: watch}
	var channelID int64
	if o.alerter == "real" {
		real, id, stop, err := realAlerter(ctx, db)
		if err != nil {
			return err
		}
		defer stop()
		alerts.next, channelID = real, id
	}
	eng := supervision.NewEngine(db.Supervision(), supervision.EngineOptions{Workers: o.workers, Alerter: alerts})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	loadStart := time.Now()
	go func() { done <- eng.Run(runCtx) }()
	for eng.Stats().Checks == 0 {
		select {
		case err := <-done:
			return fmt.Errorf("engine: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	loaded := time.Since(loadStart)
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
	cpu0, t0 := processCPU(), time.Now()
	fmt.Fprintf(env.Stderr, "  engine loaded in %v; running for %v\n", loaded.Round(time.Millisecond), o.duration)

	var downAt time.Time
	half := time.NewTimer(o.duration / 2)
	end := time.NewTimer(o.duration)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-done
			return ctx.Err()
		case err := <-done:
			return fmt.Errorf("engine stopped: %w", err)
		case <-half.C:
			targets.faultDown.Store(true)
			downAt = time.Now()
		case <-tick.C:
			s := eng.Stats()
			fmt.Fprintf(env.Stderr, "  %3.0fs runs %d queued %d running %d drift p99 %v\n", time.Since(t0).Seconds(), s.Runs, s.Queued, s.Running, s.DriftP99)
		case <-end.C:
			break wait
		}
	}
	elapsed := time.Since(t0)
	cpu := processCPU() - cpu0
	s := eng.Stats()
	cancel()
	if err := <-done; err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	rss, _ := procStatus(os.Getpid(), "VmRSS")
	hwm, _ := procStatus(os.Getpid(), "VmHWM")

	expected := float64(o.checks)*elapsed.Seconds()/o.interval.Seconds() + faultChecks*elapsed.Seconds()/float64(o.faultEvery)
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "checks\t%d (+%d fault checks every %d s), %s, %d workers, open files limit %d\n", o.checks, faultChecks, o.faultEvery, db.Dialect(), o.workers, limit)
	fmt.Fprintf(w, "measured\t%v (engine load %v)\n", elapsed.Round(time.Millisecond), loaded.Round(time.Millisecond))
	fmt.Fprintf(w, "runs\t%d (%.0f/s)\n", s.Runs, float64(s.Runs)/elapsed.Seconds())
	fmt.Fprintf(w, "expected runs\t≈ %.0f (checks × time / interval, fault checks included; their retries come on top)\n", expected)
	fmt.Fprintf(w, "missed runs\t%d (started more than one interval late); still queued at the end: %d\n", s.Missed, s.Queued)
	fmt.Fprintf(w, "schedule drift\tp50 %s, p99 %s, max %s\n", ms(s.DriftP50), ms(s.DriftP99), ms(s.DriftMax))
	if s.Runs > 0 {
		who := "engine, SQLite"
		if db.Dialect() == store.Postgres {
			who = "engine and database client; the PostgreSQL server's own CPU is not counted"
		}
		fmt.Fprintf(w, "CPU per probe\t%.3f ms (%v of this process's CPU over %d runs: %s, AND the loopback targets answering)\n",
			float64(cpu)/float64(s.Runs)/1e6, cpu.Round(time.Millisecond), s.Runs, who)
	}
	fmt.Fprintf(w, "RSS\tpeak (VmHWM) %s, now (VmRSS) %s\n", mib(hwm), mib(rss))
	if s.Batches > 0 {
		fmt.Fprintf(w, "SaveResults per batch\tmean %s, max %s, %d batches, %d failed\n", ms(s.WriteTotal/time.Duration(s.Batches)), ms(s.WriteMax), s.Batches, s.WriteErrors)
	}
	label := "fault to ticket"
	if alerts.next == nil {
		label = "fault to alert"
	}
	fmt.Fprintf(w, "%s\t%s\n", label, alerts.faultFigure(downAt, time.Duration(o.faultRetry)*time.Second))
	if alerts.next != nil {
		tickets, queued := 0, 0
		for id := range watch {
			if st, err := db.Supervision().Status(ctx, tenant.System(), id); err == nil && st.TicketID != nil {
				tickets++
			}
		}
		if _, n, err := db.PendingNotifyItems(ctx, channelID, 0); err == nil {
			queued = n
		}
		fmt.Fprintf(w, "tickets, notifications\t%d of %d fault checks have their incident ticket; %d notifications queued on the webhook channel\n", tickets, len(watch), queued)
	}
	w.Flush()
	return nil
}

// realAlerter builds the alerter the server uses: the helpdesk's tickets and
// a webhook channel for every client, whose notifications are queued in the
// durable queue (not sent: the queue's workers are not started).
func realAlerter(ctx context.Context, db *store.DB) (supervision.Alerter, int64, func(), error) {
	journal := audit.NewJournal(db, nil)
	tickets := ticket.NewService(db, db, db, journal, time.Now, nil)
	ns, err := notify.New(notify.Deps{Store: db, Journal: journal, BaseURL: "http://127.0.0.1"})
	if err != nil {
		return nil, 0, nil, err
	}
	q, err := job.New(ctx, db, nil, func(w *river.Workers) { river.AddWorker(w, ns.Worker()) }, job.Options{})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("job queue: %w", err)
	}
	ns.SetQueue(q)
	ch := notify.Channel{Name: "bench", Kind: notify.KindWebhook, Target: "http://127.0.0.1:9/hook", MinState: notify.MinWarning, OnProblems: true, OnRecoveries: true, Enabled: true}
	if err := ns.Create(audit.WithActor(ctx, audit.Actor{Name: "bench"}), tenant.System(), &ch); err != nil {
		q.Close()
		return nil, 0, nil, fmt.Errorf("create webhook channel: %w", err)
	}
	a, err := alert.New(db.Supervision(), tickets, db, alert.Options{BaseURL: "http://127.0.0.1", Notifier: ns})
	if err != nil {
		q.Close()
		return nil, 0, nil, err
	}
	return a, ch.ID, func() { q.Close() }, nil
}

// faultFigure sums up the fault-to-alert latencies.
func (a *timingAlerter) faultFigure(downAt time.Time, retry time.Duration) string {
	if downAt.IsZero() {
		return "not measured (the target never went down)"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	what := "recording alerter, no ticket is opened"
	if a.next != nil {
		what = fmt.Sprintf("real alerter: ticket created and notification queued; %d Alert errors", a.errors)
	}
	retries := 2 * retry
	var lat, raw []time.Duration
	for id, at := range a.alerted {
		if first, ok := a.firstSeen[id]; ok {
			lat = append(lat, at.Sub(first)-retries)
		}
		raw = append(raw, at.Sub(downAt))
	}
	if len(lat) == 0 {
		return fmt.Sprintf("no hard problem reached the alerter (of %d fault checks)", len(a.watch))
	}
	slices.Sort(lat)
	slices.Sort(raw)
	return fmt.Sprintf("%d/%d checks: first failing run → Alert returned, minus 2 retries × %v: median %s, max %s "+
		"(target down → Alert returned: median %s, max %s; %s)",
		len(lat), len(a.watch), retry, ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), ms(raw[len(raw)/2]), ms(raw[len(raw)-1]), what)
}

// createProbeChecks creates clients, assets and the checks, in batches.
func createProbeChecks(ctx context.Context, db *store.DB, o probesOptions, t *probeTargets) (map[int64]bool, error) {
	sys := tenant.System()
	sup := db.Supervision()
	const clients, perAsset, batch = 100, 10, 2000
	var clientIDs []int64
	for i := range clients {
		c := client.Client{Code: fmt.Sprintf("PROBE%03d", i+1), Name: fmt.Sprintf("Probe client %d", i+1), TimeZone: "Europe/Paris", Language: "fr"}
		if err := db.CreateClient(ctx, sys, &c); err != nil {
			return nil, fmt.Errorf("create client: %w", err)
		}
		clientIDs = append(clientIDs, c.ID)
	}
	total := o.checks + faultChecks
	nHTTP := int(float64(o.checks)*o.httpShare + 0.5)
	watch := map[int64]bool{}
	var assetID int64
	for from := 0; from < total; from += batch {
		err := db.InTx(ctx, func(ctx context.Context) error {
			for i := from; i < min(from+batch, total); i++ {
				if i%perAsset == 0 {
					a := asset.Asset{ClientID: clientIDs[(i/perAsset)%clients], Kind: asset.KindServer, Name: fmt.Sprintf("srv-%06d", i/perAsset), Criticality: asset.CriticalityNormal}
					if err := db.CreateAsset(ctx, sys, &a); err != nil {
						return fmt.Errorf("create asset: %w", err)
					}
					assetID = a.ID
				}
				c := supervision.Check{AssetID: assetID, Enabled: true, Rules: supervision.Rules{
					Interval: int(o.interval / time.Second), RetryInterval: int(o.interval / time.Second), MaxAttempts: 3, RecoverAfter: 1,
					Severity: supervision.SeverityMajor, Ticket: supervision.TicketOpen,
				}}
				c.Params.Timeout = 10
				switch {
				case i >= o.checks:
					c.Name, c.Kind, c.Params.URL = fmt.Sprintf("fault %d", i-o.checks+1), supervision.KindHTTP, t.faultURL
					c.Interval, c.RetryInterval = o.faultEvery, o.faultRetry
				case i < nHTTP:
					c.Name, c.Kind, c.Params.URL, c.Params.BodyContains = fmt.Sprintf("web %d", i+1), supervision.KindHTTP, t.webURLs[i%targetPorts], "OK"
				default:
					c.Name, c.Kind, c.Params.Host, c.Params.Port = fmt.Sprintf("tcp %d", i+1), supervision.KindTCP, "127.0.0.1", t.tcpPorts[i%targetPorts]
				}
				if err := sup.CreateCheck(ctx, sys, &c); err != nil {
					return fmt.Errorf("create check: %w", err)
				}
				if i >= o.checks {
					watch[c.ID] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return watch, nil
}
