package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// Limits of an HTTP probe.
const (
	MaxBodyRead  = 1 << 20 // bytes of response body read at most
	MaxRedirects = 10
	maxReqBody   = 64 << 10
)

// HTTP checks an HTTP(S) endpoint: status code, body content, response time.
type HTTP struct {
	URL          string
	Method       string            // default GET
	Headers      map[string]string // sent as is ("Host" sets the virtual host)
	Body         string            // request body, for POST/PUT
	ExpectStatus []int             // accepted status codes; empty: any 2xx or 3xx
	BodyContains string            // the body (first MiB) must contain this
	BodyRegexp   string            // the body (first MiB) must match this (RE2 syntax)
	NoRedirects  bool              // do not follow redirects (default: follow up to 10)
	Warning      time.Duration     // response time at or above which the state is Warning
	Critical     time.Duration     // response time at or above which the state is Critical
	SkipVerify   bool              // do not verify the TLS certificate (said in the output)
	Timeout      time.Duration     // default 10 s, at most 60 s

	// RootCAs replaces the system roots (tests, private CAs).
	RootCAs *x509.CertPool `json:"-"`

	re *regexp.Regexp
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")

// Validate checks the definition and compiles the body regular expression.
func (p *HTTP) Validate() error {
	v := &fault.Invalid{}
	if p.URL == "" {
		v.Add("url", "required")
	} else if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.URL) > 2048 {
		v.Add("url", "invalid_url")
	}
	if p.Method != "" {
		v.OneOf("method", p.Method, methods...)
	}
	for k, val := range p.Headers {
		if !headerName.MatchString(k) {
			v.Add("headers", "invalid_header_name", k)
			break
		}
		if strings.ContainsAny(val, "\r\n\x00") || len(val) > 8192 {
			v.Add("headers", "invalid_header_value", k)
			break
		}
	}
	if len(p.Body) > maxReqBody {
		v.Add("body", "too_long", maxReqBody)
	}
	for _, c := range p.ExpectStatus {
		if c < 100 || c > 599 {
			v.Add("expect_status", "invalid_status", c)
			break
		}
	}
	if len(p.BodyContains) > 4096 {
		v.Add("body_contains", "too_long", 4096)
	}
	if p.BodyRegexp != "" {
		if len(p.BodyRegexp) > 4096 {
			v.Add("body_regexp", "too_long", 4096)
		} else if re, err := regexp.Compile(p.BodyRegexp); err != nil {
			v.Add("body_regexp", "invalid_regexp", err.Error())
		} else {
			p.re = re
		}
	}
	checkThresholds(v, "response_time", ms(p.Warning), ms(p.Critical))
	checkTimeout(v, p.Timeout)
	return v.Err()
}

// Run sends one request on a fresh connection and grades the response.
func (p *HTTP) Run(ctx context.Context) Result {
	return guard(ctx, p.Timeout, func(ctx context.Context) Result {
		re := p.re
		if re == nil || re.String() != p.BodyRegexp {
			q := *p // Run may be called without Validate, and concurrently
			if err := q.Validate(); err != nil {
				return invalid(err)
			}
			re = q.re
		}
		return p.run(ctx, re)
	})
}

func (p *HTTP) run(ctx context.Context, re *regexp.Regexp) Result {
	method := p.Method
	if method == "" {
		method = "GET"
	}
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.URL, body)
	if err != nil {
		return Result{State: Unknown, Output: line("HTTP request: " + err.Error())}
	}
	req.Header.Set("User-Agent", "Vigie-probe/1")
	for k, v := range p.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	tlsConf := &tls.Config{InsecureSkipVerify: p.SkipVerify} //nolint:gosec // an explicit option, said in the output
	tlsConf.RootCAs = p.RootCAs
	tr := &http.Transport{
		DialContext:            (&net.Dialer{}).DialContext,
		TLSClientConfig:        tlsConf,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      false,
		MaxResponseHeaderBytes: 64 << 10,
	}
	defer tr.CloseIdleConnections()
	redirects := 0
	client := &http.Client{
		Transport: tr,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if p.NoRedirects {
				return http.ErrUseLastResponse
			}
			redirects = len(via)
			if len(via) >= MaxRedirects {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	suffix := ""
	if p.SkipVerify && strings.HasPrefix(p.URL, "https") {
		suffix = " (TLS verification skipped)"
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Result{State: Critical, Output: line("HTTP " + method + " " + redact(p.URL) + ": " + httpErr(ctx, err) + suffix),
			Perf: map[string]float64{"response_ms": ms(time.Since(start))}}
	}
	n, size, rerr := readBody(resp.Body, method, re != nil || p.BodyContains != "")
	resp.Body.Close()
	took := time.Since(start)
	perf := map[string]float64{
		"status_code": float64(resp.StatusCode),
		"response_ms": ms(took),
		"size_bytes":  float64(size),
		"redirects":   float64(redirects),
	}
	head := "HTTP " + strconv.Itoa(resp.StatusCode) + " in " + fmtMS(took)
	if rerr != nil {
		return Result{State: Critical, Output: line(head + ", reading body: " + httpErr(ctx, rerr) + suffix), Perf: perf}
	}
	if !p.statusOK(resp.StatusCode) {
		return Result{State: Critical, Output: line(head + " (expected " + p.expected() + ")" + suffix), Perf: perf}
	}
	if p.BodyContains != "" && !strings.Contains(string(n), p.BodyContains) {
		return Result{State: Critical, Output: line(head + ", body does not contain " + strconv.Quote(p.BodyContains) + suffix), Perf: perf}
	}
	if re != nil && !re.Match(n) {
		return Result{State: Critical, Output: line(head + ", body does not match /" + p.BodyRegexp + "/" + suffix), Perf: perf}
	}
	st := grade(ms(took), ms(p.Warning), ms(p.Critical))
	out := head + ", " + strconv.Itoa(size) + " bytes"
	if st != OK {
		out += " (response time threshold exceeded)"
	}
	return Result{State: st, Output: line(out + suffix), Perf: perf}
}

// readBody reads at most MaxBodyRead bytes. When the content is not checked
// the bytes are only counted.
func readBody(r io.Reader, method string, keep bool) ([]byte, int, error) {
	if method == "HEAD" {
		return nil, 0, nil
	}
	lr := io.LimitReader(r, MaxBodyRead)
	if keep {
		b, err := io.ReadAll(lr)
		return b, len(b), err
	}
	n, err := io.Copy(io.Discard, lr)
	return nil, int(n), err
}

func (p *HTTP) statusOK(code int) bool {
	if len(p.ExpectStatus) == 0 {
		return code >= 200 && code < 400
	}
	for _, c := range p.ExpectStatus {
		if c == code {
			return true
		}
	}
	return false
}

func (p *HTTP) expected() string {
	if len(p.ExpectStatus) == 0 {
		return "2xx or 3xx"
	}
	s := make([]string, len(p.ExpectStatus))
	for i, c := range p.ExpectStatus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}

// httpErr shortens a client error: the URL is already in the output.
func httpErr(ctx context.Context, err error) string {
	if ctx.Err() == context.DeadlineExceeded {
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return errText(ctx, err)
}

// redact removes a password from a URL for display.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
