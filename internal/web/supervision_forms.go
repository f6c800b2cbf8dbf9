package web

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// The pages that define supervision: checks of an asset, templates that
// apply checks to every matching asset, maintenance windows, backup jobs
// with their restore tests, and the tags of assets that templates match.
// Reading follows supervision.read (every role, a client's users their
// own client); every change needs supervision.write (staff). The service
// checks the scope again and validates; its field errors are shown next to
// the fields, named as in the form.

// registerSupervisionForms adds the supervision forms and management pages.
func (h *Handler) registerSupervisionForms(rt *router.Router) {
	rt.HandleFunc("GET /supervision/checks/new", h.sfCheckNew)
	rt.HandleFunc("POST /supervision/checks/new", h.sfCheckCreate)
	rt.HandleFunc("GET /supervision/checks/{id}/edit", h.sfCheckEdit)
	rt.HandleFunc("POST /supervision/checks/{id}/edit", h.sfCheckUpdate)
	rt.HandleFunc("POST /supervision/checks/{id}/delete", h.sfCheckDelete)

	rt.HandleFunc("GET /supervision/templates", h.sfTemplateList)
	rt.HandleFunc("GET /supervision/templates/new", h.sfTemplateNew)
	rt.HandleFunc("POST /supervision/templates/new", h.sfTemplateCreate)
	rt.HandleFunc("GET /supervision/templates/{id}", h.sfTemplateEdit)
	rt.HandleFunc("POST /supervision/templates/{id}", h.sfTemplateUpdate)
	rt.HandleFunc("POST /supervision/templates/{id}/delete", h.sfTemplateDelete)

	rt.HandleFunc("GET /supervision/maintenance", h.sfMaintenance)
	rt.HandleFunc("POST /supervision/maintenance", h.sfWindowCreate)
	rt.HandleFunc("POST /supervision/maintenance/{id}/delete", h.sfWindowDelete)

	rt.HandleFunc("GET /supervision/backups", h.sfBackups)
	rt.HandleFunc("GET /assets/{id}/restore-tests", h.sfRestoreTests)
	rt.HandleFunc("POST /assets/{id}/restore-tests", h.sfRestoreTestCreate)
	rt.HandleFunc("POST /restore-tests/{id}/delete", h.sfRestoreTestDelete)

	rt.HandleFunc("GET /assets/{id}/tags", h.sfTagsForm)
	rt.HandleFunc("POST /assets/{id}/tags", h.sfTagsSave)
}

// sfParam is one parameter input of the check and template forms; Kinds
// (space separated) are the check kinds that read it, so that app.js shows
// only the chosen kind's inputs and the server reads only those.
type sfParam struct {
	Key   string // as in agentproto.CheckParams' JSON
	Type  string // text, number, decimal, textarea, checkbox, select
	Kinds string
}

// sfParamDefs lists every parameter in form order with the kinds reading it.
var sfParamDefs = []sfParam{
	{"warning", "decimal", "cpu memory swap filesystem"},
	{"critical", "decimal", "cpu memory swap filesystem"},
	{"for", "number", "cpu memory swap filesystem"},
	{"mount", "text", "filesystem"},
	{"name", "text", "service process command dns backup_job"},
	{"disk", "text", "smart"},
	{"path", "text", "file_age"},
	{"max_age_hours", "decimal", "file_age"},
	{"min_bytes", "number", "file_age"},
	{"intervals", "number", "heartbeat"},
	{"host", "text", "ping tcp tls"},
	{"port", "number", "tcp tls"},
	{"url", "text", "http"},
	{"method", "select", "http"},
	{"headers", "textarea", "http"},
	{"body", "textarea", "http"},
	{"expect_status", "text", "http"},
	{"body_contains", "text", "http"},
	{"body_regexp", "text", "http"},
	{"no_redirects", "checkbox", "http"},
	{"skip_verify", "checkbox", "http tls"},
	{"server_name", "text", "tls"},
	{"warning_days", "number", "tls"},
	{"critical_days", "number", "tls"},
	{"record_type", "select", "dns"},
	{"server", "text", "dns"},
	{"expect", "textarea", "dns"},
	{"count", "number", "ping"},
	{"loss_warning", "decimal", "ping"},
	{"loss_critical", "decimal", "ping"},
	{"rtt_warning", "decimal", "ping tcp http"},
	{"rtt_critical", "decimal", "ping tcp http"},
	{"timeout", "number", "ping tcp http tls dns"},
	{"schedule", "text", "backup_push backup_job"},
	{"grace_minutes", "number", "backup_push backup_job"},
}

