package ticket_test

import (
	"errors"
	"testing"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestReplyTemplates(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		mctx, ms := e.as(t, e.manager)
		hello := ticket.ReplyTemplate{Name: "Bonjour", Language: "fr", Body: "Bonjour {{requester}}, ticket {{ticket}}."}
		if err := e.svc.SaveReplyTemplate(mctx, ms, &hello); err != nil {
			t.Fatal(err)
		}
		hi := ticket.ReplyTemplate{Name: "Bonjour", Language: "en", Body: "Hello {{requester}}."}
		if err := e.svc.SaveReplyTemplate(mctx, ms, &hi); err != nil {
			t.Fatalf("same name in another language: %v", err)
		}
		for _, tc := range []struct {
			name  string
			rt    ticket.ReplyTemplate
			field string
		}{
			{"no name", ticket.ReplyTemplate{Language: "fr", Body: "x"}, "name"},
			{"no body", ticket.ReplyTemplate{Name: "x", Language: "fr"}, "body"},
			{"unknown language", ticket.ReplyTemplate{Name: "x", Language: "de", Body: "x"}, "language"},
		} {
			wantInvalid(t, tc.name, e.svc.SaveReplyTemplate(mctx, ms, &tc.rt), tc.field)
		}
		dup := ticket.ReplyTemplate{Name: "bonjour", Language: "fr", Body: "x"}
		if err := e.svc.SaveReplyTemplate(mctx, ms, &dup); fault.ConflictField(err) != "name" {
			t.Errorf("duplicate name = %v, want a conflict on name", err)
		}

		// Technicians read the templates but do not edit them; clients do neither.
		tctx, ts := e.as(t, e.techA)
		got, err := e.svc.ReplyTemplates(tctx, ts)
		if err != nil || len(got) != 2 || got[0].ID != hi.ID || got[1].ID != hello.ID {
			t.Fatalf("ReplyTemplates = %+v, %v", got, err)
		}
		if got[1].Fill("Carl", "#12") != "Bonjour Carl, ticket #12." {
			t.Errorf("Fill = %q", got[1].Fill("Carl", "#12"))
		}
		edit := hello
		edit.Body = "changed"
		if err := e.svc.SaveReplyTemplate(tctx, ts, &edit); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("technician edits = %v, want ErrForbidden", err)
		}
		if err := e.svc.DeleteReplyTemplate(tctx, ts, hello.ID); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("technician deletes = %v, want ErrForbidden", err)
		}
		cctx, cs := e.as(t, e.adminA)
		if _, err := e.svc.ReplyTemplates(cctx, cs); !errors.Is(err, fault.ErrForbidden) {
			t.Errorf("client admin lists = %v, want ErrForbidden", err)
		}

		if err := e.svc.SaveReplyTemplate(mctx, ms, &edit); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteReplyTemplate(mctx, ms, hi.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteReplyTemplate(mctx, ms, hi.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("deleting twice = %v, want ErrNotFound", err)
		}
		missing := ticket.ReplyTemplate{ID: hi.ID, Name: "x", Language: "en", Body: "x"}
		if err := e.svc.SaveReplyTemplate(mctx, ms, &missing); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("updating a deleted template = %v, want ErrNotFound", err)
		}
		got, err = e.svc.ReplyTemplates(mctx, ms)
		if err != nil || len(got) != 1 || got[0].Body != "changed" {
			t.Errorf("after edit and delete: %+v, %v", got, err)
		}
	})
}
