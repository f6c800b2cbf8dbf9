//go:build unix

package probe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHTTP measures the CPU of one HTTP probe against a loopback server
// (request on a fresh connection, status and body check).
func BenchmarkHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>ok</body></html>")
	}))
	defer srv.Close()
	p := &HTTP{URL: srv.URL + "/", BodyContains: "ok"}
	if err := p.Validate(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	before := cpuTime()
	for b.Loop() {
		if r := p.Run(ctx); r.State != OK {
			b.Fatal(r.Output)
		}
	}
	// CPU of the whole process (probe and loopback server together), an
	// upper bound of the probe's own, per probe.
	b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
