package probe

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// TCP checks that a TCP port accepts connections, graded on connect time.
type TCP struct {
	Host     string
	Port     int
	Warning  time.Duration // connect time at or above which the state is Warning (0: none)
	Critical time.Duration // connect time at or above which the state is Critical (0: none)
	Timeout  time.Duration // default 10 s, at most 60 s
}

// Validate checks the definition.
func (p *TCP) Validate() error {
	v := &fault.Invalid{}
	checkHost(v, "host", p.Host)
	checkPort(v, "port", p.Port)
	checkThresholds(v, "connect_time", ms(p.Warning), ms(p.Critical))
	checkTimeout(v, p.Timeout)
	return v.Err()
}

// Run connects once and closes the connection.
func (p *TCP) Run(ctx context.Context) Result {
	return guard(ctx, p.Timeout, func(ctx context.Context) Result {
		if err := p.Validate(); err != nil {
			return invalid(err)
		}
		addr := net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
		var d net.Dialer
		start := time.Now()
		conn, err := d.DialContext(ctx, "tcp", addr)
		took := time.Since(start)
		if err != nil {
			return Result{State: Critical, Output: line("TCP " + addr + ": " + errText(ctx, err))}
		}
		conn.Close()
		st := grade(ms(took), ms(p.Warning), ms(p.Critical))
		out := "TCP " + addr + " connected in " + fmtMS(took)
		if st != OK {
			out += " (threshold exceeded)"
		}
		return Result{State: st, Output: out, Perf: map[string]float64{"connect_ms": ms(took)}}
	})
}

// checkHost validates a host name or IP address.
func checkHost(v *fault.Invalid, field, host string) {
	switch {
	case host == "":
		v.Add(field, "required")
	case len(host) > 253:
		v.Add(field, "too_long", 253)
	default:
		for _, r := range host {
			if r <= ' ' || r == '/' || r == '@' || r == '?' || r == '#' || r > 0x7e {
				v.Add(field, "invalid_host")
				return
			}
		}
	}
}

func checkPort(v *fault.Invalid, field string, port int) {
	if port < 1 || port > 65535 {
		v.Add(field, "invalid_port")
	}
}

// resolver looks a host up under the probe's context.
type resolver struct{}

func (resolver) lookup(ctx context.Context, host string) (*net.IPAddr, error) {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs { // prefer IPv4, as ping does
		if a.IP.To4() != nil {
			return &a, nil
		}
	}
	return &addrs[0], nil
}
