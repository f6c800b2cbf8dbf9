package asset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Errors of the agent side, which the agent API maps to its problem codes.
var (
	// ErrTokenInvalid: the enrollment token is unknown, expired, revoked or
	// used up (agentproto.CodeTokenInvalid).
	ErrTokenInvalid = errors.New("enrollment token unknown, expired, revoked or used up")
	// ErrReportInvalid wraps the reason a report is refused whole
	// (agentproto.CodeInvalid).
	ErrReportInvalid = errors.New("invalid report")
	// ErrReportTooLarge wraps the limit a report is over (agentproto.CodeTooLarge).
	ErrReportTooLarge = errors.New("report too large")
)

// AgentUpdate is what a stored report changes on its agent, in one
// conditional write that also claims the report's sequence number.
type AgentUpdate struct {
	Seq             uint64
	LastSeen        time.Time
	OfflineAt       time.Time // LastSeen + OfflineAfter report intervals
	Version         string
	SettingsVersion int64
	ReportInterval  int
	Dropped         uint64 // added to the total
	Hostname        string // from the report's inventory; "" keeps the agent's
}

// Store keeps assets, agents, enrollment tokens, inventories, changes and
// fleet settings. Methods that take a scope filter by it in their query: a
// row of a client the scope cannot see is fault.ErrNotFound.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// Of package client, to check links.
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
	Site(ctx context.Context, s tenant.Scope, id int64) (client.Site, error)
	Sites(ctx context.Context, s tenant.Scope, clientID int64) ([]client.Site, error)
	Contact(ctx context.Context, s tenant.Scope, id int64) (client.Contact, error)
	Contacts(ctx context.Context, s tenant.Scope, f client.ContactFilter) ([]client.Contact, error)

	CreateAsset(ctx context.Context, s tenant.Scope, a *Asset) error
	// UpdateAsset writes every field but the vitals and the creation time.
	UpdateAsset(ctx context.Context, s tenant.Scope, a *Asset) error
	// DeleteAsset removes an asset with its agent, inventory and changes;
	// its children lose their parent.
	DeleteAsset(ctx context.Context, s tenant.Scope, id int64) error
	// Asset returns one asset with its agent (Status left empty) and vitals.
	Asset(ctx context.Context, s tenant.Scope, id int64) (Asset, error)
	Assets(ctx context.Context, s tenant.Scope, f Filter) ([]Asset, error)
	CountAssets(ctx context.Context, s tenant.Scope, f Filter) (int, error)
	// AssetsNamed returns a client's assets of that exact name.
	AssetsNamed(ctx context.Context, s tenant.Scope, clientID int64, name string) ([]Asset, error)
	SetVitals(ctx context.Context, assetID int64, v Vitals) error

	// Inventory returns an asset's last inventory, nil when none.
	Inventory(ctx context.Context, assetID int64) (*Inventory, error)
	SaveInventory(ctx context.Context, clientID, assetID int64, inv *Inventory) error
	AddChanges(ctx context.Context, cs []Change) error
	Changes(ctx context.Context, s tenant.Scope, f ChangeFilter) ([]Change, error)

	CreateEnrollToken(ctx context.Context, t *EnrollToken, hash string) error
	EnrollTokens(ctx context.Context, s tenant.Scope, clientID int64) ([]EnrollToken, error)
	EnrollToken(ctx context.Context, s tenant.Scope, id int64) (EnrollToken, error)
	EnrollTokenByHash(ctx context.Context, hash string) (EnrollToken, error)
	// UseEnrollToken counts one use, unless the token has no use left
	// (then fault.ErrConflict).
	UseEnrollToken(ctx context.Context, id int64) error
	RevokeEnrollToken(ctx context.Context, id int64, at time.Time) error

	CreateAgent(ctx context.Context, ag *Agent, hash string) error
	// ReenrollAgent gives an agent a new secret and identity, unrevoked,
	// with its sequence numbers starting again.
	ReenrollAgent(ctx context.Context, ag *Agent, hash string) error
	Agent(ctx context.Context, s tenant.Scope, id int64) (Agent, error)
	AgentByMachine(ctx context.Context, clientID int64, machineID string) (Agent, error)
	AgentBySecret(ctx context.Context, hash string) (Agent, error)
	RevokeAgent(ctx context.Context, id int64, at time.Time) error
	// ClaimReport applies u to an unrevoked agent whose last sequence number
	// is below u.Seq and reports whether it did.
	ClaimReport(ctx context.Context, agentID int64, u AgentUpdate) (bool, error)

	// FleetSettings returns a client's agent settings; found is false when
	// the client has none saved.
	FleetSettings(ctx context.Context, clientID int64) (st agentproto.Settings, found bool, err error)
	// SaveFleetSettings stores a client's settings and raises the report
	// interval of its agents to the new one (the lower one counts once they
	// run it).
	SaveFleetSettings(ctx context.Context, clientID int64, st agentproto.Settings) error
}

