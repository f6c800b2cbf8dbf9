// Package agentapi serves the agent API under /api/agent/v1 (enroll,
// report, settings) and the agent downloads under /agent/download.
//
// Agents do not sign in: enrollment takes an enrollment token in the body,
// and every other call the agent's own secret as a bearer. A secret names
// one agent, which reports for one asset: nothing in a request can name
// another asset or client. Errors are RFC 9457 problems whose code
// (agentproto.Code*) tells the agent what to do.
package agentapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/router"
)

// Limits of the enrollment endpoint.
const (
	maxEnrollBytes = 64 << 10
	// enrollFailures failed enrollments from one address within
	// enrollWindow make further attempts wait: token guessing is
	// hopeless, and a site enrolling hundreds of machines behind one NAT
	// address (which all succeed) is not slowed.
	enrollFailures = 10
	enrollWindow   = 15 * time.Minute
)

// Deps are what the agent API needs.
type Deps struct {
	Assets *asset.Service
	Log    *slog.Logger
	// DataDir holds agents/vigie-agent-<os>-<arch>[.exe] for downloads.
	DataDir string
	// Now is the clock of the rate limiter; nil for time.Now.
	Now func() time.Time
}

// API serves the agent API.
type API struct {
	d       Deps
	log     *slog.Logger
	now     func() time.Time
	limiter *limiter
}

// New returns the agent API.
func New(d Deps) *API {
	a := &API{d: d, log: d.Log, now: d.Now}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.limiter = &limiter{max: enrollFailures, window: enrollWindow, hits: map[string][]time.Time{}}
	return a
}

// Register adds the agent routes. They are public for the router (no user
// session): the handlers authenticate the agent themselves.
func (a *API) Register(rt *router.Router) {
	rt.Public("POST "+agentproto.PathEnroll, a.enroll)
	rt.Public("POST "+agentproto.PathReport, a.report)
	rt.Public("GET "+agentproto.PathSettings, a.settings)
	rt.Public("GET /agent/download/{os}/{arch}", a.download)
}

