package app

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/reportrun"
)

// reportWorkers builds the report run service and registers its durable
// job (docs/report-schedule.md). It runs when the job queue is built, before
// the queue and the outbox exist: buildReportRuns gives them.
func (a *App) reportWorkers(w *river.Workers) {
	texts, err := i18n.Load()
	if err != nil {
		// Only the embedded message catalogs can fail, and tests load them.
		a.Log.Error("scheduled reports disabled", "err", err)
		return
	}
	svc, err := reportrun.New(reportrun.Deps{Store: a.DB, Contracts: a.Contracts, Texts: texts, Journal: a.Journal, BaseURL: a.Config.BaseURL, Log: a.Log})
	if err != nil {
		a.Log.Error("scheduled reports disabled", "err", err)
		return
	}
	// One generator per report kind, the same the report pages download
	// through (the quarterly review's is set by buildReviews); a kind
	// without one fails its runs with a message saying so.
	docs := reportdoc.Builder{Store: a.DB, Clients: a.Clients, Provider: a.Provider, Contracts: a.Contracts, Texts: texts}
	for kind, gen := range docs.Generators() {
		svc.SetGenerator(kind, gen)
	}
	a.ReportRuns = svc
	river.AddWorker(w, svc.Worker())
}

// buildReportRuns connects the report runs to the queue and the outbox and
// schedules them every minute in the background.
func (a *App) buildReportRuns(outbox *mail.Outbox, now func() time.Time) {
	if a.ReportRuns == nil {
		return
	}
	a.ReportRuns.SetQueue(a.queue)
	a.ReportRuns.SetMailer(outbox)
	if now != nil {
		a.ReportRuns.SetClock(now)
	}
	a.bg = append(a.bg, a.ReportRuns.Run)
}
