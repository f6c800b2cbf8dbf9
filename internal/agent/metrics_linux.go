package agent

import (
	"context"
	"os"
	"strings"
)

func selfPID() int { return os.Getpid() }

// diskCounters reads /proc/diskstats directly: gopsutil's IOCounters also
// looks up every device's serial and label in udev on each call, which is
// work the agent does not need every tick.
func diskCounters(context.Context) map[string]ioCount {
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return nil
	}
	out := map[string]ioCount{}
	for _, d := range ParseDiskstats(b) {
		if !isWholeDisk(d.Name) {
			continue
		}
		out[d.Name] = ioCount{read: d.ReadBytes, write: d.WriteBytes}
	}
	return out
}

// isWholeDisk keeps the devices of /sys/block that are not loop, RAM or
// optical drives: partitions would count the same bytes twice.
func isWholeDisk(name string) bool {
	if skipBlockDevice(name) {
		return false
	}
	_, err := os.Stat("/sys/block/" + name)
	return err == nil
}

// processCount counts the numeric entries of /proc.
func processCount(context.Context) (int, error) {
	f, err := os.Open("/proc")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(256)
		for _, name := range names {
			if name != "" && name[0] >= '1' && name[0] <= '9' {
				n++
			}
		}
		if err != nil {
			break
		}
	}
	return n, nil
}

// skipBlockDevice says whether a block device is not a disk worth
// reporting (loop, RAM, compressed RAM, floppy, optical, device-mapper
// snapshots are kept as dm-*).
func skipBlockDevice(name string) bool {
	for _, p := range []string{"loop", "ram", "zram", "fd", "sr", "md127p"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return name == ""
}
