package fault

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		required  bool
		multiline bool
		want      string
		code      string
	}{
		{"trimmed", "  Acme  ", 10, true, false, "Acme", ""},
		{"required empty", "   ", 10, true, false, "", "required"},
		{"optional empty", "", 10, false, false, "", ""},
		{"too long in runes", strings.Repeat("é", 11), 10, true, false, "", "too_long"},
		{"exactly max runes", strings.Repeat("é", 10), 10, true, false, strings.Repeat("é", 10), ""},
		{"invalid utf8", "a\xffb", 10, true, false, "", "invalid_utf8"},
		{"newline in single line", "a\nb", 10, true, false, "", "invalid_chars"},
		{"newline in multiline", "a\nb", 10, true, true, "a\nb", ""},
		{"nul byte", "a\x00b", 10, true, true, "", "invalid_chars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Invalid
			got := v.Text("f", tt.in, tt.max, tt.required, tt.multiline)
			if tt.code == "" {
				if v.Err() != nil {
					t.Fatalf("unexpected error %v", v.Err())
				}
				if got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
				return
			}
			if len(v.Fields) != 1 || v.Fields[0].Code != tt.code || v.Fields[0].Field != "f" {
				t.Fatalf("got %+v, want code %s on f", v.Fields, tt.code)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	for _, ok := range []string{"a@b.fr", "Jean.Dupont@Exemple.COM", "x+tag@sub.example.org"} {
		var v Invalid
		got := v.Email("email", ok, true)
		if v.Err() != nil || got != strings.ToLower(ok) {
			t.Errorf("%q refused: %v", ok, v.Err())
		}
	}
	for _, bad := range []string{"a", "a@b", "Name <a@b.fr>", "a@@b.fr", "a b@c.fr", "@b.fr"} {
		var v Invalid
		v.Email("email", bad, true)
		if v.Err() == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConflict(t *testing.T) {
	err := Conflict("code")
	if !errors.Is(err, ErrConflict) || ConflictField(err) != "code" {
		t.Fatalf("Conflict: %v", err)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "abc", "a\xffb", "é\n\t", "\x00"} {
		f.Add(s, 5, true)
	}
	f.Fuzz(func(t *testing.T, s string, max int, multiline bool) {
		if max < 0 || max > 1000 {
			return
		}
		var v Invalid
		got := v.Text("f", s, max, true, multiline)
		if v.Err() != nil {
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max || got == "" {
			t.Fatalf("accepted %q as %q", s, got)
		}
		if !multiline && strings.ContainsAny(got, "\n\r") {
			t.Fatalf("accepted a newline in a single-line field: %q", got)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@b.fr", "x", "a@b", "\"a b\"@c.fr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v Invalid
		got := v.Email("email", s, true)
		if v.Err() != nil {
			return
		}
		if strings.Count(got, "@") < 1 || strings.ContainsAny(got, "<> \n") || got != strings.ToLower(got) {
			t.Fatalf("accepted %q as %q", s, got)
		}
	})
}