// Name is the form name of the parameter.
func (p sfParam) Name() string { return "params." + p.Key }

// Hidden reports whether the parameter belongs to another kind than the
// form's, so that the page first shows only the chosen kind's inputs.
func (p sfParam) Hidden(kind string) bool { return !p.For(kind) }

// For reports whether kind reads the parameter.
func (p sfParam) For(kind string) bool { return slices.Contains(strings.Fields(p.Kinds), kind) }

// sfRunnerKinds are the kinds whose check may run on a chosen agent.
const sfRunnerKinds = "ping tcp http tls dns backup_job"

// SFParamField is the "field" of one parameter input, with its help text.
func (v *view) SFParamField(p sfParam, methods, recordTypes []option) field {
	typ := p.Type
	opts := []any{"help=supform.help." + p.Key}
	switch typ {
	case "decimal":
		typ = "text"
	case "select":
		if p.Key == "method" {
			opts = append(opts, methods)
		} else {
			opts = append(opts, recordTypes)
		}
	case "textarea":
		opts = append(opts, "rows=3", "max=10000")
	case "text":
		opts = append(opts, "max=2000", "auto=off")
	}
	return v.Field(p.Name(), typ, opts...)
}

// sfRulesValues are the form values of a check's or template's rules.
func sfRulesValues(r supervision.Rules) url.Values {
	vals := url.Values{
		"kind":           {string(r.Kind)},
		"interval":       {sfInt(r.Interval)},
		"retry_interval": {sfInt(r.RetryInterval)},
		"max_attempts":   {sfInt(r.MaxAttempts)},
		"recover_after":  {sfInt(r.RecoverAfter)},
		"severity":       {string(r.Severity)},
		"ticket":         {string(r.Ticket)},
	}
	p := r.Params
	set := func(key, val string) {
		if val != "" {
			vals.Set("params."+key, val)
		}
	}
	set("warning", sfFloat(p.Warning))
	set("critical", sfFloat(p.Critical))
	set("for", sfInt(p.For))
	set("mount", p.Mount)
	set("name", p.Name)
	set("disk", p.Disk)
	set("path", p.Path)
	set("max_age_hours", sfFloat(p.MaxAgeHours))
	if p.MinBytes != 0 {
		set("min_bytes", strconv.FormatInt(p.MinBytes, 10))
	}
	set("intervals", sfInt(p.Intervals))
	set("host", p.Host)
	set("port", sfInt(p.Port))
	set("url", p.URL)
	set("method", p.Method)
	if len(p.Headers) > 0 {
		names := make([]string, 0, len(p.Headers))
		for k := range p.Headers {
			names = append(names, k)
		}
		slices.Sort(names)
		lines := make([]string, len(names))
		for i, k := range names {
			lines[i] = k + ": " + p.Headers[k]
		}
		set("headers", strings.Join(lines, "\n"))
	}
	set("body", p.Body)
	if len(p.ExpectStatus) > 0 {
		codes := make([]string, len(p.ExpectStatus))
		for i, c := range p.ExpectStatus {
			codes[i] = strconv.Itoa(c)
		}
		set("expect_status", strings.Join(codes, ", "))
	}
	set("body_contains", p.BodyContains)
	set("body_regexp", p.BodyRegexp)
	if p.NoRedirects {
		set("no_redirects", "1")
	}
	if p.SkipVerify {
		set("skip_verify", "1")
	}
	set("server_name", p.ServerName)
	set("warning_days", sfInt(p.WarningDays))
	set("critical_days", sfInt(p.CriticalDays))
	set("record_type", p.RecordType)
	set("server", p.Server)
	set("expect", strings.Join(p.Expect, "\n"))
	set("count", sfInt(p.Count))
	set("loss_warning", sfFloat(p.LossWarning))
	set("loss_critical", sfFloat(p.LossCritical))
	set("rtt_warning", sfFloat(p.RTTWarning))
	set("rtt_critical", sfFloat(p.RTTCritical))
	set("timeout", sfInt(p.Timeout))
	set("schedule", p.Schedule)
	set("grace_minutes", sfInt(p.GraceMinutes))
	return vals
}

