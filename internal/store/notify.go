package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ notify.Store = (*DB)(nil)

const notifyChannelCols = `id, client_id, name, kind, target, secret, min_state, hours, on_problems, on_recoveries, enabled, last_sent_at, last_error, created_at, updated_at`

func scanNotifyChannel(row interface{ Scan(...any) error }) (notify.Channel, error) {
	var c notify.Channel
	var kind, minState, hours string
	if err := row.Scan(&c.ID, &c.ClientID, &c.Name, &kind, &c.Target, &c.Secret, &minState, &hours, &c.OnProblems, &c.OnRecoveries,
		&c.Enabled, &c.LastSentAt, &c.LastError, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return c, translate(err)
	}
	c.Kind, c.MinState, c.Hours = notify.Kind(kind), notify.MinState(minState), notify.Hours(hours)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if c.LastSentAt != nil {
		t := c.LastSentAt.UTC()
		c.LastSentAt = &t
	}
	return c, nil
}

// notifyScope restricts channels to the scope: a scope limited to some
// clients sees their channels and not the global ones (client_id NULL).
func notifyScope(s tenant.Scope) (string, []any) {
	return scopeSQL(s, "client_id")
}

// CreateNotifyChannel inserts a channel, checking in SQL that the scope
// may see its client (or every client, for a global one).
func (db *DB) CreateNotifyChannel(ctx context.Context, s tenant.Scope, c *notify.Channel) error {
	if c.ClientID == nil && !s.AllClients() || c.ClientID != nil && !s.CanSee(*c.ClientID) {
		return fault.ErrNotFound
	}
	t := now()
	c.CreatedAt, c.UpdatedAt = t, t
	id, err := db.insert(ctx, `INSERT INTO notification_channels (client_id, name, kind, target, secret, min_state, hours, on_problems, on_recoveries, enabled, last_error, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
		c.ClientID, c.Name, string(c.Kind), c.Target, c.Secret, string(c.MinState), string(c.Hours), c.OnProblems, c.OnRecoveries, c.Enabled, t, t)
	if err != nil {
		return fmt.Errorf("insert notification channel: %w", err)
	}
	c.ID = id
	return nil
}

// UpdateNotifyChannel writes a channel's settings.
func (db *DB) UpdateNotifyChannel(ctx context.Context, s tenant.Scope, c *notify.Channel) error {
	cond, args := notifyScope(s)
	c.UpdatedAt = now()
	return affected(db.exec(ctx, `UPDATE notification_channels SET name = ?, kind = ?, target = ?, secret = ?, min_state = ?, hours = ?, on_problems = ?, on_recoveries = ?, enabled = ?, updated_at = ?
		WHERE id = ? AND `+cond,
		append([]any{c.Name, string(c.Kind), c.Target, c.Secret, string(c.MinState), string(c.Hours), c.OnProblems, c.OnRecoveries, c.Enabled, c.UpdatedAt, c.ID}, args...)...))
}

// DeleteNotifyChannel removes a channel with its outbox and deliveries.
func (db *DB) DeleteNotifyChannel(ctx context.Context, s tenant.Scope, id int64) error {
	cond, args := notifyScope(s)
	return db.InTx(ctx, func(ctx context.Context) error {
		var n int
		if err := db.queryRow(ctx, `SELECT COUNT(*) FROM notification_channels WHERE id = ? AND `+cond, append([]any{id}, args...)...).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return fault.ErrNotFound
		}
		// Children first: SQLite's cascades hold, but the order keeps both
		// databases free of a foreign key checked mid-statement.
		if _, err := db.exec(ctx, `DELETE FROM notification_outbox WHERE channel_id = ?`, id); err != nil {
			return fmt.Errorf("delete notification outbox: %w", err)
		}
		if _, err := db.exec(ctx, `DELETE FROM notification_deliveries WHERE channel_id = ?`, id); err != nil {
			return fmt.Errorf("delete notification deliveries: %w", err)
		}
		return affected(db.exec(ctx, `DELETE FROM notification_channels WHERE id = ?`, id))
	})
}

// NotifyChannel returns one channel the scope may see.
func (db *DB) NotifyChannel(ctx context.Context, s tenant.Scope, id int64) (notify.Channel, error) {
	cond, args := notifyScope(s)
	return scanNotifyChannel(db.queryRow(ctx, `SELECT `+notifyChannelCols+` FROM notification_channels WHERE id = ? AND `+cond, append([]any{id}, args...)...))
}

// NotifyChannels lists the channels the scope may see: global ones first,
// then by client and name.
func (db *DB) NotifyChannels(ctx context.Context, s tenant.Scope, f notify.ChannelFilter) ([]notify.Channel, error) {
	cond, args := notifyScope(s)
	q := `SELECT ` + notifyChannelCols + ` FROM notification_channels WHERE ` + cond
	if f.ClientID != 0 {
		q += ` AND client_id = ?`
		args = append(args, f.ClientID)
	}
	q += ` ORDER BY CASE WHEN client_id IS NULL THEN 0 ELSE 1 END, client_id, name, id`
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list notification channels: %w", err)
	}
	return collect(rows, scanNotifyChannel)
}

// NotifyChannelsFor returns the enabled channels of these clients and the
// enabled global ones.
func (db *DB) NotifyChannelsFor(ctx context.Context, clientIDs []int64) ([]notify.Channel, error) {
	q := `SELECT ` + notifyChannelCols + ` FROM notification_channels WHERE enabled = ? AND (client_id IS NULL`
	args := []any{true}
	if len(clientIDs) > 0 {
		q += ` OR client_id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(clientIDs)), ",") + `)`
		for _, id := range clientIDs {
			args = append(args, id)
		}
	}
	rows, err := db.query(ctx, q+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list notification channels of clients: %w", err)
	}
	return collect(rows, scanNotifyChannel)
}

