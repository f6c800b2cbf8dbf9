package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// registerNotify adds the pages of notification channels (staff who define
// supervision only).
func (h *Handler) registerNotify(rt *router.Router) {
	rt.HandleFunc("GET /supervision/channels", h.channelList)
	rt.HandleFunc("POST /supervision/channels", h.channelCreate)
	rt.HandleFunc("GET /supervision/channels/{id}", h.channelEdit)
	rt.HandleFunc("POST /supervision/channels/{id}", h.channelUpdate)
	rt.HandleFunc("POST /supervision/channels/{id}/delete", h.channelDelete)
	rt.HandleFunc("POST /supervision/channels/{id}/test", h.channelTest)
}

// NotifyOn reports whether the notification channel pages are served.
func (v *view) NotifyOn() bool { return v.h.d.Notify != nil }

// channelRow is one channel of the list.
type channelRow struct {
	Channel notify.Channel
	Client  string
	Rules   string
}

// channelChoices are the options of the channel form.
type channelChoices struct {
	Clients, Kinds, MinStates, Hours, Events []option
}

type channelListPage struct {
	channelChoices
	Rows []channelRow
}

type channelEditPage struct {
	channelChoices
	Channel notify.Channel
	Client  string
	// Secret is a webhook's secret, shown on the page that created it only.
	Secret   string
	Activity notify.Activity
}

func (v *view) channelChoices(clients []option) channelChoices {
	c := channelChoices{Clients: clients}
	for _, k := range notify.Kinds {
		c.Kinds = append(c.Kinds, option{Value: string(k), Label: v.T("notifyweb.kind." + string(k))})
	}
	for _, m := range notify.MinStates {
		c.MinStates = append(c.MinStates, option{Value: string(m), Label: v.T("notifyweb.min_state." + string(m))})
	}
	for _, hr := range notify.HoursChoices {
		c.Hours = append(c.Hours, option{Value: string(hr), Label: v.T("notifyweb.hours." + string(hr))})
	}
	c.Events = []option{{Value: "problems", Label: v.T("notifyweb.events.problems")}, {Value: "recoveries", Label: v.T("notifyweb.events.recoveries")}}
	return c
}

// channelClients are the clients a new channel may be for: every client
// ("") for staff who see them all, then each client the caller may write to.
func (h *Handler) channelClients(ctx context.Context, v *view, s tenant.Scope) ([]option, map[int64]string, error) {
	cs, err := h.allClients(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	var out []option
	if s.AllClients() {
		out = append(out, option{Value: "", Label: v.T("notifyweb.all_clients")})
	}
	names := map[int64]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
		if s.CanOn(tenant.SupervisionWrite, c.ID) {
			out = append(out, option{Value: itoa(c.ID), Label: c.Name})
		}
	}
	return out, names, nil
}

// channelRules sums up when a channel is told: "CRITICAL only, business hours, problems".
func (v *view) channelRules(c notify.Channel) string {
	parts := []string{v.T("notifyweb.min_state." + string(c.MinState)), v.T("notifyweb.hours." + string(c.Hours))}
	switch {
	case c.OnProblems && c.OnRecoveries:
		parts = append(parts, v.T("notifyweb.events.both"))
	case c.OnProblems:
		parts = append(parts, v.T("notifyweb.events.problems"))
	default:
		parts = append(parts, v.T("notifyweb.events.recoveries"))
	}
	return strings.Join(parts, " · ")
}

