package supervision_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/i18n"
)

// TestErrorCodesTranslated reads the validation codes that supervision and
// the probes can return — every v.Add(field, "code") and every code
// constant of validate.go — and checks that each has a message, so that no
// user ever reads "[error.invalid_cron]" or the generic "Invalid value".
func TestErrorCodesTranslated(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	addRE := regexp.MustCompile(`\.Add\([^,()]+, "([a-z_]+)"`)
	constRE := regexp.MustCompile(`(?m)^\s*code[A-Z]\w*\s*=\s*"([a-z_]+)"`)
	codes := map[string]string{}
	for _, dir := range []string{".", "../probe"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range []*regexp.Regexp{addRE, constRE} {
				for _, m := range re.FindAllSubmatch(src, -1) {
					codes[string(m[1])] = f
				}
			}
		}
	}
	for _, must := range []string{"invalid_cron", "invalid_regexp", "below_warning", "managed_by_template"} {
		if codes[must] == "" {
			t.Errorf("code %s not found in the sources: the patterns no longer match", must)
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d codes: the patterns no longer match the sources", len(codes))
	}
	for code, file := range codes {
		if !b.Has("error." + code) {
			t.Errorf("code %q (%s) has no message error.%s", code, file, code)
		}
	}
}
