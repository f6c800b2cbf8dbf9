package supervision

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/probe"
)

func TestNewProbeBuilds(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		p    Params
		want probe.Probe
	}{
		{"tcp", KindTCP, Params{Host: "10.0.0.5", Port: 22, RTTWarning: 200, RTTCritical: 500, Timeout: 5},
			&probe.TCP{Host: "10.0.0.5", Port: 22, Warning: 200 * time.Millisecond, Critical: 500 * time.Millisecond, Timeout: 5 * time.Second}},
		{"tls default port", KindTLS, Params{Host: "example.com", WarningDays: 20, CriticalDays: 5},
			&probe.TLSCert{Address: "example.com:443", WarningDays: 20, CriticalDays: 5}},
		{"dns", KindDNS, Params{Name: "www.example.com", RecordType: "MX", Server: "9.9.9.9", Expect: []string{"10 mx.example.com"}},
			&probe.DNS{Name: "www.example.com", Type: "MX", Server: "9.9.9.9", Expect: []string{"10 mx.example.com"}}},
		{"ping", KindPing, Params{Host: "10.0.0.1", Count: 5, LossCritical: 50, RTTWarning: 100.5},
			&probe.Ping{Host: "10.0.0.1", Count: 5, LossCritical: 50, RTTWarning: 100500 * time.Microsecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewProbe(tt.kind, tt.p)
			if err != nil {
				t.Fatalf("NewProbe: %v", err)
			}
			switch w := tt.want.(type) {
			case *probe.TCP:
				if g := got.(*probe.TCP); *g != *w {
					t.Errorf("got %+v, want %+v", g, w)
				}
			case *probe.TLSCert:
				g := got.(*probe.TLSCert)
				if g.Address != w.Address || g.WarningDays != w.WarningDays || g.CriticalDays != w.CriticalDays || g.Timeout != 0 {
					t.Errorf("got %+v, want %+v", g, w)
				}
			case *probe.DNS:
				g := got.(*probe.DNS)
				if g.Name != w.Name || g.Type != w.Type || g.Server != w.Server || len(g.Expect) != 1 {
					t.Errorf("got %+v, want %+v", g, w)
				}
			case *probe.Ping:
				if g := got.(*probe.Ping); *g != *w {
					t.Errorf("got %+v, want %+v", g, w)
				}
			}
		})
	}
}

func TestNewProbeHTTPRuns(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello vigie"))
	}))
	defer srv.Close()
	pr, err := NewProbe(KindHTTP, Params{URL: srv.URL, BodyContains: "vigie", BodyRegexp: "^hel+o", Timeout: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r := pr.Run(context.Background()); r.State != probe.OK {
		t.Fatalf("state %v: %s", r.State, r.Output)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pr, err = NewProbe(KindTCP, Params{Host: "127.0.0.1", Port: port, Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := pr.Run(context.Background()); r.State != probe.Critical {
		t.Fatalf("closed port %s: state %v: %s", strconv.Itoa(port), r.State, r.Output)
	}
}

func TestNewProbeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		p     Params
		field string
		code  string
	}{
		{"not a probe", KindCPU, Params{}, "kind", "not_a_probe"},
		{"tcp no host", KindTCP, Params{Port: 22}, "host", "required"},
		{"tcp bad port", KindTCP, Params{Host: "a", Port: 70000}, "port", "invalid_port"},
		{"tcp rtt order", KindTCP, Params{Host: "a", Port: 1, RTTWarning: 500, RTTCritical: 100}, "rtt_critical", "below_warning"},
		{"tcp negative rtt", KindTCP, Params{Host: "a", Port: 1, RTTWarning: -1}, "rtt_warning", "negative"},
		{"timeout too large", KindTCP, Params{Host: "a", Port: 1, Timeout: 61}, "timeout", "too_large"},
		{"timeout negative", KindTCP, Params{Host: "a", Port: 1, Timeout: -3}, "timeout", "negative"},
		{"http url", KindHTTP, Params{URL: "ftp://x"}, "url", "invalid_url"},
		{"http regexp", KindHTTP, Params{URL: "http://x", BodyRegexp: "a("}, "body_regexp", "invalid_regexp"},
		{"http method", KindHTTP, Params{URL: "http://x", Method: "TRACE"}, "method", "invalid_choice"},
		{"http rtt", KindHTTP, Params{URL: "http://x", RTTWarning: 10, RTTCritical: 5}, "rtt_critical", "below_warning"},
		{"tls host", KindTLS, Params{}, "host", "required"},
		{"tls port", KindTLS, Params{Host: "a", Port: 99999}, "port", "invalid_port"},
		{"tls days", KindTLS, Params{Host: "a", WarningDays: 5, CriticalDays: 10}, "critical_days", "above_warning"},
		{"dns type", KindDNS, Params{Name: "a.example", RecordType: "BOGUS"}, "record_type", "invalid_choice"},
		{"dns name", KindDNS, Params{}, "name", "required"},
		{"ping count", KindPing, Params{Host: "a", Count: 101}, "count", "out_of_range"},
		{"ping count beyond timeout", KindPing, Params{Host: "a", Count: 20, Timeout: 5}, "count", "exceeds_timeout"},
		{"ping loss", KindPing, Params{Host: "a", LossWarning: 150}, "loss_warning", "out_of_range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, err := NewProbe(tt.kind, tt.p)
			if err == nil {
				t.Fatalf("accepted: %+v", pr)
			}
			v, ok := fault.AsInvalid(err)
			if !ok {
				t.Fatalf("not a fault.Invalid: %v", err)
			}
			for _, f := range v.Fields {
				if f.Field == tt.field && f.Code == tt.code {
					return
				}
			}
			t.Fatalf("want %s: %s, got %v", tt.field, tt.code, err)
		})
	}
}
