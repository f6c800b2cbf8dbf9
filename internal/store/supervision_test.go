package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// supervisionConformance is the store suite of supervision, on every dialect.
var supervisionConformance = []struct {
	name string
	run  func(t *testing.T, db *store.DB)
}{
	{"checks/crud", testSupervisionCheckCRUD},
	{"checks/scope isolation", testSupervisionCheckScope},
	{"templates/scope and delete cascade", testSupervisionTemplates},
	{"agent checks/content and version", testSupervisionAgentChecks},
	{"results/upsert, events, alert ticket", testSupervisionSaveResults},
	{"board/order, counts, filters, scope", testSupervisionBoard},
	{"windows/crud and scope", testSupervisionWindows},
	{"backups/runs, restore tests, last backups", testSupervisionBackups},
	{"assets/refs and tags", testSupervisionAssetRefs},
	{"checks/delete while results are written", testSupervisionDeleteDuringWrites},
}

func TestSupervisionStore(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			requireDialect(t, store.Dialect(d))
			for _, c := range supervisionConformance {
				t.Run(c.name, func(t *testing.T) { c.run(t, newTestDB(t, store.Dialect(d))) })
			}
		})
	}
}

var s0 = time.Date(2026, 4, 6, 10, 0, 0, 0, time.UTC)

func rules(kind supervision.Kind) supervision.Rules {
	return supervision.Rules{Kind: kind, Interval: 60, RetryInterval: 30, MaxAttempts: 3, RecoverAfter: 1,
		Severity: supervision.SeverityMajor, Ticket: supervision.TicketOpen}
}

func mkCheck(t testing.TB, db *store.DB, assetID int64, name string, kind supervision.Kind, edit func(*supervision.Check)) supervision.Check {
	t.Helper()
	c := supervision.Check{AssetID: assetID, Name: name, Rules: rules(kind), Enabled: true}
	if edit != nil {
		edit(&c)
	}
	ok(t, db.CreateCheck(t.Context(), sys, &c))
	return c
}

// sameJSON fails unless got and want encode to the same JSON (times as instants in UTC).
func sameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func wantErrIs(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
	}
}

func wantInvalid(t testing.TB, what string, err error, field string) {
	t.Helper()
	v, isInvalid := fault.AsInvalid(err)
	if !isInvalid || !v.Has(field) {
		t.Errorf("%s: err = %v, want invalid %s", what, err, field)
	}
}

func checkID(c supervision.Check) int64 { return c.ID }

func testSupervisionCheckCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	srv := mkAsset(t, db, w.A.ID, asset.KindServer, "srv-1")
	gw := mkAsset(t, db, w.A.ID, asset.KindNetwork, "gw-1")
	c := supervision.Check{AssetID: srv.ID, Name: "Site web", Rules: rules(supervision.KindHTTP), RunnerAssetID: &gw.ID, Enabled: true}
	c.Params = supervision.Params{URL: "https://intranet.local/", ExpectStatus: []int{200, 204}, Headers: map[string]string{"X-A": "1"}, Timeout: 5}
	ok(t, db.CreateCheck(ctx, w.techA.Scope(), &c))
	if c.ID == 0 || c.ClientID != w.A.ID || c.CreatedAt.IsZero() || !c.UpdatedAt.Equal(c.CreatedAt) {
		t.Fatalf("created %+v", c)
	}
	got := must(db.Check(ctx, w.userA.Scope(), c.ID))(t)
	sameJSON(t, "read back", got, c)

	st := must(db.Status(ctx, w.userA.Scope(), c.ID))(t)
	if st.CheckID != c.ID || st.ClientID != w.A.ID || st.AssetID != srv.ID || !st.LastCheck.IsZero() || st.TicketID != nil {
		t.Errorf("status of a new check = %+v, want pending", st)
	}

	push := mkCheck(t, db, srv.ID, "Sauvegarde nuit", supervision.KindBackupPush, func(c *supervision.Check) {
		c.PushToken = "tok-123"
		c.Params.Schedule = "0 2 * * *"
	})
	dup := supervision.Check{AssetID: srv.ID, Name: "dup", Rules: rules(supervision.KindBackupPush), PushToken: "tok-123", Enabled: true}
	wantConflict(t, "duplicate push token", db.CreateCheck(ctx, sys, &dup), "push_token")
	byToken := must(db.CheckByPushToken(ctx, "tok-123"))(t)
	if byToken.ID != push.ID || byToken.Params.Schedule != "0 2 * * *" {
		t.Errorf("CheckByPushToken = %+v", byToken)
	}
	_, err := db.CheckByPushToken(ctx, "nope")
	wantNotFound(t, "unknown push token", err)
	_, err = db.CheckByPushToken(ctx, "")
	wantNotFound(t, "empty push token", err)

	// Update writes the rules, never the asset, client or creation time.
	c.Name, c.Interval, c.Severity, c.Enabled, c.RunnerAssetID = "Intranet", 300, supervision.SeverityCritical, false, nil
	c.AssetID, c.ClientID = gw.ID, w.B.ID
	created := c.CreatedAt
	ok(t, db.UpdateCheck(ctx, sys, &c))
	if c.AssetID != srv.ID || c.ClientID != w.A.ID || !c.CreatedAt.Equal(created) {
		t.Errorf("update changed asset/client/creation: %+v", c)
	}
	got = must(db.Check(ctx, sys, c.ID))(t)
	sameJSON(t, "after update", got, c)

	// Filters and paging of every enabled check.
	cpu := mkCheck(t, db, gw.ID, "CPU", supervision.KindCPU, nil)
	for _, tc := range []struct {
		name string
		f    supervision.CheckFilter
		want []int64
	}{
		{"all", supervision.CheckFilter{}, []int64{c.ID, push.ID, cpu.ID}},
		{"asset", supervision.CheckFilter{AssetID: srv.ID}, []int64{c.ID, push.ID}},
		{"kind", supervision.CheckFilter{Kind: supervision.KindCPU}, []int64{cpu.ID}},
		{"client B", supervision.CheckFilter{ClientID: w.B.ID}, []int64{}},
		{"limit", supervision.CheckFilter{Limit: 2}, []int64{c.ID, push.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(must(db.Checks(ctx, sys, tc.f))(t), checkID)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Checks = %v, want %v", got, tc.want)
			}
		})
	}
	all := ids(must(db.AllChecks(ctx, 0, 10))(t), checkID)
	if !slices.Equal(all, []int64{push.ID, cpu.ID}) {
		t.Errorf("AllChecks = %v, want the enabled ones %v", all, []int64{push.ID, cpu.ID})
	}
	if page := ids(must(db.AllChecks(ctx, push.ID, 1))(t), checkID); !slices.Equal(page, []int64{cpu.ID}) {
		t.Errorf("AllChecks after %d = %v", push.ID, page)
	}

	// Delete takes the status, events and backup runs along.
	ok(t, db.SaveResults(ctx, []supervision.Status{{CheckID: push.ID, Status: check.Status{State: check.OK, LastCheck: s0, Since: s0}}},
		[]supervision.Event{{CheckID: push.ID, Event: check.Event{At: s0, Kind: check.Recovery}}}))
	ok(t, db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: push.ID, At: s0, OK: true, Source: "push"}))
	ok(t, db.DeleteCheck(ctx, sys, push.ID))
	_, err = db.Check(ctx, sys, push.ID)
	wantNotFound(t, "deleted check", err)
	_, err = db.Status(ctx, sys, push.ID)
	wantNotFound(t, "status of a deleted check", err)
	if ev := must(db.CheckEvents(ctx, sys, supervision.EventFilter{CheckID: push.ID}))(t); len(ev) != 0 {
		t.Errorf("events of a deleted check: %v", ev)
	}
	if runs := must(db.BackupRuns(ctx, sys, push.ID, 0))(t); len(runs) != 0 {
		t.Errorf("backup runs of a deleted check: %v", runs)
	}
	wantNotFound(t, "delete twice", db.DeleteCheck(ctx, sys, push.ID))
	wantNotFound(t, "update a deleted check", db.UpdateCheck(ctx, sys, &push))

	// Deleting the asset deletes its checks; a deleted runner leaves the probe to the server.
	mkCheck(t, db, srv.ID, "ping", supervision.KindPing, func(c *supervision.Check) { c.RunnerAssetID = &gw.ID })
	ok(t, db.DeleteAsset(ctx, sys, gw.ID))
	_, err = db.Check(ctx, sys, cpu.ID)
	wantNotFound(t, "check of a deleted asset", err)
	for _, c := range must(db.Checks(ctx, sys, supervision.CheckFilter{AssetID: srv.ID}))(t) {
		if c.RunnerAssetID != nil {
			t.Errorf("check %d keeps deleted runner %d", c.ID, *c.RunnerAssetID)
		}
	}
}

