package asset_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name        string
		a           asset.Asset
		field, code string // "" when valid
	}{
		{"valid printer", asset.Asset{Kind: asset.KindPrinter, Name: "HP 4th floor", Fields: map[string]string{"ip": "10.0.0.12", "serial": "CN123"}}, "", ""},
		{"kind required", asset.Asset{Name: "x"}, "kind", "required"},
		{"unknown kind", asset.Asset{Kind: "toaster", Name: "x"}, "kind", "invalid_choice"},
		{"name required", asset.Asset{Kind: asset.KindOther, Name: "  "}, "name", "required"},
		{"bad criticality", asset.Asset{Kind: asset.KindOther, Name: "x", Criticality: "extreme"}, "criticality", "invalid_choice"},
		{"bad ip", asset.Asset{Kind: asset.KindServer, Name: "x", Fields: map[string]string{"ip": "10.0.0.300"}}, "fields.ip", "invalid_ip"},
		{"ipv6 ok", asset.Asset{Kind: asset.KindServer, Name: "x", Fields: map[string]string{"ip": "2001:db8::1"}}, "", ""},
		{"bad date", asset.Asset{Kind: asset.KindLicence, Name: "Office", Fields: map[string]string{"expires": "2026-02-30"}}, "fields.expires", "invalid_date"},
		{"good date", asset.Asset{Kind: asset.KindLicence, Name: "Office", Fields: map[string]string{"expires": "2027-01-31", "seats": "25"}}, "", ""},
		{"bad int", asset.Asset{Kind: asset.KindLicence, Name: "Office", Fields: map[string]string{"seats": "many"}}, "fields.seats", "invalid_number"},
		{"negative int", asset.Asset{Kind: asset.KindNetwork, Name: "sw1", Fields: map[string]string{"ports": "-4"}}, "fields.ports", "invalid_number"},
		{"bad url", asset.Asset{Kind: asset.KindApplication, Name: "ERP", Fields: map[string]string{"url": "javascript:alert(1)"}}, "fields.url", "invalid_url"},
		{"good url", asset.Asset{Kind: asset.KindApplication, Name: "ERP", Fields: map[string]string{"url": "https://erp.example/login"}}, "", ""},
		{"field of another kind", asset.Asset{Kind: asset.KindPrinter, Name: "P", Fields: map[string]string{"seats": "3"}}, "fields.seats", "unknown_field"},
		{"control characters", asset.Asset{Kind: asset.KindOther, Name: "a\x00b"}, "name", "invalid_chars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Normalize()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Normalize = %v, want nil", err)
				}
				if tt.a.Criticality != asset.CriticalityNormal {
					t.Errorf("criticality = %q, want normal by default", tt.a.Criticality)
				}
				return
			}
			wantInvalid(t, tt.name, err, tt.field, tt.code)
		})
	}
	a := asset.Asset{Kind: asset.KindServer, Name: "x", Fields: map[string]string{"ip": " 10.0.0.1 ", "model": ""}}
	must(t, a.Normalize())
	if a.Fields["ip"] != "10.0.0.1" || len(a.Fields) != 1 {
		t.Errorf("fields not cleaned: %v", a.Fields)
	}
}

