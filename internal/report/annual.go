package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/vigie-hq/vigie/internal/ticket"
)

// Annual is the annual report of a client: twelve months of trends, each
// month's figures as Figures computes them, the year's key figures against
// the previous year's, and the evolution requests for the steering
// committee.
type Annual struct {
	ClientID int64      `json:"client_id"`
	Client   string     `json:"client"`
	Period   PeriodInfo `json:"period"`
	// Months are the months of the year begun at now, January first: their
	// figures are Figures over each month.
	Months []MonthTrend `json:"months"`
	// Year is the key figures of the year (Figures over the year), Previous
	// those of the year before (nil when it is before the client's first
	// ticket and has nothing to compare).
	Year     YearSummary  `json:"year"`
	Previous *YearSummary `json:"previous"`
	// Evolutions are the evolution requests (see IsEvolution) created in
	// the year or still open at its end, by id.
	Evolutions []Evolution `json:"evolutions"`
}

// MonthTrend is one month of the annual trends.
type MonthTrend struct {
	Label  string `json:"label"` // 2026-03
	Opened int    `json:"opened"`
	Closed int    `json:"closed"`
	// MeanToResolveMinutes is the MTTR of the tickets resolved in the month.
	MeanToResolveMinutes *float64   `json:"mean_to_resolve_minutes"`
	TTO                  Compliance `json:"tto"`
	TTR                  Compliance `json:"ttr"`
	Backlog              int        `json:"backlog"`
	// Availability is the month's availability of the critical assets
	// together (see AvailabilityTotal).
	Availability *float64 `json:"availability"`
	SoFar        bool     `json:"so_far"`
}

// YearSummary is the key figures of a year.
type YearSummary struct {
	Label                string     `json:"label"`
	Opened               int        `json:"opened"`
	Closed               int        `json:"closed"`
	MeanToOwnMinutes     *float64   `json:"mean_to_own_minutes"`
	MeanToResolveMinutes *float64   `json:"mean_to_resolve_minutes"`
	TTO                  Compliance `json:"tto"`
	TTR                  Compliance `json:"ttr"`
	Backlog              int        `json:"backlog"`
	Availability         *float64   `json:"availability"`
	Satisfaction         *float64   `json:"satisfaction"`
	TotalMinutes         int        `json:"total_minutes"`
	Alerts               int        `json:"alerts"`
	BackupSuccess        *float64   `json:"backup_success"`
	OutOfPerimeter       int        `json:"out_of_perimeter"` // tickets
}

// Evolution is an evolution request.
type Evolution struct {
	ID       int64           `json:"id"`
	Title    string          `json:"title"`
	Category string          `json:"category"`
	Priority ticket.Priority `json:"priority"`
	Created  time.Time       `json:"created"`
	Resolved *time.Time      `json:"resolved"`
	// Status is the ticket's status at the end of the year (or now).
	Status ticket.Status `json:"status"`
}

// EvolutionCategory is the name of the category that makes a request an
// evolution request (compared without case and accents: "Évolution",
// "evolutions" match).
const EvolutionCategory = "evolution"

// IsEvolution reports whether a ticket is an evolution request: a request
// whose category is named "Évolution" (or "Évolutions"), in any case, with
// or without accents.
func IsEvolution(t TicketRow) bool {
	if t.Type != ticket.TypeRequest {
		return false
	}
	name := strings.TrimSuffix(fold(t.Category), "s")
	return name == EvolutionCategory
}

// fold lowercases s and drops its accents.
func fold(s string) string {
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), strings.TrimSpace(s))
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// AnnualFigures computes the annual report of a client for a year (a
// KindYear period, "period": invalid_choice otherwise) at now: Figures over
// each month begun, over the year, and over the year before (without the
// capacity warnings, which the annual report does not show: 14 calls would
// read the filesystems 14 times).
func AnnualFigures(ctx context.Context, st Store, clientID int64, p Period, now time.Time) (Annual, error) {
	if p.Kind != KindYear {
		return Annual{}, invalid("period", codeInvalid, string(KindYear))
	}
	year, err := figures(ctx, st, clientID, p, now, false)
	if err != nil {
		return Annual{}, err
	}
	a := Annual{ClientID: clientID, Client: year.Client, Period: year.Period, Year: Summary(year), Months: []MonthTrend{}, Evolutions: []Evolution{}}
	y := p.From.Year()
	for mo := time.January; mo <= time.December; mo++ {
		mp := Month(y, mo, p.Location)
		if !mp.From.Before(now) {
			break
		}
		m, err := figures(ctx, st, clientID, mp, now, false)
		if err != nil {
			return Annual{}, fmt.Errorf("figures of %s: %w", mp.Label(), err)
		}
		a.Months = append(a.Months, Trend(m))
	}
	prev, err := figures(ctx, st, clientID, Year(y-1, p.Location), now, false)
	if err != nil {
		return Annual{}, fmt.Errorf("figures of %d: %w", y-1, err)
	}
	if prev.Tickets.Opened > 0 || prev.Tickets.Closed > 0 || prev.Time.Entries > 0 || prev.Backups.Success.Whole > 0 {
		s := Summary(prev)
		a.Previous = &s
	}
	rows, err := st.ReportTickets(ctx, clientID, p.From, a.Period.Until)
	if err != nil {
		return Annual{}, fmt.Errorf("report tickets of client %d: %w", clientID, err)
	}
	a.Evolutions = EvolutionsOf(rows, p.From, a.Period.Until)
	return a, nil
}

