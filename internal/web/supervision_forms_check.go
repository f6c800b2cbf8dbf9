package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// sfCheckPage is the check form: a new check of an asset or an existing
// one. Without an asset chosen yet, PickAssets lists the assets to choose.
type sfCheckPage struct {
	sfRuleOptions
	Asset  asset.Asset
	Client client.Client
	Check  supervision.Check
	New    bool
	// Runners are the choices of "run by": the server or an asset of the
	// client with an agent.
	Runners []option
	// Template is set when a template manages the check: the page links
	// to it instead of offering the form.
	Template *supervision.Template
	// Push is the push URL of a backup_push check with examples.
	Push *sfPush
	// Picking is set when no asset was chosen: PickAssets are the choices.
	Picking    bool
	PickAssets []option
}

// sfPush is the address a backup script calls, with ready-to-copy calls.
type sfPush struct {
	URL      string
	Examples []installCommand
}

// sfDefaultRules are the rules a new check starts from.
func sfDefaultRules(kind supervision.Kind) supervision.Rules {
	return supervision.Rules{Kind: kind, Interval: 60, RetryInterval: 30, MaxAttempts: 3, RecoverAfter: 1,
		Severity: supervision.SeverityMajor, Ticket: supervision.TicketOpen}
}

func sfCheckValues(c supervision.Check) url.Values {
	vals := sfRulesValues(c.Rules)
	vals.Set("name", c.Name)
	if c.Enabled {
		vals.Set("enabled", "1")
	}
	if c.RunnerAssetID != nil {
		vals.Set("runner_asset_id", itoa(*c.RunnerAssetID))
	}
	return vals
}

// sfCheckFromForm fills a check from the form; the asset, client and
// template are the caller's to set.
func sfCheckFromForm(vals url.Values, c *supervision.Check) *fault.Invalid {
	rules, inv := sfRulesFromForm(vals)
	c.Rules = rules
	c.Name = vals.Get("name")
	c.Enabled = formBool(vals, "enabled")
	c.RunnerAssetID = nil
	if slices.Contains(strings.Fields(sfRunnerKinds), string(c.Kind)) {
		c.RunnerAssetID = formID(vals, "runner_asset_id")
	}
	return inv
}

// sfCheckData builds the form page of check c of asset a.
func (h *Handler) sfCheckData(ctx context.Context, r *http.Request, v *view, s tenant.Scope, a asset.Asset, c supervision.Check) (sfCheckPage, error) {
	d := sfCheckPage{sfRuleOptions: v.sfRuleOptions(), Asset: a, Check: c, New: c.ID == 0}
	var err error
	if d.Client, err = h.d.Clients.Get(ctx, s, a.ClientID); err != nil {
		return d, err
	}
	if c.TemplateID != nil {
		t, err := h.d.Supervision.Template(ctx, s, *c.TemplateID)
		if err != nil {
			return d, fmt.Errorf("load template %d: %w", *c.TemplateID, err)
		}
		d.Template = &t
		return d, nil
	}
	as, err := h.clientAssets(ctx, s, a.ClientID)
	if err != nil {
		return d, err
	}
	d.Runners = []option{{Value: "", Label: v.T("supform.runner.server")}}
	for _, x := range as {
		if x.Agent != nil && x.Agent.Status != asset.StatusRevoked {
			d.Runners = append(d.Runners, option{Value: itoa(x.ID), Label: x.Name})
		}
	}
	if c.Kind == supervision.KindBackupPush && c.PushToken != "" {
		d.Push = sfPushExamples(h.baseURL(r), c.PushToken)
	}
	return d, nil
}

