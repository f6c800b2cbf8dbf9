package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
)

func testAuditAppendOnly(t *testing.T, db *store.DB) {
	ctx := t.Context()
	e := audit.Entry{Action: "client.create", Summary: "original"}
	ok(t, db.AppendAudit(ctx, &e))
	statements := []string{
		`UPDATE audit_log SET summary = 'forged'`,
		`DELETE FROM audit_log`,
	}
	if db.Dialect() == store.Postgres {
		statements = append(statements, `TRUNCATE audit_log`)
	}
	for _, q := range statements {
		if _, err := db.SQL().ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded on the append-only journal", q)
		}
	}
	got := must(db.AuditEntries(ctx, sys, audit.Filter{Limit: 10}))(t)
	if len(got) != 1 || got[0].Summary != "original" {
		t.Fatalf("journal after tampering = %+v", got)
	}
	// Appending still works.
	ok(t, db.AppendAudit(ctx, &audit.Entry{Action: "client.update"}))
}

func testAuditScope(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	actor := w.manager.ID
	add := func(client *int64, action string, at time.Time) int64 {
		e := audit.Entry{At: at, ClientID: client, ActorID: &actor, ActorName: "Marc", IP: "192.0.2.7", Action: action, Object: "x:1", Summary: "s"}
		if action == "user.login" {
			e.ActorID = nil
		}
		ok(t, db.AppendAudit(ctx, &e))
		return e.ID
	}
	a1 := add(&w.A.ID, "client.create", t0)
	b1 := add(&w.B.ID, "client.create", t0.Add(time.Minute))
	n1 := add(nil, "provider.update", t0.Add(2*time.Minute))
	a2 := add(&w.A.ID, "user.login", t0.Add(3*time.Minute))

	got := must(db.AuditEntries(ctx, sys, audit.Filter{Limit: 10}))(t)
	if len(got) != 4 {
		t.Fatalf("system sees %d entries, want 4", len(got))
	}
	e := got[len(got)-1]
	if e.ID != a1 || !e.At.Equal(t0) || e.At.Location() != time.UTC || e.ActorID == nil || *e.ActorID != actor || e.ActorName != "Marc" || e.IP != "192.0.2.7" ||
		e.ClientID == nil || *e.ClientID != w.A.ID || e.Action != "client.create" || e.Object != "x:1" || e.Summary != "s" {
		t.Errorf("oldest entry = %+v", e)
	}

	entryID := func(e audit.Entry) int64 { return e.ID }
	for _, tc := range []struct {
		name string
		s    tenant.Scope
		f    audit.Filter
		want []int64
	}{
		{"system", sys, audit.Filter{}, []int64{a2, n1, b1, a1}},
		{"manager (all clients)", w.manager.Scope(), audit.Filter{}, []int64{a2, n1, b1, a1}},
		{"technician limited to A", w.techA.Scope(), audit.Filter{}, []int64{a2, a1}},
		{"client admin of A", w.userA.Scope(), audit.Filter{}, []int64{a2, a1}},
		{"client admin of B", w.userB.Scope(), audit.Filter{}, []int64{b1}},
		{"client filter", sys, audit.Filter{ClientID: &w.B.ID}, []int64{b1}},
		{"actor filter", sys, audit.Filter{ActorID: &actor}, []int64{n1, b1, a1}},
		{"action prefix", sys, audit.Filter{Action: "client"}, []int64{b1, a1}},
		{"action exact", sys, audit.Filter{Action: "user.login"}, []int64{a2}},
		{"action any case", sys, audit.Filter{Action: "User.Login"}, []int64{a2}},
		{"since (inclusive)", sys, audit.Filter{Since: t0.Add(time.Minute)}, []int64{a2, n1, b1}},
		{"until (exclusive)", sys, audit.Filter{Until: t0.Add(2 * time.Minute)}, []int64{b1, a1}},
		{"window", sys, audit.Filter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []int64{n1, b1}},
		{"before cursor", sys, audit.Filter{Before: n1}, []int64{b1, a1}},
		{"limit", sys, audit.Filter{Limit: 1}, []int64{a2}},
		{"scope and filter", w.techA.Scope(), audit.Filter{Action: "client"}, []int64{a1}},
	} {
		if tc.f.Limit == 0 {
			tc.f.Limit = 50
		}
		if got := ids(must(db.AuditEntries(ctx, tc.s, tc.f))(t), entryID); !slices.Equal(got, tc.want) {
			t.Errorf("%s: AuditEntries = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func testProvider(t *testing.T, db *store.DB) {
	ctx := t.Context()
	p := must(db.Provider(ctx))(t)
	if p.Name != "Vigie" || p.Language != "fr" || p.TimeZone != "Europe/Paris" || p.RequireStaffTOTP || p.Logo != nil {
		t.Fatalf("default provider = %+v", p)
	}
	want := provider.Provider{Name: "Infogérance SA", LegalID: "73282932000074", Address: "1 rue X\nParis", Email: "support@msp.example", Phone: "+33 1",
		Website: "https://msp.example", Language: "en", TimeZone: "America/Martinique", RequireStaffTOTP: true, Logo: []byte{0x89, 'P', 'N', 'G', 0, 1, 2}, LogoType: "image/png"}
	ok(t, db.SaveProvider(ctx, want))
	got := must(db.Provider(ctx))(t)
	if got.Name != want.Name || got.LegalID != want.LegalID || got.Address != want.Address || got.Email != want.Email || got.Phone != want.Phone ||
		got.Website != want.Website || got.Language != want.Language || got.TimeZone != want.TimeZone || got.RequireStaffTOTP != want.RequireStaffTOTP ||
		!slices.Equal(got.Logo, want.Logo) || got.LogoType != want.LogoType {
		t.Fatalf("Provider = %+v, want %+v", got, want)
	}
	want.Logo, want.LogoType = nil, ""
	ok(t, db.SaveProvider(ctx, want))
	if got := must(db.Provider(ctx))(t); got.Logo != nil {
		t.Errorf("logo after removal = %v", got.Logo)
	}
}
