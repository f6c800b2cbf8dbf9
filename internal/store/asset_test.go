package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
)

// fleetConformance is the store suite of the fleet, on every dialect.
var fleetConformance = []struct {
	name string
	run  func(t *testing.T, db *store.DB)
}{
	{"assets/crud and scope", testAssetCRUD},
	{"assets/filters and pagination", testAssetFilters},
	{"agents/claim report once", testClaimReport},
	{"agents/claim report concurrently", testClaimReportConcurrent},
	{"enroll tokens/uses and revoke", testEnrollTokens},
	{"inventory and changes", testInventoryChanges},
	{"fleet settings", testFleetSettings},
	{"assets/delete cascades", testAssetDeleteCascade},
}

func TestFleetStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			for _, c := range fleetConformance {
				t.Run(c.name, func(t *testing.T) { c.run(t, newTestDB(t, d)) })
			}
		})
	}
}

func mkAsset(t testing.TB, db *store.DB, clientID int64, kind asset.Kind, name string) asset.Asset {
	t.Helper()
	a := asset.Asset{ClientID: clientID, Kind: kind, Name: name, Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
	ok(t, db.CreateAsset(t.Context(), sys, &a))
	return a
}

func mkAgent(t testing.TB, db *store.DB, a asset.Asset, hash string) asset.Agent {
	t.Helper()
	ag := asset.Agent{ClientID: a.ClientID, AssetID: a.ID, Hostname: a.Name, OS: "linux", Version: "1.0", MachineID: "m-" + a.Name,
		Enrolled: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), ReportInterval: 60}
	ok(t, db.CreateAgent(t.Context(), &ag, hash))
	return ag
}

func testAssetCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	warranty := time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC)
	a := asset.Asset{ClientID: w.A.ID, SiteID: &w.siteA.ID, Kind: asset.KindPrinter, Name: "Imprimante Étage", Criticality: asset.CriticalityHigh,
		OwnerContactID: &w.contactA.ID, WarrantyEnd: &warranty, Notes: "toner", Fields: map[string]string{"ip": "10.0.0.1", "serial": "SN1"}}
	ok(t, db.CreateAsset(ctx, sys, &a))
	got := must(db.Asset(ctx, w.userA.Scope(), a.ID))(t)
	if got.Name != a.Name || *got.SiteID != w.siteA.ID || *got.OwnerContactID != w.contactA.ID || !got.WarrantyEnd.Equal(warranty) ||
		got.Fields["ip"] != "10.0.0.1" || got.Agent != nil || got.Vitals != nil || got.Created.IsZero() {
		t.Errorf("read back %+v", got)
	}
	for name, s := range w.limitedToA() {
		b := mkAsset(t, db, w.B.ID, asset.KindServer, "b-"+name)
		_, err := db.Asset(ctx, s, b.ID)
		wantNotFound(t, name+" reads B's asset", err)
		b.Name = "stolen"
		wantNotFound(t, name+" updates B's asset", db.UpdateAsset(ctx, s, &b))
		wantNotFound(t, name+" deletes B's asset", db.DeleteAsset(ctx, s, b.ID))
		x := asset.Asset{ClientID: w.B.ID, Kind: asset.KindOther, Name: "x", Fields: map[string]string{}}
		wantNotFound(t, name+" creates in B", db.CreateAsset(ctx, s, &x))
	}
	a.Name, a.Fields = "Imprimante RDC", map[string]string{}
	a.SiteID, a.WarrantyEnd = nil, nil
	ok(t, db.UpdateAsset(ctx, sys, &a))
	got = must(db.Asset(ctx, sys, a.ID))(t)
	if got.Name != "Imprimante RDC" || got.SiteID != nil || got.WarrantyEnd != nil || len(got.Fields) != 0 {
		t.Errorf("after update %+v", got)
	}
	named := must(db.AssetsNamed(ctx, sys, w.A.ID, "Imprimante RDC"))(t)
	if len(named) != 1 || named[0].ID != a.ID {
		t.Errorf("AssetsNamed %+v", named)
	}
	// A site deleted leaves its assets without one.
	b := asset.Asset{ClientID: w.A.ID, SiteID: &w.siteA.ID, Kind: asset.KindOther, Name: "on site", Fields: map[string]string{}}
	ok(t, db.CreateAsset(ctx, sys, &b))
	ok(t, db.DeleteSite(ctx, sys, w.siteA.ID))
	if got := must(db.Asset(ctx, sys, b.ID))(t); got.SiteID != nil {
		t.Error("asset keeps a deleted site")
	}
}