// Options adjust a Service.
type Options struct {
	// Now is the clock; nil for time.Now.
	Now func() time.Time
	// Log receives warnings; nil discards them.
	Log *slog.Logger
	// AgentVersion is the version of vigie-agent this server ships: an
	// agent running another one is out of date.
	AgentVersion string
}

// Service applies the rules of the fleet.
type Service struct {
	store        Store
	journal      *audit.Journal
	metrics      *metric.Service
	now          func() time.Time
	log          *slog.Logger
	agentVersion string
	checks       CheckSource // nil: agents run no check
}

// NewService returns a Service. metrics may be nil (no samples are stored).
func NewService(store Store, journal *audit.Journal, metrics *metric.Service, opts Options) *Service {
	svc := &Service{store: store, journal: journal, metrics: metrics, now: opts.Now, log: opts.Log, agentVersion: opts.AgentVersion}
	if svc.now == nil {
		svc.now = time.Now
	}
	if svc.log == nil {
		svc.log = slog.New(slog.DiscardHandler)
	}
	return svc
}

// AgentVersion is the agent version this server ships.
func (svc *Service) AgentVersion() string { return svc.agentVersion }

// PageLimit clamps a requested page size to 1..500, 50 by default.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
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

// Create adds an asset to a client.
func (svc *Service) Create(ctx context.Context, s tenant.Scope, a *Asset) error {
	if !s.CanOn(tenant.AssetWrite, a.ClientID) {
		return fault.ErrForbidden
	}
	a.ID = 0
	a.OS, a.OSName, a.Hostname, a.Agent, a.Vitals = "", "", "", nil, nil
	if err := a.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, a.ClientID); err != nil {
			return err
		}
		if err := svc.checkLinks(ctx, s, a); err != nil {
			return err
		}
		if err := svc.store.CreateAsset(ctx, s, a); err != nil {
			return fmt.Errorf("create asset: %w", err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &a.ClientID, Action: "asset.create", Object: audit.Object("asset", a.ID), Summary: string(a.Kind) + " " + a.Name})
	})
}

// Update changes an asset's editable fields; its client, and what its agent
// reports (OS, hostname), cannot change.
func (svc *Service) Update(ctx context.Context, s tenant.Scope, a *Asset) error {
	if err := a.Normalize(); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Asset(ctx, s, a.ID)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.AssetWrite, old.ClientID) {
			return fault.ErrForbidden
		}
		a.ClientID, a.OS, a.OSName, a.Hostname, a.Created = old.ClientID, old.OS, old.OSName, old.Hostname, old.Created
		if err := svc.checkLinks(ctx, s, a); err != nil {
			return err
		}
		if err := svc.store.UpdateAsset(ctx, s, a); err != nil {
			return fmt.Errorf("update asset %d: %w", a.ID, err)
		}
		a.Agent, a.Vitals = old.Agent, old.Vitals
		svc.fillStatus(a)
		return svc.record(ctx, audit.Entry{ClientID: &a.ClientID, Action: "asset.update", Object: audit.Object("asset", a.ID), Summary: auditDiff(old, *a)})
	})
}

// auditDiff compares the editable fields of two versions of an asset.
func auditDiff(old, new Asset) string {
	old.Agent, old.Vitals, new.Agent, new.Vitals = nil, nil, nil, nil
	return audit.Diff(old, new)
}

