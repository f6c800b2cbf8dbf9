package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// TestInbox runs the helpdesk mail part of the store on both databases
// (kept beside the conformance table, which another change is editing).
func TestInbox(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			for _, tc := range []struct {
				name string
				run  func(*testing.T, *store.DB)
			}{
				{"mailboxes", testMailboxes},
				{"processed", testProcessed},
				{"routing lookups", testRoutingLookups},
				{"quarantine", testQuarantine},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, newTestDB(t, d)) })
			}
		})
	}
}

func mkMailbox(t *testing.T, db *store.DB) helpdeskmail.Mailbox {
	t.Helper()
	m := helpdeskmail.Mailbox{Name: "Support", Address: "support@msp.example", Host: "imap.msp.example", Port: 993, TLS: helpdeskmail.TLSImplicit, Username: "support", Password: "s3cret", Folder: "INBOX", Enabled: true}
	ok(t, db.CreateMailbox(t.Context(), &m))
	return m
}

func testMailboxes(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := mkMailbox(t, db)
	got := must(db.Mailbox(ctx, m.ID))(t)
	if got.Password != "s3cret" || got.TLS != helpdeskmail.TLSImplicit || !got.Enabled || got.MarkSeen || got.LastPolled != nil || !got.Created.Equal(m.Created) {
		t.Errorf("mailbox read back as %+v", got)
	}
	m.Folder, m.Enabled, m.MarkSeen = "Support/Inbox", false, true
	ok(t, db.UpdateMailbox(ctx, &m))
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	ok(t, db.MailboxPolled(ctx, m.ID, at, "login: NO"))
	list := must(db.Mailboxes(ctx))(t)
	if len(list) != 1 || list[0].Folder != "Support/Inbox" || list[0].Enabled || !list[0].MarkSeen || list[0].LastPolled == nil || !list[0].LastPolled.Equal(at) || list[0].LastError != "login: NO" {
		t.Errorf("mailboxes = %+v", list)
	}
	wantNotFound(t, "update a missing mailbox", db.UpdateMailbox(ctx, &helpdeskmail.Mailbox{ID: 999}))
}

func testProcessed(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := mkMailbox(t, db)
	if n := must(db.LastUID(ctx, m.ID, 7))(t); n != 0 {
		t.Errorf("LastUID of an empty mailbox = %d", n)
	}
	for _, uid := range []uint32{3, 4294967295, 10} {
		ok(t, db.AddProcessed(ctx, helpdeskmail.Processed{MailboxID: m.ID, UIDValidity: 7, UID: uid, MessageID: "m" + string(rune('a'+uid%26)) + "@x", Outcome: helpdeskmail.OutcomeTicket}))
	}
	ok(t, db.AddProcessed(ctx, helpdeskmail.Processed{MailboxID: m.ID, UIDValidity: 8, UID: 50, Outcome: helpdeskmail.OutcomeIgnored}))
	if n := must(db.LastUID(ctx, m.ID, 7))(t); n != 4294967295 {
		t.Errorf("LastUID = %d, want the largest UID of that UIDVALIDITY", n)
	}
	if n := must(db.LastUID(ctx, m.ID, 8))(t); n != 50 {
		t.Errorf("LastUID(8) = %d", n)
	}
	if !must(db.Processed(ctx, m.ID, 7, 10))(t) || must(db.Processed(ctx, m.ID, 8, 10))(t) {
		t.Error("Processed does not tell UIDs apart by UIDVALIDITY")
	}
	if !must(db.MessageSeen(ctx, "md@x"))(t) || must(db.MessageSeen(ctx, "nope@x"))(t) || must(db.MessageSeen(ctx, ""))(t) {
		t.Error("MessageSeen wrong")
	}
	err := db.AddProcessed(ctx, helpdeskmail.Processed{MailboxID: m.ID, UIDValidity: 7, UID: 10, Outcome: helpdeskmail.OutcomeTicket})
	if !errors.Is(err, fault.ErrConflict) {
		t.Errorf("the same UID twice: %v, want ErrConflict", err)
	}
}

