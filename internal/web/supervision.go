package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/chart"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// The supervision board and the check page. GET /supervision is the live
// board: staff see every client they may, a client's users their company's
// checks (the portal); problems come first (the store orders them), one
// page of rows is rendered whatever the number of checks, and
// /supervision/stream pushes each status change to open boards. GET
// /supervision/checks/{id} is one check: its rules, its state, its history,
// its availability and its graph, with the staff's actions. The forms that
// define checks, templates and maintenance windows are in
// supervision_forms.go.

// boardPageSize is the number of rows of one page of the board.
const boardPageSize = 100

// registerSupervision adds the board, its stream and the check page.
func (h *Handler) registerSupervision(rt *router.Router) {
	rt.HandleFunc("GET /supervision", h.board)
	rt.HandleFunc("GET /supervision/stream", h.boardStream)
	rt.HandleFunc("GET /supervision/checks/{id}", h.checkShow)
	rt.HandleFunc("POST /supervision/checks/{id}/acknowledge", h.checkAcknowledge)
	rt.HandleFunc("POST /supervision/checks/{id}/run", h.checkRunNow)
}

// BoardOn reports whether the supervision pages are served.
func (v *view) BoardOn() bool { return v.h.d.Supervision != nil }

// boardStates are the states the board filters on, in the store's words.
var boardStates = []string{"critical", "warning", "unknown", "ok", "pending"}

// boardSummary is one coloured count at the top of the board.
type boardSummary struct {
	Key   string // critical, warning…: the badge's class and the stream's name
	Label string
	Count int
	// Href filters the board on it ("" when no filter matches it).
	Href string
}

// boardRow is one line of the board.
type boardRow struct {
	supervision.BoardRow
	// Maintenance is set when a maintenance window covers the asset now.
	Maintenance bool
}

func boardRows(rows []supervision.BoardRow) []boardRow {
	out := make([]boardRow, len(rows))
	for i, r := range rows {
		out[i] = boardRow{BoardRow: r, Maintenance: r.InMaintenance}
	}
	return out
}

type boardPage struct {
	Rows    []boardRow
	Summary []boardSummary
	Total   int
	// Page is the current page (from 1), Pages their number.
	Page, Pages int
	Prev, Next  string
	Filtered    bool
	// ShowClient adds the client column and filter (staff seeing several clients).
	ShowClient bool
	Clients    []option
	States     []option
	Kinds      []option
	// LinkAssets links asset names to their pages (viewers who may read assets).
	LinkAssets bool
	// CanWrite shows the links to define checks (staff).
	CanWrite bool
	// Stream is the address of the live updates for this board's filters.
	Stream string
}

