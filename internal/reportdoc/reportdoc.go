// Package reportdoc makes the documents of a client's reports — the daily
// summary, the monthly steering report and the annual report — as the
// report.Generator of each kind: figures from internal/report, the PDF from
// internal/reportpdf, the CSV from the figures. The report pages, the
// scheduler and the archive call the same generator, so a document mailed
// on schedule is byte for byte the one downloaded for the same instant.
package reportdoc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportpdf"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// ClientReader reads a client (a *client.Service is one).
type ClientReader interface {
	Get(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
}

// ProviderReader reads the provider's identity (a *provider.Service is one).
type ProviderReader interface {
	Get(ctx context.Context) (provider.Provider, error)
}

// ContractReader finds the contract in force (a *contract.Service is one).
type ContractReader interface {
	InForce(ctx context.Context, s tenant.Scope, clientID int64, at time.Time) (contract.Contract, bool, error)
}

// Builder makes the generators. Store, Clients, Provider and Texts are
// required; without Contracts no availability target is printed; Now
// stands in for a request's zero Now (time.Now when nil).
type Builder struct {
	Store     report.Store
	Clients   ClientReader
	Provider  ProviderReader
	Contracts ContractReader
	Texts     reportpdf.Translator
	Now       func() time.Time
}

// Generators returns the generator of each kind this package makes:
// report.DocDaily, report.DocMonthly and report.DocAnnual.
func (b Builder) Generators() map[string]report.Generator {
	return map[string]report.Generator{
		report.DocDaily:   b.Daily(),
		report.DocMonthly: b.Monthly(),
		report.DocAnnual:  b.Annual(),
	}
}

// Daily returns the generator of the daily summary (a day period).
func (b Builder) Daily() report.Generator {
	return func(ctx context.Context, rq report.Request) (report.Document, error) {
		in, err := b.prepare(ctx, report.DocDaily, rq)
		if err != nil {
			return report.Document{}, err
		}
		d, err := report.DailyFigures(ctx, b.Store, rq.ClientID, rq.Period, in.now)
		if err != nil {
			return report.Document{}, err
		}
		var pdf bytes.Buffer
		if err := reportpdf.RenderDaily(&pdf, d, in.opts); err != nil {
			return report.Document{}, fmt.Errorf("render daily summary of client %d: %w", rq.ClientID, err)
		}
		return report.Document{Name: in.name, PDF: pdf.Bytes(), CSV: d.CSV()}, nil
	}
}

// Monthly returns the generator of the monthly steering report (a month
// period), with the availability target of the contract in force at the
// end of the month.
func (b Builder) Monthly() report.Generator {
	return func(ctx context.Context, rq report.Request) (report.Document, error) {
		in, err := b.prepare(ctx, report.DocMonthly, rq)
		if err != nil {
			return report.Document{}, err
		}
		m, err := report.Figures(ctx, b.Store, rq.ClientID, rq.Period, in.now)
		if err != nil {
			return report.Document{}, err
		}
		target, err := b.Target(ctx, rq.ClientID, m.Period.Until)
		if err != nil {
			return report.Document{}, err
		}
		in.opts.AvailabilityTarget = target
		var pdf bytes.Buffer
		if err := reportpdf.Render(&pdf, m, in.opts); err != nil {
			return report.Document{}, fmt.Errorf("render report of client %d: %w", rq.ClientID, err)
		}
		return report.Document{Name: in.name, PDF: pdf.Bytes(), CSV: m.CSV()}, nil
	}
}

// Review returns the generator of a client's service review (a quarter, or
// any period): review.Generator drawing its PDF with the provider's name
// and logo. The review page's downloads and the scheduler both use it.
func (b Builder) Review(svc *review.Service) report.Generator {
	return review.Generator(svc, b.Texts, func(ctx context.Context, w io.Writer, rv review.Review, lang string, generated time.Time) error {
		pr, err := b.Provider.Get(ctx)
		if err != nil {
			return fmt.Errorf("read provider: %w", err)
		}
		opts := reportpdf.Options{Texts: b.Texts, Lang: lang, Client: rv.Client, Generated: generated}
		opts.SetProvider(pr)
		return reportpdf.RenderReview(w, rv, opts)
	})
}

// Annual returns the generator of the annual report (a year period).
func (b Builder) Annual() report.Generator {
	return func(ctx context.Context, rq report.Request) (report.Document, error) {
		in, err := b.prepare(ctx, report.DocAnnual, rq)
		if err != nil {
			return report.Document{}, err
		}
		a, err := report.AnnualFigures(ctx, b.Store, rq.ClientID, rq.Period, in.now)
		if err != nil {
			return report.Document{}, err
		}
		var pdf bytes.Buffer
		if err := reportpdf.RenderAnnual(&pdf, a, in.opts); err != nil {
			return report.Document{}, fmt.Errorf("render annual report of client %d: %w", rq.ClientID, err)
		}
		return report.Document{Name: in.name, PDF: pdf.Bytes(), CSV: a.CSV()}, nil
	}
}

// Target is the availability target of the contract in force for a client
// just before until (0 without contract or without Contracts).
func (b Builder) Target(ctx context.Context, clientID int64, until time.Time) (float64, error) {
	if b.Contracts == nil {
		return 0, nil
	}
	c, found, err := b.Contracts.InForce(ctx, tenant.System(), clientID, until.Add(-time.Second))
	if err != nil {
		return 0, fmt.Errorf("contract in force for client %d: %w", clientID, err)
	}
	if !found {
		return 0, nil
	}
	return c.Availability, nil
}

// Name is the file name stem of a report: the kind's word in the language,
// the client's code and the period ("compte-rendu-ACME-2026-10-05").
func Name(t reportpdf.Translator, lang, kind, code, label string) string {
	return t.T(lang, "reportdoc.file."+kind) + "-" + report.SafeName(code, "client") + "-" + report.SafeName(label, "client")
}

// prepared is what every kind needs before its figures.
type prepared struct {
	now  time.Time
	name string
	opts reportpdf.Options
}

// prepare checks the request (its period is of the kind's shape: "period"
// invalid_choice otherwise), reads the client and the provider and sets
// the PDF's options: the language asked, else the client's, else French.
func (b Builder) prepare(ctx context.Context, kind string, rq report.Request) (prepared, error) {
	if want := report.PeriodKind(kind); rq.Period.Kind != want {
		v := &fault.Invalid{}
		v.Add("period", "invalid_choice", string(want))
		return prepared{}, v
	}
	now := rq.Now
	if now.IsZero() {
		now = time.Now()
		if b.Now != nil {
			now = b.Now()
		}
	}
	c, err := b.Clients.Get(ctx, tenant.System(), rq.ClientID)
	if err != nil {
		return prepared{}, fmt.Errorf("read client %d: %w", rq.ClientID, err)
	}
	pr, err := b.Provider.Get(ctx)
	if err != nil {
		return prepared{}, fmt.Errorf("read provider: %w", err)
	}
	lang := rq.Lang
	if lang != "fr" && lang != "en" {
		lang = c.Language
	}
	if lang != "fr" && lang != "en" {
		lang = "fr"
	}
	opts := reportpdf.Options{Texts: b.Texts, Lang: lang, Client: c.Name, Generated: now, Location: rq.Period.Location}
	opts.SetProvider(pr)
	return prepared{now: now, name: Name(b.Texts, lang, kind, c.Code, rq.Period.Label()), opts: opts}, nil
}
