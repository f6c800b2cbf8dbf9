package chunk

import (
	"errors"
	"math"
	"math/bits"
	"slices"
)

// An integer series (the timestamps, or the values scaled to integers) is written as:
//
//	mode     2 bits   how the values become residuals, see below
//	heads    varints  modeDelta: the first value; modeDelta2: the first value and delta;
//	                  modeLine: the slope
//	base     varint   subtracted from every residual (their median)
//	scale    uvarint  minus 1: every residual minus base is a multiple of scale
//	blocks   the residuals, (r−base)/scale zigzagged, in blocks of blockLen
//
// A varint is zigzagged and written as a 7-bit length L then the L significant bits.
//
// The modes: modeValues, the values themselves; modeDelta, the differences from the previous
// value; modeDelta2, the differences of those differences; modeLine, the values minus i×slope.
// Encode computes the exact cost of each and writes the cheapest, so a counter (near-constant
// deltas), a gauge that barely moves (deltas mostly zero), a rate that jumps around a level
// (values near their median) and jittered timestamps (near a line) each get the one that suits
// them. Regular timestamps give deltas of deltas of zero.
//
// Each block starts with '0' (the code of the previous block again; before the first block,
// codeZero) or '1' and a 6-bit code:
//
//	0          codeZero: every residual is zero; nothing follows
//	1+k        Rice codes with parameter k ≤ maxK (below)
//	codeMask   6 bits of k, a mask of len(block) bits with a one for each non-zero residual,
//	           then u−1 of each non-zero u in Rice codes with parameter k
//	codeList   6 bits of k, 5 bits of count−1 of the non-zero residuals, their positions in
//	           the block in 5 bits each, increasing, then u−1 of each in Rice codes
//
// The Rice code of u with parameter k is the quotient u>>k in unary (that many ones and a
// zero) then the k low bits of u; a quotient of riceEscape or more is written as riceEscape
// ones, the 6-bit bit length L−1 of u, and the L−1 bits of u under its leading one. The encoder
// picks, per block, the code and k that write the fewest bits, so the coding adapts within a
// chunk to bursts and to quiet stretches.

// mode is how an integer series is turned into residuals.
type mode uint8

const (
	modeValues mode = iota
	modeDelta
	modeDelta2
	modeLine
	modeBits = 2
)

// fits reports whether m can encode n values.
func (m mode) fits(n int) bool {
	switch m {
	case modeValues:
		return true
	case modeDelta, modeDelta2:
		return int(m) < n
	case modeLine:
		return n >= 2
	}
	return false
}

const (
	blockBits  = 5
	blockLen   = 1 << blockBits
	riceEscape = 12
	codeBits   = 6
	codeList   = 1<<codeBits - 1
	codeMask   = codeList - 1
	maxK       = codeMask - 2 // Rice codes 1+k stay under codeMask
	maxScale   = 1 << 62
	// medianSample is how many values median looks at.
	medianSample = 64
)

// Block codes as the encoder holds them.
const (
	codeZero = iota
	codeRice
	codeSparseMask
	codeSparseList
)

var errIntStream = errors.New("invalid integer stream")

// blockCode says how a block is written.
type blockCode struct {
	kind uint8 // codeZero, codeRice, codeSparseMask or codeSparseList
	k    uint8
}

// intPlan is one way of writing an integer series, with its exact size.
type intPlan struct {
	mode  mode
	heads [2]int64 // first value and delta, or slope
	base  int64
	scale uint64
	u     []uint64    // zigzagged residuals
	codes []blockCode // one per block
	bits  int
}

// intEncoder holds scratch space reused between series.
type intEncoder struct {
	res        []int64
	tmp        []uint64
	best, cand intPlan
}

// encodeInts appends the smallest encoding of xs to w.
func (e *intEncoder) encodeInts(w *bitWriter, xs []int64) {
	e.best.bits = -1
	for m := modeValues; m <= modeLine; m++ {
		if !m.fits(len(xs)) {
			continue
		}
		e.plan(&e.cand, xs, m)
		if e.best.bits < 0 || e.cand.bits < e.best.bits {
			e.best, e.cand = e.cand, e.best
		}
	}
	e.best.write(w)
}

