// Package testdb gives tests a fresh database of each dialect.
//
// PostgreSQL comes from VIGIE_TEST_POSTGRES_URL (a server where the test may
// create databases; `make test` starts a throwaway cluster and sets it). When
// it is unset, PostgreSQL tests skip loudly, or fail when CI=true.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for creating test databases
)

// Dialects are the databases every store and API suite runs on.
var Dialects = []string{"sqlite", "postgres"}

// Require returns the PostgreSQL server to create test databases on ("" for
// SQLite, which is always there). Without VIGIE_TEST_POSTGRES_URL it skips
// the test loudly, or fails it when CI=true.
func Require(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return ""
	}
	base := os.Getenv("VIGIE_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("VIGIE_TEST_POSTGRES_URL is not set: PostgreSQL tests are required in CI (make test starts a cluster)")
		}
		t.Skip("!!! SKIPPING PostgreSQL variant: VIGIE_TEST_POSTGRES_URL is not set (run `make test` to start a throwaway cluster) !!!")
	}
	return base
}

// URL returns the URL of a fresh, empty database of the dialect, removed at
// the end of the test.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "vigie.db")
	}
	base := Require(t, dialect)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "vigie_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse VIGIE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
