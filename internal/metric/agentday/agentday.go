// Package agentday generates, from a fixed seed, what one vigie-agent on a small Linux server sends in
// one day, for the size figures and as fuzz seeds. The shapes are those of real hosts: a
// business-hours cycle, a nightly backup, noisy rates, slowly filling disks, counters; and the
// precision is what the agent sends: percentages with 1 or 2 decimals, loads with 2, bytes and
// counts as integers, file-system bytes in 4 KiB blocks.
//
// It is test data shared by the chunk codec's and the metric store's size
// figures and fuzz seeds; nothing in the server uses it.
package agentday

import (
	"math"
	"math/rand/v2"
	"time"
)

// Sample is one value at a Unix millisecond.
type Sample struct {
	T int64
	V float64
}

// Series is one generated series: its metric name, its family (what kind
// of values: percent, rate, bytes…) and its samples.
type Series struct {
	Name    string
	Family  string
	Samples []Sample
}

// Day generates one day of every series of one agent sampling every interval.
func Day(seed uint64, interval time.Duration) []Series {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ts := agentTimestamps(rng, interval)
	g := &agentGen{rng: rng, ts: ts, step: interval.Seconds()}
	return g.all()
}

// agentTimestamps returns the collection instants of one day: a ticker with a random phase,
// a few milliseconds of scheduling jitter, an occasional longer delay, and one restart of the
// agent (a gap, then a new phase).
func agentTimestamps(rng *rand.Rand, interval time.Duration) []int64 {
	day := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC).UnixMilli()
	step := interval.Milliseconds()
	phase := rng.Int64N(step)
	restart := day + 13*3600_000 + 37*60_000
	down := int64(200_000) // the agent is stopped for 3 min 20 s
	var ts []int64
	for tick := day + phase; tick < day+86400_000; tick += step {
		if tick >= restart && tick < restart+down {
			continue
		}
		t := tick
		if tick >= restart+down {
			t += 4_321 // the new process ticks with another phase
		}
		jitter := int64(math.Abs(rng.NormFloat64()) * 2)
		if rng.Float64() < 0.005 {
			jitter += 50 + rng.Int64N(750)
		}
		ts = append(ts, t+jitter)
	}
	return ts
}

type agentGen struct {
	rng  *rand.Rand
	ts   []int64
	step float64 // seconds between samples
}

// hour is the local time of day (Europe/Paris, UTC+1 in March) in hours.
func (g *agentGen) hour(t int64) float64 {
	return math.Mod(float64(t)/3600_000+1, 24)
}

// business is 0 at night and 1 in the middle of the working day, with smooth edges.
func business(h float64) float64 {
	rise := 1 / (1 + math.Exp(-(h-8.5)*2.5))
	fall := 1 / (1 + math.Exp((h-18.5)*2))
	return rise * fall
}

func inWindow(h, from, to float64) bool { return h >= from && h < to }