// NotifyChannelResult records the outcome of a channel's last message.
func (db *DB) NotifyChannelResult(ctx context.Context, id int64, at time.Time, lastError string) error {
	if lastError != "" {
		return affected(db.exec(ctx, `UPDATE notification_channels SET last_error = ? WHERE id = ?`, lastError, id))
	}
	return affected(db.exec(ctx, `UPDATE notification_channels SET last_sent_at = ?, last_error = '' WHERE id = ?`, at.UTC(), id))
}

// AddNotifyItems inserts pending alerts, several rows per statement; an
// alert whose event is already in the channel's outbox is left out.
func (db *DB) AddNotifyItems(ctx context.Context, items []notify.Item) error {
	const chunk = 200
	return db.InTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(items); start += chunk {
			part := items[start:min(start+chunk, len(items))]
			var b strings.Builder
			b.WriteString(`INSERT INTO notification_outbox (channel_id, client_id, event_id, status, payload, created_at, error) VALUES `)
			args := make([]any, 0, 6*len(part))
			for i, it := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(`(?, ?, ?, ?, ?, ?, '')`)
				payload, err := json.Marshal(it.Alert)
				if err != nil {
					return fmt.Errorf("encode notification: %w", err)
				}
				status := it.Status
				if status == "" {
					status = notify.ItemPending
				}
				created := it.CreatedAt
				if created.IsZero() {
					created = now()
				}
				args = append(args, it.ChannelID, it.ClientID, it.Alert.EventID, string(status), string(payload), created.UTC())
			}
			// An event already queued for a channel (a retried Alert) is skipped.
			b.WriteString(` ON CONFLICT DO NOTHING`)
			if _, err := db.exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert notifications: %w", err)
			}
		}
		return nil
	})
}

