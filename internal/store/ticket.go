package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

var (
	_ ticket.Store   = (*DB)(nil)
	_ ticket.Clients = (*DB)(nil)
	_ ticket.Staff   = (*DB)(nil)
)

// farFuture is the "due" sort key of a ticket without a time-to-resolve
// deadline (not covered, or resolved): after every real deadline.
var farFuture = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

const ticketCols = `id, client_id, type, category_id, title, description, requester_id, site_id, impact, urgency, priority, status, assignee_id, level, created_by,
	created_at, updated_at, owned_at, resolved_at, closed_at,
	sla_covered, tto_due, ttr_due, tto_breached_at, ttr_breached_at, sla_at_risk, sla_paused, sla_next_check, merged_into,
	out_of_perimeter, perimeter_reason, contract_id`

func scanTicket(row interface{ Scan(...any) error }) (ticket.Ticket, error) {
	var (
		t                                               ticket.Ticket
		typ, status                                     string
		category, requester, site, assignee, createdBy  sql.NullInt64
		mergedInto, contractID                          sql.NullInt64
		owned, resolved, closed                         sql.NullTime
		ttoDue, ttrDue, ttoBreach, ttrBreach, nextCheck sql.NullTime
	)
	err := row.Scan(&t.ID, &t.ClientID, &typ, &category, &t.Title, &t.Description, &requester, &site, &t.Impact, &t.Urgency, &t.Priority, &status, &assignee, &t.Level, &createdBy,
		&t.Created, &t.Updated, &owned, &resolved, &closed,
		&t.SLA.Covered, &ttoDue, &ttrDue, &ttoBreach, &ttrBreach, &t.SLA.AtRisk, &t.SLA.Paused, &nextCheck, &mergedInto,
		&t.OutOfPerimeter, &t.PerimeterReason, &contractID)
	if err != nil {
		return ticket.Ticket{}, translate(err)
	}
	t.Type, t.Status = ticket.Type(typ), ticket.Status(status)
	t.CategoryID, t.RequesterID, t.SiteID, t.AssigneeID, t.CreatedBy = nullInt(category), nullInt(requester), nullInt(site), nullInt(assignee), nullInt(createdBy)
	t.MergedInto, t.ContractID = nullInt(mergedInto), nullInt(contractID)
	t.Created, t.Updated = t.Created.UTC(), t.Updated.UTC()
	t.OwnedAt, t.ResolvedAt, t.ClosedAt = nullTime(owned), nullTime(resolved), nullTime(closed)
	t.SLA.TTODue, t.SLA.TTRDue, t.SLA.TTOBreachAt, t.SLA.TTRBreachAt, t.SLA.NextCheck = nullTime(ttoDue), nullTime(ttrDue), nullTime(ttoBreach), nullTime(ttrBreach), nullTime(nextCheck)
	return t, nil
}

// utcPtr is the stored form of an optional time.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := utc(*t)
	return &v
}

// ticketValues returns the columns a ticket's writer sets, in the order of
// ticketWritten, normalizing its times to what is read back.
func ticketValues(t *ticket.Ticket) []any {
	t.OwnedAt, t.ResolvedAt, t.ClosedAt = utcPtr(t.OwnedAt), utcPtr(t.ResolvedAt), utcPtr(t.ClosedAt)
	sl := &t.SLA
	sl.TTODue, sl.TTRDue, sl.TTOBreachAt, sl.TTRBreachAt, sl.NextCheck = utcPtr(sl.TTODue), utcPtr(sl.TTRDue), utcPtr(sl.TTOBreachAt), utcPtr(sl.TTRBreachAt), utcPtr(sl.NextCheck)
	dueOrder := farFuture
	if sl.TTRDue != nil {
		dueOrder = *sl.TTRDue
	}
	return []any{string(t.Type), t.CategoryID, t.Title, t.Description, t.RequesterID, t.SiteID, t.Impact, t.Urgency, int(t.Priority), string(t.Status), t.AssigneeID, t.Level,
		t.Updated, t.OwnedAt, t.ResolvedAt, t.ClosedAt,
		sl.Covered, sl.TTODue, sl.TTRDue, sl.TTOBreachAt, sl.TTRBreachAt, sl.AtRisk, sl.Paused, sl.NextCheck, dueOrder,
		t.OutOfPerimeter, t.PerimeterReason, t.ContractID,
		// Last: UpdateTicket compares it with the stored one.
		fold(t.Title, t.Description)}
}

// ticketWritten are the columns ticketValues fills.
var ticketWritten = []string{"type", "category_id", "title", "description", "requester_id", "site_id", "impact", "urgency", "priority", "status", "assignee_id", "level",
	"updated_at", "owned_at", "resolved_at", "closed_at",
	"sla_covered", "tto_due", "ttr_due", "tto_breached_at", "ttr_breached_at", "sla_at_risk", "sla_paused", "sla_next_check", "sla_due_order",
	"out_of_perimeter", "perimeter_reason", "contract_id",
	"search"}

