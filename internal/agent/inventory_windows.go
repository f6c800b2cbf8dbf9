package agent

import (
	"context"
	"log/slog"
	"strings"

	"github.com/yusufpapurcu/wmi"
	"golang.org/x/sys/windows/registry"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func collectPlatform(ctx context.Context, inv *agentproto.Inventory, set agentproto.Settings, withSoftware bool, log *slog.Logger) {
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\BIOS`, registry.QUERY_VALUE); err == nil {
		inv.Manufacturer, _, _ = k.GetStringValue("SystemManufacturer")
		inv.Model, _, _ = k.GetStringValue("SystemProductName")
		k.Close()
	}
	var bios []struct{ SerialNumber string }
	if err := wmi.Query("SELECT SerialNumber FROM Win32_BIOS", &bios); err == nil && len(bios) > 0 {
		inv.Serial = cleanDMI(bios[0].SerialNumber)
	} else if err != nil {
		log.Debug("inventory: Win32_BIOS", "err", err)
	}
	var drives []struct {
		DeviceID     string
		Model        string
		SerialNumber string
		Size         uint64
	}
	if err := wmi.Query("SELECT DeviceID, Model, SerialNumber, Size FROM Win32_DiskDrive", &drives); err == nil {
		for _, d := range drives {
			name := d.DeviceID[strings.LastIndexByte(d.DeviceID, '\\')+1:] // \\.\PHYSICALDRIVE0
			name = strings.Replace(strings.ToUpper(name), "PHYSICALDRIVE", "PhysicalDrive", 1)
			inv.Disks = append(inv.Disks, agentproto.Disk{Name: name, Model: strings.TrimSpace(d.Model), Serial: strings.TrimSpace(d.SerialNumber), Bytes: d.Size})
		}
	} else {
		log.Debug("inventory: Win32_DiskDrive", "err", err)
	}
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`, registry.QUERY_VALUE|registry.ENUMERATE_SUB_KEYS); err == nil {
		inv.Domain, _, _ = k.GetStringValue("Domain")
		if inv.Domain == "" {
			inv.Domain, _, _ = k.GetStringValue("DhcpDomain")
		}
		inv.DNS = windowsDNS(k)
		k.Close()
	}
	if b, err := runCmd(ctx, "route", "print", "-4", "0.0.0.0"); err == nil {
		inv.Gateway = ParseRoutePrint(b)
	}
	inv.TimeZone = windowsTimeZone()
	if collectorOn(set, agentproto.CollectorUsers) {
		inv.Users = windowsUsers()
	}
	if withSoftware {
		inv.Software = windowsSoftware()
	}
}

func cleanDMI(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "to be filled by o.e.m.", "default string", "system serial number", "0":
		return ""
	}
	return s
}

