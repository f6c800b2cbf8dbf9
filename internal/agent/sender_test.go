package agent

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agent/spool"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// sink is a fake agent API that stores each Seq once, as the server does:
// it keeps the highest Seq stored and takes anything at or below it for a
// duplicate.
type sink struct {
	mu       sync.Mutex
	stored   map[uint64]agentproto.Report
	order    []uint64 // seqs as stored
	lastSeq  uint64
	requests int
	dropped  uint64
	// fail answers the i-th request (from 0) with a status instead of
	// storing; 0 means store. lostAck stores, then answers 500.
	fail     func(i int, r *agentproto.Report) (status int, lostAck bool)
	settings agentproto.Settings
}

func newSink(t *testing.T, fail func(int, *agentproto.Report) (int, bool)) (*sink, *httptest.Server) {
	t.Helper()
	s := &sink{stored: map[uint64]agentproto.Report{}, fail: fail, settings: agentproto.DefaultSettings()}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *sink) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	problem := func(status int, code string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(agentproto.Problem{Title: http.StatusText(status), Status: status, Code: code})
	}
	if req.Header.Get("Authorization") != "Bearer s3cret" {
		problem(401, agentproto.CodeUnauthorized)
		return
	}
	if req.URL.Path == agentproto.PathSettings {
		_ = json.NewEncoder(w).Encode(s.settings)
		return
	}
	zr, err := gzip.NewReader(req.Body)
	if err != nil {
		problem(400, agentproto.CodeInvalid)
		return
	}
	var r agentproto.Report
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		problem(400, agentproto.CodeInvalid)
		return
	}
	i := s.requests
	s.requests++
	status, lostAck := 0, false
	if s.fail != nil {
		status, lostAck = s.fail(i, &r)
	}
	if status != 0 && !lostAck {
		code := ""
		switch status {
		case 413:
			code = agentproto.CodeTooLarge
		case 400:
			code = agentproto.CodeInvalid
		case 429:
			w.Header().Set("Retry-After", "7")
			code = agentproto.CodeRateLimited
		}
		problem(status, code)
		return
	}
	dup := r.Seq <= s.lastSeq
	if !dup {
		s.stored[r.Seq] = r
		s.order = append(s.order, r.Seq)
		s.lastSeq = r.Seq
		s.dropped += r.Dropped
	}
	if lostAck {
		problem(500, "")
		return
	}
	_ = json.NewEncoder(w).Encode(agentproto.Ack{Seq: r.Seq, Duplicate: dup, SettingsVersion: s.settings.Version})
}

// samples counts each (series, t) the sink stored.
func (s *sink) samples() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := map[string]int{}
	for _, r := range s.stored {
		for _, se := range r.Series {
			for _, t := range se.T {
				got[fmt.Sprintf("%s%v@%d", se.Name, se.Labels, t)]++
			}
		}
	}
	return got
}

type testSender struct {
	*Sender
	waits []time.Duration
	want  map[string]int
}

