package review

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Renderer draws the PDF of a review in lang, dated generated. The app
// binds reportpdf.RenderReview with the provider's name and logo (package
// reportpdf imports this one, so it is handed in rather than imported).
type Renderer func(ctx context.Context, w io.Writer, rv Review, lang string, generated time.Time) error

// Translator returns the message of key in lang (an *i18n.Bundle is one).
type Translator interface {
	T(lang, key string, args ...any) string
}

// Generator makes the review document of a request: its PDF and CSV, named
// "revue-<client code>-<period>" (the word in the request's language). It
// reads as the system (the scheduler decided the client is reported) and
// computes at rq.Now, so that a scheduled review is what a user downloads
// at that instant.
func Generator(svc *Service, texts Translator, render Renderer) report.Generator {
	return func(ctx context.Context, rq report.Request) (report.Document, error) {
		sys := tenant.System()
		c, err := svc.store.Client(ctx, sys, rq.ClientID)
		if err != nil {
			return report.Document{}, fmt.Errorf("review client %d: %w", rq.ClientID, err)
		}
		rv, err := svc.build(ctx, sys, rq.ClientID, rq.Period, rq.Now)
		if err != nil {
			return report.Document{}, err
		}
		var pdf bytes.Buffer
		if err := render(ctx, &pdf, rv, rq.Lang, rq.Now); err != nil {
			return report.Document{}, fmt.Errorf("render review of client %d: %w", rq.ClientID, err)
		}
		return report.Document{Name: FileName(texts.T(rq.Lang, "review.file"), c.Code, rq.Period.Label()),
			PDF: pdf.Bytes(), CSV: rv.CSV()}, nil
	}
}

// FileName is "<word>-<code>-<period>" with only letters, digits, dashes
// and underscores kept from the code and the period.
func FileName(word, code, period string) string {
	return word + "-" + report.SafeName(code, "client") + "-" + report.SafeName(period, "period")
}
