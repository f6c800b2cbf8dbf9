package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// apiContract is a contract as the API answers it.
type apiContract struct {
	ID        int64  `json:"id"`
	ClientID  int64  `json:"client_id"`
	Reference string `json:"reference"`
	Title     string `json:"title"`
	Start     string `json:"start"`
	End       *string
	State     string `json:"state"`
	Status    string `json:"status"`
	InForce   bool   `json:"in_force"`
	Targets   map[string]struct {
		TTO int `json:"tto_minutes"`
		TTR int `json:"ttr_minutes"`
	} `json:"targets"`
	Support struct {
		Mode    string `json:"mode"`
		Minutes int    `json:"minutes"`
	} `json:"support"`
	Perimeter contract.Perimeter `json:"perimeter"`
}

const calendar = `{"tz":"Europe/Paris","week":{"mon":["08:30-18:00"]},"holidays":"FR"}`

func newContractBody(ref, state, start string, extra map[string]any) map[string]any {
	b := map[string]any{"reference": ref, "title": "Infogérance " + ref, "start": start, "state": state, "calendar": calendar,
		"availability": 99.5, "targets": map[string]any{"P1": map[string]int{"tto_minutes": 15, "ttr_minutes": 240}},
		"support": map[string]any{"mode": "monthly", "minutes": 600}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestContractsAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			ctx, sys := e.s.Ctx(), tenant.System()
			srv := asset.Asset{ClientID: e.a.ID, Kind: asset.KindServer, Name: "srv-alpha"}
			ws := asset.Asset{ClientID: e.a.ID, Kind: asset.KindWorkstation, Name: "pc-alpha"}
			for _, a := range []*asset.Asset{&srv, &ws} {
				if err := e.s.App.Assets.Create(ctx, sys, a); err != nil {
					t.Fatal(err)
				}
			}
			base := fmt.Sprintf("/api/v1/clients/%d/contracts", e.a.ID)

			// Without a contract nothing is covered.
			var cov contract.Coverage
			e.do(t, "GET", fmt.Sprintf("/api/v1/assets/%d/coverage", srv.ID), e.techTok, nil).want(t, 200).decode(t, &cov)
			if cov.In || cov.Reason.Code != contract.ReasonNoContract {
				t.Errorf("coverage without a contract: %+v", cov)
			}

			r := e.do(t, "POST", base, e.managerTok, newContractBody("INF-1", "active", "2020-01-01",
				map[string]any{"perimeter": map[string]any{"kinds": []string{"workstation"}}})).want(t, 201)
			var c apiContract
			r.decode(t, &c)
			if c.ID == 0 || c.ClientID != e.a.ID || !c.InForce || c.Status != "active" || c.Targets["P1"].TTR != 240 || c.Support.Minutes != 600 {
				t.Errorf("created %s", r.body)
			}
			if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/contracts/%d", c.ID) {
				t.Errorf("Location %q", loc)
			}
			path := fmt.Sprintf("/api/v1/contracts/%d", c.ID)

			// Coverage: the server is out, the workstation in, each with its reason.
			e.do(t, "GET", fmt.Sprintf("/api/v1/assets/%d/coverage", srv.ID), e.userTok, nil).want(t, 200).decode(t, &cov)
			if cov.In || cov.ContractID != c.ID || cov.Reference != "INF-1" || cov.Reason.Code != contract.ReasonKindNotIncluded || cov.Reason.Kind != asset.KindServer {
				t.Errorf("server coverage: %+v", cov)
			}
			e.do(t, "GET", fmt.Sprintf("/api/v1/assets/%d/coverage", ws.ID), e.adminTok, nil).want(t, 200).decode(t, &cov)
			if !cov.In || cov.Reason.Code != contract.ReasonKindIncluded {
				t.Errorf("workstation coverage: %+v", cov)
			}

			// Bad input: a field-named, translated problem, and nothing changes.
			for _, tt := range []struct {
				name, method, path string
				body               any
				status             int
				field, code, fr    string
			}{
				{"end before start", "POST", base, newContractBody("INF-2", "draft", "2026-05-01", map[string]any{"end": "2026-04-30"}), 422, "end", "end_before_start", "La fin doit être après le début."},
				{"overlap", "POST", base, newContractBody("INF-3", "active", "2025-01-01", nil), 422, "start", "overlaps", "Chevauche le contrat actif INF-1"},
				{"bad date", "POST", base, newContractBody("INF-4", "draft", "01/05/2026", nil), 422, "start", "invalid_date", "Date invalide"},
				{"taken reference", "POST", base, newContractBody("INF-1", "draft", "2026-01-01", nil), 409, "reference", "taken", ""},
				{"foreign site", "POST", base, newContractBody("INF-5", "draft", "2026-01-01", map[string]any{"perimeter": map[string]any{"sites": []int64{999999}}}), 422, "perimeter.sites", "not_of_client", "#999999 n’appartient pas à ce client."},
				{"tto after ttr", "PATCH", path, map[string]any{"targets": map[string]any{"P2": map[string]int{"tto_minutes": 300, "ttr_minutes": 60}}}, 422, "targets.P2", "tto_after_ttr", ""},
				{"availability", "PATCH", path, map[string]any{"availability": 0}, 422, "availability", "out_of_range", ""},
				{"still active", "DELETE", path, nil, 422, "state", "still_active", "Un contrat actif ne peut pas être supprimé"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					p := e.do(t, tt.method, tt.path, e.managerTok, tt.body, header("Accept-Language", "fr")).problem(t, tt.status)
					code, msg := p.field(t, tt.field)
					if code != tt.code || !strings.Contains(msg, tt.fr) || msg == "" {
						t.Errorf("%s: %s %q; want %s %q", tt.field, code, msg, tt.code, tt.fr)
					}
				})
			}
			var list pageOf[apiContract]
			e.do(t, "GET", base, e.clientTok, nil).want(t, 200).decode(t, &list)
			if len(list.Data) != 1 || list.Data[0].Title != "Infogérance INF-1" || !list.Data[0].InForce {
				t.Fatalf("after refused changes: %+v", list.Data)
			}

			// A merge patch changes what it names only.
			e.do(t, "PATCH", path, e.managerTok, map[string]any{"title": "Infogérance 2020+", "end": "2030-12-31"}).want(t, 200).decode(t, &c)
			if c.Title != "Infogérance 2020+" || c.End == nil || *c.End != "2030-12-31" || c.Targets["P1"].TTO != 15 || len(c.Perimeter.Kinds) != 1 {
				t.Errorf("patched %+v", c)
			}

			// Tenancy: B's callers and staff limited to B see nothing of A's.
			userB := e.s.Token(e.s.User("staff@bravo.example", tenant.RoleClientUser, e.b.ID), true)
			techB := e.s.Token(e.s.User("tech-b@msp.example", tenant.RoleTechnician, e.b.ID), true)
			for _, tok := range []string{userB, techB} {
				for _, call := range []struct {
					method, path string
					body         any
				}{
					{"GET", path, nil}, {"PATCH", path, map[string]any{"title": "x"}}, {"DELETE", path, nil},
					{"GET", base, nil}, {"POST", base, newContractBody("HACK", "draft", "2026-01-01", nil)},
					{"GET", fmt.Sprintf("/api/v1/assets/%d/coverage", srv.ID), nil},
				} {
					e.do(t, call.method, call.path, tok, call.body).problem(t, http.StatusNotFound)
				}
			}
			// A's users and technicians read, never write.
			for _, tok := range []string{e.userTok, e.clientTok, e.techTok} {
				e.do(t, "GET", path, tok, nil).want(t, 200)
				e.do(t, "PATCH", path, tok, map[string]any{"title": "x"}).problem(t, http.StatusForbidden)
				e.do(t, "POST", base, tok, newContractBody("HACK", "draft", "2026-01-01", nil)).problem(t, http.StatusForbidden)
				e.do(t, "DELETE", path, tok, nil).problem(t, http.StatusForbidden)
			}

			// Cancelled, it can be deleted.
			e.do(t, "PATCH", path, e.managerTok, map[string]any{"state": "cancelled"}).want(t, 200)
			e.do(t, "DELETE", path, e.managerTok, nil).want(t, 204)
			e.do(t, "GET", path, e.adminTok, nil).problem(t, http.StatusNotFound)
		})
	}
}
