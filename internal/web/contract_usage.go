package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/chart"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// historyMonths is how many months the contract page's history shows.
const historyMonths = 6

// registerContractDocuments adds the routes of contracts' documents.
func (h *Handler) registerContractDocuments(rt *router.Router) {
	rt.HandleFunc("POST /contracts/{id}/documents", h.contractDocumentUpload)
	rt.HandleFunc("GET /contracts/{id}/documents/{doc}", h.contractDocumentDownload)
	rt.HandleFunc("POST /contracts/{id}/documents/{doc}/delete", h.contractDocumentDelete)
}

// usageGauge is what the contract page shows of one period's consumption.
type usageGauge struct {
	Label string // the month, "mars 2026"
	Since string // the pack's start, for people
	contract.Usage
	SupportText, SupportBadge, SupportClass string
	SupportBar                              template.HTML
	OnSiteText, OnSiteBadge, OnSiteClass    string
	OnSiteBar                               template.HTML
}

// contractUsageSection is the consumption and documents part of the
// contract page.
type contractUsageSection struct {
	// Month is the month shown (YYYY-MM), Current its gauge, History the
	// months up to it, newest first.
	Month, PrevMonth, NextMonth string
	Current                     *usageGauge
	History                     []usageGauge
	Warnings                    []contract.Warning
	DocumentsOn, CanUpload      bool
	Documents                   []contractdoc.Document
	MaxDocument                 string
}

// LevelClass is the badge class of a consumption level.
func (v *view) LevelClass(l contract.Level) string {
	switch l {
	case contract.LevelWarning:
		return "badge-warn"
	case contract.LevelExhausted:
		return "badge-danger"
	}
	return "badge-active"
}

// gauge writes one period's consumption for people.
func (v *view) gauge(u contract.Usage, loc *time.Location) usageGauge {
	y, m, _ := u.To.Add(-time.Nanosecond).In(loc).Date()
	if !u.To.After(u.From) {
		y, m, _ = u.From.In(loc).Date()
	}
	since := contract.Day(u.From, loc)
	g := usageGauge{Usage: u, Label: v.T("contract_usage.month_"+strconv.Itoa(int(m)), y), Since: v.Day(&since)}
	if u.Mode != contract.SupportNone {
		pct := u.SupportPercent()
		g.SupportText = v.T("contract_usage.support_of", contract.HoursText(u.Support), contract.HoursText(u.Included), pct)
		g.SupportBadge, g.SupportClass = v.T("contract_usage.level."+string(u.SupportLevel)), v.LevelClass(u.SupportLevel)
		g.SupportBar = chart.Bar(float64(pct), 80, 100, g.SupportText)
	} else {
		g.SupportText = v.T("contract_usage.support_none", contract.HoursText(u.Support))
	}
	if u.OnSiteIncluded > 0 {
		g.OnSiteText = v.T("contract_usage.onsite_of", u.OnSite, u.OnSiteIncluded)
		g.OnSiteBadge, g.OnSiteClass = v.T("contract_usage.level."+string(u.OnSiteLevel)), v.LevelClass(u.OnSiteLevel)
		g.OnSiteBar = chart.Bar(float64(u.OnSitePercent()), 80, 100, g.OnSiteText)
	} else {
		g.OnSiteText = v.T("contract_usage.onsite_none", u.OnSite)
	}
	return g
}

// contractUsage fills the consumption and documents of the contract page:
// the month of ?month=YYYY-MM (the current one by default) and the
// months before it. A malformed month is a 422 naming the field.
func (h *Handler) contractUsage(r *http.Request, v *view, s tenant.Scope, x contract.Contract, c client.Client) (contractUsageSection, error) {
	ctx := r.Context()
	loc := contract.Location(c)
	now := h.now()
	at := now
	if m := r.URL.Query().Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			var inv fault.Invalid
			inv.Add("month", "invalid")
			return contractUsageSection{}, inv.Err()
		}
		ny, nm, _ := now.In(loc).Date()
		if t.Year() != ny || t.Month() != nm {
			// A past or future month is read at its last day, noon.
			at = time.Date(t.Year(), t.Month()+1, 0, 12, 0, 0, 0, loc)
		}
	}
	y, m, _ := at.In(loc).Date()
	d := contractUsageSection{
		Month:     time.Date(y, m, 1, 0, 0, 0, 0, loc).Format("2006-01"),
		PrevMonth: time.Date(y, m-1, 1, 0, 0, 0, 0, loc).Format("2006-01"),
		NextMonth: time.Date(y, m+1, 1, 0, 0, 0, 0, loc).Format("2006-01"),
	}
	ats := []time.Time{at}
	for i := 1; i < historyMonths; i++ {
		ats = append(ats, time.Date(y, m-time.Month(i)+1, 0, 12, 0, 0, 0, loc)) // last day of each earlier month
	}
	us, err := h.d.Contracts.ContractHistory(ctx, s, x.ID, ats)
	if err != nil {
		return d, err
	}
	cur := v.gauge(us[0], loc)
	d.Current = &cur
	for _, u := range us {
		d.History = append(d.History, v.gauge(u, loc))
	}
	if d.Warnings, err = h.d.Contracts.Warnings(ctx, s, x.ID); err != nil {
		return d, err
	}
	if h.d.ContractDocs != nil {
		d.DocumentsOn, d.CanUpload = true, s.CanOn(tenant.ClientWrite, c.ID)
		d.MaxDocument = v.FileSize(contractdoc.MaxSize)
		if d.Documents, err = h.d.ContractDocs.List(ctx, s, x.ID); err != nil {
			return d, err
		}
	}
	return d, nil
}