func testAssetFilters(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var all []int64
	for i := range 7 {
		a := mkAsset(t, db, w.A.ID, asset.KindServer, "srv-"+string(rune('a'+i)))
		all = append(all, a.ID)
	}
	mkAsset(t, db, w.B.ID, asset.KindServer, "srv-b")
	got := paginate(t, 3, true, func(cursor int64, limit int) ([]int64, error) {
		rows, err := db.Assets(ctx, w.userA.Scope(), asset.Filter{After: cursor, Limit: limit, Now: now})
		return ids(rows, func(a asset.Asset) int64 { return a.ID }), err
	})
	if len(got) != len(all) {
		t.Errorf("paged %v, want %v", got, all)
	}
	srv := must(db.Asset(ctx, sys, all[0]))(t)
	ag := mkAgent(t, db, srv, "h1")
	claimed := must(db.ClaimReport(ctx, ag.ID, asset.AgentUpdate{Seq: 1, LastSeen: now, OfflineAt: now.Add(3 * time.Minute), Version: "0.9", ReportInterval: 60}))(t)
	if !claimed {
		t.Fatal("first report not claimed")
	}
	ok(t, db.SetVitals(ctx, srv.ID, asset.Vitals{At: now, CPUPercent: 5, FSMaxPercent: 40, FSMaxMount: "/", FSMinFree: 512 << 20}))
	count := func(f asset.Filter) int {
		f.Now = now
		return must(db.CountAssets(ctx, sys, f))(t)
	}
	for _, tt := range []struct {
		name string
		f    asset.Filter
		want int
	}{
		{"online", asset.Filter{Status: asset.StatusOnline}, 1},
		{"online later", asset.Filter{Status: asset.StatusOnline, Now: now.Add(4 * time.Minute)}, 0},
		{"offline", asset.Filter{Status: asset.StatusOffline}, 0},
		{"outdated", asset.Filter{Outdated: true, AgentVersion: "1.0"}, 1},
		{"current", asset.Filter{Outdated: true, AgentVersion: "0.9"}, 0},
		{"low disk by free bytes", asset.Filter{LowDisk: true}, 1},
		{"client", asset.Filter{ClientID: w.B.ID}, 1},
		{"query", asset.Filter{Query: "SRV-C"}, 1},
		{"unknown status", asset.Filter{Status: "sleepy"}, 0},
	} {
		f := tt.f
		if !f.Now.IsZero() {
			if n := must(db.CountAssets(ctx, sys, f))(t); n != tt.want {
				t.Errorf("%s: %d, want %d", tt.name, n, tt.want)
			}
			continue
		}
		if n := count(f); n != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, n, tt.want)
		}
	}
}

func testClaimReport(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	ag := mkAgent(t, db, mkAsset(t, db, w.A.ID, asset.KindServer, "s"), "hash-1")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	u := asset.AgentUpdate{Seq: 5, LastSeen: now, OfflineAt: now.Add(3 * time.Minute), Version: "1.1", SettingsVersion: 2, ReportInterval: 60, Dropped: 3}
	if !must(db.ClaimReport(ctx, ag.ID, u))(t) {
		t.Fatal("seq 5 not claimed")
	}
	for _, seq := range []uint64{5, 4, 1} {
		u.Seq = seq
		if must(db.ClaimReport(ctx, ag.ID, u))(t) {
			t.Errorf("seq %d claimed after 5", seq)
		}
	}
	u.Seq = 6
	if !must(db.ClaimReport(ctx, ag.ID, u))(t) {
		t.Error("seq 6 not claimed")
	}
	got := must(db.AgentBySecret(ctx, "hash-1"))(t)
	if got.LastSeq != 6 || got.Dropped != 6 || got.Version != "1.1" || got.SettingsVersion != 2 || got.LastSeen == nil || !got.LastSeen.Equal(now) {
		t.Errorf("agent after claims %+v", got)
	}
	ok(t, db.RevokeAgent(ctx, ag.ID, now))
	u.Seq = 7
	if must(db.ClaimReport(ctx, ag.ID, u))(t) {
		t.Error("a revoked agent's report claimed")
	}
	wantNotFound(t, "revoke twice", db.RevokeAgent(ctx, ag.ID, now))
	// Re-enrollment: new secret, unrevoked, sequence from zero.
	got.Enrolled = now
	ok(t, db.ReenrollAgent(ctx, &got, "hash-2"))
	_, err := db.AgentBySecret(ctx, "hash-1")
	wantNotFound(t, "old secret", err)
	re := must(db.AgentBySecret(ctx, "hash-2"))(t)
	if re.Revoked != nil || re.LastSeq != 0 || re.ID != ag.ID {
		t.Errorf("re-enrolled %+v", re)
	}
	byMachine := must(db.AgentByMachine(ctx, w.A.ID, ag.MachineID))(t)
	if byMachine.ID != ag.ID {
		t.Errorf("AgentByMachine = %d", byMachine.ID)
	}
	_, err = db.AgentByMachine(ctx, w.B.ID, ag.MachineID)
	wantNotFound(t, "machine in another client", err)
	_, err = db.Agent(ctx, w.userB.Scope(), ag.ID)
	wantNotFound(t, "B reads A's agent", err)
	// One agent per asset.
	dup := asset.Agent{ClientID: w.A.ID, AssetID: ag.AssetID, Enrolled: now}
	if err := db.CreateAgent(ctx, &dup, "hash-3"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("second agent on an asset: %v", err)
	}
}

