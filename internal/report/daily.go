package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Daily is the daily summary (compte rendu) of one client's day: the
// tickets opened and closed, the alerts, the interventions and the backups
// of the day.
type Daily struct {
	ClientID int64      `json:"client_id"`
	Client   string     `json:"client"`
	Period   PeriodInfo `json:"period"`
	// Opened are the tickets created in the day, Closed those resolved in
	// it (and not reopened since), by id.
	Opened []DayTicket `json:"opened"`
	Closed []DayTicket `json:"closed"`
	// Alerts are the hard problems of the day, oldest first; those during a
	// maintenance window are marked.
	Alerts []DayAlert `json:"alerts"`
	// AlertCount and InMaintenance count them as Monthly.Alerts does.
	AlertCount    int `json:"alert_count"`
	InMaintenance int `json:"in_maintenance"`
	// Interventions are the time entries started in the day, oldest first.
	Interventions []Intervention `json:"interventions"`
	Time          TimeSpent      `json:"time"`
	// Backups are the backup runs of the day, oldest first.
	Backups       []DayBackup `json:"backups"`
	BackupSuccess Ratio       `json:"backup_success"`
}

// DayTicket is a ticket of the day.
type DayTicket struct {
	ID       int64           `json:"id"`
	Title    string          `json:"title"`
	Type     ticket.Type     `json:"type"`
	Priority ticket.Priority `json:"priority"`
	// Status is the ticket's status at the end of the day (or now).
	Status   ticket.Status `json:"status"`
	Created  time.Time     `json:"created"`
	Resolved *time.Time    `json:"resolved"` // nil unless resolved by the end of the day

	OutOfPerimeter bool `json:"out_of_perimeter"`
}

// DayAlert is a hard problem of a check.
type DayAlert struct {
	At          time.Time `json:"at"`
	CheckID     int64     `json:"check_id"`
	Check       string    `json:"check"`
	AssetID     int64     `json:"asset_id"`
	Asset       string    `json:"asset"`
	State       string    `json:"state"` // WARNING, CRITICAL or UNKNOWN (check.State)
	Maintenance bool      `json:"maintenance"`
}

// Intervention is a time entry.
type Intervention struct {
	Start      time.Time `json:"start"`
	Technician string    `json:"technician"`
	TicketID   int64     `json:"ticket_id"`
	Ticket     string    `json:"ticket"` // its title, "" when not among the day's rows
	Minutes    int       `json:"minutes"`
	OnSite     bool      `json:"on_site"`
	Billable   bool      `json:"billable"`
}

// DayBackup is a backup run.
type DayBackup struct {
	At      time.Time `json:"at"`
	CheckID int64     `json:"check_id"`
	Check   string    `json:"check"`
	AssetID int64     `json:"asset_id"`
	Asset   string    `json:"asset"`
	OK      bool      `json:"ok"`
}

// DailyFigures computes the daily summary of a client for a day (a
// KindDay period, "period": invalid_choice otherwise), validated and
// checked against the client's zone as Figures does.
func DailyFigures(ctx context.Context, st Store, clientID int64, p Period, now time.Time) (Daily, error) {
	if p.Kind != KindDay {
		return Daily{}, invalid("period", codeInvalid, string(KindDay))
	}
	if err := p.Validate(now); err != nil {
		return Daily{}, err
	}
	name, zone, err := st.ReportClient(ctx, clientID)
	if err != nil {
		return Daily{}, fmt.Errorf("report client %d: %w", clientID, err)
	}
	if zone != p.Location.String() {
		return Daily{}, invalid("time_zone", codeInvalid, zone)
	}
	from, until := p.From, p.Until(now)
	info := PeriodInfo{Kind: p.Kind, Label: p.Label(), TimeZone: zone, From: p.From, To: p.To, Until: until, SoFar: p.SoFar(now)}
	tickets, err := st.ReportTickets(ctx, clientID, from, until)
	if err != nil {
		return Daily{}, fmt.Errorf("report tickets of client %d: %w", clientID, err)
	}
	entries, err := st.ReportTime(ctx, clientID, from, until)
	if err != nil {
		return Daily{}, fmt.Errorf("report time of client %d: %w", clientID, err)
	}
	_, checks, err := st.ReportAssets(ctx, clientID)
	if err != nil {
		return Daily{}, fmt.Errorf("report assets of client %d: %w", clientID, err)
	}
	problems, err := st.ReportProblems(ctx, clientID, from, until)
	if err != nil {
		return Daily{}, fmt.Errorf("report check problems of client %d: %w", clientID, err)
	}
	runs, err := st.ReportBackupRuns(ctx, clientID, from, until)
	if err != nil {
		return Daily{}, fmt.Errorf("report backup runs of client %d: %w", clientID, err)
	}
	d := DailyOf(tickets, entries, checks, problems, runs, from, until)
	d.ClientID, d.Client, d.Period = clientID, name, info
	return d, nil
}

