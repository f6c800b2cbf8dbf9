package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agent/agenttest"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// TestBinaryServerDownAndBack runs the real vigie-agent binary against a
// sink that goes away for a while: what the agent sampled meanwhile is
// spooled, then replayed in order once the sink is back, every sample
// exactly once. It takes about a minute (10 s is the shortest interval).
func TestBinaryServerDownAndBack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent for about a minute")
	}
	if os.Getenv("GOOS") != "" && os.Getenv("GOOS") != "linux" {
		t.Skip("cross-compiling")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigie-agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sink := agenttest.New("tok", "s3cret")
	set := agentproto.DefaultSettings()
	set.MetricInterval, set.ReportInterval = 10, 10
	sink.SetSettings(set)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) *http.Server {
		srv := &http.Server{Handler: sink}
		go func() { _ = srv.Serve(ln) }()
		return srv
	}
	srv := serve(ln)
	cfg, state := filepath.Join(dir, "agent.json"), filepath.Join(dir, "state")
	if out, err := exec.Command(bin, "enroll", "--server", "http://"+addr, "--token", "tok", "--config", cfg, "--state-dir", state).CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "--config", cfg)
	logf, _ := os.Create(filepath.Join(dir, "run.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "run.log"))
			t.Logf("agent log:\n%s", b)
		}
	})
	wait := func(what string, cond func() bool, d time.Duration) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	stored := func() int { n, _, _ := sink.Stats(); return n }
	spooled := func() int { m, _ := filepath.Glob(filepath.Join(state, "spool", "b-*")); return len(m) }

	wait("the first report", func() bool { return stored() >= 1 }, 30*time.Second)
	_ = srv.Close() // the server goes away
	before := stored()
	wait("two batches spooled", func() bool { return spooled() >= 2 }, 40*time.Second)
	ln, err = net.Listen("tcp", addr) // and comes back on the same address
	if err != nil {
		t.Fatal(err)
	}
	srv = serve(ln)
	defer srv.Close()
	wait("the spool replayed", func() bool { return stored() >= before+2 && spooled() == 0 }, 60*time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop on SIGINT")
	}

	// Every uptime sample once, ten seconds apart, in order: nothing lost
	// while the server was away, nothing doubled.
	var ts []int64
	var lastSeq uint64
	for _, r := range sink.Reports() {
		if r.Seq <= lastSeq {
			t.Fatalf("seq %d after %d", r.Seq, lastSeq)
		}
		lastSeq = r.Seq
		for _, s := range r.Series {
			if s.Name == agentproto.MetricUptime {
				ts = append(ts, s.T...)
			}
		}
	}
	if len(ts) < 4 || !slices.IsSorted(ts) {
		t.Fatalf("uptime samples at %v", ts)
	}
	for i := 1; i < len(ts); i++ {
		if gap := ts[i] - ts[i-1]; gap < 9000 || gap > 11000 {
			t.Fatalf("samples %d and %d are %d ms apart: lost or doubled (%v)", i-1, i, gap, ts)
		}
	}
}
