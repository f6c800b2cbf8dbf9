package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// demoPackShare is how much of the freight company's prepaid pack the demo
// shows consumed: past the 80 % warning, short of exhaustion.
const demoPackShare = 85

// seedUsage brings the prepaid pack of the demo (the freight company's)
// to about 85 % with billable interventions on one of its tickets, so
// that the contract page, the client page and the dashboard show the
// 80 % warning (the background check e-mails it once the server runs),
// and attaches the signed contract to the first client's contract. It
// runs after the helpdesk's history, whose billable time it tops up.
func seedUsage(ctx context.Context, a *app.App, clientIDs []int64) error {
	s := tenant.System()
	now := time.Now()
	staff, err := a.Users.List(ctx, s, user.Filter{Staff: true, Limit: 50})
	if err != nil {
		return err
	}
	var techID int64
	for _, u := range staff {
		if u.Role == tenant.RoleTechnician {
			techID = u.ID
			break
		}
	}
	if techID == 0 {
		return fmt.Errorf("no technician to log the pack's time")
	}
	for _, id := range clientIDs {
		c, found, err := a.Contracts.InForce(ctx, s, id, now)
		if err != nil {
			return err
		}
		if !found || c.Support.Mode != contract.SupportPack {
			continue
		}
		if err := fillPack(ctx, a, c, techID, now); err != nil {
			return fmt.Errorf("pack of client %d: %w", id, err)
		}
	}
	if len(clientIDs) == 0 {
		return nil
	}
	c, found, err := a.Contracts.InForce(ctx, s, clientIDs[0], now)
	if err != nil || !found || a.ContractDocs == nil {
		return err
	}
	pdf, err := signedContractPDF(c)
	if err != nil {
		return err
	}
	_, err = a.ContractDocs.Save(ctx, s, c.ID, "Contrat signé "+c.Reference+".pdf", "application/pdf", bytes.NewReader(pdf))
	return err
}

// fillPack logs billable remote work until the pack is demoPackShare %
// consumed; a pack already beyond it is enlarged instead (a top-up the
// client bought), so that the share is the same on every run.
func fillPack(ctx context.Context, a *app.App, c contract.Contract, techID int64, now time.Time) error {
	s := tenant.System()
	u, _, err := a.Contracts.Usage(ctx, s, c.ClientID, now)
	if err != nil {
		return err
	}
	target := u.Included * demoPackShare / 100
	if u.Support > target {
		c.Support.Minutes = int(u.Support*100/demoPackShare/time.Minute) + 1
		return a.Contracts.Update(ctx, s, &c)
	}
	// The work goes on one of the client's tickets in the perimeter (the
	// oldest), as a migration spread over the past days.
	tks, _, err := a.Tickets.List(ctx, s, ticket.Filter{ClientID: c.ClientID, Limit: 200})
	if err != nil {
		return err
	}
	var tk *ticket.Ticket
	for i := range tks {
		if !tks[i].OutOfPerimeter {
			tk = &tks[i]
		}
	}
	if tk == nil {
		return fmt.Errorf("no ticket in the perimeter to log the pack's time on")
	}
	opened := now.AddDate(0, 0, -20).UTC().Truncate(time.Hour)
	left := target - u.Support
	for day := 1; left > 0; day++ {
		d := min(left, 3*time.Hour+30*time.Minute)
		start := opened.Add(time.Duration(day)*24*time.Hour + 8*time.Hour)
		if start.After(now) {
			start = now.Add(-d)
		}
		e := ticket.TimeEntry{TicketID: tk.ID, TechnicianID: techID, Start: start, Duration: d, Billable: true,
			Note: fmt.Sprintf("Migration, lot %d", day), Created: start.Add(d)}
		if err := a.DB.AddTimeEntry(ctx, &e); err != nil {
			return err
		}
		left -= d
	}
	return nil
}

// signedContractPDF is a one-page stand-in for a scanned signed contract.
func signedContractPDF(c contract.Contract) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetTitle(c.Reference, true)
	p.AddPage()
	p.SetFont("Helvetica", "B", 16)
	p.Cell(0, 10, tr("Contrat "+c.Reference+" — "+c.Title))
	p.Ln(14)
	p.SetFont("Helvetica", "", 11)
	p.MultiCell(0, 6, tr("Exemplaire signé (document de démonstration). Début : "+c.Start.Format("02/01/2006")+
		". Réversibilité et protection des données : voir les clauses du contrat dans Vigie."), "", "L", false)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		return nil, fmt.Errorf("write demo contract PDF: %w", err)
	}
	return b.Bytes(), nil
}
