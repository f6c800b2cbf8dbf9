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

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ supervision.Store = Supervision{}

// Supervision is the database as a supervision.Store: *DB with the
// supervision's Events (the helpdesk's Events, a ticket's timeline, holds the
// name on *DB). Every other method is *DB's.
type Supervision struct{ *DB }

// Supervision returns the database as a supervision.Store.
func (db *DB) Supervision() Supervision { return Supervision{db} }

// Events lists check events (see DB.CheckEvents).
func (s Supervision) Events(ctx context.Context, sc tenant.Scope, f supervision.EventFilter) ([]supervision.Event, error) {
	return s.CheckEvents(ctx, sc, f)
}

// scanner is a row or rows being scanned.
type scanner = interface{ Scan(...any) error }

// ---- assets -------------------------------------------------------------

// assetRefSelect reads an asset with its unrevoked agent and its client's time zone.
const assetRefSelect = `SELECT a.id, a.client_id, a.site_id, a.parent_id, a.name, a.kind, COALESCE(NULLIF(a.os, ''), ag.os, ''), a.tags, a.criticality,
	ag.id, ag.last_seen_at, ag.report_interval, cl.time_zone
	FROM assets a JOIN clients cl ON cl.id = a.client_id LEFT JOIN agents ag ON ag.asset_id = a.id AND ag.revoked_at IS NULL`

func scanAssetRef(row scanner) (supervision.AssetRef, error) {
	var r supervision.AssetRef
	var site, parent, agentID, interval sql.NullInt64
	var lastSeen sql.NullTime
	var tags string
	if err := row.Scan(&r.ID, &r.ClientID, &site, &parent, &r.Name, &r.Kind, &r.OS, &tags, &r.Criticality,
		&agentID, &lastSeen, &interval, &r.TimeZone); err != nil {
		return r, translate(err)
	}
	r.SiteID, r.ParentID = site.Int64, parent.Int64
	r.Tags = splitTags(tags)
	r.HasAgent = agentID.Valid
	if lastSeen.Valid {
		r.LastSeen = lastSeen.Time.UTC()
	}
	r.ReportInterval = int(interval.Int64)
	return r, nil
}

// AssetRef returns what supervision needs of an asset the scope may see.
func (db *DB) AssetRef(ctx context.Context, s tenant.Scope, id int64) (supervision.AssetRef, error) {
	cond, args := scopeSQL(s, "a.client_id")
	return scanAssetRef(db.queryRow(ctx, assetRefSelect+` WHERE a.id = ? AND `+cond, append([]any{id}, args...)...))
}

