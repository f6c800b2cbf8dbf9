package supervision

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Matches reports whether a template applies to an asset: of its client
// (any for a global template), and of its kind, OS and tag when set. Checks
// that run on the asset's agent (local checks, heartbeat) apply only to
// assets that have had an agent (their OS is known), as do backup jobs (the
// asset's agent wraps them), so that a template "all servers: CPU" leaves
// servers entered by hand alone.
func (t Template) Matches(a AssetRef) bool {
	switch {
	case t.ClientID != nil && *t.ClientID != a.ClientID,
		t.MatchKind != "" && t.MatchKind != a.Kind,
		t.MatchOS != "" && t.MatchOS != a.OS,
		t.MatchTag != "" && !slices.Contains(a.Tags, t.MatchTag),
		(t.Kind.Local() || t.Kind == KindHeartbeat || t.Kind == KindBackupJob) && a.OS == "":
		return false
	}
	return true
}

// templateKey is the check a template applies to an asset.
type templateKey struct{ template, asset int64 }

// ApplyTemplates makes the checks of every template match its assets: it
// creates the checks of assets that match and have none, updates those whose
// template changed, disables those of a disabled template (which creates
// none) and deletes those of assets that no longer match. It is idempotent
// and returns the number of checks it created, changed or deleted. The service calls it after a
// template or an asset's tags change; the server runs it every few minutes
// for new assets.
func (svc *Service) ApplyTemplates(ctx context.Context) (int, error) {
	svc.applying.Lock()
	defer svc.applying.Unlock()
	sys := tenant.System()
	templates, err := svc.store.Templates(ctx, sys)
	if err != nil {
		return 0, fmt.Errorf("list check templates: %w", err)
	}
	assets, err := svc.store.AssetRefs(ctx)
	if err != nil {
		return 0, fmt.Errorf("list assets: %w", err)
	}
	existing := map[templateKey]Check{}
	for _, t := range templates {
		cs, err := svc.store.Checks(ctx, sys, CheckFilter{TemplateID: t.ID})
		if err != nil {
			return 0, fmt.Errorf("list checks of template %d: %w", t.ID, err)
		}
		for _, c := range cs {
			k := templateKey{t.ID, c.AssetID}
			if dup, ok := existing[k]; ok {
				// Two checks of one template on one asset (two servers
				// applying at once): keep the older.
				if err := svc.applyDelete(ctx, c); err != nil {
					return 0, err
				}
				svc.log.Warn("deleted a duplicate check of a template", "template", t.ID, "asset", c.AssetID, "kept", dup.ID, "deleted", c.ID)
				continue
			}
			existing[k] = c
		}
	}
	changed := 0
	var errs []error
	for _, t := range templates {
		for _, a := range assets {
			k := templateKey{t.ID, a.ID}
			c, has := existing[k]
			delete(existing, k)
			if !t.Matches(a) {
				if has {
					if err := svc.applyDelete(ctx, c); err != nil {
						errs = append(errs, err)
						continue
					}
					changed++
				}
				continue
			}
			want := templateCheck(t, a, c)
			switch {
			case !has && !t.Enabled:
				// A disabled template disables its checks; it makes none.
			case !has:
				if err := svc.applyCreate(ctx, &want); err != nil {
					errs = append(errs, err)
					continue
				}
				changed++
			case !sameCheck(c, want):
				if err := svc.applyUpdate(ctx, &want); err != nil {
					errs = append(errs, err)
					continue
				}
				changed++
			}
		}
	}
	// Checks left belong to assets that are gone (deleted with them) or
	// whose template is gone: nothing to do, the store removed them.
	return changed, errors.Join(errs...)
}

// templateCheck is the check t applies to asset a; old is the check it
// applied before, if any (its id and push token stay).
func templateCheck(t Template, a AssetRef, old Check) Check {
	c := Check{ID: old.ID, ClientID: a.ClientID, AssetID: a.ID, Name: t.Name, Rules: t.Rules, Enabled: t.Enabled,
		PushToken: old.PushToken, CreatedAt: old.CreatedAt}
	c.Params = cleanParams(c.Kind, c.Params)
	id := t.ID
	c.TemplateID = &id
	if c.Kind == KindBackupJob {
		// The job runs where the template applies: the asset's agent.
		asset := a.ID
		c.RunnerAssetID = &asset
	}
	return c
}

// sameCheck reports whether a check already is what its template wants.
func sameCheck(have, want Check) bool {
	return have.Name == want.Name && have.Enabled == want.Enabled && reflect.DeepEqual(have.Rules, want.Rules) &&
		reflect.DeepEqual(have.RunnerAssetID, want.RunnerAssetID)
}

func (svc *Service) applyCreate(ctx context.Context, c *Check) error {
	if c.Kind == KindBackupPush {
		tok, err := newPushToken()
		if err != nil {
			return err
		}
		c.PushToken = tok
	}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.CreateCheck(ctx, tenant.System(), c); err != nil {
			return fmt.Errorf("apply template %d to asset %d: %w", *c.TemplateID, c.AssetID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "check.create", Object: audit.Object("check", c.ID),
			Summary: fmt.Sprintf("%s %s (template %d)", c.Kind, c.Name, *c.TemplateID)})
	})
	if err != nil {
		return err
	}
	svc.reload(ctx, c.ID)
	return nil
}

func (svc *Service) applyUpdate(ctx context.Context, c *Check) error {
	if c.Kind == KindBackupPush && c.PushToken == "" {
		tok, err := newPushToken()
		if err != nil {
			return err
		}
		c.PushToken = tok
	} else if c.Kind != KindBackupPush {
		c.PushToken = ""
	}
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.UpdateCheck(ctx, tenant.System(), c); err != nil {
			return fmt.Errorf("update check %d of template %d: %w", c.ID, *c.TemplateID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "check.update", Object: audit.Object("check", c.ID),
			Summary: fmt.Sprintf("%s %s (template %d)", c.Kind, c.Name, *c.TemplateID)})
	})
	if err != nil {
		return err
	}
	svc.reload(ctx, c.ID)
	return nil
}

func (svc *Service) applyDelete(ctx context.Context, c Check) error {
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.store.DeleteCheck(ctx, tenant.System(), c.ID); err != nil && !errors.Is(err, fault.ErrNotFound) {
			return fmt.Errorf("delete check %d of a template: %w", c.ID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "check.delete", Object: audit.Object("check", c.ID),
			Summary: fmt.Sprintf("%s %s (no longer matches its template)", c.Kind, c.Name)})
	})
	if err != nil {
		return err
	}
	svc.reload(ctx, c.ID)
	return nil
}
