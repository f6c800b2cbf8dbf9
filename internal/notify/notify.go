// Package notify tells people about supervision problems: it routes the
// notices of the check engine to notification channels (e-mail, generic
// webhook signed with HMAC-SHA256, Slack, Microsoft Teams, Mattermost) by the
// rules of each channel (client, least state, hours, events), keeps them in a
// durable outbox and sends them from a River job per channel that groups a
// storm into one message and holds a rate limit.
//
// An alert reaches a channel at least once: a row of the outbox is marked sent
// only after its message was accepted, so a crash in between sends it again.
package notify

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Kind is how a channel delivers.
type Kind string

// Channel kinds.
const (
	KindEmail      Kind = "email"
	KindWebhook    Kind = "webhook"
	KindSlack      Kind = "slack"
	KindTeams      Kind = "teams"
	KindMattermost Kind = "mattermost"
)

// Kinds lists every kind in display order.
var Kinds = []Kind{KindEmail, KindWebhook, KindSlack, KindTeams, KindMattermost}

// HTTP reports whether the kind posts to a URL.
func (k Kind) HTTP() bool { return k != KindEmail }

// MinState is the least state of a problem a channel hears about.
type MinState string

// Least states.
const (
	// MinWarning: WARNING, UNKNOWN and CRITICAL.
	MinWarning MinState = "warning"
	// MinCritical: CRITICAL only.
	MinCritical MinState = "critical"
)

// MinStates lists every least state.
var MinStates = []MinState{MinWarning, MinCritical}

// Hours says when in the client's week a channel is told.
type Hours string

// Hours of a channel.
const (
	HoursAlways Hours = "always"
	// HoursBusiness: inside the business hours of the client's calendar.
	HoursBusiness Hours = "business"
	// HoursOff: outside them (nights, weekends, holidays: the on-call phone).
	HoursOff Hours = "off_hours"
)

// HoursChoices lists every choice of hours.
var HoursChoices = []Hours{HoursAlways, HoursBusiness, HoursOff}

// Channel is where notifications of one client (or of every client) go.
type Channel struct {
	ID int64 `json:"id"`
	// ClientID nil: every client (only staff who see every client may
	// create such a channel).
	ClientID *int64 `json:"client_id"`
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	// Target is the comma-separated e-mail addresses, or the URL.
	Target string `json:"target"`
	// Secret is the HMAC key of a webhook; it leaves the service in full
	// only when the channel is created (see SecretHint).
	Secret       string   `json:"-"`
	MinState     MinState `json:"min_state"`
	Hours        Hours    `json:"hours"`
	OnProblems   bool     `json:"on_problems"`
	OnRecoveries bool     `json:"on_recoveries"`
	Enabled      bool     `json:"enabled"`
	// LastSentAt and LastError tell how the channel's last message went.
	LastSentAt *time.Time `json:"last_sent_at"`
	LastError  string     `json:"last_error"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// SecretHint is the end of the secret, enough to tell two secrets apart.
func (c Channel) SecretHint() string {
	if len(c.Secret) < 8 {
		return ""
	}
	return "…" + c.Secret[len(c.Secret)-4:]
}

// Event names what an alert tells.
type Event string

// Alert events.
const (
	EventProblem        Event = "problem"
	EventRecovery       Event = "recovery"
	EventSeverityChange Event = "severity_change"
	EventFlappingStart  Event = "flapping_start"
	EventFlappingStop   Event = "flapping_stop"
	EventTest           Event = "test"
)

// Recovery reports whether the event tells that something got better (it
// goes to channels that want recoveries, not problems).
func (e Event) Recovery() bool { return e == EventRecovery || e == EventFlappingStop }

// Alert is one notice as a channel receives it: what the outbox keeps and
// every format renders.
type Alert struct {
	// EventID is the check event told (0 for none): the same event is
	// queued once per channel however often it is handed over.
	EventID    int64     `json:"event_id"`
	Event      Event     `json:"event"`
	State      string    `json:"state"`    // OK, WARNING, CRITICAL, UNKNOWN
	Previous   string    `json:"previous"` // the state before
	CheckID    int64     `json:"check_id"`
	CheckName  string    `json:"check"`
	AssetID    int64     `json:"asset_id"`
	AssetName  string    `json:"asset"`
	ClientID   int64     `json:"client_id"`
	ClientName string    `json:"client"`
	ClientLang string    `json:"client_language"`
	ClientTZ   string    `json:"client_time_zone"`
	Severity   string    `json:"severity"`
	Output     string    `json:"output"`
	At         time.Time `json:"at"`
	TicketID   int64     `json:"ticket_id,omitempty"`
}

// Item is a row of the outbox: an alert for one channel.
type Item struct {
	ID        int64
	ChannelID int64
	ClientID  int64
	Status    ItemStatus
	Alert     Alert
	CreatedAt time.Time
	Error     string
}

// ItemStatus is where an item is in its delivery.
type ItemStatus string

// Item statuses.
const (
	ItemPending ItemStatus = "pending"
	ItemSent    ItemStatus = "sent"
	ItemFailed  ItemStatus = "failed"
)

// Delivery is one message sent to a channel, or refused for good.
type Delivery struct {
	ID        int64     `json:"id"`
	ChannelID int64     `json:"channel_id"`
	SentAt    time.Time `json:"sent_at"`
	Alerts    int       `json:"alerts"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error"`
}

