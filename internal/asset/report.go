package asset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// timeUnit is the precision both databases keep.
const timeUnit = time.Microsecond

// Bounds of an inventory, far above any real machine, so that one report
// cannot fill the database.
const (
	maxInventoryItems = 20000 // software packages
	maxInventoryList  = 1000  // disks, filesystems, interfaces, addresses, users, DNS servers
	maxInventoryText  = 1000  // bytes of one text
)

// Report stores one numbered batch of an agent, exactly once: in one
// transaction it claims the sequence number, appends the samples, stores
// the inventory with its changes and updates the asset. A batch whose Seq
// the agent already had stored is acknowledged as a duplicate and stores
// nothing. A malformed or oversized report is refused whole
// (ErrReportInvalid, ErrReportTooLarge); samples older than
// agentproto.MaxPast are dropped and counted in the acknowledgement. Check
// results and job runs go to the check source in the same transaction, so
// an acknowledged report never loses them; results of checks that are no
// longer the agent's (deleted while it was offline) are left out.
func (svc *Service) Report(ctx context.Context, ag Agent, r *agentproto.Report) (agentproto.Ack, error) {
	now := svc.now().UTC().Truncate(timeUnit)
	if err := ValidateReport(r, now); err != nil {
		return agentproto.Ack{}, err
	}
	ack := agentproto.Ack{Seq: r.Seq}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		st, err := svc.agentSettings(ctx, ag)
		if err != nil {
			return err
		}
		ack.SettingsVersion = st.Version
		interval := st.ReportInterval
		if r.SettingsVersion != st.Version {
			// The agent still runs older settings: until it fetches the
			// new ones, its interval is the longer of the two.
			interval = max(interval, ag.ReportInterval)
		}
		u := AgentUpdate{
			Seq: r.Seq, LastSeen: now, OfflineAt: now.Add(OfflineAfter * time.Duration(interval) * time.Second),
			Version: clip(r.AgentVersion, 64), SettingsVersion: r.SettingsVersion, ReportInterval: interval, Dropped: r.Dropped,
		}
		if r.Inventory != nil {
			u.Hostname = clip(strings.TrimSpace(r.Inventory.Hostname), 255)
		}
		claimed, err := svc.store.ClaimReport(ctx, ag.ID, u)
		if err != nil {
			return fmt.Errorf("claim report %d of agent %d: %w", r.Seq, ag.ID, err)
		}
		if !claimed {
			cur, err := svc.store.Agent(ctx, tenant.System(), ag.ID)
			if errors.Is(err, fault.ErrNotFound) {
				return fault.ErrUnauthorized
			}
			if err != nil {
				return err
			}
			if cur.Revoked != nil {
				return fault.ErrUnauthorized
			}
			ack.Duplicate = true
			return nil
		}
		if svc.metrics != nil && len(r.Series) > 0 {
			res, err := svc.metrics.Append(ctx, ag.ClientID, ag.AssetID, r.Series, metric.AppendOptions{})
			if errors.Is(err, metric.ErrInvalid) {
				return fmt.Errorf("%w: %v", ErrReportInvalid, err)
			}
			if err != nil {
				return fmt.Errorf("append samples of agent %d: %w", ag.ID, err)
			}
			ack.Samples, ack.DroppedOld = res.Samples, res.DroppedOld
		}
		if r.Inventory != nil {
			if err := svc.storeInventory(ctx, ag, r.Inventory, now); err != nil {
				return err
			}
		}
		if err := svc.ingestChecks(ctx, ag, st.Checks, r); err != nil {
			return err
		}
		if v, ok := VitalsOf(r.Series, now); ok {
			if err := svc.store.SetVitals(ctx, ag.AssetID, v); err != nil {
				return fmt.Errorf("set vitals of asset %d: %w", ag.AssetID, err)
			}
		}
		return nil
	})
	if err != nil {
		return agentproto.Ack{}, err
	}
	return ack, nil
}

