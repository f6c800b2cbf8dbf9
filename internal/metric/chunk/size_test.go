package chunk

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// sizeTally adds up the encoded sizes of chunks.
type sizeTally struct {
	samples, chunks int
	plain, auto     int // bytes without zstd, and with zstd where it wins
	xor             int // bytes with the values in the float64 XOR stream (the Gorilla baseline)
	varint          int // bytes of the scaled integers as zigzag varints, then zstd if it wins
	zstdChunks      int // chunks where zstd won
}

func (s *sizeTally) add(o sizeTally) {
	s.samples += o.samples
	s.chunks += o.chunks
	s.plain += o.plain
	s.auto += o.auto
	s.xor += o.xor
	s.varint += o.varint
	s.zstdChunks += o.zstdChunks
}

func perSample(bytes, samples int) float64 { return float64(bytes) / float64(samples) }

// measure encodes samples in chunks of chunkLen and tallies their sizes, checking that each
// chunk decodes back to its samples.
func measure(t testing.TB, samples []Sample, chunkLen int) sizeTally {
	t.Helper()
	var s sizeTally
	for c := range slices.Chunk(samples, chunkLen) {
		plain, err := Encode(c, Options{Compression: CompressNone})
		if err != nil {
			t.Fatal(err)
		}
		auto, err := Encode(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{plain, auto} {
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSamples(got, c) {
				t.Fatalf("chunk of %d samples from %d does not round-trip", len(c), c[0].T)
			}
		}
		s.samples += len(c)
		s.chunks++
		s.plain += len(plain)
		s.auto += len(auto)
		s.xor += len(encodeXOR(c))
		s.varint += len(encodeVarintZstd(t, c))
		if auto[0]&flagZstd != 0 {
			s.zstdChunks++
		}
	}
	return s
}

// encodeXOR encodes like Encode but always with the float64 XOR stream for the values: the
// Gorilla-style baseline.
func encodeXOR(samples []Sample) []byte {
	var (
		w   bitWriter
		enc intEncoder
	)
	xs := make([]int64, len(samples))
	for i, s := range samples {
		xs[i] = s.T
	}
	enc.encodeInts(&w, xs)
	w.writeBits(kindFloat, kindBits)
	writeFloats(&w, samples)
	return append([]byte{version << 4, 0, 0}, w.bytes()...)
}

// encodeVarintZstd is the simpler design this package was measured against: timestamps as
// deltas of deltas, values scaled to integers as deltas or deltas of deltas (the smaller), all
// as zigzag varints, then zstd when it is smaller; with the same header.
func encodeVarintZstd(t testing.TB, samples []Sample) []byte {
	t.Helper()
	var b []byte
	var prevT, prevD int64
	for i, s := range samples {
		d := s.T - prevT
		if i == 0 {
			d = 0
		}
		b = binary.AppendVarint(b, d-prevD)
		prevT, prevD = s.T, d
	}
	need := make([]uint8, len(samples))
	var dv decimalValues
	hist, ok := decimalCounts(samples, need)
	all, _ := candidateDecimals(&hist, len(samples))
	if !ok || !scaleDecimal(samples, need, all, &dv) || len(dv.exceptions) > 0 {
		t.Fatalf("encodeVarintZstd: not decimal values")
	}
	var delta, delta2 []byte
	var prev, prevDelta int64
	for i, x := range dv.xs {
		d := x - prev
		if i == 0 {
			d = 0
		}
		delta = binary.AppendVarint(delta, x-prev)
		delta2 = binary.AppendVarint(delta2, d-prevDelta)
		prev, prevDelta = x, d
	}
	if len(delta2) < len(delta) {
		delta = delta2
	}
	b = append(b, delta...)
	if z, ok := compress(b); ok {
		b = z
	}
	return append([]byte{version << 4, 0, 0}, b...)
}

// TestAgentDaySize encodes one day of one agent and reports bytes per sample, per metric family
// and overall, for both sampling intervals and chunk lengths (go test -v -run AgentDaySize).
// It fails if the realistic mix misses the target of 2 bytes per sample.
//
// Columns: raw float64 pairs; the Gorilla-style baseline (our timestamps, values in the XOR
// stream); zigzag varints and zstd; this package without zstd and with zstd where it wins.
// The last row is the same day with the agent's timestamps truncated to the second.
func TestAgentDaySize(t *testing.T) {
	const target = 2.0
	for _, interval := range []time.Duration{60 * time.Second, 10 * time.Second} {
		series := agentDay(1, interval)
		for _, chunkLen := range []int{120, 720} {
			t.Run(fmt.Sprintf("%s/%d", interval, chunkLen), func(t *testing.T) {
				families := map[string]*sizeTally{}
				var order []string
				var all, seconds sizeTally
				for _, s := range series {
					m := measure(t, s.samples, chunkLen)
					if families[s.family] == nil {
						families[s.family] = &sizeTally{}
						order = append(order, s.family)
					}
					families[s.family].add(m)
					all.add(m)
					truncated := slices.Clone(s.samples)
					for i := range truncated {
						truncated[i].T -= truncated[i].T % 1000
					}
					seconds.add(measure(t, truncated, chunkLen))
				}
				var b strings.Builder
				fmt.Fprintf(&b, "\n%d series, %d samples, %d chunks of up to %d samples, every %s\n",
					len(series), all.samples, all.chunks, chunkLen, interval)
				fmt.Fprintf(&b, "%-13s %6s %7s %7s %7s %7s %9s\n", "B/sample", "raw", "gorilla", "varint", "plain", "auto", "zstd won")
				row := func(name string, s *sizeTally) {
					fmt.Fprintf(&b, "%-13s %6.2f %7.3f %7.3f %7.3f %7.3f %5d/%d\n", name, 16.0,
						perSample(s.xor, s.samples), perSample(s.varint, s.samples),
						perSample(s.plain, s.samples), perSample(s.auto, s.samples),
						s.zstdChunks, s.chunks)
				}
				for _, f := range order {
					row(f, families[f])
				}
				row("all", &all)
				row("all, ts in s", &seconds)
				t.Log(b.String())
				if got := perSample(all.auto, all.samples); got > target {
					t.Errorf("%.3f bytes per sample, want at most %.1f", got, target)
				}
			})
		}
	}
}
