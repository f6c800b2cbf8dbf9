package helpdeskmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode ISO-8859-1, Windows-1252… bodies and headers
	gomail "github.com/emersion/go-message/mail"
)

// MaxMessageSize is the largest inbound message accepted (25 MiB).
const MaxMessageSize = 25 << 20

// maxTextPart bounds what is read of one text part: a ticket holds 50,000
// characters at most, and a huge "text" part is no message written by a person.
const maxTextPart = 1 << 20

// Errors of Parse.
var (
	// ErrMalformed means the message is not readable MIME; the error says why.
	ErrMalformed = errors.New("malformed message")
	// ErrTooLarge means the message is larger than MaxMessageSize.
	ErrTooLarge = errors.New("message too large")
)

// Inbound is a parsed inbound message.
type Inbound struct {
	FromName string
	// From is the sender's address, lowercased.
	From       string
	To, Cc     []string
	Subject    string // RFC 2047 decoded
	MessageID  string // without angle brackets
	InReplyTo  []string
	References []string
	Date       time.Time
	// Text is the body as plain text (from text/plain, else from text/html
	// with its tags stripped), without the quoted history of a reply.
	Text string
	// Full is the body as plain text with its quoted history: a new ticket
	// keeps it (a forwarded request is all quoted), a followup takes Text.
	Full        string
	Attachments []Attachment
	// AutoReply says why the message is an automatic reply or bulk mail
	// ("" when it is not).
	AutoReply string
	// Bounce says why the message is a delivery report ("" when it is not).
	Bounce string
	// VigieTicket is the X-Vigie-Ticket header, set on Vigie's own messages.
	VigieTicket string
	Size        int
}

// Attachment is a file attached to an inbound message, held in memory (a
// message is at most MaxMessageSize) until the helpdesk keeps it.
type Attachment struct {
	Name        string
	ContentType string
	Size        int64
	Content     []byte
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Parse reads an RFC 5322 message. It refuses messages larger than
// MaxMessageSize (ErrTooLarge) and messages that are not readable MIME or
// have no sender address (ErrMalformed, with the reason).
func Parse(raw []byte) (Inbound, error) {
	in := Inbound{Size: len(raw)}
	if len(raw) > MaxMessageSize {
		return in, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(raw), MaxMessageSize)
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return in, malformed("header: %v", err)
	}
	if e == nil {
		return in, malformed("no header")
	}
	h := gomail.Header{Header: e.Header}
	from, err := h.AddressList("From")
	if err != nil || len(from) == 0 || from[0].Address == "" {
		// A bounce may come from the null sender: keep its report for the
		// classification, it is never answered.
		return in, malformed("no valid From address")
	}
	in.FromName, in.From = clean(from[0].Name), strings.ToLower(from[0].Address)
	in.To = addresses(h, "To")
	in.Cc = addresses(h, "Cc")
	if s, err := h.Subject(); err == nil {
		in.Subject = clean(s)
	} else {
		in.Subject = clean(h.Get("Subject"))
	}
	in.MessageID, _ = h.MessageID()
	in.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	in.References, _ = h.MsgIDList("References")
	in.Date, _ = h.Date()
	in.VigieTicket = strings.TrimSpace(h.Get("X-Vigie-Ticket"))
	in.AutoReply = autoReply(h, in.Subject)

	mediaType, params, _ := e.Header.ContentType()
	if mediaType == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		in.Bounce = "delivery status report"
	} else if local, _, _ := strings.Cut(in.From, "@"); local == "mailer-daemon" || local == "postmaster" {
		in.Bounce = "sent by " + local
	}
	if strings.HasPrefix(mediaType, "multipart/") && params["boundary"] == "" {
		return in, malformed("%s without boundary", mediaType)
	}

	var plain, html string
	err = e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		t, p, _ := part.Header.ContentType()
		if strings.HasPrefix(t, "multipart/") {
			if p["boundary"] == "" {
				return fmt.Errorf("%s without boundary", t)
			}
			return nil
		}
		disp, dp, _ := part.Header.ContentDisposition()
		name := dp["filename"]
		if name == "" {
			name = p["name"]
		}
		inline := disp != "attachment" && name == ""
		switch {
		case inline && t == "text/plain" && plain == "":
			s, err := readText(part.Body)
			if err != nil {
				return err
			}
			plain = s
		case inline && t == "text/html" && html == "":
			s, err := readText(part.Body)
			if err != nil {
				return err
			}
			html = s
		case inline && (t == "text/plain" || t == "text/html" || t == "" && path == nil):
			// An alternative already read, or a later inline text part.
			if _, err := io.Copy(io.Discard, part.Body); err != nil {
				return err
			}
		default:
			b, err := io.ReadAll(part.Body)
			if err != nil {
				return err
			}
			if t == "" {
				t = "application/octet-stream"
			}
			in.Attachments = append(in.Attachments, Attachment{Name: clean(name), ContentType: t, Size: int64(len(b)), Content: b})
		}
		return nil
	})
	if err != nil {
		return in, malformed("body: %v", err)
	}
	switch {
	case plain != "":
		in.Full = strings.TrimSpace(plain)
	case html != "":
		in.Full = HTMLText(html)
	}
	in.Text = TrimQuoted(in.Full)
	return in, nil
}

// readText reads a text part, at most maxTextPart bytes, as valid UTF-8.
func readText(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxTextPart))
	if err != nil {
		return "", err
	}
	// Drain the rest so that the walk goes on to the next part.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", err
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.ReplaceAll(s, "\r\n", "\n"), nil
}

func addresses(h gomail.Header, key string) []string {
	list, err := h.AddressList(key)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}

// clean makes a header value one line of valid UTF-8 without control characters.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// autoReplySubjects start the subject of vacation and automatic replies.
var autoReplySubjects = []string{"out of office", "automatic reply", "auto-reply", "autoreply", "réponse automatique", "absence du bureau", "absent du bureau"}

// autoReply says why a message is an automatic reply or bulk mail, "" if it is not.
func autoReply(h gomail.Header, subject string) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + clean(v)
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if h.Has(k) {
			return k + " header"
		}
	}
	if h.Has("List-Id") {
		return "mailing list (List-Id)"
	}
	s := strings.ToLower(subject)
	for _, p := range autoReplySubjects {
		if strings.HasPrefix(s, p) {
			return "subject " + `"` + subject + `"`
		}
	}
	return ""
}
