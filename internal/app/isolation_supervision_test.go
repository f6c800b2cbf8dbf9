package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Kinds of supervision.
const (
	kindCheck         kind = "check"          // a check of the target client's server, in a hard CRITICAL state
	kindCheckTemplate kind = "check-template" // a check template limited to the target client
	kindWindow        kind = "window"         // a maintenance window of the target client
	kindBackupAsset   kind = "backup-asset"   // a backup job asset of the target client
	kindRestoreTest   kind = "restore-test"   // a restore test of the target client's backup job
)

// supFixtures are the supervision objects of a tenant.
type supFixtures struct {
	check, template, window, backup, restore int64
	channel                                  int64 // a notification channel (isolation_notify_test.go)
}

func init() {
	for seg, k := range map[string]kind{
		"checks":              kindCheck,
		"check-templates":     kindCheckTemplate,
		"maintenance-windows": kindWindow,
		"maintenance":         kindWindow,
		"restore-tests":       kindRestoreTest,
	} {
		kindBySegment[seg] = k
	}
	for pattern, params := range map[string]map[string]kind{
		// /supervision/templates/{id} are check templates, not reply templates.
		"GET /supervision/templates/{id}":           {"id": kindCheckTemplate},
		"POST /supervision/templates/{id}":          {"id": kindCheckTemplate},
		"POST /supervision/templates/{id}/delete":   {"id": kindCheckTemplate},
		"GET /assets/{id}/restore-tests":            {"id": kindBackupAsset},
		"POST /assets/{id}/restore-tests":           {"id": kindBackupAsset},
		"GET /api/v1/assets/{id}/restore-tests":     {"id": kindBackupAsset},
		"POST /api/v1/assets/{id}/restore-tests":    {"id": kindBackupAsset},
		"DELETE /api/v1/restore-tests/{id}":         {"id": kindRestoreTest},
		"POST /restore-tests/{id}/delete":           {"id": kindRestoreTest},
		"DELETE /api/v1/maintenance-windows/{id}":   {"id": kindWindow},
		"POST /supervision/maintenance/{id}/delete": {"id": kindWindow},
	} {
		kindByParam[pattern] = params
	}
	read, write := tenant.SupervisionRead, tenant.SupervisionWrite
	for pattern, sp := range map[string]spec{
		// API.
		"GET /api/v1/checks":                      {action: read},
		"POST /api/v1/checks":                     {action: write, target: true, bodyTarget: true, body: apiNewCheck},
		"GET /api/v1/checks/{id}":                 {action: read, target: true},
		"PATCH /api/v1/checks/{id}":               {action: write, target: true, body: jsonBody(`{"name":"Matrix check %d"}`)},
		"DELETE /api/v1/checks/{id}":              {action: write, target: true},
		"GET /api/v1/checks/{id}/events":          {action: read, target: true},
		"POST /api/v1/checks/{id}/acknowledge":    {action: write, target: true, body: jsonBody(`{"comment":"Matrix ack %d"}`)},
		"POST /api/v1/checks/{id}/run":            {action: write, target: true},
		"GET /api/v1/checks/{id}/availability":    {action: read, target: true},
		"GET /api/v1/checks/{id}/backup-runs":     {action: read, target: true},
		"GET /api/v1/check-templates":             {action: read},
		"POST /api/v1/check-templates":            {action: write, target: true, bodyTarget: true, body: apiNewCheckTemplate},
		"GET /api/v1/check-templates/{id}":        {action: read, target: true},
		"PATCH /api/v1/check-templates/{id}":      {action: write, target: true, body: jsonBody(`{"name":"Matrix template %d"}`)},
		"DELETE /api/v1/check-templates/{id}":     {action: write, target: true},
		"GET /api/v1/supervision/board":           {action: read},
		"GET /api/v1/maintenance-windows":         {action: read},
		"POST /api/v1/maintenance-windows":        {action: write, target: true, bodyTarget: true, body: apiNewWindow},
		"GET /api/v1/maintenance-windows/{id}":    {action: read, target: true},
		"DELETE /api/v1/maintenance-windows/{id}": {action: write, target: true},
		"GET /api/v1/assets/{id}/restore-tests":   {action: read, target: true},
		"POST /api/v1/assets/{id}/restore-tests":  {action: write, target: true, body: apiNewRestoreTest},
		"DELETE /api/v1/restore-tests/{id}":       {action: write, target: true},
		"GET /api/v1/backups":                     {action: read},
		"PUT /api/v1/assets/{id}/tags":            {action: write, target: true, body: jsonBody(`{"tags":["matrix","web"]}`)},

		// Pages: the board and the check page are the portal's too.
		"GET /supervision":                          {action: read},
		"GET /supervision/checks/{id}":              {action: read, target: true},
		"POST /supervision/checks/{id}/acknowledge": {action: write, target: true, body: formBody("comment", "Matrix ack %d")},
		"POST /supervision/checks/{id}/run":         {action: write, target: true},
		"GET /supervision/checks/new":               {action: write},
		"POST /supervision/checks/new":              {action: write, target: true, bodyTarget: true, body: webNewCheck},
		"GET /supervision/checks/{id}/edit":         {action: write, target: true},
		"POST /supervision/checks/{id}/edit":        {action: write, target: true, body: webEditCheck},
		"POST /supervision/checks/{id}/delete":      {action: write, target: true},
		"GET /supervision/templates":                {action: write},
		"GET /supervision/templates/new":            {action: write},
		"POST /supervision/templates/new":           {action: write, target: true, bodyTarget: true, body: webNewCheckTemplate},
		"GET /supervision/templates/{id}":           {action: write, target: true},
		"POST /supervision/templates/{id}":          {action: write, target: true, body: webEditCheckTemplate},
		"POST /supervision/templates/{id}/delete":   {action: write, target: true},
		"GET /supervision/maintenance":              {action: read},
		"POST /supervision/maintenance":             {action: write, target: true, bodyTarget: true, body: webNewWindow},
		"POST /supervision/maintenance/{id}/delete": {action: write, target: true},
		"GET /supervision/backups":                  {action: read},
		"GET /assets/{id}/restore-tests":            {action: tenant.AssetRead, target: true}, // an asset page: client users see restore tests on /supervision/backups
		"POST /assets/{id}/restore-tests":           {action: write, target: true, body: webNewRestoreTest},
		"POST /restore-tests/{id}/delete":           {action: write, target: true},
		"GET /assets/{id}/tags":                     {action: write, target: true},
		"POST /assets/{id}/tags":                    {action: write, target: true, body: formBody("tags", "matrix, web")},
	} {
		specs[pattern] = sp
	}
}

