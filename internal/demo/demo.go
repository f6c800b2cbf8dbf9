// Package demo fills a fresh database with a believable provider, clients
// and users, so that a new user can try Vigie at once. Later features add
// their own demo data here.
package demo

import (
	"context"
	"fmt"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// Password is the password of every demo account.
const Password = "vigie-demo-2026"

// Account is a demo user to print.
type Account struct {
	Email, Role, Client, Password string
}

type demoClient struct {
	c        client.Client
	sites    []client.Site
	contacts []client.Contact
}

func clients() []demoClient {
	return []demoClient{
		{
			c: client.Client{Code: "BOULMART", Name: "Boulangeries Martin", LegalID: "732 829 320 00074", Address: "12 rue de la République\n69002 Lyon", TimeZone: "Europe/Paris", Language: "fr"},
			sites: []client.Site{
				{Name: "Siège — Lyon 2e", Address: "12 rue de la République\n69002 Lyon"},
				{Name: "Fournil de Villeurbanne", Address: "48 cours Émile-Zola\n69100 Villeurbanne"},
			},
			contacts: []client.Contact{
				{FirstName: "Hélène", LastName: "Martin", Email: "helene.martin@boulangeries-martin.example", Phone: "+33 4 78 00 00 01", JobTitle: "Gérante", VIP: true},
				{FirstName: "Karim", LastName: "Benali", Email: "karim.benali@boulangeries-martin.example", Mobile: "+33 6 12 34 56 78", JobTitle: "Responsable logistique"},
			},
		},
		{
			c: client.Client{Code: "DUPONT-AVOCATS", Name: "Cabinet Dupont & Associés", LegalID: "443 061 841 00047", Address: "3 place du Capitole\n31000 Toulouse", TimeZone: "Europe/Paris", Language: "fr"},
			sites: []client.Site{
				{Name: "Cabinet — Toulouse", Address: "3 place du Capitole\n31000 Toulouse"},
			},
			contacts: []client.Contact{
				{FirstName: "Claire", LastName: "Dupont", Email: "c.dupont@dupont-avocats.example", Phone: "+33 5 61 00 00 02", JobTitle: "Associée gérante", VIP: true},
				{FirstName: "Julien", LastName: "Roux", Email: "j.roux@dupont-avocats.example", JobTitle: "Office manager"},
			},
		},
		{
			c: client.Client{Code: "NORDFREIGHT", Name: "Nordic Freight Services", LegalID: "", VATID: "SE556677889901", Address: "Hamngatan 10\n111 47 Stockholm\nSweden", TimeZone: "Europe/Stockholm", Language: "en"},
			sites: []client.Site{
				{Name: "Stockholm office", Address: "Hamngatan 10, Stockholm"},
				{Name: "Le Havre warehouse", Address: "Quai de l'Europe\n76600 Le Havre"},
			},
			contacts: []client.Contact{
				{FirstName: "Astrid", LastName: "Lindqvist", Email: "astrid.lindqvist@nordfreight.example", Phone: "+46 8 000 00 03", JobTitle: "IT coordinator"},
				{FirstName: "Marc", LastName: "Lefebvre", Email: "marc.lefebvre@nordfreight.example", Mobile: "+33 6 98 76 54 32", JobTitle: "Warehouse manager"},
			},
		},
	}
}

// Seed fills the app's database with the demo data and returns the accounts.
func Seed(ctx context.Context, a *app.App) ([]Account, error) {
	s := tenant.System()
	ctx = audit.WithActor(ctx, audit.Actor{Name: "demo"})
	err := a.Provider.Save(ctx, s, provider.Provider{
		Name: "Vigie Infogérance (démo)", LegalID: "901 234 567 00012", Address: "8 avenue de l'Europe\n67000 Strasbourg",
		Email: "support@vigie-demo.example", Phone: "+33 3 88 00 00 00", Website: "https://vigie-demo.example", Language: "fr", TimeZone: "Europe/Paris",
	})
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	var accounts []Account
	var technicians []user.User
	add := func(u user.User, clientName string) error {
		if err := a.Users.Create(ctx, s, &u, Password); err != nil {
			return fmt.Errorf("user %s: %w", u.Email, err)
		}
		if u.Role == tenant.RoleTechnician && len(u.Clients) == 0 {
			technicians = append(technicians, u)
		}
		accounts = append(accounts, Account{Email: u.Email, Role: string(u.Role) + lvl(u.Level), Client: clientName, Password: Password})
		return nil
	}
	staff := []user.User{
		{Email: "admin@vigie-demo.example", Name: "Alice Admin", Role: tenant.RoleAdmin, Language: "fr"},
		{Email: "manager@vigie-demo.example", Name: "Marc Delivery", Role: tenant.RoleManager},
		{Email: "hotline@vigie-demo.example", Name: "Nina Hotline", Role: tenant.RoleTechnician, Level: user.LevelN1},
		{Email: "engineer@vigie-demo.example", Name: "Samir Ingénieur", Role: tenant.RoleTechnician, Level: user.LevelN2, Language: "en"},
	}
	for _, u := range staff {
		if err := add(u, "—"); err != nil {
			return nil, err
		}
	}
	var expertClients, clientIDs []int64
	var clientSites [][]int64
	for i, dc := range clients() {
		c := dc.c
		if err := a.Clients.Create(ctx, s, &c); err != nil {
			return nil, fmt.Errorf("client %s: %w", c.Code, err)
		}
		if i < 2 {
			expertClients = append(expertClients, c.ID)
		}
		var siteIDs []int64
		for _, st := range dc.sites {
			st.ClientID = c.ID
			if err := a.Clients.CreateSite(ctx, s, &st); err != nil {
				return nil, fmt.Errorf("site %s: %w", st.Name, err)
			}
			siteIDs = append(siteIDs, st.ID)
		}
		clientIDs, clientSites = append(clientIDs, c.ID), append(clientSites, siteIDs)
		var contactIDs []int64
		for j, ct := range dc.contacts {
			ct.ClientID = c.ID
			ct.SiteID = &siteIDs[j%len(siteIDs)]
			if err := a.Clients.CreateContact(ctx, s, &ct); err != nil {
				return nil, fmt.Errorf("contact %s: %w", ct.LastName, err)
			}
			contactIDs = append(contactIDs, ct.ID)
		}
		first, second := dc.contacts[0], dc.contacts[1]
		err := add(user.User{Email: first.Email, Name: first.FullName(), Role: tenant.RoleClientAdmin, ClientID: &c.ID, ContactID: &contactIDs[0]}, c.Name)
		if err != nil {
			return nil, err
		}
		err = add(user.User{Email: second.Email, Name: second.FullName(), Role: tenant.RoleClientUser, ClientID: &c.ID, ContactID: &contactIDs[1]}, c.Name)
		if err != nil {
			return nil, err
		}
	}
	// An N3 expert limited to the first two clients shows per-client limits.
	if err := add(user.User{Email: "expert@vigie-demo.example", Name: "Yann Expert", Role: tenant.RoleTechnician, Level: user.LevelN3, Clients: expertClients}, "2 clients only"); err != nil {
		return nil, err
	}
	// Contracts first: the tickets' SLA clocks follow the contract in force.
	if err := seedContracts(ctx, a, clientIDs); err != nil {
		return nil, fmt.Errorf("contracts: %w", err)
	}
	if err := seedHelpdesk(ctx, a, technicians); err != nil {
		return nil, fmt.Errorf("helpdesk: %w", err)
	}
	if err := seedUsage(ctx, a, clientIDs); err != nil { // after the helpdesk's billable time
		return nil, fmt.Errorf("contract usage: %w", err)
	}
	if err := seedFleet(ctx, a, clientIDs, clientSites); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if err := seedReview(ctx, a, clientIDs[0]); err != nil {
		return nil, fmt.Errorf("service review: %w", err)
	}
	return accounts, nil
}

func lvl(l string) string {
	if l == "" {
		return ""
	}
	return " " + l
}
