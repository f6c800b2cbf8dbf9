package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// checkView is a check as the API shows it, with its live status when one
// check is asked for.
type checkView struct {
	ID            int64              `json:"id"`
	ClientID      int64              `json:"client_id"`
	AssetID       int64              `json:"asset_id"`
	Name          string             `json:"name"`
	Kind          supervision.Kind   `json:"kind"`
	Params        supervision.Params `json:"params" doc:"The parameters of the kind (see docs/supervision.md)"`
	Interval      int                `json:"interval" doc:"Seconds between runs in an OK or hard state"`
	RetryInterval int                `json:"retry_interval" doc:"Seconds between runs while a problem is being confirmed"`
	MaxAttempts   int                `json:"max_attempts" doc:"Consecutive problems that make it hard"`
	RecoverAfter  int                `json:"recover_after" doc:"Consecutive OK results that end a hard problem"`
	Severity      string             `json:"severity" doc:"enum=minor|major|critical"`
	Ticket        string             `json:"ticket" doc:"enum=none|open|auto_resolve;What a hard problem does in the helpdesk"`
	RunnerAssetID *int64             `json:"runner_asset_id" doc:"The asset whose agent runs a network probe or backup job; null: the server (or the asset's own agent)"`
	TemplateID    *int64             `json:"template_id" doc:"The template that applied the check; such a check changes through its template"`
	Enabled       bool               `json:"enabled"`
	PushPath      *string            `json:"push_path" doc:"backup_push checks, for staff: the path (under the server's base URL) that the backup script calls; null otherwise"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
	Status        *checkStatusView   `json:"status,omitempty" doc:"The live status (GET /checks/{id} and the board only)"`
}

// checkStatusView is the live status of a check.
type checkStatusView struct {
	State       string     `json:"state" doc:"enum=ok|warning|critical|unknown|pending;pending: never run yet"`
	Label       string     `json:"label" doc:"OK, WARNING, CRITICAL, UNKNOWN, UNREACHABLE (a problem while a parent is down) or PENDING"`
	StateType   string     `json:"state_type" doc:"enum=soft|hard;soft: a change being confirmed"`
	HardState   string     `json:"hard_state" doc:"enum=ok|warning|critical|unknown"`
	Attempt     int        `json:"attempt"`
	Since       *time.Time `json:"since" doc:"When the current state began"`
	LastChange  *time.Time `json:"last_change" doc:"When the hard state last changed"`
	LastCheck   *time.Time `json:"last_check" doc:"The latest result; null: pending"`
	Output      string     `json:"output"`
	Flapping    bool       `json:"flapping"`
	FlapPercent float64    `json:"flap_percent"`
	Unreachable bool       `json:"unreachable"`
	Ack         *ackView   `json:"acknowledgement" doc:"The acknowledgement of the current hard problem"`
	TicketID    *int64     `json:"ticket_id" doc:"The incident open for the current problem"`
}

// ackView is an acknowledgement.
type ackView struct {
	By      string    `json:"by"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// checkEventView is a state change of a check.
type checkEventView struct {
	ID          int64     `json:"id"`
	CheckID     int64     `json:"check_id"`
	ClientID    int64     `json:"client_id"`
	AssetID     int64     `json:"asset_id"`
	At          time.Time `json:"at"`
	Kind        string    `json:"kind" doc:"enum=soft-change|problem|recovery|severity-change|flapping-start|flapping-stop"`
	From        string    `json:"from" doc:"enum=ok|warning|critical|unknown"`
	To          string    `json:"to" doc:"enum=ok|warning|critical|unknown"`
	StateType   string    `json:"state_type" doc:"enum=soft|hard"`
	Attempt     int       `json:"attempt"`
	Output      string    `json:"output"`
	Notified    bool      `json:"notified" doc:"Whether it notified (and opened or updated a ticket)"`
	Muted       []string  `json:"muted" doc:"Why a hard change did not notify: flapping, maintenance, acknowledged, unreachable, unnotified"`
	Maintenance bool      `json:"maintenance"`
	Unreachable bool      `json:"unreachable"`
}

// checkInput is the body of POST /checks.
type checkInput struct {
	AssetID       int64              `json:"asset_id" doc:"required;The asset the check watches; the check belongs to its client"`
	Name          string             `json:"name" doc:"Absent: made from the kind and parameters (CPU, Disk /var…)"`
	Kind          supervision.Kind   `json:"kind" doc:"required"`
	Params        supervision.Params `json:"params" doc:"The parameters of the kind (see docs/supervision.md)"`
	Interval      int                `json:"interval" doc:"Seconds, 10 to 86400 (60 by default)"`
	RetryInterval int                `json:"retry_interval" doc:"Seconds, 5 to interval (30 or interval by default)"`
	MaxAttempts   int                `json:"max_attempts" doc:"1 to 10 (3 by default)"`
	RecoverAfter  int                `json:"recover_after" doc:"1 to 10 (1 by default)"`
	Severity      string             `json:"severity" doc:"enum=minor|major|critical;major by default"`
	Ticket        string             `json:"ticket" doc:"enum=none|open|auto_resolve;open by default"`
	RunnerAssetID *int64             `json:"runner_asset_id" doc:"Network probes: an asset of the same client with an agent that runs it inside the LAN. Backup jobs: the asset whose agent wraps the job (the asset itself by default)"`
	Enabled       *bool              `json:"enabled" doc:"true by default"`
}

// checkPatch is the body of PATCH /checks/{id}.
type checkPatch struct {
	Name          Opt[string]             `json:"name"`
	Kind          Opt[supervision.Kind]   `json:"kind"`
	Params        Opt[supervision.Params] `json:"params" doc:"Replaces every parameter"`
	Interval      Opt[int]                `json:"interval"`
	RetryInterval Opt[int]                `json:"retry_interval"`
	MaxAttempts   Opt[int]                `json:"max_attempts"`
	RecoverAfter  Opt[int]                `json:"recover_after"`
	Severity      Opt[string]             `json:"severity" doc:"enum=minor|major|critical"`
	Ticket        Opt[string]             `json:"ticket" doc:"enum=none|open|auto_resolve"`
	RunnerAssetID Opt[int64]              `json:"runner_asset_id" doc:"null: the server runs it"`
	Enabled       Opt[bool]               `json:"enabled"`
}

// templateView is a check template.
type templateView struct {
	ID            int64              `json:"id"`
	ClientID      *int64             `json:"client_id" doc:"null: every client"`
	Name          string             `json:"name"`
	MatchKind     string             `json:"match_kind" doc:"Asset kind matched; empty: any"`
	MatchOS       string             `json:"match_os" doc:"Operating system matched (linux, windows, darwin); empty: any"`
	MatchTag      string             `json:"match_tag" doc:"Asset tag matched; empty: any"`
	Kind          supervision.Kind   `json:"kind"`
	Params        supervision.Params `json:"params"`
	Interval      int                `json:"interval"`
	RetryInterval int                `json:"retry_interval"`
	MaxAttempts   int                `json:"max_attempts"`
	RecoverAfter  int                `json:"recover_after"`
	Severity      string             `json:"severity" doc:"enum=minor|major|critical"`
	Ticket        string             `json:"ticket" doc:"enum=none|open|auto_resolve"`
	Enabled       bool               `json:"enabled"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
}

// templateInput is the body of POST /check-templates.
type templateInput struct {
	ClientID      *int64             `json:"client_id" doc:"A client the template is limited to; absent or null: every client (staff who see every client only)"`
	Name          string             `json:"name" doc:"required"`
	MatchKind     string             `json:"match_kind" doc:"enum=server|workstation|network|printer|application|licence|backup|other|;empty: any kind"`
	MatchOS       string             `json:"match_os" doc:"enum=linux|windows|darwin|;empty: any"`
	MatchTag      string             `json:"match_tag" doc:"An asset tag; empty: any"`
	Kind          supervision.Kind   `json:"kind" doc:"required"`
	Params        supervision.Params `json:"params"`
	Interval      int                `json:"interval" doc:"As for a check"`
	RetryInterval int                `json:"retry_interval"`
	MaxAttempts   int                `json:"max_attempts"`
	RecoverAfter  int                `json:"recover_after"`
	Severity      string             `json:"severity" doc:"enum=minor|major|critical;major by default"`
	Ticket        string             `json:"ticket" doc:"enum=none|open|auto_resolve;open by default"`
	Enabled       *bool              `json:"enabled" doc:"true by default"`
}

// templatePatch is the body of PATCH /check-templates/{id}.
type templatePatch struct {
	Name          Opt[string]             `json:"name"`
	MatchKind     Opt[string]             `json:"match_kind"`
	MatchOS       Opt[string]             `json:"match_os"`
	MatchTag      Opt[string]             `json:"match_tag"`
	Kind          Opt[supervision.Kind]   `json:"kind"`
	Params        Opt[supervision.Params] `json:"params" doc:"Replaces every parameter"`
	Interval      Opt[int]                `json:"interval"`
	RetryInterval Opt[int]                `json:"retry_interval"`
	MaxAttempts   Opt[int]                `json:"max_attempts"`
	RecoverAfter  Opt[int]                `json:"recover_after"`
	Severity      Opt[string]             `json:"severity" doc:"enum=minor|major|critical"`
	Ticket        Opt[string]             `json:"ticket" doc:"enum=none|open|auto_resolve"`
	Enabled       Opt[bool]               `json:"enabled"`
}

// boardView is one page of the supervision board.
type boardView struct {
	Rows   []boardRowView  `json:"rows"`
	Counts boardCountsView `json:"counts" doc:"Checks of the filter by state, whatever the state and problems filters"`
	Total  int             `json:"total" doc:"Rows of the whole filter"`
	Limit  int             `json:"limit"`
	Offset int             `json:"offset"`
}

// boardRowView is a check on the board.
type boardRowView struct {
	Check      checkView `json:"check"`
	AssetName  string    `json:"asset_name"`
	ClientName string    `json:"client_name"`
}

// boardCountsView counts the checks of a board.
type boardCountsView struct {
	OK           int `json:"ok"`
	Warning      int `json:"warning"`
	Critical     int `json:"critical"`
	Unknown      int `json:"unknown"`
	Acknowledged int `json:"acknowledged"`
	Maintenance  int `json:"maintenance"`
	Unreachable  int `json:"unreachable"`
	Flapping     int `json:"flapping"`
}

// windowView is a maintenance window.
type windowView struct {
	ID              int64      `json:"id"`
	ClientID        int64      `json:"client_id"`
	SiteID          *int64     `json:"site_id"`
	AssetID         *int64     `json:"asset_id"`
	From            *time.Time `json:"from" doc:"One-off windows: the start"`
	To              *time.Time `json:"to" doc:"One-off windows: the end (excluded)"`
	Weekdays        []string   `json:"weekdays" doc:"Recurring windows: sun, mon, tue, wed, thu, fri, sat; empty for one-off windows"`
	Start           *string    `json:"start" doc:"Recurring windows: the time of day it starts, HH:MM in time_zone"`
	DurationMinutes int        `json:"duration_minutes" doc:"Recurring windows: how long it lasts"`
	TimeZone        string     `json:"time_zone"`
	Comment         string     `json:"comment"`
	CreatedBy       int64      `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
}

// windowInput is the body of POST /maintenance-windows.
type windowInput struct {
	ClientID        *int64   `json:"client_id" doc:"A client: the window covers all its assets"`
	SiteID          *int64   `json:"site_id" doc:"A site: the window covers the site's assets"`
	AssetID         *int64   `json:"asset_id" doc:"An asset. The narrowest of asset, site and client is the target; at least one is required"`
	From            string   `json:"from" doc:"format=date-time;One-off window: start (RFC 3339)"`
	To              string   `json:"to" doc:"format=date-time;One-off window: end (RFC 3339, excluded), in the future, at most 366 days after from"`
	Weekdays        []string `json:"weekdays" doc:"Recurring window: days among sun, mon, tue, wed, thu, fri, sat"`
	Start           string   `json:"start" doc:"Recurring window: the time of day it starts, HH:MM"`
	DurationMinutes int      `json:"duration_minutes" doc:"Recurring window: 1 to 10080 minutes"`
	TimeZone        string   `json:"time_zone" doc:"Recurring window: the IANA time zone of start (required)"`
	Comment         string   `json:"comment"`
}

// restoreTestInput is the body of POST /assets/{id}/restore-tests.
type restoreTestInput struct {
	TestedAt string `json:"tested_at" doc:"required;format=date-time;When the restore was tested (RFC 3339)"`
	Scope    string `json:"scope" doc:"required;What was restored"`
	Result   string `json:"result" doc:"required;enum=ok|partial|failed"`
	Minutes  int    `json:"minutes" doc:"How long the restore took"`
	Evidence string `json:"evidence" doc:"Where the proof is: a ticket, a screenshot, a report"`
}

// availabilityView is the availability of a check over a period.
type availabilityView struct {
	CheckID            int64     `json:"check_id"`
	From               time.Time `json:"from"`
	To                 time.Time `json:"to"`
	UpSeconds          float64   `json:"up_seconds" doc:"Time in a hard OK or WARNING state"`
	DownSeconds        float64   `json:"down_seconds" doc:"Time in a hard CRITICAL or UNKNOWN state"`
	MaintenanceSeconds float64   `json:"maintenance_seconds" doc:"Time in maintenance, left out"`
	NoDataSeconds      float64   `json:"no_data_seconds" doc:"Time before the first known state, left out"`
	Ratio              *float64  `json:"ratio" doc:"up / (up + down), 0 to 1; null when nothing was measured"`
}

// ackInput is the body of POST /checks/{id}/acknowledge.
type ackInput struct {
	Comment string `json:"comment" doc:"required;What is being done"`
}

// runInput is the body of POST /checks/{id}/run: nothing (an empty object or
// no body at all).
type runInput struct{}

// tagsInput is the body of PUT /assets/{id}/tags.
type tagsInput struct {
	Tags []string `json:"tags" doc:"required;At most 20 tags of 1 to 32 characters among a-z, 0-9, '.', '_' and '-' (lower-cased)"`
}

// tagsView is the response of PUT /assets/{id}/tags.
type tagsView struct {
	AssetID int64    `json:"asset_id"`
	Tags    []string `json:"tags"`
}

func checkKindNames() []string {
	out := make([]string, len(supervision.Kinds))
	for i, k := range supervision.Kinds {
		out[i] = string(k)
	}
	return out
}

var stateNames = []string{"ok", "warning", "critical", "unknown"}

func stateName(s check.State) string {
	if s.Valid() {
		return stateNames[s]
	}
	return "unknown"
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toCheckView(c supervision.Check) checkView {
	v := checkView{ID: c.ID, ClientID: c.ClientID, AssetID: c.AssetID, Name: c.Name, Kind: c.Kind, Params: c.Params,
		Interval: c.Interval, RetryInterval: c.RetryInterval, MaxAttempts: c.MaxAttempts, RecoverAfter: c.RecoverAfter,
		Severity: string(c.Severity), Ticket: string(c.Ticket), RunnerAssetID: c.RunnerAssetID, TemplateID: c.TemplateID,
		Enabled: c.Enabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.PushToken != "" {
		p := supervision.PushPath(c.PushToken)
		v.PushPath = &p
	}
	return v
}

func toStatusView(st supervision.Status) *checkStatusView {
	s := st.Status
	v := &checkStatusView{State: stateName(s.State), Label: s.Label(), StateType: s.Type.String(), HardState: stateName(s.HardState),
		Attempt: s.Attempt, Since: timePtr(s.Since), LastChange: timePtr(s.LastChange), LastCheck: timePtr(s.LastCheck),
		Output: s.Output, Flapping: s.Flapping, FlapPercent: s.FlapPercent, Unreachable: s.Unreachable, TicketID: st.TicketID}
	if s.LastCheck.IsZero() {
		v.State, v.Label = "pending", "PENDING"
	}
	if s.Ack != nil {
		v.Ack = &ackView{By: s.Ack.By, Comment: s.Ack.Comment, At: s.Ack.At.UTC()}
	}
	return v
}

var muteNames = []struct {
	m    check.Mute
	name string
}{{check.MutedFlapping, "flapping"}, {check.MutedMaintenance, "maintenance"}, {check.MutedAcknowledged, "acknowledged"},
	{check.MutedUnreachable, "unreachable"}, {check.MutedUnnotified, "unnotified"}}

func toEventView(e supervision.Event) checkEventView {
	v := checkEventView{ID: e.ID, CheckID: e.CheckID, ClientID: e.ClientID, AssetID: e.AssetID, At: e.At.UTC(), Kind: e.Kind.String(),
		From: stateName(e.From), To: stateName(e.To), StateType: e.Type.String(), Attempt: e.Attempt, Output: e.Output,
		Notified: e.Notify, Muted: []string{}, Maintenance: e.Maintenance, Unreachable: e.Unreachable}
	for _, m := range muteNames {
		if e.Muted.Has(m.m) {
			v.Muted = append(v.Muted, m.name)
		}
	}
	return v
}

func toTemplateView(t supervision.Template) templateView {
	return templateView{ID: t.ID, ClientID: t.ClientID, Name: t.Name, MatchKind: t.MatchKind, MatchOS: t.MatchOS, MatchTag: t.MatchTag,
		Kind: t.Kind, Params: t.Params, Interval: t.Interval, RetryInterval: t.RetryInterval, MaxAttempts: t.MaxAttempts,
		RecoverAfter: t.RecoverAfter, Severity: string(t.Severity), Ticket: string(t.Ticket), Enabled: t.Enabled, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func toWindowView(w supervision.Window) windowView {
	v := windowView{ID: w.ID, ClientID: w.ClientID, From: timePtr(w.From), To: timePtr(w.To), Weekdays: []string{},
		Comment: w.Comment, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt.UTC(), TimeZone: "UTC"}
	if w.SiteID != 0 {
		id := w.SiteID
		v.SiteID = &id
	}
	if w.AssetID != 0 {
		id := w.AssetID
		v.AssetID = &id
	}
	if w.Location != nil {
		v.TimeZone = w.Location.String()
	}
	if len(w.Weekdays) > 0 {
		for _, d := range w.Weekdays {
			v.Weekdays = append(v.Weekdays, weekdayNames[d])
		}
		m := int(w.Start / time.Minute)
		start := twoDigits(m/60) + ":" + twoDigits(m%60)
		v.Start = &start
		v.DurationMinutes = int(w.Duration / time.Minute)
	}
	return v
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// supervisionEndpoints are the routes of supervision.
func (a *API) supervisionEndpoints() []endpoint {
	idErr := []int{http.StatusNotFound}
	writeErr := append([]int{http.StatusForbidden, http.StatusNotFound}, bodyErr...)
	actErr := []int{http.StatusForbidden, http.StatusNotFound}
	kinds := checkKindNames()
	return []endpoint{
		{method: "GET", path: "/checks", op: "listChecks", tag: "supervision", summary: "Checks the caller may see, by id.",
			query: append([]param{
				{name: "client_id", typ: "integer", format: "int64", desc: "Checks of this client."},
				{name: "asset_id", typ: "integer", format: "int64", desc: "Checks of this asset."},
				{name: "template_id", typ: "integer", format: "int64", desc: "Checks this template applied."},
				{name: "kind", typ: "string", enum: kinds, desc: "Checks of this kind."},
			}, paging...),
			result: checkView{}, page: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.listChecks},
		{method: "POST", path: "/checks", op: "createCheck", tag: "supervision",
			summary: "Define a check on an asset (staff). A backup_push check gets its push URL (push_path).",
			body:    checkInput{}, result: checkView{}, status: 201, errors: writeErr, handle: a.createCheck},
		{method: "GET", path: "/checks/{id}", op: "getCheck", tag: "supervision", summary: "One check with its live status.",
			result: checkView{}, status: 200, errors: idErr, handle: a.getCheck},
		{method: "PATCH", path: "/checks/{id}", op: "updateCheck", tag: "supervision",
			summary: "Change a check (staff; JSON merge patch). A check a template applied changes through its template (managed_by_template).",
			body:    checkPatch{}, result: checkView{}, status: 200, errors: writeErr, handle: a.updateCheck},
		{method: "DELETE", path: "/checks/{id}", op: "deleteCheck", tag: "supervision", summary: "Delete a check with its history (staff).",
			status: 204, errors: append(actErr, http.StatusUnprocessableEntity), handle: a.deleteCheck},
		{method: "GET", path: "/checks/{id}/events", op: "listCheckEvents", tag: "supervision", summary: "A check's state changes, newest first.",
			query: append([]param{
				{name: "hard_only", typ: "boolean", desc: "true: hard changes only (problems, recoveries, severity changes)."},
				{name: "from", typ: "string", format: "date-time", desc: "Changes at or after this instant (RFC 3339)."},
				{name: "to", typ: "string", format: "date-time", desc: "Changes before this instant (RFC 3339)."},
			}, paging...),
			result: checkEventView{}, page: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.listCheckEvents},
		{method: "POST", path: "/checks/{id}/acknowledge", op: "acknowledgeCheck", tag: "supervision",
			summary: "Acknowledge a check's hard problem with a comment (staff): notifications stop until its hard state changes.",
			body:    ackInput{}, status: 204, errors: writeErr, handle: a.acknowledgeCheck},
		{method: "POST", path: "/checks/{id}/run", op: "runCheck", tag: "supervision",
			summary: "Run a check the server runs at once (staff); 409 for a check an agent runs.",
			body:    runInput{}, status: 204, errors: append(actErr, http.StatusConflict), handle: a.runCheck},
		{method: "GET", path: "/checks/{id}/availability", op: "getCheckAvailability", tag: "supervision",
			summary: "A check's availability over a period, from its hard states, maintenance left out.",
			query: []param{
				{name: "from", typ: "string", format: "date-time", desc: "Start (RFC 3339); 30 days before to by default."},
				{name: "to", typ: "string", format: "date-time", desc: "End (RFC 3339); now by default. At most 400 days after from."},
			},
			result: availabilityView{}, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.getAvailability},
		{method: "GET", path: "/checks/{id}/backup-runs", op: "listBackupRuns", tag: "supervision",
			summary: "The runs of a backup check (pushed or wrapped by the agent), newest first (the last 100).",
			result:  supervision.BackupRun{}, page: true, status: 200, errors: idErr, handle: a.listBackupRuns},

		{method: "GET", path: "/check-templates", op: "listCheckTemplates", tag: "supervision",
			summary: "Check templates the caller may see: global ones and those of its clients (one page).",
			result:  templateView{}, page: true, status: 200, handle: a.listTemplates},
		{method: "POST", path: "/check-templates", op: "createCheckTemplate", tag: "supervision",
			summary: "Create a template (staff); it applies at once to every matching asset, and later to new ones.",
			body:    templateInput{}, result: templateView{}, status: 201, errors: writeErr, handle: a.createTemplate},
		{method: "GET", path: "/check-templates/{id}", op: "getCheckTemplate", tag: "supervision", summary: "One check template.",
			result: templateView{}, status: 200, errors: idErr, handle: a.getTemplate},
		{method: "PATCH", path: "/check-templates/{id}", op: "updateCheckTemplate", tag: "supervision",
			summary: "Change a template (staff; JSON merge patch); its checks follow, and assets that stop matching lose theirs.",
			body:    templatePatch{}, result: templateView{}, status: 200, errors: writeErr, handle: a.updateTemplate},
		{method: "DELETE", path: "/check-templates/{id}", op: "deleteCheckTemplate", tag: "supervision",
			summary: "Delete a template with the checks it applied (staff).", status: 204, errors: actErr, handle: a.deleteTemplate},

		{method: "GET", path: "/supervision/board", op: "getSupervisionBoard", tag: "supervision",
			summary: "The board: checks with their status, problems first (critical, unknown, warning; unacknowledged first; newest change first), then pending, then OK.",
			query: []param{
				{name: "client_id", typ: "integer", format: "int64", desc: "Checks of this client."},
				{name: "asset_id", typ: "integer", format: "int64", desc: "Checks of this asset."},
				{name: "kind", typ: "string", enum: kinds, desc: "Checks of this kind."},
				{name: "problems", typ: "boolean", desc: "true: checks not OK (soft or hard)."},
				{name: "state", typ: "string", enum: []string{"ok", "warning", "critical", "unknown", "pending"}, desc: "Checks in this state."},
				{name: "q", typ: "string", desc: "Text to look for in the check or asset name."},
				{name: "limit", typ: "integer", desc: "Page size, 1 to 500 (100 by default)."},
				{name: "offset", typ: "integer", desc: "Rows to skip."},
			},
			result: boardView{}, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.getBoard},

		{method: "GET", path: "/maintenance-windows", op: "listMaintenanceWindows", tag: "supervision",
			summary: "Maintenance windows the caller may see, by id (one page).",
			query: []param{
				{name: "client_id", typ: "integer", format: "int64", desc: "Windows of this client."},
				{name: "asset_id", typ: "integer", format: "int64", desc: "Windows that cover this asset: its own, its site's and its client's."},
			},
			result: windowView{}, page: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.listWindows},
		{method: "POST", path: "/maintenance-windows", op: "createMaintenanceWindow", tag: "supervision",
			summary: "Create a maintenance window (staff): one-off (from, to) or recurring (weekdays, start, duration_minutes, time_zone).",
			body:    windowInput{}, result: windowView{}, status: 201, errors: writeErr, handle: a.createWindow},
		{method: "GET", path: "/maintenance-windows/{id}", op: "getMaintenanceWindow", tag: "supervision", summary: "One maintenance window.",
			result: windowView{}, status: 200, errors: idErr, handle: a.getWindow},
		{method: "DELETE", path: "/maintenance-windows/{id}", op: "deleteMaintenanceWindow", tag: "supervision", summary: "Delete a maintenance window (staff).",
			status: 204, errors: actErr, handle: a.deleteWindow},

		{method: "GET", path: "/assets/{id}/restore-tests", op: "listRestoreTests", tag: "supervision",
			summary: "The restore tests of a backup job, newest first (the last 100).",
			result:  supervision.RestoreTest{}, page: true, status: 200, errors: idErr, handle: a.listRestoreTests},
		{method: "POST", path: "/assets/{id}/restore-tests", op: "createRestoreTest", tag: "supervision",
			summary: "Record a restore test of a backup job (staff): an asset of kind backup or with a backup check.",
			body:    restoreTestInput{}, result: supervision.RestoreTest{}, status: 201, noLocation: true, errors: writeErr, handle: a.createRestoreTest},
		{method: "DELETE", path: "/restore-tests/{id}", op: "deleteRestoreTest", tag: "supervision", summary: "Delete a restore test (staff).",
			status: 204, errors: actErr, handle: a.deleteRestoreTest},
		{method: "GET", path: "/backups", op: "listBackups", tag: "supervision",
			summary: "Backup jobs with their last success, last run and last restore test, by name (one page).",
			query:   []param{{name: "client_id", typ: "integer", format: "int64", desc: "Backup jobs of this client."}},
			result:  supervision.BackupSummary{}, page: true, status: 200, errors: append([]int{http.StatusNotFound}, listErr...), handle: a.listBackups},
		{method: "PUT", path: "/assets/{id}/tags", op: "putAssetTags", tag: "supervision",
			summary: "Replace an asset's tags (staff); check templates that match by tag apply or unapply at once.",
			body:    tagsInput{}, result: tagsView{}, status: 200, errors: writeErr, handle: a.putTags},
	}
}

func (a *API) listChecks(c *call) (any, error) {
	q := c.query()
	f := supervision.CheckFilter{ClientID: q.id("client_id"), AssetID: q.id("asset_id"), TemplateID: q.id("template_id")}
	if k := q.v.Get("kind"); k != "" {
		q.bad.OneOf("kind", k, checkKindNames()...)
		f.Kind = supervision.Kind(k)
	}
	after, limit := q.after(), q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	// The store lists a filter by id without a cursor: skip to the page.
	cs, err := a.d.Supervision.Checks(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	rows := make([]checkView, 0, min(len(cs), limit+1))
	for _, x := range cs {
		if x.ID <= after {
			continue
		}
		rows = append(rows, toCheckView(x))
		if len(rows) > limit {
			break
		}
	}
	return pageOf(rows, limit, func(x checkView) int64 { return x.ID }), nil
}

func (a *API) createCheck(c *call) (any, error) {
	var in checkInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	x := supervision.Check{AssetID: in.AssetID, Name: in.Name, RunnerAssetID: in.RunnerAssetID, Enabled: in.Enabled == nil || *in.Enabled,
		Rules: supervision.Rules{Kind: in.Kind, Params: in.Params, Interval: in.Interval, RetryInterval: in.RetryInterval, MaxAttempts: in.MaxAttempts,
			RecoverAfter: in.RecoverAfter, Severity: supervision.Severity(in.Severity), Ticket: supervision.TicketMode(in.Ticket)}}
	if err := a.d.Supervision.CreateCheck(c.r.Context(), c.scope, &x); err != nil {
		return nil, err
	}
	c.location("/checks", x.ID)
	return a.checkWithStatus(c, x)
}

// checkWithStatus is a check with its live status.
func (a *API) checkWithStatus(c *call, x supervision.Check) (checkView, error) {
	v := toCheckView(x)
	st, err := a.d.Supervision.Status(c.r.Context(), c.scope, x.ID)
	switch {
	case err == nil:
		v.Status = toStatusView(st)
	case errIsNotFound(err):
		v.Status = toStatusView(supervision.Status{CheckID: x.ID})
	default:
		return v, err
	}
	return v, nil
}

func errIsNotFound(err error) bool { return errors.Is(err, fault.ErrNotFound) }

func (a *API) check(c *call) (supervision.Check, error) {
	id, err := c.id("id")
	if err != nil {
		return supervision.Check{}, err
	}
	return a.d.Supervision.Check(c.r.Context(), c.scope, id)
}

func (a *API) getCheck(c *call) (any, error) {
	x, err := a.check(c)
	if err != nil {
		return nil, err
	}
	return a.checkWithStatus(c, x)
}

func (a *API) updateCheck(c *call) (any, error) {
	x, err := a.check(c)
	if err != nil {
		return nil, err
	}
	var p checkPatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	p.Name.apply(&x.Name)
	p.Kind.apply(&x.Kind)
	p.Params.apply(&x.Params)
	p.Interval.apply(&x.Interval)
	p.RetryInterval.apply(&x.RetryInterval)
	p.MaxAttempts.apply(&x.MaxAttempts)
	p.RecoverAfter.apply(&x.RecoverAfter)
	if p.Severity.Set {
		x.Severity = supervision.Severity(p.Severity.Value)
	}
	if p.Ticket.Set {
		x.Ticket = supervision.TicketMode(p.Ticket.Value)
	}
	p.RunnerAssetID.applyPtr(&x.RunnerAssetID)
	p.Enabled.apply(&x.Enabled)
	if err := a.d.Supervision.UpdateCheck(c.r.Context(), c.scope, &x); err != nil {
		return nil, err
	}
	return a.checkWithStatus(c, x)
}

func (a *API) deleteCheck(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return nil, a.d.Supervision.DeleteCheck(c.r.Context(), c.scope, id)
}

func (a *API) listCheckEvents(c *call) (any, error) {
	x, err := a.check(c)
	if err != nil {
		return nil, err
	}
	q := c.query()
	f := supervision.EventFilter{CheckID: x.ID, From: q.time("from"), To: q.time("to")}
	if b := q.boolean("hard_only"); b != nil {
		f.HardOnly = *b
	}
	f.BeforeID = q.after()
	limit := q.limit()
	if err := q.err(); err != nil {
		return nil, err
	}
	f.Limit = limit + 1
	evs, err := a.d.Supervision.Events(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	rows := make([]checkEventView, len(evs))
	for i, e := range evs {
		rows[i] = toEventView(e)
	}
	return pageOf(rows, limit, func(x checkEventView) int64 { return x.ID }), nil
}

func (a *API) acknowledgeCheck(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in ackInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, a.d.Supervision.Acknowledge(c.r.Context(), c.scope, id, in.Comment)
}

func (a *API) runCheck(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Supervision.RunNow(c.r.Context(), c.scope, id)
}

func (a *API) getAvailability(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	q := c.query()
	from, to := q.time("from"), q.time("to")
	if err := q.err(); err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = time.Now().UTC().Truncate(time.Second)
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	u, err := a.d.Supervision.Availability(c.r.Context(), c.scope, id, from, to)
	if err != nil {
		return nil, err
	}
	v := availabilityView{CheckID: id, From: from, To: to, UpSeconds: u.Up.Seconds(), DownSeconds: u.Down.Seconds(),
		MaintenanceSeconds: u.Maintenance.Seconds(), NoDataSeconds: u.NoData.Seconds()}
	if r, ok := u.Ratio(); ok {
		v.Ratio = &r
	}
	return v, nil
}

func (a *API) listBackupRuns(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	runs, err := a.d.Supervision.BackupRuns(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	return onePage(runs), nil
}

// onePage is a listing that fits in one page.
func onePage[T any](rows []T) page[T] {
	if rows == nil {
		rows = []T{}
	}
	return page[T]{Data: rows}
}

func (a *API) listTemplates(c *call) (any, error) {
	ts, err := a.d.Supervision.Templates(c.r.Context(), c.scope)
	if err != nil {
		return nil, err
	}
	rows := make([]templateView, len(ts))
	for i, t := range ts {
		rows[i] = toTemplateView(t)
	}
	return onePage(rows), nil
}

func (a *API) createTemplate(c *call) (any, error) {
	var in templateInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	t := supervision.Template{ClientID: in.ClientID, Name: in.Name, MatchKind: in.MatchKind, MatchOS: in.MatchOS, MatchTag: in.MatchTag,
		Enabled: in.Enabled == nil || *in.Enabled,
		Rules: supervision.Rules{Kind: in.Kind, Params: in.Params, Interval: in.Interval, RetryInterval: in.RetryInterval, MaxAttempts: in.MaxAttempts,
			RecoverAfter: in.RecoverAfter, Severity: supervision.Severity(in.Severity), Ticket: supervision.TicketMode(in.Ticket)}}
	if err := a.d.Supervision.CreateTemplate(c.r.Context(), c.scope, &t); err != nil {
		return nil, err
	}
	c.location("/check-templates", t.ID)
	return toTemplateView(t), nil
}

func (a *API) template(c *call) (supervision.Template, error) {
	id, err := c.id("id")
	if err != nil {
		return supervision.Template{}, err
	}
	return a.d.Supervision.Template(c.r.Context(), c.scope, id)
}

func (a *API) getTemplate(c *call) (any, error) {
	t, err := a.template(c)
	if err != nil {
		return nil, err
	}
	return toTemplateView(t), nil
}

func (a *API) updateTemplate(c *call) (any, error) {
	t, err := a.template(c)
	if err != nil {
		return nil, err
	}
	var p templatePatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	p.Name.apply(&t.Name)
	p.MatchKind.apply(&t.MatchKind)
	p.MatchOS.apply(&t.MatchOS)
	p.MatchTag.apply(&t.MatchTag)
	p.Kind.apply(&t.Kind)
	p.Params.apply(&t.Params)
	p.Interval.apply(&t.Interval)
	p.RetryInterval.apply(&t.RetryInterval)
	p.MaxAttempts.apply(&t.MaxAttempts)
	p.RecoverAfter.apply(&t.RecoverAfter)
	if p.Severity.Set {
		t.Severity = supervision.Severity(p.Severity.Value)
	}
	if p.Ticket.Set {
		t.Ticket = supervision.TicketMode(p.Ticket.Value)
	}
	p.Enabled.apply(&t.Enabled)
	if err := a.d.Supervision.UpdateTemplate(c.r.Context(), c.scope, &t); err != nil {
		return nil, err
	}
	return toTemplateView(t), nil
}

func (a *API) deleteTemplate(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return nil, a.d.Supervision.DeleteTemplate(c.r.Context(), c.scope, id)
}

func (a *API) getBoard(c *call) (any, error) {
	q := c.query()
	f := supervision.BoardFilter{ClientID: q.id("client_id"), AssetID: q.id("asset_id"), Search: q.str("q"), State: q.v.Get("state")}
	if k := q.v.Get("kind"); k != "" {
		q.bad.OneOf("kind", k, checkKindNames()...)
		f.Kind = supervision.Kind(k)
	}
	if b := q.boolean("problems"); b != nil {
		f.Problems = *b
	}
	f.Limit, f.Offset = 100, 0
	if s := q.v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			q.bad.Add("limit", "out_of_range", 500)
		}
		f.Limit = n
	}
	if s := q.v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			q.bad.Add("offset", "invalid_number")
		}
		f.Offset = n
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	rows, counts, total, err := a.d.Supervision.Board(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	v := boardView{Rows: make([]boardRowView, len(rows)), Total: total, Limit: f.Limit, Offset: f.Offset,
		Counts: boardCountsView{OK: counts.OK, Warning: counts.Warning, Critical: counts.Critical, Unknown: counts.Unknown,
			Acknowledged: counts.Acknowledged, Maintenance: counts.Maintenance, Unreachable: counts.Unreachable, Flapping: counts.Flapping}}
	for i, r := range rows {
		cv := toCheckView(r.Check)
		cv.Status = toStatusView(r.Status)
		v.Rows[i] = boardRowView{Check: cv, AssetName: r.AssetName, ClientName: r.ClientName}
	}
	return v, nil
}

func (a *API) listWindows(c *call) (any, error) {
	q := c.query()
	f := supervision.WindowFilter{ClientID: q.id("client_id"), AssetID: q.id("asset_id")}
	if err := q.err(); err != nil {
		return nil, err
	}
	ws, err := a.d.Supervision.Windows(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	rows := make([]windowView, len(ws))
	for i, w := range ws {
		rows[i] = toWindowView(w)
	}
	return onePage(rows), nil
}

// parseWindow turns the body of a window into the service's window.
func parseWindow(in windowInput) (supervision.Window, error) {
	var v fault.Invalid
	w := supervision.Window{}
	w.Comment = in.Comment
	if in.ClientID != nil {
		w.ClientID = *in.ClientID
	}
	if in.SiteID != nil {
		w.SiteID = *in.SiteID
	}
	if in.AssetID != nil {
		w.AssetID = *in.AssetID
	}
	instant := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			v.Add(field, "invalid_datetime")
		}
		return t.UTC()
	}
	recurring := len(in.Weekdays) > 0 || in.Start != "" || in.DurationMinutes != 0
	if !recurring {
		w.From, w.To = instant("from", in.From), instant("to", in.To)
		if in.From == "" {
			v.Add("from", "required")
		}
		if in.To == "" {
			v.Add("to", "required")
		}
		if in.TimeZone != "" {
			v.TimeZone("time_zone", in.TimeZone)
		}
		return w, v.Err()
	}
	if in.From != "" || in.To != "" {
		v.Add("from", "invalid_choice")
	}
	if len(in.Weekdays) == 0 {
		v.Add("weekdays", "required")
	}
	for _, d := range in.Weekdays {
		i := indexOf(weekdayNames, strings.ToLower(strings.TrimSpace(d)))
		if i < 0 {
			v.Add("weekdays", "invalid_choice")
			break
		}
		w.Weekdays = append(w.Weekdays, time.Weekday(i))
	}
	if t, err := time.Parse("15:04", in.Start); err != nil {
		v.Add("start", "invalid_time")
	} else {
		w.Start = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	switch {
	case in.DurationMinutes <= 0:
		v.Add("duration_minutes", "required")
	case in.DurationMinutes > 7*24*60:
		v.Add("duration_minutes", "out_of_range", 7*24*60)
	}
	w.Duration = time.Duration(in.DurationMinutes) * time.Minute
	if tz := v.TimeZone("time_zone", in.TimeZone); !v.Has("time_zone") {
		w.Location, _ = time.LoadLocation(tz)
	}
	return w, v.Err()
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func (a *API) createWindow(c *call) (any, error) {
	var in windowInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	w, err := parseWindow(in)
	if err != nil {
		return nil, err
	}
	if err := a.d.Supervision.CreateWindow(c.r.Context(), c.scope, &w); err != nil {
		return nil, err
	}
	c.location("/maintenance-windows", w.ID)
	return toWindowView(w), nil
}

func (a *API) getWindow(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	w, err := a.d.Supervision.Window(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	return toWindowView(w), nil
}

func (a *API) deleteWindow(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return nil, a.d.Supervision.DeleteWindow(c.r.Context(), c.scope, id)
}

func (a *API) listRestoreTests(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	ts, err := a.d.Supervision.RestoreTests(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	return onePage(ts), nil
}

func (a *API) createRestoreTest(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in restoreTestInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	t := supervision.RestoreTest{AssetID: id, Scope: in.Scope, Result: supervision.RestoreResult(in.Result), Minutes: in.Minutes, Evidence: in.Evidence}
	if in.TestedAt != "" {
		at, err := time.Parse(time.RFC3339, in.TestedAt)
		if err != nil {
			return nil, fieldErr("tested_at", "invalid_datetime")
		}
		t.TestedAt = at
	}
	if err := a.d.Supervision.AddRestoreTest(c.r.Context(), c.scope, &t); err != nil {
		return nil, err
	}
	return t, nil
}

func fieldErr(field, code string) error {
	v := &fault.Invalid{}
	v.Add(field, code)
	return v
}

func (a *API) deleteRestoreTest(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return nil, a.d.Supervision.DeleteRestoreTest(c.r.Context(), c.scope, id)
}

func (a *API) listBackups(c *call) (any, error) {
	q := c.query()
	clientID := q.id("client_id")
	if err := q.err(); err != nil {
		return nil, err
	}
	sums, err := a.d.Supervision.LastBackups(c.r.Context(), c.scope, clientID)
	if err != nil {
		return nil, err
	}
	return onePage(sums), nil
}

func (a *API) putTags(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in tagsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, fieldErr("tags", "required")
	}
	if err := a.d.Supervision.SetTags(c.r.Context(), c.scope, id, in.Tags); err != nil {
		return nil, err
	}
	tags, _ := supervision.NormalizeTags(in.Tags) // valid: SetTags accepted them
	return tagsView{AssetID: id, Tags: tags}, nil
}
