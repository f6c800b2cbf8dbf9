package agent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func TestDefaultPaths(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		goos string
		env  map[string]string
		want Paths
	}{
		{"linux", nil, Paths{"/etc/vigie-agent/agent.json", "/var/lib/vigie-agent"}},
		{"windows", map[string]string{"ProgramData": `D:\PD`}, Paths{`D:\PD\Vigie\Agent\agent.json`, `D:\PD\Vigie\Agent\state`}},
		{"windows", nil, Paths{`C:\ProgramData\Vigie\Agent\agent.json`, `C:\ProgramData\Vigie\Agent\state`}},
		{"darwin", nil, Paths{"/Library/Application Support/Vigie/agent.json", "/Library/Application Support/Vigie/state"}},
	}
	for _, tt := range tests {
		if got := DefaultPaths(tt.goos, env(tt.env)); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.goos, got, tt.want)
		}
	}
	// Flags win over the environment, which wins over the defaults.
	e := env(map[string]string{"VIGIE_AGENT_CONFIG": "/env/a.json", "VIGIE_AGENT_STATE_DIR": "/env/state"})
	if got := ResolvePaths("", "", e); got.Config != "/env/a.json" || got.StateDir != "/env/state" {
		t.Errorf("env: %+v", got)
	}
	if got := ResolvePaths("/flag/a.json", "/flag/state", e); got.Config != "/flag/a.json" || got.StateDir != "/flag/state" {
		t.Errorf("flags: %+v", got)
	}
}

func TestSaveConfigOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "vigie-agent", "agent.json")
	c := &Config{Server: "https://vigie.example.com", AgentID: 7, Secret: "s3cret", Settings: agentproto.DefaultSettings()}
	if err := SaveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		di, _ := os.Stat(filepath.Dir(path))
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Fatalf("modes %v and %v, want 0600 in 0700", fi.Mode().Perm(), di.Mode().Perm())
		}
	}
	got, err := LoadConfig(path)
	if err != nil || got.Secret != "s3cret" || got.AgentID != 7 {
		t.Fatalf("load: %+v %v", got, err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.json")); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("missing config: %v", err)
	}
}

