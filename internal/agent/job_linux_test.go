package agent

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agent/agenttest"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

func TestRunJob(t *testing.T) {
	clock := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(90 * time.Second); return clock }
	tests := []struct {
		name   string
		argv   []string
		tail   int
		stdin  string
		code   int
		output string // the whole tail
		stdout string // passed through
	}{
		{"failing backup", []string{"/bin/sh", "-c", "echo dumping; echo 'pg_dump: connection refused' >&2; exit 3"}, 4096, "", 3,
			"dumping\npg_dump: connection refused\n", "dumping\n"},
		{"success reads its input", []string{"/bin/sh", "-c", "read line; echo got $line"}, 4096, "secret-free input\n", 0,
			"got secret-free input\n", "got secret-free input\n"},
		{"only the end is kept", []string{"/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done"}, 20, "", 0,
			"7\nline 498\nline 499\n", ""},
		{"killed by a signal", []string{"/bin/sh", "-c", "kill -TERM $$"}, 4096, "", 128 + 15, "", ""},
		{"command not found", []string{"/no/such/backup"}, 4096, "", 127, "\nvigie-agent: cannot run /no/such/backup: fork/exec /no/such/backup: no such file or directory\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			run := RunJob(context.Background(), "nightly", tt.argv, tt.tail, JobIO{Stdin: strings.NewReader(tt.stdin), Stdout: &out, Stderr: &errOut}, now)
			if run.Name != "nightly" || run.ExitCode != tt.code || !sameLines(run.Output, tt.output) {
				t.Fatalf("got %+v, want code %d output %q", run, tt.code, tt.output)
			}
			if run.End.Sub(run.Start) != 90*time.Second {
				t.Fatalf("start %s end %s", run.Start, run.End)
			}
			if tt.stdout != "" && out.String() != tt.stdout {
				t.Fatalf("stdout passed through: %q", out.String())
			}
		})
	}
}

// sameLines compares outputs line by line in any order: standard output
// and error come through two pipes, whose writes may interleave either way.
func sameLines(a, b string) bool {
	la, lb := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}

func TestRunJobStopsWithWrapper(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	run := RunJob(ctx, "long", []string{"/bin/sleep", "30"}, 100, JobIO{}, nil)
	if run.ExitCode != 128+15 || time.Since(start) > 5*time.Second {
		t.Fatalf("job not stopped by SIGTERM: %+v after %s", run, time.Since(start))
	}
}

func TestTailBufferKeepsWholeRunes(t *testing.T) {
	b := &tailBuffer{n: 5}
	_, _ = b.Write([]byte("déjà vu é"))
	if got := b.String(); got != " vu é" && got != "vu é" {
		t.Fatalf("tail %q", got)
	}
	b = &tailBuffer{n: 3}
	_, _ = b.Write([]byte("ab"))
	_, _ = b.Write([]byte("é")) // 2 bytes: "bé" kept, 3 bytes
	if got := b.String(); got != "bé" {
		t.Fatalf("tail %q", got)
	}
}

