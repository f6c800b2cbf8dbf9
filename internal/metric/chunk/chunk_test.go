package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/vigie-hq/vigie/internal/metric/agentday"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// series builds n samples from a start time, an interval and a value function.
func series(n int, start, step int64, value func(i int) float64) []Sample {
	s := make([]Sample, n)
	for i := range s {
		s[i] = Sample{T: start + int64(i)*step, V: value(i)}
	}
	return s
}

const t0 = 1_741_651_200_000 // 2025-03-11T00:00:00Z

// roundTrip encodes samples with and without zstd, checks that both decode to samples and
// returns the smaller chunk.
func roundTrip(t *testing.T, samples []Sample) []byte {
	t.Helper()
	var smallest []byte
	for _, c := range []Compression{CompressNone, CompressAuto} {
		b, err := Encode(samples, Options{Compression: c})
		if err != nil {
			t.Fatalf("encode (compression %d): %v", c, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("decode (compression %d): %v", c, err)
		}
		if !sameSamples(got, samples) {
			t.Fatalf("compression %d: round trip differs:\n got %v\nwant %v", c, head(got), head(samples))
		}
		if smallest == nil || len(b) < len(smallest) {
			smallest = b
		}
	}
	return smallest
}

func head(s []Sample) []Sample { return s[:min(len(s), 8)] }

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	walk := func(decimals int, step float64) func(int) float64 {
		v := 50.0
		return func(int) float64 {
			v += rng.NormFloat64() * step
			return agentday.Round(v, decimals)
		}
	}
	jittered := func(n int, step, jitter int64) []Sample {
		s := series(n, t0, step, func(i int) float64 { return float64(i % 7) })
		for i := range s {
			s[i].T += rng.Int64N(jitter)
		}
		return s
	}
	withGaps := series(300, t0, 60_000, func(i int) float64 { return agentday.Round(rng.Float64()*100, 1) })
	withGaps = append(withGaps[:100], withGaps[140:]...)
	for i := 150; i < len(withGaps); i++ {
		withGaps[i].T += 3_600_000 + 777
	}
	mixed := series(240, t0, 10_000, walk(1, 0.5))
	mixed[17].V = 12.345 // a few values more precise than the rest
	mixed[100].V = 0.001
	specials := series(100, t0, 60_000, walk(2, 1))
	specials[3].V = math.NaN()
	specials[4].V = math.Inf(1)
	specials[50].V = math.Inf(-1)
	specials[51].V = math.Copysign(0, -1)
	specials[99].V = math.Float64frombits(0x7ff8_0000_dead_beef) // a NaN with a payload

	tests := []struct {
		name    string
		samples []Sample
		maxSize int // bytes, 0 for no bound
	}{
		{"empty", nil, 2},
		{"single", []Sample{{T: t0, V: 42.5}}, 16},
		{"single NaN", []Sample{{T: t0, V: math.NaN()}}, 20},
		{"two", []Sample{{T: t0, V: 1}, {T: t0 + 1, V: 2}}, 0},
		{"regular constant", series(720, t0, 60_000, func(int) float64 { return 3.2 }), 24},
		{"regular zero", series(720, t0, 10_000, func(int) float64 { return 0 }), 24},
		{"jittered", jittered(720, 60_000, 5), 0},
		{"jittered widely", jittered(720, 60_000, 2_000), 0},
		{"gaps", withGaps, 0},
		{"irregular", series(500, t0, 1, func(i int) float64 { return float64(i) }), 0},
		{"uptime counter", series(720, t0, 60_000, func(i int) float64 { return float64(86_400 + 60*i) }), 28},
		{"bytes counter", series(720, t0, 60_000, func(i int) float64 { return float64(1 << 40 * (1 + i)) }), 40},
		{"growing counter", func() []Sample {
			var c float64
			return series(720, t0, 60_000, func(int) float64 { c += float64(rng.IntN(5000)); return c })
		}(), 0},
		{"random walk 0 decimals", series(720, t0, 60_000, walk(0, 20)), 0},
		{"random walk 1 decimal", series(720, t0, 60_000, walk(1, 1)), 0},
		{"random walk 2 decimals", series(720, t0, 60_000, walk(2, 1)), 0},
		{"random walk 3 decimals", series(720, t0, 60_000, walk(3, 1)), 0},
		{"negative", series(720, t0, 60_000, walk(2, 5)), 0},
		{"below zero", series(200, t0, 60_000, func(i int) float64 { return -40 - float64(i)/4 }), 0},
		{"mixed precision", mixed, 0},
		{"specials", specials, 0},
		{"all NaN", series(100, t0, 60_000, func(int) float64 { return math.NaN() }), 0},
		{"negative zeros", series(100, t0, 60_000, func(i int) float64 { return math.Copysign(0, float64(i%2)-0.5) }), 0},
		{"huge", series(100, t0, 60_000, func(i int) float64 { return math.MaxFloat64 / float64(i+1) }), 0},
		{"tiny", series(100, t0, 60_000, func(i int) float64 { return math.SmallestNonzeroFloat64 * float64(i) }), 0},
		{"beyond 2^53", series(100, t0, 60_000, func(i int) float64 { return 1<<53 + float64(2*i) }), 0},
		{"not decimal", series(100, t0, 60_000, func(i int) float64 { return 0.1*float64(i) + 0.2 }), 0},
		{"random floats", series(500, t0, 60_000, func(int) float64 { return rng.Float64() }), 0},
		{"random bits", series(500, t0, 60_000, func(int) float64 { return math.Float64frombits(rng.Uint64()) }), 0},
		{"extreme timestamps", []Sample{{T: math.MinInt64, V: 1}, {T: -1, V: 2}, {T: 0, V: 3}, {T: math.MaxInt64, V: 4}}, 0},
		{"negative timestamps", series(50, -t0, 60_000, func(i int) float64 { return float64(i) }), 0},
		{"maximum count", series(MaxSamples, t0, 1000, func(i int) float64 { return float64(i % 100) }), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := roundTrip(t, tt.samples)
			if tt.maxSize > 0 && len(b) > tt.maxSize {
				t.Errorf("%d samples in %d bytes, want at most %d", len(tt.samples), len(b), tt.maxSize)
			}
		})
	}
}

