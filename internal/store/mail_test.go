package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
)

func TestMailLog(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			db := newTestDB(t, d)
			w := newWorld(t, db)
			ctx := context.Background()
			mk := func(clientID *int64, subject string) mail.Entry {
				t.Helper()
				e := mail.Entry{Created: time.Now().UTC().Truncate(time.Microsecond), ClientID: clientID, To: []string{"a@x.example", "b@y.example"},
					Subject: subject, Status: mail.StatusQueued, Raw: []byte("Subject: " + subject + "\r\n\r\nbody\r\n")}
				ok(t, db.CreateMail(ctx, &e))
				if e.ID == 0 {
					t.Fatal("CreateMail set no ID")
				}
				return e
			}
			staff := mk(nil, "staff")
			a := mk(&w.A.ID, "about A")
			b := mk(&w.B.ID, "about B")

			got := mailMust(db.Mail(ctx, sys, a.ID))(t)
			if got.Subject != "about A" || *got.ClientID != w.A.ID || strings.Join(got.To, " ") != "a@x.example b@y.example" ||
				got.Status != mail.StatusQueued || got.Sent != nil || !got.Created.Equal(a.Created) || !bytes.Equal(got.Raw, a.Raw) {
				t.Errorf("read back %+v, want %+v", got, a)
			}

			// Tenancy: a scope limited to client A sees A's mail only, not
			// mail about no client (staff password resets).
			for name, s := range w.limitedToA() {
				list := mailMust(db.Mails(ctx, s, mail.Filter{Limit: 10}))(t)
				if len(list) != 1 || list[0].ID != a.ID {
					t.Errorf("%s lists %v, want only A's", name, ids(list, mailID))
				}
				wantNotFound(t, name+" reads B's mail", mailErr(db.Mail(ctx, s, b.ID)))
				wantNotFound(t, name+" reads staff mail", mailErr(db.Mail(ctx, s, staff.ID)))
			}
			all := mailMust(db.Mails(ctx, tenant.Scope{UserID: 1, Role: tenant.RoleAdmin}, mail.Filter{Limit: 10}))(t)
			if got := ids(all, mailID); len(got) != 3 || got[0] != b.ID || got[2] != staff.ID {
				t.Errorf("admin lists %v, want all three newest first", got)
			}
			if all[0].Raw != nil {
				t.Error("Mails loaded the raw message")
			}

			// Filters and cursor.
			if got := ids(mailMust(db.Mails(ctx, sys, mail.Filter{ClientID: w.B.ID, Limit: 10}))(t), mailID); len(got) != 1 || got[0] != b.ID {
				t.Errorf("client filter gives %v", got)
			}
			if got := ids(mailMust(db.Mails(ctx, sys, mail.Filter{Before: b.ID, Limit: 1}))(t), mailID); len(got) != 1 || got[0] != a.ID {
				t.Errorf("cursor gives %v", got)
			}

			// queued → queued with an error → failed; queued → sent.
			long := strings.Repeat("é", 1500) // 3000 bytes: cut, still valid UTF-8
			ok(t, db.MailAttemptFailed(ctx, a.ID, 1, long, false))
			got = mailMust(db.Mail(ctx, sys, a.ID))(t)
			if got.Status != mail.StatusQueued || got.Attempts != 1 || len(got.LastError) > 2000 || !utf8.ValidString(got.LastError) {
				t.Errorf("after a failed try: status %q attempts %d error %d bytes", got.Status, got.Attempts, len(got.LastError))
			}
			ok(t, db.MailAttemptFailed(ctx, a.ID, 2, "550 no such user", true))
			got = mailMust(db.Mail(ctx, sys, a.ID))(t)
			if got.Status != mail.StatusFailed || got.Attempts != 2 || got.LastError != "550 no such user" {
				t.Errorf("after the last try: %+v", got)
			}
			at := time.Now().UTC().Truncate(time.Microsecond)
			ok(t, db.MailAttemptFailed(ctx, b.ID, 1, "451 later", false))
			ok(t, db.MailSent(ctx, b.ID, 2, "/data/mail/x.eml", at))
			got = mailMust(db.Mail(ctx, sys, b.ID))(t)
			if got.Status != mail.StatusSent || got.Attempts != 2 || got.LastError != "" || got.EMLPath != "/data/mail/x.eml" || got.Sent == nil || !got.Sent.Equal(at) {
				t.Errorf("after sending: %+v", got)
			}
			if got := ids(mailMust(db.Mails(ctx, sys, mail.Filter{Status: mail.StatusFailed, Limit: 10}))(t), mailID); len(got) != 1 || got[0] != a.ID {
				t.Errorf("status filter gives %v", got)
			}
			wantNotFound(t, "MailSent of a missing mail", db.MailSent(ctx, b.ID+100, 1, "", at))
			wantNotFound(t, "MailAttemptFailed of a missing mail", db.MailAttemptFailed(ctx, b.ID+100, 1, "x", true))
		})
	}
}

func mailID(e mail.Entry) int64 { return e.ID }

func mailErr[T any](_ T, err error) error { return err }

// mailMust(db.Mail(…))(t) returns the value or fails the test.
func mailMust[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var _ mail.Store = (*store.DB)(nil)
