// Package ticket is the helpdesk: incidents, requests and changes of the
// clients, their followups, timeline and time entries, under the SLA of each
// client (package sla).
package ticket

import (
	"context"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Type is what a ticket is about.
type Type string

// Ticket types (ITIL).
const (
	TypeIncident Type = "incident" // something is broken
	TypeRequest  Type = "request"  // something is asked for
	TypeChange   Type = "change"   // a planned change to the client's IT
)

// Types lists every type.
var Types = []Type{TypeIncident, TypeRequest, TypeChange}

// Status is where a ticket is in its workflow.
type Status string

// The workflow: new → assigned → in progress → waiting for the client or a
// third party → resolved → closed; a resolved ticket may be reopened within
// the reopen delay.
const (
	StatusNew               Status = "new"
	StatusAssigned          Status = "assigned"
	StatusInProgress        Status = "in-progress"
	StatusWaitingClient     Status = "waiting-for-client"
	StatusWaitingThirdParty Status = "waiting-for-third-party"
	StatusResolved          Status = "resolved"
	StatusClosed            Status = "closed"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusNew, StatusAssigned, StatusInProgress, StatusWaitingClient, StatusWaitingThirdParty, StatusResolved, StatusClosed}

// Open reports whether a ticket in this status still needs work.
func (s Status) Open() bool { return s != StatusResolved && s != StatusClosed }

// Priority is P1 (most urgent) to P4.
type Priority int

// Priorities.
const (
	P1 Priority = 1
	P2 Priority = 2
	P3 Priority = 3
	P4 Priority = 4
)

// String returns "P1"…"P4".
func (p Priority) String() string { return "P" + string(rune('0'+int(p))) }

// Valid reports whether p is P1…P4.
func (p Priority) Valid() bool { return p >= P1 && p <= P4 }

// Ticket is one incident, request or change of a client.
type Ticket struct {
	ID          int64      `json:"id"` // also the number shown: #123
	ClientID    int64      `json:"client_id"`
	Type        Type       `json:"type"`
	CategoryID  *int64     `json:"category_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`  // Markdown
	RequesterID *int64     `json:"requester_id"` // a contact of the client
	SiteID      *int64     `json:"site_id"`
	Impact      int        `json:"impact"`  // 1 high … 3 low
	Urgency     int        `json:"urgency"` // 1 high … 3 low
	Priority    Priority   `json:"priority"`
	Status      Status     `json:"status"`
	AssigneeID  *int64     `json:"assignee_id"` // a staff user
	Level       string     `json:"level"`       // N1, N2, N3
	CreatedBy   *int64     `json:"created_by"`  // the user who opened it, nil for e-mail or alerts
	Created     time.Time  `json:"created_at"`
	Updated     time.Time  `json:"updated_at"`
	OwnedAt     *time.Time `json:"owned_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	// MergedInto is the ticket this duplicate was merged into.
	MergedInto *int64 `json:"merged_into"`
	// AssetIDs are the assets of the client the ticket is about (filled
	// when one ticket is read, not in lists).
	AssetIDs []int64 `json:"asset_ids,omitempty"`
	SLA      SLA     `json:"sla"`
	// OutOfPerimeter is true when the ticket is outside what the client's
	// contract covers: an asset outside its perimeter, or no contract in
	// force at its creation. Such a ticket has no contractual clock and its
	// time is billable.
	OutOfPerimeter bool `json:"out_of_perimeter"`
	// PerimeterReason says why: a contract.ReasonCode of the first asset
	// out, "no_contract", or PerimeterManual when staff set the flag; "" in
	// perimeter.
	PerimeterReason string `json:"perimeter_reason"`
	// ContractID is the contract in force at the ticket's creation (nil:
	// none), whose clock applies unless the ticket is out of perimeter.
	ContractID *int64 `json:"contract_id"`
}

// Watcher is a user who follows a ticket besides its requester.
type Watcher struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"-"`
	Staff  bool   `json:"staff"` // staff watchers are told of private notes too
}

// SLA is the stored summary of a ticket's SLA state, recomputed on every
// change and when NextCheck passes, so that queues sort and filter in SQL.
type SLA struct {
	// Covered is false when no contract was in force at the ticket's
	// creation, or the ticket is out of perimeter: no clock runs.
	Covered     bool       `json:"covered"`
	TTODue      *time.Time `json:"tto_due"`
	TTRDue      *time.Time `json:"ttr_due"`
	TTOBreachAt *time.Time `json:"tto_breached_at"`
	TTRBreachAt *time.Time `json:"ttr_breached_at"`
	AtRisk      bool       `json:"at_risk"`
	Paused      bool       `json:"paused"`
	NextCheck   *time.Time `json:"-"`
}

// Followup is a message on a ticket: public (the client sees it) or a
// private note of the staff.
type Followup struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id"`
	AuthorID *int64    `json:"author_id"`
	Author   string    `json:"author"`
	Public   bool      `json:"public"`
	Body     string    `json:"body"` // Markdown
	Created  time.Time `json:"created_at"`
}

