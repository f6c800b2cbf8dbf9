package agent

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Parsers of files and command outputs. They are portable (no build tag)
// so that every one is tested and fuzzed on any machine; the collectors of
// each OS call the ones that apply.

// SmartDevice is one device of `smartctl --scan -j`.
type SmartDevice struct {
	Name string `json:"name"` // /dev/sda
	Type string `json:"type"` // sat, nvme, scsi
}

// ParseSmartScan parses `smartctl --scan -j`.
func ParseSmartScan(b []byte) ([]SmartDevice, error) {
	var v struct {
		Devices []SmartDevice `json:"devices"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	out := v.Devices[:0]
	for _, d := range v.Devices {
		// Names go on a command line: refuse anything that is not a device
		// path (smartctl output is trusted, but not blindly).
		if !strings.HasPrefix(d.Name, "/dev/") || strings.ContainsAny(d.Name, " \t\n;|&$`") {
			continue
		}
		if d.Type == "" || strings.HasPrefix(d.Type, "-") || strings.ContainsAny(d.Type, " \t\n") {
			d.Type = "auto"
		}
		out = append(out, d)
	}
	return out, nil
}

// ParseSmartHealth parses `smartctl -H -j DEV`: "PASSED", "FAILED", or ""
// when the device reported no SMART status.
func ParseSmartHealth(b []byte) (string, error) {
	var v struct {
		SmartStatus *struct {
			Passed *bool `json:"passed"`
		} `json:"smart_status"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	if v.SmartStatus == nil || v.SmartStatus.Passed == nil {
		return "", nil
	}
	if *v.SmartStatus.Passed {
		return "PASSED", nil
	}
	return "FAILED", nil
}

// paragraphs splits "Key: value" stanzas separated by blank lines (dpkg
// status, apk's installed db with "K:value"), calling fn for each.
func paragraphs(b []byte, sep string, fn func(map[string]string)) {
	cur := map[string]string{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				fn(cur)
				cur = map[string]string{}
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field (Description)
		}
		k, v, ok := strings.Cut(line, sep)
		if !ok {
			continue
		}
		last = k
		if _, dup := cur[last]; !dup {
			cur[last] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		fn(cur)
	}
}

// ParseDpkgStatus parses /var/lib/dpkg/status: the installed packages.
func ParseDpkgStatus(b []byte) []agentproto.Software {
	var out []agentproto.Software
	paragraphs(b, ":", func(p map[string]string) {
		st := strings.Fields(p["Status"])
		if len(st) != 3 || st[2] != "installed" || p["Package"] == "" {
			return
		}
		out = append(out, agentproto.Software{Name: p["Package"], Version: p["Version"], Publisher: maintainerName(p["Maintainer"]), Source: "dpkg"})
	})
	return out
}

// maintainerName drops the e-mail address of "Name <mail>".
func maintainerName(m string) string {
	if i := strings.IndexByte(m, '<'); i >= 0 {
		m = m[:i]
	}
	return strings.TrimSpace(m)
}

// ParseApkInstalled parses Alpine's /lib/apk/db/installed.
func ParseApkInstalled(b []byte) []agentproto.Software {
	var out []agentproto.Software
	paragraphs(b, ":", func(p map[string]string) {
		if p["P"] == "" {
			return
		}
		out = append(out, agentproto.Software{Name: p["P"], Version: p["V"], Publisher: maintainerName(p["m"]), Source: "apk"})
	})
	return out
}

// RPMQueryFormat is the --qf given to `rpm -qa`; ParseRPM reads its output.
const RPMQueryFormat = `%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{VENDOR}\n`

// ParseRPM parses `rpm -qa --qf RPMQueryFormat`. A zero epoch is left out
// of the version, as rpm itself shows it.
func ParseRPM(b []byte) []agentproto.Software {
	var out []agentproto.Software
	for line := range strings.Lines(string(b)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(f) < 2 || f[0] == "" || strings.HasPrefix(f[0], "gpg-pubkey") {
			continue
		}
		v := strings.TrimPrefix(f[1], "0:")
		s := agentproto.Software{Name: f[0], Version: v, Source: "rpm"}
		if len(f) > 2 && f[2] != "(none)" {
			s.Publisher = f[2]
		}
		out = append(out, s)
	}
	return out
}

// ParseResolvConf returns the name servers and the domain (from "domain",
// else the first "search") of a resolv.conf.
func ParseResolvConf(b []byte) (servers []string, domain string) {
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if a, err := netip.ParseAddr(f[1]); err == nil {
				servers = append(servers, a.String())
			}
		case "domain":
			domain = f[1]
		case "search":
			if domain == "" {
				domain = f[1]
			}
		}
	}
	return servers, domain
}

// ParseProcNetRoute returns the default IPv4 gateway of /proc/net/route
// (the one with the lowest metric), or "".
func ParseProcNetRoute(b []byte) string {
	best, bestMetric := "", int64(-1)
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&0x3 != 0x3 { // RTF_UP|RTF_GATEWAY
			continue
		}
		gw, err := hex.DecodeString(f[2])
		if err != nil || len(gw) != 4 {
			continue
		}
		metric, err := strconv.ParseInt(f[6], 10, 64)
		if err != nil {
			continue
		}
		var a [4]byte
		binary.LittleEndian.PutUint32(a[:], binary.BigEndian.Uint32(gw))
		if bestMetric < 0 || metric < bestMetric {
			best, bestMetric = netip.AddrFrom4(a).String(), metric
		}
	}
	return best
}

// ParseRouteGetDefault reads the gateway of macOS' `route -n get default`.
func ParseRouteGetDefault(b []byte) string {
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && k == "gateway" {
			if a, err := netip.ParseAddr(strings.TrimSpace(v)); err == nil {
				return a.String()
			}
		}
	}
	return ""
}

// ParseRoutePrint reads the default gateway of Windows' `route print -4
// 0.0.0.0` (the active route with the lowest metric).
func ParseRoutePrint(b []byte) string {
	best, bestMetric := "", -1
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) != 5 || f[0] != "0.0.0.0" || f[1] != "0.0.0.0" {
			continue
		}
		a, err := netip.ParseAddr(f[2])
		if err != nil {
			continue // On-link
		}
		m, err := strconv.Atoi(f[4])
		if err != nil {
			continue
		}
		if bestMetric < 0 || m < bestMetric {
			best, bestMetric = a.String(), m
		}
	}
	return best
}

