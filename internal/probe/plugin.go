package probe

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Bounds of the plugin output parser.
const (
	maxPluginInput = 64 << 10 // bytes of stdout parsed
	maxPerfItems   = 200
	maxPerfLabel   = 128
)

// ParsePluginOutput reads the result of a Nagios-style plugin: the exit code
// gives the state (0 OK, 1 WARNING, 2 CRITICAL, 3 and anything else UNKNOWN),
// the first line is the output, and the performance data after "|" on the
// first line and after the first "|" of the long text (which runs to the end)
// become metrics. Values are converted to base units: times in seconds
// (s, ms, us), sizes in bytes (B, KB, MB, GB, TB, powers of 1024), percents
// counters and other units as they are. Each metric is labelled as the plugin names it;
// a malformed item is skipped, never the whole output.
func ParsePluginOutput(exitCode int, stdout []byte) Result {
	r := Result{State: Unknown, Perf: map[string]float64{}}
	if exitCode >= 0 && exitCode <= 3 {
		r.State = State(exitCode)
	}
	if len(stdout) > maxPluginInput {
		stdout = stdout[:maxPluginInput]
	}
	first, rest, _ := bytes.Cut(stdout, []byte("\n"))
	out, perf, _ := bytes.Cut(first, []byte("|"))
	r.Output = line(string(out))
	if r.Output == "" {
		r.Output = "(no output)"
		if exitCode < 0 || exitCode > 3 {
			r.Output = "(no output, exit code " + strconv.Itoa(exitCode) + ")"
		}
	} else if exitCode < 0 || exitCode > 3 {
		r.Output = line("exit code " + strconv.Itoa(exitCode) + ": " + r.Output)
	}
	parsePerf(r.Perf, string(perf))
	if _, long, ok := bytes.Cut(rest, []byte("|")); ok {
		parsePerf(r.Perf, string(long))
	}
	return r
}

// parsePerf reads space-separated items 'label'=value[UOM];warn;crit;min;max.
func parsePerf(into map[string]float64, s string) {
	for len(into) < maxPerfItems {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return
		}
		var label string
		if s[0] == '\'' {
			// Quoted label; '' stands for a quote.
			var b strings.Builder
			i := 1
			closed := false
			for i < len(s) {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed { // drop the opening quote's word, go on
				s = skipItem(s)
				continue
			}
			label, s = b.String(), s[i:]
			if !strings.HasPrefix(s, "=") {
				s = skipItem(s)
				continue
			}
			s = s[1:]
		} else {
			end := strings.IndexAny(s, "= \t\r\n")
			if end < 0 || s[end] != '=' {
				s = skipItem(s)
				continue
			}
			label, s = s[:end], s[end+1:]
		}
		end := strings.IndexAny(s, " \t\r\n")
		if end < 0 {
			end = len(s)
		}
		field := s[:end]
		s = s[end:]
		label = strings.TrimSpace(strings.ToValidUTF8(label, "?"))
		if label == "" || len(label) > maxPerfLabel || strings.ContainsAny(label, "\x00") {
			continue
		}
		if v, ok := perfValue(field); ok {
			into[label] = v
		}
	}
}

// skipItem drops everything up to the next blank.
func skipItem(s string) string {
	if i := strings.IndexAny(s, " \t\r\n"); i >= 0 {
		return s[i:]
	}
	return ""
}

// perfValue reads value[UOM] from value[UOM];warn;crit;min;max.
func perfValue(field string) (float64, bool) {
	val, _, _ := strings.Cut(field, ";")
	i := 0
	for i < len(val) && (val[i] >= '0' && val[i] <= '9' || val[i] == '.' || val[i] == ',' || val[i] == '-' || val[i] == '+' || val[i] == 'e' || val[i] == 'E') {
		// an "e" is an exponent only when digits follow; otherwise it starts no unit we know anyway
		i++
	}
	num, uom := strings.ReplaceAll(val[:i], ",", "."), val[i:]
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	switch strings.ToLower(uom) {
	case "", "%", "c":
	case "s":
	case "ms":
		f /= 1e3
	case "us":
		f /= 1e6
	case "kb":
		f *= 1 << 10
	case "mb":
		f *= 1 << 20
	case "gb":
		f *= 1 << 30
	case "tb":
		f *= 1 << 40
	}
	// Other units (B, b/s, dBm, rpm…) keep the number as it is.
	return f, true
}
