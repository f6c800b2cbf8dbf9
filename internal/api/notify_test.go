package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/testdb"
)

// apiChannel is a notification channel as the API returns it.
type apiChannel struct {
	ID           int64  `json:"id"`
	ClientID     *int64 `json:"client_id"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Target       string `json:"target"`
	MinState     string `json:"min_state"`
	Hours        string `json:"hours"`
	OnProblems   bool   `json:"on_problems"`
	OnRecoveries bool   `json:"on_recoveries"`
	Enabled      bool   `json:"enabled"`
	SecretHint   string `json:"secret_hint"`
	Secret       string `json:"secret"`
	LastError    string `json:"last_error"`
}

func TestNotificationChannels(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newSupEnv(t, dialect)
			type hit struct {
				header http.Header
				body   []byte
			}
			hits := make(chan hit, 4)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				hits <- hit{r.Header.Clone(), b}
			}))
			defer rcv.Close()

			// Create: the webhook's secret is in this response only.
			r := e.do(t, "POST", "/api/v1/notification-channels", e.managerTok, map[string]any{
				"client_id": e.a.ID, "name": "On call", "kind": "webhook", "target": rcv.URL + "/vigie", "min_state": "critical", "on_recoveries": false})
			r.want(t, http.StatusCreated)
			var created apiChannel
			r.decode(t, &created)
			if len(created.Secret) != 64 || created.MinState != "critical" || created.Hours != "always" || !created.OnProblems || created.OnRecoveries || !created.Enabled {
				t.Fatalf("created = %+v", created)
			}
			if loc := r.header.Get("Location"); loc != "/api/v1/notification-channels/"+itoa(created.ID) {
				t.Errorf("Location = %q", loc)
			}
			path := "/api/v1/notification-channels/" + itoa(created.ID)
			var got apiChannel
			e.do(t, "GET", path, e.techTok, nil).want(t, http.StatusOK).decode(t, &got)
			if got.Secret != "" || got.SecretHint != "…"+created.Secret[60:] || strings.Contains(string(e.do(t, "GET", path, e.techTok, nil).body), created.Secret) {
				t.Errorf("GET shows the secret: %+v", got)
			}

			// Bad input: field-named problems, nothing created.
			p := e.do(t, "POST", "/api/v1/notification-channels", e.managerTok, map[string]any{
				"client_id": e.a.ID, "name": "x", "kind": "slack", "target": "javascript:alert(1)"}).problem(t, http.StatusUnprocessableEntity)
			if code, _ := p.field(t, "target"); code != "invalid_url" {
				t.Errorf("target code = %q", code)
			}
			p = e.do(t, "POST", "/api/v1/notification-channels", e.managerTok, map[string]any{
				"client_id": e.a.ID, "name": "x", "kind": "email", "target": "ops@acme.example", "on_problems": false, "on_recoveries": false}).problem(t, http.StatusUnprocessableEntity)
			if code, _ := p.field(t, "events"); code != "required" {
				t.Errorf("events code = %q", code)
			}
			// A technician limited to B neither sees A's channel nor creates one for A or for every client.
			e.do(t, "GET", path, e.techBTok, nil).problem(t, http.StatusNotFound)
			e.do(t, "POST", path+"/test", e.techBTok, nil).problem(t, http.StatusNotFound)
			p = e.do(t, "POST", "/api/v1/notification-channels", e.techBTok, map[string]any{"name": "Global", "kind": "email", "target": "ops@msp.example"}).problem(t, http.StatusUnprocessableEntity)
			if code, _ := p.field(t, "client_id"); code != "required" {
				t.Errorf("global channel by a limited technician: %q", code)
			}
			// Client users manage no channel.
			e.do(t, "GET", "/api/v1/notification-channels", e.clientTok, nil).problem(t, http.StatusForbidden)
			var list struct{ Data []apiChannel }
			e.do(t, "GET", "/api/v1/notification-channels", e.techBTok, nil).want(t, http.StatusOK).decode(t, &list)
			if len(list.Data) != 0 {
				t.Errorf("technician of B lists %+v", list.Data)
			}
			e.do(t, "GET", "/api/v1/notification-channels?client_id="+itoa(e.a.ID), e.managerTok, nil).want(t, http.StatusOK).decode(t, &list)
			if len(list.Data) != 1 || list.Data[0].ID != created.ID {
				t.Errorf("manager lists %+v", list.Data)
			}

			// PATCH keeps the secret; the test message is signed with it.
			e.do(t, "PATCH", path, e.managerTok, map[string]any{"name": "Astreinte", "hours": "off_hours"}).want(t, http.StatusOK).decode(t, &got)
			if got.Name != "Astreinte" || got.Hours != "off_hours" || got.MinState != "critical" {
				t.Errorf("after PATCH %+v", got)
			}
			var res struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			e.do(t, "POST", path+"/test", e.managerTok, nil).want(t, http.StatusOK).decode(t, &res)
			if !res.OK {
				t.Fatalf("test = %+v", res)
			}
			h := <-hits
			mac := hmac.New(sha256.New, []byte(created.Secret))
			mac.Write([]byte(h.header.Get("X-Vigie-Timestamp") + "." + string(h.body)))
			if h.header.Get("X-Vigie-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || !strings.Contains(string(h.body), `"event":"test"`) {
				t.Errorf("test message: %s %v", h.body, h.header)
			}

			// An e-mail channel turned into a webhook gets its secret in that response only.
			var mailCh apiChannel
			e.do(t, "POST", "/api/v1/notification-channels", e.managerTok, map[string]any{"client_id": e.a.ID, "name": "Mail", "kind": "email", "target": "ops@alpha.example"}).
				want(t, http.StatusCreated).decode(t, &mailCh)
			if mailCh.Secret != "" || mailCh.SecretHint != "" {
				t.Errorf("an e-mail channel has a secret: %+v", mailCh)
			}
			var turned apiChannel
			e.do(t, "PATCH", "/api/v1/notification-channels/"+itoa(mailCh.ID), e.managerTok, map[string]any{"kind": "webhook", "target": rcv.URL}).
				want(t, http.StatusOK).decode(t, &turned)
			if len(turned.Secret) != 64 || turned.SecretHint != "…"+turned.Secret[60:] {
				t.Errorf("turned into a webhook: %+v", turned)
			}
			var renamed apiChannel
			e.do(t, "PATCH", "/api/v1/notification-channels/"+itoa(mailCh.ID), e.managerTok, map[string]any{"name": "Hook"}).want(t, http.StatusOK).decode(t, &renamed)
			if renamed.Secret != "" || renamed.SecretHint != turned.SecretHint {
				t.Errorf("after a rename: %+v", renamed)
			}

			var act struct {
				Pending    int              `json:"pending"`
				Deliveries []map[string]any `json:"deliveries"`
			}
			e.do(t, "GET", path+"/activity", e.managerTok, nil).want(t, http.StatusOK).decode(t, &act)
			if act.Pending != 0 || act.Deliveries == nil {
				t.Errorf("activity = %+v", act)
			}
			e.do(t, "GET", path+"/activity", e.techBTok, nil).problem(t, http.StatusNotFound)

			e.do(t, "DELETE", path, e.managerTok, nil).want(t, http.StatusNoContent)
			e.do(t, "GET", path, e.managerTok, nil).problem(t, http.StatusNotFound)
		})
	}
}
