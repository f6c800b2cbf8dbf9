package metric

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Limits of a series' identity.
const (
	MaxNameLen     = 100 // metric and label names
	MaxLabels      = 8
	MaxLabelValue  = 200 // bytes of UTF-8
	maxLabelsBytes = MaxLabels * (MaxNameLen + MaxLabelValue + 8)
)

// ValidName reports whether s is a metric or label name: [a-z][a-z0-9_.]*, at most 100 bytes.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// checkLabels validates a label set.
func checkLabels(labels map[string]string) error {
	if len(labels) > MaxLabels {
		return fmt.Errorf("%d labels, at most %d", len(labels), MaxLabels)
	}
	for k, v := range labels {
		if !ValidName(k) {
			return fmt.Errorf("label name %.120q is not [a-z][a-z0-9_.]* of at most %d bytes", k, MaxNameLen)
		}
		if v == "" {
			return fmt.Errorf("label %s is empty", k)
		}
		if len(v) > MaxLabelValue {
			return fmt.Errorf("label %s is %d bytes long, at most %d", k, len(v), MaxLabelValue)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("label %s is not UTF-8", k)
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return fmt.Errorf("label %s holds a control character", k)
		}
	}
	return nil
}

// EncodeLabels returns the canonical text of a label set: "" when empty, else a JSON object
// with its keys sorted. Two equal sets always give the same text.
func EncodeLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

func writeJSONString(b *strings.Builder, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}

// DecodeLabels parses the text EncodeLabels made, checking that it is canonical and valid.
func DecodeLabels(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 2*maxLabelsBytes*6 {
		return nil, fmt.Errorf("labels: %d bytes: %w", len(s), ErrInvalid)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("labels: %v: %w", err, ErrInvalid)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("labels: empty object: %w", ErrInvalid)
	}
	if err := checkLabels(m); err != nil {
		return nil, fmt.Errorf("labels: %v: %w", err, ErrInvalid)
	}
	if EncodeLabels(m) != s {
		return nil, fmt.Errorf("labels: not canonical: %w", ErrInvalid)
	}
	return m, nil
}

// seriesKey identifies a series within its asset.
func seriesKey(name, labels string) string { return name + "\x00" + labels }

// checked is one series of an Append after validation.
type checked struct {
	key     string
	name    string
	labels  map[string]string
	samples []sample
}

type sample struct {
	T int64
	V float64
}

// validate checks an Append's series and returns the samples to store (those not too old),
// counting those dropped for age. Nothing is stored when it returns an error.
func validate(series []agentproto.Series, now time.Time, opts AppendOptions) ([]checked, int, error) {
	if len(series) > agentproto.MaxSeriesPerReport {
		return nil, 0, fmt.Errorf("%d series, at most %d: %w", len(series), agentproto.MaxSeriesPerReport, ErrInvalid)
	}
	total := 0
	for _, s := range series {
		total += len(s.T)
	}
	if total > agentproto.MaxSamplesPerReport {
		return nil, 0, fmt.Errorf("%d samples, at most %d: %w", total, agentproto.MaxSamplesPerReport, ErrInvalid)
	}
	future := now.Add(agentproto.MaxFuture).UnixMilli()
	past := int64(math.MinInt64)
	if !opts.AllowPast {
		past = now.Add(-agentproto.MaxPast).UnixMilli()
	}
	out := make([]checked, 0, len(series))
	seen := make(map[string]bool, len(series))
	dropped := 0
	for i, s := range series {
		if !ValidName(s.Name) {
			return nil, 0, fmt.Errorf("series %d: name %.120q is not [a-z][a-z0-9_.]* of at most %d bytes: %w", i, s.Name, MaxNameLen, ErrInvalid)
		}
		if err := checkLabels(s.Labels); err != nil {
			return nil, 0, fmt.Errorf("series %d (%s): %v: %w", i, s.Name, err, ErrInvalid)
		}
		if len(s.T) != len(s.V) {
			return nil, 0, fmt.Errorf("series %d (%s): %d timestamps but %d values: %w", i, s.Name, len(s.T), len(s.V), ErrInvalid)
		}
		labels := EncodeLabels(s.Labels)
		key := seriesKey(s.Name, labels)
		if seen[key] {
			return nil, 0, fmt.Errorf("series %d (%s %s): given twice: %w", i, s.Name, labels, ErrInvalid)
		}
		seen[key] = true
		c := checked{key: key, name: s.Name, labels: s.Labels, samples: make([]sample, 0, len(s.T))}
		for j, t := range s.T {
			v := s.V[j]
			if j > 0 && t <= s.T[j-1] {
				return nil, 0, fmt.Errorf("series %d (%s): timestamp %d at %d not after %d: %w", i, s.Name, j, t, s.T[j-1], ErrInvalid)
			}
			if t < 0 {
				return nil, 0, fmt.Errorf("series %d (%s): timestamp %d is before 1970: %w", i, s.Name, j, ErrInvalid)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, 0, fmt.Errorf("series %d (%s): value %d is %v: %w", i, s.Name, j, v, ErrInvalid)
			}
			if t > future {
				return nil, 0, fmt.Errorf("series %d (%s): sample %d at %s is more than %s ahead of the server's clock: %w",
					i, s.Name, j, time.UnixMilli(t).UTC().Format(time.RFC3339), agentproto.MaxFuture, ErrInvalid)
			}
			if t < past {
				dropped++
				continue
			}
			c.samples = append(c.samples, sample{T: t, V: v})
		}
		if len(c.samples) > 0 {
			out = append(out, c)
		}
	}
	return out, dropped, nil
}
