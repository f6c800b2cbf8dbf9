package agent

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/probe"
)

// series makes one sample per interval ending at end, oldest first.
func series(end time.Time, interval time.Duration, vs ...float64) []sample {
	out := make([]sample, len(vs))
	for i, v := range vs {
		out[i] = sample{t: end.Add(-time.Duration(len(vs)-1-i) * interval), v: v}
	}
	return out
}

func TestSustained(t *testing.T) {
	now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	min := time.Minute
	p := agentproto.CheckParams{Warning: 80, Critical: 95, For: 5}
	tests := []struct {
		name   string
		ss     []sample
		now    time.Time
		p      agentproto.CheckParams
		state  probe.State
		output string
	}{
		{"five minutes above critical", series(now, min, 97, 96, 99, 98, 97.3, 98), now, p, probe.Critical, "CPU 96.0 % for 5 min (critical ≥ 95 %)"},
		{"check runs between two samples", series(now.Add(-30*time.Second), min, 97, 96, 99, 98, 97.3, 98), now, p, probe.Critical, "CPU 96.0 % for 5 min (critical ≥ 95 %)"},
		{"one dip below critical makes it a warning", series(now, min, 97, 96, 99, 85, 97.3, 98), now, p, probe.Warning, "CPU 85.0 % for 5 min (warning ≥ 80 %)"},
		{"one dip below warning is OK", series(now, min, 97, 96, 99, 50, 97.3, 98), now, p, probe.OK, "CPU 98.0 % (warning ≥ 80 %, critical ≥ 95 % for 5 min)"},
		{"a low sample before the window does not count", series(now, min, 10, 97, 96, 99, 98, 97.3, 98), now, p, probe.Critical, "CPU 96.0 % for 5 min (critical ≥ 95 %)"},
		{"two minutes observed cannot tell five", series(now, min, 99, 99, 99), now, p, probe.OK, "CPU 99.0 % (warning ≥ 80 %, critical ≥ 95 % for 5 min)"},
		{"last sample alone without For", series(now, min, 10, 10, 97.3), now, agentproto.CheckParams{Warning: 80, Critical: 95}, probe.Critical, "CPU 97.3 % (critical ≥ 95 %)"},
		{"no thresholds", series(now, min, 97.3), now, agentproto.CheckParams{}, probe.OK, "CPU 97.3 %"},
		{"stale sample is unknown", series(now.Add(-10*min), min, 99, 99), now, p, probe.Unknown, "no CPU sample for 10m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sustained("CPU", tt.ss, tt.now, tt.p, time.Minute)
			if r.State != tt.state || r.Output != tt.output {
				t.Fatalf("got %v %q, want %v %q", r.State, r.Output, tt.state, tt.output)
			}
			if r.Perf["cpu_percent"] != tt.ss[len(tt.ss)-1].v {
				t.Fatalf("perf %v", r.Perf)
			}
		})
	}
}

func TestHistoryKeepsWhatTheWindowNeeds(t *testing.T) {
	h := NewHistory(time.Minute)
	h.SetKeep(5 * time.Minute)
	start := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		h.Add(agentproto.MetricCPU, start.Add(time.Duration(i)*time.Minute), float64(i))
	}
	h.Add(agentproto.MetricCPU, start, 1) // out of order: ignored
	ss := h.samples(agentproto.MetricCPU)
	// The window, two intervals and one sample before them.
	if len(ss) != 9 || ss[len(ss)-1].v != 59 || ss[0].v != 51 {
		t.Fatalf("kept %d samples from %v to %v", len(ss), ss[0], ss[len(ss)-1])
	}
	h.SetKeep(100 * 24 * time.Hour) // bounded by MaxFor
	for i := range maxHistory + 10 {
		h.Add(agentproto.MetricMemory, start.Add(time.Duration(i)*time.Second), 1)
	}
	if n := len(h.samples(agentproto.MetricMemory)); n != maxHistory {
		t.Fatalf("kept %d samples, at most %d", n, maxHistory)
	}
}

