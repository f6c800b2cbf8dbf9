package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Defaults of Deps.
const (
	DefaultGroupWindow = 10 * time.Second
	DefaultRateLimit   = 10
	DefaultRateWindow  = 10 * time.Minute
	DefaultHTTPTimeout = 10 * time.Second
	// Retention of sent and failed alerts and of deliveries.
	Retention = 30 * 24 * time.Hour
	// DefaultMaxAttempts tries a failing receiver for about four hours
	// (River's attempt⁴-second backoff) before the alerts are marked failed.
	DefaultMaxAttempts = 10
)

// Limits of a channel and of a message.
const (
	maxRecipients = 20
	maxURL        = 2000
	// maxPerMessage bounds the alerts one message carries; the rest follow
	// in the next message.
	maxPerMessage = 1000
	// maxLines is how many alerts a grouped message lists in full.
	maxLines  = 20
	maxOutput = 1000
)

// Deps are what the service needs; zero durations and counts take the defaults.
type Deps struct {
	Store Store
	// Queue may be set later with SetQueue (the queue is built after its workers).
	Queue Queue
	// Mail may be set later with SetMailer; nil refuses e-mail channels' sends.
	Mail      Mailer
	Providers Providers // nil: channels of every client speak French
	Journal   Journal
	Messages  *i18n.Bundle // nil: the embedded catalogs
	// BaseURL is Vigie's public URL, for the links to checks and tickets.
	BaseURL string
	Now     func() time.Time
	Log     *slog.Logger
	// GroupWindow is how long the first alert for a channel waits for
	// others to join its message.
	GroupWindow time.Duration
	// RateLimit messages at most per RateWindow and channel; alerts over it
	// wait for the end of the window and go in one message.
	RateLimit  int
	RateWindow time.Duration
	// HTTPTimeout bounds one request to a receiver.
	HTTPTimeout time.Duration
	MaxAttempts int
	// HTTPClient posts to receivers (nil: a client that follows no redirect).
	HTTPClient *http.Client
}

// Service manages notification channels and routes notices to them.
type Service struct {
	d    Deps
	msg  *i18n.Bundle
	http *http.Client
	base string
}

// New returns the service; it fails when the message catalogs do not load.
func New(d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.GroupWindow <= 0 {
		d.GroupWindow = DefaultGroupWindow
	}
	if d.RateLimit <= 0 {
		d.RateLimit = DefaultRateLimit
	}
	if d.RateWindow <= 0 {
		d.RateWindow = DefaultRateWindow
	}
	if d.HTTPTimeout <= 0 {
		d.HTTPTimeout = DefaultHTTPTimeout
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
	svc := &Service{d: d, msg: d.Messages, http: d.HTTPClient, base: strings.TrimRight(d.BaseURL, "/")}
	if svc.msg == nil {
		b, err := i18n.Load()
		if err != nil {
			return nil, fmt.Errorf("notify messages: %w", err)
		}
		svc.msg = b
	}
	if svc.http == nil {
		svc.http = &http.Client{
			Timeout: d.HTTPTimeout,
			// A receiver that moved must be edited: a POST silently turned
			// into a GET elsewhere would lose the alert.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return svc, nil
}

// SetQueue plugs in the job queue once it exists (its workers, this
// service's among them, are registered before it is built).
func (svc *Service) SetQueue(q Queue) { svc.d.Queue = q }

// SetMailer plugs in the mail outbox, which is built on the queue.
func (svc *Service) SetMailer(m Mailer) { svc.d.Mail = m }

func (svc *Service) now() time.Time { return svc.d.Now().UTC().Truncate(time.Microsecond) }

// List returns the channels the scope may see; staff with
// SupervisionWrite only (channels hold addresses and secrets).
func (svc *Service) List(ctx context.Context, s tenant.Scope, f ChannelFilter) ([]Channel, error) {
	if !s.Can(tenant.SupervisionWrite) {
		return nil, fault.ErrForbidden
	}
	return svc.d.Store.NotifyChannels(ctx, s, f)
}

// Get returns one channel.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (Channel, error) {
	if !s.Can(tenant.SupervisionWrite) {
		return Channel{}, fault.ErrForbidden
	}
	return svc.d.Store.NotifyChannel(ctx, s, id)
}

// Activity returns the alerts waiting for a channel and its latest 20 messages.
func (svc *Service) Activity(ctx context.Context, s tenant.Scope, id int64) (Activity, error) {
	if _, err := svc.Get(ctx, s, id); err != nil {
		return Activity{}, err
	}
	var a Activity
	var err error
	if _, a.Pending, err = svc.d.Store.PendingNotifyItems(ctx, id, 0); err != nil {
		return a, err
	}
	if a.Deliveries, err = svc.d.Store.RecentNotifyDeliveries(ctx, id, 20); err != nil {
		return a, err
	}
	return a, nil
}

// Create validates and stores a channel. A webhook without a secret gets a
// generated one, left in c.Secret for the caller to show once.
func (svc *Service) Create(ctx context.Context, s tenant.Scope, c *Channel) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	v := &fault.Invalid{}
	if c.ClientID == nil {
		if !s.AllClients() {
			v.Add("client_id", "required")
		}
	} else if *c.ClientID <= 0 || !s.CanSee(*c.ClientID) {
		v.Add("client_id", "invalid_choice")
	} else if _, err := svc.d.Store.Client(ctx, s, *c.ClientID); errors.Is(err, fault.ErrNotFound) {
		v.Add("client_id", "invalid_choice")
	} else if err != nil {
		return fmt.Errorf("load client of channel: %w", err)
	}
	svc.validate(v, c)
	if err := v.Err(); err != nil {
		return err
	}
	if c.Kind == KindWebhook && c.Secret == "" {
		c.Secret = newSecret()
	}
	c.LastSentAt, c.LastError = nil, ""
	return svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.d.Store.CreateNotifyChannel(ctx, s, c); err != nil {
			return fmt.Errorf("create notification channel: %w", err)
		}
		return svc.d.Journal.Record(ctx, audit.Entry{ClientID: c.ClientID, Action: "notification_channel.create",
			Object: audit.Object("notification_channel", c.ID), Summary: string(c.Kind) + " " + c.Name})
	})
}

