package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx", to create and drop benchmark databases

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

const benchUsage = `vigie bench startup|api|agents|tickets [flags]

Measures this executable, run as "vigie serve" in a child process on a fresh
database (a temporary data directory; with --database-url, a fresh database
created on that PostgreSQL server, which needs the CREATEDB right, and dropped
afterwards). Results are printed as tables; docs/benchmarks.md records them.

  vigie bench startup [--runs 3] [--clients 1000] [--contacts 100000] [--settle 2s]
      Time from process start until /readyz answers 200, and resident memory
      (VmRSS) once the idle server has settled: on an empty database (first
      start, which creates the schema, and restart) and on one seeded with
      --clients clients and --contacts contacts.

  vigie bench api [--rate 1000] [--workers 32] [--duration 10s] [--clients 1000]
      Drives GET --path (default /api/v1/clients) with an API token at a fixed
      rate (open loop: requests are sent on schedule whether or not earlier ones
      have answered) from --workers connections, and prints the achieved
      throughput, latency percentiles and errors. Latency is shown both from
      the moment a request was sent and from the moment it was due, which
      counts the queueing a saturated server causes.

  ` + agentsUsage + `

All take --database-url postgres://… to run on PostgreSQL.`

func runBench(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("name a benchmark: vigie bench startup|api (vigie help bench tells more)")
	}
	switch args[0] {
	case "startup":
		return benchStartup(ctx, args[1:], env)
	case "api":
		return benchAPI(ctx, args[1:], env)
	case "agents":
		return benchAgents(ctx, args[1:], env)
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, benchUsage)
		return nil
	}
	return fmt.Errorf("unknown benchmark %q: want startup, api, agents or tickets", args[0])
}

// benchFlags are the flags both benchmarks share.
type benchFlags struct {
	databaseURL string
	clients     int
	contacts    int
}

func newBenchFlags(name string, env Env, defContacts int) (*flag.FlagSet, *benchFlags) {
	fs := flag.NewFlagSet("vigie bench "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, benchUsage+"\n\nFlags of vigie bench "+name+":")
		fs.PrintDefaults()
	}
	bf := &benchFlags{}
	fs.StringVar(&bf.databaseURL, "database-url", "", "PostgreSQL server to run on (postgres://…); empty: SQLite in a temporary directory")
	fs.IntVar(&bf.clients, "clients", 1000, "clients in the seeded database")
	fs.IntVar(&bf.contacts, "contacts", defContacts, "contacts in the seeded database, spread over the clients")
	return fs, bf
}

func (bf *benchFlags) check() error {
	if bf.databaseURL != "" && !strings.HasPrefix(bf.databaseURL, "postgres://") && !strings.HasPrefix(bf.databaseURL, "postgresql://") {
		return errors.New("--database-url: must be a postgres:// URL (SQLite is the default)")
	}
	if bf.clients < 0 || bf.contacts < 0 || (bf.contacts > 0 && bf.clients == 0) {
		return errors.New("--clients and --contacts: must be ≥ 0, with at least one client for contacts")
	}
	return nil
}

func (bf *benchFlags) dialect() string {
	if bf.databaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// benchDB is one fresh database for a benchmark run.
type benchDB struct {
	dir string // data directory (SQLite file, mail…)
	url string // "" for SQLite in dir
}

// benchEnv hands out fresh databases and removes them all at the end.
type benchEnv struct {
	base string   // PostgreSQL server URL; "" for SQLite
	root string   // temporary directory holding every data directory
	made []string // PostgreSQL databases to drop
}

func newBenchEnv(base string) (*benchEnv, error) {
	root, err := os.MkdirTemp("", "vigie-bench-")
	if err != nil {
		return nil, err
	}
	return &benchEnv{base: base, root: root}, nil
}

func (e *benchEnv) fresh(ctx context.Context) (benchDB, error) {
	dir, err := os.MkdirTemp(e.root, "data-")
	if err != nil {
		return benchDB{}, err
	}
	if e.base == "" {
		return benchDB{dir: dir}, nil
	}
	admin, err := sql.Open("pgx", e.base)
	if err != nil {
		return benchDB{}, err
	}
	defer admin.Close()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "vigie_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return benchDB{}, fmt.Errorf("create benchmark database (the role needs CREATEDB): %w", err)
	}
	e.made = append(e.made, name)
	u, err := url.Parse(e.base)
	if err != nil {
		return benchDB{}, err
	}
	u.Path = "/" + name
	return benchDB{dir: dir, url: u.String()}, nil
}