// Round rounds v to decimals places, as an agent sends its values.
func Round(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// perSample scales a per-minute probability to the sampling interval.
func (g *agentGen) perSample(pPerMinute float64) float64 { return pPerMinute * g.step / 60 }

// noise is the spread of an average over the sampling interval relative to one over a minute.
func (g *agentGen) noise() float64 { return math.Sqrt(60 / g.step) }

func (g *agentGen) series(name, family string, f func(i int, t int64) float64) Series {
	s := Series{Name: name, Family: family, Samples: make([]Sample, len(g.ts))}
	for i, t := range g.ts {
		s.Samples[i] = Sample{T: t, V: f(i, t)}
	}
	return s
}

func (g *agentGen) all() []Series {
	rng := g.rng
	n := len(g.ts)
	var out []Series

	// CPU: a daily cycle, the backup at 02:00, AR(1) noise and short spikes.
	cpu := make([]float64, n)
	ar := 0.0
	for i, t := range g.ts {
		h := g.hour(t)
		level := 4 + 22*business(h)
		if inWindow(h, 2, 2.67) {
			level += 45
		}
		ar = 0.7*ar + rng.NormFloat64()*2.5*g.noise()
		spike := 0.0
		if rng.Float64() < g.perSample(0.02) {
			spike = 20 + rng.Float64()*50
		}
		cpu[i] = clamp(level+ar+spike, 0.3, 100)
	}
	out = append(out,
		g.series("cpu.percent", "cpu", func(i int, _ int64) float64 { return Round(cpu[i], 2) }),
		g.series("cpu.user", "cpu", func(i int, _ int64) float64 {
			return Round(clamp(cpu[i]*0.68+rng.NormFloat64()*0.8, 0, 100), 1)
		}),
		g.series("cpu.system", "cpu", func(i int, _ int64) float64 {
			return Round(clamp(cpu[i]*0.22+rng.NormFloat64()*0.4, 0, 100), 1)
		}),
		g.series("cpu.iowait", "cpu", func(i int, t int64) float64 {
			v := math.Abs(rng.NormFloat64()) * 0.05
			if inWindow(g.hour(t), 2, 2.67) {
				v += 6 + rng.NormFloat64()*2
			}
			return Round(clamp(v, 0, 100), 2)
		}),
	)

	// Load averages: the run queue follows CPU on 4 cores; load5 and load15 are the kernel's
	// exponential averages of it.
	load1 := make([]float64, n)
	for i := range n {
		load1[i] = math.Max(0, 4*cpu[i]/100*(1+0.3*rng.NormFloat64())+0.1*math.Abs(rng.NormFloat64()))
	}
	ewma := func(tau float64) []float64 {
		a := math.Exp(-g.step / tau)
		out := make([]float64, n)
		acc := load1[0]
		for i, v := range load1 {
			acc = acc*a + v*(1-a)
			out[i] = acc
		}
		return out
	}
	load5, load15 := ewma(300), ewma(900)
	out = append(out,
		g.series("load.1", "load", func(i int, _ int64) float64 { return Round(load1[i], 2) }),
		g.series("load.5", "load", func(i int, _ int64) float64 { return Round(load5[i], 2) }),
		g.series("load.15", "load", func(i int, _ int64) float64 { return Round(load15[i], 2) }),
	)

	// Memory: 16 GiB, a working set that follows the day and drifts; swap barely used.
	const memTotal = 16 << 30
	drift := 0.0
	memPct := make([]float64, n)
	for i, t := range g.ts {
		drift = clamp(drift+rng.NormFloat64()*0.01, -2, 2)
		memPct[i] = 38 + 6*business(g.hour(t)) + drift + rng.NormFloat64()*0.03
	}
	swap := 1.3
	out = append(out,
		g.series("mem.percent", "memory", func(i int, _ int64) float64 { return Round(memPct[i], 1) }),
		g.series("mem.available", "memory", func(i int, _ int64) float64 {
			pages := math.Round(memTotal * (1 - memPct[i]/100) / 4096)
			return 4096 * (pages + math.Round(rng.NormFloat64()*300))
		}),
		g.series("swap.percent", "memory", func(_ int, _ int64) float64 {
			if rng.Float64() < g.perSample(0.002) {
				swap += 0.1
			}
			return Round(swap, 1)
		}),
	)

	// File systems: used blocks change when something writes; /var grows with the logs and is
	// rotated at midnight, /data takes the nightly backup and drops the previous one.
	type fs struct {
		mount       string
		total, used float64 // blocks of 4 KiB
		step        func(h float64) float64
	}
	const gib = (1 << 30) / 4096
	mounts := []fs{
		{"/", 50 * gib, 21.3 * gib, func(h float64) float64 {
			if rng.Float64() < g.perSample(0.05) {
				return math.Round(rng.NormFloat64() * 200)
			}
			return 0
		}},
		{"/var", 100 * gib, 37.8 * gib, func(h float64) float64 {
			if inWindow(h, 0.08, 0.08+g.step/3600) {
				return -60 * gib / 100 // logrotate compresses yesterday's logs
			}
			rate := 30 + 400*business(h) // blocks a minute
			return math.Max(0, math.Round(rate*g.step/60+rng.NormFloat64()*math.Sqrt(rate)))
		}},
		{"/home", 200 * gib, 118.2 * gib, func(h float64) float64 {
			if rng.Float64() < g.perSample(0.01*(1+10*business(h))) {
				return math.Round(rng.NormFloat64() * 2000)
			}
			return 0
		}},
		{"/data", 2048 * gib, 1311 * gib, func(h float64) float64 {
			if inWindow(h, 2, 2.67) {
				return math.Round((120*gib/(0.67*3600) + rng.NormFloat64()*500) * g.step)
			}
			if inWindow(h, 2.67, 2.67+g.step/3600) {
				return -118 * gib
			}
			return 0
		}},
	}
	for _, m := range mounts {
		used := make([]float64, n)
		u := math.Round(m.used)
		reserved := math.Floor(0.05 * m.total)
		for i, t := range g.ts {
			u = clamp(u+math.Round(m.step(g.hour(t))), 0, m.total-reserved)
			used[i] = u
		}
		out = append(out,
			g.series("fs.used_percent:"+m.mount, "fs.percent", func(i int, _ int64) float64 {
				return Round(used[i]/m.total*100, 2)
			}),
			g.series("fs.free:"+m.mount, "fs.bytes", func(i int, _ int64) float64 {
				return 4096 * (m.total - reserved - used[i])
			}),
		)
	}

	// Disk I/O in bytes/s, the agent's rate over the interval rounded to an integer: the system
	// disk sees the journal and the logs, the data disk the backup.
	rate := func(level, spread float64) float64 {
		return math.Round(level * math.Exp(rng.NormFloat64()*spread/math.Sqrt(g.noise())))
	}
	out = append(out,
		g.series("disk.read:sda", "disk", func(_ int, t int64) float64 {
			if inWindow(g.hour(t), 2, 2.67) {
				return rate(85e6, 0.2)
			}
			if rng.Float64() < 0.7 {
				return 0 // served from the page cache
			}
			return rate(20e3, 1)
		}),
		g.series("disk.write:sda", "disk", func(_ int, t int64) float64 {
			return rate(60e3+150e3*business(g.hour(t)), 0.6)
		}),
		g.series("disk.read:sdb", "disk", func(_ int, _ int64) float64 {
			if rng.Float64() < 0.95 {
				return 0
			}
			return rate(8e3, 1)
		}),
		g.series("disk.write:sdb", "disk", func(_ int, t int64) float64 {
			if inWindow(g.hour(t), 2, 2.67) {
				return rate(80e6, 0.2)
			}
			if rng.Float64() < 0.9 {
				return 0
			}
			return rate(4e3, 0.5)
		}),
	)

	// Network in bytes/s: eth0 serves users, eth1 carries the off-site copy at 03:00.
	out = append(out,
		g.series("net.rx:eth0", "net", func(_ int, t int64) float64 {
			return rate(8e3+50e3*business(g.hour(t)), 0.5)
		}),
		g.series("net.tx:eth0", "net", func(_ int, t int64) float64 {
			return rate(20e3+150e3*business(g.hour(t)), 0.6)
		}),
		g.series("net.rx:eth1", "net", func(_ int, t int64) float64 {
			if inWindow(g.hour(t), 3, 3.5) {
				return rate(400e3, 0.3)
			}
			return rate(120, 0.2)
		}),
		g.series("net.tx:eth1", "net", func(_ int, t int64) float64 {
			if inWindow(g.hour(t), 3, 3.5) {
				return rate(40e6, 0.2)
			}
			return rate(90, 0.2)
		}),
	)

	// Counts: processes and established TCP connections wander around a daily level.
	procs, conns := 0.0, 0.0
	out = append(out,
		g.series("processes", "count", func(_ int, t int64) float64 {
			if rng.Float64() < g.perSample(0.5) {
				procs = clamp(procs+float64(rng.IntN(5)-2), -15, 15)
			}
			return math.Round(185 + 30*business(g.hour(t)) + procs)
		}),
		g.series("tcp.established", "count", func(_ int, t int64) float64 {
			conns = clamp(conns+float64(rng.IntN(3)-1), -10, 10)
			return math.Max(0, math.Round(12+40*business(g.hour(t))+conns+rng.NormFloat64()*2))
		}),
	)

	// Counters: uptime in whole seconds, and an error counter that rarely moves.
	boot := g.ts[0] - 23*86400_000 - 5_117_000
	errs := 0.0
	out = append(out,
		g.series("uptime", "counter", func(_ int, t int64) float64 { return math.Floor(float64(t-boot) / 1000) }),
		g.series("net.errors:eth0", "counter", func(_ int, _ int64) float64 {
			if rng.Float64() < g.perSample(0.01) {
				errs += float64(1 + rng.IntN(3))
			}
			return errs
		}),
	)
	return out
}