// WarningText describes a recorded warning: what reached which level.
func (v *view) WarningText(w contract.Warning) string {
	if w.Kind == contract.QuotaOnSite {
		return v.T("contract_usage.warning.onsite."+string(w.Level), w.Consumed, w.Included)
	}
	return v.T("contract_usage.warning.support."+string(w.Level),
		contract.HoursText(time.Duration(w.Consumed)*time.Second), contract.HoursText(time.Duration(w.Included)*time.Second))
}

// usageBadge is the client page's warning about its contract's quota.
type usageBadge struct {
	Class, Text, Href string
}

// ClientUsageBadge is the badge of the client page when its contract in
// force has used 80 % or more of its support time or on-site quota; nil
// otherwise, when contracts are off or the viewer may not read the client.
func (v *view) ClientUsageBadge(c client.Client) *usageBadge {
	if v.h.d.Contracts == nil || !v.CanOn(string(tenant.ClientRead), c.ID) {
		return nil
	}
	u, found, err := v.h.d.Contracts.Usage(v.r.Context(), v.Scope(), c.ID, v.h.now())
	if err != nil {
		v.h.log.Warn("contract usage", "client", c.ID, "err", err)
		return nil
	}
	if !found || u.Worst() == contract.LevelOK {
		return nil
	}
	return &usageBadge{Class: v.LevelClass(u.Worst()), Text: v.T("contract_usage.badge", max(u.SupportPercent(), u.OnSitePercent())),
		Href: contractPath(u.ContractID) + "#usage"}
}

// documentPath is the page a document action returns to.
func documentPath(contractID int64) string { return contractPath(contractID) + "#documents" }

func (h *Handler) contractDocumentUpload(w http.ResponseWriter, r *http.Request) {
	x, _, s, ok := h.contractLoad(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.ClientWrite, x.ClientID) {
		h.fail(w, r, fault.ErrForbidden)
		return
	}
	if !parseUploadForm(w, r) {
		return
	}
	var fail error
	if r.MultipartForm == nil || len(r.MultipartForm.File[uploadField]) == 0 {
		var inv fault.Invalid
		inv.Add("file", "required")
		fail = inv.Err()
	} else {
		fh := r.MultipartForm.File[uploadField][0]
		f, err := fh.Open()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d, err := h.d.ContractDocs.Save(r.Context(), s, x.ID, fh.Filename, fh.Header.Get("Content-Type"), f)
		f.Close()
		if err == nil {
			h.redirect(w, r, documentPath(x.ID), "flash.contract_doc.added", d.Name)
			return
		}
		fail = err
	}
	if inv, invalid := fault.AsInvalid(fail); invalid && len(inv.Fields) > 0 {
		fe := inv.Fields[0]
		v := h.view(w, r, "clients")
		msg := v.T("error."+fe.Code, fe.Param)
		if fe.Param == "" {
			msg = v.T("error." + fe.Code)
		}
		h.redirect(w, r, documentPath(x.ID), "flash.warn.contract_doc.refused", msg)
		return
	}
	h.fail(w, r, fail)
}

// contractDocumentDownload sends a document to whoever may read the
// contract's client; any other caller gets 404.
func (h *Handler) contractDocumentDownload(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok1 := pathID(r, "id")
	doc, ok2 := pathID(r, "doc")
	if !ok1 || !ok2 {
		h.notFound(w, r)
		return
	}
	d, rc, err := h.d.ContractDocs.Open(r.Context(), p.Scope(), id, doc)
	if errors.Is(err, fault.ErrForbidden) {
		err = fault.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	attachment.WriteDownload(w, d.Attachment(), rc)
}

func (h *Handler) contractDocumentDelete(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	x, _, s, ok := h.contractLoad(w, r)
	if !ok {
		return
	}
	doc, ok := pathID(r, "doc")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, rc, err := h.d.ContractDocs.Open(r.Context(), s, x.ID, doc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rc.Close()
	if err := h.d.ContractDocs.Delete(r.Context(), s, x.ID, doc); err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, documentPath(x.ID), "flash.contract_doc.deleted", d.Name)
}