// testClaimReportConcurrent sends the same report from many goroutines,
// each in its own transaction: exactly one stores it.
func testClaimReportConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	ag := mkAgent(t, db, mkAsset(t, db, w.A.ID, asset.KindServer, "s"), "hash-c")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, errs := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InTx(ctx, func(ctx context.Context) error {
				won, err := db.ClaimReport(ctx, ag.ID, asset.AgentUpdate{Seq: 1, LastSeen: now, OfflineAt: now, ReportInterval: 60})
				if err != nil {
					return err
				}
				if won {
					mu.Lock()
					wins++
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond) // hold the transaction open
				return nil
			})
			if err != nil {
				mu.Lock()
				errs++
				mu.Unlock()
				t.Log(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || errs != 0 {
		t.Errorf("%d transactions claimed the same report, %d failed; want exactly 1 and 0", wins, errs)
	}
}

func testEnrollTokens(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	exp := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	tok := asset.EnrollToken{ClientID: w.A.ID, SiteID: &w.siteA.ID, Name: "deploy", Prefix: "vge_abcdef", Expires: &exp, MaxUses: 2,
		Created: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), CreatedBy: w.manager.ID}
	ok(t, db.CreateEnrollToken(ctx, &tok, "thash"))
	got := must(db.EnrollTokenByHash(ctx, "thash"))(t)
	if got.ID != tok.ID || !got.Expires.Equal(exp) || *got.SiteID != w.siteA.ID || got.CreatedBy != w.manager.ID || got.MaxUses != 2 {
		t.Errorf("read back %+v", got)
	}
	ok(t, db.UseEnrollToken(ctx, tok.ID))
	ok(t, db.UseEnrollToken(ctx, tok.ID))
	if err := db.UseEnrollToken(ctx, tok.ID); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("third use of a two-use token: %v", err)
	}
	_, err := db.EnrollToken(ctx, w.userB.Scope(), tok.ID)
	wantNotFound(t, "B reads A's token", err)
	if toks := must(db.EnrollTokens(ctx, w.userB.Scope(), w.A.ID))(t); len(toks) != 0 {
		t.Errorf("B lists A's tokens: %v", toks)
	}
	unlimited := asset.EnrollToken{ClientID: w.A.ID, Name: "many", Prefix: "vge_zzzzzz", Created: tok.Created}
	ok(t, db.CreateEnrollToken(ctx, &unlimited, "uhash"))
	for range 5 {
		ok(t, db.UseEnrollToken(ctx, unlimited.ID))
	}
	ok(t, db.RevokeEnrollToken(ctx, unlimited.ID, exp))
	if err := db.UseEnrollToken(ctx, unlimited.ID); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("use of a revoked token: %v", err)
	}
	toks := must(db.EnrollTokens(ctx, sys, w.A.ID))(t)
	if len(toks) != 2 || toks[0].ID != unlimited.ID || toks[0].Uses != 5 || toks[0].Revoked == nil || toks[1].Uses != 2 {
		t.Errorf("tokens %+v", toks)
	}
	dup := asset.EnrollToken{ClientID: w.A.ID, Name: "dup", Prefix: "p", Created: tok.Created}
	if err := db.CreateEnrollToken(ctx, &dup, "thash"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("same hash twice: %v", err)
	}
}

