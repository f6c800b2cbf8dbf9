package reportpdf

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/review"
)

// reviewGolden is the Review of internal/review's golden test.
func reviewGolden(t testing.TB) review.Review {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "review", "testdata", "review.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rv review.Review
	if err := json.Unmarshal(raw, &rv); err != nil {
		t.Fatalf("decode golden review: %v", err)
	}
	return rv
}

func renderReview(t testing.TB, rv review.Review, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := RenderReview(&b, rv, o); err != nil {
		t.Fatalf("render review: %v", err)
	}
	return b.Bytes()
}

// TestReviewGolden renders the golden review in French and English and
// compares the text read back from the PDF with the golden text files of
// internal/review/testdata.
func TestReviewGolden(t *testing.T) {
	rv := reviewGolden(t)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"fr", []string{
			"Revue de service — 2026-Q3", "Infogérance Côte d’Émeraude", "du 01/07/2026 au 30/09/2026",
			"INF-2026 — Infogérance", "Réunion tenue le 08/10/2026", "Élise Durand (Alpha), Marc Manager",
			"Prise en charge P1", "50\u00a0% (1 sur 2)", "Non tenu", "Tenu", "Non mesuré", "Dans le forfait",
			"Panne de l’opérateur", "en attente d’un tiers", "30 h incluses",
			"ouvert hors des heures de service", "Remplacer le pare-feu", "Faite le 20/08/2026", "Abandonnée le",
			"(reportée)", "Équipe système", "Délais comptés en heures de service",
		}},
		{"en", []string{
			"Service review — 2026-Q3", "from 2026-07-01 to 2026-09-30", "Meeting held on 2026-10-08",
			"Time to own P1", "50% (1 of 2)", "Missed", "Met", "Within the quota", "waiting for a third party",
			"opened outside service hours", "Done on", "(carried", "Deadlines count service hours",
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			pdf := renderReview(t, rv, options(t, tc.lang))
			got := extractText(t, pdf)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("text %q missing from the PDF", w)
				}
			}
			path := filepath.Join("..", "review", "testdata", "review."+tc.lang+".golden.txt")
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
				t.Errorf("text of the %s review PDF differs from %s (run with -update after checking):\n%s", tc.lang, path, got)
			}
			if again := renderReview(t, rv, options(t, tc.lang)); !bytes.Equal(pdf, again) {
				t.Error("two renderings of the same review differ: the PDF is not deterministic")
			}
		})
	}
}

// TestReviewNoContract: without a contract the PDF says there is nothing
// to compare, and still lists the actions.
func TestReviewNoContract(t *testing.T) {
	rv := reviewGolden(t)
	rv.Contract, rv.Commitments, rv.Breaches = nil, nil, nil
	got := extractText(t, renderReview(t, rv, options(t, "fr")))
	for _, w := range []string{"Aucun contrat n’est en vigueur", "Aucun dépassement de délai", "Revoir les seuils de supervision"} {
		if !strings.Contains(got, w) {
			t.Errorf("text %q missing:\n%s", w, got)
		}
	}
}
