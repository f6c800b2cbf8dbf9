package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/vigie-hq/vigie/internal/asset"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// The helpdesk pages. Staff work the queues of GET /tickets; client users
// see the same route as their portal ("my requests", or their company's for
// a client administrator). Every page of one ticket loads it through the
// service with the caller's scope before anything else, so a ticket of a
// client the caller may not see answers 404 whatever the route.

func ticketPath(id int64) string { return "/tickets/" + itoa(id) }

// Queues of the staff, in the order of their tabs.
const (
	queueMine       = "mine"
	queueLevel      = "level"
	queueUnassigned = "unassigned"
	queueBreaching  = "breaching"
	queueOpen       = "open"
	queueAll        = "all"
)

type queueTab struct {
	Key, Label, Href string
	Active           bool
}

type ticketRow struct {
	Ticket   ticket.Ticket
	Client   string
	Assignee string
}

type ticketListPage struct {
	// Staff is set for provider staff: tabs, filters and staff-only columns.
	Staff    bool
	Heading  string
	Tabs     []queueTab
	Queue    string
	Rows     []ticketRow
	Next     string
	Filtered bool
	// Options of the filters.
	Clients  []option
	Statuses []option
	Sorts    []option
	States   []option
	// CanCreate shows the "new ticket" button.
	CanCreate bool
	// Bulk shows the checkboxes and the bulk-change bar (staff who work on
	// tickets), with its options; Back is this page, to return to.
	Bulk                                    bool
	BulkStatuses, BulkAssignees, BulkLevels []option
	Back                                    string
}

func (h *Handler) ticketList(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	if !s.Can(tenant.TicketRead) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "tickets")
	q := r.URL.Query()
	d := ticketListPage{Staff: s.Staff(), CanCreate: s.Can(tenant.TicketCreate)}
	query := strings.TrimSpace(q.Get("q"))
	after := q.Get("after")
	f := ticket.Filter{Query: query, Limit: pageSize}
	yes := true
	values := url.Values{"q": {query}}
	var mergeLevel, coveredOnly bool
	var clientNames, staffNames map[int64]string
	if d.Staff {
		d.Heading = v.T("tickets.title")
		d.Queue = q.Get("queue")
		keys := []string{queueMine, queueLevel, queueUnassigned, queueBreaching, queueOpen, queueAll}
		if p.User.Level == "" {
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == queueLevel })
		}
		if !slices.Contains(keys, d.Queue) {
			d.Queue = queueOpen
		}
		sort := q.Get("sort")
		if sort != "updated" {
			sort = "due"
		}
		f.Sort = sort
		status := ticket.Status(q.Get("status"))
		if !slices.Contains(ticket.Statuses, status) {
			status = ""
		}
		clientID := formID(q, "client")
		if clientID != nil {
			f.ClientID = *clientID
		}
		switch d.Queue {
		case queueMine:
			me := p.User.ID
			f.AssigneeID = &me
		case queueLevel:
			f.Level, mergeLevel = p.User.Level, true
		case queueUnassigned:
			none := int64(0)
			f.AssigneeID = &none
		case queueBreaching:
			f.Sort, coveredOnly = "due", true
		}
		if d.Queue != queueAll {
			f.Open = &yes
		}
		// A chosen status narrows any queue, open or not.
		if status != "" {
			f.Open, f.Statuses = nil, []ticket.Status{status}
		}
		values.Set("queue", d.Queue)
		values.Set("sort", sort)
		values.Set("status", string(status))
		if clientID != nil {
			values.Set("client", itoa(*clientID))
		}
		if f.OutOfPerimeter = q.Get("out_of_perimeter") == "1"; f.OutOfPerimeter {
			values.Set("out_of_perimeter", "1")
		}
		d.Filtered = query != "" || status != "" || clientID != nil || f.OutOfPerimeter
		for _, k := range keys {
			tab := url.Values{"queue": {k}}
			for _, keep := range []string{"q", "client", "sort", "out_of_perimeter"} {
				if values.Get(keep) != "" {
					tab.Set(keep, values.Get(keep))
				}
			}
			label := v.T("queue." + k)
			if k == queueLevel {
				label = v.T("queue.level", p.User.Level)
			}
			d.Tabs = append(d.Tabs, queueTab{Key: k, Label: label, Href: "/tickets?" + tab.Encode(), Active: k == d.Queue})
		}
		cs, err := h.allClients(ctx, s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Clients = []option{{Value: "", Label: v.T("tickets.all_clients")}}
		clientNames = make(map[int64]string, len(cs))
		for _, c := range cs {
			d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
			clientNames[c.ID] = c.Name
		}
		d.Statuses = append([]option{{Value: "", Label: v.T("tickets.any_status")}}, v.statusOptions()...)
		d.Sorts = []option{{Value: "due", Label: v.T("tickets.sort_due")}, {Value: "updated", Label: v.T("tickets.sort_updated")}}
	} else {
		d.Heading = v.T("requests.mine")
		if s.Can(tenant.TicketAll) {
			d.Heading = v.T("requests.company")
		}
		state := q.Get("state")
		switch state {
		case "done":
			f.Statuses = []ticket.Status{ticket.StatusResolved, ticket.StatusClosed}
		case "all":
		default:
			state = "open"
			f.Open = &yes
		}
		f.Sort = "updated"
		values.Set("state", state)
		d.Queue = state
		d.Filtered = query != "" // each state has its own empty message
		d.States = []option{{Value: "open", Label: v.T("requests.state_open")}, {Value: "done", Label: v.T("requests.state_done")}, {Value: "all", Label: v.T("requests.state_all")}}
	}
	d.Filtered = d.Filtered || after != ""
	ts, next, err := h.queuePage(ctx, s, f, mergeLevel, coveredOnly, after)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if next != "" {
		nq := r.URL.Query()
		nq.Set("after", next)
		d.Next = r.URL.Path + "?" + nq.Encode()
	}
	if d.Staff {
		if staffNames, err = h.staffNames(ctx, s); err != nil {
			h.fail(w, r, err)
			return
		}
		if d.Bulk = s.Can(tenant.TicketWork) && len(ts) > 0; d.Bulk {
			if err := h.bulkOptions(ctx, v, s, &d); err != nil {
				h.fail(w, r, err)
				return
			}
			d.Back = r.URL.RequestURI()
		}
	}
	for _, t := range ts {
		row := ticketRow{Ticket: t, Client: clientNames[t.ClientID]}
		if t.AssigneeID != nil {
			row.Assignee = staffNames[*t.AssigneeID]
		}
		d.Rows = append(d.Rows, row)
	}
	v.Form.setValues(values)
	h.render(w, v, http.StatusOK, "tickets", d)
}