// ticketScope is the condition on tickets (aliased t) visible to a scope:
// staff see the tickets of their clients; a client user with TicketAll
// (client-admin) every ticket of its client; a client-user only those it
// requested, as its contact, or opened, and those it watches.
func ticketScope(s tenant.Scope) (string, []any) {
	cond, args := scopeSQL(s, "t.client_id")
	if s.Staff() || s.Can(tenant.TicketAll) {
		return cond, args
	}
	// A zero contact or user id matches nothing: ids start at 1. A ticket
	// the user watches (its own duplicate was merged into it) is visible too.
	return "(" + cond + " AND (t.requester_id = ? OR t.created_by = ? OR EXISTS (SELECT 1 FROM ticket_watchers AS w WHERE w.ticket_id = t.id AND w.user_id = ?)))",
		append(args, s.ContactID, s.UserID, s.UserID)
}

// CreateTicket inserts a ticket for a client the scope may see (else
// ErrNotFound), keeping the caller's creation and update times: the SLA
// clocks start at Created, which the helpdesk takes from its own clock.
func (db *DB) CreateTicket(ctx context.Context, s tenant.Scope, t *ticket.Ticket) error {
	if t.Created.IsZero() {
		t.Created = now()
	}
	if t.Updated.IsZero() {
		t.Updated = t.Created
	}
	t.Created, t.Updated = utc(t.Created), utc(t.Updated)
	cond, args := scopeSQL(s, "clients.id")
	cols := append([]string{"client_id", "created_by", "created_at"}, ticketWritten...)
	vals := append([]any{t.CreatedBy, t.Created}, ticketValues(t)...)
	// The search index changes in the ticket's transaction.
	return db.InTx(ctx, func(ctx context.Context) error {
		id, err := db.insert(ctx, `INSERT INTO tickets (`+strings.Join(cols, ", ")+`)
		SELECT clients.id, `+placeholders(len(vals))+` FROM clients WHERE clients.id = ? AND `+cond,
			append(append(vals, t.ClientID), args...)...)
		if err != nil {
			return err
		}
		t.ID = id
		return db.indexTicket(ctx, id)
	})
}

// UpdateTicket writes every field of a ticket the scope may see, except its
// client, creator and creation time, which never change. Updated is written
// as given: an SLA check is no change of the ticket.
func (db *DB) UpdateTicket(ctx context.Context, s tenant.Scope, t *ticket.Ticket) error {
	if t.Updated.IsZero() {
		t.Updated = now()
	}
	t.Updated = utc(t.Updated)
	cond, args := ticketScope(s)
	set := strings.Join(ticketWritten, " = ?, ") + " = ?"
	vals := ticketValues(t)
	return db.InTx(ctx, func(ctx context.Context) error {
		// Most updates (status, assignee, SLA checks) leave the text alone:
		// the search index is rewritten only when the title or description
		// changed, which the folded search column tells.
		var before string
		if err := db.queryRow(ctx, `SELECT search FROM tickets WHERE id = ?`, t.ID).Scan(&before); err != nil {
			return translate(err)
		}
		err := affected(db.exec(ctx, `UPDATE tickets AS t SET `+set+` WHERE t.id = ? AND `+cond,
			append(append(vals, t.ID), args...)...))
		if err != nil || before == vals[len(vals)-1] {
			return err
		}
		return db.indexTicket(ctx, t.ID)
	})
}

// Ticket returns a ticket the scope may see. Inside a transaction on
// PostgreSQL it locks the row until the end of the transaction: the
// helpdesk reads a ticket to change it, and two concurrent changes must not
// overwrite each other (SQLite's single writer already serializes them).
func (db *DB) Ticket(ctx context.Context, s tenant.Scope, id int64) (ticket.Ticket, error) {
	cond, args := ticketScope(s)
	q := `SELECT ` + ticketCols + ` FROM tickets AS t WHERE t.id = ? AND ` + cond
	if _, inTx := TxFrom(ctx); inTx && db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	return scanTicket(db.queryRow(ctx, q, append([]any{id}, args...)...))
}

// ticketCursor is the position after which the next page of tickets starts:
// the sort it was made for, the sort key of the last row and its id.
type ticketCursor struct {
	Sort string    `json:"s,omitempty"`
	Key  time.Time `json:"k,omitzero"`
	ID   int64     `json:"id"`
}

func encodeCursor(c ticketCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads the cursor of a sort; anything else is a fault.Invalid
// on "after".
func decodeCursor(s, sort string) (ticketCursor, error) {
	var c ticketCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(&c)
	}
	if err != nil || c.Sort != sort || c.ID <= 0 || (sort != "" && c.Key.IsZero()) || (sort == "" && !c.Key.IsZero()) {
		v := &fault.Invalid{}
		v.Add("after", "invalid_cursor")
		return ticketCursor{}, v
	}
	c.Key = utc(c.Key)
	return c, nil
}

