package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/kardianos/service"

	"github.com/vigie-hq/vigie/internal/agent"
)

// program adapts the agent to kardianos/service.
type program struct {
	run    func(ctx context.Context) error
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func (p *program) Start(service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		_ = p.run(ctx)
	}()
	return nil
}

func (p *program) Stop(service.Service) error {
	p.once.Do(func() {
		if p.cancel != nil {
			p.cancel()
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
			}
		}
	})
	return nil
}

func serviceConfig(p agent.Paths) *service.Config {
	cfgPath, _ := filepath.Abs(p.Config)
	stateDir, _ := filepath.Abs(p.StateDir)
	return &service.Config{
		Name:        "vigie-agent",
		DisplayName: "Vigie agent",
		Description: "Reports this machine's inventory and metrics to Vigie.",
		Arguments:   []string{"run", "--config", cfgPath, "--state-dir", stateDir},
		Dependencies: []string{
			"After=network-online.target",
			"Wants=network-online.target",
		},
		Option: service.KeyValue{
			"Restart":          "always",  // systemd
			"KeepAlive":        true,      // launchd
			"RunAtLoad":        true,      // launchd
			"OnFailure":        "restart", // Windows
			"DelayedAutoStart": true,
		},
	}
}

func newService(p agent.Paths, prg *program) (service.Service, error) {
	s, err := service.New(prg, serviceConfig(p))
	if err != nil {
		return nil, fmt.Errorf("system service manager: %w", err)
	}
	return s, nil
}

// runService runs under the service manager (Windows SCM, systemd,
// launchd). On Windows the logs go to agent.log in the state directory,
// there being no console.
func runService(_ common, p agent.Paths, cfg *agent.Config, lvl slog.Level, e env) error {
	var out io.Writer = e.stderr
	if runtime.GOOS == "windows" {
		if err := os.MkdirAll(p.StateDir, 0o700); err == nil {
			logPath := filepath.Join(p.StateDir, "agent.log")
			if info, err := os.Stat(logPath); err == nil && info.Size() > 10<<20 {
				_ = os.Rename(logPath, logPath+".old")
			}
			if f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
				defer f.Close()
				out = f
			}
		}
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lvl}))
	prg := &program{run: newAgent(p, cfg, log).Run}
	s, err := newService(p, prg)
	if err != nil {
		return err
	}
	return s.Run()
}

func cmdInstall(ctx context.Context, args []string, e env) error {
	var c common
	var server, token string
	fs := newFlags("install", "Install vigie-agent as a system service (systemd, Windows service, launchd) and start it.\nWith --server and --token, enroll first.", e, &c)
	fs.StringVar(&server, "server", "", "Vigie server base URL (enrolls first when given with --token)")
	fs.StringVar(&token, "token", "", "enrollment token")
	fs.StringVar(&c.caFile, "ca-file", "", "PEM certificates to trust for the server besides the system's (an internal CA)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if server != "" || token != "" {
		if err := enroll(ctx, c, server, token, e); err != nil {
			return err
		}
	}
	p := c.paths(e)
	if _, err := agent.LoadConfig(p.Config); err != nil {
		return err
	}
	s, err := newService(p, &program{})
	if err != nil {
		return err
	}
	if err := s.Install(); err != nil {
		return fmt.Errorf("install service: %w (run as root / Administrator)", err)
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("service installed but not started: %w", err)
	}
	fmt.Fprintf(e.stdout, "service %s installed and started\n", s.String())
	return nil
}

func cmdControl(action string) func(context.Context, []string, env) error {
	summaries := map[string]string{
		"uninstall": "Stop and remove the system service (the configuration and spool stay).",
		"start":     "Start the system service.",
		"stop":      "Stop the system service.",
	}
	return func(_ context.Context, args []string, e env) error {
		var c common
		fs := newFlags(action, summaries[action], e, &c)
		if err := parse(fs, args); err != nil {
			return err
		}
		s, err := newService(c.paths(e), &program{})
		if err != nil {
			return err
		}
		if action == "uninstall" {
			_ = s.Stop() // may already be stopped
		}
		if err := service.Control(s, action); err != nil {
			if errors.Is(err, service.ErrNotInstalled) {
				return errors.New("the service is not installed (vigie-agent install)")
			}
			return fmt.Errorf("%w (run as root / Administrator)", err)
		}
		fmt.Fprintf(e.stdout, "service %s: %s done\n", s.String(), action)
		return nil
	}
}

func serviceStatus(c common, p agent.Paths) string {
	s, err := newService(p, &program{})
	if err != nil {
		return err.Error()
	}
	st, err := s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return "not installed"
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case st == service.StatusRunning:
		return "running"
	case st == service.StatusStopped:
		return "stopped"
	}
	return "unknown"
}
