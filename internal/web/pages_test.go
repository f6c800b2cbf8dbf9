package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestEveryPageRendersForEveryRole walks every GET page of the router as
// every role, in both languages: each answers a whole page (200) or a
// translated refusal (403), never an error, an unknown message key or a
// half-rendered template.
func TestEveryPageRendersForEveryRole(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		ids := map[string]int64{"clients": f.a.ID, "sites": f.siteA.ID, "contacts": f.contactA.ID, "users": f.userA}
		// A message in the mail log, for its page.
		wantStatus(t, "reset request", newBrowser(t, srv).post("/password/forgot", url.Values{"email": {"cuser@alpha.example"}}), http.StatusOK)
		m := regexp.MustCompile(`href="/mail/(\d+)"`).FindStringSubmatch(signedIn(t, srv, "admin@example.com").get("/mail").body)
		if m == nil {
			t.Fatal("no message in the mail log")
		}
		ids["mail"], _ = strconv.ParseInt(m[1], 10, 64)
		// A ticket of ALPHA that every role of ALPHA sees, with an SLA, a
		// public reply, a private note and time spent, for its page.
		ids["tickets"] = helpdeskFixture(t, srv, f)
		// A quarantined e-mail of ALPHA (a domain rule's), for its page.
		ids["helpdesk/quarantine"] = quarantineFixture(t, srv, f)
		// An asset of ALPHA, for the fleet's pages.
		ast := asset.Asset{ClientID: f.a.ID, Kind: asset.KindServer, Name: "srv-alpha", Fields: map[string]string{"ip": "192.0.2.1"}}
		if err := srv.App.Assets.Create(srv.Ctx(), tenant.System(), &ast); err != nil {
			t.Fatal(err)
		}
		ids["assets"] = ast.ID
		ids["contracts"] = contractPageFixture(t, srv, f, ast.ID)
		// A check and a check template of ALPHA, for the supervision pages.
		chk := supervision.Check{AssetID: ast.ID, Name: "SSH", Enabled: true,
			Rules: supervision.Rules{Kind: supervision.KindTCP, Params: supervision.Params{Host: "192.0.2.1", Port: 22}}}
		if err := srv.App.Supervision.CreateCheck(srv.Ctx(), tenant.System(), &chk); err != nil {
			t.Fatal(err)
		}
		ids["supervision/checks"] = chk.ID
		tpl := supervision.Template{ClientID: &f.a.ID, Name: "HTTPS", MatchTag: "web", Enabled: true,
			Rules: supervision.Rules{Kind: supervision.KindTLS, Params: supervision.Params{Host: "alpha.example"}}}
		if err := srv.App.Supervision.CreateTemplate(srv.Ctx(), tenant.System(), &tpl); err != nil {
			t.Fatal(err)
		}
		ids["supervision/templates"] = tpl.ID
		// A webhook channel of ALPHA, for its page (notify_test.go).
		ids["supervision/channels"] = channelPageFixture(t, srv, f.a.ID)
		// A reply template, for its edit page.
		rt := ticket.ReplyTemplate{Name: "Accusé", Language: "fr", Body: "Bonjour {{requester}}"}
		if err := srv.App.Tickets.SaveReplyTemplate(srv.Ctx(), tenant.System(), &rt); err != nil {
			t.Fatal(err)
		}
		ids["helpdesk/templates"] = rt.ID
		// A check of ALPHA's asset in a hard problem, with its event, for
		// the check page's every part.
		problemCheck := supervisionPageFixture(t, srv, ast.ID)
		var pages []string
		for _, rt := range srv.App.Router.Routes() {
			if rt.Method != http.MethodGet || rt.Public || strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/metrics") {
				continue
			}
			if rt.Path == "/fleet/export" {
				continue // a CSV download: TestFleetFilters covers it
			}
			if strings.HasPrefix(rt.Path, "/attachments/") {
				continue // a download, not a page: TestTicketAttachments covers it
			}
			if rt.Path == "/contracts/{id}/documents/{doc}" {
				continue // a download, not a page: TestContractDocumentsWeb covers it
			}
			if strings.HasPrefix(rt.Path, "/clients/{id}/reports/") {
				continue // PDF and CSV downloads: TestReportPage covers them
			}
			if rt.Path == "/clients/{id}/reviews/pdf" || rt.Path == "/clients/{id}/reviews/csv" {
				continue // downloads: TestReviewPage covers them
			}
			if rt.Path == "/supervision/stream" {
				continue // an endless event stream, not a page: TestBoardStream covers it
			}
			p := strings.TrimSuffix(rt.Path, "{$}")
			if i := strings.Index(p, "{id}"); i >= 0 {
				kind := strings.Trim(p[:i], "/")
				id, ok := ids[kind]
				if !ok {
					t.Fatalf("route %s: no fixture id for %q", rt.Pattern, kind)
				}
				p = p[:i] + itoa(id) + p[i+4:]
			}
			pages = append(pages, p)
		}
		if len(pages) < 15 {
			t.Fatalf("only %d signed-in GET pages found: %v", len(pages), pages)
		}
		pages = append(pages, "/clients?status=archived&q=AL", "/audit?action=client&from=2020-01-01&to=2099-12-31",
			"/tickets?queue=mine", "/tickets?queue=level", "/tickets?queue=unassigned", "/tickets?queue=breaching&sort=updated",
			"/tickets?queue=all&status=in-progress&q=nothing", "/tickets?state=done", "/tickets?state=all&q=VPN",
			fmt.Sprintf("/tickets/new?client_id=%d", f.a.ID), "/tickets/new?client_id=",
			"/tickets/time?month=2026-11", fmt.Sprintf("/tickets/time?month=2026-11&client=%d", f.a.ID),
			"/fleet?kind=server&status=online&outdated=1&lowdisk=1&q=srv", fmt.Sprintf("/assets/%d?range=7d&sw=x", ast.ID),
			"/supervision?state=critical&kind=ping&problems=1&q=srv&page=1", fmt.Sprintf("/supervision?client=%d&asset=%d", f.a.ID, ast.ID),
			fmt.Sprintf("/clients/%d/reports?period=2026-10", f.a.ID),
			fmt.Sprintf("/supervision/checks/%d", problemCheck), fmt.Sprintf("/supervision/checks/%d?range=7d&before=999999", problemCheck))
		staffPages := append(append([]string{}, pages...), fmt.Sprintf("/users/%d/edit", f.staffID))
		for _, email := range []string{"admin@example.com", "manager@example.com", "tech@example.com", "limited@example.com", "cadmin@alpha.example", "cuser@alpha.example"} {
			t.Run(email, func(t *testing.T) {
				b := signedIn(t, srv, email)
				walk := pages
				if !strings.HasPrefix(email, "c") {
					// Staff users are invisible to client users (404), so
					// editing one is walked as staff only.
					walk = staffPages
				}
				for _, lang := range []string{"fr", "en"} {
					b.lang = lang
					for _, p := range walk {
						r := b.get(p)
						if r.status != http.StatusOK && r.status != http.StatusForbidden {
							t.Errorf("%s GET %s: status %d\n%s", lang, p, r.status, excerpt(r.body))
							continue
						}
						checkPage(t, lang+" "+p, lang, r)
						if email == "admin@example.com" && r.status != http.StatusOK {
							t.Errorf("admin GET %s: %d", p, r.status)
						}
					}
				}
			})
		}
		// The public pages too.
		anon := newBrowser(t, srv)
		for _, lang := range []string{"fr", "en"} {
			anon.lang = lang
			for _, p := range []string{"/login", "/password/forgot", "/password/reset?token=x", "/password/reset"} {
				r := anon.get(p)
				wantStatus(t, p, r, http.StatusOK)
				checkPage(t, lang+" "+p, lang, r)
			}
		}
	})
}