func TestThresholdCheckWaitsForFirstSamples(t *testing.T) {
	start := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	now := start
	c := &Checker{History: NewHistory(time.Minute), Now: func() time.Time { return now }, Started: start}
	spec := agentproto.CheckSpec{ID: 7, Kind: agentproto.CheckMemory, Params: agentproto.CheckParams{Critical: 90}}
	if _, ok := c.Run(context.Background(), spec); ok {
		t.Fatal("a result before any sample could come")
	}
	now = start.Add(4 * time.Minute)
	res, ok := c.Run(context.Background(), spec)
	if !ok || res.State != stateUnknown || !strings.Contains(res.Output, "no Memory sample") {
		t.Fatalf("no sample after 4 intervals: %+v", res)
	}
	c.History.Add(agentproto.MetricMemory, now, 93.25)
	res, _ = c.Run(context.Background(), spec)
	if res.State != stateCritical || res.CheckID != 7 || !res.At.Equal(now) || res.Perf["memory_percent"] != 93.25 {
		t.Fatalf("memory at 93.25 %%: %+v", res)
	}
}

func run(t *testing.T, c *Checker, kind string, p agentproto.CheckParams) agentproto.CheckResult {
	t.Helper()
	res, ok := c.Run(context.Background(), agentproto.CheckSpec{ID: 1, Kind: kind, Interval: 60, Params: p})
	if !ok {
		t.Fatalf("%s: no result", kind)
	}
	if res.State < 0 || res.State > 3 || len(res.Output) > agentproto.MaxCheckOutput {
		t.Fatalf("%s: malformed result %+v", kind, res)
	}
	return res
}

func TestCheckFilesystem(t *testing.T) {
	c := &Checker{}
	res := run(t, c, agentproto.CheckFilesystem, agentproto.CheckParams{Mount: "/", Critical: 0.0001})
	if res.State != stateCritical || !strings.HasPrefix(res.Output, "/ ") || !strings.Contains(res.Output, "free of") ||
		!strings.Contains(res.Output, "(critical ≥ 0.0001 %)") || res.Perf["total_bytes"] <= 0 {
		t.Fatalf("root over a tiny threshold: %+v", res)
	}
	res = run(t, c, agentproto.CheckFilesystem, agentproto.CheckParams{Mount: "/", Warning: 100.5, Critical: 101})
	if res.State != stateOK {
		t.Fatalf("root under thresholds above 100 %%: %+v", res)
	}
	res = run(t, c, agentproto.CheckFilesystem, agentproto.CheckParams{Mount: "/no/such/mount"})
	if res.State != stateCritical || res.Output != "/no/such/mount is not mounted" {
		t.Fatalf("missing mount: %+v", res)
	}
	res = run(t, c, agentproto.CheckFilesystem, agentproto.CheckParams{})
	if res.State != stateOK || res.Perf["used_percent"] < 0 || !strings.Contains(res.Output, "% used") {
		t.Fatalf("fullest file system: %+v", res)
	}
}

func TestCheckProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	// A name longer than the 15 bytes the kernel keeps in comm.
	name := "vigie-test-sleeper-" + strconv.Itoa(os.Getpid())
	bin := filepath.Join(t.TempDir(), name)
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &Checker{}
	if res := run(t, c, agentproto.CheckProcess, agentproto.CheckParams{Name: name}); res.State != stateCritical ||
		res.Output != "no process named "+name+" is running" || res.Perf["processes"] != 0 {
		t.Fatalf("before start: %+v", res)
	}
	cmd := exec.Command(bin, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var res agentproto.CheckResult
	waitFor(t, "the process to show", func() bool {
		res = run(t, c, agentproto.CheckProcess, agentproto.CheckParams{Name: name})
		return res.State == stateOK
	})
	if res.Output != "1 process named "+name+" is running" || res.Perf["processes"] != 1 {
		t.Fatalf("running: %+v", res)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if res := run(t, c, agentproto.CheckProcess, agentproto.CheckParams{Name: name}); res.State != stateCritical {
		t.Fatalf("after kill: %+v", res)
	}
	if res := run(t, c, agentproto.CheckProcess, agentproto.CheckParams{Name: "-x"}); res.State != stateUnknown {
		t.Fatalf("bad name: %+v", res)
	}
}

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckService(t *testing.T) {
	dir := t.TempDir()
	// systemctl as systemd would answer: the unit name is the 9th argument.
	systemctl := script(t, dir, "systemctl", `[ "$1 $2 $3 $4 $5 $6 $7 $8" = "show -p LoadState -p ActiveState -p SubState --" ] || exit 64
case "$9" in
nginx) printf 'LoadState=loaded\nActiveState=active\nSubState=running\n' ;;
cron.service) printf 'LoadState=loaded\nActiveState=failed\nSubState=failed\n' ;;
slow) printf 'LoadState=loaded\nActiveState=activating\nSubState=start\n' ;;
hidden) printf 'LoadState=masked\nActiveState=inactive\nSubState=dead\n' ;;
*) printf 'LoadState=not-found\nActiveState=inactive\nSubState=dead\n' ;;
esac
`)
	broken := script(t, dir, "systemctl-broken", "echo 'System has not been booted with systemd as init system (PID 1). Can'\\''t operate.' >&2\nexit 1\n")
	tests := []struct {
		name, tool, service string
		state               int
		output              string
	}{
		{"active", systemctl, "nginx", stateOK, "service nginx is active (running)"},
		{"failed", systemctl, "cron.service", stateCritical, "service cron.service is failed (failed)"},
		{"starting", systemctl, "slow", stateWarning, "service slow is starting (start)"},
		{"masked", systemctl, "hidden", stateCritical, "service hidden is masked"},
		{"unknown unit", systemctl, "nosuch", stateCritical, "service nosuch is not installed (no such systemd unit)"},
		{"no systemd", broken, "nginx", stateUnknown, "systemctl cannot tell the state of nginx: System has not been booted with systemd as init system (PID 1). Can't operate."},
		{"option-like name", systemctl, "--now", stateUnknown, `invalid service name "--now"`},
		{"name with a space", systemctl, "a b", stateUnknown, `invalid service name "a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, &Checker{Systemctl: tt.tool}, agentproto.CheckService, agentproto.CheckParams{Name: tt.service})
			if res.State != tt.state || res.Output != tt.output {
				t.Fatalf("got %d %q, want %d %q", res.State, res.Output, tt.state, tt.output)
			}
		})
	}
}

func TestParseLaunchctlList(t *testing.T) {
	running := []byte("{\n\t\"LimitLoadToSessionType\" = \"System\";\n\t\"Label\" = \"com.example.backup\";\n\t\"OnDemand\" = false;\n\t\"LastExitStatus\" = 0;\n\t\"PID\" = 412;\n\t\"Program\" = \"/usr/local/bin/backupd\";\n};\n")
	stopped := []byte("{\n\t\"Label\" = \"com.example.backup\";\n\t\"LastExitStatus\" = 19968;\n};\n")
	if j := ParseLaunchctlList(running); j.PID != 412 || j.LastExitStatus != 0 {
		t.Fatalf("running: %+v", j)
	}
	if j := ParseLaunchctlList(stopped); j.PID != 0 || j.LastExitStatus != 19968 {
		t.Fatalf("stopped: %+v", j)
	}
}

func FuzzParseSystemctlShow(f *testing.F) {
	f.Add([]byte("LoadState=loaded\nActiveState=active\nSubState=running\n"))
	f.Add([]byte("LoadState=\n=\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, ok := ParseSystemctlShow(b)
		if !ok && u.Load != "" {
			t.Fatalf("load state %q without ok", u.Load)
		}
		_ = unitResult("x", u)
	})
}

func FuzzParseLaunchctlList(f *testing.F) {
	f.Add([]byte("{\n\t\"PID\" = 412;\n\t\"LastExitStatus\" = 0;\n};\n"))
	f.Add([]byte("\"PID\" = -5;"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if j := ParseLaunchctlList(b); j.PID < 0 {
			t.Fatalf("negative pid %d", j.PID)
		}
	})
}

func TestCheckSMART(t *testing.T) {
	dir := t.TempDir()
	td, _ := filepath.Abs("testdata")
	smartctl := script(t, dir, "smartctl", `case "$1 $*" in
--scan*) cat '`+td+`/smartctl_scan.json' ;;
*/dev/sda) cat '`+td+`/smartctl_health_passed.json' ;;
*/dev/nvme0) cat '`+td+`/smartctl_health_failed.json'; exit 8 ;;
*) cat '`+td+`/smartctl_health_unknown.json'; exit 2 ;;
esac
`)
	tests := []struct {
		name, disk string
		state      int
		output     string
	}{
		{"every disk", "", stateCritical, "SMART FAILED: nvme0; PASSED: sda; no SMART status (smartctl needs root): sdc"},
		{"one healthy disk", "sda", stateOK, "SMART PASSED: sda"},
		{"one failing disk by path", "/dev/nvme0", stateCritical, "SMART FAILED: nvme0"},
		{"no status", "sdc", stateUnknown, "SMART no SMART status (smartctl needs root): sdc"},
		{"no such disk", "sdz", stateUnknown, "smartctl found no disk sdz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, &Checker{Smartctl: smartctl}, agentproto.CheckSMART, agentproto.CheckParams{Disk: tt.disk})
			if res.State != tt.state || res.Output != tt.output {
				t.Fatalf("got %d %q, want %d %q", res.State, res.Output, tt.state, tt.output)
			}
		})
	}
	t.Run("no smartctl", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		res := run(t, &Checker{}, agentproto.CheckSMART, agentproto.CheckParams{})
		if res.State != stateUnknown || !strings.Contains(res.Output, "smartctl is not installed") {
			t.Fatalf("%+v", res)
		}
	})
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	c := &Checker{Commands: map[string][]string{
		"fine":     {"/bin/sh", "-c", `echo "OK - fine | x=1ms"; exit 0`},
		"disk":     {"/bin/sh", "-c", `echo "DISK CRITICAL - /srv 97% | /srv=97%;90;95 used=12GB"; echo "long text | extra=3"; exit 2`},
		"odd":      {"/bin/sh", "-c", `echo "strange"; exit 7`},
		"stderr":   {"/bin/sh", "-c", `echo "plugin: cannot read config" >&2; exit 3`},
		"slow":     {"/bin/sh", "-c", `sleep 30 & echo $! > ` + pidFile + `; wait`},
		"relative": {"sh", "-c", "exit 0"},
		"empty":    {},
		"missing":  {filepath.Join(dir, "nope")},
	}}
	tests := []struct {
		name, cmd string
		timeout   int
		state     int
		output    string
		perf      map[string]float64
	}{
		{"ok with perf data", "fine", 0, stateOK, "OK - fine", map[string]float64{"x": 0.001}},
		{"critical with long text", "disk", 0, stateCritical, "DISK CRITICAL - /srv 97%", map[string]float64{"/srv": 97, "used": 12 << 30, "extra": 3}},
		{"exit code out of range", "odd", 0, stateUnknown, "exit code 7: strange", nil},
		{"stderr when stdout is empty", "stderr", 0, stateUnknown, "plugin: cannot read config", nil},
		{"not in the allow-list", "rm -rf /", 0, stateUnknown, `command "rm -rf /" is not in this agent's allow-list`, nil},
		{"relative program", "relative", 0, stateUnknown, `command "relative" of the allow-list cannot run: "sh" is not an absolute path`, nil},
		{"empty entry", "empty", 0, stateUnknown, `command "empty" of the allow-list cannot run: empty command`, nil},
		{"program missing", "missing", 0, stateUnknown, `command "missing" could not start`, nil},
		{"timeout kills the process group", "slow", 1, stateUnknown, `command "slow" timed out after 1s`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := run(t, c, agentproto.CheckCommand, agentproto.CheckParams{Name: tt.cmd, Timeout: tt.timeout})
			if res.State != tt.state || !strings.HasPrefix(res.Output, tt.output) {
				t.Fatalf("got %d %q, want %d %q", res.State, res.Output, tt.state, tt.output)
			}
			for k, v := range tt.perf {
				if res.Perf[k] != v {
					t.Fatalf("perf %s = %v, want %v (all: %v)", k, res.Perf[k], v, res.Perf)
				}
			}
			if tt.timeout > 0 {
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("timed out after %s", d)
				}
				b, err := os.ReadFile(pidFile)
				if err != nil {
					t.Fatal(err)
				}
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				waitFor(t, "the plugin's child to be killed", func() bool {
					return pid > 0 && syscall.Kill(pid, 0) != nil
				})
			}
		})
	}
}

