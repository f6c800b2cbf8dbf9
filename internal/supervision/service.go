package supervision

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Journal records who changed what.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// live is what the service needs of the engine; *Engine implements it, and
// tests plug in a recorder.
type live interface {
	Reload(ctx context.Context, checkID int64) error
	ReloadContext(ctx context.Context) error
	Submit(ctx context.Context, r Result) error
	Acknowledge(ctx context.Context, checkID int64, by, comment string) error
	RunNow(checkID int64) error
}

// heartbeater is the engine's record of agent reports (the heartbeat checks).
type heartbeater interface {
	Heartbeat(assetID int64, at time.Time)
}

var _ live = (*Engine)(nil)

// siteReader is implemented by stores that can read a site, so that a
// maintenance window of a site is checked against the client it names.
type siteReader interface {
	Site(ctx context.Context, s tenant.Scope, id int64) (client.Site, error)
}

// Service is supervision as users and agents reach it: every method checks
// the caller's scope and validates its input.
type Service struct {
	store   Store
	journal Journal
	engine  live
	now     func() time.Time
	log     *slog.Logger
	// applying serialises ApplyTemplates, so that two runs (a template
	// saved while the periodic run works) never create the same check twice.
	applying sync.Mutex
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
func (svc *Service) SetEngine(e *Engine) {
	if e == nil {
		svc.engine = nil
		return
	}
	svc.engine = e
}

// PushInput is what a backup script sends to its push URL.
type PushInput struct {
	OK      bool
	Seconds float64
	Bytes   int64
	Message string
}

// PushPath is the path of a backup_push check's URL, under the server's base URL.
func PushPath(token string) string { return "/push/" + token }

// Page sizes of the service's lists.
const (
	defaultPage = 100
	maxPage     = 500
)

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return defaultPage
	case n > maxPage:
		return maxPage
	}
	return n
}

// record appends to the journal, if there is one.
func (svc *Service) record(ctx context.Context, e audit.Entry) error {
	if svc.journal == nil {
		return nil
	}
	return svc.journal.Record(ctx, e)
}

// reload tells the engine that checks changed. The change is committed: a
// failure here is logged, and the engine's own periodic load repairs it.
func (svc *Service) reload(ctx context.Context, ids ...int64) {
	if svc.engine == nil {
		return
	}
	for _, id := range ids {
		if err := svc.engine.Reload(ctx, id); err != nil {
			svc.log.Warn("reload check in the supervision engine", "check", id, "err", err)
		}
	}
}

// reloadContext tells the engine that windows or assets changed.
func (svc *Service) reloadContext(ctx context.Context) {
	if svc.engine == nil {
		return
	}
	if err := svc.engine.ReloadContext(ctx); err != nil {
		svc.log.Warn("reload supervision context", "err", err)
	}
}

// newPushToken returns 24 random URL-safe characters (144 bits).
func newPushToken() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate push token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hideSecrets blanks what only staff may read: a push URL lets whoever holds
// it report a backup.
func hideSecrets(s tenant.Scope, c *Check) {
	if !s.Staff() {
		c.PushToken = ""
	}
}

// invalid returns a validation failure of one field.
func invalid(field, code string, param ...any) error {
	v := &fault.Invalid{}
	v.Add(field, code, param...)
	return v
}

// checkRunner validates where a check runs: local checks and heartbeats need
// an agent on the asset; a network probe may name a runner, an asset of the
// same client with an agent; a backup job needs one (the asset itself when it
// has an agent and none is named); other kinds take none.
func (svc *Service) checkRunner(ctx context.Context, s tenant.Scope, c *Check, a AssetRef, creating bool) error {
	if c.RunnerAssetID != nil && *c.RunnerAssetID == 0 {
		c.RunnerAssetID = nil
	}
	switch {
	case c.Kind.Local() || c.Kind == KindHeartbeat:
		if c.RunnerAssetID != nil && *c.RunnerAssetID != a.ID {
			return invalid("runner_asset_id", codeRunnerNotAllowed)
		}
		c.RunnerAssetID = nil
		if creating && !a.HasAgent {
			return invalid("asset_id", codeNoAgent)
		}
		return nil
	case c.Kind == KindBackupJob && c.RunnerAssetID == nil:
		if !a.HasAgent {
			return invalid("runner_asset_id", "required")
		}
		id := a.ID
		c.RunnerAssetID = &id
		return nil
	case c.Kind.Network() || c.Kind == KindBackupJob:
		if c.RunnerAssetID == nil {
			return nil
		}
	default:
		if c.RunnerAssetID != nil {
			return invalid("runner_asset_id", codeRunnerNotAllowed)
		}
		return nil
	}
	r, err := svc.store.AssetRef(ctx, s, *c.RunnerAssetID)
	switch {
	case errors.Is(err, fault.ErrNotFound) || (err == nil && r.ClientID != a.ClientID):
		return invalid("runner_asset_id", "invalid_choice")
	case err != nil:
		return fmt.Errorf("read runner asset %d: %w", *c.RunnerAssetID, err)
	case !r.HasAgent:
		return invalid("runner_asset_id", codeNoAgent)
	}
	return nil
}

