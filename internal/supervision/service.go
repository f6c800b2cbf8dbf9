package supervision

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// CONTRACT — the bodies below are written by the service's author this
// session; the signatures are what the web UI, API and agent API use.

var errServiceTODO = errors.New("supervision service: not built yet")

// Journal records who changed what.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service is supervision as users and agents reach it: every method checks
// the caller's scope and validates its input.
type Service struct {
	store   Store
	journal Journal
	engine  *Engine
	now     func() time.Time
	log     *slog.Logger
}

// NewService returns the service; SetEngine plugs the engine in.
func NewService(store Store, journal Journal, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, journal: journal, now: now, log: log}
}

// SetEngine plugs in the engine that owns live states.
func (svc *Service) SetEngine(e *Engine) { svc.engine = e }

// PushInput is what a backup script sends to its push URL.
type PushInput struct {
	OK      bool
	Seconds float64
	Bytes   int64
	Message string
}

func (svc *Service) CreateCheck(ctx context.Context, s tenant.Scope, c *Check) error {
	return errServiceTODO
}
func (svc *Service) UpdateCheck(ctx context.Context, s tenant.Scope, c *Check) error {
	return errServiceTODO
}
func (svc *Service) DeleteCheck(ctx context.Context, s tenant.Scope, id int64) error {
	return errServiceTODO
}
func (svc *Service) Check(ctx context.Context, s tenant.Scope, id int64) (Check, error) {
	return Check{}, errServiceTODO
}
func (svc *Service) Checks(ctx context.Context, s tenant.Scope, f CheckFilter) ([]Check, error) {
	return nil, errServiceTODO
}
func (svc *Service) Status(ctx context.Context, s tenant.Scope, checkID int64) (Status, error) {
	return Status{}, errServiceTODO
}
func (svc *Service) Events(ctx context.Context, s tenant.Scope, f EventFilter) ([]Event, error) {
	return nil, errServiceTODO
}
func (svc *Service) Acknowledge(ctx context.Context, s tenant.Scope, checkID int64, comment string) error {
	return errServiceTODO
}
func (svc *Service) RunNow(ctx context.Context, s tenant.Scope, checkID int64) error {
	return errServiceTODO
}
func (svc *Service) Availability(ctx context.Context, s tenant.Scope, checkID int64, from, to time.Time) (check.Uptime, error) {
	return check.Uptime{}, errServiceTODO
}
func (svc *Service) AssetAvailability(ctx context.Context, s tenant.Scope, assetID int64, from, to time.Time) (check.Uptime, error) {
	return check.Uptime{}, errServiceTODO
}
func (svc *Service) CreateTemplate(ctx context.Context, s tenant.Scope, t *Template) error {
	return errServiceTODO
}
func (svc *Service) UpdateTemplate(ctx context.Context, s tenant.Scope, t *Template) error {
	return errServiceTODO
}
func (svc *Service) DeleteTemplate(ctx context.Context, s tenant.Scope, id int64) error {
	return errServiceTODO
}
func (svc *Service) Template(ctx context.Context, s tenant.Scope, id int64) (Template, error) {
	return Template{}, errServiceTODO
}
func (svc *Service) Templates(ctx context.Context, s tenant.Scope) ([]Template, error) {
	return nil, errServiceTODO
}
func (svc *Service) ApplyTemplates(ctx context.Context) (int, error) { return 0, errServiceTODO }
func (svc *Service) Board(ctx context.Context, s tenant.Scope, f BoardFilter) ([]BoardRow, BoardCounts, int, error) {
	return nil, BoardCounts{}, 0, errServiceTODO
}
func (svc *Service) CreateWindow(ctx context.Context, s tenant.Scope, w *Window) error {
	return errServiceTODO
}
func (svc *Service) DeleteWindow(ctx context.Context, s tenant.Scope, id int64) error {
	return errServiceTODO
}
func (svc *Service) Windows(ctx context.Context, s tenant.Scope, f WindowFilter) ([]Window, error) {
	return nil, errServiceTODO
}
func (svc *Service) AddRestoreTest(ctx context.Context, s tenant.Scope, t *RestoreTest) error {
	return errServiceTODO
}
func (svc *Service) DeleteRestoreTest(ctx context.Context, s tenant.Scope, id int64) error {
	return errServiceTODO
}
func (svc *Service) RestoreTests(ctx context.Context, s tenant.Scope, assetID int64) ([]RestoreTest, error) {
	return nil, errServiceTODO
}
func (svc *Service) BackupRuns(ctx context.Context, s tenant.Scope, checkID int64) ([]BackupRun, error) {
	return nil, errServiceTODO
}
func (svc *Service) LastBackups(ctx context.Context, s tenant.Scope, clientID int64) ([]BackupSummary, error) {
	return nil, errServiceTODO
}
func (svc *Service) SetTags(ctx context.Context, s tenant.Scope, assetID int64, tags []string) error {
	return errServiceTODO
}
func (svc *Service) Push(ctx context.Context, token string, in PushInput) error {
	return errServiceTODO
}
func (svc *Service) AgentChecks(ctx context.Context, assetID int64) ([]agentproto.CheckSpec, int64, error) {
	return nil, 0, errServiceTODO
}
func (svc *Service) IngestAgent(ctx context.Context, assetID int64, results []agentproto.CheckResult, jobs []agentproto.JobRun) error {
	return errServiceTODO
}
