// Package alert turns supervision's hard problems into incident tickets of
// the helpdesk and hands the notices that notify to the notifications.
//
// A hard problem of a check whose rules ask for tickets opens an incident
// for the check's client (or adds a private followup to the one already
// open for that check), with a priority from the check's severity and the
// asset's criticality; severity changes, flapping and acknowledgements add
// private followups; a recovery adds one and, when the check says so,
// resolves the ticket. Every text the alerter writes on a ticket links to
// the check event it comes from, which is how a notice delivered twice is
// recognised and left alone.
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Tickets is what the alerter needs of the helpdesk (ticket.Service).
type Tickets interface {
	Create(ctx context.Context, s tenant.Scope, t *ticket.Ticket) error
	Get(ctx context.Context, s tenant.Scope, id int64) (ticket.Ticket, error)
	Timeline(ctx context.Context, s tenant.Scope, id int64) ([]ticket.Followup, []ticket.Event, error)
	Reply(ctx context.Context, s tenant.Scope, id int64, body string, public bool) (ticket.Followup, error)
	Update(ctx context.Context, s tenant.Scope, id int64, c ticket.Change) (ticket.Ticket, error)
	Settings(ctx context.Context) (ticket.Settings, error)
}

// Store is what the alerter needs of supervision's store. Its InTx must be
// the helpdesk's too (one database), so that a ticket and the check's link
// to it are committed together.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Status(ctx context.Context, s tenant.Scope, checkID int64) (supervision.Status, error)
	SetAlertTicket(ctx context.Context, checkID int64, ticketID *int64) error
	Events(ctx context.Context, s tenant.Scope, f supervision.EventFilter) ([]supervision.Event, error)
	// ContractAt and AssetFacts tell whether the asset of an incident is in
	// its client's contract (package contract's perimeter rule).
	ContractAt(ctx context.Context, clientID int64, at time.Time) (c contract.Contract, found bool, err error)
	AssetFacts(ctx context.Context, s tenant.Scope, assetID int64) (contract.AssetFacts, error)
}

// Clients gives the language and time zone of a client.
type Clients interface {
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
}

// Notifier sends the notices that notify through the notification channels
// (package notify). ticketIDs maps a check's id to the incident ticket open
// for it, when there is one. It may be called again with the same notices
// when Alert is retried: the notifier recognises them by their event id.
type Notifier interface {
	Enqueue(ctx context.Context, notices []supervision.Notice, ticketIDs map[int64]int64) error
}

// Options configure an Alerter.
type Options struct {
	// BaseURL is the server's public URL, for the links to the evidence.
	BaseURL string
	// Bundle holds the texts; nil loads the embedded one.
	Bundle *i18n.Bundle
	// Notifier receives the notices that notify; nil sends no notification.
	Notifier Notifier
	Log      *slog.Logger
}

// Alerter is supervision's Alerter: incidents in the helpdesk, then
// notifications.
type Alerter struct {
	store    Store
	tickets  Tickets
	clients  Clients
	notifier Notifier
	bundle   *i18n.Bundle
	base     string
	log      *slog.Logger
}

var _ supervision.Alerter = (*Alerter)(nil)

// New returns an Alerter; store, tickets and clients usually share one
// database (*store.DB and the ticket.Service on it).
func New(store Store, tickets Tickets, clients Clients, opts Options) (*Alerter, error) {
	if opts.Bundle == nil {
		b, err := i18n.Load()
		if err != nil {
			return nil, fmt.Errorf("load texts: %w", err)
		}
		opts.Bundle = b
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Alerter{
		store: store, tickets: tickets, clients: clients, notifier: opts.Notifier,
		bundle: opts.Bundle, base: strings.TrimSuffix(opts.BaseURL, "/"), log: opts.Log,
	}, nil
}

// SetNotifier plugs in the notifications (nil: none).
func (a *Alerter) SetNotifier(n Notifier) { a.notifier = n }

// sys is the scope of background work.
var sys = tenant.System()

// actor names the alerter in ticket timelines and the audit journal.
func actor(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: "supervision", Display: "Supervision"})
}

