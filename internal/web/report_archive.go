package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// registerReportArchive adds a client's report archive: every report run,
// its downloads and, for staff with client.write, generating one now and
// retrying a failed one. A client's own users read their archive in the
// portal; the report run service decides who may do what.
func (h *Handler) registerReportArchive(rt *router.Router) {
	if h.d.ReportRuns == nil {
		return
	}
	rt.HandleFunc("GET /clients/{id}/reports/archive", h.archiveShow)
	rt.HandleFunc("GET /clients/{id}/reports/archive/{run}/pdf", h.archivePDF)
	rt.HandleFunc("GET /clients/{id}/reports/archive/{run}/csv", h.archiveCSV)
	rt.HandleFunc("POST /clients/{id}/reports/archive/generate", h.archiveGenerate)
	rt.HandleFunc("POST /clients/{id}/reports/archive/{run}/retry", h.archiveRetry)
}

// ReportArchiveOn reports whether the report archive is served.
func (v *view) ReportArchiveOn() bool { return v.h.d.ReportRuns != nil }

// archiveRow is one run of the archive.
type archiveRow struct {
	Run       reportrun.Run
	Kind      string
	Status    string // its badge's text
	Badge     string // its badge's class
	Generated string
	Sent      string
	// Error is the last error, shown to staff.
	Error    string
	Attempts string
	PDF, CSV string
	Retry    string // POST target when it can be retried
}

// archivePage is the data of GET /clients/{id}/reports/archive.
type archivePage struct {
	Client   client.Client
	Rows     []archiveRow
	CanWrite bool
	// Contract describes the reporting of the contract in force today.
	Contract    string
	NoRecipient bool
	Kinds       []option
}

func (h *Handler) archiveShow(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	v := h.view(w, r, "clients")
	v.Form.setValues(url.Values{"kind": {report.DocMonthly}, "send": {"1"}})
	h.renderArchive(w, r, v, c, s, http.StatusOK)
}

