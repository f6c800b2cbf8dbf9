// Package i18n holds Vigie's messages in French and English and picks the
// language of a request: the user's choice, else the browser's, else French.
//
// Messages live in locales/<lang>/*.json (flat key → text maps, merged), so
// that each part of the UI keeps its own file. Both languages must have the
// same keys; a test and the loader check it.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

//go:embed locales
var locales embed.FS

// Languages supported, the default first.
var Languages = []string{"fr", "en"}

// Default is the language when nothing else decides.
const Default = "fr"

// Bundle holds every message of every language.
type Bundle struct {
	msgs    map[string]map[string]string
	matcher language.Matcher
}

// Load reads the embedded catalogs and checks that every language has the same keys.
func Load() (*Bundle, error) {
	b := &Bundle{msgs: map[string]map[string]string{}}
	tags := make([]language.Tag, len(Languages))
	for i, lang := range Languages {
		tags[i] = language.MustParse(lang)
		m := map[string]string{}
		dir := path.Join("locales", lang)
		entries, err := fs.ReadDir(locales, dir)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range entries {
			raw, err := locales.ReadFile(path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			part := map[string]string{}
			if err := json.Unmarshal(raw, &part); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", dir, e.Name(), err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("%s/%s: key %q defined twice", dir, e.Name(), k)
				}
				m[k] = v
			}
		}
		b.msgs[lang] = m
	}
	b.matcher = language.NewMatcher(tags)
	if missing := b.Missing(); len(missing) > 0 {
		return nil, fmt.Errorf("messages missing in a language: %s", strings.Join(missing, ", "))
	}
	return b, nil
}

// Missing lists "lang:key" for each key present in one language and not another.
func (b *Bundle) Missing() []string {
	var out []string
	for _, l1 := range Languages {
		for k := range b.msgs[l1] {
			for _, l2 := range Languages {
				if _, ok := b.msgs[l2][k]; !ok {
					out = append(out, l2+":"+k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists.
func (b *Bundle) Has(key string) bool {
	_, ok := b.msgs[Default][key]
	return ok
}

// T returns the message key in lang, formatted with args (fmt verbs). An
// unknown key returns the key itself in brackets, so a gap is visible.
func (b *Bundle) T(lang, key string, args ...any) string {
	m, ok := b.msgs[lang]
	if !ok {
		m = b.msgs[Default]
	}
	s, ok := m[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Pick returns the language to use: the user's choice if supported, else the
// best match of an Accept-Language header, else French.
func (b *Bundle) Pick(choice, acceptLanguage string) string {
	if slices.Contains(Languages, choice) {
		return choice
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, idx, conf := b.matcher.Match(tags...)
			if conf != language.No {
				return Languages[idx]
			}
		}
	}
	return Default
}

// FieldError returns the message for a validation code ("required",
// "too_long"…) with its parameter, in lang: keys "error.<code>".
func (b *Bundle) FieldError(lang, code, param string) string {
	key := "error." + code
	if !b.Has(key) {
		key = "error.invalid"
	}
	if strings.Contains(b.T(lang, key), "%") {
		return b.T(lang, key, param)
	}
	return b.T(lang, key)
}

// Field returns the label of a form field: key "field.<name>".
func (b *Bundle) Field(lang, name string) string {
	if b.Has("field." + name) {
		return b.T(lang, "field."+name)
	}
	return name
}
