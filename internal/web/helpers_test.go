package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// eachDialect runs f against a fresh server on SQLite and on PostgreSQL.
func eachDialect(t *testing.T, f func(t *testing.T, srv *apptest.Server)) {
	t.Helper()
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) { f(t, apptest.New(t, d)) })
	}
}

// browser is an HTTP client with cookies that does not follow redirects
// and may send an Accept-Language header.
type browser struct {
	t    *testing.T
	srv  *apptest.Server
	c    *http.Client
	lang string
	// header is added to every request (Origin, Sec-Fetch-Site…).
	header http.Header
}

func newBrowser(t *testing.T, srv *apptest.Server) *browser {
	return &browser{t: t, srv: srv, c: srv.Browser(), header: http.Header{}}
}

func signedIn(t *testing.T, srv *apptest.Server, email string) *browser {
	t.Helper()
	return &browser{t: t, srv: srv, c: srv.Login(email), header: http.Header{}}
}

type response struct {
	status int
	body   string
	loc    string
	header http.Header
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{status: res.StatusCode, body: string(body), loc: res.Header.Get("Location"), header: res.Header}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, vals url.Values) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(vals.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// cookie returns the value of one of the browser's cookies.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d (Location %q)\n%s", what, r.status, want, r.loc, excerpt(r.body))
	}
}

func wantBody(t *testing.T, what string, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("%s: page lacks %q\n%s", what, p, excerpt(r.body))
		}
	}
}

func wantNotBody(t *testing.T, what string, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(r.body, p) {
			t.Errorf("%s: page unexpectedly contains %q", what, p)
		}
	}
}

// excerpt is the main part of a page, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

var messages = func() *i18n.Bundle {
	b, err := i18n.Load()
	if err != nil {
		panic(err)
	}
	return b
}()

// msg is a message as it appears in a page (HTML-escaped).
func msg(lang, key string, args ...any) string {
	return html.EscapeString(messages.T(lang, key, args...))
}

// fieldErr is a field error message as it appears in a page.
func fieldErr(lang, code, param string) string {
	return html.EscapeString(messages.FieldError(lang, code, param))
}

// fieldErrorBlock returns the error paragraph shown under a field, "" if none.
func fieldErrorBlock(body, field string) string {
	re := regexp.MustCompile(`<p class="field-error" id="f-` + regexp.QuoteMeta(field) + `-err">([^<]*)</p>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// inputValue returns the value attribute of a named input.
func inputValue(body, name string) string {
	re := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func ctx() context.Context { return context.Background() }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
