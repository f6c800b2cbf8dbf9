package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// message is what one delivery says, before its format: a single alert, a
// group of them, or a test.
type message struct {
	lang    string
	channel Channel
	alerts  []Alert
	test    bool
	at      time.Time
}

// checkURL and ticketURL link to Vigie's pages ("" without a base URL).
func (svc *Service) checkURL(a Alert) string {
	if svc.base == "" || a.CheckID == 0 {
		return ""
	}
	return svc.base + "/supervision/checks/" + strconv.FormatInt(a.CheckID, 10)
}

func (svc *Service) ticketURL(a Alert) string {
	if svc.base == "" || a.TicketID == 0 {
		return ""
	}
	return svc.base + "/tickets/" + strconv.FormatInt(a.TicketID, 10)
}

// line is one alert in a sentence: "CRITICAL — Disk / on srv-01 (ACME)",
// followed by what happened unless it is a plain problem.
func (svc *Service) line(lang string, a Alert) string {
	s := svc.msg.T(lang, "notify.line", a.State, a.CheckName, a.AssetName, a.ClientName)
	if a.Event != EventProblem {
		s += " — " + svc.msg.T(lang, "notify.event."+string(a.Event))
	}
	return s
}

// summary is the title of a message: its one alert's line, or the counts of
// a group ("12 alerts for ACME: 9 CRITICAL, 3 recovered").
func (svc *Service) summary(m message) string {
	if m.test {
		return svc.msg.T(m.lang, "notify.test.title")
	}
	if len(m.alerts) == 1 {
		return svc.line(m.lang, m.alerts[0])
	}
	counts := map[string]int{}
	recovered := 0
	var clients []int64
	for _, a := range m.alerts {
		if a.Event.Recovery() {
			recovered++
		} else {
			counts[a.State]++
		}
		found := false
		for _, c := range clients {
			found = found || c == a.ClientID
		}
		if !found {
			clients = append(clients, a.ClientID)
		}
	}
	var parts []string
	for _, st := range []string{"CRITICAL", "UNKNOWN", "WARNING", "OK"} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	if recovered > 0 {
		parts = append(parts, svc.msg.T(m.lang, "notify.recovered_count", recovered))
	}
	who := m.alerts[0].ClientName
	if len(clients) > 1 {
		who = svc.msg.T(m.lang, "notify.clients_count", len(clients))
	}
	return svc.msg.T(m.lang, "notify.group", len(m.alerts), who, strings.Join(parts, ", "))
}

