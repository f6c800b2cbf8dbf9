package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// agentColsAg are an agent's columns under the alias ag (nullable in a LEFT JOIN).
const agentColsAg = `ag.id, ag.client_id, ag.asset_id, ag.hostname, ag.os, ag.arch, ag.version, ag.machine_id, ag.enrolled_at, ag.last_seen_at,
	ag.last_seq, ag.settings_version, ag.report_interval, ag.dropped, ag.revoked_at`

// nullAgent scans the agent columns of a LEFT JOIN.
type nullAgent struct {
	id, clientID, assetID                       sql.NullInt64
	hostname, os, arch, version, machineID      sql.NullString
	enrolled, lastSeen, revoked                 sql.NullTime
	lastSeq, settingsVersion, interval, dropped sql.NullInt64
}

func (n *nullAgent) dest() []any {
	return []any{&n.id, &n.clientID, &n.assetID, &n.hostname, &n.os, &n.arch, &n.version, &n.machineID, &n.enrolled, &n.lastSeen,
		&n.lastSeq, &n.settingsVersion, &n.interval, &n.dropped, &n.revoked}
}

func (n *nullAgent) agent() *asset.Agent {
	if !n.id.Valid {
		return nil
	}
	ag := &asset.Agent{ID: n.id.Int64, ClientID: n.clientID.Int64, AssetID: n.assetID.Int64, Hostname: n.hostname.String, OS: n.os.String,
		Arch: n.arch.String, Version: n.version.String, MachineID: n.machineID.String, Enrolled: n.enrolled.Time.UTC(),
		LastSeq: uint64(max(n.lastSeq.Int64, 0)), SettingsVersion: n.settingsVersion.Int64, ReportInterval: int(n.interval.Int64),
		Dropped: uint64(max(n.dropped.Int64, 0))}
	if n.lastSeen.Valid {
		t := n.lastSeen.Time.UTC()
		ag.LastSeen = &t
	}
	if n.revoked.Valid {
		t := n.revoked.Time.UTC()
		ag.Revoked = &t
	}
	return ag
}

func scanAgent(row interface{ Scan(...any) error }) (asset.Agent, error) {
	var n nullAgent
	if err := row.Scan(n.dest()...); err != nil {
		return asset.Agent{}, translate(err)
	}
	return *n.agent(), nil
}

const agentFrom = ` FROM agents ag`

// CreateAgent inserts an enrolled agent with the hash of its secret.
func (db *DB) CreateAgent(ctx context.Context, ag *asset.Agent, hash string) error {
	id, err := db.insert(ctx, `INSERT INTO agents (client_id, asset_id, hostname, os, arch, version, machine_id, secret_hash, enrolled_at, report_interval)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ag.ClientID, ag.AssetID, ag.Hostname, ag.OS, ag.Arch, ag.Version, ag.MachineID, hash, ag.Enrolled.UTC(), ag.ReportInterval)
	if err != nil {
		return err
	}
	ag.ID = id
	return nil
}

// ReenrollAgent gives an existing agent a new secret and identity; it is
// no longer revoked and its sequence numbers start again.
func (db *DB) ReenrollAgent(ctx context.Context, ag *asset.Agent, hash string) error {
	return affected(db.exec(ctx, `UPDATE agents SET hostname = ?, os = ?, arch = ?, version = ?, secret_hash = ?, enrolled_at = ?, report_interval = ?,
		last_seq = 0, revoked_at = NULL WHERE id = ?`,
		ag.Hostname, ag.OS, ag.Arch, ag.Version, hash, ag.Enrolled.UTC(), ag.ReportInterval, ag.ID))
}

// Agent returns an agent of a client the scope may see.
func (db *DB) Agent(ctx context.Context, s tenant.Scope, id int64) (asset.Agent, error) {
	cond, args := scopeSQL(s, "ag.client_id")
	return scanAgent(db.queryRow(ctx, `SELECT `+agentColsAg+agentFrom+` WHERE ag.id = ? AND `+cond, append([]any{id}, args...)...))
}

// AgentByMachine returns the agent of a machine in a client.
func (db *DB) AgentByMachine(ctx context.Context, clientID int64, machineID string) (asset.Agent, error) {
	return scanAgent(db.queryRow(ctx, `SELECT `+agentColsAg+agentFrom+` WHERE ag.client_id = ? AND ag.machine_id = ? ORDER BY ag.id DESC LIMIT 1`, clientID, machineID))
}

// AgentBySecret returns the agent whose secret has this hash.
func (db *DB) AgentBySecret(ctx context.Context, hash string) (asset.Agent, error) {
	return scanAgent(db.queryRow(ctx, `SELECT `+agentColsAg+agentFrom+` WHERE ag.secret_hash = ?`, hash))
}

// RevokeAgent revokes an agent.
func (db *DB) RevokeAgent(ctx context.Context, id int64, at time.Time) error {
	return affected(db.exec(ctx, `UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UTC(), id))
}

// ClaimReport records a report on an unrevoked agent whose last sequence
// number is lower, in one conditional UPDATE: of two concurrent reports with
// the same number, the second waits for the first's row lock and then
// matches nothing (PostgreSQL re-checks the condition; SQLite has one writer).
func (db *DB) ClaimReport(ctx context.Context, agentID int64, u asset.AgentUpdate) (bool, error) {
	seq := int64(min(u.Seq, 1<<63-1))
	dropped := int64(min(u.Dropped, 1<<62))
	res, err := db.exec(ctx, `UPDATE agents SET last_seq = ?, last_seen_at = ?, offline_at = ?, version = ?, settings_version = ?, report_interval = ?,
		dropped = dropped + ?, hostname = COALESCE(NULLIF(?, ''), hostname) WHERE id = ? AND revoked_at IS NULL AND last_seq < ?`,
		seq, u.LastSeen.UTC(), u.OfflineAt.UTC(), u.Version, u.SettingsVersion, u.ReportInterval, dropped, u.Hostname, agentID, seq)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
