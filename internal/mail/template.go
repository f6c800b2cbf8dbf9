package mail

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/mail"
	"path"
	"strings"
	texttemplate "text/template"

	"github.com/vigie-hq/vigie/internal/user"
)

// Languages are those every template exists in; the first is the fallback.
var languages = []string{"fr", "en"}

//go:embed templates
var templateFS embed.FS

// kindTemplates are one kind of message in one language: kind.txt defines
// "subject" and "text" (text/template), kind.html defines "html" (html/template,
// which escapes what it inserts).
type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates maps language, then kind ("password_reset"), to its templates.
type templates map[string]map[string]kindTemplates

// parseTemplates parses every embedded template and checks that each kind
// exists, complete, in every language.
func parseTemplates() (*templates, error) {
	out := templates{}
	for _, lang := range languages {
		out[lang] = map[string]kindTemplates{}
		entries, err := fs.ReadDir(templateFS, "templates/"+lang)
		if err != nil {
			return nil, fmt.Errorf("mail templates: %w", err)
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".txt")
			if !ok {
				continue
			}
			base := path.Join("templates", lang, name)
			text, err := texttemplate.ParseFS(templateFS, base+".txt")
			if err != nil {
				return nil, fmt.Errorf("mail template %s.txt: %w", base, err)
			}
			html, err := htmltemplate.ParseFS(templateFS, base+".html")
			if err != nil {
				return nil, fmt.Errorf("mail template %s.html: %w", base, err)
			}
			for _, def := range []string{"subject", "text"} {
				if text.Lookup(def) == nil {
					return nil, fmt.Errorf("mail template %s.txt: no %q", base, def)
				}
			}
			if html.Lookup("html") == nil {
				return nil, fmt.Errorf("mail template %s.html: no \"html\"", base)
			}
			out[lang][name] = kindTemplates{text: text, html: html}
		}
	}
	for _, lang := range languages[1:] {
		if len(out[lang]) != len(out[languages[0]]) {
			return nil, fmt.Errorf("mail templates: %s and %s have different messages", lang, languages[0])
		}
		for kind := range out[languages[0]] {
			if _, ok := out[lang][kind]; !ok {
				return nil, fmt.Errorf("mail templates: %q missing in %s", kind, lang)
			}
		}
	}
	return &out, nil
}

// language returns the first of the preferences that templates exist in, else French.
func language(prefs ...string) string {
	for _, p := range prefs {
		p = strings.ToLower(p)
		if i := strings.IndexAny(p, "-_"); i >= 0 {
			p = p[:i]
		}
		for _, l := range languages {
			if p == l {
				return l
			}
		}
	}
	return languages[0]
}

// render fills the subject and both bodies of a kind of message.
func (t *templates) render(kind, lang string, data any) (subject, text, html string, err error) {
	kt, ok := (*t)[lang][kind]
	if !ok {
		return "", "", "", fmt.Errorf("no mail template %q in %q", kind, lang)
	}
	var b bytes.Buffer
	if err := kt.text.ExecuteTemplate(&b, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("render %s subject: %w", kind, err)
	}
	subject = strings.TrimSpace(b.String())
	b.Reset()
	if err := kt.text.ExecuteTemplate(&b, "text", data); err != nil {
		return "", "", "", fmt.Errorf("render %s text: %w", kind, err)
	}
	text = b.String()
	b.Reset()
	if err := kt.html.ExecuteTemplate(&b, "html", data); err != nil {
		return "", "", "", fmt.Errorf("render %s html: %w", kind, err)
	}
	return subject, text, b.String(), nil
}

// PasswordReset queues the message that carries a password reset link, in
// the user's language, else the provider's, else French. It implements
// auth.Mailer; called inside the transaction that stores the reset token,
// the message exists if and only if the token does.
func (o *Outbox) PasswordReset(ctx context.Context, u user.User, link string) error {
	p, err := o.providers.Get(ctx)
	if err != nil {
		return fmt.Errorf("load provider for mail: %w", err)
	}
	providerName := p.Name
	if providerName == "" {
		providerName = "Vigie"
	}
	name := u.Name
	if name == "" {
		name = u.Email
	}
	data := struct{ Name, Email, Link, Provider string }{name, u.Email, link, providerName}
	subject, text, html, err := o.templates.render("password_reset", language(u.Language, p.Language), data)
	if err != nil {
		return err
	}
	to := (&mail.Address{Name: u.Name, Address: u.Email}).String()
	_, _, err = o.Send(ctx, Message{To: []string{to}, Subject: subject, Text: text, HTML: html, ClientID: u.ClientID})
	return err
}
