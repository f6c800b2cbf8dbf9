package i18n

import "testing"

func TestCatalogsComplete(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if m := b.Missing(); len(m) > 0 {
		t.Fatalf("missing messages: %v", m)
	}
	for _, lang := range Languages {
		for k, v := range b.msgs[lang] {
			if v == "" {
				t.Errorf("%s:%s is empty", lang, k)
			}
		}
	}
}

func TestPick(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, choice, accept, want string }{
		{"user choice wins", "en", "fr-FR,fr;q=0.9", "en"},
		{"browser english", "", "en-GB,en;q=0.8", "en"},
		{"browser french region", "", "fr-CA", "fr"},
		{"unsupported browser falls back to french", "", "de-DE,de;q=0.9", "fr"},
		{"second browser choice", "", "de-DE,en;q=0.5", "en"},
		{"nothing", "", "", "fr"},
		{"garbage header", "", ";;;q=abc", "fr"},
		{"unknown choice ignored", "xx", "en", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Pick(tt.choice, tt.accept); got != tt.want {
				t.Errorf("Pick(%q, %q) = %q, want %q", tt.choice, tt.accept, got, tt.want)
			}
		})
	}
}

func TestFieldError(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := b.FieldError("en", "too_long", "200"); got != "This text is too long (at most 200 characters)." {
		t.Errorf("got %q", got)
	}
	if got := b.FieldError("fr", "no_such_code", ""); got != "Valeur invalide." {
		t.Errorf("unknown code: got %q", got)
	}
}

// FuzzPick feeds arbitrary Accept-Language headers (outside input on every request).
func FuzzPick(f *testing.F) {
	b, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"en-GB,en;q=0.8", "fr", "*", ";q=", "zh-Hant-TW;q=0.1,de", "x-klingon"} {
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, choice, accept string) {
		got := b.Pick(choice, accept)
		if got != "fr" && got != "en" {
			t.Fatalf("Pick(%q, %q) = %q", choice, accept, got)
		}
	})
}
