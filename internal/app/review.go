package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportpdf"
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
	a.ReportRuns.SetGenerator(report.DocReview, review.Generator(a.Reviews, texts, a.reviewRenderer(texts)))
}

// reviewRenderer draws a review's PDF with the provider's name and logo.
func (a *App) reviewRenderer(texts reportpdf.Translator) review.Renderer {
	return func(ctx context.Context, w io.Writer, rv review.Review, lang string, generated time.Time) error {
		pr, err := a.Provider.Get(ctx)
		if err != nil {
			return fmt.Errorf("load provider: %w", err)
		}
		opts := reportpdf.Options{Texts: texts, Lang: lang, Client: rv.Client, Generated: generated, Provider: pr.Name}
		// reportpdf draws PNG and JPEG only: an SVG logo is left out.
		if len(pr.Logo) > 0 && (pr.LogoType == "image/png" || pr.LogoType == "image/jpeg") {
			opts.Logo, opts.LogoType = pr.Logo, pr.LogoType
		}
		return reportpdf.RenderReview(w, rv, opts)
	}
}
