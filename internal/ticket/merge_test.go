package ticket_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestMerge(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		dup := e.create(t, e.adminA, ticket.Ticket{ClientID: e.A.ID, Title: "Imprimante HS", Description: "Elle clignote orange."})
		e.reply(t, e.adminA, dup.ID, "Toujours en panne ce matin.", true)
		ctx, s := e.as(t, e.techA)
		if err := e.svc.LogTime(ctx, s, dup.ID, &ticket.TimeEntry{Start: e.now, Duration: 15 * time.Minute, Billable: true}); err != nil {
			t.Fatal(err)
		}
		target := e.create(t, e.carlU, ticket.Ticket{ClientID: e.A.ID, Title: "Impression impossible"})
		other := e.create(t, e.adminB, ticket.Ticket{ClientID: e.B.ID, Title: "Autre client"})

		// Refusals change nothing.
		for _, tc := range []struct {
			name string
			to   int64
		}{
			{"into itself", dup.ID},
			{"into another client's ticket", other.ID},
			{"into a missing ticket", 99999},
		} {
			_, err := e.svc.Merge(ctx, s, dup.ID, tc.to)
			wantInvalid(t, tc.name, err, "target_id")
		}
		actx, as := e.as(t, e.adminA)
		if _, err := e.svc.Merge(actx, as, dup.ID, target.ID); err == nil {
			t.Error("a client admin merged tickets")
		}
		if got := e.get(t, dup.ID); got.MergedInto != nil || got.Status == ticket.StatusClosed {
			t.Fatalf("a refused merge changed the duplicate: %+v", got)
		}

		merged, err := e.svc.Merge(ctx, s, dup.ID, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		if merged.ID != target.ID {
			t.Errorf("Merge returned #%d, want the target #%d", merged.ID, target.ID)
		}
		src := e.get(t, dup.ID)
		if src.MergedInto == nil || *src.MergedInto != target.ID || src.Status != ticket.StatusClosed {
			t.Errorf("duplicate after merge: merged into %v, status %s", src.MergedInto, src.Status)
		}
		fs, events, err := e.svc.Timeline(ctx, s, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, f := range fs {
			bodies = append(bodies, f.Body)
		}
		if !slices.Contains(bodies, "Toujours en panne ce matin.") || !slices.ContainsFunc(bodies, func(b string) bool {
			return b == "**#"+itoa(dup.ID)+" — Imprimante HS**\n\nElle clignote orange."
		}) {
			t.Errorf("target followups = %q", bodies)
		}
		if !slices.ContainsFunc(events, func(ev ticket.Event) bool { return ev.Kind == "merged_from" && ev.To == itoa(dup.ID) }) {
			t.Errorf("no merged_from event on the target: %+v", events)
		}
		entries, err := e.svc.TimeEntries(ctx, s, target.ID)
		if err != nil || len(entries) != 1 {
			t.Errorf("time entries of the target: %v, %v", entries, err)
		}
		// The duplicate's opener watches the target now.
		ws, err := e.svc.Watchers(ctx, s, target.ID)
		if err != nil || len(ws) != 1 || ws[0].UserID != e.adminA.ID {
			t.Errorf("watchers of the target = %+v, %v", ws, err)
		}
		// The search finds the target by the duplicate's followup, not the duplicate.
		list, _, err := e.svc.List(ctx, s, ticket.Filter{Query: "toujours panne", Limit: 10})
		if err != nil || len(list) != 1 || list[0].ID != target.ID {
			t.Errorf("search after merge = %+v, %v", list, err)
		}
		// A merged ticket cannot be merged again, nor receive merges.
		_, err = e.svc.Merge(ctx, s, dup.ID, target.ID)
		wantInvalid(t, "merged twice", err, "target_id")
		third := e.create(t, e.adminA, ticket.Ticket{ClientID: e.A.ID})
		_, err = e.svc.Merge(ctx, s, third.ID, dup.ID)
		wantInvalid(t, "into a merged ticket", err, "target_id")
	})
}

// watchMail records what watchers are told.
type watchMail struct {
	mu  sync.Mutex
	got []string // "followup:<body>:<user ids>" or "resolved:<user ids>"
}

func (w *watchMail) WatchedFollowup(_ context.Context, _ ticket.Ticket, f ticket.Followup, to []ticket.Watcher) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, "followup:"+f.Body+":"+ids(to))
	return nil
}

func (w *watchMail) WatchedResolved(_ context.Context, _ ticket.Ticket, to []ticket.Watcher) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, "resolved:"+ids(to))
	return nil
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func ids(ws []ticket.Watcher) string {
	s := ""
	for _, w := range ws {
		s += itoa(w.UserID) + ","
	}
	return s
}

