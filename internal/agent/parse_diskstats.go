package agent

import (
	"bytes"
	"strconv"
	"strings"
)

// DiskStat is one line of /proc/diskstats.
type DiskStat struct {
	Name                  string
	ReadBytes, WriteBytes uint64
}

// ParseDiskstats parses /proc/diskstats (sectors are always 512 bytes
// there, whatever the device's sector size).
func ParseDiskstats(b []byte) []DiskStat {
	var out []DiskStat
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) < 10 {
			continue
		}
		rs, err1 := strconv.ParseUint(f[5], 10, 64)
		ws, err2 := strconv.ParseUint(f[9], 10, 64)
		if err1 != nil || err2 != nil || rs > 1<<54 || ws > 1<<54 {
			continue
		}
		out = append(out, DiskStat{Name: f[2], ReadBytes: rs * 512, WriteBytes: ws * 512})
	}
	return out
}