// localTime shows an instant in the alert's client time zone.
func localTime(a Alert) string {
	loc, err := time.LoadLocation(a.ClientTZ)
	if err != nil || a.ClientTZ == "" {
		loc, _ = time.LoadLocation("Europe/Paris")
	}
	if loc == nil {
		loc = time.UTC
	}
	return a.At.In(loc).Format("2006-01-02 15:04:05 MST")
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// ---- e-mail ----

// mailSubject is "[Vigie] CRITICAL — Disk / on srv-01 (ACME)".
func (svc *Service) mailSubject(m message) string {
	return "[Vigie] " + svc.summary(m)
}

// mailText is the plain-text body of an e-mail.
func (svc *Service) mailText(m message) string {
	var b strings.Builder
	T := func(key string, args ...any) string { return svc.msg.T(m.lang, key, args...) }
	if m.test {
		b.WriteString(T("notify.test.text", m.channel.Name))
		b.WriteString("\n")
	} else if len(m.alerts) == 1 {
		a := m.alerts[0]
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.event"), T("notify.event."+string(a.Event)))
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.state"), a.State)
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.previous"), a.Previous)
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.check"), a.CheckName)
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.asset"), a.AssetName)
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.client"), a.ClientName)
		fmt.Fprintf(&b, "%s: %s\n", T("notify.field.at"), localTime(a))
		if a.Output != "" {
			fmt.Fprintf(&b, "%s: %s\n", T("notify.field.output"), a.Output)
		}
		if u := svc.ticketURL(a); u != "" {
			fmt.Fprintf(&b, "%s: %s\n", T("notify.field.ticket"), u)
		}
		if u := svc.checkURL(a); u != "" {
			fmt.Fprintf(&b, "%s: %s\n", T("notify.field.check_page"), u)
		}
	} else {
		b.WriteString(svc.summary(m))
		b.WriteString("\n\n")
		for i, a := range m.alerts {
			if i == maxLines {
				b.WriteString(T("notify.more", len(m.alerts)-maxLines))
				b.WriteString("\n")
				break
			}
			fmt.Fprintf(&b, "- %s (%s)\n", svc.line(m.lang, a), localTime(a))
			if a.Output != "" {
				fmt.Fprintf(&b, "  %s\n", clip(a.Output, 200))
			}
			if u := svc.checkURL(a); u != "" {
				fmt.Fprintf(&b, "  %s\n", u)
			}
		}
	}
	b.WriteString("\n-- \n")
	b.WriteString(T("notify.footer", m.channel.Name))
	b.WriteString("\n")
	return b.String()
}

// mailHTML is the HTML alternative of an e-mail (html/template escapes
// every value: check outputs come from the monitored machines).
var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;color:#1f2933">
<h1 style="font-size:18px;color:{{.Color}}">{{.Title}}</h1>
{{if .Text}}<p>{{.Text}}</p>{{end}}
{{if .Facts}}<table cellpadding="4" style="border-collapse:collapse">
{{range .Facts}}<tr><th align="left" style="color:#52606d">{{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>{{end}}
{{if .Output}}<pre style="background:#f5f7fa;padding:8px;white-space:pre-wrap">{{.Output}}</pre>{{end}}
{{if .Lines}}<ul>
{{range .Lines}}<li><strong>{{.State}}</strong> — {{if .URL}}<a href="{{.URL}}">{{.Text}}</a>{{else}}{{.Text}}{{end}} <span style="color:#52606d">({{.At}})</span>{{if .Output}}<br><code>{{.Output}}</code>{{end}}</li>
{{end}}</ul>{{end}}
{{if .More}}<p style="color:#52606d">{{.More}}</p>{{end}}
{{range .Links}}<p><a href="{{.URL}}">{{.Label}}</a></p>
{{end}}<hr><p style="color:#52606d;font-size:12px">{{.Footer}}</p>
</body></html>`))

type mailFact struct{ Label, Value string }

type mailLine struct{ State, Text, URL, At, Output string }

type mailLink struct{ Label, URL string }

// mailBodyHTML renders the HTML alternative of an e-mail.
func (svc *Service) mailBodyHTML(m message) (string, error) {
	T := func(key string, args ...any) string { return svc.msg.T(m.lang, key, args...) }
	d := struct {
		Lang, Title, Color, Text, Output, More, Footer string
		Facts                                          []mailFact
		Lines                                          []mailLine
		Links                                          []mailLink
	}{Lang: m.lang, Title: svc.summary(m), Color: "#b42318", Footer: T("notify.footer", m.channel.Name)}
	switch {
	case m.test:
		d.Color, d.Text = "#1f2933", T("notify.test.text", m.channel.Name)
	case len(m.alerts) == 1:
		a := m.alerts[0]
		if a.Event.Recovery() || a.State == "OK" {
			d.Color = "#067647"
		}
		d.Facts = []mailFact{
			{T("notify.field.event"), T("notify.event." + string(a.Event))},
			{T("notify.field.state"), a.State},
			{T("notify.field.previous"), a.Previous},
			{T("notify.field.check"), a.CheckName},
			{T("notify.field.asset"), a.AssetName},
			{T("notify.field.client"), a.ClientName},
			{T("notify.field.at"), localTime(a)},
		}
		d.Output = a.Output
		if u := svc.ticketURL(a); u != "" {
			d.Links = append(d.Links, mailLink{T("notify.open_ticket"), u})
		}
		if u := svc.checkURL(a); u != "" {
			d.Links = append(d.Links, mailLink{T("notify.open_check"), u})
		}
	default:
		for i, a := range m.alerts {
			if i == maxLines {
				d.More = T("notify.more", len(m.alerts)-maxLines)
				break
			}
			text := svc.msg.T(m.lang, "notify.line_rest", a.CheckName, a.AssetName, a.ClientName)
			if a.Event != EventProblem {
				text += " — " + T("notify.event."+string(a.Event))
			}
			d.Lines = append(d.Lines, mailLine{State: a.State, Text: text, URL: svc.checkURL(a), At: localTime(a), Output: clip(a.Output, 200)})
		}
	}
	var b bytes.Buffer
	if err := mailHTML.Execute(&b, d); err != nil {
		return "", fmt.Errorf("render notification e-mail: %w", err)
	}
	return b.String(), nil
}

// ---- generic webhook ----

// webhookAlert is one alert as the generic webhook posts it.
type webhookAlert struct {
	EventID   int64     `json:"event_id"`
	Event     Event     `json:"event"`
	Check     string    `json:"check"`
	CheckID   int64     `json:"check_id"`
	Asset     string    `json:"asset"`
	AssetID   int64     `json:"asset_id"`
	Client    string    `json:"client"`
	ClientID  int64     `json:"client_id"`
	State     string    `json:"state"`
	Previous  string    `json:"previous_state"`
	Severity  string    `json:"severity"`
	Output    string    `json:"output"`
	At        time.Time `json:"at"`
	TicketID  *int64    `json:"ticket_id"`
	TicketURL *string   `json:"ticket_url"`
	CheckURL  *string   `json:"check_url"`
}

// webhookGroup is a grouped message of the generic webhook.
type webhookGroup struct {
	Event   string         `json:"event"` // "grouped"
	Summary string         `json:"summary"`
	Count   int            `json:"count"`
	Alerts  []webhookAlert `json:"alerts"`
}

// webhookTest is the test message of the generic webhook.
type webhookTest struct {
	Event   Event     `json:"event"` // "test"
	Channel string    `json:"channel"`
	Summary string    `json:"summary"`
	At      time.Time `json:"at"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (svc *Service) webhookAlert(a Alert) webhookAlert {
	w := webhookAlert{EventID: a.EventID, Event: a.Event, Check: a.CheckName, CheckID: a.CheckID, Asset: a.AssetName, AssetID: a.AssetID,
		Client: a.ClientName, ClientID: a.ClientID, State: a.State, Previous: a.Previous, Severity: a.Severity,
		Output: a.Output, At: a.At.UTC(), TicketURL: optional(svc.ticketURL(a)), CheckURL: optional(svc.checkURL(a))}
	if a.TicketID != 0 {
		id := a.TicketID
		w.TicketID = &id
	}
	return w
}

func (svc *Service) webhookBody(m message) any {
	if m.test {
		return webhookTest{Event: EventTest, Channel: m.channel.Name, Summary: svc.msg.T(m.lang, "notify.test.text", m.channel.Name), At: m.at.UTC()}
	}
	if len(m.alerts) == 1 {
		return svc.webhookAlert(m.alerts[0])
	}
	g := webhookGroup{Event: "grouped", Summary: svc.summary(m), Count: len(m.alerts)}
	for _, a := range m.alerts {
		g.Alerts = append(g.Alerts, svc.webhookAlert(a))
	}
	return g
}

// ---- Slack ----

// slackEscape escapes what Slack's mrkdwn reads as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackLink(url, text string) string {
	if url == "" {
		return slackEscape(text)
	}
	return "<" + url + "|" + slackEscape(text) + ">"
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackLine is one alert in mrkdwn, with its check linked.
func (svc *Service) slackLine(lang string, a Alert) string {
	s := "*" + a.State + "* — " + slackEscape(svc.msg.T(lang, "notify.line_rest", "\x00", a.AssetName, a.ClientName))
	s = strings.Replace(s, "\x00", slackLink(svc.checkURL(a), a.CheckName), 1)
	if a.Event != EventProblem {
		s += " — " + slackEscape(svc.msg.T(lang, "notify.event."+string(a.Event)))
	}
	if u := svc.ticketURL(a); u != "" {
		s += " · " + slackLink(u, svc.msg.T(lang, "notify.field.ticket")+" #"+strconv.FormatInt(a.TicketID, 10))
	}
	return s
}

func (svc *Service) slackBody(m message) slackBody {
	sum := svc.summary(m)
	body := slackBody{Text: sum}
	section := func(s string) slackBlock {
		return slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(s, 2900)}}
	}
	switch {
	case m.test:
		body.Blocks = append(body.Blocks, section("*"+slackEscape(sum)+"*\n"+slackEscape(svc.msg.T(m.lang, "notify.test.text", m.channel.Name))))
	case len(m.alerts) == 1:
		a := m.alerts[0]
		s := svc.slackLine(m.lang, a)
		if a.Output != "" {
			s += "\n```" + strings.ReplaceAll(slackEscape(clip(a.Output, 500)), "```", "'''") + "```"
		}
		body.Blocks = append(body.Blocks, section(s))
		body.Blocks = append(body.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: slackEscape(localTime(a))}}})
	default:
		body.Blocks = append(body.Blocks, section("*"+slackEscape(sum)+"*"))
		var lines []string
		for i, a := range m.alerts {
			if i == maxLines {
				break
			}
			lines = append(lines, "• "+svc.slackLine(m.lang, a))
		}
		body.Blocks = append(body.Blocks, section(strings.Join(lines, "\n")))
		if len(m.alerts) > maxLines {
			body.Blocks = append(body.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: slackEscape(svc.msg.T(m.lang, "notify.more", len(m.alerts)-maxLines))}}})
		}
	}
	return body
}

