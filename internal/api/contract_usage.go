package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/fault"
)

// usageOut is a contract's consumption in a period, durations in minutes.
type usageOut struct {
	ContractID int64                `json:"contract_id"`
	ClientID   int64                `json:"client_id"`
	Reference  string               `json:"reference"`
	Mode       contract.SupportMode `json:"mode" doc:"none, monthly or pack"`
	// From and To bound the support period (To excluded), in the client's time zone.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// SupportMinutes is the billable time consumed (travel not counted,
	// out-of-perimeter tickets excluded); IncludedMinutes what the contract
	// includes in the period (0: none).
	SupportMinutes  int            `json:"support_minutes"`
	IncludedMinutes int            `json:"included_minutes"`
	SupportPercent  int            `json:"support_percent"`
	SupportLevel    contract.Level `json:"support_level" doc:"ok, warning_80 or exhausted_100"`
	OnSite          int            `json:"onsite"`
	OnSiteIncluded  int            `json:"onsite_included"`
	OnSiteLevel     contract.Level `json:"onsite_level" doc:"ok, warning_80 or exhausted_100"`
}

func usageBody(u contract.Usage) usageOut {
	return usageOut{ContractID: u.ContractID, ClientID: u.ClientID, Reference: u.Reference, Mode: u.Mode, From: u.From, To: u.To,
		SupportMinutes: int(u.Support / time.Minute), IncludedMinutes: int(u.Included / time.Minute), SupportPercent: u.SupportPercent(),
		SupportLevel: u.SupportLevel, OnSite: u.OnSite, OnSiteIncluded: u.OnSiteIncluded, OnSiteLevel: u.OnSiteLevel}
}

// contractUsageEndpoints are the consumption routes of contracts.
func (a *API) contractUsageEndpoints() []endpoint {
	return []endpoint{
		{method: "GET", path: "/contracts/{id}/usage", op: "getContractUsage", tag: "contracts",
			summary: "A contract's consumption of support time and on-site interventions in the period containing a date (the calendar month, or a pack from its start to that date), with its level against 80 % and 100 %.",
			query:   []param{{name: "at", typ: "string", format: "date", desc: "A date (YYYY-MM-DD) in the client's time zone; absent: today."}},
			result:  usageOut{}, status: 200, errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}, handle: a.getContractUsage},
		{method: "GET", path: "/contracts/{id}/usage-warnings", op: "listContractUsageWarnings", tag: "contracts",
			summary: "The consumption warnings sent for a contract, newest first: each quota (support, onsite), period and level (warning_80, exhausted_100) once.",
			result:  contract.Warning{}, page: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.listContractWarnings},
	}
}

func (a *API) getContractUsage(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	x, err := a.d.Contracts.Get(ctx, c.scope, id)
	if err != nil {
		return nil, err
	}
	at := a.d.Now()
	if s := c.r.URL.Query().Get("at"); s != "" {
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			var v fault.Invalid
			v.Add("at", contract.CodeInvalidDate)
			return nil, v.Err()
		}
		cl, err := a.d.Clients.Get(ctx, c.scope, x.ClientID)
		if err != nil {
			return nil, err
		}
		// Noon of that date in the client's zone: the period containing it.
		at = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, contract.Location(cl))
	}
	u, err := a.d.Contracts.ContractUsage(ctx, c.scope, id, at)
	if err != nil {
		return nil, err
	}
	return usageBody(u), nil
}

func (a *API) listContractWarnings(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	ws, err := a.d.Contracts.Warnings(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	return page[contract.Warning]{Data: ws}, nil
}

// documentUpload describes the multipart body of a document upload.
type documentUpload struct {
	File string `json:"file" doc:"required;format=binary;The file, at most 20 MiB, not empty. Programs and scripts are refused."`
}

// contractDocumentEndpoints are the routes of contracts' documents.
func (a *API) contractDocumentEndpoints() []endpoint {
	return []endpoint{
		{method: "POST", path: "/contracts/{id}/documents", op: "createContractDocument", tag: "contracts",
			summary: "Attach a document to a contract (multipart/form-data: file); staff who may change the client's contracts.",
			body:    documentUpload{}, multipart: true, result: contractdoc.Document{}, status: 201, noLocation: true,
			errors: append([]int{http.StatusForbidden, http.StatusNotFound}, bodyErr...), handle: a.createContractDocument},
		{method: "GET", path: "/contracts/{id}/documents", op: "listContractDocuments", tag: "contracts",
			summary: "A contract's documents, oldest first; whoever may read the client.",
			result:  contractdoc.Document{}, page: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.listContractDocuments},
		{method: "GET", path: "/contracts/{id}/documents/{doc}", op: "downloadContractDocument", tag: "contracts",
			summary:  "Download a contract's document, always as a file (Content-Disposition: attachment).",
			download: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.downloadContractDocument},
		{method: "DELETE", path: "/contracts/{id}/documents/{doc}", op: "deleteContractDocument", tag: "contracts",
			summary: "Delete a contract's document; staff who may change the client's contracts.",
			status:  204, errors: []int{http.StatusForbidden, http.StatusNotFound}, handle: a.deleteContractDocument},
	}
}

func (a *API) createContractDocument(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	if err := c.parseMultipart(); err != nil {
		return nil, err
	}
	defer c.r.MultipartForm.RemoveAll()
	var v fault.Invalid
	fh := c.uploadedFile(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	f, err := openUpload(fh)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := a.d.ContractDocs.Save(c.r.Context(), c.scope, id, fh.Filename, fh.Header.Get("Content-Type"), f)
	if err != nil {
		return nil, err
	}
	c.w.Header().Set("Location", Prefix+"/contracts/"+strconv.FormatInt(id, 10)+"/documents/"+strconv.FormatInt(d.ID, 10))
	return d, nil
}

func (a *API) listContractDocuments(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	ds, err := a.d.ContractDocs.List(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	return page[contractdoc.Document]{Data: ds}, nil
}

func (a *API) downloadContractDocument(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	doc, err := c.id("doc")
	if err != nil {
		return nil, err
	}
	d, rc, err := a.d.ContractDocs.Open(c.r.Context(), c.scope, id, doc)
	if errors.Is(err, fault.ErrForbidden) {
		err = fault.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	attachment.WriteDownload(c.w, d.Attachment(), rc)
	return downloaded{}, nil
}

func (a *API) deleteContractDocument(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	doc, err := c.id("doc")
	if err != nil {
		return nil, err
	}
	return nil, a.d.ContractDocs.Delete(c.r.Context(), c.scope, id, doc)
}
