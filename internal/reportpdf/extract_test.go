package reportpdf

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// extractText reads pdf with pdfcpu (which validates it), decodes the text
// shown on each page through each font's ToUnicode map, as a viewer does, and
// returns it line by line: the pieces at one height joined left to right
// with " | ", pages separated by a "--- page N ---" line.
func extractText(t testing.TB, pdf []byte) string {
	t.Helper()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	ctx, err := api.ReadContext(bytes.NewReader(pdf), conf)
	if err != nil {
		t.Fatalf("read pdf: %v", err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatalf("validate pdf: %v", err)
	}
	var out strings.Builder
	for page := 1; page <= ctx.PageCount; page++ {
		d, _, _, err := ctx.PageDict(page, true)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		maps := fontMaps(t, ctx, d)
		content, err := ctx.PageContent(d, page)
		if err != nil {
			t.Fatalf("page %d content: %v", page, err)
		}
		fmt.Fprintf(&out, "--- page %d ---\n", page)
		for _, l := range lines(showText(t, content, maps)) {
			out.WriteString(l + "\n")
		}
	}
	return out.String()
}

// cmap maps a 2-byte code to its text; nil means a simple font (one byte,
// read as Latin-1).
type cmap map[uint16]string

func fontMaps(t testing.TB, ctx *model.Context, page types.Dict) map[string]cmap {
	t.Helper()
	maps := map[string]cmap{}
	res, err := ctx.DereferenceDict(page["Resources"])
	if err != nil || res == nil {
		return maps
	}
	fonts, err := ctx.DereferenceDict(res["Font"])
	if err != nil || fonts == nil {
		return maps
	}
	for name, o := range fonts {
		fd, err := ctx.DereferenceDict(o)
		if err != nil {
			t.Fatalf("font %s: %v", name, err)
		}
		tu, ok := fd["ToUnicode"]
		if !ok {
			maps[name] = nil
			continue
		}
		sd, _, err := ctx.DereferenceStreamDict(tu)
		if err != nil || sd == nil {
			t.Fatalf("font %s ToUnicode: %v", name, err)
		}
		if err := sd.Decode(); err != nil {
			t.Fatalf("font %s ToUnicode decode: %v", name, err)
		}
		maps[name] = parseCMap(t, string(sd.Content))
	}
	return maps
}

// parseCMap reads the bfchar and bfrange entries of a ToUnicode CMap.
func parseCMap(t testing.TB, s string) cmap {
	t.Helper()
	m := cmap{}
	hexes := func(block string) [][]byte {
		var out [][]byte
		for {
			i := strings.IndexByte(block, '<')
			if i < 0 {
				return out
			}
			j := strings.IndexByte(block[i:], '>')
			b, err := hex.DecodeString(block[i+1 : i+j])
			if err != nil {
				t.Fatalf("cmap hex: %v", err)
			}
			out = append(out, b)
			block = block[i+j+1:]
		}
	}
	code := func(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[len(b)-1]) }
	text := func(b []byte) []uint16 {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return u
	}
	for _, sec := range strings.Split(s, "beginbfchar")[1:] {
		h := hexes(sec[:strings.Index(sec, "endbfchar")])
		for i := 0; i+1 < len(h); i += 2 {
			m[code(h[i])] = string(utf16.Decode(text(h[i+1])))
		}
	}
	for _, sec := range strings.Split(s, "beginbfrange")[1:] {
		h := hexes(sec[:strings.Index(sec, "endbfrange")])
		for i := 0; i+2 < len(h); i += 3 {
			lo, hi, dst := code(h[i]), code(h[i+1]), text(h[i+2])
			for c := uint32(lo); c <= uint32(hi); c++ {
				d := append([]uint16(nil), dst...)
				d[len(d)-1] += uint16(c - uint32(lo))
				m[uint16(c)] = string(utf16.Decode(d))
			}
		}
	}
	return m
}

// piece is some text shown at a position (points).
type piece struct {
	x, y float64
	s    string
}

// showText runs the text operators of a content stream.
func showText(t testing.TB, content []byte, maps map[string]cmap) []piece {
	t.Helper()
	var (
		out      []piece
		operands []any
		font     cmap
		x, y     float64
	)
	decode := func(b []byte) string {
		if font == nil {
			r := make([]rune, len(b))
			for i, c := range b {
				r[i] = rune(c)
			}
			return string(r)
		}
		var sb strings.Builder
		for i := 0; i+1 < len(b); i += 2 {
			sb.WriteString(font[uint16(b[i])<<8|uint16(b[i+1])])
		}
		return sb.String()
	}
	num := func(i int) float64 {
		f, _ := operands[i].(float64)
		return f
	}
	lx := newLexer(content)
	for {
		tok, ok := lx.next(t)
		if !ok {
			break
		}
		op, isOp := tok.(operator)
		if !isOp {
			operands = append(operands, tok)
			continue
		}
		switch op {
		case "BT":
			x, y = 0, 0
		case "Tf":
			if len(operands) == 2 {
				name, _ := operands[0].(name)
				font = maps[string(name)]
			}
		case "Td", "TD":
			if len(operands) == 2 {
				x, y = x+num(0), y+num(1)
			}
		case "Tm":
			if len(operands) == 6 {
				x, y = num(4), num(5)
			}
		case "Tj", "'", `"`:
			if b, ok := operands[len(operands)-1].([]byte); ok {
				out = append(out, piece{x, y, decode(b)})
			}
		case "TJ":
			if arr, ok := operands[0].([]any); ok {
				var sb strings.Builder
				for _, e := range arr {
					if b, ok := e.([]byte); ok {
						sb.WriteString(decode(b))
					}
				}
				out = append(out, piece{x, y, sb.String()})
			}
		}
		operands = operands[:0]
	}
	return out
}

