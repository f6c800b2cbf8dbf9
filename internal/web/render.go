package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

//go:embed templates
var templateFS embed.FS

// templates holds one parsed set per page: the layout and partials cloned,
// plus the page's own file, so pages may each define "title" and "content".
type templates struct {
	pages map[string]*template.Template
}

func parseTemplates(st *staticFiles) (*templates, error) {
	funcs := template.FuncMap{
		// static returns a file's URL with its content hash, so that it can be cached for a year.
		"static": st.url,
		"inc":    func(i int) int { return i + 1 },
		"join":   strings.Join,
	}
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		c, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := c.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		for _, need := range []string{"title", "content"} {
			if c.Lookup(need) == nil {
				return nil, fmt.Errorf("template %s: no %q defined", f, need)
			}
		}
		t.pages[name] = c
	}
	return t, nil
}

// view is what every template receives: the page's data plus what the
// layout needs (language, caller, provider, flash message, form state).
type view struct {
	h        *Handler
	r        *http.Request
	Lang     string
	User     *user.User
	Session  *auth.Session
	Provider provider.Provider
	loc      *time.Location
	// Section is the navigation entry to highlight.
	Section string
	Flash   *flash
	Form    *form
	// MFAGate is set for staff who must enrol a second factor first: the
	// navigation is hidden since every other page would send them back.
	MFAGate bool
	Data    any
}

// view builds the common part of a page. It reads (and clears) the flash
// message, so it must be called before anything is written.
func (h *Handler) view(w http.ResponseWriter, r *http.Request, section string) *view {
	v := &view{h: h, r: r, Section: section, Form: newForm(nil)}
	v.Form.v = v
	ctx := r.Context()
	p, signedIn := auth.PrincipalFrom(ctx)
	choice := ""
	if signedIn {
		u := p.User
		v.User = &u
		v.Session = p.Session
		choice = u.Language
		v.MFAGate = h.d.Auth.MFARequired(ctx, u)
	}
	if choice == "" {
		if c, err := r.Cookie(langCookie); err == nil {
			choice = c.Value
		}
	}
	v.Lang = h.msg.Pick(choice, r.Header.Get("Accept-Language"))
	if pr, err := h.d.Provider.Get(ctx); err == nil {
		v.Provider = pr
	} else if !errors.Is(err, fault.ErrNotFound) {
		h.log.Warn("load provider settings", "err", err)
	}
	v.loc = h.location(r, v)
	v.Flash = h.takeFlash(w, r)
	return v
}

