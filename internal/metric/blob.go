package metric

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/vigie-hq/vigie/internal/metric/chunk"
)

// An ingest row's data is, after a version byte, for each series of the call:
// uvarint series id, uvarint length, and the series' samples as a chunk (package chunk,
// without zstd: Append must be fast and a few samples do not compress).
const ingestVersion = 1

type ingestSeries struct {
	id      int64
	samples []chunk.Sample
}

func encodeIngest(series []ingestSeries) ([]byte, error) {
	out := make([]byte, 1, 64*len(series))
	out[0] = ingestVersion
	for _, s := range series {
		c, err := chunk.Encode(s.samples, chunk.Options{Compression: chunk.CompressNone})
		if err != nil {
			return nil, fmt.Errorf("encode series %d: %w", s.id, err)
		}
		out = binary.AppendUvarint(out, uint64(s.id))
		out = binary.AppendUvarint(out, uint64(len(c)))
		out = append(out, c...)
	}
	return out, nil
}

// decodeIngest calls fn with each series of an ingest row; want, when not nil, selects the
// series to decode.
func decodeIngest(data []byte, want func(id int64) bool, fn func(id int64, samples []chunk.Sample)) error {
	if len(data) == 0 || data[0] != ingestVersion {
		return fmt.Errorf("ingest row: unknown version")
	}
	b := data[1:]
	for len(b) > 0 {
		id, n := binary.Uvarint(b)
		if n <= 0 || id > math.MaxInt64 {
			return fmt.Errorf("ingest row: bad series id")
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return fmt.Errorf("ingest row: bad length")
		}
		b = b[n:]
		c := b[:l]
		b = b[l:]
		if want != nil && !want(int64(id)) {
			continue
		}
		samples, err := chunk.Decode(c)
		if err != nil {
			return fmt.Errorf("ingest row, series %d: %w", id, err)
		}
		fn(int64(id), samples)
	}
	return nil
}

// bucket is one rollup point: its start, and the min, sum, max and count of its samples.
type bucket struct {
	T             int64
	Min, Sum, Max float64
	Count         float64
}

func (b bucket) point() Point {
	return Point{T: msTime(b.T), Min: b.Min, Avg: b.Sum / b.Count, Max: b.Max}
}

// A rollup chunk's data is a layout byte, uvarint n, then (layouts 1 and 2) four chunks
// (package chunk) of n samples, each preceded by its uvarint length. The first column
// carries the bucket starts with the minimum; the others are numbered 0…n-1, which costs
// nothing. Layout 2 stores max − min and sum − count×min, non-negative and smaller than max
// and sum (≈ 25 % fewer bytes on agent metrics), rounded to the decimals of their terms,
// which gives max and sum back exactly; a chunk where that does not hold for every bucket
// (values that are not short decimals) takes layout 1, the columns as they are.
//
// Layout 3, written whenever the chunk's values are short decimals, works on integers: every
// min, max and sum of the chunk in units of 10^−D (uvarint D, the most decimals any of them
// has). Then the counts, nearly constant (a bucket holds as many samples as the agent's
// interval puts in it): uvarint the most frequent count, uvarint how many buckets differ, and
// for each the uvarint gap to the previous one's index and its uvarint count — a few bytes
// where a column of the codec costs ~10. Then three columns: (start, min), (i, max − min),
// and (i, sum − count×min − ⌊count×(max − min)/2⌋), the sum's distance to the middle of
// what the min and the max allow: its spread follows the bucket's and not the values' level,
// which the codec stores in fewer bits (−9 % on the 5-minute column of an agent day) than
// sum − count×min. Both are encoded and the smaller kept: layout 4 is layout 3 with
// sum − count×min (regular patterns, where the middle adds noise).
const (
	rollupPlain      = 1 // (start, min), (i, sum), (i, max), (i, count)
	rollupSpreads    = 2 // (start, min), (i, sum − count×min), (i, max − min), (i, count)
	rollupInts       = 3 // D, counts, (start, min), (i, max − min), (i, sum − count×min − ⌊count×(max − min)/2⌋), ×10^D
	rollupIntsExcess = 4 // D, counts, (start, min), (i, max − min), (i, sum − count×min), ×10^D
)

// Bounds of layout 3: scaled values stay exact in a float64 column and their products with
// a count in an int64.
const (
	maxScaled      = 1 << 52
	maxRollupCount = chunk.MaxSamples
)

func encodeRollup(bs []bucket) ([]byte, error) {
	if out, ok, err := encodeRollupInts(bs); ok || err != nil {
		return out, err
	}
	return encodeRollupSpreads(bs)
}