// Tickets returns a page of the tickets the scope may see, sorted by
// f.Sort, and the cursor of the next page ("" on the last one).
func (db *DB) Tickets(ctx context.Context, s tenant.Scope, f ticket.Filter) ([]ticket.Ticket, string, error) {
	cond, args := ticketScope(s)
	where := []string{cond}
	add := func(c string, a ...any) {
		where = append(where, c)
		args = append(args, a...)
	}
	if f.ClientID != 0 {
		add("t.client_id = ?", f.ClientID)
	}
	if len(f.Statuses) > 0 {
		ss := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			ss[i] = string(st)
		}
		add("t.status IN ("+placeholders(len(ss))+")", ss...)
	}
	if f.Open != nil {
		closed := []any{string(ticket.StatusResolved), string(ticket.StatusClosed)}
		if *f.Open {
			add("t.status NOT IN (?, ?)", closed...)
		} else {
			add("t.status IN (?, ?)", closed...)
		}
	}
	if f.AssigneeID != nil {
		if *f.AssigneeID == 0 {
			add("t.assignee_id IS NULL")
		} else {
			add("t.assignee_id = ?", *f.AssigneeID)
		}
	}
	if f.Level != "" {
		add("t.level = ?", f.Level)
	}
	if f.AssetID != 0 {
		add("t.id IN (SELECT ta.ticket_id FROM ticket_assets AS ta WHERE ta.asset_id = ?)", f.AssetID)
	}
	if f.Priority != 0 {
		add("t.priority = ?", int(f.Priority))
	}
	if f.OutOfPerimeter {
		add("t.out_of_perimeter = ?", true)
	}
	if f.Query != "" {
		// The conditions so far narrow the documents a common word is
		// tested against, when they name a client.
		c, a, err := db.searchFilter(ctx, f.Query, f.ClientID, f.Sort == "" && len(where) == 2, strings.Join(where, " AND "), slices.Clone(args))
		if err != nil {
			return nil, "", err
		}
		add(c, a...)
	}

	// Keyset pagination: the order always ends with the id, so that rows
	// with the same key (ties on due or updated) are neither repeated nor skipped.
	var keyCol, order string
	var keyOf func(ticket.Ticket) time.Time
	switch f.Sort {
	case "":
		order = "t.id DESC"
	case "updated":
		keyCol, order = "t.updated_at", "t.updated_at DESC, t.id DESC"
		keyOf = func(t ticket.Ticket) time.Time { return t.Updated }
	case "due":
		keyCol, order = "t.sla_due_order", "t.sla_due_order, t.id"
		keyOf = func(t ticket.Ticket) time.Time {
			if t.SLA.TTRDue != nil {
				return *t.SLA.TTRDue
			}
			return farFuture
		}
	default:
		v := &fault.Invalid{}
		v.Add("sort", "invalid_choice")
		return nil, "", v
	}
	if f.After != "" {
		c, err := decodeCursor(f.After, f.Sort)
		if err != nil {
			return nil, "", err
		}
		switch f.Sort {
		case "":
			add("t.id < ?", c.ID)
		case "updated":
			add("("+keyCol+" < ? OR ("+keyCol+" = ? AND t.id < ?))", c.Key, c.Key, c.ID)
		case "due":
			add("("+keyCol+" > ? OR ("+keyCol+" = ? AND t.id > ?))", c.Key, c.Key, c.ID)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.query(ctx, `SELECT `+ticketCols+` FROM tickets AS t WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	ts, err := collect(rows, scanTicket)
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	if len(ts) <= limit {
		return ts, "", nil
	}
	ts = ts[:limit]
	last := ts[limit-1]
	c := ticketCursor{Sort: f.Sort, ID: last.ID}
	if keyOf != nil {
		c.Key = keyOf(last)
	}
	return ts, encodeCursor(c), nil
}

// DueForCheck returns the tickets whose SLA next check is at or before now,
// earliest first, whatever their client.
func (db *DB) DueForCheck(ctx context.Context, at time.Time, limit int) ([]ticket.Ticket, error) {
	rows, err := db.query(ctx, `SELECT `+ticketCols+` FROM tickets AS t WHERE t.sla_next_check IS NOT NULL AND t.sla_next_check <= ? ORDER BY t.sla_next_check, t.id LIMIT ?`, utc(at), limit)
	if err != nil {
		return nil, fmt.Errorf("tickets due for an sla check: %w", err)
	}
	return collect(rows, scanTicket)
}

// ResolvedBefore returns the ids of tickets resolved (and not closed) before
// the given instant, oldest first, whatever their client.
func (db *DB) ResolvedBefore(ctx context.Context, before time.Time, limit int) ([]int64, error) {
	rows, err := db.query(ctx, `SELECT id FROM tickets WHERE status = ? AND resolved_at < ? ORDER BY resolved_at, id LIMIT ?`,
		string(ticket.StatusResolved), utc(before), limit)
	if err != nil {
		return nil, fmt.Errorf("resolved tickets: %w", err)
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// ScheduleSLACheck makes the open tickets of a client due for an SLA check
// at the given instant (after its service level changed).
func (db *DB) ScheduleSLACheck(ctx context.Context, clientID int64, at time.Time) error {
	_, err := db.exec(ctx, `UPDATE tickets SET sla_next_check = ? WHERE client_id = ? AND status <> ? AND status <> ?`,
		utc(at), clientID, string(ticket.StatusResolved), string(ticket.StatusClosed))
	return err
}

// AddFollowup appends a followup to a ticket.
func (db *DB) AddFollowup(ctx context.Context, f *ticket.Followup) error {
	if f.Created.IsZero() {
		f.Created = now()
	}
	f.Created = utc(f.Created)
	// Followups are searchable: the ticket's document changes with them.
	return db.InTx(ctx, func(ctx context.Context) error {
		id, err := db.insert(ctx, `INSERT INTO followups (ticket_id, author_id, author, public, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			f.TicketID, f.AuthorID, f.Author, f.Public, f.Body, f.Created)
		if err != nil {
			return err
		}
		f.ID = id
		return db.indexTicket(ctx, f.TicketID)
	})
}

