package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// seedContracts gives each demo client its contract in force, with its
// service hours and delays (the SLA clocks of the tickets follow them, so
// contracts come before the helpdesk's history): the bakery's covers its
// whole fleet with a monthly support allowance; the law firm's covers its
// workstations only — the source text's example: a server failure there is
// not the provider's responsibility; the freight company's runs on a
// prepaid pack and has a draft renewal waiting.
func seedContracts(ctx context.Context, a *app.App, clientIDs []int64) error {
	s := tenant.System()
	now := time.Now().UTC()
	for i, id := range clientIDs {
		cl, err := a.Clients.Get(ctx, s, id)
		if err != nil {
			return err
		}
		cal := ticket.DefaultCalendar
		if cl.TimeZone == "Europe/Stockholm" {
			cal = `{"tz":"Europe/Stockholm","week":{"mon":["08:00-17:00"],"tue":["08:00-17:00"],"wed":["08:00-17:00"],"thu":["08:00-17:00"],"fri":["08:00-16:00"]}}`
		}
		targets := map[sla.Priority]sla.Target{
			"P1": {TTO: 30 * time.Minute, TTR: 4 * time.Hour},
			"P2": {TTO: time.Hour, TTR: 8 * time.Hour},
			"P3": {TTO: 4 * time.Hour, TTR: 24 * time.Hour},
			"P4": {TTO: 8 * time.Hour, TTR: 80 * time.Hour},
		}
		contacts, err := a.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: id})
		if err != nil {
			return err
		}
		var recipients []int64
		if len(contacts) > 0 {
			recipients = []int64{contacts[0].ID}
		}
		start := contract.Day(now.AddDate(-1, -2, 0), time.UTC)
		start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(3, 0, -1)
		c := contract.Contract{ClientID: id, Reference: fmt.Sprintf("INF-%d-%02d", start.Year(), i+1), Start: start, End: &end,
			Renewal: contract.Renewal{Kind: contract.RenewalTacit, TermMonths: 12, NoticeMonths: 3}, State: contract.StateActive,
			Calendar: cal, Targets: targets, Availability: 99.5, OnSitePerMonth: 2,
			Reporting:     contract.Reporting{Daily: i == 0, Monthly: true, Quarterly: true, Annual: true, Recipients: recipients},
			Reversibility: "À la fin du contrat, le prestataire remet au client l'export complet de ses données (inventaire, tickets, documentation) dans un format ouvert, sous 30 jours, et accompagne le nouveau prestataire pendant 10 jours ouvrés.",
			DataProtection: "Le prestataire agit en sous-traitant au sens de l'article 28 du RGPD : il ne traite les données personnelles que sur instruction du client, " +
				"les héberge dans l'Union européenne et les supprime au plus tard 5 ans après la fin du contrat.",
			RetentionYears: 5}
		switch i {
		case 0:
			c.Title = "Infogérance du parc et des serveurs"
			c.Support = contract.Support{Mode: contract.SupportMonthly, Minutes: 10 * 60}
		case 1:
			c.Title = "Infogérance des postes de travail"
			c.Support = contract.Support{Mode: contract.SupportMonthly, Minutes: 6 * 60}
			c.Perimeter = contract.Perimeter{Kinds: []asset.Kind{asset.KindWorkstation}}
		default:
			c.Title = "Managed services — warehouses"
			c.Availability = 99.9
			c.Support = contract.Support{Mode: contract.SupportPack, Minutes: 40 * 60, PackStart: &start}
		}
		if err := a.Contracts.Create(ctx, s, &c); err != nil {
			return fmt.Errorf("contract of client %d: %w", id, err)
		}
		if i == 2 {
			// The renewal being prepared: a draft may overlap the contract in force.
			next := end.AddDate(0, 0, 1)
			draft := c
			draft.ID, draft.Reference, draft.State, draft.Start, draft.End = 0, fmt.Sprintf("INF-%d-%02d", next.Year(), i+1), contract.StateDraft, next, nil
			draft.Title = "Managed services — warehouses (renewal, draft)"
			draft.Renewal = contract.Renewal{Kind: contract.RenewalNone}
			if err := a.Contracts.Create(ctx, s, &draft); err != nil {
				return fmt.Errorf("draft contract of client %d: %w", id, err)
			}
		}
	}
	return nil
}
