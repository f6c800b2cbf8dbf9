package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// The helpdesk settings: the priority matrix and delays, the category tree,
// and each client's service level (business hours, targets, escalation).
// They are for helpdesk administrators (tenant.HelpdeskAdmin); the services
// check it again.

// helpdeskAdmin returns the caller's scope when it may administer the
// helpdesk, and answers 403 otherwise.
func (h *Handler) helpdeskAdmin(w http.ResponseWriter, r *http.Request) (tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return tenant.Scope{}, false
	}
	if !p.Scope().Can(tenant.HelpdeskAdmin) {
		h.forbidden(w, r)
		return tenant.Scope{}, false
	}
	return p.Scope(), true
}

// WithLabel returns the field with another label, for inputs in a grid
// whose name alone does not say enough ("Monday, range 1, start").
func (f field) WithLabel(label string) field {
	f.Label = label
	return f
}

type matrixCell struct {
	Name, Label string
}

type matrixRow struct {
	Impact string
	Cells  []matrixCell
}

type helpdeskSettingsPage struct {
	Urgencies  []string
	Rows       []matrixRow
	Priorities []option
}

func (h *Handler) helpdeskSettingsPage(v *view) helpdeskSettingsPage {
	d := helpdeskSettingsPage{}
	for p := ticket.P1; p <= ticket.P4; p++ {
		d.Priorities = append(d.Priorities, option{Value: p.String(), Label: p.String()})
	}
	for u := 1; u <= 3; u++ {
		d.Urgencies = append(d.Urgencies, v.ScaleLabel("urgency", u))
	}
	for i := 1; i <= 3; i++ {
		row := matrixRow{Impact: v.ScaleLabel("impact", i)}
		for u := 1; u <= 3; u++ {
			name := fmt.Sprintf("matrix.%d.%d", i, u)
			row.Cells = append(row.Cells, matrixCell{Name: name, Label: v.FieldLabel(name)})
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

func settingsValues(st ticket.Settings) url.Values {
	vals := url.Values{"reopen_days": {strconv.Itoa(st.ReopenDays)}, "close_days": {strconv.Itoa(st.CloseDays)}}
	for i := range st.Matrix {
		for u := range st.Matrix[i] {
			vals.Set(fmt.Sprintf("matrix.%d.%d", i+1, u+1), st.Matrix[i][u].String())
		}
	}
	return vals
}

func (h *Handler) helpdeskSettingsForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.helpdeskAdmin(w, r); !ok {
		return
	}
	st, err := h.d.Tickets.Settings(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "helpdesk")
	v.Form.setValues(settingsValues(st))
	h.render(w, v, http.StatusOK, "helpdesk_settings", h.helpdeskSettingsPage(v))
}

// parsePriority reads "P1"…"P4"; anything else is 0, which Validate refuses.
func parsePriority(s string) ticket.Priority {
	if len(s) == 2 && s[0] == 'P' && s[1] >= '1' && s[1] <= '4' {
		return ticket.Priority(s[1] - '0')
	}
	return 0
}

// formInt reads a whole number; empty is 0, junk a field error.
func formInt(vals url.Values, name string, inv *fault.Invalid) int {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		inv.Add(name, "invalid_number")
	}
	return n
}

func (h *Handler) helpdeskSettingsSave(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	vals := r.PostForm
	var st ticket.Settings
	var inv fault.Invalid
	for i := range st.Matrix {
		for u := range st.Matrix[i] {
			st.Matrix[i][u] = parsePriority(vals.Get(fmt.Sprintf("matrix.%d.%d", i+1, u+1)))
		}
	}
	st.ReopenDays = formInt(vals, "reopen_days", &inv)
	st.CloseDays = formInt(vals, "close_days", &inv)
	err := inv.Err()
	if err == nil {
		err = h.d.Tickets.SaveSettings(r.Context(), s, st)
	}
	if err != nil {
		v := h.view(w, r, "helpdesk")
		v.Form.setValues(vals)
		h.formFailed(w, v, "helpdesk_settings", h.helpdeskSettingsPage(v), err)
		return
	}
	h.redirect(w, r, "/helpdesk/settings", "flash.helpdesk_saved")
}

// Categories.

type categoriesPage struct {
	Tree    []categoryNode
	Parents []option
}

func (h *Handler) categoriesPage(ctx context.Context, v *view) (categoriesPage, error) {
	cats, err := h.d.Tickets.Categories(ctx)
	if err != nil {
		return categoriesPage{}, err
	}
	return categoriesPage{Tree: categoryTree(cats), Parents: categoryOptions(v, cats, "category.top_level")}, nil
}

func (h *Handler) categoryList(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.helpdeskAdmin(w, r); !ok {
		return
	}
	v := h.view(w, r, "helpdesk")
	d, err := h.categoriesPage(r.Context(), v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "helpdesk_categories", d)
}

func (h *Handler) categoryCreate(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	c := ticket.Category{Name: r.PostForm.Get("name"), ParentID: formID(r.PostForm, "parent_id")}
	if err := h.d.Tickets.SaveCategory(r.Context(), s, &c); err != nil {
		v := h.view(w, r, "helpdesk")
		v.Form.setValues(r.PostForm)
		d, derr := h.categoriesPage(r.Context(), v)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "helpdesk_categories", d, err)
		return
	}
	h.redirect(w, r, "/helpdesk/categories", "flash.category_created", c.Name)
}

