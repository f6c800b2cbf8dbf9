package asset_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
)

func inventory(host string, mem uint64, firefox, smart string) *agentproto.Inventory {
	return &agentproto.Inventory{
		Hostname: host, OS: "windows", Platform: "Microsoft Windows Server 2022 Standard", OSVersion: "10.0.20348", Kernel: "10.0.20348",
		Arch: "amd64", CPUModel: "Xeon", CPUCores: 4, CPUThreads: 8, MemoryBytes: mem, Manufacturer: "Dell", Model: "R650", Serial: "SRV123",
		Disks:       []agentproto.Disk{{Name: "sda", Bytes: 500 << 30, SMART: smart}},
		Filesystems: []agentproto.Filesystem{{Mount: "C:", Type: "NTFS", Bytes: 400 << 30, Used: 100 << 30}},
		Software:    []agentproto.Software{{Name: "Firefox", Version: firefox}},
	}
}

// samples counts the raw points the metric store holds for an asset.
func samples(t *testing.T, e *env, assetID int64, name string) int {
	t.Helper()
	raw := metric.Raw
	res, err := e.svc.Metrics(context.Background(), sys, metric.Query{AssetID: assetID, Name: name,
		From: e.clock.Now().Add(-time.Hour), To: e.clock.Now().Add(time.Hour), Resolution: &raw})
	must(t, err)
	n := 0
	for _, r := range res {
		n += len(r.Points)
	}
	return n
}

