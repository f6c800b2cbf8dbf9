package chunk

import (
	"errors"
	"math"
	"math/bits"
)

// Values are written as a 5-bit kind, then:
//
//	kind d ≤ maxDecimals   the integers v×10^d as an integer series (see ints.go), then '0', or
//	                       '1' and the exceptions: uvarint count−1, then for each the uvarint
//	                       gap to its index (index − previous index − 1, the first from −1) and
//	                       the 64 bits of its float64
//	kind kindFloat         the float64 XOR stream
//
// Agents send values with a fixed number of decimals (a percentage with 1 or 2, bytes with 0),
// so the chunk's d is the number of decimals its values need. A value v is representable with
// d decimals when some integer x with |x| ≤ 2^53 gives back exactly v as float64(x)/10^d — the
// very expression the decoder evaluates, so the round trip is bit-exact by construction.
//
// A value that is not (NaN, ±Inf, −0, 0.1+0.2, 1e300), or that needs more decimals than the
// rest, is an exception, stored whole, so that one odd value does not cost the whole chunk;
// its place in the integer series repeats the previous integer. Encode tries the decimals of
// the most precise value and the fewest that leave at most one exception in maxExceptionShare
// values, and the XOR stream when that may be smaller, and keeps the smallest.

const (
	kindBits          = 5
	maxDecimals       = 15
	kindFloat         = 16
	maxExact          = 1 << 53
	notDecimal        = maxDecimals + 1
	maxExceptionShare = 16
)

var errValueStream = errors.New("invalid value stream")

