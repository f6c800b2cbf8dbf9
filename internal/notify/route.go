package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// FlushArgs is the job that sends the pending alerts of one channel. Gen is
// the channel's flush generation when the job was queued: alerts queued while
// a flush of that generation waits, runs or retries join it (River keeps one
// job per arguments); a flush that is done raises the generation, so that
// alerts queued from then on get a job of their own.
type FlushArgs struct {
	ChannelID int64 `json:"channel_id"`
	Gen       int64 `json:"gen"`
}

// Kind names the job.
func (FlushArgs) Kind() string { return "notify.flush" }

// uniqueStates keep one flush job per channel and generation until it is
// done: a job waiting (or retrying) takes every alert that arrives meanwhile.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateScheduled, rivertype.JobStateRetryable,
}

// Enqueue routes notices to the channels that want them: every notice that
// notifies (Event.Notify, or Owed) and every enabled channel of its client or
// of every client whose rules match get an outbox row, and each channel
// touched gets its flush job, due after the group window unless one is
// already waiting. Everything is written in one transaction (the context's
// when it carries one), so a notice is either queued for all its channels or
// for none. ticketIDs maps a check ID to the incident open for it (its link
// goes in the message); a notice's Status.TicketID is used otherwise. A
// notice handed over again (a retried Alert) is queued once: the outbox keeps
// one row per channel and event ID.
func (svc *Service) Enqueue(ctx context.Context, notices []supervision.Notice, ticketIDs map[int64]int64) error {
	var due []supervision.Notice
	var clientIDs []int64
	for _, n := range notices {
		if !n.Event.Notify && !n.Owed {
			continue
		}
		due = append(due, n)
		if id := noticeClient(n); !slices.Contains(clientIDs, id) {
			clientIDs = append(clientIDs, id)
		}
	}
	if len(due) == 0 {
		return nil
	}
	channels, err := svc.d.Store.NotifyChannelsFor(ctx, clientIDs)
	if err != nil {
		return fmt.Errorf("load notification channels: %w", err)
	}
	if len(channels) == 0 {
		return nil
	}
	now := svc.now()
	clients := map[int64]*clientInfo{}
	var items []Item
	var touched []int64
	for _, n := range due {
		cid := noticeClient(n)
		ci, ok := clients[cid]
		if !ok {
			ci = svc.clientInfo(ctx, cid)
			clients[cid] = ci
		}
		at := n.Event.At
		if n.Owed || at.IsZero() {
			at = now
		}
		var alert *Alert
		for _, ch := range channels {
			if !svc.routes(ctx, ch, n, ci, at) {
				continue
			}
			if alert == nil {
				a := svc.alertOf(n, ci, ticketIDs)
				alert = &a
			}
			items = append(items, Item{ChannelID: ch.ID, ClientID: cid, Status: ItemPending, Alert: *alert, CreatedAt: now})
			if !slices.Contains(touched, ch.ID) {
				touched = append(touched, ch.ID)
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	if svc.d.Queue == nil {
		return errors.New("notify: no job queue")
	}
	slices.Sort(touched)
	return svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		gens, err := svc.d.Store.NotifyFlushGens(ctx, touched)
		if err != nil {
			return err
		}
		if err := svc.d.Store.AddNotifyItems(ctx, items); err != nil {
			return fmt.Errorf("queue notifications: %w", err)
		}
		for _, id := range touched {
			if err := svc.schedule(ctx, id, gens[id], now.Add(svc.d.GroupWindow)); err != nil {
				return err
			}
		}
		return nil
	})
}

// schedule makes sure a flush job for the channel exists, due at the latest
// at (an existing one keeps its own time).
func (svc *Service) schedule(ctx context.Context, channelID, gen int64, at time.Time) error {
	_, err := svc.d.Queue.Insert(ctx, FlushArgs{ChannelID: channelID, Gen: gen}, &river.InsertOpts{
		ScheduledAt: at,
		MaxAttempts: svc.d.MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	})
	if err != nil {
		return fmt.Errorf("schedule notifications of channel %d: %w", channelID, err)
	}
	return nil
}

func noticeClient(n supervision.Notice) int64 {
	switch {
	case n.Check.ClientID != 0:
		return n.Check.ClientID
	case n.Event.ClientID != 0:
		return n.Event.ClientID
	}
	return n.Asset.ClientID
}

// clientInfo is what routing and messages need of a notice's client.
type clientInfo struct {
	name, lang, tz string
	cal            *sla.Calendar // loaded on first use
	calErr         bool
}

func (svc *Service) clientInfo(ctx context.Context, id int64) *clientInfo {
	ci := &clientInfo{lang: "fr", tz: "Europe/Paris"}
	c, err := svc.d.Store.Client(ctx, tenant.System(), id)
	if err != nil {
		// The client's name only decorates the message: send without it.
		svc.d.Log.Warn("load client for notification", "client_id", id, "err", err)
		ci.name = fmt.Sprintf("#%d", id)
		return ci
	}
	ci.name = c.Name
	if c.Language != "" {
		ci.lang = c.Language
	}
	if c.TimeZone != "" {
		ci.tz = c.TimeZone
	}
	return ci
}

// calendar returns the client's business hours: those of its contract in
// force now, else the default ones of the helpdesk.
func (svc *Service) calendar(ctx context.Context, clientID int64, ci *clientInfo) *sla.Calendar {
	if ci.cal != nil || ci.calErr {
		return ci.cal
	}
	text := ticket.DefaultCalendar
	c, found, err := svc.d.Store.ContractAt(ctx, clientID, svc.now())
	switch {
	case err != nil:
		svc.d.Log.Warn("load contract in force for notification", "client_id", clientID, "err", err)
	case found && c.Calendar != "":
		text = c.Calendar
	}
	cal, err := sla.Parse(text)
	if err != nil {
		svc.d.Log.Warn("parse business hours for notification", "client_id", clientID, "err", err)
		if cal, err = sla.Parse(ticket.DefaultCalendar); err != nil {
			ci.calErr = true
			return nil
		}
	}
	ci.cal = cal
	return cal
}

// stateRank orders states by how bad they are for routing: UNKNOWN (the
// check could not tell) sits between WARNING and CRITICAL.
func stateRank(s check.State) int {
	switch s {
	case check.OK:
		return 0
	case check.Warning:
		return 1
	case check.Critical:
		return 3
	}
	return 2
}

// eventOf names what a notice tells.
func eventOf(n supervision.Notice) Event {
	if n.Owed {
		return EventProblem
	}
	switch n.Event.Kind {
	case check.Recovery:
		return EventRecovery
	case check.SeverityChange:
		return EventSeverityChange
	case check.FlapStart:
		return EventFlappingStart
	case check.FlapStop:
		return EventFlappingStop
	}
	return EventProblem
}

// routes reports whether channel ch wants notice n happening at at.
func (svc *Service) routes(ctx context.Context, ch Channel, n supervision.Notice, ci *clientInfo, at time.Time) bool {
	cid := noticeClient(n)
	if ch.ClientID != nil && *ch.ClientID != cid {
		return false
	}
	ev := eventOf(n)
	if ev.Recovery() && !ch.OnRecoveries || !ev.Recovery() && !ch.OnProblems {
		return false
	}
	// A recovery is as bad as the problem it ends, so it reaches whoever
	// heard that problem; a lowered severity reaches whoever heard the higher.
	worst := max(stateRank(n.Event.From), stateRank(n.Event.To))
	if n.Owed {
		worst = max(worst, stateRank(n.Status.HardState))
	}
	if ev == EventFlappingStart || ev == EventFlappingStop {
		// A check going back and forth is worth a warning whatever its
		// state at the moment flapping is detected.
		worst = max(worst, stateRank(check.Warning))
	}
	need := 1
	if ch.MinState == MinCritical {
		need = 3
	}
	if worst < need {
		return false
	}
	switch ch.Hours {
	case HoursBusiness, HoursOff:
		cal := svc.calendar(ctx, cid, ci)
		open := cal == nil || cal.Open(at)
		return open == (ch.Hours == HoursBusiness)
	}
	return true
}

// alertOf renders a notice as an alert.
func (svc *Service) alertOf(n supervision.Notice, ci *clientInfo, ticketIDs map[int64]int64) Alert {
	to, from := n.Event.To, n.Event.From
	if n.Owed {
		to, from = n.Status.HardState, check.OK
	}
	out := n.Event.Output
	if out == "" {
		out = n.Status.Output
	}
	if utf8.RuneCountInString(out) > maxOutput {
		out = string([]rune(out)[:maxOutput]) + "…"
	}
	a := Alert{
		EventID: n.Event.ID, Event: eventOf(n), State: to.String(), Previous: from.String(),
		CheckID: n.Check.ID, CheckName: n.Check.Name, AssetID: n.Asset.ID, AssetName: n.Asset.Name,
		ClientID: noticeClient(n), ClientName: ci.name, ClientLang: ci.lang, ClientTZ: ci.tz,
		Severity: string(n.Check.Severity), Output: out, At: n.Event.At.UTC(),
	}
	if a.CheckID == 0 {
		a.CheckID = n.Event.CheckID
	}
	if a.AssetID == 0 {
		a.AssetID = n.Event.AssetID
	}
	if a.At.IsZero() || n.Owed {
		a.At = svc.now()
	}
	if id, ok := ticketIDs[a.CheckID]; ok && id > 0 {
		a.TicketID = id
	} else if n.Status.TicketID != nil {
		a.TicketID = *n.Status.TicketID
	}
	return a
}
