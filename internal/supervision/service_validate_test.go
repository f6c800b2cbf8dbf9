package supervision

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
)

// wantField fails unless err is a validation failure naming field with code.
func wantField(t *testing.T, err error, field, code string) *fault.FieldError {
	t.Helper()
	v, ok := fault.AsInvalid(err)
	if !ok {
		t.Fatalf("err = %v, want %s on %s", err, code, field)
	}
	for i, f := range v.Fields {
		if f.Field == field && f.Code == code {
			return &v.Fields[i]
		}
	}
	t.Fatalf("err = %v, want %s on %s", err, code, field)
	return nil
}

func TestCheckValidation(t *testing.T) {
	cpu := func(p Params) Check { return Check{Rules: Rules{Kind: KindCPU, Params: p}} }
	tests := []struct {
		name        string
		c           Check
		field, code string
		param       string // part of the parameter, when it says something
	}{
		{"no kind", Check{}, "kind", "required", ""},
		{"unknown kind", Check{Rules: Rules{Kind: "telnet"}}, "kind", "invalid_choice", ""},
		{"interval too short", Check{Rules: Rules{Kind: KindCPU, Interval: 5, Params: Params{Warning: 80}}}, "interval", "too_small", "10"},
		{"interval too long", Check{Rules: Rules{Kind: KindCPU, Interval: 90000, Params: Params{Warning: 80}}}, "interval", "out_of_range", "86400"},
		{"retry above interval", Check{Rules: Rules{Kind: KindCPU, Interval: 20, RetryInterval: 25, Params: Params{Warning: 80}}}, "retry_interval", "out_of_range", "20"},
		{"retry too short", Check{Rules: Rules{Kind: KindCPU, RetryInterval: 2, Params: Params{Warning: 80}}}, "retry_interval", "too_small", "5"},
		{"attempts", Check{Rules: Rules{Kind: KindCPU, MaxAttempts: 11, Params: Params{Warning: 80}}}, "max_attempts", "out_of_range", "10"},
		{"recover", Check{Rules: Rules{Kind: KindCPU, RecoverAfter: -1, Params: Params{Warning: 80}}}, "recover_after", "too_small", "1"},
		{"severity", Check{Rules: Rules{Kind: KindCPU, Severity: "apocalyptic", Params: Params{Warning: 80}}}, "severity", "invalid_choice", ""},
		{"ticket mode", Check{Rules: Rules{Kind: KindCPU, Ticket: "email", Params: Params{Warning: 80}}}, "ticket", "invalid_choice", ""},
		{"no threshold", cpu(Params{}), "params.warning", "threshold_required", ""},
		{"threshold above 100", cpu(Params{Warning: 101}), "params.warning", "out_of_range", "100"},
		{"negative threshold", cpu(Params{Critical: -5}), "params.critical", "out_of_range", "100"},
		{"critical below warning", cpu(Params{Warning: 90, Critical: 80}), "params.critical", "below_warning", ""},
		{"sustained too long", cpu(Params{Warning: 90, For: 1441}), "params.for", "out_of_range", "1440"},
		{"service without name", Check{Rules: Rules{Kind: KindService}}, "params.name", "required", ""},
		{"command name with a space", Check{Rules: Rules{Kind: KindCommand, Params: Params{Name: "check disk"}}}, "params.name", "invalid_identifier", ""},
		{"command name with a slash", Check{Rules: Rules{Kind: KindCommand, Params: Params{Name: "../bin/sh"}}}, "params.name", "invalid_identifier", ""},
		{"relative path", Check{Rules: Rules{Kind: KindFileAge, Params: Params{Path: "backups", MaxAgeHours: 24}}}, "params.path", "invalid_path", ""},
		{"no max age", Check{Rules: Rules{Kind: KindFileAge, Params: Params{Path: "/var/backups"}}}, "params.max_age_hours", "required", ""},
		{"negative min bytes", Check{Rules: Rules{Kind: KindFileAge, Params: Params{Path: `D:\Backups`, MaxAgeHours: 24, MinBytes: -1}}}, "params.min_bytes", "negative", ""},
		{"heartbeat intervals", Check{Rules: Rules{Kind: KindHeartbeat, Params: Params{Intervals: 101}}}, "params.intervals", "out_of_range", "100"},
		{"invalid URL", Check{Rules: Rules{Kind: KindHTTP, Params: Params{URL: "ftp://example.com"}}}, "params.url", "invalid_url", ""},
		{"invalid regexp", Check{Rules: Rules{Kind: KindHTTP, Params: Params{URL: "https://example.com", BodyRegexp: "a(b"}}}, "params.body_regexp", "invalid_regexp", "missing closing )"},
		{"probe critical below warning", Check{Rules: Rules{Kind: KindHTTP, Params: Params{URL: "https://example.com", RTTWarning: 500, RTTCritical: 100}}}, "params.rtt_critical", "below_warning", ""},
		{"timeout too long", Check{Rules: Rules{Kind: KindTCP, Params: Params{Host: "10.0.0.1", Port: 22, Timeout: 61}}}, "params.timeout", "out_of_range", "60"},
		{"invalid port", Check{Rules: Rules{Kind: KindTCP, Params: Params{Host: "10.0.0.1", Port: 70000}}}, "params.port", "invalid_port", ""},
		{"invalid host", Check{Rules: Rules{Kind: KindPing, Params: Params{Host: "http://x"}}}, "params.host", "invalid_host", ""},
		{"ping count", Check{Rules: Rules{Kind: KindPing, Params: Params{Host: "10.0.0.1", Count: 500}}}, "params.count", "out_of_range", "100"},
		{"dns record", Check{Rules: Rules{Kind: KindDNS, Params: Params{Name: "example.com", RecordType: "A", Expect: []string{" "}}}}, "params.expect", "invalid_record", ""},
		{"invalid cron", Check{Rules: Rules{Kind: KindBackupPush, Params: Params{Schedule: "61 2 * * *"}}}, "params.schedule", "invalid_cron", "61"},
		{"cron with six fields", Check{Rules: Rules{Kind: KindBackupPush, Params: Params{Schedule: "0 0 2 * * *"}}}, "params.schedule", "invalid_cron", "expected exactly 5 fields"},
		{"no cron", Check{Rules: Rules{Kind: KindBackupPush}}, "params.schedule", "required", ""},
		{"grace too long", Check{Rules: Rules{Kind: KindBackupPush, Params: Params{Schedule: "0 2 * * *", GraceMinutes: 10081}}}, "params.grace_minutes", "out_of_range", "10080"},
		{"job name", Check{Rules: Rules{Kind: KindBackupJob, Params: Params{Name: "nightly backup"}}}, "params.name", "invalid_identifier", ""},
		{"long name", Check{Name: strings.Repeat("x", 201), Rules: Rules{Kind: KindCPU, Params: Params{Warning: 80}}}, "name", "too_long", "200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			f := wantField(t, c.normalize(), tt.field, tt.code)
			if !strings.Contains(f.Param, tt.param) {
				t.Errorf("param %q, want it to contain %q", f.Param, tt.param)
			}
		})
	}
}

