package supervision

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"github.com/vigie-hq/vigie/internal/fault"
)

// Validation error codes of supervision, translated as error.<code> (see
// locales/*/supervision.json). The probe package adds its own (invalid_url,
// invalid_regexp, invalid_port…), translated in the same file.
const (
	codeTooSmall          = "too_small"           // param: the minimum
	codeOutOfRange        = "out_of_range"        // param: the maximum
	codeNegative          = "negative"            // a value below zero
	codeBelowWarning      = "below_warning"       // critical threshold below the warning one
	codeThresholdRequired = "threshold_required"  // neither warning nor critical set
	codeInvalidIdentifier = "invalid_identifier"  // command or job name
	codeInvalidPath       = "invalid_path"        // not an absolute path
	codeInvalidCron       = "invalid_cron"        // param: the parser's message
	codeInvalidTag        = "invalid_tag"         // param: the tag
	codeManagedByTemplate = "managed_by_template" // a check a template applied
	codeNoAgent           = "no_agent"            // the asset has no agent
	codeRunnerNotAllowed  = "runner_not_allowed"  // a runner for a kind the server or the asset runs
	codeNoProblem         = "no_problem"          // acknowledging a check not in a hard problem
	codeEndBeforeStart    = "end_before_start"    // a window's end not after its start
	codeNotBackupJob      = "not_backup_job"      // a restore test of an asset that is no backup job
)

// Bounds of a check's rules.
const (
	minInterval         = 10
	maxInterval         = 86400
	defaultInterval     = 60
	minRetryInterval    = 5
	defaultRetry        = 30
	maxAttempts         = 10
	maxRecoverAfter     = 10
	maxForMinutes       = 1440
	maxGraceMinutes     = 10080
	maxAgeHours         = 87600 // ten years
	maxHeartbeatMissed  = 100
	defaultHeartbeatMis = 3
	maxTags             = 20
	maxPushMessage      = 4 << 10
)

var (
	identifierRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	tagRE        = regexp.MustCompile(`^[a-z0-9_.-]{1,32}$`)
	windowsPath  = regexp.MustCompile(`^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/])`)
)

// assetKinds are the kinds of asset a template may match (asset.Kinds: a
// test keeps the two lists equal; supervision does not import the fleet so
// that the fleet may import it).
var assetKinds = []string{"server", "workstation", "network", "printer", "application", "licence", "backup", "other"}

// OSes are the operating systems a template may match, as agents report them.
var OSes = []string{"linux", "windows", "darwin"}

// normalize fills the defaults of the rules, drops the parameters their kind
// does not read, and records what is wrong in v. Fields are named as in the
// JSON of a check: "interval", "params.url"…
func (r *Rules) normalize(v *fault.Invalid) {
	r.Kind = Kind(strings.TrimSpace(string(r.Kind)))
	switch {
	case r.Kind == "":
		v.Add("kind", "required")
	case !r.Kind.Valid():
		v.Add("kind", "invalid_choice")
	}
	if r.Interval == 0 {
		r.Interval = defaultInterval
	}
	switch {
	case r.Interval < minInterval:
		v.Add("interval", codeTooSmall, minInterval)
	case r.Interval > maxInterval:
		v.Add("interval", codeOutOfRange, maxInterval)
	}
	if r.RetryInterval == 0 {
		r.RetryInterval = min(defaultRetry, max(r.Interval, minRetryInterval))
	}
	switch {
	case r.RetryInterval < minRetryInterval:
		v.Add("retry_interval", codeTooSmall, minRetryInterval)
	case r.RetryInterval > r.Interval && !v.Has("interval"):
		v.Add("retry_interval", codeOutOfRange, r.Interval)
	}
	r.MaxAttempts = boundedDefault(v, "max_attempts", r.MaxAttempts, 3, 1, maxAttempts)
	r.RecoverAfter = boundedDefault(v, "recover_after", r.RecoverAfter, 1, 1, maxRecoverAfter)
	if r.Severity == "" {
		r.Severity = SeverityMajor
	}
	if !slices.Contains(Severities, r.Severity) {
		v.Add("severity", "invalid_choice")
	}
	if r.Ticket == "" {
		r.Ticket = TicketOpen
	}
	if !slices.Contains(TicketModes, r.Ticket) {
		v.Add("ticket", "invalid_choice")
	}
	if r.Kind.Valid() {
		r.Params = cleanParams(r.Kind, r.Params)
		validateParams(v, r.Kind, &r.Params)
	}
}

