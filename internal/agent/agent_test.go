package agent

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agent/agenttest"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// startAgent runs an agent whose "second" lasts a millisecond against sink.
func startAgent(t *testing.T, sink *agenttest.Sink, inv func() *agentproto.Inventory) (*Agent, context.CancelFunc, chan error) {
	t.Helper()
	set := agentproto.DefaultSettings()
	set.MetricInterval, set.ReportInterval, set.InventoryInterval = 10, 30, 300
	return startAgentWith(t, sink, inv, set)
}

func startAgentWith(t *testing.T, sink *agenttest.Sink, inv func() *agentproto.Inventory, set agentproto.Settings) (*Agent, context.CancelFunc, chan error) {
	t.Helper()
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := &Config{Server: srv.URL, AgentID: 1, Secret: sink.Secret, Settings: set}
	cfgPath := filepath.Join(dir, "agent.json")
	if err := SaveConfig(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	a := &Agent{
		Config: cfg, ConfigPath: cfgPath, StateDir: filepath.Join(dir, "state"), Version: "test",
		Log: slog.New(slog.DiscardHandler), Unit: time.Millisecond,
		Inventory: func(context.Context, agentproto.Settings, bool) *agentproto.Inventory { return inv() },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return a, cancel, done
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAgentReportsMetricsAndInventoryOnce(t *testing.T) {
	sink := agenttest.New("tok", "s3cret")
	var collected atomic.Int32
	inv := func() *agentproto.Inventory {
		collected.Add(1)
		return &agentproto.Inventory{Collected: time.Now(), Hostname: "pc-01", OS: "linux", MemoryBytes: 8 << 30}
	}
	_, _, _ = startAgent(t, sink, inv)
	// Several inventory intervals: the same inventory is sent once.
	waitFor(t, "three inventories", func() bool { return collected.Load() >= 3 })
	waitFor(t, "a report after them", func() bool { n, _, _ := sink.Stats(); return n >= 15 })
	reports := sink.Reports()
	invs := 0
	names := map[string]bool{}
	for i, r := range reports {
		if i > 0 && r.Seq != reports[i-1].Seq+1 {
			t.Fatalf("report %d has seq %d after %d", i, r.Seq, reports[i-1].Seq)
		}
		if r.Inventory != nil {
			invs++
		}
		for _, s := range r.Series {
			names[s.Name] = true
			if len(s.T) != len(s.V) || !slices.IsSorted(s.T) {
				t.Fatalf("series %s malformed: %v %v", s.Name, s.T, s.V)
			}
		}
	}
	if invs != 1 {
		t.Errorf("inventory sent %d times, want once", invs)
	}
	want := []string{agentproto.MetricCPU, agentproto.MetricMemory, agentproto.MetricProcesses, agentproto.MetricUptime,
		agentproto.MetricAgentRSS, agentproto.MetricAgentSpool}
	if runtime.GOOS != "windows" {
		want = append(want, agentproto.MetricLoad1)
	}
	for _, n := range want {
		if !names[n] {
			t.Errorf("metric %s never sent (got %v)", n, names)
		}
	}
}

func TestAgentInventoryChangeSentAgain(t *testing.T) {
	sink := agenttest.New("tok", "s3cret")
	var mem atomic.Uint64
	mem.Store(8 << 30)
	inv := func() *agentproto.Inventory {
		return &agentproto.Inventory{Collected: time.Now(), Hostname: "pc-01", MemoryBytes: mem.Load()}
	}
	_, _, _ = startAgent(t, sink, inv)
	waitFor(t, "the first inventory", func() bool { return countInventories(sink) == 1 })
	mem.Store(16 << 30)
	waitFor(t, "the changed inventory", func() bool { return countInventories(sink) == 2 })
	rs := sink.Reports()
	var last *agentproto.Inventory
	for _, r := range rs {
		if r.Inventory != nil {
			last = r.Inventory
		}
	}
	if last.MemoryBytes != 16<<30 {
		t.Fatalf("last inventory says %d bytes of memory", last.MemoryBytes)
	}
}

func countInventories(s *agenttest.Sink) int {
	n := 0
	for _, r := range s.Reports() {
		if r.Inventory != nil {
			n++
		}
	}
	return n
}

func TestAgentAppliesNewSettings(t *testing.T) {
	sink := agenttest.New("tok", "s3cret")
	var collected atomic.Int32
	start := agentproto.DefaultSettings()
	start.MetricInterval, start.ReportInterval, start.InventoryInterval = 10, 30, 100_000 // one inventory, at start
	a, _, _ := startAgentWith(t, sink, func() *agentproto.Inventory { collected.Add(1); return &agentproto.Inventory{Hostname: "h"} }, start)
	waitFor(t, "a report", func() bool { n, _, _ := sink.Stats(); return n >= 1 })
	set := agentproto.DefaultSettings()
	set.Version, set.MetricInterval, set.ReportInterval = 2, 20, 40
	set.InventoryInterval = 100_000 // longer than the test: only a nudge collects
	set.Collectors = map[string]bool{agentproto.CollectorSoftware: false}
	before := collected.Load()
	sink.SetSettings(set)
	waitFor(t, "settings v2 applied", func() bool { return a.currentSettings().Version == 2 })
	if got := a.currentSettings(); got.MetricInterval != 20 || got.ReportInterval != 40 {
		t.Fatalf("settings %+v", got)
	}
	waitFor(t, "a report under v2", func() bool {
		rs := sink.Reports()
		return rs[len(rs)-1].SettingsVersion == 2
	})
	// A collector turned off: the inventory is collected again at once.
	waitFor(t, "an inventory under the new settings", func() bool { return collected.Load() > before })
	saved, err := LoadConfig(a.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Settings.Version != 2 || saved.Secret != "s3cret" {
		t.Fatalf("saved config: settings v%d, secret kept %v", saved.Settings.Version, saved.Secret == "s3cret")
	}
}

func TestAgentRevokedKeepsSpooling(t *testing.T) {
	sink := agenttest.New("tok", "s3cret")
	a, cancel, done := startAgent(t, sink, func() *agentproto.Inventory { return &agentproto.Inventory{Hostname: "h"} })
	waitFor(t, "a report", func() bool { n, _, _ := sink.Stats(); return n >= 1 })
	sink.Revoke()
	before, _, _ := sink.Stats()
	spoolDir := filepath.Join(a.StateDir, "spool")
	waitFor(t, "batches spooled", func() bool { n, _ := spoolCount(spoolDir); return n >= 3 })
	cancel()
	<-done
	done <- nil // for the cleanup
	after, _, _ := sink.Stats()
	if after > before+1 { // at most the one in flight
		t.Fatalf("%d reports stored after revocation", after-before)
	}
}

func spoolCount(dir string) (int, error) {
	m, err := filepath.Glob(filepath.Join(dir, "b-*"))
	return len(m), err
}

func TestAgentOverBudgetSkipsSoftware(t *testing.T) {
	sink := agenttest.New("tok", "s3cret")
	var calls, withSW atomic.Int32
	inv := func(sw bool) *agentproto.Inventory {
		calls.Add(1)
		i := &agentproto.Inventory{Hostname: "h"}
		if sw {
			withSW.Add(1)
			i.Software = []agentproto.Software{{Name: "firefox", Version: "131"}}
		}
		return i
	}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	set := agentproto.DefaultSettings()
	set.MetricInterval, set.ReportInterval, set.InventoryInterval = 10, 10, 300
	a := &Agent{
		Config: &Config{Server: srv.URL, Secret: sink.Secret, Settings: set}, StateDir: t.TempDir(), Version: "test",
		Log: slog.New(slog.DiscardHandler), Unit: time.Millisecond,
		Budget:    Budget{RSSBytes: 1, CPUPercent: 100}, // any RSS is over
		Inventory: func(_ context.Context, _ agentproto.Settings, sw bool) *agentproto.Inventory { return inv(sw) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(t, "inventories", func() bool { return calls.Load() >= 4 })
	cancel()
	<-done
	if withSW.Load() > 1 { // only the one at start, before the first measure
		t.Fatalf("software listed %d times of %d while over budget", withSW.Load(), calls.Load())
	}
	// What was sent still lists the software: skipped is not removed.
	for _, r := range sink.Reports() {
		if r.Inventory != nil && len(r.Inventory.Software) != 1 {
			t.Fatalf("inventory sent without its software: %+v", r.Inventory)
		}
	}
}
