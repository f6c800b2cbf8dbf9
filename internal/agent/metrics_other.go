//go:build !linux

package agent

import (
	"context"
	"os"

	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/process"
)

func selfPID() int { return os.Getpid() }

func diskCounters(ctx context.Context) map[string]ioCount {
	cs, err := disk.IOCountersWithContext(ctx)
	if err != nil {
		return nil
	}
	out := make(map[string]ioCount, len(cs))
	for name, c := range cs {
		out[name] = ioCount{read: c.ReadBytes, write: c.WriteBytes}
	}
	return out
}

func processCount(ctx context.Context) (int, error) {
	pids, err := process.PidsWithContext(ctx)
	return len(pids), err
}
