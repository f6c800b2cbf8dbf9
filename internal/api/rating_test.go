package api_test

import (
	"testing"

	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

func TestTicketRatingAPI(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			h := newHelpdeskEnv(t, dialect)
			tk := h.create(t, h.userTok, map[string]any{"type": "incident", "title": "Imprimante"})
			path := ticketPath(tk.ID, "/rating")

			h.do(t, "GET", path, h.userTok, nil).want(t, 404)
			if code, _ := h.do(t, "POST", path, h.userTok, `{"score":5}`).problem(t, 422).field(t, "status"); code != "not_resolved" {
				t.Errorf("rating an open ticket: code %q", code)
			}
			h.do(t, "PATCH", ticketPath(tk.ID, ""), h.techTok, `{"status":"resolved"}`).want(t, 200)

			if code, _ := h.do(t, "POST", path, h.userTok, `{"score":6}`).problem(t, 422).field(t, "score"); code != "invalid_choice" {
				t.Errorf("score 6: code %q", code)
			}
			h.do(t, "POST", path, h.techTok, `{"score":5}`).want(t, 403)
			var got struct {
				TicketID int64  `json:"ticket_id"`
				Score    int    `json:"score"`
				Comment  string `json:"comment"`
			}
			h.do(t, "POST", path, h.userTok, `{"score":4,"comment":"Rapide"}`).want(t, 200).decode(t, &got)
			if got.TicketID != tk.ID || got.Score != 4 || got.Comment != "Rapide" {
				t.Errorf("rating %+v", got)
			}
			h.do(t, "POST", path, h.clientTok, `{"score":3}`).want(t, 200)
			h.do(t, "GET", path, h.techTok, nil).want(t, 200).decode(t, &got)
			if got.Score != 3 || got.Comment != "" {
				t.Errorf("after re-rating %+v", got)
			}
			// Client B knows nothing of it.
			bTok := h.s.Token(h.s.User("boss@bravo.example", tenant.RoleClientAdmin, h.b.ID), true)
			h.do(t, "GET", path, bTok, nil).want(t, 404)
			h.do(t, "POST", path, bTok, `{"score":1}`).want(t, 404)
		})
	}
}
