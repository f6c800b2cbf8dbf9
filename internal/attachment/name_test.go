package attachment

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("é", 300) + ".pdf"
	tests := []struct {
		name, in, want string
	}{
		{"plain", "rapport.pdf", "rapport.pdf"},
		{"unix path", "../../etc/passwd", "passwd"},
		{"windows path", `C:\Users\me\photo.png`, "photo.png"},
		{"control chars", "a\x00b\x1fc\x7f.txt", "abc.txt"},
		{"bidi override", "invoice\u202Etxt.exe", "invoicetxt.exe"},
		{"leading dots", "...hidden", "hidden"},
		{"only dots", "..", ""},
		{"reserved chars", `a:b*c?"d<e>f|g.txt`, "a_b_c__d_e_f_g.txt"},
		{"newline", "two\nlines.txt", "twolines.txt"},
		{"invalid utf8", "caf\xe9.txt", "caf.txt"},
		{"long keeps extension", long, strings.Repeat("é", 196) + ".pdf"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeName(tt.in); got != tt.want {
				t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestServedType(t *testing.T) {
	tests := []struct {
		name, file, sniffed, want string
	}{
		{"png", "a.png", "image/png", "image/png"},
		{"pdf", "a.pdf", "application/pdf", "application/pdf"},
		{"text", "a.txt", "text/plain; charset=utf-8", "text/plain; charset=utf-8"},
		{"html", "a.html", "text/html; charset=utf-8", "application/octet-stream"},
		{"svg sniffed as text", "a.svg", "text/plain; charset=utf-8", "application/octet-stream"},
		{"xml", "a.xml", "text/xml; charset=utf-8", "application/octet-stream"},
		{"zip", "a.zip", "application/zip", "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Attachment{Name: tt.file, SniffedType: tt.sniffed}).ServedType(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContentDisposition(t *testing.T) {
	got := Attachment{Name: `Rapport "final" 100%.pdf`}.ContentDisposition()
	want := `attachment; filename="Rapport _final_ 100%.pdf"; filename*=UTF-8''Rapport%20%22final%22%20100%25.pdf`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// FuzzSanitizeName feeds arbitrary uploaded file names (outside input).
func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", `C:\a\b.exe`, "\x00", "é.pdf", strings.Repeat("x", 500) + ".tar.gz", "..", " . ", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeName(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		if n := utf8.RuneCountInString(out); n > MaxNameRunes {
			t.Fatalf("%d runes", n)
		}
		if strings.ContainsAny(out, `/\"`) || strings.HasPrefix(out, ".") || out != strings.TrimSpace(out) {
			t.Fatalf("unsafe name %q from %q", out, in)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("control or format character %U in %q", r, out)
			}
		}
		if SanitizeName(out) != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, SanitizeName(out))
		}
		cd := Attachment{Name: out}.ContentDisposition()
		if strings.ContainsAny(cd, "\r\n") {
			t.Fatalf("header injection in %q", cd)
		}
	})
}
