package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
)

// contractConformance is the store suite of contracts, on every dialect.
var contractConformance = []struct {
	name string
	run  func(t *testing.T, db *store.DB)
}{
	{"contracts/round trip and scope", testContractCRUD},
	{"contracts/reference unique per client", testContractReference},
	{"contracts/in force at a date", testContractInForce},
	{"contracts/links follow deletions", testContractLinks},
	{"contracts/asset facts", testAssetFacts},
}

func TestContractStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			for _, c := range contractConformance {
				t.Run(c.name, func(t *testing.T) { c.run(t, newTestDB(t, d)) })
			}
		})
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func dayPtr(y int, m time.Month, d int) *time.Time { t := day(y, m, d); return &t }

// mkContract stores a valid active contract of a client from start, with end.
func mkContract(t testing.TB, db *store.DB, clientID int64, ref string, start time.Time, end *time.Time) contract.Contract {
	t.Helper()
	c := contract.Contract{ClientID: clientID, Reference: ref, Title: "Contrat " + ref, Start: start, End: end, State: contract.StateActive,
		Calendar: sla.AlwaysOpen().String(), Availability: 99.5}
	ok(t, c.Normalize())
	ok(t, db.CreateContract(t.Context(), sys, &c))
	return c
}

func testContractCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	pc := mkAsset(t, db, w.A.ID, asset.KindWorkstation, "pc-1")
	srv := mkAsset(t, db, w.A.ID, asset.KindServer, "srv-1")
	other := mkContact(t, db, w.A.ID, nil, "Paul", "Alpha", "paul@alpha.example")
	pack := day(2026, 2, 1)
	c := contract.Contract{
		ClientID: w.A.ID, Reference: "INF-2026-01", Title: "Infogérance poste de travail", Start: day(2026, 1, 1), End: dayPtr(2026, 12, 31),
		Renewal: contract.Renewal{Kind: contract.RenewalTacit, NoticeMonths: 3, TermMonths: 12}, State: contract.StateActive,
		Calendar: sla.AlwaysOpen().String(),
		Targets: map[sla.Priority]sla.Target{
			"P1": {TTO: 15 * time.Minute, TTR: 4 * time.Hour},
			"P4": {TTO: 8 * time.Hour, TTR: 0},
		},
		Availability:   99.5,
		Support:        contract.Support{Mode: contract.SupportPack, Minutes: 40 * 60, PackStart: &pack},
		OnSitePerMonth: 2,
		Reporting:      contract.Reporting{Daily: true, Quarterly: true, Recipients: []int64{other.ID, w.contactA.ID}},
		Reversibility:  "Export complet sous 30 jours.\nFormats ouverts.",
		DataProtection: "Article 28 du RGPD.",
		RetentionYears: 5,
		Perimeter: contract.Perimeter{Kinds: []asset.Kind{asset.KindWorkstation}, Sites: []int64{w.siteA.ID},
			Include: []int64{srv.ID}, Exclude: []int64{pc.ID}},
	}
	ok(t, c.Normalize())
	ok(t, db.CreateContract(ctx, sys, &c))
	if c.ID == 0 || c.Created.IsZero() {
		t.Fatalf("created %+v", c)
	}
	got := must(db.Contract(ctx, w.userA.Scope(), c.ID))(t)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, c)
	}

	// Another client's contract is invisible to every scope limited to A.
	b := mkContract(t, db, w.B.ID, "B-1", day(2026, 1, 1), nil)
	for name, s := range w.limitedToA() {
		_, err := db.Contract(ctx, s, b.ID)
		wantNotFound(t, name+" reads B's contract", err)
		list := must(db.Contracts(ctx, s, w.B.ID))(t)
		if len(list) != 0 {
			t.Errorf("%s lists B's contracts: %v", name, list)
		}
		_, err = db.ContractInForce(ctx, s, w.B.ID, day(2026, 6, 1))
		wantNotFound(t, name+" finds B's contract in force", err)
		stolen := b
		stolen.Title = "stolen"
		wantNotFound(t, name+" updates B's contract", db.UpdateContract(ctx, s, &stolen))
		wantNotFound(t, name+" deletes B's contract", db.DeleteContract(ctx, s, b.ID))
		x := b
		x.ID, x.Reference = 0, "X-"+name
		wantNotFound(t, name+" creates in B", db.CreateContract(ctx, s, &x))
	}
	if got := must(db.Contract(ctx, sys, b.ID))(t); got.Title != b.Title {
		t.Errorf("B's contract changed: %+v", got)
	}

	// Update replaces the lists and every field.
	c.Title, c.End, c.Renewal = "Infogérance 2026", dayPtr(2026, 6, 30), contract.Renewal{Kind: contract.RenewalNone}
	c.Support = contract.Support{Mode: contract.SupportMonthly, Minutes: 600}
	c.Reporting = contract.Reporting{Monthly: true, Annual: true, Recipients: []int64{w.contactA.ID}}
	c.Perimeter = contract.Perimeter{Kinds: []asset.Kind{}, Sites: []int64{}, Include: []int64{}, Exclude: []int64{srv.ID}}
	delete(c.Targets, "P4")
	ok(t, c.Normalize())
	ok(t, db.UpdateContract(ctx, w.manager.Scope(), &c))
	got = must(db.Contract(ctx, sys, c.ID))(t)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("after update\n%+v\nwant\n%+v", got, c)
	}
	list := must(db.Contracts(ctx, w.techA.Scope(), w.A.ID))(t)
	if len(list) != 1 || !reflect.DeepEqual(list[0], c) {
		t.Errorf("list of A: %+v", list)
	}
	ok(t, db.DeleteContract(ctx, sys, c.ID))
	_, err := db.Contract(ctx, sys, c.ID)
	wantNotFound(t, "deleted contract", err)
}