// Alert acts on committed notices, in order: tickets first, then the
// notices that notify go to the notifier with the tickets open for their
// checks. A notice that cannot be handled is logged and the others go on;
// the error returned joins the failures worth retrying (the database, the
// notifier): calling Alert again with the same notices is safe.
func (a *Alerter) Alert(ctx context.Context, notices []supervision.Notice) error {
	ctx = actor(ctx)
	var retry []error
	var notify []supervision.Notice
	ticketIDs := map[int64]int64{}
	for _, n := range notices {
		if !n.Event.Notify && !n.Owed {
			continue // muted (or a soft change): no ticket, no notification
		}
		notify = append(notify, n)
		if !ticketed(n.Check.Ticket) {
			continue
		}
		id, err := a.handle(ctx, n)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.log.Error("alert: ticket of a check event", "check", n.Check.ID, "event", n.Event.ID, "kind", n.Event.Kind.String(), "err", err)
			if retryable(err) {
				retry = append(retry, fmt.Errorf("ticket for check %d event %d: %w", n.Check.ID, n.Event.ID, err))
			}
			continue
		}
		if id != 0 {
			ticketIDs[n.Check.ID] = id
		} else {
			delete(ticketIDs, n.Check.ID)
		}
	}
	// Notifications go out even when the helpdesk failed: a broken helpdesk
	// must not silence the alerts.
	if a.notifier != nil && len(notify) > 0 {
		if err := a.notifier.Enqueue(ctx, notify, ticketIDs); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			retry = append(retry, fmt.Errorf("enqueue notifications: %w", err))
		}
	}
	return errors.Join(retry...)
}

// ticketed reports whether a check's problems go to the helpdesk.
func ticketed(m supervision.TicketMode) bool {
	return m == supervision.TicketOpen || m == supervision.TicketAutoResolve
}

// retryable reports whether trying again may succeed: not for bad data, a
// missing or forbidden row, which will be just as bad next time.
func retryable(err error) bool {
	var inv *fault.Invalid
	return !errors.As(err, &inv) && !errors.Is(err, fault.ErrNotFound) && !errors.Is(err, fault.ErrForbidden)
}

// acting is what handle knows about one notice once it has read the stored
// state: the check's status, its linked open ticket and how to write.
type acting struct {
	n      supervision.Notice
	status supervision.Status
	// linked is the ticket the status names (after merges), nil if none or
	// of another client.
	linked *ticket.Ticket
	// handledUpTo is the highest event id of this check the linked ticket
	// mentions (0: none); owedDone says the owed notice is on it.
	handledUpTo int64
	owedDone    bool
	w           writer
}

// handle acts on one notice of a ticketed check in one transaction and
// returns the ticket open for the check afterwards (0: none).
func (a *Alerter) handle(ctx context.Context, n supervision.Notice) (int64, error) {
	var out int64
	err := a.store.InTx(ctx, func(ctx context.Context) error {
		ac, ok, err := a.load(ctx, n)
		if err != nil || !ok {
			return err
		}
		out, err = a.act(ctx, ac)
		return err
	})
	return out, err
}

// load reads what a notice acts on: the stored status (not the notice's:
// after a crash the engine may deliver a notice again, and the store says
// what was done), the linked ticket and what it already mentions. ok is
// false when there is nothing to do.
func (a *Alerter) load(ctx context.Context, n supervision.Notice) (acting, bool, error) {
	ac := acting{n: n}
	st, err := a.store.Status(ctx, sys, n.Check.ID)
	if errors.Is(err, fault.ErrNotFound) {
		return ac, false, nil // the check was deleted since
	}
	if err != nil {
		return ac, false, fmt.Errorf("load status: %w", err)
	}
	ac.status = st
	if st.ClientID != n.Check.ClientID || (n.Asset.ID != 0 && (n.Asset.ClientID != n.Check.ClientID || n.Asset.ID != n.Check.AssetID)) {
		a.log.Error("alert: notice of a check does not match its client or asset; ignored",
			"check", n.Check.ID, "client", n.Check.ClientID, "status_client", st.ClientID, "asset", n.Asset.ID, "asset_client", n.Asset.ClientID)
		return ac, false, nil
	}
	if ac.w, err = a.writer(ctx, n.Check.ClientID); err != nil {
		return ac, false, err
	}
	if st.TicketID == nil {
		return ac, true, nil
	}
	t, err := a.linkedTicket(ctx, *st.TicketID, n.Check.ClientID)
	if err != nil || t == nil {
		return ac, true, err
	}
	ac.linked = t
	ac.handledUpTo, ac.owedDone, err = a.mentions(ctx, t, n.Check.ID, n.Event.ID)
	return ac, true, err
}

