package helpdeskmail_test

import (
	"context"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// withFiles is a multipart message body with a text part and files (name → content).
func withFiles(text string, files [][2]string) (extra, body string) {
	const boundary = "vigie-test-boundary"
	var b strings.Builder
	b.WriteString("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n")
	for _, f := range files {
		b.WriteString("--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + f[0] + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(f[1])) + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=" + boundary, b.String()
}

func TestInboundAttachmentsKept(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			files := attachment.NewService(f.db, f.tickets, t.TempDir(), nil, nil)
			f.svc.SetAttachments(files)
			mb := helpdeskmail.Mailbox{Address: "support@msp.example", Host: "imap.msp.example", TLS: helpdeskmail.TLSImplicit, Username: "support", Password: "p", Enabled: true}
			if err := f.svc.AddMailbox(ctx, sys, &mb); err != nil {
				t.Fatal(err)
			}
			extra, body := withFiles("Voir la capture.", [][2]string{{"capture.pdf", "%PDF-1.4 capture"}, {"outil.exe", "MZ program"}})
			res, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: 1, Raw: eml("anne@alpha.example", "Écran noir", extra, body)})
			if err != nil || res.Outcome != helpdeskmail.OutcomeTicket {
				t.Fatalf("deliver: %+v, %v", res, err)
			}
			kept, err := files.List(ctx, sys, res.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != 1 || kept[0].Name != "capture.pdf" || kept[0].FollowupID != nil || !kept[0].Public {
				t.Fatalf("kept %+v", kept)
			}
			a, rc, err := files.Open(ctx, sys, kept[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			content, _ := io.ReadAll(rc)
			rc.Close()
			if string(content) != "%PDF-1.4 capture" || a.SniffedType != "application/pdf" {
				t.Errorf("content %q, type %q", content, a.SniffedType)
			}
			tk, err := f.tickets.Get(ctx, sys, res.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(tk.Description, "outil.exe") || strings.Contains(tk.Description, "capture.pdf") {
				t.Errorf("description should list only the refused file:\n%s", tk.Description)
			}

			// A reply by e-mail: its files go on the new followup.
			extra, body = withFiles("Et le journal.", [][2]string{{"journal.txt", "boot failed"}})
			subject := "Re: Écran noir [#" + strconv.FormatInt(res.TicketID, 10) + "]"
			res2, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: 2, Raw: eml("anne@alpha.example", subject, extra, body)})
			if err != nil || res2.Outcome != helpdeskmail.OutcomeFollowup || res2.TicketID != res.TicketID {
				t.Fatalf("deliver reply: %+v, %v", res2, err)
			}
			kept, err = files.List(ctx, sys, res.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			fs, _, err := f.tickets.Timeline(ctx, sys, res.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != 2 || kept[1].Name != "journal.txt" || kept[1].FollowupID == nil || *kept[1].FollowupID != fs[len(fs)-1].ID {
				t.Fatalf("after the reply: %+v (followups %+v)", kept, fs)
			}
		})
	}
}

func TestReplyToMergedTicket(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, testdb.URL(t, dialect))
			ctx := context.Background()
			mb := helpdeskmail.Mailbox{Address: "support@msp.example", Host: "imap.msp.example", TLS: helpdeskmail.TLSImplicit, Username: "support", Password: "p", Enabled: true}
			if err := f.svc.AddMailbox(ctx, sys, &mb); err != nil {
				t.Fatal(err)
			}
			dup := f.newTicket(t, f.anne, "Imprimante")
			target := f.newTicket(t, f.bruno, "Impression impossible")
			if _, err := f.tickets.Merge(ctx, sys, dup.ID, target.ID); err != nil {
				t.Fatal(err)
			}
			subject := "Re: Imprimante [#" + strconv.FormatInt(dup.ID, 10) + "]"
			res, err := f.svc.Deliver(ctx, helpdeskmail.Delivery{MailboxID: mb.ID, UIDValidity: 1, UID: 1, Raw: eml("anne@alpha.example", subject, "", "Toujours rien.")})
			if err != nil || res.Outcome != helpdeskmail.OutcomeFollowup || res.TicketID != target.ID {
				t.Fatalf("reply to the duplicate: %+v, %v; want a followup on #%d", res, err, target.ID)
			}
			fs, _, err := f.tickets.Timeline(ctx, sys, target.ID)
			if err != nil || len(fs) == 0 || !strings.Contains(fs[len(fs)-1].Body, "Toujours rien.") {
				t.Fatalf("followups of the target: %+v, %v", fs, err)
			}
		})
	}
}
