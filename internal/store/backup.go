package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupPostgres explains that PostgreSQL is backed up with its own tools.
var ErrBackupPostgres = errors.New("the database is PostgreSQL: back it up with pg_dump, e.g. `pg_dump --format=custom --file=vigie.dump \"$VIGIE_DATABASE_URL\"`, and restore with pg_restore")

// Backup writes a consistent copy of a SQLite database to path while the
// server keeps running (VACUUM INTO reads one snapshot). path must not exist.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name", path)
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("vacuum into %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}
