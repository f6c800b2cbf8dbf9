package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ contract.Store = (*DB)(nil)

const contractCols = `c.id, c.client_id, c.reference, c.title, c.start_date, c.end_date, c.renewal, c.notice_months, c.term_months, c.state,
	c.calendar, c.targets, c.availability, c.support_mode, c.support_minutes, c.pack_start, c.onsite_per_month,
	c.report_daily, c.report_monthly, c.report_quarterly, c.report_annual, c.reversibility, c.data_protection, c.retention_years,
	c.perimeter_kinds, c.created_at, c.updated_at`

// dateText is how a contract date is kept: 'YYYY-MM-DD', which sorts and
// compares in date order as text on both databases.
func dateText(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func dateTextPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dateText(*t)
}

func parseDateText(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("read date %q: %w", s, err)
	}
	return t, nil
}

func targetsJSON(ts map[sla.Priority]sla.Target) (string, error) {
	stored := make(map[string]storedTarget, len(ts))
	for p, t := range ts {
		stored[string(p)] = storedTarget{TTO: int64(t.TTO / time.Second), TTR: int64(t.TTR / time.Second)}
	}
	b, err := json.Marshal(stored)
	return string(b), err
}

func scanContract(row interface{ Scan(...any) error }) (contract.Contract, error) {
	var (
		c                       contract.Contract
		start, targets, kinds   string
		end, packStart          sql.NullString
		renewal, state, support string
	)
	err := row.Scan(&c.ID, &c.ClientID, &c.Reference, &c.Title, &start, &end, &renewal, &c.Renewal.NoticeMonths, &c.Renewal.TermMonths, &state,
		&c.Calendar, &targets, &c.Availability, &support, &c.Support.Minutes, &packStart, &c.OnSitePerMonth,
		&c.Reporting.Daily, &c.Reporting.Monthly, &c.Reporting.Quarterly, &c.Reporting.Annual, &c.Reversibility, &c.DataProtection, &c.RetentionYears,
		&kinds, &c.Created, &c.Updated)
	if err != nil {
		return contract.Contract{}, translate(err)
	}
	c.Renewal.Kind, c.State, c.Support.Mode = contract.RenewalKind(renewal), contract.State(state), contract.SupportMode(support)
	c.Reporting.Recipients = []int64{}
	c.Created, c.Updated = c.Created.UTC(), c.Updated.UTC()
	if c.Start, err = parseDateText(start); err != nil {
		return contract.Contract{}, fmt.Errorf("contract %d: %w", c.ID, err)
	}
	for _, d := range []struct {
		text sql.NullString
		dst  **time.Time
	}{{end, &c.End}, {packStart, &c.Support.PackStart}} {
		if !d.text.Valid {
			continue
		}
		t, err := parseDateText(d.text.String)
		if err != nil {
			return contract.Contract{}, fmt.Errorf("contract %d: %w", c.ID, err)
		}
		*d.dst = &t
	}
	var stored map[string]storedTarget
	if err := json.Unmarshal([]byte(targets), &stored); err != nil {
		return contract.Contract{}, fmt.Errorf("read targets of contract %d: %w", c.ID, err)
	}
	c.Targets = make(map[sla.Priority]sla.Target, len(stored))
	for p, t := range stored {
		c.Targets[sla.Priority(p)] = sla.Target{TTO: time.Duration(t.TTO) * time.Second, TTR: time.Duration(t.TTR) * time.Second}
	}
	c.Perimeter = contract.Perimeter{Kinds: []asset.Kind{}, Sites: []int64{}, Include: []int64{}, Exclude: []int64{}}
	if err := json.Unmarshal([]byte(kinds), &c.Perimeter.Kinds); err != nil {
		return contract.Contract{}, fmt.Errorf("read perimeter kinds of contract %d: %w", c.ID, err)
	}
	return c, nil
}

// contractArgs are the values of contractColumns.
func contractArgs(c *contract.Contract) ([]any, error) {
	targets, err := targetsJSON(c.Targets)
	if err != nil {
		return nil, fmt.Errorf("encode targets: %w", err)
	}
	kinds := c.Perimeter.Kinds
	if kinds == nil {
		kinds = []asset.Kind{}
	}
	kindsJSON, err := json.Marshal(kinds)
	if err != nil {
		return nil, fmt.Errorf("encode perimeter kinds: %w", err)
	}
	r := c.Reporting
	return []any{c.Reference, c.Title, dateText(c.Start), dateTextPtr(c.End), string(c.Renewal.Kind), c.Renewal.NoticeMonths, c.Renewal.TermMonths, string(c.State),
		c.Calendar, targets, c.Availability, string(c.Support.Mode), c.Support.Minutes, dateTextPtr(c.Support.PackStart), c.OnSitePerMonth,
		r.Daily, r.Monthly, r.Quarterly, r.Annual, c.Reversibility, c.DataProtection, c.RetentionYears, string(kindsJSON)}, nil
}

