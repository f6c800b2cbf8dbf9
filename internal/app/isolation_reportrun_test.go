package app_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// kindReportRun is a generated report of the target client, done, with
// files named after the client so that a leak shows.
const kindReportRun kind = "report-run"

// The report archive (docs/report-schedule.md): whoever may read the client
// reads its runs and downloads their files (its users too, in the portal);
// generating and retrying take client.write. Another client's users get 404.
func init() {
	kindBySegment["report-runs"] = kindReportRun
	kindBySegment["archive"] = kindReportRun // /clients/{id}/reports/archive/{run}
	read, write := tenant.ClientRead, tenant.ClientWrite
	for pattern, sp := range map[string]spec{
		"GET /api/v1/clients/{id}/report-runs":           {action: read, target: true},
		"GET /api/v1/report-runs/{id}/pdf":               {action: read, target: true},
		"GET /api/v1/report-runs/{id}/csv":               {action: read, target: true},
		"GET /clients/{id}/reports/archive":              {action: read, target: true},
		"GET /clients/{id}/reports/archive/{run}/pdf":    {action: read, target: true},
		"GET /clients/{id}/reports/archive/{run}/csv":    {action: read, target: true},
		"POST /clients/{id}/reports/archive/generate":    {action: write, target: true, body: webGenerateReport},
		"POST /clients/{id}/reports/archive/{run}/retry": {action: write, target: true},
	} {
		specs[pattern] = sp
	}
}

// webGenerateReport asks for a past month's report, not e-mailed.
func webGenerateReport(_ *matrix, _ *attempt) any {
	return url.Values{"kind": {report.DocMonthly}, "period": {"2025-12"}}
}

// substituteReportRun returns a fresh done run of the target client: each
// call gets its own period, so that a generation by one call does not
// replace another's.
func (m *matrix) substituteReportRun(t *testing.T, k kind, x *attempt) (int64, bool) {
	t.Helper()
	if k != kindReportRun {
		return 0, false
	}
	ctx, d := m.s.Ctx(), x.target
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, x.n%3000)
	r := reportrun.Run{ClientID: d.client.ID, Kind: report.DocDaily, Period: day.Format(time.DateOnly), Lang: "en",
		Status: reportrun.StatusQueued, MaxAttempts: 1, Created: time.Now().UTC().Truncate(time.Microsecond)}
	if err := m.s.App.DB.RequestReportRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	doc := report.Document{Name: "report-" + d.client.Code, PDF: []byte("%PDF-1.7 " + d.client.Name), CSV: []byte(d.client.Name + ";1\n")}
	if ok, err := m.s.App.DB.ReportRunDone(ctx, r.ID, r.Generation, doc, nil, nil, time.Now().UTC().Truncate(time.Microsecond)); err != nil || !ok {
		t.Fatal(fmt.Errorf("mark run %d done: %v %w", r.ID, ok, err))
	}
	return r.ID, true
}
