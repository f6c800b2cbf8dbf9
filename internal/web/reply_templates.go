package web

import (
	"context"
	"net/http"

	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// replyTemplatesPage is the data of GET /helpdesk/templates.
type replyTemplatesPage struct {
	Templates []ticket.ReplyTemplate
	Languages []option
}

func (h *Handler) replyTemplatesPage(ctx context.Context, v *view, s tenant.Scope) (replyTemplatesPage, error) {
	rows, err := h.d.Tickets.ReplyTemplates(ctx, s)
	if err != nil {
		return replyTemplatesPage{}, err
	}
	return replyTemplatesPage{Templates: rows, Languages: replyLanguages}, nil
}

func (h *Handler) replyTemplateList(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "helpdesk")
	d, err := h.replyTemplatesPage(r.Context(), v, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Form.Get("language") == "" {
		v.Form.setValues(map[string][]string{"language": {v.Lang}})
	}
	h.render(w, v, http.StatusOK, "helpdesk_templates", d)
}

func (h *Handler) replyTemplateCreate(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	rt := ticket.ReplyTemplate{Name: r.PostForm.Get("name"), Language: r.PostForm.Get("language"), Body: r.PostForm.Get("body")}
	if err := h.d.Tickets.SaveReplyTemplate(r.Context(), s, &rt); err != nil {
		v := h.view(w, r, "helpdesk")
		v.Form.setValues(r.PostForm)
		d, derr := h.replyTemplatesPage(r.Context(), v, s)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "helpdesk_templates", d, err)
		return
	}
	h.redirect(w, r, "/helpdesk/templates", "flash.reply_template_created", rt.Name)
}

func (h *Handler) replyTemplateDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.d.Tickets.DeleteReplyTemplate(r.Context(), s, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/helpdesk/templates", "flash.reply_template_deleted")
}

// replyTemplateEditPage is the data of GET /helpdesk/templates/{id}/edit.
type replyTemplateEditPage struct {
	Template  ticket.ReplyTemplate
	Languages []option
}

// replyTemplateOf loads the template of the path (404 when there is none).
func (h *Handler) replyTemplateOf(w http.ResponseWriter, r *http.Request, s tenant.Scope) (ticket.ReplyTemplate, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return ticket.ReplyTemplate{}, false
	}
	rows, err := h.d.Tickets.ReplyTemplates(r.Context(), s)
	if err != nil {
		h.fail(w, r, err)
		return ticket.ReplyTemplate{}, false
	}
	for _, rt := range rows {
		if rt.ID == id {
			return rt, true
		}
	}
	h.notFound(w, r)
	return ticket.ReplyTemplate{}, false
}

func (h *Handler) replyTemplateEdit(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok {
		return
	}
	rt, ok := h.replyTemplateOf(w, r, s)
	if !ok {
		return
	}
	v := h.view(w, r, "helpdesk")
	v.Form.setValues(map[string][]string{"name": {rt.Name}, "language": {rt.Language}, "body": {rt.Body}})
	h.render(w, v, http.StatusOK, "helpdesk_template_edit", replyTemplateEditPage{Template: rt, Languages: replyLanguages})
}

func (h *Handler) replyTemplateUpdate(w http.ResponseWriter, r *http.Request) {
	s, ok := h.helpdeskAdmin(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	old, ok := h.replyTemplateOf(w, r, s)
	if !ok {
		return
	}
	rt := ticket.ReplyTemplate{ID: old.ID, Name: r.PostForm.Get("name"), Language: r.PostForm.Get("language"), Body: r.PostForm.Get("body")}
	if err := h.d.Tickets.SaveReplyTemplate(r.Context(), s, &rt); err != nil {
		v := h.view(w, r, "helpdesk")
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "helpdesk_template_edit", replyTemplateEditPage{Template: old, Languages: replyLanguages}, err)
		return
	}
	h.redirect(w, r, "/helpdesk/templates", "flash.reply_template_saved", rt.Name)
}

// replyLanguages are the languages a reply template may be written in.
var replyLanguages = []option{{Value: "fr", Label: "Français"}, {Value: "en", Label: "English"}}

// replyOption is a reply template as the ticket page offers it: its body
// with the placeholders already replaced for this ticket.
type replyOption struct {
	Name, Language, Body string
}

// replyOptions are the reply templates for a ticket's staff reply box.
func (h *Handler) replyOptions(ctx context.Context, s tenant.Scope, t ticket.Ticket, requester string) ([]replyOption, error) {
	rows, err := h.d.Tickets.ReplyTemplates(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]replyOption, 0, len(rows))
	for _, rt := range rows {
		out = append(out, replyOption{Name: rt.Name, Language: rt.Language, Body: rt.Fill(requester, "#"+itoa(t.ID))})
	}
	return out, nil
}