var (
	missingKeyRe = regexp.MustCompile(`\[[a-z0-9_]+\.[a-z0-9_.-]+\]`)
	inputRe      = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idAttrRe     = regexp.MustCompile(`\bid="([^"]+)"`)
	typeAttrRe   = regexp.MustCompile(`\btype="([^"]+)"`)
)

// checkPage checks what every page must have: the language, the layout
// closed, no untranslated key, no Go formatting slip, a label for each input.
func checkPage(t *testing.T, what, lang string, r response) {
	t.Helper()
	body := r.body
	if !strings.Contains(body, `<html lang="`+lang+`">`) || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
		t.Errorf("%s: not a whole page in %s", what, lang)
	}
	if m := missingKeyRe.FindString(body); m != "" {
		t.Errorf("%s: untranslated message %s", what, m)
	}
	for _, bad := range []string{"%!", "<no value>", "&lt;nil&gt;"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: page contains %q", what, bad)
		}
	}
	// The CSP allows no inline script or style: they would silently not work.
	for _, bad := range []string{"<script>", ` style="`, ` onclick=`, ` onsubmit=`, "javascript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: page contains %q, which the CSP blocks", what, bad)
		}
	}
	if !strings.Contains(body, `href="#main"`) {
		t.Errorf("%s: no skip link", what)
	}
	for _, in := range inputRe.FindAllString(body, -1) {
		typ := typeAttrRe.FindStringSubmatch(in)
		if typ != nil && (typ[1] == "hidden" || typ[1] == "submit") {
			continue
		}
		id := idAttrRe.FindStringSubmatch(in)
		if id == nil || !strings.Contains(body, `for="`+id[1]+`"`) {
			t.Errorf("%s: input without a label: %s", what, in)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	srv := apptest.New(t, "sqlite")
	b := newBrowser(t, srv)
	login := b.get("/login")
	m := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(login.body)
	if m == nil {
		t.Fatal("no versioned stylesheet link on the sign-in page")
	}
	tests := []struct {
		path, typ, cache string
		status           int
	}{
		{m[1], "text/css; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{"/static/app.css", "text/css; charset=utf-8", "public, no-cache", 200},
		{"/static/app.js", "text/javascript; charset=utf-8", "public, no-cache", 200},
		{"/static/favicon.svg", "image/svg+xml", "public, no-cache", 200},
		{"/static/nope.css", "", "", 404},
		{"/static/templates/login.html", "", "", 404},
	}
	for _, tt := range tests {
		r := b.get(tt.path)
		if r.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, r.status, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if got := r.header.Get("Content-Type"); got != tt.typ {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, got, tt.typ)
		}
		if got := r.header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
	}
	// An unchanged file is revalidated cheaply.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/static/app.css", nil)
	req.Header.Set("If-None-Match", b.get("/static/app.css").header.Get("ETag"))
	if r := b.do(req); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", r.status)
	}
	// Pages are never cached and carry the strict CSP (no inline script).
	if cc := login.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page Cache-Control %q", cc)
	}
	if strings.Contains(login.body, "<script>") || strings.Contains(login.body, "style=") || strings.Contains(login.body, " onclick") {
		t.Error("inline script or style in a page: the CSP forbids it")
	}
}