// streamRoutes never end (server-sent events): the matrix cannot wait for
// them. Each names the test that checks who receives what.
var streamRoutes = map[string]string{
	"GET /supervision/stream": "TestBoardStream in internal/web: a change of client A reaches A's users and staff, never B's",
}

// supervisionFixtures gives a tenant a check in a hard problem, a template,
// a maintenance window and a backup job with a restore test, all named after
// the client so that a leak shows.
func (m *matrix) supervisionFixtures(t *testing.T, d *tenantData) {
	t.Helper()
	d.sup.check = m.newCheck(t, d, d.client.Name+" port check")
	// A hard CRITICAL at once, so that it can be acknowledged.
	if err := m.s.App.Engine.Submit(m.s.Ctx(), supervision.Result{CheckID: d.sup.check,
		Result: check.Result{At: time.Now().UTC(), State: check.Critical, Output: d.client.Name + " refused"}}); err != nil {
		t.Fatal(err)
	}
	d.sup.template = m.newCheckTemplate(t, d, d.client.Name+" template")
	d.sup.window = m.newWindow(t, d, d.client.Name+" window")
	backup := asset.Asset{ClientID: d.client.ID, Kind: asset.KindBackup, Name: d.client.Name + " nightly backup"}
	if err := m.s.App.Assets.Create(m.s.Ctx(), tenant.System(), &backup); err != nil {
		t.Fatal(err)
	}
	d.sup.backup = backup.ID
	d.sup.restore = m.newRestoreTest(t, d, d.client.Name+" restore")
	d.sup.channel = m.newChannel(t, d, d.client.Name+" channel")
	// The engine applies the result asynchronously: wait until the problem is hard.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, ok := m.s.App.Engine.Status(d.sup.check)
		if ok && st.Type == check.Hard && st.State == check.Critical {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check %d of %s never became a hard problem: %+v", d.sup.check, d.name, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newCheck makes a server TCP check on the tenant's server, one attempt to a
// hard problem, against a port nothing listens on.
func (m *matrix) newCheck(t *testing.T, d *tenantData, name string) int64 {
	t.Helper()
	c := supervision.Check{AssetID: d.asset, Name: name, Enabled: true, Rules: supervision.Rules{
		Kind: supervision.KindTCP, Params: supervision.Params{Host: "127.0.0.1", Port: 9, Timeout: 1},
		Interval: 3600, RetryInterval: 60, MaxAttempts: 1, Severity: supervision.SeverityMajor, Ticket: supervision.TicketNone}}
	if err := m.s.App.Supervision.CreateCheck(m.s.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func (m *matrix) newCheckTemplate(t *testing.T, d *tenantData, name string) int64 {
	t.Helper()
	id := d.client.ID
	tp := supervision.Template{ClientID: &id, Name: name, MatchTag: "matrix-never", Enabled: true, Rules: supervision.Rules{
		Kind: supervision.KindCPU, Params: supervision.Params{Warning: 80, Critical: 95}, Severity: supervision.SeverityMinor, Ticket: supervision.TicketNone}}
	if err := m.s.App.Supervision.CreateTemplate(m.s.Ctx(), tenant.System(), &tp); err != nil {
		t.Fatal(err)
	}
	return tp.ID
}

func (m *matrix) newWindow(t *testing.T, d *tenantData, comment string) int64 {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Minute)
	w := supervision.Window{Window: check.Window{ClientID: d.client.ID, From: now.Add(24 * time.Hour), To: now.Add(26 * time.Hour), Comment: comment}}
	if err := m.s.App.Supervision.CreateWindow(m.s.Ctx(), tenant.System(), &w); err != nil {
		t.Fatal(err)
	}
	return w.ID
}

func (m *matrix) newRestoreTest(t *testing.T, d *tenantData, scope string) int64 {
	t.Helper()
	r := supervision.RestoreTest{AssetID: d.sup.backup, TestedAt: time.Now().UTC().Add(-time.Hour).Truncate(time.Second), Scope: scope,
		Result: supervision.RestoreOK, Minutes: 12, Evidence: "Matrix evidence"}
	if err := m.s.App.Supervision.AddRestoreTest(m.s.Ctx(), tenant.System(), &r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// substituteSupervision returns the object of a supervision kind for a
// call, a fresh one for a route that deletes.
func (m *matrix) substituteSupervision(t *testing.T, k kind, x *attempt, destructive bool) (int64, bool) {
	t.Helper()
	if id, ok := m.substituteNotify(t, k, x, destructive); ok {
		return id, true
	}
	if id, ok := m.substituteContract(t, k, x, destructive); ok {
		return id, true
	}
	if id, ok := m.substituteReportRun(t, k, x); ok {
		return id, true
	}
	d := x.target
	switch k {
	case kindCheck:
		if destructive {
			return m.newCheck(t, d, fmt.Sprintf("Disposable check %d", x.n)), true
		}
		return d.sup.check, true
	case kindCheckTemplate:
		if destructive {
			return m.newCheckTemplate(t, d, fmt.Sprintf("Disposable template %d", x.n)), true
		}
		return d.sup.template, true
	case kindWindow:
		if destructive {
			return m.newWindow(t, d, fmt.Sprintf("Disposable window %d", x.n)), true
		}
		return d.sup.window, true
	case kindBackupAsset:
		return d.sup.backup, true
	case kindRestoreTest:
		if destructive {
			return m.newRestoreTest(t, d, fmt.Sprintf("Disposable restore %d", x.n)), true
		}
		return d.sup.restore, true
	}
	return 0, false
}

// supSnapshot is what supervision routes may change.
type supSnapshot struct {
	Checks    []supervision.Check
	Templates []supervision.Template
	Windows   []supervision.Window
	Restores  []supervision.RestoreTest
	Tags      []assetTags
	Channels  []notify.Channel
}

// assetTags are the tags of a fixture asset.
type assetTags struct{ Tags []string }

func (m *matrix) supervisionSnapshot(t *testing.T) supSnapshot {
	t.Helper()
	ctx, sys := m.s.Ctx(), tenant.System()
	var s supSnapshot
	var err error
	if s.Checks, err = m.s.App.Supervision.Checks(ctx, sys, supervision.CheckFilter{}); err != nil {
		t.Fatal(err)
	}
	if s.Templates, err = m.s.App.Supervision.Templates(ctx, sys); err != nil {
		t.Fatal(err)
	}
	if s.Windows, err = m.s.App.Supervision.Windows(ctx, sys, supervision.WindowFilter{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*tenantData{&m.a, &m.b} {
		rs, err := m.s.App.Supervision.RestoreTests(ctx, sys, d.sup.backup)
		if err != nil {
			t.Fatal(err)
		}
		s.Restores = append(s.Restores, rs...)
		tags, err := m.s.App.Supervision.AssetTags(ctx, sys, d.asset)
		if err != nil {
			t.Fatal(err)
		}
		s.Tags = append(s.Tags, assetTags{tags})
	}
	s.Channels = m.notifySnapshot(t)
	return s
}

// Bodies.

func apiNewCheck(_ *matrix, x *attempt) any {
	return map[string]any{"asset_id": x.target.asset, "name": fmt.Sprintf("Matrix check %d", x.n), "kind": "tcp",
		"params": map[string]any{"host": "127.0.0.1", "port": 9}, "interval": 3600}
}

func apiNewCheckTemplate(_ *matrix, x *attempt) any {
	return map[string]any{"client_id": x.target.client.ID, "name": fmt.Sprintf("Matrix template %d", x.n), "match_tag": "matrix-never",
		"kind": "memory", "params": map[string]any{"warning": 85}}
}

func apiNewWindow(_ *matrix, x *attempt) any {
	from := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	return map[string]any{"client_id": x.target.client.ID, "from": from, "to": from.Add(time.Hour), "comment": fmt.Sprintf("Matrix window %d", x.n)}
}

func apiNewRestoreTest(_ *matrix, x *attempt) any {
	return json.RawMessage(fmt.Sprintf(`{"tested_at":%q,"scope":"Matrix restore %d","result":"ok","minutes":5}`,
		time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), x.n))
}

func webNewCheck(_ *matrix, x *attempt) any {
	return url.Values{"asset": {strconv.FormatInt(x.target.asset, 10)}, "name": {fmt.Sprintf("Matrix check %d", x.n)}, "kind": {"tcp"},
		"params.host": {"127.0.0.1"}, "params.port": {"9"}, "interval": {"3600"}, "enabled": {"1"}}
}

func webEditCheck(_ *matrix, x *attempt) any {
	return url.Values{"name": {fmt.Sprintf("Matrix check %d", x.n)}, "kind": {"tcp"}, "params.host": {"127.0.0.1"}, "params.port": {"9"},
		"interval": {"3600"}, "max_attempts": {"1"}, "enabled": {"1"}}
}

func webNewCheckTemplate(_ *matrix, x *attempt) any {
	return url.Values{"client_id": {strconv.FormatInt(x.target.client.ID, 10)}, "name": {fmt.Sprintf("Matrix template %d", x.n)},
		"match_tag": {"matrix-never"}, "kind": {"memory"}, "params.warning": {"85"}, "enabled": {"1"}}
}

func webEditCheckTemplate(_ *matrix, x *attempt) any {
	return url.Values{"client_id": {strconv.FormatInt(x.target.client.ID, 10)}, "name": {fmt.Sprintf("Matrix template %d", x.n)},
		"match_tag": {"matrix-never"}, "kind": {"cpu"}, "params.warning": {"80"}, "enabled": {"1"}}
}

func webNewWindow(_ *matrix, x *attempt) any {
	from := time.Now().Add(48 * time.Hour)
	return url.Values{"target": {"client:" + strconv.FormatInt(x.target.client.ID, 10)}, "client": {strconv.FormatInt(x.target.client.ID, 10)},
		"mode": {"once"}, "time_zone": {"Europe/Paris"}, "from": {from.Format("2006-01-02T15:04")}, "to": {from.Add(time.Hour).Format("2006-01-02T15:04")},
		"comment": {fmt.Sprintf("Matrix window %d", x.n)}}
}

func webNewRestoreTest(_ *matrix, x *attempt) any {
	return url.Values{"tested_at": {time.Now().Add(-time.Hour).Format("2006-01-02T15:04")}, "restore_scope": {fmt.Sprintf("Matrix restore %d", x.n)},
		"result": {"ok"}, "minutes": {"5"}}
}
