package contract

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Quota is what a warning is about.
type Quota string

// Quotas of a contract.
const (
	QuotaSupport Quota = "support" // support time (per month or in the pack)
	QuotaOnSite  Quota = "onsite"  // on-site interventions per month
)

// Warning records that a contract's consumption reached a level in a
// period: written once per contract, quota, period and level, so that the
// e-mails go out once.
type Warning struct {
	ID         int64 `json:"id"`
	ContractID int64 `json:"contract_id"`
	Kind       Quota `json:"kind"`
	// PeriodStart is the first day of the period (the month, or the
	// pack's start), a date (UTC midnight) read in the client's zone.
	PeriodStart time.Time `json:"period_start"`
	Level       Level     `json:"level"`
	// Consumed and Included are seconds (support) or interventions (onsite).
	Consumed int64 `json:"consumed"`
	Included int64 `json:"included"`
	// Recipients is how many e-mails were queued.
	Recipients int       `json:"recipients"`
	Created    time.Time `json:"created_at"`
}

// Recipient is someone a warning is e-mailed to.
type Recipient struct {
	Name, Email, Language string
}

// WarningStore keeps the warnings; *store.DB implements it.
type WarningStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// RecordWarning writes w unless its contract, kind, period and level
	// already have a warning; recorded says whether it was written.
	RecordWarning(ctx context.Context, w *Warning) (recorded bool, err error)
	SetWarningRecipients(ctx context.Context, id int64, n int) error
	// Warnings lists a contract's warnings the scope may see, newest first.
	Warnings(ctx context.Context, s tenant.Scope, contractID int64) ([]Warning, error)
	// WarningRecipients returns the staff who may change the client's
	// contracts and the contacts who receive the contract's reports.
	WarningRecipients(ctx context.Context, clientID, contractID int64) (staff, contacts []Recipient, err error)
}

// Sender queues an e-mail in the context's transaction (mail.Outbox).
type Sender interface {
	Send(ctx context.Context, m mail.Message) (int64, string, error)
}

// Providers returns the provider's settings (its name signs the mails).
type Providers interface {
	Get(ctx context.Context) (provider.Provider, error)
}

// Warner warns when a contract in force reaches 80 % or 100 % of its
// support time or on-site quota. Check runs every minute (Run): a time
// entry saved, edited or moved is seen within a minute, whatever path
// saved it. At 80 % the staff who manage the client's contracts are
// warned; at 100 % the contract's report recipients too, since further
// work is billed on top.
type Warner struct {
	svc       *Service
	store     WarningStore
	out       Sender
	providers Providers
	baseURL   string
	now       func() time.Time
	log       *slog.Logger
}

// NewWarner returns a Warner; now nil is time.Now, log nil discards.
func NewWarner(svc *Service, store WarningStore, out Sender, providers Providers, baseURL string, now func() time.Time, log *slog.Logger) *Warner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Warner{svc: svc, store: store, out: out, providers: providers, baseURL: strings.TrimSuffix(baseURL, "/"), now: now, log: log}
}

// Warnings lists a contract's warnings the scope may read, newest first.
func (svc *Service) Warnings(ctx context.Context, s tenant.Scope, contractID int64) ([]Warning, error) {
	ws, ok := svc.store.(WarningStore)
	if !ok {
		return nil, errors.New("contract store does not keep warnings")
	}
	if _, err := svc.Get(ctx, s, contractID); err != nil {
		return nil, err
	}
	return ws.Warnings(ctx, s, contractID)
}

