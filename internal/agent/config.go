// Package agent is vigie-agent: its configuration, collectors (inventory and
// metrics), the sender that replays the spool to the server, and the loop
// that ties them together. It imports nothing of the server but agentproto.
package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Config is what enrollment gives the agent; it is saved readable by its
// owner only because it holds the agent's secret.
type Config struct {
	Server   string              `json:"server"`
	AgentID  int64               `json:"agent_id"`
	AssetID  int64               `json:"asset_id"`
	Secret   string              `json:"secret"`
	Settings agentproto.Settings `json:"settings"`
	// StateDir is where the spool and the inventory hash live; empty means
	// the OS default.
	StateDir string `json:"state_dir,omitempty"`
	// CAFile is a PEM file of certificates to trust for the server besides
	// the system's (an internal CA); empty means the system's only.
	CAFile string `json:"ca_file,omitempty"`
	// Commands is the allow-list of the command checks: name → program
	// (an absolute path, run without a shell) and its arguments. A check
	// from the server only names an entry; the server can never make the
	// agent run a command line of its own. Read at start: restart the agent
	// after editing it.
	Commands map[string][]string `json:"commands,omitempty"`
}

// Paths are where the agent keeps its files.
type Paths struct {
	Config   string // agent.json
	StateDir string // spool/, inventory.sha256
}

// DefaultPaths are the system-wide locations for goos (runtime.GOOS), with
// getenv giving %ProgramData% on Windows.
func DefaultPaths(goos string, getenv func(string) string) Paths {
	switch goos {
	case "windows":
		pd := getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		base := pd + `\Vigie\Agent`
		return Paths{Config: base + `\agent.json`, StateDir: base + `\state`}
	case "darwin":
		base := "/Library/Application Support/Vigie"
		return Paths{Config: base + "/agent.json", StateDir: base + "/state"}
	default:
		return Paths{Config: "/etc/vigie-agent/agent.json", StateDir: "/var/lib/vigie-agent"}
	}
}

// ResolvePaths applies the flags, then VIGIE_AGENT_CONFIG and
// VIGIE_AGENT_STATE_DIR, then the defaults.
func ResolvePaths(configFlag, stateFlag string, getenv func(string) string) Paths {
	p := DefaultPaths(runtime.GOOS, getenv)
	if v := getenv("VIGIE_AGENT_CONFIG"); v != "" {
		p.Config = v
	}
	if v := getenv("VIGIE_AGENT_STATE_DIR"); v != "" {
		p.StateDir = v
	}
	if configFlag != "" {
		p.Config = configFlag
	}
	if stateFlag != "" {
		p.StateDir = stateFlag
	}
	return p
}

// ErrNotEnrolled means there is no configuration file yet.
var ErrNotEnrolled = errors.New("agent not enrolled: run vigie-agent enroll --server URL --token TOKEN")

// LoadConfig reads the configuration at path.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (no %s)", ErrNotEnrolled, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if c.Server == "" || c.Secret == "" {
		return nil, fmt.Errorf("config %s: %w", path, ErrNotEnrolled)
	}
	c.Settings = NormalizeSettings(c.Settings)
	return &c, nil
}

// LoadCommands reads the command allow-list of the configuration at path,
// enrolled or not (an administrator may write the allow-list before the
// machine is enrolled); none when the file does not exist.
func LoadCommands(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c struct {
		Commands map[string][]string `json:"commands"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return c.Commands, nil
}

// SaveConfig writes c to path, 0600 in a 0700 directory, atomically. On
// Windows, where modes mean little, the file (and the directory when the
// agent creates it) gets an ACL for SYSTEM, Administrators and its owner
// only.
func SaveConfig(path string, c *Config) error {
	dir := filepath.Dir(path)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	// A directory the agent made is its own; one that existed (the current
	// directory of a test run…) is left as it was.
	if errors.Is(statErr, os.ErrNotExist) {
		if err := restrictPath(dir); err != nil {
			return fmt.Errorf("config dir: %w", err)
		}
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".agent-*.json")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	tmp := f.Name()
	if runtime.GOOS == "windows" {
		err = restrictPath(tmp)
	} else {
		err = f.Chmod(0o600)
	}
	if err == nil {
		if _, err = f.Write(append(b, '\n')); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write config %s: %w", path, err)
	}
	return nil
}

// NormalizeSettings fills zero fields with the defaults and clamps the
// rest to what the agent supports.
func NormalizeSettings(s agentproto.Settings) agentproto.Settings {
	d := agentproto.DefaultSettings()
	if s.MetricInterval == 0 {
		s.MetricInterval = d.MetricInterval
	}
	s.MetricInterval = min(max(s.MetricInterval, 10), 3600)
	if s.ReportInterval < s.MetricInterval {
		s.ReportInterval = s.MetricInterval
	}
	s.ReportInterval = min(s.ReportInterval, 3600)
	if s.InventoryInterval == 0 {
		s.InventoryInterval = d.InventoryInterval
	}
	s.InventoryInterval = max(s.InventoryInterval, 300)
	if s.SpoolBytes <= 0 {
		s.SpoolBytes = d.SpoolBytes
	}
	s.SpoolBytes = max(s.SpoolBytes, 1<<20)
	return s
}

// collectorOn says whether the settings leave a collector on.
func collectorOn(s agentproto.Settings, name string) bool {
	on, set := s.Collectors[name]
	return !set || on
}
