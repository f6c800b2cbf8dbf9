package probe

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/vigie-hq/vigie/internal/fault"
)

// DNS queries a name and checks that the expected records are in the answer.
type DNS struct {
	Name    string   // the name queried
	Type    string   // A, AAAA, CNAME, MX, TXT, NS, PTR, SRV, SOA, CAA; default A
	Server  string   // "host" or "host:port"; default: the first nameserver of /etc/resolv.conf
	Expect  []string // records that must all be in the answer, in any order ("10 mx.example.com." for MX)
	Timeout time.Duration

	ResolvConf string `json:"-"` // default /etc/resolv.conf (tests)
}

var dnsTypes = []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "SOA", "CAA"}

// Validate checks the definition.
func (p *DNS) Validate() error {
	v := &fault.Invalid{}
	if p.Name == "" {
		v.Add("name", "required")
	} else if _, ok := dns.IsDomainName(p.Name); !ok || len(p.Name) > 253 {
		v.Add("name", "invalid_name")
	}
	if p.Type != "" {
		v.OneOf("type", strings.ToUpper(p.Type), dnsTypes...)
	}
	if p.Server != "" {
		host, port, err := net.SplitHostPort(p.Server)
		if err != nil {
			host, port = p.Server, "53"
		}
		checkHost(v, "server", host)
		if n, err := strconv.Atoi(port); err != nil {
			v.Add("server", "invalid_port")
		} else {
			checkPort(v, "server", n)
		}
	}
	if len(p.Expect) > 100 {
		v.Add("expect", "too_many", 100)
	}
	for _, e := range p.Expect {
		if strings.TrimSpace(e) == "" || len(e) > 1024 {
			v.Add("expect", "invalid_record")
			break
		}
	}
	checkTimeout(v, p.Timeout)
	return v.Err()
}

// Run sends one query (retried over TCP when truncated) and checks the answer.
func (p *DNS) Run(ctx context.Context) Result {
	return guard(ctx, p.Timeout, func(ctx context.Context) Result {
		if err := p.Validate(); err != nil {
			return invalid(err)
		}
		server, err := p.server()
		if err != nil {
			return Result{State: Unknown, Output: line("DNS: no server: " + err.Error())}
		}
		typ := strings.ToUpper(p.Type)
		if typ == "" {
			typ = "A"
		}
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(p.Name), dns.StringToType[typ])
		q.RecursionDesired = true
		c := &dns.Client{Net: "udp", Timeout: timeout(p.Timeout)}
		start := time.Now()
		resp, _, err := c.ExchangeContext(ctx, q, server)
		if err == nil && resp.Truncated {
			c.Net = "tcp"
			resp, _, err = c.ExchangeContext(ctx, q, server)
		}
		took := time.Since(start)
		head := "DNS " + typ + " " + p.Name + " @" + server
		if err != nil {
			return Result{State: Critical, Output: line(head + ": " + errText(ctx, err)), Perf: map[string]float64{"response_ms": ms(took)}}
		}
		var got []string
		for _, rr := range resp.Answer {
			if rr.Header().Rrtype == q.Question[0].Qtype {
				got = append(got, rdata(rr))
			}
		}
		perf := map[string]float64{"response_ms": ms(took), "answers": float64(len(got))}
		if resp.Rcode != dns.RcodeSuccess {
			return Result{State: Critical, Output: line(head + ": " + dns.RcodeToString[resp.Rcode] + " in " + fmtMS(took)), Perf: perf}
		}
		var missing []string
		for _, e := range p.Expect {
			if !slices.ContainsFunc(got, func(g string) bool { return sameRecord(typ, e, g) }) {
				missing = append(missing, strings.TrimSpace(e))
			}
		}
		answer := strings.Join(got, ", ")
		if len(got) == 0 {
			answer = "no " + typ + " record"
		}
		switch {
		case len(missing) > 0:
			return Result{State: Critical, Output: line(head + ": missing " + strings.Join(missing, ", ") + " (got " + answer + ")"), Perf: perf}
		case len(got) == 0:
			return Result{State: Critical, Output: line(head + ": no " + typ + " record in " + fmtMS(took)), Perf: perf}
		}
		return Result{State: OK, Output: line(head + ": " + answer + " in " + fmtMS(took)), Perf: perf}
	})
}

// server returns the address queried.
func (p *DNS) server() (string, error) {
	if p.Server != "" {
		if _, _, err := net.SplitHostPort(p.Server); err == nil {
			return p.Server, nil
		}
		return net.JoinHostPort(p.Server, "53"), nil
	}
	path := p.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	conf, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", err
	}
	if len(conf.Servers) == 0 {
		return "", net.UnknownNetworkError("no nameserver in " + path)
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}

// rdata renders the data of a record the way it is written in Expect.
func rdata(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.A:
		return r.A.String()
	case *dns.AAAA:
		return r.AAAA.String()
	case *dns.CNAME:
		return r.Target
	case *dns.NS:
		return r.Ns
	case *dns.PTR:
		return r.Ptr
	case *dns.MX:
		return strconv.Itoa(int(r.Preference)) + " " + r.Mx
	case *dns.TXT:
		return strings.Join(r.Txt, "")
	case *dns.SRV:
		return strconv.Itoa(int(r.Priority)) + " " + strconv.Itoa(int(r.Weight)) + " " + strconv.Itoa(int(r.Port)) + " " + r.Target
	}
	// Other types: the text after the header.
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// sameRecord compares an expected record with one of the answer: addresses
// by value, names case-insensitively with or without the final dot, TXT exactly.
func sameRecord(typ, want, got string) bool {
	want = strings.TrimSpace(want)
	switch typ {
	case "A", "AAAA":
		a, err1 := netip.ParseAddr(want)
		b, err2 := netip.ParseAddr(got)
		return err1 == nil && err2 == nil && a.Unmap() == b.Unmap()
	case "TXT":
		return strings.Trim(want, `"`) == got
	}
	norm := func(s string) string {
		f := strings.Fields(strings.ToLower(s))
		for i := range f {
			f[i] = strings.TrimSuffix(f[i], ".")
		}
		return strings.Join(f, " ")
	}
	return norm(want) == norm(got)
}
