package agent

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Sampler takes one sample of every metric per tick. Rates (CPU, disk and
// network bytes/s) come from the difference with the previous tick's
// counters, so the first tick yields none of them.
type Sampler struct {
	self *process.Process

	prevAt     time.Time
	prevCPU    cpu.TimesStat
	prevSelf   float64 // user+system seconds of the agent
	prevDisk   map[string]ioCount
	prevNet    map[string]ioCount
	havePrev   bool
	lastRSS    uint64
	lastSelfCP float64
}

type ioCount struct{ read, write uint64 }

// NewSampler returns a sampler of this machine and this process.
func NewSampler() *Sampler {
	s := &Sampler{prevDisk: map[string]ioCount{}, prevNet: map[string]ioCount{}}
	s.self, _ = process.NewProcess(int32(selfPID()))
	return s
}

// Self returns the agent's own RSS and CPU % (of one core) measured at the
// last Sample.
func (s *Sampler) Self() (rss uint64, cpuPercent float64) { return s.lastRSS, s.lastSelfCP }

// Sample adds one sample of each metric at now to b; settings say which
// optional collectors are on; spool gives the spool's own figures.
func (s *Sampler) Sample(ctx context.Context, now time.Time, b *Batch, set agentproto.Settings, spoolBytes int64, dropped uint64) {
	t := now.UnixMilli()
	dt := now.Sub(s.prevAt).Seconds()
	rates := s.havePrev && dt > 0

	if ts, err := cpu.TimesWithContext(ctx, false); err == nil && len(ts) == 1 {
		c := ts[0]
		if rates {
			total := cpuTotal(c) - cpuTotal(s.prevCPU)
			idle := (c.Idle + c.Iowait) - (s.prevCPU.Idle + s.prevCPU.Iowait)
			if total > 0 {
				b.Add(agentproto.MetricCPU, "", "", t, round2(clamp100(100*(total-idle)/total)))
			}
		}
		s.prevCPU = c
	}
	if runtime.GOOS != "windows" {
		if l, err := load.AvgWithContext(ctx); err == nil {
			b.Add(agentproto.MetricLoad1, "", "", t, round2(l.Load1))
			b.Add(agentproto.MetricLoad5, "", "", t, round2(l.Load5))
			b.Add(agentproto.MetricLoad15, "", "", t, round2(l.Load15))
		}
	}
	if m, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		b.Add(agentproto.MetricMemory, "", "", t, round2(m.UsedPercent))
	}
	if sw, err := mem.SwapMemoryWithContext(ctx); err == nil && sw.Total > 0 {
		b.Add(agentproto.MetricSwap, "", "", t, round2(sw.UsedPercent))
	}
	if parts, err := disk.PartitionsWithContext(ctx, false); err == nil {
		for _, p := range realFilesystems(parts) {
			u, err := disk.UsageWithContext(ctx, p.Mountpoint)
			if err != nil || u.Total == 0 {
				continue
			}
			b.Add(agentproto.MetricFSUsed, "mount", p.Mountpoint, t, round2(u.UsedPercent))
			b.Add(agentproto.MetricFSFree, "mount", p.Mountpoint, t, float64(u.Free))
		}
	}
	if collectorOn(set, agentproto.CollectorDisks) {
		cur := diskCounters(ctx)
		if rates {
			for name, c := range cur {
				if p, ok := s.prevDisk[name]; ok && c.read >= p.read && c.write >= p.write {
					b.Add(agentproto.MetricDiskRead, "device", name, t, float64(uint64(float64(c.read-p.read)/dt)))
					b.Add(agentproto.MetricDiskWrite, "device", name, t, float64(uint64(float64(c.write-p.write)/dt)))
				}
			}
		}
		s.prevDisk = cur
	}
	if collectorOn(set, agentproto.CollectorNet) {
		cur := netCounters(ctx)
		if rates {
			for name, c := range cur {
				if p, ok := s.prevNet[name]; ok && c.read >= p.read && c.write >= p.write {
					b.Add(agentproto.MetricNetRecv, "interface", name, t, float64(uint64(float64(c.read-p.read)/dt)))
					b.Add(agentproto.MetricNetSent, "interface", name, t, float64(uint64(float64(c.write-p.write)/dt)))
				}
			}
		}
		s.prevNet = cur
	}
	if n, err := processCount(ctx); err == nil {
		b.Add(agentproto.MetricProcesses, "", "", t, float64(n))
	}
	if up, err := host.UptimeWithContext(ctx); err == nil {
		b.Add(agentproto.MetricUptime, "", "", t, float64(up))
	}
	if s.self != nil {
		if mi, err := s.self.MemoryInfoWithContext(ctx); err == nil {
			s.lastRSS = mi.RSS
			b.Add(agentproto.MetricAgentRSS, "", "", t, float64(mi.RSS))
		}
		if ct, err := s.self.TimesWithContext(ctx); err == nil {
			used := ct.User + ct.System
			if rates {
				s.lastSelfCP = max(0, 100*(used-s.prevSelf)/dt)
				b.Add(agentproto.MetricAgentCPU, "", "", t, round2(s.lastSelfCP))
			}
			s.prevSelf = used
		}
	}
	b.Add(agentproto.MetricAgentSpool, "", "", t, float64(spoolBytes))
	b.Add(agentproto.MetricAgentDropped, "", "", t, float64(dropped))
	s.prevAt = now
	s.havePrev = true
}