// sfPushExamples are the calls a backup script makes to report a run
// (see api/push.go): the URL alone on success, /fail on failure, or /<exit
// code> of the backup command; duration in seconds, size in bytes and msg
// are optional.
func sfPushExamples(base, token string) *sfPush {
	u := base + supervision.PushPath(token)
	sh, ps := shellQuote, psQuote
	return &sfPush{URL: u, Examples: []installCommand{
		{"push-curl", "curl (Linux, macOS)", "sh", fmt.Sprintf(
			"# success, with duration (s), size (bytes) and a message\n"+
				"curl -fsS -m 30 --retry 3 --data-urlencode duration=1820 --data-urlencode size=52428800 \\\n"+
				"  --data-urlencode 'msg=nightly backup done' %s\n"+
				"# failure\n"+
				"curl -fsS -m 30 --retry 3 --data-urlencode 'msg=disk full' %s\n"+
				"# or the exit code of the backup command (0: success)\n"+
				"/usr/local/bin/backup.sh; curl -fsS -m 30 --retry 3 -X POST %s/$?",
			sh(u), sh(u+"/fail"), sh(u))},
		{"push-powershell", "PowerShell (Windows)", "powershell", fmt.Sprintf(
			"# success\n"+
				"Invoke-RestMethod -Method Post -Uri %s `\n"+
				"  -Body @{ duration = 1820; size = 52428800; msg = 'nightly backup done' }\n"+
				"# failure\n"+
				"Invoke-RestMethod -Method Post -Uri %s -Body @{ msg = 'disk full' }",
			ps(u), ps(u+"/fail"))},
		{"push-crontab", "crontab", "sh", fmt.Sprintf(
			"# every night at 02:00: run the backup, then report its exit code\n"+
				"0 2 * * * /usr/local/bin/backup.sh; curl -fsS -m 30 --retry 3 -X POST %s/$? >/dev/null",
			sh(u))},
	}}
}

// sfWriteScope returns the caller's scope if they may define supervision
// at all, else answers 403.
func (h *Handler) sfWriteScope(w http.ResponseWriter, r *http.Request) (tenant.Scope, bool) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return tenant.Scope{}, false
	}
	s := p.Scope()
	if !s.Can(tenant.SupervisionWrite) {
		h.forbidden(w, r)
		return s, false
	}
	return s, true
}

// sfCheckAsset loads the asset a new check is for, from ?asset= or the
// form; a missing or unknown asset answers 404.
func (h *Handler) sfCheckAsset(w http.ResponseWriter, r *http.Request, s tenant.Scope) (asset.Asset, bool) {
	id, err := strconv.ParseInt(r.FormValue("asset"), 10, 64)
	if err != nil || id <= 0 {
		h.notFound(w, r)
		return asset.Asset{}, false
	}
	a, err := h.d.Assets.Get(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return a, false
	}
	if !s.CanOn(tenant.SupervisionWrite, a.ClientID) {
		h.forbidden(w, r)
		return a, false
	}
	return a, true
}

