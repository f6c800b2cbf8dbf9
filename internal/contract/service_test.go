package contract_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

var sys = tenant.System()

// env is a contract service on a real database with two clients, A and B,
// each with a site, a contact and two assets (a workstation and a server).
type env struct {
	db           *store.DB
	svc          *contract.Service
	A, B         client.Client
	siteA, siteB client.Site
	contA, contB client.Contact
	pcA, srvA    asset.Asset
	pcB          asset.Asset
}

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	e := &env{db: db, svc: contract.NewService(db, audit.NewJournal(db, clock), clock)}
	mk := func(code string) (client.Client, client.Site, client.Contact, asset.Asset, asset.Asset) {
		c := client.Client{Code: code, Name: "Client " + code, TimeZone: "Europe/Paris", Language: "fr"}
		ok(t, db.CreateClient(ctx, sys, &c))
		st := client.Site{ClientID: c.ID, Name: "Siège " + code}
		ok(t, db.CreateSite(ctx, sys, &st))
		ct := client.Contact{ClientID: c.ID, LastName: "Contact " + code}
		ok(t, db.CreateContact(ctx, sys, &ct))
		pc := asset.Asset{ClientID: c.ID, SiteID: &st.ID, Kind: asset.KindWorkstation, Name: "pc-" + code, Fields: map[string]string{}}
		ok(t, db.CreateAsset(ctx, sys, &pc))
		srv := asset.Asset{ClientID: c.ID, SiteID: &st.ID, Kind: asset.KindServer, Name: "srv-" + code, Fields: map[string]string{}}
		ok(t, db.CreateAsset(ctx, sys, &srv))
		return c, st, ct, pc, srv
	}
	e.A, e.siteA, e.contA, e.pcA, e.srvA = mk("ALPHA")
	e.B, e.siteB, e.contB, e.pcB, _ = mk("BRAVO")
	return e
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func datePtr(y int, m time.Month, d int) *time.Time { t := date(y, m, d); return &t }

// draft returns a contract of a client that the service accepts.
func draft(clientID int64, ref string, start time.Time, end *time.Time) contract.Contract {
	return contract.Contract{ClientID: clientID, Reference: ref, Title: "Contrat " + ref, Start: start, End: end, State: contract.StateActive,
		Calendar: sla.AlwaysOpen().String(), Availability: 99.5,
		Targets: map[sla.Priority]sla.Target{"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour}}}
}

// wantInvalid checks that err names field with code (and param, if not "").
func wantInvalid(t *testing.T, err error, field, code, param string) {
	t.Helper()
	v, isInvalid := fault.AsInvalid(err)
	if !isInvalid || !slices.ContainsFunc(v.Fields, func(f fault.FieldError) bool {
		return f.Field == field && f.Code == code && (param == "" || f.Param == param)
	}) {
		t.Errorf("err = %v; want %s: %s (%s)", err, field, code, param)
	}
}

func TestService(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Run("validation against the database", func(t *testing.T) { testServiceValidation(t, newEnv(t, dialect)) })
			t.Run("tenancy", func(t *testing.T) { testServiceTenancy(t, newEnv(t, dialect)) })
			t.Run("in force and coverage", func(t *testing.T) { testServiceCoverage(t, newEnv(t, dialect)) })
			t.Run("lifecycle and journal", func(t *testing.T) { testServiceLifecycle(t, newEnv(t, dialect)) })
			t.Run("concurrent overlapping creations", func(t *testing.T) { testServiceConcurrentOverlap(t, newEnv(t, dialect)) })
		})
	}
}

