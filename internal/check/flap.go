package check

// historySize is the number of results kept for flapping detection, as in Nagios.
const historySize = 21

// The weights of the oldest and newest transitions (Nagios's curve).
const (
	lowWeight  = 0.75
	highWeight = 1.25
)

// percentChange returns Nagios's weighted percent state change of the n
// newest states packed in h (newest in the low bits). Of the 20 transitions
// of a full history the oldest weighs 0.75 and the newest 1.25; a shorter
// history counts its missing oldest transitions as no change, so a new check
// does not flap on its first results.
func percentChange(h uint64, n int) float64 {
	changes := 0.0
	// Transition j (1..20, 20 newest) is between states j-1 and j of a full
	// history; the newest state is index 20, at bits 0-1.
	for j := historySize - 1; j >= 1; j-- {
		newer := historySize - 1 - j // age of state j
		older := newer + 1
		if older >= n {
			break
		}
		if (h>>(2*newer))&3 != (h>>(2*older))&3 {
			changes += float64(j-1)*(highWeight-lowWeight)/float64(historySize-2) + lowWeight
		}
	}
	// The weights sum to exactly 20 in theory; rounding may exceed 100.
	return min(changes*100/float64(historySize-1), 100)
}
