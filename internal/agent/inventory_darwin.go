package agent

import (
	"context"
	"log/slog"
	"os"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func collectPlatform(ctx context.Context, inv *agentproto.Inventory, set agentproto.Settings, withSoftware bool, log *slog.Logger) {
	if b, err := runCmd(ctx, "/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"); err == nil {
		inv.Manufacturer, inv.Model, inv.Serial = ParseIoreg(b)
	}
	if b, err := runCmd(ctx, "/usr/sbin/system_profiler", "SPNVMeDataType", "SPSerialATADataType", "-json"); err == nil {
		if disks, err := ParseSystemProfilerDisks(b); err == nil {
			inv.Disks = disks
		}
	} else {
		log.Debug("inventory: system_profiler disks", "err", err)
	}
	if b, err := runCmd(ctx, "/sbin/route", "-n", "get", "default"); err == nil {
		inv.Gateway = ParseRouteGetDefault(b)
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		inv.DNS, inv.Domain = ParseResolvConf(b)
	}
	inv.TimeZone = "UTC"
	if t, err := os.Readlink("/etc/localtime"); err == nil {
		if name := ParseLocaltimeLink(t); name != "" {
			inv.TimeZone = name
		}
	}
	if inv.Platform == "darwin" || inv.Platform == "" {
		inv.Platform = "macOS"
	}
	if withSoftware {
		b, err := runCmd(ctx, "/usr/sbin/system_profiler", "SPApplicationsDataType", "-json")
		if err != nil {
			log.Debug("inventory: system_profiler", "err", err)
		}
		if apps, err := ParseSystemProfilerApps(b); err == nil {
			inv.Software = apps
		}
	}
}