// problem writes an agentproto.Problem.
func (a *API) problem(w http.ResponseWriter, status int, code, detail string) {
	p := agentproto.Problem{Type: "urn:vigie:problem:agent:" + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
	if code == "" {
		p.Type = "urn:vigie:problem:internal"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigie-agent"`)
	}
	b, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// fail maps an error to its problem: the one place that does.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var be *bodyError
	var v *fault.Invalid
	switch {
	case errors.As(err, &be):
		a.problem(w, be.status, be.code, be.detail)
	case errors.Is(err, asset.ErrTokenInvalid):
		a.problem(w, http.StatusForbidden, agentproto.CodeTokenInvalid, "the enrollment token is unknown, expired, revoked or used up: create a new one on the client's enrollment page")
	case errors.Is(err, fault.ErrUnauthorized):
		a.problem(w, http.StatusUnauthorized, agentproto.CodeUnauthorized, "unknown or revoked agent: enroll it again with a new token")
	case errors.Is(err, asset.ErrReportTooLarge):
		a.problem(w, http.StatusRequestEntityTooLarge, agentproto.CodeTooLarge, err.Error())
	case errors.Is(err, asset.ErrReportInvalid):
		a.problem(w, http.StatusUnprocessableEntity, agentproto.CodeInvalid, err.Error())
	case errors.As(err, &v):
		a.problem(w, http.StatusUnprocessableEntity, agentproto.CodeInvalid, v.Error())
	case errors.Is(err, fault.ErrThrottled):
		w.Header().Set("Retry-After", strconv.Itoa(int(enrollWindow/time.Second)))
		a.problem(w, http.StatusTooManyRequests, agentproto.CodeRateLimited, "too many failed enrollments from this address: retry later")
	default:
		a.log.Error("agent API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		a.problem(w, http.StatusInternalServerError, "", "internal error: the request was not stored, retry later")
	}
}

// bodyError is a request refused before it reaches the service.
type bodyError struct {
	status       int
	code, detail string
}

func (e *bodyError) Error() string { return e.detail }

func invalid(format string, args ...any) error {
	return &bodyError{status: http.StatusBadRequest, code: agentproto.CodeInvalid, detail: fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) error {
	return &bodyError{status: http.StatusRequestEntityTooLarge, code: agentproto.CodeTooLarge, detail: fmt.Sprintf(format, args...)}
}

// readBody reads a request body of at most sent bytes as sent and plain
// bytes once decompressed (Content-Encoding: gzip or none), so that a small
// gzip bomb is refused after plain bytes, not after it filled the memory.
func readBody(r *http.Request, sent, plain int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, &bodyError{status: http.StatusUnsupportedMediaType, code: agentproto.CodeInvalid, detail: "Content-Type must be application/json"}
		}
	}
	if r.ContentLength > sent {
		return nil, tooLarge("body of %d bytes, at most %d as sent", r.ContentLength, sent)
	}
	var body io.Reader = io.LimitReader(r.Body, sent+1)
	counted := &countReader{r: body}
	body = counted
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, invalid("body is not gzip: %v", err)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, &bodyError{status: http.StatusUnsupportedMediaType, code: agentproto.CodeInvalid, detail: "Content-Encoding must be gzip or absent, not " + enc}
	}
	b, err := io.ReadAll(io.LimitReader(body, plain+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || counted.n > sent:
		return nil, tooLarge("body over %d bytes as sent", sent)
	case err != nil:
		return nil, invalid("unreadable body: %v", err)
	case int64(len(b)) > plain:
		return nil, tooLarge("body over %d bytes once decompressed", plain)
	}
	return b, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeStrict reads one JSON object into dst: valid UTF-8, no unknown
// field, nothing after it.
func decodeStrict(b []byte, dst any) error {
	if !utf8.Valid(b) {
		return invalid("body is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return invalid("body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return invalid("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("data after the JSON object")
	}
	return nil
}

// DecodeReport decodes a report body as received: gzip-compressed or not,
// within agentproto's limits, strictly.
func DecodeReport(body []byte, gzipped bool) (*agentproto.Report, error) {
	r, _ := http.NewRequest(http.MethodPost, agentproto.PathReport, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if gzipped {
		r.Header.Set("Content-Encoding", "gzip")
	}
	return readReport(r)
}

func readReport(r *http.Request) (*agentproto.Report, error) {
	b, err := readBody(r, agentproto.MaxCompressedBytes, agentproto.MaxReportBytes)
	if err != nil {
		return nil, err
	}
	var rep agentproto.Report
	if err := decodeStrict(b, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// agent authenticates the bearer secret of a request.
func (a *API) agent(r *http.Request) (asset.Agent, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return asset.Agent{}, fault.ErrUnauthorized
	}
	return a.d.Assets.AuthenticateAgent(r.Context(), strings.TrimSpace(secret))
}

func (a *API) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("encode agent API response", "err", err)
		a.problem(w, http.StatusInternalServerError, "", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (a *API) enroll(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if !a.limiter.allow(ip, a.now()) {
		a.fail(w, r, fault.ErrThrottled)
		return
	}
	b, err := readBody(r, maxEnrollBytes, maxEnrollBytes)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req agentproto.EnrollRequest
	if err := decodeStrict(b, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	resp, err := a.d.Assets.Enroll(r.Context(), req)
	if errors.Is(err, asset.ErrTokenInvalid) {
		a.limiter.fail(ip, a.now())
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusCreated, resp)
}

func (a *API) report(w http.ResponseWriter, r *http.Request) {
	ag, err := a.agent(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rep, err := readReport(r)
	if err == nil {
		var ack agentproto.Ack
		if ack, err = a.d.Assets.Report(r.Context(), ag, rep); err == nil {
			a.writeJSON(w, http.StatusOK, ack)
			return
		}
	}
	var be *bodyError
	if errors.As(err, &be) || errors.Is(err, asset.ErrReportInvalid) || errors.Is(err, asset.ErrReportTooLarge) {
		// The agent drops or splits the batch: say why in the server's log too.
		a.log.Warn("agent report refused", "agent", ag.ID, "asset", ag.AssetID, "err", err)
	}
	a.fail(w, r, err)
}

func (a *API) settings(w http.ResponseWriter, r *http.Request) {
	ag, err := a.agent(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, err := a.d.Assets.AgentSettings(r.Context(), ag)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusOK, st)
}

// clientIP is the address of the peer (X-Forwarded-For is not trusted, as
// in the rest of the server).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter counts failures per key within a sliding window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string][]time.Time
	calls  int
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	hs := l.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= l.window {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(l.hits, key)
	} else {
		l.hits[key] = hs
	}
	return hs
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%1000 == 0 {
		// Forget idle addresses now and then, so the map stays small.
		for k := range l.hits {
			l.recent(k, now)
		}
	}
	return len(l.recent(key, now)) < l.max
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits[key] = append(l.recent(key, now), now)
}