func testServiceValidation(t *testing.T, e *env) {
	ctx := t.Context()
	first := draft(e.A.ID, "INF-2025", date(2025, 1, 1), datePtr(2025, 12, 31))
	ok(t, e.svc.Create(ctx, sys, &first))

	tests := []struct {
		name   string
		mutate func(c *contract.Contract)
		field  string
		code   string
		param  string
	}{
		{"overlapping active contract", func(c *contract.Contract) { c.Start = date(2025, 12, 31) }, "start", contract.CodeOverlaps, "INF-2025"},
		{"recipient of another client", func(c *contract.Contract) { c.Reporting.Recipients = []int64{e.contA.ID, e.contB.ID} },
			"reporting.recipients", contract.CodeNotOfClient, strconv.FormatInt(e.contB.ID, 10)},
		{"recipient that does not exist", func(c *contract.Contract) { c.Reporting.Recipients = []int64{999999} },
			"reporting.recipients", contract.CodeNotOfClient, "999999"},
		{"site of another client", func(c *contract.Contract) { c.Perimeter.Sites = []int64{e.siteB.ID} },
			"perimeter.sites", contract.CodeNotOfClient, strconv.FormatInt(e.siteB.ID, 10)},
		{"included asset of another client", func(c *contract.Contract) { c.Perimeter.Include = []int64{e.pcB.ID} },
			"perimeter.include", contract.CodeNotOfClient, strconv.FormatInt(e.pcB.ID, 10)},
		{"excluded asset of another client", func(c *contract.Contract) { c.Perimeter.Exclude = []int64{e.pcB.ID} },
			"perimeter.exclude", contract.CodeNotOfClient, strconv.FormatInt(e.pcB.ID, 10)},
		{"end before start", func(c *contract.Contract) { c.End = datePtr(2025, 12, 31) }, "end", contract.CodeEndBeforeStart, ""},
		{"TTO after TTR", func(c *contract.Contract) { c.Targets["P2"] = sla.Target{TTO: 9 * time.Hour, TTR: 8 * time.Hour} },
			"targets.P2", contract.CodeTTOAfterTTR, ""},
		{"availability out of range", func(c *contract.Contract) { c.Availability = 120 }, "availability", contract.CodeOutOfRange, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := draft(e.A.ID, "INF-2026", date(2026, 1, 1), nil)
			tt.mutate(&c)
			wantInvalid(t, e.svc.Create(ctx, sys, &c), tt.field, tt.code, tt.param)
			if list, _ := e.svc.List(ctx, sys, e.A.ID); len(list) != 1 {
				t.Errorf("a refused contract was stored: %d contracts", len(list))
			}
		})
	}

	t.Run("duplicate reference", func(t *testing.T) {
		c := draft(e.A.ID, "INF-2025", date(2026, 1, 1), nil)
		if err := e.svc.Create(ctx, sys, &c); !errors.Is(err, fault.ErrConflict) || fault.ConflictField(err) != "reference" {
			t.Errorf("err = %v, want a conflict on reference", err)
		}
	})
	t.Run("a draft may overlap, its activation may not", func(t *testing.T) {
		c := draft(e.A.ID, "INF-2025-BIS", date(2025, 6, 1), nil)
		c.State = contract.StateDraft
		ok(t, e.svc.Create(ctx, sys, &c))
		c.State = contract.StateActive
		wantInvalid(t, e.svc.Update(ctx, sys, &c), "start", contract.CodeOverlaps, "INF-2025")
		got, err := e.svc.Get(ctx, sys, c.ID)
		ok(t, err)
		if got.State != contract.StateDraft {
			t.Errorf("a refused update changed the state to %s", got.State)
		}
		c.Start = date(2026, 1, 1)
		ok(t, e.svc.Update(ctx, sys, &c))
	})
	t.Run("a contract of B does not overlap A's", func(t *testing.T) {
		c := draft(e.B.ID, "INF-2025", date(2025, 1, 1), nil)
		ok(t, e.svc.Create(ctx, sys, &c))
	})
}

