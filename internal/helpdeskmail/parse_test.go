package helpdeskmail_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/helpdeskmail"
)

func msg(headers, body string) []byte {
	return []byte(strings.ReplaceAll(headers, "\n", "\r\n") + "\r\n" + body)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		raw   []byte
		check func(t *testing.T, in helpdeskmail.Inbound)
	}{
		{
			name: "plain text with RFC 2047 subject and quoted history",
			raw: msg("From: =?UTF-8?Q?Ren=C3=A9e_Dupont?= <Renee.Dupont@Alpha.example>\nTo: support@msp.example\nCc: Boss <boss@alpha.example>\nSubject: =?UTF-8?Q?Re=3A_Imprimante_en_panne_=5B#42=5D?=\nMessage-ID: <abc@alpha.example>\nIn-Reply-To: <ticket-42-ff@vigie.msp.example>\nReferences: <ticket-42@vigie.msp.example> <ticket-42-ff@vigie.msp.example>\nDate: Mon, 3 Mar 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n",
				"Toujours en panne ce matin.\r\n\r\nLe lun. 3 mars 2025 à 09:00, Support <support@msp.example> a\r\nécrit :\r\n> Avez-vous redémarré ?\r\n"),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.From != "renee.dupont@alpha.example" || in.FromName != "Renée Dupont" {
					t.Errorf("from = %q %q", in.FromName, in.From)
				}
				if in.Subject != "Re: Imprimante en panne [#42]" {
					t.Errorf("subject = %q", in.Subject)
				}
				if in.MessageID != "abc@alpha.example" || len(in.InReplyTo) != 1 || len(in.References) != 2 {
					t.Errorf("ids = %q %q %q", in.MessageID, in.InReplyTo, in.References)
				}
				if in.Text != "Toujours en panne ce matin." {
					t.Errorf("text = %q", in.Text)
				}
				if !strings.Contains(in.Full, "Avez-vous redémarré") {
					t.Errorf("full text lost the history: %q", in.Full)
				}
				if len(in.Cc) != 1 || in.Cc[0] != "boss@alpha.example" || in.Date.IsZero() {
					t.Errorf("cc = %q, date %v", in.Cc, in.Date)
				}
				if in.AutoReply != "" || in.Bounce != "" {
					t.Errorf("classified %q %q", in.AutoReply, in.Bounce)
				}
			},
		},
		{
			name: "html only, latin-1, tags stripped",
			raw: msg("From: a@alpha.example\nSubject: =?ISO-8859-1?Q?Probl=E8me?=\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n",
				"<html><head><style>p{color:red}</style></head><body><p>Le serveur <b>ne r=E9pond plus</b>.</p><script>alert(1)</script><blockquote>ancien message</blockquote><p>Merci<br>Anne</p></body></html>"),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.Subject != "Problème" {
					t.Errorf("subject = %q", in.Subject)
				}
				if in.Text != "Le serveur ne répond plus.\n\nMerci\nAnne" {
					t.Errorf("text = %q", in.Text)
				}
			},
		},
		{
			name: "alternative prefers text/plain; attachment listed",
			raw: msg("From: a@alpha.example\nSubject: Logs\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n",
				"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nVoir le fichier.\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n--inner--\r\n--outer\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\nContent-Disposition: attachment; filename=\"rapport.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ=\r\n--outer--\r\n"),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.Text != "Voir le fichier." {
					t.Errorf("text = %q", in.Text)
				}
				if len(in.Attachments) != 1 || in.Attachments[0].Name != "rapport.pdf" || in.Attachments[0].ContentType != "application/pdf" || in.Attachments[0].Size != 11 {
					t.Errorf("attachments = %+v", in.Attachments)
				}
			},
		},
		{
			name: "out of office",
			raw:  msg("From: a@alpha.example\nSubject: Out of Office: [#3] Printer\nContent-Type: text/plain\n", "I am away."),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.AutoReply == "" {
					t.Error("not classified as an automatic reply")
				}
			},
		},
		{
			name: "auto-submitted",
			raw:  msg("From: a@alpha.example\nSubject: Absent\nAuto-Submitted: auto-replied\n", "Away."),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if !strings.Contains(in.AutoReply, "auto-replied") {
					t.Errorf("auto reply = %q", in.AutoReply)
				}
			},
		},
		{
			name: "auto-submitted no is a person",
			raw:  msg("From: a@alpha.example\nSubject: Hello\nAuto-Submitted: no\n", "Hi."),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.AutoReply != "" {
					t.Errorf("auto reply = %q", in.AutoReply)
				}
			},
		},
		{
			name: "precedence bulk",
			raw:  msg("From: news@alpha.example\nSubject: News\nPrecedence: bulk\n", "News."),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.AutoReply != "Precedence: bulk" {
					t.Errorf("auto reply = %q", in.AutoReply)
				}
			},
		},
		{
			name: "delivery status report",
			raw: msg("From: Mail Delivery System <MAILER-DAEMON@mx.example>\nSubject: Undelivered Mail\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n",
				"--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"),
			check: func(t *testing.T, in helpdeskmail.Inbound) {
				if in.Bounce != "delivery status report" {
					t.Errorf("bounce = %q", in.Bounce)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := helpdeskmail.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want error
		says string
	}{
		{"no From", msg("Subject: hi\n", "x"), helpdeskmail.ErrMalformed, "From"},
		{"bad header", []byte("this is not a header\r\n\r\nbody"), helpdeskmail.ErrMalformed, "header"},
		{"multipart without boundary", msg("From: a@b.example\nContent-Type: multipart/mixed\n", "x"), helpdeskmail.ErrMalformed, "boundary"},
		{"unterminated multipart", msg("From: a@b.example\nContent-Type: multipart/mixed; boundary=zz\n", "--zz\r\nContent-Type: text/plain\r\n\r\nhello"), helpdeskmail.ErrMalformed, "body"},
		{"too large", append(msg("From: a@b.example\n", ""), make([]byte, helpdeskmail.MaxMessageSize)...), helpdeskmail.ErrTooLarge, "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := helpdeskmail.Parse(tt.raw)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Parse = %v, want %v saying %q", err, tt.want, tt.says)
			}
		})
	}
}