// writer returns the writer of a client's texts: its language and time zone.
func (a *Alerter) writer(ctx context.Context, clientID int64) (writer, error) {
	c, err := a.clients.Client(ctx, sys, clientID)
	if err != nil {
		return writer{}, fmt.Errorf("load client %d: %w", clientID, err)
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	lang := c.Language
	if !slices.Contains(i18n.Languages, lang) {
		lang = i18n.Default
	}
	return writer{b: a.bundle, lang: lang, loc: loc, base: a.base}, nil
}

// linkedTicket reads the ticket a check links to, following a merge to the
// ticket it went into; nil when it was deleted or belongs to another client
// (the check's asset changed hands): the alerter never writes on a ticket
// of another client.
func (a *Alerter) linkedTicket(ctx context.Context, id, clientID int64) (*ticket.Ticket, error) {
	for range 3 {
		t, err := a.tickets.Get(ctx, sys, id)
		if errors.Is(err, fault.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load ticket %d: %w", id, err)
		}
		if t.ClientID != clientID {
			return nil, nil
		}
		if t.MergedInto == nil {
			return &t, nil
		}
		id = *t.MergedInto
	}
	return nil, nil
}

// mentions reads which events of a check a ticket's texts link to: the
// highest id, and whether the owed notice of event owedID is there.
func (a *Alerter) mentions(ctx context.Context, t *ticket.Ticket, checkID, owedID int64) (int64, bool, error) {
	fs, _, err := a.tickets.Timeline(ctx, sys, t.ID)
	if err != nil {
		return 0, false, fmt.Errorf("load followups of ticket %d: %w", t.ID, err)
	}
	re := regexp.MustCompile(`/supervision/checks/` + strconv.FormatInt(checkID, 10) + `#event-(\d+)(-owed)?\)`)
	var top int64
	owed := false
	scan := func(text string) {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if m[2] != "" {
				owed = owed || id == owedID
				continue
			}
			top = max(top, id)
		}
	}
	scan(t.Description)
	for _, f := range fs {
		scan(f.Body)
	}
	return top, owed, nil
}

// seen reports whether the linked ticket already holds this notice: a
// notice delivered again, or an event older than one the ticket mentions.
func (ac acting) seen() bool {
	if ac.linked == nil || ac.n.Event.ID == 0 {
		return false
	}
	if ac.n.Owed {
		return ac.owedDone
	}
	return ac.n.Event.ID <= ac.handledUpTo
}

// act does what a notice calls for and returns the ticket open for the check.
func (a *Alerter) act(ctx context.Context, ac acting) (int64, error) {
	n := ac.n
	open := ac.linked != nil && ac.linked.Status.Open()
	openID := int64(0)
	if open {
		openID = ac.linked.ID
	}
	if ac.seen() {
		return openID, nil
	}
	switch {
	case n.Owed || n.Event.Kind == check.Problem:
		return a.problem(ctx, ac)
	case n.Event.Kind == check.SeverityChange:
		if !open {
			// The technician closed the ticket while the problem goes on
			// and now it changes: the problem has no incident, open one.
			return a.problem(ctx, ac)
		}
		return openID, a.severityChange(ctx, ac)
	case n.Event.Kind == check.Recovery:
		return a.recovery(ctx, ac)
	case n.Event.Kind == check.FlapStart:
		if !open {
			return 0, nil
		}
		body := ac.w.t("note.flap_start", ac.w.when(n.Event.At), strconv.FormatFloat(ac.status.FlapPercent, 'f', 0, 64), ac.w.state(n.Event.To))
		return openID, a.note(ctx, ac.linked.ID, ac.w.note(n, body))
	case n.Event.Kind == check.FlapStop:
		if !open {
			return 0, nil
		}
		if !ac.status.Problem() && n.Check.Ticket == supervision.TicketAutoResolve {
			// The problem ended while flapping muted the recovery.
			return a.recovery(ctx, ac)
		}
		body := ac.w.t("note.flap_stop", ac.w.when(n.Event.At), ac.w.state(ac.status.State), markdown(ac.status.Output))
		return openID, a.note(ctx, ac.linked.ID, ac.w.note(n, body))
	}
	return openID, nil
}

