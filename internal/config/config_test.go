package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := &Config{}
	b := c.Bind(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c, b.Finish(func(k string) string { return env[k] })
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "127.0.0.1:8080"},
		{"environment", nil, map[string]string{"VIGIE_LISTEN": "0.0.0.0:9000"}, "0.0.0.0:9000"},
		{"flag wins over environment", []string{"--listen", "127.0.0.1:7000"}, map[string]string{"VIGIE_LISTEN": "0.0.0.0:9000"}, "127.0.0.1:7000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.want {
				t.Fatalf("listen = %q, want %q", c.Listen, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./vigie-data" || c.Database() != "sqlite:vigie-data/vigie.db" || c.BaseURL != "http://127.0.0.1:8080" || c.SMTP.Port != 587 || c.Secure() {
		t.Fatalf("defaults: %+v database %s", c, c.Database())
	}
	c, err = load(t, nil, map[string]string{"VIGIE_DATABASE_URL": "postgres://u@h/db", "VIGIE_BASE_URL": "https://vigie.example/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Database() != "postgres://u@h/db" || c.BaseURL != "https://vigie.example" || !c.Secure() {
		t.Fatalf("postgres: %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"log level", []string{"--log-level", "loud"}, "log-level"},
		{"log format", []string{"--log-format", "xml"}, "log-format"},
		{"smtp port", []string{"--smtp-port", "99999"}, "smtp-port"},
		{"smtp tls", []string{"--smtp-tls", "maybe"}, "smtp-tls"},
		{"base url", []string{"--base-url", "ftp://x"}, "base-url"},
		{"database url", []string{"--database-url", "mysql://x"}, "database-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %s", err, tt.want)
			}
		})
	}
}