// ---- Mattermost ----

// mdEscape escapes Markdown's inline markup.
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`, "~", `\~`).Replace(s)
}

func mdLink(url, text string) string {
	if url == "" {
		return mdEscape(text)
	}
	return "[" + mdEscape(text) + "](" + url + ")"
}

// mdLine is one alert in Markdown, with its check linked.
func (svc *Service) mdLine(lang string, a Alert) string {
	s := "**" + a.State + "** — " + mdEscape(svc.msg.T(lang, "notify.line_rest", "\x00", a.AssetName, a.ClientName))
	s = strings.Replace(s, mdEscape("\x00"), mdLink(svc.checkURL(a), a.CheckName), 1)
	if a.Event != EventProblem {
		s += " — " + mdEscape(svc.msg.T(lang, "notify.event."+string(a.Event)))
	}
	if u := svc.ticketURL(a); u != "" {
		s += " · " + mdLink(u, svc.msg.T(lang, "notify.field.ticket")+" #"+strconv.FormatInt(a.TicketID, 10))
	}
	return s
}

type mattermostBody struct {
	Text string `json:"text"`
}

func (svc *Service) mattermostBody(m message) mattermostBody {
	sum := svc.summary(m)
	var b strings.Builder
	b.WriteString("#### " + mdEscape(sum) + "\n")
	switch {
	case m.test:
		b.WriteString(mdEscape(svc.msg.T(m.lang, "notify.test.text", m.channel.Name)) + "\n")
	case len(m.alerts) == 1:
		a := m.alerts[0]
		b.WriteString(svc.mdLine(m.lang, a) + "\n")
		b.WriteString("_" + mdEscape(localTime(a)) + "_\n")
		if a.Output != "" {
			b.WriteString("```\n" + strings.ReplaceAll(clip(a.Output, 1000), "```", "'''") + "\n```\n")
		}
	default:
		for i, a := range m.alerts {
			if i == maxLines {
				b.WriteString(mdEscape(svc.msg.T(m.lang, "notify.more", len(m.alerts)-maxLines)) + "\n")
				break
			}
			b.WriteString("- " + svc.mdLine(m.lang, a) + "\n")
		}
	}
	return mattermostBody{Text: b.String()}
}

