package notify_test

import (
	"errors"
	"testing"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

func TestChannels(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := newDB(t, dialect)
			a := mkClient(t, db, "ACME", "ACME", "en")
			b := mkClient(t, db, "BRAVO", "Bravo", "fr")
			svc, err := notify.New(notify.Deps{Store: db, Queue: &recordingQueue{}, Journal: audit.NewJournal(db, nil)})
			if err != nil {
				t.Fatal(err)
			}
			techA := tenant.Scope{UserID: 2, Role: tenant.RoleTechnician, Clients: []int64{a.ID}}
			clientAdmin := tenant.Scope{UserID: 3, Role: tenant.RoleClientAdmin, ClientID: a.ID}
			valid := func() notify.Channel {
				return notify.Channel{ClientID: &a.ID, Name: "On call", Kind: notify.KindWebhook, Target: "https://hooks.example/vigie", OnProblems: true, Enabled: true}
			}

			t.Run("bad input is refused, field by field", func(t *testing.T) {
				cases := []struct {
					name  string
					edit  func(c *notify.Channel)
					field string
					code  string
				}{
					{"no name", func(c *notify.Channel) { c.Name = " " }, "name", "required"},
					{"unknown kind", func(c *notify.Channel) { c.Kind = "sms" }, "kind", "invalid_choice"},
					{"ftp URL", func(c *notify.Channel) { c.Target = "ftp://hooks.example/x" }, "target", "invalid_url"},
					{"URL without host", func(c *notify.Channel) { c.Target = "https:///x" }, "target", "invalid_url"},
					{"URL with a space", func(c *notify.Channel) { c.Target = "https://hooks.example/a b" }, "target", "invalid_url"},
					{"relative URL", func(c *notify.Channel) { c.Target = "/hooks" }, "target", "invalid_url"},
					{"no target", func(c *notify.Channel) { c.Target = "" }, "target", "required"},
					{"bad e-mail", func(c *notify.Channel) { c.Kind, c.Target = notify.KindEmail, "oncall@acme.example, not-an-address" }, "target", "invalid_email"},
					{"no events", func(c *notify.Channel) { c.OnProblems, c.OnRecoveries = false, false }, "events", "required"},
					{"unknown state", func(c *notify.Channel) { c.MinState = "ok" }, "min_state", "invalid_choice"},
					{"unknown hours", func(c *notify.Channel) { c.Hours = "weekends" }, "hours", "invalid_choice"},
					{"short secret", func(c *notify.Channel) { c.Secret = "abc" }, "secret", "invalid"},
					{"foreign client for a limited technician", func(c *notify.Channel) { c.ClientID = &b.ID }, "client_id", "invalid_choice"},
					{"global channel by a limited technician", func(c *notify.Channel) { c.ClientID = nil }, "client_id", "required"},
				}
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						c := valid()
						tc.edit(&c)
						err := svc.Create(ctx, techA, &c)
						inv, ok := fault.AsInvalid(err)
						if !ok {
							t.Fatalf("err = %v, want a validation error", err)
						}
						found := false
						for _, f := range inv.Fields {
							found = found || f.Field == tc.field && f.Code == tc.code
						}
						if !found {
							t.Errorf("err = %v, want %s: %s", err, tc.field, tc.code)
						}
					})
				}
				if chans, _ := svc.List(ctx, manager, notify.ChannelFilter{}); len(chans) != 0 {
					t.Errorf("bad input created %d channels", len(chans))
				}
			})

			t.Run("who may do what", func(t *testing.T) {
				c := valid()
				if err := svc.Create(ctx, clientAdmin, &c); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("client admin creates: %v, want forbidden", err)
				}
				if _, err := svc.List(ctx, clientAdmin, notify.ChannelFilter{}); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("client admin lists: %v, want forbidden", err)
				}
				ro := manager
				ro.ReadOnly = true
				if err := svc.Create(ctx, ro, &c); !errors.Is(err, fault.ErrForbidden) {
					t.Errorf("read-only token creates: %v, want forbidden", err)
				}
				mine := valid()
				if err := svc.Create(ctx, techA, &mine); err != nil {
					t.Fatal(err)
				}
				if len(mine.Secret) != 64 || mine.MinState != notify.MinWarning || mine.Hours != notify.HoursAlways {
					t.Errorf("defaults: secret %q, min %q, hours %q", mine.Secret, mine.MinState, mine.Hours)
				}
				global := valid()
				global.ClientID = nil
				if err := svc.Create(ctx, manager, &global); err != nil {
					t.Fatalf("manager creates a global channel: %v", err)
				}
				theirs := valid()
				theirs.ClientID = &b.ID
				if err := svc.Create(ctx, manager, &theirs); err != nil {
					t.Fatal(err)
				}
				for _, id := range []int64{global.ID, theirs.ID} {
					if _, err := svc.Get(ctx, techA, id); !errors.Is(err, fault.ErrNotFound) {
						t.Errorf("limited technician reads channel %d: %v", id, err)
					}
					if _, err := svc.Test(ctx, techA, id); !errors.Is(err, fault.ErrNotFound) {
						t.Errorf("limited technician tests channel %d: %v", id, err)
					}
					if err := svc.Delete(ctx, techA, id); !errors.Is(err, fault.ErrNotFound) {
						t.Errorf("limited technician deletes channel %d: %v", id, err)
					}
					x := theirs
					x.ID = id
					if err := svc.Update(ctx, techA, &x); !errors.Is(err, fault.ErrNotFound) {
						t.Errorf("limited technician updates channel %d: %v", id, err)
					}
				}
				list, err := svc.List(ctx, techA, notify.ChannelFilter{})
				if err != nil || len(list) != 1 || list[0].ID != mine.ID {
					t.Errorf("limited technician lists %v, %v", list, err)
				}

				// Update keeps the secret unless a new one is given, and the client always.
				upd := mine
				upd.Secret, upd.ClientID, upd.Name = "", &b.ID, "Astreinte"
				if err := svc.Update(ctx, techA, &upd); err != nil {
					t.Fatal(err)
				}
				got, _ := svc.Get(ctx, techA, mine.ID)
				if got.Secret != mine.Secret || got.ClientID == nil || *got.ClientID != a.ID || got.Name != "Astreinte" {
					t.Errorf("after update: %+v", got)
				}
				if got.SecretHint() != "…"+mine.Secret[60:] {
					t.Errorf("hint = %q", got.SecretHint())
				}
				upd.Kind, upd.Target = notify.KindEmail, "A@Acme.example ,b@acme.example"
				if err := svc.Update(ctx, techA, &upd); err != nil {
					t.Fatal(err)
				}
				got, _ = svc.Get(ctx, techA, mine.ID)
				if got.Secret != "" || got.Target != "a@acme.example, b@acme.example" {
					t.Errorf("e-mail channel: secret %q target %q", got.Secret, got.Target)
				}
				entries, err := db.AuditEntries(ctx, tenant.System(), audit.Filter{Action: "notification_channel", Limit: 100})
				if err != nil || len(entries) < 5 {
					t.Errorf("audit entries = %d, %v", len(entries), err)
				}
				if err := svc.Delete(ctx, techA, mine.ID); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
