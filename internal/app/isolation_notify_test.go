package app_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// kindChannel is a notification channel of the target client (an e-mail
// channel: its test message is queued, nothing leaves the machine).
const kindChannel kind = "notification-channel"

func init() {
	kindBySegment["notification-channels"] = kindChannel
	kindBySegment["channels"] = kindChannel
	write := tenant.SupervisionWrite
	for pattern, sp := range map[string]spec{
		"GET /api/v1/notification-channels":               {action: write},
		"POST /api/v1/notification-channels":              {action: write, target: true, bodyTarget: true, body: apiNewChannel},
		"GET /api/v1/notification-channels/{id}":          {action: write, target: true},
		"PATCH /api/v1/notification-channels/{id}":        {action: write, target: true, body: jsonBody(`{"name":"Matrix channel %d"}`)},
		"GET /api/v1/notification-channels/{id}/activity": {action: write, target: true},
		"DELETE /api/v1/notification-channels/{id}":       {action: write, target: true},
		"POST /api/v1/notification-channels/{id}/test":    {action: write, target: true},
		"GET /supervision/channels":                       {action: write},
		"POST /supervision/channels":                      {action: write, target: true, bodyTarget: true, body: webNewChannel},
		"GET /supervision/channels/{id}":                  {action: write, target: true},
		"POST /supervision/channels/{id}":                 {action: write, target: true, body: webEditChannel},
		"POST /supervision/channels/{id}/delete":          {action: write, target: true},
		"POST /supervision/channels/{id}/test":            {action: write, target: true},
	} {
		specs[pattern] = sp
	}
}

// newChannel makes an e-mail channel of the tenant's client.
func (m *matrix) newChannel(t *testing.T, d *tenantData, name string) int64 {
	t.Helper()
	id := d.client.ID
	c := notify.Channel{ClientID: &id, Name: name, Kind: notify.KindEmail, Target: "oncall@matrix.example", OnProblems: true, OnRecoveries: true, Enabled: true}
	if err := m.s.App.Notify.Create(m.s.Ctx(), tenant.System(), &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// substituteNotify returns the channel for a call, a fresh one for a route that deletes.
func (m *matrix) substituteNotify(t *testing.T, k kind, x *attempt, destructive bool) (int64, bool) {
	t.Helper()
	if k != kindChannel {
		return 0, false
	}
	if destructive {
		return m.newChannel(t, x.target, fmt.Sprintf("Disposable channel %d", x.n)), true
	}
	return x.target.sup.channel, true
}

// notifySnapshot is every channel, for "a refused call changes nothing".
func (m *matrix) notifySnapshot(t *testing.T) []notify.Channel {
	t.Helper()
	cs, err := m.s.App.Notify.List(m.s.Ctx(), tenant.System(), notify.ChannelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func apiNewChannel(_ *matrix, x *attempt) any {
	return map[string]any{"client_id": x.target.client.ID, "name": fmt.Sprintf("Matrix channel %d", x.n), "kind": "email",
		"target": fmt.Sprintf("matrix%d@matrix.example", x.n)}
}

func webNewChannel(_ *matrix, x *attempt) any {
	return url.Values{"client_id": {strconv.FormatInt(x.target.client.ID, 10)}, "name": {fmt.Sprintf("Matrix channel %d", x.n)},
		"kind": {"email"}, "target": {fmt.Sprintf("matrix%d@matrix.example", x.n)}, "min_state": {"warning"}, "hours": {"always"},
		"events": {"problems", "recoveries"}, "enabled": {"1"}}
}

func webEditChannel(_ *matrix, x *attempt) any {
	return url.Values{"name": {fmt.Sprintf("Matrix channel %d", x.n)}, "kind": {"email"}, "target": {"oncall@matrix.example"},
		"min_state": {"critical"}, "hours": {"always"}, "events": {"problems"}, "enabled": {"1"}}
}
