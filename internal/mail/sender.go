package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/vigie-hq/vigie/internal/config"
)

// Envelope is who a message goes from and to, and which logged message it is.
type Envelope struct {
	ID      int64
	Created time.Time
	From    string
	To      []string
}

// Sender delivers a rendered message.
type Sender interface {
	// Send delivers raw; it returns the file written, for a sender that
	// writes files, else "". An error wrapped by Permanent is not retried.
	Send(ctx context.Context, env Envelope, raw []byte) (path string, err error)
}

// permanentError is a refusal that retrying will not change.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a refusal that retrying will not change.
func Permanent(err error) error { return &permanentError{err: err} }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// SenderOptions tune the SMTP sender.
type SenderOptions struct {
	// Timeout bounds the whole SMTP conversation of one message (default 30 s).
	Timeout time.Duration
	// TLSConfig replaces the default (the system's roots, the host's name).
	TLSConfig *tls.Config
}

// NewSender returns the sender the settings ask for: SMTP when a host is
// set, else .eml files in dataDir/mail.
func NewSender(cfg config.SMTP, dataDir string, opts SenderOptions) (Sender, error) {
	if cfg.Host == "" {
		return NewFileSender(filepath.Join(dataDir, "mail")), nil
	}
	return NewSMTPSender(cfg, opts)
}

// SMTPSender delivers through an SMTP server with go-mail.
type SMTPSender struct {
	client *gomail.Client
}

// NewSMTPSender returns a sender to the server of cfg. TLS "starttls"
// requires STARTTLS (the message is never sent in clear), "tls" is implicit
// TLS, "none" is plain text; authentication, when a user name is set, picks
// the best mechanism the server offers and never sends a password in clear.
func NewSMTPSender(cfg config.SMTP, opts SenderOptions) (*SMTPSender, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	o := []gomail.Option{gomail.WithTimeout(opts.Timeout)}
	if cfg.Port != 0 {
		o = append(o, gomail.WithPort(cfg.Port))
	}
	switch cfg.TLS {
	case "", "starttls":
		o = append(o, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		o = append(o, gomail.WithSSL())
	case "none":
		o = append(o, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp: unknown TLS mode %q", cfg.TLS)
	}
	if opts.TLSConfig != nil {
		o = append(o, gomail.WithTLSConfig(opts.TLSConfig))
	}
	if cfg.Username != "" {
		o = append(o, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, o...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return &SMTPSender{client: c}, nil
}

// Send delivers raw as it was logged, byte for byte. A 5xx answer to the
// sender, a recipient or the message is permanent; anything else
// (connection, TLS, authentication, 4xx) is retried.
func (s *SMTPSender) Send(ctx context.Context, env Envelope, raw []byte) (string, error) {
	sc, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("smtp connect %s: %w", s.client.ServerAddr(), err)
	}
	// go-mail watches ctx only while dialling.
	stop := context.AfterFunc(ctx, func() { _ = sc.Close() })
	defer stop()
	defer func() { _ = s.client.CloseWithSMTPClient(sc) }()
	if err := sc.Mail(env.From); err != nil {
		return "", smtpError("MAIL FROM", err)
	}
	for _, rcpt := range env.To {
		if err := sc.Rcpt(rcpt); err != nil {
			return "", smtpError("RCPT TO", err)
		}
	}
	w, err := sc.Data()
	if err != nil {
		return "", smtpError("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		_ = w.Close()
		return "", fmt.Errorf("smtp write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", smtpError("end of DATA", err)
	}
	return "", nil
}

// smtpError wraps an SMTP command's failure, as Permanent on a 5xx reply.
func smtpError(cmd string, err error) error {
	err = fmt.Errorf("smtp %s: %w", cmd, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

// FileSender writes each message as an RFC 5322 .eml file, for
// installations without an SMTP server (and for development).
type FileSender struct {
	dir string
}

// NewFileSender returns a sender writing into dir.
func NewFileSender(dir string) *FileSender { return &FileSender{dir: dir} }

// Send writes raw to dir/<created>-<id>.eml, readable by its owner only. A
// retry of the same message rewrites the same file.
func (f *FileSender) Send(ctx context.Context, env Envelope, raw []byte) (string, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return "", fmt.Errorf("create mail directory: %w", err)
	}
	name := env.Created.UTC().Format("20060102-150405") + "-" + strconv.FormatInt(env.ID, 10) + ".eml"
	path := filepath.Join(f.dir, name)
	tmp, err := os.CreateTemp(f.dir, ".tmp-*.eml")
	if err != nil {
		return "", fmt.Errorf("write mail file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write mail file: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write mail file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write mail file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write mail file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write mail file: %w", err)
	}
	return path, nil
}
