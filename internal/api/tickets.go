package api

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// The helpdesk speaks minutes: time.Duration would put nanoseconds on the
// wire, and a technician logs time in minutes anyway.

// Bounds of the minutes the API accepts, checked before they become a
// time.Duration so that no product overflows.
const (
	maxEntryMinutes = 24 * 60 // one time entry: a day at most (ticket.Service.LogTime)
)

var ticketLevels = []string{"N1", "N2", "N3"}

// ticketCreate is the body of POST /tickets.
type ticketCreate struct {
	ClientID    *int64      `json:"client_id" doc:"Staff: required. Client users: their own client, the default (any other client is an invalid choice)"`
	Type        ticket.Type `json:"type" doc:"required"`
	CategoryID  *int64      `json:"category_id"`
	Title       string      `json:"title" doc:"required"`
	Description string      `json:"description" doc:"Markdown"`
	RequesterID *int64      `json:"requester_id" doc:"A contact of the client. A client user linked to a contact is always the requester of its tickets"`
	SiteID      *int64      `json:"site_id" doc:"A site of the client"`
	Impact      int         `json:"impact" doc:"1 (high) to 3 (low), 2 by default. Staff only: ignored for client users"`
	Urgency     int         `json:"urgency" doc:"1 (high) to 3 (low), 2 by default. Staff only: ignored for client users"`
	AssigneeID  *int64      `json:"assignee_id" doc:"A staff user who may see the client. Staff only: ignored for client users"`
	Level       string      `json:"level" doc:"enum=N1|N2|N3;N1 by default. Staff only: ignored for client users"`
	AssetIDs    []int64     `json:"asset_ids" doc:"Assets of the client the ticket is about (at most 50). Staff only: ignored for client users"`
}

// ticketPatch is the body of PATCH /tickets/{id} (staff only).
type ticketPatch struct {
	Type       Opt[ticket.Type]   `json:"type"`
	CategoryID Opt[int64]         `json:"category_id" doc:"null removes the category"`
	Title      Opt[string]        `json:"title"`
	Impact     Opt[int]           `json:"impact" doc:"1 (high) to 3 (low): the priority follows the matrix"`
	Urgency    Opt[int]           `json:"urgency" doc:"1 (high) to 3 (low): the priority follows the matrix"`
	Status     Opt[ticket.Status] `json:"status"`
	AssigneeID Opt[int64]         `json:"assignee_id" doc:"A staff user who may see the client. null unassigns"`
	Level      Opt[string]        `json:"level" doc:"enum=N1|N2|N3"`
	SiteID     Opt[int64]         `json:"site_id" doc:"null removes the site"`
	AssetIDs   Opt[[]int64]       `json:"asset_ids" doc:"Replaces the linked assets (assets of the ticket's client, at most 50); [] or null unlinks them all"`
}

// timeline is the body of GET /tickets/{id}/timeline.
type timeline struct {
	// Followups are the messages; private notes only for staff.
	Followups []ticket.Followup `json:"followups"`
	// Events are the changes; private ones (notes, time, level) only for staff.
	Events []ticket.Event `json:"events"`
}

// followupInput is the body of POST /tickets/{id}/followups.
type followupInput struct {
	Body   string `json:"body" doc:"required;Markdown"`
	Public *bool  `json:"public" doc:"true: a reply the client sees. false: a private note of the staff. Absent: private for staff, public for client users (who may not write private notes)"`
}

// timeEntryInput is the body of POST /tickets/{id}/time-entries.
type timeEntryInput struct {
	Start           string `json:"start" doc:"format=date-time;When the work began (RFC 3339). Absent: the duration before now"`
	DurationMinutes int    `json:"duration_minutes" doc:"required;Minutes worked, 1 to 1440"`
	OnSite          bool   `json:"on_site"`
	TravelMinutes   int    `json:"travel_minutes" doc:"Minutes of travel, 0 to 1440, on-site work only"`
	Billable        *bool  `json:"billable" doc:"true by default"`
	Note            string `json:"note"`
	TechnicianID    *int64 `json:"technician_id" doc:"The staff user who did the work, one who may see the client. Absent: the caller"`
}