// Followups returns a ticket's followups in order; only the public ones
// unless withPrivate.
func (db *DB) Followups(ctx context.Context, ticketID int64, withPrivate bool) ([]ticket.Followup, error) {
	rows, err := db.query(ctx, `SELECT id, ticket_id, author_id, author, public, body, created_at FROM followups WHERE ticket_id = ? AND (public OR ?) ORDER BY id`, ticketID, withPrivate)
	if err != nil {
		return nil, fmt.Errorf("list followups of ticket %d: %w", ticketID, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (ticket.Followup, error) {
		var (
			f      ticket.Followup
			author sql.NullInt64
		)
		err := row.Scan(&f.ID, &f.TicketID, &author, &f.Author, &f.Public, &f.Body, &f.Created)
		f.AuthorID, f.Created = nullInt(author), f.Created.UTC()
		return f, translate(err)
	})
}

// AddEvent appends an event to a ticket's timeline.
func (db *DB) AddEvent(ctx context.Context, e *ticket.Event) error {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = utc(e.At)
	id, err := db.insert(ctx, `INSERT INTO ticket_events (ticket_id, at, actor_id, actor, kind, from_value, to_value, public) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TicketID, e.At, e.ActorID, e.Actor, e.Kind, e.From, e.To, e.Public)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// Events returns a ticket's timeline in chronological order (events at the
// same instant in the order they were added, as the SLA engine needs); only
// the public events unless withPrivate.
func (db *DB) Events(ctx context.Context, ticketID int64, withPrivate bool) ([]ticket.Event, error) {
	rows, err := db.query(ctx, `SELECT id, ticket_id, at, actor_id, actor, kind, from_value, to_value, public FROM ticket_events WHERE ticket_id = ? AND (public OR ?) ORDER BY at, id`, ticketID, withPrivate)
	if err != nil {
		return nil, fmt.Errorf("list events of ticket %d: %w", ticketID, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (ticket.Event, error) {
		var (
			e     ticket.Event
			actor sql.NullInt64
		)
		err := row.Scan(&e.ID, &e.TicketID, &e.At, &actor, &e.Actor, &e.Kind, &e.From, &e.To, &e.Public)
		e.ActorID, e.At = nullInt(actor), e.At.UTC()
		return e, translate(err)
	})
}

// AddTimeEntry records time spent on a ticket. Durations are kept to the
// second; the entry is truncated alike so that it equals what is read back.
func (db *DB) AddTimeEntry(ctx context.Context, e *ticket.TimeEntry) error {
	if e.Created.IsZero() {
		e.Created = now()
	}
	e.Created, e.Start = utc(e.Created), utc(e.Start)
	e.Duration, e.Travel = e.Duration.Truncate(time.Second), e.Travel.Truncate(time.Second)
	id, err := db.insert(ctx, `INSERT INTO time_entries (ticket_id, technician_id, start_at, duration_seconds, on_site, travel_seconds, billable, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TicketID, e.TechnicianID, e.Start, int64(e.Duration/time.Second), e.OnSite, int64(e.Travel/time.Second), e.Billable, e.Note, e.Created)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// TimeEntries returns the time spent on a ticket, by start.
func (db *DB) TimeEntries(ctx context.Context, ticketID int64) ([]ticket.TimeEntry, error) {
	rows, err := db.query(ctx, `SELECT id, ticket_id, technician_id, start_at, duration_seconds, on_site, travel_seconds, billable, note, created_at FROM time_entries WHERE ticket_id = ? ORDER BY start_at, id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("list time entries of ticket %d: %w", ticketID, err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (ticket.TimeEntry, error) {
		var (
			e                ticket.TimeEntry
			duration, travel int64
		)
		err := row.Scan(&e.ID, &e.TicketID, &e.TechnicianID, &e.Start, &duration, &e.OnSite, &travel, &e.Billable, &e.Note, &e.Created)
		e.Start, e.Created = e.Start.UTC(), e.Created.UTC()
		e.Duration, e.Travel = time.Duration(duration)*time.Second, time.Duration(travel)*time.Second
		return e, translate(err)
	})
}

// Categories returns every category, by name.
func (db *DB) Categories(ctx context.Context) ([]ticket.Category, error) {
	rows, err := db.query(ctx, `SELECT id, parent_id, name FROM categories ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (ticket.Category, error) {
		var (
			c      ticket.Category
			parent sql.NullInt64
		)
		err := row.Scan(&c.ID, &parent, &c.Name)
		c.ParentID = nullInt(parent)
		return c, translate(err)
	})
}

// SaveCategory inserts a category (ID 0) or renames and moves one; a
// missing category is ErrNotFound, a missing parent ErrConflict.
func (db *DB) SaveCategory(ctx context.Context, c *ticket.Category) error {
	if c.ID == 0 {
		id, err := db.insert(ctx, `INSERT INTO categories (parent_id, name) VALUES (?, ?)`, c.ParentID, c.Name)
		if err != nil {
			return err
		}
		c.ID = id
		return nil
	}
	return affected(db.exec(ctx, `UPDATE categories SET parent_id = ?, name = ? WHERE id = ?`, c.ParentID, c.Name, c.ID))
}

// DeleteCategory removes a category; its tickets lose it (ON DELETE SET
// NULL). A category with children is refused with ErrConflict.
func (db *DB) DeleteCategory(ctx context.Context, id int64) error {
	return affected(db.exec(ctx, `DELETE FROM categories WHERE id = ?`, id))
}

// Settings returns the helpdesk settings (the migration inserts the defaults).
func (db *DB) Settings(ctx context.Context) (ticket.Settings, error) {
	var (
		st     ticket.Settings
		matrix string
	)
	if err := db.queryRow(ctx, `SELECT matrix, reopen_days, close_days FROM helpdesk_settings WHERE id = 1`).Scan(&matrix, &st.ReopenDays, &st.CloseDays); err != nil {
		return ticket.Settings{}, fmt.Errorf("read helpdesk settings: %w", translate(err))
	}
	if err := json.Unmarshal([]byte(matrix), &st.Matrix); err != nil {
		return ticket.Settings{}, fmt.Errorf("read helpdesk settings: matrix: %w", err)
	}
	return st, nil
}

// SaveSettings writes the helpdesk settings.
func (db *DB) SaveSettings(ctx context.Context, st ticket.Settings) error {
	matrix, err := json.Marshal(st.Matrix)
	if err != nil {
		return err
	}
	return affected(db.exec(ctx, `UPDATE helpdesk_settings SET matrix = ?, reopen_days = ?, close_days = ? WHERE id = 1`, string(matrix), st.ReopenDays, st.CloseDays))
}

// storedTarget is how a target is kept in JSON (contracts.targets, and the
// service_levels.targets no longer read): whole seconds, readable in SQL and
// independent of package sla's field names.
type storedTarget struct {
	TTO int64 `json:"tto"`
	TTR int64 `json:"ttr"`
}

// ServiceLevel returns a client's helpdesk service level; ErrNotFound when
// it has none. Its calendar and targets columns, moved onto contracts by
// migration 14, are not read.
func (db *DB) ServiceLevel(ctx context.Context, clientID int64) (ticket.ServiceLevel, error) {
	var (
		sl    ticket.ServiceLevel
		pause sql.NullString
		rules string
	)
	err := db.queryRow(ctx, `SELECT client_id, at_risk_share, pause_statuses, escalation, escalation_rules, updated_at FROM service_levels WHERE client_id = ?`, clientID).
		Scan(&sl.ClientID, &sl.AtRiskShare, &pause, &sl.Escalation, &rules, &sl.Updated)
	if err != nil {
		return ticket.ServiceLevel{}, translate(err)
	}
	sl.Updated = sl.Updated.UTC()
	if err := json.Unmarshal([]byte(rules), &sl.Rules); err != nil {
		return ticket.ServiceLevel{}, fmt.Errorf("read service level of client %d: escalation rules: %w", clientID, err)
	}
	if len(sl.Rules) == 0 {
		sl.Rules = nil
	}
	if pause.Valid {
		if err := json.Unmarshal([]byte(pause.String), &sl.PauseStatuses); err != nil {
			return ticket.ServiceLevel{}, fmt.Errorf("read service level of client %d: pause statuses: %w", clientID, err)
		}
		if sl.PauseStatuses == nil {
			sl.PauseStatuses = []ticket.Status{}
		}
	}
	return sl, nil
}

// SaveServiceLevel creates or replaces a client's helpdesk service level.
// PauseStatuses nil (the default pauses) and empty (nothing pauses) stay
// distinct. The calendar and targets columns of an existing row are left as
// they are (a new row gets empty ones): they are kept, unread, since
// migration 14. A missing client is ErrConflict.
func (db *DB) SaveServiceLevel(ctx context.Context, sl ticket.ServiceLevel) error {
	var pause *string
	if sl.PauseStatuses != nil {
		b, err := json.Marshal(sl.PauseStatuses)
		if err != nil {
			return err
		}
		s := string(b)
		pause = &s
	}
	if sl.Updated.IsZero() {
		sl.Updated = now()
	}
	rules := []ticket.EscalationRule{}
	if sl.Rules != nil {
		rules = sl.Rules
	}
	rulesJSON, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	_, err = db.exec(ctx, `INSERT INTO service_levels (client_id, calendar, targets, at_risk_share, pause_statuses, escalation, escalation_rules, updated_at) VALUES (?, '', '{}', ?, ?, ?, ?, ?)
		ON CONFLICT (client_id) DO UPDATE SET at_risk_share = excluded.at_risk_share,
			pause_statuses = excluded.pause_statuses, escalation = excluded.escalation, escalation_rules = excluded.escalation_rules, updated_at = excluded.updated_at`,
		sl.ClientID, sl.AtRiskShare, pause, sl.Escalation, string(rulesJSON), utc(sl.Updated))
	return err
}

// ClientExists returns nil when the scope sees the client, ErrNotFound
// otherwise. An archived client exists: the same check guards every change
// of an existing ticket and the reading of a service level, which must keep
// working while a former client's last tickets are closed (so archived
// clients can still be given new tickets).
func (db *DB) ClientExists(ctx context.Context, s tenant.Scope, clientID int64) error {
	cond, args := scopeSQL(s, "id")
	var one int
	return translate(db.queryRow(ctx, `SELECT 1 FROM clients WHERE id = ? AND `+cond, append([]any{clientID}, args...)...).Scan(&one))
}

// ContactOf returns nil when the contact belongs to the client and the
// scope sees that client, ErrNotFound otherwise.
func (db *DB) ContactOf(ctx context.Context, s tenant.Scope, clientID, contactID int64) error {
	cond, args := scopeSQL(s, "client_id")
	var one int
	return translate(db.queryRow(ctx, `SELECT 1 FROM contacts WHERE id = ? AND client_id = ? AND `+cond, append([]any{contactID, clientID}, args...)...).Scan(&one))
}

// SiteOf returns nil when the site belongs to the client and the scope sees
// that client, ErrNotFound otherwise.
func (db *DB) SiteOf(ctx context.Context, s tenant.Scope, clientID, siteID int64) error {
	cond, args := scopeSQL(s, "client_id")
	var one int
	return translate(db.queryRow(ctx, `SELECT 1 FROM sites WHERE id = ? AND client_id = ? AND `+cond, append([]any{siteID, clientID}, args...)...).Scan(&one))
}

// StaffMember returns the name of an enabled staff user who may see the
// client (no client limits, or the client among them); ErrNotFound otherwise.
func (db *DB) StaffMember(ctx context.Context, userID, clientID int64) (string, error) {
	var name string
	err := db.queryRow(ctx, `SELECT u.name FROM users AS u WHERE u.id = ? AND u.client_id IS NULL AND u.role IN (?, ?, ?) AND NOT u.disabled
		AND (NOT EXISTS (SELECT 1 FROM user_clients AS uc WHERE uc.user_id = u.id)
			OR EXISTS (SELECT 1 FROM user_clients AS uc WHERE uc.user_id = u.id AND uc.client_id = ?))`,
		userID, string(tenant.RoleAdmin), string(tenant.RoleManager), string(tenant.RoleTechnician), clientID).Scan(&name)
	return name, translate(err)
}

// Managers returns the enabled managers who may see the client; when there
// is none, the enabled admins (someone must hear of an escalation).
func (db *DB) Managers(ctx context.Context, clientID int64) ([]int64, error) {
	for _, role := range []tenant.Role{tenant.RoleManager, tenant.RoleAdmin} {
		rows, err := db.query(ctx, `SELECT u.id FROM users AS u WHERE u.role = ? AND u.client_id IS NULL AND NOT u.disabled
			AND (NOT EXISTS (SELECT 1 FROM user_clients AS uc WHERE uc.user_id = u.id)
				OR EXISTS (SELECT 1 FROM user_clients AS uc WHERE uc.user_id = u.id AND uc.client_id = ?))
			ORDER BY u.id`, string(role), clientID)
		if err != nil {
			return nil, fmt.Errorf("list %ss of client %d: %w", role, clientID, err)
		}
		ids, err := collect(rows, func(r interface{ Scan(...any) error }) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
		if err != nil || len(ids) > 0 {
			return ids, err
		}
	}
	return nil, nil
}

// MergeTicket moves the followups, attachments and time entries of source
// onto target, marks source merged into target and rewrites both search
// documents. The helpdesk has checked both tickets.
func (db *DB) MergeTicket(ctx context.Context, source, target int64) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		for _, table := range []string{"followups", "attachments", "time_entries"} {
			if _, err := db.exec(ctx, `UPDATE `+table+` SET ticket_id = ? WHERE ticket_id = ?`, target, source); err != nil {
				return fmt.Errorf("move %s of ticket %d: %w", table, source, err)
			}
		}
		if _, err := db.exec(ctx, `INSERT INTO ticket_assets (ticket_id, asset_id) SELECT ?, asset_id FROM ticket_assets WHERE ticket_id = ? ON CONFLICT DO NOTHING`, target, source); err != nil {
			return fmt.Errorf("move assets of ticket %d: %w", source, err)
		}
		if err := affected(db.exec(ctx, `UPDATE tickets SET merged_into = ? WHERE id = ? AND merged_into IS NULL`, target, source)); err != nil {
			return fmt.Errorf("merge ticket %d: %w", source, err)
		}
		if err := db.indexTicket(ctx, source); err != nil {
			return err
		}
		return db.indexTicket(ctx, target)
	})
}

// AddWatcher makes a user watch a ticket; watching twice is no error.
func (db *DB) AddWatcher(ctx context.Context, ticketID, userID int64) error {
	_, err := db.exec(ctx, `INSERT INTO ticket_watchers (ticket_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, ticketID, userID)
	return translate(err)
}

// RemoveWatcher stops a user watching a ticket; ErrNotFound when it did not.
func (db *DB) RemoveWatcher(ctx context.Context, ticketID, userID int64) error {
	return affected(db.exec(ctx, `DELETE FROM ticket_watchers WHERE ticket_id = ? AND user_id = ?`, ticketID, userID))
}

// Watchers returns the watchers of a ticket, by name.
func (db *DB) Watchers(ctx context.Context, ticketID int64) ([]ticket.Watcher, error) {
	rows, err := db.query(ctx, `SELECT u.id, u.name, u.email, u.client_id IS NULL FROM ticket_watchers AS w JOIN users AS u ON u.id = w.user_id
		WHERE w.ticket_id = ? AND NOT u.disabled ORDER BY u.name, u.id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("watchers of ticket %d: %w", ticketID, err)
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (ticket.Watcher, error) {
		var w ticket.Watcher
		return w, r.Scan(&w.UserID, &w.Name, &w.Email, &w.Staff)
	})
}

// TicketAssets returns the assets linked to a ticket, by name.
func (db *DB) TicketAssets(ctx context.Context, ticketID int64) ([]ticket.LinkedAsset, error) {
	rows, err := db.query(ctx, `SELECT a.id, a.name FROM ticket_assets AS ta JOIN assets AS a ON a.id = ta.asset_id WHERE ta.ticket_id = ? ORDER BY a.name, a.id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("assets of ticket %d: %w", ticketID, err)
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (ticket.LinkedAsset, error) {
		var a ticket.LinkedAsset
		return a, r.Scan(&a.ID, &a.Name)
	})
}

// SetTicketAssets replaces the assets linked to a ticket.
func (db *DB) SetTicketAssets(ctx context.Context, ticketID int64, assetIDs []int64) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		if _, err := db.exec(ctx, `DELETE FROM ticket_assets WHERE ticket_id = ?`, ticketID); err != nil {
			return err
		}
		for _, id := range assetIDs {
			if _, err := db.exec(ctx, `INSERT INTO ticket_assets (ticket_id, asset_id) VALUES (?, ?)`, ticketID, id); err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

// AssetOf returns the name of an asset of the client, or ErrNotFound.
func (db *DB) AssetOf(ctx context.Context, clientID, assetID int64) (string, error) {
	var name string
	err := db.queryRow(ctx, `SELECT name FROM assets WHERE id = ? AND client_id = ?`, assetID, clientID).Scan(&name)
	return name, translate(err)
}

// searchWords splits a query into the words full-text search matches: the
// folded runs of letters and digits. Everything else only separates words,
// so that no character of the query reaches the FTS5 or tsquery syntax.
func searchWords(q string) []string {
	return strings.FieldsFunc(fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// searchCond returns the condition on tickets (aliased t) that their
// document holds every word of q, the last one as a prefix (the one being
// typed). A query without a word matches nothing.
func (db *DB) searchCond(q string) (string, []any) {
	words := searchWords(q)
	if len(words) == 0 {
		return "1 = 0", nil
	}
	if db.dialect == SQLite {
		// "w1" "w2" "w3"*: words are letters and digits, safe inside quotes.
		return `t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)`, []any{`"` + strings.Join(words, `" "`) + `"*`}
	}
	query, args := tsQuery(words)
	return `t.id IN (SELECT s.ticket_id FROM ticket_search AS s WHERE s.body @@ ` + query + `)`, args
}

// tsQuery is the PostgreSQL tsquery of search words. The last word, as
// typed, is a prefix of a whole word ('simple' lexemes); stemmed
// ('french'), it also finds the other forms of a complete word
// ("imprimantes" finds "imprimante").
func tsQuery(words []string) (string, []any) {
	last := "'" + words[len(words)-1] + "':*"
	cond, args := `(to_tsquery('simple', ?) || to_tsquery('french', ?))`, []any{last, last}
	if len(words) > 1 {
		cond = `to_tsquery('french', ?) && ` + cond
		args = append([]any{"'" + strings.Join(words[:len(words)-1], "' & '") + "'"}, args...)
	}
	return "(" + cond + ")", args
}

// searchProbeLimit is how many matching documents the PostgreSQL search
// probe lists before it leaves the search to the main query.
const searchProbeLimit = 5000

// probeLimit is searchProbeLimit, or the limit a test set.
func (db *DB) probeLimit() int {
	if db.searchProbe0 > 0 {
		return db.searchProbe0
	}
	return searchProbeLimit
}

// searchFilter returns the search condition of a ticket list. On
// PostgreSQL a rare word is the slow case: the planner cannot estimate a
// prefix query (`word:*`), assumes a few per cent of the documents match,
// and walks the tickets newest first testing each document, which reads
// them all when only a handful match. So a probe first asks the GIN index
// alone (sequential scans off, on its own read connection) for up to
// searchProbeLimit matching tickets: when there are fewer, the list filters
// on those ids, which is a few primary-key lookups. A common word within one
// client tests only that client's documents (a materialized list of its
// tickets matching the list's other conditions, which the planner cannot
// trade for a walk of everyone's), unless the list is only the client's
// newest first; a common word across clients finds a page quickly walking
// the newest. narrow and narrowArgs are the list's
// other conditions on tickets (aliased t).
func (db *DB) searchFilter(ctx context.Context, q string, clientID int64, newestFirst bool, narrow string, narrowArgs []any) (string, []any, error) {
	cond, args := db.searchCond(q)
	if db.dialect != Postgres || len(args) == 0 {
		return cond, args, nil
	}
	ids, err := db.searchProbe(ctx, cond, args)
	if err != nil {
		return "", nil, err
	}
	if len(ids) <= db.probeLimit() {
		return "t.id = ANY(?)", []any{ids}, nil
	}
	if clientID == 0 || newestFirst {
		// Newest first, the walk goes down the client's tickets
		// (tickets_client_id) and stops at the first page of matches.
		return cond, args, nil
	}
	query, qargs := tsQuery(searchWords(q))
	return `t.id IN (WITH c AS MATERIALIZED (SELECT t.id FROM tickets AS t WHERE ` + narrow + `)
		SELECT s.ticket_id FROM c JOIN ticket_search AS s ON s.ticket_id = c.id WHERE s.body @@ ` + query + `)`, append(narrowArgs, qargs...), nil
}

// searchProbe lists up to searchProbeLimit+1 tickets whose document matches
// cond (a searchCond), through the GIN index.
func (db *DB) searchProbe(ctx context.Context, cond string, args []any) ([]int64, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("search probe: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		return nil, fmt.Errorf("search probe: %w", err)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(cond, "t.id IN ("), ")")
	rows, err := tx.QueryContext(ctx, db.rebind(inner+` LIMIT ?`), append(args, db.probeLimit()+1)...)
	if err != nil {
		return nil, fmt.Errorf("search probe: %w", translate(err))
	}
	ids, err := collect(rows, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("search probe: %w", err)
	}
	return ids, nil
}

// indexTicket rewrites the search document of a ticket: its title, its
// description and its followups. It runs in the transaction of the change.
func (db *DB) indexTicket(ctx context.Context, id int64) error {
	if db.dialect == SQLite {
		// The tokenizer folds case and accents itself.
		_, err := db.exec(ctx, `INSERT OR REPLACE INTO ticket_fts (rowid, body)
			SELECT t.id, t.title || ' ' || t.description || ' ' || COALESCE((SELECT group_concat(f.body, ' ') FROM followups AS f WHERE f.ticket_id = t.id), '')
			FROM tickets AS t WHERE t.id = ?`, id)
		if err != nil {
			return fmt.Errorf("index ticket %d: %w", id, err)
		}
		return nil
	}
	var title, description string
	if err := db.queryRow(ctx, `SELECT title, description FROM tickets WHERE id = ?`, id).Scan(&title, &description); err != nil {
		return fmt.Errorf("index ticket %d: %w", id, translate(err))
	}
	rows, err := db.query(ctx, `SELECT body FROM followups WHERE ticket_id = ? ORDER BY id`, id)
	if err != nil {
		return fmt.Errorf("index ticket %d: %w", id, err)
	}
	texts, err := collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var b string
		return b, row.Scan(&b)
	})
	if err != nil {
		return fmt.Errorf("index ticket %d: %w", id, err)
	}
	doc := fold(append([]string{title, description}, texts...)...)
	_, err = db.exec(ctx, `INSERT INTO ticket_search (ticket_id, body) VALUES (?, to_tsvector('french', ?) || to_tsvector('simple', ?))
		ON CONFLICT (ticket_id) DO UPDATE SET body = excluded.body`, id, doc, doc)
	if err != nil {
		return fmt.Errorf("index ticket %d: %w", id, err)
	}
	return nil
}