func TestCheckFileAge(t *testing.T) {
	now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	write := func(rel string, size int, age time.Duration) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	write("backups/2026-11-27/db.dump", 5000, 50*time.Hour)
	write("backups/2026-11-28/db.dump", 4000, 26*time.Hour)
	write("backups/2026-11-29/db.dump", 3000, 3*time.Hour)
	write("empty/.keep", 0, time.Hour)
	if err := os.Remove(filepath.Join(dir, "empty/.keep")); err != nil {
		t.Fatal(err)
	}
	newest := filepath.Join(dir, "backups/2026-11-29/db.dump")
	tests := []struct {
		name   string
		p      agentproto.CheckParams
		state  int
		output string
	}{
		{"fresh and big enough", agentproto.CheckParams{Path: dir + "/backups", MaxAgeHours: 25, MinBytes: 1000}, stateOK,
			"newest file " + newest + " is 3 h 0 min old, 2.9 KiB"},
		{"too old", agentproto.CheckParams{Path: dir + "/backups", MaxAgeHours: 2}, stateCritical,
			"newest file " + newest + " is 3 h 0 min old, 2.9 KiB: older than 2 h"},
		{"too small and too old", agentproto.CheckParams{Path: dir + "/backups", MaxAgeHours: 1.5, MinBytes: 3500}, stateCritical,
			"newest file " + newest + " is 3 h 0 min old, 2.9 KiB: older than 1.5 h and smaller than 3.4 KiB"},
		{"a file as the path", agentproto.CheckParams{Path: newest, MaxAgeHours: 4}, stateOK,
			"newest file " + newest + " is 3 h 0 min old, 2.9 KiB"},
		{"no file", agentproto.CheckParams{Path: dir + "/empty", MaxAgeHours: 4}, stateCritical, "no file under " + dir + "/empty"},
		{"missing path", agentproto.CheckParams{Path: dir + "/nope", MaxAgeHours: 4}, stateCritical, dir + "/nope does not exist"},
		{"relative path", agentproto.CheckParams{Path: "backups"}, stateUnknown, `path "backups" is not absolute`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Checker{Now: func() time.Time { return now }}
			res := run(t, c, agentproto.CheckFileAge, tt.p)
			if res.State != tt.state || res.Output != tt.output {
				t.Fatalf("got %d %q, want %d %q", res.State, res.Output, tt.state, tt.output)
			}
		})
	}
	t.Run("bounded walk", func(t *testing.T) {
		r := checkFileAge(context.Background(), agentproto.CheckParams{Path: dir}, now, 3)
		if !strings.HasSuffix(r.Output, "(stopped after 3 entries)") {
			t.Fatalf("%+v", r)
		}
	})
}

