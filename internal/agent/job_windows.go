package agent

import (
	"os"
	"os/exec"
)

// exitCode is the job's exit status.
func exitCode(ee *exec.ExitError) int { return ee.ExitCode() }

// terminate stops a job: Windows has no signal to ask politely.
func terminate(p *os.Process) error { return p.Kill() }