// cpuTotal is all CPU time; guest time is already counted in user time.
func cpuTotal(c cpu.TimesStat) float64 {
	return c.User + c.System + c.Idle + c.Nice + c.Iowait + c.Irq + c.Softirq + c.Steal
}

func clamp100(v float64) float64 { return min(max(v, 0), 100) }

// pseudoFS are file system types that hold no user data.
var pseudoFS = map[string]bool{
	"tmpfs": true, "devtmpfs": true, "overlay": true, "overlayfs": true, "squashfs": true,
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true, "mqueue": true,
	"debugfs": true, "tracefs": true, "securityfs": true, "pstore": true, "bpf": true,
	"autofs": true, "fusectl": true, "configfs": true, "hugetlbfs": true, "binfmt_misc": true,
	"nsfs": true, "ramfs": true, "efivarfs": true, "rpc_pipefs": true, "nfsd": true,
	"selinuxfs": true, "fuse.lxcfs": true, "fuse.portal": true, "fuse.gvfsd-fuse": true,
	"fuse.snapfuse": true, "devfs": true, "nullfs": true, "iso9660": true, "udf": true,
	"shm": true, "zram": true, "none": true, "": true,
}

// realFilesystems keeps the partitions that hold data: no pseudo file
// systems, no read-only system snapshots of macOS, one mount per device
// (bind mounts of the same device are skipped).
func realFilesystems(parts []disk.PartitionStat) []disk.PartitionStat {
	out := parts[:0]
	seen := map[string]bool{}
	for _, p := range parts {
		if pseudoFS[strings.ToLower(p.Fstype)] || strings.HasPrefix(p.Mountpoint, "/snap/") {
			continue
		}
		if strings.HasPrefix(p.Mountpoint, "/System/Volumes/") && p.Mountpoint != "/System/Volumes/Data" {
			continue
		}
		if p.Device != "" && p.Device != "none" {
			if seen[p.Device] {
				continue
			}
			seen[p.Device] = true
		}
		out = append(out, p)
	}
	return out
}

func netCounters(ctx context.Context) map[string]ioCount {
	cs, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return nil
	}
	out := make(map[string]ioCount, len(cs))
	for _, c := range cs {
		if skipInterface(c.Name) {
			continue
		}
		out[c.Name] = ioCount{read: c.BytesRecv, write: c.BytesSent}
	}
	return out
}

// skipInterface leaves out loopbacks and the host side of containers'
// virtual Ethernet pairs (their traffic is the bridge's), which come and
// go with every container and would each make two series.
func skipInterface(name string) bool {
	n := strings.ToLower(name)
	return n == "lo" || strings.HasPrefix(n, "lo0") || strings.Contains(n, "loopback") || strings.HasPrefix(n, "veth")
}
