package web

import (
	"context"
	"fmt"
	"slices"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// maintenance is the set of maintenance windows active now that the viewer
// may see, to mark the board's rows and count the checks they cover (the
// store counts states in SQL; windows, recurring in a time zone, are not).
type maintenance struct {
	h      *Handler
	s      tenant.Scope
	active []check.Window
	// sites maps an asset to its site, read once per asset for site windows.
	sites map[int64]int64
}

// maxCountedWindows bounds the windows whose checks the board counts: each
// costs one count query.
const maxCountedWindows = 50

// maintenanceNow loads the windows active now.
func (h *Handler) maintenanceNow(ctx context.Context, s tenant.Scope) (*maintenance, error) {
	ws, err := h.d.Supervision.Windows(ctx, s, supervision.WindowFilter{})
	if err != nil {
		return nil, fmt.Errorf("load maintenance windows: %w", err)
	}
	m := &maintenance{h: h, s: s, sites: map[int64]int64{}}
	now := h.now()
	for _, w := range ws {
		if w.Active(now) {
			m.active = append(m.active, w.Window)
		}
	}
	return m, nil
}

// siteOf is an asset's site (0: none or unknown). The fleet is asked only
// when a site window is active, and only for viewers who may read assets:
// for the others a site window does not mark the row.
func (m *maintenance) siteOf(ctx context.Context, assetID int64) int64 {
	if id, ok := m.sites[assetID]; ok {
		return id
	}
	var site int64
	if m.h.d.Assets != nil && m.s.Can(tenant.AssetRead) {
		if a, err := m.h.d.Assets.Get(ctx, m.s, assetID); err == nil && a.SiteID != nil {
			site = *a.SiteID
		}
	}
	m.sites[assetID] = site
	return site
}

// covers reports whether a window active now covers the check's asset.
func (m *maintenance) covers(ctx context.Context, c supervision.Check) bool {
	for _, w := range m.active {
		sc := check.Scope{ClientID: c.ClientID, AssetID: c.AssetID}
		if w.AssetID == 0 && w.SiteID != 0 {
			sc.SiteID = m.siteOf(ctx, c.AssetID)
		}
		if w.Covers(sc) {
			return true
		}
	}
	return false
}

// count counts the checks of a board filter (its state and problem
// conditions aside, like the store's counts) that an active window covers:
// whole clients first, then assets (of a site window too) outside them.
func (m *maintenance) count(ctx context.Context, f supervision.BoardFilter) (int, error) {
	if m == nil || len(m.active) == 0 {
		return 0, nil
	}
	f.State, f.Problems, f.Limit, f.Offset = "", false, 1, 0
	var clients, assets []int64
	for _, w := range m.active {
		if w.AssetID == 0 && w.SiteID == 0 && w.ClientID != 0 && !slices.Contains(clients, w.ClientID) {
			clients = append(clients, w.ClientID)
		}
	}
	// A window's client is always the owner of its asset or site, so an
	// asset of a client already counted whole is left out.
	for _, w := range m.active {
		if slices.Contains(clients, w.ClientID) {
			continue
		}
		switch {
		case w.AssetID != 0:
			assets = append(assets, w.AssetID)
		case w.SiteID != 0 && m.h.d.Assets != nil && m.s.Can(tenant.AssetRead):
			as, err := m.h.d.Assets.List(ctx, m.s, asset.Filter{ClientID: w.ClientID, SiteID: w.SiteID, Limit: 500})
			if err != nil {
				return 0, err
			}
			for _, a := range as {
				m.sites[a.ID] = w.SiteID
				assets = append(assets, a.ID)
			}
		}
	}
	total, queries := 0, 0
	run := func(g supervision.BoardFilter) error {
		if queries++; queries > maxCountedWindows {
			return nil
		}
		_, _, n, err := m.h.d.Supervision.Board(ctx, m.s, g)
		total += n
		return err
	}
	for _, id := range clients {
		if f.ClientID != 0 && f.ClientID != id || !m.s.CanSee(id) {
			continue
		}
		g := f
		g.ClientID = id
		if err := run(g); err != nil {
			return 0, err
		}
	}
	slices.Sort(assets)
	for _, id := range slices.Compact(assets) {
		if f.AssetID != 0 && f.AssetID != id {
			continue
		}
		g := f
		g.AssetID = id
		if err := run(g); err != nil {
			return 0, err
		}
	}
	return total, nil
}
