// Package agenttest is a stand-in for the server's agent API, for tests
// and measurements of vigie-agent: it enrolls with one token, stores each
// report once (the highest Seq stored wins, as on the server) and serves
// settings.
package agenttest

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Sink is an http.Handler of the agent API.
type Sink struct {
	Token  string // the enrollment token it accepts
	Secret string // the secret it gives and then requires

	mu       sync.Mutex
	settings agentproto.Settings
	reports  []agentproto.Report
	lastSeq  uint64
	dups     int
	bytes    int64 // report bodies as sent
	revoked  bool
}

// New returns a sink with the default settings.
func New(token, secret string) *Sink {
	return &Sink{Token: token, Secret: secret, settings: agentproto.DefaultSettings()}
}

// SetSettings changes the settings (their version too).
func (s *Sink) SetSettings(set agentproto.Settings) {
	s.mu.Lock()
	s.settings = set
	s.mu.Unlock()
}

// Revoke makes the sink refuse the agent's secret.
func (s *Sink) Revoke() {
	s.mu.Lock()
	s.revoked = true
	s.mu.Unlock()
}

// Reports returns the reports stored, in order.
func (s *Sink) Reports() []agentproto.Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]agentproto.Report(nil), s.reports...)
}

// Stats are what the sink received.
func (s *Sink) Stats() (reports, duplicates int, bodyBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reports), s.dups, s.bytes
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(agentproto.Problem{Title: http.StatusText(status), Status: status, Code: code, Detail: detail})
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, agentproto.MaxCompressedBytes)
	cr := &counter{r: body}
	body = cr
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			problem(w, 400, agentproto.CodeInvalid, "body is not gzip")
			return
		}
		body = io.LimitReader(zr, agentproto.MaxReportBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case agentproto.PathEnroll:
		var req agentproto.EnrollRequest
		if err := json.NewDecoder(body).Decode(&req); err != nil {
			problem(w, 422, agentproto.CodeInvalid, err.Error())
			return
		}
		if req.Token != s.Token {
			problem(w, 403, agentproto.CodeTokenInvalid, "the enrollment token is unknown, expired, revoked or used up")
			return
		}
		_ = json.NewEncoder(w).Encode(agentproto.EnrollResponse{AgentID: 1, AssetID: 1, Secret: s.Secret, Settings: s.settings})
		return
	}
	if s.revoked || r.Header.Get("Authorization") != "Bearer "+s.Secret {
		problem(w, 401, agentproto.CodeUnauthorized, "unknown or revoked agent")
		return
	}
	switch r.URL.Path {
	case agentproto.PathSettings:
		_ = json.NewEncoder(w).Encode(s.settings)
	case agentproto.PathReport:
		var rep agentproto.Report
		if err := json.NewDecoder(body).Decode(&rep); err != nil || rep.Seq == 0 {
			problem(w, 422, agentproto.CodeInvalid, "malformed report")
			return
		}
		s.bytes += cr.n
		ack := agentproto.Ack{Seq: rep.Seq, SettingsVersion: s.settings.Version}
		if rep.Seq <= s.lastSeq {
			ack.Duplicate = true
			s.dups++
		} else {
			s.lastSeq = rep.Seq
			s.reports = append(s.reports, rep)
			for _, se := range rep.Series {
				ack.Samples += len(se.T)
			}
		}
		_ = json.NewEncoder(w).Encode(ack)
	default:
		problem(w, 404, "", "no such path")
	}
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
