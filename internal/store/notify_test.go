package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
)

func TestNotifyStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			t.Run("channels/tenancy", func(t *testing.T) { testNotifyChannelTenancy(t, newTestDB(t, d)) })
			t.Run("outbox/delivered once", func(t *testing.T) { testNotifyOutbox(t, newTestDB(t, d)) })
		})
	}
}

func mkChannel(t *testing.T, db *store.DB, s tenant.Scope, clientID *int64, name string) notify.Channel {
	t.Helper()
	c := notify.Channel{ClientID: clientID, Name: name, Kind: notify.KindWebhook, Target: "https://hooks.example/" + name, Secret: "0123456789abcdef0123",
		MinState: notify.MinWarning, Hours: notify.HoursAlways, OnProblems: true, OnRecoveries: true, Enabled: true}
	ok(t, db.CreateNotifyChannel(t.Context(), s, &c))
	return c
}

func testNotifyChannelTenancy(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	global := mkChannel(t, db, w.manager.Scope(), nil, "global")
	chA := mkChannel(t, db, w.manager.Scope(), &w.A.ID, "alpha")
	chB := mkChannel(t, db, w.manager.Scope(), &w.B.ID, "bravo")
	chanID := func(c notify.Channel) int64 { return c.ID }

	all := must(db.NotifyChannels(ctx, w.manager.Scope(), notify.ChannelFilter{}))(t)
	if got := ids(all, chanID); !slices.Equal(got, []int64{global.ID, chA.ID, chB.ID}) {
		t.Errorf("manager sees %v, want global, A, B %v", got, []int64{global.ID, chA.ID, chB.ID})
	}
	if got := ids(must(db.NotifyChannels(ctx, w.manager.Scope(), notify.ChannelFilter{ClientID: w.B.ID}))(t), chanID); !slices.Equal(got, []int64{chB.ID}) {
		t.Errorf("filter on B = %v", got)
	}
	for name, s := range w.limitedToA() {
		got := ids(must(db.NotifyChannels(ctx, s, notify.ChannelFilter{}))(t), chanID)
		if !slices.Equal(got, []int64{chA.ID}) {
			t.Errorf("%s sees %v, want only A's %d (no global, no B)", name, got, chA.ID)
		}
		for _, id := range []int64{chB.ID, global.ID} {
			_, err := db.NotifyChannel(ctx, s, id)
			wantNotFound(t, name+" reads a foreign channel", err)
			c := chB
			c.ID, c.Name = id, "taken over"
			wantNotFound(t, name+" updates a foreign channel", db.UpdateNotifyChannel(ctx, s, &c))
			wantNotFound(t, name+" deletes a foreign channel", db.DeleteNotifyChannel(ctx, s, id))
		}
		c := notify.Channel{ClientID: &w.B.ID, Name: "sneaky", Kind: notify.KindSlack, Target: "https://x.example", MinState: "warning", Hours: "always", OnProblems: true}
		wantNotFound(t, name+" creates a channel of B", db.CreateNotifyChannel(ctx, s, &c))
		c.ClientID = nil
		wantNotFound(t, name+" creates a global channel", db.CreateNotifyChannel(ctx, s, &c))
	}
	if got := must(db.NotifyChannel(ctx, w.manager.Scope(), chB.ID))(t); got.Name != "bravo" || got.Secret != chB.Secret {
		t.Errorf("channel B after foreign attempts = %+v", got)
	}

	// Update round trip, and the engine's view: enabled channels of the
	// clients asked plus the global ones.
	chA.Enabled, chA.MinState, chA.Hours, chA.OnRecoveries = false, notify.MinCritical, notify.HoursOff, false
	ok(t, db.UpdateNotifyChannel(ctx, w.techA.Scope(), &chA))
	got := must(db.NotifyChannel(ctx, w.techA.Scope(), chA.ID))(t)
	if got.Enabled || got.MinState != notify.MinCritical || got.Hours != notify.HoursOff || got.OnRecoveries || !got.OnProblems {
		t.Errorf("after update: %+v", got)
	}
	for_ := must(db.NotifyChannelsFor(ctx, []int64{w.A.ID}))(t)
	if got := ids(for_, chanID); !slices.Equal(got, []int64{global.ID}) {
		t.Errorf("channels for A = %v, want only the global one (A's is disabled)", got)
	}
	if got := ids(must(db.NotifyChannelsFor(ctx, []int64{w.A.ID, w.B.ID}))(t), chanID); !slices.Equal(got, []int64{global.ID, chB.ID}) {
		t.Errorf("channels for A, B = %v", got)
	}

	at := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	ok(t, db.NotifyChannelResult(ctx, chB.ID, at, ""))
	ok(t, db.NotifyChannelResult(ctx, chB.ID, at.Add(time.Minute), "receiver answered 500"))
	got = must(db.NotifyChannel(ctx, sys, chB.ID))(t)
	if got.LastSentAt == nil || !got.LastSentAt.Equal(at) || got.LastError != "receiver answered 500" {
		t.Errorf("last result = %v %q", got.LastSentAt, got.LastError)
	}

	ok(t, db.DeleteNotifyChannel(ctx, w.techA.Scope(), chA.ID))
	_, err := db.NotifyChannel(ctx, sys, chA.ID)
	wantNotFound(t, "deleted channel", err)
}

