package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestNotificationEndToEnd runs the server as wired: a check's hard problem
// goes from the engine through the alerter (incident ticket) to the
// notifications, whose queue posts the signed webhook with the ticket's link.
func TestNotificationEndToEnd(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := apptest.New(t, dialect)
			ctx, sys := s.Ctx(), tenant.System()
			acme := s.Client("ACME")
			got := make(chan []byte, 4)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- b
			}))
			defer rcv.Close()
			ch := notify.Channel{ClientID: &acme.ID, Name: "On call", Kind: notify.KindWebhook, Target: rcv.URL, OnProblems: true, OnRecoveries: true, Enabled: true}
			if err := s.App.Notify.Create(ctx, sys, &ch); err != nil {
				t.Fatal(err)
			}
			srv := asset.Asset{ClientID: acme.ID, Kind: asset.KindNetwork, Name: "fw-01"}
			if err := s.App.Assets.Create(ctx, sys, &srv); err != nil {
				t.Fatal(err)
			}
			c := supervision.Check{AssetID: srv.ID, Name: "Firewall HTTPS", Enabled: true, Rules: supervision.Rules{
				Kind: supervision.KindTCP, Params: supervision.Params{Host: "127.0.0.1", Port: 9, Timeout: 1},
				Interval: 3600, RetryInterval: 60, MaxAttempts: 1, Severity: supervision.SeverityCritical, Ticket: supervision.TicketOpen}}
			if err := s.App.Supervision.CreateCheck(ctx, sys, &c); err != nil {
				t.Fatal(err)
			}
			if err := s.App.Engine.Submit(ctx, supervision.Result{CheckID: c.ID,
				Result: check.Result{At: time.Now().UTC(), State: check.Critical, Output: "connection refused"}}); err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			select {
			case b := <-got:
				if err := json.Unmarshal(b, &body); err != nil {
					t.Fatalf("webhook body %s: %v", b, err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("no notification reached the webhook")
			}
			if body["event"] != "problem" || body["check"] != "Firewall HTTPS" || body["asset"] != "fw-01" || body["state"] != "CRITICAL" || body["client"] != acme.Name {
				t.Errorf("webhook body = %v", body)
			}
			if body["ticket_url"] == nil {
				t.Errorf("the incident's link is missing: %v", body)
			}
		})
	}
}