// Event is one line of a ticket's timeline: every change, by whom.
type Event struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id"`
	At       time.Time `json:"at"`
	ActorID  *int64    `json:"actor_id"`
	Actor    string    `json:"actor"`
	Kind     string    `json:"kind"` // created, status, priority, assignee, level, followup, note, time, category, title
	From     string    `json:"from"`
	To       string    `json:"to"`
	// Public events are shown to the client (private notes and time entries are not).
	Public bool `json:"public"`
}

// TimeEntry is time a technician spent on a ticket.
type TimeEntry struct {
	ID           int64         `json:"id"`
	TicketID     int64         `json:"ticket_id"`
	TechnicianID int64         `json:"technician_id"`
	Start        time.Time     `json:"start"`
	Duration     time.Duration `json:"duration"`
	OnSite       bool          `json:"on_site"`
	Travel       time.Duration `json:"travel"`
	Billable     bool          `json:"billable"`
	Note         string        `json:"note"`
	Created      time.Time     `json:"created_at"`
}

// TimeTotal is the time spent on the tickets of one client over a period.
type TimeTotal struct {
	ClientID   int64         `json:"client_id"`
	ClientName string        `json:"client_name"`
	Duration   time.Duration `json:"duration"`
	Billable   time.Duration `json:"billable"`
	OnSite     int           `json:"on_site"` // entries worked on site
	Travel     time.Duration `json:"travel"`
	Tickets    int           `json:"tickets"` // tickets with time in the period
}

// Category is a node of the provider's category tree.
type Category struct {
	ID       int64  `json:"id"`
	ParentID *int64 `json:"parent_id"`
	Name     string `json:"name"`
}

// Filter selects tickets for a queue or a search.
type Filter struct {
	ClientID   int64
	Statuses   []Status // empty: any
	Open       *bool    // true: not resolved nor closed
	AssigneeID *int64   // 0 inside: unassigned
	Level      string
	Priority   Priority
	AssetID    int64 // tickets about this asset
	// OutOfPerimeter keeps only the tickets out of their contract's perimeter.
	OutOfPerimeter bool
	Query          string // matched against title and description
	// Sort is "due" (earliest TTR due first, uncovered last), "updated"
	// (newest first) or "" (newest first by id).
	Sort  string
	After string // opaque cursor of the previous page
	Limit int
}

