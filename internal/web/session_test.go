package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/tenant"
)

func TestSignIn(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("alice@example.com", tenant.RoleAdmin)
		good := url.Values{"email": {"alice@example.com"}, "password": {apptest.Password}}

		b := newBrowser(t, srv)
		r := b.get("/clients")
		wantStatus(t, "anonymous page", r, http.StatusSeeOther)
		if r.loc != "/login?next=/clients" {
			t.Errorf("anonymous GET /clients redirects to %q", r.loc)
		}

		vals := url.Values{"email": {"alice@example.com"}, "password": {apptest.Password}, "next": {"/clients?status=all"}}
		r = b.post("/login", vals)
		wantStatus(t, "sign-in", r, http.StatusSeeOther)
		if r.loc != "/clients?status=all" {
			t.Errorf("sign-in goes to %q, want the next page", r.loc)
		}
		if b.cookie(auth.SessionCookie) == "" {
			t.Fatal("no session cookie after sign-in")
		}
		var set string
		for _, c := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, auth.SessionCookie+"=") {
				set = c
			}
		}
		for _, attr := range []string{"; Path=/", "; HttpOnly", "; SameSite=Lax"} {
			if !strings.Contains(set, attr) {
				t.Errorf("session cookie %q lacks %q", set, attr)
			}
		}
		if strings.Contains(set, "; Secure") {
			t.Errorf("session cookie %q is Secure on a plain-HTTP server", set)
		}
		wantStatus(t, "page after sign-in", b.get("/clients"), http.StatusOK)

		// next must stay on this server.
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil"} {
			nb := newBrowser(t, srv)
			v := url.Values{"email": {"alice@example.com"}, "password": {apptest.Password}, "next": {next}}
			r := nb.post("/login", v)
			wantStatus(t, "sign-in with next "+next, r, http.StatusSeeOther)
			if r.loc != "/" {
				t.Errorf("next=%q: redirected to %q, want /", next, r.loc)
			}
		}

		// Wrong password: the form again, with the message, no session.
		bad := newBrowser(t, srv)
		r = bad.post("/login", url.Values{"email": {"alice@example.com"}, "password": {"wrong-password-1"}})
		wantStatus(t, "wrong password", r, http.StatusUnauthorized)
		wantBody(t, "wrong password", r, msg("fr", "login.bad_credentials"), `value="alice@example.com"`)
		wantNotBody(t, "wrong password", r, "wrong-password-1")
		if bad.cookie(auth.SessionCookie) != "" {
			t.Error("a failed sign-in set a session cookie")
		}
		// Unknown account: the same answer.
		r = bad.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"whatever-123"}})
		wantStatus(t, "unknown account", r, http.StatusUnauthorized)
		wantBody(t, "unknown account", r, msg("fr", "login.bad_credentials"))

		// After 5 failures on the account, even the right password is
		// refused for a while, and the page says why.
		for i := 0; i < 4; i++ {
			bad.post("/login", url.Values{"email": {"alice@example.com"}, "password": {"wrong-password-1"}})
		}
		r = bad.post("/login", good)
		wantStatus(t, "throttled sign-in", r, http.StatusTooManyRequests)
		wantBody(t, "throttled sign-in", r, msg("fr", "login.throttled"))
		bad.lang = "en"
		r = bad.post("/login", good)
		wantBody(t, "throttled sign-in in English", r, msg("en", "login.throttled"))
	})
}