// encodeRollupSpreads encodes buckets in layout 2, or 1 when 2 would not give them back.
func encodeRollupSpreads(bs []bucket) ([]byte, error) {
	cols := [4][]chunk.Sample{}
	for c := range cols {
		cols[c] = make([]chunk.Sample, len(bs))
	}
	layout := byte(rollupSpreads)
	for i, b := range bs {
		excess, spread := excessOf(b), spreadOf(b)
		if sumFrom(b.Min, excess, b.Count) != b.Sum || maxFrom(b.Min, spread) != b.Max {
			layout = rollupPlain
			break
		}
		cols[1][i] = chunk.Sample{T: int64(i), V: excess}
		cols[2][i] = chunk.Sample{T: int64(i), V: spread}
	}
	for i, b := range bs {
		cols[0][i] = chunk.Sample{T: b.T, V: b.Min}
		cols[3][i] = chunk.Sample{T: int64(i), V: b.Count}
		if layout == rollupPlain {
			cols[1][i] = chunk.Sample{T: int64(i), V: b.Sum}
			cols[2][i] = chunk.Sample{T: int64(i), V: b.Max}
		}
	}
	out := []byte{layout}
	out = binary.AppendUvarint(out, uint64(len(bs)))
	for _, col := range cols {
		c, err := chunk.Encode(col, chunk.Options{})
		if err != nil {
			return nil, fmt.Errorf("encode rollup: %w", err)
		}
		out = binary.AppendUvarint(out, uint64(len(c)))
		out = append(out, c...)
	}
	return out, nil
}

func roundTo(v float64, d int) float64 {
	if d > 9 {
		return v
	}
	p := math.Pow10(d)
	return math.Round(v*p) / p
}

func spreadOf(b bucket) float64 { return roundTo(b.Max-b.Min, max(decimals(b.Max), decimals(b.Min))) }
func excessOf(b bucket) float64 {
	return roundTo(b.Sum-b.Count*b.Min, max(decimals(b.Sum), decimals(b.Min)))
}
func maxFrom(min, spread float64) float64 {
	return roundTo(min+spread, max(decimals(min), decimals(spread)))
}
func sumFrom(min, excess, count float64) float64 {
	return roundTo(excess+count*min, max(decimals(min), decimals(excess)))
}

// encodeRollupInts encodes buckets in layout 3; ok is false when their values are not all
// short decimals that come back exactly (the caller then takes layout 1 or 2).
func encodeRollupInts(bs []bucket) (out []byte, ok bool, err error) {
	if len(bs) == 0 {
		return nil, false, nil
	}
	d := 0
	for _, b := range bs {
		d = max(d, decimals(b.Min), decimals(b.Max), decimals(b.Sum))
	}
	if d > 9 {
		return nil, false, nil
	}
	p := math.Pow10(d)
	scaled := func(v float64) (int64, bool) {
		r := math.Round(v * p)
		if !(math.Abs(r) <= maxScaled) {
			return 0, false
		}
		i := int64(r)
		return i, math.Float64bits(float64(i)/p) == math.Float64bits(v)
	}
	mins := make([]chunk.Sample, len(bs))
	spreads := make([]chunk.Sample, len(bs))
	mids := make([]chunk.Sample, len(bs))
	excesses := make([]chunk.Sample, len(bs))
	excessOK := true
	counts := make([]int64, len(bs))
	freq := map[int64]int{}
	for i, b := range bs {
		m, ok1 := scaled(b.Min)
		x, ok2 := scaled(b.Max)
		s, ok3 := scaled(b.Sum)
		c := int64(b.Count)
		if !ok1 || !ok2 || !ok3 || x < m || !(b.Count >= 1 && b.Count <= maxRollupCount) || float64(c) != b.Count {
			return nil, false, nil
		}
		if lim := int64(1<<62) / c; m > lim || m < -lim || x-m > min(lim, maxScaled) {
			return nil, false, nil
		}
		mid := s - c*m - c*(x-m)/2
		if mid > maxScaled || mid < -maxScaled {
			return nil, false, nil
		}
		mins[i] = chunk.Sample{T: b.T, V: float64(m)}
		spreads[i] = chunk.Sample{T: int64(i), V: float64(x - m)}
		mids[i] = chunk.Sample{T: int64(i), V: float64(mid)}
		excess := s - c*m
		excessOK = excessOK && excess <= maxScaled && excess >= -maxScaled
		excesses[i] = chunk.Sample{T: int64(i), V: float64(excess)}
		counts[i] = c
		freq[c]++
	}
	mode := counts[0]
	for c, f := range freq {
		if f > freq[mode] || (f == freq[mode] && c < mode) {
			mode = c
		}
	}
	// The sum column first: the smaller of its two forms sets the layout.
	sums, err := chunk.Encode(mids, chunk.Options{})
	if err != nil {
		return nil, false, fmt.Errorf("encode rollup: %w", err)
	}
	layout := byte(rollupInts)
	if excessOK {
		alt, err := chunk.Encode(excesses, chunk.Options{})
		if err != nil {
			return nil, false, fmt.Errorf("encode rollup: %w", err)
		}
		if len(alt) < len(sums) {
			layout, sums = rollupIntsExcess, alt
		}
	}
	out = []byte{layout}
	out = binary.AppendUvarint(out, uint64(len(bs)))
	out = binary.AppendUvarint(out, uint64(d))
	out = binary.AppendUvarint(out, uint64(mode))
	out = binary.AppendUvarint(out, uint64(len(bs)-freq[mode]))
	prev := -1
	for i, c := range counts {
		if c != mode {
			out = binary.AppendUvarint(out, uint64(i-prev-1))
			out = binary.AppendUvarint(out, uint64(c))
			prev = i
		}
	}
	for _, col := range [][]chunk.Sample{mins, spreads} {
		c, err := chunk.Encode(col, chunk.Options{})
		if err != nil {
			return nil, false, fmt.Errorf("encode rollup: %w", err)
		}
		out = binary.AppendUvarint(out, uint64(len(c)))
		out = append(out, c...)
	}
	out = binary.AppendUvarint(out, uint64(len(sums)))
	return append(out, sums...), true, nil
}

