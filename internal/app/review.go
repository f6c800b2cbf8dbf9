package app

import (
	"time"

	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/review"
)

// buildReviews builds the clients' service reviews (docs/service-review.md)
// and gives the scheduled reports the quarterly review's generator: the
// same review, PDF and CSV as the review page's downloads.
func (a *App) buildReviews(now func() time.Time) {
	a.Reviews = review.NewService(a.DB, a.Contracts, a.Journal, now)
	if a.ReportRuns == nil {
		return
	}
	texts, err := i18n.Load()
	if err != nil {
		a.Log.Error("scheduled service reviews disabled", "err", err)
		return
	}
	docs := reportdoc.Builder{Store: a.DB, Clients: a.Clients, Provider: a.Provider, Contracts: a.Contracts, Texts: texts}
	a.ReportRuns.SetGenerator(report.DocReview, docs.Review(a.Reviews))
}