func (h *Handler) categoryDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	cats, err := h.d.Tickets.Categories(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := categoryName(cats, &id)
	if name == "" {
		h.notFound(w, r)
		return
	}
	err = h.d.Tickets.DeleteCategory(r.Context(), s, id)
	switch {
	case errors.Is(err, fault.ErrConflict):
		h.redirect(w, r, "/helpdesk/categories", "flash.warn.category_has_children", name)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/helpdesk/categories", "flash.category_deleted", name)
}

// Service levels.

// weekdays in the order of a French week, with their keys in the
// calendar's text form.
var weekdays = []struct {
	key string
	day time.Weekday
}{{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday}, {"thu", time.Thursday}, {"fri", time.Friday}, {"sat", time.Saturday}, {"sun", time.Sunday}}

// rangesPerDay is how many ranges of a day the form offers at least; a
// calendar saved with more (through the API) shows them all.
const rangesPerDay = 2

type rangeInputs struct {
	Start, End           string // field names
	StartLabel, EndLabel string
}

type dayRow struct {
	Key, Label string
	Ranges     []rangeInputs
}

type targetRow struct {
	Priority string
	// Field names and labels of the four inputs.
	TTOH, TTOM, TTRH, TTRM                     string
	TTOHLabel, TTOMLabel, TTRHLabel, TTRMLabel string
}

type serviceLevelPage struct {
	Client client.Client
	// Found is false while the client has no service level: no clock runs.
	Found       bool
	Days        []dayRow
	Targets     []targetRow
	Weekly      string // the weekly business hours of the saved or entered calendar
	TimeZones   []string
	HolidaySets []option
	// Contract is the contract in force today, whose business hours and
	// targets the clocks follow (nil: none, no clock on new tickets); shown
	// read-only with its Hours (weekly), Zone and ContractTargets.
	Contract        *contract.Contract
	ContractHours   string
	ContractZone    string
	ContractTargets []contractTargetRow
	// Rules are the rows of escalation rules (the saved ones, then blanks).
	Rules                                  []ruleRow
	Triggers, Clocks, Levels, Reassignable []option
}

// ruleRow names the inputs of one escalation rule row.
type ruleRow struct {
	N int
	// Key is the row's own error field ("rules.0"), the others its inputs.
	Key, Trigger, Clock, Notify, Level, Assign string
}

// escalationRows is how many rule rows the form offers beyond the saved ones.
const escalationRows = 3

func (h *Handler) serviceLevelPage(v *view, c client.Client, found bool, ranges map[string]int, weekly time.Duration) serviceLevelPage {
	d := serviceLevelPage{Client: c, Found: found, TimeZones: timeZones}
	d.HolidaySets = []option{
		{Value: "", Label: v.T("service_level.holidays_none")},
		{Value: string(sla.FrenchHolidays), Label: v.T("service_level.holidays_fr")},
		{Value: string(sla.AlsaceMoselleHolidays), Label: v.T("service_level.holidays_alsace")},
	}
	for _, wd := range weekdays {
		row := dayRow{Key: wd.key, Label: v.FieldLabel(wd.key)}
		n := max(ranges[wd.key], rangesPerDay)
		for i := 1; i <= n; i++ {
			row.Ranges = append(row.Ranges, rangeInputs{
				Start: fmt.Sprintf("%s.%d.start", wd.key, i), End: fmt.Sprintf("%s.%d.end", wd.key, i),
				StartLabel: v.T("service_level.range_start", row.Label, i), EndLabel: v.T("service_level.range_end", row.Label, i),
			})
		}
		d.Days = append(d.Days, row)
	}
	for p := ticket.P1; p <= ticket.P4; p++ {
		ps := p.String()
		d.Targets = append(d.Targets, targetRow{
			Priority: ps,
			TTOH:     ps + ".tto_h", TTOM: ps + ".tto_m", TTRH: ps + ".ttr_h", TTRM: ps + ".ttr_m",
			TTOHLabel: v.T("service_level.target_label", ps, v.T("service_level.tto"), v.T("service_level.hours")),
			TTOMLabel: v.T("service_level.target_label", ps, v.T("service_level.tto"), v.T("service_level.minutes")),
			TTRHLabel: v.T("service_level.target_label", ps, v.T("service_level.ttr"), v.T("service_level.hours")),
			TTRMLabel: v.T("service_level.target_label", ps, v.T("service_level.ttr"), v.T("service_level.minutes")),
		})
	}
	if weekly > 0 {
		d.Weekly = v.Hours(weekly)
	}
	n := min(ticket.MaxEscalationRules, max(escalationRows, ruleCount(v.Form.values)+1))
	for i := range n {
		p := fmt.Sprintf("rules.%d.", i)
		d.Rules = append(d.Rules, ruleRow{N: i + 1, Key: fmt.Sprintf("rules.%d", i), Trigger: p + "trigger", Clock: p + "clock", Notify: p + "notify", Level: p + "raise_level", Assign: p + "reassign_to"})
	}
	d.Triggers = []option{{Value: "", Label: v.T("service_level.rule_none")}, {Value: string(ticket.TriggerAtRisk), Label: v.T("service_level.trigger_at_risk")}, {Value: string(ticket.TriggerBreached), Label: v.T("service_level.trigger_breached")}}
	d.Clocks = []option{{Value: "", Label: v.T("service_level.clock_any")}, {Value: ticket.ClockTTO, Label: v.T("service_level.tto")}, {Value: ticket.ClockTTR, Label: v.T("service_level.ttr")}}
	d.Levels = []option{{Value: "", Label: v.T("service_level.level_keep")}, {Value: "N2", Label: "N2"}, {Value: "N3", Label: "N3"}}
	return d
}

// reassignOptions are the staff an escalation rule may give a ticket to.
func (h *Handler) reassignOptions(ctx context.Context, v *view, s tenant.Scope, clientID int64) ([]option, error) {
	opts, err := h.assigneeOptions(ctx, v, s, clientID)
	if err != nil {
		return nil, err
	}
	opts[0].Label = v.T("service_level.assignee_keep")
	return opts, nil
}

// ruleCount is how many rule rows values hold (rules.N.trigger set).
func ruleCount(vals url.Values) int {
	n := 0
	for i := range ticket.MaxEscalationRules {
		if vals.Get(fmt.Sprintf("rules.%d.trigger", i)) != "" {
			n = i + 1
		}
	}
	return n
}

// rulesFromForm reads the escalation rule rows, leaving out rows without
// a trigger; rows[i] is the form row of rule i (for error messages).
func rulesFromForm(vals url.Values, inv *fault.Invalid) (rules []ticket.EscalationRule, rows []int) {
	for i := range ticket.MaxEscalationRules {
		p := fmt.Sprintf("rules.%d.", i)
		trig := vals.Get(p + "trigger")
		if trig == "" {
			continue
		}
		r := ticket.EscalationRule{Trigger: ticket.Trigger(trig), Clock: vals.Get(p + "clock"), Notify: formBool(vals, p+"notify"), RaiseLevel: vals.Get(p + "raise_level")}
		if a := vals.Get(p + "reassign_to"); a != "" {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				inv.Add(p+"reassign_to", "invalid_choice")
				continue
			}
			r.ReassignTo = &id
		}
		rules, rows = append(rules, r), append(rows, i)
	}
	return rules, rows
}