// windowsDNS reads the name servers of each interface, static first.
func windowsDNS(params registry.Key) []string {
	var out []string
	add := func(v string) {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			if !contains(out, s) {
				out = append(out, s)
			}
		}
	}
	k, err := registry.OpenKey(params, `Interfaces`, registry.ENUMERATE_SUB_KEYS)
	if err != nil {
		return nil
	}
	defer k.Close()
	names, _ := k.ReadSubKeyNames(-1)
	for _, n := range names {
		ik, err := registry.OpenKey(k, n, registry.QUERY_VALUE)
		if err != nil {
			continue
		}
		if v, _, err := ik.GetStringValue("NameServer"); err == nil && v != "" {
			add(v)
		} else if v, _, err := ik.GetStringValue("DhcpNameServer"); err == nil {
			add(v)
		}
		ik.Close()
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// windowsZones maps the usual Windows zone names to IANA (CLDR's
// windowsZones.xml, territory 001); others are sent as Windows names.
var windowsZones = map[string]string{
	"UTC": "Etc/UTC", "GMT Standard Time": "Europe/London", "Romance Standard Time": "Europe/Paris",
	"W. Europe Standard Time": "Europe/Berlin", "Central Europe Standard Time": "Europe/Budapest",
	"Central European Standard Time": "Europe/Warsaw", "E. Europe Standard Time": "Europe/Chisinau",
	"FLE Standard Time": "Europe/Kiev", "GTB Standard Time": "Europe/Bucharest",
	"Russian Standard Time": "Europe/Moscow", "Morocco Standard Time": "Africa/Casablanca",
	"W. Central Africa Standard Time": "Africa/Lagos", "South Africa Standard Time": "Africa/Johannesburg",
	"Eastern Standard Time": "America/New_York", "Central Standard Time": "America/Chicago",
	"Mountain Standard Time": "America/Denver", "Pacific Standard Time": "America/Los_Angeles",
	"Atlantic Standard Time": "America/Halifax", "SA Pacific Standard Time": "America/Bogota",
	"E. South America Standard Time": "America/Sao_Paulo", "Reunion Standard Time": "Indian/Reunion",
	"Mauritius Standard Time": "Indian/Mauritius", "SA Western Standard Time": "America/La_Paz",
	"Tokyo Standard Time": "Asia/Tokyo", "China Standard Time": "Asia/Shanghai",
	"Singapore Standard Time": "Asia/Singapore", "India Standard Time": "Asia/Calcutta",
	"Arabian Standard Time": "Asia/Dubai", "AUS Eastern Standard Time": "Australia/Sydney",
	"New Zealand Standard Time": "Pacific/Auckland", "Hawaiian Standard Time": "Pacific/Honolulu",
	"Tahiti Standard Time": "Pacific/Tahiti", "New Caledonia Standard Time": "Pacific/Noumea",
}

func windowsTimeZone() string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\TimeZoneInformation`, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	name, _, err := k.GetStringValue("TimeZoneKeyName")
	if err != nil {
		return ""
	}
	if iana, ok := windowsZones[name]; ok {
		return iana
	}
	return name
}

type uninstallKey struct {
	root registry.Key
	path string
	view uint32
}

// windowsSoftware reads the uninstall keys of 64- and 32-bit programs for
// the machine, and of every user whose hive is loaded (logged on): the
// service runs as SYSTEM, whose own HKCU holds nothing of interest.
func windowsSoftware() []agentproto.Software {
	var out []agentproto.Software
	const path = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	keys := []uninstallKey{
		{registry.LOCAL_MACHINE, path, registry.WOW64_64KEY},
		{registry.LOCAL_MACHINE, path, registry.WOW64_32KEY},
	}
	if users, err := registry.OpenKey(registry.USERS, "", registry.ENUMERATE_SUB_KEYS); err == nil {
		sids, _ := users.ReadSubKeyNames(-1)
		users.Close()
		for _, sid := range sids {
			// S-1-5-21-…: real accounts; their _Classes hives hold no programs.
			if strings.HasPrefix(sid, "S-1-5-21-") && !strings.HasSuffix(sid, "_Classes") {
				keys = append(keys, uninstallKey{registry.USERS, sid + `\` + path, 0})
			}
		}
	} else {
		keys = append(keys, uninstallKey{registry.CURRENT_USER, path, 0})
	}
	for _, loc := range keys {
		k, err := registry.OpenKey(loc.root, loc.path, registry.ENUMERATE_SUB_KEYS|loc.view)
		if err != nil {
			continue
		}
		names, _ := k.ReadSubKeyNames(-1)
		for _, n := range names {
			sk, err := registry.OpenKey(k, n, registry.QUERY_VALUE|loc.view)
			if err != nil {
				continue
			}
			name, _, _ := sk.GetStringValue("DisplayName")
			ver, _, _ := sk.GetStringValue("DisplayVersion")
			pub, _, _ := sk.GetStringValue("Publisher")
			sys, _, _ := sk.GetIntegerValue("SystemComponent")
			parent, _, _ := sk.GetStringValue("ParentKeyName")
			sk.Close()
			// Updates and components hidden from "Programs and Features"
			// are not software a technician looks for.
			if name == "" || sys == 1 || parent != "" {
				continue
			}
			out = append(out, agentproto.Software{Name: strings.TrimSpace(name), Version: strings.TrimSpace(ver), Publisher: strings.TrimSpace(pub), Source: "registry"})
		}
		k.Close()
	}
	return out
}
