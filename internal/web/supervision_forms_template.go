package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// sfTemplateRow is one template of the list with what it applies to.
type sfTemplateRow struct {
	Template supervision.Template
	Client   string // "" for every client
	Checks   int
}

type sfTemplateListPage struct {
	Rows     []sfTemplateRow
	CanWrite bool
}

type sfTemplateFormPage struct {
	sfRuleOptions
	Template supervision.Template
	New      bool
	Clients  []option
	Matches  []option // asset kinds
	OSes     []option
	// Checks counts the checks the template applies now.
	Checks int
}

// sfReadScope returns the caller's scope if they may read supervision.
func (h *Handler) sfReadScope(w http.ResponseWriter, r *http.Request) (tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return tenant.Scope{}, false
	}
	s := p.Scope()
	if !s.Can(tenant.SupervisionRead) {
		h.forbidden(w, r)
		return s, false
	}
	return s, true
}

// sfTemplateChecks counts the checks a template applies.
func (h *Handler) sfTemplateChecks(ctx context.Context, s tenant.Scope, id int64) (int, error) {
	cs, err := h.d.Supervision.Checks(ctx, s, supervision.CheckFilter{TemplateID: id})
	return len(cs), err
}

func (h *Handler) sfTemplateList(w http.ResponseWriter, r *http.Request) {
	// Templates are the provider's tooling: staff only.
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	ts, err := h.d.Supervision.Templates(ctx, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names, err := h.clientNames(ctx, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := sfTemplateListPage{CanWrite: true}
	for _, t := range ts {
		row := sfTemplateRow{Template: t}
		if t.ClientID != nil {
			row.Client = names[*t.ClientID]
		}
		if row.Checks, err = h.sfTemplateChecks(ctx, s, t.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortStableFunc(d.Rows, func(a, b sfTemplateRow) int {
		return cmp.Compare(strings.ToLower(a.Template.Name), strings.ToLower(b.Template.Name))
	})
	h.render(w, h.view(w, r, "supervision"), http.StatusOK, "supervision_templates", d)
}

func (h *Handler) sfTemplateData(ctx context.Context, v *view, s tenant.Scope, t supervision.Template) (sfTemplateFormPage, error) {
	d := sfTemplateFormPage{sfRuleOptions: v.sfRuleOptions(), Template: t, New: t.ID == 0}
	cs, err := h.allClients(ctx, s)
	if err != nil {
		return d, err
	}
	if s.AllClients() {
		d.Clients = []option{{Value: "", Label: v.T("supform.template.all_clients")}}
	}
	for _, c := range cs {
		d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
	}
	d.Matches = append([]option{{Value: "", Label: v.T("supform.template.any")}}, v.kindOptions()...)
	d.OSes = []option{{Value: "", Label: v.T("supform.template.any")}}
	for _, os := range []string{"linux", "windows", "darwin"} {
		d.OSes = append(d.OSes, option{Value: os, Label: v.OSLabel(os)})
	}
	if t.ID != 0 {
		if d.Checks, err = h.sfTemplateChecks(ctx, s, t.ID); err != nil {
			return d, err
		}
	}
	return d, nil
}

func sfTemplateValues(t supervision.Template) url.Values {
	vals := sfRulesValues(t.Rules)
	vals.Set("name", t.Name)
	if t.ClientID != nil {
		vals.Set("client_id", itoa(*t.ClientID))
	}
	vals.Set("match_kind", t.MatchKind)
	vals.Set("match_os", t.MatchOS)
	vals.Set("match_tag", t.MatchTag)
	if t.Enabled {
		vals.Set("enabled", "1")
	}
	return vals
}

func sfTemplateFromForm(vals url.Values, t *supervision.Template) *fault.Invalid {
	rules, inv := sfRulesFromForm(vals)
	t.Rules = rules
	t.Name = vals.Get("name")
	t.ClientID = formID(vals, "client_id")
	t.MatchKind = vals.Get("match_kind")
	t.MatchOS = vals.Get("match_os")
	t.MatchTag = strings.ToLower(strings.TrimSpace(vals.Get("match_tag")))
	t.Enabled = formBool(vals, "enabled")
	return inv
}

func (h *Handler) sfTemplateNew(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "supervision")
	t := supervision.Template{Rules: sfDefaultRules(supervision.KindFilesystem), Enabled: true}
	t.Params.Warning, t.Params.Critical = 85, 95
	d, err := h.sfTemplateData(r.Context(), v, s, t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(sfTemplateValues(t))
	h.render(w, v, http.StatusOK, "supervision_template_form", d)
}

func (h *Handler) sfTemplateCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	var t supervision.Template
	inv := sfTemplateFromForm(r.PostForm, &t)
	var err error
	if len(inv.Fields) > 0 {
		err = inv
	} else {
		err = h.d.Supervision.CreateTemplate(r.Context(), s, &t)
	}
	if err != nil {
		h.sfTemplateFailed(w, r, s, t, err)
		return
	}
	h.sfTemplateSaved(w, r, s, t, "flash.supform.template_created")
}

// sfTemplateSaved redirects to the template saying how many checks it now
// applies (the service applied it on save).
func (h *Handler) sfTemplateSaved(w http.ResponseWriter, r *http.Request, s tenant.Scope, t supervision.Template, key string) {
	n, err := h.sfTemplateChecks(r.Context(), s, t.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, sfTemplatePath(t.ID), key, t.Name, itoa(int64(n)))
}

func (h *Handler) sfTemplateFailed(w http.ResponseWriter, r *http.Request, s tenant.Scope, t supervision.Template, err error) {
	v := h.view(w, r, "supervision")
	v.Form.setValues(r.PostForm)
	d, derr := h.sfTemplateData(r.Context(), v, s, t)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	h.formFailed(w, v, "supervision_template_form", d, sfRename(err, sfRuleField))
}

func (h *Handler) sfLoadTemplate(w http.ResponseWriter, r *http.Request) (supervision.Template, tenant.Scope, bool) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return supervision.Template{}, s, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return supervision.Template{}, s, false
	}
	t, err := h.d.Supervision.Template(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return t, s, false
	}
	return t, s, true
}

func (h *Handler) sfTemplateEdit(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.sfLoadTemplate(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "supervision")
	d, err := h.sfTemplateData(r.Context(), v, s, t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(sfTemplateValues(t))
	h.render(w, v, http.StatusOK, "supervision_template_form", d)
}

func (h *Handler) sfTemplateUpdate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	t, s, ok := h.sfLoadTemplate(w, r)
	if !ok {
		return
	}
	inv := sfTemplateFromForm(r.PostForm, &t)
	var err error
	if len(inv.Fields) > 0 {
		err = inv
	} else {
		err = h.d.Supervision.UpdateTemplate(r.Context(), s, &t)
	}
	if err != nil {
		h.sfTemplateFailed(w, r, s, t, err)
		return
	}
	h.sfTemplateSaved(w, r, s, t, "flash.supform.template_saved")
}

func (h *Handler) sfTemplateDelete(w http.ResponseWriter, r *http.Request) {
	t, s, ok := h.sfLoadTemplate(w, r)
	if !ok {
		return
	}
	if err := h.d.Supervision.DeleteTemplate(r.Context(), s, t.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/supervision/templates", "flash.supform.template_deleted", t.Name)
}

func sfTemplatePath(id int64) string { return "/supervision/templates/" + itoa(id) }
