package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
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
