package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agent/agenttest"
)

// TestEnrollKeepsAllowList: the command allow-list belongs to the machine's
// administrator, who may write it before enrolling; enrolling (again)
// keeps it.
func TestEnrollKeepsAllowList(t *testing.T) {
	srv := httptest.NewServer(agenttest.New("good-token", "s3cret"))
	defer srv.Close()
	dir := t.TempDir()
	cfg, state := filepath.Join(dir, "agent.json"), filepath.Join(dir, "state")
	if err := os.WriteFile(cfg, []byte(`{"commands": {"check_raid": ["/usr/lib/nagios/plugins/check_raid"], "check_load": ["/usr/lib/nagios/plugins/check_load", "-w", "5"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		code, stdout, stderr := runCmd(t, "enroll", "--server", srv.URL, "--token", "good-token", "--config", cfg, "--state-dir", state)
		if code != 0 {
			t.Fatalf("enroll: %d %s %s", code, stdout, stderr)
		}
		c, err := agent.LoadConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Commands) != 2 || c.Commands["check_load"][2] != "5" || c.Secret != "s3cret" {
			t.Fatalf("config after enrollment %+v", c)
		}
	}
	code, stdout, _ := runCmd(t, "status", "--config", cfg, "--state-dir", state)
	if code != 0 || !strings.Contains(stdout, "commands:  check_load, check_raid") || !strings.Contains(stdout, "job runs:  0 waiting") {
		t.Fatalf("status: %d\n%s", code, stdout)
	}
	// A configuration that is not JSON is not overwritten blindly.
	if err := os.WriteFile(cfg, []byte("{commands"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "enroll", "--server", srv.URL, "--token", "good-token", "--config", cfg, "--state-dir", state); code != 1 || !strings.Contains(stderr, "read config") {
		t.Fatalf("enroll over a broken config: %d %s", code, stderr)
	}
}