// timeEntry is a time entry as the API shows it.
type timeEntry struct {
	ID              int64     `json:"id"`
	TicketID        int64     `json:"ticket_id"`
	TechnicianID    int64     `json:"technician_id"`
	Start           time.Time `json:"start"`
	DurationMinutes int       `json:"duration_minutes" doc:"Minutes worked (rounded to the minute)"`
	OnSite          bool      `json:"on_site"`
	TravelMinutes   int       `json:"travel_minutes" doc:"Minutes of travel (rounded to the minute)"`
	Billable        bool      `json:"billable"`
	Note            string    `json:"note"`
	Created         time.Time `json:"created_at"`
}

func timeEntryOf(e ticket.TimeEntry) timeEntry {
	return timeEntry{ID: e.ID, TicketID: e.TicketID, TechnicianID: e.TechnicianID, Start: e.Start,
		DurationMinutes: minutes(e.Duration), OnSite: e.OnSite, TravelMinutes: minutes(e.Travel),
		Billable: e.Billable, Note: e.Note, Created: e.Created}
}

func minutes(d time.Duration) int { return int(d.Round(time.Minute) / time.Minute) }

// settingsInput is the body of PUT /helpdesk/settings: every field, as the
// PUT replaces the settings.
type settingsInput struct {
	Matrix     [][]ticket.Priority `json:"matrix" doc:"required;Three rows (impact 1 high to 3 low) of three priorities (urgency 1 high to 3 low)"`
	ReopenDays *int                `json:"reopen_days" doc:"required;Days after resolution during which a reply of the client reopens the ticket, 0 to 365 (0: never)"`
	CloseDays  *int                `json:"close_days" doc:"required;Days after which a resolved ticket is closed, 0 to 365 (0: never)"`
}

// categoryInput is the body of POST /helpdesk/categories.
type categoryInput struct {
	Name     string `json:"name" doc:"required"`
	ParentID *int64 `json:"parent_id" doc:"The parent category. Absent or null: a top-level category"`
}

// serviceLevelTarget is the promise of one priority, in business minutes.
type serviceLevelTarget struct {
	TTOMinutes int `json:"tto_minutes" doc:"Time to own, in business minutes, 0 to 600000 (0: no promise)"`
	TTRMinutes int `json:"ttr_minutes" doc:"Time to resolve, in business minutes excluding pauses, 0 to 600000 (0: no promise)"`
}

// serviceLevel is a client's helpdesk service level as the API shows it,
// with the calendar and targets of the contract in force, which the SLA
// clocks follow.
type serviceLevel struct {
	ClientID int64 `json:"client_id"`
	// Configured is false for a client without a service level: the values
	// shown are the defaults.
	Configured    bool                    `json:"configured"`
	AtRiskShare   float64                 `json:"at_risk_share" doc:"Share of a target after which a clock is at risk (0: 0.75)"`
	PauseStatuses []ticket.Status         `json:"pause_statuses" doc:"Statuses that pause the time to resolve. null: both waiting statuses"`
	Escalation    string                  `json:"escalation" doc:"Whom to call, when: shown on every ticket of the client"`
	Rules         []ticket.EscalationRule `json:"rules" doc:"Escalation rules: on trigger at-risk or breached of clock tto, ttr or \"\" (either), notify the assignee and managers, raise_level N2/N3, reassign_to a staff user id. Each trigger of each clock escalates a ticket once"`
	Updated       *time.Time              `json:"updated_at" doc:"null when not configured"`
	// Contract is read-only here: business hours and targets are the
	// contract's (PUT /contracts/{id}).
	Contract *serviceLevelContract `json:"contract" doc:"The contract in force today, whose business hours and targets the SLA clocks follow (read-only here: change them on the contract). null: no contract in force, no SLA clock on new tickets"`
}

