package ticket

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Assets returns the assets a ticket the scope sees is about.
func (svc *Service) Assets(ctx context.Context, s tenant.Scope, id int64) ([]LinkedAsset, error) {
	if !s.Can(tenant.TicketRead) {
		return nil, fault.ErrForbidden
	}
	if _, err := svc.store.Ticket(ctx, s, id); err != nil {
		return nil, err
	}
	return svc.store.TicketAssets(ctx, id)
}

// checkAssets validates asset ids for a ticket of the client: each an asset
// of that client, at most MaxAssets, duplicates dropped. It returns the ids
// in order and their names.
func (svc *Service) checkAssets(ctx context.Context, clientID int64, ids []int64, v *fault.Invalid) ([]int64, []string, error) {
	var out []int64
	var names []string
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		name, err := svc.store.AssetOf(ctx, clientID, id)
		if errors.Is(err, fault.ErrNotFound) {
			v.Add("asset_ids", "invalid_choice")
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		out, names = append(out, id), append(names, name)
	}
	if len(out) > MaxAssets {
		v.Add("asset_ids", "too_many", MaxAssets)
	}
	return out, names, nil
}

// linkAssets replaces the assets of t (already checked) and records the
// change in the timeline when there is one.
func (svc *Service) linkAssets(ctx context.Context, t *Ticket, ids []int64, names []string) error {
	old, err := svc.store.TicketAssets(ctx, t.ID)
	if err != nil {
		return err
	}
	oldIDs := make([]int64, len(old))
	oldNames := make([]string, len(old))
	for i, a := range old {
		oldIDs[i], oldNames[i] = a.ID, a.Name
	}
	a, b := slices.Clone(oldIDs), slices.Clone(ids)
	slices.Sort(a)
	slices.Sort(b)
	if slices.Equal(a, b) {
		t.AssetIDs = ids
		return nil
	}
	if err := svc.store.SetTicketAssets(ctx, t.ID, ids); err != nil {
		return fmt.Errorf("link assets of ticket %d: %w", t.ID, err)
	}
	t.AssetIDs = ids
	// New assets, new facts: staff's decision on the perimeter gives way to
	// the contract's rule again (refreshSLA computes it).
	if t.PerimeterReason == PerimeterManual {
		t.PerimeterReason = ""
	}
	return svc.event(ctx, t, "assets", strings.Join(oldNames, ", "), strings.Join(names, ", "), true)
}
