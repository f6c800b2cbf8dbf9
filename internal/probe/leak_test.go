package probe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
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

// TestNoLeak runs thousands of probes against loopback targets that answer,
// refuse or hang, and checks that goroutines and file descriptors come back
// to where they were.
func TestNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tsrv := quietTLSServer(mux)
	defer tsrv.Close()
	hang := hangServer(t)
	refused := refusedAddr(t)
	dnsAddr := dnsServer(t)
	h, p := hostPort(t, srv.Listener.Addr().String())
	_, hp := hostPort(t, hang)
	_, rp := hostPort(t, refused)
	short := 150 * time.Millisecond

	probes := []Probe{
		&HTTP{URL: srv.URL + "/", BodyContains: "ok", Timeout: short},
		&HTTP{URL: srv.URL + "/hang", Timeout: short},
		&HTTP{URL: "http://" + hang + "/", Timeout: short},
		&HTTP{URL: "http://" + refused + "/", Timeout: short},
		&HTTP{URL: tsrv.URL + "/", SkipVerify: true, Timeout: short},
		&HTTP{URL: tsrv.URL + "/", Timeout: short}, // unknown authority
		&TCP{Host: h, Port: p, Timeout: short},
		&TCP{Host: h, Port: hp, Timeout: short},
		&TCP{Host: h, Port: rp, Timeout: short},
		&TLSCert{Address: tsrv.Listener.Addr().String(), Timeout: short},
		&TLSCert{Address: hang, Timeout: short},
		&TLSCert{Address: refused, Timeout: short},
		&DNS{Name: "www.example.test", Server: dnsAddr, Expect: []string{"192.0.2.1"}, Timeout: short},
		&DNS{Name: "slow.test", Server: dnsAddr, Timeout: short},
	}
	// Warm up: the servers' own goroutines and the runtime's pools.
	for _, pr := range probes {
		pr.Run(context.Background())
	}
	settle()
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	const n = 2000
	work := make(chan Probe)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pr := range work {
				r := pr.Run(context.Background())
				if r.Duration > 5*time.Second { // bounded by the timeout, with a wide margin for a loaded machine
					t.Errorf("probe %T took %v", pr, r.Duration)
				}
			}
		}()
	}
	for i := range n {
		work <- probes[i%len(probes)]
	}
	close(work)
	wg.Wait()
	// The servers keep idle connections open: a probe that left one open
	// shows here, as it would against a real target.

	// Wait (bounded) for the servers to notice the closed connections.
	var g, fd int
	for range 40 {
		settle()
		g, fd = runtime.NumGoroutine(), openFDs(t)
		if g <= baseG && fd <= baseFD {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("after %d probes: %d goroutines (baseline %d), %d fds (baseline %d)\n%s", n, g, baseG, fd, baseFD, buf[:runtime.Stack(buf, true)])
}

func settle() {
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
}
