package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// maxTitle is the helpdesk's limit on a ticket title, in characters.
const maxTitle = 200

// writer renders the texts of one client's tickets: its language, its time
// zone and the server's public URL.
type writer struct {
	b    *i18n.Bundle
	lang string
	loc  *time.Location
	base string
}

func (w writer) t(key string, args ...any) string { return w.b.T(w.lang, "alert."+key, args...) }

// state names a state in capitals, as monitoring tools show it.
func (w writer) state(s check.State) string {
	return w.t("state." + strings.ToLower(s.String()))
}

// when formats an instant in the client's time zone.
func (w writer) when(t time.Time) string { return t.In(w.loc).Format(w.t("time_layout")) }

// duration formats how long a problem lasted: "45 s", "23 min", "2 h 05 min",
// "3 d 4 h".
func (w writer) duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d %s %d h", int(d/(24*time.Hour)), w.t("unit.day"), int(d%(24*time.Hour)/time.Hour))
}

// checkURL is the check's page: its graph, output and events.
func (w writer) checkURL(checkID int64) string {
	return w.base + "/supervision/checks/" + strconv.FormatInt(checkID, 10)
}

func (w writer) assetURL(assetID int64) string {
	return w.base + "/assets/" + strconv.FormatInt(assetID, 10)
}

// marker is the link to the check event a text acts on. Every ticket text the
// alerter writes ends with one: it is how a notice delivered twice is
// recognised (see handled).
func (w writer) marker(checkID, eventID int64, owed bool) string {
	if eventID == 0 {
		return ""
	}
	anchor := "#event-" + strconv.FormatInt(eventID, 10)
	if owed {
		anchor += "-owed"
	}
	return "\n\n" + w.t("event_link", eventID, w.checkURL(checkID)+anchor)
}

// names returns the check's and the asset's names for texts.
func names(n supervision.Notice) (checkName, assetName string) {
	checkName, assetName = n.Check.Name, n.Asset.Name
	if checkName == "" {
		checkName = "#" + strconv.FormatInt(n.Check.ID, 10)
	}
	if assetName == "" {
		assetName = "#" + strconv.FormatInt(n.Check.AssetID, 10)
	}
	return checkName, assetName
}

// title is "CRITICAL — Disk / on srv-db-01", within the helpdesk's limit.
func (w writer) title(n supervision.Notice, st check.State) string {
	checkName, assetName := names(n)
	checkName, assetName = clip(checkName, 90), clip(assetName, 80)
	return clip(w.t("title", w.state(st), checkName, assetName), maxTitle)
}

// description is the body of a new incident: what failed, since when, the
// output, why this priority, and the links to the evidence.
func (w writer) description(n supervision.Notice, st check.State, p ticket.Priority) string {
	checkName, assetName := names(n)
	var b strings.Builder
	b.WriteString(w.t("desc.intro", markdown(assetName), markdown(checkName), w.t("kind."+string(n.Check.Kind))))
	b.WriteString("\n\n")
	attempts := max(n.Event.Attempt, 1)
	b.WriteString("- " + w.t("desc.state", w.state(st), attempts) + "\n")
	b.WriteString("- " + w.t("desc.since", w.when(problemBegan(n))) + "\n")
	crit := n.Asset.Criticality
	if crit == "" {
		crit = "normal"
	}
	b.WriteString("- " + w.t("desc.priority", p.String(), w.t("severity."+string(severityOf(n.Check.Severity))), w.t("criticality."+criticalities[criticalityColumn(crit)])) + "\n")
	if n.Owed {
		b.WriteString("- " + w.t("desc.owed") + "\n")
	}
	b.WriteString("- " + w.t("desc.output") + "\n")
	b.WriteString(fence(n.Event.Output))
	b.WriteString("\n")
	b.WriteString(w.t("desc.evidence", w.checkURL(n.Check.ID), markdown(assetName), w.assetURL(n.Check.AssetID)))
	b.WriteString("\n\n")
	b.WriteString(w.t("desc.origin"))
	b.WriteString(w.marker(n.Check.ID, n.Event.ID, n.Owed))
	return b.String()
}

// problemBegan is when a problem began: the first failing result of the
// state it is in, else the event's time.
func problemBegan(n supervision.Notice) time.Time {
	since := n.Status.Since
	if n.Status.State == check.OK || since.IsZero() || since.After(n.Event.At) {
		return n.Event.At
	}
	return since
}

// note ends a private followup with the link to its event.
func (w writer) note(n supervision.Notice, body string) string {
	return body + w.marker(n.Check.ID, n.Event.ID, n.Owed)
}

// severityOf is a known severity, major for an unknown one (as Priority).
func severityOf(s supervision.Severity) supervision.Severity {
	return supervision.Severities[severityRow(s)]
}

// fence puts text in a fenced code block whose fence no line of text can
// close, so that a plugin's output cannot inject Markdown.
func fence(text string) string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		text = "-"
	}
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + "\n" + text + "\n" + f + "\n"
}

// markdown escapes the characters that would make a name Markdown.
func markdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]()<>#!|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clip shortens s to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
