package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/demo"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestSeedReview: the demo's first client has a past review whose two
// open actions are carried into the review the page shows by default, with
// the one done since.
func TestSeedReview(t *testing.T) {
	ctx := context.Background()
	cfg := config.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: testdb.URL(t, "sqlite"), LogLevel: "warn", LogFormat: "text", SMTP: config.SMTP{Port: 25, TLS: "none"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	if _, err := demo.Seed(ctx, a); err != nil {
		t.Fatal(err)
	}
	s := tenant.System()
	cs, err := a.Clients.List(ctx, s, client.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var first client.Client
	for _, c := range cs {
		if c.Code == "BOULMART" {
			first = c
		}
	}
	loc, err := a.Reviews.Location(ctx, s, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := a.Reviews.Get(ctx, s, first.ID, review.DefaultPeriod(time.Now(), loc))
	if err != nil {
		t.Fatal(err)
	}
	open, done := 0, 0
	for _, x := range rv.Actions {
		if !x.Carried(rv.Period.From) {
			t.Errorf("action %q not carried from the past review", x.Title)
		}
		if x.Status.Closed() {
			done++
		} else {
			open++
		}
	}
	if open != 2 || done != 1 || rv.Contract == nil {
		t.Errorf("default review: %d open, %d done, contract %v", open, done, rv.Contract)
	}
}