func TestPendingJobs(t *testing.T) {
	state := t.TempDir()
	at := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	var files []string
	for i, name := range []string{"db", "files"} {
		f, err := SaveJobRun(state, agentproto.JobRun{Name: name, Start: at, End: at.Add(time.Duration(i+1) * time.Minute), ExitCode: i})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	bad := filepath.Join(state, JobsDir, "j-00000000000000000001-bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, JobsDir, ".tmp-half"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	var refused []string
	runs, got := PendingJobs(state, func(f string, err error) { refused = append(refused, f) })
	if len(runs) != 2 || runs[0].Name != "db" || runs[1].Name != "files" || runs[1].ExitCode != 1 {
		t.Fatalf("runs %+v", runs)
	}
	if len(got) != 2 || got[0] != files[0] || got[1] != files[1] {
		t.Fatalf("files %v, want %v", got, files)
	}
	if len(refused) != 1 || refused[0] != bad {
		t.Fatalf("refused %v", refused)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatal("a bad run file stays")
	}
	if err := removeJobFiles(got); err != nil {
		t.Fatal(err)
	}
	if runs, _ := PendingJobs(state, nil); len(runs) != 0 {
		t.Fatalf("after removal: %+v", runs)
	}
}

// TestAgentSendsResultsAndJobs runs the agent against the sink with a
// command check and a job run waiting in its state directory: both reach
// the server, and the job file is gone once spooled.
func TestAgentSendsResultsAndJobs(t *testing.T) {
	sink := agenttest.New("tok", "vga_secret")
	set := agentproto.DefaultSettings()
	set.MetricInterval, set.ReportInterval, set.InventoryInterval = 10, 20, 300
	set.Checks = []agentproto.CheckSpec{
		{ID: 11, Kind: agentproto.CheckCommand, Interval: 10, Params: agentproto.CheckParams{Name: "fine"}},
		{ID: 12, Kind: agentproto.CheckCommand, Interval: 10, Params: agentproto.CheckParams{Name: "rm"}},
	}
	sink.SetSettings(set)
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := &Config{Server: srv.URL, AgentID: 1, Secret: sink.Secret, Settings: set,
		Commands: map[string][]string{"fine": {"/bin/sh", "-c", `echo "OK - fine | x=1ms"`}}}
	cfgPath := filepath.Join(dir, "agent.json")
	if err := SaveConfig(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	at := time.Now().UTC().Add(-time.Hour)
	jobFile, err := SaveJobRun(state, agentproto.JobRun{Name: "nightly", Start: at, End: at.Add(time.Minute), ExitCode: 2, Output: "disk full"})
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{Config: cfg, ConfigPath: cfgPath, StateDir: state, Version: "test", Log: slog.New(slog.DiscardHandler), Unit: time.Millisecond,
		Inventory: func(context.Context, agentproto.Settings, bool) *agentproto.Inventory {
			return &agentproto.Inventory{Hostname: "h"}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var fine, refused bool
	var jobs []agentproto.JobRun
	waitFor(t, "results of both checks and the job run", func() bool {
		jobs = jobs[:0]
		for _, r := range sink.Reports() {
			for _, res := range r.Results {
				fine = fine || (res.CheckID == 11 && res.State == 0 && res.Output == "OK - fine" && res.Perf["x"] == 0.001)
				refused = refused || (res.CheckID == 12 && res.State == 3 && strings.Contains(res.Output, "not in this agent's allow-list"))
			}
			jobs = append(jobs, r.Jobs...)
		}
		return fine && refused && len(jobs) > 0
	})
	if len(jobs) != 1 || jobs[0].Name != "nightly" || jobs[0].ExitCode != 2 || jobs[0].Output != "disk full" {
		t.Fatalf("jobs %+v", jobs)
	}
	if _, err := os.Stat(jobFile); !os.IsNotExist(err) {
		t.Fatalf("job file still there: %v", err)
	}
}

// FuzzPendingJobs: a job run file holds anything (a crash, another
// program); the agent sends only well-formed runs and removes the rest.
func FuzzPendingJobs(f *testing.F) {
	f.Add([]byte(`{"name":"nightly","start":"2026-11-29T02:00:00Z","end":"2026-11-29T02:10:00Z","exit_code":3,"output":"disk full"}`))
	f.Add([]byte(`{"name":"","start":"2026-11-29T02:00:00Z"}`))
	f.Add([]byte("{\"name\":\"x\",\"start\":\"2026-11-29T02:00:00Z\",\"end\":\"2026-11-29T02:00:00Z\",\"output\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		state := t.TempDir()
		dir := filepath.Join(state, JobsDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "j-1.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		runs, files := PendingJobs(state, nil)
		if len(runs) != len(files) || len(runs) > 1 {
			t.Fatalf("%d runs, %d files", len(runs), len(files))
		}
		for _, r := range runs {
			if ValidJobName(r.Name) != nil || r.End.Before(r.Start) || len(r.Output) > agentproto.MaxCheckOutput || !utf8.ValidString(r.Output) {
				t.Fatalf("run %+v", r)
			}
		}
		if len(runs) == 0 {
			if _, err := os.Stat(filepath.Join(dir, "j-1.json")); !os.IsNotExist(err) {
				t.Fatal("a bad run file stays")
			}
		}
	})
}
