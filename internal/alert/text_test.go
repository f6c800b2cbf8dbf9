package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func testWriter(t *testing.T, lang string) writer {
	t.Helper()
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return writer{b: b, lang: lang, loc: loc, base: "https://vigie.example"}
}

func diskNotice() supervision.Notice {
	return supervision.Notice{
		Check: supervision.Check{ID: 12, ClientID: 3, AssetID: 5, Name: "Disk /", Rules: supervision.Rules{Kind: supervision.KindFilesystem, Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}},
		Asset: supervision.AssetRef{ID: 5, ClientID: 3, Name: "srv-db-01", Criticality: "high"},
		Event: supervision.Event{ID: 77, CheckID: 12, Event: check.Event{
			At: time.Date(2026, 11, 29, 5, 12, 3, 0, time.UTC), Kind: check.Problem, From: check.OK, To: check.Critical,
			Attempt: 3, Output: "DISK CRITICAL - / 97% used", Notify: true,
		}},
	}
}

func TestTitle(t *testing.T) {
	long := diskNotice()
	long.Check.Name = strings.Repeat("d", 300)
	long.Asset.Name = strings.Repeat("é", 300)
	tests := []struct {
		name, lang string
		n          supervision.Notice
		st         check.State
		want       string
	}{
		{"english", "en", diskNotice(), check.Critical, "CRITICAL — Disk / on srv-db-01"},
		{"french", "fr", diskNotice(), check.Critical, "CRITIQUE — Disk / sur srv-db-01"},
		{"warning", "en", diskNotice(), check.Warning, "WARNING — Disk / on srv-db-01"},
		{"unknown in french", "fr", diskNotice(), check.Unknown, "INCONNU — Disk / sur srv-db-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testWriter(t, tt.lang).title(tt.n, tt.st); got != tt.want {
				t.Errorf("title = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("long names fit the helpdesk's limit", func(t *testing.T) {
		got := testWriter(t, "en").title(long, check.Critical)
		if n := len([]rune(got)); n > maxTitle || !strings.Contains(got, "…") || !strings.HasPrefix(got, "CRITICAL — ddd") {
			t.Errorf("title of %d characters: %q", n, got)
		}
	})
}

func TestDescription(t *testing.T) {
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"en", []string{
			"**srv-db-01**", "*Disk /* (filesystem)", "**CRITICAL**", "3 consecutive results",
			"Since: 2026-11-29 06:12:03 CET", "Priority P1: severity critical × asset criticality high",
			"```\nDISK CRITICAL - / 97% used\n```",
			"(https://vigie.example/supervision/checks/12)", "[asset srv-db-01](https://vigie.example/assets/5)",
			"no requester", "[Check event #77](https://vigie.example/supervision/checks/12#event-77)",
		}},
		{"fr", []string{
			"sonde *Disk /* (système de fichiers)", "**CRITIQUE**", "Depuis : 29/11/2026 06:12:03 CET",
			"Priorité P1 : gravité critique × criticité de l'équipement haute",
			"(https://vigie.example/assets/5)", "#event-77)",
		}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			got := testWriter(t, tt.lang).description(diskNotice(), check.Critical, ticket.P1)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("description lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "[alert.") {
				t.Errorf("description has a missing text:\n%s", got)
			}
		})
	}
	t.Run("owed and a hostile output", func(t *testing.T) {
		n := diskNotice()
		n.Owed = true
		n.Event.Output = "```\n# injected"
		n.Asset.Name = "*bold*"
		got := testWriter(t, "en").description(n, check.Critical, ticket.P1)
		for _, w := range []string{"muted", "````\n```\n# injected\n````", `**\*bold\***`, "#event-77-owed)"} {
			if !strings.Contains(got, w) {
				t.Errorf("description lacks %q:\n%s", w, got)
			}
		}
	})
}

func TestDuration(t *testing.T) {
	w := testWriter(t, "fr")
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45 s"},
		{23*time.Minute + 10*time.Second, "23 min"},
		{2*time.Hour + 5*time.Minute, "2 h 05 min"},
		{3*24*time.Hour + 4*time.Hour, "3 j 4 h"},
	} {
		if got := w.duration(tt.d); got != tt.want {
			t.Errorf("duration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestTexts: every text the alerter may ask for exists in both languages.
func TestTexts(t *testing.T) {
	keys := []string{"time_layout", "unit.day", "desc.owed", "desc.output", "desc.origin",
		"note.priority_raised", "note.priority_kept", "note.flap_start", "note.flap_stop", "note.recovery",
		"note.recovery_flapping", "note.auto_resolved", "note.left_open", "note.ack", "note.problem", "note.owed",
		"note.worse", "note.better", "note.changed", "event_link", "title"}
	for _, k := range supervision.Kinds {
		keys = append(keys, "kind."+string(k))
	}
	for _, s := range supervision.Severities {
		keys = append(keys, "severity."+string(s))
	}
	for _, c := range criticalities {
		keys = append(keys, "criticality."+c)
	}
	for _, s := range []check.State{check.OK, check.Warning, check.Critical, check.Unknown} {
		keys = append(keys, "state."+strings.ToLower(s.String()))
	}
	for _, lang := range i18n.Languages {
		w := testWriter(t, lang)
		for _, k := range keys {
			if !w.b.Has("alert." + k) {
				t.Errorf("%s: no text alert.%s", lang, k)
			}
		}
	}
}