func testSupervisionCheckScope(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := mkAsset(t, db, w.A.ID, asset.KindServer, "alpha-srv")
	b := mkAsset(t, db, w.B.ID, asset.KindServer, "bravo-srv")
	cA := mkCheck(t, db, a.ID, "cpu A", supervision.KindCPU, nil)
	cB := mkCheck(t, db, b.ID, "cpu B", supervision.KindCPU, nil)
	ok(t, db.SaveResults(ctx, []supervision.Status{
		{CheckID: cA.ID, Status: check.Status{State: check.Critical, HardState: check.Critical, LastCheck: s0, Since: s0}},
		{CheckID: cB.ID, Status: check.Status{State: check.Critical, HardState: check.Critical, LastCheck: s0, Since: s0}},
	}, []supervision.Event{
		{CheckID: cA.ID, Event: check.Event{At: s0, Kind: check.Problem, To: check.Critical}},
		{CheckID: cB.ID, Event: check.Event{At: s0, Kind: check.Problem, To: check.Critical}},
	}))
	for name, s := range w.limitedToA() {
		t.Run(name, func(t *testing.T) {
			_, err := db.Check(ctx, s, cB.ID)
			wantNotFound(t, "read B's check", err)
			_, err = db.Status(ctx, s, cB.ID)
			wantNotFound(t, "read B's status", err)
			x := cB
			x.Name = "stolen"
			wantNotFound(t, "update B's check", db.UpdateCheck(ctx, s, &x))
			wantNotFound(t, "delete B's check", db.DeleteCheck(ctx, s, cB.ID))
			n := supervision.Check{AssetID: b.ID, Name: "x", Rules: rules(supervision.KindCPU), Enabled: true}
			wantNotFound(t, "create on B's asset", db.CreateCheck(ctx, s, &n))
			n = supervision.Check{AssetID: a.ID, Name: "x", Rules: rules(supervision.KindPing), RunnerAssetID: &b.ID, Enabled: true}
			wantNotFound(t, "B's asset as runner", db.CreateCheck(ctx, s, &n))
			x = cA
			x.RunnerAssetID = &b.ID
			wantNotFound(t, "B's asset as runner on update", db.UpdateCheck(ctx, s, &x))
			if got := ids(must(db.Checks(ctx, s, supervision.CheckFilter{}))(t), checkID); !slices.Equal(got, []int64{cA.ID}) {
				t.Errorf("Checks = %v, want only A's %d", got, cA.ID)
			}
			if got := ids(must(db.Checks(ctx, s, supervision.CheckFilter{ClientID: w.B.ID}))(t), checkID); len(got) != 0 {
				t.Errorf("Checks of client B = %v", got)
			}
			for _, e := range must(db.CheckEvents(ctx, s, supervision.EventFilter{}))(t) {
				if e.ClientID != w.A.ID {
					t.Errorf("event %d of client %d", e.ID, e.ClientID)
				}
			}
			rows, counts, total, err := db.Board(ctx, s, supervision.BoardFilter{})
			ok(t, err)
			if total != 1 || len(rows) != 1 || rows[0].Check.ID != cA.ID || counts.Critical != 1 {
				t.Errorf("board = %d rows %v, counts %+v", total, rows, counts)
			}
			if rows, _, total, _ := db.Board(ctx, s, supervision.BoardFilter{ClientID: w.B.ID}); total != 0 || len(rows) != 0 {
				t.Errorf("board of client B = %d rows", total)
			}
		})
	}
	// A check created with another client than its asset's is refused.
	n := supervision.Check{ClientID: w.B.ID, AssetID: a.ID, Name: "x", Rules: rules(supervision.KindCPU), Enabled: true}
	wantNotFound(t, "create for a client other than the asset's", db.CreateCheck(ctx, sys, &n))
}

func templateID(t supervision.Template) int64 { return t.ID }