// decodeRollupInts decodes layouts 3 and 4, data being what follows the layout byte.
func decodeRollupInts(layout byte, data []byte) ([]bucket, error) {
	var hdr [4]uint64 // n, d, the most frequent count, how many counts differ
	for i := range hdr {
		v, k := binary.Uvarint(data)
		if k <= 0 {
			return nil, fmt.Errorf("rollup chunk: bad header")
		}
		hdr[i] = v
		data = data[k:]
	}
	n, d, mode, diff := hdr[0], hdr[1], hdr[2], hdr[3]
	if n == 0 || n > chunk.MaxSamples || d > 9 || mode < 1 || mode > maxRollupCount || diff > n {
		return nil, fmt.Errorf("rollup chunk: bad header")
	}
	counts := make([]int64, n)
	for i := range counts {
		counts[i] = int64(mode)
	}
	i := uint64(0)
	for range diff {
		gap, k := binary.Uvarint(data)
		if k <= 0 || gap >= n-i {
			return nil, fmt.Errorf("rollup chunk: bad count position")
		}
		data = data[k:]
		i += gap
		c, k := binary.Uvarint(data)
		if k <= 0 || c < 1 || c > maxRollupCount || c == mode {
			return nil, fmt.Errorf("rollup chunk: bad count")
		}
		data = data[k:]
		counts[i] = int64(c)
		i++
	}
	var cols [3][]chunk.Sample
	for c := range cols {
		l, k := binary.Uvarint(data)
		if k <= 0 || l > uint64(len(data)-k) {
			return nil, fmt.Errorf("rollup chunk: bad length")
		}
		data = data[k:]
		s, err := chunk.Decode(data[:l])
		if err != nil {
			return nil, fmt.Errorf("rollup chunk: %w", err)
		}
		if len(s) != int(n) {
			return nil, fmt.Errorf("rollup chunk: column %d has %d values, want %d", c, len(s), n)
		}
		for _, x := range s {
			if !(math.Abs(x.V) <= maxScaled) || x.V != math.Trunc(x.V) {
				return nil, fmt.Errorf("rollup chunk: column %d: not an integer", c)
			}
		}
		cols[c] = s
		data = data[l:]
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("rollup chunk: trailing bytes")
	}
	p := math.Pow10(int(d))
	out := make([]bucket, n)
	for i := range out {
		m, spread, sum, c := int64(cols[0][i].V), int64(cols[1][i].V), int64(cols[2][i].V), counts[i]
		if spread < 0 {
			return nil, fmt.Errorf("rollup chunk: negative spread")
		}
		s := sum + c*m
		if layout == rollupInts {
			s += c * spread / 2
		}
		out[i] = bucket{T: cols[0][i].T, Min: float64(m) / p, Max: float64(m+spread) / p, Sum: float64(s) / p, Count: float64(c)}
	}
	return out, nil
}

