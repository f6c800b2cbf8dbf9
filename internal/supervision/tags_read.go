package supervision

import (
	"context"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// AssetTags returns the tags of an asset the scope may see, for the form
// that edits them (SetTags replaces them all).
func (svc *Service) AssetTags(ctx context.Context, s tenant.Scope, assetID int64) ([]string, error) {
	if !s.Can(tenant.SupervisionRead) {
		return nil, fault.ErrForbidden
	}
	a, err := svc.store.AssetRef(ctx, s, assetID)
	if err != nil {
		return nil, err
	}
	return a.Tags, nil
}