func testSupervisionTemplates(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	global := supervision.Template{Name: "Disque Linux", MatchOS: "linux", MatchTag: " Web ", Rules: rules(supervision.KindFilesystem), Enabled: true}
	global.Params = supervision.Params{Mount: "/", Warning: 80, Critical: 90}
	wantErrIs(t, "technician limited to A creates a global template", db.CreateTemplate(ctx, w.techA.Scope(), &global), fault.ErrForbidden)
	ok(t, db.CreateTemplate(ctx, w.manager.Scope(), &global))
	if global.MatchTag != "web" {
		t.Errorf("tag stored as %q, want normalised \"web\"", global.MatchTag)
	}
	sameJSON(t, "global template", must(db.Template(ctx, w.userB.Scope(), global.ID))(t), global)
	tA := supervision.Template{ClientID: &w.A.ID, Name: "CPU Alpha", Rules: rules(supervision.KindCPU), Enabled: true}
	ok(t, db.CreateTemplate(ctx, w.techA.Scope(), &tA))
	tB := supervision.Template{ClientID: &w.B.ID, Name: "CPU Bravo", Rules: rules(supervision.KindCPU), Enabled: true}
	wantNotFound(t, "technician limited to A creates for B", db.CreateTemplate(ctx, w.techA.Scope(), &tB))
	ok(t, db.CreateTemplate(ctx, sys, &tB))

	for name, s := range w.limitedToA() {
		got := ids(must(db.Templates(ctx, s))(t), templateID)
		if !slices.Equal(got, []int64{global.ID, tA.ID}) {
			t.Errorf("%s: Templates = %v, want global and A's %v", name, got, []int64{global.ID, tA.ID})
		}
		_, err := db.Template(ctx, s, tB.ID)
		wantNotFound(t, name+" reads B's template", err)
		x := tB
		wantNotFound(t, name+" updates B's template", db.UpdateTemplate(ctx, s, &x))
		wantNotFound(t, name+" deletes B's template", db.DeleteTemplate(ctx, s, tB.ID))
	}
	g := global
	wantErrIs(t, "technician limited to A updates a global template", db.UpdateTemplate(ctx, w.techA.Scope(), &g), fault.ErrForbidden)
	wantErrIs(t, "technician limited to A deletes a global template", db.DeleteTemplate(ctx, w.techA.Scope(), global.ID), fault.ErrForbidden)

	tA.Name, tA.Interval, tA.ClientID = "CPU Alpha 5 min", 300, &w.B.ID
	ok(t, db.UpdateTemplate(ctx, w.techA.Scope(), &tA))
	got := must(db.Template(ctx, sys, tA.ID))(t)
	if got.Name != "CPU Alpha 5 min" || got.Interval != 300 || *got.ClientID != w.A.ID || *tA.ClientID != w.A.ID {
		t.Errorf("after update %+v", got)
	}

	// Deleting a template deletes the checks it applied, and only those.
	a1 := mkAsset(t, db, w.A.ID, asset.KindServer, "a1")
	applied := mkCheck(t, db, a1.ID, "cpu (template)", supervision.KindCPU, func(c *supervision.Check) { c.TemplateID = &tA.ID })
	own := mkCheck(t, db, a1.ID, "cpu", supervision.KindCPU, nil)
	b1 := mkAsset(t, db, w.B.ID, asset.KindServer, "b1")
	n := supervision.Check{AssetID: b1.ID, Name: "x", Rules: rules(supervision.KindCPU), TemplateID: &tA.ID, Enabled: true}
	wantNotFound(t, "A's template applied to B's asset", db.CreateCheck(ctx, sys, &n))
	if got := ids(must(db.Checks(ctx, sys, supervision.CheckFilter{TemplateID: tA.ID}))(t), checkID); !slices.Equal(got, []int64{applied.ID}) {
		t.Errorf("checks of template = %v", got)
	}
	_, v0 := must2(db.AgentChecks(ctx, a1.ID))(t)
	ok(t, db.DeleteTemplate(ctx, w.techA.Scope(), tA.ID))
	_, err := db.Check(ctx, sys, applied.ID)
	wantNotFound(t, "check of a deleted template", err)
	must(db.Check(ctx, sys, own.ID))(t)
	if _, v1 := must2(db.AgentChecks(ctx, a1.ID))(t); v1 <= v0 {
		t.Errorf("check version %d → %d after its template was deleted", v0, v1)
	}
	_, err = db.Template(ctx, sys, tA.ID)
	wantNotFound(t, "deleted template", err)
}

func testSupervisionAgentChecks(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	runner := mkAsset(t, db, w.A.ID, asset.KindServer, "runner")
	target := mkAsset(t, db, w.A.ID, asset.KindNetwork, "switch")
	job := mkAsset(t, db, w.A.ID, asset.KindBackup, "nightly")
	other := mkAsset(t, db, w.A.ID, asset.KindServer, "other")
	version := func(id int64) int64 {
		t.Helper()
		_, v := must2(db.AgentChecks(ctx, id))(t)
		return v
	}
	if v := version(runner.ID); v != 0 {
		t.Errorf("version before any check = %d", v)
	}
	var last, lastOther int64
	step := func(what string, change func(), runnerChanges, otherChanges bool) {
		t.Helper()
		change()
		v, vo := version(runner.ID), version(other.ID)
		if runnerChanges && v <= last || !runnerChanges && v != last {
			t.Errorf("%s: runner's version %d → %d", what, last, v)
		}
		if otherChanges && vo <= lastOther || !otherChanges && vo != lastOther {
			t.Errorf("%s: other asset's version %d → %d", what, lastOther, vo)
		}
		last, lastOther = v, vo
	}
	var cpu, ping, backup, server, otherCPU supervision.Check
	step("local check", func() { cpu = mkCheck(t, db, runner.ID, "cpu", supervision.KindCPU, nil) }, true, false)
	step("probe it runs", func() {
		ping = mkCheck(t, db, target.ID, "ping", supervision.KindPing, func(c *supervision.Check) { c.RunnerAssetID = &runner.ID })
	}, true, false)
	step("backup job it runs", func() {
		backup = mkCheck(t, db, job.ID, "job", supervision.KindBackupJob, func(c *supervision.Check) { c.RunnerAssetID = &runner.ID })
	}, true, false)
	step("probe run by the server", func() { server = mkCheck(t, db, runner.ID, "http", supervision.KindHTTP, nil) }, false, false)
	step("another asset's check", func() { otherCPU = mkCheck(t, db, other.ID, "cpu", supervision.KindCPU, nil) }, false, true)
	step("disabled local check", func() {
		mkCheck(t, db, runner.ID, "mem", supervision.KindMemory, func(c *supervision.Check) { c.Enabled = false })
	}, true, false)

	got, _ := must2(db.AgentChecks(ctx, runner.ID))(t)
	if want := []int64{cpu.ID, ping.ID, backup.ID}; !slices.Equal(ids(got, checkID), want) {
		t.Errorf("AgentChecks = %v, want %v", ids(got, checkID), want)
	}
	sameJSON(t, "agent check", got[1], ping)

	step("update a local check", func() { cpu.Params.Warning = 70; ok(t, db.UpdateCheck(ctx, sys, &cpu)) }, true, false)
	step("update another asset's check", func() { otherCPU.Interval = 120; ok(t, db.UpdateCheck(ctx, sys, &otherCPU)) }, false, true)
	step("update a server probe", func() { server.Interval = 120; ok(t, db.UpdateCheck(ctx, sys, &server)) }, false, false)
	step("probe moves to another runner", func() { ping.RunnerAssetID = &other.ID; ok(t, db.UpdateCheck(ctx, sys, &ping)) }, true, true)
	step("delete a local check", func() { ok(t, db.DeleteCheck(ctx, sys, cpu.ID)) }, true, false)
	step("delete another asset's check", func() { ok(t, db.DeleteCheck(ctx, sys, otherCPU.ID)) }, false, true)
	got, _ = must2(db.AgentChecks(ctx, runner.ID))(t)
	if want := []int64{backup.ID}; !slices.Equal(ids(got, checkID), want) {
		t.Errorf("AgentChecks at the end = %v, want %v", ids(got, checkID), want)
	}
	got, _ = must2(db.AgentChecks(ctx, other.ID))(t)
	if want := []int64{ping.ID}; !slices.Equal(ids(got, checkID), want) {
		t.Errorf("AgentChecks of the new runner = %v, want %v", ids(got, checkID), want)
	}
}

