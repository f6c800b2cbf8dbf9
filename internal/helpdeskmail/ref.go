package helpdeskmail

import (
	"regexp"
	"strconv"
	"strings"
)

var subjectRef = regexp.MustCompile(`\[#([0-9]{1,18})\]`)

// SubjectTicketRef returns the ticket number of the first "[#123]" in a
// subject ("Re: Fwd: Printer [#123]").
func SubjectTicketRef(subject string) (int64, bool) {
	m := subjectRef.FindStringSubmatch(subject)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// MessageIDTicketRef returns the ticket number of one of Vigie's Message-IDs,
// "ticket-123@host" or "ticket-123-random@host" (angle brackets optional),
// when host is ours (any host when host is "").
func MessageIDTicketRef(id, host string) (int64, bool) {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	local, domain, ok := strings.Cut(id, "@")
	if !ok || (host != "" && !strings.EqualFold(domain, host)) {
		return 0, false
	}
	rest, ok := strings.CutPrefix(local, "ticket-")
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, "-")
	if digits == "" || len(digits) > 18 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// TicketRef returns the ticket an inbound message refers to: "[#123]" in its
// subject, else one of Vigie's Message-IDs (under host) in its In-Reply-To
// or References.
func TicketRef(in Inbound, host string) (int64, bool) {
	if n, ok := SubjectTicketRef(in.Subject); ok {
		return n, true
	}
	for _, ids := range [][]string{in.InReplyTo, in.References} {
		for _, id := range ids {
			if n, ok := MessageIDTicketRef(id, host); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// Class is the kind of an inbound message for routing.
type Class string

// Classes.
const (
	ClassMessage   Class = "message"    // written by a person: routed
	ClassAutoReply Class = "auto-reply" // vacation reply or bulk mail: ignored
	ClassBounce    Class = "bounce"     // delivery report: ignored
	ClassLoop      Class = "loop"       // Vigie's own message come back: ignored
)

// Classify says what an inbound message is and why. own are Vigie's own
// addresses (its mailboxes and senders, lowercase); host names its Message-IDs.
func Classify(in Inbound, own []string, host string) (Class, string) {
	for _, a := range own {
		if a != "" && strings.EqualFold(in.From, a) {
			if in.VigieTicket != "" {
				return ClassLoop, "sent by Vigie (" + in.From + ", X-Vigie-Ticket " + clean(in.VigieTicket) + ")"
			}
			return ClassLoop, "sent from Vigie's own address " + in.From
		}
	}
	if _, ok := MessageIDTicketRef(in.MessageID, host); ok && host != "" {
		return ClassLoop, "Vigie's own Message-ID " + in.MessageID
	}
	if in.Bounce != "" {
		return ClassBounce, "bounce: " + in.Bounce
	}
	if in.AutoReply != "" {
		return ClassAutoReply, "automatic reply: " + in.AutoReply
	}
	return ClassMessage, ""
}
