package asset_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
)

func base() *agentproto.Inventory {
	return &agentproto.Inventory{
		Collected: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Hostname: "pc-01", OS: "linux", Platform: "debian", OSVersion: "12.5",
		Kernel: "6.1.0-18-amd64", Arch: "amd64", BootTime: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris",
		CPUModel: "i5", CPUCores: 4, CPUThreads: 8, MemoryBytes: 8 << 30,
		Disks:       []agentproto.Disk{{Name: "sda", Model: "Samsung", Bytes: 512 << 30, SMART: "PASSED"}},
		Filesystems: []agentproto.Filesystem{{Mount: "/", Type: "ext4", Bytes: 500 << 30, Used: 100 << 30}},
		Interfaces:  []agentproto.Interface{{Name: "eth0", MAC: "aa:bb", Addresses: []string{"10.0.0.5/24"}}},
		Gateway:     "10.0.0.1", DNS: []string{"10.0.0.1"},
		Software: []agentproto.Software{{Name: "firefox", Version: "128.0", Source: "dpkg"}, {Name: "vim", Version: "9.0", Source: "dpkg"}},
		Users:    []string{"alice"},
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name   string
		change func(inv *agentproto.Inventory)
		want   []string // Change.String()
	}{
		{"nothing", func(*agentproto.Inventory) {}, nil},
		{"volatile values ignored", func(inv *agentproto.Inventory) {
			inv.Filesystems[0].Used = 400 << 30
			inv.BootTime = inv.BootTime.Add(time.Hour)
			inv.Users = []string{"bob"}
			inv.Collected = inv.Collected.Add(time.Hour)
		}, nil},
		{"memory", func(inv *agentproto.Inventory) { inv.MemoryBytes = 16 << 30 }, []string{"memory: 8 GiB → 16 GiB"}},
		{"software upgraded, added, removed", func(inv *agentproto.Inventory) {
			inv.Software = []agentproto.Software{{Name: "firefox", Version: "131.0", Source: "dpkg"}, {Name: "curl", Version: "8.5", Source: "dpkg"}}
		}, []string{"software curl: added 8.5", "software firefox: 128.0 → 131.0", "software vim: removed 9.0"}},
		{"smart failed", func(inv *agentproto.Inventory) { inv.Disks[0].SMART = "FAILED" }, []string{"smart sda: PASSED → FAILED"}},
		{"disk added with bad health", func(inv *agentproto.Inventory) {
			inv.Disks = append(inv.Disks, agentproto.Disk{Name: "sdb", Bytes: 1 << 40, SMART: "FAILED"})
		}, []string{"disk sdb: added 1 TiB", "smart sdb: added FAILED"}},
		{"disk removed", func(inv *agentproto.Inventory) { inv.Disks = nil }, []string{"disk sda: removed 512 GiB Samsung"}},
		{"filesystem resized and added", func(inv *agentproto.Inventory) {
			inv.Filesystems[0].Bytes = 1000 << 30
			inv.Filesystems = append(inv.Filesystems, agentproto.Filesystem{Mount: "/data", Type: "xfs", Bytes: 2 << 40})
		}, []string{"filesystem /: 500 GiB ext4 → 1000 GiB ext4", "filesystem /data: added 2 TiB xfs"}},
		{"os, kernel", func(inv *agentproto.Inventory) { inv.OSVersion = "12.6"; inv.Kernel = "6.1.0-20-amd64" },
			[]string{"os: debian 12.5 → debian 12.6", "kernel: 6.1.0-18-amd64 → 6.1.0-20-amd64"}},
		{"cpu", func(inv *agentproto.Inventory) { inv.CPUModel = "i7" }, []string{"cpu: i5 (4 cores, 8 threads) → i7 (4 cores, 8 threads)"}},
		{"addresses", func(inv *agentproto.Inventory) { inv.Interfaces[0].Addresses = []string{"10.0.0.6/24"} },
			[]string{"address eth0: removed 10.0.0.5/24", "address eth0: added 10.0.0.6/24"}},
		{"interface added", func(inv *agentproto.Inventory) {
			inv.Interfaces = append(inv.Interfaces, agentproto.Interface{Name: "wlan0", MAC: "cc:dd"})
		}, []string{"interface wlan0: added cc:dd"}},
		{"hostname", func(inv *agentproto.Inventory) { inv.Hostname = "pc-02" }, []string{"hostname: pc-01 → pc-02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := base(), base()
			tt.change(new)
			var got []string
			for _, c := range asset.Diff(old, new) {
				got = append(got, c.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	if cs := asset.Diff(nil, base()); cs != nil {
		t.Errorf("first inventory gives changes: %v", cs)
	}
}

func TestDiffManySoftware(t *testing.T) {
	old, new := base(), base()
	new.Software = nil
	for i := range 2000 {
		new.Software = append(new.Software, agentproto.Software{Name: fmt.Sprintf("pkg%04d", i), Version: "1"})
	}
	cs := asset.Diff(old, new)
	if len(cs) != asset.ChangeMaxSoftware+1 || !strings.Contains(cs[len(cs)-1].New, "more") {
		t.Errorf("%d changes for a reinstalled machine, last %v", len(cs), cs[len(cs)-1])
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1 << 20: "1 MiB", 8 << 30: "8 GiB", 16_700_000_000: "15.6 GiB"} {
		if got := asset.Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