func TestSignOutEndsSession(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("bob@example.com", tenant.RoleManager)
		b := signedIn(t, srv, "bob@example.com")
		old := b.cookie(auth.SessionCookie)
		r := b.post("/logout", nil)
		wantStatus(t, "sign-out", r, http.StatusSeeOther)
		if r.loc != "/login" {
			t.Errorf("sign-out goes to %q", r.loc)
		}
		if b.cookie(auth.SessionCookie) != "" {
			t.Error("session cookie kept after sign-out")
		}
		wantBody(t, "sign-in page after sign-out", b.get("/login"), msg("fr", "flash.signed_out"))

		// The old cookie, replayed, no longer works.
		replay := newBrowser(t, srv)
		replay.setCookie(auth.SessionCookie, old)
		r = replay.get("/account")
		wantStatus(t, "old cookie", r, http.StatusSeeOther)
		if !strings.HasPrefix(r.loc, "/login") {
			t.Errorf("old cookie: redirected to %q, want the sign-in page", r.loc)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("carol@example.com", tenant.RoleTechnician)
		here := signedIn(t, srv, "carol@example.com")
		there := signedIn(t, srv, "carol@example.com")

		// A wrong current password and a mismatched confirmation are field errors.
		r := here.post("/account/password", url.Values{"current_password": {"not-my-password"}, "new_password": {"a-new-long-password"}, "new_password_confirm": {"a-new-long-password"}})
		wantStatus(t, "wrong current password", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "current_password"); got != fieldErr("fr", "wrong_password", "") {
			t.Errorf("current_password error = %q", got)
		}
		r = here.post("/account/password", url.Values{"current_password": {apptest.Password}, "new_password": {"a-new-long-password"}, "new_password_confirm": {"something-else-1"}})
		wantStatus(t, "mismatched confirmation", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "new_password_confirm"); got != fieldErr("fr", "mismatch", "") {
			t.Errorf("confirmation error = %q", got)
		}
		wantStatus(t, "other session still valid", there.get("/account"), http.StatusOK)

		r = here.post("/account/password", url.Values{"current_password": {apptest.Password}, "new_password": {"a-new-long-password"}, "new_password_confirm": {"a-new-long-password"}})
		wantStatus(t, "password change", r, http.StatusSeeOther)
		wantStatus(t, "this session after the change", here.get("/account"), http.StatusOK)
		r = there.get("/account")
		wantStatus(t, "other session after the change", r, http.StatusSeeOther)

		// The new password signs in; the old one does not.
		nb := newBrowser(t, srv)
		wantStatus(t, "old password", nb.post("/login", url.Values{"email": {"carol@example.com"}, "password": {apptest.Password}}), http.StatusUnauthorized)
		wantStatus(t, "new password", nb.post("/login", url.Values{"email": {"carol@example.com"}, "password": {"a-new-long-password"}}), http.StatusSeeOther)
	})
}

var (
	recoveryRe = regexp.MustCompile(`<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>`)
	tokenRe    = regexp.MustCompile(`value="(vgt_[A-Za-z0-9_-]+)"`)
)

func TestSecondFactorSignIn(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("dave@example.com", tenant.RoleAdmin)
		b := signedIn(t, srv, "dave@example.com")

		// Enrol through the pages: the QR code is an inline PNG, the secret is shown as text.
		r := b.get("/account/2fa")
		wantStatus(t, "enrolment page", r, http.StatusOK)
		wantBody(t, "enrolment page", r, `src="data:image/png;base64,`)
		secret := inputValue(r.body, "secret")
		if secret == "" || !strings.Contains(r.body, secret) {
			t.Fatalf("no secret on the enrolment page")
		}
		r = b.post("/account/2fa", url.Values{"secret": {secret}, "code": {"zzzzzz"}})
		wantStatus(t, "wrong enrolment code", r, http.StatusUnprocessableEntity)
		if inputValue(r.body, "secret") != secret {
			t.Error("a wrong code must show the same secret again")
		}
		code, err := auth.CodeAt(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r = b.post("/account/2fa", url.Values{"secret": {secret}, "code": {code}})
		wantStatus(t, "confirm enrolment", r, http.StatusOK)
		codes := recoveryRe.FindAllStringSubmatch(r.body, -1)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes shown, want 10", len(codes))
		}
		wantStatus(t, "sign-out", b.post("/logout", nil), http.StatusSeeOther)

		signIn := func(what string) *browser {
			t.Helper()
			nb := newBrowser(t, srv)
			r := nb.post("/login", url.Values{"email": {"dave@example.com"}, "password": {apptest.Password}, "next": {"/audit"}})
			wantStatus(t, what+": password", r, http.StatusSeeOther)
			if r.loc != "/login/2fa?next=%2Faudit" {
				t.Fatalf("%s: after the password, redirected to %q", what, r.loc)
			}
			// Between password and code, nothing else is reachable.
			if r := nb.get("/audit"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
				t.Fatalf("%s: pending session reached /audit: %d %q", what, r.status, r.loc)
			}
			wantStatus(t, what+": code page", nb.get("/login/2fa?next=%2Faudit"), http.StatusOK)
			return nb
		}

		nb := signIn("totp")
		r = nb.post("/login/2fa", url.Values{"code": {"zzzzzz"}, "next": {"/audit"}})
		wantStatus(t, "wrong code", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "code"); got != fieldErr("fr", "wrong_code", "") {
			t.Errorf("wrong code error = %q", got)
		}
		code, _ = auth.CodeAt(secret, time.Now())
		r = nb.post("/login/2fa", url.Values{"code": {code}, "next": {"/audit"}})
		wantStatus(t, "right code", r, http.StatusSeeOther)
		if r.loc != "/audit" {
			t.Errorf("after the code, redirected to %q", r.loc)
		}
		wantStatus(t, "signed in with a code", nb.get("/audit"), http.StatusOK)
		nb.post("/logout", nil)

		recovery := codes[3][1]
		nb = signIn("recovery")
		r = nb.post("/login/2fa", url.Values{"code": {recovery}, "next": {"/audit"}})
		wantStatus(t, "recovery code", r, http.StatusSeeOther)
		wantStatus(t, "signed in with a recovery code", nb.get("/audit"), http.StatusOK)
		nb.post("/logout", nil)

		nb = signIn("reused recovery")
		r = nb.post("/login/2fa", url.Values{"code": {recovery}, "next": {"/audit"}})
		wantStatus(t, "recovery code used twice", r, http.StatusUnprocessableEntity)
		if r := nb.get("/audit"); r.status != http.StatusSeeOther {
			t.Errorf("a used recovery code signed in: %d", r.status)
		}
	})
}

func TestPasswordResetPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("erin@example.com", tenant.RoleManager)
		b := newBrowser(t, srv)
		known := b.post("/password/forgot", url.Values{"email": {"erin@example.com"}})
		unknown := b.post("/password/forgot", url.Values{"email": {"nobody@example.com"}})
		wantStatus(t, "reset request", known, http.StatusOK)
		wantStatus(t, "reset request, unknown", unknown, http.StatusOK)
		wantBody(t, "reset request", known, msg("fr", "forgot.sent"))
		wantBody(t, "reset request, unknown", unknown, msg("fr", "forgot.sent"))

		r := b.post("/password/reset", url.Values{"token": {"not-a-token"}, "password": {"another-long-pass"}, "password_confirm": {"another-long-pass"}})
		wantStatus(t, "bad reset token", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad reset token", r, msg("fr", "reset.bad_token"))
		r = b.post("/password/reset", url.Values{"token": {"not-a-token"}, "password": {"short"}, "password_confirm": {"short"}})
		wantStatus(t, "short password", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "password"); got != fieldErr("fr", "too_short", "10") {
			t.Errorf("short password error = %q", got)
		}
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("frank@example.com", tenant.RoleAdmin)
		b := signedIn(t, srv, "frank@example.com")
		b.header.Set("Origin", "http://evil.example")
		b.header.Set("Sec-Fetch-Site", "cross-site")
		r := b.post("/clients/new", url.Values{"code": {"EVIL"}, "name": {"Evil Corp"}, "time_zone": {"Europe/Paris"}, "language": {"fr"}})
		wantStatus(t, "cross-origin POST", r, http.StatusForbidden)
		n, err := srv.App.Clients.Count(ctx(), tenant.System(), false)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("a cross-origin POST created %d client(s)", n)
		}
		// The same request from the page itself goes through.
		b.header = http.Header{}
		wantStatus(t, "same-origin POST", b.post("/clients/new", url.Values{"code": {"GOOD"}, "name": {"Good Corp"}, "time_zone": {"Europe/Paris"}, "language": {"fr"}}), http.StatusSeeOther)
	})
}

func TestLanguage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		// Anonymous: the browser's language, else French; a chosen language wins.
		b := newBrowser(t, srv)
		r := b.get("/login")
		wantBody(t, "default language", r, `<html lang="fr">`, msg("fr", "login.submit"))
		b.lang = "en-GB,en;q=0.9"
		r = b.get("/login")
		wantBody(t, "English browser", r, `<html lang="en">`, msg("en", "login.submit"))
		b.lang = "de-DE"
		wantBody(t, "unsupported browser language", b.get("/login"), `<html lang="fr">`)
		b.lang = "en"
		r = b.post("/lang", url.Values{"lang": {"fr"}, "next": {"/login"}})
		wantStatus(t, "language switch", r, http.StatusSeeOther)
		if r.loc != "/login" {
			t.Errorf("language switch returns to %q", r.loc)
		}
		wantBody(t, "language cookie beats the browser", b.get("/login"), `<html lang="fr">`)
		wantStatus(t, "unknown language", b.post("/lang", url.Values{"lang": {"de"}}), http.StatusBadRequest)
		if r := b.post("/lang", url.Values{"lang": {"en"}, "next": {"//evil.example"}}); r.loc != "/" {
			t.Errorf("language switch followed a foreign next: %q", r.loc)
		}

		// Signed in: the saved choice beats the browser, on every browser.
		u := srv.User("gina@example.com", tenant.RoleManager)
		s := signedIn(t, srv, "gina@example.com")
		s.lang = "en"
		wantBody(t, "signed in, English browser", s.get("/"), `<html lang="en">`, msg("en", "nav.home"))
		r = s.post("/lang", url.Values{"lang": {"fr"}, "next": {"/clients"}})
		wantStatus(t, "signed-in language switch", r, http.StatusSeeOther)
		got, err := srv.App.Users.Get(ctx(), tenant.System(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Language != "fr" {
			t.Fatalf("saved language = %q, want fr", got.Language)
		}
		other := signedIn(t, srv, "gina@example.com")
		other.lang = "en-US,en"
		wantBody(t, "saved language on another browser", other.get("/"), `<html lang="fr">`, msg("fr", "nav.home"))

		// The account page can go back to following the browser.
		wantStatus(t, "follow the browser", other.post("/account/language", url.Values{"language": {""}}), http.StatusSeeOther)
		fresh := signedIn(t, srv, "gina@example.com")
		fresh.lang = "en"
		wantBody(t, "following the browser again", fresh.get("/"), `<html lang="en">`)
	})
}

func TestAPITokenPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		hank := srv.User("hank@example.com", tenant.RoleTechnician)
		b := signedIn(t, srv, "hank@example.com")
		r := b.post("/account/tokens", url.Values{"name": {""}, "scope": {"read"}})
		wantStatus(t, "token without a name", r, http.StatusUnprocessableEntity)
		if got := fieldErrorBlock(r.body, "name"); got != fieldErr("fr", "required", "") {
			t.Errorf("token name error = %q", got)
		}
		r = b.post("/account/tokens", url.Values{"name": {"backup script"}, "scope": {"write"}})
		wantStatus(t, "create token", r, http.StatusOK)
		m := tokenRe.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatal("the new token's secret is not shown")
		}
		secret := m[1]
		// Shown once: the account page does not show it again.
		r = b.get("/account")
		wantBody(t, "account page", r, "backup script", msg("fr", "account.scope_write"))
		wantNotBody(t, "account page", r, secret)
		// The token works on the API's authentication.
		if _, _, err := srv.App.Auth.AuthenticateToken(ctx(), secret); err != nil {
			t.Fatalf("new token refused: %v", err)
		}
		tokens, err := srv.App.Auth.Tokens(ctx(), hank)
		if err != nil || len(tokens) != 1 {
			t.Fatalf("tokens: %v %v", tokens, err)
		}
		// Someone else's token id is not found.
		srv.User("ivy@example.com", tenant.RoleTechnician)
		other := signedIn(t, srv, "ivy@example.com")
		wantStatus(t, "revoke someone else's token", other.post("/account/tokens/"+itoa(tokens[0].ID)+"/revoke", nil), http.StatusNotFound)
		wantStatus(t, "revoke", b.post("/account/tokens/"+itoa(tokens[0].ID)+"/revoke", nil), http.StatusSeeOther)
		if _, _, err := srv.App.Auth.AuthenticateToken(ctx(), secret); err == nil {
			t.Fatal("revoked token still accepted")
		}
	})
}

func TestStaffMustEnrolSecondFactor(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		srv.User("admin@example.com", tenant.RoleAdmin)
		srv.User("tech@example.com", tenant.RoleTechnician)
		a := signedIn(t, srv, "admin@example.com")
		r := postMultipart(t, a, "/settings", map[string]string{"name": "MSP", "language": "fr", "time_zone": "Europe/Paris", "require_staff_totp": "1"}, "", "", nil)
		wantStatus(t, "require 2FA", r, http.StatusSeeOther)

		b := signedIn(t, srv, "tech@example.com")
		r = b.get("/clients")
		wantStatus(t, "page before enrolment", r, http.StatusSeeOther)
		if r.loc != "/account/2fa" {
			t.Fatalf("redirected to %q, want the enrolment page", r.loc)
		}
		r = b.get("/account/2fa")
		wantStatus(t, "enrolment page", r, http.StatusOK)
		wantBody(t, "enrolment page", r, msg("fr", "totp.required"), `action="/logout"`)
		// Links that would only bounce back are not shown.
		wantNotBody(t, "enrolment page", r, `href="/clients"`)
		secret := inputValue(r.body, "secret")
		code, err := auth.CodeAt(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "enrol", b.post("/account/2fa", url.Values{"secret": {secret}, "code": {code}}), http.StatusOK)
		wantBody(t, "page after enrolment", b.get("/clients"), `href="/clients"`)
	})
}
