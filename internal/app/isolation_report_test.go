package app_test

import "github.com/vigie-hq/vigie/internal/tenant"

// The reports of a client (daily, monthly and annual: their pages, PDF and
// CSV) are read by
// whoever may read the client: its staff, its admin and users; another
// client's users get 404.
func init() {
	for _, pattern := range []string{
		"GET /clients/{id}/reports",
		"GET /clients/{id}/reports/pdf",
		"GET /clients/{id}/reports/csv",
		"GET /clients/{id}/reports/daily",
		"GET /clients/{id}/reports/daily/pdf",
		"GET /clients/{id}/reports/daily/csv",
		"GET /clients/{id}/reports/annual",
		"GET /clients/{id}/reports/annual/pdf",
		"GET /clients/{id}/reports/annual/csv",
	} {
		specs[pattern] = spec{action: tenant.ClientRead, target: true}
	}
}
