package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.99, 0},
		{"one sample", ms(7), 0.5, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p90 of 1..100", ms(hundred...), 0.90, 90 * time.Millisecond},
		{"max", ms(hundred...), 1, 100 * time.Millisecond},
		{"tiny q is the minimum", ms(3, 4, 5), 0.0001, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.q); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.in, tt.q, got, tt.want)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	tests := []struct {
		name string
		in   []float64
		want string
	}{
		{"none", nil, "-"},
		{"one", []float64{5}, "5"},
		{"odd count: middle value", []float64{9, 1, 5}, "5 [1–9]"},
		{"even count: mean of the middle two", []float64{1, 2, 4, 10}, "3 [1–10]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spread(tt.in, f); got != tt.want {
				t.Errorf("spread(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDrive(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		wantOK     int
		wantFailed int
	}{
		{"every request answered", http.StatusOK, 150, 0},
		{"every request refused", http.StatusServiceUnavailable, 0, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got atomic.Int64
			var badAuth atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.Add(1)
				if r.Header.Get("Authorization") != "Bearer vgt_secret" {
					badAuth.Add(1)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"items":[]}`))
			}))
			defer srv.Close()
			r := drive(context.Background(), srv.Client(), srv.URL+"/api/v1/clients", "vgt_secret", 3000, 150, 4)
			if r.ok != tt.wantOK || r.failed != tt.wantFailed || r.sent != 150 {
				t.Errorf("sent %d, ok %d, failed %d; want 150, %d, %d", r.sent, r.ok, r.failed, tt.wantOK, tt.wantFailed)
			}
			if got.Load() != 150 || badAuth.Load() != 0 {
				t.Errorf("server saw %d requests (%d without the token), want 150 (0)", got.Load(), badAuth.Load())
			}
			if len(r.service) != 150 || len(r.total) != 150 {
				t.Fatalf("%d/%d latency samples, want 150", len(r.service), len(r.total))
			}
			for i := range r.total {
				// Time from schedule includes the time from send.
				if r.service[i] <= 0 || (i > 0 && r.total[i] < r.total[i-1]) {
					t.Fatalf("latencies not positive and sorted: %v", r.total)
				}
			}
			if tt.wantFailed > 0 && r.statuses[tt.status] != tt.wantFailed {
				t.Errorf("statuses %v, want %d × %d", r.statuses, tt.wantFailed, tt.status)
			}
		})
	}
}

func TestDriveStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// 10 requests a second for 100 s: cancelled long before.
	r := drive(ctx, srv.Client(), srv.URL, "vgt_x", 10, 1000, 2)
	if r.sent >= 1000 {
		t.Errorf("sent every request (%d) despite the cancelled context", r.sent)
	}
}

func TestSeed(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			// More contacts than one batch, not a multiple of it.
			const clients, contacts = 7, seedBatch + 33
			if err := seed(ctx, db, clients, contacts, nil); err != nil {
				t.Fatal(err)
			}
			n, err := db.CountClients(ctx, tenant.System(), false)
			if err != nil || n != clients {
				t.Fatalf("CountClients = %d, %v; want %d", n, err, clients)
			}
			perClient := map[int64]int{}
			after := int64(0)
			for {
				page, err := db.Contacts(ctx, tenant.System(), client.ContactFilter{After: after, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				for _, c := range page {
					perClient[c.ClientID]++
				}
				after = page[len(page)-1].ID
			}
			total := 0
			for id, k := range perClient {
				total += k
				if k < contacts/clients || k > contacts/clients+1 {
					t.Errorf("client %d has %d contacts, want them spread evenly (%d each)", id, k, contacts/clients)
				}
			}
			if total != contacts || len(perClient) != clients {
				t.Errorf("%d contacts over %d clients, want %d over %d", total, len(perClient), contacts, clients)
			}
		})
	}
}

// buildVigie builds cmd/vigie: the benchmarks run the server as a child
// process, and the test binary itself is not vigie.
func buildVigie(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "vigie")
	if out, err := exec.Command("go", "build", "-o", exe, "github.com/vigie-hq/vigie/cmd/vigie").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/vigie: %v\n%s", err, out)
	}
	return exe
}

// benchServer returns the --database-url the benchmarks get for dialect: ""
// for SQLite, the PostgreSQL test server (where they create databases).
func benchServer(t *testing.T, dialect string) string {
	t.Helper()
	return testdb.Require(t, dialect)
}

func TestBenchStartupRunsTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts vigie several times")
	}
	exe := buildVigie(t)
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var out, errOut bytes.Buffer
			bf := benchFlags{databaseURL: benchServer(t, dialect), clients: 3, contacts: 10}
			if err := startupBench(context.Background(), exe, bf, 1, 0, Env{Stdout: &out, Stderr: &errOut}); err != nil {
				t.Fatalf("startup bench: %v\n%s", err, errOut.String())
			}
			for _, want := range []string{"vigie bench startup — " + dialect, "empty, first start", "empty, restart", "3 clients, 10 contacts, restart", " MiB"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestBenchAPIDrivesTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts vigie")
	}
	exe := buildVigie(t)
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var out, errOut bytes.Buffer
			o := apiOptions{benchFlags: benchFlags{databaseURL: benchServer(t, dialect), clients: 5}, rate: 200, workers: 4, duration: 500 * time.Millisecond, path: "/api/v1/clients"}
			if err := apiBench(context.Background(), exe, o, Env{Stdout: &out, Stderr: &errOut}); err != nil {
				t.Fatalf("api bench: %v\n%s\n%s", err, out.String(), errOut.String())
			}
			if !regexp.MustCompile(`(?m)^errors +0$`).MatchString(out.String()) {
				t.Errorf("output does not report 0 errors:\n%s", out.String())
			}
			for _, want := range []string{"GET /api/v1/clients on " + dialect, "from send", "from schedule", "p99"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no benchmark", nil, "name a benchmark"},
		{"unknown benchmark", []string{"disk"}, `unknown benchmark "disk"`},
		{"sqlite url", []string{"startup", "--database-url", "sqlite:/tmp/x.db"}, "postgres://"},
		{"no runs", []string{"startup", "--runs", "0"}, "--runs"},
		{"contacts without clients", []string{"startup", "--clients", "0", "--contacts", "5"}, "at least one client"},
		{"zero rate", []string{"api", "--rate", "0"}, "--rate"},
		{"relative path", []string{"api", "--path", "api/v1/clients"}, "--path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			err := runBench(context.Background(), tt.args, Env{Stdout: &bytes.Buffer{}, Stderr: &errOut})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("runBench(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
