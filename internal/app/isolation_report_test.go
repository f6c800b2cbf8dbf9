package app_test

import "github.com/vigie-hq/vigie/internal/tenant"

// The monthly report of a client (its page, PDF and CSV) is read by
// whoever may read the client: its staff, its admin and users; another
// client's users get 404.
func init() {
	for _, pattern := range []string{
		"GET /clients/{id}/reports",
		"GET /clients/{id}/reports/pdf",
		"GET /clients/{id}/reports/csv",
	} {
		specs[pattern] = spec{action: tenant.ClientRead, target: true}
	}
}