func TestSettingsAndLogo(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("admin@example.com", tenant.RoleAdmin)
		srv.User("manager@example.com", tenant.RoleManager)
		b := signedIn(t, srv, "admin@example.com")
		anon := newBrowser(t, srv)
		wantStatus(t, "no logo yet", anon.get("/provider/logo"), http.StatusNotFound)
		wantStatus(t, "manager's settings", signedIn(t, srv, "manager@example.com").get("/settings"), http.StatusForbidden)

		var img bytes.Buffer
		pic := image.NewRGBA(image.Rect(0, 0, 4, 4))
		pic.Set(1, 1, color.RGBA{R: 200, A: 255})
		if err := png.Encode(&img, pic); err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{"name": "Infogérance Test", "email": "support@test.example", "language": "en", "time_zone": "Europe/Brussels"}
		r := postMultipart(t, b, "/settings", fields, "logo", "logo.png", img.Bytes())
		wantStatus(t, "save settings", r, http.StatusSeeOther)
		logo := anon.get("/provider/logo")
		wantStatus(t, "logo", logo, http.StatusOK)
		if logo.header.Get("Content-Type") != "image/png" || logo.body != img.String() {
			t.Errorf("logo served as %q, %d bytes", logo.header.Get("Content-Type"), len(logo.body))
		}
		page := b.get("/")
		wantBody(t, "top bar", page, "Infogérance Test", `src="/provider/logo"`, "Europe/Brussels")

		// A file that is not an image, and one too large, are refused on the field.
		r = postMultipart(t, b, "/settings", fields, "logo", "logo.png", []byte("<svg onload=alert(1)>"))
		wantStatus(t, "not an image", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "logo"); got != fieldErr("fr", "invalid_image", "") {
			t.Errorf("logo error = %q", got)
		}
		big := append(append([]byte{}, img.Bytes()...), make([]byte, 600<<10)...)
		r = postMultipart(t, b, "/settings", fields, "logo", "big.png", big)
		wantStatus(t, "logo too large", r, http.StatusUnprocessableEntity)
		fields["time_zone"] = "Nowhere/City"
		r = postMultipart(t, b, "/settings", fields, "", "", nil)
		wantStatus(t, "bad time zone", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "time_zone"); got != fieldErr("fr", "invalid_timezone", "") {
			t.Errorf("time zone error = %q", got)
		}
		if got := anon.get("/provider/logo"); got.body != img.String() {
			t.Error("a refused upload replaced the logo")
		}
		fields["time_zone"] = "Europe/Paris"
		fields["remove_logo"] = "1"
		wantStatus(t, "remove logo", postMultipart(t, b, "/settings", fields, "", "", nil), http.StatusSeeOther)
		wantStatus(t, "removed logo", anon.get("/provider/logo"), http.StatusNotFound)
	})
}