// PendingNotifyItems returns the oldest pending alerts of a channel and the
// number pending; limit 0 only counts.
func (db *DB) PendingNotifyItems(ctx context.Context, channelID int64, limit int) ([]notify.Item, int, error) {
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM notification_outbox WHERE channel_id = ? AND status = 'pending'`, channelID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count pending notifications: %w", translate(err))
	}
	if limit <= 0 || total == 0 {
		return nil, total, nil
	}
	rows, err := db.query(ctx, `SELECT id, channel_id, client_id, status, payload, created_at, error FROM notification_outbox
		WHERE channel_id = ? AND status = 'pending' ORDER BY id LIMIT ?`, channelID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list pending notifications: %w", err)
	}
	items, err := collect(rows, func(row interface{ Scan(...any) error }) (notify.Item, error) {
		var it notify.Item
		var status, payload string
		if err := row.Scan(&it.ID, &it.ChannelID, &it.ClientID, &status, &payload, &it.CreatedAt, &it.Error); err != nil {
			return it, translate(err)
		}
		it.Status = notify.ItemStatus(status)
		it.CreatedAt = it.CreatedAt.UTC()
		if err := json.Unmarshal([]byte(payload), &it.Alert); err != nil {
			return it, fmt.Errorf("read notification %d: %w", it.ID, err)
		}
		return it, nil
	})
	return items, total, err
}

// NotifyItemsDelivered records a delivery and marks its alerts sent or failed.
func (db *DB) NotifyItemsDelivered(ctx context.Context, d *notify.Delivery, itemIDs []int64) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		id, err := db.insert(ctx, `INSERT INTO notification_deliveries (channel_id, sent_at, alerts, ok, error) VALUES (?, ?, ?, ?, ?)`,
			d.ChannelID, d.SentAt.UTC(), d.Alerts, d.OK, d.Error)
		if err != nil {
			return fmt.Errorf("insert notification delivery: %w", err)
		}
		d.ID = id
		status := notify.ItemSent
		if !d.OK {
			status = notify.ItemFailed
		}
		const chunk = 500
		for start := 0; start < len(itemIDs); start += chunk {
			part := itemIDs[start:min(start+chunk, len(itemIDs))]
			args := []any{string(status), id, d.Error, d.ChannelID}
			for _, x := range part {
				args = append(args, x)
			}
			// Only pending rows change: an alert is never sent twice.
			if _, err := db.exec(ctx, `UPDATE notification_outbox SET status = ?, delivery_id = ?, error = ? WHERE channel_id = ? AND status = 'pending' AND id IN (`+
				strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...); err != nil {
				return fmt.Errorf("mark notifications delivered: %w", err)
			}
		}
		return nil
	})
}

// NotifyDeliveries returns a channel's deliveries since an instant, oldest first.
func (db *DB) NotifyDeliveries(ctx context.Context, channelID int64, since time.Time) ([]notify.Delivery, error) {
	rows, err := db.query(ctx, `SELECT id, channel_id, sent_at, alerts, ok, error FROM notification_deliveries WHERE channel_id = ? AND sent_at >= ? ORDER BY sent_at, id`,
		channelID, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("list notification deliveries: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (notify.Delivery, error) {
		var d notify.Delivery
		err := row.Scan(&d.ID, &d.ChannelID, &d.SentAt, &d.Alerts, &d.OK, &d.Error)
		d.SentAt = d.SentAt.UTC()
		return d, translate(err)
	})
}

// PendingNotifyChannels returns the channels with an alert pending since before.
func (db *DB) PendingNotifyChannels(ctx context.Context, before time.Time) ([]int64, error) {
	rows, err := db.query(ctx, `SELECT DISTINCT channel_id FROM notification_outbox WHERE status = 'pending' AND created_at < ? ORDER BY channel_id`, before.UTC())
	if err != nil {
		return nil, fmt.Errorf("list channels with pending notifications: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, translate(row.Scan(&id))
	})
}

// NotifyFlushGens returns the flush generation of each channel, locking the
// channels' rows until the transaction ends (PostgreSQL; SQLite has one
// writer), so that a flush cannot start between this read and the commit of
// the alerts queued with it. Call it inside a transaction.
func (db *DB) NotifyFlushGens(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT id, flush_gen FROM notification_channels WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `) ORDER BY id`
	if db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := db.q(ctx).QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("lock notification channels: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id, gen int64
		if err := rows.Scan(&id, &gen); err != nil {
			return nil, fmt.Errorf("lock notification channels: %w", translate(err))
		}
		out[id] = gen
	}
	return out, translate(rows.Err())
}

// AcquireNotifyLease takes the channel's flush lease until until, unless a
// lease still runs at now. ok is false when another flush holds it.
func (db *DB) AcquireNotifyLease(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	res, err := db.exec(ctx, `UPDATE notification_channels SET flush_lease = ? WHERE id = ? AND (flush_lease IS NULL OR flush_lease < ?)`,
		until.UTC(), id, now.UTC())
	if err != nil {
		return false, fmt.Errorf("take flush lease of channel %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// EndNotifyFlush closes a flush that is done: it raises the channel's flush
// generation and gives back the lease taken until until, then counts the
// alerts still pending. Raising the generation first (it waits for any
// transaction queueing alerts, which holds the channel's row) means an alert
// is either counted here or queued with a job of the next generation.
func (db *DB) EndNotifyFlush(ctx context.Context, id int64, until time.Time) (int, error) {
	if _, err := db.exec(ctx, `UPDATE notification_channels SET flush_gen = flush_gen + 1, flush_lease = CASE WHEN flush_lease = ? THEN NULL ELSE flush_lease END WHERE id = ?`,
		until.UTC(), id); err != nil {
		return 0, fmt.Errorf("end flush of channel %d: %w", id, err)
	}
	_, n, err := db.PendingNotifyItems(ctx, id, 0)
	return n, err
}

// ReleaseNotifyLease gives back a lease taken until until.
func (db *DB) ReleaseNotifyLease(ctx context.Context, id int64, until time.Time) error {
	_, err := db.exec(ctx, `UPDATE notification_channels SET flush_lease = NULL WHERE id = ? AND flush_lease = ?`, id, until.UTC())
	if err != nil {
		return fmt.Errorf("release flush lease of channel %d: %w", id, err)
	}
	return nil
}

// PurgeNotify deletes the alerts sent or failed and the deliveries older
// than before; pending alerts stay whatever their age.
func (db *DB) PurgeNotify(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		res, err := db.exec(ctx, `DELETE FROM notification_outbox WHERE status <> 'pending' AND created_at < ?`, before.UTC())
		if err != nil {
			return fmt.Errorf("purge notification outbox: %w", err)
		}
		n, _ = res.RowsAffected()
		// A delivery still referenced by a pending row cannot exist (rows
		// leave pending when delivered); the outbox's link is SET NULL anyway.
		if _, err := db.exec(ctx, `DELETE FROM notification_deliveries WHERE sent_at < ?`, before.UTC()); err != nil {
			return fmt.Errorf("purge notification deliveries: %w", err)
		}
		return nil
	})
	return n, err
}

// RecentNotifyDeliveries returns a channel's latest deliveries, newest first.
func (db *DB) RecentNotifyDeliveries(ctx context.Context, channelID int64, limit int) ([]notify.Delivery, error) {
	rows, err := db.query(ctx, `SELECT id, channel_id, sent_at, alerts, ok, error FROM notification_deliveries WHERE channel_id = ? ORDER BY sent_at DESC, id DESC LIMIT ?`,
		channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("list recent notification deliveries: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (notify.Delivery, error) {
		var d notify.Delivery
		err := row.Scan(&d.ID, &d.ChannelID, &d.SentAt, &d.Alerts, &d.OK, &d.Error)
		d.SentAt = d.SentAt.UTC()
		return d, translate(err)
	})
}
