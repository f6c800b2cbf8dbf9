package chunk

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter appends bits most-significant first. The zero value is ready to use.
type bitWriter struct {
	buf  []byte
	acc  uint64 // pending bits, right-aligned
	nacc uint   // number of pending bits, < 8 between calls
}

// writeBits writes the low n bits of v, n ≤ 64.
func (w *bitWriter) writeBits(v uint64, n uint) {
	if n == 0 {
		return
	}
	if n < 64 {
		v &= 1<<n - 1
	}
	// Keep acc within 64 bits: at most 7 pending bits plus up to 56 new ones.
	for n > 56 {
		n -= 32
		w.writeBits(v>>n, 32)
	}
	w.acc = w.acc<<n | v
	w.nacc += n
	for w.nacc >= 8 {
		w.nacc -= 8
		w.buf = append(w.buf, byte(w.acc>>w.nacc))
	}
}

func (w *bitWriter) writeBit(b bool) {
	if b {
		w.writeBits(1, 1)
	} else {
		w.writeBits(0, 1)
	}
}

// writeOnes writes n one bits.
func (w *bitWriter) writeOnes(n uint) {
	for n >= 32 {
		w.writeBits(1<<32-1, 32)
		n -= 32
	}
	w.writeBits(1<<n-1, n)
}

// writeUvarint writes u as a 7-bit length L followed by the L significant bits of u.
func (w *bitWriter) writeUvarint(u uint64) {
	l := uint(bits.Len64(u))
	w.writeBits(uint64(l), 7)
	w.writeBits(u, l)
}

func (w *bitWriter) writeVarint(v int64) { w.writeUvarint(zigzag(v)) }

// writeFrom writes the bits written to o.
func (w *bitWriter) writeFrom(o *bitWriter) {
	for _, b := range o.buf {
		w.writeBits(uint64(b), 8)
	}
	w.writeBits(o.acc, o.nacc)
}

// bitLen is the number of bits written so far.
func (w *bitWriter) bitLen() int { return len(w.buf)*8 + int(w.nacc) }

// bytes flushes the pending bits, padded with zeros, and returns the buffer.
func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.nacc)))
		w.acc, w.nacc = 0, 0
	}
	return w.buf
}

func (w *bitWriter) reset() {
	w.buf = w.buf[:0]
	w.acc, w.nacc = 0, 0
}

// bitReader reads what bitWriter wrote. Reading past the end sets failed and yields zeros, so
// callers check ok() once per loop instead of after every read.
type bitReader struct {
	buf    []byte
	pos    uint // next bit to read
	end    uint // len(buf)*8
	failed bool
}

func newBitReader(b []byte) bitReader {
	return bitReader{buf: b, end: uint(len(b)) * 8}
}

func (r *bitReader) ok() bool { return !r.failed }

// remaining is the number of unread bits.
func (r *bitReader) remaining() uint { return r.end - r.pos }

// peek returns the next 64 bits, first bit highest, with zeros past the end.
func (r *bitReader) peek() uint64 {
	i := r.pos >> 3
	off := r.pos & 7
	if i+9 <= uint(len(r.buf)) {
		return binary.BigEndian.Uint64(r.buf[i:])<<off | uint64(r.buf[i+8])>>(8-off)
	}
	var b [9]byte
	if i < uint(len(r.buf)) {
		copy(b[:], r.buf[i:])
	}
	return binary.BigEndian.Uint64(b[:])<<off | uint64(b[8])>>(8-off)
}

// skip consumes n bits, failing if fewer remain.
func (r *bitReader) skip(n uint) {
	if n > r.remaining() {
		r.failed = true
		r.pos = r.end
		return
	}
	r.pos += n
}

// readBits reads n ≤ 64 bits.
func (r *bitReader) readBits(n uint) uint64 {
	if n == 0 {
		return 0
	}
	v := r.peek() >> (64 - n)
	r.skip(n)
	if r.failed {
		return 0
	}
	return v
}

func (r *bitReader) readBit() bool { return r.readBits(1) == 1 }

// readOnes counts one bits up to the first zero, which it consumes too, or up to max ones.
func (r *bitReader) readOnes(max uint) uint {
	n := uint(bits.LeadingZeros64(^r.peek()))
	if n >= max {
		r.skip(max)
		return max
	}
	r.skip(n + 1)
	return n
}

func (r *bitReader) readUvarint() uint64 {
	l := uint(r.readBits(7))
	if l > 64 {
		r.failed = true
		return 0
	}
	return r.readBits(l)
}

func (r *bitReader) readVarint() int64 { return unzigzag(r.readUvarint()) }

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
