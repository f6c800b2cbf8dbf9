package supervision

import (
	"math"
	"net"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/probe"
)

// DefaultTLSPort is the port a TLS certificate check connects to when its
// parameters name none.
const DefaultTLSPort = 443

// NewProbe builds the network probe of a check of kind kind from its
// parameters (timeout in seconds, response-time thresholds in milliseconds)
// and validates it: a bad definition is a *fault.Invalid whose fields are
// named as in Params ("url", "rtt_warning", "record_type"…). A kind that is
// not a network probe is refused on the field "kind".
func NewProbe(kind Kind, p Params) (probe.Probe, error) {
	timeout := time.Duration(p.Timeout) * time.Second
	if p.Timeout < 0 {
		timeout = -1 // refused by Validate as negative
	}
	warn, crit := millis(p.RTTWarning), millis(p.RTTCritical)
	var (
		pr     probe.Probe
		err    error
		rename map[string]string
	)
	switch kind {
	case KindTCP:
		t := &probe.TCP{Host: p.Host, Port: p.Port, Warning: warn, Critical: crit, Timeout: timeout}
		pr, err = t, t.Validate()
		rename = map[string]string{"connect_time_warning": "rtt_warning", "connect_time_critical": "rtt_critical"}
	case KindHTTP:
		h := &probe.HTTP{
			URL: p.URL, Method: p.Method, Headers: p.Headers, Body: p.Body,
			ExpectStatus: p.ExpectStatus, BodyContains: p.BodyContains, BodyRegexp: p.BodyRegexp,
			NoRedirects: p.NoRedirects, SkipVerify: p.SkipVerify,
			Warning: warn, Critical: crit, Timeout: timeout,
		}
		pr, err = h, h.Validate()
		rename = map[string]string{"response_time_warning": "rtt_warning", "response_time_critical": "rtt_critical"}
	case KindTLS:
		port := p.Port
		if port == 0 {
			port = DefaultTLSPort
		}
		c := &probe.TLSCert{
			Address:    net.JoinHostPort(p.Host, strconv.Itoa(port)),
			ServerName: p.ServerName, WarningDays: p.WarningDays, CriticalDays: p.CriticalDays, Timeout: timeout,
		}
		if p.Host == "" {
			c.Address = ""
		}
		pr, err = c, c.Validate()
		rename = map[string]string{"address": "host", "address/invalid_port": "port"}
	case KindDNS:
		d := &probe.DNS{Name: p.Name, Type: p.RecordType, Server: p.Server, Expect: p.Expect, Timeout: timeout}
		pr, err = d, d.Validate()
		rename = map[string]string{"type": "record_type"}
	case KindPing:
		g := &probe.Ping{
			Host: p.Host, Count: p.Count, LossWarning: p.LossWarning, LossCritical: p.LossCritical,
			RTTWarning: warn, RTTCritical: crit, Timeout: timeout,
		}
		pr, err = g, g.Validate()
		// Params have no interval: the pings are one second apart and the
		// count must fit in the timeout.
		rename = map[string]string{"interval": "count"}
	default:
		v := &fault.Invalid{}
		v.Add("kind", "not_a_probe")
		return nil, v
	}
	if err != nil {
		return nil, renameFields(err, rename)
	}
	return pr, nil
}

// millis converts milliseconds to a duration; a negative or non-finite value
// stays negative so that Validate refuses it.
func millis(ms float64) time.Duration {
	if ms < 0 || math.IsNaN(ms) || math.IsInf(ms, 0) {
		return -1
	}
	if ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// renameFields returns a copy of a validation failure with probe field names
// replaced by the names of Params: rename maps "field/code" or "field" to
// the new name.
func renameFields(err error, rename map[string]string) error {
	v, ok := fault.AsInvalid(err)
	if !ok {
		return err
	}
	out := &fault.Invalid{Fields: make([]fault.FieldError, 0, len(v.Fields))}
	for _, f := range v.Fields {
		if n, ok := rename[f.Field+"/"+f.Code]; ok {
			f.Field = n
		} else if n, ok := rename[f.Field]; ok {
			f.Field = n
		}
		if !out.Has(f.Field) || f.Field == "" {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}
