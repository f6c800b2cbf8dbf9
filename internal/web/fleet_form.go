package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// The asset form shows the common fields and every kind-specific field
// once (fields of the same name are shared by kinds), each marked with the
// kinds that have it; app.js shows only the chosen kind's, and the server
// reads only those, so without JavaScript the form still works.

// kindField is one kind-specific input of the form.
type kindField struct {
	Key   string
	Type  asset.FieldType
	Kinds string // space-separated kinds having it, for app.js
}

// kindFields lists every kind-specific field once, in the order of the kinds.
func kindFields() []kindField {
	var out []kindField
	idx := map[string]int{}
	for _, k := range asset.Kinds {
		for _, fd := range asset.KindFields[k] {
			if i, ok := idx[fd.Key]; ok {
				out[i].Kinds += " " + string(k)
				continue
			}
			idx[fd.Key] = len(out)
			out = append(out, kindField{Key: fd.Key, Type: fd.Type, Kinds: string(k)})
		}
	}
	return out
}

type assetFormPage struct {
	Client client.Client
	Asset  asset.Asset
	New    bool
	Kinds  []option
	// Sites, Contacts and Parents are the choices of the link fields.
	Sites         []option
	Contacts      []option
	Parents       []option
	Criticalities []option
	KindFields    []kindField
}

// InputType is the HTML input type of a kind-specific field.
func (f kindField) InputType() string {
	switch f.Type {
	case asset.FieldDate:
		return "date"
	case asset.FieldInt:
		return "number"
	case asset.FieldURL:
		return "url"
	}
	return "text"
}

// Name is the form name of a kind-specific field, as the service names its errors.
func (f kindField) Name() string { return "fields." + f.Key }

// Hidden reports whether the field belongs to another kind than the
// form's, so that the page first shows only the chosen kind's fields.
func (f kindField) Hidden(kind string) bool {
	return kind != "" && !slices.Contains(strings.Fields(f.Kinds), kind)
}

func (h *Handler) assetForm(ctx context.Context, v *view, s tenant.Scope, c client.Client, a asset.Asset) (assetFormPage, error) {
	d := assetFormPage{Client: c, Asset: a, New: a.ID == 0, Kinds: v.kindOptions(), KindFields: kindFields()}
	none := option{Value: "", Label: v.T("fleet.none")}
	for _, cr := range asset.Criticalities {
		d.Criticalities = append(d.Criticalities, option{Value: string(cr), Label: v.CriticalityLabel(cr)})
	}
	sites, err := h.d.Clients.Sites(ctx, s, c.ID)
	if err != nil {
		return d, err
	}
	d.Sites = []option{none}
	for _, st := range sites {
		d.Sites = append(d.Sites, option{Value: itoa(st.ID), Label: st.Name})
	}
	contacts, err := h.d.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID, Limit: 500})
	if err != nil {
		return d, err
	}
	d.Contacts = []option{none}
	for _, ct := range contacts {
		d.Contacts = append(d.Contacts, option{Value: itoa(ct.ID), Label: ct.FullName()})
	}
	as, err := h.clientAssets(ctx, s, c.ID)
	if err != nil {
		return d, err
	}
	d.Parents = []option{none}
	for _, pa := range as {
		if pa.ID != a.ID {
			d.Parents = append(d.Parents, option{Value: itoa(pa.ID), Label: pa.Name + " (" + v.KindLabel(pa.Kind) + ")"})
		}
	}
	return d, nil
}

func assetValues(a asset.Asset) url.Values {
	vals := url.Values{"kind": {string(a.Kind)}, "name": {a.Name}, "criticality": {string(a.Criticality)}, "notes": {a.Notes}}
	for k, id := range map[string]*int64{"site_id": a.SiteID, "owner_contact_id": a.OwnerContactID, "parent_id": a.ParentID} {
		if id != nil {
			vals.Set(k, itoa(*id))
		}
	}
	if a.WarrantyEnd != nil {
		vals.Set("warranty_end", a.WarrantyEnd.Format(time.DateOnly))
	}
	for k, val := range a.Fields {
		vals.Set("fields."+k, val)
	}
	return vals
}