func TestReportExactlyOnce(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ag, _ := e.enroll(t, e.A.ID, "srv-01", "m-1")
		ms := e.clock.Now().UnixMilli()
		r := &agentproto.Report{Seq: 1, SettingsVersion: 1, AgentVersion: serverAgentVersion, Inventory: inventory("srv-01", 8<<30, "128.0", "PASSED"),
			Series: []agentproto.Series{{Name: agentproto.MetricCPU, T: []int64{ms - 60000, ms}, V: []float64{10, 20}}}}
		ack, err := e.svc.Report(ctx, ag, r)
		must(t, err)
		if ack.Duplicate || ack.Samples != 2 || ack.Seq != 1 || ack.SettingsVersion != 1 {
			t.Errorf("first ack = %+v", ack)
		}
		// The same batch again (the agent did not get the ack): acknowledged, not stored.
		ack, err = e.svc.Report(ctx, ag, r)
		must(t, err)
		if !ack.Duplicate || ack.Samples != 0 {
			t.Errorf("replayed ack = %+v", ack)
		}
		if n := samples(t, e, ag.AssetID, agentproto.MetricCPU); n != 2 {
			t.Errorf("%d CPU samples stored, want 2 (once)", n)
		}
		a, err := e.svc.Get(ctx, sys, ag.AssetID)
		must(t, err)
		// The first inventory tells a Windows Server: the kind follows.
		if a.Kind != asset.KindServer || a.OS != "windows" || a.Fields["serial"] != "SRV123" || a.Vitals == nil || a.Vitals.CPUPercent != 20 {
			t.Errorf("asset after report = %+v %+v", a, a.Vitals)
		}
		if a.Agent.LastSeq != 1 || a.Agent.Status != asset.StatusOnline || a.Agent.Version != serverAgentVersion {
			t.Errorf("agent after report = %+v", a.Agent)
		}

		// A refused report stores nothing and does not use up its Seq.
		future := &agentproto.Report{Seq: 2, SettingsVersion: 1, Series: []agentproto.Series{
			{Name: agentproto.MetricCPU, T: []int64{ms + 1000}, V: []float64{1}},
			{Name: agentproto.MetricMemory, T: []int64{ms + int64(time.Hour/time.Millisecond)}, V: []float64{1}},
		}}
		if _, err := e.svc.Report(ctx, ag, future); !errors.Is(err, asset.ErrReportInvalid) {
			t.Errorf("future samples: err = %v, want ErrReportInvalid", err)
		}
		if n := samples(t, e, ag.AssetID, agentproto.MetricCPU); n != 2 {
			t.Errorf("a refused report stored samples: %d", n)
		}
		// Old samples are dropped and counted; the rest is stored.
		old := &agentproto.Report{Seq: 2, SettingsVersion: 1, Series: []agentproto.Series{
			{Name: agentproto.MetricCPU, T: []int64{ms - int64(9*24*time.Hour/time.Millisecond), ms + 1000}, V: []float64{1, 30}},
		}}
		ack, err = e.svc.Report(ctx, ag, old)
		must(t, err)
		if ack.DroppedOld != 1 || ack.Samples != 1 || ack.Duplicate {
			t.Errorf("ack with an old sample = %+v", ack)
		}

		// An inventory change makes change rows; the hostname renames the
		// asset whose name was the hostname.
		e.clock.Add(time.Minute)
		r3 := &agentproto.Report{Seq: 3, SettingsVersion: 1, Inventory: inventory("srv-01b", 16<<30, "131.0", "FAILED")}
		_, err = e.svc.Report(ctx, ag, r3)
		must(t, err)
		cs, err := e.svc.Changes(ctx, e.adminA, asset.ChangeFilter{AssetID: ag.AssetID})
		must(t, err)
		want := map[string]string{"hostname": "srv-01 → srv-01b", "memory": "8 GiB → 16 GiB", "smart sda": "PASSED → FAILED", "software Firefox": "128.0 → 131.0"}
		got := map[string]string{}
		for _, c := range cs {
			k := c.Field
			if c.Item != "" {
				k += " " + c.Item
			}
			got[k] = c.Old + " → " + c.New
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("change %s = %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("changes = %v, want only %v", got, want)
		}
		a, err = e.svc.Get(ctx, sys, ag.AssetID)
		must(t, err)
		if a.Name != "srv-01b" || a.Hostname != "srv-01b" || a.Agent.Hostname != "srv-01b" {
			t.Errorf("name %q hostname %q after a hostname change", a.Name, a.Hostname)
		}
		inv, err := e.svc.Inventory(ctx, e.techA, ag.AssetID)
		must(t, err)
		if inv == nil || inv.MemoryBytes != 16<<30 {
			t.Errorf("inventory = %+v", inv)
		}
		if _, err := e.svc.Changes(ctx, sys, asset.ChangeFilter{AssetID: ag.AssetID, After: cs[len(cs)-1].ID}); err != nil {
			t.Error(err)
		}

		// A revoked agent is refused, even with a new Seq.
		must(t, e.svc.RevokeAgent(ctx, sys, ag.ID))
		if _, err := e.svc.Report(ctx, ag, &agentproto.Report{Seq: 10, SettingsVersion: 1}); !errors.Is(err, fault.ErrUnauthorized) {
			t.Errorf("revoked agent's report: err = %v, want ErrUnauthorized", err)
		}
		got2, _ := e.svc.Get(ctx, sys, ag.AssetID)
		if got2.Agent.LastSeq != 3 {
			t.Errorf("revoked agent's report moved LastSeq to %d", got2.Agent.LastSeq)
		}
	})
}

