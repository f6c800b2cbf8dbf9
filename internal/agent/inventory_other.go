//go:build !linux && !windows && !darwin

package agent

import (
	"context"
	"log/slog"
	"os"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func collectPlatform(_ context.Context, inv *agentproto.Inventory, _ agentproto.Settings, _ bool, _ *slog.Logger) {
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		inv.DNS, inv.Domain = ParseResolvConf(b)
	}
	inv.TimeZone = "UTC"
	if t, err := os.Readlink("/etc/localtime"); err == nil {
		if name := ParseLocaltimeLink(t); name != "" {
			inv.TimeZone = name
		}
	}
}
