package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
)

func TestReplyTemplates(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		id := helpdeskFixture(t, srv, f)
		admin := signedIn(t, srv, "admin@example.com")
		admin.lang = "en"
		form := url.Values{"name": {"Greeting"}, "language": {"en"}, "body": {"Hello {{requester}}, about {{ticket}}: <done>."}}
		wantStatus(t, "create", admin.post("/helpdesk/templates", form), http.StatusSeeOther)
		wantBody(t, "list", admin.get("/helpdesk/templates"), "Greeting")

		r := admin.post("/helpdesk/templates", form)
		wantStatus(t, "duplicate", r, http.StatusConflict)
		r = admin.post("/helpdesk/templates", url.Values{"name": {"x"}, "language": {"de"}, "body": {"x"}})
		wantStatus(t, "bad language", r, http.StatusUnprocessableEntity)

		// The ticket page offers it to staff, placeholders filled, escaped.
		tech := signedIn(t, srv, "tech@example.com")
		page := tech.get("/tickets/" + itoa(id))
		wantStatus(t, "ticket page", page, http.StatusOK)
		m := regexp.MustCompile(`<option value="([^"]*)">Greeting \(en\)</option>`).FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("no template in the staff reply box:\n%s", excerpt(page.body))
		}
		body := html.UnescapeString(m[1])
		if !strings.HasPrefix(body, "Hello ") || !strings.HasSuffix(body, ", about #"+itoa(id)+": <done>.") || strings.Contains(body, "{{") {
			t.Errorf("option body = %q", body)
		}
		wantBody(t, "ticket page", page, `data-insert-into="f-body"`)
		cuser := signedIn(t, srv, "cuser@alpha.example")
		wantNotBody(t, "client's ticket page", cuser.get("/tickets/"+itoa(id)), "f-reply-template", "Greeting")

		// Only helpdesk admins manage templates.
		wantStatus(t, "technician lists", tech.get("/helpdesk/templates"), http.StatusForbidden)
		wantStatus(t, "technician creates", tech.post("/helpdesk/templates", url.Values{"name": {"T"}, "language": {"en"}, "body": {"x"}}), http.StatusForbidden)
		tid := regexp.MustCompile(`action="/helpdesk/templates/(\d+)/delete"`).FindStringSubmatch(admin.get("/helpdesk/templates").body)
		if tid == nil {
			t.Fatal("no delete button")
		}
		wantStatus(t, "technician deletes", tech.post("/helpdesk/templates/"+tid[1]+"/delete", nil), http.StatusForbidden)
		wantStatus(t, "delete", admin.post("/helpdesk/templates/"+tid[1]+"/delete", nil), http.StatusSeeOther)
		wantNotBody(t, "after delete", tech.get("/tickets/"+itoa(id)), "f-reply-template")
	})
}