func eventID(e supervision.Event) int64 { return e.ID }

func testSupervisionSaveResults(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	c1 := mkCheck(t, db, a.ID, "cpu", supervision.KindCPU, nil)
	c2 := mkCheck(t, db, a.ID, "disk", supervision.KindFilesystem, nil)
	gone := mkCheck(t, db, a.ID, "gone", supervision.KindSwap, nil)
	ok(t, db.DeleteCheck(ctx, sys, gone.ID))

	soft := check.Status{State: check.Critical, Type: check.Soft, Attempt: 1, HardState: check.OK, Since: s0, LastChange: s0.Add(-time.Hour),
		LastCheck: s0, Output: "CPU 99 %", History: 0b11, HistoryLen: 1, FlapPercent: 12.5}
	st1 := supervision.Status{CheckID: c1.ID, ClientID: w.A.ID, AssetID: a.ID, Status: soft}
	st2 := supervision.Status{CheckID: c2.ID, ClientID: w.A.ID, AssetID: a.ID, Status: check.Status{State: check.OK, Since: s0, LastCheck: s0, Output: "/ 40 %"}}
	events := []supervision.Event{
		{CheckID: c1.ID, ClientID: w.A.ID, AssetID: a.ID, Event: check.Event{At: s0, Kind: check.SoftChange, From: check.OK, To: check.Critical, Type: check.Soft, Attempt: 1, Output: "CPU 99 %"}},
		{CheckID: gone.ID, Event: check.Event{At: s0, Kind: check.Problem}},
		{CheckID: c2.ID, ClientID: w.A.ID, AssetID: a.ID, Event: check.Event{At: s0, Kind: check.Recovery, From: check.Warning, To: check.OK, Notify: true}},
	}
	ok(t, db.SaveResults(ctx, []supervision.Status{st1, st2, {CheckID: gone.ID, Status: soft}}, events))
	if events[0].ID == 0 || events[2].ID <= events[0].ID || events[1].ID != 0 {
		t.Errorf("event IDs = %d, %d, %d: want increasing, 0 for the deleted check", events[0].ID, events[1].ID, events[2].ID)
	}
	sameJSON(t, "status read back", must(db.Status(ctx, w.userA.Scope(), c1.ID))(t), st1)

	// A second save updates in place; the alert ticket survives it.
	tk := mkTicket(t, db, w.A.ID, "CPU srv", nil)
	ok(t, db.SetAlertTicket(ctx, c1.ID, &tk.ID))
	hard := soft
	hard.Type, hard.Attempt, hard.HardState, hard.LastChange, hard.LastCheck = check.Hard, 3, check.Critical, s0.Add(time.Minute), s0.Add(time.Minute)
	hard.Ack = &check.Ack{By: "Tina", Comment: "on it", At: s0.Add(2 * time.Minute)}
	hard.Notified = true
	st1.Status = hard
	e3 := supervision.Event{CheckID: c1.ID, ClientID: w.A.ID, AssetID: a.ID, Event: check.Event{At: s0.Add(time.Minute), Kind: check.Problem, From: check.OK, To: check.Critical, Attempt: 3, Notify: true, Muted: check.Mute(0)}}
	e4 := supervision.Event{CheckID: c1.ID, ClientID: w.A.ID, AssetID: a.ID, Event: check.Event{At: s0.Add(2 * time.Minute), Kind: check.FlapStart, Maintenance: true, Unreachable: true, Muted: check.Mute(3)}}
	more := []supervision.Event{e3, e4}
	ok(t, db.SaveResults(ctx, []supervision.Status{st1}, more))
	want := st1
	want.TicketID = &tk.ID
	sameJSON(t, "status after the second save", must(db.Status(ctx, sys, c1.ID))(t), want)
	all := must(db.Statuses(ctx, 0, 10))(t)
	if len(all) != 2 || all[0].CheckID != c1.ID || all[1].CheckID != c2.ID {
		t.Fatalf("Statuses = %+v", all)
	}
	sameJSON(t, "Statuses[0]", all[0], want)
	if page := must(db.Statuses(ctx, c1.ID, 10))(t); len(page) != 1 || page[0].CheckID != c2.ID {
		t.Errorf("Statuses after %d = %+v", c1.ID, page)
	}
	// Two statuses of one check in a batch: the last one wins.
	first, second := st2, st2
	first.Status.Output, second.Status.Output = "first", "second"
	ok(t, db.SaveResults(ctx, []supervision.Status{first, second}, nil))
	if got := must(db.Status(ctx, sys, c2.ID))(t); got.Output != "second" {
		t.Errorf("after two statuses of one check in a batch, output %q, want the last", got.Output)
	}
	ok(t, db.SetAlertTicket(ctx, c1.ID, nil))
	if st := must(db.Status(ctx, sys, c1.ID))(t); st.TicketID != nil {
		t.Errorf("ticket after clearing = %d", *st.TicketID)
	}
	wantNotFound(t, "alert ticket of a deleted check", db.SetAlertTicket(ctx, gone.ID, &tk.ID))

	// Events, newest first.
	for _, tc := range []struct {
		name string
		f    supervision.EventFilter
		want []int64
	}{
		{"all", supervision.EventFilter{}, []int64{more[1].ID, more[0].ID, events[2].ID, events[0].ID}},
		{"check", supervision.EventFilter{CheckID: c2.ID}, []int64{events[2].ID}},
		{"hard only", supervision.EventFilter{HardOnly: true}, []int64{more[0].ID, events[2].ID}},
		{"before", supervision.EventFilter{BeforeID: more[0].ID, Limit: 1}, []int64{events[2].ID}},
		{"from", supervision.EventFilter{From: s0.Add(time.Minute)}, []int64{more[1].ID, more[0].ID}},
		{"to", supervision.EventFilter{To: s0.Add(time.Minute)}, []int64{events[2].ID, events[0].ID}},
		{"asset", supervision.EventFilter{AssetID: a.ID, Limit: 2}, []int64{more[1].ID, more[0].ID}},
		{"client B", supervision.EventFilter{ClientID: w.B.ID}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(must(db.CheckEvents(ctx, sys, tc.f))(t), eventID); !slices.Equal(got, tc.want) {
				t.Errorf("events = %v, want %v", got, tc.want)
			}
		})
	}
	got := must(db.Supervision().Events(ctx, sys, supervision.EventFilter{Limit: 1}))(t)
	e4.ID = more[1].ID
	if len(got) != 1 {
		t.Fatalf("Events = %v", got)
	}
	sameJSON(t, "event read back", got[0], e4)
}