// CreateCheck adds a check to an asset (staff). Its client is the asset's;
// TemplateID cannot be set (templates apply their own checks); a backup_push
// check gets its push token.
func (svc *Service) CreateCheck(ctx context.Context, s tenant.Scope, c *Check) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	if c.AssetID <= 0 {
		return invalid("asset_id", "required")
	}
	c.ID, c.TemplateID, c.PushToken = 0, nil, ""
	if err := c.normalize(); err != nil {
		return err
	}
	a, err := svc.store.AssetRef(ctx, s, c.AssetID)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, a.ClientID) {
		return fault.ErrForbidden
	}
	if c.ClientID != 0 && c.ClientID != a.ClientID {
		return invalid("client_id", "invalid_choice")
	}
	c.ClientID = a.ClientID
	if err := svc.checkRunner(ctx, s, c, a, true); err != nil {
		return err
	}
	if c.Kind == KindBackupPush {
		if c.PushToken, err = newPushToken(); err != nil {
			return err
		}
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateCheck(ctx, s, c); err != nil {
			return fmt.Errorf("create check: %w", err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "check.create", Object: audit.Object("check", c.ID),
			Summary: string(c.Kind) + " " + c.Name + " on " + a.Name})
	})
	if err != nil {
		return err
	}
	svc.reload(ctx, c.ID)
	return nil
}

// UpdateCheck changes a check's name, rules, runner and enabled flag (staff);
// its asset, client and template stay. A check a template applied is the
// template's to change (managed_by_template). The push token stays while the
// check remains a backup_push.
func (svc *Service) UpdateCheck(ctx context.Context, s tenant.Scope, c *Check) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	old, err := svc.store.Check(ctx, s, c.ID)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, old.ClientID) {
		return fault.ErrForbidden
	}
	if old.TemplateID != nil {
		return invalid("template_id", codeManagedByTemplate)
	}
	c.ClientID, c.AssetID, c.TemplateID, c.CreatedAt = old.ClientID, old.AssetID, nil, old.CreatedAt
	if err := c.normalize(); err != nil {
		return err
	}
	a, err := svc.store.AssetRef(ctx, s, old.AssetID)
	if err != nil {
		return err
	}
	if err := svc.checkRunner(ctx, s, c, a, old.Kind != c.Kind); err != nil {
		return err
	}
	switch {
	case c.Kind != KindBackupPush:
		c.PushToken = ""
	case old.PushToken != "":
		c.PushToken = old.PushToken
	default:
		if c.PushToken, err = newPushToken(); err != nil {
			return err
		}
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.UpdateCheck(ctx, s, c); err != nil {
			return fmt.Errorf("update check %d: %w", c.ID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "check.update", Object: audit.Object("check", c.ID), Summary: checkDiff(old, *c)})
	})
	if err != nil {
		return err
	}
	svc.reload(ctx, c.ID)
	return nil
}

// checkDiff summarises a change of a check for the journal, without its
// push token (a secret) or timestamps.
func checkDiff(old, new Check) string {
	type view struct {
		Name     string `json:"name"`
		Kind     Kind   `json:"kind"`
		Params   string `json:"params"`
		Interval int    `json:"interval"`
		Retry    int    `json:"retry_interval"`
		Attempts int    `json:"max_attempts"`
		Recover  int    `json:"recover_after"`
		Severity string `json:"severity"`
		Ticket   string `json:"ticket"`
		Runner   *int64 `json:"runner_asset_id"`
		Enabled  bool   `json:"enabled"`
	}
	v := func(c Check) view {
		return view{c.Name, c.Kind, fmt.Sprintf("%+v", c.Params), c.Interval, c.RetryInterval, c.MaxAttempts, c.RecoverAfter,
			string(c.Severity), string(c.Ticket), c.RunnerAssetID, c.Enabled}
	}
	return audit.Diff(v(old), v(new))
}

// DeleteCheck removes a check with its status, events and backup runs
// (staff). A check a template applied goes when the template stops matching.
func (svc *Service) DeleteCheck(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	old, err := svc.store.Check(ctx, s, id)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, old.ClientID) {
		return fault.ErrForbidden
	}
	if old.TemplateID != nil {
		return invalid("template_id", codeManagedByTemplate)
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteCheck(ctx, s, id); err != nil {
			return fmt.Errorf("delete check %d: %w", id, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "check.delete", Object: audit.Object("check", id), Summary: string(old.Kind) + " " + old.Name})
	})
	if err != nil {
		return err
	}
	svc.reload(ctx, id)
	return nil
}

// Check returns one check.
func (svc *Service) Check(ctx context.Context, s tenant.Scope, id int64) (Check, error) {
	if !s.Can(tenant.SupervisionRead) {
		return Check{}, fault.ErrForbidden
	}
	c, err := svc.store.Check(ctx, s, id)
	if err != nil {
		return Check{}, err
	}
	hideSecrets(s, &c)
	return c, nil
}

