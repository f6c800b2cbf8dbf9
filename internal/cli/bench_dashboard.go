package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/dashboard"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

const benchDashboardUsage = `  vigie bench dashboard [--tickets 1000000] [--clients 300] [--open 50] [--requests 300]
                        [--database-url postgres://…] [--data-dir DIR]
      Fills a database with clients, each with assets, checks (some in a
      hard problem), a contract (some near their quota or renewal) and
      tickets written with bulk inserts (COPY on PostgreSQL): --open per
      thousand open, the rest resolved or closed over three years, open ones
      on time, at risk or breached. Then times the staff dashboard: its
      ticket aggregate alone, the whole dashboard.Service.Staff (every query,
      as a manager who sees every client and as one limited to ten), and
      GET /dashboard through the real server (sign-in, page rendered), and
      prints p50/p90/p99/max. With --data-dir the SQLite database is kept
      there, and a database that already has tickets is measured again.`

// dashboardBenchOptions are the settings of vigie bench dashboard.
type dashboardBenchOptions struct {
	benchPlace
	tickets, clients int
	open             int // per thousand
	requests         int
	seed             uint64
}

func benchDashboard(ctx context.Context, args []string, env Env) error {
	fs := benchFlagSet("dashboard", benchDashboardUsage, env)
	var o dashboardBenchOptions
	o.flags(fs, "SQLite: keep the database in this directory (reused if it has tickets); empty: a temporary one")
	fs.IntVar(&o.tickets, "tickets", 1000000, "tickets to generate")
	fs.IntVar(&o.clients, "clients", 300, "clients the tickets are spread over")
	fs.IntVar(&o.open, "open", 50, "open tickets per thousand (the rest resolved or closed)")
	fs.IntVar(&o.requests, "requests", 300, "timed requests of each kind")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.tickets < 1 || o.clients < 1 || o.requests < 1 {
		return errors.New("--tickets, --clients and --requests: must be ≥ 1")
	}
	if o.open < 0 || o.open > 1000 {
		return errors.New("--open: must be between 0 and 1000 (per thousand)")
	}
	benv, err := newBenchEnv(o.databaseURL)
	if err != nil {
		return err
	}
	defer benv.close()
	cfg := config.Config{Listen: "127.0.0.1:0", DataDir: benv.root, LogLevel: "error", LogFormat: "text", SMTP: config.SMTP{Port: 587, TLS: "starttls"}}
	switch {
	case o.databaseURL != "":
		d, err := benv.fresh(ctx)
		if err != nil {
			return err
		}
		cfg.DatabaseURL = d.url
	case o.dataDir != "":
		cfg.DataDir = o.dataDir
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, "vigie.db")
	}
	db, err := openTicketBench(ctx, dsn, func(db *store.DB) error { return generateDashboard(ctx, db, o, env.Stderr) }, env.Stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	return measureDashboard(ctx, db, cfg, o, env.Stdout, env.Stderr)
}