func testContractReference(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := mkContract(t, db, w.A.ID, "REF-1", day(2024, 1, 1), dayPtr(2024, 12, 31))
	dup := a
	dup.ID, dup.Start, dup.End = 0, day(2025, 1, 1), nil
	wantConflict(t, "same reference, same client", db.CreateContract(ctx, sys, &dup), "reference")
	mkContract(t, db, w.B.ID, "REF-1", day(2024, 1, 1), nil) // another client may use it
	second := mkContract(t, db, w.A.ID, "REF-2", day(2025, 1, 1), nil)
	second.Reference = "REF-1"
	wantConflict(t, "renamed onto a taken reference", db.UpdateContract(ctx, sys, &second), "reference")
}

func testContractInForce(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	old := mkContract(t, db, w.A.ID, "2024", day(2024, 1, 1), dayPtr(2024, 12, 31))
	tacit := contract.Contract{ClientID: w.A.ID, Reference: "2025", Title: "tacite", Start: day(2025, 1, 1), End: dayPtr(2025, 6, 30),
		Renewal: contract.Renewal{Kind: contract.RenewalTacit, TermMonths: 6}, State: contract.StateActive, Calendar: sla.AlwaysOpen().String(), Availability: 99}
	ok(t, tacit.Normalize())
	ok(t, db.CreateContract(ctx, sys, &tacit))
	draft := contract.Contract{ClientID: w.A.ID, Reference: "DRAFT", Title: "brouillon", Start: day(2023, 1, 1), Calendar: sla.AlwaysOpen().String(), Availability: 99}
	ok(t, draft.Normalize())
	ok(t, db.CreateContract(ctx, sys, &draft))
	all := must(db.Contracts(ctx, sys, w.A.ID))(t)
	if len(all) != 3 || all[0].ID != draft.ID || all[1].ID != old.ID || all[2].ID != tacit.ID {
		t.Fatalf("contracts by start: %v", ids(all, func(c contract.Contract) int64 { return c.ID }))
	}
	// The store's query and the pure rule agree on every day around the edges.
	for _, d := range []time.Time{day(2022, 12, 31), day(2023, 6, 1), day(2023, 12, 31), day(2024, 1, 1), day(2024, 12, 31),
		day(2025, 1, 1), day(2025, 6, 30), day(2025, 7, 1), day(2031, 3, 3)} {
		got, err := db.ContractInForce(ctx, w.userA.Scope(), w.A.ID, d)
		want, found := contract.InForce(all, d, time.UTC)
		if found != (err == nil) || (found && got.ID != want.ID) {
			t.Errorf("%s: store says %q (%v), rule says %q (%v)", d.Format(time.DateOnly), got.Reference, err, want.Reference, found)
		}
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if got := must(db.ContractInForce(ctx, sys, w.A.ID, day(2024, 12, 31)))(t); got.Reference != "2024" {
		t.Errorf("last day of 2024: %q", got.Reference)
	}
	if got := must(db.ContractInForce(ctx, sys, w.A.ID, day(2030, 1, 1)))(t); got.Reference != "2025" {
		t.Errorf("tacitly renewed in 2030: %q", got.Reference)
	}
}

func testContractLinks(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	pc := mkAsset(t, db, w.A.ID, asset.KindWorkstation, "pc")
	gone := mkContact(t, db, w.A.ID, nil, "Léa", "Départ", "lea@alpha.example")
	c := mkContract(t, db, w.A.ID, "L", day(2026, 1, 1), nil)
	c.Perimeter.Include, c.Perimeter.Sites = []int64{pc.ID}, []int64{w.siteA.ID}
	c.Reporting.Recipients = []int64{w.contactA.ID, gone.ID}
	ok(t, db.UpdateContract(ctx, sys, &c))
	ok(t, db.DeleteAsset(ctx, sys, pc.ID))
	ok(t, db.DeleteContact(ctx, sys, gone.ID))
	got := must(db.Contract(ctx, sys, c.ID))(t)
	if len(got.Perimeter.Include) != 0 || len(got.Reporting.Recipients) != 1 || got.Reporting.Recipients[0] != w.contactA.ID {
		t.Errorf("after deleting an asset and a contact: %+v %+v", got.Perimeter, got.Reporting)
	}
	// Deleting the perimeter's site would widen it to every site: refused.
	if err := db.DeleteSite(ctx, sys, w.siteA.ID); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("delete a site named by a contract: %v, want ErrConflict", err)
	}
	if got := must(db.Contract(ctx, sys, c.ID))(t); len(got.Perimeter.Sites) != 1 {
		t.Errorf("perimeter sites after the refused deletion: %v", got.Perimeter.Sites)
	}
}

func testAssetFacts(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := asset.Asset{ClientID: w.A.ID, SiteID: &w.siteA.ID, Kind: asset.KindServer, Name: "srv", Fields: map[string]string{}}
	ok(t, db.CreateAsset(ctx, sys, &a))
	got := must(db.AssetFacts(ctx, w.userA.Scope(), a.ID))(t)
	want := contract.AssetFacts{ID: a.ID, ClientID: w.A.ID, Kind: asset.KindServer, SiteID: &w.siteA.ID, SiteName: "Alpha HQ"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("facts %+v, want %+v", got, want)
	}
	noSite := mkAsset(t, db, w.A.ID, asset.KindPrinter, "printer")
	if got := must(db.AssetFacts(ctx, sys, noSite.ID))(t); got.SiteID != nil || got.SiteName != "" || got.Kind != asset.KindPrinter {
		t.Errorf("facts without a site %+v", got)
	}
	b := mkAsset(t, db, w.B.ID, asset.KindServer, "srv-b")
	for name, s := range w.limitedToA() {
		_, err := db.AssetFacts(ctx, s, b.ID)
		wantNotFound(t, name+" reads B's asset facts", err)
	}
}
