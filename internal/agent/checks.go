package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/probe"
)

// Nagios states of a check result.
const (
	stateOK       = 0
	stateWarning  = 1
	stateCritical = 2
	stateUnknown  = 3
)

// Bounds of the local checks.
const (
	// MaxFor is the longest "sustained over" window, in minutes, the agent
	// keeps samples for.
	MaxFor = 24 * 60
	// maxHistory bounds the samples kept per metric (24 h at 10 s).
	maxHistory = 8640
	// fileAgeMaxEntries bounds the walk of a file_age check.
	fileAgeMaxEntries = 100_000
	// commandOutput bounds what is read of a command's standard output.
	commandOutput = 64 << 10
	// defaultCheckTimeout and maxCheckTimeout bound commands and probes.
	defaultCheckTimeout = 10 * time.Second
	maxCheckTimeout     = 60 * time.Second
)

// sample is one value of a metric the agent sampled itself.
type sample struct {
	t time.Time
	v float64
}

// History keeps the agent's own recent CPU, memory and swap samples, so
// that a threshold "sustained over N minutes" is judged on what the
// metrics collector already measured rather than on a second sampling.
type History struct {
	mu       sync.Mutex
	interval time.Duration // metric interval
	keep     time.Duration // how far back samples are kept
	series   map[string][]sample
}

// NewHistory returns an empty history for a metric interval.
func NewHistory(interval time.Duration) *History {
	return &History{interval: interval, keep: 2 * interval, series: map[string][]sample{}}
}

// SetInterval changes the metric interval (settings from the server).
func (h *History) SetInterval(d time.Duration) {
	h.mu.Lock()
	h.interval = d
	h.mu.Unlock()
}

// Interval returns the metric interval.
func (h *History) Interval() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.interval
}

// SetKeep sets how long samples are kept: the longest window of the
// checks, bounded by MaxFor.
func (h *History) SetKeep(d time.Duration) {
	h.mu.Lock()
	h.keep = min(d, MaxFor*time.Minute)
	h.mu.Unlock()
}

// Add records a sample of metric at t.
func (h *History) Add(metric string, t time.Time, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ss := h.series[metric]
	if n := len(ss); n > 0 && !t.After(ss[n-1].t) {
		return
	}
	ss = append(ss, sample{t, v})
	// Keep one sample older than the window: it shows the window is covered.
	cut := t.Add(-h.keep - 2*h.interval)
	i := 0
	for i < len(ss)-1 && ss[i+1].t.Before(cut) {
		i++
	}
	i = max(i, len(ss)-maxHistory)
	if i > 0 {
		ss = append(ss[:0], ss[i:]...)
	}
	h.series[metric] = ss
}

// samples returns a copy of a metric's samples, oldest first.
func (h *History) samples(metric string) []sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sample(nil), h.series[metric]...)
}

// Checker runs the checks the server asks of this agent. It runs only what
// the agent is able to judge itself: thresholds on its own samples, the
// state of a service or process, SMART health, the freshness of files,
// network probes, and commands of its own allow-list — never a command the
// server names.
type Checker struct {
	// Commands is the allow-list of the agent's configuration: a command
	// check names one of its entries.
	Commands map[string][]string
	// History holds the agent's CPU, memory and swap samples.
	History *History
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Started is when the agent started: a threshold check says nothing
	// until the first samples had time to come.
	Started time.Time
	// Smartctl, Systemctl and Launchctl are the paths of those tools; empty
	// finds them in PATH.
	Smartctl, Systemctl, Launchctl string
}

