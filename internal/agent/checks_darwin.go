package agent

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/vigie-hq/vigie/internal/probe"
)

// serviceState asks launchd for a job by its label.
func (c *Checker) serviceState(ctx context.Context, name string) probe.Result {
	path := c.Launchctl
	if path == "" {
		path = "/bin/launchctl"
	}
	cmd := exec.CommandContext(ctx, path, "list", name)
	var out limitedBuffer
	out.n = 64 << 10
	cmd.Stdout = &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		// launchctl list exits non-zero (113) for a label it does not know.
		return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is not loaded in launchd", name)}
	}
	if err != nil {
		return probe.Result{State: probe.Unknown, Output: "launchctl: " + err.Error()}
	}
	j := ParseLaunchctlList(out.b)
	if j.PID > 0 {
		return probe.Result{State: probe.OK, Output: fmt.Sprintf("service %s is running (pid %d)", name, j.PID)}
	}
	return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is loaded but not running (last exit status %d)", name, j.LastExitStatus)}
}
