package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// The board's live updates: GET /supervision/stream is a server-sent event
// stream of the status changes of the checks the viewer may see. Each change
// is one small "status" event; a "counts" event follows a burst of changes
// (at most one every countsEvery) with the board's counts for the stream's
// filters, so that the summary badges stay right for checks not on the page.
// A comment every pingEvery keeps proxies from closing an idle connection
// and re-checks the session, so that signing out or a disabled account ends
// the stream.

const (
	pingEvery   = 25 * time.Second
	countsEvery = 2 * time.Second
	// writeGrace bounds one write to a client: a browser that stops
	// reading is dropped instead of holding the stream.
	writeGrace = 30 * time.Second
	// maxEventOutput bounds the output carried by an event; the check page
	// has the whole of it.
	maxEventOutput = 500
)

// streamStop tells open streams that the server is shutting down: the
// server waits for requests in flight, and a stream never ends by itself.
type streamStop struct {
	once sync.Once
	ch   chan struct{}
}

func newStreamStop() *streamStop { return &streamStop{ch: make(chan struct{})} }

// CloseStreams ends the board's event streams, so that a server shutting
// down does not wait for the browsers watching a board (they reconnect to
// the next server). Register it with http.Server.RegisterOnShutdown.
func (h *Handler) CloseStreams() { h.streams.once.Do(func() { close(h.streams.ch) }) }

// liveEvent is one status change as the board's script reads it.
type liveEvent struct {
	CheckID int64 `json:"check_id"`
	// State is the badge: ok, warning, critical, unknown, unreachable or pending.
	State string `json:"state"`
	// Label is the state as monitoring tools write it (OK, CRITICAL,
	// UNREACHABLE…), for other readers of the stream.
	Label       string    `json:"label"`
	Type        string    `json:"type"` // soft or hard
	Attempt     int       `json:"attempt"`
	Output      string    `json:"output"`
	Since       time.Time `json:"since"`
	LastCheck   time.Time `json:"last_check"`
	Ack         bool      `json:"ack"`
	Flapping    bool      `json:"flapping"`
	Unreachable bool      `json:"unreachable"`
	// Problem is set for a hard problem (what "new problems" means).
	Problem bool `json:"problem"`
}

func newLiveEvent(st supervision.Status) liveEvent {
	return liveEvent{
		CheckID: st.CheckID, State: statusKey(st.Status), Label: st.Label(), Type: st.Type.String(), Attempt: st.Attempt,
		Output: clip(st.Output, maxEventOutput), Since: st.Since, LastCheck: st.LastCheck, Ack: st.Ack != nil,
		Flapping: st.Flapping, Unreachable: st.Unreachable && st.State != check.OK, Problem: st.Problem(),
	}
}

// liveCounts is the "counts" event: the summary of the stream's filters.
type liveCounts struct {
	Critical     int `json:"critical"`
	Warning      int `json:"warning"`
	Unknown      int `json:"unknown"`
	OK           int `json:"ok"`
	Acknowledged int `json:"acknowledged"`
	Maintenance  int `json:"maintenance"`
	Unreachable  int `json:"unreachable"`
	Flapping     int `json:"flapping"`
	Total        int `json:"total"`
}

func (h *Handler) boardStream(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.SupervisionRead) {
		h.forbidden(w, r)
		return
	}
	if h.d.Live == nil {
		h.notFound(w, r)
		return
	}
	f, _, _ := boardFilter(r.URL.Query(), s)
	f.Limit = 1
	changes, stop := h.d.Live.Subscribe()
	defer stop()

	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	// Reverse proxies (nginx) must pass events on at once.
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	send := func(write func(io.Writer) error) error {
		if err := rc.SetWriteDeadline(time.Now().Add(writeGrace)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if err := write(w); err != nil {
			return err
		}
		return rc.Flush()
	}
	// The browser waits retry ms before reconnecting after a drop.
	if err := send(func(w io.Writer) error { _, err := io.WriteString(w, "retry: 3000\n: live\n\n"); return err }); err != nil {
		return
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	var counts <-chan time.Time
	var countsTimer *time.Timer
	defer func() {
		if countsTimer != nil {
			countsTimer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.streams.ch:
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			if !s.CanSee(c.ClientID) || (f.ClientID != 0 && c.ClientID != f.ClientID) || (f.AssetID != 0 && c.Status.AssetID != f.AssetID) {
				continue
			}
			if err := send(func(w io.Writer) error { return writeEvent(w, "status", newLiveEvent(c.Status)) }); err != nil {
				return
			}
			if countsTimer == nil {
				countsTimer = time.NewTimer(countsEvery)
				counts = countsTimer.C
			}
		case <-counts:
			countsTimer, counts = nil, nil
			lc, err := h.liveCounts(ctx, s, f)
			if err != nil {
				if ctx.Err() == nil {
					h.log.Warn("board stream counts", "err", err)
				}
				continue
			}
			if err := send(func(w io.Writer) error { return writeEvent(w, "counts", lc) }); err != nil {
				return
			}
		case <-ping.C:
			// The viewer's rights are read again: a user moved to fewer
			// clients stops receiving the others' changes.
			fresh, ok := h.sessionScope(ctx, r, p)
			if !ok || !fresh.Can(tenant.SupervisionRead) {
				return
			}
			s = fresh
			if err := send(func(w io.Writer) error { _, err := io.WriteString(w, ": ping\n\n"); return err }); err != nil {
				return
			}
		}
	}
}

// sessionScope returns the scope of the session that opened a stream, read
// again, and false once that session is no longer valid (signed out,
// expired, user disabled). A stream opened with an API token keeps its scope.
func (h *Handler) sessionScope(ctx context.Context, r *http.Request, p auth.Principal) (tenant.Scope, bool) {
	if p.Session == nil {
		return p.Scope(), true
	}
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil {
		return tenant.Scope{}, false
	}
	sess, u, err := h.d.Auth.Authenticate(ctx, c.Value)
	if err != nil || sess.ID != p.Session.ID || u.ID != p.User.ID {
		return tenant.Scope{}, false
	}
	return auth.Principal{User: u, Session: &sess}.Scope(), true
}

func (h *Handler) liveCounts(ctx context.Context, s tenant.Scope, f supervision.BoardFilter) (liveCounts, error) {
	_, c, total, err := h.d.Supervision.Board(ctx, s, f)
	if err != nil {
		return liveCounts{}, err
	}
	return liveCounts{
		Critical: c.Critical, Warning: c.Warning, Unknown: c.Unknown, OK: c.OK, Acknowledged: c.Acknowledged,
		Maintenance: c.Maintenance, Unreachable: c.Unreachable, Flapping: c.Flapping, Total: total,
	}, nil
}

// writeEvent writes one server-sent event with a JSON payload (one line:
// JSON escapes newlines).
func writeEvent(w io.Writer, name string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", name, err)
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err
}