// Activity is what a channel is doing: the alerts waiting for it and its
// latest messages.
type Activity struct {
	Pending    int        `json:"pending"`
	Deliveries []Delivery `json:"deliveries"`
}

// ChannelFilter selects channels.
type ChannelFilter struct {
	ClientID int64 // 0: every visible channel, global ones included
}

// Store keeps channels, the outbox and deliveries. Methods taking a scope
// filter by it in SQL (a channel of a client the scope cannot see, or a
// global channel for a scope limited to some clients, is fault.ErrNotFound);
// the others are for the queue's work.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	CreateNotifyChannel(ctx context.Context, s tenant.Scope, c *Channel) error
	// UpdateNotifyChannel writes every field but the client, the last
	// result and the creation time.
	UpdateNotifyChannel(ctx context.Context, s tenant.Scope, c *Channel) error
	DeleteNotifyChannel(ctx context.Context, s tenant.Scope, id int64) error
	NotifyChannel(ctx context.Context, s tenant.Scope, id int64) (Channel, error)
	NotifyChannels(ctx context.Context, s tenant.Scope, f ChannelFilter) ([]Channel, error)
	// NotifyChannelsFor returns the enabled channels of these clients and
	// the enabled global ones.
	NotifyChannelsFor(ctx context.Context, clientIDs []int64) ([]Channel, error)
	// NotifyChannelResult records how a message to the channel went.
	NotifyChannelResult(ctx context.Context, id int64, at time.Time, lastError string) error

	// NotifyFlushGens returns the flush generation of each channel and
	// locks the channels until the transaction ends.
	NotifyFlushGens(ctx context.Context, ids []int64) (map[int64]int64, error)
	// AcquireNotifyLease takes a channel's flush lease until until (unless
	// another runs at now).
	AcquireNotifyLease(ctx context.Context, id int64, now, until time.Time) (bool, error)
	// ReleaseNotifyLease gives back the lease taken until until.
	ReleaseNotifyLease(ctx context.Context, id int64, until time.Time) error
	// EndNotifyFlush raises the channel's flush generation, gives back the
	// lease and counts the alerts still pending, in that order.
	EndNotifyFlush(ctx context.Context, id int64, until time.Time) (int, error)

	// AddNotifyItems inserts pending items, leaving out those whose
	// Alert.EventID (when not 0) the channel's outbox already has.
	AddNotifyItems(ctx context.Context, items []Item) error
	// PendingNotifyItems returns the oldest pending items of a channel (at
	// most limit) and how many are pending in all.
	PendingNotifyItems(ctx context.Context, channelID int64, limit int) ([]Item, int, error)
	// NotifyItemsDelivered records a delivery and marks the items sent
	// (d.OK) or failed with d.Error; it sets d.ID.
	NotifyItemsDelivered(ctx context.Context, d *Delivery, itemIDs []int64) error
	// NotifyDeliveries returns a channel's deliveries at or after since,
	// oldest first.
	NotifyDeliveries(ctx context.Context, channelID int64, since time.Time) ([]Delivery, error)
	// RecentNotifyDeliveries returns a channel's latest deliveries, newest first.
	RecentNotifyDeliveries(ctx context.Context, channelID int64, limit int) ([]Delivery, error)
	// PendingNotifyChannels returns the channels with an item pending since
	// before.
	PendingNotifyChannels(ctx context.Context, before time.Time) ([]int64, error)
	// PurgeNotify deletes sent and failed items and deliveries older than
	// before, and says how many items went.
	PurgeNotify(ctx context.Context, before time.Time) (int64, error)

	// Client gives the name, language and time zone of a notice's client.
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
	// ContractAt gives the client's contract in force at an instant, whose
	// calendar is the client's business hours.
	ContractAt(ctx context.Context, clientID int64, at time.Time) (c contract.Contract, found bool, err error)
}

// Queue enqueues jobs, in the context's transaction when there is one (job.Queue).
type Queue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Mailer queues an e-mail (mail.Outbox), in the context's transaction.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (int64, string, error)
}

var _ Mailer = (*mail.Outbox)(nil)

// Providers gives the provider's language, for channels of every client.
type Providers interface {
	Get(ctx context.Context) (provider.Provider, error)
}

// Journal records who changed what.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}