func TestNormalizeSettings(t *testing.T) {
	tests := []struct {
		name string
		in   agentproto.Settings
		want agentproto.Settings
	}{
		{"zero is the default", agentproto.Settings{}, agentproto.Settings{MetricInterval: 60, ReportInterval: 60, InventoryInterval: 4 * 3600, SpoolBytes: 50 << 20}},
		{"clamped", agentproto.Settings{Version: 3, MetricInterval: 1, ReportInterval: 5, InventoryInterval: 10, SpoolBytes: 10},
			agentproto.Settings{Version: 3, MetricInterval: 10, ReportInterval: 10, InventoryInterval: 300, SpoolBytes: 1 << 20}},
		{"report not under metric", agentproto.Settings{MetricInterval: 120, ReportInterval: 60, InventoryInterval: 3600, SpoolBytes: 1 << 30},
			agentproto.Settings{MetricInterval: 120, ReportInterval: 120, InventoryInterval: 3600, SpoolBytes: 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeSettings(tt.in)
			if got.Version != tt.want.Version || got.MetricInterval != tt.want.MetricInterval || got.ReportInterval != tt.want.ReportInterval ||
				got.InventoryInterval != tt.want.InventoryInterval || got.SpoolBytes != tt.want.SpoolBytes {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		header    string
		wantCode  string
		wantInMsg string
		wantRetry time.Duration
	}{
		{"problem detail shown", 403, `{"title":"Forbidden","status":403,"detail":"the enrollment token is unknown, expired, revoked or used up","code":"token-invalid"}`, "", agentproto.CodeTokenInvalid, "expired, revoked", 0},
		{"401 without body", 401, ``, "", agentproto.CodeUnauthorized, "401 Unauthorized", 0},
		{"proxy error page", 502, "<html>Bad Gateway</html>\nmore", "", "", "<html>Bad Gateway</html>", 0},
		{"retry after seconds", 429, `{"title":"Too Many Requests","code":"rate-limited"}`, "30", agentproto.CodeRateLimited, "Too Many Requests", 30 * time.Second},
		{"413 by a proxy", 413, `too big`, "", agentproto.CodeTooLarge, "too big", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := NewClient(srv.URL, "x", "test").Report(context.Background(), &agentproto.Report{Seq: 1})
			var se *ServerError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if se.Code() != tt.wantCode || !strings.Contains(err.Error(), tt.wantInMsg) || se.RetryAfter != tt.wantRetry {
				t.Fatalf("code %q, retry %v, message %q", se.Code(), se.RetryAfter, err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"Sun, 29 Nov 2026 03:01:00 GMT", time.Minute},
		{"Sun, 29 Nov 2026 02:59:00 GMT", 0},
		{"soon", 0},
		{"-5", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBatchReuse(t *testing.T) {
	var b Batch
	b.Add("cpu.percent", "", "", 1000, 12.5)
	b.Add("fs.used_percent", "mount", "/", 1000, 40)
	b.Add("fs.used_percent", "mount", "/home", 1000, 70)
	b.Add("fs.used_percent", "mount", "/", 1000, 41) // same time: ignored
	b.Add("cpu.percent", "", "", 2000, 13)
	if got := len(b.Series()); got != 3 || b.Samples() != 4 {
		t.Fatalf("%d series, %d samples", got, b.Samples())
	}
	b.Reset()
	b.Add("fs.used_percent", "mount", "/", 3000, 42) // /home unmounted, no cpu this time
	s := b.Series()
	if len(s) != 1 || s[0].Labels["mount"] != "/" || len(s[0].T) != 1 || s[0].V[0] != 42 {
		t.Fatalf("after reset: %+v", s)
	}
	b.Reset()
	b.Add("cpu.percent", "", "", 4000, 1)
	b.Add("fs.used_percent", "mount", "/", 4000, 43)
	if len(b.Series()) != 2 {
		t.Fatalf("series after second reset: %+v", b.Series())
	}
}

func TestRealFilesystems(t *testing.T) {
	parts := []disk.PartitionStat{
		{Device: "/dev/sda2", Mountpoint: "/", Fstype: "ext4"},
		{Device: "tmpfs", Mountpoint: "/run", Fstype: "tmpfs"},
		{Device: "overlay", Mountpoint: "/var/lib/docker/overlay2/x/merged", Fstype: "overlay"},
		{Device: "/dev/loop3", Mountpoint: "/snap/core/1", Fstype: "squashfs"},
		{Device: "/dev/sda2", Mountpoint: "/var/lib/docker", Fstype: "ext4"}, // bind mount
		{Device: "/dev/sda1", Mountpoint: "/boot/efi", Fstype: "vfat"},
		{Device: "proc", Mountpoint: "/proc", Fstype: "proc"},
		{Device: "/dev/disk3s5", Mountpoint: "/System/Volumes/Data", Fstype: "apfs"},
		{Device: "/dev/disk3s6", Mountpoint: "/System/Volumes/VM", Fstype: "apfs"},
		{Device: `C:`, Mountpoint: `C:`, Fstype: "NTFS"},
	}
	var got []string
	for _, p := range realFilesystems(parts) {
		got = append(got, p.Mountpoint)
	}
	if strings.Join(got, " ") != "/ /boot/efi /System/Volumes/Data C:" {
		t.Fatalf("kept %v", got)
	}
}

func TestInventoryHash(t *testing.T) {
	a := &agentproto.Inventory{Collected: time.Now(), Hostname: "h", Filesystems: []agentproto.Filesystem{{Mount: "/", Bytes: 1000, Used: roundUsed(503, 1000)}}}
	b := *a
	b.Collected = a.Collected.Add(time.Hour)
	b.Filesystems = []agentproto.Filesystem{{Mount: "/", Bytes: 1000, Used: roundUsed(497, 1000)}}
	if InventoryHash(a) != InventoryHash(&b) {
		t.Error("collection time or a usage change under 1 % changed the hash")
	}
	b.Filesystems = []agentproto.Filesystem{{Mount: "/", Bytes: 1000, Used: roundUsed(520, 1000)}}
	if InventoryHash(a) == InventoryHash(&b) {
		t.Error("a usage change of 2 % did not change the hash")
	}
	c := *a
	c.Software = []agentproto.Software{{Name: "b"}, {Name: "A"}, {Name: "b"}}
	normalizeInventory(&c)
	if len(c.Software) != 2 || c.Software[0].Name != "A" {
		t.Errorf("software not sorted and deduplicated: %+v", c.Software)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Sun, 29 Nov 2026 03:01:00 GMT")
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseRetryAfter(s, now); d < 0 {
			t.Fatalf("%q → %v", s, d)
		}
	})
}
