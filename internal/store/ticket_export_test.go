package store

import (
	"context"
	"fmt"
)

// MigrateTo applies the migrations up to version (included) and no further,
// so that a test can put data in an older schema before the next migrations
// move it.
func MigrateTo(ctx context.Context, db *DB, version int) error {
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := db.SchemaVersion(ctx); err != nil {
		return err
	}
	for _, m := range ms[:version] {
		err := db.InTx(ctx, func(ctx context.Context) error {
			if _, err := db.q(ctx).ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := db.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// ExecForTest runs a statement (? placeholders) as the store would.
func ExecForTest(ctx context.Context, db *DB, query string, args ...any) error {
	_, err := db.exec(ctx, query, args...)
	return err
}

// QueryInt64ForTest reads one integer (a count, an id; 0 when NULL).
func QueryInt64ForTest(ctx context.Context, db *DB, query string, args ...any) (int64, error) {
	var v *int64
	if err := db.queryRow(ctx, query, args...).Scan(&v); err != nil {
		return 0, err
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}
