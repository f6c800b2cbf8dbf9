package supervision

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
)

// openFDs counts the process's open file descriptors (Linux).
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(ents)
}

// hangTarget accepts connections and never answers; Close closes them all.
type hangTarget struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

func newHangTarget(t *testing.T) *hangTarget {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangTarget{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	return h
}

func (h *hangTarget) Close() {
	h.ln.Close()
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
}

// acceptTarget accepts TCP connections and closes them at once.
func acceptTarget(t *testing.T) (net.Listener, chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, done
}

// TestEngineNoLeak runs 10,000 checks (HTTP and TCP against loopback
// targets that answer, refuse and hang) for a few cycles at short
// intervals, stops the engine, and checks that goroutines and file
// descriptors come back to where they were.
func TestEngineNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	settle := func(want int) int {
		var n int
		for range 200 {
			runtime.GC()
			if n = runtime.NumGoroutine(); n <= want {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
		return n
	}
	baseG, baseFD := settle(0), openFDs(t)

	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	tcpLn, tcpDone := acceptTarget(t)
	hangWeb, hangTCP := newHangTarget(t), newHangTarget(t)
	// The never-accepting listener: once its backlog is full, connects hang.
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	port := func(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }

	store := newMemStore()
	const n = 10_000
	for i := int64(1); i <= n; i++ {
		store.assets[i] = AssetRef{ID: i, ClientID: 1 + i%50}
		c := Check{ID: i, ClientID: 1 + i%50, AssetID: i, Enabled: true, Rules: Rules{Interval: 4, RetryInterval: 2, MaxAttempts: 2}}
		c.Params.Timeout = 1
		switch m := i % 100; {
		case m < 35:
			c.Kind, c.Params.URL = KindHTTP, web.URL+"/"
		case m < 70:
			c.Kind, c.Params.Host, c.Params.Port = KindTCP, "127.0.0.1", port(tcpLn)
		case m < 80:
			c.Kind, c.Params.URL = KindHTTP, "http://127.0.0.1:"+strconv.Itoa(refused)+"/"
		case m < 90:
			c.Kind, c.Params.Host, c.Params.Port = KindTCP, "127.0.0.1", refused
		case m < 92:
			c.Kind, c.Params.URL = KindHTTP, "http://"+hangWeb.ln.Addr().String()+"/"
		case m < 94:
			c.Kind, c.Params.Host, c.Params.Port = KindTCP, "127.0.0.1", port(stuck)
		case m < 96:
			c.Kind, c.Params.Host, c.Params.Port = KindTCP, "127.0.0.1", port(hangTCP.ln)
		default:
			c.Kind, c.Params.URL = KindHTTP, web.URL+"/missing-body"
			c.Params.BodyContains = "absent"
		}
		store.checks[i] = c
	}
	alerts := &recorder{}
	e := NewEngine(store, EngineOptions{Alerter: alerts})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	time.Sleep(9 * time.Second)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	s := e.Stats()
	t.Logf("runs %d, missed %d, drift p50 %v p99 %v max %v, batches %d (last %v)", s.Runs, s.Missed, s.DriftP50, s.DriftP99, s.DriftMax, s.Batches, s.LastWrite)
	if s.Running != 0 {
		t.Errorf("%d runs still counted as running", s.Running)
	}
	if raceEnabled {
		t.Log("race detector: too slow for the throughput figures, leaks only")
	} else if s.Runs < 2*n {
		t.Errorf("runs %d (want at least %d), running %d", s.Runs, 2*n, s.Running)
	}
	never := 0
	counts := map[check.State]int{}
	store.mu.Lock()
	for i := int64(1); i <= n; i++ {
		st, ok := store.statuses[i]
		if !ok || st.LastCheck.IsZero() {
			never++
			continue
		}
		counts[st.State]++
	}
	store.mu.Unlock()
	if !raceEnabled && (never != 0 || counts[check.OK] < n*6/10 || counts[check.Critical] < n/4) {
		t.Errorf("states written at shutdown: %v, never run %d", counts, never)
	}
	if len(alerts.take()) == 0 {
		t.Error("no notice for the failing targets")
	}

	web.Close()
	tcpLn.Close()
	<-tcpDone
	hangWeb.Close()
	hangTCP.Close()
	stuck.Close()
	if g := settle(baseG); g > baseG {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d after, %d before\n%s", g, baseG, buf[:runtime.Stack(buf, true)])
	}
	var fds int
	for range 100 {
		if fds = openFDs(t); fds <= baseFD {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fds > baseFD {
		t.Errorf("file descriptors: %d after, %d before", fds, baseFD)
	}
}