// AssetRefs returns every asset, by id.
func (db *DB) AssetRefs(ctx context.Context) ([]supervision.AssetRef, error) {
	rows, err := db.query(ctx, assetRefSelect+` ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("list asset refs: %w", err)
	}
	return collect(rows, scanAssetRef)
}

// TemplateAssets returns the assets a template matches: of its client (every
// client for a global template), of its kind, OS and tag when set.
func (db *DB) TemplateAssets(ctx context.Context, t supervision.Template) ([]supervision.AssetRef, error) {
	var where []string
	var args []any
	if t.ClientID != nil {
		where, args = append(where, "a.client_id = ?"), append(args, *t.ClientID)
	}
	if t.MatchKind != "" {
		where, args = append(where, "a.kind = ?"), append(args, t.MatchKind)
	}
	if t.MatchOS != "" {
		where, args = append(where, "COALESCE(NULLIF(a.os, ''), ag.os, '') = ?"), append(args, t.MatchOS)
	}
	if t.MatchTag != "" {
		where, args = append(where, tagCond("a.tags")), append(args, tagPattern(t.MatchTag))
	}
	q := assetRefSelect
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := db.query(ctx, q+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list assets of template %d: %w", t.ID, err)
	}
	return collect(rows, scanAssetRef)
}

// tagCond is the condition that a tags column holds the tag of a tagPattern argument.
func tagCond(column string) string { return column + ` LIKE ? ESCAPE '\'` }

// tagPattern is the LIKE pattern of one tag in a tags column (",a,b,").
func tagPattern(tag string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%," + r.Replace(normTag(tag)) + ",%"
}

func normTag(t string) string { return strings.ToLower(strings.TrimSpace(t)) }

// joinTags returns the stored form of tags: lower case, sorted, without
// duplicates, between commas (",prod,web,"); "" for none.
func joinTags(tags []string) (string, error) {
	var out []string
	for _, t := range tags {
		t = normTag(t)
		if t == "" {
			continue
		}
		if strings.Contains(t, ",") {
			v := &fault.Invalid{}
			v.Add("tags", "invalid", t)
			return "", v
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return "", nil
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return "," + strings.Join(out, ",") + ",", nil
}

func splitTags(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// SetAssetTags replaces the tags of an asset the scope may see. A tag holding
// a comma is refused.
func (db *DB) SetAssetTags(ctx context.Context, s tenant.Scope, assetID int64, tags []string) error {
	stored, err := joinTags(tags)
	if err != nil {
		return err
	}
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `UPDATE assets SET tags = ?, updated_at = ? WHERE id = ? AND `+cond, append([]any{stored, now(), assetID}, args...)...))
}

// ---- checks -------------------------------------------------------------

const checkCols = `c.id, c.client_id, c.asset_id, c.name, c.kind, c.params, c.check_interval, c.retry_interval, c.max_attempts, c.recover_after,
	c.severity, c.ticket_mode, c.runner_asset_id, c.template_id, c.enabled, c.push_token, c.created_at, c.updated_at`

// checkRow scans checkCols.
type checkRow struct {
	c              supervision.Check
	params         string
	runner, tmpl   sql.NullInt64
	token          sql.NullString
	kind, sev, tkt string
}

func (r *checkRow) dest() []any {
	c := &r.c
	return []any{&c.ID, &c.ClientID, &c.AssetID, &c.Name, &r.kind, &r.params, &c.Interval, &c.RetryInterval, &c.MaxAttempts, &c.RecoverAfter,
		&r.sev, &r.tkt, &r.runner, &r.tmpl, &c.Enabled, &r.token, &c.CreatedAt, &c.UpdatedAt}
}

func (r *checkRow) value() (supervision.Check, error) {
	c := r.c
	c.Kind, c.Severity, c.Ticket = supervision.Kind(r.kind), supervision.Severity(r.sev), supervision.TicketMode(r.tkt)
	c.RunnerAssetID, c.TemplateID = nullID(r.runner), nullID(r.tmpl)
	c.PushToken = r.token.String
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(r.params), &c.Params); err != nil {
		return c, fmt.Errorf("decode params of check %d: %w", c.ID, err)
	}
	return c, nil
}

func scanCheck(row scanner) (supervision.Check, error) {
	var r checkRow
	if err := row.Scan(r.dest()...); err != nil {
		return supervision.Check{}, translate(err)
	}
	return r.value()
}

func paramsJSON(p supervision.Params) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode check params: %w", err)
	}
	return string(b), nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// agentAssets returns the assets whose agent runs a check of this kind on
// assetID with this runner: the asset itself for a local check, the runner
// for a probe or backup job it was chosen for.
func agentAssets(kind supervision.Kind, assetID int64, runner *int64) []int64 {
	var out []int64
	if kind.Local() {
		out = append(out, assetID)
	}
	if runner != nil && *runner != 0 {
		out = append(out, *runner)
	}
	return out
}

// bumpVersions raises the check-set version of each asset's agent.
func (db *DB) bumpVersions(ctx context.Context, assetIDs []int64) error {
	slices.Sort(assetIDs)
	for _, id := range slices.Compact(assetIDs) {
		if _, err := db.exec(ctx, `INSERT INTO check_versions (asset_id, version) SELECT id, 1 FROM assets WHERE id = ?
			ON CONFLICT (asset_id) DO UPDATE SET version = check_versions.version + 1`, id); err != nil {
			return fmt.Errorf("raise check version of asset %d: %w", id, err)
		}
	}
	return nil
}

// runnerCond keeps a runner of the check's own client; "" without runner.
func runnerCond(runner *int64) (string, []any) {
	if runner == nil {
		return "", nil
	}
	return ` AND EXISTS (SELECT 1 FROM assets r WHERE r.id = ? AND r.client_id = a.client_id)`, []any{*runner}
}

// CreateCheck inserts a check on an asset the scope may see (its client is
// the asset's) with its pending status. A runner must be an asset of the same
// client, a template global or of that client: else fault.ErrNotFound.
func (db *DB) CreateCheck(ctx context.Context, s tenant.Scope, c *supervision.Check) error {
	params, err := paramsJSON(c.Params)
	if err != nil {
		return err
	}
	cond, args := scopeSQL(s, "a.client_id")
	extra, extraArgs := runnerCond(c.RunnerAssetID)
	if c.TemplateID != nil {
		extra += ` AND EXISTS (SELECT 1 FROM check_templates t WHERE t.id = ? AND (t.client_id IS NULL OR t.client_id = a.client_id))`
		extraArgs = append(extraArgs, *c.TemplateID)
	}
	if c.ClientID != 0 {
		extra += ` AND a.client_id = ?`
		extraArgs = append(extraArgs, c.ClientID)
	}
	t := now()
	return db.InTx(ctx, func(ctx context.Context) error {
		var id, clientID int64
		err := db.q(ctx).QueryRowContext(ctx, db.rebind(`INSERT INTO checks (client_id, asset_id, name, search, kind, params, check_interval, retry_interval, max_attempts, recover_after,
			severity, ticket_mode, runner_asset_id, template_id, enabled, push_token, created_at, updated_at)
			SELECT a.client_id, a.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM assets a WHERE a.id = ? AND `+cond+extra+` RETURNING id, client_id`),
			append(append([]any{c.Name, fold(c.Name), string(c.Kind), params, c.Interval, c.RetryInterval, c.MaxAttempts, c.RecoverAfter,
				string(c.Severity), string(c.Ticket), c.RunnerAssetID, c.TemplateID, c.Enabled, nullString(c.PushToken), t, t, c.AssetID}, args...), extraArgs...)...).Scan(&id, &clientID)
		if err != nil {
			return translate(err)
		}
		if _, err := db.exec(ctx, `INSERT INTO check_status (check_id, client_id, asset_id, state, state_type, hard_state, sort_rank, data)
			VALUES (?, ?, ?, 0, 0, 0, ?, '{}')`, id, clientID, c.AssetID, rankPending); err != nil {
			return fmt.Errorf("insert status of check %d: %w", id, err)
		}
		if err := db.bumpVersions(ctx, agentAssets(c.Kind, c.AssetID, c.RunnerAssetID)); err != nil {
			return err
		}
		c.ID, c.ClientID, c.CreatedAt, c.UpdatedAt = id, clientID, t, t
		return nil
	})
}

// checkForChange reads the check a change is about (scoped).
func (db *DB) checkForChange(ctx context.Context, s tenant.Scope, id int64) (supervision.Check, error) {
	cond, args := scopeSQL(s, "c.client_id")
	q := `SELECT ` + checkCols + ` FROM checks c WHERE c.id = ? AND ` + cond
	if db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	return scanCheck(db.queryRow(ctx, q, append([]any{id}, args...)...))
}

// UpdateCheck writes every field of a check the scope may see but its asset,
// client, template and creation time, which it fills in c.
func (db *DB) UpdateCheck(ctx context.Context, s tenant.Scope, c *supervision.Check) error {
	params, err := paramsJSON(c.Params)
	if err != nil {
		return err
	}
	t := now()
	return db.InTx(ctx, func(ctx context.Context) error {
		old, err := db.checkForChange(ctx, s, c.ID)
		if err != nil {
			return err
		}
		q := `UPDATE checks SET name = ?, search = ?, kind = ?, params = ?, check_interval = ?, retry_interval = ?, max_attempts = ?, recover_after = ?,
			severity = ?, ticket_mode = ?, runner_asset_id = ?, enabled = ?, push_token = ?, updated_at = ? WHERE id = ?`
		args := []any{c.Name, fold(c.Name), string(c.Kind), params, c.Interval, c.RetryInterval, c.MaxAttempts, c.RecoverAfter,
			string(c.Severity), string(c.Ticket), c.RunnerAssetID, c.Enabled, nullString(c.PushToken), t, c.ID}
		if c.RunnerAssetID != nil {
			q += ` AND EXISTS (SELECT 1 FROM assets r WHERE r.id = ? AND r.client_id = ?)`
			args = append(args, *c.RunnerAssetID, old.ClientID)
		}
		if err := affected(db.exec(ctx, q, args...)); err != nil {
			return err
		}
		bump := append(agentAssets(old.Kind, old.AssetID, old.RunnerAssetID), agentAssets(c.Kind, old.AssetID, c.RunnerAssetID)...)
		if err := db.bumpVersions(ctx, bump); err != nil {
			return err
		}
		c.ClientID, c.AssetID, c.TemplateID, c.CreatedAt, c.UpdatedAt = old.ClientID, old.AssetID, old.TemplateID, old.CreatedAt, t
		return nil
	})
}

// DeleteCheck removes a check the scope may see, with its status, events and
// backup runs.
func (db *DB) DeleteCheck(ctx context.Context, s tenant.Scope, id int64) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		// The status row is locked before the check: the engine's batch
		// write updates a status row, then takes a key lock on its check
		// (inserting an event); locking the check first would take the two
		// locks in the other order and deadlock on PostgreSQL.
		if db.dialect == Postgres {
			var locked int64
			err := db.queryRow(ctx, `SELECT check_id FROM check_status WHERE check_id = ? FOR UPDATE`, id).Scan(&locked)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("lock status of check %d: %w", id, translate(err))
			}
		}
		old, err := db.checkForChange(ctx, s, id)
		if err != nil {
			return err
		}
		if _, err := db.exec(ctx, `DELETE FROM check_status WHERE check_id = ?`, id); err != nil {
			return fmt.Errorf("delete status of check %d: %w", id, translate(err))
		}
		if err := affected(db.exec(ctx, `DELETE FROM checks WHERE id = ?`, id)); err != nil {
			return err
		}
		return db.bumpVersions(ctx, agentAssets(old.Kind, old.AssetID, old.RunnerAssetID))
	})
}

// Check returns a check the scope may see.
func (db *DB) Check(ctx context.Context, s tenant.Scope, id int64) (supervision.Check, error) {
	cond, args := scopeSQL(s, "c.client_id")
	return scanCheck(db.queryRow(ctx, `SELECT `+checkCols+` FROM checks c WHERE c.id = ? AND `+cond, append([]any{id}, args...)...))
}

