package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// contractPageFixture gives ALPHA an active contract in force with every
// part filled (pack, reports to its contact, a perimeter of servers at its
// site with one asset named), for the contract pages.
func contractPageFixture(t *testing.T, srv *apptest.Server, f fixture, assetID int64) int64 {
	t.Helper()
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)
	c := contract.Contract{ClientID: f.a.ID, Reference: "INF-PAGES", Title: "Infogérance", Start: start, End: &end, State: contract.StateActive,
		Renewal:  contract.Renewal{Kind: contract.RenewalTacit, TermMonths: 12, NoticeMonths: 3},
		Calendar: ticket.DefaultCalendar, Availability: 99.5,
		Targets: map[sla.Priority]sla.Target{"P1": {TTO: 15 * time.Minute, TTR: 4 * time.Hour}},
		Support: contract.Support{Mode: contract.SupportPack, Minutes: 1200, PackStart: &start}, OnSitePerMonth: 2,
		Reporting: contract.Reporting{Monthly: true, Recipients: []int64{f.contactA.ID}}, Reversibility: "Données rendues sous 30 jours.",
		Perimeter: contract.Perimeter{Kinds: []asset.Kind{asset.KindServer}, Sites: []int64{f.siteA.ID}, Include: []int64{assetID}}}
	if err := srv.App.Contracts.Create(srv.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// contractForm is a valid contract form for ALPHA.
func contractForm(f fixture, ref, state, start, end string) url.Values {
	return url.Values{"reference": {ref}, "title": {"Infogérance " + ref}, "start": {start}, "end": {end}, "state": {state},
		"renewal.kind": {"none"}, "time_zone": {"Europe/Paris"}, "holidays": {"FR"}, "mon.1.start": {"08:30"}, "mon.1.end": {"18:00"},
		"P1.tto_m": {"30"}, "P1.ttr_h": {"4"}, "availability": {"99,5"}, "support.mode": {"monthly"}, "support.hours": {"7,5"},
		"onsite_per_month": {"2"}, "reporting": {"monthly"}, "reporting.recipients": {itoa(f.contactA.ID)},
		"perimeter.kinds": {"workstation"}, "retention_years": {"5"}}
}

func TestContractPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		srv.User("limited-b@example.com", tenant.RoleTechnician, f.b.ID)
		srv.User("cadmin@bravo.example", tenant.RoleClientAdmin, f.b.ID)
		srv.User("ctech@example.com", tenant.RoleTechnician)
		srv.User("cmanager@example.com", tenant.RoleManager)
		ctx, sys := srv.Ctx(), tenant.System()
		srvAsset := asset.Asset{ClientID: f.a.ID, Kind: asset.KindServer, Name: "srv-contract"}
		if err := srv.App.Assets.Create(ctx, sys, &srvAsset); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			cs, err := srv.App.Contracts.List(ctx, sys, f.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}
		manager := signedIn(t, srv, "cmanager@example.com")
		manager.lang = "en"
		list := manager.get(fmt.Sprintf("/clients/%d/contracts", f.a.ID))
		wantStatus(t, "empty list", list, http.StatusOK)
		wantBody(t, "empty list", list, "has no contract yet", fmt.Sprintf("/clients/%d/contracts/new", f.a.ID))
		wantBody(t, "client page link", manager.get(fmt.Sprintf("/clients/%d", f.a.ID)), fmt.Sprintf(`href="/clients/%d/contracts"`, f.a.ID))

		// The new form offers the client's contacts and sites, never B's.
		form := manager.get(fmt.Sprintf("/clients/%d/contracts/new", f.a.ID))
		wantStatus(t, "new form", form, http.StatusOK)
		wantBody(t, "new form", form, "Contact ALPHA", "Site of ALPHA", "srv-contract")
		wantNotBody(t, "new form", form, "Contact BRAVO", "Site of BRAVO")

		today := time.Now().Format(time.DateOnly)
		r := manager.post(fmt.Sprintf("/clients/%d/contracts/new", f.a.ID), contractForm(f, "INF-1", "active", "2020-01-01", ""))
		wantStatus(t, "create", r, http.StatusSeeOther)
		if !strings.HasPrefix(r.loc, "/contracts/") {
			t.Fatalf("created: redirected to %q", r.loc)
		}
		cs, err := srv.App.Contracts.List(ctx, sys, f.a.ID)
		if err != nil || len(cs) != 1 {
			t.Fatalf("contracts after create: %v, %v", cs, err)
		}
		got := cs[0]
		if got.Support.Minutes != 450 || got.Availability != 99.5 || got.Targets["P1"] != (sla.Target{TTO: 30 * time.Minute, TTR: 4 * time.Hour}) ||
			len(got.Reporting.Recipients) != 1 || !got.Reporting.Monthly || len(got.Perimeter.Kinds) != 1 || got.State != contract.StateActive {
			t.Errorf("stored %+v", got)
		}
		page := manager.get(r.loc)
		wantStatus(t, "contract page", page, http.StatusOK)
		wantBody(t, "contract page", page, "INF-1", "In force", "7h 30m", "Monthly steering report", "Workstation")
		wantBody(t, "list", manager.get(fmt.Sprintf("/clients/%d/contracts", f.a.ID)), "row-in-force", "INF-1")

		// The asset page says the server is out, and why.
		ap := manager.get(fmt.Sprintf("/assets/%d", srvAsset.ID))
		wantBody(t, "asset coverage", ap, "Contract perimeter", "Out", "kind Server not in the perimeter", "INF-1")

		// Bad input: the form comes back with the field's message, nothing changes.
		for _, tt := range []struct {
			name, field, want string
			vals              url.Values
		}{
			{"end before start", "end", "The end must be after the start.", contractForm(f, "INF-2", "draft", "2026-05-01", "2026-04-30")},
			{"overlap", "start", "Overlaps active contract INF-1", contractForm(f, "INF-3", "active", today, "")},
			{"taken reference", "reference", "", contractForm(f, "INF-1", "draft", today, "")},
			{"availability", "availability", "outside the allowed range", func() url.Values {
				v := contractForm(f, "INF-4", "draft", today, "")
				v.Set("availability", "101")
				return v
			}()},
			{"foreign recipient", "reporting.recipients", fmt.Sprintf("#%d is not one of this client", f.contB.ID), func() url.Values {
				v := contractForm(f, "INF-5", "draft", today, "")
				v.Set("reporting.recipients", itoa(f.contB.ID))
				return v
			}()},
			{"bad date", "start", "Invalid date", contractForm(f, "INF-6", "draft", "01/05/2026", "")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := manager.post(fmt.Sprintf("/clients/%d/contracts/new", f.a.ID), tt.vals)
				if r.status != http.StatusUnprocessableEntity && r.status != http.StatusConflict {
					t.Fatalf("status %d\n%s", r.status, excerpt(r.body))
				}
				if block := fieldErrorBlock(r.body, tt.field); block == "" || !strings.Contains(block, tt.want) {
					t.Errorf("field %s: %q, want %q", tt.field, block, tt.want)
				}
				if n := count(); n != 1 {
					t.Errorf("%d contracts after a refused form", n)
				}
			})
		}

		// Edit: what the form shows comes back as it was.
		id := got.ID
		edit := manager.get(fmt.Sprintf("/contracts/%d/edit", id))
		wantStatus(t, "edit form", edit, http.StatusOK)
		if v := inputValue(edit.body, "support.hours"); v != "7.5" {
			t.Errorf("support hours shown as %q", v)
		}
		vals := contractForm(f, "INF-1", "cancelled", "2020-01-01", "")
		r = manager.post(fmt.Sprintf("/contracts/%d/edit", id), vals)
		wantStatus(t, "update", r, http.StatusSeeOther)
		if c, _ := srv.App.Contracts.Get(ctx, sys, id); c.State != contract.StateCancelled {
			t.Errorf("state after update: %s", c.State)
		}

		// Rights: client users of A read, never write; B's callers do not see it.
		for _, tt := range []struct {
			email      string
			read, edit int
		}{
			{"cuser@alpha.example", http.StatusOK, http.StatusForbidden},
			{"cadmin@alpha.example", http.StatusOK, http.StatusForbidden},
			{"ctech@example.com", http.StatusOK, http.StatusForbidden},
			{"limited@example.com", http.StatusOK, http.StatusForbidden},
			{"limited-b@example.com", http.StatusNotFound, http.StatusNotFound},
			{"cuser@bravo.example", http.StatusNotFound, http.StatusNotFound},
			{"cadmin@bravo.example", http.StatusNotFound, http.StatusNotFound},
		} {
			t.Run(tt.email, func(t *testing.T) {
				b := signedIn(t, srv, tt.email)
				wantStatus(t, "page", b.get(fmt.Sprintf("/contracts/%d", id)), tt.read)
				wantStatus(t, "list", b.get(fmt.Sprintf("/clients/%d/contracts", f.a.ID)), tt.read)
				wantStatus(t, "edit form", b.get(fmt.Sprintf("/contracts/%d/edit", id)), tt.edit)
				wantStatus(t, "new form", b.get(fmt.Sprintf("/clients/%d/contracts/new", f.a.ID)), tt.edit)
				wantStatus(t, "update", b.post(fmt.Sprintf("/contracts/%d/edit", id), contractForm(f, "HACK", "draft", today, "")), tt.edit)
				wantStatus(t, "create", b.post(fmt.Sprintf("/clients/%d/contracts/new", f.a.ID), contractForm(f, "HACK", "draft", today, "")), tt.edit)
				wantStatus(t, "delete", b.post(fmt.Sprintf("/contracts/%d/delete", id), url.Values{}), tt.edit)
				if tt.read == http.StatusNotFound {
					wantNotBody(t, "asset page", b.get(fmt.Sprintf("/assets/%d", srvAsset.ID)), "INF-1")
				}
			})
		}
		if c, err := srv.App.Contracts.Get(ctx, sys, id); err != nil || c.Reference != "INF-1" || count() != 1 {
			t.Fatalf("refused callers changed the contract: %+v, %v", c, err)
		}

		// An active contract is not deleted; a cancelled one is.
		active := contractPageFixture(t, srv, f, srvAsset.ID)
		r = manager.post(fmt.Sprintf("/contracts/%d/delete", active), url.Values{})
		wantStatus(t, "delete active", r, http.StatusSeeOther)
		if _, err := srv.App.Contracts.Get(ctx, sys, active); err != nil {
			t.Errorf("active contract deleted: %v", err)
		}
		r = manager.post(fmt.Sprintf("/contracts/%d/delete", id), url.Values{})
		wantStatus(t, "delete cancelled", r, http.StatusSeeOther)
		if _, err := srv.App.Contracts.Get(ctx, sys, id); err == nil {
			t.Error("cancelled contract still there")
		}
	})
}
