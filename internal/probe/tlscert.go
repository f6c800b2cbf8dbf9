package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// TLSCert checks the certificate a TLS server presents: its chain and the
// days left before the leaf expires.
type TLSCert struct {
	Address      string        // host:port
	ServerName   string        // SNI and the name verified; default: the host of Address
	WarningDays  int           // default 30
	CriticalDays int           // default 7
	Timeout      time.Duration // default 10 s, at most 60 s

	RootCAs *x509.CertPool   `json:"-"` // replaces the system roots (tests, private CAs)
	Now     func() time.Time `json:"-"` // the clock; default time.Now
}

// Validate checks the definition.
func (p *TLSCert) Validate() error {
	v := &fault.Invalid{}
	host, port, err := net.SplitHostPort(p.Address)
	if p.Address == "" {
		v.Add("address", "required")
	} else if err != nil {
		v.Add("address", "invalid_address")
	} else {
		checkHost(v, "address", host)
		n, err := strconv.Atoi(port)
		if err != nil {
			v.Add("address", "invalid_port")
		} else {
			checkPort(v, "address", n)
		}
	}
	if p.ServerName != "" {
		checkHost(v, "server_name", p.ServerName)
	}
	if p.WarningDays < 0 || p.WarningDays > 3650 {
		v.Add("warning_days", "out_of_range", "0-3650")
	}
	if p.CriticalDays < 0 || p.CriticalDays > 3650 {
		v.Add("critical_days", "out_of_range", "0-3650")
	}
	w, c := p.days()
	if !v.Has("warning_days") && !v.Has("critical_days") && c > w {
		v.Add("critical_days", "above_warning")
	}
	checkTimeout(v, p.Timeout)
	return v.Err()
}

func (p *TLSCert) days() (warn, crit int) {
	warn, crit = p.WarningDays, p.CriticalDays
	if warn == 0 {
		warn = 30
	}
	if crit == 0 {
		crit = 7
	}
	return warn, crit
}

// Run performs a TLS handshake, verifies the chain and grades the leaf's expiry.
func (p *TLSCert) Run(ctx context.Context) Result {
	return guard(ctx, p.Timeout, func(ctx context.Context) Result {
		if err := p.Validate(); err != nil {
			return invalid(err)
		}
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		name := p.ServerName
		if name == "" {
			name, _, _ = net.SplitHostPort(p.Address)
		}
		d := tls.Dialer{Config: &tls.Config{ServerName: name, InsecureSkipVerify: true}} //nolint:gosec // verified below, to report why
		start := time.Now()
		conn, err := d.DialContext(ctx, "tcp", p.Address)
		if err != nil {
			return Result{State: Critical, Output: line("TLS " + p.Address + ": " + errText(ctx, err))}
		}
		took := time.Since(start)
		state := conn.(*tls.Conn).ConnectionState()
		conn.Close()
		if len(state.PeerCertificates) == 0 {
			return Result{State: Critical, Output: "TLS " + p.Address + ": no certificate presented"}
		}
		leaf := state.PeerCertificates[0]
		at := now()
		left := leaf.NotAfter.Sub(at)
		days := math.Floor(left.Hours() / 24)
		perf := map[string]float64{"days_left": days, "handshake_ms": ms(took)}
		who := "subject " + leaf.Subject.String() + ", issuer " + leaf.Issuer.String()
		expiry := leaf.NotAfter.UTC().Format("2006-01-02")

		if left <= 0 {
			return Result{State: Critical, Output: line("certificate expired on " + expiry + " (" + who + ")"), Perf: perf}
		}
		inter := x509.NewCertPool()
		for _, c := range state.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, verr := leaf.Verify(x509.VerifyOptions{
			DNSName:       name,
			Roots:         p.RootCAs,
			Intermediates: inter,
			CurrentTime:   at,
		})
		if verr != nil {
			return Result{State: Critical, Output: line("certificate invalid: " + verr.Error() + "; expires " + expiry + " (" + who + ")"), Perf: perf}
		}
		warn, crit := p.days()
		st := OK
		switch {
		case days < float64(crit):
			st = Critical
		case days < float64(warn):
			st = Warning
		}
		return Result{State: st, Output: line("certificate expires in " + strconv.Itoa(int(days)) + " days (" + expiry + "), " + who), Perf: perf}
	})
}
