package ticket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// ReplyTemplate is a canned reply of the provider's staff. Its Markdown body
// may hold {{requester}} and {{ticket}}, replaced by Fill.
type ReplyTemplate struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Language string    `json:"language"` // fr or en
	Body     string    `json:"body"`
	Updated  time.Time `json:"updated_at"`
}

// Fill returns the body with its placeholders replaced by the requester's
// name and the ticket's reference.
func (rt ReplyTemplate) Fill(requester, ticket string) string {
	return strings.NewReplacer("{{requester}}", requester, "{{ticket}}", ticket).Replace(rt.Body)
}

// ReplyTemplates lists the reply templates (staff only).
func (svc *Service) ReplyTemplates(ctx context.Context, s tenant.Scope) ([]ReplyTemplate, error) {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return nil, fault.ErrForbidden
	}
	return svc.store.ReplyTemplates(ctx)
}

// SaveReplyTemplate creates (ID 0) or replaces a reply template.
func (svc *Service) SaveReplyTemplate(ctx context.Context, s tenant.Scope, rt *ReplyTemplate) error {
	if !s.Can(tenant.HelpdeskAdmin) {
		return fault.ErrForbidden
	}
	var v fault.Invalid
	rt.Name = v.Text("name", rt.Name, 100, true, false)
	rt.Body = v.Text("body", rt.Body, 20000, true, true)
	v.OneOf("language", rt.Language, "fr", "en")
	if err := v.Err(); err != nil {
		return err
	}
	rt.Updated = svc.clock()
	action := "helpdesk.reply_template_update"
	if rt.ID == 0 {
		action = "helpdesk.reply_template_create"
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.SaveReplyTemplate(ctx, rt); err != nil {
			if errors.Is(err, fault.ErrConflict) {
				return fault.Conflict("name")
			}
			return fmt.Errorf("save reply template: %w", err)
		}
		return svc.journal.Record(ctx, audit.Entry{Action: action, Object: audit.Object("reply_template", rt.ID), Summary: rt.Name})
	})
}

// DeleteReplyTemplate removes a reply template.
func (svc *Service) DeleteReplyTemplate(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.HelpdeskAdmin) {
		return fault.ErrForbidden
	}
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteReplyTemplate(ctx, id); err != nil {
			return err
		}
		return svc.journal.Record(ctx, audit.Entry{Action: "helpdesk.reply_template_delete", Object: audit.Object("reply_template", id)})
	})
}