// Update validates and saves a channel; its client cannot change. An empty
// Secret keeps the webhook's secret.
func (svc *Service) Update(ctx context.Context, s tenant.Scope, c *Channel) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	return svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.d.Store.NotifyChannel(ctx, s, c.ID)
		if err != nil {
			return err
		}
		c.ClientID, c.CreatedAt, c.LastSentAt, c.LastError = old.ClientID, old.CreatedAt, old.LastSentAt, old.LastError
		if c.Secret == "" && c.Kind == old.Kind {
			c.Secret = old.Secret
		}
		v := &fault.Invalid{}
		svc.validate(v, c)
		if err := v.Err(); err != nil {
			return err
		}
		if c.Kind == KindWebhook && c.Secret == "" {
			c.Secret = newSecret()
		}
		if err := svc.d.Store.UpdateNotifyChannel(ctx, s, c); err != nil {
			return fmt.Errorf("update notification channel %d: %w", c.ID, err)
		}
		summary := audit.Diff(old, *c)
		if c.Secret != old.Secret {
			summary += "; secret changed"
		}
		return svc.d.Journal.Record(ctx, audit.Entry{ClientID: c.ClientID, Action: "notification_channel.update",
			Object: audit.Object("notification_channel", c.ID), Summary: summary})
	})
}

// Delete removes a channel with its pending alerts and its deliveries.
func (svc *Service) Delete(ctx context.Context, s tenant.Scope, id int64) error {
	if !s.Can(tenant.SupervisionWrite) {
		return fault.ErrForbidden
	}
	return svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := svc.d.Store.NotifyChannel(ctx, s, id)
		if err != nil {
			return err
		}
		if err := svc.d.Store.DeleteNotifyChannel(ctx, s, id); err != nil {
			return fmt.Errorf("delete notification channel %d: %w", id, err)
		}
		return svc.d.Journal.Record(ctx, audit.Entry{ClientID: old.ClientID, Action: "notification_channel.delete",
			Object: audit.Object("notification_channel", id), Summary: string(old.Kind) + " " + old.Name})
	})
}

// validate checks every field but the client, normalising the target and
// filling the defaults of empty choices.
func (svc *Service) validate(v *fault.Invalid, c *Channel) {
	c.Name = v.Text("name", c.Name, 100, true, false)
	v.OneOf("kind", string(c.Kind), kindNames()...)
	if c.MinState == "" {
		c.MinState = MinWarning
	}
	v.OneOf("min_state", string(c.MinState), string(MinWarning), string(MinCritical))
	if c.Hours == "" {
		c.Hours = HoursAlways
	}
	v.OneOf("hours", string(c.Hours), string(HoursAlways), string(HoursBusiness), string(HoursOff))
	if !c.OnProblems && !c.OnRecoveries {
		v.Add("events", "required")
	}
	switch {
	case c.Kind == KindEmail:
		c.Target = emailTarget(v, c.Target)
	case c.Kind.HTTP():
		c.Target = urlTarget(v, c.Target)
	}
	if c.Kind != KindWebhook {
		c.Secret = ""
		return
	}
	if c.Secret != "" {
		if len(c.Secret) < 16 || len(c.Secret) > 200 || strings.IndexFunc(c.Secret, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			v.Add("secret", "invalid")
		}
	}
}

func kindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = string(k)
	}
	return out
}

// emailTarget checks comma-separated addresses and returns them as "a, b".
func emailTarget(v *fault.Invalid, s string) string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sub := &fault.Invalid{}
		a := sub.Email("target", part, true)
		if sub.Has("target") {
			v.Add("target", "invalid_email")
			return s
		}
		out = append(out, a)
	}
	switch {
	case len(out) == 0:
		v.Add("target", "required")
	case len(out) > maxRecipients:
		v.Add("target", "too_many", maxRecipients)
	}
	return strings.Join(out, ", ")
}

// urlTarget checks an absolute http or https URL.
func urlTarget(v *fault.Invalid, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		v.Add("target", "required")
		return s
	}
	if len(s) > maxURL {
		v.Add("target", "too_long", maxURL)
		return s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		v.Add("target", "invalid_url")
	}
	return s
}

// newSecret returns 32 random bytes in hex.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Recipients returns the addresses of an e-mail channel.
func (c Channel) Recipients() []string {
	var out []string
	for _, a := range strings.Split(c.Target, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