// serviceLevelContract is what a service level shows of the contract in force.
type serviceLevelContract struct {
	ID        int64                         `json:"id"`
	Reference string                        `json:"reference"`
	Calendar  calendarJSON                  `json:"calendar"`
	Targets   map[string]serviceLevelTarget `json:"targets" doc:"Per priority, P1 to P4. A priority left out has no promise"`
}

// serviceLevelInput is the body of PUT /clients/{id}/service-level.
type serviceLevelInput struct {
	Calendar      calendarJSON                  `json:"calendar" doc:"Refused (400, field calendar): business hours are set on the contract"`
	Targets       map[string]serviceLevelTarget `json:"targets" doc:"Refused (400, field targets): targets are set on the contract"`
	AtRiskShare   float64                       `json:"at_risk_share" doc:"Share of a target after which a clock is at risk, 0 to 1 (0: 0.75)"`
	PauseStatuses []ticket.Status               `json:"pause_statuses" doc:"Statuses that pause the time to resolve: waiting-for-client, waiting-for-third-party. Absent or null: both. []: none"`
	Escalation    string                        `json:"escalation" doc:"Whom to call, when: shown on every ticket of the client"`
	Rules         []ticket.EscalationRule       `json:"rules" doc:"Escalation rules (at most 10); absent or null: none"`
}

// calendarJSON is a business-hours calendar in package sla's JSON form,
// carried as the object itself (not a string holding it) and read strictly
// by sla.Parse.
type calendarJSON []byte

// MarshalJSON writes the calendar object.
func (c calendarJSON) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("null"), nil
	}
	return c, nil
}

// UnmarshalJSON keeps the raw value.
func (c *calendarJSON) UnmarshalJSON(b []byte) error {
	*c = append((*c)[:0], b...)
	return nil
}

// calendarDoc describes calendarJSON in the OpenAPI document.
type calendarDoc struct {
	TZ       string              `json:"tz" doc:"required;IANA time zone of the business hours, e.g. Europe/Paris"`
	Week     map[string][]string `json:"week" doc:"required;Business ranges HH:MM-HH:MM per day (mon, tue, wed, thu, fri, sat, sun), 24:00 as an end only. A day left out is closed"`
	Holidays string              `json:"holidays" doc:"enum=|FR|FR-alsace-moselle;Public holidays, closed all day"`
	Extra    []string            `json:"extra" doc:"Further closed dates, YYYY-MM-DD"`
	Worked   []string            `json:"worked" doc:"Public holidays that are worked, YYYY-MM-DD"`
}

// renamed returns err with the fields of its validation failure renamed
// from the service's names to the API's.
func renamed(err error, names map[string]string) error {
	v, ok := fault.AsInvalid(err)
	if !ok {
		return err
	}
	out := &fault.Invalid{Fields: slices.Clone(v.Fields)}
	for i, f := range out.Fields {
		if n, ok := names[f.Field]; ok {
			out.Fields[i].Field = n
		}
	}
	return out
}

