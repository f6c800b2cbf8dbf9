// Package router is an http.ServeMux that remembers its routes, so that
// tests (the tenant-isolation matrix, the OpenAPI check) and metrics can be
// derived from the router itself.
package router

import (
	"net/http"
	"strings"
)

// Route is one registered pattern.
type Route struct {
	Method  string // "" for any method
	Path    string // "/api/v1/clients/{id}"
	Pattern string // as given to the mux
	// Public routes need no signed-in user.
	Public bool
}

// Router registers handlers on a ServeMux and keeps the list.
type Router struct {
	mux    *http.ServeMux
	routes []Route
	wrap   func(Route, http.Handler) http.Handler

	unmatched []unmatched
}

type unmatched struct {
	prefix string
	fn     func(w http.ResponseWriter, r *http.Request, status int, allow string)
}

// New returns an empty Router. wrap, when not nil, wraps every handler
// (for per-route metrics).
func New(wrap func(Route, http.Handler) http.Handler) *Router {
	return &Router{mux: http.NewServeMux(), wrap: wrap}
}

func parse(pattern string) Route {
	r := Route{Pattern: pattern, Path: pattern}
	if m, p, ok := strings.Cut(pattern, " "); ok {
		r.Method, r.Path = m, p
	}
	return r
}

func (rt *Router) add(r Route, h http.Handler) {
	rt.routes = append(rt.routes, r)
	if rt.wrap != nil {
		h = rt.wrap(r, h)
	}
	rt.mux.Handle(r.Pattern, h)
}

// Handle registers a handler that requires a signed-in user.
func (rt *Router) Handle(pattern string, h http.Handler) { rt.add(parse(pattern), h) }

// HandleFunc registers a handler function that requires a signed-in user.
func (rt *Router) HandleFunc(pattern string, h http.HandlerFunc) { rt.Handle(pattern, h) }

// Public registers a handler open to anonymous visitors (sign-in, health…).
func (rt *Router) Public(pattern string, h http.HandlerFunc) {
	r := parse(pattern)
	r.Public = true
	rt.add(r, h)
}

// Routes returns every registered route in registration order.
func (rt *Router) Routes() []Route { return append([]Route(nil), rt.routes...) }

// Unmatched answers requests under prefix that match no route (404) or no
// route for their method (405, with allow set), instead of the mux's plain
// text. The first registered prefix that matches wins: register longer first.
func (rt *Router) Unmatched(prefix string, fn func(w http.ResponseWriter, r *http.Request, status int, allow string)) {
	rt.unmatched = append(rt.unmatched, unmatched{prefix, fn})
}

// ServeHTTP dispatches to the mux.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, u := range rt.unmatched {
		if !strings.HasPrefix(r.URL.Path, u.prefix) {
			continue
		}
		if h, pattern := rt.mux.Handler(r); pattern == "" {
			// Let the mux decide between 404 and 405 (and redirects for
			// cleaned paths), then answer in our own format.
			rec := &statusOnly{header: http.Header{}}
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusNotFound || rec.status == http.StatusMethodNotAllowed {
				u.fn(w, r, rec.status, rec.header.Get("Allow"))
				return
			}
		}
		break
	}
	rt.mux.ServeHTTP(w, r)
}

// statusOnly records a handler's status and headers and drops its body.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return len(b), nil
}
func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