func TestCheckDefaults(t *testing.T) {
	c := Check{Rules: Rules{Kind: KindFilesystem, Params: Params{Warning: 80, Critical: 95, Mount: " /var ", URL: "https://ignored.example"}}}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	want := Rules{Kind: KindFilesystem, Params: Params{Warning: 80, Critical: 95, Mount: "/var"}, Interval: 60, RetryInterval: 30,
		MaxAttempts: 3, RecoverAfter: 1, Severity: SeverityMajor, Ticket: TicketOpen}
	if c.Rules.Kind != want.Kind || c.Params.Mount != "/var" || c.Params.URL != "" || c.Interval != 60 || c.RetryInterval != 30 ||
		c.MaxAttempts != 3 || c.RecoverAfter != 1 || c.Severity != SeverityMajor || c.Ticket != TicketOpen {
		t.Errorf("got %+v, want %+v", c.Rules, want)
	}
	if c.Name != "Disk /var" {
		t.Errorf("default name %q", c.Name)
	}
	// A short interval lowers the default retry to it.
	short := Check{Rules: Rules{Kind: KindCPU, Interval: 15, Params: Params{Critical: 99}}}
	if err := short.normalize(); err != nil || short.RetryInterval != 15 {
		t.Errorf("retry %d, err %v; want 15", short.RetryInterval, err)
	}
	hb := Check{Rules: Rules{Kind: KindHeartbeat}}
	if err := hb.normalize(); err != nil || hb.Params.Intervals != 3 {
		t.Errorf("heartbeat intervals %d, err %v; want 3", hb.Params.Intervals, err)
	}
	for _, ok := range []Check{
		{Rules: Rules{Kind: KindBackupPush, Params: Params{Schedule: "@daily"}}},
		{Rules: Rules{Kind: KindBackupPush, Params: Params{Schedule: "30 1 * * 1-5", GraceMinutes: 90}}},
		{Rules: Rules{Kind: KindFileAge, Params: Params{Path: `\\nas\backups`, MaxAgeHours: 26}}},
		{Rules: Rules{Kind: KindCommand, Params: Params{Name: "check_raid.v2"}}},
		{Rules: Rules{Kind: KindHTTP, Params: Params{URL: "https://example.com/health", BodyRegexp: `^ok\b`}}},
	} {
		if err := ok.normalize(); err != nil {
			t.Errorf("%s %+v: %v", ok.Kind, ok.Params, err)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	got, err := NormalizeTags([]string{" Web ", "prod", "web", "", "db.primary"})
	if err != nil || strings.Join(got, ",") != "db.primary,prod,web" {
		t.Errorf("got %v, %v", got, err)
	}
	_, err = NormalizeTags([]string{"has space"})
	wantField(t, err, "tags", "invalid_tag")
	_, err = NormalizeTags([]string{strings.Repeat("a", 33)})
	wantField(t, err, "tags", "invalid_tag")
	var many []string
	for i := range 21 {
		many = append(many, "t"+strings.Repeat("x", i))
	}
	_, err = NormalizeTags(many)
	wantField(t, err, "tags", "too_many")
}

func TestTemplateValidation(t *testing.T) {
	tpl := Template{Name: "Linux servers", MatchKind: "Server", MatchOS: "Linux", MatchTag: "Web", Rules: Rules{Kind: KindMemory, Params: Params{Critical: 95}}}
	if err := tpl.normalize(); err != nil {
		t.Fatal(err)
	}
	if tpl.MatchKind != "server" || tpl.MatchOS != "linux" || tpl.MatchTag != "web" {
		t.Errorf("match %q %q %q", tpl.MatchKind, tpl.MatchOS, tpl.MatchTag)
	}
	bad := Template{MatchKind: "toaster", MatchOS: "plan9", MatchTag: "a b", Rules: Rules{Kind: KindMemory, Params: Params{Critical: 95}}}
	err := bad.normalize()
	for _, f := range []struct{ field, code string }{{"name", "required"}, {"match_kind", "invalid_choice"}, {"match_os", "invalid_choice"}, {"match_tag", "invalid_tag"}} {
		wantField(t, err, f.field, f.code)
	}
}

func TestTemplateMatches(t *testing.T) {
	a, b := int64(1), int64(2)
	srv := AssetRef{ID: 10, ClientID: 1, Kind: "server", OS: "linux", Tags: []string{"web"}}
	manual := AssetRef{ID: 11, ClientID: 1, Kind: "server"}
	tests := []struct {
		name string
		t    Template
		a    AssetRef
		want bool
	}{
		{"everything", Template{Rules: Rules{Kind: KindPing}}, manual, true},
		{"kind, OS and tag", Template{MatchKind: "server", MatchOS: "linux", MatchTag: "web", Rules: Rules{Kind: KindCPU}}, srv, true},
		{"other tag", Template{MatchTag: "db", Rules: Rules{Kind: KindCPU}}, srv, false},
		{"other OS", Template{MatchOS: "windows", Rules: Rules{Kind: KindCPU}}, srv, false},
		{"other client", Template{ClientID: &b, Rules: Rules{Kind: KindCPU}}, srv, false},
		{"its client", Template{ClientID: &a, Rules: Rules{Kind: KindCPU}}, srv, true},
		{"local check needs an agent", Template{MatchKind: "server", Rules: Rules{Kind: KindCPU}}, manual, false},
		{"heartbeat needs an agent", Template{Rules: Rules{Kind: KindHeartbeat}}, manual, false},
		{"a backup job needs an agent", Template{Rules: Rules{Kind: KindBackupJob}}, manual, false},
		{"a backup job on an agent", Template{Rules: Rules{Kind: KindBackupJob}}, srv, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.Matches(tt.a); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWindowValidation(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		name        string
		w           Window
		field, code string
	}{
		{"end before start", Window{Window: windowOf(now.Add(2*time.Hour), now.Add(time.Hour))}, "to", "end_before_start"},
		{"over already", Window{Window: windowOf(now.Add(-2*time.Hour), now.Add(-time.Hour))}, "to", "in_past"},
		{"no end", Window{Window: windowOf(now, time.Time{})}, "to", "required"},
		{"longer than a year", Window{Window: windowOf(now, now.Add(400*24*time.Hour))}, "to", "out_of_range"},
		{"bad weekday", Window{Window: recurring([]time.Weekday{9}, time.Hour, time.Hour, paris)}, "weekdays", "invalid_choice"},
		{"start past midnight", Window{Window: recurring([]time.Weekday{1}, 25*time.Hour, time.Hour, paris)}, "start", "invalid_time"},
		{"too long", Window{Window: recurring([]time.Weekday{1}, time.Hour, 8*24*time.Hour, paris)}, "duration", "out_of_range"},
		{"too short", Window{Window: recurring([]time.Weekday{1}, time.Hour, 0, paris)}, "duration", "too_small"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			wantField(t, validateWindow(&w, now), tt.field, tt.code)
		})
	}
	ok := Window{Window: recurring([]time.Weekday{3, 1, 1}, 22*time.Hour, 2*time.Hour, nil)}
	if err := validateWindow(&ok, now); err != nil {
		t.Fatal(err)
	}
	if len(ok.Weekdays) != 2 || ok.Weekdays[0] != time.Monday || ok.Location != time.UTC {
		t.Errorf("normalised window %+v", ok.Window)
	}
}

func TestPushOutput(t *testing.T) {
	tests := []struct {
		ok      bool
		exit    string
		seconds float64
		bytes   int64
		msg     string
		want    string
	}{
		{true, "", 720, 4_200_000_000, "full", "backup succeeded in 12 min, 4.2 GB: full"},
		{true, "", 0, 0, "", "backup succeeded"},
		{false, "", 0, 0, "disk full", "backup failed: disk full"},
		{false, "2", 185, 0, "rsync error", "exit code 2 after 3 min: rsync error"},
		{true, "", 7500, 512, "", "backup succeeded in 2 h 05 min, 512 B"},
	}
	for _, tt := range tests {
		if got := backupOutput(tt.ok, tt.exit, tt.seconds, tt.bytes, tt.msg); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	in := PushInput{Seconds: -1, Bytes: -1, Message: "line1\nline2\x00"}
	err := validatePush(&in)
	wantField(t, err, "duration", "invalid")
	wantField(t, err, "size", "negative")
	long := PushInput{Message: strings.Repeat("é", 3000)}
	if err := validatePush(&long); err != nil || len(long.Message) > 4096 || !strings.HasSuffix(long.Message, "é") {
		t.Errorf("message of %d bytes, err %v", len(long.Message), err)
	}
}

func TestRestoreTestValidation(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rt := RestoreTest{TestedAt: now.Add(48 * time.Hour), Result: "perfect", Minutes: -3}
	err := validateRestoreTest(&rt, now)
	for _, f := range []struct{ field, code string }{{"tested_at", "in_future"}, {"scope", "required"}, {"result", "invalid_choice"}, {"minutes", "negative"}} {
		wantField(t, err, f.field, f.code)
	}
}

func windowOf(from, to time.Time) check.Window { return check.Window{AssetID: 1, From: from, To: to} }

func recurring(days []time.Weekday, start, d time.Duration, loc *time.Location) check.Window {
	return check.Window{AssetID: 1, Weekdays: days, Start: start, Duration: d, Location: loc}
}