// plan fills p with the encoding of xs in mode m.
func (e *intEncoder) plan(p *intPlan, xs []int64, m mode) {
	p.mode = m
	p.bits = modeBits
	// Wrapping arithmetic is deliberate: decoding adds back what was subtracted, so any int64
	// timestamp round-trips even where a difference overflows.
	res := append(e.res[:0], xs...)
	switch m {
	case modeDelta, modeDelta2:
		for o := range int(m) {
			p.heads[o] = res[o]
			p.bits += varintLen(res[o])
			for i := len(res) - 1; i > o; i-- {
				res[i] -= res[i-1]
			}
		}
		res = res[m:]
	case modeLine:
		for i := len(res) - 1; i > 0; i-- {
			res[i] -= res[i-1]
		}
		slope := median(res[1:], &e.tmp)
		p.heads[0] = slope
		p.bits += varintLen(slope)
		copy(res, xs)
		for i := range res {
			res[i] -= int64(i) * slope
		}
	}
	p.base = median(res, &e.tmp)
	var g uint64
	for _, r := range res {
		if g = gcd(g, abs64(r-p.base)); g == 1 {
			break
		}
	}
	if g == 0 || g >= maxScale {
		g = 1
	}
	p.scale = g
	p.bits += varintLen(p.base) + uvarintLen(g-1)
	p.u = p.u[:0]
	for _, r := range res {
		p.u = append(p.u, zigzag((r-p.base)/int64(g)))
	}
	p.codes = p.codes[:0]
	prev := blockCode{kind: codeZero}
	for blk := range slices.Chunk(p.u, blockLen) {
		c, cost := bestCode(blk)
		p.codes = append(p.codes, c)
		p.bits += codeLen(c, prev) + cost
		prev = c
	}
	e.res = res[:0]
}

func (p *intPlan) write(w *bitWriter) {
	w.writeBits(uint64(p.mode), modeBits)
	switch p.mode {
	case modeDelta, modeDelta2:
		for o := range int(p.mode) {
			w.writeVarint(p.heads[o])
		}
	case modeLine:
		w.writeVarint(p.heads[0])
	}
	w.writeVarint(p.base)
	w.writeUvarint(p.scale - 1)
	prev := blockCode{kind: codeZero}
	for i, c := range p.codes {
		blk := p.u[i*blockLen : min((i+1)*blockLen, len(p.u))]
		writeCode(w, c, prev)
		prev = c
		writeBlock(w, blk, c)
	}
}

// decodeInts reads len(dst) integers into dst.
func decodeInts(r *bitReader, dst []int64) error {
	n := len(dst)
	m := mode(r.readBits(modeBits))
	if !m.fits(n) {
		return errIntStream
	}
	heads := 0
	var slope int64
	switch m {
	case modeDelta, modeDelta2:
		heads = int(m)
		for o := range heads {
			dst[o] = r.readVarint()
		}
	case modeLine:
		slope = r.readVarint()
	}
	base := r.readVarint()
	gm1 := r.readUvarint()
	if !r.ok() || gm1 >= maxScale-1 {
		return errIntStream
	}
	g := int64(gm1 + 1)
	res := dst[heads:]
	if err := readBlocks(r, res); err != nil {
		return err
	}
	for i, u := range res {
		res[i] = unzigzag(uint64(u))*g + base
	}
	switch m {
	case modeDelta, modeDelta2:
		// Integrate: the residuals of order o are the differences of those of order o−1.
		for o := heads - 1; o >= 0; o-- {
			for i := o + 1; i < n; i++ {
				dst[i] += dst[i-1]
			}
		}
	case modeLine:
		for i := range dst {
			dst[i] += int64(i) * slope
		}
	}
	return nil
}

func codeLen(c, prev blockCode) int {
	switch {
	case c == prev:
		return 1
	case c.kind == codeSparseMask || c.kind == codeSparseList:
		return 1 + 2*codeBits
	default:
		return 1 + codeBits
	}
}

func writeCode(w *bitWriter, c, prev blockCode) {
	if c == prev {
		w.writeBits(0, 1)
		return
	}
	w.writeBits(1, 1)
	switch c.kind {
	case codeZero:
		w.writeBits(0, codeBits)
	case codeRice:
		w.writeBits(1+uint64(c.k), codeBits)
	case codeSparseMask:
		w.writeBits(codeMask, codeBits)
		w.writeBits(uint64(c.k), codeBits)
	case codeSparseList:
		w.writeBits(codeList, codeBits)
		w.writeBits(uint64(c.k), codeBits)
	}
}