// Delete removes an asset, its agent, inventory, change history and metrics.
func (svc *Service) Delete(ctx context.Context, s tenant.Scope, id int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.store.Asset(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.AssetWrite, old.ClientID) {
			return fault.ErrForbidden
		}
		if svc.metrics != nil {
			if err := svc.metrics.DeleteAsset(ctx, id); err != nil {
				return fmt.Errorf("delete metrics of asset %d: %w", id, err)
			}
		}
		if err := svc.store.DeleteAsset(ctx, s, id); err != nil {
			return fmt.Errorf("delete asset %d: %w", id, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &old.ClientID, Action: "asset.delete", Object: audit.Object("asset", id), Summary: string(old.Kind) + " " + old.Name})
	})
}

func (svc *Service) fillStatus(a *Asset) {
	if a.Agent != nil {
		a.Agent.Status = a.Agent.StatusAt(svc.now())
	}
}

// Get returns one asset with its agent and vitals.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (Asset, error) {
	if !s.Can(tenant.AssetRead) {
		return Asset{}, fault.ErrForbidden
	}
	a, err := svc.store.Asset(ctx, s, id)
	if err != nil {
		return Asset{}, err
	}
	svc.fillStatus(&a)
	return a, nil
}

func (svc *Service) filter(s tenant.Scope, f *Filter) error {
	if !s.Can(tenant.AssetRead) {
		return fault.ErrForbidden
	}
	if f.ClientID != 0 && !s.CanSee(f.ClientID) {
		return fault.ErrNotFound
	}
	f.Now = svc.now().UTC()
	f.AgentVersion = svc.agentVersion
	return nil
}

// List returns the assets the scope sees, filtered, by id after the cursor.
func (svc *Service) List(ctx context.Context, s tenant.Scope, f Filter) ([]Asset, error) {
	if err := svc.filter(s, &f); err != nil {
		return nil, err
	}
	f.Limit = PageLimit(f.Limit)
	out, err := svc.store.Assets(ctx, s, f)
	if err != nil {
		return nil, err
	}
	for i := range out {
		svc.fillStatus(&out[i])
	}
	return out, nil
}

// Count returns how many assets match a filter (its cursor and limit aside).
func (svc *Service) Count(ctx context.Context, s tenant.Scope, f Filter) (int, error) {
	if err := svc.filter(s, &f); err != nil {
		return 0, err
	}
	f.After, f.Limit = 0, 0
	return svc.store.CountAssets(ctx, s, f)
}

// Inventory returns an asset's last inventory; nil, nil when none came.
func (svc *Service) Inventory(ctx context.Context, s tenant.Scope, assetID int64) (*Inventory, error) {
	if _, err := svc.Get(ctx, s, assetID); err != nil {
		return nil, err
	}
	return svc.store.Inventory(ctx, assetID)
}

// Changes returns inventory changes, newest first: of one asset, one
// client or every client the scope sees.
func (svc *Service) Changes(ctx context.Context, s tenant.Scope, f ChangeFilter) ([]Change, error) {
	if !s.Can(tenant.AssetRead) {
		return nil, fault.ErrForbidden
	}
	if f.AssetID != 0 {
		if _, err := svc.store.Asset(ctx, s, f.AssetID); err != nil {
			return nil, err
		}
	}
	if f.ClientID != 0 && !s.CanSee(f.ClientID) {
		return nil, fault.ErrNotFound
	}
	f.Limit = PageLimit(f.Limit)
	return svc.store.Changes(ctx, s, f)
}

// Metrics returns an asset's metric series over a range (see metric.Query).
func (svc *Service) Metrics(ctx context.Context, s tenant.Scope, q metric.Query) ([]metric.Result, error) {
	if _, err := svc.Get(ctx, s, q.AssetID); err != nil {
		return nil, err
	}
	if svc.metrics == nil {
		return nil, nil
	}
	return svc.metrics.Query(ctx, s, q)
}

// Series lists the metric series an asset has.
func (svc *Service) Series(ctx context.Context, s tenant.Scope, assetID int64) ([]metric.Series, error) {
	if _, err := svc.Get(ctx, s, assetID); err != nil {
		return nil, err
	}
	if svc.metrics == nil {
		return nil, nil
	}
	return svc.metrics.SeriesOf(ctx, s, assetID)
}

