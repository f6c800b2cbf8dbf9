package report

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"
)

// CSV returns the figures as CSV, one figure a line: section, item (a type,
// priority, category, asset, check or backup job; empty for a total),
// measure, value. Times are RFC 3339 in the period's time zone, decimals
// use a point, a figure without a value (a mean of nothing) is empty. A
// cell a spreadsheet would read as a formula starts with an apostrophe.
func (m Monthly) CSV() []byte {
	sh := NewSheet(m.Client, m.Period)
	line, ts, n := sh.Line, sh.Time, strconv.Itoa

	t := m.Tickets
	line("tickets", "", "opened", n(t.Opened))
	line("tickets", "", "closed", n(t.Closed))
	counts := func(prefix string, cs []Count) {
		for _, c := range cs {
			item := prefix + c.Key
			if c.Label != "" {
				item = prefix + c.Label
			} else if prefix == "category:" {
				item = prefix + "(none)"
			}
			line("tickets", item, "opened", n(c.Opened))
			line("tickets", item, "closed", n(c.Closed))
		}
	}
	counts("type:", t.ByType)
	counts("priority:", t.ByPriority)
	counts("category:", t.ByCategory)
	line("tickets", "", "owned", n(t.Owned))
	line("tickets", "", "mean_to_own_minutes", num(t.MeanToOwnMinutes))
	line("tickets", "", "mean_to_resolve_minutes", num(t.MeanToResolveMinutes))
	compliance := func(name string, c Compliance) {
		line("tickets", "", name+"_met", n(c.Met))
		line("tickets", "", name+"_total", n(c.Total))
		line("tickets", "", name+"_percent", num(c.Percent))
	}
	compliance("tto", t.TTO)
	compliance("ttr", t.TTR)
	line("tickets", "", "backlog", n(t.Backlog))
	line("tickets", "", "reopened", n(t.Reopen.Part))
	line("tickets", "", "resolved_for_reopen", n(t.Reopen.Whole))
	line("tickets", "", "reopen_percent", num(t.Reopen.Percent))

	tm := m.Time
	line("time", "", "entries", n(tm.Entries))
	line("time", "", "tickets", n(tm.Tickets))
	line("time", "", "total_minutes", n(tm.TotalMinutes))
	line("time", "", "billable_minutes", n(tm.BillableMinutes))
	line("time", "", "non_billable_minutes", n(tm.NonBillableMinutes))
	line("time", "", "on_site_minutes", n(tm.OnSiteMinutes))
	line("time", "", "on_site_entries", n(tm.OnSiteEntries))
	line("time", "", "travel_minutes", n(tm.TravelMinutes))

	sp := m.Support
	line("support", "", "status", sp.Status)
	if sp.Measured() {
		line("support", "", "contract", sp.Reference)
		line("support", "", "mode", string(sp.Mode))
		line("support", "", "months", n(sp.Months))
		line("support", "", "consumed_minutes", n(sp.ConsumedMinutes))
		line("support", "", "included_minutes", n(sp.IncludedMinutes))
		line("support", "", "percent", n(sp.Percent))
		line("support", "", "level", string(sp.Level))
		line("support", "", "onsite", n(sp.OnSite))
		line("support", "", "onsite_included", n(sp.OnSiteIncluded))
		line("support", "", "onsite_percent", n(sp.OnSitePercent))
		line("support", "", "onsite_level", string(sp.OnSiteLevel))
	}
	line("support", "", "out_of_perimeter_billable_minutes", n(sp.OutOfPerimeterBillableMinutes))

	s := m.Satisfaction
	line("satisfaction", "", "count", n(s.Count))
	line("satisfaction", "", "average", num(s.Average))
	for i, c := range s.Scores {
		line("satisfaction", "score:"+n(i+1), "count", n(c))
	}

	for _, a := range m.Availability {
		item := a.Asset
		line("availability", item, "checks", n(a.Checks))
		line("availability", item, "up_minutes", dec(a.UpMinutes))
		line("availability", item, "down_minutes", dec(a.DownMinutes))
		line("availability", item, "maintenance_minutes", dec(a.MaintenanceMinutes))
		line("availability", item, "no_data_minutes", dec(a.NoDataMinutes))
		line("availability", item, "percent", num(a.Percent))
	}

	line("alerts", "", "count", n(m.Alerts.Count))
	line("alerts", "", "in_maintenance", n(m.Alerts.InMaintenance))
	for _, r := range m.Alerts.Recurring {
		line("recurring", r.Asset+" / "+r.Check, "problems", n(r.Problems))
	}

	b := m.Backups
	line("backups", "", "runs", n(b.Success.Whole))
	line("backups", "", "ok", n(b.Success.Part))
	line("backups", "", "success_percent", num(b.Success.Percent))
	for _, j := range b.Jobs {
		item := j.Asset + " / " + j.Check
		line("backups", item, "runs", n(j.Success.Whole))
		line("backups", item, "ok", n(j.Success.Part))
		line("backups", item, "success_percent", num(j.Success.Percent))
		last, lastOK := "", ""
		if j.LastRun != nil {
			last, lastOK = ts(*j.LastRun), strconv.FormatBool(j.LastRunOK)
		}
		line("backups", item, "last_run", last)
		line("backups", item, "last_run_ok", lastOK)
		restore, result, scope := "", "", ""
		if j.LastRestore != nil {
			restore, result, scope = ts(j.LastRestore.At), j.LastRestore.Result, j.LastRestore.Scope
		}
		line("backups", item, "last_restore", restore)
		line("backups", item, "last_restore_result", result)
		line("backups", item, "last_restore_scope", scope)
	}

	for _, c := range m.Capacity {
		item := c.Asset + " " + c.Mount
		line("capacity", item, "used_percent", dec(c.UsedPercent))
		line("capacity", item, "at", ts(c.At))
		line("capacity", item, "growth_per_day", dec(c.GrowthPerDay))
		line("capacity", item, "days_left", num(c.DaysLeft))
	}

	o := m.OutOfPerimeter
	line("out_of_perimeter", "", "tickets", n(len(o.Tickets)))
	line("out_of_perimeter", "", "total_minutes", n(o.TotalMinutes))
	line("out_of_perimeter", "", "billable_minutes", n(o.BillableMinutes))
	for _, t := range o.Tickets {
		item := "#" + strconv.FormatInt(t.ID, 10)
		line("out_of_perimeter", item, "title", t.Title)
		line("out_of_perimeter", item, "reason", t.Reason)
		line("out_of_perimeter", item, "minutes", n(t.Minutes))
		line("out_of_perimeter", item, "billable_minutes", n(t.BillableMinutes))
	}
	return sh.Bytes()
}