func readCode(r *bitReader, prev blockCode) (blockCode, bool) {
	if !r.readBit() {
		return prev, r.ok()
	}
	var c blockCode
	switch v := uint8(r.readBits(codeBits)); v {
	case 0:
		c.kind = codeZero
	case codeMask, codeList:
		c.kind = codeSparseMask
		if v == codeList {
			c.kind = codeSparseList
		}
		c.k = uint8(r.readBits(codeBits))
	default:
		c.kind, c.k = codeRice, v-1
	}
	return c, r.ok() && c.k <= maxK
}

func writeBlock(w *bitWriter, blk []uint64, c blockCode) {
	k := uint(c.k)
	switch c.kind {
	case codeRice:
		for _, v := range blk {
			writeRice(w, v, k)
		}
	case codeSparseMask:
		for _, v := range blk {
			w.writeBit(v != 0)
		}
	case codeSparseList:
		nz := 0
		for _, v := range blk {
			if v != 0 {
				nz++
			}
		}
		w.writeBits(uint64(nz-1), blockBits)
		for i, v := range blk {
			if v != 0 {
				w.writeBits(uint64(i), blockBits)
			}
		}
	}
	if c.kind == codeSparseMask || c.kind == codeSparseList {
		for _, v := range blk {
			if v != 0 {
				writeRice(w, v-1, k)
			}
		}
	}
}

// readBlocks reads len(dst) residuals written by the blocks of intPlan.write, as the uint64
// bit patterns of the zigzagged values.
func readBlocks(r *bitReader, dst []int64) error {
	prev := blockCode{kind: codeZero}
	for blk := range slices.Chunk(dst, blockLen) {
		c, ok := readCode(r, prev)
		if !ok {
			return errIntStream
		}
		prev = c
		k := uint(c.k)
		switch c.kind {
		case codeZero:
			clear(blk)
			continue
		case codeRice:
			for i := range blk {
				v, ok := readRice(r, k)
				if !ok {
					return errIntStream
				}
				blk[i] = int64(v)
			}
			continue
		case codeSparseMask:
			for i := range blk {
				blk[i] = 0
				if r.readBit() {
					blk[i] = 1 // marks a non-zero residual, read below
				}
			}
		case codeSparseList:
			clear(blk)
			nz := int(r.readBits(blockBits)) + 1
			next := 0 // the lowest position the next one may have
			for range nz {
				i := int(r.readBits(blockBits))
				if i < next || i >= len(blk) {
					return errIntStream
				}
				blk[i] = 1
				next = i + 1
			}
		}
		for i, mark := range blk {
			if mark == 0 {
				continue
			}
			v, ok := readRice(r, k)
			if !ok || v == math.MaxUint64 {
				return errIntStream
			}
			blk[i] = int64(v + 1)
		}
		if !r.ok() {
			return errIntStream
		}
	}
	return nil
}

func writeRice(w *bitWriter, v uint64, k uint) {
	if q := v >> k; q < riceEscape {
		w.writeBits(1<<(q+1)-2, uint(q)+1) // q ones and a zero
		w.writeBits(v, k)
		return
	}
	l := uint(bits.Len64(v))
	w.writeOnes(riceEscape)
	w.writeBits(uint64(l-1), 6)
	w.writeBits(v, l-1)
}

func readRice(r *bitReader, k uint) (uint64, bool) {
	// Most codes fit in the next 64 bits: read them from one peek.
	w := r.peek()
	if q := uint(bits.LeadingZeros64(^w)); q < riceEscape && q+1+k <= 64 {
		r.skip(q + 1 + k)
		return uint64(q)<<k | w<<(q+1)>>(64-k), r.ok()
	}
	q := r.readOnes(riceEscape)
	if q < riceEscape {
		if k+uint(bits.Len(q)) > 64 {
			return 0, false // the quotient would shift out of 64 bits
		}
		return uint64(q)<<k | r.readBits(k), r.ok()
	}
	l := uint(r.readBits(6)) + 1
	v := 1<<(l-1) | r.readBits(l-1)
	// A value with a smaller quotient is written without the escape: accept only what the
	// encoder writes.
	return v, r.ok() && v>>k >= riceEscape
}

func riceLen(v uint64, k uint) int {
	if q := v >> k; q < riceEscape {
		return int(q) + 1 + int(k)
	}
	return riceEscape + 6 + bits.Len64(v) - 1
}

