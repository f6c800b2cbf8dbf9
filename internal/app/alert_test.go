package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// TestCheckDownOpensIncident runs the whole server: an HTTP check of a
// loopback target that goes down becomes, after its retries, an incident
// ticket of the check's client linked to its asset; the recovery resolves it
// (auto_resolve). It logs the fault-to-ticket latency. The check is written
// straight to the store with 1 s intervals (the service's minimum is 10 s)
// and the engine reloads it, as the service does after a change.
func TestCheckDownOpensIncident(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			srv := apptest.New(t, d)
			a := srv.App
			ctx := srv.Ctx()
			sys := tenant.System()
			cl := srv.Client("ACME")
			other := srv.Client("OTHER")
			host := asset.Asset{ClientID: cl.ID, Kind: asset.KindServer, Name: "shop-01", Criticality: asset.CriticalityHigh, Fields: map[string]string{}}
			if err := a.DB.CreateAsset(ctx, sys, &host); err != nil {
				t.Fatal(err)
			}
			var down atomic.Bool // the shop answers 503 while down
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if down.Load() {
					http.Error(w, "maintenance", http.StatusServiceUnavailable)
					return
				}
				_, _ = w.Write([]byte("welcome"))
			}))
			defer target.Close()
			c := supervision.Check{AssetID: host.ID, Name: "Shop", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindHTTP, Params: supervision.Params{URL: target.URL, BodyContains: "welcome"},
				Interval: 1, RetryInterval: 1, MaxAttempts: 3, RecoverAfter: 1,
				Severity: supervision.SeverityCritical, Ticket: supervision.TicketAutoResolve,
			}}
			// A webhook channel of the client: the problem's notification is
			// queued for it (sent after the channel's grouping window).
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			defer hook.Close()
			ch := notify.Channel{ClientID: &cl.ID, Name: "on-call", Kind: notify.KindWebhook, Target: hook.URL, OnProblems: true, Enabled: true}
			if err := a.Notify.Create(ctx, sys, &ch); err != nil {
				t.Fatal(err)
			}
			if err := a.DB.CreateCheck(ctx, sys, &c); err != nil {
				t.Fatal(err)
			}
			if err := a.Engine.Reload(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			status := func() supervision.Status {
				st, err := a.DB.Status(ctx, sys, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			waitFor := func(what string, limit time.Duration, ok func() bool) time.Time {
				t.Helper()
				deadline := time.Now().Add(limit)
				for !ok() {
					if time.Now().After(deadline) {
						t.Fatalf("no %s within %s (status %+v)", what, limit, status())
					}
					time.Sleep(5 * time.Millisecond)
				}
				return time.Now()
			}
			waitFor("first OK result", 15*time.Second, func() bool { st := status(); return !st.LastCheck.IsZero() && st.State == check.OK })

			fault := time.Now()
			down.Store(true)
			opened := waitFor("incident", 20*time.Second, func() bool { return status().TicketID != nil })
			queued := waitFor("queued notification", 5*time.Second, func() bool {
				items, _, err := a.DB.PendingNotifyItems(ctx, ch.ID, 10)
				return err == nil && len(items) > 0
			})
			latency := queued.Sub(fault)
			retries := time.Duration(c.MaxAttempts-1) * time.Duration(c.RetryInterval) * time.Second
			t.Logf("fault→ticket %s, →notification queued %s through the whole server (check interval %ds, %d attempts at %ds): minus the retries, %s",
				opened.Sub(fault).Round(time.Millisecond), latency.Round(time.Millisecond), c.Interval, c.MaxAttempts, c.RetryInterval, (latency - retries).Round(time.Millisecond))
			items, _, err := a.DB.PendingNotifyItems(ctx, ch.ID, 10)
			if err != nil || len(items) != 1 || items[0].Alert.TicketID != *status().TicketID {
				t.Errorf("queued notifications %+v (%v): want the problem, with its ticket", items, err)
			}

			id := *status().TicketID
			tk, err := a.Tickets.Get(ctx, sys, id)
			if err != nil {
				t.Fatal(err)
			}
			if tk.ClientID != cl.ID || tk.Type != ticket.TypeIncident || tk.Priority != ticket.P1 ||
				len(tk.AssetIDs) != 1 || tk.AssetIDs[0] != host.ID || tk.RequesterID != nil {
				t.Errorf("incident %+v: want client %d, incident P1 on asset %d, no requester", tk, cl.ID, host.ID)
			}
			if !strings.HasSuffix(tk.Title, "Shop sur shop-01") || !strings.Contains(tk.Description, "/supervision/checks/") {
				t.Errorf("incident %q:\n%s", tk.Title, tk.Description)
			}
			others, _, err := a.Tickets.List(ctx, sys, ticket.Filter{ClientID: other.ID})
			if err != nil || len(others) != 0 {
				t.Errorf("tickets of another client: %d (%v)", len(others), err)
			}

			// The target comes back: the incident is resolved and unlinked.
			down.Store(false)
			waitFor("resolution", 20*time.Second, func() bool {
				tk, err := a.Tickets.Get(ctx, sys, id)
				return err == nil && tk.Status == ticket.StatusResolved && status().TicketID == nil
			})
		})
	}
}