// ruleErrorsToRows renames the "rules.K…" fields of a validation error to
// the form rows the rules came from.
func ruleErrorsToRows(err error, rows []int) error {
	inv, ok := fault.AsInvalid(err)
	if !ok {
		return err
	}
	for i, f := range inv.Fields {
		rest, found := strings.CutPrefix(f.Field, "rules.")
		if !found {
			continue
		}
		k, tail, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n >= len(rows) {
			continue
		}
		name := fmt.Sprintf("rules.%d", rows[n])
		if tail != "" {
			name += "." + tail
		}
		inv.Fields[i].Field = name
	}
	return inv
}

// alwaysOpen reports whether a calendar is open round the clock every day.
func alwaysOpen(cfg sla.Config) bool {
	for _, rs := range cfg.Week {
		if len(rs) != 1 || rs[0].Start != 0 || rs[0].End != 24*time.Hour {
			return false
		}
	}
	return true
}

// clockText is a wall-clock offset as an <input type="time"> value; the end
// of the day is 00:00, which the form reads back as 24:00 for an end.
func clockText(d time.Duration) string {
	m := int(d / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60%24, m%60)
}

// serviceLevelValues fills the service-level form: at-risk share,
// escalation text and rules.
func serviceLevelValues(sl ticket.ServiceLevel) url.Values {
	vals := url.Values{"escalation": {sl.Escalation}}
	for i, r := range sl.Rules {
		p := fmt.Sprintf("rules.%d.", i)
		vals.Set(p+"trigger", string(r.Trigger))
		vals.Set(p+"clock", r.Clock)
		vals.Set(p+"raise_level", r.RaiseLevel)
		if r.Notify {
			vals.Set(p+"notify", "1")
		}
		if r.ReassignTo != nil {
			vals.Set(p+"reassign_to", strconv.FormatInt(*r.ReassignTo, 10))
		}
	}
	if sl.AtRiskShare > 0 {
		vals.Set("at_risk_share", strconv.Itoa(int(sl.AtRiskShare*100+0.5)))
	}
	return vals
}

