package agent

import (
	"math"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Batch accumulates samples between two reports. Its series and their
// slices are reused from one report to the next to spare the allocator.
type Batch struct {
	idx    map[string]int
	series []agentproto.Series
	out    []agentproto.Series
	n      int
}

// Add appends one sample to the series name{label=value} (label may be
// empty for a series without labels).
func (b *Batch) Add(name, label, value string, t int64, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if b.idx == nil {
		b.idx = map[string]int{}
	}
	key := name
	if label != "" {
		key = name + "\x00" + value
	}
	i, ok := b.idx[key]
	if !ok {
		s := agentproto.Series{Name: name}
		if label != "" {
			s.Labels = map[string]string{label: value}
		}
		i = len(b.series)
		b.series = append(b.series, s)
		b.idx[key] = i
	}
	s := &b.series[i]
	if n := len(s.T); n > 0 && s.T[n-1] >= t {
		return // timestamps strictly increase
	}
	s.T = append(s.T, t)
	s.V = append(s.V, v)
	b.n++
}

// Last returns the last sample of the series name without labels.
func (b *Batch) Last(name string) (t int64, v float64, ok bool) {
	i, found := b.idx[name]
	if !found || len(b.series[i].T) == 0 {
		return 0, 0, false
	}
	s := b.series[i]
	return s.T[len(s.T)-1], s.V[len(s.V)-1], true
}

// Samples is the number of samples in the batch.
func (b *Batch) Samples() int { return b.n }

// Series returns the non-empty series; valid until Reset.
func (b *Batch) Series() []agentproto.Series {
	b.out = b.out[:0]
	for _, s := range b.series {
		if len(s.T) > 0 {
			b.out = append(b.out, s)
		}
	}
	return b.out
}

// Reset empties the batch, keeping its memory. Series that stayed empty
// for a whole batch (an unmounted file system) are forgotten.
func (b *Batch) Reset() {
	kept := b.series[:0]
	for _, s := range b.series {
		if len(s.T) == 0 {
			continue
		}
		s.T, s.V = s.T[:0], s.V[:0]
		kept = append(kept, s)
	}
	clear(b.series[len(kept):])
	b.series = kept
	clear(b.idx)
	for i, s := range b.series {
		key := s.Name
		for _, v := range s.Labels {
			key = s.Name + "\x00" + v
		}
		b.idx[key] = i
	}
	b.n = 0
}

// round2 keeps two decimals: the server's codec stores values of known
// precision as scaled integers.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
