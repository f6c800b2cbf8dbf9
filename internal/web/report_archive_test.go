package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// TestReportArchive: the archive's empty state, generating a past month
// (refused for a month not over), the run listed once done with its
// downloads, a failed run shown with its error to staff and without it to
// the client, retried by staff; the client's users read and download, only
// their own client's.
func TestReportArchive(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		archive := fmt.Sprintf("/clients/%d/reports/archive", f.a.ID)
		manager := signedIn(t, srv, "manager@example.com")
		manager.lang = "en"
		r := manager.get(archive)
		wantStatus(t, "empty archive", r, http.StatusOK)
		wantBody(t, "empty archive", r, `id="archive-empty"`, "set the reporting cadence and recipients", "No contract in force")
		checkPage(t, "empty archive", "en", r)

		running := time.Now().Format("2006-01")
		for _, tc := range []struct{ name, kind, period, want string }{
			{"running month", report.DocMonthly, running, "This period is not over"},
			{"malformed", report.DocMonthly, "2025-13", "Invalid value"},
			{"unknown kind", "weekly", "2025-10", "Invalid choice"},
		} {
			r := manager.post(archive+"/generate", url.Values{"kind": {tc.kind}, "period": {tc.period}})
			wantStatus(t, tc.name, r, http.StatusUnprocessableEntity)
			wantBody(t, tc.name, r, tc.want)
			checkPage(t, tc.name, "en", r)
		}
		r = manager.post(archive+"/generate", url.Values{"kind": {report.DocMonthly}, "period": {"2025-10"}})
		wantStatus(t, "generate", r, http.StatusSeeOther)
		runs, err := srv.App.ReportRuns.List(srv.Ctx(), tenant.System(), f.a.ID)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs %v (%v)", runs, err)
		}
		id := runs[0].ID
		deadline := time.Now().Add(20 * time.Second)
		for {
			run, err := srv.App.ReportRuns.Get(srv.Ctx(), tenant.System(), id)
			if err != nil {
				t.Fatal(err)
			}
			if run.Status == reportrun.StatusDone {
				break
			}
			if run.Status == reportrun.StatusFailed || time.Now().After(deadline) {
				t.Fatalf("run %+v", run)
			}
			time.Sleep(20 * time.Millisecond)
		}
		r = manager.get(archive)
		wantBody(t, "archive", r, fmt.Sprintf(`id="run-%d" data-status="done"`, id), "Monthly steering report", "2025-10",
			fmt.Sprintf(`href="%s/%d/pdf"`, archive, id), "not sent")
		checkPage(t, "archive", "en", r)

		// A failed run: its error for staff, a plain word for the client.
		failed := reportrun.Run{ClientID: f.a.ID, Kind: report.DocDaily, Period: "2025-10-05", Lang: "en", Status: reportrun.StatusQueued,
			MaxAttempts: 1, Created: time.Now().UTC()}
		if err := srv.App.DB.RequestReportRun(srv.Ctx(), &failed); err != nil {
			t.Fatal(err)
		}
		if err := srv.App.DB.ReportRunFailed(srv.Ctx(), failed.ID, failed.Generation, 1, "figures store unreachable", true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		r = manager.get(archive)
		wantBody(t, "failed run", r, fmt.Sprintf(`id="run-%d" data-status="failed"`, failed.ID), "figures store unreachable",
			fmt.Sprintf(`action="%s/%d/retry"`, archive, failed.ID))

		for _, lang := range []string{"fr", "en"} {
			cuser := signedIn(t, srv, "cuser@alpha.example")
			cuser.lang = lang
			r = cuser.get(archive)
			wantStatus(t, "portal archive", r, http.StatusOK)
			checkPage(t, "portal archive "+lang, lang, r)
			wantNotBody(t, "portal archive", r, "figures store unreachable", "/retry", `id="archive-generate"`)
		}
		cuser := signedIn(t, srv, "cuser@alpha.example")
		pdf := cuser.get(fmt.Sprintf("%s/%d/pdf", archive, id))
		wantStatus(t, "client downloads", pdf, http.StatusOK)
		if !strings.HasPrefix(pdf.body, "%PDF-") || pdf.header.Get("Content-Type") != "application/pdf" ||
			!strings.Contains(pdf.header.Get("Content-Disposition"), `filename="rapport-ALPHA-2025-10.pdf"`) {
			t.Errorf("PDF download: %s %s %.10q", pdf.header.Get("Content-Type"), pdf.header.Get("Content-Disposition"), pdf.body)
		}
		wantStatus(t, "CSV download", cuser.get(fmt.Sprintf("%s/%d/csv", archive, id)), http.StatusOK)
		wantStatus(t, "client generates", cuser.post(archive+"/generate", url.Values{"kind": {report.DocMonthly}, "period": {"2025-09"}}), http.StatusForbidden)
		wantStatus(t, "client retries", cuser.post(fmt.Sprintf("%s/%d/retry", archive, failed.ID), nil), http.StatusForbidden)
		wantStatus(t, "no file of a failed run", cuser.get(fmt.Sprintf("%s/%d/pdf", archive, failed.ID)), http.StatusNotFound)

		other := signedIn(t, srv, "cuser@bravo.example")
		wantStatus(t, "other client's archive", other.get(archive), http.StatusNotFound)
		wantStatus(t, "other client's PDF", other.get(fmt.Sprintf("%s/%d/pdf", archive, id)), http.StatusNotFound)
		// Through B's own archive path: the run is still A's.
		wantStatus(t, "A's run under B's path", other.get(fmt.Sprintf("/clients/%d/reports/archive/%d/pdf", f.b.ID, id)), http.StatusNotFound)

		r = manager.post(fmt.Sprintf("%s/%d/retry", archive, failed.ID), nil)
		wantStatus(t, "retry", r, http.StatusSeeOther)
		run, err := srv.App.ReportRuns.Get(srv.Ctx(), tenant.System(), failed.ID)
		if err != nil || run.Generation != 2 {
			t.Errorf("retried run %+v (%v)", run, err)
		}
		// The client page links to the archive.
		wantBody(t, "client page", manager.get(fmt.Sprintf("/clients/%d", f.a.ID)), `href="`+archive+`"`)
	})
}