func TestNetworkChecks(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "Welcome to the intranet")
	}))
	defer web.Close()
	host, portStr, _ := net.SplitHostPort(web.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tests := []struct {
		name   string
		kind   string
		p      agentproto.CheckParams
		state  int
		prefix string
	}{
		{"tcp open", agentproto.CheckTCP, agentproto.CheckParams{Host: host, Port: port, Timeout: 2}, stateOK, "TCP " + host + ":" + portStr + " connected"},
		{"tcp refused", agentproto.CheckTCP, agentproto.CheckParams{Host: host, Port: closedPort, Timeout: 2}, stateCritical, "TCP "},
		{"http body", agentproto.CheckHTTP, agentproto.CheckParams{URL: web.URL, BodyContains: "Welcome", Timeout: 2}, stateOK, "HTTP 200"},
		{"http body missing", agentproto.CheckHTTP, agentproto.CheckParams{URL: web.URL, BodyContains: "Goodbye", Timeout: 2}, stateCritical, "HTTP 200"},
		{"invalid parameters", agentproto.CheckTCP, agentproto.CheckParams{Host: host}, stateUnknown, "invalid check parameters: "},
		{"unknown kind", "telepathy", agentproto.CheckParams{}, stateUnknown, `check kind "telepathy" is not run by this agent`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, &Checker{}, tt.kind, tt.p)
			if res.State != tt.state || !strings.HasPrefix(res.Output, tt.prefix) {
				t.Fatalf("got %d %q, want %d %q…", res.State, res.Output, tt.state, tt.prefix)
			}
		})
	}
}

