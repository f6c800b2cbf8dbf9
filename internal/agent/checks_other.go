//go:build !linux && !darwin && !windows

package agent

import (
	"context"
	"runtime"

	"github.com/vigie-hq/vigie/internal/probe"
)

func (c *Checker) serviceState(_ context.Context, name string) probe.Result {
	return probe.Result{State: probe.Unknown, Output: "service checks are not supported on " + runtime.GOOS}
}
