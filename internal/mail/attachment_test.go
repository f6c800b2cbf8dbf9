package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// part is one leaf of a received MIME tree.
type part struct {
	contentType string
	disposition string
	data        []byte
}

// leaves walks a message's MIME tree and returns its leaves, decoded.
func leaves(t *testing.T, header interface{ Get(string) string }, body io.Reader) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(header.Get("Content-Transfer-Encoding"), "base64") {
			b, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
		}
		return []part{{contentType: header.Get("Content-Type"), disposition: header.Get("Content-Disposition"), data: b}}
	}
	var out []part
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, leaves(t, p.Header, p)...)
	}
}

func TestAttachmentsDelivered(t *testing.T) {
	// Bytes of every value, so that an encoding that mangles binary data fails.
	pdf := []byte("%PDF-1.7\n")
	for i := range 3000 {
		pdf = append(pdf, byte(i))
	}
	csv := []byte("indicateur;valeur\nouverts;12\n")
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := newSMTPServer(t)
			sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, testdb.URL(t, dialect), sender, 0, true)
			f.setProvider(t, "Infogérance Dupont", "support@dupont.example", "fr")
			id, _, err := f.outbox.Send(context.Background(), mail.Message{
				To:      []string{"elodie@client.example"},
				Subject: "Rapport mensuel d'octobre 2026",
				Text:    "Veuillez trouver ci-joint le rapport.",
				HTML:    "<p>Veuillez trouver ci-joint le rapport.</p>",
				Attachments: []mail.Attachment{
					{Name: "rapport-ACME-2026-10.pdf", ContentType: "application/pdf", Data: pdf},
					{Name: "rapport-ACME-2026-10.csv", ContentType: "text/csv; charset=utf-8", Data: csv},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			r := receive(t, srv)
			m, err := netmail.ReadMessage(bytes.NewReader(r.data))
			if err != nil {
				t.Fatal(err)
			}
			if mt, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); mt != "multipart/mixed" {
				t.Fatalf("Content-Type %q, want multipart/mixed", m.Header.Get("Content-Type"))
			}
			var text, html bool
			files := map[string]part{}
			for _, p := range leaves(t, m.Header, m.Body) {
				mt, _, _ := mime.ParseMediaType(p.contentType)
				d, params, _ := mime.ParseMediaType(p.disposition)
				switch {
				case d == "attachment":
					files[params["filename"]] = p
				case mt == "text/plain":
					text = true
				case mt == "text/html":
					html = true
				}
			}
			if !text || !html {
				t.Errorf("body parts: text %v, html %v", text, html)
			}
			got, ok := files["rapport-ACME-2026-10.pdf"]
			if !ok {
				t.Fatalf("no PDF attachment among %v", files)
			}
			if mt, _, _ := mime.ParseMediaType(got.contentType); mt != "application/pdf" {
				t.Errorf("PDF part type %q", got.contentType)
			}
			if !bytes.Equal(got.data, pdf) {
				t.Errorf("PDF attachment differs: %d bytes, want %d", len(got.data), len(pdf))
			}
			if c, ok := files["rapport-ACME-2026-10.csv"]; !ok || !bytes.Equal(c.data, csv) {
				t.Errorf("CSV attachment %q present %v", c.data, ok)
			}
			f.waitStatus(t, id, mail.StatusSent)
		})
	}
}

// TestNoAttachmentKeepsTheMessage: without attachments a message keeps the
// shape it always had (no multipart/mixed wrapper).
func TestNoAttachmentKeepsTheMessage(t *testing.T) {
	srv := newSMTPServer(t)
	sender, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, testdb.URL(t, "sqlite"), sender, 0, true)
	tests := []struct {
		name string
		msg  mail.Message
		want string
	}{
		{"text", mail.Message{To: []string{"a@b.example"}, Subject: "s", Text: "t"}, "text/plain"},
		{"text and html", mail.Message{To: []string{"a@b.example"}, Subject: "s", Text: "t", HTML: "<p>t</p>"}, "multipart/alternative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := f.outbox.Send(context.Background(), tc.msg); err != nil {
				t.Fatal(err)
			}
			m, err := netmail.ReadMessage(bytes.NewReader(receive(t, srv).data))
			if err != nil {
				t.Fatal(err)
			}
			if mt, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); mt != tc.want {
				t.Errorf("Content-Type %q, want %s", m.Header.Get("Content-Type"), tc.want)
			}
		})
	}
}

func TestAttachmentsValidated(t *testing.T) {
	f := newFixture(t, testdb.URL(t, "sqlite"), mail.NewFileSender(t.TempDir()), 0, false)
	base := mail.Message{To: []string{"a@b.example"}, Subject: "s", Text: "t"}
	tests := []struct {
		name string
		att  mail.Attachment
	}{
		{"no name", mail.Attachment{Data: []byte("x")}},
		{"path", mail.Attachment{Name: "../etc/passwd", Data: []byte("x")}},
		{"line break", mail.Attachment{Name: "a\r\nX-Evil: 1", Data: []byte("x")}},
		{"bad type", mail.Attachment{Name: "a.pdf", ContentType: "not a type;;", Data: []byte("x")}},
		{"too large", mail.Attachment{Name: "a.bin", Data: make([]byte, mail.MaxAttachments+1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			m.Attachments = []mail.Attachment{tc.att}
			_, _, err := f.outbox.Send(context.Background(), m)
			if v, ok := fault.AsInvalid(err); !ok || !v.Has("attachments") {
				t.Fatalf("Send = %v, want invalid attachments", err)
			}
		})
	}
}