// slaFormValues fills the business hours and targets inputs (the contract
// form) and returns how many ranges each day has.
func slaFormValues(targets map[ticket.Priority]sla.Target, cal *sla.Calendar) (url.Values, map[string]int) {
	vals := url.Values{}
	counts := map[string]int{}
	cfg := cal.Config()
	vals.Set("time_zone", cfg.Zone)
	vals.Set("holidays", string(cfg.Holidays))
	if alwaysOpen(cfg) {
		vals.Set("always_open", "1")
	} else {
		for _, wd := range weekdays {
			for i, rg := range cfg.Week[wd.day] {
				vals.Set(fmt.Sprintf("%s.%d.start", wd.key, i+1), clockText(rg.Start))
				vals.Set(fmt.Sprintf("%s.%d.end", wd.key, i+1), clockText(rg.End))
			}
			counts[wd.key] = len(cfg.Week[wd.day])
		}
	}
	dates := func(ds []sla.Date) string {
		var b strings.Builder
		for _, d := range ds {
			b.WriteString(d.String() + "\n")
		}
		return b.String()
	}
	vals.Set("extra", dates(cfg.Extra))
	vals.Set("worked", dates(cfg.Worked))
	for p, t := range targets {
		for _, c := range []struct {
			key string
			d   time.Duration
		}{{"tto", t.TTO}, {"ttr", t.TTR}} {
			if c.d > 0 {
				vals.Set(p.String()+"."+c.key+"_h", strconv.Itoa(int(c.d/time.Hour)))
				vals.Set(p.String()+"."+c.key+"_m", strconv.Itoa(int(c.d%time.Hour/time.Minute)))
			}
		}
	}
	return vals, counts
}

