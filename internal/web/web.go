// Package web serves the HTML user interface.
package web

import (
	"log/slog"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/user"
)

// Deps are the services the UI uses.
type Deps struct {
	Log           *slog.Logger
	BaseURL       string
	SecureCookies bool
	Clients       *client.Service
	Users         *user.Service
	Auth          *auth.Service
	Provider      *provider.Service
	Journal       *audit.Journal
	Mail          any
}

// Handler serves the pages.
type Handler struct{ d Deps }

// New parses the templates and returns the UI.
func New(d Deps) (*Handler, error) { return &Handler{d: d}, nil }

// Register adds the UI's routes.
func (h *Handler) Register(rt *router.Router) {}