// Checks lists the checks of a filter the scope may see, by id.
func (db *DB) Checks(ctx context.Context, s tenant.Scope, f supervision.CheckFilter) ([]supervision.Check, error) {
	cond, args := scopeSQL(s, "c.client_id")
	q := `SELECT ` + checkCols + ` FROM checks c WHERE ` + cond
	if f.ClientID != 0 {
		q, args = q+` AND c.client_id = ?`, append(args, f.ClientID)
	}
	if f.AssetID != 0 {
		q, args = q+` AND c.asset_id = ?`, append(args, f.AssetID)
	}
	if f.TemplateID != 0 {
		q, args = q+` AND c.template_id = ?`, append(args, f.TemplateID)
	}
	if f.Kind != "" {
		q, args = q+` AND c.kind = ?`, append(args, string(f.Kind))
	}
	q += ` ORDER BY c.id`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	return collect(rows, scanCheck)
}

// AllChecks pages through every enabled check by id, after afterID.
func (db *DB) AllChecks(ctx context.Context, afterID int64, limit int) ([]supervision.Check, error) {
	rows, err := db.query(ctx, `SELECT `+checkCols+` FROM checks c WHERE c.id > ? AND c.enabled = ? ORDER BY c.id LIMIT ?`, afterID, true, limit)
	if err != nil {
		return nil, fmt.Errorf("list all checks: %w", err)
	}
	return collect(rows, scanCheck)
}

// CheckByPushToken returns the check of a backup push URL.
func (db *DB) CheckByPushToken(ctx context.Context, token string) (supervision.Check, error) {
	if token == "" {
		return supervision.Check{}, fault.ErrNotFound
	}
	return scanCheck(db.queryRow(ctx, `SELECT `+checkCols+` FROM checks c WHERE c.push_token = ?`, token))
}

// AgentChecks returns the enabled checks the agent of an asset runs — its
// local checks and the probes and backup jobs whose runner it is — by id, and
// the version of that set (0 before any check).
func (db *DB) AgentChecks(ctx context.Context, assetID int64) ([]supervision.Check, int64, error) {
	var local []string
	args := []any{assetID}
	for _, k := range supervision.Kinds {
		if k.Local() {
			local = append(local, "?")
			args = append(args, string(k))
		}
	}
	args = append(args, assetID, true)
	// The version first: a change between the two reads leaves an older
	// version with the newer set, which the agent fetches again.
	var version int64
	err := db.queryRow(ctx, `SELECT version FROM check_versions WHERE asset_id = ?`, assetID).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("read check version of asset %d: %w", assetID, translate(err))
	}
	rows, err := db.query(ctx, `SELECT `+checkCols+` FROM checks c
		WHERE ((c.asset_id = ? AND c.kind IN (`+strings.Join(local, ",")+`)) OR c.runner_asset_id = ?) AND c.enabled = ? ORDER BY c.id`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list checks of agent of asset %d: %w", assetID, err)
	}
	checks, err := collect(rows, scanCheck)
	if err != nil {
		return nil, 0, err
	}
	return checks, version, nil
}

// ---- templates ----------------------------------------------------------

const templateCols = `t.id, t.client_id, t.name, t.match_kind, t.match_os, t.match_tag, t.kind, t.params, t.check_interval, t.retry_interval,
	t.max_attempts, t.recover_after, t.severity, t.ticket_mode, t.enabled, t.created_at, t.updated_at`

func scanTemplate(row scanner) (supervision.Template, error) {
	var t supervision.Template
	var client sql.NullInt64
	var kind, params, sev, tkt string
	if err := row.Scan(&t.ID, &client, &t.Name, &t.MatchKind, &t.MatchOS, &t.MatchTag, &kind, &params, &t.Interval, &t.RetryInterval,
		&t.MaxAttempts, &t.RecoverAfter, &sev, &tkt, &t.Enabled, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return t, translate(err)
	}
	t.ClientID = nullID(client)
	t.Kind, t.Severity, t.Ticket = supervision.Kind(kind), supervision.Severity(sev), supervision.TicketMode(tkt)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(params), &t.Params); err != nil {
		return t, fmt.Errorf("decode params of template %d: %w", t.ID, err)
	}
	return t, nil
}

// templateScope is the condition that the scope sees template t: global or of its clients.
func templateScope(s tenant.Scope) (string, []any) {
	if s.AllClients() {
		return "TRUE", nil
	}
	cond, args := scopeSQL(s, "t.client_id")
	return "(t.client_id IS NULL OR " + cond + ")", args
}