func decodeRollup(data []byte) ([]bucket, error) {
	if len(data) > 0 && (data[0] == rollupInts || data[0] == rollupIntsExcess) {
		return decodeRollupInts(data[0], data[1:])
	}
	if len(data) == 0 || (data[0] != rollupPlain && data[0] != rollupSpreads) {
		return nil, fmt.Errorf("rollup chunk: unknown layout")
	}
	layout := data[0]
	data = data[1:]
	n, k := binary.Uvarint(data)
	if k <= 0 || n > chunk.MaxSamples {
		return nil, fmt.Errorf("rollup chunk: bad count")
	}
	data = data[k:]
	var cols [4][]chunk.Sample
	for c := range cols {
		l, k := binary.Uvarint(data)
		if k <= 0 || l > uint64(len(data)-k) {
			return nil, fmt.Errorf("rollup chunk: bad length")
		}
		data = data[k:]
		s, err := chunk.Decode(data[:l])
		if err != nil {
			return nil, fmt.Errorf("rollup chunk: %w", err)
		}
		if len(s) != int(n) {
			return nil, fmt.Errorf("rollup chunk: column %d has %d values, want %d", c, len(s), n)
		}
		cols[c] = s
		data = data[l:]
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("rollup chunk: trailing bytes")
	}
	out := make([]bucket, n)
	for i := range out {
		b := bucket{T: cols[0][i].T, Min: cols[0][i].V, Sum: cols[1][i].V, Max: cols[2][i].V, Count: cols[3][i].V}
		if layout == rollupSpreads {
			b.Sum = sumFrom(b.Min, cols[1][i].V, b.Count)
			b.Max = maxFrom(b.Min, cols[2][i].V)
		}
		out[i] = b
	}
	return out, nil
}

// decimals returns how many decimals v has, up to 9 (10 when it has more).
func decimals(v float64) int {
	for d := 0; d <= 9; d++ {
		p := math.Pow10(d)
		if math.Round(v*p)/p == v {
			return d
		}
	}
	return 10
}

// rollup groups sorted samples into buckets of step ms. The sum is rounded to the decimals of
// its values, so that it stays a short decimal the chunk codec stores in a few bits: the
// exact decimal sum, which float64 additions would otherwise blur.
func rollup(samples []chunk.Sample, step int64) []bucket {
	var out []bucket
	d := 0
	flush := func() {
		if len(out) == 0 {
			return
		}
		b := &out[len(out)-1]
		if d <= 9 {
			p := math.Pow10(d)
			if r := math.Round(b.Sum*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
				b.Sum = r
			}
		}
	}
	for _, s := range samples {
		start := floorDiv(s.T, step) * step
		if len(out) == 0 || out[len(out)-1].T != start {
			flush()
			out = append(out, bucket{T: start, Min: s.V, Max: s.V})
			d = 0
		}
		b := &out[len(out)-1]
		b.Min = math.Min(b.Min, s.V)
		b.Max = math.Max(b.Max, s.V)
		b.Sum += s.V
		b.Count++
		d = max(d, decimals(s.V))
	}
	flush()
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// An open raw chunk may be stored as pieces: the byte piecesMark (no chunk version byte has
// it), then chunks of consecutive samples, each preceded by its uvarint length. Appending a
// piece costs only the new samples' encoding; a full chunk is always a single chunk.
const piecesMark = 0xff

func appendPiece(data []byte, samples []chunk.Sample) ([]byte, error) {
	c, err := chunk.Encode(samples, chunk.Options{Compression: chunk.CompressNone})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+len(c)+8)
	if len(data) > 0 && data[0] == piecesMark {
		out = append(out, data...)
	} else {
		out = append(out, piecesMark)
		if len(data) > 0 {
			out = binary.AppendUvarint(out, uint64(len(data)))
			out = append(out, data...)
		}
	}
	out = binary.AppendUvarint(out, uint64(len(c)))
	return append(out, c...), nil
}

// pieceCount returns how many pieces a raw chunk has (1 for a plain chunk).
func pieceCount(data []byte) int {
	if len(data) == 0 || data[0] != piecesMark {
		return 1
	}
	n := 0
	for b := data[1:]; len(b) > 0; n++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return n + 1
		}
		b = b[k+int(l):]
	}
	return n
}

// decodeRaw appends the samples of a raw chunk, plain or in pieces, to dst.
func decodeRaw(dst []chunk.Sample, data []byte) ([]chunk.Sample, error) {
	if len(data) == 0 || data[0] != piecesMark {
		return chunk.DecodeAppend(dst, data)
	}
	start := len(dst)
	for b := data[1:]; len(b) > 0; {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return dst, fmt.Errorf("raw chunk pieces: bad length: %w", chunk.ErrCorrupt)
		}
		var err error
		if dst, err = chunk.DecodeAppend(dst, b[k:k+int(l)]); err != nil {
			return dst, err
		}
		b = b[k+int(l):]
	}
	for i := start + 1; i < len(dst); i++ {
		if dst[i].T <= dst[i-1].T {
			return dst, fmt.Errorf("raw chunk pieces: out of order: %w", chunk.ErrCorrupt)
		}
	}
	return dst, nil
}
