package fault

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Text checks a free-text field: valid UTF-8, no control characters except
// newlines and tabs when multiline, at most max runes, present when required.
// It returns the trimmed value.
func (v *Invalid) Text(field, value string, max int, required, multiline bool) string {
	if !utf8.ValidString(value) {
		v.Add(field, "invalid_utf8")
		return value
	}
	value = strings.TrimSpace(value)
	if value == "" {
		if required {
			v.Add(field, "required")
		}
		return value
	}
	if utf8.RuneCountInString(value) > max {
		v.Add(field, "too_long", max)
		return value
	}
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			v.Add(field, "invalid_chars")
			break
		}
	}
	return value
}

// Email checks an e-mail address and returns it lowercased.
func (v *Invalid) Email(field, value string, required bool) string {
	value = v.Text(field, value, 254, required, false)
	if value == "" || v.Has(field) {
		return value
	}
	a, err := mail.ParseAddress(value)
	if err != nil || a.Address != value || !strings.Contains(value[strings.LastIndexByte(value, '@')+1:], ".") {
		v.Add(field, "invalid_email")
		return value
	}
	return strings.ToLower(value)
}

// OneOf checks that value is one of the allowed values.
func (v *Invalid) OneOf(field, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.Add(field, "invalid_choice")
}

// TimeZone checks an IANA time zone name.
func (v *Invalid) TimeZone(field, value string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		v.Add(field, "required")
		return value
	}
	if _, err := time.LoadLocation(value); err != nil || value == "Local" {
		v.Add(field, "invalid_timezone")
	}
	return value
}

// Languages the UI, e-mails and documents exist in.
var Languages = []string{"fr", "en"}

// Language checks a language code.
func (v *Invalid) Language(field, value string) string {
	v.OneOf(field, value, Languages...)
	return value
}

// Password checks a new password: long enough, not absurdly long.
func (v *Invalid) Password(field, value string) {
	n := utf8.RuneCountInString(value)
	switch {
	case !utf8.ValidString(value):
		v.Add(field, "invalid_utf8")
	case n < 10:
		v.Add(field, "too_short", 10)
	case n > 200:
		v.Add(field, "too_long", 200)
	}
}
