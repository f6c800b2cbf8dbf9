package web

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// markdown turns the Markdown that users write (ticket descriptions,
// followups) into HTML that is safe to put in a page.
//
// HTML typed in the text is not markup here: goldmark runs without its
// HTML parsers, so "<script>" or a pasted "<Directory> not found" shows as
// the text it is instead of vanishing (and taking the rest of its line with
// it). goldmark's escaping is still not a security boundary, and a Markdown
// link can carry a javascript: URL, so its output always goes through
// bluemonday's user-generated-content policy: only formatting elements and
// http(s), mailto and relative links survive, every link gets
// rel="nofollow", and links to other sites open in a new tab with
// rel="noopener".
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newMarkdown() *markdown {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// goldmark's default parsers, minus the HTML block and raw HTML ones.
	textOnly := parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(parser.NewListParser(), 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewBlockquoteParser(), 800),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(parser.NewLinkParser(), 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(parser.NewEmphasisParser(), 500),
		),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
	return &markdown{
		md: goldmark.New(
			goldmark.WithParser(textOnly),
			// Tables, strikethrough, task lists and bare URLs as links, as
			// people paste them from e-mails; a line break in the text is a
			// line break on screen, as in the e-mails tickets come from.
			goldmark.WithExtensions(extension.GFM),
			goldmark.WithRendererOptions(html.WithHardWraps()),
		),
		policy: p,
	}
}

// render returns the sanitised HTML of src; text that cannot be converted
// is shown escaped rather than lost.
func (m *markdown) render(src string) template.HTML {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	// The sanitised output is the one place the UI trusts HTML built from
	// user input: bluemonday has removed every script, handler and style.
	return template.HTML(m.policy.SanitizeBytes(buf.Bytes()))
}
