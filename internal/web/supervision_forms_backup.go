package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// sfBackupRow is one backup job of the backups page.
type sfBackupRow struct {
	supervision.BackupSummary
	Client string
}

type sfBackupsPage struct {
	Rows []sfBackupRow
	// Clients filter the list (staff who see several clients).
	Clients  []option
	ClientID int64
	// Linked: the viewer may open assets (and their restore tests).
	Linked bool
}

func (h *Handler) sfBackups(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sfReadScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := h.view(w, r, "supervision")
	cs, err := h.allClients(ctx, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := sfBackupsPage{Linked: h.d.Assets != nil && s.Can(tenant.AssetRead)}
	names := map[int64]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	if len(cs) > 1 {
		d.Clients = []option{{Value: "", Label: v.T("supform.backups.all_clients")}}
		for _, c := range cs {
			d.Clients = append(d.Clients, option{Value: itoa(c.ID), Label: c.Name})
		}
	}
	d.ClientID, _ = strconv.ParseInt(r.URL.Query().Get("client"), 10, 64)
	if d.ClientID < 0 {
		d.ClientID = 0
	}
	sums, err := h.d.Supervision.LastBackups(ctx, s, d.ClientID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, b := range sums {
		d.Rows = append(d.Rows, sfBackupRow{BackupSummary: b, Client: names[b.ClientID]})
	}
	slices.SortStableFunc(d.Rows, func(a, b sfBackupRow) int {
		return cmp.Or(cmp.Compare(a.Client, b.Client), cmp.Compare(strings.ToLower(a.AssetName), strings.ToLower(b.AssetName)))
	})
	v.Form.setValues(url.Values{"client": {r.URL.Query().Get("client")}})
	h.render(w, v, http.StatusOK, "supervision_backups", d)
}

// sfBadge is a small state badge.
type sfBadge struct{ Class, Label string }

// SFRunBadge is the badge of a backup run: succeeded or failed.
func (v *view) SFRunBadge(run *supervision.BackupRun) sfBadge {
	switch {
	case run == nil:
		return sfBadge{"badge-archived", v.T("supform.backups.no_run")}
	case run.OK:
		return sfBadge{"badge-active", v.T("supform.backups.ok")}
	}
	return sfBadge{"badge-danger", v.T("supform.backups.failed")}
}

// SFRestoreBadge is the badge of a restore test's result.
func (v *view) SFRestoreBadge(res supervision.RestoreResult) sfBadge {
	switch res {
	case supervision.RestoreOK:
		return sfBadge{"badge-active", v.T("supform.restore.result.ok")}
	case supervision.RestorePartial:
		return sfBadge{"badge-warn", v.T("supform.restore.result.partial")}
	case supervision.RestoreFailed:
		return sfBadge{"badge-danger", v.T("supform.restore.result.failed")}
	}
	return sfBadge{"badge-archived", string(res)}
}

// SFSeconds writes a run's duration: "30 min", "2 h 05 min"; under a
// minute, in seconds.
func (v *view) SFSeconds(s float64) string {
	if s <= 0 {
		return "—"
	}
	if s < 60 {
		return v.T("supform.seconds", int(s+0.5))
	}
	return v.Span(time.Duration(s * float64(time.Second)))
}

// SFSize writes a run's size, "—" when not reported.
func (v *view) SFSize(n int64) string {
	if n <= 0 {
		return "—"
	}
	return v.Bytes(uint64(n))
}

// SFMinutes writes a restore test's duration in minutes.
func (v *view) SFMinutes(m int) string {
	if m <= 0 {
		return "—"
	}
	return v.Span(time.Duration(m) * time.Minute)
}

type sfRestorePage struct {
	Asset    asset.Asset
	Client   string
	Tests    []supervision.RestoreTest
	CanWrite bool
	Results  []option
}

func (h *Handler) sfRestoreData(w http.ResponseWriter, r *http.Request, v *view) (sfRestorePage, tenant.Scope, bool) {
	a, s, ok := h.loadAsset(w, r)
	if !ok {
		return sfRestorePage{}, s, false
	}
	if !s.CanOn(tenant.SupervisionRead, a.ClientID) {
		h.forbidden(w, r)
		return sfRestorePage{}, s, false
	}
	ctx := r.Context()
	d := sfRestorePage{Asset: a, CanWrite: s.CanOn(tenant.SupervisionWrite, a.ClientID)}
	if c, err := h.d.Clients.Get(ctx, s, a.ClientID); err == nil {
		d.Client = c.Name
	}
	var err error
	if d.Tests, err = h.d.Supervision.RestoreTests(ctx, s, a.ID); err != nil {
		h.fail(w, r, err)
		return d, s, false
	}
	for _, res := range []supervision.RestoreResult{supervision.RestoreOK, supervision.RestorePartial, supervision.RestoreFailed} {
		d.Results = append(d.Results, option{Value: string(res), Label: v.T("supform.restore.result." + string(res))})
	}
	return d, s, true
}

func (h *Handler) sfRestoreTests(w http.ResponseWriter, r *http.Request) {
	v := h.view(w, r, "supervision")
	d, _, ok := h.sfRestoreData(w, r, v)
	if !ok {
		return
	}
	v.Form.setValues(url.Values{"tested_at": {h.now().In(v.loc).Format(sfLocalLayout)}, "result": {"ok"}})
	h.render(w, v, http.StatusOK, "supervision_restore_form", d)
}

func (h *Handler) sfRestoreTestCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	v := h.view(w, r, "supervision")
	d, s, ok := h.sfRestoreData(w, r, v)
	if !ok {
		return
	}
	if !d.CanWrite {
		h.forbidden(w, r)
		return
	}
	vals := r.PostForm
	t := supervision.RestoreTest{ClientID: d.Asset.ClientID, AssetID: d.Asset.ID}
	inv := &fault.Invalid{}
	at, err := time.ParseInLocation(sfLocalLayout, strings.TrimSpace(vals.Get("tested_at")), v.loc)
	if err != nil {
		inv.Add("tested_at", "invalid_datetime")
	}
	t.TestedAt = at
	t.Scope = vals.Get("restore_scope")
	t.Result = supervision.RestoreResult(vals.Get("result"))
	t.Minutes = sfNumbers{vals: vals, inv: inv}.int("minutes")
	t.Evidence = vals.Get("evidence")
	if len(inv.Fields) > 0 {
		err = inv
	} else {
		err = h.d.Supervision.AddRestoreTest(r.Context(), s, &t)
	}
	if err != nil {
		v.Form.setValues(vals)
		h.formFailed(w, v, "supervision_restore_form", d, sfRename(err, sfRestoreField))
		return
	}
	h.redirect(w, r, sfRestorePath(d.Asset.ID), "flash.supform.restore_created")
}

// sfRestoreField maps the service's field names to the restore form's.
func sfRestoreField(f string) string {
	if f == "scope" {
		return "restore_scope"
	}
	return f
}

func (h *Handler) sfRestoreTestDelete(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	s, ok := h.sfWriteScope(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.d.Supervision.DeleteRestoreTest(r.Context(), s, id); err != nil {
		h.fail(w, r, err)
		return
	}
	to := "/supervision/backups"
	if a, err := strconv.ParseInt(r.PostForm.Get("asset"), 10, 64); err == nil && a > 0 {
		to = sfRestorePath(a)
	}
	h.redirect(w, r, to, "flash.supform.restore_deleted")
}

func sfRestorePath(assetID int64) string { return assetPath(assetID) + "/restore-tests" }

type sfTagsPage struct {
	Asset asset.Asset
}

// sfTagsAsset loads the asset of the tags form for a caller who may change
// its supervision.
func (h *Handler) sfTagsAsset(w http.ResponseWriter, r *http.Request) (asset.Asset, tenant.Scope, bool) {
	a, s, ok := h.loadAsset(w, r)
	if !ok {
		return a, s, false
	}
	if !s.CanOn(tenant.SupervisionWrite, a.ClientID) {
		h.forbidden(w, r)
		return a, s, false
	}
	return a, s, true
}

func (h *Handler) sfTagsForm(w http.ResponseWriter, r *http.Request) {
	a, s, ok := h.sfTagsAsset(w, r)
	if !ok {
		return
	}
	tags, err := h.d.Supervision.AssetTags(r.Context(), s, a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "supervision")
	v.Form.setValues(url.Values{"tags": {strings.Join(tags, ", ")}})
	h.render(w, v, http.StatusOK, "supervision_tags_form", sfTagsPage{Asset: a})
}

func (h *Handler) sfTagsSave(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a, s, ok := h.sfTagsAsset(w, r)
	if !ok {
		return
	}
	var tags []string
	for _, t := range strings.Split(r.PostForm.Get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	if err := h.d.Supervision.SetTags(r.Context(), s, a.ID, tags); err != nil {
		v := h.view(w, r, "supervision")
		v.Form.setValues(r.PostForm)
		h.formFailed(w, v, "supervision_tags_form", sfTagsPage{Asset: a}, err)
		return
	}
	h.redirect(w, r, assetPath(a.ID), "flash.supform.tags_saved", a.Name)
}