// Sheet is the CSV of a report being written, in the shape the monthly
// report, the annual report and the service review share: a header line
// "section,item,measure,value", then one value a line. Times are RFC 3339
// in the period's time zone; a cell a spreadsheet would read as a formula
// is defused (safeCell).
type Sheet struct {
	buf bytes.Buffer
	w   *csv.Writer
	loc *time.Location
}

// NewSheet starts the CSV of a client's report over a period: the header,
// the client's name and the period's lines (label, time zone, from, to,
// until, so far).
func NewSheet(client string, p PeriodInfo) *Sheet {
	sh := &Sheet{loc: time.UTC}
	sh.w = csv.NewWriter(&sh.buf)
	if loc, err := time.LoadLocation(p.TimeZone); err == nil {
		sh.loc = loc
	}
	sh.Line("section", "item", "measure", "value")
	sh.Line("client", "", "name", client)
	sh.Line("period", "", "label", p.Label)
	sh.Line("period", "", "time_zone", p.TimeZone)
	sh.Line("period", "", "from", sh.Time(p.From))
	sh.Line("period", "", "to", sh.Time(p.To))
	sh.Line("period", "", "until", sh.Time(p.Until))
	sh.Line("period", "", "so_far", strconv.FormatBool(p.SoFar))
	return sh
}

// Line writes one value.
func (sh *Sheet) Line(section, item, measure, value string) {
	_ = sh.w.Write([]string{section, safeCell(item), measure, safeCell(value)})
}

// Time writes an instant in the period's zone.
func (sh *Sheet) Time(t time.Time) string { return t.In(sh.loc).Format(time.RFC3339) }

// Bytes ends the CSV and returns it.
func (sh *Sheet) Bytes() []byte {
	sh.w.Flush()
	return sh.buf.Bytes()
}

func dec(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Num writes an optional decimal ("" for none), as every report CSV does.
func Num(v *float64) string { return num(v) }

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return dec(*v)
}

// safeCell defuses CSV injection: a cell starting with = + - @ or a control
// character gets a leading apostrophe (as the fleet export does). A number
// (a negative growth) is left as it is: a spreadsheet reads it as a number.
func safeCell(s string) string {
	if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "infINFxX") {
		return s
	}
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
