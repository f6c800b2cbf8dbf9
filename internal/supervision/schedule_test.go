package supervision

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
)

func TestFirstRunsSpreadOverTheInterval(t *testing.T) {
	store := newMemStore()
	const n = 6000
	for i := int64(1); i <= n; i++ {
		store.addCheck(Check{ID: i, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindTCP, Params: Params{Host: "127.0.0.1", Port: 9}, Interval: 60}})
	}
	// Check n+1 ran 20 s ago: its next run stays 40 s ahead.
	store.addCheck(Check{ID: n + 1, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindTCP, Params: Params{Host: "127.0.0.1", Port: 9}, Interval: 60}})
	store.statuses[n+1] = Status{CheckID: n + 1, Status: check.Status{LastCheck: t0.Add(-20 * time.Second)}}
	// Check n+2 ran an hour ago (the server was down): spread like the others.
	store.addCheck(Check{ID: n + 2, ClientID: 1, AssetID: 1, Enabled: true, Rules: Rules{Kind: KindTCP, Params: Params{Host: "127.0.0.1", Port: 9}, Interval: 60}})
	store.statuses[n+2] = Status{CheckID: n + 2, Status: check.Status{LastCheck: t0.Add(-time.Hour)}}

	e := NewEngine(store, EngineOptions{Now: func() time.Time { return t0 }})
	if err := e.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var perSecond [60]int
	for i := int64(1); i <= n+2; i++ {
		en := e.entries[i]
		d := en.next.Sub(t0)
		if d < 0 || d >= time.Minute {
			t.Fatalf("check %d first runs at +%v", i, d)
		}
		if i == n+1 && d != 40*time.Second {
			t.Fatalf("a check run 20 s ago runs at +%v, want +40s", d)
		}
		perSecond[int(d/time.Second)]++
	}
	// 100 per second on average: no second gets a herd.
	if mx := slices.Max(perSecond[:]); mx > 160 {
		t.Fatalf("first runs bunch up: %d in one second (%v)", mx, perSecond)
	}
	if len(e.sched) != n+2 {
		t.Fatalf("%d scheduled, want %d", len(e.sched), n+2)
	}
	// The heap hands them out in order.
	last := time.Time{}
	for len(e.sched) > 0 {
		en := e.sched.pop()
		if en.next.Before(last) {
			t.Fatal("heap out of order")
		}
		last = en.next
	}
}

func TestHeapRemoveAndFix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h runHeap
	var all []*entry
	for i := range 500 {
		en := &entry{index: -1, next: t0.Add(time.Duration(r.IntN(100000)) * time.Millisecond)}
		en.check.ID = int64(i)
		h.push(en)
		all = append(all, en)
	}
	for i := 0; i < 500; i += 3 {
		h.remove(all[i])
		h.remove(all[i]) // twice is harmless
	}
	for i := 1; i < 500; i += 3 {
		all[i].next = t0.Add(time.Duration(r.IntN(100000)) * time.Millisecond)
		h.fix(all[i])
	}
	var got []time.Time
	for len(h) > 0 {
		got = append(got, h.pop().next)
	}
	if want := 500 - 167; len(got) != want {
		t.Fatalf("%d left, want %d", len(got), want)
	}
	if !slices.IsSortedFunc(got, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Fatal("heap out of order after removals and fixes")
	}
}

func TestDriftHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.07 {
			t.Errorf("p%v = %v, want %v (within 7 %% above)", tc.q*100, got, tc.want)
		}
	}
	if h.max != time.Second {
		t.Errorf("max %v", h.max)
	}
	var empty histogram
	if empty.quantile(0.99) != 0 {
		t.Error("empty histogram")
	}
	h.add(-time.Second) // a clock going back counts as no drift
	h.add(1000 * time.Hour)
	if h.max != 1000*time.Hour || h.quantile(1) != 1000*time.Hour {
		t.Errorf("large drift: max %v, p100 %v", h.max, h.quantile(1))
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		12 * time.Second: "12 s", 119 * time.Second: "119 s", 3 * time.Minute: "3 min",
		245 * time.Second: "4 min 5 s", 3*time.Hour + 10*time.Minute: "3 h 10 min", 50 * time.Hour: "2 d 2 h",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}