// Trend is a month's line of the annual trends, from its figures.
func Trend(m Monthly) MonthTrend {
	t := m.Tickets
	return MonthTrend{Label: m.Period.Label, Opened: t.Opened, Closed: t.Closed, MeanToResolveMinutes: t.MeanToResolveMinutes,
		TTO: t.TTO, TTR: t.TTR, Backlog: t.Backlog, Availability: AvailabilityTotal(m.Availability), SoFar: m.Period.SoFar}
}

// Summary is a year's key figures, from its figures.
func Summary(m Monthly) YearSummary {
	t := m.Tickets
	return YearSummary{Label: m.Period.Label, Opened: t.Opened, Closed: t.Closed, MeanToOwnMinutes: t.MeanToOwnMinutes,
		MeanToResolveMinutes: t.MeanToResolveMinutes, TTO: t.TTO, TTR: t.TTR, Backlog: t.Backlog,
		Availability: AvailabilityTotal(m.Availability), Satisfaction: m.Satisfaction.Average, TotalMinutes: m.Time.TotalMinutes,
		Alerts: m.Alerts.Count, BackupSuccess: m.Backups.Success.Percent, OutOfPerimeter: len(m.OutOfPerimeter.Tickets)}
}

// AvailabilityTotal is the availability of the critical assets together:
// their minutes up over their minutes up or down (maintenance and no data
// left out, as for each asset), in percent to three decimals; nil when
// nothing was measured.
func AvailabilityTotal(as []Availability) *float64 {
	var up, down float64
	for _, a := range as {
		up, down = up+a.UpMinutes, down+a.DownMinutes
	}
	if up+down == 0 {
		return nil
	}
	v := round(100*up/(up+down), 3)
	return &v
}

// EvolutionsOf picks the evolution requests among the ticket rows of
// [from, until): created in it, or open at its end.
func EvolutionsOf(rows []TicketRow, from, until time.Time) []Evolution {
	out := []Evolution{}
	for _, t := range rows {
		if !IsEvolution(t) || (!within(t.Created, from, until) && !openAt(t, until)) {
			continue
		}
		status := t.StatusAtEnd
		if status == "" {
			status = ticket.StatusNew
		}
		out = append(out, Evolution{ID: t.ID, Title: t.Title, Category: t.Category, Priority: t.Priority, Created: t.Created,
			Resolved: t.Resolved, Status: status})
	}
	slices.SortFunc(out, func(a, b Evolution) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// CSV returns the annual report as CSV: section, item (a month, a year or a
// ticket), measure, value — as Monthly.CSV.
func (a Annual) CSV() []byte {
	sh := NewSheet(a.Client, a.Period)
	line, ts, n := sh.Line, sh.Time, strconv.Itoa
	summary := func(s YearSummary) {
		line("year", s.Label, "opened", n(s.Opened))
		line("year", s.Label, "closed", n(s.Closed))
		line("year", s.Label, "mean_to_own_minutes", num(s.MeanToOwnMinutes))
		line("year", s.Label, "mean_to_resolve_minutes", num(s.MeanToResolveMinutes))
		line("year", s.Label, "tto_percent", num(s.TTO.Percent))
		line("year", s.Label, "ttr_percent", num(s.TTR.Percent))
		line("year", s.Label, "backlog", n(s.Backlog))
		line("year", s.Label, "availability_percent", num(s.Availability))
		line("year", s.Label, "satisfaction", num(s.Satisfaction))
		line("year", s.Label, "total_minutes", n(s.TotalMinutes))
		line("year", s.Label, "alerts", n(s.Alerts))
		line("year", s.Label, "backup_success_percent", num(s.BackupSuccess))
		line("year", s.Label, "out_of_perimeter_tickets", n(s.OutOfPerimeter))
	}
	summary(a.Year)
	if a.Previous != nil {
		summary(*a.Previous)
	}
	for _, m := range a.Months {
		line("month", m.Label, "opened", n(m.Opened))
		line("month", m.Label, "closed", n(m.Closed))
		line("month", m.Label, "mean_to_resolve_minutes", num(m.MeanToResolveMinutes))
		line("month", m.Label, "tto_met", n(m.TTO.Met))
		line("month", m.Label, "tto_total", n(m.TTO.Total))
		line("month", m.Label, "tto_percent", num(m.TTO.Percent))
		line("month", m.Label, "ttr_met", n(m.TTR.Met))
		line("month", m.Label, "ttr_total", n(m.TTR.Total))
		line("month", m.Label, "ttr_percent", num(m.TTR.Percent))
		line("month", m.Label, "backlog", n(m.Backlog))
		line("month", m.Label, "availability_percent", num(m.Availability))
		line("month", m.Label, "so_far", strconv.FormatBool(m.SoFar))
	}
	for _, e := range a.Evolutions {
		item := "#" + strconv.FormatInt(e.ID, 10)
		line("evolution", item, "title", e.Title)
		line("evolution", item, "priority", e.Priority.String())
		line("evolution", item, "created", ts(e.Created))
		line("evolution", item, "status", string(e.Status))
	}
	return sh.Bytes()
}