// assetFromForm fills an asset from the form: the common fields and the
// chosen kind's own (the other kinds' inputs are ignored).
func assetFromForm(vals url.Values, a *asset.Asset) error {
	a.Kind = asset.Kind(vals.Get("kind"))
	a.Name = vals.Get("name")
	a.Criticality = asset.Criticality(vals.Get("criticality"))
	a.Notes = vals.Get("notes")
	a.SiteID, a.OwnerContactID, a.ParentID = formID(vals, "site_id"), formID(vals, "owner_contact_id"), formID(vals, "parent_id")
	a.WarrantyEnd = nil
	var v fault.Invalid
	if s := strings.TrimSpace(vals.Get("warranty_end")); s != "" {
		if d, ok := asset.ParseDate(s); ok {
			a.WarrantyEnd = &d
		} else {
			v.Add("warranty_end", "invalid_date")
		}
	}
	a.Fields = map[string]string{}
	for _, fd := range asset.KindFields[a.Kind] {
		if val := vals.Get("fields." + fd.Key); strings.TrimSpace(val) != "" {
			a.Fields[fd.Key] = val
		}
	}
	return v.Err()
}

func (h *Handler) assetNew(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AssetWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "fleet")
	a := asset.Asset{ClientID: c.ID, Kind: asset.Kind(r.URL.Query().Get("kind")), Criticality: asset.CriticalityNormal}
	if !a.Kind.Valid() {
		a.Kind = asset.KindServer
	}
	d, err := h.assetForm(r.Context(), v, s, c, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(assetValues(a))
	h.render(w, v, http.StatusOK, "fleet_asset_form", d)
}

func (h *Handler) assetCreate(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.AssetWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	a := asset.Asset{ClientID: c.ID}
	err := assetFromForm(r.PostForm, &a)
	if err == nil {
		err = h.d.Assets.Create(r.Context(), s, &a)
	}
	if err != nil {
		h.assetFormFailed(w, r, s, c, a, err)
		return
	}
	h.redirect(w, r, assetPath(a.ID), "flash.asset_created", a.Name)
}

func (h *Handler) assetFormFailed(w http.ResponseWriter, r *http.Request, s tenant.Scope, c client.Client, a asset.Asset, err error) {
	v := h.view(w, r, "fleet")
	v.Form.setValues(r.PostForm)
	d, derr := h.assetForm(r.Context(), v, s, c, a)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	h.formFailed(w, v, "fleet_asset_form", d, err)
}

func (h *Handler) loadAssetClient(w http.ResponseWriter, r *http.Request) (asset.Asset, client.Client, tenant.Scope, bool) {
	a, s, ok := h.loadAsset(w, r)
	if !ok {
		return a, client.Client{}, s, false
	}
	c, err := h.d.Clients.Get(r.Context(), s, a.ClientID)
	if err != nil {
		h.fail(w, r, err)
		return a, c, s, false
	}
	return a, c, s, true
}

func (h *Handler) assetEdit(w http.ResponseWriter, r *http.Request) {
	a, c, s, ok := h.loadAssetClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AssetWrite, a.ClientID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "fleet")
	d, err := h.assetForm(r.Context(), v, s, c, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form.setValues(assetValues(a))
	h.render(w, v, http.StatusOK, "fleet_asset_form", d)
}

func (h *Handler) assetUpdate(w http.ResponseWriter, r *http.Request) {
	a, c, s, ok := h.loadAssetClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.AssetWrite, a.ClientID) {
		h.forbidden(w, r)
		return
	}
	err := assetFromForm(r.PostForm, &a)
	if err == nil {
		err = h.d.Assets.Update(r.Context(), s, &a)
	}
	if err != nil {
		h.assetFormFailed(w, r, s, c, a, err)
		return
	}
	h.redirect(w, r, assetPath(a.ID), "flash.asset_saved", a.Name)
}

func (h *Handler) assetDelete(w http.ResponseWriter, r *http.Request) {
	a, s, ok := h.loadAsset(w, r)
	if !ok {
		return
	}
	if err := h.d.Assets.Delete(r.Context(), s, a.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fleetPath(a.ClientID), "flash.asset_deleted", a.Name)
}
