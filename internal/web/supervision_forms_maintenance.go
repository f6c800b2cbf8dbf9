package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// sfWindowRow is one maintenance window of the list.
type sfWindowRow struct {
	Window supervision.Window
	// Target names what the window covers; Href links to it ("" if none).
	Target, Href string
	Client       string
	When         string
	Active       bool
	CanDelete    bool
}

type sfMaintenancePage struct {
	Current, Upcoming, Recurring []sfWindowRow
	// Client is the client chosen for the new window (staff pick one first).
	Client    *client.Client
	Clients   []option
	CanWrite  bool
	Targets   []option
	Weekdays  []option
	TimeZones []string
}

// sfWeekdayOrder lists the days Monday first, as calendars in Europe do.
var sfWeekdayOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// sfLocalLayout is the value format of a datetime-local input.
const sfLocalLayout = "2006-01-02T15:04"

func (h *Handler) sfMaintenance(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sfReadScope(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "supervision")
	d, err := h.sfMaintenanceData(r.Context(), r, v, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Client != nil {
		v.Form.setValues(sfWindowDefaults(*d.Client, h.now()))
	}
	h.render(w, v, http.StatusOK, "supervision_maintenance", d)
}

// sfWindowDefaults starts a new window now, for two hours, in the client's zone.
func sfWindowDefaults(c client.Client, now time.Time) url.Values {
	loc := sfLocation(c.TimeZone)
	start := now.In(loc).Truncate(time.Minute)
	return url.Values{
		"client": {itoa(c.ID)}, "target": {"client:" + itoa(c.ID)}, "mode": {"once"},
		"from": {start.Format(sfLocalLayout)}, "to": {start.Add(2 * time.Hour).Format(sfLocalLayout)},
		"start": {"22:00"}, "duration": {"120"}, "time_zone": {loc.String()},
	}
}

func sfLocation(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}

// sfMaintenanceData lists the windows the caller sees and, for staff who
// chose a client (a client's users have theirs), the choices of the form.
func (h *Handler) sfMaintenanceData(ctx context.Context, r *http.Request, v *view, s tenant.Scope) (sfMaintenancePage, error) {
	var d sfMaintenancePage
	cs, err := h.allClients(ctx, s)
	if err != nil {
		return d, err
	}
	names := map[int64]string{}
	zones := map[int64]string{}
	for _, c := range cs {
		names[c.ID], zones[c.ID] = c.Name, c.TimeZone
		if s.CanOn(tenant.SupervisionWrite, c.ID) {
			d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
		}
	}
	d.CanWrite = len(d.Clients) > 0
	ws, err := h.d.Supervision.Windows(ctx, s, supervision.WindowFilter{})
	if err != nil {
		return d, err
	}
	now := h.now()
	for _, w := range ws {
		row := sfWindowRow{Window: w, Client: names[w.ClientID], Active: w.Active(now), CanDelete: s.CanOn(tenant.SupervisionWrite, w.ClientID)}
		row.Target, row.Href = h.sfWindowTarget(ctx, v, s, w, names)
		loc := sfLocation(zones[w.ClientID])
		switch {
		case len(w.Weekdays) > 0:
			row.When = v.sfRecurringText(w)
			d.Recurring = append(d.Recurring, row)
		case row.Active:
			row.When = v.T("supform.maint.from_to", w.From.In(loc).Format(sfLocalLayoutHuman(v)), w.To.In(loc).Format(sfLocalLayoutHuman(v)), loc.String())
			d.Current = append(d.Current, row)
		case w.From.After(now):
			row.When = v.T("supform.maint.from_to", w.From.In(loc).Format(sfLocalLayoutHuman(v)), w.To.In(loc).Format(sfLocalLayoutHuman(v)), loc.String())
			d.Upcoming = append(d.Upcoming, row)
		}
	}
	slices.SortFunc(d.Upcoming, func(a, b sfWindowRow) int { return a.Window.From.Compare(b.Window.From) })
	slices.SortFunc(d.Current, func(a, b sfWindowRow) int { return a.Window.To.Compare(b.Window.To) })
	slices.SortStableFunc(d.Recurring, func(a, b sfWindowRow) int { return cmp.Compare(a.Client, b.Client) })

	for _, wd := range sfWeekdayOrder {
		d.Weekdays = append(d.Weekdays, option{Value: strconv.Itoa(int(wd)), Label: v.T(fmt.Sprintf("supform.weekday.%d", wd))})
	}
	d.TimeZones = timeZones
	// The client of the new window: a client's own user has one; staff
	// choose (the only one they may write to is chosen for them).
	id, _ := strconv.ParseInt(r.FormValue("client"), 10, 64)
	if id == 0 && len(d.Clients) == 1 {
		id, _ = strconv.ParseInt(d.Clients[0].Value, 10, 64)
	}
	if id != 0 && s.CanOn(tenant.SupervisionWrite, id) {
		c, err := h.d.Clients.Get(ctx, s, id)
		if err != nil {
			return d, err
		}
		d.Client = &c
		if d.Targets, err = h.sfWindowTargets(ctx, v, s, c); err != nil {
			return d, err
		}
	}
	return d, nil
}

// sfLocalLayoutHuman is how a window's bounds are written in the list.
func sfLocalLayoutHuman(v *view) string {
	if v.Lang == "fr" {
		return "02/01/2006 15:04"
	}
	return "2006-01-02 15:04"
}

// sfRecurringText describes a recurring window: "Mon, Tue at 22:00 for 2 h (Europe/Paris)".
func (v *view) sfRecurringText(w supervision.Window) string {
	var days []string
	for _, wd := range sfWeekdayOrder {
		if slices.Contains(w.Weekdays, wd) {
			days = append(days, v.T(fmt.Sprintf("supform.weekday.%d", wd)))
		}
	}
	start := fmt.Sprintf("%02d:%02d", int(w.Start.Hours()), int(w.Start.Minutes())%60)
	zone := "UTC"
	if w.Location != nil {
		zone = w.Location.String()
	}
	return v.T("supform.maint.recurring_text", strings.Join(days, ", "), start, v.Span(w.Duration), zone)
}

// sfWindowTarget names what a window covers, with a link for staff.
func (h *Handler) sfWindowTarget(ctx context.Context, v *view, s tenant.Scope, w supervision.Window, names map[int64]string) (string, string) {
	switch {
	case w.AssetID != 0:
		if h.d.Assets != nil && s.Can(tenant.AssetRead) {
			if a, err := h.d.Assets.Get(ctx, s, w.AssetID); err == nil {
				return v.T("supform.maint.target_asset", a.Name), assetPath(a.ID)
			}
		}
		return v.T("supform.maint.target_asset", "#"+itoa(w.AssetID)), ""
	case w.SiteID != 0:
		if st, err := h.d.Clients.Site(ctx, s, w.SiteID); err == nil {
			return v.T("supform.maint.target_site", st.Name), ""
		}
		return v.T("supform.maint.target_site", "#"+itoa(w.SiteID)), ""
	}
	return v.T("supform.maint.target_client"), "/clients/" + itoa(w.ClientID)
}

// sfWindowTargets are the choices of a new window's target in client c.
func (h *Handler) sfWindowTargets(ctx context.Context, v *view, s tenant.Scope, c client.Client) ([]option, error) {
	out := []option{{Value: "client:" + itoa(c.ID), Label: v.T("supform.maint.whole_client", c.Name)}}
	sites, err := h.d.Clients.Sites(ctx, s, c.ID)
	if err != nil {
		return nil, err
	}
	for _, st := range sites {
		out = append(out, option{Value: "site:" + itoa(st.ID), Label: v.T("supform.maint.target_site", st.Name)})
	}
	if h.d.Assets != nil {
		as, err := h.clientAssets(ctx, s, c.ID)
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(as, func(a, b asset.Asset) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
		for _, a := range as {
			out = append(out, option{Value: "asset:" + itoa(a.ID), Label: v.T("supform.maint.target_asset", a.Name)})
		}
	}
	return out, nil
}

// sfWindowFromForm reads a new window of client c: its target, one-off
// bounds or weekly recurrence in the chosen zone, and comment.
func (h *Handler) sfWindowFromForm(ctx context.Context, s tenant.Scope, c client.Client, vals url.Values) (supervision.Window, error) {
	var w supervision.Window
	inv := &fault.Invalid{}
	w.ClientID = c.ID
	kind, idText, _ := strings.Cut(vals.Get("target"), ":")
	id, _ := strconv.ParseInt(idText, 10, 64)
	switch kind {
	case "client":
		if id != c.ID {
			inv.Add("target", "invalid_choice")
		}
	case "site":
		st, err := h.d.Clients.Site(ctx, s, id)
		if err != nil || st.ClientID != c.ID {
			inv.Add("target", "invalid_choice")
		}
		w.SiteID = id
	case "asset":
		if h.d.Assets == nil {
			inv.Add("target", "invalid_choice")
			break
		}
		a, err := h.d.Assets.Get(ctx, s, id)
		if err != nil || a.ClientID != c.ID {
			inv.Add("target", "invalid_choice")
		}
		w.AssetID = id
	default:
		inv.Add("target", "required")
	}
	tz := inv.TimeZone("time_zone", vals.Get("time_zone"))
	loc := sfLocation(tz)
	switch vals.Get("mode") {
	case "once":
		from, ferr := time.ParseInLocation(sfLocalLayout, strings.TrimSpace(vals.Get("from")), loc)
		to, terr := time.ParseInLocation(sfLocalLayout, strings.TrimSpace(vals.Get("to")), loc)
		switch {
		case ferr != nil:
			inv.Add("from", "invalid_datetime")
		case terr != nil:
			inv.Add("to", "invalid_datetime")
		}
		w.From, w.To = from, to
	case "weekly":
		for _, d := range vals["weekdays"] {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 || n > 6 {
				inv.Add("weekdays", "invalid_choice")
				break
			}
			if !slices.Contains(w.Weekdays, time.Weekday(n)) {
				w.Weekdays = append(w.Weekdays, time.Weekday(n))
			}
		}
		if len(vals["weekdays"]) == 0 {
			inv.Add("weekdays", "required")
		}
		st, err := time.Parse("15:04", strings.TrimSpace(vals.Get("start")))
		if err != nil {
			inv.Add("start", "invalid_time")
		}
		w.Start = time.Duration(st.Hour())*time.Hour + time.Duration(st.Minute())*time.Minute
		mins, err := strconv.Atoi(strings.TrimSpace(vals.Get("duration")))
		if err != nil {
			inv.Add("duration", "invalid_number")
		}
		w.Duration = time.Duration(mins) * time.Minute
		w.Location = loc
	default:
		inv.Add("mode", "required")
	}
	w.Comment = inv.Text("comment", vals.Get("comment"), 500, false, false)
	return w, inv.Err()
}

func (h *Handler) sfWindowCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PostForm.Get("client"), 10, 64)
	if err != nil || id <= 0 {
		h.notFound(w, r)
		return
	}
	c, err := h.d.Clients.Get(ctx, s, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !s.CanOn(tenant.SupervisionWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	win, err := h.sfWindowFromForm(ctx, s, c, r.PostForm)
	if err == nil {
		err = h.d.Supervision.CreateWindow(ctx, s, &win)
	}
	if err != nil {
		v := h.view(w, r, "supervision")
		d, derr := h.sfMaintenanceData(ctx, r, v, s)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "supervision_maintenance", d, sfRename(err, sfWindowField))
		return
	}
	h.redirect(w, r, "/supervision/maintenance?client="+itoa(c.ID), "flash.supform.window_created")
}

// sfWindowField maps the service's field names to the window form's.
func sfWindowField(f string) string {
	switch f {
	case "client_id", "site_id", "asset_id":
		return "target"
	case "starts_at":
		return "from"
	case "ends_at":
		return "to"
	case "location":
		return "time_zone"
	}
	return f
}

func (h *Handler) sfWindowDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.d.Supervision.DeleteWindow(r.Context(), s, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/supervision/maintenance", "flash.supform.window_deleted")
}

// sfWindowSection is one list of the maintenance page for its template.
type sfWindowSection struct {
	View *view
	Key  string
	Rows []sfWindowRow
}

// SFWindowSection bundles a list of windows with the view for "sf-window-table".
func (v *view) SFWindowSection(key string, rows []sfWindowRow) sfWindowSection {
	return sfWindowSection{View: v, Key: key, Rows: rows}
}

// SFModes are the two kinds of window: one-off or weekly.
func (v *view) SFModes() []option {
	return []option{{Value: "once", Label: v.T("supform.maint.once")}, {Value: "weekly", Label: v.T("supform.maint.weekly")}}
}