// Checks lists the checks of a filter, by id.
func (svc *Service) Checks(ctx context.Context, s tenant.Scope, f CheckFilter) ([]Check, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	if f.ClientID != 0 && !s.CanSee(f.ClientID) {
		return nil, fault.ErrNotFound
	}
	cs, err := svc.store.Checks(ctx, s, f)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		hideSecrets(s, &cs[i])
	}
	return cs, nil
}

// Status returns the live status of a check as last saved.
func (svc *Service) Status(ctx context.Context, s tenant.Scope, checkID int64) (Status, error) {
	if !s.Can(tenant.SupervisionRead) {
		return Status{}, fault.ErrForbidden
	}
	return svc.store.Status(ctx, s, checkID)
}

// Events lists state changes, newest first (at most 500 a page, 100 by default).
func (svc *Service) Events(ctx context.Context, s tenant.Scope, f EventFilter) ([]Event, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	f.Limit = pageLimit(f.Limit)
	return svc.store.Events(ctx, s, f)
}

// Acknowledge mutes a check's hard problem with a comment (staff) until its
// hard state changes. A check not in a hard problem is refused (no_problem).
func (svc *Service) Acknowledge(ctx context.Context, s tenant.Scope, checkID int64, comment string) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	var v fault.Invalid
	comment = v.Text("comment", comment, 1000, true, true)
	c, err := svc.store.Check(ctx, s, checkID)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, c.ClientID) {
		return fault.ErrForbidden
	}
	if err := v.Err(); err != nil {
		return err
	}
	if svc.engine == nil {
		return errors.New("acknowledge: the supervision engine is not running")
	}
	a := audit.ActorFrom(ctx)
	by := a.Shown()
	if by == "" {
		by = "user " + strconv.FormatInt(s.UserID, 10)
	}
	if err := svc.engine.Acknowledge(ctx, checkID, by, comment); err != nil {
		if errors.Is(err, check.ErrNoProblem) || errors.Is(err, fault.ErrConflict) {
			return invalid("state", codeNoProblem)
		}
		return err
	}
	return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "check.acknowledge", Object: audit.Object("check", checkID), Summary: c.Name + ": " + comment})
}

// RunNow runs a server check at once (staff); a check an agent runs is
// fault.ErrConflict.
func (svc *Service) RunNow(ctx context.Context, s tenant.Scope, checkID int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	c, err := svc.store.Check(ctx, s, checkID)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, c.ClientID) {
		return fault.ErrForbidden
	}
	if svc.engine == nil {
		return errors.New("run check now: the supervision engine is not running")
	}
	return svc.engine.RunNow(checkID)
}

// maxAvailabilityRange bounds the period of an availability computation.
const maxAvailabilityRange = 400 * 24 * time.Hour

func checkRange(from, to time.Time) error {
	switch {
	case from.IsZero():
		return invalid("from", "required")
	case to.IsZero():
		return invalid("to", "required")
	case !to.After(from):
		return invalid("to", codeEndBeforeStart)
	case to.Sub(from) > maxAvailabilityRange:
		return invalid("to", codeOutOfRange, "400 days")
	}
	return nil
}

