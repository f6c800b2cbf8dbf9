package chunk

import "math"

// sameSamples compares timestamps and the bits of values, so that NaN equals NaN and −0 differs
// from +0.
func sameSamples(a, b []Sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].T != b[i].T || math.Float64bits(a[i].V) != math.Float64bits(b[i].V) {
			return false
		}
	}
	return true
}
