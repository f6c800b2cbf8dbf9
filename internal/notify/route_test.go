package notify_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

// TestRouting sends notices of every kind, state and time through Enqueue
// and checks which channels got each: client, least state, events, and
// business hours from the client's calendar (around the spring DST change
// and on a public holiday).
func TestRouting(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := newDB(t, dialect)
			a := mkClient(t, db, "ACME", "ACME", "en")
			b := mkClient(t, db, "BRAVO", "Bravo SAS", "fr")
			// A's contract in force says 09:00–17:00 on weekdays, French
			// holidays off; B has no contract (the helpdesk's default calendar).
			cal := `{"tz":"Europe/Paris","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]},"holidays":"FR"}`
			k := contract.Contract{ClientID: a.ID, Reference: "A-1", Title: "Infogérance", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				State: contract.StateActive, Calendar: cal, Availability: 99.5}
			if err := k.Normalize(); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateContract(ctx, tenant.System(), &k); err != nil {
				t.Fatal(err)
			}
			q := &recordingQueue{}
			now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
			svc, err := notify.New(notify.Deps{Store: db, Queue: q, Journal: audit.NewJournal(db, nil), BaseURL: "https://vigie.example", Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			mk := func(name string, client *int64, min notify.MinState, hours notify.Hours, problems, recoveries, enabled bool) notify.Channel {
				c := notify.Channel{ClientID: client, Name: name, Kind: notify.KindSlack, Target: "https://hooks.example/" + name,
					MinState: min, Hours: hours, OnProblems: problems, OnRecoveries: recoveries, Enabled: enabled}
				if err := svc.Create(ctx, manager, &c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			chans := map[string]notify.Channel{
				"all":      mk("all", &a.ID, notify.MinWarning, notify.HoursAlways, true, true, true),
				"crit":     mk("crit", &a.ID, notify.MinCritical, notify.HoursAlways, true, true, true),
				"biz":      mk("biz", &a.ID, notify.MinWarning, notify.HoursBusiness, true, true, true),
				"off":      mk("off", &a.ID, notify.MinWarning, notify.HoursOff, true, true, true),
				"probs":    mk("probs", &a.ID, notify.MinWarning, notify.HoursAlways, true, false, true),
				"recs":     mk("recs", &a.ID, notify.MinWarning, notify.HoursAlways, false, true, true),
				"disabled": mk("disabled", &a.ID, notify.MinWarning, notify.HoursAlways, true, true, false),
				"bAll":     mk("bAll", &b.ID, notify.MinWarning, notify.HoursAlways, true, true, true),
				"bBiz":     mk("bBiz", &b.ID, notify.MinWarning, notify.HoursBusiness, true, true, true),
				"global":   mk("global", nil, notify.MinWarning, notify.HoursAlways, true, true, true),
			}
			var (
				dstBefore = time.Date(2026, 3, 23, 7, 30, 0, 0, time.UTC)  // Monday 08:30 CET: before A opens
				dstAfter  = time.Date(2026, 3, 30, 7, 30, 0, 0, time.UTC)  // Monday 09:30 CEST: open
				mon1000   = time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)   // Monday 10:00 CEST
				mon2000   = time.Date(2026, 3, 30, 18, 0, 0, 0, time.UTC)  // Monday 20:00 CEST
				sat       = time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC)  // Saturday
				christmas = time.Date(2026, 12, 25, 9, 0, 0, 0, time.UTC)  // Friday, public holiday
				bLunch    = time.Date(2026, 3, 30, 10, 45, 0, 0, time.UTC) // Monday 12:45 CEST: B's default calendar breaks 12:00–13:30
			)
			owed := notice(b.ID, 8, check.Problem, check.OK, check.Critical, sat)
			owed.Event.Notify, owed.Owed = false, true
			owed.Status.HardState = check.Critical
			muted := notice(a.ID, 7, check.Problem, check.OK, check.Critical, mon1000)
			muted.Event.Notify = false
			notices := []supervision.Notice{
				notice(a.ID, 1, check.Problem, check.OK, check.Warning, dstAfter),
				notice(a.ID, 2, check.Problem, check.OK, check.Critical, sat),
				notice(a.ID, 3, check.Recovery, check.Critical, check.OK, mon1000),
				notice(a.ID, 4, check.Recovery, check.Warning, check.OK, christmas),
				notice(a.ID, 5, check.Problem, check.OK, check.Unknown, mon2000),
				notice(a.ID, 6, check.Problem, check.OK, check.Critical, dstBefore),
				muted,
				owed,
				notice(a.ID, 9, check.SeverityChange, check.Critical, check.Warning, sat),
				notice(a.ID, 10, check.FlapStart, check.Warning, check.Warning, mon1000),
				notice(b.ID, 11, check.Problem, check.OK, check.Critical, bLunch),
				// Flapping detected on an OK result: still worth a warning.
				notice(a.ID, 12, check.FlapStart, check.OK, check.OK, mon1000),
			}
			if err := svc.Enqueue(ctx, notices, map[int64]int64{3: 42}); err != nil {
				t.Fatal(err)
			}
			// The alerter may hand the same notices over again (a retried
			// Alert): nothing is queued twice.
			if err := svc.Enqueue(ctx, notices, map[int64]int64{3: 42}); err != nil {
				t.Fatal(err)
			}
			want := map[string][]int64{
				"all":      {1, 2, 3, 4, 5, 6, 9, 10, 12},
				"crit":     {2, 3, 6, 9},
				"biz":      {1, 3, 10, 12},
				"off":      {2, 4, 5, 6, 9},
				"probs":    {1, 2, 5, 6, 9, 10, 12},
				"recs":     {3, 4},
				"disabled": nil,
				"bAll":     {8, 11},
				"bBiz":     {8}, // owed: routed at the time it is owed (Wednesday 14:00), not at its old event
				"global":   {1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12},
			}
			for _, name := range slices.Sorted(maps.Keys(chans)) {
				items, _, err := db.PendingNotifyItems(ctx, chans[name].ID, 100)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, it := range items {
					got = append(got, it.Alert.CheckID)
				}
				if !slices.Equal(got, want[name]) {
					t.Errorf("channel %s got checks %v, want %v", name, got, want[name])
				}
				for _, it := range items {
					switch it.Alert.CheckID {
					case 3:
						if it.Alert.EventID != 1003 || it.Alert.TicketID != 42 || it.Alert.Event != notify.EventRecovery || it.Alert.State != "OK" || it.Alert.Previous != "CRITICAL" {
							t.Errorf("alert of check 3 = %+v", it.Alert)
						}
					case 8:
						if it.Alert.Event != notify.EventProblem || it.Alert.State != "CRITICAL" || it.Alert.ClientName != "Bravo SAS" || !it.Alert.At.Equal(now) {
							t.Errorf("owed alert = %+v", it.Alert)
						}
					case 1:
						if it.Alert.ClientName != "ACME" || it.Alert.ClientLang != "en" || it.Alert.AssetName != "srv-01" || it.Alert.CheckName != "Disk /" || it.Alert.Severity != "major" {
							t.Errorf("alert of check 1 = %+v", it.Alert)
						}
					}
				}
			}
			// One flush job per channel touched, unique per channel, due
			// after the group window.
			var jobs []int64
			for _, j := range q.jobs {
				jobs = append(jobs, j.args.ChannelID)
				if !j.opts.UniqueOpts.ByArgs || !slices.Contains(j.opts.UniqueOpts.ByState, rivertype.JobStateRunning) ||
					!slices.Contains(j.opts.UniqueOpts.ByState, rivertype.JobStateRetryable) || !j.opts.ScheduledAt.Equal(now.Add(notify.DefaultGroupWindow)) {
					t.Errorf("flush job options = %+v", j.opts)
				}
			}
			slices.Sort(jobs)
			// Both Enqueue calls ask for the same job (River keeps one: same args).
			if len(jobs) != 2*len(slices.Compact(slices.Clone(jobs))) {
				t.Errorf("each call should ask one job per channel: %v", jobs)
			}
			jobs = slices.Compact(jobs)
			var wantJobs []int64
			for name, ids := range want {
				if len(ids) > 0 {
					wantJobs = append(wantJobs, chans[name].ID)
				}
			}
			slices.Sort(wantJobs)
			if !slices.Equal(jobs, wantJobs) {
				t.Errorf("flush jobs for channels %v, want %v", jobs, wantJobs)
			}

			// Notices that notify nobody write nothing and enqueue nothing.
			q.jobs = nil
			if err := svc.Enqueue(ctx, []supervision.Notice{muted}, nil); err != nil || len(q.jobs) != 0 {
				t.Errorf("muted notice: err %v, jobs %v", err, q.jobs)
			}
		})
	}
}