func postMultipart(t *testing.T, b *browser, path string, fields map[string]string, fileField, fileName string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := w.CreateFormFile(fileField, fileName)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

func TestAuditPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		b := signedIn(t, srv, "manager@example.com")
		r := b.get("/audit")
		wantStatus(t, "audit", r, http.StatusOK)
		wantBody(t, "audit", r, "client.create", "site.create", f.b.Name)
		r = b.get(fmt.Sprintf("/audit?client=%d&action=site", f.a.ID))
		wantBody(t, "filtered audit", r, "site.create", "Site of ALPHA")
		wantNotBody(t, "filtered audit", r, "Site of BRAVO", "<code>client.create</code>")
		r = b.get("/audit?to=" + url.QueryEscape("2000-01-01"))
		wantBody(t, "audit before anything", r, msg("fr", "audit.none_match"))
		r = b.get("/audit?from=yesterday")
		wantStatus(t, "bad date", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "from"); got != fieldErr("fr", "invalid_date", "") {
			t.Errorf("date error = %q", got)
		}
		// A client administrator reads only their client's entries.
		ca := signedIn(t, srv, "cadmin@alpha.example")
		r = ca.get("/audit")
		wantStatus(t, "client admin's audit", r, http.StatusOK)
		wantBody(t, "client admin's audit", r, "Site of ALPHA")
		wantNotBody(t, "client admin's audit", r, "Site of BRAVO", "BRAVO")
	})
}

func TestSentMailPagesAndPasswordReset(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		anon := newBrowser(t, srv)
		wantStatus(t, "reset request", anon.post("/password/forgot", url.Values{"email": {"cuser@alpha.example"}}), http.StatusOK)

		m := signedIn(t, srv, "manager@example.com")
		wantStatus(t, "manager reads the mail log", m.get("/mail"), http.StatusForbidden)
		wantNotBody(t, "manager's navigation", m.get("/"), `href="/mail"`)

		a := signedIn(t, srv, "admin@example.com")
		a.lang = "en"
		list := a.get("/mail")
		wantStatus(t, "mail log", list, http.StatusOK)
		wantBody(t, "mail log", list, "cuser@alpha.example", f.a.Name)
		link := regexp.MustCompile(`href="(/mail/\d+)"`).FindStringSubmatch(list.body)
		if link == nil {
			t.Fatal("no message in the mail log")
		}
		wantBody(t, "mail log filtered on another client", a.get(fmt.Sprintf("/mail?client=%d", f.b.ID)), msg("en", "mail.none_match"))
		wantStatus(t, "bad status filter", a.get("/mail?status=lost"), http.StatusUnprocessableEntity)

		page := a.get(link[1])
		wantStatus(t, "message page", page, http.StatusOK)
		// The page shows the link with its secret masked: an admin reading
		// the log must not be able to take over the account.
		wantBody(t, "masked reset link", page, "/password/reset?token=••••••••")
		id, _ := strconv.ParseInt(strings.TrimPrefix(link[1], "/mail/"), 10, 64)
		entry, err := srv.App.DB.Mail(t.Context(), tenant.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		msgRead, err := netmail.ReadMessage(bytes.NewReader(entry.Raw))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msgRead.Body))
		token := regexp.MustCompile(`/password/reset\?token=([A-Za-z0-9_%-]+)`).FindStringSubmatch(string(body))
		if token == nil {
			t.Fatal("no reset link in the stored message")
		}
		if strings.Contains(page.body, token[1]) {
			t.Fatal("the message page reveals the reset token")
		}
		tok, err := url.QueryUnescape(token[1])
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "bad message id", a.get("/mail/999999"), http.StatusNotFound)

		// The link from the e-mail sets a new password, once.
		form := anon.get("/password/reset?token=" + url.QueryEscape(tok))
		if inputValue(form.body, "token") != tok {
			t.Fatal("the reset form does not carry the token")
		}
		r := anon.post("/password/reset", url.Values{"token": {tok}, "password": {"brand-new-password"}, "password_confirm": {"brand-new-password"}})
		wantStatus(t, "reset", r, http.StatusSeeOther)
		wantBody(t, "sign-in after reset", anon.get(r.loc), msg("fr", "flash.password_reset"))
		wantStatus(t, "sign in with the new password", anon.post("/login", url.Values{"email": {"cuser@alpha.example"}, "password": {"brand-new-password"}}), http.StatusSeeOther)
		r = newBrowser(t, srv).post("/password/reset", url.Values{"token": {tok}, "password": {"another-password-2"}, "password_confirm": {"another-password-2"}})
		wantStatus(t, "token used twice", r, http.StatusUnprocessableEntity)
	})
}
