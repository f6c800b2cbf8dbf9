package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

const benchTicketsUsage = `  vigie bench tickets [--tickets 1000000] [--clients 200] [--samples 300]
                      [--database-url postgres://…] [--data-dir DIR]
      Generates tickets (French and English titles and descriptions, 1 to 5
      followups each, statuses, priorities, SLA due times, assignees) through
      the store, in transactions of 1,000 tickets, then times in process (the
      server's time, without HTTP) the staff queue page (50 open tickets of a
      random client, by due time) and full-text search (a common and a rare
      word, with and without a client), and prints p50/p99 and the database
      size. With --data-dir the SQLite database is kept there, and a database
      that already has tickets is measured again without generating.`

// runBenchAny is vigie bench: the ticket benchmark, which runs in process,
// or one of the benchmarks of the real server.
func runBenchAny(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && args[0] == "tickets" {
		return benchTickets(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "dashboard" {
		return benchDashboard(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "reports" {
		return benchReports(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "probes" {
		return benchProbes(ctx, args[1:], env)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(env.Stdout, benchUsage+"\n\n"+benchTicketsUsage+"\n\n"+benchProbesUsage+"\n\n"+benchDashboardUsage+"\n\n"+benchReportsUsage)
		return nil
	}
	return runBench(ctx, args, env)
}

// ticketBenchOptions are the settings of vigie bench tickets.
type ticketBenchOptions struct {
	benchPlace
	tickets, clients int
	samples          int
	seed             uint64
}

func benchTickets(ctx context.Context, args []string, env Env) error {
	fs := benchFlagSet("tickets", benchTicketsUsage, env)
	var o ticketBenchOptions
	o.flags(fs, "SQLite: keep the database in this directory (reused if it has tickets); empty: a temporary one")
	fs.IntVar(&o.tickets, "tickets", 1000000, "tickets to generate")
	fs.IntVar(&o.clients, "clients", 200, "clients the tickets are spread over")
	fs.IntVar(&o.samples, "samples", 300, "timed queries of each kind")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generator and of the random choices of the measures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.tickets < 1 || o.clients < 1 || o.samples < 1 {
		return errors.New("--tickets, --clients and --samples: must be ≥ 1")
	}

	benv, err := newBenchEnv(o.databaseURL)
	if err != nil {
		return err
	}
	defer benv.close()
	dsn := o.dataDir
	switch {
	case o.databaseURL != "":
		d, err := benv.fresh(ctx)
		if err != nil {
			return err
		}
		dsn = d.url
	case dsn == "":
		dsn = filepath.Join(benv.root, "vigie.db")
	default:
		dsn = filepath.Join(o.dataDir, "vigie.db")
	}
	db, err := openTicketBench(ctx, dsn, func(db *store.DB) error { return generateTickets(ctx, db, o, env.Stderr) }, env.Stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	return measureTickets(ctx, db, o, dsn, env.Stdout)
}

// Words of the generated tickets: a technician's vocabulary in French and
// English. benchRare is in about one description in 2,000.
var (
	benchSubjectsFR = []string{"Imprimante", "Poste de travail", "Écran", "Serveur de fichiers", "Messagerie Outlook", "VPN", "Wi-Fi", "Téléphone IP",
		"Scanner", "Ordinateur portable", "Clavier", "Accès au partage", "Compte utilisateur", "Mot de passe", "Sauvegarde", "Antivirus",
		"Logiciel de comptabilité", "Switch du 2e étage", "Pare-feu", "Onduleur"}
	benchProblemsFR = []string{"en panne", "ne démarre plus", "très lent", "bloqué", "affiche une erreur", "ne répond plus", "déconnecté",
		"à remplacer", "ne s'allume plus", "inaccessible", "à installer", "à configurer"}
	benchSubjectsEN = []string{"Printer", "Workstation", "Monitor", "File server", "Outlook mailbox", "VPN", "Wi-Fi", "Desk phone",
		"Scanner", "Laptop", "Keyboard", "Network share", "User account", "Password", "Backup job", "Antivirus", "Accounting software",
		"Second floor switch", "Firewall", "UPS"}
	benchProblemsEN = []string{"is down", "won't start", "very slow", "stuck", "shows an error", "not responding", "disconnected",
		"needs replacing", "won't power on", "unreachable", "to install", "to configure"}
	benchSentencesFR = []string{"Depuis ce matin, l'utilisateur signale que le problème revient régulièrement.", "Le redémarrage n'a rien changé.",
		"Message d'erreur : accès refusé (0x80070005).", "Urgent : la comptabilité est bloquée pour la clôture du mois.",
		"Plusieurs collègues du même bureau sont concernés.", "Le voyant orange clignote sur la façade.",
		"L'utilisateur est en télétravail jusqu'à vendredi.", "Merci de rappeler Mme Martin au poste 214.",
		"Le câble réseau a été changé sans succès.", "La mise à jour Windows s'est arrêtée à 45 %."}
	benchSentencesEN = []string{"Since this morning the user reports that the issue keeps coming back.", "Rebooting did not help.",
		"Error message: access denied (0x80070005).", "Urgent: accounting is blocked for the month-end close.",
		"Several colleagues in the same office are affected.", "The orange light is blinking on the front panel.",
		"The user works from home until Friday.", "Please call Mr Smith back on extension 214.",
		"The network cable was replaced without success.", "The Windows update stopped at 45%."}
	benchFollowups = []string{"Pris en charge, je regarde.", "Prise de main à distance effectuée, pilote réinstallé.",
		"Pièce commandée chez le fournisseur, livraison sous 48 h.", "En attente du retour de l'utilisateur.", "Escaladé au niveau 2.",
		"Intervention sur site planifiée jeudi matin.", "Le problème ne s'est pas reproduit depuis.", "Taken over, looking into it.",
		"Remote session done, driver updated.", "Waiting for the user to confirm.", "Escalated to the vendor's support.",
		"Issue solved after a firmware upgrade.", "Merci, tout fonctionne de nouveau !", "Thanks, it works again."}
	benchRare = "Le thermostat de la salle serveur indique 35 °C."
)

// benchStatuses are the statuses of generated tickets and their weights
// (per thousand): about a quarter open, as on a live helpdesk.
var benchStatuses = []struct {
	status ticket.Status
	weight int
}{
	{ticket.StatusNew, 50}, {ticket.StatusAssigned, 50}, {ticket.StatusInProgress, 100}, {ticket.StatusWaitingClient, 40},
	{ticket.StatusWaitingThirdParty, 20}, {ticket.StatusResolved, 140}, {ticket.StatusClosed, 600},
}

// benchMatrix is ticket.DefaultSettings' priority matrix (impact × urgency).
var benchMatrix = [3][3]ticket.Priority{{1, 2, 3}, {2, 3, 4}, {3, 4, 4}}

// benchTicket returns the i-th generated ticket of a client and its followups.
func benchTicket(r *rand.Rand, clientID int64, techs []int64, now time.Time) (ticket.Ticket, []ticket.Followup) {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var t ticket.Ticket
	t.ClientID = clientID
	french := r.IntN(10) < 6
	var sentences []string
	if french {
		t.Title = pick(benchSubjectsFR) + " " + pick(benchProblemsFR)
		sentences = benchSentencesFR
	} else {
		t.Title = pick(benchSubjectsEN) + " " + pick(benchProblemsEN)
		sentences = benchSentencesEN
	}
	desc := make([]string, 1+r.IntN(3))
	for i := range desc {
		desc[i] = pick(sentences)
	}
	if r.IntN(2000) == 0 {
		desc = append(desc, benchRare)
	}
	t.Description = strings.Join(desc, " ")
	t.Type = ticket.TypeIncident
	if r.IntN(10) < 3 {
		t.Type = ticket.TypeRequest
	}
	t.Impact, t.Urgency = 1+r.IntN(3), 1+r.IntN(3)
	t.Priority = benchMatrix[t.Impact-1][t.Urgency-1]
	t.Level = []string{"N1", "N1", "N1", "N2", "N3"}[r.IntN(5)]
	w := r.IntN(1000)
	for _, s := range benchStatuses {
		if w < s.weight {
			t.Status = s.status
			break
		}
		w -= s.weight
	}
	open := t.Status != ticket.StatusResolved && t.Status != ticket.StatusClosed
	// Open tickets are recent; the others are spread over three years.
	age := time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))
	if open {
		age = time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))
	}
	t.Created = now.Add(-age).Truncate(time.Second)
	t.Updated = t.Created.Add(time.Duration(r.Int64N(int64(age) + 1)))
	if t.Status != ticket.StatusNew {
		a := techs[r.IntN(len(techs))]
		t.AssigneeID = &a
		owned := t.Created.Add(time.Duration(r.Int64N(int64(4 * time.Hour))))
		t.OwnedAt = &owned
	}
	if r.IntN(10) < 8 {
		tto := t.Created.Add(time.Duration(1+r.IntN(8)) * time.Hour)
		ttr := t.Created.Add(time.Duration(4+r.IntN(5*24-4)) * time.Hour)
		t.SLA = ticket.SLA{Covered: true, TTODue: &tto}
		if open {
			t.SLA.TTRDue = &ttr
			next := ttr
			t.SLA.NextCheck = &next
		}
	}
	if !open {
		resolved := t.Updated
		t.ResolvedAt = &resolved
		if t.Status == ticket.StatusClosed {
			t.ClosedAt = &resolved
		}
	}
	fs := make([]ticket.Followup, 1+r.IntN(5))
	for i := range fs {
		fs[i] = ticket.Followup{Author: "Technicien", Public: r.IntN(3) > 0, Body: pick(benchFollowups), Created: t.Created.Add(time.Duration(i+1) * time.Hour)}
	}
	return t, fs
}

// benchTicketBatch is the number of tickets generated per transaction.
const benchTicketBatch = 1000

// generateTickets writes o.clients clients, 30 technicians and o.tickets
// tickets with their followups through the store. PostgreSQL gets several
// writers; SQLite has one.
func generateTickets(ctx context.Context, db *store.DB, o ticketBenchOptions, progress io.Writer) error {
	start := time.Now()
	if err := seed(ctx, db, o.clients, 0, nil); err != nil {
		return err
	}
	var clients []int64
	rows, err := db.SQL().QueryContext(ctx, `SELECT id FROM clients ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		clients = append(clients, id)
	}
	rows.Close()
	var techs []int64
	for i := range 30 {
		u := user.User{Email: fmt.Sprintf("tech%d@msp.example", i), Name: fmt.Sprintf("Technicien %d", i), Role: tenant.RoleTechnician, Level: user.LevelN1, Language: "fr"}
		if err := db.CreateUser(ctx, &u, "$argon2id$bench"); err != nil {
			return fmt.Errorf("create technician: %w", err)
		}
		techs = append(techs, u.ID)
	}

	workers := 1
	if db.Dialect() == store.Postgres {
		workers = 4
	}
	batches := make(chan int)
	errs := make(chan error, workers)
	var (
		mu   sync.Mutex
		done int
	)
	now := time.Now().UTC()
	step := max(o.tickets/20, benchTicketBatch)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range batches {
				to := min(from+benchTicketBatch, o.tickets)
				// One generator per batch: the data does not depend on the workers.
				r := rand.New(rand.NewPCG(o.seed, uint64(from)))
				err := db.InTx(ctx, func(ctx context.Context) error {
					for range to - from {
						t, fs := benchTicket(r, clients[r.IntN(len(clients))], techs, now)
						if err := db.CreateTicket(ctx, tenant.System(), &t); err != nil {
							return fmt.Errorf("create ticket: %w", err)
						}
						for i := range fs {
							fs[i].TicketID = t.ID
							if err := db.AddFollowup(ctx, &fs[i]); err != nil {
								return fmt.Errorf("add followup: %w", err)
							}
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				done += to - from
				if progress != nil && (done%step < benchTicketBatch || done == o.tickets) {
					el := time.Since(start)
					fmt.Fprintf(progress, "  generated %d/%d tickets in %s (%.0f tickets/s)\n", done, o.tickets, el.Round(time.Second), float64(done)/el.Seconds())
				}
				mu.Unlock()
			}
		}()
	}
	var err2 error
feed:
	for from := 0; from < o.tickets; from += benchTicketBatch {
		select {
		case batches <- from:
		case err2 = <-errs:
			break feed
		case <-ctx.Done():
			err2 = ctx.Err()
			break feed
		}
	}
	close(batches)
	wg.Wait()
	close(errs)
	if err2 != nil {
		return err2
	}
	if err := <-errs; err != nil {
		return err
	}
	if progress != nil {
		fmt.Fprintf(progress, "  generated %d clients and %d tickets in %s\n", o.clients, o.tickets, time.Since(start).Round(time.Second))
	}
	return nil
}

// ticketQuery is one kind of timed query: filter returns the filter of a sample.
type ticketQuery struct {
	name   string
	filter func(r *rand.Rand, clients []int64) ticket.Filter
}

// measureTickets times each kind of query o.samples times (after a warm-up
// of a tenth as many) as a staff member who sees every client, and prints
// the percentiles and the size of the database.
func measureTickets(ctx context.Context, db *store.DB, o ticketBenchOptions, dsn string, out io.Writer) error {
	var clients []int64
	rows, err := db.SQL().QueryContext(ctx, `SELECT id FROM clients ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		clients = append(clients, id)
	}
	rows.Close()
	var tickets, followups int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM followups)`).Scan(&tickets, &followups); err != nil {
		return err
	}
	// A manager: a staff scope without client limits.
	staff := tenant.Scope{UserID: 1, Role: tenant.RoleManager}
	open := true
	byClient := func(f ticket.Filter) func(*rand.Rand, []int64) ticket.Filter {
		return func(r *rand.Rand, cs []int64) ticket.Filter {
			f.ClientID = cs[r.IntN(len(cs))]
			return f
		}
	}
	all := func(f ticket.Filter) func(*rand.Rand, []int64) ticket.Filter {
		return func(*rand.Rand, []int64) ticket.Filter { return f }
	}
	queries := []ticketQuery{
		{"queue: client, open, by due time", byClient(ticket.Filter{Open: &open, Sort: "due"})},
		{`search "imprimante" (common), newest first`, all(ticket.Filter{Query: "imprimante"})},
		{`search "imprimante", client`, byClient(ticket.Filter{Query: "imprimante"})},
		{`search "imprimante", client, open, by due time`, byClient(ticket.Filter{Query: "imprimante", Open: &open, Sort: "due"})},
		{`search "thermostat" (rare), newest first`, all(ticket.Filter{Query: "thermostat"})},
		{`search "thermostat", client`, byClient(ticket.Filter{Query: "thermostat"})},
		{`search "serveur lent" (two words), newest first`, all(ticket.Filter{Query: "serveur lent"})},
		{`search "imprim" (prefix being typed), newest first`, all(ticket.Filter{Query: "imprim"})},
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "%s, %d clients, %d tickets, %d followups; %d samples per query, 50 rows per page\n\n", db.Dialect(), len(clients), tickets, followups, o.samples)
	fmt.Fprintln(tw, "QUERY\tp50\tp90\tp99\tmax\tROWS (median)\t")
	for i, q := range queries {
		r := rand.New(rand.NewPCG(o.seed, uint64(1000+i)))
		for range max(o.samples/10, 1) {
			f := q.filter(r, clients)
			f.Limit = 50
			if _, _, err := db.Tickets(ctx, staff, f); err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
		}
		times := make([]time.Duration, o.samples)
		counts := make([]int, o.samples)
		for j := range times {
			f := q.filter(r, clients)
			f.Limit = 50
			t0 := time.Now()
			ts, _, err := db.Tickets(ctx, staff, f)
			times[j] = time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			counts[j] = len(ts)
		}
		slices.Sort(times)
		slices.Sort(counts)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", q.name, ms(percentile(times, 0.5)), ms(percentile(times, 0.9)), ms(percentile(times, 0.99)), ms(times[len(times)-1]), counts[len(counts)/2])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	size, detail, err := databaseSize(ctx, db, dsn)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\ndatabase size: %s%s\n", mib(size), detail)
	return nil
}

// databaseSize returns the size of the database and, on PostgreSQL, that of
// its ticket tables.
func databaseSize(ctx context.Context, db *store.DB, dsn string) (int64, string, error) {
	if db.Dialect() == store.Postgres {
		var all, tickets, search, followups int64
		err := db.SQL().QueryRowContext(ctx, `SELECT pg_database_size(current_database()), pg_total_relation_size('tickets'),
			pg_total_relation_size('ticket_search'), pg_total_relation_size('followups')`).Scan(&all, &tickets, &search, &followups)
		return all, fmt.Sprintf(" (tickets %s, followups %s, ticket_search %s, with their indexes)", mib(tickets), mib(followups), mib(search)), err
	}
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(dsn + suffix); err == nil {
			total += st.Size()
		}
	}
	return total, " (file and WAL)", nil
}
