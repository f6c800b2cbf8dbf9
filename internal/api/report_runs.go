package api

import (
	"net/http"
	"strconv"

	"github.com/vigie-hq/vigie/internal/reportrun"
)

// reportRunOut is a report run in a response, with the status the archive
// shows (retrying for a queued run that already failed).
type reportRunOut struct {
	reportrun.Run
	Shown string `json:"shown" doc:"queued, running, retrying, done or failed"`
}

// reportRunEndpoints are the routes of the clients' report archive.
func (a *API) reportRunEndpoints() []endpoint {
	return []endpoint{
		{method: "GET", path: "/clients/{id}/report-runs", op: "listReportRuns", tag: "reports",
			summary: "A client's generated reports (scheduled or asked for), newest first (one page): kind, period, status, last error, recipients.",
			result:  reportRunOut{}, page: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.listReportRuns},
		{method: "GET", path: "/report-runs/{id}/pdf", op: "downloadReportRunPDF", tag: "reports",
			summary:  "Download the PDF of a generated report (404 until it is done).",
			download: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.downloadReportRun(reportrun.FilePDF, "application/pdf")},
		{method: "GET", path: "/report-runs/{id}/csv", op: "downloadReportRunCSV", tag: "reports",
			summary:  "Download the CSV data of a generated report (404 until it is done).",
			download: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.downloadReportRun(reportrun.FileCSV, "text/csv; charset=utf-8")},
	}
}

func (a *API) listReportRuns(c *call) (any, error) {
	cl, err := a.client(c)
	if err != nil {
		return nil, err
	}
	runs, err := a.d.ReportRuns.List(c.r.Context(), c.scope, cl.ID)
	if err != nil {
		return nil, err
	}
	out := make([]reportRunOut, len(runs))
	for i, r := range runs {
		out[i] = reportRunOut{Run: r, Shown: r.Shown()}
	}
	// A client has a few hundred runs a year at most: one page.
	return page[reportRunOut]{Data: out}, nil
}

func (a *API) downloadReportRun(f reportrun.File, contentType string) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		id, err := c.id("id")
		if err != nil {
			return nil, err
		}
		run, body, err := a.d.ReportRuns.File(c.r.Context(), c.scope, id, f)
		if err != nil {
			return nil, err
		}
		h := c.w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Disposition", `attachment; filename="`+run.Name+"."+string(f)+`"`)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(body)
		return downloaded{}, nil
	}
}
