package app_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// kindContract is a contract of the target client (a draft: drafts may
// overlap, so that every call may add or change one).
const kindContract kind = "contract"

func init() {
	kindBySegment["contracts"] = kindContract
	read, write := tenant.ClientRead, tenant.ClientWrite
	for pattern, sp := range map[string]spec{
		"GET /api/v1/clients/{id}/contracts":  {action: read, target: true},
		"POST /api/v1/clients/{id}/contracts": {action: write, target: true, body: apiNewContract},
		"GET /api/v1/contracts/{id}":          {action: read, target: true},
		"PATCH /api/v1/contracts/{id}":        {action: write, target: true, body: jsonBody(`{"title":"Matrix contract %d"}`)},
		"DELETE /api/v1/contracts/{id}":       {action: write, target: true},
		"GET /api/v1/assets/{id}/coverage":    {action: read, target: true},
		"GET /clients/{id}/contracts":         {action: read, target: true},
		"GET /clients/{id}/contracts/new":     {action: write, target: true},
		"POST /clients/{id}/contracts/new":    {action: write, target: true, body: webContract},
		"GET /contracts/{id}":                 {action: read, target: true},
		"GET /contracts/{id}/edit":            {action: write, target: true},
		"POST /contracts/{id}/edit":           {action: write, target: true, body: webContract},
		"POST /contracts/{id}/delete":         {action: write, target: true},
	} {
		specs[pattern] = sp
	}
}

// newContract makes a draft contract of the tenant's client covering its
// servers, named after the client so that a leak shows.
func (m *matrix) newContract(t *testing.T, d *tenantData, ref string) int64 {
	t.Helper()
	c := contract.Contract{ClientID: d.client.ID, Reference: ref, Title: d.client.Name + " contract", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Calendar: ticket.DefaultCalendar, Availability: 99.5, Reversibility: d.client.Name + " reversibility",
		Reporting: contract.Reporting{Monthly: true, Recipients: []int64{d.contact.ID}},
		Perimeter: contract.Perimeter{Sites: []int64{d.site.ID}, Include: []int64{d.asset}}}
	if err := m.s.App.Contracts.Create(m.s.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// contractFixtures gives a tenant its contract.
func (m *matrix) contractFixtures(t *testing.T, d *tenantData) {
	t.Helper()
	d.contract = m.newContract(t, d, d.client.Code+"-CONTRACT")
}

// substituteContract returns the contract for a call, a fresh one for a
// route that deletes.
func (m *matrix) substituteContract(t *testing.T, k kind, x *attempt, destructive bool) (int64, bool) {
	t.Helper()
	if id, ok := m.substituteContractUsage(t, k, x); ok {
		return id, true // isolation_usage_test.go
	}
	if k != kindContract {
		return 0, false
	}
	if destructive {
		return m.newContract(t, x.target, fmt.Sprintf("DISPOSABLE-%d", x.n)), true
	}
	return x.target.contract, true
}

// contractSnapshot is every contract of A and B.
func (m *matrix) contractSnapshot(t *testing.T) []contract.Contract {
	t.Helper()
	var out []contract.Contract
	for _, d := range []*tenantData{&m.a, &m.b} {
		cs, err := m.s.App.Contracts.List(m.s.Ctx(), tenant.System(), d.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs...)
	}
	return out
}

func apiNewContract(_ *matrix, x *attempt) any {
	return map[string]any{"reference": fmt.Sprintf("MATRIX-%d", x.n), "title": fmt.Sprintf("Matrix contract %d", x.n), "start": "2026-01-01",
		"calendar": ticket.DefaultCalendar, "availability": 99, "reporting": map[string]any{"recipients": []int64{x.target.contact.ID}},
		"perimeter": map[string]any{"sites": []int64{x.target.site.ID}}}
}

func webContract(_ *matrix, x *attempt) any {
	return url.Values{"reference": {fmt.Sprintf("MATRIX-%d", x.n)}, "title": {fmt.Sprintf("Matrix contract %d", x.n)}, "start": {"2026-01-01"},
		"state": {"draft"}, "renewal.kind": {"none"}, "time_zone": {"Europe/Paris"}, "always_open": {"1"}, "availability": {"99"},
		"support.mode": {"none"}, "reporting.recipients": {strconv.FormatInt(x.target.contact.ID, 10)},
		"perimeter.sites": {strconv.FormatInt(x.target.site.ID, 10)}, "perimeter.include": {strconv.FormatInt(x.target.asset, 10)}}
}

// contractRows are contracts in a snapshot.
type contractRows = []contract.Contract