// boundedDefault returns n, or def when n is 0, recording a value outside lo…hi.
func boundedDefault(v *fault.Invalid, field string, n, def, lo, hi int) int {
	if n == 0 {
		return def
	}
	switch {
	case n < lo:
		v.Add(field, codeTooSmall, lo)
	case n > hi:
		v.Add(field, codeOutOfRange, hi)
	}
	return n
}

// cleanParams keeps the parameters a kind reads, trimmed, so that a stored
// check says nothing it does not do and two definitions of the same check
// compare equal.
func cleanParams(k Kind, p Params) Params {
	var o Params
	switch k {
	case KindCPU, KindMemory, KindSwap, KindFilesystem:
		o.Warning, o.Critical, o.For = p.Warning, p.Critical, p.For
		if k == KindFilesystem {
			o.Mount = strings.TrimSpace(p.Mount)
		}
	case KindService, KindProcess, KindCommand:
		o.Name = strings.TrimSpace(p.Name)
	case KindSMART:
		o.Disk = strings.TrimSpace(p.Disk)
	case KindFileAge:
		o.Path, o.MaxAgeHours, o.MinBytes = strings.TrimSpace(p.Path), p.MaxAgeHours, p.MinBytes
	case KindHeartbeat:
		o.Intervals = p.Intervals
	case KindPing:
		o.Host, o.Count, o.LossWarning, o.LossCritical = strings.TrimSpace(p.Host), p.Count, p.LossWarning, p.LossCritical
		o.RTTWarning, o.RTTCritical, o.Timeout = p.RTTWarning, p.RTTCritical, p.Timeout
	case KindTCP:
		o.Host, o.Port = strings.TrimSpace(p.Host), p.Port
		o.RTTWarning, o.RTTCritical, o.Timeout = p.RTTWarning, p.RTTCritical, p.Timeout
	case KindHTTP:
		o.URL, o.Method, o.Headers, o.Body = strings.TrimSpace(p.URL), strings.ToUpper(strings.TrimSpace(p.Method)), p.Headers, p.Body
		o.ExpectStatus, o.BodyContains, o.BodyRegexp = p.ExpectStatus, p.BodyContains, p.BodyRegexp
		o.NoRedirects, o.SkipVerify = p.NoRedirects, p.SkipVerify
		o.RTTWarning, o.RTTCritical, o.Timeout = p.RTTWarning, p.RTTCritical, p.Timeout
		if len(o.Headers) == 0 {
			o.Headers = nil
		}
		if len(o.ExpectStatus) == 0 {
			o.ExpectStatus = nil
		}
	case KindTLS:
		o.Host, o.Port, o.ServerName = strings.TrimSpace(p.Host), p.Port, strings.TrimSpace(p.ServerName)
		o.WarningDays, o.CriticalDays, o.Timeout = p.WarningDays, p.CriticalDays, p.Timeout
	case KindDNS:
		o.Name, o.RecordType, o.Server = strings.TrimSpace(p.Name), strings.ToUpper(strings.TrimSpace(p.RecordType)), strings.TrimSpace(p.Server)
		o.Expect, o.Timeout = p.Expect, p.Timeout
		if len(o.Expect) == 0 {
			o.Expect = nil
		}
	case KindBackupPush, KindBackupJob:
		o.Schedule, o.GraceMinutes = strings.Join(strings.Fields(p.Schedule), " "), p.GraceMinutes
		if k == KindBackupJob {
			o.Name = strings.TrimSpace(p.Name)
		}
	}
	return o
}

