package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/demo"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

func runUser(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: vigie user create --email E --name N --role R [--password P] [--client CODE] (see vigie help user)")
	}
	fs, cfg, b := flags("user", env)
	email := fs.String("email", "", "e-mail address (sign-in name)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "admin", "admin, manager, technician, client-admin or client-user")
	level := fs.String("level", "", "support level of a technician: N1, N2 or N3")
	password := fs.String("password", "", "initial password (default: read from standard input)")
	clientCode := fs.String("client", "", "code of the client of a client user")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := b.Finish(env.Getenv); err != nil {
		return err
	}
	if *password == "" {
		fmt.Fprint(env.Stderr, "password: ")
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	a, err := app.New(ctx, *cfg, logger(cfg, env), app.Options{})
	if err != nil {
		return err
	}
	defer a.Close(ctx)
	u := user.User{Email: *email, Name: *name, Role: tenant.Role(*role), Level: *level}
	if *clientCode != "" {
		cs, err := a.Clients.List(ctx, tenant.System(), client.Filter{Query: *clientCode, Limit: 500})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if strings.EqualFold(c.Code, *clientCode) {
				u.ClientID = &c.ID
			}
		}
		if u.ClientID == nil {
			return fmt.Errorf("no client with code %q", *clientCode)
		}
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "cli"})
	if err := a.Users.Create(ctx, tenant.System(), &u, *password); err != nil {
		if v, ok := fault.AsInvalid(err); ok {
			return fmt.Errorf("%s", v.Error())
		}
		if errors.Is(err, fault.ErrConflict) {
			return fmt.Errorf("a user with e-mail %s already exists", u.Email)
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "created %s %s (id %d)\n", u.Role, u.Email, u.ID)
	return nil
}

func runBackup(ctx context.Context, args []string, env Env) error {
	fs, cfg, b := flags("backup", env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := b.Finish(env.Getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give the file to write: vigie backup FILE")
	}
	db, err := store.Open(ctx, cfg.Database(), logger(cfg, env))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s\n", fs.Arg(0))
	fmt.Fprintf(env.Stdout, "attachments are files, not in this copy: back up %s too\n", filepath.Join(cfg.DataDir, "attachments"))
	return nil
}

func runDemo(ctx context.Context, args []string, env Env) error {
	fs, cfg, b := flags("demo", env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dataDirSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data-dir" {
			dataDirSet = true
		}
	})
	if err := b.Finish(env.Getenv); err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errors.New("the demo runs on its own embedded database: unset --database-url / VIGIE_DATABASE_URL")
	}
	if dataDirSet {
		if entries, err := os.ReadDir(cfg.DataDir); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty: the demo needs a fresh directory", cfg.DataDir)
		}
	} else {
		dir, err := os.MkdirTemp("", "vigie-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	return serve(ctx, *cfg, env, func(a *app.App) error {
		accounts, err := demo.Seed(ctx, a)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		printDemo(env, *cfg, accounts)
		// This machine joins the fleet through a real agent, in process.
		go demo.LiveAgent(ctx, a, cfg.BaseURL, cfg.DataDir, a.Log)
		// The other demo machines keep reporting simulated metrics.
		go demo.Simulate(ctx, a, time.Minute, a.Log)
		// Checks, templates and backups, once the engine runs with the server.
		go demo.Supervise(ctx, a, cfg.BaseURL, a.Log)
		return nil
	})
}

func printDemo(env Env, cfg config.Config, accounts []demo.Account) {
	w := env.Stdout
	fmt.Fprintf(w, "\nVigie demo — open %s\n", cfg.BaseURL)
	fmt.Fprintf(w, "Data directory (deleted at exit unless given): %s\n\n", cfg.DataDir)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "  E-MAIL\tROLE\tCLIENT\tPASSWORD")
	for _, ac := range accounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", ac.Email, ac.Role, ac.Client, ac.Password)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}