// queuePage returns one page of a queue and the cursor of the next.
//
// The queue of a support level shows the unassigned tickets first, then the
// assigned ones. The store sorts by due time or update only, so the queue is
// read in two phases, and the cursor says which: "u:…" walks the unassigned
// tickets, "a:…" the others (skipping the unassigned ones already shown).
// The breaching queue stops at the first ticket without a running time to
// resolve, which the due-time order puts last.
func (h *Handler) queuePage(ctx context.Context, s tenant.Scope, f ticket.Filter, mergeLevel, coveredOnly bool, after string) ([]ticket.Ticket, string, error) {
	if !mergeLevel {
		f.After = after
		ts, next, err := h.d.Tickets.List(ctx, s, f)
		if err != nil {
			return nil, "", err
		}
		if coveredOnly {
			// The due-time order puts tickets without a running time to
			// resolve last (no SLA, paused, no target): the queue ends there.
			if i := slices.IndexFunc(ts, func(t ticket.Ticket) bool { return !t.SLA.Covered || t.SLA.TTRDue == nil }); i >= 0 {
				return ts[:i], "", nil
			}
		}
		return ts, next, nil
	}
	phase, cur := "u", ""
	if p, c, ok := strings.Cut(after, ":"); ok && (p == "u" || p == "a") {
		phase, cur = p, c
	}
	none := int64(0)
	var out []ticket.Ticket
	// Each round moves the cursor forward; the bound only caps the work of
	// one page when many unassigned tickets are skipped in the second phase.
	for range 10 {
		g := f
		g.After, g.Limit = cur, pageSize-len(out)
		if phase == "u" {
			g.AssigneeID = &none
		}
		ts, next, err := h.d.Tickets.List(ctx, s, g)
		if err != nil {
			return nil, "", err
		}
		for _, t := range ts {
			if phase == "a" && t.AssigneeID == nil {
				continue
			}
			out = append(out, t)
		}
		switch {
		case next != "":
			cur = next
		case phase == "u":
			phase, cur = "a", ""
		default:
			return out, "", nil
		}
		if len(out) >= pageSize {
			break
		}
	}
	return out, phase + ":" + cur, nil
}

// ticketCounts is the helpdesk panel of the home page.
type ticketCounts struct {
	Open, AtRisk, Breached int
	// Capped is set when there were more open tickets than were counted.
	Capped bool
}

// maxCounted bounds the work of the home page's counts: beyond it the
// page says "1000+" rather than read every open ticket.
const maxCounted = 1000

// countTickets counts the open tickets the scope sees, those at risk and
// those past a deadline, reading the open queue page by page.
func (h *Handler) countTickets(ctx context.Context, s tenant.Scope) (*ticketCounts, error) {
	yes := true
	f := ticket.Filter{Open: &yes, Limit: 200}
	now := h.now()
	var c ticketCounts
	for {
		ts, next, err := h.d.Tickets.List(ctx, s, f)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			c.Open++
			switch {
			case t.SLA.TTOBreachAt != nil || t.SLA.TTRBreachAt != nil ||
				(t.OwnedAt == nil && t.SLA.TTODue != nil && !t.SLA.TTODue.After(now)) ||
				(!t.SLA.Paused && t.SLA.TTRDue != nil && !t.SLA.TTRDue.After(now)):
				c.Breached++
			case t.SLA.AtRisk:
				c.AtRisk++
			}
		}
		if next == "" {
			return &c, nil
		}
		if c.Open >= maxCounted {
			c.Capped = true
			return &c, nil
		}
		f.After = next
	}
}