// Store keeps tickets. Reads are filtered by scope in SQL: staff see the
// tickets of their clients; a client-admin all tickets of its client; a
// client-user those it requested (as its contact) or opened.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateTicket(ctx context.Context, s tenant.Scope, t *Ticket) error
	UpdateTicket(ctx context.Context, s tenant.Scope, t *Ticket) error
	Ticket(ctx context.Context, s tenant.Scope, id int64) (Ticket, error)
	// Tickets returns a page and the cursor of the next one ("" at the end).
	Tickets(ctx context.Context, s tenant.Scope, f Filter) ([]Ticket, string, error)
	// DueForCheck returns tickets whose SLA NextCheck is at or before now (system scope).
	DueForCheck(ctx context.Context, now time.Time, limit int) ([]Ticket, error)
	// ResolvedBefore returns ids of tickets resolved, not closed, before an instant.
	ResolvedBefore(ctx context.Context, before time.Time, limit int) ([]int64, error)
	// ScheduleSLACheck makes the open tickets of a client due for a check at at.
	ScheduleSLACheck(ctx context.Context, clientID int64, at time.Time) error

	AddFollowup(ctx context.Context, f *Followup) error
	Followups(ctx context.Context, ticketID int64, withPrivate bool) ([]Followup, error)
	AddEvent(ctx context.Context, e *Event) error
	Events(ctx context.Context, ticketID int64, withPrivate bool) ([]Event, error)
	AddTimeEntry(ctx context.Context, e *TimeEntry) error
	TimeEntries(ctx context.Context, ticketID int64) ([]TimeEntry, error)
	// TimeReport sums time entries started in [from, to) per client (clientID 0: all in scope).
	TimeReport(ctx context.Context, s tenant.Scope, from, to time.Time, clientID int64) ([]TimeTotal, error)
	ReplyTemplates(ctx context.Context) ([]ReplyTemplate, error)
	// SaveReplyTemplate inserts (ID 0) or replaces a reply template.
	SaveReplyTemplate(ctx context.Context, rt *ReplyTemplate) error
	DeleteReplyTemplate(ctx context.Context, id int64) error

	Categories(ctx context.Context) ([]Category, error)
	SaveCategory(ctx context.Context, c *Category) error
	DeleteCategory(ctx context.Context, id int64) error

	// Settings holds the helpdesk settings of the provider.
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, st Settings) error
	// ServiceLevel returns a client's service level; ErrNotFound when it has none.
	ServiceLevel(ctx context.Context, clientID int64) (ServiceLevel, error)
	SaveServiceLevel(ctx context.Context, sl ServiceLevel) error

	// SaveRating records a ticket's rating, replacing any earlier one.
	SaveRating(ctx context.Context, r *Rating) error
	// Rating returns a ticket's rating; ErrNotFound when it has none.
	Rating(ctx context.Context, ticketID int64) (Rating, error)
	// RatingSecret returns the key that signs the rating links.
	RatingSecret(ctx context.Context) ([]byte, error)

	// MergeTicket moves the followups, attachments and time entries of
	// source onto target and marks source merged into it.
	MergeTicket(ctx context.Context, source, target int64) error
	AddWatcher(ctx context.Context, ticketID, userID int64) error
	// RemoveWatcher is ErrNotFound when the user did not watch the ticket.
	RemoveWatcher(ctx context.Context, ticketID, userID int64) error
	Watchers(ctx context.Context, ticketID int64) ([]Watcher, error)

	// TicketAssets returns the assets linked to a ticket, by name.
	TicketAssets(ctx context.Context, ticketID int64) ([]LinkedAsset, error)
	// SetTicketAssets replaces the assets linked to a ticket.
	SetTicketAssets(ctx context.Context, ticketID int64, assetIDs []int64) error
	// AssetOf returns the name of an asset of the client, or ErrNotFound.
	AssetOf(ctx context.Context, clientID, assetID int64) (string, error)

	// ContractAt returns the client's contract in force at an instant (its
	// date in the client's time zone); found is false when none is.
	ContractAt(ctx context.Context, clientID int64, at time.Time) (c contract.Contract, found bool, err error)
	// AssetFacts returns what a contract's perimeter rule needs of an asset.
	AssetFacts(ctx context.Context, s tenant.Scope, assetID int64) (contract.AssetFacts, error)
}

// LinkedAsset is an asset a ticket is about.
type LinkedAsset struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// MaxAssets bounds the assets linked to one ticket.
const MaxAssets = 50
