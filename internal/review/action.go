package review

import (
	"slices"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
)

// Status is where an action stands.
type Status string

// Statuses. Done and dropped close an action (ClosedAt is set); open and
// in progress carry it to the next review.
const (
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusDone       Status = "done"
	StatusDropped    Status = "dropped"
)

// Statuses lists every status in display order.
var Statuses = []Status{StatusOpen, StatusInProgress, StatusDone, StatusDropped}

// Valid reports whether st is a known status.
func (st Status) Valid() bool { return slices.Contains(Statuses, st) }

// Closed reports whether the status closes the action.
func (st Status) Closed() bool { return st == StatusDone || st == StatusDropped }

// Validation codes.
const (
	CodeBeforeCreation = "before_creation" // due date before the action was created
	CodeNotOfClient    = "not_of_client"   // owner (user or contact) of another client
	CodeNotBreached    = "not_breached"    // a cause for a clock the review does not list
)

// Action is an action decided in a service review.
type Action struct {
	ID       int64  `json:"id"`
	ClientID int64  `json:"client_id"`
	Title    string `json:"title"`
	// The owner: free text, a staff user (or user of the client), or a
	// contact of the client. OwnerName is the user's or contact's name as
	// read (not stored).
	Owner          string `json:"owner"`
	OwnerUserID    *int64 `json:"owner_user_id"`
	OwnerContactID *int64 `json:"owner_contact_id"`
	OwnerName      string `json:"owner_name"`
	// Due is a date (UTC midnight) read in the client's time zone.
	Due    time.Time `json:"due"`
	Status Status    `json:"status"`
	// DecidedFrom is the start of the period of the review that decided
	// it, DecidedIn that period's label ("2026-Q3").
	DecidedFrom time.Time  `json:"decided_from"`
	DecidedIn   string     `json:"decided_in"`
	ClosedAt    *time.Time `json:"closed_at"`
	Created     time.Time  `json:"created_at"`
	Updated     time.Time  `json:"-"`
}

// Who returns the owner to show: the user's or contact's name, then the
// free text.
func (a Action) Who() string {
	parts := []string{}
	if a.OwnerName != "" {
		parts = append(parts, a.OwnerName)
	}
	if a.Owner != "" {
		parts = append(parts, a.Owner)
	}
	return strings.Join(parts, " — ")
}

// Carried reports whether the action was decided in an earlier review
// than the one starting at from.
func (a Action) Carried(from time.Time) bool { return a.DecidedFrom.Before(from) }

// normalize checks what needs no database: a title, an owner, a due date
// not before the creation date (created, read in loc), a known status.
func (a *Action) normalize(created time.Time, loc *time.Location) error {
	var v fault.Invalid
	a.Title = v.Text("title", a.Title, maxTitleRunes, true, false)
	a.Owner = v.Text("owner", a.Owner, maxOwnerRunes, false, false)
	if a.Owner == "" && a.OwnerUserID == nil && a.OwnerContactID == nil {
		v.Add("owner", "required")
	}
	if a.Status == "" {
		a.Status = StatusOpen
	}
	if !a.Status.Valid() {
		v.Add("status", "invalid_choice")
	}
	if a.Due.IsZero() {
		v.Add("due", "required")
	} else {
		a.Due = day(a.Due, time.UTC)
		if a.Due.Before(day(created, loc)) {
			v.Add("due", CodeBeforeCreation, day(created, loc).Format(time.DateOnly))
		}
	}
	return v.Err()
}

// Meeting is what staff record of the review meeting.
type Meeting struct {
	ID       int64      `json:"id"`
	ClientID int64      `json:"client_id"`
	Period   string     `json:"period"`
	From     time.Time  `json:"from"`
	To       time.Time  `json:"to"`
	HeldOn   *time.Time `json:"held_on"` // a date (UTC midnight)
	// Attendees and Notes are free text.
	Attendees string    `json:"attendees"`
	Notes     string    `json:"notes"`
	Updated   time.Time `json:"-"`
}

func (m *Meeting) normalize() error {
	var v fault.Invalid
	m.Attendees = v.Text("attendees", m.Attendees, maxMeetingRunes, false, true)
	m.Notes = v.Text("notes", m.Notes, maxMeetingRunes, false, true)
	if m.HeldOn != nil {
		d := day(*m.HeldOn, time.UTC)
		m.HeldOn = &d
	}
	return v.Err()
}

// Cause is the cause staff gave for one breached clock in a review.
type Cause struct {
	TicketID int64  `json:"ticket_id"`
	Clock    string `json:"clock"`
	Text     string `json:"text"`
}

// day is the date t shows in loc, as UTC midnight.
func day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
