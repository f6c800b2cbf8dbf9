// Package report computes the figures of a client's reports — the monthly
// steering report (Figures), the daily summary (DailyFigures) and the annual
// report (AnnualFigures, twelve Figures) — from the helpdesk, supervision and
// metric rows of a period. It is the one source of those figures: the reports, their CSV and
// the dashboards call Figures and never count on their own.
//
// Every figure is a pure function over rows (tickets, status changes,
// ratings, time entries, hard check events, maintenance windows, backup runs,
// restore tests); the Store only fetches the rows of one client. docs/reports.md
// says what each figure means and how it is computed.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TicketRow is what the figures need of a ticket (merged duplicates are
// never rows).
type TicketRow struct {
	ID         int64
	Title      string
	Type       ticket.Type
	Priority   ticket.Priority
	CategoryID int64  // 0: none
	Category   string // the category's name
	Created    time.Time
	Owned      *time.Time
	Resolved   *time.Time // the last resolution; nil while open (reopening clears it)
	Covered    bool       // an SLA clock ran
	TTOBreach  *time.Time // when the time to own was breached
	TTRBreach  *time.Time // when the time to resolve was breached
	// StatusAtEnd is the status the last status change before the end of
	// the period set; "" when none happened by then (the ticket was new).
	StatusAtEnd ticket.Status
	// OutOfPerimeter marks a ticket on something the contract does not
	// cover (tickets.out_of_perimeter): no contractual SLA, listed apart.
	OutOfPerimeter  bool
	PerimeterReason string
}

// StatusChange is a change of a ticket's status (a timeline event).
type StatusChange struct {
	TicketID int64
	At       time.Time
	From, To ticket.Status
}

// Rating is a client's satisfaction score (1…5) of a ticket.
type Rating struct {
	TicketID int64
	Score    int
	At       time.Time
}

// TimeRow is a time entry.
type TimeRow struct {
	TicketID   int64
	Technician string // the technician's name
	Start      time.Time
	Duration   time.Duration
	Travel     time.Duration
	Billable   bool
	OnSite     bool
}

// AssetRow is an asset of the client.
type AssetRow struct {
	ID          int64
	SiteID      int64 // 0: none
	Name        string
	Criticality string // asset.Criticality
}

// CheckRow is a check of the client.
type CheckRow struct {
	ID        int64
	AssetID   int64
	Name      string
	AssetName string
	Kind      supervision.Kind
	Severity  supervision.Severity
	Enabled   bool
}

// Problem is a hard problem of a check: it went from OK to a problem state.
type Problem struct {
	CheckID     int64
	At          time.Time
	State       check.State // the problem state reached
	Maintenance bool        // during a maintenance window of its asset
}

// Store fetches the rows of one client for a period, whatever the caller's
// scope (system work: the caller decided the client may be reported).
type Store interface {
	// ReportClient returns the client's name and time zone;
	// fault.ErrNotFound when there is no such client.
	ReportClient(ctx context.Context, clientID int64) (name, timeZone string, err error)
	// ReportTickets returns the client's tickets (merged duplicates left
	// out) created before to that were created, owned or resolved in
	// [from, to) or not resolved before to; StatusAtEnd is read at to.
	ReportTickets(ctx context.Context, clientID int64, from, to time.Time) ([]TicketRow, error)
	// ReportStatusChanges returns the status changes of the client's tickets in [from, to).
	ReportStatusChanges(ctx context.Context, clientID int64, from, to time.Time) ([]StatusChange, error)
	// ReportRatings returns the ratings of the client's tickets given in [from, to).
	ReportRatings(ctx context.Context, clientID int64, from, to time.Time) ([]Rating, error)
	// ReportTime returns the time entries of the client's tickets started in [from, to).
	ReportTime(ctx context.Context, clientID int64, from, to time.Time) ([]TimeRow, error)
	// ReportAssets returns the client's assets and checks.
	ReportAssets(ctx context.Context, clientID int64) ([]AssetRow, []CheckRow, error)
	// ReportHardEvents returns the hard events of the checks of the given
	// assets of the client in [from, to) and, per check, the last hard event
	// before from.
	ReportHardEvents(ctx context.Context, clientID int64, assetIDs []int64, from, to time.Time) ([]supervision.Event, error)
	// ReportProblems returns the hard problems (check.Problem events) of
	// the client's checks in [from, to).
	ReportProblems(ctx context.Context, clientID int64, from, to time.Time) ([]Problem, error)
	// ReportWindows returns the client's maintenance windows (its own, its
	// sites' and its assets').
	ReportWindows(ctx context.Context, clientID int64) ([]check.Window, error)
	// ReportBackupRuns returns the runs of the client's backup jobs in [from, to).
	ReportBackupRuns(ctx context.Context, clientID int64, from, to time.Time) ([]supervision.BackupRun, error)
	// ReportRestoreTests returns, per asset of the client, its last restore
	// test before before.
	ReportRestoreTests(ctx context.Context, clientID int64, before time.Time) ([]supervision.RestoreTest, error)
	// ReportFilesystems returns the used-percent series of the filesystems
	// of the client's assets (agent metric fs.used_percent, one per mount)
	// with their points in [from, to], oldest first.
	ReportFilesystems(ctx context.Context, clientID int64, from, to time.Time) ([]FSSeries, error)
	// ReportContract returns the client's active contract in force on day
	// (a date, UTC midnight); found is false when none is.
	ReportContract(ctx context.Context, clientID int64, day time.Time) (c contract.Contract, found bool, err error)
	// UsageSums is the contracts' usage query (contract.Summer): the
	// support figures come from it, as on the contract page.
	contract.Summer
}

