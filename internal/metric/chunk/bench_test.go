package chunk

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// benchChunks cuts one day of one agent sampling every minute into chunks of chunkLen.
func benchChunks(chunkLen int) (chunks [][]Sample, samples int) {
	for _, s := range agentDay(1, time.Minute) {
		for c := range slices.Chunk(s.samples, chunkLen) {
			chunks = append(chunks, c)
			samples += len(c)
		}
	}
	return chunks, samples
}

// BenchmarkEncode reports encoding throughput in samples/s over the realistic agent day.
func BenchmarkEncode(b *testing.B) {
	for _, chunkLen := range []int{120, 720} {
		for _, c := range []Compression{CompressNone, CompressAuto} {
			name := fmt.Sprintf("chunk=%d/zstd=%v", chunkLen, c == CompressAuto)
			b.Run(name, func(b *testing.B) {
				chunks, samples := benchChunks(chunkLen)
				bytes := 0
				b.ResetTimer()
				for b.Loop() {
					bytes = 0
					for _, s := range chunks {
						out, err := Encode(s, Options{Compression: c})
						if err != nil {
							b.Fatal(err)
						}
						bytes += len(out)
					}
				}
				b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
				b.ReportMetric(float64(bytes)/float64(samples), "B/sample")
			})
		}
	}
}

// BenchmarkDecode reports decoding throughput in samples/s over the realistic agent day.
func BenchmarkDecode(b *testing.B) {
	for _, chunkLen := range []int{120, 720} {
		b.Run(fmt.Sprintf("chunk=%d", chunkLen), func(b *testing.B) {
			chunks, samples := benchChunks(chunkLen)
			encoded := make([][]byte, len(chunks))
			for i, s := range chunks {
				var err error
				if encoded[i], err = Encode(s, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			var dst []Sample
			b.ResetTimer()
			for b.Loop() {
				for _, e := range encoded {
					var err error
					if dst, err = DecodeAppend(dst[:0], e); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
