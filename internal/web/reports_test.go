package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportdoc"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// openedTile is how the page shows the "opened" indicator with n tickets.
func openedTile(lang string, n int) string {
	return fmt.Sprintf(`<span class="stat-value">%d</span><span class="stat-label">%s</span>`, n, msg(lang, "reportpdf.kpi.opened"))
}

func TestReportPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		ctx, sys := srv.Ctx(), tenant.System()
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		month := time.Now().In(paris).Format("2006-01")
		prev := time.Now().In(paris).AddDate(0, 0, -time.Now().In(paris).Day()+1).AddDate(0, -1, 0).Format("2006-01")
		// One ticket of ALPHA and two of BRAVO this month: ALPHA's report
		// counts its own only.
		openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "Printer jammed", Description: "Again."})
		for range 2 {
			openTicket(t, srv, "cuser@bravo.example", ticket.Ticket{Title: "Bravo trouble", Description: "B."})
		}
		critical := asset.Asset{ClientID: f.a.ID, Kind: asset.KindServer, Name: "srv-critical-alpha", Criticality: asset.CriticalityCritical}
		if err := srv.App.Assets.Create(ctx, sys, &critical); err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprintf("/clients/%d/reports", f.a.ID)

		for _, email := range []string{"tech@example.com", "cuser@alpha.example", "cadmin@alpha.example"} {
			t.Run(email, func(t *testing.T) {
				b := signedIn(t, srv, email)
				// The client's page leads to its reports.
				wantBody(t, "client page", b.get(fmt.Sprintf("/clients/%d", f.a.ID)), `href="`+base+`"`)
				for _, lang := range []string{"fr", "en"} {
					b.lang = lang
					r := b.get(base + "?period=" + month)
					wantStatus(t, lang+" report", r, http.StatusOK)
					checkPage(t, lang+" report", lang, r)
					wantBody(t, lang+" report", r, openedTile(lang, 1), "srv-critical-alpha", msg(lang, "reportweb.no_contract"),
						`id="report-support-note"`, msg(lang, "reportpdf.support.no_contract"),
						msg(lang, "reportweb.download_pdf"), fmt.Sprintf(`href="%s/pdf?period=%s"`, base, month), `<svg`)
					wantNotBody(t, lang+" report", r, "Bravo trouble", openedTile(lang, 3))
				}
				// By default, the last complete month, where nothing happened.
				def := b.get(base)
				wantStatus(t, "default month", def, http.StatusOK)
				wantBody(t, "default month", def, fmt.Sprintf(`<option value="%s" selected>`, prev), openedTile("en", 0))
			})
		}

		t.Run("contract target", func(t *testing.T) {
			start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			c := contract.Contract{ClientID: f.a.ID, Reference: "INF-REPORT", Title: "Infogérance", Start: start, State: contract.StateActive,
				Renewal: contract.Renewal{Kind: contract.RenewalNone}, Calendar: ticket.DefaultCalendar, Availability: 99.5,
				Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 6000}, OnSitePerMonth: 100}
			if err := srv.App.Contracts.Create(ctx, sys, &c); err != nil {
				t.Fatal(err)
			}
			b := signedIn(t, srv, "tech@example.com")
			b.lang = "fr"
			r := b.get(base + "?period=" + month)
			wantStatus(t, "with contract", r, http.StatusOK)
			// The critical asset has no check: not measured against the target.
			wantBody(t, "with contract", r, "INF-REPORT", "99,5\u00a0%", msg("fr", "reportpdf.badge.none"))
			wantNotBody(t, "with contract", r, msg("fr", "reportweb.no_contract"), `id="report-support-note"`)
			// Support against the contract: far below its 100 hours a month.
			wantBody(t, "with contract", r, `id="report-support-figures"`, msg("fr", "reportpdf.kpi.support"), msg("fr", "reportpdf.support.included_months", 1),
				`<span class="badge badge-active">`+msg("fr", "reportpdf.support.level.ok")+`</span>`)
		})

		t.Run("downloads", func(t *testing.T) {
			b := signedIn(t, srv, "cuser@alpha.example")
			b.lang = "fr"
			pdf := b.get(base + "/pdf?period=" + month)
			wantStatus(t, "pdf", pdf, http.StatusOK)
			if !strings.HasPrefix(pdf.body, "%PDF-") {
				t.Errorf("pdf: body starts with %q", excerpt(pdf.body[:min(20, len(pdf.body))]))
			}
			if ct := pdf.header.Get("Content-Type"); ct != "application/pdf" {
				t.Errorf("pdf: Content-Type %q", ct)
			}
			if cd, want := pdf.header.Get("Content-Disposition"), `attachment; filename="rapport-ALPHA-`+month+`.pdf"`; cd != want {
				t.Errorf("pdf: Content-Disposition %q, want %q", cd, want)
			}
			b.lang = "en"
			csv := b.get(base + "/csv?period=" + month)
			wantStatus(t, "csv", csv, http.StatusOK)
			if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
				t.Errorf("csv: Content-Type %q", csv.header.Get("Content-Type"))
			}
			if !strings.HasPrefix(csv.body, "section,item,measure,value\n") {
				t.Errorf("csv: no header line: %q", excerpt(csv.body))
			}
			if !strings.Contains(csv.body, "tickets,,opened,1\n") {
				t.Errorf("csv: no opened ticket line:\n%s", csv.body)
			}
			if cd := csv.header.Get("Content-Disposition"); cd != `attachment; filename="report-ALPHA-`+month+`.csv"` {
				t.Errorf("csv: Content-Disposition %q", cd)
			}
		})

		t.Run("provider logo", func(t *testing.T) {
			// The provider's PNG logo is drawn in the PDF (an image object).
			var img bytes.Buffer
			pic := image.NewRGBA(image.Rect(0, 0, 8, 4))
			pic.Set(1, 1, color.RGBA{R: 200, A: 255})
			if err := png.Encode(&img, pic); err != nil {
				t.Fatal(err)
			}
			b := signedIn(t, srv, "tech@example.com")
			before := b.get(base + "/pdf?period=" + month)
			if strings.Contains(before.body, "/Subtype /Image") {
				t.Fatal("pdf: an image without a logo")
			}
			if err := srv.App.Provider.Save(ctx, sys, provider.Provider{Name: "Infogérance Logo", Email: "support@logo.example", Language: "fr",
				TimeZone: "Europe/Paris", Logo: img.Bytes(), LogoType: "image/png"}); err != nil {
				t.Fatal(err)
			}
			after := b.get(base + "/pdf?period=" + month)
			wantStatus(t, "pdf with logo", after, http.StatusOK)
			if !strings.Contains(after.body, "/Subtype /Image") {
				t.Error("pdf: the provider's logo is not drawn")
			}
		})

		t.Run("bad period", func(t *testing.T) {
			b := signedIn(t, srv, "tech@example.com")
			for _, lang := range []string{"fr", "en"} {
				b.lang = lang
				for _, p := range []string{"2026-13", "octobre", "2099-01"} {
					r := b.get(base + "?period=" + p)
					wantStatus(t, lang+" "+p, r, http.StatusBadRequest)
					checkPage(t, lang+" "+p, lang, r)
					wantBody(t, lang+" "+p, r, msg(lang, "reportweb.bad_period"))
					wantNotBody(t, lang+" "+p, r, msg(lang, "reportweb.download_pdf"))
					for _, dl := range []string{"/pdf", "/csv"} {
						wantStatus(t, lang+" "+p+dl, b.get(base+dl+"?period="+p), http.StatusBadRequest)
					}
				}
			}
		})

		t.Run("other client", func(t *testing.T) {
			b := signedIn(t, srv, "cuser@bravo.example")
			b.lang = "en"
			for _, p := range []string{base, base + "/pdf?period=" + month, base + "/csv?period=" + month} {
				r := b.get(p)
				wantStatus(t, "B on "+p, r, http.StatusNotFound)
				wantNotBody(t, "B on "+p, r, "Printer jammed", "%PDF-", "section,item")
			}
			own := b.get(fmt.Sprintf("/clients/%d/reports?period=%s", f.b.ID, month))
			wantStatus(t, "B's own", own, http.StatusOK)
			wantBody(t, "B's own", own, openedTile("en", 2))
		})
	})
}