// Settings returns a client's agent settings (the defaults until saved).
func (svc *Service) Settings(ctx context.Context, s tenant.Scope, clientID int64) (agentproto.Settings, error) {
	if !s.Can(tenant.AssetRead) {
		return agentproto.Settings{}, fault.ErrForbidden
	}
	if !s.CanSee(clientID) {
		return agentproto.Settings{}, fault.ErrNotFound
	}
	if _, err := svc.store.Client(ctx, s, clientID); err != nil {
		return agentproto.Settings{}, err
	}
	return svc.settings(ctx, clientID)
}

func (svc *Service) settings(ctx context.Context, clientID int64) (agentproto.Settings, error) {
	st, found, err := svc.store.FleetSettings(ctx, clientID)
	if err != nil {
		return agentproto.Settings{}, fmt.Errorf("load fleet settings of client %d: %w", clientID, err)
	}
	if !found {
		return agentproto.DefaultSettings(), nil
	}
	return st, nil
}

// UpdateSettings validates and saves a client's agent settings under the
// next version; agents fetch them when their next report is acknowledged.
func (svc *Service) UpdateSettings(ctx context.Context, s tenant.Scope, clientID int64, st agentproto.Settings) error {
	if !s.CanSee(clientID) {
		return fault.ErrNotFound
	}
	if !s.CanOn(tenant.AgentAdmin, clientID) {
		return fault.ErrForbidden
	}
	if err := ValidateSettings(&st); err != nil {
		return err
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, clientID); err != nil {
			return err
		}
		cur, err := svc.settings(ctx, clientID)
		if err != nil {
			return err
		}
		st.Version = cur.Version + 1
		if err := svc.store.SaveFleetSettings(ctx, clientID, st); err != nil {
			return fmt.Errorf("save fleet settings of client %d: %w", clientID, err)
		}
		cur.Version = st.Version
		return svc.record(ctx, audit.Entry{ClientID: &clientID, Action: "fleet.settings", Object: audit.Object("client", clientID), Summary: audit.Diff(cur, st)})
	})
}

// Bounds of agent settings.
const (
	MinMetricInterval    = 10
	MaxMetricInterval    = 3600
	MaxReportInterval    = 86400
	MinInventoryInterval = 600
	MaxInventoryInterval = 7 * 86400
	MinSpoolBytes        = 1 << 20
	MaxSpoolBytes        = 1 << 30
)

// Collectors are the collectors an agent can turn off.
var Collectors = []string{agentproto.CollectorSoftware, agentproto.CollectorSMART, agentproto.CollectorUsers, agentproto.CollectorDisks, agentproto.CollectorNet}

// ValidateSettings checks agent settings; zero values take the defaults.
func ValidateSettings(st *agentproto.Settings) error {
	def := agentproto.DefaultSettings()
	if st.MetricInterval == 0 {
		st.MetricInterval = def.MetricInterval
	}
	if st.ReportInterval == 0 {
		st.ReportInterval = max(def.ReportInterval, st.MetricInterval)
	}
	if st.InventoryInterval == 0 {
		st.InventoryInterval = def.InventoryInterval
	}
	if st.SpoolBytes == 0 {
		st.SpoolBytes = def.SpoolBytes
	}
	var v fault.Invalid
	if st.MetricInterval < MinMetricInterval || st.MetricInterval > MaxMetricInterval {
		v.Add("metric_interval", "out_of_range", fmt.Sprintf("%d–%d", MinMetricInterval, MaxMetricInterval))
	}
	if st.ReportInterval < st.MetricInterval || st.ReportInterval > MaxReportInterval {
		v.Add("report_interval", "out_of_range", fmt.Sprintf("%d–%d", st.MetricInterval, MaxReportInterval))
	}
	if st.InventoryInterval < MinInventoryInterval || st.InventoryInterval > MaxInventoryInterval {
		v.Add("inventory_interval", "out_of_range", fmt.Sprintf("%d–%d", MinInventoryInterval, MaxInventoryInterval))
	}
	if st.SpoolBytes < MinSpoolBytes || st.SpoolBytes > MaxSpoolBytes {
		v.Add("spool_bytes", "out_of_range", fmt.Sprintf("%d–%d", MinSpoolBytes, MaxSpoolBytes))
	}
	for k := range st.Collectors {
		known := false
		for _, c := range Collectors {
			known = known || c == k
		}
		if !known {
			v.Add("collectors."+k, "unknown_field")
		}
	}
	if len(st.Collectors) == 0 {
		st.Collectors = nil
	}
	return v.Err()
}