func (c *Checker) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Run runs one check and returns its result; ok is false when there is
// nothing to say yet (no sample since the agent started).
func (c *Checker) Run(ctx context.Context, spec agentproto.CheckSpec) (res agentproto.CheckResult, ok bool) {
	p := spec.Params
	var r probe.Result
	ok = true
	switch spec.Kind {
	case agentproto.CheckCPU:
		r, ok = c.threshold(agentproto.MetricCPU, "CPU", p)
	case agentproto.CheckMemory:
		r, ok = c.threshold(agentproto.MetricMemory, "Memory", p)
	case agentproto.CheckSwap:
		r, ok = c.threshold(agentproto.MetricSwap, "Swap", p)
	case agentproto.CheckFilesystem:
		r = checkFilesystem(ctx, p)
	case agentproto.CheckService:
		r = c.checkService(ctx, p.Name)
	case agentproto.CheckProcess:
		r = checkProcess(ctx, p.Name)
	case agentproto.CheckSMART:
		r = c.checkSMART(ctx, p.Disk)
	case agentproto.CheckCommand:
		r = c.checkCommand(ctx, p)
	case agentproto.CheckFileAge:
		r = checkFileAge(ctx, p, c.now(), fileAgeMaxEntries)
	case agentproto.CheckPing, agentproto.CheckTCP, agentproto.CheckHTTP, agentproto.CheckTLS, agentproto.CheckDNS:
		pr, err := NetworkProbe(spec.Kind, p)
		if err != nil {
			r = probe.Result{State: probe.Unknown, Output: "invalid check parameters: " + err.Error()}
		} else {
			r = pr.Run(ctx)
		}
	default:
		r = probe.Result{State: probe.Unknown, Output: fmt.Sprintf("check kind %q is not run by this agent (update vigie-agent)", spec.Kind)}
	}
	if !ok {
		return agentproto.CheckResult{}, false
	}
	return result(spec.ID, c.now(), r), true
}

// result makes the wire form of a probe result: state 0–3, output within
// agentproto.MaxCheckOutput bytes of valid UTF-8, finite perf data.
func result(id int64, at time.Time, r probe.Result) agentproto.CheckResult {
	st := int(r.State)
	if st < stateOK || st > stateUnknown {
		st = stateUnknown
	}
	out := clipUTF8(strings.ToValidUTF8(r.Output, "?"), agentproto.MaxCheckOutput)
	var perf map[string]float64
	for k, v := range r.Perf {
		if math.IsNaN(v) || math.IsInf(v, 0) || k == "" || len(k) > 128 || !utf8.ValidString(k) {
			continue
		}
		if perf == nil {
			perf = make(map[string]float64, len(r.Perf))
		}
		perf[k] = v
	}
	return agentproto.CheckResult{CheckID: id, At: at.UTC(), State: st, Output: out, Perf: perf}
}

// clipUTF8 cuts s to at most n bytes on a rune boundary.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// threshold judges a percent metric of the history against the check's
// thresholds.
func (c *Checker) threshold(metric, label string, p agentproto.CheckParams) (probe.Result, bool) {
	now := c.now()
	interval := c.History.Interval()
	ss := c.History.samples(metric)
	if len(ss) == 0 {
		if metric == agentproto.MetricSwap {
			if sw, err := mem.SwapMemory(); err == nil && sw.Total == 0 {
				return probe.Result{State: probe.OK, Output: "no swap space on this machine"}, true
			}
		}
		if now.Sub(c.Started) < 3*interval {
			return probe.Result{}, false // the first samples are on their way
		}
		return probe.Result{State: probe.Unknown, Output: "no " + label + " sample collected"}, true
	}
	return sustained(label, ss, now, p, interval), true
}