// CreateTemplate inserts a template; a global one (no client) needs a scope
// that sees every client (else fault.ErrForbidden), a client's one a scope
// that sees the client.
func (db *DB) CreateTemplate(ctx context.Context, s tenant.Scope, t *supervision.Template) error {
	params, err := paramsJSON(t.Params)
	if err != nil {
		return err
	}
	if t.ClientID == nil && !s.AllClients() {
		return fmt.Errorf("create a template for every client: %w", fault.ErrForbidden)
	}
	ts := now()
	cols := []any{t.Name, t.MatchKind, t.MatchOS, normTag(t.MatchTag), string(t.Kind), params, t.Interval, t.RetryInterval,
		t.MaxAttempts, t.RecoverAfter, string(t.Severity), string(t.Ticket), t.Enabled, ts, ts}
	const insert = `INSERT INTO check_templates (client_id, name, match_kind, match_os, match_tag, kind, params, check_interval, retry_interval,
		max_attempts, recover_after, severity, ticket_mode, enabled, created_at, updated_at) `
	var id int64
	if t.ClientID == nil {
		id, err = db.insert(ctx, insert+`VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, cols...)
	} else {
		cond, args := scopeSQL(s, "id")
		id, err = db.insert(ctx, insert+`SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM clients WHERE id = ? AND `+cond,
			append(append(cols, *t.ClientID), args...)...)
	}
	if err != nil {
		return err
	}
	t.ID, t.CreatedAt, t.UpdatedAt, t.MatchTag = id, ts, ts, normTag(t.MatchTag)
	return nil
}

// templateForChange reads a template the scope may change: fault.ErrNotFound
// when it cannot see it, fault.ErrForbidden for a global one when the scope
// does not see every client.
func (db *DB) templateForChange(ctx context.Context, s tenant.Scope, id int64) (supervision.Template, error) {
	t, err := db.Template(ctx, s, id)
	if err != nil {
		return t, err
	}
	if t.ClientID == nil && !s.AllClients() {
		return t, fmt.Errorf("change a template for every client: %w", fault.ErrForbidden)
	}
	return t, nil
}

// UpdateTemplate writes a template's name, match and rules (not its client
// or creation time, which it fills in t). The checks it applied are the
// caller's to update.
func (db *DB) UpdateTemplate(ctx context.Context, s tenant.Scope, t *supervision.Template) error {
	params, err := paramsJSON(t.Params)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(ctx context.Context) error {
		old, err := db.templateForChange(ctx, s, t.ID)
		if err != nil {
			return err
		}
		ts := now()
		if err := affected(db.exec(ctx, `UPDATE check_templates SET name = ?, match_kind = ?, match_os = ?, match_tag = ?, kind = ?, params = ?,
			check_interval = ?, retry_interval = ?, max_attempts = ?, recover_after = ?, severity = ?, ticket_mode = ?, enabled = ?, updated_at = ? WHERE id = ?`,
			t.Name, t.MatchKind, t.MatchOS, normTag(t.MatchTag), string(t.Kind), params, t.Interval, t.RetryInterval, t.MaxAttempts, t.RecoverAfter,
			string(t.Severity), string(t.Ticket), t.Enabled, ts, t.ID)); err != nil {
			return err
		}
		t.ClientID, t.CreatedAt, t.UpdatedAt, t.MatchTag = old.ClientID, old.CreatedAt, ts, normTag(t.MatchTag)
		return nil
	})
}

// DeleteTemplate removes a template and the checks it applied.
func (db *DB) DeleteTemplate(ctx context.Context, s tenant.Scope, id int64) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.templateForChange(ctx, s, id); err != nil {
			return err
		}
		rows, err := db.query(ctx, `SELECT kind, asset_id, runner_asset_id FROM checks WHERE template_id = ?`, id)
		if err != nil {
			return fmt.Errorf("list checks of template %d: %w", id, err)
		}
		bump, err := collect(rows, func(row scanner) ([]int64, error) {
			var kind string
			var assetID int64
			var runner sql.NullInt64
			if err := row.Scan(&kind, &assetID, &runner); err != nil {
				return nil, translate(err)
			}
			return agentAssets(supervision.Kind(kind), assetID, nullID(runner)), nil
		})
		if err != nil {
			return err
		}
		if err := affected(db.exec(ctx, `DELETE FROM check_templates WHERE id = ?`, id)); err != nil {
			return err
		}
		return db.bumpVersions(ctx, slices.Concat(bump...))
	})
}

// Template returns a template the scope may see.
func (db *DB) Template(ctx context.Context, s tenant.Scope, id int64) (supervision.Template, error) {
	cond, args := templateScope(s)
	return scanTemplate(db.queryRow(ctx, `SELECT `+templateCols+` FROM check_templates t WHERE t.id = ? AND `+cond, append([]any{id}, args...)...))
}

// Templates returns the templates the scope may see, global ones and those
// of its clients, by id.
func (db *DB) Templates(ctx context.Context, s tenant.Scope) ([]supervision.Template, error) {
	cond, args := templateScope(s)
	rows, err := db.query(ctx, `SELECT `+templateCols+` FROM check_templates t WHERE `+cond+` ORDER BY t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return collect(rows, scanTemplate)
}

// ---- statuses and events -----------------------------------------------

// Board ranks (check_status.sort_rank): problems by state, unacknowledged
// first (an acknowledged problem ranks one more), then pending, then OK.
const (
	rankCritical = 0
	rankUnknown  = 2
	rankWarning  = 4
	rankPending  = 6
	rankOK       = 7
)

// boardRank is the sort_rank of a status.
func boardRank(st check.Status) int {
	if st.LastCheck.IsZero() {
		return rankPending
	}
	r := rankOK
	switch st.State {
	case check.OK:
		return rankOK
	case check.Critical:
		r = rankCritical
	case check.Warning:
		r = rankWarning
	default:
		r = rankUnknown
	}
	if st.Ack != nil {
		r++
	}
	return r
}

// statusCols are a status's columns under the alias cs.
const statusCols = `cs.check_id, cs.client_id, cs.asset_id, cs.output, cs.data, cs.ticket_id`

func scanStatusInto(st *supervision.Status, output, data *string, ticket *sql.NullInt64) error {
	if err := json.Unmarshal([]byte(*data), &st.Status); err != nil {
		return fmt.Errorf("decode status of check %d: %w", st.CheckID, err)
	}
	st.Output = *output
	st.TicketID = nullID(*ticket)
	return nil
}

func scanStatus(row scanner) (supervision.Status, error) {
	var st supervision.Status
	var output, data string
	var ticket sql.NullInt64
	if err := row.Scan(&st.CheckID, &st.ClientID, &st.AssetID, &output, &data, &ticket); err != nil {
		return st, translate(err)
	}
	return st, scanStatusInto(&st, &output, &data, &ticket)
}

// statusData returns the JSON kept of a status: check.Status in UTC, without
// its output (a column of its own).
func statusData(st check.Status) (string, error) {
	st.Output = ""
	st.Since, st.LastChange, st.LastCheck = st.Since.UTC(), st.LastChange.UTC(), st.LastCheck.UTC()
	if st.Ack != nil {
		a := *st.Ack
		a.At = a.At.UTC()
		st.Ack = &a
	}
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode status: %w", err)
	}
	return string(b), nil
}

// zeroTime is a nullable time argument: NULL for the zero time.
func zeroTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Statuses pages through every status by check id, after afterCheckID. A
// check never run has a zero status (LastCheck zero).
func (db *DB) Statuses(ctx context.Context, afterCheckID int64, limit int) ([]supervision.Status, error) {
	rows, err := db.query(ctx, `SELECT `+statusCols+` FROM check_status cs WHERE cs.check_id > ? ORDER BY cs.check_id LIMIT ?`, afterCheckID, limit)
	if err != nil {
		return nil, fmt.Errorf("list statuses: %w", err)
	}
	return collect(rows, scanStatus)
}

// Status returns the status of a check the scope may see (zero before its
// first result).
func (db *DB) Status(ctx context.Context, s tenant.Scope, checkID int64) (supervision.Status, error) {
	cond, args := scopeSQL(s, "cs.client_id")
	return scanStatus(db.queryRow(ctx, `SELECT `+statusCols+` FROM check_status cs WHERE cs.check_id = ? AND `+cond, append([]any{checkID}, args...)...))
}

// upsertStatus writes a status; the client and asset come from the check (a
// status of a deleted check is dropped). The ticket is written on the first
// insert only: SetAlertTicket owns it afterwards.
const upsertStatus = `INSERT INTO check_status (check_id, client_id, asset_id, state, state_type, hard_state, since, last_change, last_check, output,
	flapping, unreachable, acknowledged, sort_rank, data, ticket_id)
	SELECT c.id, c.client_id, c.asset_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM checks c WHERE c.id = ?
	ON CONFLICT (check_id) DO UPDATE SET state = excluded.state, state_type = excluded.state_type, hard_state = excluded.hard_state,
	since = excluded.since, last_change = excluded.last_change, last_check = excluded.last_check, output = excluded.output,
	flapping = excluded.flapping, unreachable = excluded.unreachable, acknowledged = excluded.acknowledged,
	sort_rank = excluded.sort_rank, data = excluded.data`

// insertEvent appends an event; the client and asset come from the check (an
// event of a deleted check is dropped and keeps ID 0).
const insertEvent = `INSERT INTO check_events (check_id, client_id, asset_id, at, kind, from_state, to_state, state_type, attempt, output,
	notify, muted, maintenance, unreachable)
	SELECT c.id, c.client_id, c.asset_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM checks c WHERE c.id = ? RETURNING id`

// SaveResults upserts statuses and appends events, setting their IDs, in one
// transaction with prepared statements. Rows of checks deleted meanwhile are
// dropped.
func (db *DB) SaveResults(ctx context.Context, statuses []supervision.Status, events []supervision.Event) error {
	if len(statuses) == 0 && len(events) == 0 {
		return nil
	}
	return db.InTx(ctx, func(ctx context.Context) error {
		tx, _ := TxFrom(ctx)
		if len(statuses) > 0 && db.dialect == Postgres {
			if err := db.saveStatusesPostgres(ctx, statuses); err != nil {
				return err
			}
		} else if len(statuses) > 0 {
			stmt, err := tx.PrepareContext(ctx, db.rebind(upsertStatus))
			if err != nil {
				return fmt.Errorf("prepare status upsert: %w", translate(err))
			}
			defer stmt.Close()
			for i := range statuses {
				st := &statuses[i]
				data, err := statusData(st.Status)
				if err != nil {
					return err
				}
				if _, err := stmt.ExecContext(ctx, int(st.State), int(st.Type), int(st.HardState), zeroTime(st.Since), zeroTime(st.LastChange),
					zeroTime(st.LastCheck), st.Output, st.Flapping, st.Unreachable, st.Ack != nil, boardRank(st.Status), data, st.TicketID, st.CheckID); err != nil {
					return fmt.Errorf("save status of check %d: %w", st.CheckID, translate(err))
				}
			}
		}
		if len(events) > 0 {
			stmt, err := tx.PrepareContext(ctx, db.rebind(insertEvent))
			if err != nil {
				return fmt.Errorf("prepare event insert: %w", translate(err))
			}
			defer stmt.Close()
			for i := range events {
				e := &events[i]
				err := stmt.QueryRowContext(ctx, e.At.UTC(), int(e.Kind), int(e.From), int(e.To), int(e.Type), e.Attempt, e.Output,
					e.Notify, int(e.Muted), e.Maintenance, e.Unreachable, e.CheckID).Scan(&e.ID)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return fmt.Errorf("save event of check %d: %w", e.CheckID, translate(err))
				}
			}
		}
		return nil
	})
}