func newTestSender(t *testing.T, url string, batches, seriesPer int) *testSender {
	t.Helper()
	sp, err := spool.Open(t.TempDir(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testSender{want: map[string]int{}}
	for b := range batches {
		r := &agentproto.Report{}
		for i := range seriesPer {
			se := agentproto.Series{Name: "fs.used_percent", Labels: map[string]string{"mount": fmt.Sprintf("/m%d", i)}, T: []int64{int64(b * 10), int64(b*10 + 5)}, V: []float64{1, 2}}
			r.Series = append(r.Series, se)
			for _, t := range se.T {
				ts.want[fmt.Sprintf("%s%v@%d", se.Name, se.Labels, t)] = 1
			}
		}
		if _, err := sp.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	ts.Sender = &Sender{
		Spool:  sp,
		Client: NewClient(url, "s3cret", "test"),
		Log:    slog.New(slog.DiscardHandler),
		Wake:   make(chan struct{}, 1),
		Sleep: func(ctx context.Context, d time.Duration) error {
			ts.waits = append(ts.waits, d)
			return ctx.Err()
		},
		Rand: func(n int64) int64 { return n - 1 }, // the ceiling, to check the growth
	}
	return ts
}

// run sends until the spool is empty (or the sender returns).
func (ts *testSender) run(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ts.OnAck = func(context.Context, agentproto.Ack) {
		if ts.Spool.Len() == 0 {
			cancel()
		}
	}
	err := ts.Run(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("sender did not drain the spool")
	}
	return err
}

// checkOrder checks that the batches were stored in the order they were
// made: each series' samples come in increasing time.
func checkOrder(t *testing.T, s *sink) {
	t.Helper()
	last := map[string]int64{}
	for _, seq := range s.order {
		for _, se := range s.stored[seq].Series {
			k := fmt.Sprint(se.Name, se.Labels)
			if l, ok := last[k]; ok && se.T[0] <= l {
				t.Fatalf("batch %d: series %s goes back in time (%d after %d)", seq, k, se.T[0], l)
			}
			last[k] = se.T[len(se.T)-1]
		}
	}
}

func checkExactlyOnce(t *testing.T, s *sink, want map[string]int) {
	t.Helper()
	got := s.samples()
	for k := range want {
		if got[k] != 1 {
			t.Errorf("sample %s stored %d times, want once", k, got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("stored %d distinct samples, want %d", len(got), len(want))
	}
}

func TestSenderRetriesUntilServerBack(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(i int, r *agentproto.Report) (int, bool)
		wantWaits []time.Duration
	}{
		{
			name: "503 four times",
			fail: func(i int, _ *agentproto.Report) (int, bool) {
				if i < 4 {
					return 503, false
				}
				return 0, false
			},
			// Full jitter at its ceiling: 1 s, 2 s, 4 s, 8 s.
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
		},
		{
			name: "acks lost after commit",
			fail: func(i int, _ *agentproto.Report) (int, bool) {
				if i%2 == 0 {
					return 500, true // stored, then the ack is lost
				}
				return 0, false
			},
		},
		{
			name: "rate limited with Retry-After",
			fail: func(i int, _ *agentproto.Report) (int, bool) {
				if i == 1 {
					return 429, false
				}
				return 0, false
			},
			wantWaits: []time.Duration{7 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := newSink(t, tt.fail)
			ts := newTestSender(t, srv.URL, 5, 3)
			if err := ts.run(t); !errors.Is(err, context.Canceled) {
				t.Fatalf("run: %v", err)
			}
			checkExactlyOnce(t, s, ts.want)
			if tt.wantWaits != nil && fmt.Sprint(ts.waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", ts.waits, tt.wantWaits)
			}
			checkOrder(t, s)
		})
	}
}

func TestSenderBackoffCapped(t *testing.T) {
	_, srv := newSink(t, func(i int, _ *agentproto.Report) (int, bool) {
		if i < 15 {
			return 502, false
		}
		return 0, false
	})
	ts := newTestSender(t, srv.URL, 1, 1)
	if err := ts.run(t); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if last := ts.waits[len(ts.waits)-1]; last != 5*time.Minute {
		t.Fatalf("last wait %v, want the 5 min cap", last)
	}
}

func TestSenderNetworkDown(t *testing.T) {
	s, srv := newSink(t, nil)
	ts := newTestSender(t, "http://127.0.0.1:1", 3, 2) // nothing listens
	tries := 0
	ts.Sleep = func(ctx context.Context, d time.Duration) error {
		tries++
		if tries == 3 {
			ts.Client.Server = srv.URL // the server comes back
		}
		return ctx.Err()
	}
	if err := ts.run(t); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	checkExactlyOnce(t, s, ts.want)
}

func TestSenderSplitsTooLarge(t *testing.T) {
	s, srv := newSink(t, func(_ int, r *agentproto.Report) (int, bool) {
		if len(r.Series) > 2 {
			return 413, false
		}
		return 0, false
	})
	ts := newTestSender(t, srv.URL, 2, 7)
	if err := ts.run(t); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	checkExactlyOnce(t, s, ts.want)
	checkOrder(t, s)
	for seq, r := range s.stored {
		if len(r.Series) > 2 {
			t.Errorf("batch %d stored with %d series", seq, len(r.Series))
		}
	}
}

func TestSenderDropsInvalid(t *testing.T) {
	s, srv := newSink(t, func(i int, r *agentproto.Report) (int, bool) {
		if i == 1 { // the second batch
			return 422, false
		}
		return 0, false
	})
	ts := newTestSender(t, srv.URL, 3, 1)
	lost := 0
	ts.OnLost = func() { lost++ }
	if err := ts.run(t); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if len(s.stored) != 2 {
		t.Fatalf("stored %d batches, want 2", len(s.stored))
	}
	// The drop is told to the server with the next batch.
	if s.dropped != 1 || ts.Spool.Dropped() != 0 {
		t.Fatalf("server told of %d dropped, %d still pending; want 1, 0", s.dropped, ts.Spool.Dropped())
	}
}

func TestSenderStopsWhenRevoked(t *testing.T) {
	s, srv := newSink(t, nil)
	ts := newTestSender(t, srv.URL, 3, 1)
	ts.Client.Secret = "revoked"
	if err := ts.run(t); !errors.Is(err, ErrRevoked) {
		t.Fatalf("run: %v, want ErrRevoked", err)
	}
	if s.requests != 0 || len(s.stored) != 0 {
		t.Fatalf("server stored %d", len(s.stored))
	}
	if ts.Spool.Len() != 3 {
		t.Fatalf("spool holds %d batches, want all 3 kept", ts.Spool.Len())
	}
}

func TestSenderRetriesAfterRefusedSecret(t *testing.T) {
	s, srv := newSink(t, nil)
	ts := newTestSender(t, srv.URL, 3, 1)
	ts.Client.Secret = "revoked"
	ts.RevokedRetry = time.Hour
	var waits []time.Duration
	ts.Sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		// The administrator restores the agent while it waits.
		ts.Client.Secret = "s3cret"
		return ctx.Err()
	}
	if err := ts.run(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want the spool drained", err)
	}
	if len(waits) != 1 || waits[0] != time.Hour {
		t.Errorf("waits %v, want one of RevokedRetry", waits)
	}
	if len(s.stored) != 3 {
		t.Errorf("stored %d batches after the secret was accepted again, want 3", len(s.stored))
	}
}