// TestShapes checks that the series an agent sends most compress as the format intends.
func TestShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	tests := []struct {
		name      string
		samples   []Sample
		maxPerSmp float64 // bytes per sample
	}{
		// A gauge that barely moves: one tenth up or down now and then.
		{"memory percent", func() []Sample {
			v := 412
			return series(720, t0, 60_000, func(int) float64 {
				if rng.IntN(10) == 0 {
					v += rng.IntN(3) - 1
				}
				return float64(v) / 10
			})
		}(), 0.125},
		// A counter that grows by nearly the same amount each interval.
		{"uptime", series(720, t0, 60_000, func(i int) float64 { return float64(1e6 + 60*i + rng.IntN(2)) }), 0.25},
		// One NaN in a decimal gauge is an exception, not a reason to store every value whole.
		{"one NaN", func() []Sample {
			s := series(720, t0, 60_000, func(int) float64 { return 55.5 })
			s[300].V = math.NaN()
			return s
		}(), 0.05},
		// File-system bytes move in blocks of 4 KiB.
		{"free bytes", func() []Sample {
			v := int64(40 << 30)
			return series(720, t0, 60_000, func(int) float64 { v -= 4096 * rng.Int64N(20); return float64(v) })
		}(), 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := roundTrip(t, tt.samples)
			if got := float64(len(b)) / float64(len(tt.samples)); got > tt.maxPerSmp {
				t.Errorf("%.3f bytes per sample, want at most %.3f", got, tt.maxPerSmp)
			}
		})
	}
}

// TestZstd checks that zstd is used exactly when it makes the chunk smaller: on a repeating
// pattern, which the integer coding does not see, and not on a noisy gauge.
func TestZstd(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	tests := []struct {
		name     string
		samples  []Sample
		wantZstd bool
	}{
		{"repeating pattern", series(400, t0, 60_000, func(i int) float64 {
			return float64([]int{0, 917_311, 0, 3, 45_066_917}[i%5])
		}), true},
		{"noisy gauge", series(400, t0, 60_000, func(int) float64 { return agentday.Round(rng.Float64()*100, 2) }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := Encode(tt.samples, Options{Compression: CompressNone})
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, tt.samples)
			auto, err := Encode(tt.samples, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := auto[0]&flagZstd != 0; got != tt.wantZstd {
				t.Fatalf("zstd used: %v, want %v (%d bytes, %d without)", got, tt.wantZstd, len(auto), len(plain))
			}
			if tt.wantZstd && len(auto) >= len(plain) {
				t.Fatalf("zstd chunk of %d bytes, %d without", len(auto), len(plain))
			}
			if plain[0]&flagZstd != 0 {
				t.Fatal("CompressNone used zstd")
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
		want    error
	}{
		{"out of order", []Sample{{T: 2, V: 1}, {T: 1, V: 1}}, ErrOutOfOrder},
		// A series has one value per instant: the caller keeps the right one.
		{"duplicate timestamp", []Sample{{T: 1, V: 1}, {T: 2, V: 1}, {T: 2, V: 3}}, ErrOutOfOrder},
		{"too many", series(MaxSamples+1, t0, 1, func(int) float64 { return 0 }), ErrTooManySamples},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.samples, Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Encode = %x, %v; want %v", b, err, tt.want)
			}
		})
	}
}

