package reportpdf

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/review"
)

// RenderReview writes the PDF of a service review to w: the title block,
// the meeting, the contract's commitments with a badge each, the breaches
// with their cause and the action plan. The words come from review.Text,
// the same lines the review page prints. opts.AvailabilityTarget is not
// used (each commitment carries its own target). Bad options are a
// fault.Invalid and nothing is written.
func RenderReview(w io.Writer, rv review.Review, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	m := report.Monthly{ClientID: rv.ClientID, Client: rv.Client, Period: rv.Period}
	r, err := newRenderer(m, opts)
	if err != nil {
		return err
	}
	x := review.Text{Texts: opts.Texts, Lang: opts.Lang, Loc: r.loc}
	r.pdf.SetTitle(x.T("title")+" — "+r.o.Client, true)
	lines := x.Lines(rv)
	r.pdf.AddPage()
	r.reviewTitle(rv, x)
	r.reviewMeeting(rv, x)
	r.reviewCommitments(rv, x, lines)
	r.reviewBreaches(x, lines)
	r.reviewActions(x, lines)
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("render review pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := r.pdf.Output(&buf); err != nil {
		return fmt.Errorf("render review pdf: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write review pdf: %w", err)
	}
	return nil
}

func (r *renderer) reviewTitle(rv review.Review, x review.Text) {
	p := r.pdf
	r.providerHeader()

	r.font("B", 20)
	r.color(accent)
	r.multi(contW, 9, x.T("title")+" — "+rv.Period.Label, "", "L", false)
	p.Ln(2)
	r.label(r.t("client"), r.o.Client)
	last := rv.Period.To.Add(-time.Nanosecond)
	period := r.t("period_range", r.date(rv.Period.From), r.date(last))
	if rv.Period.SoFar {
		period += " (" + r.t("so_far", r.dateTime(rv.Period.Until)) + ")"
	}
	r.label(r.t("period"), period)
	if rv.Contract != nil {
		r.label(x.T("contract"), x.T("contract_value", rv.Contract.Reference, rv.Contract.Title))
	}
	r.font("", 9)
	r.color(muted)
	r.cell(contW, lineH, r.t("generated", r.dateTime(r.o.Generated), r.loc.String()), "", 1, "L", false, 0, "")
	p.Ln(4)
	r.draw(accent)
	p.SetLineWidth(0.6)
	p.Line(margin, p.GetY(), pageW-margin, p.GetY())
	p.SetLineWidth(0.2)
	p.Ln(4)
}

func (r *renderer) reviewMeeting(rv review.Review, x review.Text) {
	mt := rv.Meeting
	r.heading(x.T("section.meeting"), rowH)
	r.font("", 10)
	r.color(ink)
	if mt.HeldOn != nil {
		r.multi(contW, lineH, x.T("meeting.held_on", x.Date(*mt.HeldOn, time.UTC)), "", "L", false)
	} else {
		r.multi(contW, lineH, x.T("meeting.not_held"), "", "L", false)
	}
	if mt.Attendees != "" {
		r.label(x.T("meeting.attendees"), mt.Attendees)
	}
	if mt.Notes != "" {
		r.font("B", 10)
		r.cell(contW, lineH, x.T("meeting.notes"), "", 1, "L", false, 0, "")
		r.font("", 10)
		r.multi(contW, 5, mt.Notes, "", "L", false)
	}
}

// outcomeColour is the badge colour of a result.
func outcomeColour(o review.Outcome) [3]int {
	switch o {
	case review.Met:
		return green
	case review.Missed:
		return red
	}
	return grey
}

func (r *renderer) reviewCommitments(rv review.Review, x review.Text, l review.Lines) {
	r.heading(x.T("section.commitments"), 2*rowH)
	if rv.Contract == nil {
		r.font("", 9)
		r.color(muted)
		r.multi(contW, 5, x.T("no_contract"), "", "L", false)
		return
	}
	if len(l.Commitments) == 0 {
		r.note(x.T("none.commitments"))
		return
	}
	rows := make([][]string, len(l.Commitments))
	for i, c := range l.Commitments {
		rows[i] = []string{c.Label, c.Target, c.Achieved, ""} // the badge says the outcome
	}
	r.table([]string{x.T("col.commitment"), x.T("col.target"), x.T("col.achieved"), x.T("col.outcome")},
		[]float64{62, 43, 45, 30}, []string{"L", "L", "L", "C"}, rows, func(i int, bx, by, bw, bh float64) {
			c := l.Commitments[i]
			r.fill(outcomeColour(c.Result))
			r.pdf.RoundedRect(bx+2, by+(bh-5)/2, bw-4, 5, 1.5, "1234", "F")
			r.font("B", 8)
			r.pdf.SetTextColor(255, 255, 255)
			r.pdf.SetXY(bx+2, by+(bh-5)/2)
			r.cell(bw-4, 5, r.fit(c.Outcome, bw-5), "", 0, "C", false, 0, "")
			r.color(ink)
		})
	r.font("", 8.5)
	r.color(muted)
	r.multi(contW, 4.5, x.T("rule"), "", "L", false)
}

func (r *renderer) reviewBreaches(x review.Text, l review.Lines) {
	r.heading(x.T("section.breaches"), 2*rowH)
	if len(l.Breaches) == 0 {
		r.note(x.T("none.breaches"))
		return
	}
	rows := make([][]string, len(l.Breaches))
	for i, b := range l.Breaches {
		cause := b.Cause
		if b.Entered {
			cause += "\n" + x.T("suggested", b.Suggestion)
		}
		rows[i] = []string{b.Ticket, b.Priority, b.Clock + "\n" + x.T("due_at", b.Due), b.Late, cause}
	}
	r.table([]string{x.T("col.ticket"), x.T("col.priority"), x.T("col.clock"), x.T("col.late"), x.T("col.cause")},
		[]float64{40, 12, 36, 26, 66}, []string{"L", "C", "L", "L", "L"}, rows, nil)
}

func (r *renderer) reviewActions(x review.Text, l review.Lines) {
	r.heading(x.T("section.actions"), 2*rowH)
	if len(l.Actions) == 0 {
		r.note(x.T("none.actions"))
		return
	}
	rows := make([][]string, len(l.Actions))
	for i, a := range l.Actions {
		decided := a.DecidedIn
		if a.Carried {
			decided += " (" + x.T("carried") + ")"
		}
		status := a.Status
		if a.Overdue {
			status += " — " + x.T("overdue")
		}
		rows[i] = []string{a.Title, a.Owner, a.Due, status, decided}
	}
	r.table([]string{x.T("col.action"), x.T("col.owner"), x.T("col.due"), x.T("col.status"), x.T("col.decided")},
		[]float64{54, 32, 22, 34, 38}, []string{"L", "L", "L", "L", "L"}, rows, nil)
}
