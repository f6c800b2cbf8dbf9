package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// TestReportRunStore: one run per client, kind and period; a new request
// starts it over as the next generation and empties it; an older
// generation's writes change nothing; reads are scoped to the client.
func TestReportRunStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			db := newTestDB(t, d)
			w := newWorld(t, db)
			ctx := t.Context()
			at := time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)
			run := func(clientID int64) reportrun.Run {
				return reportrun.Run{ClientID: clientID, Kind: report.DocMonthly, Period: "2026-10", Lang: "fr", Status: reportrun.StatusQueued,
					Send: true, MaxAttempts: 5, Created: at}
			}
			a := run(w.A.ID)
			created, err := db.CreateReportRun(ctx, &a)
			if err != nil || !created || a.ID == 0 || a.Generation != 1 {
				t.Fatalf("create: %v %v %+v", created, err, a)
			}
			again := run(w.A.ID)
			if created, err := db.CreateReportRun(ctx, &again); err != nil || created {
				t.Fatalf("second create of the same period: created %v, %v", created, err)
			}
			b := run(w.B.ID)
			if created, err := db.CreateReportRun(ctx, &b); err != nil || !created {
				t.Fatalf("B's run of the same period: %v %v", created, err)
			}

			if ok, err := db.ReportRunStarted(ctx, a.ID, 1, 1, at); err != nil || !ok {
				t.Fatalf("start: %v %v", ok, err)
			}
			doc := report.Document{Name: "rapport-ALPHA-2026-10", PDF: []byte("%PDF-1 alpha"), CSV: []byte("a;1\n")}
			mailID := int64(42)
			if ok, err := db.ReportRunDone(ctx, a.ID, 1, doc, []string{"anne@alpha.example"}, &mailID, at); err != nil || !ok {
				t.Fatalf("done: %v %v", ok, err)
			}
			got, err := db.ReportRun(ctx, tenant.System(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != reportrun.StatusDone || got.Attempts != 1 || got.Size != int64(len(doc.PDF)+len(doc.CSV)) || got.Name != doc.Name ||
				len(got.Recipients) != 1 || got.MailID == nil || *got.MailID != 42 || got.Sent == nil || got.Finished == nil || !got.Send {
				t.Errorf("done run %+v", got)
			}
			pdf, err := db.ReportRunFile(ctx, tenant.System(), a.ID, reportrun.FilePDF)
			if err != nil || !bytes.Equal(pdf, doc.PDF) {
				t.Errorf("PDF %q %v", pdf, err)
			}
			keys, err := db.ReportRunKeys(ctx, []string{"2026-10", "2026-09"})
			if err != nil || !keys[w.A.ID]["monthly 2026-10"] || !keys[w.B.ID]["monthly 2026-10"] || len(keys) != 2 {
				t.Errorf("keys %v %v", keys, err)
			}

			// Regenerating: same row, next generation, emptied.
			re := run(w.A.ID)
			re.Send = false
			if err := db.RequestReportRun(ctx, &re); err != nil {
				t.Fatal(err)
			}
			if re.ID != a.ID || re.Generation != 2 {
				t.Fatalf("regenerated %+v", re)
			}
			got, _ = db.ReportRun(ctx, tenant.System(), a.ID)
			if got.Status != reportrun.StatusQueued || got.Attempts != 0 || got.Size != 0 || got.MailID != nil || got.Send || len(got.Recipients) != 0 {
				t.Errorf("run after a new request %+v", got)
			}
			if _, err := db.ReportRunFile(ctx, tenant.System(), a.ID, reportrun.FilePDF); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("old PDF still served: %v", err)
			}
			// The first generation's job, late, changes nothing.
			if ok, err := db.ReportRunStarted(ctx, a.ID, 1, 2, at); err != nil || ok {
				t.Errorf("stale start: %v %v", ok, err)
			}
			if ok, err := db.ReportRunDone(ctx, a.ID, 1, doc, nil, nil, at); err != nil || ok {
				t.Errorf("stale done: %v %v", ok, err)
			}
			if err := db.ReportRunFailed(ctx, a.ID, 2, 1, "boom", false, at); err != nil {
				t.Fatal(err)
			}
			got, _ = db.ReportRun(ctx, tenant.System(), a.ID)
			if got.Shown() != reportrun.ShownRetrying || got.LastError != "boom" || got.Finished != nil {
				t.Errorf("after a failed attempt %+v", got)
			}
			if err := db.ReportRunFailed(ctx, a.ID, 2, 2, "boom again", true, at); err != nil {
				t.Fatal(err)
			}
			got, _ = db.ReportRun(ctx, tenant.System(), a.ID)
			if got.Status != reportrun.StatusFailed || got.Attempts != 2 || got.Finished == nil {
				t.Errorf("after the last attempt %+v", got)
			}

			for name, s := range w.limitedToA() {
				if _, err := db.ReportRun(ctx, s, b.ID); !errors.Is(err, fault.ErrNotFound) {
					t.Errorf("%s reads B's run: %v", name, err)
				}
				if list, err := db.ReportRuns(ctx, s, w.B.ID); err != nil || len(list) != 0 {
					t.Errorf("%s lists B's runs: %v %v", name, list, err)
				}
				if _, err := db.ReportRunFile(ctx, s, b.ID, reportrun.FileCSV); !errors.Is(err, fault.ErrNotFound) {
					t.Errorf("%s downloads B's CSV: %v", name, err)
				}
				if list, err := db.ReportRuns(ctx, s, w.A.ID); err != nil || len(list) != 1 {
					t.Errorf("%s lists A's runs: %v %v", name, list, err)
				}
			}
		})
	}
}
