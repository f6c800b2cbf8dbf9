package api

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/fault"
)

// attachmentUpload is the multipart form of an upload (documented only:
// the handler reads the parts itself).
type attachmentUpload struct {
	File       string `json:"file" doc:"required;format=binary;The file, at most 20 MiB. Programs and scripts are refused."`
	FollowupID *int64 `json:"followup_id" doc:"The followup the file belongs to; absent: the ticket itself. A private note's files are staff-only."`
}

// downloaded is the result of a handler that wrote the response itself.
type downloaded struct{}

// attachmentEndpoints are the routes of ticket attachments.
func (a *API) attachmentEndpoints() []endpoint {
	return []endpoint{
		{method: "POST", path: "/tickets/{id}/attachments", op: "createAttachment", tag: "tickets",
			summary: "Attach a file to a ticket or to one of its followups (multipart/form-data: file, optional followup_id).",
			body:    attachmentUpload{}, multipart: true, result: attachment.Attachment{}, status: 201,
			errors: append([]int{http.StatusForbidden, http.StatusNotFound}, bodyErr...), handle: a.createAttachment},
		{method: "GET", path: "/tickets/{id}/attachments", op: "listAttachments", tag: "tickets",
			summary: "A ticket's attachments (one page); a private note's only for staff.",
			result:  attachment.Attachment{}, page: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.listAttachments},
		{method: "GET", path: "/attachments/{id}", op: "downloadAttachment", tag: "tickets",
			summary:  "Download an attachment, always as a file (Content-Disposition: attachment).",
			download: true, status: 200, errors: []int{http.StatusNotFound}, handle: a.downloadAttachment},
	}
}

// parseMultipart reads a multipart/form-data body (8 MiB in memory, the
// rest in temporary files the caller removes with
// c.r.MultipartForm.RemoveAll): 413 past the body limit, 415 for another
// body.
func (c *call) parseMultipart() error {
	if err := c.r.ParseMultipartForm(8 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &requestError{status: http.StatusRequestEntityTooLarge, key: "api.problem.too_large", args: []any{tooLarge.Limit}}
		}
		return &requestError{status: http.StatusUnsupportedMediaType, key: "api.problem.media_type"}
	}
	return nil
}

// uploadedFile returns the one "file" part of a parsed multipart form, or
// nil with its field error added to v (missing, or given twice).
func (c *call) uploadedFile(v *fault.Invalid) *multipart.FileHeader {
	files := c.r.MultipartForm.File["file"]
	switch {
	case len(files) == 0:
		v.Add("file", "required")
	case len(files) > 1:
		v.Add("file", "repeated_param")
	default:
		return files[0]
	}
	return nil
}

// openUpload opens an uploaded part (400 when it cannot be read).
func openUpload(fh *multipart.FileHeader) (multipart.File, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, &requestError{status: http.StatusBadRequest, key: "api.problem.unreadable"}
	}
	return f, nil
}

func (a *API) createAttachment(c *call) (any, error) {
	t, err := a.ticket(c)
	if err != nil {
		return nil, err
	}
	if err := c.parseMultipart(); err != nil {
		return nil, err
	}
	defer c.r.MultipartForm.RemoveAll()
	var followup *int64
	var v fault.Invalid
	if s := c.r.MultipartForm.Value["followup_id"]; len(s) > 0 && s[0] != "" {
		id, err := strconv.ParseInt(s[0], 10, 64)
		if err != nil || id <= 0 {
			v.Add("followup_id", "invalid_number")
		}
		followup = &id
	}
	fh := c.uploadedFile(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	f, err := openUpload(fh)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	at, err := a.d.Attachments.Save(c.r.Context(), c.scope, t.ID, followup, fh.Filename, fh.Header.Get("Content-Type"), f)
	if err != nil {
		return nil, err
	}
	c.w.Header().Set("Location", Prefix+"/attachments/"+strconv.FormatInt(at.ID, 10))
	return at, nil
}

func (a *API) listAttachments(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	rows, err := a.d.Attachments.List(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []attachment.Attachment{}
	}
	return page[attachment.Attachment]{Data: rows}, nil
}

func (a *API) downloadAttachment(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	at, rc, err := a.d.Attachments.Open(c.r.Context(), c.scope, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	attachment.WriteDownload(c.w, at, rc)
	return downloaded{}, nil
}
