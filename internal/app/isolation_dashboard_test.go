package app_test

import "github.com/vigie-hq/vigie/internal/tenant"

// The dashboards: GET /dashboard is every role's (staff see the clients
// they may see, a client's users their own company's), so it names no
// client and the matrix checks that a restricted caller's page shows no
// name of client B; a client's dashboard is read by whoever may read the
// client, other clients' users get 404.
func init() {
	specs["GET /dashboard"] = spec{action: tenant.ClientRead}
	specs["GET /clients/{id}/dashboard"] = spec{action: tenant.ClientRead, target: true}
}
