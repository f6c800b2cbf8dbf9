package web

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pquerna/otp"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/i18n"
)

type accountPage struct {
	Tokens    []auth.Token
	Languages []option
	// NewToken is the secret of the token just created, shown this once.
	NewToken string
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, v *view, p auth.Principal, status int, d accountPage) {
	tokens, err := h.d.Auth.Tokens(r.Context(), p.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Tokens, d.Languages = tokens, v.languageOptions(true)
	if v.Form.Get("scope") == "" {
		v.Form.values.Set("scope", "read")
	}
	if _, set := v.Form.values["language"]; !set {
		v.Form.values.Set("language", p.User.Language)
	}
	h.render(w, v, status, "account", d)
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderAccount(w, r, h.view(w, r, "account"), p, http.StatusOK, accountPage{})
}

func (h *Handler) accountLanguage(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	lang := r.PostForm.Get("language")
	if lang != "" && !slices.Contains(i18n.Languages, lang) {
		v := h.view(w, r, "account")
		v.Form.setValues(r.PostForm)
		v.Form.add("language", "invalid_choice", "")
		h.renderAccount(w, r, v, p, http.StatusUnprocessableEntity, accountPage{})
		return
	}
	if err := h.d.Users.SetLanguage(r.Context(), p.Scope(), lang); err != nil {
		h.fail(w, r, err)
		return
	}
	// The cookie follows, so the sign-in page speaks the same language after sign-out.
	h.setLangCookie(w, lang)
	h.redirect(w, r, "/account", "flash.language_saved")
}

func (h *Handler) accountPassword(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	keep := ""
	if p.Session != nil {
		keep = p.Session.ID
	}
	next := r.PostForm.Get("new_password")
	var err2 error
	if next != r.PostForm.Get("new_password_confirm") {
		inv := &fault.Invalid{}
		inv.Add("new_password_confirm", "mismatch")
		err2 = inv
	} else {
		err2 = h.d.Auth.ChangePassword(r.Context(), p.User, keep, r.PostForm.Get("current_password"), next)
	}
	if err2 != nil {
		v := h.view(w, r, "account")
		if inv, ok := fault.AsInvalid(err2); ok {
			for _, f := range inv.Fields {
				v.Form.add(f.Field, f.Code, f.Param)
			}
			h.renderAccount(w, r, v, p, http.StatusUnprocessableEntity, accountPage{})
			return
		}
		h.fail(w, r, err2)
		return
	}
	h.redirect(w, r, "/account", "flash.password_changed")
}

func (h *Handler) accountLogoutAll(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.d.Auth.LogoutEverywhere(r.Context(), p.User); err != nil {
		h.fail(w, r, err)
		return
	}
	h.clearSessionCookie(w)
	h.redirect(w, r, "/login", "flash.signed_out_everywhere")
}

func (h *Handler) tokenCreate(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	v := h.view(w, r, "account")
	scope := r.PostForm.Get("scope")
	if scope != "read" && scope != "write" {
		v.Form.setValues(r.PostForm)
		v.Form.add("scope", "invalid_choice", "")
		h.renderAccount(w, r, v, p, http.StatusUnprocessableEntity, accountPage{})
		return
	}
	plain, _, err := h.d.Auth.CreateToken(r.Context(), p.User, r.PostForm.Get("name"), scope == "write")
	if err != nil {
		if inv, ok := fault.AsInvalid(err); ok {
			v.Form.setValues(r.PostForm)
			for _, f := range inv.Fields {
				v.Form.add(f.Field, f.Code, f.Param)
			}
			h.renderAccount(w, r, v, p, http.StatusUnprocessableEntity, accountPage{})
			return
		}
		h.fail(w, r, err)
		return
	}
	// The secret is rendered in this response and nowhere else: it is not
	// kept, so it cannot travel through a redirect.
	h.renderAccount(w, r, v, p, http.StatusOK, accountPage{NewToken: plain})
}

func (h *Handler) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	tokens, err := h.d.Auth.Tokens(r.Context(), p.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(tokens, func(t auth.Token) bool { return t.ID == id })
	if i < 0 {
		h.notFound(w, r)
		return
	}
	if err := h.d.Auth.RevokeToken(r.Context(), p.User, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/account#tokens", "flash.token_revoked", tokens[i].Name)
}

// Second factor.

type totpPage struct {
	Enabled bool
	Secret  string
	// QR is the enrolment QR code as a data: URL (the CSP allows data: images).
	QR template.URL
	// Codes are the recovery codes, shown once right after enrolment.
	Codes    []string
	Required bool
}

func (h *Handler) issuer(v *view) string {
	if v.Provider.Name != "" {
		return v.Provider.Name
	}
	return "Vigie"
}

func (h *Handler) totpForm(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "account")
	d := totpPage{Enabled: p.User.TOTPEnabled, Required: v.MFAGate}
	if !d.Enabled {
		e, err := h.d.Auth.BeginTOTP(p.User, h.issuer(v))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Secret, d.QR = e.Secret, pngDataURL(e.QRPNG)
		v.Form.setValues(url.Values{"secret": {e.Secret}})
	}
	h.render(w, v, http.StatusOK, "totp", d)
}

func (h *Handler) totpConfirm(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	if p.User.TOTPEnabled {
		// Enrolling again would silently replace the factor in use: turn it off first.
		h.redirect(w, r, "/account/2fa", "")
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("secret"))
	v := h.view(w, r, "account")
	codes, err := h.d.Auth.ConfirmTOTP(r.Context(), p.User, secret, r.PostForm.Get("code"))
	if err != nil {
		if _, ok := fault.AsInvalid(err); !ok {
			h.fail(w, r, err)
			return
		}
		// Show the same secret again: the user may already have scanned it.
		qr, qerr := qrFor(secret, h.issuer(v), p.User.Email)
		if qerr != nil {
			e, berr := h.d.Auth.BeginTOTP(p.User, h.issuer(v))
			if berr != nil {
				h.fail(w, r, berr)
				return
			}
			secret, qr = e.Secret, e.QRPNG
		}
		v.Form.setValues(url.Values{"secret": {secret}})
		h.formFailed(w, v, "totp", totpPage{Secret: secret, QR: pngDataURL(qr), Required: v.MFAGate}, err)
		return
	}
	v.MFAGate = false
	v.Flash = &flash{Key: "flash.totp_enabled", Kind: "success"}
	h.render(w, v, http.StatusOK, "totp", totpPage{Enabled: true, Codes: codes})
}

func (h *Handler) totpDisable(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !parseForm(w, r) {
		return
	}
	if err := h.d.Auth.DisableTOTP(r.Context(), p.User, r.PostForm.Get("password")); err != nil {
		v := h.view(w, r, "account")
		h.formFailed(w, v, "totp", totpPage{Enabled: p.User.TOTPEnabled, Required: v.MFAGate}, err)
		return
	}
	h.redirect(w, r, "/account", "flash.totp_disabled")
}

func pngDataURL(b []byte) template.URL {
	// The bytes come from our own PNG encoder, so the URL is safe to mark as such.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

// qrFor draws the QR code of an enrolment secret sent back by the form,
// after checking that it is a plausible base32 secret.
func qrFor(secret, issuer, account string) ([]byte, error) {
	if secret == "" || len(secret) > 64 {
		return nil, errors.New("bad secret")
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "=")); err != nil {
		return nil, err
	}
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return nil, err
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TokenScopes are the choices of the new-token form.
func (v *view) TokenScopes() []option {
	return []option{{Value: "read", Label: v.T("account.scope_read_long")}, {Value: "write", Label: v.T("account.scope_write_long")}}
}