// problem opens an incident for a hard problem, or adds a followup to the
// one open for the check.
func (a *Alerter) problem(ctx context.Context, ac acting) (int64, error) {
	n := ac.n
	if !ac.status.Problem() {
		// The problem ended before this notice was handled (a notice
		// delivered again after its recovery): no incident for it now.
		if ac.linked != nil && ac.linked.Status.Open() {
			return ac.linked.ID, nil
		}
		return 0, nil
	}
	state := problemState(n.Event.To, ac.status.HardState)
	if n.Owed {
		// The state may have changed while the problem was muted.
		state = problemState(ac.status.HardState, n.Event.To)
	}
	crit := n.Asset.Criticality
	prio := Priority(n.Check.Severity, crit, state)
	if ac.linked != nil && ac.linked.Status.Open() {
		key := "note.problem"
		if n.Owed {
			key = "note.owed"
		}
		body := ac.w.t(key, ac.w.when(n.Event.At), ac.w.state(state), markdown(n.Event.Output))
		raised, err := a.raise(ctx, ac.linked, prio, crit)
		if err != nil {
			return 0, err
		}
		if raised != "" {
			body += "\n\n" + ac.w.t("note.priority_raised", ac.linked.Priority.String(), raised)
		}
		return ac.linked.ID, a.note(ctx, ac.linked.ID, ac.w.note(n, body))
	}
	settings, err := a.tickets.Settings(ctx)
	if err != nil {
		return 0, fmt.Errorf("load helpdesk settings: %w", err)
	}
	impact, urgency := impactUrgency(settings, prio, crit)
	t := ticket.Ticket{
		ClientID: n.Check.ClientID,
		Type:     ticket.TypeIncident,
		Title:    ac.w.title(n, state),
		// Description: see writer.description; the priority shown is the
		// one the helpdesk computes from impact and urgency.
		Impact:   impact,
		Urgency:  urgency,
		AssetIDs: []int64{n.Check.AssetID},
	}
	t.Description = ac.w.description(n, state, settings.PriorityOf(impact, urgency))
	out, err := a.perimeterNote(ctx, ac.w, n)
	if err != nil {
		return 0, err
	}
	if out != "" {
		t.Description = out + "\n\n" + t.Description
	}
	if n.Asset.SiteID != 0 {
		site := n.Asset.SiteID
		t.SiteID = &site
	}
	// No requester: nobody at the client asked, so the helpdesk e-mails
	// nobody there (its notifier writes to the requester only).
	if err := a.tickets.Create(ctx, sys, &t); err != nil {
		return 0, fmt.Errorf("open incident: %w", err)
	}
	id := t.ID
	if err := a.store.SetAlertTicket(ctx, n.Check.ID, &id); err != nil {
		return 0, fmt.Errorf("link check %d to ticket %d: %w", n.Check.ID, id, err)
	}
	a.log.Info("alert: incident opened", "check", n.Check.ID, "ticket", id, "client", n.Check.ClientID, "priority", t.Priority.String())
	return id, nil
}

