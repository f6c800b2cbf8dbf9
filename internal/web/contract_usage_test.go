package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// usageFixture gives BRAVO a monthly contract (10 h, 4 on-site) in force
// with 8 h 30 of billable time and 3 on-site visits this month, and 6 h
// on an out-of-perimeter ticket that must not count.
func usageFixture(t *testing.T, srv *apptest.Server, f fixture) contract.Contract {
	t.Helper()
	ctx, sys := srv.Ctx(), tenant.System()
	x := contract.Contract{ClientID: f.b.ID, Reference: "B-USAGE", Title: "Infogérance", Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		State: contract.StateActive, Calendar: ticket.DefaultCalendar, Availability: 99.5,
		Support: contract.Support{Mode: contract.SupportMonthly, Minutes: 600}, OnSitePerMonth: 4}
	if err := srv.App.Contracts.Create(ctx, sys, &x); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Paris")
	y, m, _ := time.Now().In(loc).Date()
	first := time.Date(y, m, 1, 9, 0, 0, 0, loc)
	tech := srv.User("usage-tech@example.com", tenant.RoleTechnician)
	for i, out := range []bool{false, true} {
		tk := ticket.Ticket{ClientID: f.b.ID, Type: ticket.TypeIncident, Title: fmt.Sprintf("usage %d", i), Impact: 2, Urgency: 2, Priority: ticket.P3,
			Status: ticket.StatusNew, Level: "N1", Created: first, Updated: first}
		if err := srv.App.DB.CreateTicket(ctx, sys, &tk); err != nil {
			t.Fatal(err)
		}
		if out {
			if _, err := srv.App.DB.SQL().ExecContext(ctx, fmt.Sprintf("UPDATE tickets SET out_of_perimeter = TRUE WHERE id = %d", tk.ID)); err != nil {
				t.Fatal(err)
			}
			if err := srv.App.DB.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: tk.ID, TechnicianID: tech.ID, Start: first, Duration: 6 * time.Hour, Billable: true, OnSite: true}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for j, d := range []time.Duration{4 * time.Hour, 3 * time.Hour, 90 * time.Minute} {
			if err := srv.App.DB.AddTimeEntry(ctx, &ticket.TimeEntry{TicketID: tk.ID, TechnicianID: tech.ID, Start: first.Add(time.Duration(j) * time.Hour),
				Duration: d, Billable: true, OnSite: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return x
}

func TestContractUsagePage(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		x := usageFixture(t, srv, f)
		path := "/contracts/" + itoa(x.ID)
		manager := signedIn(t, srv, "manager@example.com")
		manager.lang = "en"
		page := manager.get(path)
		wantStatus(t, "contract page", page, http.StatusOK)
		wantBody(t, "contract page", page, "Support hours", "8 h 30 of 10 h (85 %)", `class="badge badge-warn">80 % reached`,
			"3 of 4", `type="month"`, "Last 6 months", "No warning sent.", `enctype="multipart/form-data"`)
		if n := len(regexp.MustCompile(`<tr><th scope="row">[A-Z][a-z]+ \d{4}</th>`).FindAllString(page.body, -1)); n != 6 {
			t.Errorf("history shows %d months, want 6", n)
		}
		old := manager.get(path + "?month=2020-01")
		wantStatus(t, "January 2020", old, http.StatusOK)
		wantBody(t, "January 2020", old, "January 2020", "0 h of 10 h (0 %)", "0 of 4")
		wantStatus(t, "bad month", manager.get(path+"?month=2020-13"), http.StatusUnprocessableEntity)

		// The client page shows the badge to whoever reads the client.
		client := manager.get("/clients/" + itoa(f.b.ID))
		wantBody(t, "client page", client, `class="badge badge-warn" href="`+path+`#usage">Contract 85 % used`)
		wantNotBody(t, "client A page", manager.get("/clients/"+itoa(f.a.ID)), "% used")

		// A client user of B reads it in French, without upload; A's does not.
		srv.User("cuser2@bravo.example", tenant.RoleClientUser, f.b.ID)
		cu := signedIn(t, srv, "cuser2@bravo.example")
		cu.lang = "fr"
		mine := cu.get(path)
		wantStatus(t, "client user", mine, http.StatusOK)
		wantBody(t, "client user", mine, "8 h 30 sur 10 h (85 %)", "3 sur 4")
		wantNotBody(t, "client user", mine, `enctype="multipart/form-data"`)
		wantStatus(t, "client of A", signedIn(t, srv, "cuser@alpha.example").get(path), http.StatusNotFound)
	})
}

var documentLinkRe = regexp.MustCompile(`<a href="(/contracts/\d+/documents/\d+)">([^<]*)</a>`)

func TestContractDocumentsWeb(t *testing.T) {
	eachDialect(t, func(t *testing.T, srv *apptest.Server) {
		f := newFixture(t, srv)
		x := usageFixture(t, srv, f)
		path := "/contracts/" + itoa(x.ID)
		pdf := "%PDF-1.4\n%%EOF\n"
		manager := signedIn(t, srv, "manager@example.com")
		manager.lang = "en"
		tech := signedIn(t, srv, "tech@example.com")
		refused := []struct {
			name  string
			b     *browser
			files map[string]string
			want  int
			flash string
		}{
			{"empty file", manager, map[string]string{"vide.pdf": ""}, http.StatusSeeOther, "This file is empty."},
			{"program", manager, map[string]string{"setup.exe": "MZ..."}, http.StatusSeeOther, "Programs and scripts"},
			{"no file", manager, nil, http.StatusSeeOther, "This field is required."},
			{"technician", tech, map[string]string{"a.pdf": pdf}, http.StatusForbidden, ""},
			{"client user", signedIn(t, srv, "cuser@bravo.example"), map[string]string{"a.pdf": pdf}, http.StatusForbidden, ""},
		}
		for _, tt := range refused {
			t.Run("refused/"+tt.name, func(t *testing.T) {
				r := tt.b.postFiles(path+"/documents", nil, tt.files)
				wantStatus(t, tt.name, r, tt.want)
				if tt.flash != "" {
					wantBody(t, tt.name, tt.b.get(path), "Document refused: "+tt.flash)
				}
				if m := documentLinkRe.FindAllString(manager.get(path).body, -1); len(m) != 0 {
					t.Fatalf("a document was kept: %v", m)
				}
			})
		}
		// A manager limited to another client cannot upload.
		srv.User("manager-a@example.com", tenant.RoleManager, f.a.ID)
		wantStatus(t, "manager of A", signedIn(t, srv, "manager-a@example.com").postFiles(path+"/documents", nil, map[string]string{"a.pdf": pdf}), http.StatusNotFound)

		up := manager.postFiles(path+"/documents", nil, map[string]string{"Contrat signé.pdf": pdf})
		wantStatus(t, "upload", up, http.StatusSeeOther)
		page := manager.get(path)
		wantBody(t, "after upload", page, "Document “Contrat signé.pdf” added.")
		m := documentLinkRe.FindStringSubmatch(page.body)
		if m == nil || m[2] != "Contrat signé.pdf" {
			t.Fatalf("document not listed:\n%s", excerpt(page.body))
		}
		doc := m[1]
		for _, who := range []string{"cuser@bravo.example", "tech@example.com", "manager@example.com"} {
			r := signedIn(t, srv, who).get(doc)
			wantStatus(t, who+" download", r, http.StatusOK)
			if r.body != pdf || r.header.Get("Content-Disposition") == "" || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s downloaded %q with %v", who, r.body, r.header)
			}
		}
		wantStatus(t, "client of A downloads", signedIn(t, srv, "cuser@alpha.example").get(doc), http.StatusNotFound)
		wantStatus(t, "client user deletes", signedIn(t, srv, "cuser@bravo.example").post(doc+"/delete", url.Values{}), http.StatusForbidden)
		wantStatus(t, "technician deletes", tech.post(doc+"/delete", url.Values{}), http.StatusForbidden)
		wantStatus(t, "delete", manager.post(doc+"/delete", url.Values{}), http.StatusSeeOther)
		wantStatus(t, "download after delete", manager.get(doc), http.StatusNotFound)
		wantBody(t, "after delete", manager.get(path), "No document attached.")
	})
}
