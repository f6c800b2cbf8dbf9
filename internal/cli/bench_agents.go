package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// agentsOptions are the settings of vigie bench agents.
type agentsOptions struct {
	databaseURL      string
	agents, series   int
	interval         time.Duration
	duration, warmup time.Duration
	workers          int
	peak             time.Duration // 0: no peak phase
	peakSamples      int           // samples per series in a peak report
}

const agentsUsage = `vigie bench agents [--agents 10000] [--series 30] [--interval 60s] [--duration 60s] [--peak 20s]
      Runs this executable as "vigie serve" on a fresh database, enrolls
      --agents simulated agents over HTTP (/api/agent/v1/enroll) and makes
      each send a report of --series series every --interval, spread evenly
      (open loop), for --duration after --warmup. Prints report latency
      percentiles, errors, the server's CPU and RSS. Then --peak seconds of
      backlog replay (reports of --peak-samples samples per series, as fast
      as --workers connections go) give the peak ingestion in samples/s.
      Finally the server stops, the metric store is compacted and the bytes
      per stored sample are printed, everything counted.`

func benchAgents(ctx context.Context, args []string, env Env) error {
	fs, bf := newBenchFlags("agents", env, 0)
	o := agentsOptions{}
	fs.IntVar(&o.agents, "agents", 10000, "simulated agents")
	fs.IntVar(&o.series, "series", 30, "series per agent")
	fs.DurationVar(&o.interval, "interval", time.Minute, "report interval of each agent (one sample per series per report)")
	fs.DurationVar(&o.duration, "duration", time.Minute, "measured time")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "unmeasured load before the measured time")
	fs.IntVar(&o.workers, "workers", 64, "concurrent connections")
	fs.DurationVar(&o.peak, "peak", 20*time.Second, "duration of the peak (backlog replay) phase; 0 skips it")
	fs.IntVar(&o.peakSamples, "peak-samples", 60, "samples per series in a peak report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := bf.check(); err != nil {
		return err
	}
	o.databaseURL = bf.databaseURL
	if o.agents < 1 || o.series < 1 || o.series > agentproto.MaxSeriesPerReport || o.interval < time.Second || o.duration <= 0 || o.warmup < 0 || o.workers < 1 || o.peak < 0 ||
		o.peakSamples < 1 || o.series*o.peakSamples > agentproto.MaxSamplesPerReport {
		return errors.New("--agents, --series, --workers, --peak-samples ≥ 1 (series × peak-samples within the report limit), --interval ≥ 1s, --duration > 0, --warmup and --peak ≥ 0")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	return agentsBench(ctx, exe, o, env)
}

// simAgent is one simulated agent: its secret, next sequence number and
// the state of its series.
type simAgent struct {
	secret string
	seq    uint64
	last   int64 // Unix ms of its last sample
	rnd    *rand.Rand
}