func (e *benchEnv) close() {
	if e.base != "" && len(e.made) > 0 {
		if admin, err := sql.Open("pgx", e.base); err == nil {
			for _, name := range e.made {
				_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			}
			admin.Close()
		}
	}
	os.RemoveAll(e.root)
}

func (d benchDB) config() config.Config {
	cfg := config.Config{Listen: "127.0.0.1:0", DataDir: d.dir, DatabaseURL: d.url, LogLevel: "warn", LogFormat: "text", SMTP: config.SMTP{Port: 587, TLS: "starttls"}}
	_ = cfg.Validate()
	return cfg
}

// prepare migrates d, seeds it and, when admin is set, creates an admin
// user and returns a read-only API token for it.
func prepare(ctx context.Context, d benchDB, clients, contacts int, admin bool, env Env) (token string, err error) {
	a, err := app.New(ctx, d.config(), nil, app.Options{})
	if err != nil {
		return "", err
	}
	defer a.Close(ctx)
	if err := seed(ctx, a.DB, clients, contacts, env.Stderr); err != nil {
		return "", err
	}
	if !admin {
		return "", nil
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "bench"})
	u := user.User{Email: "bench@vigie.invalid", Name: "Benchmark", Role: tenant.RoleAdmin}
	pw := make([]byte, 18)
	_, _ = rand.Read(pw)
	if err := a.Users.Create(ctx, tenant.System(), &u, hex.EncodeToString(pw)); err != nil {
		return "", fmt.Errorf("create benchmark user: %w", err)
	}
	token, _, err = a.Auth.CreateToken(ctx, u, "bench", false)
	if err != nil {
		return "", fmt.Errorf("create benchmark token: %w", err)
	}
	return token, nil
}

// seedBatch is the number of rows written per transaction while seeding.
const seedBatch = 2000

