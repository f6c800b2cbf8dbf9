package api

import (
	"net/http"

	"github.com/vigie-hq/vigie/internal/notify"
)

// channelInput is the body of POST /notification-channels.
type channelInput struct {
	ClientID     *int64          `json:"client_id" doc:"The client whose alerts the channel receives; null: every client (staff who see every client only)"`
	Name         string          `json:"name" doc:"required"`
	Kind         notify.Kind     `json:"kind" doc:"required;enum=email|webhook|slack|teams|mattermost"`
	Target       string          `json:"target" doc:"required;E-mail addresses separated by commas (at most 20), or the http(s) URL to post to"`
	Secret       string          `json:"secret" doc:"webhook only: the HMAC-SHA256 key, 16 to 200 printable characters; generated when absent and shown in the response only"`
	MinState     notify.MinState `json:"min_state" doc:"enum=warning|critical;warning (WARNING, UNKNOWN and CRITICAL) by default"`
	Hours        notify.Hours    `json:"hours" doc:"enum=always|business|off_hours;always by default; business hours are the client's service-level calendar"`
	OnProblems   *bool           `json:"on_problems" doc:"Send problems, severity changes and flapping starts (true by default)"`
	OnRecoveries *bool           `json:"on_recoveries" doc:"Send recoveries and flapping ends (true by default)"`
	Enabled      *bool           `json:"enabled" doc:"true by default"`
}

// channelPatch is the body of PATCH /notification-channels/{id}.
type channelPatch struct {
	Name         Opt[string]          `json:"name"`
	Kind         Opt[notify.Kind]     `json:"kind" doc:"enum=email|webhook|slack|teams|mattermost"`
	Target       Opt[string]          `json:"target"`
	Secret       Opt[string]          `json:"secret" doc:"webhook only: a new HMAC key; absent keeps the current one"`
	MinState     Opt[notify.MinState] `json:"min_state" doc:"enum=warning|critical"`
	Hours        Opt[notify.Hours]    `json:"hours" doc:"enum=always|business|off_hours"`
	OnProblems   Opt[bool]            `json:"on_problems"`
	OnRecoveries Opt[bool]            `json:"on_recoveries"`
	Enabled      Opt[bool]            `json:"enabled"`
}

// channelTestInput is the body of POST /notification-channels/{id}/test:
// nothing (an empty object or no body at all).
type channelTestInput struct{}

// channelView is a channel as the API shows it: its secret never again in full.
type channelView struct {
	notify.Channel
	SecretHint string `json:"secret_hint" doc:"The last characters of a webhook's secret"`
}

// channelCreated is the response of POST /notification-channels.
type channelCreated struct {
	channelView
	Secret string `json:"secret,omitempty" doc:"webhook only: the HMAC key, shown this once"`
}

func viewChannel(c notify.Channel) channelView {
	return channelView{Channel: c, SecretHint: c.SecretHint()}
}

// notifyEndpoints are the routes of notification channels.
func (a *API) notifyEndpoints() []endpoint {
	idErr := []int{http.StatusForbidden, http.StatusNotFound}
	writeErr := append([]int{http.StatusForbidden, http.StatusNotFound}, bodyErr...)
	return []endpoint{
		{method: "GET", path: "/notification-channels", op: "listNotificationChannels", tag: "supervision",
			summary: "Notification channels of supervision problems the caller may manage (global ones first, then by client), in one page.",
			query:   []param{{name: "client_id", typ: "integer", format: "int64", desc: "Channels of this client only."}},
			result:  channelView{}, page: true, status: 200, errors: append([]int{http.StatusForbidden}, listErr...), handle: a.listChannels},
		{method: "POST", path: "/notification-channels", op: "createNotificationChannel", tag: "supervision",
			summary: "Create a notification channel: e-mail, generic webhook (JSON signed with HMAC-SHA256), Slack, Microsoft Teams or Mattermost (see docs/notifications.md).",
			body:    channelInput{}, result: channelCreated{}, status: 201, errors: append([]int{http.StatusForbidden}, bodyErr...), handle: a.createChannel},
		{method: "GET", path: "/notification-channels/{id}", op: "getNotificationChannel", tag: "supervision", summary: "One notification channel.",
			result: channelView{}, status: 200, errors: idErr, handle: a.getChannel},
		{method: "GET", path: "/notification-channels/{id}/activity", op: "getNotificationChannelActivity", tag: "supervision",
			summary: "The alerts waiting for a channel and its latest 20 messages (sent, or refused with the receiver's answer), newest first.",
			result:  notify.Activity{}, status: 200, errors: idErr, handle: a.channelActivity},
		{method: "PATCH", path: "/notification-channels/{id}", op: "updateNotificationChannel", tag: "supervision",
			summary: "Change a notification channel (JSON merge patch); its client cannot change. A channel turned into a webhook without a secret gets one, in this response only.",
			body:    channelPatch{}, result: channelCreated{}, status: 200, errors: writeErr, handle: a.updateChannel},
		{method: "DELETE", path: "/notification-channels/{id}", op: "deleteNotificationChannel", tag: "supervision",
			summary: "Delete a notification channel with the alerts still waiting for it.", status: 204, errors: idErr, handle: a.deleteChannel},
		{method: "POST", path: "/notification-channels/{id}/test", op: "testNotificationChannel", tag: "supervision",
			summary: "Send a test message to the channel now (e-mail: queue it); a refusal by the receiver is reported in the result, not as an error.",
			body:    channelTestInput{}, result: notify.TestResult{}, status: 200, errors: idErr, handle: a.testChannel},
	}
}

