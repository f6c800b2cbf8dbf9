package metric

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/metric/chunk"
)

func TestValidName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"cpu.percent", true},
		{"fs.used_percent", true},
		{"load.15", true},
		{"a", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{"", false},
		{"1cpu", false},
		{"_cpu", false},
		{"CPU", false},
		{"cpu-percent", false},
		{"cpu percent", false},
		{"cpé", false},
	}
	for _, c := range cases {
		if got := ValidName(c.name); got != c.ok {
			t.Errorf("ValidName(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestEncodeLabels(t *testing.T) {
	cases := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"none", nil, ""},
		{"empty", map[string]string{}, ""},
		{"one", map[string]string{"mount": "/"}, `{"mount":"/"}`},
		{"sorted", map[string]string{"mount": "/var", "device": "sda"}, `{"device":"sda","mount":"/var"}`},
		{"escaped", map[string]string{"mount": `C:\ "x"`}, `{"mount":"C:\\ \"x\""}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := EncodeLabels(c.labels)
			if got != c.want {
				t.Fatalf("EncodeLabels = %s, want %s", got, c.want)
			}
			back, err := DecodeLabels(got)
			if err != nil || !maps.Equal(back, c.labels) && len(c.labels) > 0 {
				t.Fatalf("DecodeLabels(%s) = %v, %v", got, back, err)
			}
		})
	}
	for _, bad := range []string{"{}", `{"b":"x","a":"y"}`, `{"A":"x"}`, `{"a":""}`, `{"a":1}`, "nope", `{"a":"x"} `} {
		if _, err := DecodeLabels(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("DecodeLabels(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	cases := []struct {
		name            string
		series          []agentproto.Series
		opts            AppendOptions
		samples, droped int
		err             string
	}{
		{"ok", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(-time.Minute), at(0)}, V: []float64{1, 2}}}, AppendOptions{}, 2, 0, ""},
		{"empty series", []agentproto.Series{{Name: "cpu.percent"}}, AppendOptions{}, 0, 0, ""},
		{"at MaxFuture", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(agentproto.MaxFuture)}, V: []float64{1}}}, AppendOptions{}, 1, 0, ""},
		{"past MaxFuture", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(agentproto.MaxFuture + time.Millisecond)}, V: []float64{1}}}, AppendOptions{}, 0, 0, "ahead"},
		{"old dropped", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(-agentproto.MaxPast - time.Millisecond), at(0)}, V: []float64{1, 2}}}, AppendOptions{}, 1, 1, ""},
		{"old allowed", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(-agentproto.MaxPast - time.Millisecond), at(0)}, V: []float64{1, 2}}}, AppendOptions{AllowPast: true}, 2, 0, ""},
		{"before 1970", []agentproto.Series{{Name: "cpu.percent", T: []int64{-1}, V: []float64{1}}}, AppendOptions{AllowPast: true}, 0, 0, "1970"},
		{"lengths", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(0)}, V: []float64{1, 2}}}, AppendOptions{}, 0, 0, "timestamps but"},
		{"order", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(0), at(-1)}, V: []float64{1, 2}}}, AppendOptions{}, 0, 0, "not after"},
		{"NaN", []agentproto.Series{{Name: "cpu.percent", T: []int64{at(0)}, V: []float64{math.NaN()}}}, AppendOptions{}, 0, 0, "NaN"},
		{"twice", []agentproto.Series{{Name: "fs.free", Labels: map[string]string{"mount": "/"}}, {Name: "fs.free", Labels: map[string]string{"mount": "/"}}}, AppendOptions{}, 0, 0, "twice"},
		{"labels differ", []agentproto.Series{{Name: "fs.free", Labels: map[string]string{"mount": "/"}, T: []int64{at(0)}, V: []float64{1}}, {Name: "fs.free", Labels: map[string]string{"mount": "/var"}, T: []int64{at(0)}, V: []float64{1}}}, AppendOptions{}, 2, 0, ""},
		{"control character", []agentproto.Series{{Name: "fs.free", Labels: map[string]string{"mount": "a\nb"}}}, AppendOptions{}, 0, 0, "control"},
		{"too many samples", []agentproto.Series{{Name: "cpu.percent", T: make([]int64, agentproto.MaxSamplesPerReport+1), V: make([]float64, agentproto.MaxSamplesPerReport+1)}}, AppendOptions{}, 0, 0, "samples, at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs, dropped, err := validate(c.series, now, c.opts)
			if c.err != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("validate = %v, want ErrInvalid saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, s := range cs {
				n += len(s.samples)
			}
			if n != c.samples || dropped != c.droped {
				t.Fatalf("validate = %d samples, %d dropped; want %d, %d", n, dropped, c.samples, c.droped)
			}
		})
	}
}

func TestMergeFirst(t *testing.T) {
	s := func(pairs ...float64) []chunk.Sample {
		var out []chunk.Sample
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, chunk.Sample{T: int64(pairs[i]), V: pairs[i+1]})
		}
		return out
	}
	cases := []struct {
		name        string
		base, extra []chunk.Sample
		want        []chunk.Sample
		dups        int
	}{
		{"append", s(1, 1, 2, 2), s(3, 3), s(1, 1, 2, 2, 3, 3), 0},
		{"interleave", s(1, 1, 3, 3), s(2, 2, 4, 4), s(1, 1, 2, 2, 3, 3, 4, 4), 0},
		{"base wins", s(1, 1, 2, 2), s(2, 20, 3, 3), s(1, 1, 2, 2, 3, 3), 1},
		{"first extra wins", nil, s(5, 1, 4, 2, 5, 3, 4, 4), s(4, 2, 5, 1), 2},
		{"before", s(5, 5), s(1, 1, 2, 2), s(1, 1, 2, 2, 5, 5), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, dups := mergeFirst(c.base, c.extra)
			if !slices.Equal(got, c.want) || dups != c.dups {
				t.Fatalf("mergeFirst = %v, %d; want %v, %d", got, dups, c.want, c.dups)
			}
		})
	}
}

func TestRollup(t *testing.T) {
	// 0.1, 0.2 … 1.2 every minute: two 5-minute buckets and a partial third.
	var ss []chunk.Sample
	for i := range 12 {
		ss = append(ss, chunk.Sample{T: int64(i) * 60_000, V: float64(i+1) / 10})
	}
	got := rollup(ss, 300_000)
	want := []bucket{
		{T: 0, Min: 0.1, Sum: 1.5, Max: 0.5, Count: 5},
		{T: 300_000, Min: 0.6, Sum: 4, Max: 1, Count: 5},
		{T: 600_000, Min: 1.1, Sum: 2.3, Max: 1.2, Count: 2},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rollup = %+v, want %+v (sums exact decimals)", got, want)
	}
	data, err := encodeRollup(got)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeRollup(data)
	if err != nil || !slices.Equal(back, want) {
		t.Fatalf("decodeRollup = %+v, %v", back, err)
	}
	if _, err := decodeRollup(data[:len(data)-1]); err == nil {
		t.Fatal("decodeRollup accepted a truncated chunk")
	}
}

func TestPieces(t *testing.T) {
	var all []chunk.Sample
	var data []byte
	for p := range 5 {
		var piece []chunk.Sample
		for i := range 7 {
			piece = append(piece, chunk.Sample{T: int64(p*100 + i), V: float64(p*i) / 4})
		}
		all = append(all, piece...)
		var err error
		if p == 0 {
			data, err = chunk.Encode(piece, chunk.Options{})
		} else {
			data, err = appendPiece(data, piece)
		}
		if err != nil {
			t.Fatal(err)
		}
		if pieceCount(data) != p+1 {
			t.Fatalf("pieceCount = %d, want %d", pieceCount(data), p+1)
		}
		got, err := decodeRaw(nil, data)
		if err != nil || !slices.Equal(got, all) {
			t.Fatalf("decodeRaw after %d pieces = %v, %v", p+1, got, err)
		}
	}
	if _, err := decodeRaw(nil, data[:len(data)-2]); err == nil {
		t.Fatal("decodeRaw accepted truncated pieces")
	}
}

func TestIngestRow(t *testing.T) {
	in := []ingestSeries{
		{id: 1, samples: []chunk.Sample{{T: 10, V: 1.5}, {T: 20, V: 2}}},
		{id: 300, samples: []chunk.Sample{{T: 10, V: -3}}},
	}
	data, err := encodeIngest(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []ingestSeries
	err = decodeIngest(data, nil, func(id int64, ss []chunk.Sample) { got = append(got, ingestSeries{id: id, samples: ss}) })
	if err != nil || len(got) != 2 || got[1].id != 300 || !slices.Equal(got[0].samples, in[0].samples) {
		t.Fatalf("decodeIngest = %+v, %v", got, err)
	}
	for i := range data {
		_ = decodeIngest(data[:i], nil, func(int64, []chunk.Sample) {}) // no panic
	}
}

// FuzzAppendValidation feeds arbitrary series to Append's validation: it never panics, an
// accepted series has a valid name and labels whose canonical encoding decodes back to the
// same set, and an accepted sample is finite, in time order and not in the future.
func FuzzAppendValidation(f *testing.F) {
	f.Add("cpu.percent", "mount", "/", int64(1_700_000_000_000), int64(60_000), 12.5, 13.25)
	f.Add("fs.free", "mount", "C:\\", int64(1_700_000_000_000), int64(0), 1.0, 2.0)
	f.Add("Bad", "", "", int64(-1), int64(-5), math.NaN(), math.Inf(1))
	f.Add("a", "device", strings.Repeat("é", 100), int64(0), int64(1), 0.0, math.Copysign(0, -1))
	f.Add("net.rx", "x\x00", "\xff", int64(math.MaxInt64), int64(1), 1e308, 5e-324)
	now := time.UnixMilli(1_700_000_000_000 + 3600_000).UTC()
	f.Fuzz(func(t *testing.T, name, key, value string, t0, dt int64, v0, v1 float64) {
		s := agentproto.Series{Name: name, T: []int64{t0, t0 + dt}, V: []float64{v0, v1}}
		if key != "" || value != "" {
			s.Labels = map[string]string{key: value}
		}
		cs, dropped, err := validate([]agentproto.Series{s}, now, AppendOptions{AllowPast: t0%2 == 0})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if !ValidName(name) {
			t.Fatalf("accepted name %q", name)
		}
		if len(s.Labels) > 0 {
			if !ValidName(key) || value == "" || len(value) > MaxLabelValue || !utf8.ValidString(value) {
				t.Fatalf("accepted label %q=%q", key, value)
			}
			enc := EncodeLabels(s.Labels)
			back, err := DecodeLabels(enc)
			if err != nil || !maps.Equal(back, s.Labels) {
				t.Fatalf("labels %v → %s → %v, %v", s.Labels, enc, back, err)
			}
		}
		n := dropped
		for _, c := range cs {
			for i, x := range c.samples {
				if math.IsNaN(x.V) || math.IsInf(x.V, 0) || x.T > now.Add(agentproto.MaxFuture).UnixMilli() || x.T < 0 {
					t.Fatalf("accepted sample %+v", x)
				}
				if i > 0 && x.T <= c.samples[i-1].T {
					t.Fatalf("accepted out-of-order samples")
				}
			}
			n += len(c.samples)
			// What is accepted can be stored.
			ss := make([]chunk.Sample, len(c.samples))
			for i, x := range c.samples {
				ss[i] = chunk.Sample(x)
			}
			data, err := encodeIngest([]ingestSeries{{id: 1, samples: ss}})
			if err != nil {
				t.Fatalf("encodeIngest: %v", err)
			}
			if err := decodeIngest(data, nil, func(int64, []chunk.Sample) {}); err != nil {
				t.Fatalf("decodeIngest: %v", err)
			}
		}
		if n != 2 {
			t.Fatalf("%d samples accounted for, want 2", n)
		}
	})
}

// sameBuckets compares buckets bit for bit (NaN and −0 included).
func sameBuckets(a, b []bucket) bool {
	return slices.EqualFunc(a, b, func(x, y bucket) bool {
		return x.T == y.T && math.Float64bits(x.Min) == math.Float64bits(y.Min) && math.Float64bits(x.Max) == math.Float64bits(y.Max) &&
			math.Float64bits(x.Sum) == math.Float64bits(y.Sum) && math.Float64bits(x.Count) == math.Float64bits(y.Count)
	})
}

func TestRollupLayouts(t *testing.T) {
	// buckets returns n 5-minute buckets of count samples from f(i) (min, max, and a sum
	// rounded as rollup rounds it).
	buckets := func(n int, count float64, f func(i int) (lo, hi, sum float64)) []bucket {
		out := make([]bucket, n)
		for i := range out {
			lo, hi, sum := f(i)
			out[i] = bucket{T: int64(i) * 300_000, Min: lo, Max: hi, Sum: sum, Count: count}
		}
		return out
	}
	cpu := buckets(288, 5, func(i int) (float64, float64, float64) {
		lo := float64(i%50) / 10
		return lo, roundTo(lo+float64(i%7)/100, 2), roundTo(5*lo+float64(i%13)/100, 2)
	})
	varying := slices.Clone(cpu)
	varying[0].Count, varying[100].Count, varying[101].Count, varying[287].Count = 3, 6, 4, 1
	negative := buckets(50, 60, func(i int) (float64, float64, float64) {
		return -float64(i) - 0.5, float64(i), roundTo(-float64(60*i)+float64(i)*0.25, 2)
	})
	huge := buckets(3, 60, func(int) (float64, float64, float64) { return 1e15, 2e15, 9e16 })
	oddCount := buckets(3, 2.5, func(int) (float64, float64, float64) { return 1, 2, 3 })
	manyCount := buckets(3, maxRollupCount+1, func(int) (float64, float64, float64) { return 1, 2, 100_000 })
	notDecimal := buckets(3, 2, func(int) (float64, float64, float64) { return math.Nextafter(0.3, 1), 1, 1.5 })
	negZero := buckets(3, 2, func(int) (float64, float64, float64) { return math.Copysign(0, -1), 1, 1 })
	nan := buckets(3, 2, func(int) (float64, float64, float64) { return math.NaN(), 1, math.NaN() })
	cases := []struct {
		name string
		bs   []bucket
		ints bool // layout 3 or 4, else 1 or 2
	}{
		{"short decimals", cpu, true},
		{"counts that differ", varying, true},
		{"negative values", negative, true},
		{"one bucket", cpu[:1], true},
		{"beyond 2^52", huge, false},
		{"count not an integer", oddCount, false},
		{"count too large", manyCount, false},
		{"not a short decimal", notDecimal, false},
		{"negative zero", negZero, false},
		{"NaN", nan, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := encodeRollup(c.bs)
			if err != nil {
				t.Fatal(err)
			}
			if (data[0] == rollupInts || data[0] == rollupIntsExcess) != c.ints {
				t.Errorf("layout %d, want layout 3 or 4: %v", data[0], c.ints)
			}
			back, err := decodeRollup(data)
			if err != nil || !sameBuckets(back, c.bs) {
				t.Fatalf("decodeRollup = %+v, %v; want %+v", back, err, c.bs)
			}
			for i := range data {
				if _, err := decodeRollup(data[:i]); err == nil {
					t.Fatalf("decodeRollup accepted the first %d of %d bytes", i, len(data))
				}
			}
		})
	}
	// The integer layouts are smaller than layout 2 on the same buckets (the reason they
	// exist): layout 4 on regular sums, layout 3 on noisy ones.
	noisy := slices.Clone(varying) // spreads all over, sums near the middle of theirs
	for i := range noisy {
		b := &noisy[i]
		spread := float64((i*7919)%1000) / 10
		b.Max = roundTo(b.Min+spread, 2)
		b.Sum = roundTo(b.Min*b.Count+b.Count*spread/2+float64((i*31)%7-3)/100, 2)
	}
	for _, c := range []struct {
		bs     []bucket
		layout byte
	}{{varying, rollupIntsExcess}, {noisy, rollupInts}} {
		spreads, err := encodeRollupSpreads(c.bs)
		if err != nil {
			t.Fatal(err)
		}
		ints, err := encodeRollup(c.bs)
		if err != nil || len(ints) >= len(spreads) || ints[0] != c.layout {
			t.Fatalf("layout %d: %d bytes, %v; layout 2: %d bytes; want layout %d", ints[0], len(ints), err, len(spreads), c.layout)
		}
		back, err := decodeRollup(ints)
		if err != nil || !sameBuckets(back, c.bs) {
			t.Fatalf("decodeRollup = %+v, %v; want %+v", back, err, c.bs)
		}
	}
}

// FuzzDecodeRollup decodes arbitrary rollup chunks: never a panic, and what decodes encodes
// again to the same buckets.
func FuzzDecodeRollup(f *testing.F) {
	for _, bs := range [][]bucket{
		{{T: 0, Min: 1.5, Max: 2.25, Sum: 9.5, Count: 5}, {T: 300_000, Min: -3, Max: 4, Sum: 1, Count: 4}},
		{{T: 0, Min: 0.1 + 0.2, Max: 1, Sum: 2, Count: 3}},
	} {
		data, err := encodeRollup(bs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := decodeRollup(data)
		if err != nil {
			return
		}
		again, err := encodeRollup(bs)
		if err != nil {
			return // e.g. bucket starts out of order: never written by rollup
		}
		back, err := decodeRollup(again)
		if err != nil || !sameBuckets(back, bs) {
			t.Fatalf("%+v encodes to %x, which decodes to %+v, %v", bs, again, back, err)
		}
	})
}
