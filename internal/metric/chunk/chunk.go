// Package chunk encodes the samples of one metric series into a compact, versioned byte string
// (a chunk, stored as a BLOB) and decodes it back, bit-exactly.
//
// A chunk is:
//
//	byte 0   version<<4 | flags      version 1; flag 0x01: the body is zstd-compressed
//	uvarint  sample count n          0 ≤ n ≤ MaxSamples; nothing follows when n is 0
//	body     a bit stream, most significant bit first, padded with zero bits to a byte:
//	           timestamps   an integer series (see ints.go)
//	           values       a 5-bit kind, then an integer series of the values scaled by
//	                        10^kind and the values stored whole (exceptions), or the
//	                        float64 XOR stream (see values.go)
//	         With the zstd flag, the body is a zstd frame without its 4-byte magic number.
//
// Timestamps must be strictly increasing: a series has one value per instant, and the caller,
// which knows which of two samples at one instant is right, removes duplicates before encoding.
//
// Decode checks everything it reads: a truncated or corrupted chunk gives an error wrapping
// ErrCorrupt, never a panic, and what Decode allocates is bounded by MaxSamples and by the
// length of its input.
package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sample is one measurement: T in Unix milliseconds and its value.
type Sample struct {
	T int64
	V float64
}

// Compression says whether Encode may compress a chunk's body with zstd.
type Compression uint8

const (
	// CompressAuto uses zstd when it makes the chunk smaller.
	CompressAuto Compression = iota
	// CompressNone never uses zstd.
	CompressNone
)

// Options tune Encode; the zero value is the default.
type Options struct {
	Compression Compression
}

// MaxSamples is the largest number of samples in one chunk.
const MaxSamples = 1 << 16

const (
	version  = 1
	flagZstd = 0x01
	// maxHeaderLen is byte 0 and the longest uvarint of a count up to MaxSamples.
	maxHeaderLen = 1 + 3
)

var (
	// ErrOutOfOrder is returned by Encode when timestamps are not strictly increasing.
	ErrOutOfOrder = errors.New("timestamps not strictly increasing")
	// ErrTooManySamples is returned by Encode for more than MaxSamples samples.
	ErrTooManySamples = fmt.Errorf("more than %d samples", MaxSamples)
	// ErrCorrupt is wrapped by every Decode error about the content of a chunk.
	ErrCorrupt = errors.New("corrupt chunk")
	// ErrVersion is returned by Decode for a chunk of an unknown format version.
	ErrVersion = errors.New("unknown chunk version")
)

// Encode returns the chunk of samples, whose timestamps must be strictly increasing.
func Encode(samples []Sample, opts Options) ([]byte, error) {
	if len(samples) > MaxSamples {
		return nil, fmt.Errorf("encode %d samples: %w", len(samples), ErrTooManySamples)
	}
	for i := 1; i < len(samples); i++ {
		if samples[i].T <= samples[i-1].T {
			return nil, fmt.Errorf("encode sample %d at %d after %d: %w", i, samples[i].T, samples[i-1].T, ErrOutOfOrder)
		}
	}
	out := make([]byte, 1, maxHeaderLen)
	out[0] = version << 4
	out = binary.AppendUvarint(out, uint64(len(samples)))
	if len(samples) == 0 {
		return out, nil
	}
	body := encodeBody(samples)
	// Decode limits what a zstd body may expand to; a body over that limit (none is, by the
	// sizes below) stays plain.
	if opts.Compression == CompressAuto && len(body) <= maxBodyLen(len(samples)) {
		if z, ok := compress(body); ok {
			out[0] |= flagZstd
			body = z
		}
	}
	return append(out, body...), nil
}

func encodeBody(samples []Sample) []byte {
	var (
		w   bitWriter
		enc intEncoder
	)
	xs := make([]int64, len(samples))
	for i, s := range samples {
		xs[i] = s.T
	}
	enc.encodeInts(&w, xs)

	// Write each candidate encoding of the values apart and keep the smallest.
	var best, cand bitWriter
	bestLen := -1
	keep := func() bool {
		l := cand.bitLen()
		better := bestLen < 0 || l < bestLen
		if better {
			best, cand, bestLen = cand, best, l
		}
		cand.reset()
		return better
	}
	tryXOR := true
	need := make([]uint8, len(samples))
	if hist, ok := decimalCounts(samples, need); ok {
		all, few := candidateDecimals(&hist, len(samples))
		dv := decimalValues{xs: xs[:0]}
		ds := []int{all}
		if few < all {
			ds = append(ds, few)
		}
		for _, d := range ds {
			if !scaleDecimal(samples, need, d, &dv) {
				continue
			}
			writeDecimal(&cand, &enc, samples, &dv)
			if keep() {
				// Many decimals make large integers, and exceptions cost 64 bits each: the
				// XOR stream may then be smaller.
				tryXOR = d > 4 || len(dv.exceptions) > 0
			}
		}
	}
	if tryXOR {
		cand.writeBits(kindFloat, kindBits)
		writeFloats(&cand, samples)
		keep()
	}
	w.writeFrom(&best)
	return w.bytes()
}