// ---- Microsoft Teams ----

// teamsBody is a message carrying an Adaptive Card, as Teams' Workflows
// ("post to a channel when a webhook request is received") and incoming
// webhooks accept it.
type teamsBody struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string           `json:"$schema"`
	Type    string           `json:"type"`
	Version string           `json:"version"`
	Body    []map[string]any `json:"body"`
	Actions []map[string]any `json:"actions,omitempty"`
}

func teamsColor(a Alert) string {
	switch {
	case a.Event.Recovery() || a.State == "OK":
		return "good"
	case a.State == "WARNING":
		return "warning"
	}
	return "attention"
}

func (svc *Service) teamsBody(m message) teamsBody {
	sum := svc.summary(m)
	title := map[string]any{"type": "TextBlock", "text": sum, "weight": "bolder", "size": "medium", "wrap": true}
	card := teamsCard{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4"}
	T := func(key string, args ...any) string { return svc.msg.T(m.lang, key, args...) }
	switch {
	case m.test:
		card.Body = append(card.Body, title, map[string]any{"type": "TextBlock", "text": T("notify.test.text", m.channel.Name), "wrap": true})
	case len(m.alerts) == 1:
		a := m.alerts[0]
		title["color"] = teamsColor(a)
		facts := []map[string]string{
			{"title": T("notify.field.event"), "value": T("notify.event." + string(a.Event))},
			{"title": T("notify.field.state"), "value": a.State + " (" + T("notify.field.previous") + ": " + a.Previous + ")"},
			{"title": T("notify.field.check"), "value": a.CheckName},
			{"title": T("notify.field.asset"), "value": a.AssetName},
			{"title": T("notify.field.client"), "value": a.ClientName},
			{"title": T("notify.field.at"), "value": localTime(a)},
		}
		card.Body = append(card.Body, title, map[string]any{"type": "FactSet", "facts": facts})
		if a.Output != "" {
			card.Body = append(card.Body, map[string]any{"type": "TextBlock", "text": clip(a.Output, 1000), "wrap": true, "fontType": "monospace", "isSubtle": true})
		}
		if u := svc.checkURL(a); u != "" {
			card.Actions = append(card.Actions, map[string]any{"type": "Action.OpenUrl", "title": T("notify.open_check"), "url": u})
		}
		if u := svc.ticketURL(a); u != "" {
			card.Actions = append(card.Actions, map[string]any{"type": "Action.OpenUrl", "title": T("notify.open_ticket"), "url": u})
		}
	default:
		card.Body = append(card.Body, title)
		for i, a := range m.alerts {
			if i == maxLines {
				card.Body = append(card.Body, map[string]any{"type": "TextBlock", "text": T("notify.more", len(m.alerts)-maxLines), "isSubtle": true, "wrap": true})
				break
			}
			card.Body = append(card.Body, map[string]any{"type": "TextBlock", "text": svc.line(m.lang, a), "color": teamsColor(a), "wrap": true, "spacing": "small"})
		}
	}
	return teamsBody{Type: "message", Attachments: []teamsAttachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}

// httpBody is the JSON a channel of an HTTP kind posts.
func (svc *Service) httpBody(m message) ([]byte, error) {
	var v any
	switch m.channel.Kind {
	case KindWebhook:
		v = svc.webhookBody(m)
	case KindSlack:
		v = svc.slackBody(m)
	case KindMattermost:
		v = svc.mattermostBody(m)
	case KindTeams:
		v = svc.teamsBody(m)
	default:
		return nil, fmt.Errorf("channel kind %q posts nothing", m.channel.Kind)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s message: %w", m.channel.Kind, err)
	}
	return b, nil
}