// boardFilter reads the board's filters; values holds them as the form
// shows them again, page the page asked for.
func boardFilter(q url.Values, s tenant.Scope) (supervision.BoardFilter, url.Values, int) {
	f := supervision.BoardFilter{Search: clip(strings.TrimSpace(q.Get("q")), 200)}
	values := url.Values{"q": {f.Search}}
	if s.Staff() {
		if id := formID(q, "client"); id != nil && s.CanSee(*id) {
			f.ClientID = *id
			values.Set("client", itoa(*id))
		}
	}
	for _, st := range boardStates {
		if q.Get("state") == st {
			f.State = st
			values.Set("state", st)
		}
	}
	if id := formID(q, "asset"); id != nil {
		f.AssetID = *id
		values.Set("asset", itoa(*id))
	}
	if k := supervision.Kind(q.Get("kind")); k.Valid() {
		f.Kind = k
		values.Set("kind", string(k))
	}
	if formBool(q, "problems") {
		f.Problems = true
		values.Set("problems", "1")
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return f, values, min(page, 100000)
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (h *Handler) board(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.SupervisionRead) {
		h.forbidden(w, r)
		return
	}
	ctx := r.Context()
	v := h.view(w, r, "supervision")
	f, values, page := boardFilter(r.URL.Query(), s)
	f.Limit, f.Offset = boardPageSize, (page-1)*boardPageSize
	rows, counts, total, err := h.d.Supervision.Board(ctx, s, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := boardPage{
		Total: total, Page: page, Pages: max(1, (total+boardPageSize-1)/boardPageSize),
		// A page past the last one is empty, not a board without checks.
		Filtered:   len(values) > 1 || f.Search != "" || page > 1,
		LinkAssets: s.Can(tenant.AssetRead) && h.d.Assets != nil,
		CanWrite:   s.Can(tenant.SupervisionWrite),
	}
	if page > 1 {
		d.Prev = boardPageLink(r, page-1)
	}
	if page < d.Pages {
		d.Next = boardPageLink(r, page+1)
	}
	d.Rows = boardRows(rows)
	d.Summary = v.boardSummary(counts, values)
	if s.Staff() && !(len(s.Clients) == 1) {
		cs, err := h.allClients(ctx, s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(cs) > 1 {
			d.ShowClient = true
			d.Clients = []option{{Value: "", Label: v.T("board.all_clients")}}
			for _, c := range cs {
				d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
			}
		}
	}
	d.States = []option{{Value: "", Label: v.T("board.any_state")}}
	for _, st := range boardStates {
		d.States = append(d.States, option{Value: st, Label: v.T("board.state." + st)})
	}
	d.Kinds = append([]option{{Value: "", Label: v.T("board.all_kinds")}}, v.checkKindOptions()...)
	stream := url.Values{}
	for k, vals := range values {
		if vals[0] != "" {
			stream[k] = vals
		}
	}
	d.Stream = "/supervision/stream"
	if len(stream) > 0 {
		d.Stream += "?" + stream.Encode()
	}
	v.Form.setValues(values)
	h.render(w, v, http.StatusOK, "supervision_board", d)
}

// boardPageLink is the address of another page of the board with the same filters.
func boardPageLink(r *http.Request, page int) string {
	q := r.URL.Query()
	if page <= 1 {
		q.Del("page")
	} else {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// boardSummary lists the counts of the board's filter as coloured badges;
// the four states link to the board filtered on them.
func (v *view) boardSummary(c supervision.BoardCounts, values url.Values) []boardSummary {
	link := func(state string) string {
		q := url.Values{}
		for _, k := range []string{"client", "asset", "kind", "q"} {
			if values.Get(k) != "" {
				q.Set(k, values.Get(k))
			}
		}
		q.Set("state", state)
		return "/supervision?" + q.Encode()
	}
	return []boardSummary{
		{"critical", v.T("board.count.critical"), c.Critical, link("critical")},
		{"warning", v.T("board.count.warning"), c.Warning, link("warning")},
		{"unknown", v.T("board.count.unknown"), c.Unknown, link("unknown")},
		{"ok", v.T("board.count.ok"), c.OK, link("ok")},
		{"acknowledged", v.T("board.count.acknowledged"), c.Acknowledged, ""},
		{"maintenance", v.T("board.count.maintenance"), c.Maintenance, ""},
		{"unreachable", v.T("board.count.unreachable"), c.Unreachable, ""},
		{"flapping", v.T("board.count.flapping"), c.Flapping, ""},
	}
}

// checkKindOptions lists the kinds of check in display order.
func (v *view) checkKindOptions() []option {
	out := make([]option, 0, len(supervision.Kinds))
	for _, k := range supervision.Kinds {
		out = append(out, option{Value: string(k), Label: v.BoardKind(k)})
	}
	return out
}

// BoardKind is the translated name of a kind of check.
func (v *view) BoardKind(k supervision.Kind) string {
	if !v.h.msg.Has("board.kind." + string(k)) {
		return string(k)
	}
	return v.T("board.kind." + string(k))
}

// stateBadge is what the board shows of a status: the state, its markers.
type stateBadge struct {
	// State is "ok", "warning", "critical", "unknown", "unreachable" or
	// "pending" (never run): the badge's class.
	State string
	Label string
	// Type is "soft" or "hard" for a problem, "" when OK or pending.
	Type     string
	TypeText string
	Ack      bool
	AckText  string
	AckTitle string
	Flapping bool
	// FlappingText and MaintenanceText are the markers' words.
	FlappingText    string
	Maintenance     bool
	MaintenanceText string
}

// BoardBadge describes the state badge of a status. maxAttempts is the
// check's (for "soft 2/3"); maintenance says whether a window covers it now.
func (v *view) BoardBadge(st supervision.Status, maxAttempts int, maintenance bool) stateBadge {
	b := stateBadge{State: statusKey(st.Status), Flapping: st.Flapping, Maintenance: maintenance, Ack: st.Ack != nil}
	b.Label = v.T("board.state." + b.State)
	b.AckText, b.FlappingText, b.MaintenanceText = v.T("board.ack"), v.T("board.flapping"), v.T("board.maintenance")
	if b.State != "ok" && b.State != "pending" {
		if st.Type == check.Soft {
			b.Type = "soft"
			b.TypeText = v.T("board.soft", st.Attempt, max(maxAttempts, st.Attempt))
		} else {
			b.Type = "hard"
			b.TypeText = v.T("board.hard")
		}
	}
	if st.Ack != nil {
		b.AckTitle = v.T("board.ack_title", st.Ack.By, st.Ack.Comment)
	}
	return b
}

// statusKey names a status' state for classes, messages and the stream.
func statusKey(st check.Status) string {
	if st.LastCheck.IsZero() {
		return "pending"
	}
	if st.Unreachable && st.State != check.OK {
		return "unreachable"
	}
	switch st.State {
	case check.OK:
		return "ok"
	case check.Warning:
		return "warning"
	case check.Critical:
		return "critical"
	}
	return "unknown"
}

// Since says how long a status has held its state: "for 12 min".
func (v *view) Since(st supervision.Status) string {
	if st.Since.IsZero() {
		return "—"
	}
	return v.T("board.for", v.Span(v.h.now().Sub(st.Since)))
}

// LastChecked says when a status was last updated: "2 min ago", "never".
func (v *view) LastChecked(st supervision.Status) string {
	if st.LastCheck.IsZero() {
		return v.T("common.never")
	}
	t := st.LastCheck
	return v.Ago(&t)
}

// BoardDurations are the duration formats the board's script needs to keep
// "for 12 min" current without reloading, as JSON for a data attribute.
func (v *view) BoardDurations() string {
	return boardJSON(map[string]string{
		"m": v.T("duration.m"), "hm": v.T("duration.hm"), "dh": v.T("duration.dh"),
		"for": v.T("board.for"), "ago": v.T("fleet.ago"), "now": v.T("fleet.just_now"), "never": v.T("common.never"),
	})
}

// BoardStateLabels are the state labels and markers the board's script
// writes when a change arrives, as JSON for a data attribute.
func (v *view) BoardStateLabels() string {
	out := map[string]string{
		"soft": v.T("board.soft"), "hard": v.T("board.hard"), "ack": v.T("board.ack"),
		"flapping": v.T("board.flapping"), "maintenance": v.T("board.maintenance"),
	}
	for _, st := range []string{"ok", "warning", "critical", "unknown", "unreachable", "pending"} {
		out[st] = v.T("board.state." + st)
	}
	return boardJSON(out)
}

// boardJSON encodes the texts handed to the board's script.
func boardJSON(m map[string]string) string {
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// checkPage is everything the check page shows.
type checkPage struct {
	Check      supervision.Check
	Status     supervision.Status
	AssetName  string
	ClientName string
	// Template names the template that applied the check (staff).
	Template string
	Params   []labelled
	// Maintenance is set when a window covers the asset now.
	Maintenance bool
	// Uptime is the availability over 24 h, 7 d and 30 d.
	Uptime []uptimeCell
	Events []supervision.Event
	// EventsNext pages to older events.
	EventsNext string
	Runs       []supervision.BackupRun
	// Graphs draw the check's performance data over the chosen range.
	Graphs []assetChart
	Range  string
	Ranges []rangeLink
	// LinkAsset links the asset name to its page.
	LinkAsset bool
	// CanWrite shows the staff's actions (acknowledge, run now, edit, delete).
	CanWrite bool
	// CanRun: the server runs this probe, so "run now" means something.
	CanRun bool
	// Ticket is set when the incident ticket may be linked.
	Ticket *int64
}

// uptimeCell is one availability figure of the check page.
type uptimeCell struct {
	Label string
	Value string // "99.95 %", or "—" without data
	Down  string // time down over the period
}

func (h *Handler) checkShow(w http.ResponseWriter, r *http.Request) {
	v := h.view(w, r, "supervision")
	d, err := h.checkPage(r, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusOK, "supervision_check", d)
}

// loadCheck reads the check named in the path through the caller's scope.
func (h *Handler) loadCheck(r *http.Request) (supervision.Check, tenant.Scope, error) {
	p, err := principal(r)
	if err != nil {
		return supervision.Check{}, tenant.Scope{}, err
	}
	s := p.Scope()
	if !s.Can(tenant.SupervisionRead) {
		return supervision.Check{}, s, fault.ErrForbidden
	}
	id, ok := pathID(r, "id")
	if !ok {
		return supervision.Check{}, s, fault.ErrNotFound
	}
	c, err := h.d.Supervision.Check(r.Context(), s, id)
	return c, s, err
}

// checkRanges are the graph ranges of the check page.
var checkRanges = graphRanges[:4]

func (h *Handler) checkPage(r *http.Request, v *view) (checkPage, error) {
	c, s, err := h.loadCheck(r)
	if err != nil {
		return checkPage{}, err
	}
	ctx := r.Context()
	d := checkPage{Check: c, CanWrite: s.CanOn(tenant.SupervisionWrite, c.ClientID), LinkAsset: s.CanOn(tenant.AssetRead, c.ClientID) && h.d.Assets != nil}
	d.CanRun = c.Kind.Network() && c.RunnerAssetID == nil
	d.Status, err = h.d.Supervision.Status(ctx, s, c.ID)
	if errors.Is(err, fault.ErrNotFound) {
		d.Status, err = supervision.Status{CheckID: c.ID, ClientID: c.ClientID, AssetID: c.AssetID}, nil
	}
	if err != nil {
		return d, err
	}
	rows, _, _, err := h.d.Supervision.Board(ctx, s, supervision.BoardFilter{AssetID: c.AssetID, Limit: 1})
	if err != nil {
		return d, err
	}
	if len(rows) > 0 {
		// Maintenance windows cover assets: any check of the asset tells.
		d.AssetName, d.ClientName, d.Maintenance = rows[0].AssetName, rows[0].ClientName, rows[0].InMaintenance
	}
	if c.TemplateID != nil && s.Staff() {
		if t, err := h.d.Supervision.Template(ctx, s, *c.TemplateID); err == nil {
			d.Template = t.Name
		}
	}
	d.Params = v.paramSummary(c)
	if d.Status.TicketID != nil && h.d.Tickets != nil && s.Can(tenant.TicketRead) {
		d.Ticket = d.Status.TicketID
	}

	now := h.now()
	for _, p := range []struct {
		key  string
		span time.Duration
	}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}} {
		u, err := h.d.Supervision.Availability(ctx, s, c.ID, now.Add(-p.span), now)
		if err != nil {
			return d, err
		}
		cell := uptimeCell{Label: v.T("fleet.range." + p.key), Value: "—", Down: v.Span(u.Down)}
		if ratio, ok := u.Ratio(); ok {
			cell.Value = v.UptimePercent(ratio)
		}
		d.Uptime = append(d.Uptime, cell)
	}

	before := cursor(r, "before")
	evs, err := h.d.Supervision.Events(ctx, s, supervision.EventFilter{CheckID: c.ID, BeforeID: before, Limit: pageSize + 1})
	if err != nil {
		return d, err
	}
	if len(evs) > pageSize {
		evs = evs[:pageSize]
		d.EventsNext = nextPage(r, "before", evs[len(evs)-1].ID) + "#events"
	}
	d.Events = evs

	if c.Kind.Backup() {
		if d.Runs, err = h.d.Supervision.BackupRuns(ctx, s, c.ID); err != nil {
			return d, err
		}
	}

	q := r.URL.Query()
	d.Range = q.Get("range")
	span := time.Duration(0)
	for _, gr := range checkRanges {
		if gr.Key == d.Range {
			span = gr.Span
		}
	}
	if span == 0 {
		d.Range, span = "24h", 24*time.Hour
	}
	for _, gr := range checkRanges {
		d.Ranges = append(d.Ranges, rangeLink{Label: v.T("fleet.range." + gr.Key), Href: checkPath(c.ID) + "?range=" + gr.Key + "#graph", Current: gr.Key == d.Range})
	}
	if d.Graphs, err = h.checkGraphs(ctx, v, s, c, now.Add(-span), now); err != nil {
		return d, err
	}
	return d, nil
}

func checkPath(id int64) string { return "/supervision/checks/" + strconv.FormatInt(id, 10) }

// UptimePercent writes an availability: 99.95 %, never rounded up to 100.
func (v *view) UptimePercent(ratio float64) string {
	p := ratio * 100
	s := strconv.FormatFloat(float64(int64(p*100))/100, 'f', 2, 64)
	if v.Lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " %"
}

// paramSummary lists what a check looks at and its thresholds, in words,
// leaving out secrets (header values, request bodies, push tokens).
func (v *view) paramSummary(c supervision.Check) []labelled {
	p := c.Params
	var out []labelled
	add := func(key, val string) {
		if val != "" && val != "0" {
			out = append(out, labelled{v.T("checkpage.param." + key), val})
		}
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	add("host", p.Host)
	if p.Port != 0 {
		add("port", strconv.Itoa(p.Port))
	}
	add("url", p.URL)
	add("method", p.Method)
	add("mount", p.Mount)
	add("name", p.Name)
	add("disk", p.Disk)
	add("path", p.Path)
	add("server_name", p.ServerName)
	add("record_type", p.RecordType)
	add("server", p.Server)
	add("expect", strings.Join(p.Expect, ", "))
	if len(p.ExpectStatus) > 0 {
		codes := make([]string, len(p.ExpectStatus))
		for i, s := range p.ExpectStatus {
			codes[i] = strconv.Itoa(s)
		}
		add("expect_status", strings.Join(codes, ", "))
	}
	add("body_contains", p.BodyContains)
	add("body_regexp", p.BodyRegexp)
	if len(p.Headers) > 0 {
		names := make([]string, 0, len(p.Headers))
		for k := range p.Headers {
			names = append(names, k)
		}
		slices.Sort(names)
		add("headers", strings.Join(names, ", "))
	}
	if p.Warning != 0 || p.Critical != 0 {
		add("thresholds", v.T("checkpage.thresholds", num(p.Warning), num(p.Critical)))
	}
	if p.For != 0 {
		add("for", v.T("duration.m", p.For))
	}
	if p.RTTWarning != 0 || p.RTTCritical != 0 {
		add("rtt", v.T("checkpage.rtt", num(p.RTTWarning), num(p.RTTCritical)))
	}
	if p.LossWarning != 0 || p.LossCritical != 0 {
		add("loss", v.T("checkpage.thresholds", num(p.LossWarning), num(p.LossCritical)))
	}
	if p.WarningDays != 0 || p.CriticalDays != 0 {
		add("days", v.T("checkpage.days", p.WarningDays, p.CriticalDays))
	}
	if p.Count != 0 {
		add("count", strconv.Itoa(p.Count))
	}
	if p.MaxAgeHours != 0 {
		add("max_age", v.T("checkpage.hours", num(p.MaxAgeHours)))
	}
	if p.MinBytes != 0 {
		add("min_bytes", v.Bytes(uint64(p.MinBytes)))
	}
	if p.Intervals != 0 {
		add("intervals", strconv.Itoa(p.Intervals))
	}
	add("schedule", p.Schedule)
	if p.GraceMinutes != 0 {
		add("grace", v.T("duration.m", p.GraceMinutes))
	}
	if p.Timeout != 0 {
		add("timeout", v.T("fleet.seconds", p.Timeout))
	}
	if p.NoRedirects {
		add("no_redirects", v.T("common.yes"))
	}
	if p.SkipVerify {
		add("skip_verify", v.T("common.yes"))
	}
	return out
}

// Seconds writes an interval given in seconds: 60 s, 5 min, 1 h 00.
func (v *view) Seconds(n int) string {
	if n < 60 || n%60 != 0 {
		return v.T("fleet.seconds", n)
	}
	return v.Span(time.Duration(n) * time.Second)
}

// EventIcon is the symbol of an event's kind on the check page.
func (v *view) EventIcon(e supervision.Event) string {
	switch e.Kind {
	case check.Problem:
		return "▲"
	case check.Recovery:
		return "✓"
	case check.SeverityChange:
		return "⇅"
	case check.FlapStart, check.FlapStop:
		return "≈"
	}
	return "•"
}

// EventText says what an event recorded, in the page's language.
func (v *view) EventText(e supervision.Event) string {
	from, to := v.T("board.state."+stateName(e.From)), v.T("board.state."+stateName(e.To))
	switch e.Kind {
	case check.Problem:
		return v.T("checkpage.event.problem", to)
	case check.Recovery:
		return v.T("checkpage.event.recovery", from)
	case check.SeverityChange:
		return v.T("checkpage.event.severity", from, to)
	case check.FlapStart:
		return v.T("checkpage.event.flap_start")
	case check.FlapStop:
		return v.T("checkpage.event.flap_stop")
	}
	if e.To == check.OK {
		return v.T("checkpage.event.soft_ok", from)
	}
	return v.T("checkpage.event.soft", to, e.Attempt)
}

// EventClass is the class of an event's line: its kind and target state.
func (v *view) EventClass(e supervision.Event) string {
	return "ev-" + strings.ReplaceAll(e.Kind.String(), "-", "_") + " ev-to-" + stateName(e.To)
}

// EventMuted says why an event did not notify, "" when it did or needs not.
func (v *view) EventMuted(e supervision.Event) string {
	if !e.Kind.Hard() || e.Notify {
		return ""
	}
	var why []string
	for _, m := range []struct {
		r   check.Mute
		key string
	}{{check.MutedFlapping, "flapping"}, {check.MutedMaintenance, "maintenance"}, {check.MutedAcknowledged, "acknowledged"}, {check.MutedUnreachable, "unreachable"}, {check.MutedUnnotified, "unnotified"}} {
		if e.Muted.Has(m.r) {
			why = append(why, v.T("checkpage.muted."+m.key))
		}
	}
	if len(why) == 0 {
		return ""
	}
	return v.T("checkpage.muted", strings.Join(why, ", "))
}

// stateName is the lower-case name of a state.
func stateName(s check.State) string {
	switch s {
	case check.OK:
		return "ok"
	case check.Warning:
		return "warning"
	case check.Critical:
		return "critical"
	}
	return "unknown"
}

// SeverityLabel and TicketModeLabel name a check's severity and ticket mode.
func (v *view) SeverityLabel(s supervision.Severity) string {
	return v.T("checkpage.severity." + string(s))
}

// TicketModeLabel names what a check's hard problems do in the helpdesk.
func (v *view) TicketModeLabel(m supervision.TicketMode) string {
	return v.T("checkpage.ticket." + string(m))
}

func (h *Handler) checkAcknowledge(w http.ResponseWriter, r *http.Request) {
	c, s, err := h.loadCheck(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !s.CanOn(tenant.SupervisionWrite, c.ClientID) {
		h.forbidden(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, fault.ErrNotFound)
		return
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	err = h.d.Supervision.Acknowledge(r.Context(), s, c.ID, comment)
	if err == nil {
		h.redirect(w, r, checkPath(c.ID), "flash.check_acknowledged", c.Name)
		return
	}
	if noProblem(err) {
		h.redirect(w, r, checkPath(c.ID), "flash.warn.check_no_problem", c.Name)
		return
	}
	// A refused comment: the page again, with the text and its error.
	v := h.view(w, r, "supervision")
	d, perr := h.checkPage(r, v)
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	v.Form.setValues(url.Values{"comment": {comment}})
	h.formFailed(w, v, "supervision_check", d, err)
}

// noProblem reports whether an acknowledgement was refused because the
// check is no longer in a hard problem (it recovered meanwhile).
func noProblem(err error) bool {
	if errors.Is(err, check.ErrNoProblem) {
		return true
	}
	inv, ok := fault.AsInvalid(err)
	return ok && len(inv.Fields) == 1 && inv.Fields[0].Field == "state"
}

func (h *Handler) checkRunNow(w http.ResponseWriter, r *http.Request) {
	c, s, err := h.loadCheck(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !s.CanOn(tenant.SupervisionWrite, c.ClientID) {
		h.forbidden(w, r)
		return
	}
	if err := h.d.Supervision.RunNow(r.Context(), s, c.ID); err != nil {
		if _, ok := fault.AsInvalid(err); ok || errors.Is(err, fault.ErrConflict) {
			h.redirect(w, r, checkPath(c.ID), "flash.warn.check_not_run", c.Name)
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, checkPath(c.ID), "flash.check_run", c.Name)
}

// assetChecks is the "Checks" card of an asset page, with the page's view
// so that the card's template can translate.
type assetChecks struct {
	*view
	AssetID  int64
	Rows     []boardRow
	Total    int
	CanWrite bool
	// Uptime30 is the asset's availability over 30 days ("" when nothing
	// was measured); Backup, a backup job's last runs and restore test.
	Uptime30 string
	Backup   *supervision.BackupSummary
}

// AssetChecks lists an asset's checks with their states for its page, nil
// when supervision is off or the viewer may not see it.
func (v *view) AssetChecks(assetID, clientID int64) *assetChecks {
	h := v.h
	if h.d.Supervision == nil || v.User == nil {
		return nil
	}
	s := v.Scope()
	if !s.CanOn(tenant.SupervisionRead, clientID) {
		return nil
	}
	rows, _, total, err := h.d.Supervision.Board(v.r.Context(), s, supervision.BoardFilter{AssetID: assetID, Limit: 50})
	if err != nil {
		h.log.Warn("load the checks of an asset", "asset", assetID, "err", err)
		return nil
	}
	out := &assetChecks{view: v, AssetID: assetID, Total: total, CanWrite: s.CanOn(tenant.SupervisionWrite, clientID)}
	out.Rows = boardRows(rows)
	ctx, now := v.r.Context(), h.now()
	if total > 0 {
		up, err := h.d.Supervision.AssetAvailability(ctx, s, assetID, now.Add(-30*24*time.Hour), now)
		if err != nil {
			h.log.Warn("asset availability", "asset", assetID, "err", err)
		} else if ratio, ok := up.Ratio(); ok {
			out.Uptime30 = v.UptimePercent(ratio)
		}
	}
	sums, err := h.d.Supervision.LastBackups(ctx, s, clientID)
	if err != nil {
		h.log.Warn("backup summary of an asset", "asset", assetID, "err", err)
	}
	for i := range sums {
		if sums[i].AssetID == assetID {
			out.Backup = &sums[i]
		}
	}
	return out
}

// perfMetric is the metric the engine's performance sink writes
// (app.CheckPerfMetric): one series per check and value, labelled check and
// perf.
const perfMetric = "check_perf"

// maxCheckCharts bounds the graphs of a check page (a plugin may report
// dozens of values): response times first, then the others by name.
const maxCheckCharts = 4

// checkGraphs draws the performance data of a check over [from, to]: its
// response times (every value named …_ms) on one graph in time units, then
// one graph per other value. Whoever may see the check sees its graphs: c
// was read with the viewer's scope, and a client user, who may not read the
// asset's metrics (no asset.read), gets this check's own series alone.
func (h *Handler) checkGraphs(ctx context.Context, v *view, s tenant.Scope, c supervision.Check, from, to time.Time) ([]assetChart, error) {
	if h.d.Assets == nil || !s.CanOn(tenant.SupervisionRead, c.ClientID) {
		return nil, nil
	}
	qs := s
	if !s.CanOn(tenant.AssetRead, c.ClientID) {
		qs = tenant.System() // limited below to the series of check c
	}
	res, err := h.d.Assets.Metrics(ctx, qs, metric.Query{AssetID: c.AssetID, Name: perfMetric, Labels: map[string]string{"check": itoa(c.ID)}, From: from, To: to})
	if err != nil {
		return nil, err
	}
	type group struct {
		title  string
		unit   chart.Unit
		scale  float64
		series []chart.Series
		step   time.Duration
	}
	var times *group
	var others []*group
	slices.SortFunc(res, func(x, y metric.Result) int { return cmp.Compare(x.Series.Labels["perf"], y.Series.Labels["perf"]) })
	for _, rs := range res {
		name := rs.Series.Labels["perf"]
		var g *group
		switch {
		case strings.HasSuffix(name, "_ms"):
			if times == nil {
				times = &group{title: v.T("checkpage.graph.response"), unit: chart.Seconds, scale: 0.001}
			}
			g = times
		default:
			unit := chart.Count
			switch {
			case strings.HasSuffix(name, "_percent"):
				unit = chart.Percent
			case strings.HasSuffix(name, "_bytes"):
				unit = chart.Bytes
			}
			g = &group{title: v.perfName(name), unit: unit, scale: 1}
			others = append(others, g)
		}
		cs := chart.Series{Name: v.perfName(name), Points: make([]chart.Point, len(rs.Points))}
		for i, p := range rs.Points {
			cs.Points[i] = chart.Point{T: p.T, Min: p.Min * g.scale, Avg: p.Avg * g.scale, Max: p.Max * g.scale}
		}
		g.series = append(g.series, cs)
		g.step = max(g.step, rs.Resolution.Step())
	}
	groups := others
	if times != nil {
		groups = append([]*group{times}, others...)
	}
	if len(groups) == 0 {
		groups = []*group{{title: v.T("checkpage.graph"), unit: chart.Count}}
	}
	var out []assetChart
	for _, g := range groups[:min(len(groups), maxCheckCharts)] {
		out = append(out, assetChart{Title: g.title, SVG: chart.Render(chart.Options{
			Title: g.title, Unit: g.unit, From: from, To: to, Loc: v.loc, Locale: v.chartLocale(),
			Step: g.step, Empty: v.T("fleet.graph.empty"), Width: 600, Height: 230,
		}, g.series)})
	}
	return out, nil
}

// perfName names a performance value: the probes' own in words, a
// plugin's as it wrote it.
func (v *view) perfName(name string) string {
	if key := "checkpage.perf." + name; v.h.msg.Has(key) {
		return v.T(key)
	}
	return name
}

// RunDuration writes how long a backup ran: 45 s, 12 min, 2 h 05.
func (v *view) RunDuration(seconds float64) string {
	if seconds < 60 {
		return v.T("fleet.seconds", int(seconds+0.5))
	}
	return v.Span(time.Duration(seconds * float64(time.Second)))
}

// BackupBytes writes the size a backup reported.
func (v *view) BackupBytes(n int64) string { return v.Bytes(uint64(max(n, 0))) }
