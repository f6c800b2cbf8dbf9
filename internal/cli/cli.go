// Package cli implements the vigie command and its subcommands.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/config"
)

// Env is the outside world of a command: streams and environment.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when set, receives the server's address once it listens (tests).
	Ready func(addr string)
}

type command struct {
	name, summary, usage string
	run                  func(ctx context.Context, args []string, env Env) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (web UI, API, background work)", "vigie serve [flags]\n\nStarts Vigie: migrates the database, then serves the web UI and the API on --listen\nand runs the background work, until SIGINT or SIGTERM, which shut it down gracefully.", runServe},
		{"demo", "run the server on a fresh demo database", "vigie demo [flags]\n\nCreates a fresh database in a temporary directory (or --data-dir, which must be empty),\nfills it with a demo provider, three clients and users of every role, prints the URL\nand each demo account, and serves it like `vigie serve`.", runDemo},
		{"migrate", "bring the database schema up to date and exit", "vigie migrate [flags]\n\nApplies the pending schema migrations and prints the schema version. The server also\nmigrates at start; an older binary refuses a database migrated by a newer one.", runMigrate},
		{"user", "manage users: vigie user create …", "vigie user create --email E --name N --role R [--password P] [--client CODE] [flags]\n\nCreates a user. Roles: admin, manager, technician (with --level N1|N2|N3), client-admin\nand client-user (with --client CODE). Without --password, the password is read from\nstandard input (first line), so that it stays out of the shell history.", runUser},
		{"backup", "write a consistent copy of the database while the server runs", "vigie backup [flags] FILE\n\nSQLite: writes a consistent copy to FILE with VACUUM INTO, safe while the server runs.\nPostgreSQL: use pg_dump; this command explains how.", runBackup},
		{"bench", "measure start-up, memory, API latency and ticket queries (see docs/benchmarks.md)", benchUsage + "\n\n" + benchTicketsUsage, runBenchAny},
		{"version", "print the version", "vigie version", runVersion},
	}
}

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					fmt.Fprintln(env.Stdout, c.usage)
					return 0
				}
			}
		}
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], env)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(env.Stderr, "vigie "+c.name+":", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(env.Stderr, "vigie: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Vigie — the operations platform of an IT managed-services provider.")
	fmt.Fprintln(w, "\nUsage: vigie COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `vigie COMMAND --help` for a command's flags. Every flag can also be set")
	fmt.Fprintln(w, "with a VIGIE_* environment variable (--data-dir ↔ VIGIE_DATA_DIR); a flag wins.")
}

// flags returns a FlagSet bound to a Config, with the command's usage.
func flags(name string, env Env) (*flag.FlagSet, *config.Config, *config.Binding) {
	fs := flag.NewFlagSet("vigie "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg := &config.Config{}
	b := cfg.Bind(fs)
	for _, c := range commands() {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintln(env.Stderr, c.usage+"\n\nFlags:")
				fs.PrintDefaults()
			}
		}
	}
	return fs, cfg, b
}

func logger(cfg *config.Config, env Env) *slog.Logger {
	if f, ok := env.Stderr.(*os.File); ok {
		return cfg.Logger(f)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, args []string, env Env) error {
	fs, cfg, b := flags("serve", env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := b.Finish(env.Getenv); err != nil {
		return err
	}
	return serve(ctx, *cfg, env, nil)
}

// serve starts the app and serves until ctx ends. before, when set, runs
// after the app is built and before it listens (the demo fills data there).
func serve(ctx context.Context, cfg config.Config, env Env, before func(*app.App) error) error {
	start := time.Now()
	log := logger(&cfg, env)
	a, err := app.New(ctx, cfg, log, app.Options{AgentVersion: agentVersion()})
	if err != nil {
		return err
	}
	if before != nil {
		if err := before(a); err != nil {
			a.Close(ctx)
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.Close(ctx)
		return fmt.Errorf("listen: %w", err)
	}
	if n, err := a.DB.CountUsers(ctx); err == nil && n == 0 {
		log.Warn("no user yet: create the first administrator with `vigie user create --role admin --email you@example.com --name \"Your Name\"` (same --data-dir / --database-url), or try `vigie demo`")
	}
	log.Info("vigie ready", "url", cfg.BaseURL, "listen", ln.Addr().String(), "database", string(a.DB.Dialect()), "startup", time.Since(start).Round(time.Millisecond))
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	return a.Serve(ctx, ln)
}

func runMigrate(ctx context.Context, args []string, env Env) error {
	fs, cfg, b := flags("migrate", env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := b.Finish(env.Getenv); err != nil {
		return err
	}
	a, err := app.New(ctx, *cfg, logger(cfg, env), app.Options{})
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database schema at version %d (%s)\n", v, a.DB.Dialect())
	return nil
}

// Version is set at build time with -ldflags "-X github.com/vigie-hq/vigie/internal/cli.Version=…".
var Version = ""

// agentVersion is the vigie-agent version this server ships: the release
// both were built as (make build and make agents stamp the same one), or
// "dev", what an unstamped agent reports, so that a development build does
// not call every agent out of date.
func agentVersion() string {
	if Version != "" {
		return Version
	}
	return "dev"
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		return strings.TrimSpace(v)
	}
	return "devel"
}

func runVersion(ctx context.Context, args []string, env Env) error {
	fmt.Fprintln(env.Stdout, "vigie", version())
	return nil
}
