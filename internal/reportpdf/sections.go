package reportpdf

import (
	"strconv"

	"github.com/vigie-hq/vigie/internal/contract"
)

// capacity lists the filesystems trending full (report.CapacityOf).
func (r *renderer) capacity() {
	r.heading(r.t("section.capacity"), 2*rowH)
	cs := r.m.Capacity
	if len(cs) == 0 {
		r.note(r.t("none.capacity"))
		return
	}
	rows := make([][]string, len(cs))
	for i, c := range cs {
		left := r.t("capacity.not_growing")
		if c.DaysLeft != nil {
			left = r.t("capacity.days", r.number(*c.DaysLeft, 0))
		}
		rows[i] = []string{c.Asset, c.Mount, r.percent(c.UsedPercent), r.t("capacity.growth", r.number(c.GrowthPerDay, 2)), left}
	}
	r.table([]string{r.t("col.asset"), r.t("col.mount"), r.t("col.used"), r.t("col.growth"), r.t("col.days_left")},
		[]float64{50, 35, 25, 35, 35}, []string{"L", "L", "R", "R", "R"}, rows, nil)
	r.para(r.t("capacity.rule"))
}

// outOfPerimeter lists the work on tickets outside the contract's perimeter.
func (r *renderer) outOfPerimeter() {
	r.heading(r.t("section.out_of_perimeter"), 2*rowH)
	o := r.m.OutOfPerimeter
	if len(o.Tickets) == 0 {
		r.note(r.t("none.out_of_perimeter"))
		return
	}
	rows := make([][]string, len(o.Tickets))
	for i, t := range o.Tickets {
		rows[i] = []string{"#" + strconv.FormatInt(t.ID, 10), t.Title, r.reason(t.Reason), t.Priority.String(),
			r.duration(float64(t.Minutes))}
	}
	r.table([]string{r.t("col.ticket"), r.t("col.title"), r.t("col.reason"), r.t("col.priority"), r.t("col.time")},
		[]float64{18, 62, 53, 20, 27}, []string{"L", "L", "L", "C", "R"}, rows, nil)
	r.para(r.t("out_of_perimeter.total", r.duration(float64(o.TotalMinutes)), r.duration(float64(o.BillableMinutes))))
}

// reason names a perimeter reason code (contract.ReasonCode).
func (r *renderer) reason(code string) string {
	if code == "" {
		return "—"
	}
	key := "reportpdf.reason." + code
	if s := r.o.Texts.T(r.o.Lang, key); s != key && s != "["+key+"]" {
		return s
	}
	return code
}

// para prints a muted note that wraps over the page's width.
func (r *renderer) para(s string) {
	r.font("", 9)
	r.color(muted)
	r.pdf.Ln(1)
	r.multi(contW, 4.5, s, "", "L", false)
}

// support compares the support time consumed with the contract's
// (report.Support: the contract page's figure).
func (r *renderer) support() {
	r.heading(r.t("section.support"), 2*rowH)
	s := r.m.Support
	d := func(min int) string { return r.duration(float64(min)) }
	if !s.Measured() {
		r.note(r.t("support." + s.Status))
		r.para(r.t("support.out_of_perimeter_value", d(s.OutOfPerimeterBillableMinutes)))
		return
	}
	consumed, included := "support.consumed", r.t("support.included_months", s.Months)
	if s.Mode == contract.SupportPack {
		consumed, included = "support.consumed_pack", r.t("support.included_pack")
	}
	rows := [][]string{{r.t("support.contract"), s.Reference}, {r.t(consumed), d(s.ConsumedMinutes)}}
	if s.IncludedMinutes > 0 {
		balance := d(s.IncludedMinutes - s.ConsumedMinutes)
		if s.ConsumedMinutes > s.IncludedMinutes {
			balance = r.t("support.overrun", d(s.ConsumedMinutes-s.IncludedMinutes))
		}
		rows = append(rows, []string{included, d(s.IncludedMinutes)},
			[]string{r.t("support.percent"), r.percent(float64(s.Percent)) + " — " + r.t("support.level."+string(s.Level))},
			[]string{r.t("support.balance"), balance})
	} else {
		rows = append(rows, []string{r.t("support.included"), r.t("support.included_none")})
	}
	onSite := r.t("support.onsite_no_quota", s.OnSite)
	if s.OnSiteIncluded > 0 {
		onSite = r.t("support.onsite_of", s.OnSite, s.OnSiteIncluded) + " — " + r.t("support.level."+string(s.OnSiteLevel))
	}
	rows = append(rows, []string{r.t("support.onsite"), onSite}, []string{r.t("support.out_of_perimeter"), d(s.OutOfPerimeterBillableMinutes)})
	r.table([]string{r.t("col.item"), r.t("col.value")}, []float64{contW - 70, 70}, []string{"L", "R"}, rows, nil)
	r.para(r.t("support.rule"))
}
