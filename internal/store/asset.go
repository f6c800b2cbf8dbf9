package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ asset.Store = (*DB)(nil)

// assetCols are the columns of an asset with its agent (LEFT JOIN agents ag).
const assetCols = `a.id, a.client_id, a.site_id, a.kind, a.name, a.criticality, a.owner_contact_id, a.warranty_end, a.notes, a.parent_id,
	a.fields, a.os, a.os_name, a.hostname, a.created_at, a.updated_at,
	a.vitals_at, a.cpu_percent, a.memory_percent, a.fs_max_percent, a.fs_max_mount, a.fs_min_free, ` + agentColsAg

const assetFrom = ` FROM assets a LEFT JOIN agents ag ON ag.asset_id = a.id`

func scanAsset(row interface{ Scan(...any) error }) (asset.Asset, error) {
	var a asset.Asset
	var site, owner, parent sql.NullInt64
	var warranty, vitalsAt sql.NullTime
	var fields string
	var v asset.Vitals
	var minFree int64
	var ag nullAgent
	dest := []any{&a.ID, &a.ClientID, &site, &a.Kind, &a.Name, &a.Criticality, &owner, &warranty, &a.Notes, &parent,
		&fields, &a.OS, &a.OSName, &a.Hostname, &a.Created, &a.Updated,
		&vitalsAt, &v.CPUPercent, &v.MemoryPercent, &v.FSMaxPercent, &v.FSMaxMount, &minFree}
	if err := row.Scan(append(dest, ag.dest()...)...); err != nil {
		return asset.Asset{}, translate(err)
	}
	a.SiteID, a.OwnerContactID, a.ParentID = nullID(site), nullID(owner), nullID(parent)
	if warranty.Valid {
		d := warranty.Time.UTC()
		a.WarrantyEnd = &d
	}
	a.Fields = map[string]string{}
	if err := json.Unmarshal([]byte(fields), &a.Fields); err != nil {
		return asset.Asset{}, fmt.Errorf("decode fields of asset %d: %w", a.ID, err)
	}
	a.Created, a.Updated = a.Created.UTC(), a.Updated.UTC()
	if vitalsAt.Valid {
		v.At = vitalsAt.Time.UTC()
		v.FSMinFree = uint64(max(minFree, 0))
		a.Vitals = &v
	}
	a.Agent = ag.agent()
	return a, nil
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func fieldsJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func assetSearch(a *asset.Asset) string { return fold(a.Name, a.Hostname, a.Fields["serial"]) }

// CreateAsset inserts an asset for a client the scope may see.
func (db *DB) CreateAsset(ctx context.Context, s tenant.Scope, a *asset.Asset) error {
	cond, args := scopeSQL(s, "id")
	t := now()
	id, err := db.insert(ctx, `INSERT INTO assets (client_id, site_id, kind, name, criticality, owner_contact_id, warranty_end, notes, parent_id, fields, os, os_name, hostname, search, created_at, updated_at)
		SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM clients WHERE id = ? AND `+cond,
		append([]any{a.SiteID, string(a.Kind), a.Name, string(a.Criticality), a.OwnerContactID, timeArg(a.WarrantyEnd), a.Notes, a.ParentID,
			fieldsJSON(a.Fields), a.OS, a.OSName, a.Hostname, assetSearch(a), t, t, a.ClientID}, args...)...)
	if err != nil {
		return err
	}
	a.ID, a.Created, a.Updated = id, t, t
	return nil
}

// UpdateAsset writes an asset's fields (not its client, vitals or creation time).
func (db *DB) UpdateAsset(ctx context.Context, s tenant.Scope, a *asset.Asset) error {
	cond, args := scopeSQL(s, "client_id")
	t := now()
	err := affected(db.exec(ctx, `UPDATE assets SET site_id = ?, kind = ?, name = ?, criticality = ?, owner_contact_id = ?, warranty_end = ?, notes = ?, parent_id = ?,
		fields = ?, os = ?, os_name = ?, hostname = ?, search = ?, updated_at = ? WHERE id = ? AND `+cond,
		append([]any{a.SiteID, string(a.Kind), a.Name, string(a.Criticality), a.OwnerContactID, timeArg(a.WarrantyEnd), a.Notes, a.ParentID,
			fieldsJSON(a.Fields), a.OS, a.OSName, a.Hostname, assetSearch(a), t, a.ID}, args...)...))
	if err == nil {
		a.Updated = t
	}
	return err
}

// DeleteAsset removes an asset; its agent, inventory, changes and ticket
// links go with it (ON DELETE CASCADE) and its children lose their parent.
func (db *DB) DeleteAsset(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM assets WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// Asset returns one asset the scope may see, with its agent and vitals.
func (db *DB) Asset(ctx context.Context, s tenant.Scope, id int64) (asset.Asset, error) {
	cond, args := scopeSQL(s, "a.client_id")
	return scanAsset(db.queryRow(ctx, `SELECT `+assetCols+assetFrom+` WHERE a.id = ? AND `+cond, append([]any{id}, args...)...))
}

// AssetsNamed returns a client's assets of exactly that name.
func (db *DB) AssetsNamed(ctx context.Context, s tenant.Scope, clientID int64, name string) ([]asset.Asset, error) {
	cond, args := scopeSQL(s, "a.client_id")
	rows, err := db.query(ctx, `SELECT `+assetCols+assetFrom+` WHERE a.client_id = ? AND a.name = ? AND `+cond+` ORDER BY a.id`,
		append([]any{clientID, name}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list assets named %q: %w", name, err)
	}
	return collect(rows, scanAsset)
}

// assetWhere turns a filter into a condition on assets a and agents ag.
func assetWhere(s tenant.Scope, f asset.Filter) (string, []any) {
	cond, args := scopeSQL(s, "a.client_id")
	where := []string{cond}
	add := func(c string, a ...any) {
		where = append(where, c)
		args = append(args, a...)
	}
	if f.ClientID != 0 {
		add("a.client_id = ?", f.ClientID)
	}
	if f.Kind != "" {
		add("a.kind = ?", string(f.Kind))
	}
	if f.OS != "" {
		add("a.os = ?", f.OS)
	}
	if f.SiteID != 0 {
		add("a.site_id = ?", f.SiteID)
	}
	switch f.Status {
	case asset.StatusOnline:
		add("ag.id IS NOT NULL AND ag.revoked_at IS NULL AND ag.offline_at > ?", f.Now.UTC())
	case asset.StatusOffline:
		add("ag.id IS NOT NULL AND ag.revoked_at IS NULL AND (ag.offline_at IS NULL OR ag.offline_at <= ?)", f.Now.UTC())
	case asset.StatusRevoked:
		add("ag.revoked_at IS NOT NULL")
	case "":
	default:
		add("FALSE")
	}
	if f.Outdated {
		add("ag.id IS NOT NULL AND ag.revoked_at IS NULL AND ag.version <> ?", f.AgentVersion)
	}
	if f.LowDisk {
		add("a.vitals_at IS NOT NULL AND a.fs_max_mount <> '' AND (a.fs_max_percent >= ? OR a.fs_min_free < ?)", float64(asset.LowDiskPercent), int64(asset.LowDiskFree))
	}
	if f.Query != "" {
		add(`a.search LIKE ? ESCAPE '\'`, like(f.Query))
	}
	return strings.Join(where, " AND "), args
}

// Assets lists the assets of a filter by id, after the cursor.
func (db *DB) Assets(ctx context.Context, s tenant.Scope, f asset.Filter) ([]asset.Asset, error) {
	where, args := assetWhere(s, f)
	q := `SELECT ` + assetCols + assetFrom + ` WHERE a.id > ? AND ` + where + ` ORDER BY a.id LIMIT ?`
	rows, err := db.query(ctx, q, append(append([]any{f.After}, args...), f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	return collect(rows, scanAsset)
}

// CountAssets counts the assets of a filter.
func (db *DB) CountAssets(ctx context.Context, s tenant.Scope, f asset.Filter) (int, error) {
	where, args := assetWhere(s, f)
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*)`+assetFrom+` WHERE `+where, args...).Scan(&n)
	return n, translate(err)
}

// SetVitals keeps an asset's latest figures.
func (db *DB) SetVitals(ctx context.Context, assetID int64, v asset.Vitals) error {
	free := int64(math.MaxInt64)
	if v.FSMinFree < math.MaxInt64 {
		free = int64(v.FSMinFree)
	}
	return affected(db.exec(ctx, `UPDATE assets SET vitals_at = ?, cpu_percent = ?, memory_percent = ?, fs_max_percent = ?, fs_max_mount = ?, fs_min_free = ? WHERE id = ?`,
		v.At.UTC(), v.CPUPercent, v.MemoryPercent, v.FSMaxPercent, v.FSMaxMount, free, assetID))
}

// Inventory returns an asset's last inventory, nil when none.
func (db *DB) Inventory(ctx context.Context, assetID int64) (*asset.Inventory, error) {
	var data string
	err := db.queryRow(ctx, `SELECT data FROM asset_inventories WHERE asset_id = ?`, assetID).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	inv := &asset.Inventory{}
	if err := json.Unmarshal([]byte(data), inv); err != nil {
		return nil, fmt.Errorf("decode inventory of asset %d: %w", assetID, err)
	}
	return inv, nil
}

// SaveInventory replaces an asset's inventory.
func (db *DB) SaveInventory(ctx context.Context, clientID, assetID int64, inv *asset.Inventory) error {
	b, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("encode inventory: %w", err)
	}
	t := now()
	_, err = db.exec(ctx, `INSERT INTO asset_inventories (asset_id, client_id, collected_at, data, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (asset_id) DO UPDATE SET collected_at = excluded.collected_at, data = excluded.data, updated_at = excluded.updated_at`,
		assetID, clientID, inv.Collected.UTC(), string(b), t)
	return err
}

// AddChanges appends inventory changes.
func (db *DB) AddChanges(ctx context.Context, cs []asset.Change) error {
	for i := range cs {
		c := &cs[i]
		id, err := db.insert(ctx, `INSERT INTO asset_changes (client_id, asset_id, at, field, item, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ClientID, c.AssetID, c.At.UTC(), c.Field, c.Item, c.Old, c.New)
		if err != nil {
			return err
		}
		c.ID = id
	}
	return nil
}

// Changes lists inventory changes the scope may see, newest first, before the cursor.
func (db *DB) Changes(ctx context.Context, s tenant.Scope, f asset.ChangeFilter) ([]asset.Change, error) {
	cond, args := scopeSQL(s, "client_id")
	q := `SELECT id, client_id, asset_id, at, field, item, old_value, new_value FROM asset_changes WHERE ` + cond
	if f.AssetID != 0 {
		q += ` AND asset_id = ?`
		args = append(args, f.AssetID)
	}
	if f.ClientID != 0 {
		q += ` AND client_id = ?`
		args = append(args, f.ClientID)
	}
	if f.After != 0 {
		q += ` AND id < ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	rows, err := db.query(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (asset.Change, error) {
		var c asset.Change
		err := row.Scan(&c.ID, &c.ClientID, &c.AssetID, &c.At, &c.Field, &c.Item, &c.Old, &c.New)
		c.At = c.At.UTC()
		return c, translate(err)
	})
}

// FleetSettings returns a client's saved agent settings.
func (db *DB) FleetSettings(ctx context.Context, clientID int64) (st asset.Settings, found bool, err error) {
	var data string
	var version int64
	err = db.queryRow(ctx, `SELECT version, data FROM fleet_settings WHERE client_id = ?`, clientID).Scan(&version, &data)
	if err == sql.ErrNoRows {
		return st, false, nil
	}
	if err != nil {
		return st, false, translate(err)
	}
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return st, false, fmt.Errorf("decode fleet settings of client %d: %w", clientID, err)
	}
	st.Version = version
	return st, true, nil
}

// SaveFleetSettings stores a client's agent settings and raises its agents'
// report interval to the new one.
func (db *DB) SaveFleetSettings(ctx context.Context, clientID int64, st asset.Settings) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode fleet settings: %w", err)
	}
	if _, err := db.exec(ctx, `INSERT INTO fleet_settings (client_id, version, data, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (client_id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at`,
		clientID, st.Version, string(b), now()); err != nil {
		return err
	}
	_, err = db.exec(ctx, `UPDATE agents SET report_interval = ? WHERE client_id = ? AND report_interval < ?`, st.ReportInterval, clientID, st.ReportInterval)
	return err
}