func agentsBench(ctx context.Context, exe string, o agentsOptions, env Env) error {
	be, err := newBenchEnv(o.databaseURL)
	if err != nil {
		return err
	}
	defer be.close()
	d, err := be.fresh(ctx)
	if err != nil {
		return err
	}
	dialect := "sqlite"
	if d.url != "" {
		dialect = "postgres"
	}
	token, err := prepareAgents(ctx, d)
	if err != nil {
		return err
	}
	c, ready, err := startServer(ctx, exe, d)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			c.stop()
		}
	}()
	pid := c.cmd.Process.Pid
	fmt.Fprintf(env.Stderr, "server pid %d ready in %s at %s; enrolling %d agents…\n", pid, ready.Round(time.Millisecond), c.url, o.agents)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.workers, MaxIdleConnsPerHost: o.workers, MaxConnsPerHost: o.workers, IdleConnTimeout: time.Minute,
	}}
	agents, err := enrollAgents(ctx, hc, c.url, token, o.agents, o.workers)
	if err != nil {
		return err
	}
	// Agents back from an outage replay a backlog first (the peak), from
	// a week ago; then every agent reports live.
	weekAgo := time.Now().Add(-7*24*time.Hour + time.Hour).UnixMilli()
	for i := range agents {
		agents[i].last = weekAgo + int64(i)%1000
	}
	var pk peakResult
	if o.peak > 0 {
		fmt.Fprintf(env.Stderr, "peak: replaying backlogs of %d samples per series for %s…\n", o.peakSamples, o.peak)
		pk = peak(ctx, hc, c.url, agents, o)
	}
	live := time.Now().UnixMilli() - o.interval.Milliseconds()
	for i := range agents {
		agents[i].last = max(agents[i].last, live-int64(i)%1000)
	}
	if o.warmup > 0 {
		fmt.Fprintf(env.Stderr, "warming up for %s…\n", o.warmup)
		sustain(ctx, hc, c.url, agents, o, o.warmup)
	}
	cpu0, _ := cpuTime(pid)
	fmt.Fprintf(env.Stderr, "measuring %d agents × %d series every %s for %s…\n", o.agents, o.series, o.interval, o.duration)
	r := sustain(ctx, hc, c.url, agents, o, o.duration)
	cpu1, _ := cpuTime(pid)
	rss, _ := procStatus(pid, "VmRSS")
	if err := ctx.Err(); err != nil {
		return err
	}
	hwm, _ := procStatus(pid, "VmHWM")
	c.stop()
	stopped = true

	fmt.Fprintf(env.Stderr, "compacting the metric store…\n")
	a, err := app.New(ctx, d.config(), nil, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	// A clock an hour ahead folds every sample and rolls up every hour.
	ahead := metric.NewService(a.DB, func() time.Time { return time.Now().Add(time.Hour) }, nil)
	if _, err := ahead.Compact(ctx); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if d.url == "" {
		if _, err := a.DB.SQL().ExecContext(ctx, `VACUUM`); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
	}
	usage, err := ahead.Usage(ctx)
	if err != nil {
		return err
	}

	w := env.Stdout
	fmt.Fprintf(w, "\nvigie bench agents — %d agents × %d series every %s on %s, %s/%s, %d CPU\n\n", o.agents, o.series, o.interval, dialect, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "target\t%.0f reports/s, %.0f samples/s\n", float64(o.agents)/o.interval.Seconds(), float64(o.agents*o.series)/o.interval.Seconds())
	fmt.Fprintf(tw, "achieved\t%.0f reports/s, %.0f samples/s (%d reports in %s)\n", float64(r.ok)/r.elapsed.Seconds(), float64(r.ok*o.series)/r.elapsed.Seconds(), r.ok, r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "errors\t%d", r.failed)
	if len(r.statuses) > 0 {
		fmt.Fprintf(tw, " (statuses %v)", r.statuses)
	}
	if r.firstErr != "" {
		fmt.Fprintf(tw, " (first: %s)", r.firstErr)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "server CPU\t%.0f%% of one core\n", 100*float64(cpu1-cpu0)/float64(r.elapsed))
	fmt.Fprintf(tw, "server RSS\t%s after the sustained load, peak %s\n", mib(rss), mib(hwm))
	if o.peak > 0 {
		fmt.Fprintf(tw, "peak ingestion\t%.0f samples/s (%d reports of %d samples in %s, %d errors%s)\n", float64(pk.samples)/pk.elapsed.Seconds(), pk.reports, o.series*o.peakSamples, pk.elapsed.Round(time.Millisecond), pk.failed, pk.firstErr)
	}
	fmt.Fprintf(tw, "stored\t%d samples of %d series in %s: %.3f bytes/sample (everything counted after compaction, %s)\n", usage.Samples, usage.Series, mib(usage.Bytes), usage.PerSample, usage.SizeMethod)
	for _, t := range usage.Tables {
		fmt.Fprintf(tw, "  %s\t%d rows, %d bytes\n", t.Table, t.Rows, t.Bytes)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "REPORT LATENCY\tp50\tp90\tp99\tp99.9\tmax\t")
	for _, row := range []struct {
		name string
		v    []time.Duration
	}{{"from send", r.service}, {"from schedule", r.total}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", row.name, ms(percentile(row.v, 0.50)), ms(percentile(row.v, 0.90)), ms(percentile(row.v, 0.99)), ms(percentile(row.v, 0.999)), ms(percentile(row.v, 1)))
	}
	return tw.Flush()
}

// prepareAgents migrates d, creates a client and returns an enrollment
// token for it with unlimited uses.
func prepareAgents(ctx context.Context, d benchDB) (string, error) {
	a, err := app.New(ctx, d.config(), nil, app.Options{})
	if err != nil {
		return "", err
	}
	defer a.Close(ctx)
	ctx = audit.WithActor(ctx, audit.Actor{Name: "bench"})
	cl := client.Client{Code: "BENCH", Name: "Benchmark", TimeZone: "Europe/Paris", Language: "fr"}
	if err := a.Clients.Create(ctx, tenant.System(), &cl); err != nil {
		return "", fmt.Errorf("create benchmark client: %w", err)
	}
	secret, err := a.Assets.CreateEnrollToken(ctx, tenant.System(), &asset.EnrollToken{ClientID: cl.ID, Name: "bench"})
	if err != nil {
		return "", fmt.Errorf("create enrollment token: %w", err)
	}
	return secret, nil
}

// enrollAgents enrolls n agents with workers concurrent requests.
func enrollAgents(ctx context.Context, hc *http.Client, base, token string, n, workers int) ([]simAgent, error) {
	agents := make([]simAgent, n)
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(workers, 16) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := benchClient(base, hc)
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				req := agentproto.EnrollRequest{Token: token, Hostname: fmt.Sprintf("bench-%05d", i), OS: "linux", Arch: "amd64", AgentVersion: "bench", MachineID: fmt.Sprintf("bench-machine-%d", i)}
				res, err := cl.Enroll(ctx, req)
				if err != nil {
					once.Do(func() { first = fmt.Errorf("enroll agent %d: %w", i, err) })
					return
				}
				agents[i] = simAgent{secret: res.Secret, seq: 1, rnd: rand.New(rand.NewPCG(uint64(i), 7))}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return agents, ctx.Err()
}