// perimeterNote is the sentence that opens an incident on an asset outside
// its client's contract (no contract in force, or an asset the perimeter
// does not cover): the helpdesk flags the ticket out of perimeter, with no
// contractual clock, and whoever reads it first should know. "" when the
// asset is covered.
func (a *Alerter) perimeterNote(ctx context.Context, w writer, n supervision.Notice) (string, error) {
	c, found, err := a.store.ContractAt(ctx, n.Check.ClientID, n.Event.At)
	if err != nil {
		return "", fmt.Errorf("find the contract of client %d: %w", n.Check.ClientID, err)
	}
	facts, err := a.store.AssetFacts(ctx, sys, n.Check.AssetID)
	if err != nil {
		return "", fmt.Errorf("read asset %d for the perimeter: %w", n.Check.AssetID, err)
	}
	cov := contract.CoverageOf(c, found, facts)
	if cov.In {
		return "", nil
	}
	return w.b.T(w.lang, "sla_contract.alert_out", w.b.T(w.lang, "sla_contract.reason."+string(cov.Reason.Code))), nil
}

// problemState is the state a problem notice is about: the event's, else
// the stored hard state.
func problemState(to, hard check.State) check.State {
	if to != check.OK {
		return to
	}
	return hard
}

// severityChange records a hard WARNING↔CRITICAL (or UNKNOWN) change on the
// open ticket, raising its priority when it got worse, never lowering it.
func (a *Alerter) severityChange(ctx context.Context, ac acting) error {
	n := ac.n
	prio := Priority(n.Check.Severity, n.Asset.Criticality, n.Event.To)
	raised, err := a.raise(ctx, ac.linked, prio, n.Asset.Criticality)
	if err != nil {
		return err
	}
	key := "note.changed"
	switch {
	case rank(n.Event.To) > rank(n.Event.From):
		key = "note.worse"
	case rank(n.Event.To) < rank(n.Event.From):
		key = "note.better"
	}
	body := ac.w.t(key, ac.w.when(n.Event.At), ac.w.state(n.Event.From), ac.w.state(n.Event.To), markdown(n.Event.Output))
	if raised != "" {
		body += "\n\n" + ac.w.t("note.priority_raised", ac.linked.Priority.String(), raised)
	} else if key != "note.worse" {
		body += "\n\n" + ac.w.t("note.priority_kept", ac.linked.Priority.String())
	}
	return a.note(ctx, ac.linked.ID, ac.w.note(n, body))
}

// rank orders non-OK states by gravity for the wording of a change:
// WARNING below CRITICAL and UNKNOWN.
func rank(s check.State) int {
	if s == check.Warning {
		return 1
	}
	if s == check.OK {
		return 0
	}
	return 2
}

// raise moves an open ticket up to priority p when it is below it (never
// down: a technician's choice or an earlier, worse state stands) and
// returns the new priority's name, "" when unchanged.
func (a *Alerter) raise(ctx context.Context, t *ticket.Ticket, p ticket.Priority, crit string) (string, error) {
	if p >= t.Priority {
		return "", nil
	}
	settings, err := a.tickets.Settings(ctx)
	if err != nil {
		return "", fmt.Errorf("load helpdesk settings: %w", err)
	}
	impact, urgency := impactUrgency(settings, p, crit)
	// Never lower either factor the ticket already has.
	impact, urgency = min(impact, t.Impact), min(urgency, t.Urgency)
	if settings.PriorityOf(impact, urgency) >= t.Priority {
		return "", nil
	}
	u, err := a.tickets.Update(ctx, sys, t.ID, ticket.Change{Impact: &impact, Urgency: &urgency})
	if err != nil {
		return "", fmt.Errorf("raise priority of ticket %d: %w", t.ID, err)
	}
	return u.Priority.String(), nil
}

