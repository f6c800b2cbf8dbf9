package reportrun

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportpdf"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Providers returns the provider's settings (name and logo on the PDF).
type Providers interface {
	Get(ctx context.Context) (provider.Provider, error)
}

// Clients returns a client (its name and code name the file).
type Clients interface {
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
}

// MonthlyDeps are what the monthly generator reads.
type MonthlyDeps struct {
	Figures   report.Store
	Clients   Clients
	Contracts Contracts
	Providers Providers
	// Texts are the messages of reportpdf.* and the file name (reportweb.file).
	Texts reportpdf.Translator
}

// MonthlyGenerator returns the generator of the monthly steering report:
// the figures of report.Figures, the PDF of reportpdf.Render with the
// provider's name and logo and the availability target of the contract in
// force at the end of the period, and the figures' CSV — what the monthly
// report page's downloads give.
func MonthlyGenerator(d MonthlyDeps) report.Generator {
	return func(ctx context.Context, rq report.Request) (report.Document, error) {
		c, err := d.Clients.Client(ctx, tenant.System(), rq.ClientID)
		if err != nil {
			return report.Document{}, fmt.Errorf("load client %d: %w", rq.ClientID, err)
		}
		m, err := report.Figures(ctx, d.Figures, rq.ClientID, rq.Period, rq.Now)
		if err != nil {
			return report.Document{}, err
		}
		opts := reportpdf.Options{Texts: d.Texts, Lang: rq.Lang, Client: c.Name, Generated: rq.Now, Location: rq.Period.Location}
		ct, found, err := d.Contracts.InForce(ctx, tenant.System(), rq.ClientID, m.Period.Until.Add(-time.Second))
		if err != nil {
			return report.Document{}, fmt.Errorf("contract of client %d: %w", rq.ClientID, err)
		}
		if found {
			opts.AvailabilityTarget = ct.Availability
		}
		pr, err := d.Providers.Get(ctx)
		if err != nil {
			return report.Document{}, fmt.Errorf("load provider: %w", err)
		}
		opts.Provider = pr.Name
		// reportpdf draws PNG and JPEG only: an SVG logo is left out.
		if len(pr.Logo) > 0 && (pr.LogoType == "image/png" || pr.LogoType == "image/jpeg") {
			opts.Logo, opts.LogoType = pr.Logo, pr.LogoType
		}
		var buf bytes.Buffer
		if err := reportpdf.Render(&buf, m, opts); err != nil {
			return report.Document{}, fmt.Errorf("render report of client %d: %w", rq.ClientID, err)
		}
		name := d.Texts.T(rq.Lang, "reportweb.file") + "-" + fileSafe(c.Code) + "-" + fileSafe(rq.Period.Label())
		return report.Document{Name: name, PDF: buf.Bytes(), CSV: m.CSV()}, nil
	}
}

// fileSafe keeps the letters, digits, dashes and underscores of s, for a
// file name in a header or an attachment.
func fileSafe(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 && (c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "client"
	}
	return b.String()
}

var _ Contracts = (*contract.Service)(nil)
