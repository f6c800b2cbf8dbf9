//go:build !windows

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/agent"
)

func TestJobRun(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.json")
	state := filepath.Join(dir, "state")
	if err := agent.SaveConfig(cfg, &agent.Config{Server: "http://127.0.0.1:1", AgentID: 1, Secret: "vga_x"}); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--config", cfg, "--state-dir", state}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		inStderr string
		recorded bool
	}{
		{"failing command", append(append([]string{"job", "run", "--name", "db backup"}, flags...), "--", "/bin/sh", "-c", "echo dumped 3 tables; echo 'no space left' >&2; exit 4"),
			4, "dumped 3 tables\n", "no space left", true},
		{"succeeding command without --", append(append([]string{"job", "run", "--name", "files"}, flags...), "/bin/echo", "done"), 0, "done\n", "", true},
		{"no name", append(append([]string{"job", "run"}, flags...), "--", "/bin/true"), 2, "", "the job needs a name", false},
		{"no command", append([]string{"job", "run", "--name", "x"}, flags...), 2, "", "no command to run", false},
		{"tail too large", append(append([]string{"job", "run", "--name", "x", "--tail", "99999"}, flags...), "/bin/true"), 2, "", "--tail 99999", false},
		{"not job run", []string{"job", "list"}, 2, "", `want "job run"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := agent.PendingJobs(state, nil)
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.inStderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout, stderr, tt.code, tt.stdout, tt.inStderr)
			}
			after, _ := agent.PendingJobs(state, nil)
			if got := len(after) - len(before); got != map[bool]int{true: 1}[tt.recorded] {
				t.Fatalf("%d runs recorded", got)
			}
			if tt.recorded {
				r := after[len(after)-1]
				if r.ExitCode != tt.code || !strings.Contains(r.Output, strings.TrimSpace(tt.stdout)) || r.End.Before(r.Start) {
					t.Fatalf("recorded %+v", r)
				}
			}
		})
	}
}
