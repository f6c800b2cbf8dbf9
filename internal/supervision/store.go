package supervision

import (
	"context"
	"time"

	"github.com/vigie-hq/vigie/internal/tenant"
)

// AssetRef is what supervision needs to know of an asset.
type AssetRef struct {
	ID          int64    `json:"id"`
	ClientID    int64    `json:"client_id"`
	SiteID      int64    `json:"site_id"`   // 0: none
	ParentID    int64    `json:"parent_id"` // 0: none
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	OS          string   `json:"os"`
	Tags        []string `json:"tags"`
	Criticality string   `json:"criticality"`
	// Agent: HasAgent is false when no (unrevoked) agent reports for the
	// asset; LastSeen is its last report, ReportInterval in seconds.
	HasAgent       bool      `json:"has_agent"`
	LastSeen       time.Time `json:"last_seen"`
	ReportInterval int       `json:"report_interval"`
	TimeZone       string    `json:"time_zone"` // the client's
}

// CheckFilter selects checks.
type CheckFilter struct {
	ClientID   int64
	AssetID    int64
	TemplateID int64
	Kind       Kind
	Limit      int // 0: no limit
}

// EventFilter selects events, newest first.
type EventFilter struct {
	ClientID int64
	AssetID  int64
	CheckID  int64
	From, To time.Time // zero: unbounded
	BeforeID int64     // paging: events with a smaller id
	HardOnly bool
	Limit    int
}

// WindowFilter selects maintenance windows.
type WindowFilter struct {
	ClientID int64
	AssetID  int64
}

// Store keeps checks, templates, states, events, maintenance windows,
// restore tests and backup runs. Methods taking a scope filter by it in SQL: a
// row of a client the scope cannot see is fault.ErrNotFound. Methods without
// a scope are for the engine (system work).
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// Assets (read only) of the fleet.
	AssetRef(ctx context.Context, s tenant.Scope, id int64) (AssetRef, error)
	// AssetRefs returns every asset (engine: dependencies, heartbeats, templates).
	AssetRefs(ctx context.Context) ([]AssetRef, error)
	// SetAssetTags replaces the tags of an asset.
	SetAssetTags(ctx context.Context, s tenant.Scope, assetID int64, tags []string) error

	// CreateCheck sets ID, CreatedAt and UpdatedAt; UpdateCheck writes every
	// field but the asset, client, template and creation time.
	CreateCheck(ctx context.Context, s tenant.Scope, c *Check) error
	UpdateCheck(ctx context.Context, s tenant.Scope, c *Check) error
	// DeleteCheck removes a check with its status, events and backup runs.
	DeleteCheck(ctx context.Context, s tenant.Scope, id int64) error
	Check(ctx context.Context, s tenant.Scope, id int64) (Check, error)
	Checks(ctx context.Context, s tenant.Scope, f CheckFilter) ([]Check, error)
	// AllChecks pages through every enabled check by id (engine load).
	AllChecks(ctx context.Context, afterID int64, limit int) ([]Check, error)
	CheckByPushToken(ctx context.Context, token string) (Check, error)
	// AgentChecks returns the enabled checks the agent of an asset runs:
	// its local checks, the network probes and backup jobs it was chosen
	// for; and the version of that set, raised by every change to it.
	AgentChecks(ctx context.Context, assetID int64) ([]Check, int64, error)

	CreateTemplate(ctx context.Context, s tenant.Scope, t *Template) error
	UpdateTemplate(ctx context.Context, s tenant.Scope, t *Template) error
	// DeleteTemplate removes a template and the checks it applied.
	DeleteTemplate(ctx context.Context, s tenant.Scope, id int64) error
	Template(ctx context.Context, s tenant.Scope, id int64) (Template, error)
	// Templates returns the templates the scope may see: global ones and
	// those of its clients.
	Templates(ctx context.Context, s tenant.Scope) ([]Template, error)

	// Statuses pages through every status by check id (engine load).
	Statuses(ctx context.Context, afterCheckID int64, limit int) ([]Status, error)
	Status(ctx context.Context, s tenant.Scope, checkID int64) (Status, error)
	// SaveResults upserts statuses and appends events (setting their IDs) in
	// one transaction.
	SaveResults(ctx context.Context, statuses []Status, events []Event) error
	// SetAlertTicket records the incident open for a check's problem (nil: none).
	SetAlertTicket(ctx context.Context, checkID int64, ticketID *int64) error

	Events(ctx context.Context, s tenant.Scope, f EventFilter) ([]Event, error)

	// Board returns one page of checks, problems first (critical, unknown,
	// warning, then OK; unacknowledged before acknowledged; newest change
	// first), with counts over the whole filter and the number of rows.
	Board(ctx context.Context, s tenant.Scope, f BoardFilter) ([]BoardRow, BoardCounts, int, error)

	CreateWindow(ctx context.Context, s tenant.Scope, w *Window) error
	DeleteWindow(ctx context.Context, s tenant.Scope, id int64) error
	Window(ctx context.Context, s tenant.Scope, id int64) (Window, error)
	Windows(ctx context.Context, s tenant.Scope, f WindowFilter) ([]Window, error)
	// AllWindows returns every window that has not ended before since.
	AllWindows(ctx context.Context, since time.Time) ([]Window, error)

	AddRestoreTest(ctx context.Context, s tenant.Scope, t *RestoreTest) error
	DeleteRestoreTest(ctx context.Context, s tenant.Scope, id int64) error
	RestoreTests(ctx context.Context, s tenant.Scope, assetID int64, limit int) ([]RestoreTest, error)

	AddBackupRun(ctx context.Context, r *BackupRun) error
	BackupRuns(ctx context.Context, s tenant.Scope, checkID int64, limit int) ([]BackupRun, error)
	// LastBackups returns, per backup job asset of the filter's client (0:
	// all visible), the last successful run and the last restore test.
	LastBackups(ctx context.Context, s tenant.Scope, clientID int64) ([]BackupSummary, error)
}

// BackupSummary is the last success and the last restore test of a backup job.
type BackupSummary struct {
	AssetID     int64        `json:"asset_id"`
	ClientID    int64        `json:"client_id"`
	AssetName   string       `json:"asset_name"`
	LastSuccess *BackupRun   `json:"last_success"`
	LastRun     *BackupRun   `json:"last_run"`
	LastRestore *RestoreTest `json:"last_restore"`
}
