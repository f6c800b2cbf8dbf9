package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// demoClock is the clock of the demo's helpdesk: the history is written as
// if it happened over the last three months.
type demoClock struct{ t time.Time }

func (c *demoClock) now() time.Time { return c.t }

var requests = []struct {
	typ     ticket.Type
	title   string
	body    string
	impact  int
	urgency int
}{
	{ticket.TypeIncident, "Le serveur de fichiers ne répond plus", "Plus personne n'accède au partage **Commun** depuis ce matin.", 1, 1},
	{ticket.TypeIncident, "Imprimante de l'accueil bloquée", "Bourrage papier à répétition, voyant orange.", 3, 2},
	{ticket.TypeRequest, "Créer un compte pour une nouvelle arrivée", "Arrivée lundi : messagerie, accès au partage *Compta*.", 3, 2},
	{ticket.TypeIncident, "Messagerie très lente", "Outlook met plusieurs minutes à synchroniser.", 2, 2},
	{ticket.TypeRequest, "Installer le logiciel de paie sur le poste de la RH", "Version 2026, licence jointe par mail.", 3, 3},
	{ticket.TypeIncident, "VPN impossible depuis le domicile", "Erreur d'authentification depuis la mise à jour.", 2, 1},
	{ticket.TypeChange, "Remplacement du pare-feu du site", "Planifier le remplacement hors heures ouvrées.", 2, 3},
	{ticket.TypeIncident, "Disque plein sur le serveur de sauvegarde", "Les sauvegardes de la nuit ont échoué.", 1, 2},
	{ticket.TypeRequest, "Commande de deux écrans supplémentaires", "Pour les postes de la comptabilité.", 3, 3},
	{ticket.TypeIncident, "Wi-Fi instable en salle de réunion", "Déconnexions toutes les dix minutes.", 2, 3},
}

// seedHelpdesk writes service levels, categories and three months of
// tickets, under the contracts seedContracts wrote first.
func seedHelpdesk(ctx context.Context, a *app.App, staff []user.User) error {
	s := tenant.System()
	ctx = audit.WithActor(ctx, audit.Actor{Name: "demo"})
	cats := map[string]int64{}
	for _, name := range []string{"Matériel", "Logiciel", "Réseau", "Comptes et accès", "Sauvegardes"} {
		c := ticket.Category{Name: name}
		if err := a.Tickets.SaveCategory(ctx, s, &c); err != nil {
			return fmt.Errorf("category %s: %w", name, err)
		}
		cats[name] = c.ID
	}
	clients, err := a.Clients.List(ctx, s, client.Filter{Limit: 10})
	if err != nil {
		return err
	}
	escalation := []string{
		"Urgence production : appeler Hélène Martin au +33 4 78 00 00 01, puis le fournil (+33 4 78 00 00 09).",
		"Prévenir Claire Dupont pour tout incident P1 ; jamais d'intervention pendant les audiences du mardi matin.",
		"Out of hours: call the Le Havre warehouse duty phone +33 2 35 00 00 00.",
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	clock := &demoClock{}
	svc := ticket.NewService(a.DB, a.DB, a.DB, a.Journal, clock.now, a.Log)
	start := time.Now().UTC().AddDate(0, -3, 0)
	for i, c := range clients {
		// Business hours and targets are the contract's (seedContracts);
		// the service level says how the helpdesk works for the client.
		err := a.Tickets.SaveServiceLevel(ctx, s, ticket.ServiceLevel{ClientID: c.ID, Escalation: escalation[i%len(escalation)]})
		if err != nil {
			return fmt.Errorf("service level of %s: %w", c.Code, err)
		}
		contacts, err := a.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: c.ID})
		if err != nil {
			return err
		}
		for n := range 25 {
			if n < 21 {
				clock.t = businessInstant(start.Add(time.Duration(n)*83*24*time.Hour/21), rng)
			} else {
				// The last few arrived today: their clocks are still running.
				// Their whole history below takes at most two hours.
				clock.t = time.Now().UTC().Add(-time.Duration(150+rng.IntN(240)) * time.Minute).Truncate(time.Minute)
			}
			r := requests[rng.IntN(len(requests))]
			t := ticket.Ticket{ClientID: c.ID, Type: r.typ, Title: r.title, Description: r.body, Impact: r.impact, Urgency: r.urgency}
			if len(contacts) > 0 {
				t.RequesterID = &contacts[rng.IntN(len(contacts))].ID
			}
			cat := []string{"Matériel", "Logiciel", "Réseau", "Comptes et accès", "Sauvegardes"}[rng.IntN(5)]
			id := cats[cat]
			t.CategoryID = &id
			if err := svc.Create(ctx, s, &t); err != nil {
				return fmt.Errorf("ticket %q: %w", t.Title, err)
			}
			if err := playTicket(ctx, svc, clock, rng, t, staff, n >= 21); err != nil {
				return fmt.Errorf("ticket %d: %w", t.ID, err)
			}
		}
	}
	// Bring every clock to the present: old open tickets become breached.
	for {
		n, err := a.Tickets.CheckDue(ctx, 500)
		if err != nil || n < 500 {
			return err
		}
	}
}