// loadServiceLevelClient loads the client of the path through the scope
// (404 for a client the caller may not see), then checks the permission.
func (h *Handler) loadServiceLevelClient(w http.ResponseWriter, r *http.Request) (client.Client, tenant.Scope, bool) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return c, s, false
	}
	if !s.CanOn(tenant.HelpdeskAdmin, c.ID) {
		h.forbidden(w, r)
		return c, s, false
	}
	return c, s, true
}

func (h *Handler) serviceLevelForm(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadServiceLevelClient(w, r)
	if !ok {
		return
	}
	sl, found, err := h.d.Tickets.ServiceLevel(r.Context(), s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(serviceLevelValues(sl))
	d, err := h.serviceLevelData(r.Context(), v, s, c, found)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "service_level", d)
}

// serviceLevelData is the service-level page: the helpdesk's own settings
// for the client, and read-only the business hours and targets of the
// contract in force today.
func (h *Handler) serviceLevelData(ctx context.Context, v *view, s tenant.Scope, c client.Client, found bool) (serviceLevelPage, error) {
	d := h.serviceLevelPage(v, c, found, nil, 0)
	var err error
	if d.Reassignable, err = h.reassignOptions(ctx, v, s, c.ID); err != nil {
		return d, err
	}
	if h.d.Contracts == nil {
		return d, nil
	}
	x, inForce, err := h.d.Contracts.Current(ctx, s, c.ID)
	if err != nil || !inForce {
		return d, err
	}
	d.Contract = &x
	if cal, err := sla.Parse(x.Calendar); err == nil {
		d.ContractHours, d.ContractZone = v.Hours(cal.WeeklyHours()), cal.Config().Zone
	}
	for _, p := range contract.Priorities {
		t := x.Targets[p]
		row := contractTargetRow{Priority: string(p), TTO: "—", TTR: "—"}
		if t.TTO > 0 {
			row.TTO = v.Hours(t.TTO)
		}
		if t.TTR > 0 {
			row.TTR = v.Hours(t.TTR)
		}
		d.ContractTargets = append(d.ContractTargets, row)
	}
	return d, nil
}

// calendarField maps a field of sla's validation to the form field that
// shows the error, and the message code.
func calendarField(f sla.FieldError) (string, string) {
	name := f.Field
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	switch {
	case name == "tz":
		return "time_zone", "invalid_timezone"
	case name == "week":
		return "week", "no_business_hours"
	case strings.HasPrefix(name, "week."):
		return strings.TrimPrefix(name, "week."), "invalid_range"
	case name == "holidays":
		return "holidays", "invalid_choice"
	case name == "extra":
		return "extra", "invalid_date"
	case name == "worked":
		return "worked", "invalid_worked_date"
	}
	return "calendar", "invalid_calendar"
}

// addOnce records a field error unless the field already has one: a day
// with two bad ranges says so once.
func addOnce(inv *fault.Invalid, field, code string, param ...any) {
	if !inv.Has(field) {
		inv.Add(field, code, param...)
	}
}

// parseClock reads an <input type="time"> value.
func parseClock(s string) (time.Duration, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}