// upsertStatusesPostgres is upsertStatus for a whole batch on PostgreSQL:
// one statement over arrays, one round trip instead of one per status.
const upsertStatusesPostgres = `INSERT INTO check_status (check_id, client_id, asset_id, state, state_type, hard_state, since, last_change, last_check, output,
	flapping, unreachable, acknowledged, sort_rank, data, ticket_id)
	SELECT c.id, c.client_id, c.asset_id, u.state, u.state_type, u.hard_state, u.since, u.last_change, u.last_check, u.output,
	u.flapping, u.unreachable, u.acknowledged, u.sort_rank, u.data, u.ticket_id
	FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::text[],
		$9::boolean[], $10::boolean[], $11::boolean[], $12::int[], $13::text[], $14::bigint[])
		AS u(check_id, state, state_type, hard_state, since, last_change, last_check, output, flapping, unreachable, acknowledged, sort_rank, data, ticket_id)
	JOIN checks c ON c.id = u.check_id
	ON CONFLICT (check_id) DO UPDATE SET state = excluded.state, state_type = excluded.state_type, hard_state = excluded.hard_state,
	since = excluded.since, last_change = excluded.last_change, last_check = excluded.last_check, output = excluded.output,
	flapping = excluded.flapping, unreachable = excluded.unreachable, acknowledged = excluded.acknowledged,
	sort_rank = excluded.sort_rank, data = excluded.data`

// saveStatusesPostgres upserts statuses in one statement; of several
// statuses of one check, the last one wins (as one statement per status would).
func (db *DB) saveStatusesPostgres(ctx context.Context, statuses []supervision.Status) error {
	last := make(map[int64]int, len(statuses))
	for i, st := range statuses {
		last[st.CheckID] = i
	}
	n := len(last)
	ids, states, types, hards, ranks := make([]int64, 0, n), make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n)
	since, change, checked := make([]*time.Time, 0, n), make([]*time.Time, 0, n), make([]*time.Time, 0, n)
	outputs, data := make([]string, 0, n), make([]string, 0, n)
	flapping, unreachable, acked := make([]bool, 0, n), make([]bool, 0, n), make([]bool, 0, n)
	tickets := make([]*int64, 0, n)
	tp := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	for i := range statuses {
		st := &statuses[i]
		if last[st.CheckID] != i {
			continue
		}
		d, err := statusData(st.Status)
		if err != nil {
			return err
		}
		ids, states, types, hards, ranks = append(ids, st.CheckID), append(states, int32(st.State)), append(types, int32(st.Type)),
			append(hards, int32(st.HardState)), append(ranks, int32(boardRank(st.Status)))
		since, change, checked = append(since, tp(st.Since)), append(change, tp(st.LastChange)), append(checked, tp(st.LastCheck))
		outputs, data = append(outputs, st.Output), append(data, d)
		flapping, unreachable, acked = append(flapping, st.Flapping), append(unreachable, st.Unreachable), append(acked, st.Ack != nil)
		tickets = append(tickets, st.TicketID)
	}
	if _, err := db.q(ctx).ExecContext(ctx, upsertStatusesPostgres, ids, states, types, hards, since, change, checked, outputs,
		flapping, unreachable, acked, ranks, data, tickets); err != nil {
		return fmt.Errorf("save %d statuses: %w", n, translate(err))
	}
	return nil
}

// SetAlertTicket records the incident open for a check's problem (nil: none).
func (db *DB) SetAlertTicket(ctx context.Context, checkID int64, ticketID *int64) error {
	return affected(db.exec(ctx, `UPDATE check_status SET ticket_id = ? WHERE check_id = ?`, ticketID, checkID))
}

const eventCols = `e.id, e.check_id, e.client_id, e.asset_id, e.at, e.kind, e.from_state, e.to_state, e.state_type, e.attempt, e.output,
	e.notify, e.muted, e.maintenance, e.unreachable`

func scanEvent(row scanner) (supervision.Event, error) {
	var e supervision.Event
	var kind, from, to, typ, muted int
	if err := row.Scan(&e.ID, &e.CheckID, &e.ClientID, &e.AssetID, &e.At, &kind, &from, &to, &typ, &e.Attempt, &e.Output,
		&e.Notify, &muted, &e.Maintenance, &e.Unreachable); err != nil {
		return e, translate(err)
	}
	e.At = e.At.UTC()
	e.Kind, e.From, e.To, e.Type, e.Muted = check.EventKind(kind), check.State(from), check.State(to), check.StateType(typ), check.Mute(muted)
	return e, nil
}

// hardKinds lists the event kinds of hard changes, as SQL placeholders and arguments.
func hardKinds() (string, []any) {
	var ph []string
	var args []any
	for k := check.SoftChange; k <= check.FlapStop; k++ {
		if k.Hard() {
			ph, args = append(ph, "?"), append(args, int(k))
		}
	}
	return strings.Join(ph, ","), args
}

// CheckEvents lists the check events of a filter the scope may see, newest
// first; limit 0: all.
func (db *DB) CheckEvents(ctx context.Context, s tenant.Scope, f supervision.EventFilter) ([]supervision.Event, error) {
	cond, args := scopeSQL(s, "e.client_id")
	q := `SELECT ` + eventCols + ` FROM check_events e WHERE ` + cond
	add := func(c string, a ...any) {
		q += ` AND ` + c
		args = append(args, a...)
	}
	if f.ClientID != 0 {
		add(`e.client_id = ?`, f.ClientID)
	}
	if f.AssetID != 0 {
		add(`e.asset_id = ?`, f.AssetID)
	}
	if f.CheckID != 0 {
		add(`e.check_id = ?`, f.CheckID)
	}
	if !f.From.IsZero() {
		add(`e.at >= ?`, f.From.UTC())
	}
	if !f.To.IsZero() {
		add(`e.at < ?`, f.To.UTC())
	}
	if f.BeforeID != 0 {
		add(`e.id < ?`, f.BeforeID)
	}
	if f.HardOnly {
		ph, a := hardKinds()
		add(`e.kind IN (`+ph+`)`, a...)
	}
	q += ` ORDER BY e.id DESC`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list check events: %w", err)
	}
	return collect(rows, scanEvent)
}