// recovery records the end of the problem on the linked ticket and, for an
// auto_resolve check, resolves it. An auto_resolve check is unlinked then,
// so that its next problem opens a new incident; an open check keeps the
// link while the technician has the ticket open, so that the problem coming
// back is added to it rather than opening another.
func (a *Alerter) recovery(ctx context.Context, ac acting) (int64, error) {
	n := ac.n
	if ac.linked == nil {
		return 0, nil
	}
	if ac.status.Problem() {
		// A new problem began since this recovery (a notice delivered
		// again late): the link is the new problem's now.
		if ac.linked.Status.Open() {
			return ac.linked.ID, nil
		}
		return 0, nil
	}
	open := ac.linked.Status.Open()
	var body string
	if n.Event.Kind == check.Recovery {
		started, err := a.problemStart(ctx, n)
		if err != nil {
			return 0, err
		}
		body = ac.w.t("note.recovery", ac.w.when(n.Event.At), ac.w.duration(n.Event.At.Sub(started)), markdown(n.Event.Output))
	} else {
		body = ac.w.t("note.recovery_flapping", ac.w.when(n.Event.At), markdown(ac.status.Output))
	}
	auto := n.Check.Ticket == supervision.TicketAutoResolve
	switch {
	case !open:
	case auto:
		body += "\n\n" + ac.w.t("note.auto_resolved")
	default:
		body += "\n\n" + ac.w.t("note.left_open")
	}
	if err := a.note(ctx, ac.linked.ID, ac.w.note(n, body)); err != nil {
		return 0, err
	}
	if open && !auto {
		return ac.linked.ID, nil
	}
	if open {
		resolved := ticket.StatusResolved
		if _, err := a.tickets.Update(ctx, sys, ac.linked.ID, ticket.Change{Status: &resolved}); err != nil {
			return 0, fmt.Errorf("resolve ticket %d: %w", ac.linked.ID, err)
		}
		a.log.Info("alert: incident resolved on recovery", "check", n.Check.ID, "ticket", ac.linked.ID)
	}
	if err := a.store.SetAlertTicket(ctx, n.Check.ID, nil); err != nil {
		return 0, fmt.Errorf("unlink check %d: %w", n.Check.ID, err)
	}
	return 0, nil
}

// problemStart finds when the problem a recovery ends began: its first
// failing result, the soft change that led to the check's latest problem
// event (the recovery's own time if none is kept).
func (a *Alerter) problemStart(ctx context.Context, n supervision.Notice) (time.Time, error) {
	if n.Event.ID == 0 {
		return n.Event.At, nil
	}
	evs, err := a.store.Events(ctx, sys, supervision.EventFilter{CheckID: n.Check.ID, BeforeID: n.Event.ID, Limit: 100})
	if err != nil {
		return time.Time{}, fmt.Errorf("load events of check %d: %w", n.Check.ID, err)
	}
	for i, e := range evs {
		if e.Kind == check.Recovery {
			break
		}
		if e.Kind != check.Problem {
			continue
		}
		start := e.At
		for _, soft := range evs[i+1:] {
			if soft.Kind != check.SoftChange || soft.To == check.OK {
				break
			}
			start = soft.At
			if soft.From == check.OK {
				break
			}
		}
		return start, nil
	}
	return n.Event.At, nil
}

// note adds a private followup to a ticket.
func (a *Alerter) note(ctx context.Context, ticketID int64, body string) error {
	if _, err := a.tickets.Reply(ctx, sys, ticketID, body, false); err != nil {
		return fmt.Errorf("add followup to ticket %d: %w", ticketID, err)
	}
	return nil
}

// Acknowledged records on the incident open for a check that someone
// acknowledged its problem (supervision calls it after Engine.Acknowledge;
// acknowledgements have no event of their own). Nothing happens when no
// ticket is open.
func (a *Alerter) Acknowledged(ctx context.Context, checkID int64, ack check.Ack) error {
	ctx = actor(ctx)
	return a.store.InTx(ctx, func(ctx context.Context) error {
		st, err := a.store.Status(ctx, sys, checkID)
		if errors.Is(err, fault.ErrNotFound) || (err == nil && st.TicketID == nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load status of check %d: %w", checkID, err)
		}
		t, err := a.linkedTicket(ctx, *st.TicketID, st.ClientID)
		if err != nil || t == nil || !t.Status.Open() {
			return err
		}
		w, err := a.writer(ctx, st.ClientID)
		if err != nil {
			return err
		}
		body := w.t("note.ack", markdown(ack.By), w.when(ack.At))
		if c := strings.TrimSpace(ack.Comment); c != "" {
			body += "\n\n" + strings.TrimRight(fence(c), "\n")
		}
		return a.note(ctx, t.ID, body)
	})
}