// validateParams checks the parameters of a kind (already cleaned).
func validateParams(v *fault.Invalid, k Kind, p *Params) {
	switch k {
	case KindCPU, KindMemory, KindSwap, KindFilesystem:
		percentThresholds(v, p)
		if k == KindFilesystem {
			p.Mount = v.Text("params.mount", p.Mount, 255, false, false)
		}
	case KindService, KindProcess:
		p.Name = v.Text("params.name", p.Name, 256, true, false)
	case KindCommand, KindBackupJob:
		switch {
		case p.Name == "":
			v.Add("params.name", "required")
		case !identifierRE.MatchString(p.Name):
			v.Add("params.name", codeInvalidIdentifier)
		}
	case KindSMART:
		p.Disk = v.Text("params.disk", p.Disk, 255, false, false)
	case KindFileAge:
		p.Path = v.Text("params.path", p.Path, 1024, true, false)
		if p.Path != "" && !v.Has("params.path") && !absolutePath(p.Path) {
			v.Add("params.path", codeInvalidPath)
		}
		switch {
		case p.MaxAgeHours == 0:
			v.Add("params.max_age_hours", "required")
		case p.MaxAgeHours < 0 || math.IsNaN(p.MaxAgeHours):
			v.Add("params.max_age_hours", codeNegative)
		case p.MaxAgeHours > maxAgeHours:
			v.Add("params.max_age_hours", codeOutOfRange, maxAgeHours)
		}
		if p.MinBytes < 0 {
			v.Add("params.min_bytes", codeNegative)
		}
	case KindHeartbeat:
		if p.Intervals == 0 {
			p.Intervals = defaultHeartbeatMis
		}
		switch {
		case p.Intervals < 0:
			v.Add("params.intervals", codeNegative)
		case p.Intervals > maxHeartbeatMissed:
			v.Add("params.intervals", codeOutOfRange, maxHeartbeatMissed)
		}
	case KindPing, KindTCP, KindHTTP, KindTLS, KindDNS:
		if _, err := NewProbe(k, *p); err != nil {
			probeFields(v, err)
		}
	}
	if k == KindBackupPush || (k == KindBackupJob && p.Schedule != "") {
		validateSchedule(v, p)
	}
}

// percentThresholds checks warning/critical percentages (0: not set) and the
// minutes they must be sustained.
func percentThresholds(v *fault.Invalid, p *Params) {
	for _, t := range []struct {
		field string
		x     float64
	}{{"params.warning", p.Warning}, {"params.critical", p.Critical}} {
		if t.x < 0 || t.x > 100 || math.IsNaN(t.x) {
			v.Add(t.field, codeOutOfRange, 100)
		}
	}
	switch {
	case v.Has("params.warning") || v.Has("params.critical"):
	case p.Warning == 0 && p.Critical == 0:
		v.Add("params.warning", codeThresholdRequired)
	case p.Warning > 0 && p.Critical > 0 && p.Critical < p.Warning:
		v.Add("params.critical", codeBelowWarning)
	}
	switch {
	case p.For < 0:
		v.Add("params.for", codeNegative)
	case p.For > maxForMinutes:
		v.Add("params.for", codeOutOfRange, maxForMinutes)
	}
}

// validateSchedule checks the expected runs of a backup job: a cron
// expression (five fields, or a descriptor such as @daily) and a grace time.
func validateSchedule(v *fault.Invalid, p *Params) {
	switch {
	case p.Schedule == "":
		v.Add("params.schedule", "required")
	case len(p.Schedule) > 200:
		v.Add("params.schedule", "too_long", 200)
	default:
		if _, err := cron.ParseStandard(p.Schedule); err != nil {
			v.Add("params.schedule", codeInvalidCron, err.Error())
		}
	}
	switch {
	case p.GraceMinutes < 0:
		v.Add("params.grace_minutes", codeNegative)
	case p.GraceMinutes > maxGraceMinutes:
		v.Add("params.grace_minutes", codeOutOfRange, maxGraceMinutes)
	}
}