// ParseIoreg reads manufacturer, model and serial from macOS'
// `ioreg -rd1 -c IOPlatformExpertDevice`.
func ParseIoreg(b []byte) (manufacturer, model, serial string) {
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		k = strings.Trim(k, `"`)
		v = strings.TrimSpace(v)
		v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		v = strings.TrimRight(strings.Trim(v, `"`), "\x00")
		switch k {
		case "IOPlatformSerialNumber":
			serial = v
		case "manufacturer":
			manufacturer = v
		case "model":
			if model == "" {
				model = v
			}
		case "product-name":
			model = v // "MacBook Pro (14-inch, 2021)" is better than "MacBookPro18,3"
		}
	}
	return manufacturer, model, serial
}

// ParseSystemProfilerApps parses `system_profiler SPApplicationsDataType
// -json`: applications outside /System and not nested in another bundle.
func ParseSystemProfilerApps(b []byte) ([]agentproto.Software, error) {
	var v struct {
		Apps []struct {
			Name         string   `json:"_name"`
			Version      string   `json:"version"`
			Path         string   `json:"path"`
			ObtainedFrom string   `json:"obtained_from"`
			SignedBy     []string `json:"signed_by"`
		} `json:"SPApplicationsDataType"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v.Apps == nil {
		return nil, errors.New("no SPApplicationsDataType")
	}
	var out []agentproto.Software
	for _, a := range v.Apps {
		if a.Name == "" || strings.HasPrefix(a.Path, "/System/") || strings.HasPrefix(a.Path, "/Library/Apple/") ||
			strings.Contains(a.Path, ".app/") {
			continue
		}
		s := agentproto.Software{Name: a.Name, Version: a.Version, Source: "applications"}
		// The first signer names the developer ("Developer ID Application:
		// Mozilla Corporation (43AQ936H96)"); Apple's own software is signed
		// "Software Signing"; the App Store's signature names no developer.
		switch p := firstOr(a.SignedBy); {
		case a.ObtainedFrom == "apple" || p == "Software Signing":
			s.Publisher = "Apple"
		case strings.HasPrefix(p, "Developer ID Application: "):
			p = strings.TrimPrefix(p, "Developer ID Application: ")
			if i := strings.LastIndex(p, " ("); i > 0 {
				p = p[:i]
			}
			s.Publisher = strings.TrimSpace(p)
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseLocaltimeLink turns the target of /etc/localtime into an IANA name:
// /usr/share/zoneinfo/Europe/Paris → Europe/Paris.
func ParseLocaltimeLink(target string) string {
	i := strings.LastIndex(target, "zoneinfo/")
	if i < 0 {
		return ""
	}
	name := target[i+len("zoneinfo/"):]
	name = strings.TrimPrefix(name, "posix/")
	if name == "" || strings.Contains(name, "..") {
		return ""
	}
	return name
}

func firstOr(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// ParseSystemProfilerDisks parses `system_profiler SPNVMeDataType
// SPSerialATADataType -json`: each controller's drives, with macOS' own
// SMART verdict ("Verified" or "Failing").
func ParseSystemProfilerDisks(b []byte) ([]agentproto.Disk, error) {
	type drive struct {
		Name   string `json:"_name"`
		BSD    string `json:"bsd_name"`
		Model  string `json:"device_model"`
		Serial string `json:"device_serial"`
		Size   uint64 `json:"size_in_bytes"`
		SMART  string `json:"smart_status"`
	}
	type controller struct {
		Items []drive `json:"_items"`
	}
	var v map[string][]controller
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	var out []agentproto.Disk
	for _, key := range []string{"SPNVMeDataType", "SPSerialATADataType"} {
		for _, c := range v[key] {
			for _, d := range c.Items {
				if d.BSD == "" {
					continue
				}
				disk := agentproto.Disk{Name: d.BSD, Model: strings.TrimSpace(d.Model), Serial: strings.TrimSpace(d.Serial), Bytes: d.Size}
				if disk.Model == "" {
					disk.Model = d.Name
				}
				switch strings.ToLower(d.SMART) {
				case "verified":
					disk.SMART = "PASSED"
				case "failing":
					disk.SMART = "FAILED"
				}
				out = append(out, disk)
			}
		}
	}
	return out, nil
}