// renderArchive draws the archive with the form's values and errors of v.
func (h *Handler) renderArchive(w http.ResponseWriter, r *http.Request, v *view, c client.Client, s tenant.Scope, status int) {
	ctx := r.Context()
	runs, err := h.d.ReportRuns.List(ctx, s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := archivePage{Client: c, CanWrite: s.CanOn(tenant.ClientWrite, c.ID)}
	loc := contract.Location(c)
	for _, run := range runs {
		d.Rows = append(d.Rows, archiveRowOf(v, run, c.ID, loc, d.CanWrite, s.Staff()))
	}
	for _, k := range report.DocKinds {
		d.Kinds = append(d.Kinds, option{Value: k, Label: v.T("reportrun.kind." + k)})
	}
	if h.d.Contracts != nil {
		ct, found, err := h.d.Contracts.InForce(ctx, s, c.ID, h.now())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		switch {
		case !found:
			d.Contract = v.T("reportarchive.no_contract")
		default:
			var kinds []string
			for _, k := range []struct {
				on   bool
				kind string
			}{{ct.Reporting.Daily, report.DocDaily}, {ct.Reporting.Monthly, report.DocMonthly}, {ct.Reporting.Quarterly, report.DocReview}, {ct.Reporting.Annual, report.DocAnnual}} {
				if k.on {
					kinds = append(kinds, v.T("reportrun.kind."+k.kind))
				}
			}
			if len(kinds) == 0 {
				d.Contract = v.T("reportarchive.cadence_none", ct.Reference)
			} else {
				d.Contract = v.T("reportarchive.cadence", ct.Reference, strings.Join(kinds, ", "))
				d.NoRecipient = len(ct.Reporting.Recipients) == 0
			}
		}
	}
	h.render(w, v, status, "report_archive", d)
}

// archiveRowOf lays out one run for the page.
func archiveRowOf(v *view, run reportrun.Run, clientID int64, loc *time.Location, canWrite, staff bool) archiveRow {
	row := archiveRow{Run: run, Kind: v.T("reportrun.kind." + run.Kind)}
	shown := run.Shown()
	switch shown {
	case reportrun.ShownRetrying:
		row.Status, row.Badge = v.T("reportarchive.status.retrying", run.Attempts), "badge-warn"
	case string(reportrun.StatusDone):
		row.Status, row.Badge = v.T("reportarchive.status.done"), "badge-active"
	case string(reportrun.StatusFailed):
		row.Status, row.Badge = v.T("reportarchive.status.failed"), "badge-danger"
	default:
		row.Status, row.Badge = v.T("reportarchive.status."+shown), "badge-archived"
	}
	if run.Finished != nil && run.Status == reportrun.StatusDone {
		row.Generated = archiveTime(v, *run.Finished, loc)
	}
	switch {
	case run.Status != reportrun.StatusDone:
	case len(run.Recipients) > 0:
		row.Sent = strings.Join(run.Recipients, ", ")
	default:
		row.Sent = v.T("reportarchive.not_sent")
	}
	if run.LastError != "" && run.Status != reportrun.StatusDone {
		if staff {
			row.Error = v.T("reportarchive.error", run.LastError)
		} else if run.Status == reportrun.StatusFailed {
			row.Error = v.T("reportarchive.failed_portal")
		}
	}
	if run.Attempts > 0 && staff {
		row.Attempts = v.T("reportarchive.attempts", run.Attempts, run.MaxAttempts)
	}
	base := fmt.Sprintf("/clients/%d/reports/archive/%d", clientID, run.ID)
	if run.Status == reportrun.StatusDone {
		row.PDF, row.CSV = base+"/pdf", base+"/csv"
	}
	if canWrite && run.Status == reportrun.StatusFailed {
		row.Retry = base + "/retry"
	}
	return row
}

// archiveTime writes an instant in the client's zone.
func archiveTime(v *view, t time.Time, loc *time.Location) string {
	if v.Lang == "fr" {
		return t.In(loc).Format("02/01/2006 15:04")
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func (h *Handler) archivePDF(w http.ResponseWriter, r *http.Request) {
	h.archiveFile(w, r, reportrun.FilePDF, "application/pdf")
}

func (h *Handler) archiveCSV(w http.ResponseWriter, r *http.Request) {
	h.archiveFile(w, r, reportrun.FileCSV, "text/csv; charset=utf-8")
}

// archiveFile sends a stored file of a run of the client in the path.
func (h *Handler) archiveFile(w http.ResponseWriter, r *http.Request, f reportrun.File, contentType string) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "run")
	if !ok {
		h.notFound(w, r)
		return
	}
	run, body, err := h.d.ReportRuns.File(r.Context(), s, id, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if run.ClientID != c.ID {
		h.notFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Disposition", `attachment; filename="`+report.SafeName(run.Name, "client")+"."+string(f)+`"`)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

func (h *Handler) archiveGenerate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	kind := strings.TrimSpace(r.PostFormValue("kind"))
	period := strings.TrimSpace(r.PostFormValue("period"))
	send := r.PostFormValue("send") != ""
	v := h.view(w, r, "clients")
	run, err := h.d.ReportRuns.Generate(r.Context(), s, c.ID, kind, period, send)
	if err != nil {
		inv, invalid := fault.AsInvalid(err)
		if !invalid {
			h.fail(w, r, err)
			return
		}
		v.Form.setValues(r.PostForm)
		for _, fe := range inv.Fields {
			field := fe.Field
			// The period's own checks name its bounds and zone; the form has one field.
			if field != "kind" {
				field = "period"
			}
			v.Form.add(field, fe.Code, fe.Param)
		}
		h.renderArchive(w, r, v, c, s, http.StatusUnprocessableEntity)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d/reports/archive", c.ID), "flash.reportarchive.queued",
		v.T("reportrun.kind."+run.Kind), run.Period)
}

func (h *Handler) archiveRetry(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "run")
	if !ok {
		h.notFound(w, r)
		return
	}
	run, err := h.d.ReportRuns.Get(r.Context(), s, id)
	if err == nil && run.ClientID != c.ID {
		err = fault.ErrNotFound
	}
	if err == nil {
		run, err = h.d.ReportRuns.Retry(r.Context(), s, id)
	}
	if errors.Is(err, fault.ErrConflict) {
		// Already retried or done meanwhile: the archive shows where it is.
		http.Redirect(w, r, fmt.Sprintf("/clients/%d/reports/archive", c.ID), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fmt.Sprintf("/clients/%d/reports/archive", c.ID), "flash.reportarchive.retried", run.Period)
}