// allStaff lists every staff user the scope sees.
func (h *Handler) allStaff(ctx context.Context, s tenant.Scope) ([]user.User, error) {
	var out []user.User
	var after int64
	for {
		page, err := h.d.Users.List(ctx, s, user.Filter{Staff: true, After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 500 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

func (h *Handler) staffNames(ctx context.Context, s tenant.Scope) (map[int64]string, error) {
	us, err := h.allStaff(ctx, s)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(us))
	for _, u := range us {
		names[u.ID] = u.Name
	}
	return names, nil
}

// assigneeOptions are the staff who may take a ticket of the client: not
// disabled, and not limited to other clients.
func (h *Handler) assigneeOptions(ctx context.Context, v *view, s tenant.Scope, clientID int64) ([]option, error) {
	us, err := h.allStaff(ctx, s)
	if err != nil {
		return nil, err
	}
	opts := []option{{Value: "", Label: v.T("ticket.unassigned")}}
	for _, u := range us {
		if u.Disabled || !u.Role.Staff() || (len(u.Clients) > 0 && !slices.Contains(u.Clients, clientID)) {
			continue
		}
		label := u.Name
		if u.Level != "" {
			label += " (" + u.Level + ")"
		}
		opts = append(opts, option{Value: itoa(u.ID), Label: label})
	}
	return opts, nil
}

// categoryNode is a category with its depth in the tree.
type categoryNode struct {
	ticket.Category
	Depth int
	// Leaf is set when no category hangs under it (it may be deleted).
	Leaf bool
}

// categoryTree orders categories parents first, children under their parent,
// siblings by name. Categories whose parent is missing are shown at the top.
func categoryTree(cats []ticket.Category) []categoryNode {
	children := map[int64][]ticket.Category{}
	ids := map[int64]bool{}
	for _, c := range cats {
		ids[c.ID] = true
	}
	for _, c := range cats {
		var parent int64
		if c.ParentID != nil && ids[*c.ParentID] {
			parent = *c.ParentID
		}
		children[parent] = append(children[parent], c)
	}
	var out []categoryNode
	seen := map[int64]bool{}
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		list := children[parent]
		slices.SortFunc(list, func(a, b ticket.Category) int {
			return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
		})
		for _, c := range list {
			if seen[c.ID] {
				continue // a cycle in stored data must not hang the page
			}
			seen[c.ID] = true
			out = append(out, categoryNode{Category: c, Depth: depth, Leaf: len(children[c.ID]) == 0})
			walk(c.ID, depth+1)
		}
	}
	walk(0, 0)
	// Categories in a cycle (which the service refuses, but stored data may
	// hold) hang under no root: show them at the top rather than hide them.
	rest := slices.Clone(cats)
	slices.SortFunc(rest, func(a, b ticket.Category) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	for _, c := range rest {
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, categoryNode{Category: c, Leaf: len(children[c.ID]) == 0})
			walk(c.ID, 1)
		}
	}
	return out
}

// categoryOptions are the categories for a select, indented by depth.
func categoryOptions(v *view, cats []ticket.Category, none string) []option {
	opts := []option{{Value: "", Label: v.T(none)}}
	for _, n := range categoryTree(cats) {
		opts = append(opts, option{Value: itoa(n.ID), Label: strings.Repeat("— ", n.Depth) + n.Name})
	}
	return opts
}

func categoryName(cats []ticket.Category, id *int64) string {
	if id == nil {
		return ""
	}
	for _, c := range cats {
		if c.ID == *id {
			return c.Name
		}
	}
	return ""
}

func (v *view) statusOptions() []option {
	opts := make([]option, len(ticket.Statuses))
	for i, st := range ticket.Statuses {
		opts[i] = option{Value: string(st), Label: v.T("status." + string(st))}
	}
	return opts
}

func (v *view) typeOptions(staff bool) []option {
	types := ticket.Types
	if !staff {
		types = []ticket.Type{ticket.TypeIncident, ticket.TypeRequest}
	}
	opts := make([]option, len(types))
	for i, t := range types {
		opts[i] = option{Value: string(t), Label: v.T("type." + string(t))}
	}
	return opts
}

func (v *view) levelOptions() []option {
	var opts []option
	for _, l := range []string{user.LevelN1, user.LevelN2, user.LevelN3} {
		opts = append(opts, option{Value: l, Label: v.T("level." + l)})
	}
	return opts
}

// scaleOptions are the three steps of impact or urgency, 1 the highest.
func (v *view) scaleOptions(kind string) []option {
	var opts []option
	for i := 1; i <= 3; i++ {
		opts = append(opts, option{Value: strconv.Itoa(i), Label: v.T(fmt.Sprintf("%s.%d", kind, i))})
	}
	return opts
}

// formScale reads impact or urgency: absent is 0 (the service's default),
// anything but 1, 2 or 3 a field error.
func formScale(vals url.Values, name string, inv *fault.Invalid) int {
	s := vals.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 3 {
		inv.Add(name, "invalid_choice")
		return 0
	}
	return n
}

// Labels and badges used by the ticket templates.

// StatusLabel is the translated name of a ticket status.
func (v *view) StatusLabel(s ticket.Status) string { return v.T("status." + string(s)) }

// TypeLabel is the translated name of a ticket type.
func (v *view) TypeLabel(t ticket.Type) string { return v.T("type." + string(t)) }

// ScaleLabel names an impact or urgency step.
func (v *view) ScaleLabel(kind string, n int) string { return v.T(fmt.Sprintf("%s.%d", kind, n)) }

// Markdown renders user-written Markdown as sanitised HTML.
func (v *view) Markdown(src string) template.HTML { return v.h.md.render(src) }

// Span formats a duration for a countdown: "3d 4h", "2h 15m", "35m".
func (v *view) Span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	m := int64(d.Round(time.Minute) / time.Minute)
	days, hours, mins := m/(24*60), m%(24*60)/60, m%60
	switch {
	case days > 0:
		return v.T("duration.dh", days, hours)
	case hours > 0:
		return v.T("duration.hm", hours, mins)
	default:
		return v.T("duration.m", mins)
	}
}

// Hours formats a total in hours and minutes, never days: "42h 30m".
func (v *view) Hours(d time.Duration) string {
	m := int64(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return v.T("duration.m", m)
	}
	return v.T("duration.hm", m/60, m%60)
}

// slaBadge is what a page shows of an SLA clock.
type slaBadge struct {
	Text, Class, Title string
}

// SLA is the one badge of a queue row: the most pressing running clock
// (time to own until the ticket is taken, then time to resolve), counted
// down against now; or how the ticket ended, paused, or no SLA at all.
func (v *view) SLA(t ticket.Ticket) slaBadge {
	s := t.SLA
	if !s.Covered {
		return v.noClock(t)
	}
	var due *time.Time
	key := ""
	if t.OwnedAt == nil && t.Status.Open() && s.TTODue != nil {
		due, key = s.TTODue, "tto"
	}
	if t.Status.Open() && !s.Paused && s.TTRDue != nil && (due == nil || s.TTRDue.Before(*due)) {
		due, key = s.TTRDue, "ttr"
	}
	if due == nil {
		switch {
		case !t.Status.Open() && (s.TTRBreachAt != nil || s.TTOBreachAt != nil):
			return slaBadge{Text: v.T("sla.breached"), Class: "sla-breached"}
		case !t.Status.Open():
			return slaBadge{Text: v.T("sla.met"), Class: "sla-met"}
		case s.Paused:
			return slaBadge{Text: v.T("sla.paused"), Class: "sla-paused"}
		}
		return slaBadge{Text: v.T("sla.no_target"), Class: "sla-none"}
	}
	return v.countdown(*due, key, s.AtRisk)
}

// SLAClock is the badge of one clock ("tto" or "ttr") on the ticket page.
func (v *view) SLAClock(t ticket.Ticket, which string) slaBadge {
	s := t.SLA
	if !s.Covered {
		return v.noClock(t)
	}
	due, breach, stopped := s.TTRDue, s.TTRBreachAt, !t.Status.Open()
	if which == "tto" {
		due, breach, stopped = s.TTODue, s.TTOBreachAt, t.OwnedAt != nil || !t.Status.Open()
	}
	switch {
	case stopped && breach != nil:
		return slaBadge{Text: v.T("sla.breached"), Class: "sla-breached"}
	case stopped:
		return slaBadge{Text: v.T("sla.met"), Class: "sla-met"}
	case which == "ttr" && s.Paused:
		return slaBadge{Text: v.T("sla.paused"), Class: "sla-paused"}
	case due == nil && breach != nil:
		return slaBadge{Text: v.T("sla.overdue", v.Span(v.h.now().Sub(*breach))), Class: "sla-breached"}
	case due == nil:
		return slaBadge{Text: v.T("sla.no_target"), Class: "sla-none"}
	}
	return v.countdown(*due, which, s.AtRisk)
}

// noClock says why a ticket runs no SLA clock: no contract in force at its
// creation, or out of its contract's perimeter.
func (v *view) noClock(t ticket.Ticket) slaBadge {
	switch {
	case t.ContractID == nil:
		return slaBadge{Text: v.T("sla_contract.no_contract_clock"), Class: "sla-none"}
	case t.OutOfPerimeter:
		return slaBadge{Text: v.T("sla_contract.out_of_perimeter_clock"), Class: "sla-none"}
	}
	return slaBadge{Text: v.T("sla.none"), Class: "sla-none"}
}

