package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

func hostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func expect(t *testing.T, r Result, state State, contains ...string) {
	t.Helper()
	if r.State != state {
		t.Errorf("state = %v, want %v (output %q)", r.State, state, r.Output)
	}
	for _, c := range contains {
		if !strings.Contains(r.Output, c) {
			t.Errorf("output %q does not contain %q", r.Output, c)
		}
	}
	if strings.ContainsAny(r.Output, "\r\n") {
		t.Errorf("output %q is not one line", r.Output)
	}
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	host, port := hostPort(t, ln.Addr().String())
	_, refused := hostPort(t, refusedAddr(t))

	// A listener that never calls Accept: the kernel still completes the
	// handshake, so a TCP connect succeeds (HTTP and TLS probes time out there).
	idle, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_, idlePort := hostPort(t, idle.Addr().String())

	tests := []struct {
		name  string
		p     TCP
		state State
		out   []string
	}{
		{"open", TCP{Host: host, Port: port}, OK, []string{"connected in"}},
		{"refused", TCP{Host: host, Port: refused}, Critical, []string{"connection refused"}},
		{"never accepts", TCP{Host: host, Port: idlePort, Timeout: 300 * time.Millisecond}, OK, []string{"connected in"}},
		{"unresolvable", TCP{Host: "no-such-host.invalid", Port: 80}, Critical, []string{"no-such-host.invalid"}},
		{"slow against threshold", TCP{Host: host, Port: port, Warning: time.Nanosecond}, Warning, []string{"threshold"}},
		{"critical threshold", TCP{Host: host, Port: port, Warning: time.Nanosecond, Critical: time.Nanosecond}, Critical, nil},
		{"invalid", TCP{Host: "", Port: 0}, Unknown, []string{"host: required", "port: invalid_port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.p.Run(context.Background())
			expect(t, r, tt.state, tt.out...)
			if tt.state == OK && r.Perf["connect_ms"] <= 0 {
				t.Errorf("connect_ms = %v", r.Perf["connect_ms"])
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		p      interface{ Validate() error }
		fields []string
	}{
		{"tcp ok", &TCP{Host: "example.com", Port: 443}, nil},
		{"tcp bad", &TCP{Host: "a b", Port: 70000, Warning: 2 * time.Second, Critical: time.Second, Timeout: 2 * time.Minute},
			[]string{"host", "port", "connect_time_critical", "timeout"}},
		{"http ok", &HTTP{URL: "https://example.com/health", Method: "POST", BodyRegexp: `"status":\s*"up"`}, nil},
		{"http bad url", &HTTP{URL: "ftp://example.com/"}, []string{"url"}},
		{"http no url", &HTTP{}, []string{"url"}},
		{"http bad", &HTTP{URL: "http://x", Method: "FETCH", BodyRegexp: "(", ExpectStatus: []int{99}, Headers: map[string]string{"X-A": "a\nb"}},
			[]string{"method", "body_regexp", "expect_status", "headers"}},
		{"http timeout", &HTTP{URL: "http://x", Timeout: -1}, []string{"timeout"}},
		{"tls ok", &TLSCert{Address: "example.com:443"}, nil},
		{"tls bad", &TLSCert{Address: "example.com", WarningDays: 5, CriticalDays: 10}, []string{"address", "critical_days"}},
		{"dns ok", &DNS{Name: "example.com", Type: "mx", Server: "9.9.9.9"}, nil},
		{"dns bad", &DNS{Name: "", Type: "XYZ", Server: "1.1.1.1:99999"}, []string{"name", "type", "server"}},
		{"ping ok", &Ping{Host: "127.0.0.1", Count: 5, Interval: 200 * time.Millisecond}, nil},
		{"ping bad", &Ping{Host: "", Count: 1000, LossWarning: 150}, []string{"host", "count", "loss_warning"}},
		{"ping critical below default warning", &Ping{Host: "h", LossCritical: 10}, nil},
		{"ping critical below warning", &Ping{Host: "h", LossWarning: 30, LossCritical: 10}, []string{"loss_critical"}},
		{"ping too long", &Ping{Host: "h", Count: 20, Interval: time.Second}, []string{"interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			inv, ok := fault.AsInvalid(err)
			if !ok {
				t.Fatalf("Validate() = %v, want fault.Invalid", err)
			}
			for _, f := range tt.fields {
				if !inv.Has(f) {
					t.Errorf("no error on %s in %v", f, inv)
				}
			}
		})
	}
}

func TestHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status": "up", "version": "1.2"}`)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.Header.Get("X-Token") != "s3cret" || r.Host != "vhost.test" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		w.Write(b[:n])
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 64<<10)
		for range 40 { // 2.5 MiB
			fmt.Fprint(w, chunk)
		}
		fmt.Fprint(w, "NEEDLE")
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tsrv := quietTLSServer(mux)
	defer tsrv.Close()
	pool := tsrv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	_ = pool

	tests := []struct {
		name  string
		p     HTTP
		state State
		out   []string
		perf  map[string]float64
	}{
		{"ok", HTTP{URL: srv.URL + "/ok"}, OK, []string{"HTTP 200 in", "34 bytes"}, map[string]float64{"status_code": 200, "size_bytes": 34}},
		{"503", HTTP{URL: srv.URL + "/down"}, Critical, []string{"HTTP 503", "expected 2xx or 3xx"}, map[string]float64{"status_code": 503}},
		{"503 expected", HTTP{URL: srv.URL + "/down", ExpectStatus: []int{503}}, OK, nil, nil},
		{"404", HTTP{URL: srv.URL + "/nope", ExpectStatus: []int{200, 204}}, Critical, []string{"HTTP 404", "expected 200, 204"}, nil},
		{"contains", HTTP{URL: srv.URL + "/ok", BodyContains: `"up"`}, OK, nil, nil},
		{"does not contain", HTTP{URL: srv.URL + "/ok", BodyContains: "down"}, Critical, []string{`body does not contain "down"`}, nil},
		{"matches", HTTP{URL: srv.URL + "/ok", BodyRegexp: `"version": "1\.\d+"`}, OK, nil, nil},
		{"does not match", HTTP{URL: srv.URL + "/ok", BodyRegexp: `"version": "2\.`}, Critical, []string{"body does not match"}, nil},
		{"post headers body", HTTP{URL: srv.URL + "/echo", Method: "POST", Body: "hello probe",
			Headers: map[string]string{"X-Token": "s3cret", "Host": "vhost.test"}, BodyContains: "hello probe"}, OK, nil, nil},
		{"head", HTTP{URL: srv.URL + "/ok", Method: "HEAD"}, OK, []string{"HTTP 200"}, map[string]float64{"size_bytes": 0}},
		{"redirect followed", HTTP{URL: srv.URL + "/redirect", BodyContains: "up"}, OK, []string{"HTTP 200"}, map[string]float64{"redirects": 1}},
		{"redirect not followed", HTTP{URL: srv.URL + "/redirect", NoRedirects: true}, OK, []string{"HTTP 302"}, nil},
		{"redirect not followed, 200 expected", HTTP{URL: srv.URL + "/redirect", NoRedirects: true, ExpectStatus: []int{200}}, Critical, []string{"HTTP 302"}, nil},
		{"redirect loop", HTTP{URL: srv.URL + "/loop"}, Critical, []string{"10 redirects"}, nil},
		{"body read bounded", HTTP{URL: srv.URL + "/big", BodyContains: "NEEDLE"}, Critical, []string{"does not contain"}, map[string]float64{"size_bytes": MaxBodyRead}},
		{"hang", HTTP{URL: srv.URL + "/hang", Timeout: 300 * time.Millisecond}, Critical, []string{"timed out"}, nil},
		{"refused", HTTP{URL: "http://" + refusedAddr(t) + "/"}, Critical, []string{"connection refused"}, nil},
		{"response time warning", HTTP{URL: srv.URL + "/ok", Warning: time.Nanosecond}, Warning, []string{"threshold"}, nil},
		{"response time critical", HTTP{URL: srv.URL + "/ok", Warning: time.Nanosecond, Critical: time.Nanosecond}, Critical, nil, nil},
		{"tls unknown authority", HTTP{URL: tsrv.URL + "/ok"}, Critical, []string{"certificate"}, nil},
		{"tls skip verify", HTTP{URL: tsrv.URL + "/ok", SkipVerify: true}, OK, []string{"HTTP 200", "TLS verification skipped"}, nil},
		{"tls trusted", HTTP{URL: tsrv.URL + "/ok", RootCAs: pool}, OK, []string{"HTTP 200"}, nil},
		{"password redacted", HTTP{URL: "http://user:pw@" + refusedAddr(t) + "/"}, Critical, []string{"user:xxxxx@"}, nil},
		{"invalid", HTTP{URL: "file:///etc/passwd"}, Unknown, []string{"url: invalid_url"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.p.Run(context.Background())
			expect(t, r, tt.state, tt.out...)
			for k, v := range tt.perf {
				if r.Perf[k] != v {
					t.Errorf("perf %s = %v, want %v", k, r.Perf[k], v)
				}
			}
			if strings.Contains(r.Output, "pw@") {
				t.Errorf("password in output %q", r.Output)
			}
		})
	}
}

func TestTLSCert(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cert := func(days int) (string, *x509.CertPool) {
		c, pool := selfSigned(t, now.Add(time.Duration(days)*24*time.Hour+time.Hour))
		return tlsServer(t, c), pool
	}
	far, farPool := cert(200)
	soon, soonPool := cert(20)
	verySoon, verySoonPool := cert(5)
	expired, expiredPool := cert(-3)
	_, plain := hostPort(t, hangServer(t))

	tests := []struct {
		name  string
		p     TLSCert
		state State
		out   []string
		days  float64
	}{
		{"valid", TLSCert{Address: far, RootCAs: farPool}, OK, []string{"expires in 200 days (2027-06-17)", "subject CN=vigie test,O=Vigie", "issuer CN=vigie test"}, 200},
		{"warning", TLSCert{Address: soon, RootCAs: soonPool}, Warning, []string{"expires in 20 days"}, 20},
		{"critical", TLSCert{Address: verySoon, RootCAs: verySoonPool}, Critical, []string{"certificate expires in 5 days (2026-12-04)"}, 5},
		{"custom thresholds", TLSCert{Address: soon, RootCAs: soonPool, WarningDays: 10, CriticalDays: 3}, OK, nil, 20},
		{"expired", TLSCert{Address: expired, RootCAs: expiredPool}, Critical, []string{"expired on 2026-11-26"}, -3},
		{"untrusted", TLSCert{Address: far}, Critical, []string{"certificate invalid", "unknown authority"}, 200},
		{"wrong name", TLSCert{Address: far, ServerName: "other.test", RootCAs: farPool}, Critical, []string{"certificate invalid", "other.test"}, 200},
		{"sni localhost", TLSCert{Address: far, ServerName: "localhost", RootCAs: farPool}, OK, nil, 200},
		{"not tls", TLSCert{Address: "127.0.0.1:" + strconv.Itoa(plain), Timeout: 300 * time.Millisecond}, Critical, []string{"timed out"}, 0},
		{"refused", TLSCert{Address: refusedAddr(t)}, Critical, []string{"connection refused"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Now = clock
			r := tt.p.Run(context.Background())
			expect(t, r, tt.state, tt.out...)
			if r.Perf["days_left"] != tt.days {
				t.Errorf("days_left = %v, want %v", r.Perf["days_left"], tt.days)
			}
		})
	}
}

func TestDNS(t *testing.T) {
	server := dnsServer(t)
	resolv := t.TempDir() + "/resolv.conf"
	h, p := hostPort(t, server)
	if err := os.WriteFile(resolv, []byte("nameserver "+h+"\noptions ndots:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = p
	tests := []struct {
		name  string
		p     DNS
		state State
		out   []string
	}{
		{"A any order", DNS{Name: "www.example.test", Server: server, Expect: []string{"192.0.2.2", "192.0.2.1"}}, OK, []string{"192.0.2.1, 192.0.2.2"}},
		{"A one of", DNS{Name: "www.example.test", Server: server, Expect: []string{"192.0.2.2"}}, OK, nil},
		{"A no expectation", DNS{Name: "www.example.test", Server: server}, OK, nil},
		{"A missing", DNS{Name: "www.example.test", Server: server, Expect: []string{"192.0.2.1", "192.0.2.9"}}, Critical, []string{"missing 192.0.2.9", "got 192.0.2.1, 192.0.2.2"}},
		{"AAAA", DNS{Name: "www.example.test", Type: "AAAA", Server: server, Expect: []string{"2001:DB8:0::1"}}, OK, nil},
		{"MX", DNS{Name: "example.test", Type: "MX", Server: server, Expect: []string{"20 MX2.example.test", "10 mx1.example.test."}}, OK, nil},
		{"MX wrong preference", DNS{Name: "example.test", Type: "MX", Server: server, Expect: []string{"30 mx2.example.test"}}, Critical, []string{"missing"}},
		{"TXT", DNS{Name: "example.test", Type: "TXT", Server: server, Expect: []string{"v=spf1 -all"}}, OK, nil},
		{"NS", DNS{Name: "example.test", Type: "ns", Server: server, Expect: []string{"ns1.example.test"}}, OK, nil},
		{"CNAME", DNS{Name: "alias.example.test", Type: "CNAME", Server: server, Expect: []string{"www.example.test."}}, OK, nil},
		{"NXDOMAIN", DNS{Name: "nope.example.test", Server: server}, Critical, []string{"NXDOMAIN"}},
		{"no answer", DNS{Name: "www.example.test", Type: "TXT", Server: server}, Critical, []string{"NXDOMAIN"}},
		{"system resolver", DNS{Name: "www.example.test", ResolvConf: resolv, Expect: []string{"192.0.2.1"}}, Critical, []string{"@" + h + ":53"}},
		{"no answer in time", DNS{Name: "slow.test", Server: server, Timeout: 300 * time.Millisecond}, Critical, []string{"timed out"}},
		{"invalid", DNS{Name: "bad name..", Type: "ZZ"}, Unknown, []string{"name: invalid_name", "type: invalid_choice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Timeout = max(tt.p.Timeout, 2*time.Second)
			if tt.name == "no answer in time" {
				tt.p.Timeout = 300 * time.Millisecond
			}
			r := tt.p.Run(context.Background())
			expect(t, r, tt.state, tt.out...)
		})
	}
}

func TestPing(t *testing.T) {
	r := (&Ping{Host: "127.0.0.1", Count: 3, Interval: 20 * time.Millisecond, Timeout: 2 * time.Second}).Run(context.Background())
	if r.State == Unknown && strings.Contains(r.Output, "cannot send ICMP") && os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skipf("no ICMP permitted here: %s", r.Output)
	}
	expect(t, r, OK, "PING 127.0.0.1: 0% loss, rtt avg")
	if r.Perf["received"] != 3 || r.Perf["loss_percent"] != 0 {
		t.Errorf("perf = %v", r.Perf)
	}
	r = (&Ping{Host: "127.0.0.1", Count: 2, Interval: 20 * time.Millisecond, RTTWarning: time.Nanosecond}).Run(context.Background())
	expect(t, r, Warning)
	r = (&Ping{Host: "no-such-host.invalid", Count: 1}).Run(context.Background())
	expect(t, r, Critical, "no-such-host.invalid")
}

func TestGuard(t *testing.T) {
	r := guard(context.Background(), time.Second, func(context.Context) Result { panic("boom") })
	expect(t, r, Unknown, "probe failed: boom")
	if r.Perf == nil {
		t.Error("nil perf")
	}
	// The caller's context bounds the probe too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = (&HTTP{URL: "http://127.0.0.1:1/"}).Run(ctx)
	expect(t, r, Critical)
	if got := timeout(2 * time.Minute); got != MaxTimeout {
		t.Errorf("timeout(2m) = %v", got)
	}
	if got := timeout(0); got != DefaultTimeout {
		t.Errorf("timeout(0) = %v", got)
	}
	_ = tls.VersionTLS12
}