// validChunks returns chunks of varied content for the decoding tests and fuzz seeds.
func validChunks(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	add := func(s []Sample) {
		for _, c := range []Compression{CompressNone, CompressAuto} {
			b, err := Encode(s, Options{Compression: c})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	add(nil)
	add([]Sample{{T: t0, V: 1.5}})
	add(series(50, t0, 60_000, func(i int) float64 { return math.Float64frombits(uint64(i) * 0x9e3779b97f4a7c15) }))
	spec := series(40, t0, 60_000, func(i int) float64 { return float64(i) / 4 })
	spec[7].V = math.NaN()
	add(spec)
	for i, s := range agentDay(2, time.Minute) {
		if i%3 == 0 { // a third of the series is enough of a variety
			add(s.samples[:120])
		}
	}
	// A chunk that zstd shrinks.
	add(series(400, t0, 60_000, func(i int) float64 { return float64([]int{0, 917_311, 0, 3, 45_066_917}[i%5]) }))
	return out
}

func TestDecodeRejects(t *testing.T) {
	valid, err := Encode(series(100, t0, 60_000, func(i int) float64 { return float64(i) / 10 }), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		chunk []byte
		want  error
	}{
		{"nil", nil, ErrCorrupt},
		{"version 0", []byte{0x00, 0}, ErrVersion},
		{"version 2", append([]byte{0x20}, valid[1:]...), ErrVersion},
		{"unknown flag", append([]byte{valid[0] | 0x02}, valid[1:]...), ErrCorrupt},
		{"no count", []byte{0x10}, ErrCorrupt},
		{"count over the maximum", []byte{0x10, 0x81, 0x80, 0x04}, ErrCorrupt},
		{"data after an empty chunk", []byte{0x10, 0x00, 0x00}, ErrCorrupt},
		{"zstd flag on an empty chunk", []byte{0x11, 0x00}, ErrCorrupt},
		{"count larger than the body can hold", []byte{0x10, 0x80, 0x80, 0x04, 0x00}, ErrCorrupt},
		{"trailing byte", append(slices.Clone(valid), 0), ErrCorrupt},
		{"zstd flag on a plain body", append([]byte{valid[0] | flagZstd}, valid[1:]...), ErrCorrupt},
		{"truncated", valid[:len(valid)-1], ErrCorrupt},
		{"header only", valid[:2], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.chunk)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %d samples, %v; want %v", len(got), err, tt.want)
			}
		})
	}
}

// TestDecodeTruncated cuts every valid chunk at every length: each prefix must be refused.
func TestDecodeTruncated(t *testing.T) {
	for _, b := range validChunks(t) {
		for l := range len(b) {
			if got, err := Decode(b[:l]); err == nil {
				t.Fatalf("prefix of %d of %d bytes decoded to %d samples: %x", l, len(b), len(got), b)
			}
		}
	}
}

// TestDecodeCorrupted flips every bit of valid chunks: decoding must not panic, and whatever it
// accepts must be a chunk that Encode accepts too.
func TestDecodeCorrupted(t *testing.T) {
	for _, b := range validChunks(t) {
		for i := range len(b) * 8 {
			c := slices.Clone(b)
			c[i/8] ^= 1 << (i % 8)
			checkDecoded(t, c)
		}
	}
}

// checkDecoded decodes an arbitrary chunk; when that succeeds, the samples must re-encode and
// decode to themselves.
func checkDecoded(t *testing.T, b []byte) {
	t.Helper()
	got, err := Decode(b)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("Decode(%x): error %v wraps neither ErrCorrupt nor ErrVersion", b, err)
		}
		return
	}
	// Without zstd, whose own framing is tested upstream, to keep the test fast.
	again, err := Encode(got, Options{Compression: CompressNone})
	if err != nil {
		t.Fatalf("Decode(%x) gave samples Encode refuses: %v", b, err)
	}
	back, err := Decode(again)
	if err != nil {
		t.Fatalf("decode re-encoded %x: %v", again, err)
	}
	if !sameSamples(back, got) {
		t.Fatalf("Decode(%x) is not stable through Encode", b)
	}
}

func TestDecodeAppend(t *testing.T) {
	a := series(10, t0, 1000, func(i int) float64 { return float64(i) })
	b := series(10, t0+10_000, 1000, func(i int) float64 { return float64(-i) })
	ca, _ := Encode(a, Options{})
	cb, _ := Encode(b, Options{})
	got, err := DecodeAppend(nil, ca)
	if err != nil {
		t.Fatal(err)
	}
	got, err = DecodeAppend(got, cb)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSamples(got, append(slices.Clone(a), b...)) {
		t.Fatalf("DecodeAppend = %v", got)
	}
	// A failed decode leaves dst as it was.
	kept, err := DecodeAppend(got, ca[:len(ca)-1])
	if err == nil || !sameSamples(kept, got) {
		t.Fatalf("DecodeAppend of a truncated chunk = %d samples, %v", len(kept), err)
	}
}

