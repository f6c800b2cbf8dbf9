// Package api serves the JSON API under /api/v1.
package api

import (
	"log/slog"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/user"
)

// Deps are the services the API uses.
type Deps struct {
	Log      *slog.Logger
	Clients  *client.Service
	Users    *user.Service
	Auth     *auth.Service
	Provider *provider.Service
	Journal  *audit.Journal
}

// API serves /api/v1.
type API struct{ d Deps }

// New returns the API.
func New(d Deps) *API { return &API{d: d} }

// Register adds the API's routes.
func (a *API) Register(rt *router.Router) {}