func (a *API) listChannels(c *call) (any, error) {
	q := c.query()
	f := notify.ChannelFilter{ClientID: q.id("client_id")}
	if err := q.err(); err != nil {
		return nil, err
	}
	rows, err := a.d.Notify.List(c.r.Context(), c.scope, f)
	if err != nil {
		return nil, err
	}
	out := make([]channelView, len(rows))
	for i, ch := range rows {
		out[i] = viewChannel(ch)
	}
	return page[channelView]{Data: out}, nil
}

func orTrue(b *bool) bool { return b == nil || *b }

func (a *API) createChannel(c *call) (any, error) {
	var in channelInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ch := notify.Channel{ClientID: in.ClientID, Name: in.Name, Kind: in.Kind, Target: in.Target, Secret: in.Secret,
		MinState: in.MinState, Hours: in.Hours, OnProblems: orTrue(in.OnProblems), OnRecoveries: orTrue(in.OnRecoveries), Enabled: orTrue(in.Enabled)}
	if err := a.d.Notify.Create(c.r.Context(), c.scope, &ch); err != nil {
		return nil, err
	}
	c.location("/notification-channels", ch.ID)
	return channelCreated{channelView: viewChannel(ch), Secret: ch.Secret}, nil
}

func (a *API) channel(c *call) (notify.Channel, error) {
	id, err := c.id("id")
	if err != nil {
		return notify.Channel{}, err
	}
	return a.d.Notify.Get(c.r.Context(), c.scope, id)
}

func (a *API) getChannel(c *call) (any, error) {
	ch, err := a.channel(c)
	if err != nil {
		return nil, err
	}
	return viewChannel(ch), nil
}

func (a *API) updateChannel(c *call) (any, error) {
	ch, err := a.channel(c)
	if err != nil {
		return nil, err
	}
	var p channelPatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	p.Name.apply(&ch.Name)
	p.Target.apply(&ch.Target)
	p.MinState.apply(&ch.MinState)
	p.Hours.apply(&ch.Hours)
	p.OnProblems.apply(&ch.OnProblems)
	p.OnRecoveries.apply(&ch.OnRecoveries)
	p.Enabled.apply(&ch.Enabled)
	// An absent secret keeps the current one (the service keeps it when empty).
	wasWebhook := ch.Kind == notify.KindWebhook
	p.Kind.apply(&ch.Kind)
	ch.Secret = ""
	p.Secret.apply(&ch.Secret)
	if err := a.d.Notify.Update(c.r.Context(), c.scope, &ch); err != nil {
		return nil, err
	}
	out := channelCreated{channelView: viewChannel(ch)}
	if !wasWebhook && ch.Kind == notify.KindWebhook && !p.Secret.Set {
		// A channel that just became a webhook got a generated secret: shown this once.
		out.Secret = ch.Secret
	}
	return out, nil
}

func (a *API) deleteChannel(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return nil, a.d.Notify.Delete(c.r.Context(), c.scope, id)
}

func (a *API) testChannel(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.noBody(); err != nil {
		return nil, err
	}
	return a.d.Notify.Test(c.r.Context(), c.scope, id)
}

func (a *API) channelActivity(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return a.d.Notify.Activity(c.r.Context(), c.scope, id)
}
