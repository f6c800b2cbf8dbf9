package asset

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Validation error codes of the fleet (translated as error.<code>).
const (
	codeInvalidDate = "invalid_date"
	codeInvalidURL  = "invalid_url"
	codeInvalidIP   = "invalid_ip"
	codeCycle       = "parent_cycle"
)

// maxParentDepth bounds the walk up the parents when looking for a cycle.
const maxParentDepth = 64

// Field returns the definition of a kind's field.
func (k Kind) Field(key string) (FieldDef, bool) {
	for _, f := range KindFields[k] {
		if f.Key == key {
			return f, true
		}
	}
	return FieldDef{}, false
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Valid reports whether c is a known criticality.
func (c Criticality) Valid() bool { return slices.Contains(Criticalities, c) }

// ParseDate reads a YYYY-MM-DD date as UTC midnight.
func ParseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// Normalize validates an asset's own fields and cleans them in place: kind,
// name, criticality (normal by default), notes, warranty end (a date) and
// the fields of its kind (an empty one is dropped). Field errors name
// "fields.<key>" for the kind's fields.
func (a *Asset) Normalize() error {
	var v fault.Invalid
	a.Kind = Kind(strings.TrimSpace(string(a.Kind)))
	switch {
	case a.Kind == "":
		v.Add("kind", "required")
	case !a.Kind.Valid():
		v.Add("kind", "invalid_choice")
	}
	a.Name = v.Text("name", a.Name, 200, true, false)
	if a.Criticality == "" {
		a.Criticality = CriticalityNormal
	}
	if !a.Criticality.Valid() {
		v.Add("criticality", "invalid_choice")
	}
	a.Notes = v.Text("notes", a.Notes, 10000, false, true)
	if a.WarrantyEnd != nil {
		d := a.WarrantyEnd.UTC()
		d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		if d.Year() < 1970 || d.Year() > 2200 {
			v.Add("warranty_end", codeInvalidDate)
		}
		a.WarrantyEnd = &d
	}
	fields := map[string]string{}
	keys := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val := a.Fields[k]
		name := "fields." + k
		def, ok := a.Kind.Field(k)
		if !ok {
			if strings.TrimSpace(val) != "" && a.Kind.Valid() {
				v.Add(name, "unknown_field")
			}
			continue
		}
		val = v.Text(name, val, 500, false, false)
		if val == "" || v.Has(name) {
			continue
		}
		switch def.Type {
		case FieldDate:
			if _, ok := ParseDate(val); !ok {
				v.Add(name, codeInvalidDate)
			}
		case FieldInt:
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				v.Add(name, "invalid_number")
			} else {
				val = strconv.FormatInt(n, 10)
			}
		case FieldURL:
			u, err := url.Parse(val)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.Add(name, codeInvalidURL)
			}
		case FieldIP:
			ip, err := netip.ParseAddr(val)
			if err != nil {
				v.Add(name, codeInvalidIP)
			} else {
				val = ip.String()
			}
		}
		fields[k] = val
	}
	a.Fields = fields
	return v.Err()
}

// checkLinks verifies that an asset's site, owner and parent belong to its
// client, and that the parent is not the asset itself or one of its
// descendants.
func (svc *Service) checkLinks(ctx context.Context, s tenant.Scope, a *Asset) error {
	var v fault.Invalid
	if a.SiteID != nil {
		st, err := svc.store.Site(ctx, s, *a.SiteID)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return err
		}
		if err != nil || st.ClientID != a.ClientID {
			v.Add("site_id", "invalid_choice")
		}
	}
	if a.OwnerContactID != nil {
		c, err := svc.store.Contact(ctx, s, *a.OwnerContactID)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return err
		}
		if err != nil || c.ClientID != a.ClientID {
			v.Add("owner_contact_id", "invalid_choice")
		}
	}
	if a.ParentID != nil {
		code, err := svc.checkParent(ctx, s, a.ID, a.ClientID, *a.ParentID)
		if err != nil {
			return err
		}
		if code != "" {
			v.Add("parent_id", code)
		}
	}
	return v.Err()
}

// checkParent returns "" when parentID may be the parent of asset id (0 for
// a new asset) in the client, else the validation code.
func (svc *Service) checkParent(ctx context.Context, s tenant.Scope, id, clientID, parentID int64) (string, error) {
	if parentID == id {
		return codeCycle, nil
	}
	p := parentID
	for depth := 0; ; depth++ {
		if depth > maxParentDepth {
			return codeCycle, nil
		}
		pa, err := svc.store.Asset(ctx, s, p)
		if errors.Is(err, fault.ErrNotFound) {
			return "invalid_choice", nil
		}
		if err != nil {
			return "", err
		}
		if pa.ClientID != clientID {
			return "invalid_choice", nil
		}
		if pa.ParentID == nil {
			return "", nil
		}
		if *pa.ParentID == id && id != 0 {
			return codeCycle, nil
		}
		p = *pa.ParentID
	}
}