// TestRandomSeries is the property test: random series of every shape round-trip exactly.
func TestRandomSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for i := range 500 {
		s := randomSeries(rng)
		b, err := Encode(s, Options{})
		if err != nil {
			t.Fatalf("series %d: encode: %v", i, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("series %d: decode: %v", i, err)
		}
		if !sameSamples(got, s) {
			t.Fatalf("series %d of %d samples does not round-trip", i, len(s))
		}
		// Decode refuses zstd bodies longer than maxBodyLen: no plain body may be.
		plain, err := Encode(s, Options{Compression: CompressNone})
		if err != nil {
			t.Fatal(err)
		}
		_, l := binary.Uvarint(plain[1:])
		if body := len(plain) - 1 - l; len(s) > 0 && body > maxBodyLen(len(s)) {
			t.Fatalf("series %d: body of %d bytes over maxBodyLen(%d) = %d", i, body, len(s), maxBodyLen(len(s)))
		}
	}
}

// randomSeries draws a series with random length, timing and kind of values.
func randomSeries(rng *rand.Rand) []Sample {
	n := rng.IntN(800)
	if rng.IntN(10) == 0 {
		n = rng.IntN(4)
	}
	t := rng.Int64N(1<<45) - 1<<44
	step := []int64{1, 1000, 10_000, 60_000, 1 << 40}[rng.IntN(5)]
	jitter := []int64{0, 0, 3, 500, step}[rng.IntN(5)]
	decimals := rng.IntN(5)
	scale := math.Pow(10, float64(rng.IntN(14)-3))
	kind := rng.IntN(6)
	v := rng.NormFloat64() * scale
	s := make([]Sample, n)
	for i := range s {
		t += step + rng.Int64N(jitter+1)
		switch kind {
		case 0: // random walk with fixed decimals
			v += rng.NormFloat64() * scale / 10
		case 1: // counter
			v += math.Floor(rng.Float64() * scale)
		case 2: // constant with rare changes
			if rng.IntN(50) == 0 {
				v = rng.NormFloat64() * scale
			}
		case 3: // arbitrary floats
			v = rng.NormFloat64() * scale
		case 4: // arbitrary bits
			v = math.Float64frombits(rng.Uint64())
		case 5: // mostly zero with bursts
			v = 0
			if rng.IntN(5) == 0 {
				v = rng.ExpFloat64() * scale
			}
		}
		s[i] = Sample{T: t, V: v}
		if kind != 3 && kind != 4 {
			s[i].V = agentday.Round(v, decimals)
		}
		if rng.IntN(200) == 0 {
			s[i].V = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0.1 + 0.2}[rng.IntN(5)]
		}
	}
	return s
}

func FuzzDecode(f *testing.F) {
	for _, b := range validChunks(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x11, 0x05, 0x00, 0x00})
	f.Add([]byte{0x10, 0xff, 0xff, 0x03, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecoded(t, b)
	})
}

// FuzzRoundTrip turns arbitrary bytes into a series: each sample takes a control byte that
// chooses how far its timestamp moves and what its value is.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(bytes.Repeat([]byte{0x10}, 100))
	f.Add(bytes.Repeat([]byte{0x91, 0x22, 0xff, 0x01}, 60))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzSeries(data)
		b, err := Encode(s, Options{})
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !sameSamples(got, s) {
			t.Fatalf("round trip differs:\n got %v\nwant %v", got, s)
		}
	})
}

func fuzzSeries(data []byte) []Sample {
	next := func(n int) uint64 {
		var v uint64
		for range n {
			v <<= 8
			if len(data) > 0 {
				v |= uint64(data[0])
				data = data[1:]
			}
		}
		return v
	}
	t := int64(next(8))
	var v float64
	var s []Sample
	for len(data) > 0 && len(s) < 2000 {
		ctl := next(1)
		switch ctl & 3 { // how far the timestamp moves
		case 0:
			t += 60_000
		case 1:
			t += 60_000 + int64(next(1)) - 128
		case 2:
			t += 1 + int64(next(2))
		case 3:
			t += 1 + int64(next(8)>>1)
		}
		switch ctl >> 2 & 7 { // the value
		case 0: // unchanged
		case 1:
			v += float64(int8(next(1))) / 10
		case 2:
			v = float64(int16(next(2))) / 100
		case 3:
			v = float64(int64(next(8)) >> (next(1) & 63))
		case 4:
			v = math.Float64frombits(next(8))
		case 5:
			v = agentday.Round(v+float64(int8(next(1))), int(next(1)%16))
		default:
			v += float64(next(1))
		}
		if len(s) > 0 && t <= s[len(s)-1].T {
			break // the timestamp wrapped around
		}
		s = append(s, Sample{T: t, V: v})
	}
	return s
}