// benchClient is vigie-agent's own client (gzip reports, as agents send
// them) on the benchmark's shared connections; one per worker goroutine,
// the secret set per request.
func benchClient(base string, hc *http.Client) *agent.Client {
	cl := agent.NewClient(base, "", "bench")
	cl.HTTP = hc
	return cl
}

// report builds the next report of an agent: k samples per series, step
// apart, with the precision an agent sends (percentages to 2 decimals,
// bytes and counts as integers).
func (ag *simAgent) report(series, k int, step time.Duration) agentproto.Report {
	r := agentproto.Report{Seq: ag.seq, Sent: time.Now().UTC(), AgentVersion: "bench", SettingsVersion: 1, Series: make([]agentproto.Series, series)}
	ag.seq++
	ts := make([]int64, k)
	for j := range k {
		ag.last += step.Milliseconds() + int64(ag.rnd.IntN(5))
		ts[j] = ag.last
	}
	for s := range series {
		v := make([]float64, k)
		for j := range k {
			switch s % 3 {
			case 0: // a percentage
				v[j] = math.Round((20+10*math.Sin(float64(ts[j])/3.6e6+float64(s))+ag.rnd.Float64()*5)*100) / 100
			case 1: // bytes per second
				v[j] = float64(ag.rnd.IntN(200_000))
			default: // a slowly moving count
				v[j] = float64(100 + s + j%7)
			}
		}
		r.Series[s] = agentproto.Series{Name: benchSeriesName(s), Labels: map[string]string{"n": strconv.Itoa(s)}, T: ts, V: v}
	}
	return r
}

func benchSeriesName(s int) string {
	return [...]string{"cpu.percent", "net.recv_bytes_per_second", "processes"}[s%3]
}

// sustain makes every agent report once per interval, spread evenly, for d
// (an open loop), and measures each report.
func sustain(ctx context.Context, hc *http.Client, base string, agents []simAgent, o agentsOptions, d time.Duration) loadResult {
	type job struct {
		i  int
		at time.Time
	}
	due := make(chan job, 4096)
	results := make([][]loadSample, o.workers)
	var mu sync.Mutex // agents of one index are never sent twice at once, but keep the race detector calm
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := benchClient(base, hc)
			for j := range due {
				mu.Lock()
				rep := agents[j.i].report(o.series, 1, o.interval)
				secret := agents[j.i].secret
				mu.Unlock()
				sent := time.Now()
				cl.Secret = secret
				_, err := cl.Report(ctx, &rep)
				s := loadSample{status: http.StatusOK}
				var se *agent.ServerError
				if errors.As(err, &se) {
					s.status, err = se.Status, nil
				}
				end := time.Now()
				s.service, s.total, s.err = end.Sub(sent), end.Sub(j.at), err
				results[w] = append(results[w], s)
			}
		}()
	}
	gap := o.interval / time.Duration(len(agents))
	start := time.Now().Add(5 * time.Millisecond)
	n := int(float64(len(agents)) * d.Seconds() / o.interval.Seconds())
dispatch:
	for k := range n {
		at := start.Add(time.Duration(k) * gap)
		if w := time.Until(at); w > 0 {
			select {
			case <-time.After(w):
			case <-ctx.Done():
				break dispatch
			}
		}
		select {
		case due <- job{k % len(agents), at}:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(due)
	wg.Wait()
	return tally(results, start)
}

type peakResult struct {
	reports, samples, failed int
	firstErr                 string
	elapsed                  time.Duration
}

// peak sends backlog reports as fast as the workers go for o.peak.
func peak(ctx context.Context, hc *http.Client, base string, agents []simAgent, o agentsOptions) peakResult {
	ctx, cancel := context.WithTimeout(ctx, o.peak)
	defer cancel()
	var reports, samples, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	edge := start.Add(-time.Hour).UnixMilli()
	workers := min(o.workers, len(agents))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := benchClient(base, hc)
			// Worker w owns agents w, w+workers, …: no two send for one agent.
			for i := w; ctx.Err() == nil; i += workers {
				if i >= len(agents) {
					i = w
				}
				if agents[i].last > edge {
					continue // this one's backlog is replayed
				}
				rep := agents[i].report(o.series, o.peakSamples, 10*time.Second)
				cl.Secret = agents[i].secret
				ack, err := cl.Report(ctx, &rep)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				reports.Add(1)
				samples.Add(int64(ack.Samples))
			}
		}()
	}
	wg.Wait()
	r := peakResult{reports: int(reports.Load()), samples: int(samples.Load()), failed: int(failed.Load()), elapsed: time.Since(start)}
	if s, ok := firstErr.Load().(string); ok {
		r.firstErr = ", first: " + s
	}
	return r
}
