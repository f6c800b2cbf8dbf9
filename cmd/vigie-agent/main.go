// Command vigie-agent reports a machine's inventory and metrics to a Vigie
// server. See docs/agent.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/kardianos/service"
	"github.com/shirou/gopsutil/v4/host"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	// The agent is small and mostly idle: a lower GOGC keeps the heap (and
	// so the RSS) tight, the soft memory limit bounds a peak (a large
	// inventory), one P is plenty. A limit near the live heap would make
	// the GC run many times per tick: 8 MiB did, costing half the CPU.
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(12 << 20)
	runtime.GOMAXPROCS(1)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

const usage = `vigie-agent reports this machine's inventory, metrics and checks to a Vigie server.

Usage:
  vigie-agent enroll --server URL --token TOKEN   join a client's fleet
  vigie-agent run                                 run in the foreground
  vigie-agent install [--server URL --token TOKEN] install (and enroll) the system service
  vigie-agent uninstall | start | stop | status   manage the system service
  vigie-agent inventory                           print this machine's inventory (JSON)
  vigie-agent job run --name NAME -- COMMAND …    run a job (a backup) and report its run
  vigie-agent version

Every command takes --config PATH and --state-dir DIR (or VIGIE_AGENT_CONFIG,
VIGIE_AGENT_STATE_DIR); "vigie-agent COMMAND --help" tells more.
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(e.stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, env) error{
		"enroll": cmdEnroll, "run": cmdRun, "install": cmdInstall, "uninstall": cmdControl("uninstall"),
		"start": cmdControl("start"), "stop": cmdControl("stop"), "status": cmdStatus, "version": cmdVersion,
		"inventory": cmdInventory, "job": cmdJob,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "vigie-agent: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := fn(ctx, args[1:], e); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var st exitStatus
		if errors.As(err, &st) {
			return int(st)
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "vigie-agent %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(e.stderr, "vigie-agent %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError struct{ error }

// common are the flags every command takes.
type common struct {
	config, stateDir string
	caFile           string // enroll and install only
}

func newFlags(name, summary string, e env, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.config, "config", "", "configuration file (default: "+agent.DefaultPaths(runtime.GOOS, e.getenv).Config+"; env VIGIE_AGENT_CONFIG)")
	fs.StringVar(&c.stateDir, "state-dir", "", "spool and state directory (default: "+agent.DefaultPaths(runtime.GOOS, e.getenv).StateDir+"; env VIGIE_AGENT_STATE_DIR)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: vigie-agent %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// paths resolves the files of the agent; the state directory recorded at
// enrollment wins over the default but not over a flag or the environment.
func (c common) paths(e env) agent.Paths {
	p := agent.ResolvePaths(c.config, c.stateDir, e.getenv)
	if c.stateDir == "" && e.getenv("VIGIE_AGENT_STATE_DIR") == "" {
		if cfg, err := agent.LoadConfig(p.Config); err == nil && cfg.StateDir != "" {
			p.StateDir = cfg.StateDir
		}
	}
	return p
}

func cmdVersion(_ context.Context, args []string, e env) error {
	var c common
	fs := newFlags("version", "Print the agent's version.", e, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "vigie-agent %s (%s/%s, %s)\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
	return nil
}

func cmdEnroll(ctx context.Context, args []string, e env) error {
	var c common
	var server, token string
	fs := newFlags("enroll", "Join a client's fleet with an enrollment token created in Vigie (Fleet → Enrollment).\nWrites the configuration, with the agent's secret, readable by its owner only.", e, &c)
	fs.StringVar(&server, "server", "", "Vigie server base URL, e.g. https://vigie.example.com (required)")
	fs.StringVar(&token, "token", "", "enrollment token (required)")
	fs.StringVar(&c.caFile, "ca-file", "", "PEM certificates to trust for the server besides the system's (an internal CA)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return enroll(ctx, c, server, token, e)
}

func enroll(ctx context.Context, c common, server, token string, e env) error {
	if server == "" || token == "" {
		return usageError{errors.New("--server and --token are required")}
	}
	if !strings.HasPrefix(server, "https://") && !strings.HasPrefix(server, "http://") {
		return usageError{fmt.Errorf("--server %q: want a URL starting with https://", server)}
	}
	p := agent.ResolvePaths(c.config, c.stateDir, e.getenv)
	// The allow-list is the machine administrator's: enrolling (again)
	// keeps it.
	commands, err := agent.LoadCommands(p.Config)
	if err != nil {
		return err
	}
	hostname, _ := os.Hostname()
	machineID, _ := host.HostIDWithContext(ctx)
	client := agent.NewClient(server, "", version)
	var caFile string
	if c.caFile != "" {
		caFile, _ = filepath.Abs(c.caFile)
		if err := client.TrustCAFile(caFile); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := client.Enroll(ctx, agentproto.EnrollRequest{
		Token: token, Hostname: hostname, OS: runtime.GOOS, Arch: runtime.GOARCH,
		AgentVersion: version, MachineID: machineID,
	})
	if err != nil {
		var se *agent.ServerError
		if errors.As(err, &se) && se.Code() == agentproto.CodeTokenInvalid {
			return fmt.Errorf("enrollment refused: %w (create a new token in Vigie)", err)
		}
		return err
	}
	cfg := &agent.Config{Server: client.Server, AgentID: resp.AgentID, AssetID: resp.AssetID, Secret: resp.Secret, Settings: agent.NormalizeSettings(resp.Settings), CAFile: caFile,
		Commands: commands}
	if c.stateDir != "" || e.getenv("VIGIE_AGENT_STATE_DIR") != "" {
		cfg.StateDir, _ = filepath.Abs(p.StateDir)
	}
	if err := agent.SaveConfig(p.Config, cfg); err != nil {
		return err
	}
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	// A new identity: its server has none of this machine's inventory yet.
	_ = os.Remove(filepath.Join(p.StateDir, agent.InventoryHashFile))
	fmt.Fprintf(e.stdout, "enrolled as agent %d (asset %d) on %s\nconfiguration written to %s\n", resp.AgentID, resp.AssetID, cfg.Server, p.Config)
	return nil
}

func cmdRun(ctx context.Context, args []string, e env) error {
	var c common
	var level string
	fs := newFlags("run", "Run the agent in the foreground (this is also what the service runs).", e, &c)
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return usageError{fmt.Errorf("--log-level: %w", err)}
	}
	p := c.paths(e)
	cfg, err := agent.LoadConfig(p.Config)
	if err != nil {
		return err
	}
	if !service.Interactive() {
		return runService(c, p, cfg, lvl, e)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
	return newAgent(p, cfg, log).Run(ctx)
}

func newAgent(p agent.Paths, cfg *agent.Config, log *slog.Logger) *agent.Agent {
	return &agent.Agent{Config: cfg, ConfigPath: p.Config, StateDir: p.StateDir, Version: version, Log: log}
}

func cmdInventory(ctx context.Context, args []string, e env) error {
	var c common
	var software bool
	fs := newFlags("inventory", "Print the inventory this machine would send, as JSON (nothing is sent).", e, &c)
	fs.BoolVar(&software, "software", true, "list installed software")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := agentproto.DefaultSettings()
	if cfg, err := agent.LoadConfig(c.paths(e).Config); err == nil {
		set = cfg.Settings
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	inv := agent.CollectInventory(ctx, set, software, version, log)
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

func cmdStatus(_ context.Context, args []string, e env) error {
	var c common
	fs := newFlags("status", "Show the enrollment, the service's state and the spool.", e, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	p := c.paths(e)
	fmt.Fprintf(e.stdout, "version:   %s\nconfig:    %s\n", version, p.Config)
	if cfg, err := agent.LoadConfig(p.Config); err == nil {
		fmt.Fprintf(e.stdout, "server:    %s\nagent id:  %d (asset %d)\nsettings:  v%d, metrics every %ds, report every %ds, inventory every %ds\n",
			cfg.Server, cfg.AgentID, cfg.AssetID, cfg.Settings.Version, cfg.Settings.MetricInterval, cfg.Settings.ReportInterval, cfg.Settings.InventoryInterval)
		names := slices.Sorted(maps.Keys(cfg.Commands))
		if len(names) == 0 {
			names = []string{"(none)"}
		}
		fmt.Fprintf(e.stdout, "checks:    %d from the server\ncommands:  %s\n", len(cfg.Settings.Checks), strings.Join(names, ", "))
	} else {
		fmt.Fprintf(e.stdout, "enrolled:  no (%v)\n", err)
	}
	n, size := spoolUsage(filepath.Join(p.StateDir, "spool"))
	fmt.Fprintf(e.stdout, "state dir: %s\nspool:     %d batches waiting, %d bytes\n", p.StateDir, n, size)
	jobs, _ := filepath.Glob(filepath.Join(p.StateDir, agent.JobsDir, "j-*.json"))
	fmt.Fprintf(e.stdout, "job runs:  %d waiting for the service\n", len(jobs))
	fmt.Fprintf(e.stdout, "service:   %s\n", serviceStatus(c, p))
	return nil
}

func spoolUsage(dir string) (n int, size int64) {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "b-") {
			if info, err := de.Info(); err == nil {
				n++
				size += info.Size()
			}
		}
	}
	return n, size
}