// bestCode returns the cheapest code for blk and the bits of the block after its code.
func bestCode(blk []uint64) (blockCode, int) {
	var all, nonZero lengths
	for _, v := range blk {
		all.add(v)
		if v != 0 {
			nonZero.add(v - 1)
		}
	}
	if nonZero.n == 0 {
		return blockCode{kind: codeZero}, 0
	}
	best, bestCost := blockCode{}, -1
	// The estimate is close: count exactly around it.
	est := all.bestK()
	for k := max(est-1, 0); k <= min(est+1, maxK); k++ {
		c := 0
		for _, v := range blk {
			c += riceLen(v, uint(k))
		}
		if bestCost < 0 || c < bestCost {
			best, bestCost = blockCode{kind: codeRice, k: uint8(k)}, c
		}
	}
	if nonZero.n == len(blk) {
		return best, bestCost
	}
	mask := len(blk)
	list := blockBits * (1 + nonZero.n)
	sparse := blockCode{kind: codeSparseMask}
	if list < mask {
		sparse.kind = codeSparseList
	}
	est = nonZero.bestK()
	for k := max(est-1, 0); k <= min(est+1, maxK); k++ {
		c := min(mask, list)
		for _, v := range blk {
			if v != 0 {
				c += riceLen(v-1, uint(k))
			}
		}
		if c < bestCost {
			sparse.k = uint8(k)
			best, bestCost = sparse, c
		}
	}
	return best, bestCost
}

// lengths is the histogram of the bit lengths of some values.
type lengths struct {
	count    [65]uint8
	distinct [blockLen]uint8 // the lengths that occur, in the order seen
	nd       int
	n        int
}

func (h *lengths) add(v uint64) {
	l := bits.Len64(v)
	if h.count[l] == 0 {
		h.distinct[h.nd] = uint8(l)
		h.nd++
	}
	h.count[l]++
	h.n++
}

// bestK estimates the best Rice parameter from the bit lengths: a value of bit length l > k has
// a quotient of about 0.75×2^(l−k). The best k is within a few bits of the median length (the
// few values far above it are escaped, and a block with many zeros is better sparse).
func (h *lengths) bestK() int {
	med, seen := 0, 0
	for l := range h.count {
		if seen += int(h.count[l]); 2*seen >= h.n {
			med = l
			break
		}
	}
	best, bestCost := 0, -1
	for k := max(med-3, 0); k <= min(med+1, maxK); k++ {
		c := 0
		for _, l := range h.distinct[:h.nd] {
			var bits int
			switch d := int(l) - k; {
			case d <= 0:
				bits = 1 + k
			case d > 4: // a quotient of 12 or more
				bits = riceEscape + 6 + int(l) - 1
			default:
				bits = 3<<d>>2 + 1 + k
			}
			c += int(h.count[l]) * bits
		}
		if bestCost < 0 || c < bestCost {
			best, bestCost = k, c
		}
	}
	return best
}

func varintLen(v int64) int   { return uvarintLen(zigzag(v)) }
func uvarintLen(u uint64) int { return 7 + bits.Len64(u) }

// median returns the median of xs, or of medianSample of them evenly spaced: a value near the
// middle does as well as the exact median. tmp is scratch space.
func median(xs []int64, tmp *[]uint64) int64 {
	if len(xs) == 0 {
		return 0
	}
	step := max(1, len(xs)/medianSample)
	// Select in a copy as uint64 with the sign bit flipped, which orders like int64.
	s := (*tmp)[:0]
	for i := 0; i < len(xs); i += step {
		s = append(s, uint64(xs[i])^1<<63)
	}
	*tmp = s
	return int64(nth(s, len(s)/2) ^ 1<<63)
}

// nth returns the k-th smallest element of s, reordering s: Hoare's selection, falling back to
// a sort if the partitions keep coming out lopsided.
func nth(s []uint64, k int) uint64 {
	lo, hi := 0, len(s)-1
	for rounds := 0; lo < hi; rounds++ {
		if rounds == 64 {
			slices.Sort(s[lo : hi+1])
			break
		}
		mid := lo + (hi-lo)/2
		p := max(min(s[lo], s[mid]), min(max(s[lo], s[mid]), s[hi])) // median of three
		i, j := lo, hi
		for i <= j {
			for s[i] < p {
				i++
			}
			for s[j] > p {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // -MinInt64 wraps to MinInt64, whose uint64 is 1<<63: still right
	}
	return uint64(x)
}