// probeFields copies the failure of a network probe's definition into v,
// under "params." names, with the codes and parameters supervision uses.
func probeFields(v *fault.Invalid, err error) {
	pv, ok := fault.AsInvalid(err)
	if !ok {
		v.Add("params", "invalid", err.Error())
		return
	}
	for _, f := range pv.Fields {
		code, param := f.Code, f.Param
		switch {
		case f.Field == "timeout" && code == "too_large":
			// The probe's limit is a duration ("1m0s"): say it in seconds.
			code, param = codeOutOfRange, "60"
		case code == "out_of_range":
			// The probe says "1-100": the message names the maximum.
			if _, hi, ok := strings.Cut(param, "-"); ok {
				param = hi
			}
		}
		v.Add("params."+f.Field, code, param)
	}
}

// absolutePath reports whether p is an absolute Unix or Windows path.
func absolutePath(p string) bool {
	return strings.HasPrefix(p, "/") || windowsPath.MatchString(p)
}

// NormalizeTags lower-cases, trims and de-duplicates asset tags, and checks
// each ([a-z0-9_.-], 1 to 32 characters) and their number (at most 20).
func NormalizeTags(tags []string) ([]string, error) {
	var v fault.Invalid
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !tagRE.MatchString(t) {
			v.Add("tags", codeInvalidTag, t)
			return nil, &v
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		v.Add("tags", "too_many", maxTags)
		return nil, &v
	}
	slices.Sort(out)
	return out, nil
}

// normalize validates a template's own fields and its rules.
func (t *Template) normalize() error {
	var v fault.Invalid
	t.Name = v.Text("name", t.Name, 200, true, false)
	t.MatchKind = strings.ToLower(strings.TrimSpace(t.MatchKind))
	if t.MatchKind != "" && !slices.Contains(assetKinds, t.MatchKind) {
		v.Add("match_kind", "invalid_choice")
	}
	t.MatchOS = strings.ToLower(strings.TrimSpace(t.MatchOS))
	if t.MatchOS != "" && !slices.Contains(OSes, t.MatchOS) {
		v.Add("match_os", "invalid_choice")
	}
	t.MatchTag = strings.ToLower(strings.TrimSpace(t.MatchTag))
	if t.MatchTag != "" && !tagRE.MatchString(t.MatchTag) {
		v.Add("match_tag", codeInvalidTag, t.MatchTag)
	}
	t.Rules.normalize(&v)
	return v.Err()
}

// normalize validates a check's own fields and its rules; an empty name
// gets one made from the rules.
func (c *Check) normalize() error {
	var v fault.Invalid
	c.Name = v.Text("name", c.Name, 200, false, false)
	c.Rules.normalize(&v)
	if c.Name == "" && !v.Has("name") {
		c.Name = defaultCheckName(c.Rules)
	}
	return v.Err()
}