func TestAssetLinksAndTenancy(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		router := asset.Asset{ClientID: e.A.ID, Kind: asset.KindNetwork, Name: "Router A", SiteID: &e.siteA.ID, OwnerContactID: &e.contA.ID}
		must(t, e.svc.Create(ctx, e.techA, &router))
		srv := asset.Asset{ClientID: e.A.ID, Kind: asset.KindServer, Name: "srv-a", ParentID: &router.ID}
		must(t, e.svc.Create(ctx, e.techA, &srv))
		bsrv := asset.Asset{ClientID: e.B.ID, Kind: asset.KindServer, Name: "srv-b"}
		must(t, e.svc.Create(ctx, sys, &bsrv))

		// Links to another client's site, contact or asset are refused.
		bad := asset.Asset{ClientID: e.A.ID, Kind: asset.KindServer, Name: "x", SiteID: &e.siteB.ID}
		wantInvalid(t, "foreign site", e.svc.Create(ctx, sys, &bad), "site_id", "invalid_choice")
		bad = asset.Asset{ClientID: e.A.ID, Kind: asset.KindServer, Name: "x", OwnerContactID: &e.contB.ID}
		wantInvalid(t, "foreign owner", e.svc.Create(ctx, sys, &bad), "owner_contact_id", "invalid_choice")
		bad = asset.Asset{ClientID: e.A.ID, Kind: asset.KindServer, Name: "x", ParentID: &bsrv.ID}
		wantInvalid(t, "foreign parent", e.svc.Create(ctx, sys, &bad), "parent_id", "invalid_choice")

		// A cycle: the router's parent cannot be its child, nor itself.
		router.ParentID = &srv.ID
		wantInvalid(t, "cycle", e.svc.Update(ctx, sys, &router), "parent_id", "parent_cycle")
		router.ParentID = &router.ID
		wantInvalid(t, "self parent", e.svc.Update(ctx, sys, &router), "parent_id", "parent_cycle")

		// Tenancy.
		if _, err := e.svc.Get(ctx, e.techA, bsrv.ID); !errorsIs(err, fault.ErrNotFound) {
			t.Errorf("technician limited to A reads B's asset: %v", err)
		}
		if got, err := e.svc.Get(ctx, e.adminA, srv.ID); err != nil || got.ParentID == nil || *got.ParentID != router.ID {
			t.Errorf("client admin reads its own asset: %+v, %v", got, err)
		}
		if _, err := e.svc.Get(ctx, e.userA, srv.ID); !errorsIs(err, fault.ErrForbidden) {
			t.Errorf("client user reads the fleet: %v", err)
		}
		srv.Name = "renamed"
		wantKind(t, "client admin writes", e.svc.Update(ctx, e.adminA, &srv), fault.ErrForbidden)
		bsrv2 := asset.Asset{ClientID: e.B.ID, Kind: asset.KindServer, Name: "sneaky"}
		wantKind(t, "tech A creates in B", e.svc.Create(ctx, e.techA, &bsrv2), fault.ErrForbidden)
		wantKind(t, "tech A deletes B's", e.svc.Delete(ctx, e.techA, bsrv.ID), fault.ErrNotFound)
		list, err := e.svc.List(ctx, e.adminA, asset.Filter{})
		must(t, err)
		if len(list) != 2 {
			t.Errorf("client admin lists %d assets, want its 2", len(list))
		}
		if _, err := e.svc.List(ctx, e.techA, asset.Filter{ClientID: e.B.ID}); !errorsIs(err, fault.ErrNotFound) {
			t.Errorf("tech A lists B's fleet: %v", err)
		}
		n, err := e.svc.Count(ctx, e.manager, asset.Filter{})
		must(t, err)
		if n != 3 {
			t.Errorf("manager counts %d assets, want 3", n)
		}

		// Deleting the parent leaves the child without one.
		must(t, e.svc.Delete(ctx, sys, router.ID))
		got, err := e.svc.Get(ctx, sys, srv.ID)
		must(t, err)
		if got.ParentID != nil {
			t.Errorf("child keeps deleted parent %d", *got.ParentID)
		}
	})
}