func testSupervisionBoard(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	web := mkAsset(t, db, w.A.ID, asset.KindServer, "web-1")
	dbs := mkAsset(t, db, w.A.ID, asset.KindServer, "db-1")
	bsrv := mkAsset(t, db, w.B.ID, asset.KindServer, "bravo-srv")
	at := func(min int) time.Time { return s0.Add(time.Duration(min) * time.Minute) }
	type spec struct {
		asset int64
		name  string
		kind  supervision.Kind
		st    *check.Status
	}
	specs := []spec{
		{web.ID, "cpu", supervision.KindCPU, &check.Status{State: check.Critical, HardState: check.Critical, Since: at(10)}},
		{web.ID, "memory", supervision.KindMemory, &check.Status{State: check.Critical, HardState: check.Critical, Since: at(20), Ack: &check.Ack{By: "x", At: at(21)}}},
		{dbs.ID, "disk", supervision.KindFilesystem, &check.Status{State: check.Warning, Type: check.Soft, Since: at(5)}},
		{dbs.ID, "http", supervision.KindHTTP, &check.Status{State: check.Unknown, HardState: check.Unknown, Since: at(1), Unreachable: true}},
		{dbs.ID, "ping", supervision.KindPing, &check.Status{State: check.OK, Since: at(0)}},
		{web.ID, "nginx", supervision.KindService, nil},
		{web.ID, "tcp 443", supervision.KindTCP, &check.Status{State: check.Critical, Type: check.Soft, Since: at(30)}},
		{bsrv.ID, "cpu bravo", supervision.KindCPU, &check.Status{State: check.Critical, HardState: check.Critical, Since: at(40)}},
		{bsrv.ID, "ping bravo", supervision.KindPing, &check.Status{State: check.OK, Since: at(2), Flapping: true}},
	}
	cs := make([]supervision.Check, len(specs))
	var sts []supervision.Status
	for i, sp := range specs {
		cs[i] = mkCheck(t, db, sp.asset, sp.name, sp.kind, nil)
		if sp.st != nil {
			st := *sp.st
			st.LastCheck = at(50)
			sts = append(sts, supervision.Status{CheckID: cs[i].ID, Status: st})
		}
	}
	ok(t, db.SaveResults(ctx, sts, nil))
	cpu, mem, disk, http, ping, nginx, tcp, cpuB, pingB := cs[0].ID, cs[1].ID, cs[2].ID, cs[3].ID, cs[4].ID, cs[5].ID, cs[6].ID, cs[7].ID, cs[8].ID
	allCounts := supervision.BoardCounts{OK: 2, Warning: 1, Critical: 4, Unknown: 1, Acknowledged: 1, Unreachable: 1, Flapping: 1}
	countsA := supervision.BoardCounts{OK: 1, Warning: 1, Critical: 3, Unknown: 1, Acknowledged: 1, Unreachable: 1}
	for _, tc := range []struct {
		name   string
		s      tenant.Scope
		f      supervision.BoardFilter
		want   []int64
		total  int
		counts supervision.BoardCounts
	}{
		{"everything", w.manager.Scope(), supervision.BoardFilter{}, []int64{cpuB, tcp, cpu, mem, http, disk, nginx, pingB, ping}, 9, allCounts},
		{"page", w.manager.Scope(), supervision.BoardFilter{Limit: 3, Offset: 3}, []int64{mem, http, disk}, 9, allCounts},
		{"problems", w.manager.Scope(), supervision.BoardFilter{Problems: true}, []int64{cpuB, tcp, cpu, mem, http, disk}, 6, allCounts},
		{"critical", w.manager.Scope(), supervision.BoardFilter{State: "critical"}, []int64{cpuB, tcp, cpu, mem}, 4, allCounts},
		{"ok", w.manager.Scope(), supervision.BoardFilter{State: "ok"}, []int64{pingB, ping}, 2, allCounts},
		{"pending", w.manager.Scope(), supervision.BoardFilter{State: "pending"}, []int64{nginx}, 1, allCounts},
		{"unknown state name", w.manager.Scope(), supervision.BoardFilter{State: "bogus"}, []int64{}, 0, allCounts},
		{"client A", w.manager.Scope(), supervision.BoardFilter{ClientID: w.A.ID}, []int64{tcp, cpu, mem, http, disk, nginx, ping}, 7, countsA},
		{"asset", w.manager.Scope(), supervision.BoardFilter{AssetID: dbs.ID}, []int64{http, disk, ping}, 3,
			supervision.BoardCounts{OK: 1, Warning: 1, Unknown: 1, Unreachable: 1}},
		{"kind", w.manager.Scope(), supervision.BoardFilter{Kind: supervision.KindPing}, []int64{pingB, ping}, 2, supervision.BoardCounts{OK: 2, Flapping: 1}},
		{"search asset", w.manager.Scope(), supervision.BoardFilter{Search: "DB-1"}, []int64{http, disk, ping}, 3,
			supervision.BoardCounts{OK: 1, Warning: 1, Unknown: 1, Unreachable: 1}},
		{"search check", w.manager.Scope(), supervision.BoardFilter{Search: "bravo", Problems: true}, []int64{cpuB}, 1, supervision.BoardCounts{OK: 1, Critical: 1, Flapping: 1}},
		{"search and kind", w.manager.Scope(), supervision.BoardFilter{Search: "web", Kind: supervision.KindCPU}, []int64{cpu}, 1, supervision.BoardCounts{Critical: 1}},
		{"client user of B", w.userB.Scope(), supervision.BoardFilter{}, []int64{cpuB, pingB}, 2, supervision.BoardCounts{OK: 1, Critical: 1, Flapping: 1}},
		{"technician of A", w.techA.Scope(), supervision.BoardFilter{}, []int64{tcp, cpu, mem, http, disk, nginx, ping}, 7, countsA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, counts, total, err := db.Board(ctx, tc.s, tc.f)
			ok(t, err)
			got := ids(rows, func(r supervision.BoardRow) int64 { return r.Check.ID })
			if !slices.Equal(got, tc.want) || total != tc.total || counts != tc.counts {
				t.Errorf("board = %v (%d rows) %+v\nwant %v (%d rows) %+v", got, total, counts, tc.want, tc.total, tc.counts)
			}
		})
	}
	rows, _, _, err := db.Board(ctx, sys, supervision.BoardFilter{AssetID: web.ID, Limit: 1})
	ok(t, err)
	r := rows[0]
	if r.AssetName != "web-1" || r.ClientName != "Alpha SARL" || r.Check.Name != "tcp 443" || r.Status.State != check.Critical ||
		r.Status.Type != check.Soft || r.Status.ClientID != w.A.ID || !r.Status.Since.Equal(at(30)) {
		t.Errorf("board row = %+v", r)
	}
}

