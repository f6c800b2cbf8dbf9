package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// verify checks a webhook request's signature as docs/notifications.md
// tells receivers to, independently of notify.Sign.
func verify(t *testing.T, secret string, req request) {
	t.Helper()
	ts := req.header.Get("X-Vigie-Timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Fatalf("X-Vigie-Timestamp %q is not Unix seconds", ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(req.body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := req.header.Get("X-Vigie-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Fatalf("X-Vigie-Signature = %q, want %q", got, want)
	}
}

func storm(clientID int64, n int, at time.Time) []supervision.Notice {
	var out []supervision.Notice
	for i := range n {
		to, kind, from := check.Critical, check.Problem, check.OK
		if i%4 == 3 {
			to, kind, from = check.OK, check.Recovery, check.Critical
		}
		nt := notice(clientID, int64(i+1), kind, from, to, at)
		nt.Check.Name = fmt.Sprintf("Disk %d", i+1)
		out = append(out, nt)
	}
	return out
}

func TestDelivery(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()

			t.Run("webhook: one alert, signed", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{})
				acme := mkClient(t, e.db, "ACME", "ACME", "en")
				rcv := newReceiver(t)
				ch := e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindWebhook, Target: rcv.URL + "/hook"})
				if len(ch.Secret) != 64 {
					t.Fatalf("generated secret %q, want 64 hex digits", ch.Secret)
				}
				n := notice(acme.ID, 5, check.Problem, check.OK, check.Critical, e.clk.Now())
				if err := e.svc.Enqueue(t.Context(), []supervision.Notice{n}, map[int64]int64{5: 77}); err != nil {
					t.Fatal(err)
				}
				req := rcv.next(t)
				verify(t, ch.Secret, req)
				if ct := req.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				body := decode(t, req.body)
				want := map[string]any{"event": "problem", "check": "Disk /", "asset": "srv-01", "client": "ACME", "state": "CRITICAL",
					"previous_state": "OK", "ticket_url": "https://vigie.example/tickets/77", "check_url": "https://vigie.example/supervision/checks/5",
					"output": "DISK CRITICAL - free space: / 3 GB (3%)"}
				for k, v := range want {
					if body[k] != v {
						t.Errorf("body[%s] = %v, want %v", k, body[k], v)
					}
				}
				if _, err := time.Parse(time.RFC3339, fmt.Sprint(body["at"])); err != nil {
					t.Errorf("at = %v: %v", body["at"], err)
				}
				waitFor(t, "the alert marked sent", func() bool { return e.count(t, `SELECT COUNT(*) FROM notification_outbox WHERE status = 'sent'`) == 1 })
				rcv.none(t, 300*time.Millisecond)
				got, err := e.svc.Get(t.Context(), manager, ch.ID)
				if err != nil || got.LastSentAt == nil || got.LastError != "" {
					t.Errorf("channel after send: %+v %v", got, err)
				}
				act, err := e.svc.Activity(t.Context(), manager, ch.ID)
				if err != nil || act.Pending != 0 || len(act.Deliveries) != 1 || !act.Deliveries[0].OK || act.Deliveries[0].Alerts != 1 {
					t.Errorf("activity after send: %+v %v", act, err)
				}
			})

			t.Run("storm of 100 notices: one grouped message per channel", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{})
				acme := mkClient(t, e.db, "ACME", "ACME", "en")
				hook, slack := newReceiver(t), newReceiver(t)
				wh := e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindWebhook, Target: hook.URL})
				e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindSlack, Target: slack.URL})
				if err := e.svc.Enqueue(t.Context(), storm(acme.ID, 100, e.clk.Now()), nil); err != nil {
					t.Fatal(err)
				}
				req := hook.next(t)
				verify(t, wh.Secret, req)
				body := decode(t, req.body)
				alerts, _ := body["alerts"].([]any)
				if body["event"] != "grouped" || body["count"] != float64(100) || len(alerts) != 100 || body["summary"] != "100 alerts for ACME: 75 CRITICAL, 25 recovered" {
					t.Errorf("grouped webhook: event %v count %v alerts %d summary %v", body["event"], body["count"], len(alerts), body["summary"])
				}
				sreq := slack.next(t)
				sbody := decode(t, sreq.body)
				if sbody["text"] != "100 alerts for ACME: 75 CRITICAL, 25 recovered" {
					t.Errorf("slack text = %v", sbody["text"])
				}
				text := string(sreq.body)
				if !strings.Contains(text, "Disk 20") || strings.Contains(text, "Disk 21|") || !strings.Contains(text, "… and 80 more") {
					t.Errorf("slack message should list the first 20 alerts and say 80 more: %s", text)
				}
				hook.none(t, 500*time.Millisecond)
				slack.none(t, 0)
				if n := e.count(t, `SELECT COUNT(*) FROM notification_outbox WHERE status = 'sent'`); n != 200 {
					t.Errorf("sent rows = %d, want 200", n)
				}
			})

			t.Run("notices within the group window go in one message", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{Now: time.Now, GroupWindow: 2 * time.Second})
				acme := mkClient(t, e.db, "ACME", "ACME", "fr")
				rcv := newReceiver(t)
				e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindMattermost, Target: rcv.URL})
				for i := range 3 {
					if err := e.svc.Enqueue(t.Context(), []supervision.Notice{notice(acme.ID, int64(i+1), check.Problem, check.OK, check.Warning, time.Now())}, nil); err != nil {
						t.Fatal(err)
					}
				}
				body := decode(t, rcv.next(t).body)
				text, _ := body["text"].(string)
				if !strings.HasPrefix(text, "#### 3 alertes pour ACME : 3 WARNING\n") || strings.Count(text, "\n- **WARNING** — [Disk /](https://vigie.example/supervision/checks/") != 3 {
					t.Errorf("mattermost text = %q", text)
				}
				rcv.none(t, 500*time.Millisecond)
			})

			t.Run("rate limit: the rest waits for the window and goes in one message", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{RateLimit: 2, RateWindow: 3 * time.Second})
				acme := mkClient(t, e.db, "ACME", "ACME", "en")
				rcv := newReceiver(t)
				ch := e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindWebhook, Target: rcv.URL})
				for i := range 2 {
					// The second is queued while the first flush is still
					// running: it must get a job of its own, not be lost.
					if err := e.svc.Enqueue(t.Context(), []supervision.Notice{notice(acme.ID, int64(101+i), check.Problem, check.OK, check.Critical, e.clk.Now())}, nil); err != nil {
						t.Fatal(err)
					}
					if body := decode(t, rcv.next(t).body); body["check_id"] != float64(101+i) {
						t.Fatalf("message %d = %v", i+1, body)
					}
				}
				if err := e.svc.Enqueue(t.Context(), storm(acme.ID, 5, e.clk.Now()), nil); err != nil {
					t.Fatal(err)
				}
				// Over the limit, the job waits (snoozed) and nothing is sent.
				waitFor(t, "the flush job to wait for the rate window", func() bool {
					return e.count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'notify.flush' AND state = 'scheduled'`) >= 1
				})
				rcv.none(t, 300*time.Millisecond)
				if n := e.pending(t, ch.ID); n != 5 {
					t.Fatalf("pending = %d, want 5", n)
				}
				e.clk.Advance(4 * time.Second) // the window has passed
				defer func() {
					if t.Failed() {
						rows, _ := e.db.SQL().QueryContext(t.Context(), `SELECT id, state, attempt, max_attempts, scheduled_at, errors, metadata FROM river_job`)
						for rows.Next() {
							var id, att, max int
							var st, sched, errs, meta any
							rows.Scan(&id, &st, &att, &max, &sched, &errs, &meta)
							t.Logf("job %d %s attempt %d/%d at %v errors %s meta %s", id, st, att, max, sched, errs, meta)
						}
						rows.Close()
					}
				}()
				body := decode(t, rcv.next(t).body)
				if body["event"] != "grouped" || body["count"] != float64(5) {
					t.Errorf("message after the window = %v", body)
				}
				rcv.none(t, 300*time.Millisecond)
				if rcv.count() != 3 {
					t.Errorf("receiver got %d messages, want 3", rcv.count())
				}
			})

			t.Run("a failing receiver (500) is retried, then delivered once", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{})
				acme := mkClient(t, e.db, "ACME", "ACME", "en")
				rcv := newReceiver(t, http.StatusInternalServerError, http.StatusBadGateway)
				ch := e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindTeams, Target: rcv.URL})
				if err := e.svc.Enqueue(t.Context(), storm(acme.ID, 2, e.clk.Now()), nil); err != nil {
					t.Fatal(err)
				}
				first := rcv.next(t)
				if first.status != 500 {
					t.Fatalf("first status %d", first.status)
				}
				waitFor(t, "the error recorded on the channel", func() bool {
					c, _ := e.svc.Get(t.Context(), manager, ch.ID)
					return strings.Contains(c.LastError, "500")
				})
				if e.pending(t, ch.ID) != 2 {
					t.Fatal("alerts must stay pending while the receiver fails")
				}
				if rcv.next(t).status != 502 {
					t.Fatal("second try should get 502")
				}
				// An alert arriving while the receiver is down joins the
				// retried job: no second job hammers the receiver.
				late := notice(acme.ID, 50, check.Problem, check.OK, check.Critical, e.clk.Now())
				if err := e.svc.Enqueue(t.Context(), []supervision.Notice{late}, nil); err != nil {
					t.Fatal(err)
				}
				if n := e.count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'notify.flush' AND state <> 'completed'`); n != 1 {
					t.Errorf("%d flush jobs for the channel while its receiver fails, want 1", n)
				}
				ok := rcv.next(t)
				if ok.status != 200 || !strings.Contains(string(ok.body), "3 alerts for ACME: 3 CRITICAL") {
					t.Errorf("third try: status %d, body %s", ok.status, ok.body)
				}
				body := decode(t, ok.body)
				att, _ := body["attachments"].([]any)
				if body["type"] != "message" || len(att) != 1 || att[0].(map[string]any)["contentType"] != "application/vnd.microsoft.card.adaptive" {
					t.Errorf("teams body = %s", ok.body)
				}
				card := att[0].(map[string]any)["content"].(map[string]any)
				if card["type"] != "AdaptiveCard" || !strings.Contains(string(first.body), "2 alerts for ACME: 2 CRITICAL") {
					t.Errorf("teams card = %v", card)
				}
				waitFor(t, "the alerts marked sent", func() bool { return e.count(t, `SELECT COUNT(*) FROM notification_outbox WHERE status = 'sent'`) == 3 })
				rcv.none(t, 500*time.Millisecond)
				c, _ := e.svc.Get(t.Context(), manager, ch.ID)
				if c.LastError != "" || c.LastSentAt == nil {
					t.Errorf("channel after success: error %q, last sent %v", c.LastError, c.LastSentAt)
				}
			})

			t.Run("a refusal (4xx) marks the alerts failed without retrying", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{})
				acme := mkClient(t, e.db, "ACME", "ACME", "en")
				rcv := newReceiver(t, http.StatusNotFound)
				ch := e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindSlack, Target: rcv.URL})
				if err := e.svc.Enqueue(t.Context(), storm(acme.ID, 3, e.clk.Now()), nil); err != nil {
					t.Fatal(err)
				}
				if rcv.next(t).status != 404 {
					t.Fatal("want the 404")
				}
				waitFor(t, "the alerts marked failed", func() bool {
					return e.count(t, `SELECT COUNT(*) FROM notification_outbox WHERE status = 'failed' AND error LIKE '%404%'`) == 3
				})
				rcv.none(t, time.Second)
				c, _ := e.svc.Get(t.Context(), manager, ch.ID)
				if !strings.Contains(c.LastError, "404 Not Found") {
					t.Errorf("channel last error = %q", c.LastError)
				}
				if act, err := e.svc.Activity(t.Context(), manager, ch.ID); err != nil || len(act.Deliveries) != 1 || act.Deliveries[0].OK ||
					act.Deliveries[0].Alerts != 3 || !strings.Contains(act.Deliveries[0].Error, "404") {
					t.Errorf("activity after a refusal: %+v %v", act, err)
				}
				if n := e.count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'notify.flush' AND state <> 'completed'`); n != 0 {
					t.Errorf("%d flush jobs not completed", n)
				}
			})

			t.Run("e-mail through the outbox and SMTP, in the client's language", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{})
				acme := mkClient(t, e.db, "ACME", "ACME", "en")
				e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindEmail, Target: "oncall@acme.example, boss@acme.example"})
				n := notice(acme.ID, 5, check.Problem, check.OK, check.Critical, e.clk.Now())
				n.Event.Output = "DISK CRITICAL <b>/</b> 97% used"
				if err := e.svc.Enqueue(t.Context(), []supervision.Notice{n}, map[int64]int64{5: 12}); err != nil {
					t.Fatal(err)
				}
				var got received
				select {
				case got = <-e.smtp.got:
				case <-time.After(30 * time.Second):
					t.Fatal("no e-mail reached the SMTP server")
				}
				raw := string(got.data)
				if strings.Join(got.to, ",") != "oncall@acme.example,boss@acme.example" {
					t.Errorf("recipients = %v", got.to)
				}
				for _, want := range []string{"https://vigie.example/tickets/12", "Check: Disk /", "Asset: srv-01"} {
					if !strings.Contains(raw, want) && !strings.Contains(strings.ReplaceAll(raw, "=\r\n", ""), want) {
						t.Errorf("e-mail lacks %q:\n%s", want, raw)
					}
				}
				text, html := mailPart(t, got.data, "text/plain"), mailPart(t, got.data, "text/html")
				if !strings.Contains(text, "Output: DISK CRITICAL <b>/</b> 97% used") || !strings.Contains(text, "Ticket: https://vigie.example/tickets/12") {
					t.Errorf("text part:\n%s", text)
				}
				if !strings.Contains(html, "DISK CRITICAL &lt;b&gt;/&lt;/b&gt; 97% used") || strings.Contains(html, "<b>/</b>") ||
					!strings.Contains(html, `href="https://vigie.example/tickets/12"`) || !strings.Contains(html, "Open the ticket") {
					t.Errorf("html part (the output must be escaped):\n%s", html)
				}
				subject := mailSubject(t, got.data)
				if subject != "[Vigie] CRITICAL — Disk / on srv-01 (ACME)" {
					t.Errorf("subject = %q", subject)
				}
			})

			t.Run("test message", func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, dialect, notify.Deps{})
				acme := mkClient(t, e.db, "ACME", "ACME", "fr")
				good, bad := newReceiver(t), newReceiver(t, http.StatusForbidden)
				ch := e.channel(t, notify.Channel{ClientID: &acme.ID, Kind: notify.KindWebhook, Target: good.URL})
				res, err := e.svc.Test(t.Context(), manager, ch.ID)
				if err != nil || !res.OK || res.Error != "" {
					t.Fatalf("test = %+v, %v", res, err)
				}
				req := good.next(t)
				verify(t, ch.Secret, req)
				if body := decode(t, req.body); body["event"] != "test" || !strings.Contains(fmt.Sprint(body["summary"]), "« webhook » fonctionne") {
					t.Errorf("test body = %v", body)
				}
				badCh := e.channel(t, notify.Channel{ClientID: &acme.ID, Name: "bad", Kind: notify.KindMattermost, Target: bad.URL})
				res, err = e.svc.Test(t.Context(), manager, badCh.ID)
				if err != nil || res.OK || !strings.Contains(res.Error, "403") {
					t.Fatalf("test of a refusing receiver = %+v, %v", res, err)
				}
				mailCh := e.channel(t, notify.Channel{ClientID: &acme.ID, Name: "mail", Kind: notify.KindEmail, Target: "oncall@acme.example"})
				res, err = e.svc.Test(t.Context(), manager, mailCh.ID)
				if err != nil || !res.OK || !res.Queued {
					t.Fatalf("test of e-mail = %+v, %v", res, err)
				}
				select {
				case got := <-e.smtp.got:
					if s := mailSubject(t, got.data); s != "[Vigie] Message de test de Vigie" {
						t.Errorf("test e-mail subject = %q", s)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("no test e-mail")
				}
			})
		})
	}
}
