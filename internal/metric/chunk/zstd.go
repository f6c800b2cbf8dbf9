package chunk

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdMagic starts every zstd frame; a chunk leaves it out, as its flag already says zstd.
var zstdMagic = [4]byte{0x28, 0xb5, 0x2f, 0xfd}

// minZstdBody is the body length under which zstd is not tried: its frame header alone
// (descriptor, content size, block header) takes 5 bytes or more.
const minZstdBody = 24

// zstdCodec holds a zstd encoder and decoder. They are costly to build and safe for concurrent
// use, so one pair is built on first use and shared, like a compiled regexp: it holds no
// configuration and no data of any caller.
type zstdCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

var sharedZstd = sync.OnceValues(func() (*zstdCodec, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(false), // the chunk is checked by decoding it, and stored by a database
		zstd.WithSingleSegment(true),
		zstd.WithLowerEncoderMem(true),
	)
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(uint64(maxBodyLen(MaxSamples))),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecodeAllCapLimit(true), // never more than the frame's declared size, checked first
	)
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &zstdCodec{enc: enc, dec: dec}, nil
})

// compress returns the zstd frame of body without its magic number, and whether it is shorter
// than body.
func compress(body []byte) ([]byte, bool) {
	if len(body) < minZstdBody {
		return nil, false
	}
	c, err := sharedZstd()
	if err != nil {
		return nil, false // compression is an optimisation: the plain body is still right
	}
	z := c.enc.EncodeAll(body, make([]byte, 0, len(body)))
	if len(z) < len(zstdMagic) || [4]byte(z) != zstdMagic {
		return nil, false
	}
	z = z[len(zstdMagic):]
	return z, len(z) < len(body)
}

// decompress returns the body of a zstd-compressed chunk, of at most limit bytes.
func decompress(z []byte, limit int) ([]byte, error) {
	c, err := sharedZstd()
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 0, len(zstdMagic)+len(z))
	frame = append(append(frame, zstdMagic[:]...), z...)
	// Encode writes one single-segment frame that declares its size: check that size before
	// allocating for it.
	var h zstd.Header
	if err := h.Decode(frame); err != nil {
		return nil, fmt.Errorf("zstd header: %w", err)
	}
	if !h.SingleSegment || !h.HasFCS || h.DictionaryID != 0 || h.FrameContentSize > uint64(limit) {
		return nil, fmt.Errorf("zstd frame: unexpected header (size %d, limit %d)", h.FrameContentSize, limit)
	}
	body, err := c.dec.DecodeAll(frame, make([]byte, 0, h.FrameContentSize))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if uint64(len(body)) != h.FrameContentSize {
		return nil, fmt.Errorf("zstd: %d bytes where the frame declares %d", len(body), h.FrameContentSize)
	}
	return body, nil
}