// hardEvents returns a check's hard events in [from, to) and the last hard
// event before from (so that the state at from is known), oldest first.
func (svc *Service) hardEvents(ctx context.Context, s tenant.Scope, checkID int64, from, to time.Time) ([]check.Event, error) {
	const page = 1000
	var out []check.Event
	before, err := svc.store.Events(ctx, s, EventFilter{CheckID: checkID, To: from, HardOnly: true, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("read state of check %d before %s: %w", checkID, from.Format(time.RFC3339), err)
	}
	for _, e := range before {
		out = append(out, e.Event)
	}
	var cursor int64
	var in []check.Event
	for {
		evs, err := svc.store.Events(ctx, s, EventFilter{CheckID: checkID, From: from, To: to, HardOnly: true, BeforeID: cursor, Limit: page})
		if err != nil {
			return nil, fmt.Errorf("read events of check %d: %w", checkID, err)
		}
		for _, e := range evs {
			in = append(in, e.Event)
		}
		if len(evs) < page {
			break
		}
		cursor = evs[len(evs)-1].ID
	}
	slices.Reverse(in) // newest first from the store
	return append(out, in...), nil
}

// maintenance returns the maintenance intervals of an asset in [from, to).
func (svc *Service) maintenance(ctx context.Context, s tenant.Scope, a AssetRef, from, to time.Time) ([]check.Interval, error) {
	ws, err := svc.store.Windows(ctx, s, WindowFilter{ClientID: a.ClientID, AssetID: a.ID})
	if err != nil {
		return nil, fmt.Errorf("read maintenance windows of asset %d: %w", a.ID, err)
	}
	cw := make([]check.Window, len(ws))
	for i, w := range ws {
		cw[i] = w.Window
	}
	return check.MaintenanceIntervals(cw, check.Scope{ClientID: a.ClientID, SiteID: a.SiteID, AssetID: a.ID}, from, to), nil
}

// Availability computes a check's availability over [from, to) from its hard
// events, maintenance of its asset left out (see check.Availability).
func (svc *Service) Availability(ctx context.Context, s tenant.Scope, checkID int64, from, to time.Time) (check.Uptime, error) {
	if !s.Can(tenant.SupervisionRead) {
		return check.Uptime{}, fault.ErrForbidden
	}
	c, err := svc.store.Check(ctx, s, checkID)
	if err != nil {
		return check.Uptime{}, err
	}
	if err := checkRange(from, to); err != nil {
		return check.Uptime{}, err
	}
	a, err := svc.store.AssetRef(ctx, s, c.AssetID)
	if err != nil {
		return check.Uptime{}, err
	}
	events, err := svc.hardEvents(ctx, s, checkID, from, to)
	if err != nil {
		return check.Uptime{}, err
	}
	maint, err := svc.maintenance(ctx, s, a, from, to)
	if err != nil {
		return check.Uptime{}, err
	}
	return check.Availability(events, from, to, maint), nil
}

// AssetAvailability computes an asset's availability over [from, to): it is
// down while any of its checks of severity critical is down; an asset with no
// critical check counts all its enabled checks instead, so that it still has
// a figure. Maintenance of the asset is left out.
func (svc *Service) AssetAvailability(ctx context.Context, s tenant.Scope, assetID int64, from, to time.Time) (check.Uptime, error) {
	if !s.Can(tenant.SupervisionRead) {
		return check.Uptime{}, fault.ErrForbidden
	}
	a, err := svc.store.AssetRef(ctx, s, assetID)
	if err != nil {
		return check.Uptime{}, err
	}
	if err := checkRange(from, to); err != nil {
		return check.Uptime{}, err
	}
	cs, err := svc.store.Checks(ctx, s, CheckFilter{AssetID: assetID})
	if err != nil {
		return check.Uptime{}, err
	}
	all := AvailabilityChecks(cs, func(c Check) (bool, Severity) { return c.Enabled, c.Severity })
	per := make([][]check.Event, 0, len(all))
	for _, c := range all {
		evs, err := svc.hardEvents(ctx, s, c.ID, from, to)
		if err != nil {
			return check.Uptime{}, err
		}
		per = append(per, evs)
	}
	maint, err := svc.maintenance(ctx, s, a, from, to)
	if err != nil {
		return check.Uptime{}, err
	}
	return check.AssetAvailability(per, from, to, maint), nil
}

// templatePermission checks that s may change templates of clientID (nil: a
// global template, for staff who see every client).
func templatePermission(s tenant.Scope, clientID *int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	if clientID == nil {
		if !s.AllClients() {
			return fault.ErrForbidden
		}
		return nil
	}
	if !s.CanSee(*clientID) {
		return invalid("client_id", "invalid_choice")
	}
	return nil
}

// CreateTemplate adds a template (staff) and applies it at once.
func (svc *Service) CreateTemplate(ctx context.Context, s tenant.Scope, t *Template) error {
	if err := templatePermission(s, t.ClientID); err != nil {
		return err
	}
	t.ID = 0
	if err := t.normalize(); err != nil {
		return err
	}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateTemplate(ctx, s, t); err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				return invalid("client_id", "invalid_choice")
			}
			return fmt.Errorf("create check template: %w", err)
		}
		return svc.record(ctx, audit.Entry{ClientID: t.ClientID, Action: "check_template.create", Object: audit.Object("check_template", t.ID), Summary: string(t.Kind) + " " + t.Name})
	})
	if err != nil {
		return err
	}
	svc.applyAfterChange(ctx)
	return nil
}

// applyAfterChange applies the templates after one changed; the change is
// committed, so a failure is logged and the periodic run repairs it.
func (svc *Service) applyAfterChange(ctx context.Context) {
	if _, err := svc.ApplyTemplates(ctx); err != nil {
		svc.log.Warn("apply check templates", "err", err)
	}
}

// UpdateTemplate changes a template (staff; its client stays) and applies it
// to the checks it made.
func (svc *Service) UpdateTemplate(ctx context.Context, s tenant.Scope, t *Template) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	old, err := svc.store.Template(ctx, s, t.ID)
	if err != nil {
		return err
	}
	if err := templatePermission(s, old.ClientID); err != nil {
		return err
	}
	t.ClientID, t.CreatedAt = old.ClientID, old.CreatedAt
	if err := t.normalize(); err != nil {
		return err
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.UpdateTemplate(ctx, s, t); err != nil {
			return fmt.Errorf("update check template %d: %w", t.ID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: t.ClientID, Action: "check_template.update", Object: audit.Object("check_template", t.ID), Summary: templateDiff(old, *t)})
	})
	if err != nil {
		return err
	}
	svc.applyAfterChange(ctx)
	return nil
}

func templateDiff(old, new Template) string {
	v := func(t Template) Check {
		return Check{Name: t.Name + " [" + t.MatchKind + "/" + t.MatchOS + "/" + t.MatchTag + "]", Rules: t.Rules, Enabled: t.Enabled}
	}
	return checkDiff(v(old), v(new))
}