func (a *API) listTickets(c *call) (any, error) {
	q := c.query()
	f := ticket.Filter{ClientID: q.id("client_id"), Open: q.boolean("open"), Query: q.str("q")}
	f.Statuses = ticketStatuses(q)
	f.AssigneeID = ticketAssignee(q)
	if f.Level = q.v.Get("level"); f.Level != "" {
		q.bad.OneOf("level", f.Level, ticketLevels...)
	}
	f.Priority = ticketPriority(q)
	switch q.v.Get("out_of_perimeter") {
	case "", "0", "false":
	case "1", "true":
		f.OutOfPerimeter = true
	default:
		q.bad.Add("out_of_perimeter", "invalid_choice")
	}
	if f.Sort = q.v.Get("sort"); f.Sort != "" {
		q.bad.OneOf("sort", f.Sort, "due", "updated")
	}
	// The store's cursor carries the sort keys of the last row and the sort
	// it belongs to; the store refuses any other as invalid on "after".
	f.After = q.v.Get("after")
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit
	rows, next, err := a.d.Tickets.List(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	p := page[ticket.Ticket]{Data: rows}
	if p.Data == nil {
		p.Data = []ticket.Ticket{}
	}
	if next != "" {
		p.NextCursor = &next
	}
	return p, nil
}

// ticketStatuses reads status, repeated or comma-separated.
func ticketStatuses(q *query) []ticket.Status {
	var out []ticket.Status
	for _, v := range q.v["status"] {
		if v == "" {
			continue
		}
		for part := range strings.SplitSeq(v, ",") {
			st := ticket.Status(strings.TrimSpace(part))
			if !slices.Contains(ticket.Statuses, st) {
				if !q.bad.Has("status") {
					q.bad.Add("status", "invalid_choice")
				}
				continue
			}
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	return out
}

// ticketAssignee reads assignee_id: a staff user, or 0 for unassigned tickets.
func ticketAssignee(q *query) *int64 {
	s := q.v.Get("assignee_id")
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		q.bad.Add("assignee_id", "invalid_number")
		return nil
	}
	return &n
}

// ticketPriority reads priority: 1 to 4, or P1 to P4.
func ticketPriority(q *query) ticket.Priority {
	s := strings.ToUpper(q.v.Get("priority"))
	if s == "" {
		return 0
	}
	for p := ticket.P1; p <= ticket.P4; p++ {
		if s == p.String() || s == strconv.Itoa(int(p)) {
			return p
		}
	}
	q.bad.Add("priority", "invalid_choice")
	return 0
}

func (a *API) createTicket(c *call) (any, error) {
	var in ticketCreate
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	t := ticket.Ticket{Type: in.Type, CategoryID: in.CategoryID, Title: in.Title, Description: in.Description,
		RequesterID: in.RequesterID, SiteID: in.SiteID, Impact: in.Impact, Urgency: in.Urgency,
		AssigneeID: in.AssigneeID, Level: in.Level, AssetIDs: in.AssetIDs}
	var v fault.Invalid
	switch {
	case in.ClientID != nil:
		t.ClientID = *in.ClientID
		if !c.scope.Staff() && t.ClientID != c.scope.ClientID {
			// The service files a client user's ticket under its own
			// client whatever it asks: refuse rather than file it silently
			// somewhere else than the caller said.
			v.Add("client_id", "invalid_choice")
		}
	case c.scope.Staff():
		v.Add("client_id", "required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.d.Tickets.Create(c.r.Context(), c.scope, &t); err != nil {
		return nil, err
	}
	c.location("/tickets", t.ID)
	return t, nil
}

// ticket returns the ticket named by the path as the caller sees it: one of
// another client, or a request of another user for a client user, is not
// found, exactly like a missing one.
func (a *API) ticket(c *call) (ticket.Ticket, error) {
	id, err := c.id("id")
	if err != nil {
		return ticket.Ticket{}, err
	}
	return a.d.Tickets.Get(c.r.Context(), c.scope, id)
}

func (a *API) getTicket(c *call) (any, error) { return a.ticket(c) }

func (a *API) updateTicket(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	var in ticketPatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ch, err := in.change()
	if err != nil {
		return nil, err
	}
	return a.d.Tickets.Update(c.r.Context(), c.scope, t.ID, ch)
}

// change checks a patch and turns it into the service's change.
func (in ticketPatch) change() (ticket.Change, error) {
	// These fields always have a value: null cannot clear them.
	var v fault.Invalid
	for _, f := range []struct {
		name string
		null bool
	}{{"type", in.Type.Null}, {"title", in.Title.Null}, {"impact", in.Impact.Null}, {"urgency", in.Urgency.Null},
		{"status", in.Status.Null}, {"level", in.Level.Null}} {
		if f.null {
			v.Add(f.name, "required")
		}
	}
	// The service reads an impact or urgency of 0 as "the default", which
	// in a merge patch would silently turn 0 into 2.
	for _, f := range []struct {
		name string
		o    Opt[int]
	}{{"impact", in.Impact}, {"urgency", in.Urgency}} {
		if f.o.Set && !f.o.Null && (f.o.Value < 1 || f.o.Value > 3) {
			v.Add(f.name, "invalid_choice")
		}
	}
	return ticket.Change{
		Type: in.Type.ptr(), CategoryID: in.CategoryID.link(), Title: in.Title.ptr(), Impact: in.Impact.ptr(),
		Urgency: in.Urgency.ptr(), Status: in.Status.ptr(), AssigneeID: in.AssigneeID.link(), Level: in.Level.ptr(),
		SiteID: in.SiteID.link(), AssetIDs: in.AssetIDs.ptr(),
	}, v.Err()
}

func (a *API) getTimeline(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	fs, es, err := a.d.Tickets.Timeline(c.r.Context(), c.scope, t.ID)
	if err != nil {
		return nil, err
	}
	out := timeline{Followups: fs, Events: es}
	if out.Followups == nil {
		out.Followups = []ticket.Followup{}
	}
	if out.Events == nil {
		out.Events = []ticket.Event{}
	}
	return out, nil
}

func (a *API) createFollowup(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	var in followupInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	public := !c.scope.Staff()
	if in.Public != nil {
		public = *in.Public
	}
	f, err := a.d.Tickets.Reply(c.r.Context(), c.scope, t.ID, in.Body, public)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (a *API) listTimeEntries(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	rows, err := a.d.Tickets.TimeEntries(c.r.Context(), c.scope, t.ID)
	if err != nil {
		return nil, err
	}
	// A ticket has few time entries: one page.
	p := page[timeEntry]{Data: make([]timeEntry, len(rows))}
	for i, e := range rows {
		p.Data[i] = timeEntryOf(e)
	}
	return p, nil
}

func (a *API) createTimeEntry(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	var in timeEntryInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v fault.Invalid
	e := ticket.TimeEntry{OnSite: in.OnSite, Billable: in.Billable == nil || *in.Billable, Note: in.Note}
	if in.Start != "" {
		start, err := time.Parse(time.RFC3339Nano, in.Start)
		if err != nil {
			v.Add("start", "invalid_time")
		}
		e.Start = start
	}
	if in.DurationMinutes < 1 || in.DurationMinutes > maxEntryMinutes {
		v.Add("duration_minutes", "out_of_range", maxEntryMinutes)
	}
	switch {
	case in.TravelMinutes < 0 || in.TravelMinutes > maxEntryMinutes:
		v.Add("travel_minutes", "out_of_range", maxEntryMinutes)
	case in.TravelMinutes > 0 && !in.OnSite:
		v.Add("travel_minutes", "on_site_only")
	}
	if in.TechnicianID != nil {
		e.TechnicianID = *in.TechnicianID
		if e.TechnicianID <= 0 {
			v.Add("technician_id", "invalid_choice")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e.Duration = time.Duration(in.DurationMinutes) * time.Minute
	e.Travel = time.Duration(in.TravelMinutes) * time.Minute
	if err := a.d.Tickets.LogTime(c.r.Context(), c.scope, t.ID, &e); err != nil {
		return nil, renamed(err, map[string]string{"duration": "duration_minutes", "travel": "travel_minutes"})
	}
	return timeEntryOf(e), nil
}

func (a *API) getHelpdeskSettings(c *call) (any, error) {
	return a.d.Tickets.Settings(c.r.Context())
}

func (a *API) putHelpdeskSettings(c *call) (any, error) {
	var in settingsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v fault.Invalid
	var st ticket.Settings
	if in.Matrix == nil {
		v.Add("matrix", "required")
	} else if len(in.Matrix) != len(st.Matrix) || slices.ContainsFunc(in.Matrix, func(row []ticket.Priority) bool { return len(row) != len(st.Matrix[0]) }) {
		v.Add("matrix", "invalid_matrix")
	} else {
		for i, row := range in.Matrix {
			copy(st.Matrix[i][:], row)
		}
	}
	for _, f := range []struct {
		name string
		in   *int
		dst  *int
	}{{"reopen_days", in.ReopenDays, &st.ReopenDays}, {"close_days", in.CloseDays, &st.CloseDays}} {
		if f.in == nil {
			v.Add(f.name, "required")
			continue
		}
		*f.dst = *f.in
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.d.Tickets.SaveSettings(c.r.Context(), c.scope, st); err != nil {
		return nil, err
	}
	return a.d.Tickets.Settings(c.r.Context())
}

func (a *API) listCategories(c *call) (any, error) {
	rows, err := a.d.Tickets.Categories(c.r.Context())
	if err != nil {
		return nil, err
	}
	// The category tree is small: one page, by name.
	if rows == nil {
		rows = []ticket.Category{}
	}
	return page[ticket.Category]{Data: rows}, nil
}

func (a *API) createCategory(c *call) (any, error) {
	var in categoryInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	cat := ticket.Category{Name: in.Name, ParentID: in.ParentID}
	if err := a.d.Tickets.SaveCategory(c.r.Context(), c.scope, &cat); err != nil {
		return nil, err
	}
	c.location("/helpdesk/categories", cat.ID)
	return cat, nil
}

func (a *API) deleteCategory(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Tickets.DeleteCategory(c.r.Context(), c.scope, id)
}

func (a *API) getServiceLevel(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	sl, found, err := a.d.Tickets.ServiceLevel(c.r.Context(), c.scope, cl.ID)
	if err != nil {
		return nil, err
	}
	return a.serviceLevelOf(c, sl, found)
}

func (a *API) putServiceLevel(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	var in serviceLevelInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	// Business hours and targets moved onto contracts: sending them is a
	// mistake worth saying, not something to drop silently.
	var moved []fault.FieldError
	if b := bytes.TrimSpace(in.Calendar); len(b) > 0 && string(b) != "null" {
		moved = append(moved, fault.FieldError{Field: "calendar", Code: "set_on_contract"})
	}
	if in.Targets != nil {
		moved = append(moved, fault.FieldError{Field: "targets", Code: "set_on_contract"})
	}
	if moved != nil {
		return nil, &requestError{status: http.StatusBadRequest, key: "sla_contract.api_moved", fields: moved}
	}
	sl := ticket.ServiceLevel{ClientID: cl.ID, AtRiskShare: in.AtRiskShare, PauseStatuses: in.PauseStatuses, Escalation: in.Escalation, Rules: in.Rules}
	ctx := c.r.Context()
	if err := a.d.Tickets.SaveServiceLevel(ctx, c.scope, sl); err != nil {
		return nil, err
	}
	saved, found, err := a.d.Tickets.ServiceLevel(ctx, c.scope, cl.ID)
	if err != nil {
		return nil, err
	}
	return a.serviceLevelOf(c, saved, found)
}

// serviceLevelOf shows a service level with the contract in force today.
func (a *API) serviceLevelOf(c *call, sl ticket.ServiceLevel, found bool) (serviceLevel, error) {
	out := serviceLevel{ClientID: sl.ClientID, Configured: found, AtRiskShare: sl.AtRiskShare, PauseStatuses: sl.PauseStatuses,
		Escalation: sl.Escalation, Rules: sl.Rules}
	if out.Rules == nil {
		out.Rules = []ticket.EscalationRule{}
	}
	if found && !sl.Updated.IsZero() {
		u := sl.Updated
		out.Updated = &u
	}
	if a.d.Contracts == nil {
		return out, nil
	}
	k, inForce, err := a.d.Contracts.Current(c.r.Context(), c.scope, sl.ClientID)
	if err != nil || !inForce {
		return out, err
	}
	sc := &serviceLevelContract{ID: k.ID, Reference: k.Reference, Calendar: calendarJSON(k.Calendar), Targets: map[string]serviceLevelTarget{}}
	for p, t := range k.Targets {
		if t.TTO > 0 || t.TTR > 0 {
			sc.Targets[string(p)] = serviceLevelTarget{TTOMinutes: minutes(t.TTO), TTRMinutes: minutes(t.TTR)}
		}
	}
	out.Contract = sc
	return out, nil
}

// mergeInput is the body of POST /tickets/{id}/merge.
type perimeterInput struct {
	OutOfPerimeter *bool `json:"out_of_perimeter" doc:"required: true puts the ticket out of its contract's perimeter, false back in"`
}

func (a *API) setTicketPerimeter(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	var in perimeterInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.OutOfPerimeter == nil {
		v := &fault.Invalid{}
		v.Add("out_of_perimeter", "required")
		return nil, v
	}
	return a.d.Tickets.SetPerimeter(c.r.Context(), c.scope, t.ID, *in.OutOfPerimeter)
}

type mergeInput struct {
	TargetID int64 `json:"target_id" doc:"required: the ticket this one duplicates"`
}

func (a *API) mergeTicket(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	var in mergeInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.TargetID == 0 {
		v := &fault.Invalid{}
		v.Add("target_id", "required")
		return nil, v
	}
	return a.d.Tickets.Merge(c.r.Context(), c.scope, t.ID, in.TargetID)
}

func (a *API) listWatchers(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	ws, err := a.d.Tickets.Watchers(c.r.Context(), c.scope, t.ID)
	if err != nil {
		return nil, err
	}
	// A ticket has few watchers: one page.
	return page[ticket.Watcher]{Data: ws}, nil
}

func (a *API) addWatcher(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	user, err := c.id("user")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Tickets.Watch(c.r.Context(), c.scope, t.ID, user)
}

func (a *API) removeWatcher(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	user, err := c.id("user")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Tickets.Unwatch(c.r.Context(), c.scope, t.ID, user)
}

// bulkInput is the body of POST /tickets/bulk.
type bulkInput struct {
	IDs        []int64            `json:"ids" doc:"required: 1 to 200 ticket numbers"`
	Status     Opt[ticket.Status] `json:"status"`
	AssigneeID Opt[int64]         `json:"assignee_id" doc:"A staff user who may see each ticket's client. null unassigns"`
	Level      Opt[string]        `json:"level" doc:"enum=N1|N2|N3"`
	Impact     Opt[int]           `json:"impact" doc:"1 (high) to 3 (low)"`
	Urgency    Opt[int]           `json:"urgency" doc:"1 (high) to 3 (low)"`
}

// bulkOutput is the answer of POST /tickets/bulk: one result per distinct id, in order.
type bulkOutput struct {
	Results []bulkResult `json:"results"`
	Changed int          `json:"changed"`
}

// bulkResult is what a bulk change did to one ticket.
type bulkResult struct {
	ID      int64    `json:"id"`
	OK      bool     `json:"ok"`
	Problem *problem `json:"problem,omitempty" doc:"why the ticket was not changed"`
}

func (a *API) bulkUpdate(c *call) (any, error) {
	var in bulkInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ch, err := ticketPatch{Status: in.Status, AssigneeID: in.AssigneeID, Level: in.Level, Impact: in.Impact, Urgency: in.Urgency}.change()
	if err != nil {
		return nil, err
	}
	res, err := a.d.Tickets.BulkUpdate(c.r.Context(), c.scope, in.IDs, ch)
	if err != nil {
		return nil, err
	}
	out := bulkOutput{Results: make([]bulkResult, len(res))}
	for i, r := range res {
		out.Results[i] = bulkResult{ID: r.ID, OK: r.Err == nil}
		if r.Err != nil {
			p := a.problemOf(c, r.Err)
			out.Results[i].Problem = &p
		} else {
			out.Changed++
		}
	}
	return out, nil
}