func (h *Handler) sfCheckNew(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := h.view(w, r, "supervision")
	if r.URL.Query().Get("asset") == "" {
		h.sfPickAsset(w, r, v, s)
		return
	}
	a, ok := h.sfCheckAsset(w, r, s)
	if !ok {
		return
	}
	kind := supervision.KindCPU
	if a.Kind == asset.KindBackup {
		kind = supervision.KindBackupPush
	} else if a.Agent == nil {
		kind = supervision.KindPing
	}
	if k := supervision.Kind(r.URL.Query().Get("kind")); k.Valid() {
		kind = k
	}
	c := supervision.Check{AssetID: a.ID, ClientID: a.ClientID, Rules: sfDefaultRules(kind), Enabled: true}
	if kind.Network() {
		// Probes of the asset itself start from its address.
		c.Params.Host = a.Fields["ip"]
		if c.Params.Host == "" && a.Agent != nil {
			c.Params.Host = a.Agent.Hostname
		}
	}
	d, err := h.sfCheckData(ctx, r, v, s, a, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(sfCheckValues(c))
	h.render(w, v, http.StatusOK, "supervision_check_form", d)
}

// sfPickAsset shows the choice of the asset a new check is for.
func (h *Handler) sfPickAsset(w http.ResponseWriter, r *http.Request, v *view, s tenant.Scope) {
	ctx := r.Context()
	names, err := h.clientNames(ctx, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	as, err := h.d.Assets.List(ctx, s, asset.Filter{Limit: 1000})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	slices.SortStableFunc(as, func(x, y asset.Asset) int {
		return cmp.Or(cmp.Compare(names[x.ClientID], names[y.ClientID]), cmp.Compare(x.Name, y.Name))
	})
	d := sfCheckPage{New: true, Picking: true}
	for _, a := range as {
		if s.CanOn(tenant.SupervisionWrite, a.ClientID) {
			d.PickAssets = append(d.PickAssets, option{Value: itoa(a.ID), Label: names[a.ClientID] + " — " + a.Name})
		}
	}
	h.render(w, v, http.StatusOK, "supervision_check_form", d)
}

func (h *Handler) sfCheckCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	a, ok := h.sfCheckAsset(w, r, s)
	if !ok {
		return
	}
	c := supervision.Check{AssetID: a.ID, ClientID: a.ClientID}
	inv := sfCheckFromForm(r.PostForm, &c)
	var err error
	if len(inv.Fields) > 0 {
		err = inv
	} else {
		err = h.d.Supervision.CreateCheck(r.Context(), s, &c)
	}
	if err != nil {
		h.sfCheckFailed(w, r, s, a, c, err)
		return
	}
	if c.Kind == supervision.KindBackupPush {
		// The push URL is what the backup script needs: show it at once.
		h.redirect(w, r, sfCheckEditPath(c.ID), "flash.supform.check_created_push", c.Name)
		return
	}
	h.redirect(w, r, sfCheckPath(c.ID), "flash.supform.check_created", c.Name)
}

func (h *Handler) sfCheckFailed(w http.ResponseWriter, r *http.Request, s tenant.Scope, a asset.Asset, c supervision.Check, err error) {
	v := h.view(w, r, "supervision")
	v.Form.setValues(r.PostForm)
	c.TemplateID = nil
	d, derr := h.sfCheckData(r.Context(), r, v, s, a, c)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	h.formFailed(w, v, "supervision_check_form", d, sfRename(err, sfCheckField))
}

// sfCheckField maps the service's field names to the check form's: the
// asset has no input, and what is wrong with it (no agent for a local
// check) belongs next to the kind that needs one.
func sfCheckField(f string) string {
	if f == "asset_id" {
		return "kind"
	}
	return sfRuleField(f)
}

// sfLoadCheck loads the check named in the path and its asset, for a
// caller who may change it.
func (h *Handler) sfLoadCheck(w http.ResponseWriter, r *http.Request) (supervision.Check, asset.Asset, tenant.Scope, bool) {
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return supervision.Check{}, asset.Asset{}, s, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return supervision.Check{}, asset.Asset{}, s, false
	}
	c, err := h.d.Supervision.Check(r.Context(), s, id)
	if err != nil {
		h.fail(w, r, err)
		return c, asset.Asset{}, s, false
	}
	if !s.CanOn(tenant.SupervisionWrite, c.ClientID) {
		h.forbidden(w, r)
		return c, asset.Asset{}, s, false
	}
	a, err := h.d.Assets.Get(r.Context(), s, c.AssetID)
	if err != nil {
		h.fail(w, r, err)
		return c, a, s, false
	}
	return c, a, s, true
}

func (h *Handler) sfCheckEdit(w http.ResponseWriter, r *http.Request) {
	c, a, s, ok := h.sfLoadCheck(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "supervision")
	d, err := h.sfCheckData(r.Context(), r, v, s, a, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(sfCheckValues(c))
	h.render(w, v, http.StatusOK, "supervision_check_form", d)
}

func (h *Handler) sfCheckUpdate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, a, s, ok := h.sfLoadCheck(w, r)
	if !ok {
		return
	}
	if c.TemplateID != nil {
		h.sfManaged(w, r, s, a, c)
		return
	}
	inv := sfCheckFromForm(r.PostForm, &c)
	var err error
	if len(inv.Fields) > 0 {
		err = inv
	} else {
		err = h.d.Supervision.UpdateCheck(r.Context(), s, &c)
	}
	if err != nil {
		h.sfCheckFailed(w, r, s, a, c, err)
		return
	}
	h.redirect(w, r, sfCheckPath(c.ID), "flash.supform.check_saved", c.Name)
}

// sfManaged answers a change to a check a template manages: 409 with the
// page that links to the template.
func (h *Handler) sfManaged(w http.ResponseWriter, r *http.Request, s tenant.Scope, a asset.Asset, c supervision.Check) {
	v := h.view(w, r, "supervision")
	d, err := h.sfCheckData(r.Context(), r, v, s, a, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, v, http.StatusConflict, "supervision_check_form", d)
}

func (h *Handler) sfCheckDelete(w http.ResponseWriter, r *http.Request) {
	c, a, s, ok := h.sfLoadCheck(w, r)
	if !ok {
		return
	}
	if c.TemplateID != nil {
		h.sfManaged(w, r, s, a, c)
		return
	}
	if err := h.d.Supervision.DeleteCheck(r.Context(), s, c.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, assetPath(c.AssetID), "flash.supform.check_deleted", c.Name)
}

func sfCheckPath(id int64) string     { return "/supervision/checks/" + itoa(id) }
func sfCheckEditPath(id int64) string { return sfCheckPath(id) + "/edit" }
