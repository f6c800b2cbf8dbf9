package reportpdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden text files")

// golden is the Monthly of internal/report's golden test.
func golden(t testing.TB) report.Monthly {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "report", "testdata", "monthly.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m report.Monthly
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode golden figures: %v", err)
	}
	return m
}

// logo is a small PNG, drawn here so that the test needs no binary file.
func logo(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 60, 24))
	for y := range 24 {
		for x := range 60 {
			img.Set(x, y, color.RGBA{13, uint8(71 + x), uint8(161 + y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func options(t testing.TB, lang string) Options {
	t.Helper()
	b, err := i18n.Load()
	if err != nil {
		t.Fatalf("load messages: %v", err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Texts: b, Lang: lang, Provider: "Infogérance Côte d’Émeraude",
		Logo: logo(t), LogoType: "image/png",
		Generated: time.Date(2026, 11, 2, 7, 30, 0, 0, time.UTC), Location: paris,
		AvailabilityTarget: 99.6,
	}
}

func render(t testing.TB, m report.Monthly, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, m, o); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.Bytes()
}

// TestGolden renders the golden figures in both languages and compares the
// text a viewer would extract with testdata/monthly.<lang>.golden.txt.
func TestGolden(t *testing.T) {
	m := golden(t)
	for _, tc := range []struct {
		lang string
		want []string // must appear, accents included
	}{
		{"fr", []string{
			"Rapport de pilotage — octobre 2026", "Infogérance Côte d’Émeraude",
			"du 01/10/2026 au 31/10/2026", "Généré le 02/11/2026 à 08:30 (Europe/Paris)",
			"Disponibilité des équipements critiques", "Réseau", "Délai moyen de prise en charge (MTTO)",
			"8 h 46 min", "9 j 13 h 42 min", "Travaux hors périmètre", "srv-files | /data | 84,6\u00a0% | 0,8 pt/j | 19 j", "66,67\u00a0% (2 sur 3)", "3,67 / 5 (3 avis)",
			"99,89\u00a0%", "Non atteint", "Atteint", "Non mesuré", "partiel", "Page 1 / 4", "Sauvegarde NAS — veeam",
			"Heures de support au regard du contrat", "Part consommée | 81\u00a0% — 80\u00a0% atteints", "Interventions sur site | 1 sur 2 — dans le quota",
			"=VM complète", "Objectif 99,6\u00a0%",
		}},
		{"en", []string{
			"Steering report — October 2026", "Infogérance Côte d’Émeraude", "from 2026-10-01 to 2026-10-31",
			"Generated on 2026-11-02 at 08:30 (Europe/Paris)", "Availability of critical assets", "Réseau",
			"8 h 46 min", "9 d 13 h 42 min", "Out-of-perimeter work", "srv-files | /data | 84.6% | 0.8 pt/d | 19 d", "66.67% (2 of 3)", "3.67 / 5 (3 ratings)", "99.89%", "Missed", "Met",
			"Not measured", "Page 1 / 4", "No category",
			"Support hours against the contract", "Share used | 81% — 80% reached", "Billable time out of the perimeter (billed on top) | 1 h 30 min",
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			pdf := render(t, m, options(t, tc.lang))
			got := extractText(t, pdf)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("text %q missing from the PDF", w)
				}
			}
			path := filepath.Join("testdata", "monthly."+tc.lang+".golden.txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("text of the %s PDF differs from %s (run with -update after checking):\n%s", tc.lang, path, got)
			}
			if again := render(t, m, options(t, tc.lang)); !bytes.Equal(pdf, again) {
				t.Error("two renderings of the same figures differ: the PDF is not deterministic")
			}
		})
	}
}

// TestBrokenAccentsFail checks that the extraction tells broken accents
// apart: UTF-8 text set in a core PDF font (no Unicode map) does not read
// back as "Disponibilité", while the report's does.
func TestBrokenAccentsFail(t *testing.T) {
	broken := fpdf.New("P", "mm", "A4", "")
	broken.SetCatalogSort(true)
	broken.AddPage()
	broken.SetFont("Helvetica", "", 12)
	broken.Cell(50, 10, "Disponibilité")
	var b bytes.Buffer
	if err := broken.Output(&b); err != nil {
		t.Fatal(err)
	}
	if got := extractText(t, b.Bytes()); strings.Contains(got, "Disponibilité") || !strings.Contains(got, "Disponibilit") {
		t.Fatalf("a core font's UTF-8 bytes read back as %q: the extraction would not catch broken accents", got)
	}
	if got := extractText(t, render(t, golden(t), options(t, "fr"))); !strings.Contains(got, "Disponibilité des équipements critiques") {
		t.Fatalf("the accented heading is not in the report's text:\n%s", got)
	}
}

// TestJPEGLogo renders with a JPEG logo.
func TestJPEGLogo(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	o := options(t, "fr")
	o.Logo, o.LogoType = b.Bytes(), "image/jpeg"
	pdf := render(t, golden(t), o)
	if !bytes.Contains(pdf, []byte("/DCTDecode")) {
		t.Error("no JPEG image in the PDF")
	}
}

// TestEmpty renders figures with nothing in them: every table says so and
// no value is invented.
func TestEmpty(t *testing.T) {
	m := golden(t)
	m.Tickets = report.Tickets{}
	m.Availability, m.Alerts.Recurring, m.Backups = nil, nil, report.Backups{}
	m.Satisfaction = report.Satisfaction{}
	o := options(t, "en")
	o.Logo, o.LogoType, o.AvailabilityTarget = nil, "", 0
	got := extractText(t, render(t, m, o))
	for _, w := range []string{"No critical asset.", "No backup job monitored.", "No recurring problem.", "Mean time to own (MTTO) | Mean time to resolve (MTTR)", "—"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q missing from the empty report:\n%s", w, got)
		}
	}
	if strings.Contains(got, "Target") {
		t.Error("a target is printed though none was given")
	}
}

// TestSoFar says that a running period is marked as such.
func TestSoFar(t *testing.T) {
	m := golden(t)
	m.Period.SoFar = true
	m.Period.Until = time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC)
	got := extractText(t, render(t, m, options(t, "fr")))
	if !strings.Contains(got, "en cours, chiffres arrêtés au 15/10/2026 à 12:00") {
		t.Errorf("running period not said:\n%s", got)
	}
}

// TestManyAssets spreads the availability table over pages: the header is
// repeated and the page count follows.
func TestManyAssets(t *testing.T) {
	m := golden(t)
	base := m.Availability[0]
	for i := range 60 {
		a := base
		a.AssetID = int64(100 + i)
		a.Asset = "srv-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		m.Availability = append(m.Availability, a)
	}
	got := extractText(t, render(t, m, options(t, "en")))
	if n := strings.Count(got, "Asset | Checks | Availability"); n < 2 {
		t.Errorf("table header printed %d times, want it on each page", n)
	}
	if n := strings.Count(got, " | Met\n"); n != 61 {
		t.Errorf("%d badges \"Met\", want 61 (one per asset at target):\n%s", n, got)
	}
}

func TestInvalidOptions(t *testing.T) {
	good := options(t, "fr")
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"language", func(o *Options) { o.Lang = "de" }, "lang"},
		{"no texts", func(o *Options) { o.Texts = nil }, "texts"},
		{"logo type", func(o *Options) { o.LogoType = "image/svg+xml" }, "logo_type"},
		{"no generation time", func(o *Options) { o.Generated = time.Time{} }, "generated"},
		{"target", func(o *Options) { o.AvailabilityTarget = 101 }, "availability_target"},
		{"logo not an image", func(o *Options) { o.Logo = []byte("not a png") }, "logo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			var b bytes.Buffer
			err := Render(&b, golden(t), o)
			inv, ok := fault.AsInvalid(err)
			if !ok || !inv.Has(tc.field) {
				t.Fatalf("err = %v, want fault.Invalid on %s", err, tc.field)
			}
			if b.Len() != 0 {
				t.Error("bytes written despite the error")
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	if err := Render(failingWriter{}, golden(t), options(t, "fr")); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}

// BenchmarkRender renders the golden figures in French.
func BenchmarkRender(b *testing.B) {
	m, o := golden(b), options(b, "fr")
	var size int
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, m, o); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// TestLongNames wraps long names over several lines of their cell rather
// than cutting them.
func TestLongNames(t *testing.T) {
	m := golden(t)
	m.Backups.Jobs[0].LastRestore.Scope = "machines virtuelles de production, partage comptable et messagerie archivée"
	got := extractText(t, render(t, m, options(t, "fr")))
	for _, w := range []string{"partiel (machines", "messagerie archivée)"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q missing:\n%s", w, got)
		}
	}
}

// TestUnprintable renders names the fonts cannot print (emoji, CJK, control
// characters): they show as "?" or a space instead of failing the report.
func TestUnprintable(t *testing.T) {
	m := golden(t)
	m.Availability[0].Asset = "srv 🚀\x01漢"
	o := options(t, "fr")
	o.Client = "Café 🚀"
	got := extractText(t, render(t, m, o))
	for _, w := range []string{"Client | Café ?", "srv ? ?"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q missing:\n%s", w, got)
		}
	}
	if strings.ContainsAny(got, "\x01🚀漢") {
		t.Error("an unprintable character reached the PDF")
	}
}