func TestListFilters(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		online, _ := e.enroll(t, e.A.ID, "web-01", "m1")
		offline, _ := e.enroll(t, e.A.ID, "Élysée-02", "m2")
		revoked, _ := e.enroll(t, e.A.ID, "old-03", "m3")
		printer := asset.Asset{ClientID: e.A.ID, Kind: asset.KindPrinter, Name: "Printer", Fields: map[string]string{"serial": "SN-XYZ-42"}, SiteID: &e.siteA.ID}
		must(t, e.svc.Create(ctx, sys, &printer))

		report := func(ag asset.Agent, seq uint64, version string, fsUsed, fsFree float64) {
			t.Helper()
			ms := e.clock.Now().UnixMilli()
			r := &agentproto.Report{Seq: seq, AgentVersion: version, SettingsVersion: 1, Series: []agentproto.Series{
				{Name: agentproto.MetricCPU, T: []int64{ms}, V: []float64{12}},
				{Name: agentproto.MetricFSUsed, Labels: map[string]string{"mount": "/"}, T: []int64{ms}, V: []float64{fsUsed}},
				{Name: agentproto.MetricFSFree, Labels: map[string]string{"mount": "/"}, T: []int64{ms}, V: []float64{fsFree}},
			}}
			if _, err := e.svc.Report(ctx, ag, r); err != nil {
				t.Fatal(err)
			}
		}
		report(offline, 1, serverAgentVersion, 50, 100<<30)
		e.clock.Add(10 * time.Minute) // > 3 × 60 s: offline
		report(online, 1, "1.3.9", 95, 5<<30)
		must(t, e.svc.RevokeAgent(ctx, sys, revoked.ID))

		ids := func(f asset.Filter) []int64 {
			t.Helper()
			as, err := e.svc.List(ctx, e.techA, f)
			must(t, err)
			n, err := e.svc.Count(ctx, e.techA, f)
			must(t, err)
			if n != len(as) {
				t.Errorf("Count(%+v) = %d, List gives %d", f, n, len(as))
			}
			out := []int64{}
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		for _, tt := range []struct {
			name string
			f    asset.Filter
			want []int64
		}{
			{"online", asset.Filter{Status: asset.StatusOnline}, []int64{online.AssetID}},
			{"offline", asset.Filter{Status: asset.StatusOffline}, []int64{offline.AssetID}},
			{"revoked", asset.Filter{Status: asset.StatusRevoked}, []int64{revoked.AssetID}},
			{"outdated", asset.Filter{Outdated: true}, []int64{online.AssetID, offline.AssetID}[:1]},
			{"low disk", asset.Filter{LowDisk: true}, []int64{online.AssetID}},
			{"kind", asset.Filter{Kind: asset.KindPrinter}, []int64{printer.ID}},
			{"site", asset.Filter{SiteID: e.siteA.ID}, []int64{printer.ID}},
			{"accent-folded name", asset.Filter{Query: "elysee"}, []int64{offline.AssetID}},
			{"serial", asset.Filter{Query: "xyz-42"}, []int64{printer.ID}},
			{"literal wildcard", asset.Filter{Query: "%"}, []int64{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := ids(tt.f); !equal(got, tt.want) {
					t.Errorf("%+v = %v, want %v", tt.f, got, tt.want)
				}
			})
		}
		// The never-reporting agent of "old-03" is revoked, "web-01" online;
		// the one enrolled and silent since is offline after three intervals.
		got, err := e.svc.Get(ctx, sys, offline.AssetID)
		must(t, err)
		if got.Agent == nil || got.Agent.Status != asset.StatusOffline || got.Vitals == nil || got.Vitals.FSMaxPercent != 50 {
			t.Errorf("offline asset = %+v", got)
		}
		// Cursor pagination.
		all := ids(asset.Filter{})
		page1, err := e.svc.List(ctx, sys, asset.Filter{ClientID: e.A.ID, Limit: 2})
		must(t, err)
		page2, err := e.svc.List(ctx, sys, asset.Filter{ClientID: e.A.ID, Limit: 2, After: page1[1].ID})
		must(t, err)
		if len(all) != 4 || len(page1) != 2 || len(page2) != 2 || page2[0].ID != all[2] {
			t.Errorf("pages %v / %v of %v", page1, page2, all)
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSettings(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		st, err := e.svc.Settings(ctx, e.adminA, e.A.ID)
		must(t, err)
		if st.Version != 1 || st.MetricInterval != agentproto.DefaultSettings().MetricInterval {
			t.Errorf("default settings = %+v", st)
		}
		bad := agentproto.Settings{MetricInterval: 5}
		wantInvalid(t, "interval too short", e.svc.UpdateSettings(ctx, e.techA, e.A.ID, bad), "metric_interval", "out_of_range")
		bad = agentproto.Settings{MetricInterval: 60, ReportInterval: 30}
		wantInvalid(t, "report before metric", e.svc.UpdateSettings(ctx, e.techA, e.A.ID, bad), "report_interval", "out_of_range")
		bad = agentproto.Settings{Collectors: map[string]bool{"keylogger": true}}
		wantInvalid(t, "unknown collector", e.svc.UpdateSettings(ctx, e.techA, e.A.ID, bad), "collectors.keylogger", "unknown_field")
		good := agentproto.Settings{MetricInterval: 10, ReportInterval: 30, InventoryInterval: 3600, SpoolBytes: 10 << 20, Collectors: map[string]bool{"software": false}}
		wantKind(t, "client admin", e.svc.UpdateSettings(ctx, e.adminA, e.A.ID, good), fault.ErrForbidden)
		wantKind(t, "foreign client", e.svc.UpdateSettings(ctx, e.techA, e.B.ID, good), fault.ErrNotFound)
		must(t, e.svc.UpdateSettings(ctx, e.techA, e.A.ID, good))
		got, err := e.svc.Settings(ctx, e.techA, e.A.ID)
		must(t, err)
		if got.Version != 2 || got.MetricInterval != 10 || got.Collectors["software"] {
			t.Errorf("saved settings = %+v", got)
		}
		must(t, e.svc.UpdateSettings(ctx, e.techA, e.A.ID, good))
		if got, _ := e.svc.Settings(ctx, e.techA, e.A.ID); got.Version != 3 {
			t.Errorf("version = %d after a second save, want 3", got.Version)
		}
		if got, _ := e.svc.Settings(ctx, sys, e.B.ID); got.Version != 1 {
			t.Errorf("B's settings changed: %+v", got)
		}
	})
}