func TestValidateReport(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ms := now.UnixMilli()
	big := agentproto.Series{Name: "x", T: make([]int64, agentproto.MaxSamplesPerReport+1), V: make([]float64, agentproto.MaxSamplesPerReport+1)}
	for i := range big.T {
		big.T[i] = int64(i)
	}
	tests := []struct {
		name string
		r    *agentproto.Report
		want error
	}{
		{"ok", &agentproto.Report{Seq: 1, Series: []agentproto.Series{{Name: "cpu.percent", T: []int64{ms}, V: []float64{1}}}}, nil},
		{"seq 0", &agentproto.Report{}, asset.ErrReportInvalid},
		{"lengths differ", &agentproto.Report{Seq: 1, Series: []agentproto.Series{{Name: "x", T: []int64{ms}, V: nil}}}, asset.ErrReportInvalid},
		{"not increasing", &agentproto.Report{Seq: 1, Series: []agentproto.Series{{Name: "x", T: []int64{ms, ms}, V: []float64{1, 2}}}}, asset.ErrReportInvalid},
		{"NaN", &agentproto.Report{Seq: 1, Series: []agentproto.Series{{Name: "x", T: []int64{ms}, V: []float64{math.NaN()}}}}, asset.ErrReportInvalid},
		{"no name", &agentproto.Report{Seq: 1, Series: []agentproto.Series{{T: []int64{ms}, V: []float64{1}}}}, asset.ErrReportInvalid},
		{"future", &agentproto.Report{Seq: 1, Series: []agentproto.Series{{Name: "x", T: []int64{ms + 6*60000}, V: []float64{1}}}}, asset.ErrReportInvalid},
		{"too many samples", &agentproto.Report{Seq: 1, Series: []agentproto.Series{big}}, asset.ErrReportTooLarge},
		{"too many series", &agentproto.Report{Seq: 1, Series: make([]agentproto.Series, agentproto.MaxSeriesPerReport+1)}, asset.ErrReportTooLarge},
		{"huge software list", &agentproto.Report{Seq: 1, Inventory: &agentproto.Inventory{Software: make([]agentproto.Software, 20001)}}, asset.ErrReportInvalid},
		{"invalid utf-8", &agentproto.Report{Seq: 1, Inventory: &agentproto.Inventory{Hostname: "\xff"}}, asset.ErrReportInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := asset.ValidateReport(tt.r, now)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("ValidateReport = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVitalsOf(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ms := now.UnixMilli()
	v, ok := asset.VitalsOf([]agentproto.Series{
		{Name: agentproto.MetricCPU, T: []int64{ms - 1000, ms}, V: []float64{99, 7}},
		{Name: agentproto.MetricMemory, T: []int64{ms}, V: []float64{40}},
		{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": "/"}, T: []int64{ms}, V: []float64{30}},
		{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": "/var"}, T: []int64{ms}, V: []float64{92.5}},
		{Name: agentproto.MetricFSFree, Labels: map[string]string{"mount": "/var"}, T: []int64{ms}, V: []float64{3 << 30}},
		{Name: agentproto.MetricFSFree, Labels: map[string]string{"mount": "/"}, T: []int64{ms}, V: []float64{50 << 30}},
	}, now)
	if !ok || v.CPUPercent != 7 || v.MemoryPercent != 40 || v.FSMaxMount != "/var" || v.FSMaxPercent != 92.5 || v.FSMinFree != 3<<30 || !v.LowDisk() {
		t.Errorf("VitalsOf = %+v, %v", v, ok)
	}
	if _, ok := asset.VitalsOf([]agentproto.Series{{Name: agentproto.MetricLoad1, T: []int64{ms}, V: []float64{1}}}, now); ok {
		t.Error("vitals from a load average alone")
	}
	low := asset.Vitals{FSMaxMount: "/", FSMaxPercent: 50, FSMinFree: 512 << 20}
	if !low.LowDisk() {
		t.Error("512 MiB free is not low")
	}
}

// TestReportConcurrentReplays sends the same batch from several goroutines
// at once (an agent retrying while the first attempt is still in flight):
// its samples are stored once and every call is acknowledged.
func TestReportConcurrentReplays(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ag, _ := e.enroll(t, e.A.ID, "srv-01", "m-1")
		ms := e.clock.Now().UnixMilli()
		r := &agentproto.Report{Seq: 1, SettingsVersion: 1, Series: []agentproto.Series{{Name: agentproto.MetricCPU, T: []int64{ms - 1000, ms}, V: []float64{1, 2}}}}
		var wg sync.WaitGroup
		acks := make([]agentproto.Ack, 6)
		errs := make([]error, 6)
		for i := range acks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				acks[i], errs[i] = e.svc.Report(ctx, ag, r)
			}()
		}
		wg.Wait()
		stored := 0
		for i := range acks {
			if errs[i] != nil {
				t.Errorf("call %d: %v", i, errs[i])
			}
			if !acks[i].Duplicate {
				stored++
			}
		}
		if stored != 1 {
			t.Errorf("%d calls stored the batch, want 1", stored)
		}
		if n := samples(t, e, ag.AssetID, agentproto.MetricCPU); n != 2 {
			t.Errorf("%d samples stored, want 2", n)
		}
	})
}