// DeleteTemplate removes a template (staff) with the checks it applied.
func (svc *Service) DeleteTemplate(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	old, err := svc.store.Template(ctx, s, id)
	if err != nil {
		return err
	}
	if err := templatePermission(s, old.ClientID); err != nil {
		return err
	}
	applied, err := svc.store.Checks(ctx, tenant.System(), CheckFilter{TemplateID: id})
	if err != nil {
		return fmt.Errorf("list checks of template %d: %w", id, err)
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteTemplate(ctx, s, id); err != nil {
			return fmt.Errorf("delete check template %d: %w", id, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: old.ClientID, Action: "check_template.delete", Object: audit.Object("check_template", id),
			Summary: string(old.Kind) + " " + old.Name + " (" + strconv.Itoa(len(applied)) + " checks)"})
	})
	if err != nil {
		return err
	}
	for _, c := range applied {
		svc.reload(ctx, c.ID)
	}
	return nil
}

// Template returns one template.
func (svc *Service) Template(ctx context.Context, s tenant.Scope, id int64) (Template, error) {
	if !s.Can(tenant.SupervisionRead) {
		return Template{}, fault.ErrForbidden
	}
	return svc.store.Template(ctx, s, id)
}

// Templates lists the templates the caller may see: global ones and those
// of its clients.
func (svc *Service) Templates(ctx context.Context, s tenant.Scope) ([]Template, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	return svc.store.Templates(ctx, s)
}

// coveredNow returns what the maintenance windows the caller sees cover now.
func (svc *Service) coveredNow(ctx context.Context, s tenant.Scope) (Covered, error) {
	ws, err := svc.store.Windows(ctx, s, WindowFilter{})
	if err != nil {
		return Covered{}, fmt.Errorf("maintenance windows of the board: %w", err)
	}
	now := svc.now()
	var c Covered
	for _, w := range ws {
		if !w.Active(now) {
			continue
		}
		switch {
		case w.AssetID != 0:
			c.Assets = append(c.Assets, w.AssetID)
		case w.SiteID != 0:
			c.Sites = append(c.Sites, w.SiteID)
		default:
			c.Clients = append(c.Clients, w.ClientID)
		}
	}
	return c, nil
}

// Board returns one page of the board, problems first, with the counts of
// the filter and its number of rows (at most 500 a page, 100 by default).
func (svc *Service) Board(ctx context.Context, s tenant.Scope, f BoardFilter) ([]BoardRow, BoardCounts, int, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, BoardCounts{}, 0, fault.ErrForbidden
	}
	var v fault.Invalid
	if f.Kind != "" && !f.Kind.Valid() {
		v.Add("kind", "invalid_choice")
	}
	if f.State != "" {
		v.OneOf("state", f.State, "ok", "warning", "critical", "unknown", "pending")
	}
	f.Search = v.Text("q", f.Search, 200, false, false)
	if f.Offset < 0 {
		v.Add("offset", codeNegative)
	}
	if err := v.Err(); err != nil {
		return nil, BoardCounts{}, 0, err
	}
	if f.ClientID != 0 && !s.CanSee(f.ClientID) {
		return nil, BoardCounts{}, 0, fault.ErrNotFound
	}
	f.Limit = pageLimit(f.Limit)
	covered, err := svc.coveredNow(ctx, s)
	if err != nil {
		return nil, BoardCounts{}, 0, err
	}
	f.Maintenance = covered
	rows, counts, total, err := svc.store.Board(ctx, s, f)
	if err != nil {
		return nil, BoardCounts{}, 0, err
	}
	for i := range rows {
		hideSecrets(s, &rows[i].Check)
	}
	return rows, counts, total, nil
}

// CreateWindow adds a maintenance window of an asset, a site or a client
// (staff); its ClientID becomes the owning client's.
func (svc *Service) CreateWindow(ctx context.Context, s tenant.Scope, w *Window) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	w.ID = 0
	if w.AssetID == 0 && w.SiteID == 0 && w.ClientID == 0 {
		return invalid("client_id", "required")
	}
	if err := validateWindow(w, svc.now()); err != nil {
		return err
	}
	owner, err := svc.windowOwner(ctx, s, w)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, owner) {
		return fault.ErrForbidden
	}
	w.CreatedBy = s.UserID
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateWindow(ctx, s, w); err != nil {
			return fmt.Errorf("create maintenance window: %w", err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &w.ClientID, Action: "maintenance.create", Object: audit.Object("maintenance", w.ID), Summary: windowSummary(*w)})
	})
	if err != nil {
		return err
	}
	svc.reloadContext(ctx)
	return nil
}

