package supervision

import (
	"hash/fnv"
	"math/bits"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
)

// runHeap orders the scheduled checks by their next run (a min-heap on
// entry.next; entry.index is the entry's place, -1 when not scheduled).
type runHeap []*entry

func (h runHeap) less(i, j int) bool { return h[i].next.Before(h[j].next) }

func (h runHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h runHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h runHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// push schedules en at en.next.
func (h *runHeap) push(en *entry) {
	en.index = len(*h)
	*h = append(*h, en)
	h.up(en.index)
}

// pop removes and returns the earliest entry.
func (h *runHeap) pop() *entry {
	old := *h
	n := len(old) - 1
	old.swap(0, n)
	en := old[n]
	old[n] = nil
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	en.index = -1
	return en
}

// remove unschedules en if it is scheduled.
func (h *runHeap) remove(en *entry) {
	i := en.index
	if i < 0 {
		return
	}
	old := *h
	n := len(old) - 1
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		h.down(i)
		h.up(i)
	}
	en.index = -1
}

// fix moves en after its next run changed (scheduling it if it was not).
func (h *runHeap) fix(en *entry) {
	if en.index < 0 {
		h.push(en)
		return
	}
	h.down(en.index)
	h.up(en.index)
}

// spread returns a stable offset in [0, interval) for a check, so that the
// first runs after a start are spread over the interval instead of all
// falling in the same second.
func spread(id int64, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatInt(id, 10)))
	return time.Duration(h.Sum64() % uint64(interval))
}

// histogram counts durations in log-linear buckets (16 per power of two of
// microseconds, so within about 6 %), to give percentiles of the schedule
// drift in constant memory.
type histogram struct {
	counts [16 + 60*16]int64
	n      int64
	max    time.Duration
}

func bucketOf(d time.Duration) int {
	v := uint64(max(d, 0) / time.Microsecond)
	if v < 16 {
		return int(v)
	}
	shift := bits.Len64(v) - 5
	return 16 + shift*16 + int(v>>uint(shift)-16)
}

// bucketHigh is the largest duration that falls in bucket i.
func bucketHigh(i int) time.Duration {
	if i < 16 {
		return time.Duration(i) * time.Microsecond
	}
	shift := (i - 16) / 16
	mant := uint64((i-16)%16 + 16)
	return time.Duration(((mant+1)<<uint(shift))-1) * time.Microsecond
}

func (h *histogram) add(d time.Duration) {
	i := bucketOf(d)
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	h.counts[i]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

// quantile returns the upper bound of the bucket holding quantile q (0…1),
// capped at the largest value seen.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketHigh(i), h.max)
		}
	}
	return h.max
}

// ParseSchedule parses a backup_push schedule: a standard 5-field cron
// expression ("0 2 * * *") or a descriptor ("@daily"), as validation does.
func ParseSchedule(spec string) (cron.Schedule, error) { return cron.ParseStandard(spec) }

// backupDeadline returns, for a backup job pushed last at last (or created at
// last when it never pushed), the first run the schedule expected after it
// and the time that run is overdue (expected + grace). Times are read in loc.
// ok is false when the schedule never fires again.
func backupDeadline(s cron.Schedule, loc *time.Location, last time.Time, grace time.Duration) (expected, deadline time.Time, ok bool) {
	expected = s.Next(last.In(loc))
	if expected.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	return expected, expected.Add(grace), true
}