// PerimeterBadge is the text of a ticket's out-of-perimeter badge
// ("Hors périmètre — <reason>"), "" for a ticket in perimeter.
func (v *view) PerimeterBadge(t ticket.Ticket) string {
	if !t.OutOfPerimeter {
		return ""
	}
	return v.T("sla_contract.badge", v.PerimeterReason(t.PerimeterReason))
}

// PerimeterReason tells why a ticket is in or out of perimeter.
func (v *view) PerimeterReason(code string) string {
	if code == "" {
		return v.T("sla_contract.reason.in")
	}
	return v.T("sla_contract.reason." + code)
}

func (v *view) countdown(due time.Time, key string, atRisk bool) slaBadge {
	b := slaBadge{Title: v.T("sla."+key+"_due_at", v.Date(due))}
	left := due.Sub(v.h.now())
	switch {
	case left <= 0:
		b.Text, b.Class = v.T("sla.overdue", v.Span(left)), "sla-breached"
	case atRisk:
		b.Text, b.Class = v.T("sla.due_in", v.Span(left)), "sla-at-risk"
	default:
		b.Text, b.Class = v.T("sla.due_in", v.Span(left)), "sla-ok"
	}
	return b
}

// RowClass highlights a queue row whose SLA is at risk or breached.
func (v *view) RowClass(t ticket.Ticket) string {
	switch v.SLA(t).Class {
	case "sla-breached":
		if t.Status.Open() {
			return "row-breached"
		}
	case "sla-at-risk":
		return "row-at-risk"
	}
	return ""
}

// New ticket.

type ticketFormPage struct {
	// Client is nil while staff have not chosen the client yet.
	Client     *client.Client
	Staff      bool
	Clients    []option
	Types      []option
	Categories []option
	Requesters []option
	Sites      []option
	Impacts    []option
	Urgencies  []option
	Assignees  []option
	Levels     []option
	Uploads    bool // show the file input
}

// ticketForm gathers the choices of the new-ticket form; with c nil (staff
// only) just the clients to choose from.
func (h *Handler) ticketForm(ctx context.Context, v *view, s tenant.Scope, c *client.Client) (ticketFormPage, error) {
	d := ticketFormPage{Client: c, Staff: s.Staff(), Types: v.typeOptions(s.Staff()), Uploads: h.d.Attachments != nil}
	if c == nil {
		cs, err := h.allClients(ctx, s)
		if err != nil {
			return d, err
		}
		d.Clients = []option{{Value: "", Label: v.T("ticket.choose_client")}}
		for _, cl := range cs {
			if !cl.Archived {
				d.Clients = append(d.Clients, option{Value: itoa(cl.ID), Label: cl.Name + " (" + cl.Code + ")"})
			}
		}
		return d, nil
	}
	sites, err := h.d.Clients.Sites(ctx, s, c.ID)
	if err != nil {
		return d, err
	}
	d.Sites = []option{{Value: "", Label: v.T("ticket.no_site")}}
	for _, st := range sites {
		d.Sites = append(d.Sites, option{Value: itoa(st.ID), Label: st.Name})
	}
	if !d.Staff {
		return d, nil
	}
	contacts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID, Limit: 500})
	if err != nil {
		return d, err
	}
	d.Requesters = []option{{Value: "", Label: v.T("ticket.no_requester")}}
	for _, ct := range contacts {
		d.Requesters = append(d.Requesters, option{Value: itoa(ct.ID), Label: ct.FullName()})
	}
	cats, err := h.d.Tickets.Categories(ctx)
	if err != nil {
		return d, err
	}
	d.Categories = categoryOptions(v, cats, "ticket.no_category")
	d.Impacts, d.Urgencies, d.Levels = v.scaleOptions("impact"), v.scaleOptions("urgency"), v.levelOptions()
	if d.Assignees, err = h.assigneeOptions(ctx, v, s, c.ID); err != nil {
		return d, err
	}
	return d, nil
}

