package store_test

import (
	"reflect"
	"testing"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// testAttachmentScoping checks that an attachment is read through its
// ticket's scope, and a private one by staff only.
func testAttachmentScoping(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	tkA := mkTicket(t, db, w.A.ID, "Alpha printer", func(tk *ticket.Ticket) { tk.RequesterID = &w.contactA.ID })
	tkB := mkTicket(t, db, w.B.ID, "Bravo printer", nil)
	note := ticket.Followup{TicketID: tkA.ID, Author: "Tina", AuthorID: &w.techA.ID, Public: false, Body: "private"}
	ok(t, db.AddFollowup(ctx, &note))
	add := func(ticketID int64, followup *int64, public bool, name string) attachment.Attachment {
		a := attachment.Attachment{TicketID: ticketID, FollowupID: followup, Name: name, DeclaredType: "text/plain", SniffedType: "text/plain; charset=utf-8",
			Size: 3, SHA256: "ab" + name, UploadedBy: &w.manager.ID, Created: m0, Public: public}
		ok(t, db.AddAttachment(ctx, &a))
		return a
	}
	pubA := add(tkA.ID, nil, true, "a.txt")
	privA := add(tkA.ID, &note.ID, false, "secret.txt")
	pubB := add(tkB.ID, nil, true, "b.txt")

	got, err := db.Attachment(ctx, w.manager.Scope(), privA.ID)
	ok(t, err)
	if !reflect.DeepEqual(got, privA) {
		t.Errorf("read back %+v, want %+v", got, privA)
	}
	clientUser := tenant.Scope{UserID: w.userA.ID, Role: tenant.RoleClientUser, ClientID: w.A.ID, ContactID: w.contactA.ID}
	for name, s := range w.limitedToA() {
		if _, err := db.Attachment(ctx, s, pubB.ID); err == nil {
			t.Errorf("%s reads B's attachment", name)
		}
	}
	_, err = db.Attachment(ctx, w.techA.Scope(), privA.ID)
	ok(t, err)
	wantNotFound(t, "client admin reads a private note's file", func() error { _, err := db.Attachment(ctx, w.userA.Scope(), privA.ID); return err }())
	_, err = db.Attachment(ctx, clientUser, pubA.ID)
	ok(t, err)
	list, err := db.Attachments(ctx, clientUser, tkA.ID)
	ok(t, err)
	if len(list) != 1 || list[0].ID != pubA.ID {
		t.Errorf("client user lists %+v", list)
	}
	list, err = db.Attachments(ctx, w.techA.Scope(), tkA.ID)
	ok(t, err)
	if len(list) != 2 {
		t.Errorf("staff lists %+v", list)
	}
	list, err = db.Attachments(ctx, w.techA.Scope(), tkB.ID)
	ok(t, err)
	if len(list) != 0 {
		t.Errorf("technician limited to A lists B's %+v", list)
	}
	public, author, err := db.FollowupOf(ctx, tkA.ID, note.ID)
	ok(t, err)
	if public || author == nil || *author != w.techA.ID {
		t.Errorf("FollowupOf = %v, %v", public, author)
	}
	_, _, err = db.FollowupOf(ctx, tkB.ID, note.ID)
	wantNotFound(t, "followup of another ticket", err)
}