func testRoutingLookups(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	cs := must(db.ContactsByEmail(ctx, "Anne@Alpha.example"))(t)
	if len(cs) != 1 || cs[0].ID != w.contactA.ID {
		t.Errorf("ContactsByEmail = %+v", cs)
	}
	if cs := must(db.ContactsByEmail(ctx, ""))(t); len(cs) != 0 {
		t.Errorf("the empty address matches %d contacts", len(cs))
	}
	name, lang, err := db.ClientInfo(ctx, w.B.ID)
	if err != nil || name != "Bravo SAS" || lang != "fr" {
		t.Errorf("ClientInfo = %q %q %v", name, lang, err)
	}
	r := helpdeskmail.DomainRule{Domain: "alpha.example", ClientID: w.A.ID}
	ok(t, db.CreateDomainRule(ctx, &r))
	wantConflict(t, "a domain twice", db.CreateDomainRule(ctx, &helpdeskmail.DomainRule{Domain: "alpha.example", ClientID: w.B.ID}), "domain")
	ok(t, db.CreateDomainRule(ctx, &helpdeskmail.DomainRule{Domain: "bravo.example", ClientID: w.B.ID}))
	got := must(db.DomainRule(ctx, "alpha.example"))(t)
	if got.ClientID != w.A.ID || got.ClientName != "Alpha SARL" {
		t.Errorf("DomainRule = %+v", got)
	}
	_, err = db.DomainRule(ctx, "nowhere.example")
	wantNotFound(t, "rule of an unknown domain", err)
	if rs := must(db.DomainRules(ctx, w.techA.Scope()))(t); len(rs) != 1 || rs[0].Domain != "alpha.example" {
		t.Errorf("technician of A sees rules %+v", rs)
	}
	wantNotFound(t, "technician of A deletes B's rule", db.DeleteDomainRule(ctx, w.techA.Scope(), must(db.DomainRule(ctx, "bravo.example"))(t).ID))
	ok(t, db.DeleteDomainRule(ctx, sys, r.ID))
	if rs := must(db.DomainRules(ctx, sys))(t); len(rs) != 1 {
		t.Errorf("rules after delete: %+v", rs)
	}
}

func testQuarantine(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	m := mkMailbox(t, db)
	raw := []byte("From: x@y.example\r\n\r\nhello\x00\xff")
	unknown := helpdeskmail.Quarantined{MailboxID: &m.ID, MessageID: "a@y", From: "x@y.example", Subject: "Hi", Reason: "unknown sender", Status: helpdeskmail.QuarantinePending, Raw: raw}
	ok(t, db.AddQuarantined(ctx, &unknown))
	ofA := helpdeskmail.Quarantined{From: "new@alpha.example", Reason: "unknown contact", Status: helpdeskmail.QuarantinePending, ClientID: &w.A.ID, Raw: []byte{}}
	ok(t, db.AddQuarantined(ctx, &ofA))
	auto := helpdeskmail.Quarantined{From: "anne@alpha.example", Reason: "automatic reply", Status: helpdeskmail.QuarantineIgnored, Raw: []byte{}}
	ok(t, db.AddQuarantined(ctx, &auto))

	pending := func(s tenant.Scope) []int64 {
		qs := must(db.QuarantinedMessages(ctx, s, helpdeskmail.QuarantineFilter{Status: helpdeskmail.QuarantinePending, Limit: 10}))(t)
		for _, q := range qs {
			if q.Raw != nil {
				t.Error("list carries raw messages")
			}
		}
		return ids(qs, func(q helpdeskmail.Quarantined) int64 { return q.ID })
	}
	if got := pending(sys); len(got) != 2 || got[0] != ofA.ID || got[1] != unknown.ID {
		t.Errorf("pending for system = %v", got)
	}
	if got := pending(w.techA.Scope()); len(got) != 1 || got[0] != ofA.ID {
		t.Errorf("pending for a technician of A = %v", got)
	}
	if got := pending(w.userA.Scope()); len(got) != 0 {
		t.Errorf("a client sees the quarantine: %v", got)
	}
	got := must(db.QuarantinedMessage(ctx, sys, unknown.ID))(t)
	if string(got.Raw) != string(raw) || got.MailboxID == nil || *got.MailboxID != m.ID || got.Reason != "unknown sender" || !got.Received.Equal(unknown.Received) {
		t.Errorf("quarantined message read back as %+v", got)
	}
	_, err := db.QuarantinedMessage(ctx, w.techA.Scope(), unknown.ID)
	wantNotFound(t, "a technician of A reads a message of no client", err)

	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	ok(t, db.ResolveQuarantined(ctx, auto.ID, helpdeskmail.QuarantineDiscarded, w.manager.ID, nil, at))
	wantNotFound(t, "resolve twice", db.ResolveQuarantined(ctx, auto.ID, helpdeskmail.QuarantineReleased, w.manager.ID, nil, at))
	d := must(db.QuarantinedMessage(ctx, sys, auto.ID))(t)
	if d.Status != helpdeskmail.QuarantineDiscarded || d.ResolvedBy == nil || *d.ResolvedBy != w.manager.ID || d.Resolved == nil || !d.Resolved.Equal(at) {
		t.Errorf("discarded message = %+v", d)
	}
}