// ---- board --------------------------------------------------------------

// boardStates maps the board's state filter to the sort ranks of the state.
var boardStates = map[string][]int{
	"critical": {rankCritical, rankCritical + 1},
	"unknown":  {rankUnknown, rankUnknown + 1},
	"warning":  {rankWarning, rankWarning + 1},
	"pending":  {rankPending},
	"ok":       {rankOK},
}

// Board returns one page of the checks of a filter the scope may see, with
// their status and asset and client names: problems first (CRITICAL, UNKNOWN,
// WARNING — soft or hard —, unacknowledged before acknowledged within each),
// then checks never run yet ("pending"), then OK; newest state first within a
// rank, then the newest check. Limit 0 returns every row.
//
// The counts are over the filter without its State and Problems conditions,
// so that every state's count stays visible while one is selected; a pending
// check counts in no state. Maintenance is not counted here (windows are
// evaluated by the engine, not in SQL). The int is the number of rows of the
// whole filter, for paging. State also accepts "pending".
func (db *DB) Board(ctx context.Context, s tenant.Scope, f supervision.BoardFilter) ([]supervision.BoardRow, supervision.BoardCounts, int, error) {
	var counts supervision.BoardCounts
	cond, args := scopeSQL(s, "cs.client_id")
	where := []string{cond}
	add := func(c string, a ...any) {
		where = append(where, c)
		args = append(args, a...)
	}
	if f.ClientID != 0 {
		add(`cs.client_id = ?`, f.ClientID)
	}
	if f.AssetID != 0 {
		add(`cs.asset_id = ?`, f.AssetID)
	}
	// The counts join checks only for a kind; a search looks up the matching
	// assets and checks first.
	countJoin := ""
	if f.Kind != "" {
		countJoin = ` JOIN checks c ON c.id = cs.check_id`
		add(`c.kind = ?`, string(f.Kind))
	}
	if f.Search != "" {
		p := like(f.Search)
		add(`(cs.asset_id IN (SELECT sa.id FROM assets sa WHERE sa.search LIKE ? ESCAPE '\')
			OR cs.check_id IN (SELECT sc.id FROM checks sc WHERE sc.search LIKE ? ESCAPE '\'))`, p, p)
	}
	whereSQL := strings.Join(where, " AND ")

	// The rows the State and Problems conditions keep, by rank.
	keep := func(rank int) bool {
		if f.Problems && rank >= rankPending {
			return false
		}
		if f.State != "" {
			return slices.Contains(boardStates[f.State], rank)
		}
		return true
	}
	var kept []string
	for r := rankCritical; r <= rankOK; r++ {
		if keep(r) {
			kept = append(kept, fmt.Sprint(r))
		}
	}

	// Counts by rank read the index check_status_counts alone.
	rows, err := db.query(ctx, `SELECT cs.sort_rank, cs.unreachable, cs.flapping, COUNT(*) FROM check_status cs`+countJoin+` WHERE `+whereSQL+`
		GROUP BY cs.sort_rank, cs.unreachable, cs.flapping`, args...)
	if err != nil {
		return nil, counts, 0, fmt.Errorf("count board: %w", err)
	}
	total := 0
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			var rank, n int
			var unreachable, flapping bool
			if err := rows.Scan(&rank, &unreachable, &flapping, &n); err != nil {
				return err
			}
			if keep(rank) {
				total += n
			}
			switch rank {
			case rankCritical, rankCritical + 1:
				counts.Critical += n
			case rankUnknown, rankUnknown + 1:
				counts.Unknown += n
			case rankWarning, rankWarning + 1:
				counts.Warning += n
			case rankOK:
				counts.OK += n
			}
			if rank < rankPending && rank%2 == 1 {
				counts.Acknowledged += n
			}
			if unreachable && rank < rankPending {
				counts.Unreachable += n
			}
			if flapping {
				counts.Flapping += n
			}
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, counts, 0, fmt.Errorf("count board: %w", translate(err))
	}
	// Checks whose asset a window covers now.
	maint, maintArgs := coveredSQL(f.Maintenance)
	if maint != "0 = 1" {
		var n int
		q := `SELECT COUNT(*) FROM check_status cs JOIN assets a ON a.id = cs.asset_id` + countJoin + ` WHERE ` + whereSQL + ` AND ` + maint
		if err := db.queryRow(ctx, q, append(slices.Clone(args), maintArgs...)...).Scan(&n); err != nil {
			return nil, counts, 0, fmt.Errorf("count checks in maintenance: %w", translate(err))
		}
		counts.Maintenance = n
	}
	if len(kept) == 0 {
		return []supervision.BoardRow{}, counts, 0, nil
	}
	selCond := "cs.sort_rank IN (" + strings.Join(kept, ", ") + ")"
	if len(kept) == rankOK-rankCritical+1 {
		selCond = "1 = 1"
	}
	var selArgs []any
	q := `SELECT ` + checkCols + `, ` + statusCols + `, a.name, cl.name, CASE WHEN ` + maint + ` THEN 1 ELSE 0 END FROM check_status cs JOIN checks c ON c.id = cs.check_id
		JOIN assets a ON a.id = cs.asset_id JOIN clients cl ON cl.id = cs.client_id
		WHERE ` + whereSQL + ` AND ` + selCond + ` ORDER BY cs.sort_rank, cs.since DESC, cs.check_id DESC`
	pageArgs := append(append(slices.Clone(maintArgs), args...), selArgs...)
	switch {
	case f.Limit > 0:
		q, pageArgs = q+` LIMIT ? OFFSET ?`, append(pageArgs, f.Limit, max(f.Offset, 0))
	case f.Offset > 0 && db.dialect == Postgres:
		q, pageArgs = q+` OFFSET ?`, append(pageArgs, f.Offset)
	case f.Offset > 0:
		q, pageArgs = q+` LIMIT -1 OFFSET ?`, append(pageArgs, f.Offset)
	}
	rows, err = db.query(ctx, q, pageArgs...)
	if err != nil {
		return nil, counts, 0, fmt.Errorf("list board: %w", err)
	}
	out, err := collect(rows, func(row scanner) (supervision.BoardRow, error) {
		var r supervision.BoardRow
		var cr checkRow
		var output, data string
		var ticket sql.NullInt64
		var inMaint int
		dest := append(cr.dest(), &r.Status.CheckID, &r.Status.ClientID, &r.Status.AssetID, &output, &data, &ticket, &r.AssetName, &r.ClientName, &inMaint)
		if err := row.Scan(dest...); err != nil {
			return r, translate(err)
		}
		c, err := cr.value()
		if err != nil {
			return r, err
		}
		r.Check = c
		r.InMaintenance = inMaint == 1
		return r, scanStatusInto(&r.Status, &output, &data, &ticket)
	})
	if err != nil {
		return nil, counts, 0, err
	}
	return out, counts, total, nil
}