// DailyOf lays out the rows of [from, until) as a daily summary (without
// its client and period).
func DailyOf(tickets []TicketRow, entries []TimeRow, checks []CheckRow, problems []Problem, runs []supervision.BackupRun, from, until time.Time) Daily {
	d := Daily{Opened: []DayTicket{}, Closed: []DayTicket{}, Alerts: []DayAlert{}, Interventions: []Intervention{}, Backups: []DayBackup{}}
	titles := map[int64]string{}
	for _, t := range tickets {
		titles[t.ID] = t.Title
		status := t.StatusAtEnd
		if status == "" {
			status = ticket.StatusNew
		}
		dt := DayTicket{ID: t.ID, Title: t.Title, Type: t.Type, Priority: t.Priority, Status: status, Created: t.Created,
			OutOfPerimeter: t.OutOfPerimeter}
		if t.Resolved != nil && t.Resolved.Before(until) {
			dt.Resolved = t.Resolved // a later resolution is not the day's news
		}
		if within(t.Created, from, until) {
			d.Opened = append(d.Opened, dt)
		}
		if withinPtr(t.Resolved, from, until) {
			d.Closed = append(d.Closed, dt)
		}
	}
	byID := func(a, b DayTicket) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortFunc(d.Opened, byID)
	slices.SortFunc(d.Closed, byID)

	checkOf := map[int64]CheckRow{}
	for _, c := range checks {
		checkOf[c.ID] = c
	}
	for _, p := range problems {
		if !within(p.At, from, until) {
			continue
		}
		c := checkOf[p.CheckID]
		d.Alerts = append(d.Alerts, DayAlert{At: p.At, CheckID: p.CheckID, Check: c.Name, AssetID: c.AssetID, Asset: c.AssetName,
			State: p.State.String(), Maintenance: p.Maintenance})
		if p.Maintenance {
			d.InMaintenance++
		} else {
			d.AlertCount++
		}
	}
	slices.SortStableFunc(d.Alerts, func(a, b DayAlert) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CheckID, b.CheckID)) })

	var day []TimeRow
	for _, e := range entries {
		if !within(e.Start, from, until) {
			continue
		}
		day = append(day, e)
		d.Interventions = append(d.Interventions, Intervention{Start: e.Start, Technician: e.Technician, TicketID: e.TicketID,
			Ticket: titles[e.TicketID], Minutes: minutes(e.Duration), OnSite: e.OnSite, Billable: e.Billable})
	}
	slices.SortStableFunc(d.Interventions, func(a, b Intervention) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.TicketID, b.TicketID))
	})
	d.Time = TimeOf(day)

	good := 0
	for _, r := range runs {
		if !within(r.At, from, until) {
			continue
		}
		c := checkOf[r.CheckID]
		d.Backups = append(d.Backups, DayBackup{At: r.At, CheckID: r.CheckID, Check: c.Name, AssetID: c.AssetID, Asset: c.AssetName, OK: r.OK})
		if r.OK {
			good++
		}
	}
	slices.SortStableFunc(d.Backups, func(a, b DayBackup) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CheckID, b.CheckID)) })
	d.BackupSuccess = ratio(good, len(d.Backups))
	return d
}

// CSV returns the daily summary as CSV, one line per item: section
// (opened, closed, alert, intervention, backup, total), then the columns of
// that section. Times are RFC 3339 in the day's zone; cells a spreadsheet
// would read as formulas start with an apostrophe.
func (d Daily) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	loc, err := time.LoadLocation(d.Period.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	line := func(cells ...string) {
		for i := range cells {
			cells[i] = safeCell(cells[i])
		}
		_ = w.Write(cells)
	}
	n := strconv.Itoa
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	b := strconv.FormatBool
	line("section", "client", "day", "time_zone")
	line("summary", d.Client, d.Period.Label, d.Period.TimeZone)
	line("section", "id", "title", "type", "priority", "status", "created", "resolved", "out_of_perimeter")
	for _, group := range []struct {
		name string
		ts   []DayTicket
	}{{"opened", d.Opened}, {"closed", d.Closed}} {
		for _, t := range group.ts {
			resolved := ""
			if t.Resolved != nil {
				resolved = ts(*t.Resolved)
			}
			line(group.name, id(t.ID), t.Title, string(t.Type), t.Priority.String(), string(t.Status), ts(t.Created), resolved, b(t.OutOfPerimeter))
		}
	}
	line("section", "at", "asset", "check", "state", "maintenance")
	for _, a := range d.Alerts {
		line("alert", ts(a.At), a.Asset, a.Check, a.State, b(a.Maintenance))
	}
	line("section", "start", "technician", "ticket_id", "ticket", "minutes", "on_site", "billable")
	for _, e := range d.Interventions {
		line("intervention", ts(e.Start), e.Technician, id(e.TicketID), e.Ticket, n(e.Minutes), b(e.OnSite), b(e.Billable))
	}
	line("section", "at", "asset", "check", "ok")
	for _, r := range d.Backups {
		line("backup", ts(r.At), r.Asset, r.Check, b(r.OK))
	}
	line("section", "measure", "value")
	line("total", "opened", n(len(d.Opened)))
	line("total", "closed", n(len(d.Closed)))
	line("total", "alerts", n(d.AlertCount))
	line("total", "alerts_in_maintenance", n(d.InMaintenance))
	line("total", "interventions", n(d.Time.Entries))
	line("total", "minutes", n(d.Time.TotalMinutes))
	line("total", "on_site_minutes", n(d.Time.OnSiteMinutes))
	line("total", "backup_runs", n(d.BackupSuccess.Whole))
	line("total", "backup_ok", n(d.BackupSuccess.Part))
	line("total", "backup_success_percent", num(d.BackupSuccess.Percent))
	w.Flush()
	return buf.Bytes()
}
