package helpdeskmail

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLText turns an HTML body into plain text: tags are dropped, block
// elements and <br> end lines, script, style and head contents and quoted
// replies (<blockquote>) are left out. No HTML ever reaches a ticket.
func HTMLText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // depth inside elements whose content is not text
	newline := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyLines(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(collapse(string(z.Text())))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Blockquote, atom.Template:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case atom.Br:
				if skip == 0 {
					b.WriteByte('\n')
				}
			case atom.P, atom.Div, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Table, atom.Ul, atom.Ol, atom.Pre, atom.Hr:
				if skip == 0 {
					newline()
					if a == atom.P && tt == html.EndTagToken {
						b.WriteByte('\n')
					}
				}
			case atom.Td, atom.Th:
				if skip == 0 && tt == html.StartTagToken {
					b.WriteByte(' ')
				}
			}
		}
	}
}

// collapse replaces runs of white space (HTML source formatting) by one space.
func collapse(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// tidyLines trims every line and keeps at most one blank line in a row.
func tidyLines(s string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// Lines that start the quoted history of a reply. "Le … a écrit :" and
// "On … wrote:" are often wrapped over two lines by the mail client.
var (
	attribution = regexp.MustCompile(`(?is)^(le|on)\s.{0,300}(a\s+écrit|wrote)\s*:$`)
	separator   = regexp.MustCompile(`(?i)^-{2,}\s*(original message|message d'origine|message original|forwarded message|message transféré)\s*-{2,}$`)
	outlookFrom = regexp.MustCompile(`(?i)^(from|de)\s*:\s*\S`)
	outlookNext = regexp.MustCompile(`(?i)^(sent|envoyé|date|to|à)\s*:`)
)

// TrimQuoted removes the quoted history of a reply: from the first
// attribution line ("Le … a écrit :", "On … wrote:"), "Original message"
// separator or Outlook header block, and every line starting with ">". It
// returns the text unchanged when nothing would be left.
func TrimQuoted(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if separator.MatchString(l) {
			break
		}
		if attribution.MatchString(l) {
			break
		}
		if i+1 < len(lines) && (strings.HasPrefix(strings.ToLower(l), "le ") || strings.HasPrefix(strings.ToLower(l), "on ")) &&
			attribution.MatchString(l+" "+strings.TrimSpace(lines[i+1])) {
			break
		}
		if outlookFrom.MatchString(l) && i+1 < len(lines) && outlookNext.MatchString(strings.TrimSpace(lines[i+1])) {
			break
		}
		if strings.HasPrefix(l, ">") {
			continue
		}
		out = append(out, strings.TrimRight(lines[i], " \t"))
	}
	t := strings.TrimSpace(strings.Join(out, "\n"))
	if t == "" {
		return strings.TrimSpace(s)
	}
	return t
}