func (h *Handler) ticketNew(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	if !s.Can(tenant.TicketCreate) {
		h.forbidden(w, r)
		return
	}
	var c *client.Client
	switch {
	case !s.Staff():
		cl, err := h.d.Clients.Get(ctx, s, s.ClientID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		c = &cl
	case r.URL.Query().Get("client_id") != "":
		id, err := strconv.ParseInt(r.URL.Query().Get("client_id"), 10, 64)
		if err != nil {
			h.notFound(w, r)
			return
		}
		cl, err := h.d.Clients.Get(ctx, s, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		c = &cl
	default:
		// Staff who see a single client need not choose it.
		cs, err := h.allClients(ctx, s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		cs = slices.DeleteFunc(cs, func(c client.Client) bool { return c.Archived })
		if len(cs) == 1 {
			c = &cs[0]
		}
	}
	v := h.view(w, r, "tickets")
	vals := url.Values{"type": {string(ticket.TypeIncident)}, "impact": {"2"}, "urgency": {"2"}, "level": {user.LevelN1}}
	if c != nil {
		vals.Set("client_id", itoa(c.ID))
	}
	d, err := h.ticketForm(ctx, v, s, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(vals)
	h.render(w, v, http.StatusOK, "ticket_form", d)
}

func (h *Handler) ticketCreate(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseUploadForm(w, r) {
		return
	}
	ctx, s, vals := r.Context(), p.Scope(), r.PostForm
	t := ticket.Ticket{
		Type:        ticket.Type(vals.Get("type")),
		Title:       vals.Get("title"),
		Description: vals.Get("description"),
		SiteID:      formID(vals, "site_id"),
	}
	var inv fault.Invalid
	if s.Staff() {
		if id := formID(vals, "client_id"); id != nil {
			t.ClientID = *id
		} else {
			inv.Add("client_id", "required")
		}
		t.CategoryID, t.RequesterID, t.AssigneeID = formID(vals, "category_id"), formID(vals, "requester_id"), formID(vals, "assignee_id")
		t.Impact, t.Urgency = formScale(vals, "impact", &inv), formScale(vals, "urgency", &inv)
		t.Level = vals.Get("level")
	} else {
		// A client opens requests for its own company: naming another
		// client is refused rather than silently filed under its own.
		if id := vals.Get("client_id"); id != "" && id != itoa(s.ClientID) {
			inv.Add("client_id", "invalid_choice")
		}
		if t.Type == ticket.TypeChange {
			inv.Add("type", "invalid_choice")
		}
		t.ClientID = s.ClientID
	}
	err = inv.Err()
	if err == nil {
		err = h.inTx(ctx, func(ctx context.Context) error {
			if err := h.d.Tickets.Create(ctx, s, &t); err != nil {
				return err
			}
			return h.saveUploads(ctx, r, s, t.ID, nil)
		})
	}
	if err != nil {
		v := h.view(w, r, "tickets")
		v.Form.setValues(vals)
		var c *client.Client
		if t.ClientID != 0 {
			if cl, err := h.d.Clients.Get(ctx, s, t.ClientID); err == nil {
				c = &cl
			}
		}
		d, ferr := h.ticketForm(ctx, v, s, c)
		if ferr != nil {
			h.fail(w, r, ferr)
			return
		}
		h.formFailed(w, v, "ticket_form", d, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID), "flash.ticket_created", itoa(t.ID))
}

// One ticket.

// loadTicket loads the ticket named in the path through the caller's scope:
// a ticket the caller may not see is answered 404 before anything else.
func (h *Handler) loadTicket(w http.ResponseWriter, r *http.Request) (ticket.Ticket, tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return ticket.Ticket{}, tenant.Scope{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return ticket.Ticket{}, tenant.Scope{}, false
	}
	t, err := h.d.Tickets.Get(r.Context(), p.Scope(), id)
	if err != nil {
		h.fail(w, r, err)
		return ticket.Ticket{}, tenant.Scope{}, false
	}
	return t, p.Scope(), true
}

// timelineItem is a followup or an event, merged by time.
type timelineItem struct {
	At      time.Time
	Author  string
	Body    template.HTML // a followup's Markdown, rendered
	Text    string        // an event, as a sentence
	Message bool
	Private bool
	Files   []attachment.Attachment // a followup's attachments
}

type timeRow struct {
	ticket.TimeEntry
	Technician string
}

type ticketPage struct {
	Ticket ticket.Ticket
	Client client.Client
	// Work is set for staff who may work the ticket: side panel, private
	// notes, time entries, escalation instructions.
	Work       bool
	Escalation string
	Requester  string
	Site       string
	Category   string
	Assignee   string
	OpenedBy   string
	Timeline   []timelineItem
	Times      []timeRow
	// Totals of the time entries.
	TimeTotal, TravelTotal, Billable time.Duration
	// Options of the side panel.
	Statuses, Types, Categories, Assignees, Levels, Impacts, Urgencies []option
	Visibilities                                                       []option
	// Replies are the reply templates offered above the staff reply box.
	Replies []replyOption
	// Files are the attachments of the ticket itself; Uploads shows the file input.
	Files   []attachment.Attachment
	Uploads bool
	// Rating is the requester's satisfaction, nil until rated; RateForm
	// shows clients the rating form of a resolved ticket, with Scores.
	Rating   *ticket.Rating
	RateForm bool
	Scores   []option
	// Assets are the linked assets; AssetOptions the client's assets a
	// worker may link (when the fleet is on).
	Assets       []ticket.LinkedAsset
	AssetOptions []assetOption
	// Watchers follow the ticket; Watching is set when the viewer does.
	// WatcherOptions are the staff a worker may add.
	Watchers       []ticket.Watcher
	Watching       bool
	WatcherOptions []option
	// PerimeterAdmin shows the form that overrides the perimeter flag
	// (helpdesk admins).
	PerimeterAdmin bool
}

// ticketDefaults are the values of the forms of a ticket page.
func ticketDefaults(t ticket.Ticket) url.Values {
	vals := url.Values{
		"status": {string(t.Status)}, "type": {string(t.Type)}, "level": {t.Level},
		"impact": {strconv.Itoa(t.Impact)}, "urgency": {strconv.Itoa(t.Urgency)},
		"visibility": {"public"}, "billable": {"1"},
	}
	if t.OutOfPerimeter {
		// Work outside the contract is billed: whatever the default of the
		// form becomes, an out-of-perimeter ticket's time starts billable.
		vals.Set("billable", "1")
	}
	if t.AssigneeID != nil {
		vals.Set("assignee_id", itoa(*t.AssigneeID))
	}
	if t.CategoryID != nil {
		vals.Set("category_id", itoa(*t.CategoryID))
	}
	return vals
}

func (h *Handler) ticketPage(ctx context.Context, v *view, s tenant.Scope, t ticket.Ticket) (ticketPage, error) {
	d := ticketPage{Ticket: t, Work: s.CanOn(tenant.TicketWork, t.ClientID)}
	var err error
	if d.Client, err = h.d.Clients.Get(ctx, s, t.ClientID); err != nil {
		return d, err
	}
	if d.Watchers, err = h.d.Tickets.Watchers(ctx, s, t.ID); err != nil {
		return d, err
	}
	if d.Assets, err = h.d.Tickets.Assets(ctx, s, t.ID); err != nil {
		return d, err
	}
	if d.Work && h.d.Assets != nil {
		if d.AssetOptions, err = h.assetOptions(ctx, s, t.ClientID, d.Assets); err != nil {
			return d, err
		}
	}
	for _, w := range d.Watchers {
		d.Watching = d.Watching || w.UserID == s.UserID
	}
	if d.Work {
		opts, err := h.assigneeOptions(ctx, v, s, t.ClientID)
		if err != nil {
			return d, err
		}
		for _, o := range opts[1:] {
			if !slices.ContainsFunc(d.Watchers, func(w ticket.Watcher) bool { return itoa(w.UserID) == o.Value }) {
				d.WatcherOptions = append(d.WatcherOptions, o)
			}
		}
	}
	cats, err := h.d.Tickets.Categories(ctx)
	if err != nil {
		return d, err
	}
	d.Category = categoryName(cats, t.CategoryID)
	sites, err := h.d.Clients.Sites(ctx, s, t.ClientID)
	if err != nil {
		return d, err
	}
	siteNames := map[string]string{}
	for _, st := range sites {
		siteNames[itoa(st.ID)] = st.Name
		if t.SiteID != nil && st.ID == *t.SiteID {
			d.Site = st.Name
		}
	}
	if t.RequesterID != nil {
		ct, err := h.d.Clients.Contact(ctx, s, *t.RequesterID)
		switch {
		case err == nil:
			d.Requester = ct.FullName()
		case !errors.Is(err, fault.ErrNotFound) && !errors.Is(err, fault.ErrForbidden):
			return d, err
		}
	}
	fs, es, err := h.d.Tickets.Timeline(ctx, s, t.ID)
	if err != nil {
		return d, err
	}
	var followupFiles map[int64][]attachment.Attachment
	if h.d.Attachments != nil {
		as, err := h.d.Attachments.List(ctx, s, t.ID)
		if err != nil {
			return d, err
		}
		d.Files, followupFiles = filesByFollowup(as)
		d.Uploads = true
	}
	var staffNames map[int64]string
	if d.Work {
		if staffNames, err = h.staffNames(ctx, s); err != nil {
			return d, err
		}
		if t.AssigneeID != nil {
			d.Assignee = staffNames[*t.AssigneeID]
		}
	}
	catNames := map[string]string{}
	for _, c := range cats {
		catNames[itoa(c.ID)] = c.Name
	}
	for _, e := range es {
		switch e.Kind {
		case "followup", "note":
			continue // the followup itself is shown
		case "created":
			d.OpenedBy = e.Actor
		case "assignee":
			if !d.Work {
				d.Assignee = e.To // the name at the time; staff names are not shown to clients otherwise
			}
		}
		d.Timeline = append(d.Timeline, timelineItem{At: e.At, Author: e.Actor, Text: v.eventText(e, catNames, siteNames), Private: !e.Public})
	}
	for _, f := range fs {
		d.Timeline = append(d.Timeline, timelineItem{At: f.Created, Author: f.Author, Body: v.Markdown(f.Body), Message: true, Private: !f.Public, Files: followupFiles[f.ID]})
	}
	slices.SortStableFunc(d.Timeline, func(a, b timelineItem) int { return a.At.Compare(b.At) })
	switch rating, err := h.d.Tickets.RatingOf(ctx, s, t.ID); {
	case err == nil:
		d.Rating = &rating
	case !errors.Is(err, fault.ErrNotFound):
		return d, err
	}
	if d.RateForm = !s.Staff() && !t.Status.Open(); d.RateForm {
		d.Scores = v.scoreOptions()
	}
	if !d.Work {
		return d, nil
	}
	sl, _, err := h.d.Tickets.ServiceLevel(ctx, s, t.ClientID)
	if err != nil {
		return d, err
	}
	d.Escalation = sl.Escalation
	d.PerimeterAdmin = s.CanOn(tenant.HelpdeskAdmin, t.ClientID)
	entries, err := h.d.Tickets.TimeEntries(ctx, s, t.ID)
	if err != nil {
		return d, err
	}
	for _, e := range entries {
		d.Times = append(d.Times, timeRow{TimeEntry: e, Technician: staffNames[e.TechnicianID]})
		d.TimeTotal += e.Duration
		d.TravelTotal += e.Travel
		if e.Billable {
			d.Billable += e.Duration
		}
	}
	d.Statuses, d.Types, d.Levels = v.statusOptions(), v.typeOptions(true), v.levelOptions()
	d.Impacts, d.Urgencies = v.scaleOptions("impact"), v.scaleOptions("urgency")
	d.Categories = categoryOptions(v, cats, "ticket.no_category")
	if d.Assignees, err = h.assigneeOptions(ctx, v, s, t.ClientID); err != nil {
		return d, err
	}
	d.Visibilities = []option{{Value: "public", Label: v.T("ticket.reply_public")}, {Value: "private", Label: v.T("ticket.reply_private")}}
	if d.Replies, err = h.replyOptions(ctx, s, t, d.Requester); err != nil {
		return d, err
	}
	return d, nil
}

// eventText tells an event of the timeline as a sentence.
func (v *view) eventText(e ticket.Event, cats, sites map[string]string) string {
	name := func(m map[string]string, id string) string {
		if id == "" {
			return v.T("ticket.none")
		}
		if n, ok := m[id]; ok {
			return n
		}
		return "#" + id
	}
	label := func(prefix, code string) string {
		if code == "" {
			return v.T("ticket.none")
		}
		return v.T(prefix + code)
	}
	switch e.Kind {
	case "created":
		return v.T("event.created", e.Actor)
	case "status":
		return v.T("event.status", e.Actor, label("status.", e.From), label("status.", e.To))
	case "type":
		return v.T("event.type", e.Actor, label("type.", e.From), label("type.", e.To))
	case "priority":
		return v.T("event.priority", e.Actor, e.From, e.To)
	case "level":
		return v.T("event.level", e.Actor, e.From, e.To)
	case "assignee":
		if e.To == "" {
			return v.T("event.unassigned", e.Actor)
		}
		return v.T("event.assigned", e.Actor, e.To)
	case "category":
		return v.T("event.category", e.Actor, name(cats, e.From), name(cats, e.To))
	case "site":
		return v.T("event.site", e.Actor, name(sites, e.From), name(sites, e.To))
	case "title":
		return v.T("event.title", e.Actor, e.From, e.To)
	case "owned":
		return v.T("event.owned")
	case "rating":
		return v.T("event.rating", e.To)
	case "assets":
		if e.To == "" {
			return v.T("event.assets_none", e.Actor)
		}
		return v.T("event.assets", e.Actor, e.To)
	case "merged":
		return v.T("event.merged", e.Actor, "#"+e.To)
	case "merged_from":
		return v.T("event.merged_from", e.Actor, "#"+e.To)
	case "watcher":
		if e.To == "" {
			return v.T("event.unwatched", e.Actor, e.From)
		}
		return v.T("event.watched", e.Actor, e.To)
	case "escalated":
		return v.T("event.escalated", v.T("event.escalated."+e.To))
	case "perimeter":
		return v.perimeterEventText(e)
	case "time":
		if d, err := time.ParseDuration(e.To); err == nil {
			return v.T("event.time", e.Actor, v.Hours(d))
		}
		return v.T("event.time", e.Actor, e.To)
	}
	return v.T("event.other", e.Actor, e.Kind, e.From, e.To)
}

func (h *Handler) ticketShow(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "tickets")
	d, err := h.ticketPage(r.Context(), v, s, t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vals := ticketDefaults(t)
	if d.Rating != nil {
		vals.Set("score", strconv.Itoa(d.Rating.Score))
		vals.Set("comment", d.Rating.Comment)
	}
	v.Form.setValues(vals)
	h.render(w, v, http.StatusOK, "ticket", d)
}

// ticketFailed shows the ticket page again after a refused form, with the
// user's input and the errors next to the fields. checkboxes names the
// checkboxes of the form that failed: an unticked one is absent from the
// input and must not show its default.
func (h *Handler) ticketFailed(w http.ResponseWriter, r *http.Request, s tenant.Scope, t ticket.Ticket, err error, checkboxes ...string) {
	v := h.view(w, r, "tickets")
	vals := ticketDefaults(t)
	for _, name := range checkboxes {
		vals.Del(name)
	}
	for k, vs := range r.PostForm {
		vals[k] = vs
	}
	v.Form.setValues(vals)
	d, perr := h.ticketPage(r.Context(), v, s, t)
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	h.formFailed(w, v, "ticket", d, err)
}

func (h *Handler) ticketReply(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseUploadForm(w, r) {
		return
	}
	public := true
	if s.CanOn(tenant.TicketWork, t.ClientID) {
		public = r.PostForm.Get("visibility") != "private"
	}
	err := h.inTx(r.Context(), func(ctx context.Context) error {
		f, err := h.d.Tickets.Reply(ctx, s, t.ID, r.PostForm.Get("body"), public)
		if err != nil {
			return err
		}
		return h.saveUploads(ctx, r, s, t.ID, &f.ID)
	})
	if err != nil {
		h.ticketFailed(w, r, s, t, err)
		return
	}
	key := "flash.reply_added"
	if !public {
		key = "flash.note_added"
	}
	h.redirect(w, r, ticketPath(t.ID)+"#timeline", key)
}

// ticketUpdate applies the side panel: only the fields the form sends are
// changed, so that a smaller form (or a script) may change one at a time.
func (h *Handler) ticketUpdate(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.TicketWork, t.ClientID) {
		h.forbidden(w, r)
		return
	}
	vals := r.PostForm
	var c ticket.Change
	var inv fault.Invalid
	if vals.Has("status") {
		st := ticket.Status(vals.Get("status"))
		c.Status = &st
	}
	if vals.Has("type") {
		ty := ticket.Type(vals.Get("type"))
		c.Type = &ty
	}
	if vals.Has("level") {
		l := vals.Get("level")
		c.Level = &l
	}
	if vals.Has("assignee_id") {
		id := formID(vals, "assignee_id")
		c.AssigneeID = &id
	}
	if vals.Has("category_id") {
		id := formID(vals, "category_id")
		c.CategoryID = &id
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"impact", &c.Impact}, {"urgency", &c.Urgency}} {
		if !vals.Has(f.name) {
			continue
		}
		if n := formScale(vals, f.name, &inv); n != 0 {
			*f.dst = &n
		} else if !inv.Has(f.name) {
			inv.Add(f.name, "required")
		}
	}
	err := inv.Err()
	if err == nil {
		_, err = h.d.Tickets.Update(r.Context(), s, t.ID, c)
	}
	if err != nil {
		h.ticketFailed(w, r, s, t, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID), "flash.ticket_updated", itoa(t.ID))
}

// maxTyped bounds a typed duration far above any real one (the service
// refuses more than a day), so that the arithmetic below cannot overflow.
const maxTyped = 1000 * time.Hour

// parseMinutes reads a duration typed by a person: minutes ("90"), hours
// and minutes ("1:30"), or Go-like units ("1h30", "45m", "2h").
func parseMinutes(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if s == "" {
		return 0, true
	}
	if h, m, ok := strings.Cut(s, ":"); ok {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || hh < 0 || hh > int(maxTyped/time.Hour) || mm < 0 || mm > 59 || len(m) != 2 {
			return 0, false
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > int(maxTyped/time.Minute) {
			return 0, false
		}
		return time.Duration(n) * time.Minute, true
	}
	if strings.HasSuffix(s, "min") {
		s = strings.TrimSuffix(s, "in")
	}
	if c := s[len(s)-1]; c >= '0' && c <= '9' && strings.Contains(s, "h") {
		s += "m" // "1h30"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxTyped || d%time.Minute != 0 || strings.ContainsAny(s, "nuµs") {
		return 0, false
	}
	return d, true
}

// datetimeLayout is the value of an <input type="datetime-local">.
const datetimeLayout = "2006-01-02T15:04"

func (h *Handler) ticketTime(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.TicketWork, t.ClientID) {
		h.forbidden(w, r)
		return
	}
	vals := r.PostForm
	var inv fault.Invalid
	e := ticket.TimeEntry{OnSite: formBool(vals, "on_site"), Billable: formBool(vals, "billable"), Note: vals.Get("note")}
	var ok1, ok2 bool
	if e.Duration, ok1 = parseMinutes(vals.Get("duration")); !ok1 {
		inv.Add("duration", "invalid_duration")
	} else if e.Duration == 0 {
		inv.Add("duration", "required")
	}
	if e.Travel, ok2 = parseMinutes(vals.Get("travel")); !ok2 {
		inv.Add("travel", "invalid_duration")
	} else if e.Travel > 0 && !e.OnSite {
		inv.Add("travel", "travel_needs_on_site")
	}
	if start := strings.TrimSpace(vals.Get("start")); start != "" {
		at, err := time.ParseInLocation(datetimeLayout, start, h.zone(r))
		if err != nil {
			inv.Add("start", "invalid_datetime")
		}
		e.Start = at
	}
	err := inv.Err()
	if err == nil {
		err = h.d.Tickets.LogTime(r.Context(), s, t.ID, &e)
	}
	if err != nil {
		h.ticketFailed(w, r, s, t, err, "on_site", "billable")
		return
	}
	m := int64(e.Duration / time.Minute)
	h.redirect(w, r, ticketPath(t.ID)+"#time", "flash.time_logged", fmt.Sprintf("%d:%02d", m/60, m%60))
}

// zone is the time zone the caller reads and types dates in (see location).
func (h *Handler) zone(r *http.Request) *time.Location {
	v := &view{h: h, r: r}
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		u := p.User
		v.User = &u
	}
	if pr, err := h.d.Provider.Get(r.Context()); err == nil {
		v.Provider = pr
	}
	return h.location(r, v)
}

// ticketMerge merges this ticket, a duplicate, into the ticket numbered in
// the form, and shows the target.
func (h *Handler) ticketMerge(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.TicketWork, t.ClientID) {
		h.forbidden(w, r)
		return
	}
	var err error
	target, perr := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostForm.Get("target_id")), "#"), 10, 64)
	if perr != nil || target <= 0 {
		inv := &fault.Invalid{}
		inv.Add("target_id", "invalid_ticket_number")
		err = inv
	} else {
		_, err = h.d.Tickets.Merge(r.Context(), s, t.ID, target)
	}
	if err != nil {
		h.ticketFailed(w, r, s, t, err)
		return
	}
	h.redirect(w, r, ticketPath(target), "flash.ticket_merged", itoa(t.ID), itoa(target))
}

