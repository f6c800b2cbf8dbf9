package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
)

type auditPage struct {
	Entries []audit.Entry
	Clients []option
	Names   map[int64]string
	Next    string
	// Filtered tells "nothing matches" from "nothing yet".
	Filtered bool
}

// ClientName names an entry's client, "—" for entries about no client.
func (d auditPage) ClientName(id *int64) string {
	if id == nil {
		return "—"
	}
	if n, ok := d.Names[*id]; ok {
		return n
	}
	return "#" + itoa(*id)
}

func (h *Handler) auditList(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, s := r.Context(), p.Scope()
	if !s.Can(tenant.AuditRead) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "audit")
	q := r.URL.Query()
	v.Form.setValues(q)
	f := audit.Filter{Action: strings.TrimSpace(q.Get("action")), Before: cursor(r, "before"), Limit: pageSize + 1}
	f.ClientID = formID(q, "client")
	if t, ok := h.day(v, "from", q.Get("from")); ok {
		f.Since = t
	}
	if t, ok := h.day(v, "to", q.Get("to")); ok && !t.IsZero() {
		f.Until = t.AddDate(0, 0, 1) // the whole "to" day is included
	}
	d := auditPage{Filtered: f.Action != "" || f.ClientID != nil || !f.Since.IsZero() || !f.Until.IsZero() || f.Before != 0}
	cs, err := h.allClients(ctx, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Names = make(map[int64]string, len(cs))
	d.Clients = []option{{Value: "", Label: v.T("audit.all_clients")}}
	for _, c := range cs {
		d.Names[c.ID] = c.Name
		d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
	}
	if v.Form.HasErrors() {
		h.render(w, v, http.StatusUnprocessableEntity, "audit", d)
		return
	}
	entries, err := h.d.Journal.List(ctx, s, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		d.Next = nextPage(r, "before", entries[len(entries)-1].ID)
	}
	d.Entries = entries
	h.render(w, v, http.StatusOK, "audit", d)
}

// day parses a yyyy-mm-dd date (what <input type=date> sends) as the start
// of that day in the viewer's time zone; a bad one is a field error.
func (h *Handler) day(v *view, field, value string) (time.Time, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation("2006-01-02", value, v.loc)
	if err != nil {
		v.Form.add(field, "invalid_date", "")
		return time.Time{}, false
	}
	return t, true
}

type settingsPage struct {
	HasLogo   bool
	TimeZones []string
	Languages []option
}

func providerValues(p provider.Provider) url.Values {
	vals := url.Values{"name": {p.Name}, "legal_id": {p.LegalID}, "address": {p.Address}, "email": {p.Email}, "phone": {p.Phone}, "website": {p.Website}, "language": {p.Language}, "time_zone": {p.TimeZone}}
	if p.RequireStaffTOTP {
		vals.Set("require_staff_totp", "1")
	}
	return vals
}

func (h *Handler) settingsForm(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !p.Scope().Can(tenant.ProviderWrite) {
		h.forbidden(w, r)
		return
	}
	pr, err := h.d.Provider.Get(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "settings")
	v.Form.setValues(providerValues(pr))
	h.render(w, v, http.StatusOK, "settings", settingsPage{HasLogo: len(pr.Logo) > 0, TimeZones: timeZones, Languages: v.languageOptions(false)})
}

func (h *Handler) settingsSave(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := p.Scope()
	if !s.Can(tenant.ProviderWrite) {
		h.forbidden(w, r)
		return
	}
	old, err := h.d.Provider.Get(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The whole body is already bounded by the server (2 MiB), above the
	// largest logo accepted; nothing is spilled to disk below that.
	if err := r.ParseMultipartForm(4 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	vals := r.PostForm
	pr := provider.Provider{
		Name: vals.Get("name"), LegalID: vals.Get("legal_id"), Address: vals.Get("address"), Email: vals.Get("email"),
		Phone: vals.Get("phone"), Website: vals.Get("website"), Language: vals.Get("language"), TimeZone: vals.Get("time_zone"),
		RequireStaffTOTP: formBool(vals, "require_staff_totp"),
	}
	v := h.view(w, r, "settings")
	v.Form.setValues(vals)
	d := settingsPage{HasLogo: len(old.Logo) > 0, TimeZones: timeZones, Languages: v.languageOptions(false)}
	if formBool(vals, "remove_logo") {
		pr.Logo = []byte{} // empty, not nil: nil keeps the current logo
	}
	if r.MultipartForm != nil && len(r.MultipartForm.File["logo"]) > 0 {
		fh := r.MultipartForm.File["logo"][0]
		if fh.Size > 0 {
			f, err := fh.Open()
			if err != nil {
				h.fail(w, r, err)
				return
			}
			data, err := io.ReadAll(io.LimitReader(f, provider.MaxLogo+1))
			f.Close()
			if err != nil {
				h.fail(w, r, err)
				return
			}
			// The type is taken from the bytes, not from what the browser claims.
			pr.Logo, pr.LogoType = data, http.DetectContentType(data)
			if len(data) > provider.MaxLogo {
				v.Form.add("logo", "too_large", itoa(provider.MaxLogo))
			} else if pr.LogoType != "image/png" && pr.LogoType != "image/jpeg" {
				v.Form.add("logo", "invalid_image", "")
			}
		}
	}
	if v.Form.HasErrors() {
		h.render(w, v, http.StatusUnprocessableEntity, "settings", d)
		return
	}
	if err := h.d.Provider.Save(r.Context(), s, pr); err != nil {
		h.formFailed(w, v, "settings", d, err)
		return
	}
	h.redirect(w, r, "/settings", "flash.settings_saved")
}
