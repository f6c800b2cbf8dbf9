package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// chromiumPath returns the browser to drive, or skips (fails in CI) without one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VIGIE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium not found: the browser tests are required in CI (apt-get install -y chromium, or set VIGIE_CHROMIUM)")
	}
	t.Skip("!!! SKIPPING browser test: Chromium not found (apt-get install -y chromium, or set VIGIE_CHROMIUM) !!!")
	return ""
}

// cspProbe runs in every document before the page's own scripts (it is
// injected through the DevTools protocol, so the CSP does not block it) and
// records the policy violations the document reports.
const cspProbe = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "?") + " in " + e.sourceFile + ":" + e.lineNumber);
});`

// browser is a headless Chromium with one tab, whose console it records.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func newBrowser(t *testing.T, exe string) *browser {
	t.Helper()
	// The flags that work on this kind of machine (closed network, root):
	// no sandbox, no GPU, no background connections, a fresh profile.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900), // a desktop layout: the menu is not folded
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		// The browser asks for French first, like most of Vigie's users.
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	// Start the browser with a context that has no deadline: the first
	// action binds the browser's life to its context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
		t.Fatalf("install the CSP probe: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// step bounds one action, so that a page that never comes fails fast.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 20*time.Second)
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks a button that sends a form and waits for the page that
// comes back, which must be a 200 (after redirects).
func (b *browser) submit(what, selector string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if res.Status != http.StatusOK {
		b.t.Fatalf("%s: %s answered %d", what, res.URL, res.Status)
	}
}

func (b *browser) open(url string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	if res.Status != http.StatusOK {
		b.t.Fatalf("open %s: status %d", url, res.Status)
	}
}

func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *browser) text(selector string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "read "+selector, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible)))
}

func (b *browser) lang() string {
	b.t.Helper()
	return run(b, "read <html lang>", chromedp.Evaluate[string]("document.documentElement.lang"))
}

func (b *browser) path() string {
	b.t.Helper()
	return run(b, "read the location", chromedp.Evaluate[string]("location.pathname"))
}

// violations returns the CSP violations the current document reported.
func (b *browser) violations() []string {
	b.t.Helper()
	return run(b, "read CSP violations", chromedp.Evaluate[[]string]("window.__cspViolations || []"))
}

// problems returns the console messages so far that a clean page must not
// produce: errors, uncaught exceptions, and anything about the CSP.
func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, fmt.Sprintf("%s (%s:%d, source %q)", m, m.URL, m.Line+1, m.Source))
		}
	}
	return out
}

// checkClean fails the test when the current page reported a CSP violation
// or the console holds an error.
func (b *browser) checkClean(page string) {
	b.t.Helper()
	if v := b.violations(); len(v) > 0 {
		b.t.Errorf("%s: Content-Security-Policy violations:\n  %s", page, strings.Join(v, "\n  "))
	}
	if p := b.problems(); len(p) > 0 {
		b.t.Errorf("%s: console errors so far:\n  %s", page, strings.Join(p, "\n  "))
	}
}

// TestSignInCreateClientSwitchLanguage walks the first thing an administrator
// does: sign in, create a client through the form, find it, and switch the
// interface between French and English, on pages that must stay within the
// Content-Security-Policy.
func TestSignInCreateClientSwitchLanguage(t *testing.T) {
	msg, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The texts the test looks for come from the catalogs, so that rewording
	// a message does not break the test, but a missing translation does.
	tr := func(lang, key string) string {
		t.Helper()
		if !msg.Has(key) {
			t.Fatalf("message %q no longer exists: update the browser test", key)
		}
		return msg.T(lang, key)
	}
	exe := chromiumPath(t)
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := apptest.New(t, dialect)
			admin := srv.User("admin@e2e.example", tenant.RoleAdmin)
			b := newBrowser(t, exe)

			// Sign-in page, in the browser's language.
			b.open(srv.URL + "/login")
			if got := b.lang(); got != "fr" {
				t.Errorf("sign-in page for a French browser: <html lang=%q>, want fr", got)
			}
			if got, want := b.text("main h1"), tr("fr", "login.title"); got != want {
				t.Errorf("sign-in heading %q, want %q", got, want)
			}
			b.checkClean("sign-in page")
			b.do("fill the sign-in form",
				chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name="email"]`), admin.Email, chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name="password"]`), apptest.Password, chromedp.NodeVisible),
			)
			b.submit("sign in", `form[action="/login"] button[type="submit"]`)
			if got := b.path(); got != "/" {
				t.Fatalf("after sign-in the browser is on %s, want /", got)
			}
			if got := b.text("a.account-link"); !strings.Contains(got, admin.Name) {
				t.Errorf("account link %q does not name %q: not signed in?", got, admin.Name)
			}
			b.checkClean("home page")

			// Create a client through the form.
			b.open(srv.URL + "/clients/new")
			b.checkClean("new client form")
			b.do("fill the client form",
				chromedp.SendKeys(chromedp.CSS(`form[action="/clients/new"] input[name="code"]`), "e2e-acme", chromedp.NodeVisible),
				chromedp.SendKeys(chromedp.CSS(`form[action="/clients/new"] input[name="name"]`), "Acme Industrie", chromedp.NodeVisible),
			)
			b.submit("create the client", `form[action="/clients/new"] button[type="submit"]`)
			clientPath := b.path()
			if !strings.HasPrefix(clientPath, "/clients/") || clientPath == "/clients/new" {
				t.Fatalf("after creating a client the browser is on %s, want its page /clients/ID", clientPath)
			}
			if got := b.text("main h1"); !strings.Contains(got, "Acme Industrie") || !strings.Contains(got, "E2E-ACME") {
				t.Errorf("client page heading %q, want the name and the code (upper-cased) of the new client", got)
			}
			tr("fr", "flash.client_created")
			if got, want := b.text(".flash"), msg.T("fr", "flash.client_created", "Acme Industrie"); got != want {
				t.Errorf("flash %q, want %q", got, want)
			}
			b.checkClean("client page")

			// The list shows it too, with a link to its page.
			b.open(srv.URL + "/clients")
			if got := b.text(`main a[href="` + clientPath + `"]`); !strings.Contains(got, "Acme Industrie") && !strings.Contains(got, "E2E-ACME") {
				t.Errorf("client list links to %s with text %q, want the new client", clientPath, got)
			}
			b.checkClean("client list")

			// Switch to English on the client page, then back to French.
			b.open(srv.URL + clientPath)
			for _, lang := range []string{"en", "fr"} {
				b.submit("switch to "+lang, `form.lang-switch button[value="`+lang+`"]`)
				if got := b.path(); got != clientPath {
					t.Errorf("after switching to %s the browser is on %s, want to stay on %s", lang, got, clientPath)
				}
				if got := b.lang(); got != lang {
					t.Errorf("after switching to %s: <html lang=%q>", lang, got)
				}
				if got, want := b.text("#details-title"), tr(lang, "client.details"); got != want {
					t.Errorf("after switching to %s the details heading is %q, want %q", lang, got, want)
				}
				if got := run(b, "read the pressed language", chromedp.AttributeValue(chromedp.CSS(`form.lang-switch button[value="`+lang+`"]`), "aria-pressed")); got.Value != "true" {
					t.Errorf("after switching to %s its button has aria-pressed=%q, want true", lang, got.Value)
				}
				b.checkClean("client page in " + lang)
			}
			if tr("en", "client.details") == tr("fr", "client.details") {
				t.Fatalf("the heading reads the same in both languages: the switch above proves nothing")
			}

			// The choice is the account's: a new page keeps it.
			b.submit("switch to en", `form.lang-switch button[value="en"]`)
			b.open(srv.URL + "/clients")
			if got := b.lang(); got != "en" {
				t.Errorf("a new page after choosing English: <html lang=%q>", got)
			}
			b.checkClean("client list in en")
		})
	}
}

// TestCSPProbeSeesViolations proves the checks above can fail: an inline
// script, which the policy forbids, must be blocked and reported both to the
// page's listener and to the console.
func TestCSPProbeSeesViolations(t *testing.T) {
	exe := chromiumPath(t)
	srv := apptest.New(t, "sqlite")
	b := newBrowser(t, exe)
	b.open(srv.URL + "/login")
	b.checkClean("sign-in page")
	ran := run(b, "add an inline script", chromedp.Evaluate[bool](`(function () {
  var s = document.createElement("script");
  s.textContent = "window.__inlineRan = true";
  document.body.appendChild(s);
  return window.__inlineRan === true;
})()`))
	if ran {
		t.Fatal("an inline script ran: the Content-Security-Policy does not forbid inline script")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (len(b.violations()) == 0 || len(b.problems()) == 0) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(b.violations()) == 0 {
		t.Error("the blocked inline script raised no securitypolicyviolation event in the page")
	}
	if len(b.problems()) == 0 {
		t.Error("the blocked inline script left no message in the console")
	}
	t.Logf("reported: %q %q", b.violations(), b.problems())
}