// lines groups pieces by height (top first), left to right.
func lines(ps []piece) []string {
	sort.SliceStable(ps, func(i, j int) bool {
		if math.Abs(ps[i].y-ps[j].y) > 1.5 {
			return ps[i].y > ps[j].y
		}
		return ps[i].x < ps[j].x
	})
	var out []string
	for i := 0; i < len(ps); {
		j, parts := i, []string{}
		for j < len(ps) && math.Abs(ps[j].y-ps[i].y) <= 1.5 {
			if s := strings.TrimSpace(ps[j].s); s != "" {
				parts = append(parts, s)
			}
			j++
		}
		if len(parts) > 0 {
			out = append(out, strings.Join(parts, " | "))
		}
		i = j
	}
	return out
}

type (
	operator string
	name     string
)

// lexer splits a content stream into operands ([]byte strings, float64
// numbers, names, []any arrays) and operators.
type lexer struct {
	b []byte
	i int
}

func newLexer(b []byte) *lexer { return &lexer{b: b} }

func isDelim(c byte) bool { return strings.IndexByte("()<>[]{}/%", c) >= 0 }
func isSpace(c byte) bool { return strings.IndexByte(" \t\r\n\f\x00", c) >= 0 }

func (l *lexer) next(t testing.TB) (any, bool) {
	t.Helper()
	for l.i < len(l.b) && isSpace(l.b[l.i]) {
		l.i++
	}
	if l.i >= len(l.b) {
		return nil, false
	}
	c := l.b[l.i]
	switch {
	case c == '%':
		for l.i < len(l.b) && l.b[l.i] != '\n' {
			l.i++
		}
		return l.next(t)
	case c == '(':
		return l.literal(t), true
	case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<':
		l.i += 2
		return operator("<<"), true
	case c == '>' && l.i+1 < len(l.b) && l.b[l.i+1] == '>':
		l.i += 2
		return operator(">>"), true
	case c == '<':
		j := bytes.IndexByte(l.b[l.i:], '>')
		h := strings.Join(strings.Fields(string(l.b[l.i+1:l.i+j])), "")
		if len(h)%2 == 1 {
			h += "0"
		}
		l.i += j + 1
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("content hex string: %v", err)
		}
		return b, true
	case c == '[':
		l.i++
		var arr []any
		for {
			tok, ok := l.next(t)
			if !ok || tok == operator("]") {
				return arr, true
			}
			arr = append(arr, tok)
		}
	case c == ']':
		l.i++
		return operator("]"), true
	case c == '/':
		j := l.i + 1
		for j < len(l.b) && !isSpace(l.b[j]) && !isDelim(l.b[j]) {
			j++
		}
		n := name(l.b[l.i+1 : j])
		l.i = j
		return n, true
	}
	j := l.i
	for j < len(l.b) && !isSpace(l.b[j]) && !isDelim(l.b[j]) {
		j++
	}
	if j == l.i { // a lone delimiter
		j++
	}
	word := string(l.b[l.i:j])
	l.i = j
	if f, err := strconv.ParseFloat(word, 64); err == nil {
		return f, true
	}
	return operator(word), true
}

// literal reads a (string) with its escapes and balanced parentheses.
func (l *lexer) literal(t testing.TB) []byte {
	t.Helper()
	var out []byte
	depth := 0
	for l.i++; l.i < len(l.b); l.i++ {
		c := l.b[l.i]
		switch c {
		case '(':
			depth++
			out = append(out, c)
		case ')':
			if depth == 0 {
				l.i++
				return out
			}
			depth--
			out = append(out, c)
		case '\\':
			l.i++
			if l.i >= len(l.b) {
				t.Fatal("content string: dangling escape")
			}
			e := l.b[l.i]
			switch {
			case e == 'n':
				out = append(out, '\n')
			case e == 'r':
				out = append(out, '\r')
			case e == 't':
				out = append(out, '\t')
			case e == 'b':
				out = append(out, '\b')
			case e == 'f':
				out = append(out, '\f')
			case e == '\n':
			case e == '\r':
				if l.i+1 < len(l.b) && l.b[l.i+1] == '\n' {
					l.i++
				}
			case e >= '0' && e <= '7':
				v, k := 0, 0
				for k < 3 && l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '7' {
					v = v*8 + int(l.b[l.i]-'0')
					l.i++
					k++
				}
				l.i--
				out = append(out, byte(v))
			default:
				out = append(out, e)
			}
		default:
			out = append(out, c)
		}
	}
	t.Fatal("content string: not closed")
	return nil
}
