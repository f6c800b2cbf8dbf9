package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Client speaks the agent API. It is used by one goroutine at a time (its
// buffers are reused).
type Client struct {
	Server    string // base URL, e.g. https://vigie.example.com
	Secret    string
	HTTP      *http.Client
	UserAgent string

	buf bytes.Buffer
	zw  *gzip.Writer
}

// NewClient returns a client with sane timeouts.
func NewClient(server, secret, version string) *Client {
	return &Client{
		Server:    strings.TrimRight(server, "/"),
		Secret:    secret,
		HTTP:      &http.Client{Timeout: 30 * time.Second},
		UserAgent: "vigie-agent/" + version,
	}
}

// TrustCAFile makes the client trust the PEM certificates of path (an
// internal CA, a self-signed server) in addition to the system's roots.
func (c *Client) TrustCAFile(path string) error {
	pem, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("CA file %s: no PEM certificate in it", path)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.HTTP.Transport = tr
	return nil
}

// ServerError is a response other than 2xx, with the server's problem
// detail when it sent one.
type ServerError struct {
	Status     int
	Problem    agentproto.Problem
	RetryAfter time.Duration // from Retry-After, 0 if absent
}

func (e *ServerError) Error() string {
	msg := fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Problem.Title != "" {
		msg += ": " + e.Problem.Title
	}
	if e.Problem.Detail != "" {
		msg += ": " + e.Problem.Detail
	}
	if e.Problem.Code != "" {
		msg += " (" + e.Problem.Code + ")"
	}
	return msg
}

// Code is the problem code, or one derived from the status.
func (e *ServerError) Code() string {
	if e.Problem.Code != "" {
		return e.Problem.Code
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return agentproto.CodeUnauthorized
	case http.StatusRequestEntityTooLarge:
		return agentproto.CodeTooLarge
	case http.StatusTooManyRequests:
		return agentproto.CodeRateLimited
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return agentproto.CodeInvalid
	}
	return ""
}

// Enroll joins the fleet with an enrollment token (no secret yet).
func (c *Client) Enroll(ctx context.Context, req agentproto.EnrollRequest) (agentproto.EnrollResponse, error) {
	var resp agentproto.EnrollResponse
	err := c.do(ctx, http.MethodPost, agentproto.PathEnroll, req, &resp, false)
	return resp, err
}

// Report sends one batch, gzip-compressed, and returns the server's Ack.
func (c *Client) Report(ctx context.Context, r *agentproto.Report) (agentproto.Ack, error) {
	var ack agentproto.Ack
	err := c.do(ctx, http.MethodPost, agentproto.PathReport, r, &ack, true)
	return ack, err
}

// Settings fetches the agent's current settings.
func (c *Client) Settings(ctx context.Context) (agentproto.Settings, error) {
	var s agentproto.Settings
	err := c.do(ctx, http.MethodGet, agentproto.PathSettings, nil, &s, true)
	return s, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any, auth bool) error {
	var body io.Reader
	if in != nil {
		c.buf.Reset()
		if c.zw == nil {
			c.zw = gzip.NewWriter(&c.buf)
		} else {
			c.zw.Reset(&c.buf)
		}
		if err := json.NewEncoder(c.zw).Encode(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		if err := c.zw.Close(); err != nil {
			return err
		}
		body = bytes.NewReader(c.buf.Bytes())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, body)
	if err != nil {
		return fmt.Errorf("server URL %q: %w", c.Server, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.Secret)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, below
		}
		return fmt.Errorf("cannot reach server %s: %w", c.Server, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
	}()
	if res.StatusCode/100 != 2 {
		se := &ServerError{Status: res.StatusCode, RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), time.Now())}
		b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		if json.Unmarshal(b, &se.Problem) != nil || se.Problem.Title == "" && se.Problem.Detail == "" {
			se.Problem = agentproto.Problem{Status: res.StatusCode, Detail: firstLine(string(b))}
		}
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("decode server answer to %s: %w", path, err)
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(min(n, 86400)) * time.Second // a day at most; more would overflow
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// IsServerCode says whether err is a ServerError with that problem code.
func IsServerCode(err error, code string) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code() == code
}