// businessInstant returns a moment on a weekday between 08:00 and 17:00 Paris time near t.
func businessInstant(t time.Time, rng *rand.Rand) time.Time {
	paris, _ := time.LoadLocation("Europe/Paris")
	d := t.In(paris)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 8+rng.IntN(9), rng.IntN(60), 0, 0, paris).UTC()
}

// playTicket writes a plausible life for a ticket: taken in hand after a
// while (sometimes too late), replies, a wait for the client, resolution and
// closing; recent tickets stay open at various stages.
func playTicket(ctx context.Context, svc *ticket.Service, clock *demoClock, rng *rand.Rand, t ticket.Ticket, staff []user.User, recent bool) error {
	tech := staff[rng.IntN(len(staff))]
	act := func(d time.Duration) context.Context {
		clock.t = clock.t.Add(d)
		return audit.WithActor(ctx, audit.Actor{UserID: tech.ID, Name: tech.Name})
	}
	techScope := tech.Scope()
	// Most tickets are taken within the hour; one in six waits much longer.
	delay := time.Duration(5+rng.IntN(50)) * time.Minute
	if rng.IntN(6) == 0 && !recent {
		delay = time.Duration(3+rng.IntN(20)) * time.Hour
	}
	if recent && rng.IntN(3) == 0 {
		return nil // still new, unassigned
	}
	id := tech.ID
	idp := &id
	if _, err := svc.Update(act(delay), techScope, t.ID, ticket.Change{AssigneeID: &idp}); err != nil {
		return err
	}
	if _, err := svc.Reply(act(10*time.Minute), techScope, t.ID, "Bonjour, nous prenons votre demande en charge.", true); err != nil {
		return err
	}
	inProgress := ticket.StatusInProgress
	if _, err := svc.Update(act(5*time.Minute), techScope, t.ID, ticket.Change{Status: &inProgress}); err != nil {
		return err
	}
	if rng.IntN(3) == 0 {
		waiting := ticket.StatusWaitingClient
		if _, err := svc.Update(act(30*time.Minute), techScope, t.ID, ticket.Change{Status: &waiting}); err != nil {
			return err
		}
		if recent {
			return nil
		}
		clock.t = clock.t.Add(time.Duration(2+rng.IntN(40)) * time.Hour)
		clientScope := tenant.Scope{Role: tenant.RoleClientAdmin, ClientID: t.ClientID}
		clientCtx := audit.WithActor(ctx, audit.Actor{Name: "client"})
		if _, err := svc.Reply(clientCtx, clientScope, t.ID, "Voici les informations demandées.", true); err != nil {
			return err
		}
	}
	if _, err := svc.Reply(act(20*time.Minute), techScope, t.ID, "Diagnostic : voir la note interne.", false); err != nil {
		return err
	}
	if recent {
		return nil
	}
	if err := svc.LogTime(act(time.Minute), techScope, t.ID, &ticket.TimeEntry{Duration: time.Duration(15+rng.IntN(120)) * time.Minute, Billable: rng.IntN(4) == 0, Note: "Intervention à distance"}); err != nil {
		return err
	}
	resolved := ticket.StatusResolved
	if _, err := svc.Update(act(time.Duration(1+rng.IntN(30))*time.Hour), techScope, t.ID, ticket.Change{Status: &resolved}); err != nil {
		return err
	}
	closed := ticket.StatusClosed
	_, err := svc.Update(act(48*time.Hour), techScope, t.ID, ticket.Change{Status: &closed})
	return err
}