func testServiceTenancy(t *testing.T, e *env) {
	ctx := t.Context()
	a := draft(e.A.ID, "A-1", date(2026, 1, 1), nil)
	a.Perimeter.Kinds = []asset.Kind{asset.KindWorkstation}
	ok(t, e.svc.Create(ctx, sys, &a))

	foreign := map[string]tenant.Scope{
		"client user of B":        {UserID: 101, Role: tenant.RoleClientUser, ClientID: e.B.ID},
		"client admin of B":       {UserID: 102, Role: tenant.RoleClientAdmin, ClientID: e.B.ID},
		"manager limited to B":    {UserID: 103, Role: tenant.RoleManager, Clients: []int64{e.B.ID}},
		"technician limited to B": {UserID: 104, Role: tenant.RoleTechnician, Clients: []int64{e.B.ID}},
	}
	for name, s := range foreign {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.Get(ctx, s, a.ID)
			wantNotFound(t, "get", err)
			_, err = e.svc.List(ctx, s, e.A.ID)
			wantNotFound(t, "list", err)
			_, _, err = e.svc.InForce(ctx, s, e.A.ID, now)
			wantNotFound(t, "in force", err)
			_, err = e.svc.Coverage(ctx, s, e.pcA.ID, now)
			wantNotFound(t, "coverage", err)
			up := a
			up.Title = "stolen"
			wantNotFound(t, "update", e.svc.Update(ctx, s, &up))
			wantNotFound(t, "delete", e.svc.Delete(ctx, s, a.ID))
			x := draft(e.A.ID, "X", date(2030, 1, 1), nil)
			wantNotFound(t, "create", e.svc.Create(ctx, s, &x))
		})
	}
	got, err := e.svc.Get(ctx, sys, a.ID)
	ok(t, err)
	if got.Title != a.Title {
		t.Errorf("A's contract changed: %q", got.Title)
	}

	// Those who see A read its contract; only admins and managers change it.
	readers := map[string]tenant.Scope{
		"client user of A":        {UserID: 201, Role: tenant.RoleClientUser, ClientID: e.A.ID},
		"client admin of A":       {UserID: 202, Role: tenant.RoleClientAdmin, ClientID: e.A.ID},
		"technician limited to A": {UserID: 203, Role: tenant.RoleTechnician, Clients: []int64{e.A.ID}},
	}
	for name, s := range readers {
		t.Run(name, func(t *testing.T) {
			if _, err := e.svc.Get(ctx, s, a.ID); err != nil {
				t.Errorf("get: %v", err)
			}
			if c, found, err := e.svc.InForce(ctx, s, e.A.ID, now); err != nil || !found || c.ID != a.ID {
				t.Errorf("in force: %v %v %v", c.ID, found, err)
			}
			up := a
			up.Title = "changed"
			if err := e.svc.Update(ctx, s, &up); !errors.Is(err, fault.ErrForbidden) {
				t.Errorf("update: %v, want ErrForbidden", err)
			}
			x := draft(e.A.ID, "X", date(2030, 1, 1), nil)
			if err := e.svc.Create(ctx, s, &x); !errors.Is(err, fault.ErrForbidden) {
				t.Errorf("create: %v, want ErrForbidden", err)
			}
		})
	}
	manager := tenant.Scope{UserID: 301, Role: tenant.RoleManager, Clients: []int64{e.A.ID}}
	a.Title = "par le manager"
	ok(t, e.svc.Update(ctx, manager, &a))
	// An update cannot move a contract to another client.
	moved := a
	moved.ClientID = e.B.ID
	ok(t, e.svc.Update(ctx, sys, &moved))
	if got, err := e.svc.Get(ctx, sys, a.ID); err != nil || got.ClientID != e.A.ID || moved.ClientID != e.A.ID {
		t.Errorf("after an update naming client B: stored client %d, returned %d (%v)", got.ClientID, moved.ClientID, err)
	}
}