// ingestChecks hands a claimed report's check results and job runs to the
// check source — every claimed report, even without results: it is also
// the asset's heartbeat. Results of checks the agent no longer has are
// dropped: refusing them would refuse the samples of the report too, and
// the agent ran them in good faith.
func (svc *Service) ingestChecks(ctx context.Context, ag Agent, specs []agentproto.CheckSpec, r *agentproto.Report) error {
	if svc.checks == nil {
		return nil
	}
	own := make(map[int64]bool, len(specs))
	for _, c := range specs {
		own[c.ID] = true
	}
	results := r.Results
	if slices.ContainsFunc(results, func(c agentproto.CheckResult) bool { return !own[c.CheckID] }) {
		results = make([]agentproto.CheckResult, 0, len(r.Results))
		for _, c := range r.Results {
			if own[c.CheckID] {
				results = append(results, c)
			}
		}
		svc.log.Info("check results of checks the agent no longer has dropped", "agent", ag.ID, "asset", ag.AssetID,
			"dropped", len(r.Results)-len(results))
	}
	if err := svc.checks.IngestAgent(ctx, ag.AssetID, results, r.Jobs); err != nil {
		// %v, not %w: whatever its kind, a failure here is the server's,
		// and the agent must send the report again rather than drop it as
		// invalid (its results were validated above).
		return fmt.Errorf("ingest %d check results and %d job runs of asset %d: %v", len(results), len(r.Jobs), ag.AssetID, err)
	}
	return nil
}

// storeInventory keeps a new inventory, records how it differs from the
// previous one and updates the asset from it.
func (svc *Service) storeInventory(ctx context.Context, ag Agent, inv *Inventory, now time.Time) error {
	old, err := svc.store.Inventory(ctx, ag.AssetID)
	if err != nil {
		return fmt.Errorf("load inventory of asset %d: %w", ag.AssetID, err)
	}
	if old != nil {
		cs := Diff(old, inv)
		for i := range cs {
			cs[i].ClientID, cs[i].AssetID, cs[i].At = ag.ClientID, ag.AssetID, now
		}
		if len(cs) > 0 {
			if err := svc.store.AddChanges(ctx, cs); err != nil {
				return fmt.Errorf("add changes of asset %d: %w", ag.AssetID, err)
			}
		}
	}
	if err := svc.store.SaveInventory(ctx, ag.ClientID, ag.AssetID, inv); err != nil {
		return fmt.Errorf("save inventory of asset %d: %w", ag.AssetID, err)
	}
	a, err := svc.store.Asset(ctx, tenant.System(), ag.AssetID)
	if err != nil {
		return fmt.Errorf("load asset %d: %w", ag.AssetID, err)
	}
	before := a
	before.Fields = cloneFields(a.Fields)
	applyInventory(&a, inv)
	if old == nil && (a.Kind == KindServer || a.Kind == KindWorkstation) {
		// The first inventory names the platform (Windows Server or not),
		// which enrollment did not know; a kind changed later by hand stays.
		a.Kind = GuessKind(inv.OS, inv.Platform)
	}
	if auditDiff(before, a) == "no change" {
		return nil
	}
	if err := svc.store.UpdateAsset(ctx, tenant.System(), &a); err != nil {
		return fmt.Errorf("update asset %d from its inventory: %w", a.ID, err)
	}
	return svc.record(ctx, audit.Entry{ClientID: &a.ClientID, ActorName: "agent " + ag.Hostname, Action: "asset.inventory",
		Object: audit.Object("asset", a.ID), Summary: auditDiff(before, a)})
}

