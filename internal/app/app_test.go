package app_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
	"github.com/vigie-hq/vigie/internal/ticket"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestOperations(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := apptest.New(t, dialect)
			if res, body := get(t, s.URL+"/healthz"); res.StatusCode != 200 || body != "ok\n" {
				t.Errorf("healthz: %d %q", res.StatusCode, body)
			}
			if res, body := get(t, s.URL+"/readyz"); res.StatusCode != 200 || body != "ready\n" {
				t.Errorf("readyz: %d %q", res.StatusCode, body)
			}
			get(t, s.URL+"/healthz")
			res, body := get(t, s.URL+"/metrics")
			if res.StatusCode != 200 {
				t.Fatalf("metrics: %d", res.StatusCode)
			}
			for _, want := range []string{
				`vigie_http_request_duration_seconds_count{code="200",route="GET /healthz"}`,
				`vigie_db_connections_open{pool="write"}`,
				`go_goroutines`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

func TestReadyzReportsDatabaseDown(t *testing.T) {
	s := apptest.New(t, "sqlite")
	s.App.DB.Close()
	if res, _ := get(t, s.URL+"/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed: %d", res.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := apptest.New(t, "sqlite")
	for _, path := range []string{"/login", "/healthz", "/api/v1/clients", "/no-such-page"} {
		res, _ := get(t, s.URL+path)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestAnonymousIsRefused(t *testing.T) {
	s := apptest.New(t, "sqlite")
	res, body := get(t, s.URL+"/api/v1/clients")
	if res.StatusCode != 401 || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":401`) {
		t.Errorf("anonymous API call: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	b := s.Browser()
	r, err := b.Get(s.URL + "/clients?q=a")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=/clients%3Fq%3Da" {
		t.Errorf("anonymous page: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/clients", nil)
	req.Header.Set("Authorization", "Bearer vgt_forged")
	r, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 401 {
		t.Errorf("forged token: %d", r.StatusCode)
	}
}

func TestAPIUnmatchedIsProblemJSON(t *testing.T) {
	s := apptest.New(t, "sqlite")
	u := s.User("admin@msp.example", "admin")
	tok := s.Token(u, true)
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/v1/nothing-here", 404, ""},
		{"DELETE", "/api/v1/clients", 405, "GET, HEAD, POST"},
		{"PUT", "/api/v1/me", 405, "GET, HEAD"},
	} {
		req, _ := http.NewRequest(tt.method, s.URL+tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d %s allow=%q %s", tt.method, tt.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Allow"), body)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/clients", strings.NewReader(strings.Repeat("x", 3<<20)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("large body: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestUnknownPageIsTranslated(t *testing.T) {
	s := apptest.New(t, "sqlite")
	req, _ := http.NewRequest("GET", s.URL+"/no/such/page", nil)
	req.Header.Set("Accept-Language", "en")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.Contains(string(body), "Page not found") || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("unknown page: %d %q", res.StatusCode, body)
	}
}

// TestTicketNotifiesRequester: opening a ticket for a contact with an
// address queues an acknowledgement in the client's language, threaded on
// the ticket; resolving it queues the resolution notice.
func TestTicketNotifiesRequester(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := apptest.New(t, dialect)
			ctx := s.Ctx()
			c := client.Client{Code: "NOTIF", Name: "Notif Ltd", Language: "en"}
			if err := s.App.Clients.Create(ctx, tenant.System(), &c); err != nil {
				t.Fatal(err)
			}
			ct := client.Contact{ClientID: c.ID, FirstName: "Ann", LastName: "Lee", Email: "ann@notif.example"}
			if err := s.App.Clients.CreateContact(ctx, tenant.System(), &ct); err != nil {
				t.Fatal(err)
			}
			tk := ticket.Ticket{ClientID: c.ID, Type: ticket.TypeIncident, Title: "Printer on fire", RequesterID: &ct.ID}
			if err := s.App.Tickets.Create(ctx, tenant.System(), &tk); err != nil {
				t.Fatal(err)
			}
			resolved := ticket.StatusResolved
			if _, err := s.App.Tickets.Update(ctx, tenant.System(), tk.ID, ticket.Change{Status: &resolved}); err != nil {
				t.Fatal(err)
			}
			mails, err := s.App.DB.Mails(ctx, tenant.System(), mail.Filter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("[#%d]", tk.ID)
			if len(mails) != 2 {
				t.Fatalf("%d mails queued, want acknowledgement and resolution", len(mails))
			}
			for _, m := range mails {
				if !strings.Contains(m.Subject, want) || len(m.To) != 1 || !strings.Contains(m.To[0], "ann@notif.example") {
					t.Errorf("mail %q to %v", m.Subject, m.To)
				}
				full, err := s.App.DB.Mail(ctx, tenant.System(), m.ID)
				if err != nil {
					t.Fatal(err)
				}
				raw := string(full.Raw)
				if !strings.Contains(raw, fmt.Sprintf("X-Vigie-Ticket: %d", tk.ID)) || !strings.Contains(raw, fmt.Sprintf("<ticket-%d@", tk.ID)) {
					t.Errorf("mail %q lacks the ticket headers:\n%.600s", m.Subject, raw)
				}
			}
		})
	}
}