func TestTrimQuoted(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"english", "Thanks, fixed.\n\nOn Mon, Mar 3, 2025 at 9:00 AM Support <s@x> wrote:\n> old", "Thanks, fixed."},
		{"french one line", "Merci.\nLe 03/03/2025 à 09:00, Support a écrit :\n> ancien", "Merci."},
		{"outlook", "OK pour moi.\n\nDe : Support <s@x>\nEnvoyé : lundi 3 mars\nÀ : Anne\nObjet : [#4]", "OK pour moi."},
		{"inline quotes dropped", "> question ?\nréponse\n> autre ?\nautre réponse", "réponse\nautre réponse"},
		{"all quoted kept", "-----Original Message-----\nFrom: x\nplease fix", "-----Original Message-----\nFrom: x\nplease fix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := helpdeskmail.TrimQuoted(tt.in); got != tt.want {
				t.Errorf("TrimQuoted = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTicketRef(t *testing.T) {
	const host = "vigie.msp.example"
	tests := []struct {
		name string
		in   helpdeskmail.Inbound
		want int64
	}{
		{"subject", helpdeskmail.Inbound{Subject: "Re: Fwd: TR: Printer [#123]"}, 123},
		{"first of two", helpdeskmail.Inbound{Subject: "[#7] about [#8]"}, 7},
		{"no ref", helpdeskmail.Inbound{Subject: "Printer #123"}, 0},
		{"zero", helpdeskmail.Inbound{Subject: "[#0]"}, 0},
		{"in-reply-to", helpdeskmail.Inbound{Subject: "Re: hello", InReplyTo: []string{"ticket-55-abcd@" + host}}, 55},
		{"root reference", helpdeskmail.Inbound{References: []string{"x@y", "<ticket-56@" + host + ">"}}, 56},
		{"foreign host", helpdeskmail.Inbound{InReplyTo: []string{"ticket-57-abcd@evil.example"}}, 0},
		{"not ours", helpdeskmail.Inbound{InReplyTo: []string{"ticket-x1@" + host}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := helpdeskmail.TicketRef(tt.in, host)
			if got != tt.want || ok != (tt.want != 0) {
				t.Errorf("TicketRef = %d %v, want %d", got, ok, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	own := []string{"support@msp.example"}
	const host = "vigie.msp.example"
	tests := []struct {
		name string
		in   helpdeskmail.Inbound
		want helpdeskmail.Class
	}{
		{"person", helpdeskmail.Inbound{From: "a@alpha.example"}, helpdeskmail.ClassMessage},
		{"own sender", helpdeskmail.Inbound{From: "support@msp.example"}, helpdeskmail.ClassLoop},
		{"own header echoed", helpdeskmail.Inbound{From: "support@msp.example", VigieTicket: "12"}, helpdeskmail.ClassLoop},
		{"own message id", helpdeskmail.Inbound{From: "fwd@alpha.example", MessageID: "ticket-3-aa@" + host}, helpdeskmail.ClassLoop},
		{"bounce", helpdeskmail.Inbound{From: "mailer-daemon@mx.example", Bounce: "sent by mailer-daemon"}, helpdeskmail.ClassBounce},
		{"auto reply", helpdeskmail.Inbound{From: "a@alpha.example", AutoReply: "Precedence: bulk"}, helpdeskmail.ClassAutoReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := helpdeskmail.Classify(tt.in, own, host)
			if got != tt.want || (got != helpdeskmail.ClassMessage && why == "") {
				t.Errorf("Classify = %q %q, want %q", got, why, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(msg("From: a@b.example\nSubject: hi\n", "body"))
	f.Add(msg("From: a@b.example\nContent-Type: multipart/mixed; boundary=x\n", "--x\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--x--\r\n"))
	f.Add(msg("From: =?utf-8?b?w6k=?= <a@b.example>\nSubject: =?iso-8859-1?q?=E9?=\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n", "0LDQsQ=="))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := helpdeskmail.Parse(raw)
		if err != nil {
			if !errors.Is(err, helpdeskmail.ErrMalformed) && !errors.Is(err, helpdeskmail.ErrTooLarge) {
				t.Fatalf("error of no known kind: %v", err)
			}
			if strings.TrimSpace(strings.SplitN(err.Error(), ":", 2)[1]) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if in.From == "" {
			t.Fatal("parsed without a sender")
		}
		if strings.ContainsAny(in.Subject, "\r\n") {
			t.Fatalf("subject spans lines: %q", in.Subject)
		}
		if strings.Contains(in.Text, "<script") && !strings.Contains(string(raw), "<script") {
			t.Fatal("text invented markup")
		}
	})
}

func FuzzTicketRef(f *testing.F) {
	f.Add("Re: Printer [#123]", int64(5))
	f.Add("[#99999999999999999999]", int64(1))
	f.Add("", int64(0))
	f.Fuzz(func(t *testing.T, subject string, n int64) {
		if got, ok := helpdeskmail.SubjectTicketRef(subject); ok {
			if got <= 0 || !strings.Contains(subject, fmt.Sprintf("[#%d]", got)) && !strings.Contains(subject, "[#0") {
				t.Fatalf("SubjectTicketRef(%q) = %d", subject, got)
			}
		}
		if n > 0 && !strings.Contains(subject, "[#") {
			got, ok := helpdeskmail.SubjectTicketRef(subject + fmt.Sprintf(" [#%d]", n))
			if !ok || got != n {
				t.Fatalf("SubjectTicketRef(%q + [#%d]) = %d %v", subject, n, got, ok)
			}
			id := fmt.Sprintf("<ticket-%d-%x@vigie.example>", n, subject)
			if got, ok := helpdeskmail.MessageIDTicketRef(id, "vigie.example"); !ok || got != n {
				t.Fatalf("MessageIDTicketRef(%q) = %d %v", id, got, ok)
			}
		}
		_, _ = helpdeskmail.MessageIDTicketRef(subject, "")
	})
}
