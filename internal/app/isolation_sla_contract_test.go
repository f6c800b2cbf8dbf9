package app_test

import "github.com/vigie-hq/vigie/internal/tenant"

// Deciding by hand that a ticket is in or out of its contract's perimeter
// takes helpdesk admin rights on the ticket's client.
func init() {
	specs["POST /tickets/{id}/perimeter"] = spec{action: tenant.HelpdeskAdmin, target: true, body: formBody("out", "1")}
	specs["PUT /api/v1/tickets/{id}/perimeter"] = spec{action: tenant.HelpdeskAdmin, target: true, body: jsonBody(`{"out_of_perimeter":true}`)}
}
