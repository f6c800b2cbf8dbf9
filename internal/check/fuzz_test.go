package check

import (
	"testing"
	"time"
)

// FuzzApply drives the engine with arbitrary result sequences: the first
// bytes choose the policy, each further byte a result (low 3 bits the state,
// out-of-range values included; bit 3 maintenance, bit 4 unreachable; the
// top bits the delay, 0 meaning a late result).
func FuzzApply(f *testing.F) {
	f.Add([]byte{3, 1, 0, 0, 2, 2, 2, 0, 0})
	f.Add([]byte{1, 1, 0x22, 0x40, 0x22, 0x40, 0x22, 0x40, 0x22, 0x40, 0x22, 0x40, 0x22, 0x40, 0x22, 0x40, 0x22, 0x40})
	f.Add([]byte{2, 3, 0x21, 0x21, 0x41, 0x02, 0x32, 0x07, 0x80, 0x1b})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		p := Policy{MaxAttempts: int(data[0] % 8), RecoverAfter: int(data[1] % 5), FlapHigh: float64(data[0] % 101), FlapLow: float64(data[1] % 101)}
		k := tracker{p: p.withDefaults()}
		var st Status
		at := t0
		for i, b := range data[2:] {
			delay := time.Duration(b>>5) * 20 * time.Second
			if delay == 0 {
				delay = -time.Second
			}
			at = at.Add(delay)
			c := Conditions{Maintenance: b&8 != 0, Unreachable: b&16 != 0}
			r := Result{At: at, State: State(b & 7)}
			next, evs := p.ApplyIn(st, r, c)
			k.step(t, st, r, c, next, evs)
			if next.Problem() && i%7 == 3 {
				next, _ = next.Acknowledge("fuzz", "", at)
			}
			_ = p.NextRun(next, at)
			st = next
		}
	})
}