// TestSweep: alerts left pending longer than a flush should take (their job
// was lost) get a flush job again; fresh ones are left to their own job.
func TestSweep(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := newDB(t, dialect)
			a := mkClient(t, db, "ACME", "ACME", "en")
			q := &recordingQueue{}
			now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
			svc, err := notify.New(notify.Deps{Store: db, Queue: q, Journal: audit.NewJournal(db, nil), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			mk := func(name string) notify.Channel {
				c := notify.Channel{ClientID: &a.ID, Name: name, Kind: notify.KindWebhook, Target: "https://hooks.example/" + name, OnProblems: true, Enabled: true}
				if err := svc.Create(ctx, manager, &c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			old, fresh := mk("old"), mk("fresh")
			if err := db.AddNotifyItems(ctx, []notify.Item{
				{ChannelID: old.ID, ClientID: a.ID, CreatedAt: now.Add(-5 * time.Minute), Alert: notify.Alert{EventID: 1}},
				{ChannelID: fresh.ID, ClientID: a.ID, CreatedAt: now.Add(-time.Second), Alert: notify.Alert{EventID: 2}},
			}); err != nil {
				t.Fatal(err)
			}
			if err := svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if len(q.jobs) != 1 || q.jobs[0].args.ChannelID != old.ID || !q.jobs[0].opts.ScheduledAt.Equal(now) {
				t.Errorf("sweep scheduled %+v, want one job for channel %d now", q.jobs, old.ID)
			}
		})
	}
}
