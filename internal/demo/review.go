package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// seedReview holds a past service review of the first client: the quarter
// before the last complete one, its meeting, and three actions decided in
// it — one done since, two still open, so that the next review (the one the
// page shows by default) carries them over.
func seedReview(ctx context.Context, a *app.App, clientID int64) error {
	s := tenant.System()
	loc, err := a.Reviews.Location(ctx, s, clientID)
	if err != nil {
		return err
	}
	last := review.DefaultPeriod(time.Now(), loc)
	before := last.From.AddDate(0, -3, 0)
	p := report.Quarter(before.Year(), (int(before.Month())-1)/3+1, loc)
	held := time.Date(last.From.Year(), last.From.Month(), 8, 0, 0, 0, 0, time.UTC)
	m := review.Meeting{HeldOn: &held,
		Attendees: "Côté client : la gérante et l’assistante de direction. Côté prestataire : le responsable de compte et le technicien référent.",
		Notes:     "Trimestre correct. Deux prises en charge P1 hors délai, liées au lien internet de l’opérateur ; une panne de caisse le samedi a attendu le lundi (hors heures de service)."}
	if err := a.Reviews.SaveMeeting(ctx, s, clientID, p, &m); err != nil {
		return fmt.Errorf("meeting: %w", err)
	}
	contacts, err := a.Clients.Contacts(ctx, s, client.ContactFilter{ClientID: clientID})
	if err != nil {
		return err
	}
	staff, err := a.Users.List(ctx, s, user.Filter{Staff: true, Limit: 100})
	if err != nil {
		return err
	}
	var manager *int64
	for _, u := range staff {
		if u.Role == tenant.RoleManager {
			manager = &u.ID
			break
		}
	}
	var contact *int64
	if len(contacts) > 0 {
		contact = &contacts[0].ID
	}
	today := time.Now().UTC()
	actions := []review.Action{
		{Title: "Ajouter un second lien internet (4G de secours) au magasin", OwnerUserID: manager, Owner: "Responsable de compte", Due: today.AddDate(0, 1, 0)},
		{Title: "Étendre l’astreinte au samedi matin pour les caisses", OwnerContactID: contact, Due: today.AddDate(0, 2, 0), Status: review.StatusInProgress},
		{Title: "Documenter la procédure de redémarrage des caisses", Owner: "Technicien référent", Due: today.AddDate(0, 0, 14)},
	}
	for i := range actions {
		if err := a.Reviews.AddAction(ctx, s, clientID, p, &actions[i]); err != nil {
			return fmt.Errorf("action %q: %w", actions[i].Title, err)
		}
	}
	// The procedure was written since: done; the other two are carried.
	return a.Reviews.SetStatus(ctx, s, actions[2].ID, review.StatusDone)
}
