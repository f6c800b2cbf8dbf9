package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// ErrSchemaTooNew means the database was migrated by a newer Vigie.
var ErrSchemaTooNew = errors.New("the database schema is newer than this binary")

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := path.Join("migrations", string(db.dialect))
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its version", name)
		}
		b, err := migrations.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must be 1, 2, 3… without gaps", m.name)
		}
	}
	return out, nil
}

// LatestVersion is the schema version this binary knows.
func (db *DB) LatestVersion() int {
	ms, _ := db.migrations()
	return len(ms)
}

// SchemaVersion returns the version the database is at (0 when empty).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	var v int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Migrate brings the schema to the latest version, each migration in its own
// transaction. It refuses a database whose schema is newer than this binary.
// On PostgreSQL an advisory lock keeps two replicas from migrating at once.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	if db.dialect == Postgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7419001)`); err != nil {
			return 0, fmt.Errorf("lock for migration: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7419001)`)
	}
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if current > len(ms) {
		return 0, fmt.Errorf("%w: database is at version %d, this binary knows up to %d; upgrade Vigie", ErrSchemaTooNew, current, len(ms))
	}
	for _, m := range ms[current:] {
		err := db.InTx(ctx, func(ctx context.Context) error {
			if _, err := db.q(ctx).ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := db.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, now())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		db.log.Info("migrated", "version", m.version, "name", m.name)
		applied++
	}
	return applied, nil
}

// CheckSchema returns nil when the schema is exactly at this binary's version.
func (db *DB) CheckSchema(ctx context.Context) error {
	var v int
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v != db.LatestVersion() {
		return fmt.Errorf("schema at version %d, expected %d", v, db.LatestVersion())
	}
	return nil
}