func testServiceCoverage(t *testing.T, e *env) {
	ctx := t.Context()
	_, found, err := e.svc.InForce(ctx, sys, e.A.ID, now)
	if err != nil || found {
		t.Fatalf("in force without a contract: %v %v", found, err)
	}
	cov, err := e.svc.Coverage(ctx, sys, e.srvA.ID, now)
	ok(t, err)
	if cov.In || cov.Reason.Code != contract.ReasonNoContract {
		t.Errorf("coverage without a contract: %+v", cov)
	}
	// Workstations only, from 29 March 2026 (the spring-forward day in Paris).
	c := draft(e.A.ID, "POSTES", date(2026, 3, 29), nil)
	c.Perimeter.Kinds = []asset.Kind{asset.KindWorkstation}
	ok(t, e.svc.Create(ctx, sys, &c))
	before := time.Date(2026, 3, 28, 22, 59, 0, 0, time.UTC) // 23:59 on 28 March in Paris
	first := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)   // 00:00 on 29 March in Paris
	if _, found, _ := e.svc.InForce(ctx, sys, e.A.ID, before); found {
		t.Error("in force on the eve of its start (Paris time)")
	}
	if got, found, _ := e.svc.InForce(ctx, sys, e.A.ID, first); !found || got.ID != c.ID {
		t.Error("not in force at midnight of its first day (Paris time)")
	}
	cov, err = e.svc.Coverage(ctx, sys, e.srvA.ID, first)
	ok(t, err)
	if cov.In || cov.ContractID != c.ID || cov.Reason.Code != contract.ReasonKindNotIncluded || cov.Reason.String() != "kind server not in the perimeter" {
		t.Errorf("a server under a workstations-only contract: %+v", cov)
	}
	cov, err = e.svc.Coverage(ctx, sys, e.pcA.ID, first)
	ok(t, err)
	if !cov.In || cov.Reason.Code != contract.ReasonKindIncluded {
		t.Errorf("a workstation under a workstations-only contract: %+v", cov)
	}
	// The server excepted in by name.
	c.Perimeter.Include = []int64{e.srvA.ID}
	ok(t, e.svc.Update(ctx, sys, &c))
	cov, err = e.svc.Coverage(ctx, sys, e.srvA.ID, first)
	ok(t, err)
	if !cov.In || cov.Reason.Code != contract.ReasonIncluded {
		t.Errorf("a server explicitly included: %+v", cov)
	}
	if cur, found, err := e.svc.Current(ctx, sys, e.A.ID); err != nil || found {
		t.Errorf("current on %s (before the start): %v %v %v", now, cur.Reference, found, err)
	}
}

func testServiceLifecycle(t *testing.T, e *env) {
	ctx := audit.WithActor(t.Context(), audit.Actor{UserID: 0, Name: "manager@msp.example"})
	c := draft(e.A.ID, "CYCLE", date(2026, 1, 1), nil)
	ok(t, e.svc.Create(ctx, sys, &c))
	wantInvalid(t, e.svc.Delete(ctx, sys, c.ID), "state", contract.CodeStillActive, "")
	c.State = contract.StateCancelled
	ok(t, e.svc.Update(ctx, sys, &c))
	ok(t, e.svc.Delete(ctx, sys, c.ID))
	_, err := e.svc.Get(ctx, sys, c.ID)
	wantNotFound(t, "deleted", err)
	entries, err := audit.NewJournal(e.db, nil).List(ctx, sys, audit.Filter{Action: "contract"})
	ok(t, err)
	var actions []string
	for _, en := range entries {
		if en.ClientID == nil || *en.ClientID != e.A.ID || en.Object != audit.Object("contract", c.ID) {
			t.Errorf("journal entry %+v", en)
		}
		actions = append(actions, en.Action)
	}
	if !slices.Equal(actions, []string{"contract.delete", "contract.update", "contract.create"}) {
		t.Errorf("journal %v", actions)
	}
	if len(entries) == 3 && entries[1].Summary != "state: active → cancelled" {
		t.Errorf("update summary %q", entries[1].Summary)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("%s: err = %v, want ErrNotFound", what, err)
	}
}

// testServiceConcurrentOverlap starts overlapping active contracts of one
// client at once: exactly one may be stored, whatever the interleaving.
func testServiceConcurrentOverlap(t *testing.T, e *env) {
	const n = 6
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := draft(e.A.ID, "RACE-"+strconv.Itoa(i), date(2026, 1, 1+i), nil)
			errs <- e.svc.Create(context.Background(), sys, &c)
		}()
	}
	wg.Wait()
	close(errs)
	stored, refused := 0, 0
	for err := range errs {
		switch v, isInvalid := fault.AsInvalid(err); {
		case err == nil:
			stored++
		case isInvalid && len(v.Fields) == 1 && v.Fields[0].Code == contract.CodeOverlaps:
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	list, err := e.svc.List(t.Context(), sys, e.A.ID)
	ok(t, err)
	if stored != 1 || refused != n-1 || len(list) != 1 {
		t.Errorf("%d stored, %d refused as overlapping, %d in the database; want 1, %d, 1", stored, refused, len(list), n-1)
	}
}