// seed writes clients and contacts straight through the store, in
// transactions of seedBatch rows, without the audit journal: it builds a
// benchmark database, not a history. Contacts are spread evenly.
func seed(ctx context.Context, db *store.DB, clients, contacts int, progress io.Writer) error {
	if clients == 0 {
		return nil
	}
	start := time.Now()
	sys := tenant.System()
	ids := make([]int64, 0, clients)
	for from := 0; from < clients; from += seedBatch {
		to := min(from+seedBatch, clients)
		err := db.InTx(ctx, func(ctx context.Context) error {
			for i := from; i < to; i++ {
				c := client.Client{Code: fmt.Sprintf("BENCH%05d", i+1), Name: fmt.Sprintf("Client %d SAS", i+1), Address: fmt.Sprintf("%d rue de la Paix\n75002 Paris", i+1), TimeZone: "Europe/Paris", Language: "fr"}
				if err := db.CreateClient(ctx, sys, &c); err != nil {
					return fmt.Errorf("seed client %s: %w", c.Code, err)
				}
				ids = append(ids, c.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	step := max(contacts/5, seedBatch)
	for from := 0; from < contacts; from += seedBatch {
		to := min(from+seedBatch, contacts)
		err := db.InTx(ctx, func(ctx context.Context) error {
			for i := from; i < to; i++ {
				c := client.Contact{ClientID: ids[i%len(ids)], FirstName: "Prénom" + strconv.Itoa(i), LastName: "Nom" + strconv.Itoa(i),
					Email: fmt.Sprintf("contact%d@client%d.example", i, i%len(ids)), Phone: "+33 1 00 00 00 00", JobTitle: "Utilisateur"}
				if err := db.CreateContact(ctx, sys, &c); err != nil {
					return fmt.Errorf("seed contact %d: %w", i, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if progress != nil && (to%step == 0 || to == contacts) {
			fmt.Fprintf(progress, "  seeded %d/%d contacts\n", to, contacts)
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "  seeded %d clients and %d contacts in %s\n", clients, contacts, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// child is a `vigie serve` running in its own process.
type child struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startServer runs this executable as `vigie serve` on d and returns once
// /readyz answers 200, with the time that took from the process start.
func startServer(ctx context.Context, exe string, d benchDB) (*child, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	args := []string{"serve", "--listen", addr, "--data-dir", d.dir, "--log-level", "warn"}
	if d.url != "" {
		args = append(args, "--database-url", d.url)
	}
	cmd := exec.Command(exe, args...)
	// Only this command's flags configure the server, not the caller's VIGIE_*.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	c := &child{cmd: cmd, url: "http://" + addr, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = io.Discard
	cmd.Stderr = c.stderr
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s serve: %w", exe, err)
	}
	go func() { c.done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := hc.Get(c.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return c, time.Since(start), nil
			}
		}
		select {
		case err := <-c.done:
			return nil, 0, fmt.Errorf("server exited before it was ready (%v): %s", err, strings.TrimSpace(c.stderr.String()))
		case <-ctx.Done():
			c.stop()
			return nil, 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, 0, fmt.Errorf("server not ready after 2 minutes: %s", strings.TrimSpace(c.stderr.String()))
		}
	}
}

// stop asks the server to shut down (SIGTERM) and kills it after 15 s.
func (c *child) stop() {
	if c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// procStatus reads a "VmRSS:   1234 kB" style field of /proc/PID/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, fmt.Errorf("unexpected %s line %q", field, sc.Text())
		}
		kb, err := strconv.ParseInt(fs[0], 10, 64)
		return kb * 1024, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuTime is the user+system CPU time a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	fs := strings.Fields(s[i+1:])
	if len(fs) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, err1 := strconv.ParseInt(fs[11], 10, 64)
	stime, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	// Clock ticks are 100 per second on every Linux Go supports.
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// startupRow is the figures of one database state over several runs.
type startupRow struct {
	name       string
	ready, rss []float64 // milliseconds, bytes
	peak       []float64 // bytes (VmHWM)
}

func benchStartup(ctx context.Context, args []string, env Env) error {
	fs, bf := newBenchFlags("startup", env, 100000)
	runs := fs.Int("runs", 3, "starts measured per database state (the median is shown)")
	settle := fs.Duration("settle", 2*time.Second, "idle time after ready before memory is read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := bf.check(); err != nil {
		return err
	}
	if *runs < 1 || *settle < 0 {
		return errors.New("--runs: must be at least 1; --settle: must not be negative")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	return startupBench(ctx, exe, *bf, *runs, *settle, env)
}

// startupBench runs exe as the server; tests give a freshly built vigie.
func startupBench(ctx context.Context, exe string, bf benchFlags, runs int, settle time.Duration, env Env) error {
	if runtime.GOOS != "linux" {
		fmt.Fprintln(env.Stderr, "note: memory is read from /proc and shows as 0 outside Linux")
	}
	be, err := newBenchEnv(bf.databaseURL)
	if err != nil {
		return err
	}
	defer be.close()

	measure := func(row *startupRow, d benchDB) error {
		c, ready, err := startServer(ctx, exe, d)
		if err != nil {
			return err
		}
		defer c.stop()
		select {
		case <-time.After(settle):
		case <-ctx.Done():
			return ctx.Err()
		}
		rss, _ := procStatus(c.cmd.Process.Pid, "VmRSS")
		peak, _ := procStatus(c.cmd.Process.Pid, "VmHWM")
		row.ready = append(row.ready, float64(ready)/float64(time.Millisecond))
		row.rss = append(row.rss, float64(rss))
		row.peak = append(row.peak, float64(peak))
		return nil
	}

	fmt.Fprintf(env.Stderr, "vigie bench startup on %s: %d run(s) per state, %s settle\n", bf.dialect(), runs, settle)
	first := &startupRow{name: "empty, first start (creates the schema)"}
	restart := &startupRow{name: "empty, restart"}
	var empty benchDB
	for i := range runs {
		d, err := be.fresh(ctx)
		if err != nil {
			return err
		}
		if err := measure(first, d); err != nil {
			return err
		}
		if i == 0 {
			empty = d
		}
	}
	for range runs {
		if err := measure(restart, empty); err != nil {
			return err
		}
	}
	seeded := &startupRow{name: fmt.Sprintf("%d clients, %d contacts, restart", bf.clients, bf.contacts)}
	d, err := be.fresh(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "seeding %d clients and %d contacts…\n", bf.clients, bf.contacts)
	if _, err := prepare(ctx, d, bf.clients, bf.contacts, false, env); err != nil {
		return err
	}
	for range runs {
		if err := measure(seeded, d); err != nil {
			return err
		}
	}

	fmt.Fprintf(env.Stdout, "\nvigie bench startup — %s, %s/%s, %d CPU, %d run(s), median [min–max]\n\n", bf.dialect(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runs)
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATABASE\tREADY\tIDLE RSS\tPEAK RSS")
	for _, r := range []*startupRow{first, restart, seeded} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.name,
			spread(r.ready, func(v float64) string { return fmt.Sprintf("%.0f ms", v) }),
			spread(r.rss, func(v float64) string { return mib(int64(v)) }),
			spread(r.peak, func(v float64) string { return mib(int64(v)) }))
	}
	tw.Flush()
	fmt.Fprintln(env.Stdout, "\nREADY: process start → first 200 from /readyz. IDLE RSS: VmRSS after the settle time. PEAK RSS: VmHWM.")
	return nil
}

// spread formats "median [min–max]" (just the value for one sample).
func spread(vs []float64, f func(float64) string) string {
	if len(vs) == 0 {
		return "-"
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if len(s) == 1 {
		return f(med)
	}
	return fmt.Sprintf("%s [%s–%s]", f(med), f(s[0]), f(s[len(s)-1]))
}

// loadResult is what a load run measured.
type loadResult struct {
	sent, ok, failed int
	statuses         map[int]int
	firstErr         string
	elapsed          time.Duration
	service          []time.Duration // from send to end of body
	total            []time.Duration // from the scheduled time to end of body
}

// drive sends n GET requests to target at rate per second from workers
// goroutines: request i is due at start + i/rate (an open loop, so that a
// slow server is not politely waited for). Every request is sent, even late.
func drive(ctx context.Context, hc *http.Client, target, token string, rate float64, n, workers int) loadResult {
	interval := time.Duration(float64(time.Second) / rate)
	due := make(chan time.Time, 1024)
	results := make([][]loadSample, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]loadSample, 0, n/workers+1)
			for at := range due {
				sent := time.Now()
				s := loadSample{}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Accept", "application/json")
					var res *http.Response
					res, err = hc.Do(req)
					if err == nil {
						_, err = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						s.status = res.StatusCode
					}
				}
				end := time.Now()
				s.service, s.total, s.err = end.Sub(sent), end.Sub(at), err
				out = append(out, s)
			}
			results[w] = out
		}()
	}
	start := time.Now().Add(5 * time.Millisecond)
	sent := 0
dispatch:
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break dispatch
			}
		}
		select {
		case due <- at:
			sent++
		case <-ctx.Done():
			break dispatch
		}
	}
	close(due)
	wg.Wait()
	r := tally(results, start)
	r.sent = sent
	return r
}

// loadSample is one timed request of a load run.
type loadSample struct {
	service, total time.Duration
	status         int
	err            error
}

// tally sums the requests of a load run that began at start.
func tally(results [][]loadSample, start time.Time) loadResult {
	r := loadResult{statuses: map[int]int{}, elapsed: time.Since(start)}
	for _, out := range results {
		for _, s := range out {
			r.service = append(r.service, s.service)
			r.total = append(r.total, s.total)
			switch {
			case s.err != nil:
				r.failed++
				if r.firstErr == "" {
					r.firstErr = s.err.Error()
				}
			case s.status != http.StatusOK:
				r.failed++
				r.statuses[s.status]++
			default:
				r.ok++
			}
		}
	}
	slices.Sort(r.service)
	slices.Sort(r.total)
	return r
}

// percentile returns the q-quantile (0 < q ≤ 1) of sorted durations by the
// nearest-rank method: the smallest value with at least q of the samples at
// or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// apiOptions are the settings of vigie bench api.
type apiOptions struct {
	benchFlags
	rate             float64
	workers          int
	duration, warmup time.Duration
	path             string
}

func benchAPI(ctx context.Context, args []string, env Env) error {
	fs, bf := newBenchFlags("api", env, 0)
	o := apiOptions{}
	fs.Float64Var(&o.rate, "rate", 1000, "requests per second to send")
	fs.IntVar(&o.workers, "workers", 32, "concurrent connections")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before the measured time")
	fs.StringVar(&o.path, "path", "/api/v1/clients", "path (and query) to GET")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.benchFlags = *bf
	if err := o.check(); err != nil {
		return err
	}
	if o.rate <= 0 || o.workers < 1 || o.duration <= 0 || o.warmup < 0 || !strings.HasPrefix(o.path, "/") {
		return errors.New("--rate, --workers, --duration must be positive, --warmup ≥ 0, --path must start with /")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	return apiBench(ctx, exe, o, env)
}

// apiBench runs exe as the server; tests give a freshly built vigie.
func apiBench(ctx context.Context, exe string, o apiOptions, env Env) error {
	be, err := newBenchEnv(o.databaseURL)
	if err != nil {
		return err
	}
	defer be.close()
	d, err := be.fresh(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "vigie bench api on %s: seeding %d clients and %d contacts…\n", o.dialect(), o.clients, o.contacts)
	token, err := prepare(ctx, d, o.clients, o.contacts, true, env)
	if err != nil {
		return err
	}
	c, ready, err := startServer(ctx, exe, d)
	if err != nil {
		return err
	}
	defer c.stop()
	fmt.Fprintf(env.Stderr, "server pid %d ready in %s at %s\n", c.cmd.Process.Pid, ready.Round(time.Millisecond), c.url)

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.workers, MaxIdleConnsPerHost: o.workers, MaxConnsPerHost: o.workers, IdleConnTimeout: time.Minute,
	}}
	target := c.url + o.path
	// A first request says at once whether the route, the token and the data work.
	probe := drive(ctx, hc, target, token, 1000, 1, 1)
	if probe.ok != 1 {
		return fmt.Errorf("GET %s does not answer 200 (statuses %v, error %q): nothing to measure", o.path, probe.statuses, probe.firstErr)
	}
	if o.warmup > 0 {
		fmt.Fprintf(env.Stderr, "warming up for %s…\n", o.warmup)
		drive(ctx, hc, target, token, o.rate, int(o.rate*o.warmup.Seconds()), o.workers)
	}
	pid := c.cmd.Process.Pid
	cpu0, _ := cpuTime(pid)
	n := max(int(math.Round(o.rate*o.duration.Seconds())), 1)
	fmt.Fprintf(env.Stderr, "sending %d requests at %.0f/s from %d workers…\n", n, o.rate, o.workers)
	r := drive(ctx, hc, target, token, o.rate, n, o.workers)
	if err := ctx.Err(); err != nil {
		return err
	}
	cpu1, _ := cpuTime(pid)
	rss, _ := procStatus(pid, "VmRSS")

	w := env.Stdout
	fmt.Fprintf(w, "\nvigie bench api — GET %s on %s (%d clients, %d contacts), %s/%s, %d CPU\n\n", o.path, o.dialect(), o.clients, o.contacts, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "target rate\t%.0f req/s over %s, %d workers\n", o.rate, o.duration, o.workers)
	fmt.Fprintf(tw, "achieved\t%.0f req/s (%d requests in %s)\n", float64(r.ok+r.failed)/r.elapsed.Seconds(), r.ok+r.failed, r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "errors\t%d", r.failed)
	if len(r.statuses) > 0 {
		fmt.Fprintf(tw, " (statuses %v)", r.statuses)
	}
	if r.firstErr != "" {
		fmt.Fprintf(tw, " (first: %s)", r.firstErr)
	}
	fmt.Fprintln(tw)
	if cpu1 > 0 {
		fmt.Fprintf(tw, "server CPU\t%.0f%% of one core\n", 100*float64(cpu1-cpu0)/float64(r.elapsed))
	}
	if rss > 0 {
		fmt.Fprintf(tw, "server RSS\t%s after the load\n", mib(rss))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "LATENCY\tp50\tp90\tp99\tp99.9\tmax\t")
	for _, row := range []struct {
		name string
		v    []time.Duration
	}{{"from send", r.service}, {"from schedule", r.total}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", row.name, ms(percentile(row.v, 0.50)), ms(percentile(row.v, 0.90)), ms(percentile(row.v, 0.99)), ms(percentile(row.v, 0.999)), ms(percentile(row.v, 1)))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nfrom send: request written → response body read. from schedule: from the time the")
	fmt.Fprintln(w, "request was due, so it includes waiting for a free worker when the server falls behind.")
	if r.failed > 0 {
		return fmt.Errorf("%d of %d requests failed", r.failed, r.ok+r.failed)
	}
	return nil
}
