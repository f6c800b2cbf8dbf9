package app_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/tenant"
)

// kindContractDocument is a document of the target client's contract;
// kindDocumentContract that contract, kept (not a disposable one) on the
// routes that delete a document, so that the document belongs to it.
const (
	kindContractDocument kind = "contract-document"
	kindDocumentContract kind = "document-contract"
)

// A contract's consumption and warnings are read by whoever may read the
// client; its documents are listed and downloaded by them too, added and
// deleted by staff with client.write on the client.
func init() {
	kindBySegment["documents"] = kindContractDocument
	for _, p := range []string{"POST /contracts/{id}/documents/{doc}/delete", "DELETE /api/v1/contracts/{id}/documents/{doc}"} {
		kindByParam[p] = map[string]kind{"id": kindDocumentContract, "doc": kindContractDocument}
	}
	read, write := tenant.ClientRead, tenant.ClientWrite
	for pattern, sp := range map[string]spec{
		"GET /api/v1/contracts/{id}/usage":              {action: read, target: true, query: "?at=2026-03-15"},
		"GET /api/v1/contracts/{id}/usage-warnings":     {action: read, target: true},
		"POST /api/v1/contracts/{id}/documents":         {action: write, target: true, body: contractDocumentUpload},
		"GET /api/v1/contracts/{id}/documents":          {action: read, target: true},
		"GET /api/v1/contracts/{id}/documents/{doc}":    {action: read, target: true},
		"DELETE /api/v1/contracts/{id}/documents/{doc}": {action: write, target: true},
		"POST /contracts/{id}/documents":                {action: write, target: true, body: contractDocumentUpload},
		"GET /contracts/{id}/documents/{doc}":           {action: read, target: true},
		"POST /contracts/{id}/documents/{doc}/delete":   {action: write, target: true},
	} {
		specs[pattern] = sp
	}
}

// contractDocumentUpload is a small file for a document upload.
func contractDocumentUpload(_ *matrix, x *attempt) any {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", fmt.Sprintf("matrix-%d.txt", x.n))
	_, _ = fmt.Fprintf(w, "Matrix document %d", x.n)
	_ = mw.Close()
	return multipartBody{raw: buf.Bytes(), contentType: mw.FormDataContentType()}
}

// substituteContractUsage returns the object of the kinds above: a fresh
// document of the target's contract for every call (so that a route that
// deletes leaves the others), or that contract.
func (m *matrix) substituteContractUsage(t *testing.T, k kind, x *attempt) (int64, bool) {
	t.Helper()
	switch k {
	case kindDocumentContract:
		return x.target.contract, true
	case kindContractDocument:
		return m.newContractDocument(t, x), true
	}
	return 0, false
}

func (m *matrix) newContractDocument(t *testing.T, x *attempt) int64 {
	t.Helper()
	d, err := m.s.App.ContractDocs.Save(m.s.Ctx(), tenant.System(), x.target.contract, fmt.Sprintf("matrix-%d.txt", x.n), "text/plain",
		strings.NewReader(x.target.client.Name+" document"))
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}
