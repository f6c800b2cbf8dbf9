package reportpdf

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/report"
)

// readGolden decodes figures of internal/report's golden tests.
func readGolden(t testing.TB, name string, into any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "report", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

// compareText checks the wanted pieces and the whole extracted text against
// testdata/<name> (rewritten with -update).
func compareText(t *testing.T, name, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("text %q missing from the PDF", w)
		}
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want0, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want0) {
		t.Errorf("text of the PDF differs from %s (run with -update after checking):\n%s", path, got)
	}
}

// TestDailyGolden renders the daily summary of internal/report's golden
// test in both languages.
func TestDailyGolden(t *testing.T) {
	var d report.Daily
	readGolden(t, "daily.golden.json", &d)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"fr", []string{"Compte rendu du 13 octobre 2026", "Tickets ouverts", "#10 | Poste de l'accueil en panne (hors périmètre) | Incident | P2 | en cours",
			"#12 | Wi-Fi invités | Demande | P3 | résolu", "12:00 | srv-files | disque D: | critique", "11:00 | Tina Tech | #10 Poste de l'accueil en panne | 1 h 30 min | sur site",
			"03:00 | Sauvegarde NAS — veeam | réussie", "Infogérance Côte d’Émeraude"}},
		{"en", []string{"Daily summary of 13 October 2026", "Tickets resolved", "#11 | Accès VPN pour les commerciaux | Request | P4 | new",
			"12:00 | srv-files | disque D: | critical", "1 h 30 min | on site", "100% (1 of 1)"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderDaily(&b, d, options(t, tc.lang)); err != nil {
				t.Fatal(err)
			}
			compareText(t, "daily."+tc.lang+".golden.txt", extractText(t, b.Bytes()), tc.want)
			var again bytes.Buffer
			if err := RenderDaily(&again, d, options(t, tc.lang)); err != nil || !bytes.Equal(b.Bytes(), again.Bytes()) {
				t.Errorf("two renderings differ (%v): the PDF is not deterministic", err)
			}
		})
	}
}

// TestDailyEmpty renders a day without anything: each section says so.
func TestDailyEmpty(t *testing.T) {
	var d report.Daily
	readGolden(t, "daily.golden.json", &d)
	d.Opened, d.Closed, d.Alerts, d.Interventions, d.Backups = nil, nil, nil, nil, nil
	var b bytes.Buffer
	if err := RenderDaily(&b, d, options(t, "fr")); err != nil {
		t.Fatal(err)
	}
	got := extractText(t, b.Bytes())
	for _, w := range []string{"Aucun ticket.", "Aucune alerte dans la journée.", "Aucune intervention dans la journée.", "Aucune sauvegarde dans la journée."} {
		if !strings.Contains(got, w) {
			t.Errorf("%q missing from an empty day's PDF", w)
		}
	}
}

// TestAnnualGolden renders the annual report of internal/report's golden
// test in both languages: summary page, trends, compliance, evolutions.
func TestAnnualGolden(t *testing.T) {
	var a report.Annual
	readGolden(t, "annual.golden.json", &a)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"fr", []string{"Rapport annuel 2026", "L’année en chiffres", "Poste | 2026 | 2025", "Tickets ouverts | 11 | 1",
			"Respect des délais contractuels mois par mois", "Demandes d’évolution soumises au comité de pilotage",
			"#11 | Accès VPN pour les commerciaux | P4 | 13/10/2026 | nouveau", "#12 | Wi-Fi invités | P3 | 10/09/2026 | résolu", "nov. *"}},
		{"en", []string{"Annual report 2026", "The year in figures", "Item | 2026 | 2025", "SLA compliance month by month",
			"Evolution requests for the steering committee", "Oct | 66.67% (2 of 3) | 66.67% (2 of 3)"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderAnnual(&b, a, options(t, tc.lang)); err != nil {
				t.Fatal(err)
			}
			compareText(t, "annual."+tc.lang+".golden.txt", extractText(t, b.Bytes()), tc.want)
		})
	}
	// Without a year before and without any measure, the charts say so.
	a.Previous = nil
	for i := range a.Months {
		a.Months[i].Availability = nil
	}
	var b bytes.Buffer
	if err := RenderAnnual(&b, a, options(t, "fr")); err != nil {
		t.Fatal(err)
	}
	got := extractText(t, b.Bytes())
	for _, w := range []string{"Pas de données l’année précédente pour comparer.", "Aucune mesure."} {
		if !strings.Contains(got, w) {
			t.Errorf("%q missing", w)
		}
	}
}

// TestKindsInvalidOptions: bad options write nothing.
func TestKindsInvalidOptions(t *testing.T) {
	o := options(t, "de")
	var b bytes.Buffer
	if err := RenderDaily(&b, report.Daily{}, o); err == nil || b.Len() > 0 {
		t.Errorf("daily with lang de: %v, %d bytes", err, b.Len())
	}
	if err := RenderAnnual(&b, report.Annual{}, o); err == nil || b.Len() > 0 {
		t.Errorf("annual with lang de: %v, %d bytes", err, b.Len())
	}
}