// sfInt writes a number of the form, "" for zero (the service's default).
func sfInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func sfFloat(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// sfNumbers reads the numbers of a form, recording a field error for each
// that is not one; an empty input is zero (the service's default).
type sfNumbers struct {
	vals url.Values
	inv  *fault.Invalid
}

func (n sfNumbers) int(name string) int {
	s := strings.TrimSpace(n.vals.Get(name))
	if s == "" {
		return 0
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		n.inv.Add(name, "invalid_number")
	}
	return i
}

func (n sfNumbers) int64(name string) int64 {
	s := strings.TrimSpace(n.vals.Get(name))
	if s == "" {
		return 0
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		n.inv.Add(name, "invalid_number")
	}
	return i
}

// float reads a decimal number, with a comma or a point.
func (n sfNumbers) float(name string) float64 {
	s := strings.TrimSpace(n.vals.Get(name))
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		n.inv.Add(name, "invalid_number")
		return 0
	}
	return f
}

// sfRulesFromForm reads the rules of a check or template: the common ones
// and the parameters of the chosen kind (the other kinds' are ignored).
// Inputs that are not even numbers are refused here with their field.
func sfRulesFromForm(vals url.Values) (supervision.Rules, *fault.Invalid) {
	inv := &fault.Invalid{}
	n := sfNumbers{vals: vals, inv: inv}
	r := supervision.Rules{
		Kind:          supervision.Kind(vals.Get("kind")),
		Interval:      n.int("interval"),
		RetryInterval: n.int("retry_interval"),
		MaxAttempts:   n.int("max_attempts"),
		RecoverAfter:  n.int("recover_after"),
		Severity:      supervision.Severity(vals.Get("severity")),
		Ticket:        supervision.TicketMode(vals.Get("ticket")),
	}
	kind := string(r.Kind)
	has := func(key string) bool {
		for _, p := range sfParamDefs {
			if p.Key == key {
				return p.For(kind)
			}
		}
		return false
	}
	text := func(key string) string {
		if !has(key) {
			return ""
		}
		return strings.TrimSpace(vals.Get("params." + key))
	}
	num := func(key string) int {
		if !has(key) {
			return 0
		}
		return n.int("params." + key)
	}
	dec := func(key string) float64 {
		if !has(key) {
			return 0
		}
		return n.float("params." + key)
	}
	p := &r.Params
	p.Warning, p.Critical, p.For = dec("warning"), dec("critical"), num("for")
	p.Mount, p.Name, p.Disk, p.Path = text("mount"), text("name"), text("disk"), text("path")
	p.MaxAgeHours = dec("max_age_hours")
	if has("min_bytes") {
		p.MinBytes = n.int64("params.min_bytes")
	}
	p.Intervals = num("intervals")
	p.Host, p.Port, p.URL, p.Method = text("host"), num("port"), text("url"), text("method")
	if has("headers") {
		p.Headers = sfHeaders(vals.Get("params.headers"), inv)
	}
	if has("body") {
		p.Body = vals.Get("params.body") // sent as typed, spaces included
	}
	if s := text("expect_status"); s != "" {
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			c, err := strconv.Atoi(part)
			if err != nil {
				inv.Add("params.expect_status", "form_status_list")
				break
			}
			p.ExpectStatus = append(p.ExpectStatus, c)
		}
	}
	p.BodyContains, p.BodyRegexp = text("body_contains"), text("body_regexp")
	p.NoRedirects = has("no_redirects") && formBool(vals, "params.no_redirects")
	p.SkipVerify = has("skip_verify") && formBool(vals, "params.skip_verify")
	p.ServerName, p.WarningDays, p.CriticalDays = text("server_name"), num("warning_days"), num("critical_days")
	p.RecordType, p.Server = text("record_type"), text("server")
	if has("expect") {
		for _, line := range strings.Split(vals.Get("params.expect"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				p.Expect = append(p.Expect, line)
			}
		}
	}
	p.Count, p.LossWarning, p.LossCritical = num("count"), dec("loss_warning"), dec("loss_critical")
	p.RTTWarning, p.RTTCritical, p.Timeout = dec("rtt_warning"), dec("rtt_critical"), num("timeout")
	p.Schedule, p.GraceMinutes = text("schedule"), num("grace_minutes")
	return r, inv
}

