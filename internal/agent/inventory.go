package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// CollectInventory describes this machine. Each part is best effort: what
// cannot be read is left empty and logged at debug level. withSoftware
// says whether to list installed software (the costliest part).
func CollectInventory(ctx context.Context, set agentproto.Settings, withSoftware bool, version string, log *slog.Logger) *agentproto.Inventory {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	inv := &agentproto.Inventory{
		Collected:    time.Now().UTC().Truncate(time.Second),
		OS:           runtime.GOOS,
		Arch:         runtime.GOARCH,
		AgentVersion: version,
	}
	if hi, err := host.InfoWithContext(ctx); err == nil {
		inv.Hostname = hi.Hostname
		inv.Platform = hi.Platform
		inv.OSVersion = hi.PlatformVersion
		inv.Kernel = hi.KernelVersion
		inv.BootTime = time.Unix(int64(hi.BootTime), 0).UTC()
	} else {
		log.Debug("inventory: host", "err", err)
	}
	if ci, err := cpu.InfoWithContext(ctx); err == nil && len(ci) > 0 {
		inv.CPUModel = strings.TrimSpace(ci[0].ModelName)
	}
	inv.CPUCores, _ = cpu.CountsWithContext(ctx, false)
	inv.CPUThreads, _ = cpu.CountsWithContext(ctx, true)
	if m, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		inv.MemoryBytes = m.Total
	}
	if parts, err := disk.PartitionsWithContext(ctx, false); err == nil {
		for _, p := range realFilesystems(parts) {
			u, err := disk.UsageWithContext(ctx, p.Mountpoint)
			if err != nil || u.Total == 0 {
				continue
			}
			inv.Filesystems = append(inv.Filesystems, agentproto.Filesystem{
				Mount: p.Mountpoint, Type: p.Fstype, Bytes: u.Total, Used: roundUsed(u.Used, u.Total),
			})
		}
	}
	inv.Interfaces = interfaces()
	collectPlatform(ctx, inv, set, withSoftware, log)
	if inv.Domain == "" {
		if i := strings.IndexByte(inv.Hostname, '.'); i > 0 {
			inv.Domain = inv.Hostname[i+1:]
		}
	}
	if collectorOn(set, agentproto.CollectorUsers) {
		if us, err := host.UsersWithContext(ctx); err == nil {
			for _, u := range us {
				if u.User != "" && !slices.Contains(inv.Users, u.User) {
					inv.Users = append(inv.Users, u.User)
				}
			}
		}
	}
	if collectorOn(set, agentproto.CollectorSMART) {
		smart(ctx, inv.Disks, log)
	}
	normalizeInventory(inv)
	return inv
}

// roundUsed rounds a file system's used bytes to 1 % of its size, so that
// the inventory (and its hash) does not change with every log line written;
// the exact figures are in the fs.* metrics.
func roundUsed(used, total uint64) uint64 {
	if total == 0 {
		return 0
	}
	step := max(total/100, 1)
	return (used + step/2) / step * step
}

// normalizeInventory sorts every list so that the same machine gives the
// same JSON.
func normalizeInventory(inv *agentproto.Inventory) {
	slices.SortFunc(inv.Disks, func(a, b agentproto.Disk) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(inv.Filesystems, func(a, b agentproto.Filesystem) int { return strings.Compare(a.Mount, b.Mount) })
	slices.SortFunc(inv.Interfaces, func(a, b agentproto.Interface) int { return strings.Compare(a.Name, b.Name) })
	for i := range inv.Interfaces {
		slices.Sort(inv.Interfaces[i].Addresses)
	}
	slices.SortFunc(inv.Software, func(a, b agentproto.Software) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		if c := strings.Compare(a.Version, b.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Source, b.Source)
	})
	inv.Software = slices.Compact(inv.Software)
	slices.Sort(inv.Users)
	inv.Users = slices.Compact(inv.Users)
}

func interfaces() []agentproto.Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []agentproto.Interface
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			continue
		}
		it := agentproto.Interface{Name: i.Name, MAC: i.HardwareAddr.String()}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				it.Addresses = append(it.Addresses, ipn.String())
			}
		}
		if it.MAC == "" && len(it.Addresses) == 0 {
			continue
		}
		out = append(out, it)
	}
	return out
}

// smart asks smartctl, when installed, for the health of each disk.
func smart(ctx context.Context, disks []agentproto.Disk, log *slog.Logger) {
	path, err := exec.LookPath("smartctl")
	if err != nil {
		return
	}
	out, err := runCmd(ctx, path, "--scan", "-j")
	if err != nil && len(out) == 0 {
		log.Debug("inventory: smartctl --scan", "err", err)
		return
	}
	devs, err := ParseSmartScan(out)
	if err != nil {
		log.Debug("inventory: smartctl --scan output", "err", err)
		return
	}
	for _, d := range devs {
		// smartctl's exit status is a bit mask: read the JSON whatever it is.
		out, _ := runCmd(ctx, path, "-H", "-j", "-d", d.Type, d.Name)
		h, err := ParseSmartHealth(out)
		if err != nil || h == "" {
			continue
		}
		name := smartDiskName(d.Name)
		for i := range disks {
			if disks[i].Name == name {
				disks[i].SMART = h
			}
		}
	}
}

// smartDiskName maps a smartctl device to the inventory's disk name:
// /dev/sda → sda on Unix; on Windows smartctl's /dev/sdX is PhysicalDriveN.
func smartDiskName(dev string) string {
	name := strings.TrimPrefix(dev, "/dev/")
	if runtime.GOOS == "windows" && len(name) == 3 && strings.HasPrefix(name, "sd") && name[2] >= 'a' && name[2] <= 'z' {
		return "PhysicalDrive" + string(rune('0'+int(name[2]-'a')))
	}
	return name
}

// runCmd runs a command with a bounded output and time.
func runCmd(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{b: &out, n: 64 << 20}
	err := cmd.Run()
	return out.Bytes(), err
}

type limitedWriter struct {
	b *bytes.Buffer
	n int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if room := w.n - w.b.Len(); room < len(p) {
		w.b.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return w.b.Write(p)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
