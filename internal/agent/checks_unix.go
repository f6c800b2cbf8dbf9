//go:build !windows

package agent

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts a command in a process group of its own and makes
// its cancellation kill the whole group: a plugin's children die with it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
