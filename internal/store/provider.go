package store

import (
	"context"

	"github.com/vigie-hq/vigie/internal/provider"
)

var _ provider.Store = (*DB)(nil)

// Provider returns the provider's settings (the single row, created by the first migration).
func (db *DB) Provider(ctx context.Context) (provider.Provider, error) {
	var p provider.Provider
	err := db.queryRow(ctx, `SELECT name, legal_id, address, email, phone, website, language, time_zone, require_staff_totp, logo, logo_type FROM provider WHERE id = 1`).
		Scan(&p.Name, &p.LegalID, &p.Address, &p.Email, &p.Phone, &p.Website, &p.Language, &p.TimeZone, &p.RequireStaffTOTP, &p.Logo, &p.LogoType)
	if len(p.Logo) == 0 {
		p.Logo = nil
	}
	return p, translate(err)
}

// SaveProvider writes every setting; an empty logo is stored as NULL.
func (db *DB) SaveProvider(ctx context.Context, p provider.Provider) error {
	var logo any
	if len(p.Logo) > 0 {
		logo = p.Logo
	}
	return affected(db.exec(ctx, `UPDATE provider SET name = ?, legal_id = ?, address = ?, email = ?, phone = ?, website = ?, language = ?, time_zone = ?, require_staff_totp = ?, logo = ?, logo_type = ? WHERE id = 1`,
		p.Name, p.LegalID, p.Address, p.Email, p.Phone, p.Website, p.Language, p.TimeZone, p.RequireStaffTOTP, logo, p.LogoType))
}