// sustained grades samples (oldest first) against warning and critical
// thresholds: a threshold is crossed when every sample of the last For
// minutes is at or above it, and the samples cover those minutes (an agent
// that started two minutes ago cannot tell five minutes of high CPU).
// With For 0 the last sample alone counts. A last sample older than two
// metric intervals is UNKNOWN.
func sustained(label string, ss []sample, now time.Time, p agentproto.CheckParams, interval time.Duration) probe.Result {
	last := ss[len(ss)-1]
	perf := map[string]float64{strings.ToLower(label) + "_percent": last.v}
	if age := now.Sub(last.t); age > 2*interval+time.Second {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("no %s sample for %s", label, age.Round(time.Second)), Perf: perf}
	}
	forMin := min(max(p.For, 0), MaxFor)
	window := time.Duration(forMin) * time.Minute
	tol := interval + interval/2
	// held returns the lowest value of the window when it stayed at or
	// above thr all along.
	held := func(thr float64) (float64, bool) {
		if thr <= 0 {
			return 0, false
		}
		if window == 0 {
			return last.v, last.v >= thr
		}
		start := now.Add(-window)
		if ss[0].t.After(start.Add(tol)) {
			return 0, false // not observed for long enough
		}
		low, n := math.Inf(1), 0
		for _, s := range ss {
			if s.t.Before(start) {
				continue
			}
			if s.v < thr {
				return 0, false
			}
			low = min(low, s.v)
			n++
		}
		return low, n > 0
	}
	during := ""
	if forMin > 0 {
		during = fmt.Sprintf(" for %d min", forMin)
	}
	if v, ok := held(p.Critical); ok {
		return probe.Result{State: probe.Critical, Output: fmt.Sprintf("%s %s %%%s (critical ≥ %s %%)", label, pct(v), during, num(p.Critical)), Perf: perf}
	}
	if v, ok := held(p.Warning); ok {
		return probe.Result{State: probe.Warning, Output: fmt.Sprintf("%s %s %%%s (warning ≥ %s %%)", label, pct(v), during, num(p.Warning)), Perf: perf}
	}
	return probe.Result{State: probe.OK, Output: fmt.Sprintf("%s %s %%%s", label, pct(last.v), limits(p.Warning, p.Critical, during)), Perf: perf}
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// limits says the thresholds of an OK result: " (warning ≥ 80 %, critical ≥ 95 % for 5 min)".
func limits(warn, crit float64, during string) string {
	var parts []string
	if warn > 0 {
		parts = append(parts, "warning ≥ "+num(warn)+" %")
	}
	if crit > 0 {
		parts = append(parts, "critical ≥ "+num(crit)+" %")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + during + ")"
}

// grade returns the state of a value against "at or above" thresholds.
func grade(v, warn, crit float64) (probe.State, string) {
	switch {
	case crit > 0 && v >= crit:
		return probe.Critical, " (critical ≥ " + num(crit) + " %)"
	case warn > 0 && v >= warn:
		return probe.Warning, " (warning ≥ " + num(warn) + " %)"
	}
	return probe.OK, ""
}

// fmtBytes writes a size in IEC units: "8.4 GiB".
func fmtBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatUint(b, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(b)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}

// sameMount compares mount points; Windows drives ignore case and a
// trailing separator ("C:", "c:\").
func sameMount(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(strings.TrimRight(a, `\/`), strings.TrimRight(b, `\/`))
	}
	if len(a) > 1 {
		a = strings.TrimRight(a, "/")
	}
	if len(b) > 1 {
		b = strings.TrimRight(b, "/")
	}
	return a == b
}

// checkFilesystem grades the used percent of a mount, or of the fullest
// file system holding data when none is named.
func checkFilesystem(ctx context.Context, p agentproto.CheckParams) probe.Result {
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil && len(parts) == 0 {
		return probe.Result{State: probe.Unknown, Output: "cannot list file systems: " + err.Error()}
	}
	var mounts []string
	if p.Mount != "" {
		for _, pt := range parts {
			if sameMount(pt.Mountpoint, p.Mount) {
				mounts = append(mounts, pt.Mountpoint)
				break
			}
		}
		if len(mounts) == 0 {
			return probe.Result{State: probe.Critical, Output: p.Mount + " is not mounted"}
		}
	} else {
		for _, pt := range realFilesystems(parts) {
			mounts = append(mounts, pt.Mountpoint)
		}
	}
	var best *disk.UsageStat
	for _, m := range mounts {
		u, err := disk.UsageWithContext(ctx, m)
		if err != nil || u.Total == 0 {
			if p.Mount != "" {
				return probe.Result{State: probe.Unknown, Output: "cannot read the usage of " + m + ": " + errString(err)}
			}
			continue
		}
		if best == nil || u.UsedPercent > best.UsedPercent {
			best = u
		}
	}
	if best == nil {
		return probe.Result{State: probe.Unknown, Output: "no file system to check"}
	}
	st, why := grade(best.UsedPercent, p.Warning, p.Critical)
	return probe.Result{
		State: st,
		Output: fmt.Sprintf("%s %s %% used, %s free of %s%s", best.Path, pct(best.UsedPercent), fmtBytes(best.Free),
			fmtBytes(best.Total), why),
		Perf: map[string]float64{"used_percent": round2(best.UsedPercent), "free_bytes": float64(best.Free), "total_bytes": float64(best.Total)},
	}
}