// windowOwner returns the client a window belongs to: its asset's, its
// site's or its own; one naming a client and another client's asset or site
// is refused (other_client). A target the scope cannot see is not found.
func (svc *Service) windowOwner(ctx context.Context, s tenant.Scope, w *Window) (int64, error) {
	owner, field := w.ClientID, "client_id"
	switch {
	case w.AssetID != 0:
		a, err := svc.store.AssetRef(ctx, s, w.AssetID)
		if err != nil {
			return 0, err
		}
		owner, field = a.ClientID, "asset_id"
		if w.SiteID != 0 && w.SiteID != a.SiteID {
			return 0, invalid("site_id", "invalid_choice")
		}
	case w.SiteID != 0:
		sr, ok := svc.store.(siteReader)
		if !ok {
			return owner, nil // the store checks the site's client
		}
		site, err := sr.Site(ctx, s, w.SiteID)
		if err != nil {
			return 0, err
		}
		owner, field = site.ClientID, "site_id"
	case !s.CanSee(w.ClientID):
		return 0, fault.ErrNotFound
	}
	if w.ClientID != 0 && w.ClientID != owner {
		return 0, invalid(field, "invalid_choice")
	}
	return owner, nil
}

// windowSummary describes a window for the journal.
func windowSummary(w Window) string {
	target := "client " + strconv.FormatInt(w.ClientID, 10)
	switch {
	case w.AssetID != 0:
		target = "asset " + strconv.FormatInt(w.AssetID, 10)
	case w.SiteID != 0:
		target = "site " + strconv.FormatInt(w.SiteID, 10)
	}
	if len(w.Weekdays) == 0 {
		return target + " " + w.From.Format(time.RFC3339) + " → " + w.To.Format(time.RFC3339) + " " + w.Comment
	}
	days := ""
	for _, d := range w.Weekdays {
		days += d.String()[:3] + " "
	}
	return target + " " + days + (time.Time{}).Add(w.Start).Format("15:04") + " for " + w.Duration.String() + " " + w.Location.String() + " " + w.Comment
}

// DeleteWindow removes a maintenance window (staff).
func (svc *Service) DeleteWindow(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	old, err := svc.store.Window(ctx, s, id)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, old.ClientID) {
		return fault.ErrForbidden
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteWindow(ctx, s, id); err != nil {
			return fmt.Errorf("delete maintenance window %d: %w", id, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "maintenance.delete", Object: audit.Object("maintenance", id), Summary: windowSummary(old)})
	})
	if err != nil {
		return err
	}
	svc.reloadContext(ctx)
	return nil
}

// Window returns one maintenance window.
func (svc *Service) Window(ctx context.Context, s tenant.Scope, id int64) (Window, error) {
	if !s.Can(tenant.SupervisionRead) {
		return Window{}, fault.ErrForbidden
	}
	return svc.store.Window(ctx, s, id)
}

// Windows lists maintenance windows: of a client, and with AssetID those
// that cover the asset.
func (svc *Service) Windows(ctx context.Context, s tenant.Scope, f WindowFilter) ([]Window, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	if f.ClientID != 0 && !s.CanSee(f.ClientID) {
		return nil, fault.ErrNotFound
	}
	return svc.store.Windows(ctx, s, f)
}

// backupJob reports whether an asset is a backup job: of kind backup, or
// with a check of the backup family.
func (svc *Service) backupJob(ctx context.Context, s tenant.Scope, a AssetRef) (bool, error) {
	if a.Kind == "backup" {
		return true, nil
	}
	cs, err := svc.store.Checks(ctx, s, CheckFilter{AssetID: a.ID})
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if c.Kind.Backup() {
			return true, nil
		}
	}
	return false, nil
}

// AddRestoreTest records a test of restoring a backup job (staff).
func (svc *Service) AddRestoreTest(ctx context.Context, s tenant.Scope, t *RestoreTest) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	if t.AssetID <= 0 {
		return invalid("asset_id", "required")
	}
	a, err := svc.store.AssetRef(ctx, s, t.AssetID)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, a.ClientID) {
		return fault.ErrForbidden
	}
	ok, err := svc.backupJob(ctx, s, a)
	if err != nil {
		return err
	}
	if !ok {
		return invalid("asset_id", codeNotBackupJob)
	}
	if err := validateRestoreTest(t, svc.now()); err != nil {
		return err
	}
	t.ID, t.ClientID, t.UserID = 0, a.ClientID, s.UserID
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.AddRestoreTest(ctx, s, t); err != nil {
			return fmt.Errorf("add restore test: %w", err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "restore_test.create", Object: audit.Object("restore_test", t.ID),
			Summary: a.Name + ": " + string(t.Result) + ", " + t.Scope})
	})
}

// DeleteRestoreTest removes a restore test (staff).
func (svc *Service) DeleteRestoreTest(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	// Restore tests are few (a handful per job and year): find this one
	// among those the scope sees, for its client, instead of a lookup the
	// store does not have. Another client's test is not found.
	tests, err := svc.store.RestoreTests(ctx, s, 0, 0)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(tests, func(t RestoreTest) bool { return t.ID == id })
	if i < 0 {
		return fault.ErrNotFound
	}
	old := tests[i]
	if !s.CanOn(tenant.SupervisionWrite, old.ClientID) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteRestoreTest(ctx, s, id); err != nil {
			return err
		}
		return svc.record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "restore_test.delete", Object: audit.Object("restore_test", id),
			Summary: old.TestedAt.Format(time.DateOnly) + ": " + string(old.Result) + ", " + old.Scope})
	})
}

