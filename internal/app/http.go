package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/router"
)

// maxBody bounds every request body; uploads that need more raise it per route.
const maxBody = 2 << 20

// securityHeaders sets the headers every response carries. The CSP allows
// no inline script or style: everything comes from /static.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 and a log line, keeping the server up.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic", "path", r.URL.Path, "err", v, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clientIP is the address of the peer. Vigie does not trust X-Forwarded-For
// unless configured behind a proxy (not yet): spoofed headers must not dodge throttling.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// authenticate puts the caller (session cookie or bearer token) in the
// context, with the audit actor. It never refuses: the per-route wrapper does.
func (a *App) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ip := clientIP(r)
		ctx = audit.WithActor(ctx, audit.Actor{IP: ip})
		if strings.HasPrefix(r.URL.Path, "/api/agent/") {
			// Agents authenticate with their own secret, which the agent
			// API checks; it is no user's token or session.
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		var p auth.Principal
		var ok bool
		if h := r.Header.Get("Authorization"); h != "" {
			bearer, found := strings.CutPrefix(h, "Bearer ")
			if !found {
				a.deny(w, r, fault.ErrUnauthorized, "Authorization must be a Bearer token")
				return
			}
			t, u, err := a.Auth.AuthenticateToken(ctx, strings.TrimSpace(bearer))
			if err != nil {
				a.deny(w, r, fault.ErrUnauthorized, "invalid or revoked API token")
				return
			}
			p, ok = auth.Principal{User: u, Token: &t}, true
		} else if c, err := r.Cookie(auth.SessionCookie); err == nil {
			s, u, err := a.Auth.Authenticate(ctx, c.Value)
			if err == nil && !s.MFAPending {
				p, ok = auth.Principal{User: u, Session: &s}, true
			}
		}
		if ok {
			ctx = auth.WithPrincipal(ctx, p)
			ctx = audit.WithActor(ctx, audit.Actor{UserID: p.User.ID, Name: p.User.Email, IP: ip, Display: p.User.Name})
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// deny answers a request that may not go on: problem+json on the API, a
// redirect to sign-in (or a plain page) in the browser.
func (a *App) deny(w http.ResponseWriter, r *http.Request, kind error, detail string) {
	if isAPI(r) {
		status := http.StatusUnauthorized
		if errors.Is(kind, fault.ErrForbidden) {
			status = http.StatusForbidden
		}
		writeProblem(w, status, detail)
		return
	}
	if errors.Is(kind, fault.ErrUnauthorized) && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if errors.Is(kind, fault.ErrForbidden) && r.Method == http.MethodGet {
		http.Redirect(w, r, "/account/2fa", http.StatusSeeOther)
		return
	}
	http.Error(w, detail, http.StatusUnauthorized)
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	title := http.StatusText(status)
	_, _ = w.Write([]byte(`{"type":"about:blank","title":` + strconv.Quote(title) + `,"status":` + strconv.Itoa(status) + `,"detail":` + strconv.Quote(detail) + `}`))
}

func urlQueryEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "?", "%3F", "=", "%3D")
	return r.Replace(s)
}

// mfaExempt are the routes a staff user who must enrol a second factor may still reach.
func mfaExempt(path string) bool {
	return strings.HasPrefix(path, "/account/2fa") || path == "/logout" || strings.HasPrefix(path, "/static/")
}

// guard wraps each route: it refuses anonymous callers on non-public routes,
// staff who must first enrol a second factor, and records latency per route.
func (a *App) guard(rt router.Route, next http.Handler) http.Handler {
	label := rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			a.metrics.requests.With(prometheus.Labels{"route": label, "code": strconv.Itoa(code)}).Observe(time.Since(start).Seconds())
		}()
		if !rt.Public {
			p, ok := auth.PrincipalFrom(r.Context())
			if !ok {
				a.deny(sw, r, fault.ErrUnauthorized, "sign-in required")
				return
			}
			if !mfaExempt(r.URL.Path) && a.Auth.MFARequired(r.Context(), p.User) {
				a.deny(sw, r, fault.ErrForbidden, "a second factor is required for staff: enrol one under /account/2fa")
				return
			}
		}
		next.ServeHTTP(sw, r)
	})
}

// handler assembles the middleware chain around the router.
func (a *App) handler() http.Handler {
	var h http.Handler = a.Router
	h = a.authenticate(h)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r) {
			writeProblem(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	h = cop.Handler(h)
	h = limitBody(h)
	h = securityHeaders(h)
	h = a.logRequests(h)
	return recoverer(a.Log, h)
}

// uploadRoutes are the POST routes that take attachments: their body may
// reach attachment.MaxRequest instead of maxBody.
var uploadRoutes = []string{"/tickets/new", "/tickets/*/reply", "/api/v1/tickets/*/attachments", "/clients/*/fleet/import",
	"/contracts/*/documents", "/api/v1/contracts/*/documents"}

// csvRoutes are the POST routes that take a CSV import: up to
// asset.MaxImportBytes, which ImportCSV refuses beyond with a clear error.
var csvRoutes = []string{"/api/v1/clients/*/assets/import"}

// bodyLimit is the largest body accepted for a request.
func bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost {
		for _, pat := range csvRoutes {
			if ok, _ := path.Match(pat, r.URL.Path); ok {
				return asset.MaxImportBytes + 1
			}
		}
		for _, pat := range uploadRoutes {
			if ok, _ := path.Match(pat, r.URL.Path); ok {
				return attachment.MaxRequest
			}
		}
	}
	return maxBody
}

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := bodyLimit(r)
		if strings.HasPrefix(r.URL.Path, "/api/agent/") {
			// The agent API refuses an oversized body itself, with the
			// problem code the agent acts on (too-large: split the batch).
			r.Body = http.MaxBytesReader(w, r.Body, max(limit, agentproto.MaxCompressedBytes)+1)
			next.ServeHTTP(w, r)
			return
		}
		if r.Body != nil && r.ContentLength > limit {
			if isAPI(r) {
				writeProblem(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(limit>>20, 10)+" MiB")
				return
			}
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		a.Log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

// ops registers health, readiness and metrics.
func (a *App) ops(rt *router.Router) {
	rt.Public("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	rt.Public("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unreachable\n"))
			return
		}
		if err := a.DB.CheckSchema(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(err.Error() + "\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	rt.Public("GET /metrics", a.metrics.handler().ServeHTTP)
}
