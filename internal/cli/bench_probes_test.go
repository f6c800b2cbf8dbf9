package cli

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestBenchProbesRuns runs a small probes benchmark on each database: every
// run expected happens, none is missed, and the fault checks open their
// tickets and queue their notifications.
func TestBenchProbesRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the supervision engine for seconds")
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var out, errOut bytes.Buffer
			o := probesOptions{benchPlace: benchPlace{databaseURL: benchServer(t, dialect)}, checks: 200, interval: time.Second, duration: 8 * time.Second,
				httpShare: 0.5, workers: 32, alerter: "real", faultEvery: 1, faultRetry: 1}
			if err := probesBench(context.Background(), o, Env{Stdout: &out, Stderr: &errOut}); err != nil {
				t.Fatalf("probes bench: %v\n%s\n%s", err, out.String(), errOut.String())
			}
			text := out.String()
			for _, re := range []string{
				`(?m)^missed runs +0 `,
				`(?m)^checks +200 \(\+20 fault checks every 1 s\), ` + dialect,
				`(?m)^schedule drift +p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms$`,
				`(?m)^CPU per probe +[0-9.]+ ms `,
				`(?m)^fault to ticket +20/20 checks: .*real alerter: ticket created and notification queued; 0 Alert errors`,
				`(?m)^tickets, notifications +20 of 20 fault checks have their incident ticket; 20 notifications queued`,
			} {
				if !regexp.MustCompile(re).MatchString(text) {
					t.Errorf("output does not match %s:\n%s", re, text)
				}
			}
			number := func(re string) int {
				m := regexp.MustCompile(re).FindStringSubmatch(text)
				if m == nil {
					t.Fatalf("no %s in:\n%s", re, text)
				}
				n, _ := strconv.Atoi(m[1])
				return n
			}
			// Runs in flight at the end are not counted: a little slack.
			if runs, expected := number(`(?m)^runs +(\d+) `), number(`(?m)^expected runs +≈ (\d+) `); runs < expected*98/100 {
				t.Errorf("%d runs, %d expected:\n%s", runs, expected, text)
			}
		})
	}
}

func TestBenchProbesRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--checks", "0"}, "--checks"},
		{[]string{"--interval", "1500ms"}, "--interval"},
		{[]string{"--http-share", "2"}, "--http-share"},
		{[]string{"--alerter", "mail"}, "--alerter"},
		{[]string{"--database-url", "sqlite:/tmp/x.db"}, "postgres://"},
		{[]string{"--database-url", "postgres://x/y", "--data-dir", "/tmp"}, "--data-dir"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := runBenchAny(context.Background(), append([]string{"probes"}, tt.args...), Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
