package api_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// upload is a multipart body with one file part (and a followup id when not 0).
func upload(t testing.TB, name, contentType string, content []byte, followupID int64) ([]byte, opt) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if followupID != 0 {
		if err := mw.WriteField("followup_id", itoa(followupID)); err != nil {
			t.Fatal(err)
		}
	}
	h := textproto.MIMEHeader{}
	// A quoted-string: only the backslash and the double quote are escaped.
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+quoted+`"`)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), header("Content-Type", mw.FormDataContentType())
}

func (h *helpdeskEnv) attach(t *testing.T, token string, ticketID int64, name, contentType string, content []byte, followupID int64) res {
	t.Helper()
	body, ct := upload(t, name, contentType, content, followupID)
	return h.do(t, "POST", ticketPath(ticketID, "/attachments"), token, body, ct)
}

// blobs counts the files stored under the attachments directory.
func (h *helpdeskEnv) blobs(t *testing.T) int {
	t.Helper()
	n := 0
	root := filepath.Join(h.s.App.Config.DataDir, "attachments")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if !d.IsDir() && !strings.HasPrefix(rel, "tmp") {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAttachmentAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			h := newHelpdeskEnv(t, dialect)
			tk := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Imprimante", "requester_id": h.contactA.ID})

			t.Run("round trip", func(t *testing.T) {
				content := []byte("%PDF-1.4\n% a small document\n")
				var a attachment.Attachment
				r := h.attach(t, h.adminTok, tk.ID, "Devis été.pdf", "application/pdf", content, 0).want(t, 201)
				r.decode(t, &a)
				if a.Name != "Devis été.pdf" || a.Size != int64(len(content)) || a.SniffedType != "application/pdf" || !a.Public || a.FollowupID != nil || len(a.SHA256) != 64 {
					t.Fatalf("attachment %+v", a)
				}
				if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/attachments/%d", a.ID) {
					t.Errorf("Location %q", loc)
				}
				d := h.do(t, "GET", fmt.Sprintf("/api/v1/attachments/%d", a.ID), h.userTok, nil).want(t, 200)
				if !bytes.Equal(d.body, content) {
					t.Errorf("downloaded %q", d.body)
				}
				for k, want := range map[string]string{
					"Content-Type":           "application/pdf",
					"Content-Disposition":    `attachment; filename="Devis _t_.pdf"; filename*=UTF-8''Devis%20%C3%A9t%C3%A9.pdf`,
					"X-Content-Type-Options": "nosniff",
					"Content-Length":         itoa(int64(len(content))),
				} {
					if got := d.header.Get(k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
				if csp := d.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
					t.Errorf("CSP %q, want a sandbox", csp)
				}
				var p pageOf[attachment.Attachment]
				h.do(t, "GET", ticketPath(tk.ID, "/attachments"), h.userTok, nil).want(t, 200).decode(t, &p)
				if len(p.Data) != 1 || p.Data[0].ID != a.ID {
					t.Errorf("listed %+v", p.Data)
				}
			})

			t.Run("html and svg are downloads", func(t *testing.T) {
				for _, c := range []struct{ name, content string }{
					{"page.html", "<!DOCTYPE html><html><script>alert(1)</script></html>"},
					{"logo.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
					{"notes.txt", "<svg onload=alert(1)>"},
				} {
					var a attachment.Attachment
					h.attach(t, h.adminTok, tk.ID, c.name, "text/html", []byte(c.content), 0).want(t, 201).decode(t, &a)
					d := h.do(t, "GET", fmt.Sprintf("/api/v1/attachments/%d", a.ID), h.adminTok, nil).want(t, 200)
					wantType := "application/octet-stream"
					if c.name == "notes.txt" {
						wantType = "text/plain; charset=utf-8" // safe with nosniff and an attachment disposition
					}
					if ct := d.header.Get("Content-Type"); ct != wantType {
						t.Errorf("%s: Content-Type %q, want %q", c.name, ct, wantType)
					}
					if cd := d.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
						t.Errorf("%s: Content-Disposition %q", c.name, cd)
					}
				}
			})

			t.Run("executables refused", func(t *testing.T) {
				for _, c := range []struct{ name, content string }{
					{"setup.exe", "hello"},
					{"run.PS1", "Write-Host hi"},
					{"invoice.pdf", "MZ\x90\x00\x03\x00\x00\x00"},
					{"notes.txt", "#!/bin/sh\nrm -rf /\n"},
					{"tool", "\x7fELF\x02\x01\x01"},
				} {
					p := h.attach(t, h.adminTok, tk.ID, c.name, "", []byte(c.content), 0).problem(t, 422)
					if code, msg := p.field(t, "file"); code != "executable_refused" || msg == "" {
						t.Errorf("%s: code %q, message %q", c.name, code, msg)
					}
				}
			})

			t.Run("oversize refused", func(t *testing.T) {
				before := h.blobs(t)
				big := bytes.Repeat([]byte("a"), attachment.MaxSize+1)
				p := h.attach(t, h.adminTok, tk.ID, "big.txt", "text/plain", big, 0).problem(t, 422)
				code, msg := p.field(t, "file")
				if code != "file_too_large" || !strings.Contains(msg, "20 MiB") {
					t.Errorf("code %q, message %q: want the limit", code, msg)
				}
				if after := h.blobs(t); after != before {
					t.Errorf("%d blobs after a refused upload, %d before", after, before)
				}
				// A body over the per-request limit is refused before it is read.
				huge := bytes.Repeat([]byte("a"), attachment.MaxRequest+1)
				h.attach(t, h.adminTok, tk.ID, "huge.txt", "text/plain", huge, 0).problem(t, 413)
				// Elsewhere the body limit stays at 2 MiB.
				h.do(t, "POST", ticketPath(tk.ID, "/followups"), h.adminTok, bytes.Repeat([]byte(" "), 3<<20)).problem(t, 413)
			})

			t.Run("dedup", func(t *testing.T) {
				content := []byte("the same bytes, twice")
				before := h.blobs(t)
				var a1, a2 attachment.Attachment
				h.attach(t, h.adminTok, tk.ID, "one.txt", "", content, 0).want(t, 201).decode(t, &a1)
				h.attach(t, h.techTok, tk.ID, "two.txt", "", content, 0).want(t, 201).decode(t, &a2)
				if a1.ID == a2.ID || a1.SHA256 != a2.SHA256 {
					t.Fatalf("%+v %+v", a1, a2)
				}
				if after := h.blobs(t); after != before+1 {
					t.Errorf("%d blobs, want %d: identical content must be stored once", after, before+1)
				}
				d := h.do(t, "GET", fmt.Sprintf("/api/v1/attachments/%d", a2.ID), h.adminTok, nil).want(t, 200)
				if !bytes.Equal(d.body, content) || !strings.Contains(d.header.Get("Content-Disposition"), "two.txt") {
					t.Errorf("second copy: %q, %q", d.body, d.header.Get("Content-Disposition"))
				}
			})

			t.Run("names sanitised", func(t *testing.T) {
				var a attachment.Attachment
				h.attach(t, h.adminTok, tk.ID, "../../etc/pass\u202ewd.txt", "", []byte("x"), 0).want(t, 201).decode(t, &a)
				if a.Name != "passwd.txt" {
					t.Errorf("name %q", a.Name)
				}
				h.attach(t, h.adminTok, tk.ID, `C:\Users\me\..`, "", []byte("x"), 0).problem(t, 422)
				h.attach(t, h.adminTok, tk.ID, `C:\Users\me\photo.png`, "", []byte("x"), 0).want(t, 201).decode(t, &a)
				if a.Name != "photo.png" {
					t.Errorf("name %q", a.Name)
				}
			})

			t.Run("visibility", func(t *testing.T) {
				userB := h.s.User("staff@bravo.example", tenant.RoleClientUser, h.b.ID)
				userBTok := h.s.Token(userB, true)
				var note ticket.Followup
				h.do(t, "POST", ticketPath(tk.ID, "/followups"), h.adminTok, map[string]any{"body": "private", "public": false}).want(t, 201).decode(t, &note)
				var priv, pub attachment.Attachment
				h.attach(t, h.adminTok, tk.ID, "secret.txt", "", []byte("staff only"), note.ID).want(t, 201).decode(t, &priv)
				if priv.Public {
					t.Fatal("a private note's attachment is public")
				}
				h.attach(t, h.adminTok, tk.ID, "public.txt", "", []byte("for everyone"), 0).want(t, 201).decode(t, &pub)
				other := h.create(t, h.adminTok, map[string]any{"client_id": h.a.ID, "type": "incident", "title": "Someone else's", "requester_id": h.contactA2.ID})
				var otherAtt attachment.Attachment
				h.attach(t, h.adminTok, other.ID, "other.txt", "", []byte("not for userA"), 0).want(t, 201).decode(t, &otherAtt)

				get := func(token string, id int64) int {
					return h.do(t, "GET", fmt.Sprintf("/api/v1/attachments/%d", id), token, nil).status
				}
				for _, c := range []struct {
					name  string
					token string
					id    int64
					want  int
				}{
					{"staff private", h.techTok, priv.ID, 200},
					{"client private", h.userTok, priv.ID, 404},
					{"client admin private", h.clientTok, priv.ID, 404},
					{"client public", h.userTok, pub.ID, 200},
					{"other client", userBTok, pub.ID, 404},
					{"not requested by the client user", h.userTok, otherAtt.ID, 404},
					{"client admin sees the client's", h.clientTok, otherAtt.ID, 200},
					{"no such id", h.adminTok, 999999, 404},
				} {
					if got := get(c.token, c.id); got != c.want {
						t.Errorf("%s: status %d, want %d", c.name, got, c.want)
					}
				}
				var p pageOf[attachment.Attachment]
				h.do(t, "GET", ticketPath(tk.ID, "/attachments"), h.userTok, nil).want(t, 200).decode(t, &p)
				for _, a := range p.Data {
					if a.ID == priv.ID {
						t.Error("a client lists a private note's attachment")
					}
				}
				h.do(t, "GET", ticketPath(tk.ID, "/attachments"), userBTok, nil).problem(t, 404)
				// A client cannot upload to another client's ticket, nor to a private note.
				h.attach(t, userBTok, tk.ID, "x.txt", "", []byte("x"), 0).problem(t, 404)
				p2 := h.attach(t, h.userTok, tk.ID, "x.txt", "", []byte("x"), note.ID).problem(t, 422)
				if code, _ := p2.field(t, "followup_id"); code != "invalid_choice" {
					t.Errorf("code %q", code)
				}
				// A read token may not upload.
				h.attach(t, h.readTok, tk.ID, "x.txt", "", []byte("x"), 0).problem(t, 403)
			})
		})
	}
}