func TestCheckRunner(t *testing.T) {
	r := &CheckRunner{
		Checker: &Checker{Commands: map[string][]string{"ok": {"/bin/sh", "-c", "echo OK"}}, History: NewHistory(time.Second)},
		Unit:    time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); r.Wait() }()
	cmd := agentproto.CheckSpec{ID: 1, Kind: agentproto.CheckCommand, Interval: 10, Params: agentproto.CheckParams{Name: "ok"}}
	r.Apply(ctx, []agentproto.CheckSpec{
		cmd,
		{ID: 2, Kind: agentproto.CheckHeartbeat, Interval: 10}, // the server's
		{ID: 3, Kind: agentproto.CheckBackupJob, Interval: 10}, // delivered by job run
	})
	var got []agentproto.CheckResult
	waitFor(t, "three results", func() bool {
		got = append(got, r.Take()...)
		return len(got) >= 3
	})
	for _, res := range got {
		if res.CheckID != 1 || res.State != stateOK || res.Output != "OK" {
			t.Fatalf("result %+v", res)
		}
	}
	// Replacing the set stops the old check and starts the new.
	r.Apply(ctx, []agentproto.CheckSpec{{ID: 4, Kind: agentproto.CheckCommand, Interval: 10, Params: agentproto.CheckParams{Name: "nope"}}})
	time.Sleep(30 * time.Millisecond)
	r.Take()
	got = nil
	waitFor(t, "results of the new set", func() bool {
		got = append(got, r.Take()...)
		return len(got) >= 2
	})
	for _, res := range got {
		if res.CheckID != 4 || res.State != stateUnknown {
			t.Fatalf("after replacement: %+v", res)
		}
	}
	// Results that could not be spooled come back first.
	r.Return([]agentproto.CheckResult{{CheckID: 99}})
	if first := r.Take(); len(first) == 0 || first[0].CheckID != 99 {
		t.Fatalf("returned results not first: %+v", first)
	}
}

func TestCheckRunnerSignalsStateChanges(t *testing.T) {
	r := &CheckRunner{Changed: make(chan struct{}, 1)}
	signalled := func() bool {
		select {
		case <-r.Changed:
			return true
		default:
			return false
		}
	}
	steps := []struct {
		id, state int
		want      bool
	}{
		{1, stateOK, false},      // a first OK is no news
		{1, stateOK, false},      // nor is the same state again
		{1, stateCritical, true}, // a change is
		{1, stateCritical, false},
		{1, stateOK, true},      // so is a recovery
		{2, stateWarning, true}, // a first problem is news
		{3, stateUnknown, true}, // an unknown too
		{2, stateWarning, false},
	}
	for i, s := range steps {
		r.add(agentproto.CheckResult{CheckID: int64(s.id), State: s.state})
		if got := signalled(); got != s.want {
			t.Fatalf("step %d (check %d state %d): signalled %v, want %v", i, s.id, s.state, got, s.want)
		}
	}
	if n := r.Pending(); n != len(steps) {
		t.Fatalf("%d results pending, want %d", n, len(steps))
	}
}

// A problem is re-run at the retry interval until the server can call it
// hard (MaxAttempts in a row), then at the check's interval again.
func TestCheckRunnerRetriesProblems(t *testing.T) {
	r := &CheckRunner{
		Checker: &Checker{Commands: map[string][]string{"down": {"/bin/sh", "-c", "echo CRITICAL - down; exit 2"}}},
		Unit:    time.Millisecond,
		Rand:    func(int64) int64 { return 0 },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); r.Wait() }()
	// An interval of 60 s (in ms units): without retries the second run
	// would come after waitFor gives up.
	r.Apply(ctx, []agentproto.CheckSpec{{ID: 1, Kind: agentproto.CheckCommand, Interval: 60000, RetryInterval: 20, MaxAttempts: 3,
		Params: agentproto.CheckParams{Name: "down"}}})
	var got []agentproto.CheckResult
	waitFor(t, "three attempts", func() bool {
		got = append(got, r.Take()...)
		return len(got) >= 3
	})
	// The fourth run waits for the interval, not the retry.
	time.Sleep(500 * time.Millisecond)
	got = append(got, r.Take()...)
	if len(got) != 3 {
		t.Fatalf("%d results, want 3 (MaxAttempts at the retry interval, then the interval)", len(got))
	}
	for _, res := range got {
		if res.State != stateCritical {
			t.Fatalf("result %+v", res)
		}
	}
}
