package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func softwareString(sw []agentproto.Software) string {
	s := ""
	for _, x := range sw {
		s += fmt.Sprintf("%s %s [%s] %s\n", x.Name, x.Version, x.Publisher, x.Source)
	}
	return s
}

func TestParseSoftware(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		parse func([]byte) []agentproto.Software
		want  string
	}{
		{"dpkg", "dpkg_status", ParseDpkgStatus, "" +
			"bash 5.2.15-2+b8 [Matthias Klose] dpkg\n" +
			"ca-certificates 20230311+deb12u1 [Julien Cristau] dpkg\n" +
			"libc6 2.36-9+deb12u14 [GNU Libc Maintainers] dpkg\n" +
			"tzdata 2025b-0+deb12u2 [GNU Libc Maintainers] dpkg\n" +
			"libc6 2.36-9+deb12u14 [GNU Libc Maintainers] dpkg\n"},
		{"rpm", "rpm_qa.txt", ParseRPM, "" +
			"bash 5.1.8-9.el9 [Rocky Enterprise Software Foundation] rpm\n" +
			"kernel-core 5.14.0-427.13.1.el9_4 [Rocky Enterprise Software Foundation] rpm\n" +
			"openssl-libs 1:3.0.7-27.el9 [Rocky Enterprise Software Foundation] rpm\n" +
			"zabbix-agent2 6.4.15-release1.el9 [Zabbix LLC] rpm\n" +
			"localpkg 1.0-1 [] rpm\n"},
		{"apk", "apk_installed", ParseApkInstalled, "" +
			"musl 1.2.5-r0 [Natanael Copa] apk\n" +
			"busybox 1.36.1-r29 [Sören Tempel] apk\n" +
			"alpine-baselayout-data 3.6.5-r0 [Natanael Copa] apk\n"},
		{"macOS applications", "system_profiler_apps.json", func(b []byte) []agentproto.Software {
			sw, err := ParseSystemProfilerApps(b)
			if err != nil {
				t.Fatal(err)
			}
			return sw
		}, "" +
			"Firefox 131.0.2 [Mozilla Corporation] applications\n" +
			"Safari 18.0 [Apple] applications\n" +
			"Keynote 14.2 [] applications\n" +
			"MyTool  [] applications\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := softwareString(tt.parse(readTestdata(t, tt.file)))
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestParseSmart(t *testing.T) {
	devs, err := ParseSmartScan(readTestdata(t, "smartctl_scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The device with a shell in its name is refused; a bad type becomes auto.
	if got := fmt.Sprint(devs); got != "[{/dev/sda sat} {/dev/nvme0 nvme} {/dev/sdc auto}]" {
		t.Errorf("scan = %s", got)
	}
	tests := []struct {
		file string
		want string
	}{
		{"smartctl_health_passed.json", "PASSED"},
		{"smartctl_health_failed.json", "FAILED"},
		{"smartctl_health_unknown.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseSmartHealth(readTestdata(t, tt.file))
			if err != nil || got != tt.want {
				t.Errorf("health = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := ParseSmartHealth([]byte("smartctl: not json")); err == nil {
		t.Error("non-JSON output accepted")
	}
}

func TestParseNetwork(t *testing.T) {
	servers, domain := ParseResolvConf(readTestdata(t, "resolv.conf"))
	if fmt.Sprint(servers) != "[192.168.10.1 2001:db8::53]" || domain != "corp.example.fr" {
		t.Errorf("resolv.conf: %v %q", servers, domain)
	}
	tests := []struct {
		name  string
		parse func([]byte) string
		file  string
		want  string
	}{
		{"linux route, lowest metric", ParseProcNetRoute, "proc_net_route", "192.168.1.1"},
		{"macOS route get", ParseRouteGetDefault, "route_get_default.txt", "192.168.1.254"},
		{"windows route print", ParseRoutePrint, "route_print.txt", "10.0.0.1"},
		{"linux route, none", ParseProcNetRoute, "resolv.conf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.parse(readTestdata(t, tt.file)); got != tt.want {
				t.Errorf("gateway = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseIoreg(t *testing.T) {
	m, model, serial := ParseIoreg(readTestdata(t, "ioreg.txt"))
	if m != "Apple Inc." || model != "MacBook Pro (14-inch, 2021)" || serial != "C02ZX1YZMD6R" {
		t.Errorf("ioreg: %q %q %q", m, model, serial)
	}
}

func TestParseSystemProfilerDisks(t *testing.T) {
	got, err := ParseSystemProfilerDisks(readTestdata(t, "system_profiler_disks.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "[{disk0 APPLE SSD AP0512Q 0ba01234a5b6c7d8 500277790720 PASSED} {disk2 Samsung SSD 870 EVO 1TB S6PTNM0T123456A 1000204886016 FAILED}]"
	if fmt.Sprint(got) != want {
		t.Errorf("disks = %v\nwant %s", got, want)
	}
}

func TestParseDiskstats(t *testing.T) {
	got := ParseDiskstats(readTestdata(t, "diskstats"))
	want := "[{loop0 0 0} {sda 3004963840 6421639168} {sda1 2998957056 6421639168} {nvme0n1 50567901184 233875974144}]"
	if fmt.Sprint(got) != want {
		t.Errorf("diskstats = %v\nwant %s", got, want)
	}
}

func TestParseLocaltimeLink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/share/zoneinfo/Europe/Paris", "Europe/Paris"},
		{"../usr/share/zoneinfo/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"/var/db/timezone/zoneinfo/Europe/Paris", "Europe/Paris"}, // macOS
		{"/usr/share/zoneinfo/posix/Indian/Reunion", "Indian/Reunion"},
		{"/etc/UTC", ""},
		{"/usr/share/zoneinfo/../../etc/passwd", ""},
	}
	for _, tt := range tests {
		if got := ParseLocaltimeLink(tt.in); got != tt.want {
			t.Errorf("ParseLocaltimeLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Fuzz targets: no parser may panic or loop on any input, and what it
// returns stays well-formed.

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(""))
	f.Add([]byte("\n\n\x00:"))
}

func FuzzParseDpkgStatus(f *testing.F) {
	addSeeds(f, "dpkg_status")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseDpkgStatus(b) {
			if s.Name == "" || s.Source != "dpkg" {
				t.Fatalf("bad package %+v", s)
			}
		}
	})
}

func FuzzParseApkInstalled(f *testing.F) {
	addSeeds(f, "apk_installed")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseApkInstalled(b) {
			if s.Name == "" {
				t.Fatalf("bad package %+v", s)
			}
		}
	})
}

func FuzzParseRPM(f *testing.F) {
	addSeeds(f, "rpm_qa.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseRPM(b) {
			if s.Name == "" {
				t.Fatalf("bad package %+v", s)
			}
		}
	})
}

func FuzzParseSystemProfilerApps(f *testing.F) {
	addSeeds(f, "system_profiler_apps.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		sw, err := ParseSystemProfilerApps(b)
		if err != nil && sw != nil {
			t.Fatal("software with an error")
		}
	})
}

func FuzzParseSmart(f *testing.F) {
	addSeeds(f, "smartctl_scan.json", "smartctl_health_passed.json", "smartctl_health_failed.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		devs, _ := ParseSmartScan(b)
		for _, d := range devs {
			if len(d.Name) < 5 || d.Name[:5] != "/dev/" || d.Type == "" {
				t.Fatalf("unsafe device %+v", d)
			}
		}
		h, _ := ParseSmartHealth(b)
		if h != "" && h != "PASSED" && h != "FAILED" {
			t.Fatalf("health %q", h)
		}
	})
}

func FuzzParseNetwork(f *testing.F) {
	addSeeds(f, "resolv.conf", "proc_net_route", "route_get_default.txt", "route_print.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseResolvConf(b)
		ParseProcNetRoute(b)
		ParseRouteGetDefault(b)
		ParseRoutePrint(b)
	})
}

func FuzzParseSystemProfilerDisks(f *testing.F) {
	addSeeds(f, "system_profiler_disks.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		disks, _ := ParseSystemProfilerDisks(b)
		for _, d := range disks {
			if d.Name == "" || (d.SMART != "" && d.SMART != "PASSED" && d.SMART != "FAILED") {
				t.Fatalf("bad disk %+v", d)
			}
		}
	})
}

func FuzzParseIoreg(f *testing.F) {
	addSeeds(f, "ioreg.txt")
	f.Fuzz(func(t *testing.T, b []byte) { ParseIoreg(b) })
}

func FuzzParseDiskstats(f *testing.F) {
	addSeeds(f, "diskstats")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range ParseDiskstats(b) {
			if d.Name == "" {
				t.Fatal("empty device name")
			}
		}
	})
}

func FuzzParseLocaltimeLink(f *testing.F) {
	f.Add("/usr/share/zoneinfo/Europe/Paris")
	f.Fuzz(func(t *testing.T, s string) {
		if name := ParseLocaltimeLink(s); name != "" && (name[0] == '/' || len(name) > len(s)) {
			t.Fatalf("%q → %q", s, name)
		}
	})
}