// generateDashboard writes the data set: clients, a technician, assets and
// checks, contracts, tickets (bulk) and this month's time entries.
func generateDashboard(ctx context.Context, db *store.DB, o dashboardBenchOptions, progress io.Writer) error {
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Second)
	r := rand.New(rand.NewPCG(o.seed, 7))
	if err := seed(ctx, db, o.clients, 0, nil); err != nil {
		return err
	}
	clients, err := benchIDs(ctx, db, `SELECT id FROM clients ORDER BY id`)
	if err != nil {
		return err
	}
	tech := user.User{Email: "tech@msp.example", Name: "Technicien", Role: tenant.RoleTechnician, Level: user.LevelN1, Language: "fr"}
	if err := db.CreateUser(ctx, &tech, "$argon2id$bench"); err != nil {
		return fmt.Errorf("create technician: %w", err)
	}
	sys := tenant.System()

	// Eight assets and three checks each per client; contracts: a tenth
	// end within two months, a tenth are tacit with notice due soon.
	severities := []supervision.Severity{supervision.SeverityMinor, supervision.SeverityMajor, supervision.SeverityCritical}
	for i, cid := range clients {
		err := db.InTx(ctx, func(ctx context.Context) error {
			for a := range 8 {
				crit := asset.CriticalityNormal
				if a < 2 {
					crit = asset.CriticalityCritical
				}
				ast := asset.Asset{ClientID: cid, Kind: asset.KindServer, Name: fmt.Sprintf("srv-%d-%d", i, a), Criticality: crit, Fields: map[string]string{}}
				if err := db.CreateAsset(ctx, sys, &ast); err != nil {
					return fmt.Errorf("create asset: %w", err)
				}
				for k, name := range []string{"CPU", "Mémoire", "Disque"} {
					c := supervision.Check{ClientID: cid, AssetID: ast.ID, Name: name, Enabled: true, Rules: supervision.Rules{
						Kind: supervision.KindCPU, Interval: 60, RetryInterval: 30, MaxAttempts: 3, RecoverAfter: 1,
						Severity: severities[(a+k)%3], Ticket: supervision.TicketNone}}
					if err := db.CreateCheck(ctx, sys, &c); err != nil {
						return fmt.Errorf("create check: %w", err)
					}
				}
			}
			day := contract.Day(now, time.UTC)
			c := contract.Contract{ClientID: cid, Reference: fmt.Sprintf("INF-%05d", i+1), Title: "Infogérance", State: contract.StateActive,
				Start: day.AddDate(-2, 0, 0), Renewal: contract.Renewal{Kind: contract.RenewalNone}, Calendar: "mon-fri 08:00-18:00 Europe/Paris",
				Targets: map[sla.Priority]sla.Target{"P1": {TTO: time.Hour, TTR: 4 * time.Hour}}, Availability: 99.5,
				Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 600}, OnSitePerMonth: 2, RetentionYears: 5,
				Perimeter: contract.Perimeter{Kinds: []asset.Kind{}, Sites: []int64{}, Include: []int64{}, Exclude: []int64{}}}
			switch i % 10 {
			case 0:
				end := day.AddDate(0, 0, 10+i%50)
				c.End = &end
			case 1:
				end := day.AddDate(0, 4, 0)
				c.End, c.Renewal = &end, contract.Renewal{Kind: contract.RenewalTacit, NoticeMonths: 3, TermMonths: 12}
			default:
				end := day.AddDate(1, 0, 0)
				c.End = &end
			}
			if err := db.CreateContract(ctx, sys, &c); err != nil {
				return fmt.Errorf("create contract: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Hard states: about 4 % critical, 3 % warning, the rest OK.
	for _, q := range []struct {
		cond              string
		state, rank, hard int
	}{
		{"check_id % 25 = 0", 2, 0, 2},
		{"check_id % 33 = 1", 1, 4, 1},
		{"last_check IS NULL", 0, 7, 0},
	} {
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE check_status SET state = ?, hard_state = ?, sort_rank = ?, last_check = ?, since = ?, last_change = ? WHERE last_check IS NULL AND `+q.cond),
			q.state, q.hard, q.rank, now, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
			return fmt.Errorf("set check states: %w", err)
		}
	}
	fmt.Fprintf(progress, "  %d clients with assets, checks and contracts in %s\n", len(clients), time.Since(start).Round(time.Second))

	if err := bulkTickets(ctx, db, o, clients, now, r, progress); err != nil {
		return err
	}
	// Billable time this month on a third of the clients, enough to pass
	// 80 % of ten hours for some.
	first, err := benchPairs(ctx, db, `SELECT client_id, MIN(id) FROM tickets WHERE status = 'in-progress' GROUP BY client_id`)
	if err != nil {
		return err
	}
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	for i, cid := range clients {
		tid, ok := first[cid]
		if !ok || i%3 != 0 {
			continue
		}
		for k := range 3 + i%8 {
			at := month.Add(time.Duration(k) * time.Hour)
			if at.After(now) {
				at = now.Add(-time.Minute)
			}
			if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO time_entries (ticket_id, technician_id, start_at, duration_seconds, on_site, billable, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				tid, tech.ID, at, 5400, k%4 == 0, true, now); err != nil {
				return fmt.Errorf("insert time entry: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(progress, "  generated in %s\n", time.Since(start).Round(time.Second))
	return nil
}

func benchIDs(ctx context.Context, db *store.DB, q string) ([]int64, error) {
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func benchPairs(ctx context.Context, db *store.DB, q string) (map[int64]int64, error) {
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// dashTicketCols are the columns the bulk insert fills; the others keep
// their defaults (no search text: the dashboard does not search).
var dashTicketCols = []string{"client_id", "type", "title", "impact", "urgency", "priority", "status", "level", "created_at", "updated_at",
	"owned_at", "resolved_at", "closed_at", "sla_covered", "tto_due", "ttr_due", "tto_breached_at", "ttr_breached_at", "sla_at_risk", "sla_paused", "sla_due_order"}

// dashTicket returns the values of one generated ticket. Open tickets are
// mostly a few days old (exponential, mean 3 days, at most 30); their SLA summary is what the helpdesk would have
// stored at now: breached past a due time, at risk in the last fifth of
// the time to resolve. No next check is set, so that the server's SLA job
// leaves them alone during the measure.
func dashTicket(r *rand.Rand, clients []int64, openPerMille int, now time.Time) []any {
	farDue := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	cid := clients[r.IntN(len(clients))]
	open := r.IntN(1000) < openPerMille
	var status string
	if open {
		status = []string{"new", "assigned", "in-progress", "in-progress", "waiting-for-client", "waiting-for-third-party"}[r.IntN(6)]
	} else {
		status = []string{"resolved", "closed", "closed", "closed", "closed"}[r.IntN(5)]
	}
	typ := "incident"
	if r.IntN(10) < 3 {
		typ = "request"
	}
	impact, urgency := 1+r.IntN(3), 1+r.IntN(3)
	prio := int(benchMatrix[impact-1][urgency-1])
	level := []string{"N1", "N1", "N1", "N1", "N2", "N2", "N3"}[r.IntN(7)]
	age := time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))
	if open {
		// Most open tickets are a few days old; a tail waits for weeks.
		age = min(time.Duration(r.ExpFloat64()*float64(3*24*time.Hour)), 30*24*time.Hour)
	}
	created := now.Add(-age)
	updated := created.Add(time.Duration(r.Int64N(int64(age) + 1)))
	var owned, resolved, closed, ttoDue, ttrDue, ttoBreach, ttrBreach *time.Time
	if status != "new" {
		t := created.Add(time.Duration(r.Int64N(int64(2 * time.Hour))))
		owned = &t
	}
	if !open {
		resolved = &updated
		if status == "closed" {
			closed = &updated
		}
	}
	covered := r.IntN(100) < 85
	atRisk, paused := false, false
	dueOrder := farDue
	if covered {
		tto := created.Add(time.Duration(1+r.IntN(8)) * time.Hour)
		ttr := created.Add(time.Duration(4+r.IntN(5*24-4)) * time.Hour)
		ttoDue, ttrDue = &tto, &ttr
		if open {
			dueOrder = ttr
			paused = status == "waiting-for-client"
			if owned == nil && tto.Before(now) {
				ttoBreach = ttoDue
			}
			if owned != nil && owned.After(tto) {
				ttoBreach = ttoDue
			}
			if !paused && ttr.Before(now) {
				ttrBreach = ttrDue
			}
			if ttrBreach == nil && ttoBreach == nil && ttr.Sub(now) < ttr.Sub(created)/5 {
				atRisk = true
			}
		}
	}
	return []any{cid, typ, "Ticket du tableau de bord", impact, urgency, prio, status, level, created, updated,
		owned, resolved, closed, covered, ttoDue, ttrDue, ttoBreach, ttrBreach, atRisk, paused, dueOrder}
}

// bulkTickets writes o.tickets tickets: COPY on PostgreSQL, multi-row
// INSERTs in large transactions on SQLite.
func bulkTickets(ctx context.Context, db *store.DB, o dashboardBenchOptions, clients []int64, now time.Time, r *rand.Rand, progress io.Writer) error {
	start := time.Now()
	const chunk = 50000
	report := func(done int) {
		el := time.Since(start)
		fmt.Fprintf(progress, "  %d/%d tickets in %s (%.0f tickets/s)\n", done, o.tickets, el.Round(time.Second), float64(done)/el.Seconds())
	}
	if db.Dialect() == store.Postgres {
		for done := 0; done < o.tickets; {
			n := min(chunk, o.tickets-done)
			rows := make([][]any, n)
			for i := range rows {
				rows[i] = dashTicket(r, clients, o.open, now)
			}
			if _, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"tickets"}, dashTicketCols, pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("copy tickets: %w", err)
			}
			done += n
			if done%(chunk*4) == 0 || done == o.tickets {
				report(done)
			}
		}
		return nil
	}
	const perStmt = 400 // 21 columns: 8,400 parameters, under SQLite's 32,766
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(dashTicketCols)), ", ") + ")"
	full := `INSERT INTO tickets (` + strings.Join(dashTicketCols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", perStmt), ", ")
	for done := 0; done < o.tickets; {
		n := min(chunk, o.tickets-done)
		err := func() error {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
			stmt, err := tx.PrepareContext(ctx, full)
			if err != nil {
				return err
			}
			defer stmt.Close()
			args := make([]any, 0, perStmt*len(dashTicketCols))
			for i := 0; i < n; i += perStmt {
				k := min(perStmt, n-i)
				args = args[:0]
				for range k {
					args = append(args, dashTicket(r, clients, o.open, now)...)
				}
				if k == perStmt {
					_, err = stmt.ExecContext(ctx, args...)
				} else {
					q := `INSERT INTO tickets (` + strings.Join(dashTicketCols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ")
					_, err = tx.ExecContext(ctx, q, args...)
				}
				if err != nil {
					return fmt.Errorf("insert tickets: %w", err)
				}
			}
			return tx.Commit()
		}()
		if err != nil {
			return err
		}
		done += n
		if done%(chunk*4) == 0 || done == o.tickets {
			report(done)
		}
	}
	return nil
}

// timings runs fn o.requests times after a tenth as many warm-up runs and
// returns the sorted durations.
func timings(n int, fn func() error) ([]time.Duration, error) {
	for range max(n/10, 1) {
		if err := fn(); err != nil {
			return nil, err
		}
	}
	out := make([]time.Duration, n)
	for i := range out {
		t0 := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		out[i] = time.Since(t0)
	}
	slices.Sort(out)
	return out, nil
}

// measureDashboard times the staff dashboard three ways and prints the percentiles.
func measureDashboard(ctx context.Context, db *store.DB, cfg config.Config, o dashboardBenchOptions, out, progress io.Writer) error {
	var tickets, open, clients int
	if err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM tickets WHERE status NOT IN ('resolved', 'closed')), (SELECT COUNT(*) FROM clients)`).Scan(&tickets, &open, &clients); err != nil {
		return err
	}
	ids, err := benchIDs(ctx, db, `SELECT id FROM clients ORDER BY id`)
	if err != nil {
		return err
	}
	manager := tenant.Scope{UserID: 1, Role: tenant.RoleManager}
	limited := tenant.Scope{UserID: 1, Role: tenant.RoleTechnician, Clients: ids[:min(10, len(ids))]}
	usage := contract.NewService(db, nil, time.Now)
	svc := dashboard.New(db, db, usage)
	var sample dashboard.Staff

	type result struct {
		name  string
		times []time.Duration
	}
	var results []result
	run := func(name string, fn func() error) error {
		ts, err := timings(o.requests, fn)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, result{name, ts})
		return nil
	}
	if err := run("store: open tickets aggregate (all clients)", func() error {
		_, err := db.DashboardTickets(ctx, manager, 0, time.Now())
		return err
	}); err != nil {
		return err
	}
	if err := run("store: active problems aggregate", func() error {
		_, err := db.DashboardProblems(ctx, manager, 0)
		return err
	}); err != nil {
		return err
	}
	if err := run("store: active contracts", func() error {
		_, err := db.DashboardContracts(ctx, manager, 0)
		return err
	}); err != nil {
		return err
	}
	if err := run("contract.Service.UsageAll (quotas)", func() error {
		_, err := usage.UsageAll(ctx, manager, time.Now())
		return err
	}); err != nil {
		return err
	}
	if err := run("dashboard.Staff, manager (all clients)", func() error {
		var err error
		sample, err = svc.Staff(ctx, manager, time.Now())
		return err
	}); err != nil {
		return err
	}
	if err := run("dashboard.Staff, technician limited to 10 clients", func() error {
		_, err := svc.Staff(ctx, limited, time.Now())
		return err
	}); err != nil {
		return err
	}
	page, size, err := benchDashboardHTTP(ctx, cfg, o.requests, progress)
	if err != nil {
		return err
	}
	results = append(results, result{"GET /dashboard (HTTP, signed-in admin)", page})

	attention := 0
	for _, l := range sample.Lines {
		if l.Attention() {
			attention++
		}
	}
	fmt.Fprintf(out, "%s, %d clients, %d tickets (%d open: %d breached, %d at risk), %d active problems, %d contracts near quota, %d near renewal, %d clients needing attention; page %d bytes; %d requests each\n\n",
		db.Dialect(), clients, tickets, open, sample.Open.Breached, sample.Open.AtRisk, sample.Problems.Total, len(sample.Quotas), len(sample.Renewals), attention, size, o.requests)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MEASURE\tp50\tp90\tp99\tmax\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.name, ms(percentile(r.times, 0.5)), ms(percentile(r.times, 0.9)), ms(percentile(r.times, 0.99)), ms(r.times[len(r.times)-1]))
	}
	return tw.Flush()
}

// benchDashboardHTTP starts the real server on the database, signs an
// admin in through the form and times GET /dashboard.
func benchDashboardHTTP(ctx context.Context, cfg config.Config, n int, progress io.Writer) ([]time.Duration, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.New(ctx, cfg, nil, app.Options{})
	if err != nil {
		return nil, 0, fmt.Errorf("start server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + ln.Addr().String()
	pw := fmt.Sprintf("bench-%d-dashboard", time.Now().UnixNano())
	u := user.User{Email: "dashboard-bench@vigie.invalid", Name: "Benchmark", Role: tenant.RoleAdmin, Language: "fr"}
	var existing int
	if err := a.DB.SQL().QueryRowContext(ctx, a.DB.Rebind(`SELECT COUNT(*) FROM users WHERE email = ?`), u.Email).Scan(&existing); err != nil {
		return nil, 0, err
	}
	if existing > 0 {
		if _, err := a.DB.SQL().ExecContext(ctx, a.DB.Rebind(`UPDATE users SET email = ? WHERE email = ?`), fmt.Sprintf("old-%d@vigie.invalid", time.Now().UnixNano()), u.Email); err != nil {
			return nil, 0, err
		}
	}
	if err := a.Users.Create(audit.WithActor(ctx, audit.Actor{Name: "bench"}), tenant.System(), &u, pw); err != nil {
		return nil, 0, fmt.Errorf("create benchmark user: %w", err)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(base+"/login", url.Values{"email": {u.Email}, "password": {pw}})
	if err != nil {
		return nil, 0, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, 0, fmt.Errorf("sign in: status %d", res.StatusCode)
	}
	size := 0
	get := func() error {
		res, err := hc.Get(base + "/dashboard")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /dashboard: status %d: %.200s", res.StatusCode, b)
		}
		size = len(b)
		return nil
	}
	fmt.Fprintf(progress, "  server ready at %s, timing GET /dashboard\n", base)
	ts, err := timings(n, get)
	return ts, size, err
}
