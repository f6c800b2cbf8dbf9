package client

import (
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/fault"
)

func TestClientNormalize(t *testing.T) {
	tests := []struct {
		name   string
		in     Client
		fields []string
	}{
		{"valid with SIRET", Client{Code: " acme-1 ", Name: "Acme", LegalID: "732 829 320 00074"}, nil},
		{"google france SIRET", Client{Code: "GOOG", Name: "G", LegalID: "44306184100047"}, nil},
		{"wrong SIRET key", Client{Code: "ACME", Name: "Acme", LegalID: "73282932000075"}, []string{"legal_id"}},
		{"foreign registration number kept", Client{Code: "NORD", Name: "Nord", LegalID: "SE-556677-8899"}, nil},
		{"missing name and code", Client{}, []string{"code", "name"}},
		{"code with spaces", Client{Code: "AC ME", Name: "x"}, []string{"code"}},
		{"code too short", Client{Code: "A", Name: "x"}, []string{"code"}},
		{"bad time zone", Client{Code: "AC", Name: "x", TimeZone: "Mars/Olympus"}, []string{"time_zone"}},
		{"bad language", Client{Code: "AC", Name: "x", Language: "de"}, []string{"language"}},
		{"name too long", Client{Code: "AC", Name: strings.Repeat("x", 201)}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			err := c.Normalize()
			var got []string
			if v, ok := fault.AsInvalid(err); ok {
				for _, f := range v.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("invalid fields %v, want %v", got, tt.fields)
			}
			if err == nil && (c.Code != strings.ToUpper(strings.TrimSpace(tt.in.Code)) || c.TimeZone == "" || c.Language == "") {
				t.Fatalf("not normalized: %+v", c)
			}
		})
	}
}

func FuzzClientNormalize(f *testing.F) {
	f.Add("ACME", "Acme", "73282932000074", "Europe/Paris", "fr")
	f.Add("a b", "\xff", "", "Local", "xx")
	f.Fuzz(func(t *testing.T, code, name, legal, tz, lang string) {
		c := Client{Code: code, Name: name, LegalID: legal, TimeZone: tz, Language: lang}
		if c.Normalize() != nil {
			return
		}
		if !codeRe.MatchString(c.Code) || c.Name == "" || (c.Language != "fr" && c.Language != "en") {
			t.Fatalf("accepted %+v", c)
		}
	})
}