// sfHeaders reads request headers, one "Name: value" a line.
func sfHeaders(s string, inv *fault.Invalid) map[string]string {
	var out map[string]string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			inv.Add("params.headers", "form_header_line", line)
			return nil
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = strings.TrimSpace(val)
	}
	return out
}

// sfRuleFields are the names of the rules inputs as the service names them.
var sfRuleFields = []string{"name", "kind", "interval", "retry_interval", "max_attempts", "recover_after", "severity", "ticket",
	"enabled", "runner_asset_id", "asset_id", "client_id", "match_kind", "match_os", "match_tag"}

// sfRuleField maps a field the service names in an error to the form's
// input: a parameter may come as "params.url" or "url"; "params.name" and
// the plain "name" of the check stay apart.
func sfRuleField(field string) string {
	if strings.HasPrefix(field, "params.") || slices.Contains(sfRuleFields, field) {
		return field
	}
	key, _, _ := strings.Cut(strings.TrimPrefix(field, "rules."), ".")
	for _, p := range sfParamDefs {
		if p.Key == key {
			return p.Name()
		}
	}
	if slices.Contains(sfRuleFields, key) {
		return key
	}
	return field
}

// sfRename returns err with its field names mapped by rename; any other
// error is returned as it is.
func sfRename(err error, rename func(string) string) error {
	inv, ok := fault.AsInvalid(err)
	if !ok {
		return err
	}
	out := &fault.Invalid{}
	for _, f := range inv.Fields {
		f.Field = rename(f.Field)
		out.Fields = append(out.Fields, f)
	}
	return out
}

// sfRuleOptions are the choices of the rules selects.
type sfRuleOptions struct {
	Kinds, Severities, Tickets, Methods, RecordTypes []option
	Params                                           []sfParam
	RunnerKinds                                      string
}

func (v *view) sfRuleOptions() sfRuleOptions {
	o := sfRuleOptions{Params: sfParamDefs, RunnerKinds: sfRunnerKinds}
	for _, k := range supervision.Kinds {
		o.Kinds = append(o.Kinds, option{Value: string(k), Label: v.T("supform.kind." + string(k))})
	}
	for _, s := range supervision.Severities {
		o.Severities = append(o.Severities, option{Value: string(s), Label: v.T("supform.severity." + string(s))})
	}
	for _, m := range supervision.TicketModes {
		o.Tickets = append(o.Tickets, option{Value: string(m), Label: v.T("supform.ticket." + string(m))})
	}
	o.Methods = []option{{Value: "", Label: v.T("supform.default")}}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		o.Methods = append(o.Methods, option{Value: m, Label: m})
	}
	o.RecordTypes = []option{{Value: "", Label: v.T("supform.default")}}
	for _, t := range []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV", "SOA", "CAA"} {
		o.RecordTypes = append(o.RecordTypes, option{Value: t, Label: t})
	}
	return o
}

// SFKindLabel is the translated name of a check kind.
func (v *view) SFKindLabel(k supervision.Kind) string { return v.T("supform.kind." + string(k)) }

// SFTab is the tab of the supervision management pages the page belongs to.
func (v *view) SFTab() string {
	p := v.r.URL.Path
	for _, tab := range []string{"maintenance", "backups", "templates", "channels"} {
		if strings.HasPrefix(p, "/supervision/"+tab) {
			return tab
		}
	}
	return ""
}

// SFRunnerKind reports whether a check of kind may run on a chosen agent.
func (v *view) SFRunnerKind(kind string) bool {
	return slices.Contains(strings.Fields(sfRunnerKinds), kind)
}

// SFOtherKinds lists the kinds whose runner is fixed (the asset's own
// agent or the server), for the note app.js shows in their place.
func (v *view) SFOtherKinds() string {
	var out []string
	for _, k := range supervision.Kinds {
		if !v.SFRunnerKind(string(k)) {
			out = append(out, string(k))
		}
	}
	return strings.Join(out, " ")
}

// SFAssetKindLabel is the translated name of an asset kind a template matches.
func (v *view) SFAssetKindLabel(kind string) string { return v.KindLabel(asset.Kind(kind)) }