func (h *Handler) channelListData(ctx context.Context, v *view, s tenant.Scope) (channelListPage, error) {
	clients, names, err := h.channelClients(ctx, v, s)
	if err != nil {
		return channelListPage{}, err
	}
	d := channelListPage{channelChoices: v.channelChoices(clients)}
	chans, err := h.d.Notify.List(ctx, s, notify.ChannelFilter{})
	if err != nil {
		return d, err
	}
	for _, c := range chans {
		row := channelRow{Channel: c, Client: v.T("notifyweb.all_clients"), Rules: v.channelRules(c)}
		if c.ClientID != nil {
			row.Client = names[*c.ClientID]
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortStableFunc(d.Rows, func(a, b channelRow) int {
		if (a.Channel.ClientID == nil) != (b.Channel.ClientID == nil) {
			if a.Channel.ClientID == nil {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.Client), strings.ToLower(b.Client)), cmp.Compare(strings.ToLower(a.Channel.Name), strings.ToLower(b.Channel.Name)))
	})
	return d, nil
}

func (h *Handler) channelList(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "supervision")
	d, err := h.channelListData(r.Context(), v, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(url.Values{"kind": {string(notify.KindEmail)}, "min_state": {string(notify.MinWarning)}, "hours": {string(notify.HoursAlways)},
		"events": {"problems", "recoveries"}, "enabled": {"1"}})
	h.render(w, v, http.StatusOK, "supervision_channels", d)
}

// channelFromForm reads the fields of the channel form into c.
func channelFromForm(vals url.Values, c *notify.Channel) {
	c.Name = vals.Get("name")
	c.Kind = notify.Kind(vals.Get("kind"))
	c.Target = vals.Get("target")
	c.Secret = strings.TrimSpace(vals.Get("secret"))
	c.MinState = notify.MinState(vals.Get("min_state"))
	c.Hours = notify.Hours(vals.Get("hours"))
	c.OnProblems = slices.Contains(vals["events"], "problems")
	c.OnRecoveries = slices.Contains(vals["events"], "recoveries")
	c.Enabled = formBool(vals, "enabled")
}

func channelValues(c notify.Channel) url.Values {
	vals := url.Values{"name": {c.Name}, "kind": {string(c.Kind)}, "target": {c.Target}, "min_state": {string(c.MinState)}, "hours": {string(c.Hours)}}
	if c.OnProblems {
		vals.Add("events", "problems")
	}
	if c.OnRecoveries {
		vals.Add("events", "recoveries")
	}
	if c.Enabled {
		vals.Set("enabled", "1")
	}
	return vals
}

func (h *Handler) channelCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	var c notify.Channel
	channelFromForm(r.PostForm, &c)
	c.ClientID = formID(r.PostForm, "client_id")
	if err := h.d.Notify.Create(r.Context(), s, &c); err != nil {
		v := h.view(w, r, "supervision")
		v.Form.setValues(r.PostForm)
		d, derr := h.channelListData(r.Context(), v, s)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "supervision_channels", d, err)
		return
	}
	if c.Kind != notify.KindWebhook {
		h.redirect(w, r, channelPath(c.ID), "flash.notify.created", c.Name)
		return
	}
	// A webhook's secret is shown here once: it never travels in a cookie
	// nor appears again.
	v := h.view(w, r, "supervision")
	d, err := h.channelEditData(r.Context(), v, s, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Secret = c.Secret
	v.Form.setValues(channelValues(c))
	h.render(w, v, http.StatusCreated, "supervision_channels_edit", d)
}

func channelPath(id int64) string { return "/supervision/channels/" + itoa(id) }

func (h *Handler) channelEditData(ctx context.Context, v *view, s tenant.Scope, c notify.Channel) (channelEditPage, error) {
	d := channelEditPage{channelChoices: v.channelChoices(nil), Channel: c, Client: v.T("notifyweb.all_clients")}
	var err error
	if d.Activity, err = h.d.Notify.Activity(ctx, s, c.ID); err != nil {
		return d, err
	}
	if c.ClientID != nil {
		cl, err := h.d.Clients.Get(ctx, s, *c.ClientID)
		if err != nil {
			return d, err
		}
		d.Client = cl.Name
	}
	return d, nil
}

func (h *Handler) channelLoad(w http.ResponseWriter, r *http.Request) (notify.Channel, tenant.Scope, bool) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return notify.Channel{}, s, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return notify.Channel{}, s, false
	}
	c, err := h.d.Notify.Get(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return c, s, false
	}
	return c, s, true
}

func (h *Handler) channelEdit(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.channelLoad(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "supervision")
	d, err := h.channelEditData(r.Context(), v, s, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(channelValues(c))
	h.render(w, v, http.StatusOK, "supervision_channels_edit", d)
}

func (h *Handler) channelUpdate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, s, ok := h.channelLoad(w, r)
	if !ok {
		return
	}
	old := c
	channelFromForm(r.PostForm, &c)
	typed := c.Secret != ""
	if err := h.d.Notify.Update(r.Context(), s, &c); err != nil {
		v := h.view(w, r, "supervision")
		v.Form.setValues(r.PostForm)
		d, derr := h.channelEditData(r.Context(), v, s, old)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.formFailed(w, v, "supervision_channels_edit", d, err)
		return
	}
	if old.Kind != notify.KindWebhook && c.Kind == notify.KindWebhook && !typed {
		// It just became a webhook: its generated secret is shown this once.
		v := h.view(w, r, "supervision")
		d, err := h.channelEditData(r.Context(), v, s, c)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Secret = c.Secret
		v.Form.setValues(channelValues(c))
		h.render(w, v, http.StatusOK, "supervision_channels_edit", d)
		return
	}
	h.redirect(w, r, channelPath(c.ID), "flash.notify.saved", c.Name)
}

func (h *Handler) channelDelete(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, s, ok := h.channelLoad(w, r)
	if !ok {
		return
	}
	if err := h.d.Notify.Delete(r.Context(), s, c.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/supervision/channels", "flash.notify.deleted", c.Name)
}

func (h *Handler) channelTest(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, s, ok := h.channelLoad(w, r)
	if !ok {
		return
	}
	res, err := h.d.Notify.Test(r.Context(), s, c.ID)
	switch {
	case err != nil:
		h.fail(w, r, err)
	case !res.OK:
		msg := res.Error
		if utf8.RuneCountInString(msg) > 300 {
			msg = string([]rune(msg)[:299]) + "…"
		}
		h.redirect(w, r, channelPath(c.ID), "flash.warn.notify.test_failed", msg)
	case res.Queued:
		h.redirect(w, r, channelPath(c.ID), "flash.notify.test_queued", c.Target)
	default:
		h.redirect(w, r, channelPath(c.ID), "flash.notify.test_sent")
	}
}