// ticketWatch makes the viewer watch the ticket, or, for staff who work on
// it, the staff member chosen in the form.
func (h *Handler) ticketWatch(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	userID := s.UserID
	if v := r.PostForm.Get("user_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			inv := &fault.Invalid{}
			inv.Add("user_id", "invalid_choice")
			h.ticketFailed(w, r, s, t, inv)
			return
		}
		userID = id
	}
	if err := h.d.Tickets.Watch(r.Context(), s, t.ID, userID); err != nil {
		h.ticketFailed(w, r, s, t, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID)+"#watchers", "flash.watcher_added")
}

// ticketUnwatch stops the user of the path watching the ticket.
func (h *Handler) ticketUnwatch(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	userID, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return
	}
	if err := h.d.Tickets.Unwatch(r.Context(), s, t.ID, userID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID)+"#watchers", "flash.watcher_removed")
}

// bulkOptions fills the choices of the bulk-change bar: each starts with
// "no change".
func (h *Handler) bulkOptions(ctx context.Context, v *view, s tenant.Scope, d *ticketListPage) error {
	keep := option{Value: "", Label: v.T("tickets.bulk_keep")}
	d.BulkStatuses = append([]option{keep}, v.statusOptions()...)
	d.BulkLevels = []option{keep, {Value: "N1", Label: "N1"}, {Value: "N2", Label: "N2"}, {Value: "N3", Label: "N3"}}
	us, err := h.allStaff(ctx, s)
	if err != nil {
		return err
	}
	d.BulkAssignees = []option{keep, {Value: "none", Label: v.T("ticket.unassigned")}}
	for _, u := range us {
		if u.Disabled || !u.Role.Staff() {
			continue
		}
		label := u.Name
		if u.Level != "" {
			label += " (" + u.Level + ")"
		}
		d.BulkAssignees = append(d.BulkAssignees, option{Value: itoa(u.ID), Label: label})
	}
	return nil
}

