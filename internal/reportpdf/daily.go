package reportpdf

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/report"
)

// RenderDaily writes the PDF of a daily summary (compte rendu) to w: the
// day's key figures, the tickets opened and closed, the alerts, the
// interventions and the backup runs. Bad options are a fault.Invalid and
// nothing is written.
func RenderDaily(w io.Writer, d report.Daily, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	r, err := newRenderer(report.Monthly{ClientID: d.ClientID, Client: d.Client, Period: d.Period}, opts)
	if err != nil {
		return err
	}
	r.title = r.t("daily.title", r.longDate(d.Period))
	r.pdf.SetTitle(r.title+" — "+r.o.Client, true)
	r.pdf.AddPage()
	r.titleBlock()
	r.dailyBody(d)
	return r.finish(w)
}

// finish checks and writes the document.
func (r *renderer) finish(w io.Writer) error {
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("render report pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := r.pdf.Output(&buf); err != nil {
		return fmt.Errorf("render report pdf: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write report pdf: %w", err)
	}
	return nil
}

// longDate is the first day of a period written out: "13 octobre 2026",
// "13 October 2026".
func (r *renderer) longDate(p report.PeriodInfo) string {
	t := p.From.In(r.loc)
	month := r.t("month." + strconv.Itoa(int(t.Month())))
	if r.o.Lang == "fr" {
		month = lowerFirst(month)
	}
	return strconv.Itoa(t.Day()) + " " + month + " " + strconv.Itoa(t.Year())
}

func lowerFirst(s string) string {
	rs := []rune(s)
	if len(rs) > 0 && rs[0] < 128 && rs[0] >= 'A' && rs[0] <= 'Z' {
		rs[0] += 'a' - 'A'
	}
	return string(rs)
}

// tiles prints label/value tiles, two a row (as the steering report's
// summary does).
func (r *renderer) tiles(title string, tiles [][2]string) {
	const gap, tileH = 4.0, 16.0
	tileW := (contW - gap) / 2
	r.heading(title, tileH)
	p := r.pdf
	for i, tile := range tiles {
		col := i % 2
		if col == 0 {
			r.ensure(tileH + gap)
		}
		x, y := margin+float64(col)*(tileW+gap), p.GetY()
		r.fill(headerBg)
		p.RoundedRect(x, y, tileW, tileH, 2, "1234", "F")
		p.SetXY(x+3, y+2)
		r.font("", 8.5)
		r.color(muted)
		r.cell(tileW-6, 5, r.fit(tile[0], tileW-6), "", 2, "L", false, 0, "")
		p.SetX(x + 3)
		r.font("B", 12)
		r.color(ink)
		r.cell(tileW-6, 7, r.fit(tile[1], tileW-6), "", 0, "L", false, 0, "")
		if col == 1 || i == len(tiles)-1 {
			p.SetY(y + tileH + gap)
		} else {
			p.SetY(y)
		}
	}
}

// clock is the time of day of t in the report's zone.
func (r *renderer) clock(t time.Time) string { return t.In(r.loc).Format("15:04") }

func (r *renderer) dailyBody(d report.Daily) {
	r.tiles(r.t("summary"), [][2]string{
		{r.t("kpi.opened"), strconv.Itoa(len(d.Opened))},
		{r.t("kpi.closed"), strconv.Itoa(len(d.Closed))},
		{r.t("kpi.alerts"), r.t("alerts_value", d.AlertCount, d.InMaintenance)},
		{r.t("daily.kpi.time"), r.t("daily.time_value", r.duration(float64(d.Time.TotalMinutes)), d.Time.Entries)},
		{r.t("kpi.backups"), r.ratio(d.BackupSuccess)},
		{r.t("time.on_site", d.Time.OnSiteEntries), r.duration(float64(d.Time.OnSiteMinutes))},
	})
	r.dayTickets(r.t("daily.opened"), d.Opened)
	r.dayTickets(r.t("daily.closed"), d.Closed)

	r.heading(r.t("daily.alerts"), 2*rowH)
	if len(d.Alerts) == 0 {
		r.note(r.t("daily.none.alerts"))
	} else {
		rows := make([][]string, len(d.Alerts))
		for i, a := range d.Alerts {
			state := r.t("daily.state." + a.State)
			if a.Maintenance {
				state += " (" + r.t("daily.maintenance") + ")"
			}
			rows[i] = []string{r.clock(a.At), a.Asset, a.Check, state}
		}
		r.table([]string{r.t("daily.col.time"), r.t("col.asset"), r.t("col.check"), r.t("daily.col.state")},
			[]float64{20, 60, 60, 40}, []string{"L", "L", "L", "L"}, rows, nil)
	}

	r.heading(r.t("daily.interventions"), 2*rowH)
	if len(d.Interventions) == 0 {
		r.note(r.t("daily.none.interventions"))
	} else {
		rows := make([][]string, len(d.Interventions))
		for i, e := range d.Interventions {
			where := r.t("daily.remote")
			if e.OnSite {
				where = r.t("daily.on_site")
			}
			ticket := "#" + strconv.FormatInt(e.TicketID, 10)
			if e.Ticket != "" {
				ticket += " " + e.Ticket
			}
			rows[i] = []string{r.clock(e.Start), e.Technician, ticket, r.duration(float64(e.Minutes)), where}
		}
		r.table([]string{r.t("daily.col.time"), r.t("daily.col.technician"), r.t("col.ticket"), r.t("col.time"), r.t("daily.col.where")},
			[]float64{18, 40, 72, 27, 23}, []string{"L", "L", "L", "R", "L"}, rows, nil)
	}

	r.heading(r.t("section.backups"), 2*rowH)
	if len(d.Backups) == 0 {
		r.note(r.t("daily.none.backups"))
	} else {
		rows := make([][]string, len(d.Backups))
		for i, b := range d.Backups {
			state := r.t("run.failed")
			if b.OK {
				state = r.t("run.ok")
			}
			rows[i] = []string{r.clock(b.At), b.Asset + " — " + b.Check, state}
		}
		r.table([]string{r.t("daily.col.time"), r.t("col.job"), r.t("daily.col.result")}, []float64{20, 120, 40}, []string{"L", "L", "L"}, rows, nil)
	}
}

// dayTickets lists tickets: number, title, priority, status.
func (r *renderer) dayTickets(title string, ts []report.DayTicket) {
	r.heading(title, 2*rowH)
	if len(ts) == 0 {
		r.note(r.t("daily.none.tickets"))
		return
	}
	rows := make([][]string, len(ts))
	for i, t := range ts {
		name := t.Title
		if t.OutOfPerimeter {
			name += " (" + r.t("daily.out_of_perimeter") + ")"
		}
		rows[i] = []string{"#" + strconv.FormatInt(t.ID, 10), name, r.t("type." + string(t.Type)), t.Priority.String(), r.t("daily.status." + string(t.Status))}
	}
	r.table([]string{r.t("col.ticket"), r.t("col.title"), r.t("col.type"), r.t("col.priority"), r.t("daily.col.status")},
		[]float64{18, 80, 27, 20, 35}, []string{"L", "L", "L", "C", "L"}, rows, nil)
}