// Decode returns the samples of a chunk.
func Decode(chunk []byte) ([]Sample, error) {
	return DecodeAppend(nil, chunk)
}

// DecodeAppend appends the samples of a chunk to dst, so that a caller reading many chunks can
// reuse one slice.
func DecodeAppend(dst []Sample, chunk []byte) ([]Sample, error) {
	if len(chunk) == 0 {
		return dst, fmt.Errorf("decode chunk: empty input: %w", ErrCorrupt)
	}
	if v := chunk[0] >> 4; v != version {
		return dst, fmt.Errorf("decode chunk of version %d: %w", v, ErrVersion)
	}
	flags := chunk[0] & 0x0f
	if flags&^flagZstd != 0 {
		return dst, fmt.Errorf("decode chunk: unknown flags %#x: %w", flags, ErrCorrupt)
	}
	n, l := binary.Uvarint(chunk[1:])
	if l <= 0 || n > MaxSamples {
		return dst, fmt.Errorf("decode chunk: bad sample count: %w", ErrCorrupt)
	}
	body := chunk[1+l:]
	if n == 0 {
		if flags != 0 || len(body) != 0 {
			return dst, fmt.Errorf("decode chunk: data after an empty chunk: %w", ErrCorrupt)
		}
		return dst, nil
	}
	if flags&flagZstd != 0 {
		var err error
		if body, err = decompress(body, maxBodyLen(int(n))); err != nil {
			return dst, fmt.Errorf("decode chunk: %w: %w", ErrCorrupt, err)
		}
	}
	if err := checkCount(int(n), len(body)); err != nil {
		return dst, err
	}
	out, err := decodeBody(dst, body, int(n))
	if err != nil {
		return dst, fmt.Errorf("decode chunk: %w: %w", ErrCorrupt, err)
	}
	return out, nil
}

// checkCount refuses a count that the body is too short to hold, before anything is allocated
// for it. Every block of blockLen residuals of the two streams takes at least one bit.
func checkCount(n, bodyLen int) error {
	if n > 2 && (n-2)/blockLen*2 > bodyLen*8 {
		return fmt.Errorf("decode chunk: %d samples in %d bytes: %w", n, bodyLen, ErrCorrupt)
	}
	return nil
}

// maxBodyLen bounds the body of n samples: a timestamp and a value take at most 82 bits each
// (an escaped Rice code and its mask bit), an exception 87 more for one value in 16, plus the
// block codes and the stream headers (under 100 bytes).
func maxBodyLen(n int) int { return 128 + 32*n }

func decodeBody(dst []Sample, body []byte, n int) ([]Sample, error) {
	r := newBitReader(body)
	xs := make([]int64, n)
	if err := decodeInts(&r, xs); err != nil {
		return nil, fmt.Errorf("timestamps: %w", err)
	}
	for i := 1; i < n; i++ {
		if xs[i] <= xs[i-1] {
			return nil, fmt.Errorf("timestamps: %w", ErrOutOfOrder)
		}
	}
	start := len(dst)
	dst = append(dst, make([]Sample, n)...)
	out := dst[start:]
	for i, t := range xs {
		out[i].T = t
	}
	kind := int(r.readBits(kindBits))
	switch {
	case !r.ok():
		return nil, errValueStream
	case kind == kindFloat:
		if err := readFloats(&r, out); err != nil {
			return nil, err
		}
	case kind <= maxDecimals:
		if err := readDecimal(&r, kind, out, xs); err != nil {
			return nil, fmt.Errorf("values: %w", err)
		}
	default:
		return nil, fmt.Errorf("value kind %d: %w", kind, errValueStream)
	}
	// The padding is under a byte and zero: anything else is not what Encode wrote.
	pad := r.remaining()
	if !r.ok() || pad >= 8 || r.readBits(pad) != 0 {
		return nil, errors.New("trailing data")
	}
	return dst, nil
}