// coveredSQL is the condition "a window covers the asset" over cs (status)
// and a (asset), with its arguments; "0 = 1" when nothing is covered.
func coveredSQL(c supervision.Covered) (string, []any) {
	var parts []string
	var args []any
	for _, set := range []struct {
		col string
		ids []int64
	}{{"cs.client_id", c.Clients}, {"a.site_id", c.Sites}, {"cs.asset_id", c.Assets}} {
		if len(set.ids) == 0 {
			continue
		}
		parts = append(parts, set.col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(set.ids)), ", ")+")")
		for _, id := range set.ids {
			args = append(args, id)
		}
	}
	if len(parts) == 0 {
		return "0 = 1", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// ---- maintenance windows -----------------------------------------------

const windowCols = `w.id, w.client_id, w.site_id, w.asset_id, w.starts_at, w.ends_at, w.weekdays, w.start_seconds, w.duration_seconds, w.time_zone,
	w.comment, w.created_by, w.created_at`

func scanWindow(row scanner) (supervision.Window, error) {
	var w supervision.Window
	var site, asset, by sql.NullInt64
	var from, to sql.NullTime
	var days, start, dur int64
	var tz string
	if err := row.Scan(&w.ID, &w.ClientID, &site, &asset, &from, &to, &days, &start, &dur, &tz, &w.Comment, &by, &w.CreatedAt); err != nil {
		return w, translate(err)
	}
	w.SiteID, w.AssetID, w.CreatedBy = site.Int64, asset.Int64, by.Int64
	if from.Valid {
		w.From = from.Time.UTC()
	}
	if to.Valid {
		w.To = to.Time.UTC()
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if days&(1<<d) != 0 {
			w.Weekdays = append(w.Weekdays, d)
		}
	}
	w.Start, w.Duration = time.Duration(start)*time.Second, time.Duration(dur)*time.Second
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return w, fmt.Errorf("time zone %q of maintenance window %d: %w", tz, w.ID, err)
	}
	w.Location = loc
	w.CreatedAt = w.CreatedAt.UTC()
	return w, nil
}

// windowOwner returns the client of a window's asset, site or client when the
// scope may see it; a window naming a client and an asset or site of another
// client is invalid.
func (db *DB) windowOwner(ctx context.Context, s tenant.Scope, w *supervision.Window) (int64, error) {
	var q string
	var id int64
	var field string
	switch {
	case w.AssetID != 0:
		q, id, field = `SELECT client_id FROM assets WHERE id = ? AND `, w.AssetID, "asset_id"
	case w.SiteID != 0:
		q, id, field = `SELECT client_id FROM sites WHERE id = ? AND `, w.SiteID, "site_id"
	case w.ClientID != 0:
		q, id, field = `SELECT id FROM clients WHERE id = ? AND `, w.ClientID, "client_id"
	default:
		v := &fault.Invalid{}
		v.Add("client_id", "required")
		return 0, v
	}
	col := "client_id"
	if field == "client_id" {
		col = "id"
	}
	cond, args := scopeSQL(s, col)
	var owner int64
	if err := db.queryRow(ctx, q+cond, append([]any{id}, args...)...).Scan(&owner); err != nil {
		return 0, translate(err)
	}
	if w.ClientID != 0 && w.ClientID != owner {
		v := &fault.Invalid{}
		v.Add(field, "other_client")
		return 0, v
	}
	return owner, nil
}

// CreateWindow inserts a maintenance window of an asset, site or client the
// scope may see; its ClientID is set to the owning client.
func (db *DB) CreateWindow(ctx context.Context, s tenant.Scope, w *supervision.Window) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		owner, err := db.windowOwner(ctx, s, w)
		if err != nil {
			return err
		}
		var days int64
		for _, d := range w.Weekdays {
			if d < time.Sunday || d > time.Saturday {
				v := &fault.Invalid{}
				v.Add("weekdays", "invalid", int(d))
				return v
			}
			days |= 1 << d
		}
		tz := "UTC"
		if w.Location != nil {
			tz = w.Location.String()
		}
		t := now()
		var site, asset, by any
		if w.SiteID != 0 {
			site = w.SiteID
		}
		if w.AssetID != 0 {
			asset = w.AssetID
		}
		if w.CreatedBy != 0 {
			by = w.CreatedBy
		}
		id, err := db.insert(ctx, `INSERT INTO maintenance_windows (client_id, site_id, asset_id, starts_at, ends_at, weekdays, start_seconds, duration_seconds,
			time_zone, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			owner, site, asset, zeroTime(w.From), zeroTime(w.To), days, int64(w.Start/time.Second), int64(w.Duration/time.Second), tz, w.Comment, by, t)
		if err != nil {
			return err
		}
		w.ID, w.ClientID, w.CreatedAt = id, owner, t
		return nil
	})
}

// DeleteWindow removes a maintenance window the scope may see.
func (db *DB) DeleteWindow(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM maintenance_windows WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Window returns a maintenance window the scope may see.
func (db *DB) Window(ctx context.Context, s tenant.Scope, id int64) (supervision.Window, error) {
	cond, args := scopeSQL(s, "w.client_id")
	return scanWindow(db.queryRow(ctx, `SELECT `+windowCols+` FROM maintenance_windows w WHERE w.id = ? AND `+cond, append([]any{id}, args...)...))
}

// Windows lists the maintenance windows the scope may see, by id: of a
// client, and with AssetID those that cover the asset (its own, its site's
// and its client's).
func (db *DB) Windows(ctx context.Context, s tenant.Scope, f supervision.WindowFilter) ([]supervision.Window, error) {
	cond, args := scopeSQL(s, "w.client_id")
	q := `SELECT ` + windowCols + ` FROM maintenance_windows w WHERE ` + cond
	if f.ClientID != 0 {
		q, args = q+` AND w.client_id = ?`, append(args, f.ClientID)
	}
	if f.AssetID != 0 {
		q += ` AND EXISTS (SELECT 1 FROM assets a WHERE a.id = ? AND a.client_id = w.client_id AND (w.asset_id = a.id
			OR (w.asset_id IS NULL AND w.site_id = a.site_id) OR (w.asset_id IS NULL AND w.site_id IS NULL)))`
		args = append(args, f.AssetID)
	}
	rows, err := db.query(ctx, q+` ORDER BY w.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list maintenance windows: %w", err)
	}
	return collect(rows, scanWindow)
}

// AllWindows returns every recurring window and every one-off window that
// ends after since, by id.
func (db *DB) AllWindows(ctx context.Context, since time.Time) ([]supervision.Window, error) {
	rows, err := db.query(ctx, `SELECT `+windowCols+` FROM maintenance_windows w WHERE w.ends_at IS NULL OR w.ends_at > ? ORDER BY w.id`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("list all maintenance windows: %w", err)
	}
	return collect(rows, scanWindow)
}

// ---- restore tests and backup runs -------------------------------------

const restoreCols = `r.id, r.client_id, r.asset_id, r.tested_at, r.scope, r.result, r.minutes, r.evidence, r.user_id, r.created_at`

func scanRestore(row scanner) (supervision.RestoreTest, error) {
	var t supervision.RestoreTest
	var result string
	var user sql.NullInt64
	if err := row.Scan(&t.ID, &t.ClientID, &t.AssetID, &t.TestedAt, &t.Scope, &result, &t.Minutes, &t.Evidence, &user, &t.Created); err != nil {
		return t, translate(err)
	}
	t.Result, t.UserID = supervision.RestoreResult(result), user.Int64
	t.TestedAt, t.Created = t.TestedAt.UTC(), t.Created.UTC()
	return t, nil
}