func cloneFields(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// applyInventory updates what an asset shows of its inventory: OS, name of
// the OS, hostname (and the name, when it was the hostname), and the
// manufacturer, model and serial number fields of its kind.
func applyInventory(a *Asset, inv *Inventory) {
	a.OS = clip(inv.OS, 32)
	a.OSName = clip(strings.TrimSpace(inv.Platform+" "+inv.OSVersion), 200)
	if h := clip(strings.TrimSpace(inv.Hostname), 200); h != "" && h != a.Hostname {
		if a.Name == a.Hostname || a.Name == "" {
			a.Name = h
		}
		a.Hostname = h
	}
	if a.Fields == nil {
		a.Fields = map[string]string{}
	}
	for key, val := range map[string]string{"manufacturer": inv.Manufacturer, "model": inv.Model, "serial": inv.Serial} {
		if _, ok := a.Kind.Field(key); ok && strings.TrimSpace(val) != "" {
			a.Fields[key] = clip(strings.TrimSpace(val), 500)
		}
	}
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ValidateReport checks a report before anything is stored: sizes within
// agentproto's limits (ErrReportTooLarge), series well formed, no sample
// more than agentproto.MaxFuture ahead of now, inventory within bounds
// (ErrReportInvalid). Old samples are not refused here: the metric store
// drops and counts them.
func ValidateReport(r *agentproto.Report, now time.Time) error {
	if r == nil {
		return fmt.Errorf("%w: empty report", ErrReportInvalid)
	}
	if r.Seq == 0 {
		return fmt.Errorf("%w: seq must be at least 1", ErrReportInvalid)
	}
	if len(r.Series) > agentproto.MaxSeriesPerReport {
		return fmt.Errorf("%w: %d series, at most %d", ErrReportTooLarge, len(r.Series), agentproto.MaxSeriesPerReport)
	}
	samples := 0
	limit := now.Add(agentproto.MaxFuture).UnixMilli()
	for i, s := range r.Series {
		samples += len(s.T)
		if samples > agentproto.MaxSamplesPerReport {
			return fmt.Errorf("%w: more than %d samples", ErrReportTooLarge, agentproto.MaxSamplesPerReport)
		}
		if s.Name == "" || len(s.Name) > 200 || !utf8.ValidString(s.Name) {
			return fmt.Errorf("%w: series %d has no valid name", ErrReportInvalid, i)
		}
		if len(s.Labels) > 16 {
			return fmt.Errorf("%w: series %s has %d labels, at most 16", ErrReportInvalid, s.Name, len(s.Labels))
		}
		for k, v := range s.Labels {
			if k == "" || len(k) > 100 || len(v) > 500 || !utf8.ValidString(k) || !utf8.ValidString(v) {
				return fmt.Errorf("%w: series %s has an invalid label", ErrReportInvalid, s.Name)
			}
		}
		if len(s.T) != len(s.V) {
			return fmt.Errorf("%w: series %s has %d timestamps and %d values", ErrReportInvalid, s.Name, len(s.T), len(s.V))
		}
		for j, t := range s.T {
			if j > 0 && t <= s.T[j-1] {
				return fmt.Errorf("%w: series %s: timestamps not strictly increasing at sample %d", ErrReportInvalid, s.Name, j)
			}
			if t > limit {
				return fmt.Errorf("%w: series %s: sample at %s is more than %s ahead of the server's clock (%s)", ErrReportInvalid, s.Name,
					time.UnixMilli(t).UTC().Format(time.RFC3339), agentproto.MaxFuture, now.Format(time.RFC3339))
			}
			if v := s.V[j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: series %s: sample %d is not a finite number", ErrReportInvalid, s.Name, j)
			}
		}
	}
	if inv := r.Inventory; inv != nil {
		if err := validateInventory(inv); err != nil {
			return fmt.Errorf("%w: inventory: %v", ErrReportInvalid, err)
		}
	}
	return validateChecks(r, now)
}

// maxPerfItems bounds the performance data of one check result.
const maxPerfItems = 200

// validateChecks checks a report's check results and job runs: within
// agentproto's limits, states 0–3, outputs of valid UTF-8 within
// agentproto.MaxCheckOutput, times set and not ahead of the server's clock.
func validateChecks(r *agentproto.Report, now time.Time) error {
	if len(r.Results) > agentproto.MaxResultsPerReport {
		return fmt.Errorf("%w: %d check results, at most %d", ErrReportTooLarge, len(r.Results), agentproto.MaxResultsPerReport)
	}
	if len(r.Jobs) > agentproto.MaxJobsPerReport {
		return fmt.Errorf("%w: %d job runs, at most %d", ErrReportTooLarge, len(r.Jobs), agentproto.MaxJobsPerReport)
	}
	limit := now.Add(agentproto.MaxFuture)
	for i, c := range r.Results {
		switch {
		case c.CheckID <= 0:
			return fmt.Errorf("%w: check result %d has no check id", ErrReportInvalid, i)
		case c.State < 0 || c.State > 3:
			return fmt.Errorf("%w: check result %d (check %d): state %d, want 0–3", ErrReportInvalid, i, c.CheckID, c.State)
		case c.At.IsZero() || c.At.After(limit):
			return fmt.Errorf("%w: check result %d (check %d): time %s is missing or more than %s ahead of the server's clock", ErrReportInvalid, i, c.CheckID,
				c.At.UTC().Format(time.RFC3339), agentproto.MaxFuture)
		case len(c.Output) > agentproto.MaxCheckOutput || !utf8.ValidString(c.Output):
			return fmt.Errorf("%w: check result %d (check %d): output not valid UTF-8 of at most %d bytes", ErrReportInvalid, i, c.CheckID, agentproto.MaxCheckOutput)
		case len(c.Perf) > maxPerfItems:
			return fmt.Errorf("%w: check result %d (check %d): %d performance data, at most %d", ErrReportInvalid, i, c.CheckID, len(c.Perf), maxPerfItems)
		}
		for k, v := range c.Perf {
			if k == "" || len(k) > 128 || !utf8.ValidString(k) || math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: check result %d (check %d): invalid performance data %q", ErrReportInvalid, i, c.CheckID, clip(k, 50))
			}
		}
	}
	for i, j := range r.Jobs {
		switch {
		case strings.TrimSpace(j.Name) == "" || len(j.Name) > 200 || !utf8.ValidString(j.Name):
			return fmt.Errorf("%w: job run %d has no valid name", ErrReportInvalid, i)
		case j.Start.IsZero() || j.End.Before(j.Start) || j.End.After(limit):
			return fmt.Errorf("%w: job run %d (%s): start and end out of order or ahead of the server's clock", ErrReportInvalid, i, clip(j.Name, 50))
		case len(j.Output) > agentproto.MaxCheckOutput || !utf8.ValidString(j.Output):
			return fmt.Errorf("%w: job run %d (%s): output not valid UTF-8 of at most %d bytes", ErrReportInvalid, i, clip(j.Name, 50), agentproto.MaxCheckOutput)
		}
	}
	return nil
}

func validateInventory(inv *Inventory) error {
	lists := map[string]int{"disks": len(inv.Disks), "filesystems": len(inv.Filesystems), "interfaces": len(inv.Interfaces), "users": len(inv.Users), "dns": len(inv.DNS)}
	for name, n := range lists {
		if n > maxInventoryList {
			return fmt.Errorf("%d %s, at most %d", n, name, maxInventoryList)
		}
	}
	if len(inv.Software) > maxInventoryItems {
		return fmt.Errorf("%d software packages, at most %d", len(inv.Software), maxInventoryItems)
	}
	texts := []string{inv.Hostname, inv.Domain, inv.OS, inv.Platform, inv.OSVersion, inv.Kernel, inv.Arch, inv.TimeZone, inv.Manufacturer,
		inv.Model, inv.Serial, inv.CPUModel, inv.Gateway, inv.AgentVersion}
	for _, d := range inv.Disks {
		texts = append(texts, d.Name, d.Model, d.Serial, d.SMART)
	}
	for _, f := range inv.Filesystems {
		texts = append(texts, f.Mount, f.Type)
	}
	for _, n := range inv.Interfaces {
		if len(n.Addresses) > maxInventoryList {
			return fmt.Errorf("interface %q has %d addresses", clip(n.Name, 50), len(n.Addresses))
		}
		texts = append(texts, n.Name, n.MAC)
		texts = append(texts, n.Addresses...)
	}
	for _, s := range inv.Software {
		texts = append(texts, s.Name, s.Version, s.Publisher, s.Source)
	}
	texts = append(texts, inv.DNS...)
	texts = append(texts, inv.Users...)
	for _, t := range texts {
		if len(t) > maxInventoryText {
			return fmt.Errorf("a text of %d bytes, at most %d", len(t), maxInventoryText)
		}
		if !utf8.ValidString(t) {
			return errors.New("a text is not valid UTF-8")
		}
	}
	if inv.CPUCores < 0 || inv.CPUThreads < 0 {
		return errors.New("negative CPU count")
	}
	return nil
}

// VitalsOf returns the latest CPU, memory and file-system figures of a
// report's series; ok is false when it has none of them. The fullest file
// system is the one with the highest used share; FSMinFree is its free bytes.
func VitalsOf(series []agentproto.Series, now time.Time) (Vitals, bool) {
	var v Vitals
	found := false
	var latest int64
	last := func(s agentproto.Series) (float64, bool) {
		if len(s.V) == 0 {
			return 0, false
		}
		if t := s.T[len(s.T)-1]; t > latest {
			latest = t
		}
		return s.V[len(s.V)-1], true
	}
	free := map[string]float64{}
	used := map[string]float64{}
	for _, s := range series {
		x, ok := last(s)
		if !ok {
			continue
		}
		switch s.Name {
		case agentproto.MetricCPU:
			v.CPUPercent, found = x, true
		case agentproto.MetricMemory:
			v.MemoryPercent, found = x, true
		case agentproto.MetricFSUsed:
			used[s.Labels["mount"]] = x
		case agentproto.MetricFSFree:
			free[s.Labels["mount"]] = x
		}
	}
	v.FSMaxPercent = -1
	for mount, pct := range used {
		if pct > v.FSMaxPercent || (pct == v.FSMaxPercent && mount < v.FSMaxMount) {
			v.FSMaxPercent, v.FSMaxMount = pct, mount
		}
	}
	if v.FSMaxMount != "" || len(used) > 0 {
		found = true
		if f, ok := free[v.FSMaxMount]; ok && f > 0 {
			v.FSMinFree = uint64(f)
		} else if !ok {
			v.FSMinFree = math.MaxInt64
		}
		if v.FSMaxMount == "" {
			v.FSMaxMount = "/"
		}
	} else {
		v.FSMaxPercent = 0
	}
	if !found {
		return Vitals{}, false
	}
	v.At = now
	if latest > 0 {
		v.At = time.UnixMilli(latest).UTC()
	}
	return v, true
}
