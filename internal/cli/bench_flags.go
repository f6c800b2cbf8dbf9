package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-hq/vigie/internal/store"
)

// benchFlagSet returns the flag set of "vigie bench NAME", whose help
// prints the subcommand's usage text, then its flags.
func benchFlagSet(name, usage string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("vigie bench "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, usage+"\n\nFlags of vigie bench "+name+":")
		fs.PrintDefaults()
	}
	return fs
}

// benchPlace says where a bench runs: on a PostgreSQL server (a fresh
// database dropped afterwards), or on SQLite in dataDir or a temporary
// directory.
type benchPlace struct {
	databaseURL, dataDir string
}

// flags registers --database-url and, when dirHelp is not empty,
// --data-dir with that help.
func (p *benchPlace) flags(fs *flag.FlagSet, dirHelp string) {
	fs.StringVar(&p.databaseURL, "database-url", "", "PostgreSQL server to run on (postgres://…), in a fresh database dropped afterwards; empty: SQLite")
	if dirHelp != "" {
		fs.StringVar(&p.dataDir, "data-dir", "", dirHelp)
	}
}

// check refuses a URL that is not PostgreSQL's and a data directory given
// with one.
func (p benchPlace) check() error {
	if p.databaseURL != "" && !strings.HasPrefix(p.databaseURL, "postgres://") && !strings.HasPrefix(p.databaseURL, "postgresql://") {
		return errors.New("--database-url: must be a postgres:// URL (SQLite is the default)")
	}
	if p.databaseURL != "" && p.dataDir != "" {
		return errors.New("--data-dir is for SQLite: not with --database-url")
	}
	return nil
}

// openTicketBench opens and migrates the database at dsn, fills it with
// generate when it has no ticket yet (a kept SQLite directory is measured
// again as it is), and refreshes the planner's statistics as a live
// database would have them.
func openTicketBench(ctx context.Context, dsn string, generate func(*store.DB) error, log io.Writer) (*store.DB, error) {
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*store.DB, error) {
		db.Close()
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return fail(err)
	}
	var have int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets`).Scan(&have); err != nil {
		return fail(err)
	}
	if have == 0 {
		if err := generate(db); err != nil {
			return fail(err)
		}
	} else {
		fmt.Fprintf(log, "  measuring the %d tickets already in %s\n", have, dsn)
	}
	if db.Dialect() == store.Postgres {
		if _, err := db.SQL().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return fail(fmt.Errorf("vacuum analyze: %w", err))
		}
	} else if _, err := db.SQL().ExecContext(ctx, `ANALYZE; PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fail(fmt.Errorf("analyze: %w", err))
	}
	return db, nil
}