func errString(err error) string {
	if err == nil {
		return "empty file system"
	}
	return err.Error()
}

// validName accepts a service or process name: no control character, no
// leading dash (it goes on a command line as an argument), at most 256
// bytes.
func validName(s string) bool {
	if s == "" || len(s) > 256 || strings.HasPrefix(s, "-") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// checkService reports whether a service runs (systemd unit, Windows
// service, launchd job).
func (c *Checker) checkService(ctx context.Context, name string) probe.Result {
	if !validName(name) || (runtime.GOOS != "windows" && strings.ContainsAny(name, " /")) {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("invalid service name %q", name)}
	}
	ctx, cancel := context.WithTimeout(ctx, defaultCheckTimeout)
	defer cancel()
	return c.serviceState(ctx, name)
}

// processName normalizes a process name for comparison: Windows names
// ignore case and the ".exe" suffix.
func processName(s string) string {
	if runtime.GOOS == "windows" {
		return strings.TrimSuffix(strings.ToLower(s), ".exe")
	}
	return s
}

// checkProcess counts the processes named name.
func checkProcess(ctx context.Context, name string) probe.Result {
	if !validName(name) {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("invalid process name %q", name)}
	}
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return probe.Result{State: probe.Unknown, Output: "cannot list processes: " + err.Error()}
	}
	want := processName(name)
	n := 0
	for _, p := range procs {
		got, err := p.NameWithContext(ctx)
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		if processName(got) == want {
			n++
		}
	}
	perf := map[string]float64{"processes": float64(n)}
	switch n {
	case 0:
		return probe.Result{State: probe.Critical, Output: fmt.Sprintf("no process named %s is running", name), Perf: perf}
	case 1:
		return probe.Result{State: probe.OK, Output: fmt.Sprintf("1 process named %s is running", name), Perf: perf}
	}
	return probe.Result{State: probe.OK, Output: fmt.Sprintf("%d processes named %s are running", n, name), Perf: perf}
}