func windowID(w supervision.Window) int64 { return w.ID }

func testSupervisionWindows(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	paris, err := time.LoadLocation("Europe/Paris")
	ok(t, err)
	srv := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	onSite := asset.Asset{ClientID: w.A.ID, SiteID: &w.siteA.ID, Kind: asset.KindServer, Name: "on-site", Fields: map[string]string{}}
	ok(t, db.CreateAsset(ctx, sys, &onSite))
	bsrv := mkAsset(t, db, w.B.ID, asset.KindServer, "bsrv")

	oneOff := supervision.Window{Window: check.Window{AssetID: srv.ID, From: s0, To: s0.Add(2 * time.Hour), Comment: "mise à jour"}, CreatedBy: w.techA.ID}
	ok(t, db.CreateWindow(ctx, w.techA.Scope(), &oneOff))
	if oneOff.ID == 0 || oneOff.ClientID != w.A.ID || oneOff.CreatedAt.IsZero() {
		t.Fatalf("created %+v", oneOff)
	}
	got := must(db.Window(ctx, w.userA.Scope(), oneOff.ID))(t)
	if got.AssetID != srv.ID || got.ClientID != w.A.ID || !got.From.Equal(s0) || !got.To.Equal(s0.Add(2*time.Hour)) || got.Comment != "mise à jour" ||
		got.CreatedBy != w.techA.ID || len(got.Weekdays) != 0 || got.Location.String() != "UTC" {
		t.Errorf("one-off read back %+v", got)
	}
	weekly := supervision.Window{Window: check.Window{SiteID: w.siteA.ID, Weekdays: []time.Weekday{time.Sunday, time.Wednesday, time.Saturday},
		Start: 22*time.Hour + 30*time.Minute, Duration: 3 * time.Hour, Location: paris}}
	ok(t, db.CreateWindow(ctx, sys, &weekly))
	got = must(db.Window(ctx, sys, weekly.ID))(t)
	if got.SiteID != w.siteA.ID || got.ClientID != w.A.ID || !slices.Equal(got.Weekdays, weekly.Weekdays) || got.Start != weekly.Start ||
		got.Duration != weekly.Duration || got.Location.String() != "Europe/Paris" || !got.From.IsZero() || got.CreatedBy != 0 {
		t.Errorf("recurring read back %+v", got)
	}
	whole := supervision.Window{Window: check.Window{ClientID: w.A.ID, From: s0.Add(-48 * time.Hour), To: s0.Add(-24 * time.Hour)}}
	ok(t, db.CreateWindow(ctx, sys, &whole))
	bw := supervision.Window{Window: check.Window{ClientID: w.B.ID, From: s0, To: s0.Add(time.Hour)}}
	ok(t, db.CreateWindow(ctx, sys, &bw))

	// Bad targets change nothing.
	wantInvalid(t, "no target", db.CreateWindow(ctx, sys, &supervision.Window{Window: check.Window{From: s0, To: s0.Add(time.Hour)}}), "client_id")
	wantInvalid(t, "asset of another client", db.CreateWindow(ctx, sys,
		&supervision.Window{Window: check.Window{ClientID: w.A.ID, AssetID: bsrv.ID, From: s0, To: s0.Add(time.Hour)}}), "asset_id")
	wantInvalid(t, "bad weekday", db.CreateWindow(ctx, sys,
		&supervision.Window{Window: check.Window{ClientID: w.A.ID, Weekdays: []time.Weekday{9}, Duration: time.Hour}}), "weekdays")

	for name, s := range w.limitedToA() {
		_, err := db.Window(ctx, s, bw.ID)
		wantNotFound(t, name+" reads B's window", err)
		wantNotFound(t, name+" deletes B's window", db.DeleteWindow(ctx, s, bw.ID))
		x := supervision.Window{Window: check.Window{AssetID: bsrv.ID, From: s0, To: s0.Add(time.Hour)}}
		wantNotFound(t, name+" creates on B's asset", db.CreateWindow(ctx, s, &x))
		x = supervision.Window{Window: check.Window{SiteID: w.siteB.ID, From: s0, To: s0.Add(time.Hour)}}
		wantNotFound(t, name+" creates on B's site", db.CreateWindow(ctx, s, &x))
		if got := ids(must(db.Windows(ctx, s, supervision.WindowFilter{}))(t), windowID); !slices.Equal(got, []int64{oneOff.ID, weekly.ID, whole.ID}) {
			t.Errorf("%s: Windows = %v", name, got)
		}
	}
	for _, tc := range []struct {
		name string
		f    supervision.WindowFilter
		want []int64
	}{
		{"client B", supervision.WindowFilter{ClientID: w.B.ID}, []int64{bw.ID}},
		{"covering srv", supervision.WindowFilter{AssetID: srv.ID}, []int64{oneOff.ID, whole.ID}},
		{"covering the asset on site", supervision.WindowFilter{AssetID: onSite.ID}, []int64{weekly.ID, whole.ID}},
		{"covering B's asset", supervision.WindowFilter{AssetID: bsrv.ID}, []int64{bw.ID}},
	} {
		if got := ids(must(db.Windows(ctx, sys, tc.f))(t), windowID); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Windows = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := ids(must(db.AllWindows(ctx, s0.Add(-time.Hour)))(t), windowID); !slices.Equal(got, []int64{oneOff.ID, weekly.ID, bw.ID}) {
		t.Errorf("AllWindows = %v, want all but the ended one", got)
	}
	ok(t, db.DeleteWindow(ctx, w.userA.Scope(), oneOff.ID))
	_, err = db.Window(ctx, sys, oneOff.ID)
	wantNotFound(t, "deleted window", err)
}

func testSupervisionBackups(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	jobA := mkAsset(t, db, w.A.ID, asset.KindBackup, "veeam nuit")
	pushed := mkAsset(t, db, w.A.ID, asset.KindApplication, "dump SQL")
	plain := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	jobB := mkAsset(t, db, w.B.ID, asset.KindBackup, "Bravo job")
	cA := mkCheck(t, db, jobA.ID, "job", supervision.KindBackupJob, nil)
	cP := mkCheck(t, db, pushed.ID, "push", supervision.KindBackupPush, func(c *supervision.Check) { c.PushToken = "p1" })
	cB := mkCheck(t, db, jobB.ID, "job", supervision.KindBackupJob, nil)
	mkCheck(t, db, plain.ID, "cpu", supervision.KindCPU, nil)

	runs := []supervision.BackupRun{
		{CheckID: cA.ID, At: s0, OK: true, Seconds: 120.5, Bytes: 1 << 30, Message: "done", Source: "agent"},
		{CheckID: cA.ID, At: s0.Add(24 * time.Hour), OK: false, Seconds: 3, Message: "disk full", Source: "agent"},
		{CheckID: cB.ID, At: s0, OK: true, Source: "push"},
	}
	for i := range runs {
		ok(t, db.AddBackupRun(ctx, &runs[i]))
	}
	if runs[0].ClientID != w.A.ID || runs[0].AssetID != jobA.ID || runs[0].ID == 0 {
		t.Errorf("run %+v", runs[0])
	}
	wantNotFound(t, "run of an unknown check", db.AddBackupRun(ctx, &supervision.BackupRun{CheckID: 999999, At: s0, Source: "push"}))
	got := must(db.BackupRuns(ctx, w.userA.Scope(), cA.ID, 0))(t)
	sameJSON(t, "runs newest first", got, []supervision.BackupRun{runs[1], runs[0]})
	if got := must(db.BackupRuns(ctx, w.userA.Scope(), cA.ID, 1))(t); len(got) != 1 || got[0].ID != runs[1].ID {
		t.Errorf("limit 1 = %v", got)
	}

	tests := []supervision.RestoreTest{
		{AssetID: jobA.ID, TestedAt: s0.Add(-72 * time.Hour), Scope: "un fichier", Result: supervision.RestoreOK, Minutes: 5, UserID: w.techA.ID},
		{AssetID: jobA.ID, TestedAt: s0.Add(-24 * time.Hour), Scope: "VM complète", Result: supervision.RestorePartial, Minutes: 95, Evidence: "capture"},
	}
	for i := range tests {
		ok(t, db.AddRestoreTest(ctx, w.techA.Scope(), &tests[i]))
	}
	if tests[0].ClientID != w.A.ID || tests[0].Created.IsZero() {
		t.Errorf("restore test %+v", tests[0])
	}
	rtB := supervision.RestoreTest{AssetID: jobB.ID, TestedAt: s0, Result: supervision.RestoreFailed}
	ok(t, db.AddRestoreTest(ctx, sys, &rtB))
	sameJSON(t, "restore tests newest first", must(db.RestoreTests(ctx, w.userA.Scope(), jobA.ID, 0))(t), []supervision.RestoreTest{tests[1], tests[0]})

	for name, s := range w.limitedToA() {
		x := supervision.RestoreTest{AssetID: jobB.ID, TestedAt: s0, Result: supervision.RestoreOK}
		wantNotFound(t, name+" records a test of B's job", db.AddRestoreTest(ctx, s, &x))
		wantNotFound(t, name+" deletes B's restore test", db.DeleteRestoreTest(ctx, s, rtB.ID))
		if got := must(db.RestoreTests(ctx, s, jobB.ID, 0))(t); len(got) != 0 {
			t.Errorf("%s sees B's restore tests %v", name, got)
		}
		if got := must(db.BackupRuns(ctx, s, cB.ID, 0))(t); len(got) != 0 {
			t.Errorf("%s sees B's runs %v", name, got)
		}
		sums := must(db.LastBackups(ctx, s, 0))(t)
		if len(sums) != 2 || sums[0].AssetID != pushed.ID || sums[1].AssetID != jobA.ID {
			t.Errorf("%s: LastBackups = %+v", name, sums)
		}
	}
	sums := must(db.LastBackups(ctx, sys, w.A.ID))(t)
	if len(sums) != 2 {
		t.Fatalf("LastBackups of A = %+v", sums)
	}
	if p := sums[0]; p.AssetName != "dump SQL" || p.LastRun != nil || p.LastSuccess != nil || p.LastRestore != nil {
		t.Errorf("push job without runs = %+v", p)
	}
	j := sums[1]
	if j.LastSuccess == nil || j.LastSuccess.ID != runs[0].ID || j.LastRun == nil || j.LastRun.ID != runs[1].ID ||
		j.LastRestore == nil || j.LastRestore.ID != tests[1].ID || j.ClientID != w.A.ID {
		t.Errorf("job summary = %+v", j)
	}
	if all := must(db.LastBackups(ctx, w.manager.Scope(), 0))(t); len(all) != 3 {
		t.Errorf("LastBackups of everyone = %d jobs", len(all))
	}
	ok(t, db.DeleteRestoreTest(ctx, w.userA.Scope(), tests[1].ID))
	if got := must(db.RestoreTests(ctx, sys, jobA.ID, 0))(t); len(got) != 1 || got[0].ID != tests[0].ID {
		t.Errorf("after delete = %v", got)
	}
	_ = cP
}

func testSupervisionAssetRefs(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	gw := mkAsset(t, db, w.A.ID, asset.KindNetwork, "gw")
	web := asset.Asset{ClientID: w.A.ID, SiteID: &w.siteA.ID, ParentID: &gw.ID, Kind: asset.KindServer, Name: "web", OS: "linux",
		Criticality: asset.CriticalityHigh, Fields: map[string]string{}}
	ok(t, db.CreateAsset(ctx, sys, &web))
	webserver := mkAsset(t, db, w.A.ID, asset.KindServer, "webserver")
	under := mkAsset(t, db, w.B.ID, asset.KindServer, "under")
	webAgent := mkAgent(t, db, web, "hash-web")
	claimed, err := db.ClaimReport(ctx, webAgent.ID, asset.AgentUpdate{Seq: 1, LastSeen: s0, OfflineAt: s0.Add(3 * time.Minute), Version: "1.0", ReportInterval: 30})
	ok(t, err)
	if !claimed {
		t.Fatal("report not claimed")
	}
	revoked := mkAgent(t, db, webserver, "hash-ws")
	ok(t, db.RevokeAgent(ctx, revoked.ID, s0))

	ok(t, db.SetAssetTags(ctx, w.techA.Scope(), web.ID, []string{" Web", "prod", "web", ""}))
	ok(t, db.SetAssetTags(ctx, sys, webserver.ID, []string{"webserver"}))
	ok(t, db.SetAssetTags(ctx, sys, under.ID, []string{"web_1", "web"}))
	wantInvalid(t, "tag with a comma", db.SetAssetTags(ctx, sys, web.ID, []string{"a,b"}), "tags")
	wantNotFound(t, "client A tags B's asset", db.SetAssetTags(ctx, w.userA.Scope(), under.ID, []string{"x"}))

	ref := must(db.AssetRef(ctx, w.userA.Scope(), web.ID))(t)
	want := supervision.AssetRef{ID: web.ID, ClientID: w.A.ID, SiteID: w.siteA.ID, ParentID: gw.ID, Name: "web", Kind: "server", OS: "linux",
		Tags: []string{"prod", "web"}, Criticality: "high", HasAgent: true, LastSeen: s0, ReportInterval: 30, TimeZone: "Europe/Paris"}
	sameJSON(t, "asset ref", ref, want)
	_, err = db.AssetRef(ctx, w.userA.Scope(), under.ID)
	wantNotFound(t, "client A reads B's asset ref", err)

	refs := must(db.AssetRefs(ctx))(t)
	if len(refs) != 4 {
		t.Fatalf("AssetRefs = %d", len(refs))
	}
	byID := map[int64]supervision.AssetRef{}
	for _, r := range refs {
		byID[r.ID] = r
	}
	if r := byID[webserver.ID]; r.HasAgent || r.ReportInterval != 0 || !slices.Equal(r.Tags, []string{"webserver"}) || r.OS != "" {
		t.Errorf("asset with a revoked agent = %+v", r)
	}
	if r := byID[gw.ID]; r.HasAgent || len(r.Tags) != 0 || r.ParentID != 0 {
		t.Errorf("asset without agent = %+v", r)
	}

	assetID := func(r supervision.AssetRef) int64 { return r.ID }
	for _, tc := range []struct {
		name string
		tmpl supervision.Template
		want []int64
	}{
		{"tag web (not webserver)", supervision.Template{MatchTag: "WEB"}, []int64{web.ID, under.ID}},
		{"tag web in client A", supervision.Template{ClientID: &w.A.ID, MatchTag: "web"}, []int64{web.ID}},
		{"underscore is literal", supervision.Template{MatchTag: "web_1"}, []int64{under.ID}},
		{"wildcard is literal", supervision.Template{MatchTag: "web%"}, []int64{}},
		{"kind network", supervision.Template{MatchKind: "network"}, []int64{gw.ID}},
		{"os linux, tag prod", supervision.Template{MatchOS: "linux", MatchTag: "prod"}, []int64{web.ID}},
	} {
		if got := ids(must(db.TemplateAssets(ctx, tc.tmpl))(t), assetID); !slices.Equal(got, tc.want) {
			t.Errorf("%s: TemplateAssets = %v, want %v", tc.name, got, tc.want)
		}
	}
	ok(t, db.SetAssetTags(ctx, sys, web.ID, nil))
	if r := must(db.AssetRef(ctx, sys, web.ID))(t); len(r.Tags) != 0 {
		t.Errorf("tags after clearing = %v", r.Tags)
	}
}

// testSupervisionDeleteDuringWrites deletes checks while the engine's batch
// writes keep updating their statuses and adding events: a delete never
// fails (on PostgreSQL the two once took their locks in opposite orders and
// deadlocked), and a batch naming a deleted check at worst fails whole.
func testSupervisionDeleteDuringWrites(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	a := mkAsset(t, db, w.A.ID, asset.KindServer, "srv")
	var checks []supervision.Check
	for i := range 40 {
		checks = append(checks, mkCheck(t, db, a.ID, fmt.Sprintf("c%d", i), supervision.KindCPU, nil))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			at := s0.Add(time.Duration(n) * time.Second)
			var sts []supervision.Status
			var evs []supervision.Event
			for _, c := range checks {
				st := check.Status{State: check.Critical, Type: check.Soft, Attempt: 1, Since: at, LastCheck: at, Output: "x"}
				sts = append(sts, supervision.Status{CheckID: c.ID, ClientID: w.A.ID, AssetID: a.ID, Status: st})
				evs = append(evs, supervision.Event{CheckID: c.ID, ClientID: w.A.ID, AssetID: a.ID,
					Event: check.Event{At: at, Kind: check.SoftChange, From: check.OK, To: check.Critical, Type: check.Soft}})
			}
			_ = db.SaveResults(ctx, sts, evs) // may fail whole when a check just went
		}
	}()
	for _, c := range checks {
		if err := db.DeleteCheck(ctx, sys, c.ID); err != nil {
			t.Errorf("delete check %d while results are written: %v", c.ID, err)
		}
	}
	close(stop)
	<-done
}
