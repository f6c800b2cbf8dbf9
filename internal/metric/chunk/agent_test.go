package chunk

import (
	"time"

	"github.com/vigie-hq/vigie/internal/metric/agentday"
)

// agentSeries is one generated series of package agentday, with this
// package's samples.
type agentSeries struct {
	name    string
	family  string
	samples []Sample
}

// agentDay generates one day of every series of one agent sampling every
// interval (package agentday).
func agentDay(seed uint64, interval time.Duration) []agentSeries {
	var out []agentSeries
	for _, s := range agentday.Day(seed, interval) {
		samples := make([]Sample, len(s.Samples))
		for i, x := range s.Samples {
			samples[i] = Sample(x)
		}
		out = append(out, agentSeries{name: s.Name, family: s.Family, samples: samples})
	}
	return out
}