// contractColumns are the writable columns of contracts, in the order of
// contractArgs.
var contractColumns = []string{"reference", "title", "start_date", "end_date", "renewal", "notice_months", "term_months", "state",
	"calendar", "targets", "availability", "support_mode", "support_minutes", "pack_start", "onsite_per_month",
	"report_daily", "report_monthly", "report_quarterly", "report_annual", "reversibility", "data_protection", "retention_years", "perimeter_kinds"}

// referenceConflict names the reference in a unique violation of
// contracts, whatever the driver's wording of the (client_id, reference) key.
func referenceConflict(err error) error {
	if errors.Is(err, fault.ErrConflict) && strings.Contains(fault.ConflictField(err), "reference") {
		return fault.Conflict("reference")
	}
	return err
}

// CreateContract inserts a contract, with its perimeter and recipients, for
// a client the scope may see.
func (db *DB) CreateContract(ctx context.Context, s tenant.Scope, c *contract.Contract) error {
	vals, err := contractArgs(c)
	if err != nil {
		return err
	}
	cond, args := scopeSQL(s, "id")
	t := now()
	return db.InTx(ctx, func(ctx context.Context) error {
		id, err := db.insert(ctx, `INSERT INTO contracts (client_id, `+strings.Join(contractColumns, ", ")+`, created_at, updated_at)
			SELECT id, `+strings.TrimSuffix(strings.Repeat("?, ", len(vals)+2), ", ")+` FROM clients WHERE id = ? AND `+cond,
			append(append(vals, t, t, c.ClientID), args...)...)
		if err != nil {
			return referenceConflict(err)
		}
		if err := db.saveContractLists(ctx, id, c); err != nil {
			return err
		}
		c.ID, c.Created, c.Updated = id, t, t
		return nil
	})
}

// UpdateContract writes a contract's fields (not its client or creation
// time) and replaces its perimeter and recipients.
func (db *DB) UpdateContract(ctx context.Context, s tenant.Scope, c *contract.Contract) error {
	vals, err := contractArgs(c)
	if err != nil {
		return err
	}
	cond, args := scopeSQL(s, "client_id")
	t := now()
	set := strings.Join(contractColumns, " = ?, ") + " = ?"
	return db.InTx(ctx, func(ctx context.Context) error {
		err := affected(db.exec(ctx, `UPDATE contracts SET `+set+`, updated_at = ? WHERE id = ? AND `+cond,
			append(append(vals, t, c.ID), args...)...))
		if err != nil {
			return referenceConflict(err)
		}
		for _, table := range []string{"contract_recipients", "contract_sites", "contract_assets"} {
			if _, err := db.exec(ctx, `DELETE FROM `+table+` WHERE contract_id = ?`, c.ID); err != nil {
				return fmt.Errorf("clear %s of contract %d: %w", table, c.ID, err)
			}
		}
		if err := db.saveContractLists(ctx, c.ID, c); err != nil {
			return err
		}
		c.Updated = t
		return nil
	})
}

// saveContractLists inserts a contract's recipients, sites and explicit assets.
func (db *DB) saveContractLists(ctx context.Context, id int64, c *contract.Contract) error {
	for _, contact := range c.Reporting.Recipients {
		if _, err := db.exec(ctx, `INSERT INTO contract_recipients (contract_id, contact_id) VALUES (?, ?)`, id, contact); err != nil {
			return fmt.Errorf("add recipient %d to contract %d: %w", contact, id, err)
		}
	}
	for _, site := range c.Perimeter.Sites {
		if _, err := db.exec(ctx, `INSERT INTO contract_sites (contract_id, site_id) VALUES (?, ?)`, id, site); err != nil {
			return fmt.Errorf("add site %d to contract %d: %w", site, id, err)
		}
	}
	for _, l := range []struct {
		ids      []int64
		included bool
	}{{c.Perimeter.Include, true}, {c.Perimeter.Exclude, false}} {
		for _, a := range l.ids {
			if _, err := db.exec(ctx, `INSERT INTO contract_assets (contract_id, asset_id, included) VALUES (?, ?, ?)`, id, a, l.included); err != nil {
				return fmt.Errorf("add asset %d to contract %d: %w", a, id, err)
			}
		}
	}
	return nil
}