func testNotifyOutbox(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t, db)
	ch := mkChannel(t, db, sys, &w.A.ID, "alpha")
	other := mkChannel(t, db, sys, &w.A.ID, "other")
	base := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	var items []notify.Item
	for i := range 450 { // more than one INSERT chunk
		items = append(items, notify.Item{ChannelID: ch.ID, ClientID: w.A.ID, CreatedAt: base,
			Alert: notify.Alert{Event: notify.EventProblem, State: "CRITICAL", CheckID: int64(i + 1), CheckName: "Disk /", ClientName: "Alpha SARL", At: base}})
	}
	items = append(items, notify.Item{ChannelID: other.ID, ClientID: w.A.ID, CreatedAt: base.Add(time.Hour), Alert: notify.Alert{Event: notify.EventRecovery, State: "OK"}})
	ok(t, db.AddNotifyItems(ctx, items))

	got, total, err := db.PendingNotifyItems(ctx, ch.ID, 100)
	ok(t, err)
	if total != 450 || len(got) != 100 || got[0].Alert.CheckID != 1 || got[99].Alert.CheckID != 100 || got[0].Alert.CheckName != "Disk /" || !got[0].Alert.At.Equal(base) {
		t.Fatalf("pending = %d rows of %d, first %+v", len(got), total, got[0])
	}
	if pend := must(db.PendingNotifyChannels(ctx, base.Add(time.Minute)))(t); !slices.Equal(pend, []int64{ch.ID}) {
		t.Errorf("channels pending before base+1m = %v, want only %d", pend, ch.ID)
	}

	first := make([]int64, len(got))
	for i, it := range got {
		first[i] = it.ID
	}
	d := notify.Delivery{ChannelID: ch.ID, SentAt: base.Add(10 * time.Second), Alerts: len(first), OK: true}
	ok(t, db.NotifyItemsDelivered(ctx, &d, first))
	if d.ID == 0 {
		t.Error("delivery has no id")
	}
	// A second delivery of the same rows (a retried job) changes nothing.
	d2 := notify.Delivery{ChannelID: ch.ID, SentAt: base.Add(20 * time.Second), Alerts: len(first), OK: false, Error: "late failure"}
	ok(t, db.NotifyItemsDelivered(ctx, &d2, first))
	_, total, err = db.PendingNotifyItems(ctx, ch.ID, 0)
	ok(t, err)
	if total != 350 {
		t.Errorf("pending after one delivery = %d, want 350", total)
	}
	var sent, failed int
	ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM notification_outbox WHERE status = 'sent'`).Scan(&sent))
	ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM notification_outbox WHERE status = 'failed'`).Scan(&failed))
	if sent != 100 || failed != 0 {
		t.Errorf("sent %d failed %d, want 100 and 0: a sent alert must stay sent", sent, failed)
	}
	// The other channel's rows are untouched by this channel's delivery.
	if _, n, _ := db.PendingNotifyItems(ctx, other.ID, 0); n != 1 {
		t.Errorf("other channel pending = %d", n)
	}
	ds := must(db.NotifyDeliveries(ctx, ch.ID, base.Add(15*time.Second)))(t)
	if len(ds) != 1 || ds[0].OK || ds[0].Error != "late failure" {
		t.Errorf("deliveries since +15s = %+v", ds)
	}
	ds = must(db.NotifyDeliveries(ctx, ch.ID, base))(t)
	if len(ds) != 2 || !ds[0].OK || !ds[0].SentAt.Equal(base.Add(10*time.Second)) {
		t.Errorf("deliveries since base = %+v", ds)
	}
	// Purge: sent rows and deliveries before the cut go, pending rows stay.
	n, err := db.PurgeNotify(ctx, base.Add(time.Minute))
	ok(t, err)
	if n != 100 {
		t.Errorf("purged %d alerts, want the 100 sent", n)
	}
	if _, total, _ := db.PendingNotifyItems(ctx, ch.ID, 0); total != 350 {
		t.Errorf("pending after purge = %d, want 350", total)
	}
	if ds := must(db.NotifyDeliveries(ctx, ch.ID, base))(t); len(ds) != 0 {
		t.Errorf("deliveries after purge = %+v", ds)
	}
	// Deleting the channel takes its outbox and deliveries.
	ok(t, db.DeleteNotifyChannel(ctx, sys, ch.ID))
	var left int
	ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM notification_outbox`).Scan(&left))
	if left != 1 {
		t.Errorf("outbox rows left = %d, want the other channel's 1", left)
	}
}