// Monthly holds the figures of a steering report for one client and period
// (the monthly one, or any other period).
type Monthly struct {
	ClientID int64      `json:"client_id"`
	Client   string     `json:"client"`
	Period   PeriodInfo `json:"period"`
	Tickets  Tickets    `json:"tickets"`
	Time     TimeSpent  `json:"time"`
	// Satisfaction is over the ratings given in the period.
	Satisfaction Satisfaction `json:"satisfaction"`
	// Availability has one line per critical asset, by name.
	Availability []Availability `json:"availability"`
	Alerts       Alerts         `json:"alerts"`
	Backups      Backups        `json:"backups"`
	// Capacity lists the filesystems trending full (see CapacityOf).
	Capacity []Capacity `json:"capacity"`
	// OutOfPerimeter is the work on tickets outside the contract's
	// perimeter, listed apart (and left out of the TTO/TTR compliance).
	OutOfPerimeter OutOfPerimeter `json:"out_of_perimeter"`
	// Support is the support time consumed against the contract in force
	// at the end of the period (see SupportOf).
	Support Support `json:"support"`
}

// PeriodInfo says which period the figures cover.
type PeriodInfo struct {
	Kind     Kind      `json:"kind"`
	Label    string    `json:"label"`
	TimeZone string    `json:"time_zone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`    // excluded
	Until    time.Time `json:"until"` // the figures' end: To, or the moment computed while the period runs
	SoFar    bool      `json:"so_far"`
}

// Figures computes the steering-report figures of a client for a period at
// now. The period is validated first (see Period.Validate) and must be in
// the client's time zone ("time_zone": invalid_choice, with the client's
// zone as param); an unknown client is fault.ErrNotFound.
func Figures(ctx context.Context, st Store, clientID int64, p Period, now time.Time) (Monthly, error) {
	return figures(ctx, st, clientID, p, now, true)
}

// figures is Figures; without capacity, the filesystems are not read and
// Capacity stays empty (the annual report, which does not show them, calls
// it fourteen times).
func figures(ctx context.Context, st Store, clientID int64, p Period, now time.Time, capacity bool) (Monthly, error) {
	if err := p.Validate(now); err != nil {
		return Monthly{}, err
	}
	name, zone, err := st.ReportClient(ctx, clientID)
	if err != nil {
		return Monthly{}, fmt.Errorf("report client %d: %w", clientID, err)
	}
	if zone != p.Location.String() {
		// Days, months and so the figures depend on the zone: a period
		// in another one would not be the client's month.
		return Monthly{}, invalid("time_zone", codeInvalid, zone)
	}
	from, until := p.From, p.Until(now)
	m := Monthly{ClientID: clientID, Client: name, Period: PeriodInfo{
		Kind: p.Kind, Label: p.Label(), TimeZone: p.Location.String(),
		From: p.From, To: p.To, Until: until, SoFar: p.SoFar(now),
	}}

	tickets, err := st.ReportTickets(ctx, clientID, from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report tickets of client %d: %w", clientID, err)
	}
	changes, err := st.ReportStatusChanges(ctx, clientID, from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report status changes of client %d: %w", clientID, err)
	}
	m.Tickets = TicketFigures(tickets, changes, from, until)

	ratings, err := st.ReportRatings(ctx, clientID, from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report ratings of client %d: %w", clientID, err)
	}
	m.Satisfaction = SatisfactionOf(ratings)

	entries, err := st.ReportTime(ctx, clientID, from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report time of client %d: %w", clientID, err)
	}
	m.Time = TimeOf(entries)

	assets, checks, err := st.ReportAssets(ctx, clientID)
	if err != nil {
		return Monthly{}, fmt.Errorf("report assets of client %d: %w", clientID, err)
	}
	events, err := st.ReportHardEvents(ctx, clientID, CriticalAssets(assets), from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report check events of client %d: %w", clientID, err)
	}
	problems, err := st.ReportProblems(ctx, clientID, from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report check problems of client %d: %w", clientID, err)
	}
	windows, err := st.ReportWindows(ctx, clientID)
	if err != nil {
		return Monthly{}, fmt.Errorf("report maintenance of client %d: %w", clientID, err)
	}
	m.Availability = AvailabilityOf(clientID, assets, checks, events, windows, from, until)
	m.Alerts = AlertsOf(checks, problems, from, until)

	runs, err := st.ReportBackupRuns(ctx, clientID, from, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report backup runs of client %d: %w", clientID, err)
	}
	restores, err := st.ReportRestoreTests(ctx, clientID, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report restore tests of client %d: %w", clientID, err)
	}
	m.Backups = BackupsOf(checks, runs, restores)
	m.OutOfPerimeter = OutOfPerimeterOf(tickets, entries, from, until)
	if m.Support, err = supportFigures(ctx, st, clientID, p, from, until, m.OutOfPerimeter); err != nil {
		return Monthly{}, err
	}
	m.Capacity = []Capacity{}
	if !capacity {
		return m, nil
	}
	fsFrom := until.Add(-CapacityWindow)
	fs, err := st.ReportFilesystems(ctx, clientID, fsFrom, until)
	if err != nil {
		return Monthly{}, fmt.Errorf("report filesystems of client %d: %w", clientID, err)
	}
	m.Capacity = CapacityOf(fs, fsFrom, until)
	return m, nil
}
