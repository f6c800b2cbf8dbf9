package api

import "github.com/vigie-hq/vigie/internal/ticket"

// replyTemplateInput is the body of POST and PUT /helpdesk/templates: every
// field, as a PUT replaces the template.
type replyTemplateInput struct {
	Name     string `json:"name" doc:"required;Shown in the ticket page's template picker, at most 100 characters"`
	Language string `json:"language" doc:"required;fr or en"`
	Body     string `json:"body" doc:"required;Markdown; {{requester}} and {{ticket}} are replaced by the requester's name and the ticket's reference when inserted"`
}

func (a *API) listReplyTemplates(c *call) (any, error) {
	rows, err := a.d.Tickets.ReplyTemplates(c.r.Context(), c.scope)
	if err != nil {
		return nil, err
	}
	// Templates are few: one page, by name.
	if rows == nil {
		rows = []ticket.ReplyTemplate{}
	}
	return page[ticket.ReplyTemplate]{Data: rows}, nil
}

func (a *API) createReplyTemplate(c *call) (any, error) {
	var in replyTemplateInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rt := ticket.ReplyTemplate{Name: in.Name, Language: in.Language, Body: in.Body}
	if err := a.d.Tickets.SaveReplyTemplate(c.r.Context(), c.scope, &rt); err != nil {
		return nil, err
	}
	c.location("/helpdesk/templates", rt.ID)
	return rt, nil
}

func (a *API) putReplyTemplate(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in replyTemplateInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	rt := ticket.ReplyTemplate{ID: id, Name: in.Name, Language: in.Language, Body: in.Body}
	if err := a.d.Tickets.SaveReplyTemplate(c.r.Context(), c.scope, &rt); err != nil {
		return nil, err
	}
	return rt, nil
}

func (a *API) deleteReplyTemplate(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Tickets.DeleteReplyTemplate(c.r.Context(), c.scope, id)
}
