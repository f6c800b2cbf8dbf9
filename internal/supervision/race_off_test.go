//go:build !race

package supervision

// raceEnabled is true under the race detector, which slows probes tenfold.
const raceEnabled = false
