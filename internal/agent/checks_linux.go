package agent

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/vigie-hq/vigie/internal/probe"
)

// serviceState asks systemd for the state of a unit.
func (c *Checker) serviceState(ctx context.Context, name string) probe.Result {
	path := c.Systemctl
	if path == "" {
		var err error
		if path, err = exec.LookPath("systemctl"); err != nil {
			return probe.Result{State: probe.Unknown, Output: "systemctl not found: service checks need systemd"}
		}
	}
	cmd := exec.CommandContext(ctx, path, "show", "-p", "LoadState", "-p", "ActiveState", "-p", "SubState", "--", name)
	var out, errOut limitedBuffer
	out.n, errOut.n = 16<<10, 1024
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	u, ok := ParseSystemctlShow(out.b)
	if !ok {
		why := firstLine(string(errOut.b))
		if why == "" && runErr != nil {
			why = runErr.Error()
		}
		return probe.Result{State: probe.Unknown, Output: "systemctl cannot tell the state of " + name + ": " + why}
	}
	return unitResult(name, u)
}

// unitResult grades a systemd unit: active (or reloading) is OK, starting
// is WARNING, anything else — inactive, failed, unknown, masked — CRITICAL.
func unitResult(name string, u UnitState) probe.Result {
	switch {
	case u.Load == "not-found":
		return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is not installed (no such systemd unit)", name)}
	case u.Load == "masked":
		return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is masked", name)}
	case u.Active == "active" || u.Active == "reloading":
		return probe.Result{State: probe.OK, Output: fmt.Sprintf("service %s is %s (%s)", name, u.Active, u.Sub)}
	case u.Active == "activating":
		return probe.Result{State: probe.Warning, Output: fmt.Sprintf("service %s is starting (%s)", name, u.Sub)}
	}
	return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is %s (%s)", name, u.Active, u.Sub)}
}
