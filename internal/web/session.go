package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/i18n"
)

const langCookie = "lang"

// sessionMaxAge matches auth's absolute session lifetime; the server decides
// whether a session is still valid, the cookie only has to outlive it.
const sessionMaxAge = 30 * 24 * time.Hour

func (h *Handler) setSessionCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: value, Path: "/", MaxAge: int(sessionMaxAge.Seconds()), HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// cookieSession returns the session of the request's cookie, whether or not
// its second factor is done: the middleware leaves pending sessions out of
// the context, so the second-factor page and sign-out read it themselves.
func (h *Handler) cookieSession(r *http.Request) (auth.Session, error) {
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil {
		return auth.Session{}, fault.ErrUnauthorized
	}
	s, _, err := h.d.Auth.Authenticate(r.Context(), c.Value)
	return s, err
}

func clientIP(r *http.Request) string { return audit.ActorFrom(r.Context()).IP }

// parseForm reads a urlencoded body; a malformed one is a plain 400.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return false
	}
	return true
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, ok := auth.PrincipalFrom(r.Context()); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := h.view(w, r, "")
	v.Form.setValues(url.Values{"next": {next}})
	h.render(w, v, http.StatusOK, "login", nil)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"))
	plain, s, err := h.d.Auth.Login(r.Context(), email, password, clientIP(r), r.UserAgent())
	if err != nil {
		v := h.view(w, r, "")
		// The password is never sent back into the page.
		v.Form.setValues(url.Values{"email": {email}, "next": {next}})
		switch {
		case errors.Is(err, fault.ErrThrottled):
			v.Form.general("login.throttled")
			h.render(w, v, http.StatusTooManyRequests, "login", nil)
		case errors.Is(err, fault.ErrUnauthorized):
			v.Form.general("login.bad_credentials")
			h.render(w, v, http.StatusUnauthorized, "login", nil)
		default:
			h.fail(w, r, err)
		}
		return
	}
	// A session already in this browser (another account, or a sign-in left
	// at the second factor) ends: one browser, one session.
	if old, err := h.cookieSession(r); err == nil {
		_ = h.d.Auth.Logout(r.Context(), old)
	}
	h.setSessionCookie(w, plain)
	if s.MFAPending {
		http.Redirect(w, r, "/login/2fa?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) secondFactorForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	s, err := h.cookieSession(r)
	if err != nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	if !s.MFAPending {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := h.view(w, r, "")
	v.Form.setValues(url.Values{"next": {next}})
	h.render(w, v, http.StatusOK, "login_2fa", nil)
}

func (h *Handler) secondFactor(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	next := localPath(r.PostForm.Get("next"))
	s, err := h.cookieSession(r)
	if err != nil {
		h.redirect(w, r, "/login?next="+url.QueryEscape(next), "flash.warn.session_expired")
		return
	}
	if _, err := h.d.Auth.VerifySecondFactor(r.Context(), s, r.PostForm.Get("code")); err != nil {
		v := h.view(w, r, "")
		v.Form.setValues(url.Values{"next": {next}})
		switch {
		case errors.Is(err, fault.ErrThrottled):
			v.Form.general("login.throttled")
			h.render(w, v, http.StatusTooManyRequests, "login_2fa", nil)
		case errors.Is(err, fault.ErrUnauthorized):
			v.Form.add("code", "wrong_code", "")
			h.render(w, v, http.StatusUnprocessableEntity, "login_2fa", nil)
		default:
			h.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if s, err := h.cookieSession(r); err == nil {
		if err := h.d.Auth.Logout(r.Context(), s); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.clearSessionCookie(w)
	h.redirect(w, r, "/login", "flash.signed_out")
}

type forgotPage struct{ Sent bool }

func (h *Handler) forgotForm(w http.ResponseWriter, r *http.Request) {
	v := h.view(w, r, "")
	h.render(w, v, http.StatusOK, "forgot", forgotPage{})
}

// forgot gives the same answer whether or not the address has an account,
// and whether or not the e-mail could be sent (that failure is logged), so
// that the page cannot be used to find out who has an account.
func (h *Handler) forgot(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	email := r.PostForm.Get("email")
	err := h.d.Auth.RequestReset(r.Context(), email, clientIP(r), func(token string) string {
		return h.d.BaseURL + "/password/reset?token=" + url.QueryEscape(token)
	})
	v := h.view(w, r, "")
	if errors.Is(err, fault.ErrThrottled) {
		v.Form.setValues(url.Values{"email": {email}})
		v.Form.general("login.throttled")
		h.render(w, v, http.StatusTooManyRequests, "forgot", forgotPage{})
		return
	}
	if err != nil {
		h.log.Error("password reset request", "err", err)
	}
	h.render(w, v, http.StatusOK, "forgot", forgotPage{Sent: true})
}

func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request) {
	v := h.view(w, r, "")
	v.Form.setValues(url.Values{"token": {r.URL.Query().Get("token")}})
	h.render(w, v, http.StatusOK, "reset", nil)
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	token, password := r.PostForm.Get("token"), r.PostForm.Get("password")
	v := h.view(w, r, "")
	v.Form.setValues(url.Values{"token": {token}})
	if password != r.PostForm.Get("password_confirm") {
		v.Form.add("password_confirm", "mismatch", "")
		h.render(w, v, http.StatusUnprocessableEntity, "reset", nil)
		return
	}
	err := h.d.Auth.Reset(r.Context(), token, password)
	switch {
	case err == nil:
		h.redirect(w, r, "/login", "flash.password_reset")
	case errors.Is(err, auth.ErrBadResetToken):
		v.Form.general("reset.bad_token")
		h.render(w, v, http.StatusUnprocessableEntity, "reset", nil)
	default:
		h.formFailed(w, v, "reset", nil, err)
	}
}

// setLang is the language switcher. Anyone gets a cookie; a signed-in user's
// choice is also saved to their account so it follows them to other browsers.
func (h *Handler) setLang(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	lang := r.PostForm.Get("lang")
	if !slices.Contains(i18n.Languages, lang) {
		http.Error(w, "unknown language", http.StatusBadRequest)
		return
	}
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		if err := h.d.Users.SetLanguage(r.Context(), p.Scope(), lang); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.setLangCookie(w, lang)
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (h *Handler) setLangCookie(w http.ResponseWriter, lang string) {
	c := &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteLaxMode}
	if lang == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