// DeleteContract removes a contract with its perimeter and recipients.
func (db *DB) DeleteContract(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM contracts WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Contract returns one contract the scope may see, with its perimeter and recipients.
func (db *DB) Contract(ctx context.Context, s tenant.Scope, id int64) (contract.Contract, error) {
	cond, args := scopeSQL(s, "c.client_id")
	c, err := scanContract(db.queryRow(ctx, `SELECT `+contractCols+` FROM contracts c WHERE c.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return contract.Contract{}, err
	}
	cs := []contract.Contract{c}
	if err := db.fillContractLists(ctx, cs); err != nil {
		return contract.Contract{}, err
	}
	return cs[0], nil
}

// Contracts lists a client's contracts the scope may see, by start date then id.
func (db *DB) Contracts(ctx context.Context, s tenant.Scope, clientID int64) ([]contract.Contract, error) {
	cond, args := scopeSQL(s, "c.client_id")
	rows, err := db.query(ctx, `SELECT `+contractCols+` FROM contracts c WHERE c.client_id = ? AND `+cond+` ORDER BY c.start_date, c.id`,
		append([]any{clientID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list contracts of client %d: %w", clientID, err)
	}
	cs, err := collect(rows, scanContract)
	if err != nil {
		return nil, fmt.Errorf("list contracts of client %d: %w", clientID, err)
	}
	if err := db.fillContractLists(ctx, cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// ContractInForce returns the client's active contract whose dates contain
// day: started by then, and not ended (no end date, an end date on or after
// day, or a tacit renewal). The rule is contract.Contract.CoversDay's; the
// latest start wins as in contract.InForce.
func (db *DB) ContractInForce(ctx context.Context, s tenant.Scope, clientID int64, day time.Time) (contract.Contract, error) {
	cond, args := scopeSQL(s, "c.client_id")
	d := dateText(day)
	var id int64
	err := db.queryRow(ctx, `SELECT c.id FROM contracts c WHERE c.client_id = ? AND c.state = ? AND c.start_date <= ?
		AND (c.end_date IS NULL OR c.end_date >= ? OR c.renewal = ?) AND `+cond+` ORDER BY c.start_date DESC, c.id DESC LIMIT 1`,
		append([]any{clientID, string(contract.StateActive), d, d, string(contract.RenewalTacit)}, args...)...).Scan(&id)
	if err != nil {
		return contract.Contract{}, translate(err)
	}
	return db.Contract(ctx, s, id)
}

// fillContractLists reads the recipients, sites and explicit assets of
// contracts, one query per list whatever their number.
func (db *DB) fillContractLists(ctx context.Context, cs []contract.Contract) error {
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[int64]*contract.Contract, len(cs))
	ids := make([]any, len(cs))
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
		ids[i] = cs[i].ID
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	lists := []struct {
		query string
		add   func(c *contract.Contract, id int64, included bool)
	}{
		{`SELECT contract_id, contact_id, TRUE FROM contract_recipients WHERE contract_id IN ` + in + ` ORDER BY contact_id`,
			func(c *contract.Contract, id int64, _ bool) {
				c.Reporting.Recipients = append(c.Reporting.Recipients, id)
			}},
		{`SELECT contract_id, site_id, TRUE FROM contract_sites WHERE contract_id IN ` + in + ` ORDER BY site_id`,
			func(c *contract.Contract, id int64, _ bool) { c.Perimeter.Sites = append(c.Perimeter.Sites, id) }},
		{`SELECT contract_id, asset_id, included FROM contract_assets WHERE contract_id IN ` + in + ` ORDER BY asset_id`,
			func(c *contract.Contract, id int64, included bool) {
				if included {
					c.Perimeter.Include = append(c.Perimeter.Include, id)
				} else {
					c.Perimeter.Exclude = append(c.Perimeter.Exclude, id)
				}
			}},
	}
	for _, l := range lists {
		rows, err := db.query(ctx, l.query, ids...)
		if err != nil {
			return fmt.Errorf("read contract lists: %w", err)
		}
		for rows.Next() {
			var cid, id int64
			var included bool
			if err := rows.Scan(&cid, &id, &included); err != nil {
				rows.Close()
				return fmt.Errorf("read contract lists: %w", translate(err))
			}
			if c := byID[cid]; c != nil {
				l.add(c, id, included)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read contract lists: %w", translate(err))
		}
	}
	for _, c := range byID {
		slices.Sort(c.Reporting.Recipients)
	}
	return nil
}

// LockContracts serialises the changes of a client's contracts until the
// transaction ends. SQLite transactions here are IMMEDIATE, so one writer
// at a time already holds the database; PostgreSQL locks the client's row.
func (db *DB) LockContracts(ctx context.Context, clientID int64) error {
	if db.dialect != Postgres {
		return nil
	}
	if _, ok := TxFrom(ctx); !ok {
		return errors.New("lock contracts outside a transaction")
	}
	var id int64
	return translate(db.queryRow(ctx, `SELECT id FROM clients WHERE id = ? FOR UPDATE`, clientID).Scan(&id))
}

// AssetFacts returns what the perimeter rule needs of an asset the scope
// may see: its client, kind and site.
func (db *DB) AssetFacts(ctx context.Context, s tenant.Scope, assetID int64) (contract.AssetFacts, error) {
	cond, args := scopeSQL(s, "a.client_id")
	var f contract.AssetFacts
	var site sql.NullInt64
	var siteName sql.NullString
	var kind string
	err := db.queryRow(ctx, `SELECT a.id, a.client_id, a.kind, a.site_id, st.name FROM assets a LEFT JOIN sites st ON st.id = a.site_id
		WHERE a.id = ? AND `+cond, append([]any{assetID}, args...)...).Scan(&f.ID, &f.ClientID, &kind, &site, &siteName)
	if err != nil {
		return contract.AssetFacts{}, translate(err)
	}
	f.Kind, f.SiteID, f.SiteName = asset.Kind(kind), nullID(site), siteName.String
	return f, nil
}
