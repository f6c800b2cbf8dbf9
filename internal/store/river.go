package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
)

// OpenSidePool opens a second one-connection pool on the SQLite file, for the
// job queue. River runs its own work (fetching, completing, leader election,
// maintenance) in the background; on the store's single write connection that
// work would queue behind every request's transaction and, worse, a request
// holding that connection while waiting on the queue would never get it back.
// With its own connection River is just another writer on the file: SQLite
// serialises the two with the busy timeout, and transactions begin IMMEDIATE
// so that neither fails upgrading a read lock. Jobs inserted inside a store
// transaction still go through that transaction, not through this pool.
//
// It returns an error on PostgreSQL, whose pool is shared (see DB.Pool).
func (db *DB) OpenSidePool(ctx context.Context) (*sql.DB, error) {
	if db.dialect != SQLite {
		return nil, errors.New("open side pool: only SQLite needs one")
	}
	var path string
	if err := db.write.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return nil, fmt.Errorf("find sqlite file: %w", err)
	}
	if path == "" {
		return nil, errors.New("open side pool: the database has no file")
	}
	side, err := sql.Open("sqlite", sqliteDSN(path)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite side pool: %w", err)
	}
	side.SetMaxOpenConns(1)
	side.SetConnMaxIdleTime(0)
	if err := side.PingContext(ctx); err != nil {
		side.Close()
		return nil, fmt.Errorf("open sqlite side pool: %w", err)
	}
	return side, nil
}

// sqliteDSN returns the DSN of path with the pragmas every connection needs,
// the same as openSQLite's; busy_timeout first so the others wait for a lock too.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// CountJobs returns the number of jobs of the job queue in each state
// (River's river_job table; states with no job are absent).
func (db *DB) CountJobs(ctx context.Context) (map[string]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", translate(err))
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out[state] = n
	}
	return out, translate(rows.Err())
}
