package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the configuration table of README.md from Options()")

const (
	tableStart = "<!-- configuration table: generated from config.Options() by `go test ./internal/config -update-readme` -->"
	tableEnd   = "<!-- end of configuration table -->"
)

// markdownTable renders the settings as the README shows them.
func markdownTable(opts []Option) string {
	// Markdown would take <data-dir> for an HTML tag and | for a column.
	cell := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, o := range opts {
		def := "(empty)"
		if o.Default != "" {
			// In a code span, < is shown as is; only | still needs escaping.
			def = "`" + strings.ReplaceAll(o.Default, "|", `\|`) + "`"
		}
		b.WriteString("| `--" + o.Flag + "` | `" + o.Env + "` | " + def + " | " + cell(o.Help) + " |\n")
	}
	return b.String()
}

// TestREADMEConfigurationTable keeps the README's table equal to Options():
// a setting added, renamed or redocumented here fails until the README says so.
func TestREADMEConfigurationTable(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	before, rest, ok := strings.Cut(readme, tableStart+"\n")
	if !ok {
		t.Fatalf("README.md lacks the line %q", tableStart)
	}
	got, after, ok := strings.Cut(rest, tableEnd)
	if !ok {
		t.Fatalf("README.md lacks the line %q after the table", tableEnd)
	}
	want := markdownTable((&Config{}).Options())
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(before+tableStart+"\n"+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the configuration table of %s", path)
		return
	}
	t.Errorf("README.md's configuration table differs from config.Options(); run `go test ./internal/config -update-readme`.\ngot:\n%s\nwant:\n%s", got, want)
}

func TestMarkdownTableEscapes(t *testing.T) {
	got := markdownTable([]Option{{Flag: "x", Env: "VIGIE_X", Default: "a|b", Help: "one | <two>"}})
	want := "| flag | environment | default | meaning |\n|---|---|---|---|\n| `--x` | `VIGIE_X` | `a\\|b` | one \\| &lt;two&gt; |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
