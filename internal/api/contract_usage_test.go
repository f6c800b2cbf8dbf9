package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func TestContractUsageAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			ctx, sys := e.s.Ctx(), tenant.System()
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			x := contract.Contract{ClientID: e.a.ID, Reference: "A-PACK", Title: "Pack", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				State: contract.StateActive, Calendar: calendar, Availability: 99.5, OnSitePerMonth: 2,
				Support: contract.Support{Mode: contract.SupportPack, Minutes: 600, PackStart: &start}}
			if err := e.s.App.Contracts.Create(ctx, sys, &x); err != nil {
				t.Fatal(err)
			}
			tk := ticket.Ticket{ClientID: e.a.ID, Type: ticket.TypeIncident, Title: "usage", Impact: 2, Urgency: 2, Priority: ticket.P3,
				Status: ticket.StatusNew, Level: "N1", Created: x.Start, Updated: x.Start}
			if err := e.s.App.DB.CreateTicket(ctx, sys, &tk); err != nil {
				t.Fatal(err)
			}
			for _, te := range []ticket.TimeEntry{
				{Start: time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC), Duration: 5 * time.Hour, OnSite: true, Travel: time.Hour},
				{Start: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), Duration: 3 * time.Hour, OnSite: true},
			} {
				te.TicketID, te.TechnicianID, te.Billable = tk.ID, e.tech.ID, true
				if err := e.s.App.DB.AddTimeEntry(ctx, &te); err != nil {
					t.Fatal(err)
				}
			}
			path := fmt.Sprintf("/api/v1/contracts/%d/usage", x.ID)
			var u struct {
				From, To        time.Time
				SupportMinutes  int    `json:"support_minutes"`
				IncludedMinutes int    `json:"included_minutes"`
				SupportPercent  int    `json:"support_percent"`
				SupportLevel    string `json:"support_level"`
				OnSite          int    `json:"onsite"`
				OnSiteIncluded  int    `json:"onsite_included"`
				OnSiteLevel     string `json:"onsite_level"`
			}
			e.do(t, "GET", path+"?at=2026-03-15", e.userTok, nil).want(t, 200).decode(t, &u)
			if u.SupportMinutes != 480 || u.IncludedMinutes != 600 || u.SupportPercent != 80 || u.SupportLevel != "warning_80" ||
				u.OnSite != 1 || u.OnSiteIncluded != 2 || u.OnSiteLevel != "ok" {
				t.Errorf("usage on 15 March: %+v", u)
			}
			e.do(t, "GET", path+"?at=2026-02-28", e.techTok, nil).want(t, 200).decode(t, &u)
			if u.SupportMinutes != 300 || u.SupportLevel != "ok" || u.OnSite != 1 {
				t.Errorf("usage on 28 February: %+v", u)
			}
			p := e.do(t, "GET", path+"?at=15/03/2026", e.userTok, nil).problem(t, 422)
			if code, _ := p.field(t, "at"); code != "invalid_date" {
				t.Errorf("bad date: %s", code)
			}
			bravo := e.s.User("boss@bravo.example", tenant.RoleClientAdmin, e.b.ID)
			e.do(t, "GET", path, e.s.Token(bravo, true), nil).want(t, 404)

			// Documents: the manager uploads, a user of A downloads, an
			// empty file is refused.
			upload := func(name, content string) res {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				w, _ := mw.CreateFormFile("file", name)
				_, _ = w.Write([]byte(content))
				_ = mw.Close()
				return e.do(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/documents", x.ID), e.managerTok, buf.Bytes(), header("Content-Type", mw.FormDataContentType()))
			}
			p = upload("vide.pdf", "").problem(t, 422)
			if code, _ := p.field(t, "file"); code != "empty_file" {
				t.Errorf("empty file: %s", code)
			}
			var d struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			}
			upload("annexe.pdf", "%PDF-1.4\n%%EOF\n").want(t, 201).decode(t, &d)
			doc := fmt.Sprintf("/api/v1/contracts/%d/documents/%d", x.ID, d.ID)
			if r := e.do(t, "GET", doc, e.userTok, nil).want(t, 200); string(r.body) != "%PDF-1.4\n%%EOF\n" {
				t.Errorf("download %q", r.body)
			}
			e.do(t, "DELETE", doc, e.techTok, nil).want(t, 403)
			e.do(t, "DELETE", doc, e.managerTok, nil).want(t, 204)
			e.do(t, "GET", doc, e.userTok, nil).want(t, 404)
		})
	}
}
