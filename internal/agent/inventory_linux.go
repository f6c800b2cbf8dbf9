package agent

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func collectPlatform(ctx context.Context, inv *agentproto.Inventory, set agentproto.Settings, withSoftware bool, log *slog.Logger) {
	// DMI: product_serial is readable by root only; what is not readable
	// stays empty.
	inv.Manufacturer = readTrim("/sys/class/dmi/id/sys_vendor")
	inv.Model = readTrim("/sys/class/dmi/id/product_name")
	inv.Serial = readTrim("/sys/class/dmi/id/product_serial")
	inv.Disks = linuxDisks()
	if b, err := os.ReadFile("/proc/net/route"); err == nil {
		inv.Gateway = ParseProcNetRoute(b)
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		inv.DNS, inv.Domain = ParseResolvConf(b)
	}
	inv.TimeZone = unixTimeZone()
	if withSoftware {
		inv.Software = linuxSoftware(ctx, log)
	}
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	switch strings.ToLower(s) {
	case "", "to be filled by o.e.m.", "default string", "not specified", "system serial number", "none":
		return ""
	}
	return s
}

// linuxDisks lists /sys/block: model, serial and size of each disk.
func linuxDisks() []agentproto.Disk {
	des, err := os.ReadDir("/sys/block")
	if err != nil {
		return nil
	}
	var out []agentproto.Disk
	for _, de := range des {
		name := de.Name()
		if skipBlockDevice(name) || strings.HasPrefix(name, "dm-") || strings.HasPrefix(name, "md") {
			continue
		}
		base := filepath.Join("/sys/block", name)
		sectors, _ := strconv.ParseUint(readTrim(base+"/size"), 10, 64)
		if sectors == 0 {
			continue
		}
		d := agentproto.Disk{Name: name, Bytes: sectors * 512, Model: readTrim(base + "/device/model")}
		d.Serial = readTrim(base + "/device/serial") // NVMe, some SCSI
		if d.Serial == "" {
			d.Serial = udevSerial(base)
		}
		out = append(out, d)
	}
	return out
}

// udevSerial reads ID_SERIAL_SHORT from udev's database for a block device.
func udevSerial(base string) string {
	dev := readTrim(base + "/dev") // "8:0"
	if dev == "" {
		return ""
	}
	b, err := os.ReadFile("/run/udev/data/b" + dev)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "E:ID_SERIAL_SHORT="); ok {
			return v
		}
	}
	return ""
}

func linuxSoftware(ctx context.Context, log *slog.Logger) []agentproto.Software {
	var out []agentproto.Software
	if b, err := os.ReadFile("/var/lib/dpkg/status"); err == nil {
		out = append(out, ParseDpkgStatus(b)...)
	}
	if b, err := os.ReadFile("/lib/apk/db/installed"); err == nil {
		out = append(out, ParseApkInstalled(b)...)
	}
	// The rpm database is a BerkeleyDB, NDB or SQLite file depending on the
	// distribution: ask rpm itself.
	if path, err := exec.LookPath("rpm"); err == nil {
		if _, err := os.Stat("/var/lib/rpm"); err == nil {
			b, err := runCmd(ctx, path, "-qa", "--qf", RPMQueryFormat)
			if err != nil {
				log.Debug("inventory: rpm -qa", "err", err)
			}
			out = append(out, ParseRPM(b)...)
		}
	}
	return out
}

// unixTimeZone is the IANA name of the local zone: $TZ, the target of
// /etc/localtime, or /etc/timezone (Debian).
func unixTimeZone() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" && !strings.HasPrefix(tz, "/") {
		return tz
	}
	if t, err := os.Readlink("/etc/localtime"); err == nil {
		if name := ParseLocaltimeLink(t); name != "" {
			return name
		}
	}
	if tz := readTrim("/etc/timezone"); tz != "" {
		return tz
	}
	return "UTC"
}