// checkSMART reads the SMART health of every disk smartctl finds, or of
// the named one.
func (c *Checker) checkSMART(ctx context.Context, want string) probe.Result {
	path := c.Smartctl
	if path == "" {
		var err error
		if path, err = exec.LookPath("smartctl"); err != nil {
			return probe.Result{State: probe.Unknown, Output: "smartctl is not installed: install smartmontools to check SMART health"}
		}
	}
	out, err := runCmd(ctx, path, "--scan", "-j")
	if err != nil && len(out) == 0 {
		return probe.Result{State: probe.Unknown, Output: "smartctl --scan failed: " + err.Error()}
	}
	devs, err := ParseSmartScan(out)
	if err != nil {
		return probe.Result{State: probe.Unknown, Output: "smartctl --scan gave unreadable output: " + err.Error()}
	}
	want = strings.TrimPrefix(want, "/dev/")
	var failed, passed, unknown []string
	for _, d := range devs {
		name := smartDiskName(d.Name)
		if want != "" && name != want && strings.TrimPrefix(d.Name, "/dev/") != want {
			continue
		}
		// smartctl's exit status is a bit mask: read the JSON whatever it is.
		out, _ := runCmd(ctx, path, "-H", "-j", "-d", d.Type, d.Name)
		h, err := ParseSmartHealth(out)
		switch {
		case err == nil && h == "FAILED":
			failed = append(failed, name)
		case err == nil && h == "PASSED":
			passed = append(passed, name)
		default:
			unknown = append(unknown, name)
		}
	}
	perf := map[string]float64{"disks_failed": float64(len(failed)), "disks_passed": float64(len(passed))}
	var parts []string
	if len(failed) > 0 {
		parts = append(parts, "FAILED: "+strings.Join(failed, ", "))
	}
	if len(passed) > 0 {
		parts = append(parts, "PASSED: "+strings.Join(passed, ", "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "no SMART status (smartctl needs root): "+strings.Join(unknown, ", "))
	}
	switch {
	case len(failed) > 0:
		return probe.Result{State: probe.Critical, Output: "SMART " + strings.Join(parts, "; "), Perf: perf}
	case len(passed) > 0:
		return probe.Result{State: probe.OK, Output: "SMART " + strings.Join(parts, "; "), Perf: perf}
	case len(unknown) > 0:
		return probe.Result{State: probe.Unknown, Output: "SMART " + strings.Join(parts, "; "), Perf: perf}
	case want != "":
		return probe.Result{State: probe.Unknown, Output: "smartctl found no disk " + want}
	}
	return probe.Result{State: probe.Unknown, Output: "smartctl found no disk"}
}

// CheckCommandEntry says why an allow-list entry cannot run, or nil: it
// needs a program given by its absolute path (no search of PATH, no shell).
func CheckCommandEntry(argv []string) error {
	if len(argv) == 0 || argv[0] == "" {
		return errors.New("empty command")
	}
	if !filepath.IsAbs(argv[0]) {
		return fmt.Errorf("%q is not an absolute path", argv[0])
	}
	for _, a := range argv {
		if strings.ContainsRune(a, 0) {
			return errors.New("an argument holds a NUL byte")
		}
	}
	return nil
}

// checkCommand runs a command of the allow-list, following the Nagios
// plugin conventions.
func (c *Checker) checkCommand(ctx context.Context, p agentproto.CheckParams) probe.Result {
	argv, ok := c.Commands[p.Name]
	if !ok {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("command %q is not in this agent's allow-list", p.Name)}
	}
	if err := CheckCommandEntry(argv); err != nil {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("command %q of the allow-list cannot run: %v", p.Name, err)}
	}
	timeout := defaultCheckTimeout
	if p.Timeout > 0 {
		timeout = min(time.Duration(p.Timeout)*time.Second, maxCheckTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	ownProcessGroup(cmd)
	// A grandchild that keeps the pipes open must not hold the check.
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr limitedBuffer
	stdout.n, stderr.n = commandOutput, agentproto.MaxCheckOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if ctx.Err() == context.DeadlineExceeded {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("command %q timed out after %s", p.Name, timeout), Duration: elapsed}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && cmd.ProcessState == nil {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("command %q could not start: %v", p.Name, err), Duration: elapsed}
	}
	code := cmd.ProcessState.ExitCode()
	out := stdout.b
	if len(strings.TrimSpace(string(out))) == 0 {
		out = stderr.b // a plugin that failed early often says why on stderr only
	}
	r := probe.ParsePluginOutput(code, out)
	r.Duration = elapsed
	return r
}

// limitedBuffer keeps the first n bytes written and discards the rest.
type limitedBuffer struct {
	b []byte
	n int
}

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if room := w.n - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// errStopWalk ends a file_age walk at its bound.
var errStopWalk = errors.New("walk bound reached")