// ticketBulk applies the bulk-change bar to the ticked tickets and returns
// to the queue, saying how many changed and which were refused.
func (h *Handler) ticketBulk(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	s, vals := p.Scope(), r.PostForm
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		h.forbidden(w, r)
		return
	}
	back := localPath(vals.Get("back"))
	if !strings.HasPrefix(back, "/tickets") {
		back = "/tickets"
	}
	ids := formIDs(vals, "ids")
	var c ticket.Change
	if st := vals.Get("bulk_status"); st != "" {
		status := ticket.Status(st)
		c.Status = &status
	}
	if l := vals.Get("bulk_level"); l != "" {
		c.Level = &l
	}
	switch a := vals.Get("bulk_assignee"); a {
	case "":
	case "none":
		var none *int64
		c.AssigneeID = &none
	default:
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			h.redirect(w, r, back, "flash.bulk_nothing")
			return
		}
		to := &id
		c.AssigneeID = &to
	}
	if len(ids) == 0 || c == (ticket.Change{}) {
		h.redirect(w, r, back, "flash.bulk_nothing")
		return
	}
	res, err := h.d.Tickets.BulkUpdate(r.Context(), s, ids, c)
	if _, invalid := fault.AsInvalid(err); invalid {
		h.redirect(w, r, back, "flash.bulk_nothing")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	changed, refused := 0, []string{}
	for _, r := range res {
		if r.Err == nil {
			changed++
		} else {
			refused = append(refused, "#"+itoa(r.ID))
		}
	}
	if len(refused) > 0 {
		h.redirect(w, r, back, "flash.bulk_partial", strconv.Itoa(changed), strings.Join(refused, ", "))
		return
	}
	h.redirect(w, r, back, "flash.bulk_done", strconv.Itoa(changed))
}