// location is the time zone dates are shown in: a client user's company's,
// else the provider's, else Europe/Paris.
func (h *Handler) location(r *http.Request, v *view) *time.Location {
	tz := v.Provider.TimeZone
	if v.User != nil && v.User.ClientID != nil {
		if c, err := h.d.Clients.Get(r.Context(), v.User.Scope(), *v.User.ClientID); err == nil && c.TimeZone != "" {
			tz = c.TimeZone
		}
	}
	if tz == "" {
		tz = "Europe/Paris"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// T translates a message key into the page's language.
func (v *view) T(key string, args ...any) string { return v.h.msg.T(v.Lang, key, args...) }

// FieldLabel is the translated label of a form field.
func (v *view) FieldLabel(name string) string { return v.h.msg.Field(v.Lang, name) }

// Scope is the caller's tenant scope (zero for anonymous visitors).
func (v *view) Scope() tenant.Scope {
	if v.User == nil {
		return tenant.Scope{}
	}
	p, _ := auth.PrincipalFrom(v.r.Context())
	return p.Scope()
}

// Can reports whether the caller's role allows an action.
func (v *view) Can(action string) bool {
	return v.User != nil && v.Scope().Can(tenant.Action(action))
}

// CanOn reports whether the caller may do action on a client's data.
func (v *view) CanOn(action string, clientID int64) bool {
	return v.User != nil && v.Scope().CanOn(tenant.Action(action), clientID)
}

// CanCreateClient reports whether the caller may create clients: the
// service refuses staff limited to some clients, so the button is hidden too.
func (v *view) CanCreateClient() bool {
	return v.User != nil && v.Scope().Can(tenant.ClientWrite) && v.Scope().AllClients()
}

// HelpdeskOn reports whether the helpdesk pages are served.
func (v *view) HelpdeskOn() bool { return v.h.d.Tickets != nil }

// Staff reports whether the caller is provider staff.
func (v *view) Staff() bool { return v.User != nil && v.User.Role.Staff() }

// Date formats a moment in the viewer's time zone and language.
func (v *view) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(v.loc)
	if v.Lang == "fr" {
		return t.Format("02/01/2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// DatePtr formats an optional moment, "—" when unset.
func (v *view) DatePtr(t *time.Time) string {
	if t == nil {
		return v.T("common.never")
	}
	return v.Date(*t)
}

// ISO is the machine-readable form of a moment for <time datetime>.
func (v *view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ProviderName is the name in the top bar, "Vigie" until the provider is set up.
func (v *view) ProviderName() string {
	if v.Provider.Name != "" {
		return v.Provider.Name
	}
	return "Vigie"
}

// HasLogo reports whether the provider has a logo to show.
func (v *view) HasLogo() bool { return len(v.Provider.Logo) > 0 }

// Zone names the time zone dates are shown in.
func (v *view) Zone() string { return v.loc.String() }

// Role is the translated name of a role.
func (v *view) Role(r tenant.Role) string { return v.T("role." + string(r)) }

// LangName is the name of a language in that language.
func (v *view) LangName(l string) string {
	if l == "" {
		return v.T("account.language_browser")
	}
	return v.T("lang." + l)
}

// Here is the page's own address, where the language switcher comes back to.
func (v *view) Here() string {
	if v.r.Method != http.MethodGet {
		return "/"
	}
	return localPath(v.r.URL.RequestURI())
}

type navItem struct {
	Href, Label string
	Active      bool
}

// Nav lists the sections the caller may use, and only those: a link that
// would answer 403 is not shown.
func (v *view) Nav() []navItem {
	if v.User == nil || v.MFAGate {
		return nil
	}
	s := v.Scope()
	var items []navItem
	add := func(section, href, key string) {
		items = append(items, navItem{Href: href, Label: v.T(key), Active: v.Section == section})
	}
	if v.DashboardOn() && s.Can(tenant.ClientRead) {
		add("dashboard", "/dashboard", "dashboard.nav")
	}
	add("home", "/", "nav.home")
	if s.Can(tenant.TicketRead) && v.h.d.Tickets != nil {
		if v.Staff() {
			add("tickets", "/tickets", "nav.tickets")
		} else {
			add("tickets", "/tickets", "nav.requests")
		}
	}
	if s.Can(tenant.AssetRead) && v.h.d.Assets != nil {
		add("fleet", "/fleet", "nav.fleet")
	}
	if s.Can(tenant.SupervisionRead) && v.h.d.Supervision != nil {
		add("supervision", "/supervision", "nav.supervision")
	}
	if s.Can(tenant.ClientRead) {
		if v.User.ClientID != nil {
			add("clients", fmt.Sprintf("/clients/%d", *v.User.ClientID), "nav.company")
		} else {
			add("clients", "/clients", "nav.clients")
		}
	}
	if s.Can(tenant.StaffRead) {
		add("users", "/users", "nav.staff")
	}
	if s.Can(tenant.AuditRead) {
		add("audit", "/audit", "nav.audit")
	}
	if s.Can(tenant.MailRead) && v.h.hasMail() {
		add("mail", "/mail", "nav.mail")
	}
	switch {
	case s.Can(tenant.HelpdeskAdmin) && v.h.d.Tickets != nil:
		add("helpdesk", "/helpdesk/settings", "nav.helpdesk")
	case v.Staff() && s.Can(tenant.TicketWork) && v.HelpdeskMailOn():
		// Technicians triage the e-mail quarantine, the only helpdesk page
		// they may open.
		add("helpdesk", "/helpdesk/quarantine", "nav.quarantine")
	}
	if s.Can(tenant.ProviderWrite) {
		add("settings", "/settings", "nav.settings")
	}
	return items
}

// render writes a page with the layout. The page is built in a buffer so
// that a template error gives a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, v *view, status int, name string, data any) {
	t, ok := h.tmpl.pages[name]
	if !ok {
		h.log.Error("unknown template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Data = data
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("render page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// Pages carry personal data: never keep them in a shared cache.
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage describes one of the translated error pages.
type errorPage struct {
	Status  int
	Title   string
	Message string
}

// fail answers a request whose service call failed, mapping each kind of
// error to its status in one place.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var status int
	var key string
	switch {
	case errors.Is(err, fault.ErrNotFound):
		status, key = http.StatusNotFound, "not_found"
	case errors.Is(err, fault.ErrForbidden):
		status, key = http.StatusForbidden, "forbidden"
	case errors.Is(err, fault.ErrUnauthorized):
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/login?next="+urlEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		status, key = http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, fault.ErrThrottled):
		status, key = http.StatusTooManyRequests, "throttled"
	case errors.Is(err, fault.ErrConflict):
		status, key = http.StatusConflict, "conflict"
	default:
		var inv *fault.Invalid
		if errors.As(err, &inv) {
			status, key = http.StatusUnprocessableEntity, "invalid"
		} else {
			h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			status, key = http.StatusInternalServerError, "internal"
		}
	}
	v := h.view(w, r, "")
	h.render(w, v, status, "error", errorPage{Status: status, Title: v.T("errpage." + key + ".title"), Message: v.T("errpage." + key + ".text")})
}

// notFound answers 404 with the translated page.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) { h.fail(w, r, fault.ErrNotFound) }

// NotFound answers a path that no route matches with the translated 404 page.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) { h.notFound(w, r) }

// forbidden answers 403 with the translated page.
func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) { h.fail(w, r, fault.ErrForbidden) }

// formFailed re-renders a form after a failed submission: field errors
// (validation, or a value already taken) next to their fields with the
// user's input, any other failure through fail.
func (h *Handler) formFailed(w http.ResponseWriter, v *view, name string, data any, err error) {
	if inv, ok := fault.AsInvalid(err); ok {
		for _, f := range inv.Fields {
			v.Form.add(f.Field, f.Code, f.Param)
		}
		h.render(w, v, http.StatusUnprocessableEntity, name, data)
		return
	}
	if field := fault.ConflictField(err); field != "" {
		v.Form.add(field, "taken", "")
		h.render(w, v, http.StatusConflict, name, data)
		return
	}
	h.fail(w, v.r, err)
}

// principal returns the signed-in caller; routes that need one are guarded
// by the router, so its absence is a wiring mistake reported as 401.
func principal(r *http.Request) (auth.Principal, error) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return auth.Principal{}, fault.ErrUnauthorized
	}
	return p, nil
}

// flash is a one-time message shown after a redirect. Only a message key
// travels in the cookie, so a forged cookie can show nothing but our own texts.
type flash struct {
	Key  string   `json:"k"`
	Args []string `json:"a,omitempty"`
	Kind string   `json:"-"`
}

const flashCookie = "vigie_flash"

func (h *Handler) setFlash(w http.ResponseWriter, key string, args ...string) {
	b, _ := json.Marshal(flash{Key: key, Args: args})
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/", MaxAge: 60, HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteLaxMode})
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(raw, &f) != nil || !strings.HasPrefix(f.Key, "flash.") || !h.msg.Has(f.Key) || len(f.Args) > 3 {
		return nil
	}
	f.Kind = "success"
	if strings.HasPrefix(f.Key, "flash.warn.") {
		f.Kind = "warning"
	}
	return &f
}

// Text is the translated message of a flash.
func (v *view) FlashText() string {
	if v.Flash == nil {
		return ""
	}
	args := make([]any, len(v.Flash.Args))
	for i, a := range v.Flash.Args {
		args[i] = a
	}
	return v.T(v.Flash.Key, args...)
}

// redirect answers a successful POST: 303 to a page, with a flash message.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, to, flashKey string, args ...string) {
	if flashKey != "" {
		h.setFlash(w, flashKey, args...)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localPath returns target when it is a path on this server, else "/": a
// `next` parameter must not send a user who just signed in to another site.
// "//host" and "/\host" are taken by browsers as other hosts, so they are refused.
func localPath(target string) string {
	if len(target) == 0 || len(target) > 2000 || target[0] != '/' {
		return "/"
	}
	if len(target) > 1 && (target[1] == '/' || target[1] == '\\') {
		return "/"
	}
	for _, c := range target {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	return target
}

func urlEscape(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "?", "%3F", "=", "%3D").Replace(s)
}
