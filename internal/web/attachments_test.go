package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// postFiles sends a multipart form with fields and files (name → content),
// as a browser does for a form with enctype="multipart/form-data".
func (b *browser) postFiles(path string, fields map[string]string, files map[string]string) response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			b.t.Fatal(err)
		}
	}
	for name, content := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
	}
	if err := mw.Close(); err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var attachmentLinkRe = regexp.MustCompile(`<a href="(/attachments/\d+)" download>([^<]*)</a>`)

// attachmentLinks maps the file names listed on a page to their download paths.
func attachmentLinks(body string) map[string]string {
	out := map[string]string{}
	for _, m := range attachmentLinkRe.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestTicketAttachments(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		newFixture(t, srv)
		cu := signedIn(t, srv, "cuser@alpha.example")
		cu.lang = "en"
		form := cu.get("/tickets/new")
		wantBody(t, "request form", form, `enctype="multipart/form-data"`, `type="file"`, `name="file" multiple`)

		r := cu.postFiles("/tickets/new", map[string]string{"type": "incident", "title": "Broken screen"},
			map[string]string{"photo.png": "\x89PNG\r\n\x1a\n....", "notes.txt": "it flickers"})
		id := createdTicket(t, r)
		path := "/tickets/" + itoa(id)
		links := attachmentLinks(cu.get(path).body)
		if len(links) != 2 || links["photo.png"] == "" || links["notes.txt"] == "" {
			t.Fatalf("ticket page lists %v", links)
		}
		d := cu.get(links["photo.png"])
		wantStatus(t, "download", d, http.StatusOK)
		if d.body != "\x89PNG\r\n\x1a\n...." || d.header.Get("Content-Type") != "image/png" ||
			d.header.Get("Content-Disposition") != `attachment; filename="photo.png"; filename*=UTF-8''photo.png` ||
			d.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(d.header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("download: %q %v", d.body, d.header)
		}

		tech := signedIn(t, srv, "tech@example.com")
		tech.lang = "en"
		wantStatus(t, "private note with a file", tech.postFiles(path+"/reply", map[string]string{"body": "Internal diagnosis", "visibility": "private"},
			map[string]string{"diag.html": "<script>alert(1)</script>"}), http.StatusSeeOther)
		wantStatus(t, "public reply with a file", tech.postFiles(path+"/reply", map[string]string{"body": "Here is the fix", "visibility": "public"},
			map[string]string{"fix.txt": "reboot"}), http.StatusSeeOther)
		staff := attachmentLinks(tech.get(path).body)
		if staff["diag.html"] == "" || staff["fix.txt"] == "" {
			t.Fatalf("staff page lists %v", staff)
		}
		html := tech.get(staff["diag.html"])
		if html.header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(html.header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("html served as %v", html.header)
		}

		// The client sees the public reply's file, never the private note's.
		client := attachmentLinks(cu.get(path).body)
		if client["fix.txt"] == "" || client["diag.html"] != "" {
			t.Errorf("client page lists %v", client)
		}
		wantStatus(t, "client downloads a private note's file", cu.get(staff["diag.html"]), http.StatusNotFound)
		wantStatus(t, "client downloads the public file", cu.get(staff["fix.txt"]), http.StatusOK)
		other := signedIn(t, srv, "cuser@bravo.example")
		wantStatus(t, "another client's file", other.get(links["notes.txt"]), http.StatusNotFound)
		wantStatus(t, "no such file", cu.get("/attachments/999999"), http.StatusNotFound)

		// A refused file refuses the whole reply: no followup without its file.
		before, _, err := srv.App.Tickets.Timeline(ctx(), tenant.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		bad := cu.postFiles(path+"/reply", map[string]string{"body": "Try this"}, map[string]string{"tool.exe": "MZ..."})
		wantStatus(t, "executable", bad, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(bad.body, "file"); got != fieldErr("en", "executable_refused", "") {
			t.Errorf("file error = %q", got)
		}
		after, _, err := srv.App.Tickets.Timeline(ctx(), tenant.System(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Errorf("%d followups after a refused reply, %d before", len(after), len(before))
		}
		// A form without files still works, urlencoded or multipart.
		wantStatus(t, "reply without a file", cu.postFiles(path+"/reply", map[string]string{"body": "Thanks"}, nil), http.StatusSeeOther)
		fs, _, _ := srv.App.Tickets.Timeline(ctx(), tenant.System(), id)
		if last := fs[len(fs)-1]; last.Body != "Thanks" || last.Public != true {
			t.Errorf("last followup %+v", last)
		}
	})
}