// RestoreTests lists the restore tests of a backup job, newest first (at most 100).
func (svc *Service) RestoreTests(ctx context.Context, s tenant.Scope, assetID int64) ([]RestoreTest, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	if _, err := svc.store.AssetRef(ctx, s, assetID); err != nil {
		return nil, err
	}
	return svc.store.RestoreTests(ctx, s, assetID, defaultPage)
}

// BackupRuns lists the runs of a backup check, newest first (at most 100).
func (svc *Service) BackupRuns(ctx context.Context, s tenant.Scope, checkID int64) ([]BackupRun, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	if _, err := svc.store.Check(ctx, s, checkID); err != nil {
		return nil, err
	}
	return svc.store.BackupRuns(ctx, s, checkID, defaultPage)
}

// LastBackups returns, per backup job of a client (0: every one visible),
// its last success, last run and last restore test.
func (svc *Service) LastBackups(ctx context.Context, s tenant.Scope, clientID int64) ([]BackupSummary, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	if clientID != 0 && !s.CanSee(clientID) {
		return nil, fault.ErrNotFound
	}
	return svc.store.LastBackups(ctx, s, clientID)
}

// SetTags replaces the tags of an asset (staff), which templates match, and
// applies the templates.
func (svc *Service) SetTags(ctx context.Context, s tenant.Scope, assetID int64, tags []string) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	a, err := svc.store.AssetRef(ctx, s, assetID)
	if err != nil {
		return err
	}
	if !s.CanOn(tenant.SupervisionWrite, a.ClientID) {
		return fault.ErrForbidden
	}
	tags, err = NormalizeTags(tags)
	if err != nil {
		return err
	}
	old := slices.Clone(a.Tags)
	slices.Sort(old)
	if slices.Equal(old, tags) {
		return nil
	}
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.SetAssetTags(ctx, s, assetID, tags); err != nil {
			return fmt.Errorf("set tags of asset %d: %w", assetID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &a.ClientID, Action: "asset.tags", Object: audit.Object("asset", assetID),
			Summary: fmt.Sprintf("tags: %v → %v", old, tags)})
	})
	if err != nil {
		return err
	}
	svc.applyAfterChange(ctx)
	return nil
}

// Push records a run of a backup reported to its push URL and submits it to
// the engine: OK on success, CRITICAL on failure. An unknown token is
// fault.ErrNotFound.
func (svc *Service) Push(ctx context.Context, token string, in PushInput) error {
	if err := validatePush(&in); err != nil {
		return err
	}
	c, err := svc.store.CheckByPushToken(ctx, token)
	if err != nil {
		return err
	}
	if c.Kind != KindBackupPush {
		return fault.ErrNotFound
	}
	now := svc.now().UTC()
	run := BackupRun{CheckID: c.ID, At: now, OK: in.OK, Seconds: in.Seconds, Bytes: in.Bytes, Message: in.Message, Source: "push"}
	if err := svc.store.AddBackupRun(ctx, &run); err != nil {
		return fmt.Errorf("record backup run of check %d: %w", c.ID, err)
	}
	r := Result{CheckID: c.ID, Result: check.Result{At: now, State: check.OK, Output: backupOutput(in.OK, "", in.Seconds, in.Bytes, in.Message)}, Perf: backupPerf(in.Seconds, in.Bytes)}
	if !in.OK {
		r.State = check.Critical
	}
	svc.submit(ctx, r)
	return nil
}

// submit hands a result to the engine; the run is already recorded, so a
// failure is logged (the engine's schedule notices a missing backup anyway).
func (svc *Service) submit(ctx context.Context, r Result) {
	if svc.engine == nil {
		return
	}
	if err := svc.engine.Submit(ctx, r); err != nil {
		svc.log.Warn("submit result to the supervision engine", "check", r.CheckID, "err", err)
	}
}

// backupOutput is the output of a backup run: "backup succeeded in 12 min,
// 4.2 GB: message", "backup failed: message", or with an exit code "exit code
// 2 after 3 min: last line".
func backupOutput(ok bool, exit string, seconds float64, bytes int64, msg string) string {
	var out string
	switch {
	case ok:
		out = "backup succeeded"
		if seconds > 0 {
			out += " in " + humanDuration(seconds)
		}
	case exit != "":
		out = "exit code " + exit
		if seconds > 0 {
			out += " after " + humanDuration(seconds)
		}
	default:
		out = "backup failed"
		if seconds > 0 {
			out += " after " + humanDuration(seconds)
		}
	}
	if bytes > 0 {
		out += ", " + humanBytes(bytes)
	}
	if msg != "" {
		out += ": " + msg
	}
	return oneLine(out, agentproto.MaxCheckOutput)
}