// calendarFromForm builds the calendar the form describes; field errors
// go to inv, and the calendar is nil when there is one.
func calendarFromForm(vals url.Values, inv *fault.Invalid) (*sla.Calendar, map[string]int) {
	cfg := sla.Config{Zone: strings.TrimSpace(vals.Get("time_zone")), Holidays: sla.HolidaySet(vals.Get("holidays"))}
	counts := map[string]int{}
	if formBool(vals, "always_open") {
		for wd := range cfg.Week {
			cfg.Week[wd] = []sla.Range{{Start: 0, End: 24 * time.Hour}}
		}
	} else {
		for _, wd := range weekdays {
			for i := 1; i <= 48; i++ {
				startKey, endKey := fmt.Sprintf("%s.%d.start", wd.key, i), fmt.Sprintf("%s.%d.end", wd.key, i)
				if !vals.Has(startKey) && !vals.Has(endKey) {
					break
				}
				counts[wd.key] = i
				start, end := strings.TrimSpace(vals.Get(startKey)), strings.TrimSpace(vals.Get(endKey))
				if start == "" && end == "" {
					continue
				}
				s, ok1 := parseClock(start)
				e, ok2 := parseClock(end)
				if !ok1 || !ok2 {
					addOnce(inv, wd.key, "invalid_time")
					continue
				}
				if e == 0 {
					e = 24 * time.Hour // "until 00:00" is until midnight
				}
				if e <= s {
					addOnce(inv, wd.key, "invalid_range")
					continue
				}
				cfg.Week[wd.day] = append(cfg.Week[wd.day], sla.Range{Start: s, End: e})
			}
		}
	}
	for _, list := range []struct {
		name string
		dst  *[]sla.Date
	}{{"extra", &cfg.Extra}, {"worked", &cfg.Worked}} {
		for line := range strings.Lines(vals.Get(list.name)) {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			d, err := sla.ParseDate(line)
			if err != nil {
				addOnce(inv, list.name, "invalid_date")
				continue
			}
			*list.dst = append(*list.dst, d)
		}
	}
	// The calendar is built even after an error above, so that every
	// problem is reported at once; the entries refused above are left out.
	cal, err := sla.New(cfg)
	if err != nil {
		var ve *sla.ValidationError
		if !errors.As(err, &ve) {
			addOnce(inv, "calendar", "invalid_calendar")
			return nil, counts
		}
		for _, f := range ve.Fields {
			field, code := calendarField(f)
			if field == "week" && inv.Err() != nil {
				continue // no hours left because the ranges given were refused
			}
			addOnce(inv, field, code)
		}
		return nil, counts
	}
	if inv.Err() != nil {
		return nil, counts
	}
	return cal, counts
}

// targetsFromForm reads the hours and minutes of each priority's targets;
// a priority without either has no promise.
func targetsFromForm(vals url.Values, inv *fault.Invalid) map[ticket.Priority]sla.Target {
	out := map[ticket.Priority]sla.Target{}
	for p := ticket.P1; p <= ticket.P4; p++ {
		field := "targets." + p.String()
		var t sla.Target
		for _, c := range []struct {
			key string
			dst *time.Duration
		}{{"tto", &t.TTO}, {"ttr", &t.TTR}} {
			hs, ms := strings.TrimSpace(vals.Get(p.String()+"."+c.key+"_h")), strings.TrimSpace(vals.Get(p.String()+"."+c.key+"_m"))
			var hours, mins int
			var err1, err2 error
			if hs != "" {
				hours, err1 = strconv.Atoi(hs)
			}
			if ms != "" {
				mins, err2 = strconv.Atoi(ms)
			}
			switch {
			case err1 != nil || err2 != nil:
				addOnce(inv, field, "invalid_number")
			case hours < 0 || mins < 0 || mins > 59 || hours > 10000:
				addOnce(inv, field, "out_of_range")
			default:
				*c.dst = time.Duration(hours)*time.Hour + time.Duration(mins)*time.Minute
			}
		}
		if t.TTO > 0 || t.TTR > 0 {
			out[p] = t
		}
	}
	return out
}

func (h *Handler) serviceLevelSave(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadServiceLevelClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	ctx, vals := r.Context(), r.PostForm
	old, found, err := h.d.Tickets.ServiceLevel(ctx, s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var inv fault.Invalid
	sl := ticket.ServiceLevel{ClientID: c.ID, Escalation: vals.Get("escalation"), PauseStatuses: old.PauseStatuses}
	var ruleRows []int
	sl.Rules, ruleRows = rulesFromForm(vals, &inv)
	if share := formInt(vals, "at_risk_share", &inv); share < 0 || share > 100 {
		addOnce(&inv, "at_risk_share", "out_of_range")
	} else {
		sl.AtRiskShare = float64(share) / 100
	}
	err = inv.Err()
	if err == nil {
		err = ruleErrorsToRows(h.d.Tickets.SaveServiceLevel(ctx, s, sl), ruleRows)
	}
	if err != nil {
		v := h.view(w, r, "clients")
		v.Form.setValues(vals)
		d, oerr := h.serviceLevelData(ctx, v, s, c, found)
		if oerr != nil {
			h.fail(w, r, oerr)
			return
		}
		h.formFailed(w, v, "service_level", d, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d/service-level", c.ID), "flash.service_level_saved", c.Name)
}