// TestReportKindsPages walks the daily summary and the annual report: their
// pages in both languages, their downloads (the bytes of the report
// generators), bad input and another client's users.
func TestReportKindsPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		openTicket(t, srv, "cuser@alpha.example", ticket.Ticket{Title: "Imprimante bloquée", Description: "Encore."})
		openTicket(t, srv, "cuser@bravo.example", ticket.Ticket{Title: "Bravo trouble", Description: "B."})
		now := time.Now().In(paris)
		today, year := now.Format(time.DateOnly), now.Format("2006")
		daily := fmt.Sprintf("/clients/%d/reports/daily", f.a.ID)
		annual := fmt.Sprintf("/clients/%d/reports/annual", f.a.ID)

		for _, email := range []string{"tech@example.com", "cuser@alpha.example"} {
			t.Run(email, func(t *testing.T) {
				b := signedIn(t, srv, email)
				for _, lang := range []string{"fr", "en"} {
					b.lang = lang
					r := b.get(daily + "?day=" + today)
					wantStatus(t, lang+" daily", r, http.StatusOK)
					checkPage(t, lang+" daily", lang, r)
					wantBody(t, lang+" daily", r, "Imprimante bloquée", msg(lang, "reportweb.kind.annual"), fmt.Sprintf(`href="%s/pdf?day=%s"`, daily, today))
					wantNotBody(t, lang+" daily", r, "Bravo trouble")

					r = b.get(annual + "?year=" + year)
					wantStatus(t, lang+" annual", r, http.StatusOK)
					checkPage(t, lang+" annual", lang, r)
					wantBody(t, lang+" annual", r, msg(lang, "reportpdf.annual.summary"), msg(lang, "reportpdf.annual.evolution_requests"), `<svg`,
						fmt.Sprintf(`href="%s/csv?year=%s"`, annual, year))
				}
				// Defaults: yesterday, where nothing happened; this year.
				b.lang = "en"
				def := b.get(daily)
				wantStatus(t, "default day", def, http.StatusOK)
				wantBody(t, "default day", def, `value="`+now.AddDate(0, 0, -1).Format(time.DateOnly)+`"`)
				wantNotBody(t, "default day", def, "Imprimante bloquée")
				wantStatus(t, "default year", b.get(annual), http.StatusOK)
			})
		}

		t.Run("downloads", func(t *testing.T) {
			b := signedIn(t, srv, "cuser@alpha.example")
			b.lang = "fr"
			for _, tc := range []struct{ path, name string }{
				{daily + "/pdf?day=" + today, "compte-rendu-ALPHA-" + today + ".pdf"},
				{annual + "/pdf?year=" + year, "rapport-annuel-ALPHA-" + year + ".pdf"},
			} {
				r := b.get(tc.path)
				wantStatus(t, tc.path, r, http.StatusOK)
				if !strings.HasPrefix(r.body, "%PDF-") || r.header.Get("Content-Type") != "application/pdf" {
					t.Errorf("%s: %q, %q", tc.path, excerpt(r.body[:min(20, len(r.body))]), r.header.Get("Content-Type"))
				}
				if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="`+tc.name+`"` {
					t.Errorf("%s: Content-Disposition %q", tc.path, cd)
				}
			}
			// The CSV is the generator's, byte for byte.
			builder := reportdoc.Builder{Store: srv.App.DB, Clients: srv.App.Clients, Provider: srv.App.Provider, Contracts: srv.App.Contracts, Texts: mustBundle(t)}
			for _, tc := range []struct {
				path string
				gen  report.Generator
				p    report.Period
			}{
				{daily + "/csv?day=" + today, builder.Daily(), report.Day(now.Year(), now.Month(), now.Day(), paris)},
				{annual + "/csv?year=" + year, builder.Annual(), report.Year(now.Year(), paris)},
			} {
				r := b.get(tc.path)
				wantStatus(t, tc.path, r, http.StatusOK)
				doc, err := tc.gen(srv.Ctx(), report.Request{ClientID: f.a.ID, Period: tc.p, Lang: "fr", Now: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
				// The day runs: "until" (now) differs between the two; the rest must not.
				if got, want := dropUntil(r.body), dropUntil(string(doc.CSV)); got != want {
					t.Errorf("%s: the page's CSV differs from the generator's:\n%s\n---\n%s", tc.path, got, want)
				}
			}
		})

		t.Run("bad input", func(t *testing.T) {
			b := signedIn(t, srv, "tech@example.com")
			for _, lang := range []string{"fr", "en"} {
				b.lang = lang
				for _, day := range []string{"2026-02-30", "hier", "2099-01-01"} {
					r := b.get(daily + "?day=" + day)
					wantStatus(t, lang+" day "+day, r, http.StatusBadRequest)
					checkPage(t, lang+" day "+day, lang, r)
					wantBody(t, lang+" day "+day, r, msg(lang, "reportweb.bad_day"))
					dl := b.get(daily + "/pdf?day=" + day)
					wantStatus(t, lang+" day pdf "+day, dl, http.StatusBadRequest)
					wantBody(t, lang+" day pdf "+day, dl, msg(lang, "reportweb.bad_day"))
				}
				for _, y := range []string{"20x6", "2099", "0"} {
					r := b.get(annual + "?year=" + y)
					wantStatus(t, lang+" year "+y, r, http.StatusBadRequest)
					wantBody(t, lang+" year "+y, r, msg(lang, "reportweb.bad_year"))
					dl := b.get(annual + "/csv?year=" + y)
					wantStatus(t, lang+" year csv "+y, dl, http.StatusBadRequest)
					wantBody(t, lang+" year csv "+y, dl, msg(lang, "reportweb.bad_year"))
				}
			}
		})

		t.Run("other client", func(t *testing.T) {
			b := signedIn(t, srv, "cuser@bravo.example")
			for _, p := range []string{daily, daily + "/pdf", daily + "/csv", annual, annual + "/pdf", annual + "/csv"} {
				r := b.get(p)
				wantStatus(t, "B on "+p, r, http.StatusNotFound)
				wantNotBody(t, "B on "+p, r, "Imprimante", "%PDF-")
			}
		})
	})
}

// dropUntil removes the CSV lines that carry the instant of generation.
func dropUntil(csv string) string {
	var keep []string
	for _, l := range strings.Split(csv, "\n") {
		if !strings.Contains(l, ",until,") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func mustBundle(t *testing.T) *i18n.Bundle {
	t.Helper()
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
