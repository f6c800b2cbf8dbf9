// Package probe runs the network probes of supervision (TCP connect, HTTP(S),
// TLS certificate, DNS query, ICMP ping) and parses the output of Nagios-style
// plugins. A probe is a plain value: Validate refuses a bad definition with
// field-named errors, Run performs one check and always returns a Result within
// its timeout, never panicking. Scheduling and storage live elsewhere.
package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// State is the outcome of a check, in the Nagios order so that plugin exit
// codes map to it directly.
type State int

// The four states of a check.
const (
	OK State = iota
	Warning
	Critical
	Unknown
)

// String returns the Nagios name of the state.
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	default:
		return "UNKNOWN"
	}
}

// Result is what one run of a probe found.
type Result struct {
	State    State
	Output   string             // one line a technician reads
	Perf     map[string]float64 // metrics: "rtt_ms", "status_code", "days_left"…
	Duration time.Duration
}

// Probe is one check that can be run repeatedly.
type Probe interface {
	Run(ctx context.Context) Result
}

// Timeouts of every probe: the default when none is set, and the largest
// accepted.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 60 * time.Second
)

// timeout returns the effective timeout of a probe.
func timeout(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return DefaultTimeout
	case d > MaxTimeout:
		return MaxTimeout
	}
	return d
}

// checkTimeout validates a timeout field.
func checkTimeout(v *fault.Invalid, d time.Duration) {
	if d < 0 {
		v.Add("timeout", "negative")
	} else if d > MaxTimeout {
		v.Add("timeout", "too_large", MaxTimeout)
	}
}

// checkThresholds validates a pair of warning/critical thresholds where 0
// means "not set" and a set critical must not be below a set warning.
func checkThresholds(v *fault.Invalid, field string, warn, crit float64) {
	if warn < 0 || math.IsNaN(warn) || math.IsInf(warn, 0) {
		v.Add(field+"_warning", "negative")
	}
	if crit < 0 || math.IsNaN(crit) || math.IsInf(crit, 0) {
		v.Add(field+"_critical", "negative")
	}
	if warn > 0 && crit > 0 && crit < warn {
		v.Add(field+"_critical", "below_warning")
	}
}

// grade returns the state of a measure against thresholds (0 = not set):
// at or above critical is Critical, at or above warning is Warning.
func grade(value, warn, crit float64) State {
	switch {
	case crit > 0 && value >= crit:
		return Critical
	case warn > 0 && value >= warn:
		return Warning
	}
	return OK
}

// guard runs fn under the probe's timeout and turns a panic into an Unknown
// result, so that a bug in one probe never takes the scheduler down.
func guard(ctx context.Context, d time.Duration, fn func(ctx context.Context) Result) (r Result) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout(d))
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			r = Result{State: Unknown, Output: line(fmt.Sprintf("probe failed: %v", p))}
		}
		r.Duration = time.Since(start)
		if r.Perf == nil {
			r.Perf = map[string]float64{}
		}
	}()
	return fn(ctx)
}

// invalid is the result of running a probe whose definition is refused.
func invalid(err error) Result {
	return Result{State: Unknown, Output: line("invalid probe: " + err.Error())}
}

// maxOutput bounds the one line of a result.
const maxOutput = 1024

// line makes s one bounded line of valid UTF-8.
func line(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > maxOutput {
		cut := maxOutput
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// ms returns d in milliseconds as a float.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fmtMS formats a duration as whole milliseconds, or with one decimal below 10 ms.
func fmtMS(d time.Duration) string {
	m := ms(d)
	if m < 10 {
		return strconv.FormatFloat(m, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(math.Round(m), 'f', 0, 64) + " ms"
}

// errText shortens a network error for the output line.
func errText(ctx context.Context, err error) string {
	var ne net.Error
	if ctx.Err() == context.DeadlineExceeded || errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	s := err.Error()
	// "dial tcp 127.0.0.1:1: connect: connection refused" → keep the cause.
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s, "dial ") {
		return s[i+2:]
	}
	return s
}
