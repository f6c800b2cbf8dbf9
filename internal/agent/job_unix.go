//go:build !windows

package agent

import (
	"os"
	"os/exec"
	"syscall"
)

// exitCode is the status a shell would give: 128+N for a job killed by
// signal N.
func exitCode(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// terminate asks a job to stop.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
