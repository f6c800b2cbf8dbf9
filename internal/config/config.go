// Package config loads Vigie's settings from flags and VIGIE_* environment
// variables; a flag given on the command line wins over the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Config is every setting of the server.
type Config struct {
	Listen      string
	DataDir     string
	DatabaseURL string
	BaseURL     string
	LogLevel    string
	LogFormat   string
	SMTP        SMTP
}

// SMTP is the outgoing mail server. With no Host, mail is written as .eml
// files under DataDir/mail.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	// TLS is "starttls" (default), "tls" (implicit, port 465) or "none".
	TLS string
}

// Option describes one setting for flags, environment and documentation.
type Option struct {
	Flag, Env, Default, Help string
	target                   *string
}

// Options returns the settings bound to c, in documentation order.
func (c *Config) Options() []Option {
	port := strconv.Itoa(c.SMTP.Port)
	opts := []Option{
		{"listen", "VIGIE_LISTEN", "127.0.0.1:8080", "address and port to serve HTTP on", &c.Listen},
		{"data-dir", "VIGIE_DATA_DIR", "./vigie-data", "directory for the SQLite database, mail files and attachments", &c.DataDir},
		{"database-url", "VIGIE_DATABASE_URL", "", "postgres://user:pass@host/db for PostgreSQL; empty for SQLite at <data-dir>/vigie.db", &c.DatabaseURL},
		{"base-url", "VIGIE_BASE_URL", "", "public URL of this server, used in e-mailed links (default http://<listen>)", &c.BaseURL},
		{"log-level", "VIGIE_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"log-format", "VIGIE_LOG_FORMAT", "text", "text or json", &c.LogFormat},
		{"smtp-host", "VIGIE_SMTP_HOST", "", "SMTP server for outgoing mail; empty writes .eml files to <data-dir>/mail", &c.SMTP.Host},
		{"smtp-port", "VIGIE_SMTP_PORT", "587", "SMTP port", &port},
		{"smtp-username", "VIGIE_SMTP_USERNAME", "", "SMTP user name (empty: no authentication)", &c.SMTP.Username},
		{"smtp-password", "VIGIE_SMTP_PASSWORD", "", "SMTP password", &c.SMTP.Password},
		{"smtp-from", "VIGIE_SMTP_FROM", "", "sender address of outgoing mail (default: the provider's e-mail)", &c.SMTP.From},
		{"smtp-tls", "VIGIE_SMTP_TLS", "starttls", "starttls, tls (implicit) or none", &c.SMTP.TLS},
	}
	return opts
}

// Bind registers the flags of every option on fs. Call Finish after parsing.
func (c *Config) Bind(fs *flag.FlagSet) *Binding {
	b := &Binding{cfg: c, fs: fs, values: map[string]*string{}}
	for _, o := range c.Options() {
		v := new(string)
		fs.StringVar(v, o.Flag, "", fmt.Sprintf("%s (env %s, default %q)", o.Help, o.Env, o.Default))
		b.values[o.Flag] = v
	}
	return b
}

// Binding ties parsed flags to a Config.
type Binding struct {
	cfg    *Config
	fs     *flag.FlagSet
	values map[string]*string
}

// Finish fills the Config: flag if given, else environment, else default.
// getenv is os.Getenv outside tests.
func (b *Binding) Finish(getenv func(string) string) error {
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var port string
	for _, o := range b.cfg.Options() {
		val := o.Default
		if e := getenv(o.Env); e != "" {
			val = e
		}
		if set[o.Flag] {
			val = *b.values[o.Flag]
		}
		if o.Flag == "smtp-port" {
			port = val
			continue
		}
		*o.target = val
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return fmt.Errorf("smtp-port: %q is not a port number", port)
	}
	b.cfg.SMTP.Port = p
	return b.cfg.Validate()
}

// Validate checks the settings and fills derived defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir: must not be empty"))
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base-url: %q must be an http:// or https:// URL", c.BaseURL))
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level: %q must be debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log-format: %q must be text or json", c.LogFormat))
	}
	switch c.SMTP.TLS {
	case "starttls", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("smtp-tls: %q must be starttls, tls or none", c.SMTP.TLS))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		errs = append(errs, errors.New("database-url: must be a postgres://, postgresql:// or sqlite: URL"))
	}
	return errors.Join(errs...)
}

// Database returns the database URL: the configured one, else SQLite in the data directory.
func (c *Config) Database() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return "sqlite:" + filepath.Join(c.DataDir, "vigie.db")
}

// Secure reports whether the server is reached over HTTPS (cookies get Secure).
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Logger returns the logger the settings ask for, writing to w.
func (c *Config) Logger(w *os.File) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