var pow10 = [maxDecimals + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// decimalValues is the decimal form of a chunk's values.
type decimalValues struct {
	d          int     // decimals
	xs         []int64 // v×10^d, or the previous integer at an exception
	exceptions []int   // indexes of the values stored whole
}

// maxExceptions is the most exceptions a chunk of n values may have.
func maxExceptions(n int) int { return max(1, n/maxExceptionShare) }

// decimalCounts sets need[i] to the decimals of value i and returns how many values need each
// number of decimals, or ok false when more than maxExceptions are not decimals at all.
func decimalCounts(samples []Sample, need []uint8) (hist [notDecimal + 1]int, ok bool) {
	limit := maxExceptions(len(samples))
	for i, s := range samples {
		k := decimalsOf(s.V)
		need[i] = k
		hist[k]++
		if hist[notDecimal] > limit {
			return hist, false
		}
	}
	return hist, true
}

// candidateDecimals returns the decimals that represent every decimal value, and the fewest
// that leave at most maxExceptions values to store whole. The first is best when the values
// share one precision, the second when a few need more than the rest.
func candidateDecimals(hist *[notDecimal + 1]int, n int) (all, few int) {
	for d := range maxDecimals + 1 {
		if hist[d] > 0 {
			all = d
		}
	}
	above := n - hist[0]
	for above > maxExceptions(n) && few < maxDecimals {
		few++
		above -= hist[few]
	}
	return all, min(few, all)
}

// scaleDecimal sets dv to the values of samples with d decimals, or returns false when that
// leaves more than maxExceptions values to store whole.
func scaleDecimal(samples []Sample, need []uint8, d int, dv *decimalValues) bool {
	limit := maxExceptions(len(samples))
	dv.d = d
	dv.xs = dv.xs[:0]
	dv.exceptions = dv.exceptions[:0]
	var prev int64
	for i, s := range samples {
		x, exact := int64(0), false
		if int(need[i]) <= d {
			x, exact = scaled(s.V, d)
		}
		if !exact {
			if len(dv.exceptions) == limit {
				return false
			}
			dv.exceptions = append(dv.exceptions, i)
			x = prev
		}
		dv.xs = append(dv.xs, x)
		prev = x
	}
	return true
}

// decimalsOf returns the fewest decimals that represent v, or notDecimal.
func decimalsOf(v float64) uint8 {
	if v == 0 && math.Signbit(v) || math.IsNaN(v) || math.IsInf(v, 0) {
		return notDecimal
	}
	for d := range maxDecimals + 1 {
		if _, ok := scaled(v, d); ok {
			return uint8(d)
		}
	}
	return notDecimal
}

func writeDecimal(w *bitWriter, enc *intEncoder, samples []Sample, dv *decimalValues) {
	w.writeBits(uint64(dv.d), kindBits)
	enc.encodeInts(w, dv.xs)
	if len(dv.exceptions) == 0 {
		w.writeBits(0, 1)
		return
	}
	w.writeBits(1, 1)
	w.writeUvarint(uint64(len(dv.exceptions) - 1))
	last := -1
	for _, i := range dv.exceptions {
		w.writeUvarint(uint64(i - last - 1))
		w.writeBits(math.Float64bits(samples[i].V), 64)
		last = i
	}
}

// readDecimal reads the values of kind d into dst, using xs as scratch space.
func readDecimal(r *bitReader, d int, dst []Sample, xs []int64) error {
	if err := decodeInts(r, xs); err != nil {
		return err
	}
	for i, x := range xs {
		if x < -maxExact || x > maxExact {
			return errValueStream
		}
		dst[i].V = unscaled(x, d)
	}
	if !r.readBit() {
		return nil
	}
	count := r.readUvarint() + 1
	if !r.ok() || count > uint64(len(dst)) {
		return errValueStream
	}
	next := uint64(0) // the lowest index the next exception may have
	for range count {
		i := next + r.readUvarint()
		v := r.readBits(64)
		if !r.ok() || i < next || i >= uint64(len(dst)) {
			return errValueStream
		}
		dst[i].V = math.Float64frombits(v)
		next = i + 1
	}
	return nil
}

// scaled returns x such that float64(x)/10^d is exactly v.
func scaled(v float64, d int) (int64, bool) {
	f := math.Round(v * pow10[d])
	if !(f >= -maxExact && f <= maxExact) { // also false for NaN
		return 0, false
	}
	x := int64(f)
	back := float64(x)
	if d > 0 {
		back /= pow10[d]
	}
	return x, math.Float64bits(back) == math.Float64bits(v)
}

func unscaled(x int64, d int) float64 {
	v := float64(x)
	if d > 0 {
		v /= pow10[d]
	}
	return v
}

// The float fallback is the XOR scheme of Pelkonen et al., "Gorilla" (VLDB 2015), §4.1.2:
// '0' for a value equal to the previous one; '10' and the meaningful bits when the XOR fits in
// the previous window of meaningful bits; '11', 6 bits of leading zeros, 6 bits of meaningful
// length minus one, and the meaningful bits otherwise.

func writeFloats(w *bitWriter, samples []Sample) {
	prev := math.Float64bits(samples[0].V)
	w.writeBits(prev, 64)
	var lead, sig uint = 65, 0 // no window yet
	for _, s := range samples[1:] {
		cur := math.Float64bits(s.V)
		x := cur ^ prev
		prev = cur
		if x == 0 {
			w.writeBits(0, 1)
			continue
		}
		l := uint(bits.LeadingZeros64(x))
		t := uint(bits.TrailingZeros64(x))
		if lead <= 64 && l >= lead && t >= 64-lead-sig {
			w.writeBits(0b10, 2)
			w.writeBits(x>>(64-lead-sig), sig)
			continue
		}
		lead, sig = l, 64-l-t
		w.writeBits(0b11, 2)
		w.writeBits(uint64(lead), 6)
		w.writeBits(uint64(sig-1), 6)
		w.writeBits(x>>t, sig)
	}
}

func readFloats(r *bitReader, dst []Sample) error {
	prev := r.readBits(64)
	dst[0].V = math.Float64frombits(prev)
	var lead, sig uint = 65, 0
	for i := 1; i < len(dst); i++ {
		if r.readBit() {
			if r.readBit() {
				lead = uint(r.readBits(6))
				sig = uint(r.readBits(6)) + 1
				if lead+sig > 64 {
					return errValueStream
				}
			} else if lead > 64 {
				return errValueStream // a reused window before any was set
			}
			prev ^= r.readBits(sig) << (64 - lead - sig)
		}
		if !r.ok() {
			return errValueStream
		}
		dst[i].V = math.Float64frombits(prev)
	}
	return nil
}
