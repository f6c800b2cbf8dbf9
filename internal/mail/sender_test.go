package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/mail"
)

const rawMessage = "From: Vigie <vigie@msp.example>\r\nTo: a@client.example\r\nSubject: TLS\r\nMessage-ID: <1@msp.example>\r\n\r\nline one\r\n.leading dot\r\n"

// TestSMTPModes checks each TLS mode and authentication against a real
// server: what is configured is what happens on the wire.
func TestSMTPModes(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	users := map[string]string{"vigie": "s3cret"}
	tests := []struct {
		name     string
		server   serverOptions
		cfg      config.SMTP
		wantUser string
		wantErr  string // "" when delivered
	}{
		{"starttls with auth", serverOptions{tls: serverTLS, users: users}, config.SMTP{TLS: "starttls", Username: "vigie", Password: "s3cret"}, "vigie", ""},
		{"implicit tls with auth", serverOptions{tls: serverTLS, implicit: true, users: users}, config.SMTP{TLS: "tls", Username: "vigie", Password: "s3cret"}, "vigie", ""},
		{"starttls without auth", serverOptions{tls: serverTLS}, config.SMTP{TLS: "starttls"}, "", ""},
		{"starttls required but not offered", serverOptions{}, config.SMTP{TLS: "starttls"}, "", "STARTTLS"},
		{"wrong password", serverOptions{tls: serverTLS, users: users}, config.SMTP{TLS: "starttls", Username: "vigie", Password: "nope"}, "", "535"},
		// PLAIN over a clear connection would give the password away: refused.
		{"no password in clear", serverOptions{users: users, insecureAuth: true}, config.SMTP{TLS: "none", Username: "vigie", Password: "s3cret"}, "", "auth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSMTPServerWith(t, tc.server)
			cfg := tc.cfg
			cfg.Host, cfg.Port = srv.host, srv.port
			s, err := mail.NewSMTPSender(cfg, mail.SenderOptions{Timeout: 5 * time.Second, TLSConfig: clientTLS})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), mail.Envelope{ID: 1, From: "vigie@msp.example", To: []string{"a@client.example"}}, []byte(rawMessage))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.wantErr)) {
					t.Fatalf("Send = %v, want an error about %s", err, tc.wantErr)
				}
				if mail.IsPermanent(err) {
					t.Errorf("a connection or configuration error is permanent: %v", err)
				}
				select {
				case r := <-srv.got:
					t.Fatalf("delivered anyway: %+v", r)
				default:
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := receive(t, srv)
			if r.user != tc.wantUser || r.from != "vigie@msp.example" || len(r.to) != 1 {
				t.Errorf("received %+v", r)
			}
			if string(r.data) != rawMessage {
				t.Errorf("delivered %q, want the raw message byte for byte", r.data)
			}
		})
	}
}

func TestPermanentRefusal(t *testing.T) {
	srv := newSMTPServer(t)
	srv.reject["gone@client.example"] = true
	s, err := mail.NewSMTPSender(srv.config(), mail.SenderOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), mail.Envelope{From: "vigie@msp.example", To: []string{"gone@client.example"}}, []byte(rawMessage))
	if err == nil || !mail.IsPermanent(err) {
		t.Fatalf("Send = %v, want a permanent error", err)
	}
	srv.setFailData(1)
	_, err = s.Send(context.Background(), mail.Envelope{From: "vigie@msp.example", To: []string{"a@client.example"}}, []byte(rawMessage))
	if err == nil || mail.IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary error", err)
	}
}