func testInventoryChanges(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := mkAsset(t, db, w.A.ID, asset.KindServer, "s")
	if inv := must(db.Inventory(ctx, a.ID))(t); inv != nil {
		t.Errorf("inventory before any: %+v", inv)
	}
	inv := &agentproto.Inventory{Collected: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Hostname: "s", MemoryBytes: 8 << 30,
		Software: []agentproto.Software{{Name: "Firefox", Version: "128"}}}
	ok(t, db.SaveInventory(ctx, w.A.ID, a.ID, inv))
	inv.MemoryBytes = 16 << 30
	ok(t, db.SaveInventory(ctx, w.A.ID, a.ID, inv))
	got := must(db.Inventory(ctx, a.ID))(t)
	if got == nil || got.MemoryBytes != 16<<30 || got.Software[0].Name != "Firefox" || !got.Collected.Equal(inv.Collected) {
		t.Errorf("inventory %+v", got)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var cs []asset.Change
	for i := range 5 {
		cs = append(cs, asset.Change{ClientID: w.A.ID, AssetID: a.ID, At: at, Field: "software", Item: "pkg" + string(rune('0'+i)), Old: "1", New: "2"})
	}
	ok(t, db.AddChanges(ctx, cs))
	b := mkAsset(t, db, w.B.ID, asset.KindServer, "b")
	ok(t, db.AddChanges(ctx, []asset.Change{{ClientID: w.B.ID, AssetID: b.ID, At: at, Field: "memory", Old: "1", New: "2"}}))
	got2 := paginate(t, 2, false, func(cursor int64, limit int) ([]int64, error) {
		rows, err := db.Changes(ctx, w.userA.Scope(), asset.ChangeFilter{After: cursor, Limit: limit})
		return ids(rows, func(c asset.Change) int64 { return c.ID }), err
	})
	if len(got2) != 5 || got2[0] != cs[4].ID {
		t.Errorf("A's changes newest first %v", got2)
	}
	if rows := must(db.Changes(ctx, w.userA.Scope(), asset.ChangeFilter{AssetID: b.ID, Limit: 10}))(t); len(rows) != 0 {
		t.Errorf("A reads B's changes: %v", rows)
	}
}

func testFleetSettings(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	if _, found := must2(db.FleetSettings(ctx, w.A.ID))(t); found {
		t.Error("settings before any")
	}
	ag := mkAgent(t, db, mkAsset(t, db, w.A.ID, asset.KindServer, "s"), "h")
	st := agentproto.Settings{Version: 2, MetricInterval: 30, ReportInterval: 300, InventoryInterval: 3600, SpoolBytes: 1 << 20, Collectors: map[string]bool{"smart": false}}
	ok(t, db.SaveFleetSettings(ctx, w.A.ID, st))
	got, found := must2(db.FleetSettings(ctx, w.A.ID))(t)
	if !found || got.Version != 2 || got.ReportInterval != 300 || got.Collectors["smart"] {
		t.Errorf("settings %+v", got)
	}
	if a := must(db.AgentBySecret(ctx, "h"))(t); a.ReportInterval != 300 || a.ID != ag.ID {
		t.Errorf("agent interval %d, want raised to 300", a.ReportInterval)
	}
	st.Version, st.ReportInterval = 3, 60
	ok(t, db.SaveFleetSettings(ctx, w.A.ID, st))
	if a := must(db.AgentBySecret(ctx, "h"))(t); a.ReportInterval != 300 {
		t.Errorf("agent interval lowered to %d before it runs the new settings", a.ReportInterval)
	}
	if _, found := must2(db.FleetSettings(ctx, w.B.ID))(t); found {
		t.Error("B has A's settings")
	}
}

func testAssetDeleteCascade(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	parent := mkAsset(t, db, w.A.ID, asset.KindNetwork, "router")
	child := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	child.ParentID = &parent.ID
	ok(t, db.UpdateAsset(ctx, sys, &child))
	mkAgent(t, db, parent, "hp")
	ok(t, db.SaveInventory(ctx, w.A.ID, parent.ID, &agentproto.Inventory{Hostname: "router"}))
	ok(t, db.AddChanges(ctx, []asset.Change{{ClientID: w.A.ID, AssetID: parent.ID, At: time.Now(), Field: "memory"}}))
	ok(t, db.DeleteAsset(ctx, sys, parent.ID))
	for _, table := range []string{"agents", "asset_inventories", "asset_changes"} {
		var n int
		ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n))
		if n != 0 {
			t.Errorf("%s keeps %d rows of a deleted asset", table, n)
		}
	}
	if got := must(db.Asset(ctx, sys, child.ID))(t); got.ParentID != nil {
		t.Error("child keeps its deleted parent")
	}
}