func TestWatchers(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		mail := &watchMail{}
		e.svc.SetWatcherNotifier(mail)
		tk := e.create(t, e.carlU, ticket.Ticket{ClientID: e.A.ID})
		// The client admin watches; the manager adds Tina; Tina cannot see B's tickets.
		actx, as := e.as(t, e.adminA)
		if err := e.svc.Watch(actx, as, tk.ID, e.adminA.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Watch(actx, as, tk.ID, e.techA.ID); err == nil {
			t.Error("a client admin added a watcher other than itself")
		}
		mctx, ms := e.as(t, e.manager)
		if err := e.svc.Watch(mctx, ms, tk.ID, e.techA.ID); err != nil {
			t.Fatal(err)
		}
		tkB := e.create(t, e.adminB, ticket.Ticket{ClientID: e.B.ID})
		wantInvalid(t, "technician of another client", e.svc.Watch(mctx, ms, tkB.ID, e.techA.ID), "user_id")
		dctx, ds := e.as(t, e.doraU)
		wantNotFound(t, "client user watching another's ticket", e.svc.Watch(dctx, ds, tk.ID, e.doraU.ID))

		// A public reply by the manager reaches both; a private note only
		// staff; Tina's own note reaches nobody but others.
		e.reply(t, e.manager, tk.ID, "On regarde.", true)
		e.reply(t, e.manager, tk.ID, "Note interne", false)
		e.reply(t, e.techA, tk.ID, "Note de Tina", false)
		both := itoa(e.adminA.ID) + "," + itoa(e.techA.ID) + ","
		if e.adminA.Name > e.techA.Name {
			both = itoa(e.techA.ID) + "," + itoa(e.adminA.ID) + ","
		}
		want := []string{"followup:On regarde.:" + both, "followup:Note interne:" + itoa(e.techA.ID) + ","}
		if !slices.Equal(mail.got, want) {
			t.Errorf("watch mail = %q, want %q", mail.got, want)
		}
		mail.got = nil
		e.update(t, e.techA, tk.ID, ticket.Change{Status: ptr(ticket.StatusResolved)})
		if !slices.Equal(mail.got, []string{"resolved:" + itoa(e.adminA.ID) + ","}) {
			t.Errorf("resolution mail = %q", mail.got)
		}
		// Unwatch: oneself; not someone else unless working on the ticket.
		if err := e.svc.Unwatch(actx, as, tk.ID, e.techA.ID); err == nil {
			t.Error("a client admin removed a staff watcher")
		}
		if err := e.svc.Unwatch(actx, as, tk.ID, e.adminA.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, "unwatch twice", e.svc.Unwatch(actx, as, tk.ID, e.adminA.ID))
		ws, err := e.svc.Watchers(mctx, ms, tk.ID)
		if err != nil || len(ws) != 1 || ws[0].UserID != e.techA.ID || !ws[0].Staff {
			t.Errorf("watchers = %+v, %v", ws, err)
		}
	})
}

func TestTicketAssets(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx, s := e.as(t, e.manager)
		mk := func(clientID int64, name string) int64 {
			a := asset.Asset{ClientID: clientID, Kind: asset.KindServer, Name: name, Criticality: asset.CriticalityNormal}
			if err := e.db.CreateAsset(ctx, tenant.System(), &a); err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		srvA, pcA, srvB := mk(e.A.ID, "srv-a"), mk(e.A.ID, "pc-a"), mk(e.B.ID, "srv-b")
		// Another client's asset is refused; nothing is created.
		bad := ticket.Ticket{ClientID: e.A.ID, Type: ticket.TypeIncident, Title: "Disque", AssetIDs: []int64{srvA, srvB}}
		wantInvalid(t, "foreign asset", e.svc.Create(ctx, s, &bad), "asset_ids")
		tk := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Title: "Disque", AssetIDs: []int64{srvA, srvA}})
		if got := e.get(t, tk.ID); !slices.Equal(got.AssetIDs, []int64{srvA}) {
			t.Errorf("assets after create = %v", got.AssetIDs)
		}
		// Client users describe; staff link assets.
		own := e.create(t, e.adminA, ticket.Ticket{ClientID: e.A.ID, Title: "Mon PC", AssetIDs: []int64{pcA}})
		if got := e.get(t, own.ID); len(got.AssetIDs) != 0 {
			t.Errorf("a client linked assets: %v", got.AssetIDs)
		}
		ids := []int64{pcA, srvA}
		e.update(t, e.manager, tk.ID, ticket.Change{AssetIDs: &ids})
		assets, err := e.svc.Assets(ctx, s, tk.ID)
		if err != nil || len(assets) != 2 || assets[0].Name != "pc-a" || assets[1].Name != "srv-a" {
			t.Errorf("assets = %+v, %v", assets, err)
		}
		_, events, _ := e.svc.Timeline(ctx, s, tk.ID)
		if !slices.ContainsFunc(events, func(ev ticket.Event) bool { return ev.Kind == "assets" && ev.From == "srv-a" && ev.To == "pc-a, srv-a" }) {
			t.Errorf("no assets event: %+v", events)
		}
		foreign := []int64{srvB}
		_, err = e.svc.Update(ctx, s, tk.ID, ticket.Change{AssetIDs: &foreign})
		wantInvalid(t, "foreign asset on update", err, "asset_ids")
		// The tickets of an asset.
		list, _, err := e.svc.List(ctx, s, ticket.Filter{AssetID: pcA, Limit: 10})
		if err != nil || len(list) != 1 || list[0].ID != tk.ID {
			t.Errorf("tickets of pc-a = %+v, %v", list, err)
		}
		// Merging carries the assets over.
		other := e.create(t, e.manager, ticket.Ticket{ClientID: e.A.ID, Title: "Autre"})
		if _, err := e.svc.Merge(ctx, s, tk.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.get(t, other.ID); len(got.AssetIDs) != 2 {
			t.Errorf("assets of the merge target = %v", got.AssetIDs)
		}
	})
}
