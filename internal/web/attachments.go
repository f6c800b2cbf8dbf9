package web

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// uploadField is the file input of the ticket and reply forms.
const uploadField = "file"

// parseUploadForm reads a form that may carry files (multipart) or not
// (urlencoded). Files over 8 MiB in total spill to temporary files, removed
// at the end of the request by net/http. A body over the upload limit is a
// plain 413.
func parseUploadForm(w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return parseForm(w, r)
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return false
		}
		http.Error(w, "malformed form", http.StatusBadRequest)
		return false
	}
	return true
}

// saveUploads stores the files of the form's file input on a ticket, or on
// one of its followups. Called inside the transaction that created the
// ticket or the followup, so that a refused file refuses the whole form.
func (h *Handler) saveUploads(ctx context.Context, r *http.Request, s tenant.Scope, ticketID int64, followupID *int64) error {
	if r.MultipartForm == nil || h.d.Attachments == nil {
		return nil
	}
	for _, fh := range r.MultipartForm.File[uploadField] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // an empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		_, err = h.d.Attachments.Save(ctx, s, ticketID, followupID, fh.Filename, fh.Header.Get("Content-Type"), f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in one transaction with the attachments saved in it (or
// directly when attachments are off).
func (h *Handler) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if h.d.Attachments == nil {
		return fn(ctx)
	}
	return h.d.Attachments.InTx(ctx, fn)
}

// attachmentDownload sends an attachment the caller may see; any other is 404.
func (h *Handler) attachmentDownload(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	a, rc, err := h.d.Attachments.Open(r.Context(), p.Scope(), id)
	if errors.Is(err, fault.ErrForbidden) {
		err = fault.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	attachment.WriteDownload(w, a, rc)
}

// filesByFollowup splits a ticket's attachments: those of the ticket itself
// and those of each followup.
func filesByFollowup(as []attachment.Attachment) ([]attachment.Attachment, map[int64][]attachment.Attachment) {
	var own []attachment.Attachment
	byFollowup := map[int64][]attachment.Attachment{}
	for _, a := range as {
		if a.FollowupID == nil {
			own = append(own, a)
		} else {
			byFollowup[*a.FollowupID] = append(byFollowup[*a.FollowupID], a)
		}
	}
	return own, byFollowup
}

// FileSize writes a size for people: 512 B, 14 KiB, 3.2 MiB.
func (v *view) FileSize(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatInt((n+1<<9)>>10, 10) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