// assetOption is an asset a ticket may be linked to.
type assetOption struct {
	ID       int64
	Name     string
	Selected bool
}

// maxAssetOptions bounds the assets the ticket page offers to link.
const maxAssetOptions = 1000

// assetOptions are the client's assets, by name, the linked ones selected.
func (h *Handler) assetOptions(ctx context.Context, s tenant.Scope, clientID int64, linked []ticket.LinkedAsset) ([]assetOption, error) {
	var out []assetOption
	f := asset.Filter{ClientID: clientID, Limit: 500}
	for len(out) < maxAssetOptions {
		page, err := h.d.Assets.List(ctx, s, f)
		if errors.Is(err, fault.ErrForbidden) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, a := range page {
			out = append(out, assetOption{ID: a.ID, Name: a.Name, Selected: slices.ContainsFunc(linked, func(l ticket.LinkedAsset) bool { return l.ID == a.ID })})
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	slices.SortFunc(out, func(a, b assetOption) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// ticketAssets replaces the assets linked to the ticket with the ones
// selected in the form.
// perimeterEventText tells a change of a ticket's perimeter: "in",
// "out:<reason>", or "in:manual" / "out:manual" for staff's decision.
func (v *view) perimeterEventText(e ticket.Event) string {
	state := func(text string) string {
		inOut, reason, _ := strings.Cut(text, ":")
		switch {
		case inOut == "out":
			return v.T("sla_contract.badge", v.PerimeterReason(reason))
		case reason == ticket.PerimeterManual:
			return v.T("sla_contract.in_manual")
		}
		return v.T("sla_contract.reason.in")
	}
	return v.T("sla_contract.event", e.Actor, state(e.From), state(e.To))
}

// ticketPerimeter lets helpdesk admins decide by hand whether a ticket is
// out of its contract's perimeter (POST out=1 or out=0).
func (h *Handler) ticketPerimeter(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.Staff() || !s.CanOn(tenant.HelpdeskAdmin, t.ClientID) {
		h.forbidden(w, r)
		return
	}
	var out bool
	switch r.PostForm.Get("out") {
	case "1":
		out = true
	case "0":
	default:
		var inv fault.Invalid
		inv.Add("out", "invalid_choice")
		h.ticketFailed(w, r, s, t, inv.Err())
		return
	}
	if _, err := h.d.Tickets.SetPerimeter(r.Context(), s, t.ID, out); err != nil {
		h.ticketFailed(w, r, s, t, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID)+"#perimeter", "sla_contract.flash_saved")
}

func (h *Handler) ticketAssets(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.loadTicket(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.TicketWork, t.ClientID) {
		h.forbidden(w, r)
		return
	}
	ids := formIDs(r.PostForm, "asset_ids")
	if ids == nil {
		ids = []int64{}
	}
	if _, err := h.d.Tickets.Update(r.Context(), s, t.ID, ticket.Change{AssetIDs: &ids}); err != nil {
		h.ticketFailed(w, r, s, t, err)
		return
	}
	h.redirect(w, r, ticketPath(t.ID)+"#assets", "flash.ticket_assets_saved")
}