// defaultCheckName names a check after what it looks at: "CPU", "Disk /var",
// "HTTP https://example.com".
func defaultCheckName(r Rules) string {
	p := r.Params
	var name string
	switch r.Kind {
	case KindCPU:
		name = "CPU"
	case KindMemory:
		name = "Memory"
	case KindSwap:
		name = "Swap"
	case KindFilesystem:
		name = join("Disk", p.Mount)
	case KindService:
		name = join("Service", p.Name)
	case KindProcess:
		name = join("Process", p.Name)
	case KindSMART:
		name = join("SMART", p.Disk)
	case KindCommand:
		name = join("Command", p.Name)
	case KindFileAge:
		name = join("Newest file in", p.Path)
	case KindHeartbeat:
		name = "Agent heartbeat"
	case KindPing:
		name = join("Ping", p.Host)
	case KindTCP:
		name = join("TCP", p.Host)
		if p.Port != 0 {
			name += ":" + strconv.Itoa(p.Port)
		}
	case KindHTTP:
		name = join("HTTP", p.URL)
	case KindTLS:
		name = join("Certificate", p.Host)
	case KindDNS:
		name = join("DNS "+p.RecordType, p.Name)
	case KindBackupPush:
		name = "Backup (push)"
	case KindBackupJob:
		name = join("Backup job", p.Name)
	default:
		name = string(r.Kind)
	}
	return truncateRunes(name, 200)
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// oneLine returns s on one line: control characters become spaces, runs of
// spaces one, and it is cut to at most max bytes on a rune boundary.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "�")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// lastLine returns the last non-empty line of a command's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\r\n\t "), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// validateWindow checks a maintenance window's own fields (its target is
// the service's to check). One-off windows must end after they start, within
// a year, and not be over already; recurring ones need weekdays, a start
// time of day and a duration of at most a week.
func validateWindow(w *Window, now time.Time) error {
	var v fault.Invalid
	w.Comment = v.Text("comment", w.Comment, 500, false, true)
	if w.Location == nil {
		w.Location = time.UTC
	}
	if len(w.Weekdays) == 0 {
		switch {
		case w.From.IsZero():
			v.Add("from", "required")
		case w.To.IsZero():
			v.Add("to", "required")
		case !w.To.After(w.From):
			v.Add("to", codeEndBeforeStart)
		case w.To.Sub(w.From) > 366*24*time.Hour:
			v.Add("to", codeOutOfRange, "366 days")
		case !w.To.After(now):
			v.Add("to", "in_past")
		}
		w.From, w.To = w.From.UTC(), w.To.UTC()
		w.Start, w.Duration = 0, 0
		return v.Err()
	}
	days := make([]time.Weekday, 0, len(w.Weekdays))
	for _, d := range w.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			v.Add("weekdays", "invalid_choice")
			break
		}
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	w.Weekdays = days
	if w.Start < 0 || w.Start >= 24*time.Hour {
		v.Add("start", "invalid_time")
	}
	switch {
	case w.Duration < time.Minute:
		v.Add("duration", codeTooSmall, "1 min")
	case w.Duration > 7*24*time.Hour:
		v.Add("duration", codeOutOfRange, "7 days")
	}
	w.From, w.To = time.Time{}, time.Time{}
	return v.Err()
}

// validateRestoreTest checks a restore test's fields.
func validateRestoreTest(t *RestoreTest, now time.Time) error {
	var v fault.Invalid
	switch {
	case t.TestedAt.IsZero():
		v.Add("tested_at", "required")
	case t.TestedAt.After(now.Add(time.Hour)):
		v.Add("tested_at", "in_future")
	case t.TestedAt.Year() < 2000:
		v.Add("tested_at", "invalid_date")
	}
	t.TestedAt = t.TestedAt.UTC()
	t.Scope = v.Text("scope", t.Scope, 500, true, false)
	if t.Result == "" {
		v.Add("result", "required")
	} else {
		v.OneOf("result", string(t.Result), string(RestoreOK), string(RestorePartial), string(RestoreFailed))
	}
	switch {
	case t.Minutes < 0:
		v.Add("minutes", codeNegative)
	case t.Minutes > maxGraceMinutes:
		v.Add("minutes", codeOutOfRange, maxGraceMinutes)
	}
	t.Evidence = v.Text("evidence", t.Evidence, 10000, false, true)
	return v.Err()
}

// validatePush checks what a backup script pushed and cleans its message.
func validatePush(in *PushInput) error {
	var v fault.Invalid
	if in.Seconds < 0 || math.IsNaN(in.Seconds) || math.IsInf(in.Seconds, 0) || in.Seconds > 366*86400 {
		v.Add("duration", "invalid")
	}
	if in.Bytes < 0 {
		v.Add("size", codeNegative)
	}
	in.Message = oneLine(in.Message, maxPushMessage)
	return v.Err()
}