// AddRestoreTest records a restore test of a backup job asset the scope may
// see; its ClientID is set to the asset's client.
func (db *DB) AddRestoreTest(ctx context.Context, s tenant.Scope, t *supervision.RestoreTest) error {
	cond, args := scopeSQL(s, "a.client_id")
	var user any
	if t.UserID != 0 {
		user = t.UserID
	}
	ts := now()
	var id, clientID int64
	err := db.q(ctx).QueryRowContext(ctx, db.rebind(`INSERT INTO restore_tests (client_id, asset_id, tested_at, scope, result, minutes, evidence, user_id, created_at)
		SELECT a.client_id, a.id, ?, ?, ?, ?, ?, ?, ? FROM assets a WHERE a.id = ? AND `+cond+` RETURNING id, client_id`),
		append([]any{t.TestedAt.UTC(), t.Scope, string(t.Result), t.Minutes, t.Evidence, user, ts, t.AssetID}, args...)...).Scan(&id, &clientID)
	if err != nil {
		return translate(err)
	}
	t.ID, t.ClientID, t.Created = id, clientID, ts
	return nil
}

// DeleteRestoreTest removes a restore test the scope may see.
func (db *DB) DeleteRestoreTest(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM restore_tests WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// RestoreTests lists the restore tests of a backup job (0: every one the
// scope may see), newest first; limit 0: all.
func (db *DB) RestoreTests(ctx context.Context, s tenant.Scope, assetID int64, limit int) ([]supervision.RestoreTest, error) {
	cond, args := scopeSQL(s, "r.client_id")
	q := `SELECT ` + restoreCols + ` FROM restore_tests r WHERE ` + cond
	if assetID != 0 {
		q, args = q+` AND r.asset_id = ?`, append(args, assetID)
	}
	q += ` ORDER BY r.tested_at DESC, r.id DESC`
	if limit > 0 {
		q, args = q+` LIMIT ?`, append(args, limit)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list restore tests: %w", err)
	}
	return collect(rows, scanRestore)
}

const backupCols = `b.id, b.check_id, b.client_id, b.asset_id, b.at, b.ok, b.seconds, b.bytes, b.message, b.source`

func scanBackupRun(row scanner) (supervision.BackupRun, error) {
	var r supervision.BackupRun
	if err := row.Scan(&r.ID, &r.CheckID, &r.ClientID, &r.AssetID, &r.At, &r.OK, &r.Seconds, &r.Bytes, &r.Message, &r.Source); err != nil {
		return r, translate(err)
	}
	r.At = r.At.UTC()
	return r, nil
}

// AddBackupRun records a run of a backup check; its client and asset are the
// check's (fault.ErrNotFound when the check is gone).
func (db *DB) AddBackupRun(ctx context.Context, r *supervision.BackupRun) error {
	var id, clientID, assetID int64
	err := db.q(ctx).QueryRowContext(ctx, db.rebind(`INSERT INTO backup_runs (check_id, client_id, asset_id, at, ok, seconds, bytes, message, source)
		SELECT c.id, c.client_id, c.asset_id, ?, ?, ?, ?, ?, ? FROM checks c WHERE c.id = ? RETURNING id, client_id, asset_id`),
		r.At.UTC(), r.OK, r.Seconds, r.Bytes, r.Message, r.Source, r.CheckID).Scan(&id, &clientID, &assetID)
	if err != nil {
		return translate(err)
	}
	r.ID, r.ClientID, r.AssetID = id, clientID, assetID
	return nil
}

// BackupRuns lists the runs of a check the scope may see, newest first; limit 0: all.
func (db *DB) BackupRuns(ctx context.Context, s tenant.Scope, checkID int64, limit int) ([]supervision.BackupRun, error) {
	cond, args := scopeSQL(s, "b.client_id")
	q := `SELECT ` + backupCols + ` FROM backup_runs b WHERE b.check_id = ? AND ` + cond + ` ORDER BY b.at DESC, b.id DESC`
	args = append([]any{checkID}, args...)
	if limit > 0 {
		q, args = q+` LIMIT ?`, append(args, limit)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list backup runs: %w", err)
	}
	return collect(rows, scanBackupRun)
}

// LastBackups returns, for each backup job the scope may see (of a client;
// 0: all) — an asset of kind backup or one with a backup push or job check —
// its last successful run, its last run and its last restore test, by asset name.
func (db *DB) LastBackups(ctx context.Context, s tenant.Scope, clientID int64) ([]supervision.BackupSummary, error) {
	cond, args := scopeSQL(s, "a.client_id")
	q := `SELECT a.id, a.client_id, a.name,
		(SELECT b.id FROM backup_runs b WHERE b.asset_id = a.id AND b.ok = ? ORDER BY b.at DESC, b.id DESC LIMIT 1),
		(SELECT b.id FROM backup_runs b WHERE b.asset_id = a.id ORDER BY b.at DESC, b.id DESC LIMIT 1),
		(SELECT r.id FROM restore_tests r WHERE r.asset_id = a.id ORDER BY r.tested_at DESC, r.id DESC LIMIT 1)
		FROM assets a WHERE ` + cond + ` AND (a.kind = 'backup' OR EXISTS (SELECT 1 FROM checks c WHERE c.asset_id = a.id AND c.kind IN (?, ?)))`
	args = append(append([]any{true}, args...), string(supervision.KindBackupPush), string(supervision.KindBackupJob))
	if clientID != 0 {
		q, args = q+` AND a.client_id = ?`, append(args, clientID)
	}
	rows, err := db.query(ctx, q+` ORDER BY a.name, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list backup jobs: %w", err)
	}
	type ref struct {
		sum                    supervision.BackupSummary
		success, last, restore sql.NullInt64
	}
	refs, err := collect(rows, func(row scanner) (ref, error) {
		var r ref
		err := row.Scan(&r.sum.AssetID, &r.sum.ClientID, &r.sum.AssetName, &r.success, &r.last, &r.restore)
		return r, translate(err)
	})
	if err != nil {
		return nil, err
	}
	out := make([]supervision.BackupSummary, len(refs))
	for i, r := range refs {
		sum := r.sum
		for _, p := range []struct {
			id  sql.NullInt64
			dst **supervision.BackupRun
		}{{r.success, &sum.LastSuccess}, {r.last, &sum.LastRun}} {
			if !p.id.Valid {
				continue
			}
			run, err := scanBackupRun(db.queryRow(ctx, `SELECT `+backupCols+` FROM backup_runs b WHERE b.id = ?`, p.id.Int64))
			if err != nil {
				return nil, fmt.Errorf("read backup run %d: %w", p.id.Int64, err)
			}
			*p.dst = &run
		}
		if r.restore.Valid {
			t, err := scanRestore(db.queryRow(ctx, `SELECT `+restoreCols+` FROM restore_tests r WHERE r.id = ?`, r.restore.Int64))
			if err != nil {
				return nil, fmt.Errorf("read restore test %d: %w", r.restore.Int64, err)
			}
			sum.LastRestore = &t
		}
		out[i] = sum
	}
	return out, nil
}
