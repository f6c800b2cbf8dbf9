package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// channelPageFixture makes a webhook channel of a client that failed once,
// so that its page shows every part (secret hint, last error).
func channelPageFixture(t *testing.T, srv *apptest.Server, clientID int64) int64 {
	t.Helper()
	c := notify.Channel{ClientID: &clientID, Name: "Astreinte", Kind: notify.KindWebhook, Target: "http://127.0.0.1:9/hook", OnProblems: true, Enabled: true}
	if err := srv.App.Notify.Create(srv.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	if res, err := srv.App.Notify.Test(srv.Ctx(), tenant.System(), c.ID); err != nil || res.OK {
		t.Fatalf("test of a closed port = %+v, %v", res, err)
	}
	return c.ID
}

func TestNotificationChannelPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		a, b := srv.Client("ALPHA"), srv.Client("BRAVO")
		srv.User("manager@msp.example", tenant.RoleManager)
		srv.User("tech-b@msp.example", tenant.RoleTechnician, b.ID)
		srv.User("boss@alpha.example", tenant.RoleClientAdmin, a.ID)
		bodies := make(chan string, 4)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			bodies <- r.Header.Get("X-Vigie-Signature") + " " + string(raw)
		}))
		defer rcv.Close()

		m := signedIn(t, srv, "manager@msp.example")
		for _, lang := range []string{"fr", "en"} {
			m.lang = lang
			r := m.get("/supervision/channels")
			wantStatus(t, lang+" empty list", r, http.StatusOK)
			wantBody(t, lang+" empty list", r, `<a href="/supervision/channels" aria-current="page">`, msg(lang, "notifyweb.empty"), msg(lang, "notifyweb.new"),
				`<label for="f-kind">`+msg(lang, "notifyweb.field.kind"), msg(lang, "notifyweb.all_clients"), msg(lang, "notifyweb.kind.teams"))
		}
		m.lang = "en"

		form := url.Values{"client_id": {itoa(a.ID)}, "name": {"On call"}, "kind": {"slack"}, "target": {"javascript:alert(1)"},
			"min_state": {"critical"}, "hours": {"business"}, "events": {"problems"}, "enabled": {"1"}}
		r := m.post("/supervision/channels", form)
		wantStatus(t, "bad URL", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "target"); got != fieldErr("en", "invalid_url", "") {
			t.Errorf("target error = %q", got)
		}
		wantBody(t, "bad URL keeps the input", r, `value="On call"`)
		form.Del("events")
		form.Set("target", rcv.URL)
		r = m.post("/supervision/channels", form)
		if got := fieldErrorBlock(r.body, "events"); got != fieldErr("en", "required", "") {
			t.Errorf("events error = %q (status %d)", got, r.status)
		}

		// A webhook: its secret is on the creation page, never again.
		form.Set("kind", "webhook")
		form["events"] = []string{"problems", "recoveries"}
		r = m.post("/supervision/channels", form)
		wantStatus(t, "create webhook", r, http.StatusCreated)
		sm := regexp.MustCompile(`id="new-secret"[^>]*value="([0-9a-f]{64})"`).FindStringSubmatch(r.body)
		if sm == nil {
			t.Fatalf("creation page shows no secret:\n%s", excerpt(r.body))
		}
		secret := sm[1]
		id := regexp.MustCompile(`action="/supervision/channels/(\d+)/test"`).FindStringSubmatch(r.body)[1]
		page := "/supervision/channels/" + id
		r = m.get(page)
		wantStatus(t, "edit page", r, http.StatusOK)
		wantNotBody(t, "edit page", r, secret)
		wantBody(t, "edit page", r, "…"+secret[60:], "Client ALPHA", msg("en", "notifyweb.test"), msg("en", "notifyweb.pending", 0), msg("en", "notifyweb.no_delivery"))
		list := m.get("/supervision/channels")
		wantBody(t, "list", list, "On call", "Client ALPHA", msg("en", "notifyweb.min_state.critical")+" · "+msg("en", "notifyweb.hours.business"))
		wantNotBody(t, "list", list, msg("en", "notifyweb.empty"))

		// Test message: signed with the secret, the flash says it went.
		r = m.post(page+"/test", url.Values{})
		wantStatus(t, "test", r, http.StatusSeeOther)
		got := <-bodies
		if !strings.HasPrefix(got, "sha256=") || !strings.Contains(got, `"event":"test"`) {
			t.Errorf("receiver got %q", got)
		}
		wantBody(t, "after test", m.get(r.loc), msg("en", "flash.notify.test_sent"))

		// Edit.
		form.Set("name", "Astreinte")
		form.Set("secret", "")
		r = m.post(page, form)
		wantStatus(t, "update", r, http.StatusSeeOther)
		wantBody(t, "after update", m.get(page), "Astreinte", msg("en", "flash.notify.saved", "Astreinte"))

		// Others: a client's users have no channel pages; a technician of B
		// does not reach A's channel.
		boss := signedIn(t, srv, "boss@alpha.example")
		wantStatus(t, "client admin", boss.get("/supervision/channels"), http.StatusForbidden)
		wantNotBody(t, "client admin's maintenance tabs", boss.get("/supervision/maintenance"), `href="/supervision/channels"`)
		tb := signedIn(t, srv, "tech-b@msp.example")
		tb.lang = "en"
		wantStatus(t, "tech of B reads A's channel", tb.get(page), http.StatusNotFound)
		wantStatus(t, "tech of B deletes A's channel", tb.post(page+"/delete", url.Values{}), http.StatusNotFound)
		r = tb.get("/supervision/channels")
		// No global channel option for a technician limited to some clients.
		wantNotBody(t, "tech of B list", r, "Astreinte", msg("en", "notifyweb.all_clients"))
		wantBody(t, "tech of B list", r, `<option value="`+itoa(b.ID)+`">Client BRAVO</option>`)

		// Turned into an e-mail channel and back: the new secret shows once.
		form.Set("kind", "email")
		form.Set("target", "ops@alpha.example")
		wantStatus(t, "to e-mail", m.post(page, form), http.StatusSeeOther)
		wantNotBody(t, "e-mail channel", m.get(page), "…"+secret[60:])
		form.Set("kind", "webhook")
		form.Set("target", rcv.URL)
		r = m.post(page, form)
		wantStatus(t, "back to webhook", r, http.StatusOK)
		if sm := regexp.MustCompile(`id="new-secret"[^>]*value="([0-9a-f]{64})"`).FindStringSubmatch(r.body); sm == nil || sm[1] == secret {
			t.Errorf("a channel turned into a webhook shows no new secret")
		}

		r = m.post(page+"/delete", url.Values{})
		wantStatus(t, "delete", r, http.StatusSeeOther)
		wantStatus(t, "deleted", m.get(page), http.StatusNotFound)
	})
}