// checkFileAge finds the newest regular file under p.Path and checks that
// it is younger than MaxAgeHours and at least MinBytes, looking at no more
// than maxEntries entries.
func checkFileAge(ctx context.Context, p agentproto.CheckParams, now time.Time, maxEntries int) probe.Result {
	if p.Path == "" || !filepath.IsAbs(p.Path) {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("path %q is not absolute", p.Path)}
	}
	if _, err := os.Stat(p.Path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return probe.Result{State: probe.Critical, Output: p.Path + " does not exist"}
		}
		return probe.Result{State: probe.Unknown, Output: "cannot read " + p.Path + ": " + err.Error()}
	}
	var (
		newest     string
		newestTime time.Time
		newestSize int64
		files      int
		entries    int
		unreadable int
	)
	err := filepath.WalkDir(p.Path, func(path string, d fs.DirEntry, err error) error {
		entries++
		if entries > maxEntries {
			return errStopWalk
		}
		if entries%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			unreadable++
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		files++
		if newest == "" || info.ModTime().After(newestTime) {
			newest, newestTime, newestSize = path, info.ModTime(), info.Size()
		}
		return nil
	})
	note := ""
	switch {
	case errors.Is(err, errStopWalk):
		note = fmt.Sprintf(" (stopped after %d entries)", maxEntries)
	case err != nil:
		return probe.Result{State: probe.Unknown, Output: "walking " + p.Path + ": " + err.Error()}
	}
	if unreadable > 0 {
		note += fmt.Sprintf(" (%d entries unreadable)", unreadable)
	}
	if newest == "" {
		return probe.Result{State: probe.Critical, Output: "no file under " + p.Path + note, Perf: map[string]float64{"files": 0}}
	}
	age := now.Sub(newestTime)
	perf := map[string]float64{"age_hours": round2(age.Hours()), "size_bytes": float64(newestSize), "files": float64(files)}
	found := fmt.Sprintf("newest file %s is %s old, %s", newest, fmtAge(age), fmtBytes(uint64(max(newestSize, 0))))
	var problems []string
	if p.MaxAgeHours > 0 && age.Hours() >= p.MaxAgeHours {
		problems = append(problems, "older than "+num(p.MaxAgeHours)+" h")
	}
	if p.MinBytes > 0 && newestSize < p.MinBytes {
		problems = append(problems, "smaller than "+fmtBytes(uint64(p.MinBytes)))
	}
	if len(problems) > 0 {
		return probe.Result{State: probe.Critical, Output: found + ": " + strings.Join(problems, " and ") + note, Perf: perf}
	}
	return probe.Result{State: probe.OK, Output: found + note, Perf: perf}
}

// fmtAge writes a duration the way a person reads an age: "3 h 12 min", "2 d 4 h".
func fmtAge(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d d %d h", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// NetworkProbe builds the probe of a network check from its parameters:
// timeout in seconds, round-trip thresholds in milliseconds, the TLS port
// 443 by default. It mirrors the server's mapping, which the agent cannot
// import.
func NetworkProbe(kind string, p agentproto.CheckParams) (probe.Probe, error) {
	timeout := time.Duration(min(max(p.Timeout, 0), int(maxCheckTimeout/time.Second))) * time.Second
	warn, crit := millis(p.RTTWarning), millis(p.RTTCritical)
	var (
		pr interface {
			probe.Probe
			Validate() error
		}
	)
	switch kind {
	case agentproto.CheckTCP:
		pr = &probe.TCP{Host: p.Host, Port: p.Port, Warning: warn, Critical: crit, Timeout: timeout}
	case agentproto.CheckHTTP:
		pr = &probe.HTTP{
			URL: p.URL, Method: p.Method, Headers: p.Headers, Body: p.Body,
			ExpectStatus: p.ExpectStatus, BodyContains: p.BodyContains, BodyRegexp: p.BodyRegexp,
			NoRedirects: p.NoRedirects, SkipVerify: p.SkipVerify, Warning: warn, Critical: crit, Timeout: timeout,
		}
	case agentproto.CheckTLS:
		port := p.Port
		if port == 0 {
			port = 443
		}
		addr := ""
		if p.Host != "" {
			addr = net.JoinHostPort(p.Host, strconv.Itoa(port))
		}
		pr = &probe.TLSCert{Address: addr, ServerName: p.ServerName, WarningDays: p.WarningDays, CriticalDays: p.CriticalDays, Timeout: timeout}
	case agentproto.CheckDNS:
		pr = &probe.DNS{Name: p.Name, Type: p.RecordType, Server: p.Server, Expect: p.Expect, Timeout: timeout}
	case agentproto.CheckPing:
		pr = &probe.Ping{Host: p.Host, Count: p.Count, LossWarning: p.LossWarning, LossCritical: p.LossCritical,
			RTTWarning: warn, RTTCritical: crit, Timeout: timeout}
	default:
		return nil, fmt.Errorf("%q is not a network probe", kind)
	}
	if err := pr.Validate(); err != nil {
		return nil, err
	}
	return pr, nil
}

// millis converts milliseconds to a duration; a bad value becomes negative
// so that Validate refuses it.
func millis(ms float64) time.Duration {
	if ms < 0 || math.IsNaN(ms) || math.IsInf(ms, 0) {
		return -1
	}
	return time.Duration(min(ms, float64(maxCheckTimeout/time.Millisecond)*1000) * float64(time.Millisecond))
}