func backupPerf(seconds float64, bytes int64) map[string]float64 {
	p := map[string]float64{}
	if seconds > 0 {
		p["duration_seconds"] = seconds
	}
	if bytes > 0 {
		p["size_bytes"] = float64(bytes)
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// humanDuration writes seconds as "45 s", "12 min" or "2 h 05 min".
func humanDuration(seconds float64) string {
	s := int64(seconds + 0.5)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + " s"
	case s < 3600:
		return strconv.FormatInt((s+30)/60, 10) + " min"
	}
	m := (s + 30) / 60
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// humanBytes writes a size in decimal units: "512 B", "4.2 GB".
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for q := n / unit; q >= unit && exp < 5; q /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("kMGTPE"[exp]) + "B"
}

// AgentChecks returns the checks the agent of an asset runs, as the agent
// reads them, and the version of that set.
func (svc *Service) AgentChecks(ctx context.Context, assetID int64) ([]agentproto.CheckSpec, int64, error) {
	cs, version, err := svc.store.AgentChecks(ctx, assetID)
	if err != nil {
		return nil, 0, err
	}
	specs := make([]agentproto.CheckSpec, len(cs))
	for i, c := range cs {
		specs[i] = agentproto.CheckSpec{ID: c.ID, Kind: string(c.Kind), Interval: c.Interval, Params: c.Params,
			RetryInterval: c.RetryInterval, MaxAttempts: c.MaxAttempts}
	}
	return specs, version, nil
}

// IngestAgent applies what the agent of an asset reported: the results of
// the checks it runs (any other check id is ignored and logged) and the runs
// of the jobs it wrapped (recorded on the backup_job checks it runs under
// that name; a job no check names is logged and dropped). Every report is
// also a heartbeat of the asset.
func (svc *Service) IngestAgent(ctx context.Context, assetID int64, results []agentproto.CheckResult, jobs []agentproto.JobRun) error {
	now := svc.now().UTC()
	if hb, ok := svc.engine.(heartbeater); ok {
		hb.Heartbeat(assetID, now)
	}
	if len(results) == 0 && len(jobs) == 0 {
		return nil
	}
	cs, _, err := svc.store.AgentChecks(ctx, assetID)
	if err != nil {
		return fmt.Errorf("read checks of the agent of asset %d: %w", assetID, err)
	}
	byID := make(map[int64]Check, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	ignored := 0
	for _, res := range results {
		c, ok := byID[res.CheckID]
		if !ok || c.Kind == KindBackupJob {
			ignored++
			continue
		}
		st := check.State(res.State)
		if !st.Valid() {
			st = check.Unknown
		}
		at := res.At.UTC()
		if at.IsZero() || at.After(now) {
			at = now
		}
		svc.submit(ctx, Result{CheckID: c.ID, Result: check.Result{At: at, State: st, Output: oneLine(res.Output, agentproto.MaxCheckOutput)}, Perf: res.Perf})
	}
	if ignored > 0 {
		svc.log.Warn("agent reported results of checks it does not run", "asset", assetID, "ignored", ignored)
	}
	var errs []error
	for _, j := range jobs {
		matched := false
		for _, c := range cs {
			if c.Kind != KindBackupJob || c.Params.Name != j.Name || c.RunnerAssetID == nil || *c.RunnerAssetID != assetID {
				continue
			}
			matched = true
			if err := svc.jobRun(ctx, c, j, now); err != nil {
				errs = append(errs, err)
			}
		}
		if !matched {
			svc.log.Warn("agent reported a job no backup check names", "asset", assetID, "job", oneLine(j.Name, 64))
		}
	}
	return errors.Join(errs...)
}

// jobRun records one run of a wrapped job on a backup_job check.
func (svc *Service) jobRun(ctx context.Context, c Check, j agentproto.JobRun, now time.Time) error {
	end := j.End.UTC()
	if end.IsZero() || end.After(now) {
		end = now
	}
	var seconds float64
	if !j.Start.IsZero() && j.End.After(j.Start) {
		seconds = j.End.Sub(j.Start).Seconds()
	}
	ok := j.ExitCode == 0
	last := oneLine(lastLine(j.Output), 1000)
	run := BackupRun{CheckID: c.ID, At: end, OK: ok, Seconds: seconds, Message: last, Source: "agent"}
	// The agent may send a run twice (stopped between spooling it and
	// deleting its file): one already recorded is not recorded again.
	recent, err := svc.store.BackupRuns(ctx, tenant.System(), c.ID, 50)
	if err != nil {
		return fmt.Errorf("recent runs of check %d: %w", c.ID, err)
	}
	for _, r := range recent {
		if r.Source == "agent" && r.At.Equal(end) && r.OK == ok {
			return nil
		}
	}
	if err := svc.store.AddBackupRun(ctx, &run); err != nil {
		return fmt.Errorf("record job run of check %d: %w", c.ID, err)
	}
	exit := ""
	st := check.OK
	if !ok {
		exit, st = strconv.Itoa(j.ExitCode), check.Critical
	}
	svc.submit(ctx, Result{CheckID: c.ID, Result: check.Result{At: end, State: st, Output: backupOutput(ok, exit, seconds, 0, last)}, Perf: backupPerf(seconds, 0)})
	return nil
}
