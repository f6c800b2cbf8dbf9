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