// Run checks every interval (a minute when 0) until ctx ends.
func (w *Warner) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("check contract usage", "err", err)
		} else if n > 0 {
			w.log.Info("contract usage warnings", "new", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// levelsUpTo lists the warning levels reached at level l, lowest first.
func levelsUpTo(l Level) []Level {
	switch l {
	case LevelWarning:
		return []Level{LevelWarning}
	case LevelExhausted:
		return []Level{LevelWarning, LevelExhausted}
	}
	return nil
}

// Check reads the usage of every contract in force now and records and
// e-mails each level newly reached; it returns how many warnings it
// recorded. A level reached together with a lower one (a jump from 70 %
// to 100 %) is one e-mail, at the higher level.
func (w *Warner) Check(ctx context.Context) (int, error) {
	at := w.now()
	us, err := w.svc.UsageAll(ctx, tenant.System(), at)
	if err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, u := range us {
		y, m, _ := u.From.Date() // From is in the client's zone
		if u.Mode != SupportPack {
			// Monthly: the month, even when the contract starts within it.
			y, m, _ = at.In(u.From.Location()).Date()
		}
		supportStart := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		if u.Mode == SupportPack {
			supportStart = Day(u.From, u.From.Location())
		}
		my, mm, _ := at.In(u.From.Location()).Date()
		checks := []Warning{
			{ContractID: u.ContractID, Kind: QuotaSupport, PeriodStart: supportStart, Level: u.SupportLevel,
				Consumed: int64(u.Support / time.Second), Included: int64(u.Included / time.Second)},
			{ContractID: u.ContractID, Kind: QuotaOnSite, PeriodStart: time.Date(my, mm, 1, 0, 0, 0, 0, time.UTC), Level: u.OnSiteLevel,
				Consumed: int64(u.OnSite), Included: int64(u.OnSiteIncluded)},
		}
		for _, c := range checks {
			n, err := w.warn(ctx, u, c)
			if err != nil {
				// One contract's failure (a mail that cannot be queued) must
				// not hold back the others' warnings: retried next minute.
				errs = append(errs, fmt.Errorf("warn contract %d: %w", u.ContractID, err))
				continue
			}
			total += n
		}
	}
	return total, errors.Join(errs...)
}

// warn records the levels up to c.Level not yet recorded and, when any
// was new, queues the e-mails of the highest, in one transaction.
func (w *Warner) warn(ctx context.Context, u Usage, c Warning) (int, error) {
	levels := levelsUpTo(c.Level)
	if len(levels) == 0 {
		return 0, nil
	}
	n := 0
	err := w.store.InTx(ctx, func(ctx context.Context) error {
		n = 0
		var last *Warning
		for _, l := range levels {
			rec := c
			rec.Level, rec.Created = l, w.now().UTC()
			ok, err := w.store.RecordWarning(ctx, &rec)
			if err != nil {
				return err
			}
			if ok {
				n++
				last = &rec
			}
		}
		if last == nil {
			return nil
		}
		sent, err := w.mail(ctx, u, *last)
		if err != nil {
			return err
		}
		return w.store.SetWarningRecipients(ctx, last.ID, sent)
	})
	return n, err
}

// mail queues a warning's e-mails; it returns how many.
func (w *Warner) mail(ctx context.Context, u Usage, wr Warning) (int, error) {
	staff, contacts, err := w.store.WarningRecipients(ctx, u.ClientID, u.ContractID)
	if err != nil {
		return 0, err
	}
	cl, err := w.svc.store.Client(ctx, tenant.System(), u.ClientID)
	if err != nil {
		return 0, fmt.Errorf("load client %d: %w", u.ClientID, err)
	}
	p, err := w.providers.Get(ctx)
	if err != nil {
		return 0, fmt.Errorf("load provider: %w", err)
	}
	type target struct {
		r      Recipient
		client bool
	}
	var to []target
	for _, r := range staff {
		to = append(to, target{r: r})
	}
	if wr.Level == LevelExhausted {
		for _, r := range contacts {
			to = append(to, target{r: r, client: true})
		}
	}
	sent := 0
	for _, t := range to {
		lang := t.r.Language
		if _, ok := warningText[lang]; !ok {
			lang = p.Language
		}
		if _, ok := warningText[lang]; !ok {
			lang = "fr"
		}
		subject, body := warningMessage(lang, p.Name, cl.Name, t.r.Name, u, wr, w.baseURL, t.client)
		m := mail.Message{
			To: []string{(&netmail.Address{Name: t.r.Name, Address: t.r.Email}).String()}, Subject: subject, Text: body,
			Headers: map[string]string{"Auto-Submitted": "auto-generated", "X-Vigie-Contract": strconv.FormatInt(u.ContractID, 10)},
		}
		if t.client {
			id := u.ClientID
			m.ClientID = &id
		}
		if _, _, err := w.out.Send(ctx, m); err != nil {
			return sent, fmt.Errorf("queue usage warning: %w", err)
		}
		sent++
	}
	return sent, nil
}

// warningText holds the e-mail's sentences per language.
var warningText = map[string]map[string]string{
	"fr": {
		"subject_support_warning_80":    "%s — contrat %s : %d %% des heures de support consommées",
		"subject_support_exhausted_100": "%s — contrat %s : heures de support épuisées",
		"subject_onsite_warning_80":     "%s — contrat %s : %d %% des interventions sur site du mois",
		"subject_onsite_exhausted_100":  "%s — contrat %s : quota d'interventions sur site atteint",
		"support":                       "Heures de support consommées : %s sur %s (%d %%), période du %s.",
		"onsite":                        "Interventions sur site ce mois : %d sur %d (%d %%).",
		"exhausted_staff":               "Le quota est atteint : les interventions suivantes seront facturées en sus.",
		"exhausted_client":              "Le quota prévu par votre contrat est atteint : les interventions suivantes seront facturées en sus. Votre interlocuteur reste à votre disposition.",
		"warning":                       "Le seuil d'alerte de 80 % est franchi.",
		"link":                          "Détail : %s",
		"greeting":                      "Bonjour %s,",
	},
	"en": {
		"subject_support_warning_80":    "%s — contract %s: %d %% of support hours used",
		"subject_support_exhausted_100": "%s — contract %s: support hours used up",
		"subject_onsite_warning_80":     "%s — contract %s: %d %% of this month's on-site interventions",
		"subject_onsite_exhausted_100":  "%s — contract %s: on-site quota reached",
		"support":                       "Support hours used: %s of %s (%d %%), period from %s.",
		"onsite":                        "On-site interventions this month: %d of %d (%d %%).",
		"exhausted_staff":               "The quota is reached: further interventions are billed on top.",
		"exhausted_client":              "The quota of your contract is reached: further interventions will be billed on top. Your contact person remains at your disposal.",
		"warning":                       "The 80 % warning threshold is crossed.",
		"link":                          "Details: %s",
		"greeting":                      "Hello %s,",
	},
}

// warningMessage writes a warning's subject and plain-text body.
func warningMessage(lang, providerName, clientName, name string, u Usage, wr Warning, baseURL string, toClient bool) (subject, body string) {
	t := warningText[lang]
	if providerName == "" {
		providerName = "Vigie"
	}
	pct := u.SupportPercent()
	if wr.Kind == QuotaOnSite {
		pct = u.OnSitePercent()
	}
	key := "subject_" + string(wr.Kind) + "_" + string(wr.Level)
	if wr.Level == LevelWarning {
		subject = fmt.Sprintf(t[key], clientName, u.Reference, pct)
	} else {
		subject = fmt.Sprintf(t[key], clientName, u.Reference)
	}
	var b strings.Builder
	fmt.Fprintf(&b, t["greeting"]+"\n\n", name)
	if wr.Kind == QuotaSupport {
		day := Day(u.From, u.From.Location()).Format("02/01/2006")
		if lang == "en" {
			day = Day(u.From, u.From.Location()).Format(time.DateOnly)
		}
		fmt.Fprintf(&b, t["support"]+"\n", HoursText(u.Support), HoursText(u.Included), pct, day)
	} else {
		fmt.Fprintf(&b, t["onsite"]+"\n", u.OnSite, u.OnSiteIncluded, pct)
	}
	switch {
	case wr.Level == LevelWarning:
		b.WriteString(t["warning"] + "\n")
	case toClient:
		b.WriteString(t["exhausted_client"] + "\n")
	default:
		b.WriteString(t["exhausted_staff"] + "\n")
	}
	if baseURL != "" {
		fmt.Fprintf(&b, "\n"+t["link"]+"\n", baseURL+"/contracts/"+strconv.FormatInt(u.ContractID, 10))
	}
	b.WriteString("\n-- \n" + providerName + "\n")
	return subject, b.String()
}

// HoursText writes a duration as hours and minutes: "8 h 30", "10 h",
// "0 h 05"; seconds are dropped.
func HoursText(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	s := strconv.FormatInt(h, 10) + " h"
	if m > 0 {
		s += fmt.Sprintf(" %02d", m)
	}
	if neg {
		s = "-" + s
	}
	return s
}
