package cli

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return result{code, out.String(), errb.String()}
}

func TestHelp(t *testing.T) {
	r := run(t, nil, "", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, c := range []string{"serve", "demo", "migrate", "user", "backup", "version"} {
		if !strings.Contains(r.stdout, "  "+c) {
			t.Errorf("help does not list %s:\n%s", c, r.stdout)
		}
	}
	r = run(t, nil, "", "serve", "--help")
	if r.code != 0 || !strings.Contains(r.stderr, "VIGIE_DATA_DIR") || !strings.Contains(r.stderr, "gracefully") {
		t.Errorf("serve --help: exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, nil, "", "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %+v", r)
	}
	r = run(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "vigie ") {
		t.Errorf("version: %+v", r)
	}
}

func TestMigrateUserBackup(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIGIE_DATA_DIR": dir, "VIGIE_LOG_LEVEL": "warn"}
	r := run(t, env, "", "migrate")
	if r.code != 0 || !strings.Contains(r.stdout, "database schema at version") {
		t.Fatalf("migrate: %+v", r)
	}
	r = run(t, env, "long-enough-password\n", "user", "create", "--email", "Boss@Example.org", "--name", "Boss")
	if r.code != 0 || !strings.Contains(r.stdout, "created admin boss@example.org") {
		t.Fatalf("user create: %+v", r)
	}
	r = run(t, env, "", "user", "create", "--email", "boss@example.org", "--name", "Again", "--password", "long-enough-password")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate user: %+v", r)
	}
	r = run(t, env, "", "user", "create", "--email", "x@example.org", "--name", "X", "--password", "short")
	if r.code != 1 || !strings.Contains(r.stderr, "password") {
		t.Fatalf("short password: %+v", r)
	}
	r = run(t, env, "", "user", "create", "--email", "c@example.org", "--name", "C", "--role", "client-user", "--client", "NOPE", "--password", "long-enough-password")
	if r.code != 1 || !strings.Contains(r.stderr, `no client with code "NOPE"`) {
		t.Fatalf("unknown client: %+v", r)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	r = run(t, env, "", "backup", backup)
	if r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	db, err := sql.Open("sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var email string
	if err := db.QueryRow(`SELECT email FROM users`).Scan(&email); err != nil || email != "boss@example.org" {
		t.Fatalf("backup content: %q %v", email, err)
	}
	r = run(t, env, "", "backup", backup)
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("backup over an existing file: %+v", r)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIGIE_DATA_DIR": dir, "VIGIE_LOG_LEVEL": "warn"}
	if r := run(t, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', '2030-01-01 00:00:00')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := run(t, env, "", "migrate")
	if r.code != 1 || !strings.Contains(r.stderr, "newer than this binary") || !strings.Contains(r.stderr, "9999") {
		t.Fatalf("newer schema: %+v", r)
	}
}

// TestServeShutsDownGracefully starts the real server, waits until it is
// ready, then cancels its context as SIGTERM would.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}, Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv, Ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d", code)
	case <-time.After(30 * time.Second):
		t.Fatal("serve not ready")
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "ready\n" {
		t.Fatalf("readyz: %d %q", res.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d after shutdown", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// TestBackupWhileWriting copies the database while another connection keeps
// writing, as a running server would, and checks the copy is consistent.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIGIE_DATA_DIR": dir, "VIGIE_LOG_LEVEL": "warn"}
	if r := run(t, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vigie.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := make(chan struct{})
	wrote := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				wrote <- n
				return
			default:
			}
			_, err := db.Exec(`INSERT INTO clients (code, name, time_zone, language, created_at, updated_at) VALUES (?, 'x', 'Europe/Paris', 'fr', '2026-01-01 00:00:00', '2026-01-01 00:00:00')`, "C"+strings.Repeat("X", 3)+time.Now().Format("150405.000000000"))
			if err == nil {
				n++
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	backup := filepath.Join(t.TempDir(), "copy.db")
	r := run(t, env, "", "backup", backup)
	close(stop)
	n := <-wrote
	if r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	cp, err := sql.Open("sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var check string
	var count int
	if err := cp.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity: %q %v", check, err)
	}
	if err := cp.QueryRow(`SELECT COUNT(*) FROM clients`).Scan(&count); err != nil || count > n {
		t.Fatalf("copy has %d clients of %d written: %v", count, n, err)
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode: %v %v", info.Mode(), err)
	}
}
