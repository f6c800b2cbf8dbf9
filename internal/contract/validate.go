package contract

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
)

// Validation codes of contracts (translated as error.<code>).
const (
	CodeEndBeforeStart = "end_before_start"
	CodeOverlaps       = "overlaps"      // Param: the other contract's reference
	CodeNotOfClient    = "not_of_client" // Param: the id named
	CodeInAndOut       = "in_and_out"    // an asset both included and excluded; Param: its id
	CodeTTOAfterTTR    = "tto_after_ttr"
	CodeStillActive    = "still_active"
	CodeInvalidDate    = "invalid_date"
	CodeInvalidCal     = "invalid_calendar"
	CodeOutOfRange     = "out_of_range"
	CodeRequired       = "required"
	CodeInvalidChoice  = "invalid_choice"
	CodeDuplicate      = "duplicate"
)

// Normalize validates a contract's own fields and cleans them in place:
// texts trimmed, dates cut to the day, defaults filled (state draft,
// renewal none, support none, retention 5 years), lists sorted without
// duplicates. What needs the database (the client's contacts, sites and
// assets, the other contracts) is checked by the Service.
func (c *Contract) Normalize() error {
	var v fault.Invalid
	c.Reference = v.Text("reference", c.Reference, 64, true, false)
	c.Title = v.Text("title", c.Title, 200, true, false)
	if c.State == "" {
		c.State = StateDraft
	}
	if !c.State.Valid() {
		v.Add("state", CodeInvalidChoice)
	}
	c.Start = date(c.Start)
	if !validDay(c.Start) {
		v.Add("start", CodeInvalidDate)
	}
	if c.End != nil {
		end := date(*c.End)
		c.End = &end
		switch {
		case !validDay(end):
			v.Add("end", CodeInvalidDate)
		case end.Before(c.Start):
			v.Add("end", CodeEndBeforeStart)
		}
	}
	c.normalizeRenewal(&v)
	if _, err := sla.Parse(c.Calendar); err != nil {
		if c.Calendar == "" {
			v.Add("calendar", CodeRequired)
		} else {
			v.Add("calendar", CodeInvalidCal, err.Error())
		}
	}
	if c.Targets == nil {
		c.Targets = map[sla.Priority]sla.Target{}
	}
	for prio, t := range c.Targets {
		field := "targets." + string(prio)
		if !slices.Contains(Priorities, prio) {
			v.Add(field, CodeInvalidChoice)
			continue
		}
		if t.TTO < 0 || t.TTR < 0 || t.TTO > MaxTarget || t.TTR > MaxTarget {
			v.Add(field, CodeOutOfRange)
		} else if t.TTO > 0 && t.TTR > 0 && t.TTO > t.TTR {
			v.Add(field, CodeTTOAfterTTR)
		}
	}
	if math.IsNaN(c.Availability) || c.Availability <= 0 || c.Availability > 100 {
		v.Add("availability", CodeOutOfRange, "0–100")
	}
	c.normalizeSupport(&v)
	if c.OnSitePerMonth < 0 || c.OnSitePerMonth > MaxOnSitePerMonth {
		v.Add("onsite_per_month", CodeOutOfRange, fmt.Sprintf("0–%d", MaxOnSitePerMonth))
	}
	c.Reporting.Recipients = sortedIDs(c.Reporting.Recipients)
	c.Reversibility = v.Text("reversibility", c.Reversibility, 20000, false, true)
	c.DataProtection = v.Text("data_protection", c.DataProtection, 20000, false, true)
	if c.RetentionYears == 0 {
		c.RetentionYears = DefaultRetentionYears
	}
	if c.RetentionYears < MinRetentionYears || c.RetentionYears > MaxRetentionYears {
		v.Add("retention_years", CodeOutOfRange, fmt.Sprintf("%d–%d", MinRetentionYears, MaxRetentionYears))
	}
	c.Perimeter.normalize(&v)
	return v.Err()
}

func (c *Contract) normalizeRenewal(v *fault.Invalid) {
	r := &c.Renewal
	if r.Kind == "" {
		r.Kind = RenewalNone
	}
	if !slices.Contains(RenewalKinds, r.Kind) {
		v.Add("renewal.kind", CodeInvalidChoice)
		return
	}
	if r.NoticeMonths < 0 || r.NoticeMonths > MaxNoticeMonths {
		v.Add("renewal.notice_months", CodeOutOfRange, fmt.Sprintf("0–%d", MaxNoticeMonths))
	}
	switch r.Kind {
	case RenewalNone:
		r.NoticeMonths, r.TermMonths = 0, 0
	case RenewalExplicit:
		r.TermMonths = 0
		if c.End == nil {
			v.Add("end", CodeRequired)
		}
	case RenewalTacit:
		// A tacit renewal renews a term: it needs the first term's end and
		// the length of the next ones.
		if c.End == nil {
			v.Add("end", CodeRequired)
		}
		if r.TermMonths < 1 || r.TermMonths > MaxTermMonths {
			v.Add("renewal.term_months", CodeOutOfRange, fmt.Sprintf("1–%d", MaxTermMonths))
		}
	}
}

func (c *Contract) normalizeSupport(v *fault.Invalid) {
	sp := &c.Support
	if sp.Mode == "" {
		sp.Mode = SupportNone
	}
	switch sp.Mode {
	case SupportNone:
		sp.Minutes, sp.PackStart = 0, nil
	case SupportMonthly, SupportPack:
		if sp.Minutes < 1 || sp.Minutes > MaxSupportMinutes {
			v.Add("support.minutes", CodeOutOfRange, fmt.Sprintf("1–%d", MaxSupportMinutes))
		}
		if sp.Mode == SupportMonthly {
			sp.PackStart = nil
			break
		}
		if sp.PackStart == nil {
			v.Add("support.pack_start", CodeRequired)
			break
		}
		d := date(*sp.PackStart)
		sp.PackStart = &d
		if !validDay(d) {
			v.Add("support.pack_start", CodeInvalidDate)
		}
	default:
		v.Add("support.mode", CodeInvalidChoice)
	}
}

func (p *Perimeter) normalize(v *fault.Invalid) {
	kinds := make([]asset.Kind, 0, len(p.Kinds))
	for _, k := range p.Kinds {
		if !k.Valid() {
			v.Add("perimeter.kinds", CodeInvalidChoice, string(k))
			continue
		}
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	p.Kinds = slices.Compact(kinds)
	p.Sites = sortedIDs(p.Sites)
	p.Include = sortedIDs(p.Include)
	p.Exclude = sortedIDs(p.Exclude)
	for _, id := range p.Include {
		if slices.Contains(p.Exclude, id) {
			v.Add("perimeter.include", CodeInAndOut, id)
		}
	}
}

// sortedIDs returns ids sorted, without duplicates, never nil.
func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []int64{}
	}
	return out
}

// validDay reports whether t is a date Normalize accepts.
func validDay(t time.Time) bool { return t.Year() >= 1970 && t.Year() <= 2200 }
