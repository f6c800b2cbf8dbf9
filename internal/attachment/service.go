package attachment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// Tickets is what attachments need of the helpdesk: a ticket the caller may see.
type Tickets interface {
	Get(ctx context.Context, s tenant.Scope, id int64) (ticket.Ticket, error)
}

// Service saves and opens attachments.
type Service struct {
	store   Store
	tickets Tickets
	dir     string // <data-dir>/attachments
	maxSize int64
	now     func() time.Time
	log     *slog.Logger
}

// NewService returns a Service keeping files under dir; now may be nil for
// time.Now, log nil to discard.
func NewService(store Store, tickets Tickets, dir string, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, tickets: tickets, dir: dir, maxSize: MaxSize, now: now, log: log}
}

// SetMaxSize changes the largest file accepted (MaxSize by default).
func (svc *Service) SetMaxSize(n int64) { svc.maxSize = n }

// Save stores a file on a ticket, or on one of its followups, for a caller
// who may reply to it (and work on it, for a private note). Executables are
// refused; the name is sanitised. Identical content is stored once.
func (svc *Service) Save(ctx context.Context, s tenant.Scope, ticketID int64, followupID *int64, name, declaredType string, r io.Reader) (Attachment, error) {
	t, err := svc.tickets.Get(ctx, s, ticketID)
	if err != nil {
		return Attachment{}, err
	}
	if !s.CanOn(tenant.TicketCreate, t.ClientID) {
		return Attachment{}, fault.ErrForbidden
	}
	a := Attachment{TicketID: t.ID, FollowupID: followupID, Public: true}
	if followupID != nil {
		public, author, err := svc.store.FollowupOf(ctx, t.ID, *followupID)
		if errors.Is(err, fault.ErrNotFound) {
			v := &fault.Invalid{}
			v.Add("followup_id", "invalid_choice")
			return Attachment{}, v
		}
		if err != nil {
			return Attachment{}, err
		}
		// Staff attach to any followup they may see; a client only to its own.
		if !s.CanOn(tenant.TicketWork, t.ClientID) && (!public || author == nil || *author != s.UserID) {
			v := &fault.Invalid{}
			v.Add("followup_id", "invalid_choice")
			return Attachment{}, v
		}
		a.Public = public
	}
	var v fault.Invalid
	a.Name = SanitizeName(name)
	if a.Name == "" {
		v.Add("file", "required")
		return Attachment{}, v.Err()
	}
	a.DeclaredType = v.Text("file", strings.TrimSpace(declaredType), 200, false, false)
	if executableName(a.Name) {
		v.Add("file", "executable_refused")
		return Attachment{}, v.Err()
	}
	tmp, sum, size, head, err := svc.spool(r)
	if err != nil {
		return Attachment{}, err
	}
	defer os.Remove(tmp) // a no-op once renamed into place
	if err := svc.Check(a.Name, size, head); err != nil {
		return Attachment{}, err
	}
	a.SniffedType = http.DetectContentType(head)
	a.Size, a.SHA256 = size, sum
	a.Created = svc.now().UTC().Truncate(time.Microsecond)
	if s.UserID != 0 {
		id := s.UserID
		a.UploadedBy = &id
	}
	// The file is put in place before the row is written: a failed insert
	// leaves an unreferenced blob (harmless, reused by the next identical
	// upload), never a row without its file.
	if err := svc.place(tmp, sum); err != nil {
		return Attachment{}, err
	}
	if err := svc.store.AddAttachment(ctx, &a); err != nil {
		return Attachment{}, fmt.Errorf("add attachment to ticket %d: %w", t.ID, err)
	}
	return a, nil
}

// Check says whether a file would be refused, without storing it: a
// *fault.Invalid on "file" for a program or script (by name or first
// bytes) or a file over the size limit; nil when it would be kept.
func (svc *Service) Check(name string, size int64, head []byte) error {
	var v fault.Invalid
	name = SanitizeName(name)
	switch {
	case name == "":
		v.Add("file", "required")
	case executableName(name) || executableContent(head):
		v.Add("file", "executable_refused")
	case size > svc.maxSize:
		v.Add("file", "file_too_large", sizeText(svc.maxSize))
	}
	return v.Err()
}

// List returns the attachments of a ticket the caller may see.
func (svc *Service) List(ctx context.Context, s tenant.Scope, ticketID int64) ([]Attachment, error) {
	if _, err := svc.tickets.Get(ctx, s, ticketID); err != nil {
		return nil, err
	}
	return svc.store.Attachments(ctx, s, ticketID)
}

// Open returns an attachment the caller may see and its content, to be
// closed. A foreign or private (for a client) attachment is ErrNotFound.
func (svc *Service) Open(ctx context.Context, s tenant.Scope, id int64) (Attachment, io.ReadCloser, error) {
	if !s.Can(tenant.TicketRead) {
		return Attachment{}, nil, fault.ErrNotFound
	}
	a, err := svc.store.Attachment(ctx, s, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	f, err := os.Open(svc.blobPath(a.SHA256))
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("open attachment %d: %w", id, err)
	}
	return a, f, nil
}

// blobPath is where content with this digest lives: attachments/ab/cdef….
func (svc *Service) blobPath(sum string) string {
	return filepath.Join(svc.dir, sum[:2], sum[2:])
}

// spool receives an upload into the attachment directory's tmp/ (Spool).
func (svc *Service) spool(r io.Reader) (path, sum string, size int64, head []byte, err error) {
	return Spool(filepath.Join(svc.dir, "tmp"), r, svc.maxSize)
}

// Spool copies an upload into a new temporary file of dir (created if
// needed), reading at most max+1 bytes so that a caller sees a file too
// large, and returns the file's path, its SHA-256 in hex, its size and its
// first 512 bytes (to sniff its type). The file is synced; on error it is
// removed. Ticket attachments and contract documents both receive files so.
func Spool(dir string, r io.Reader, max int64) (path, sum string, size int64, head []byte, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", 0, nil, fmt.Errorf("create upload directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return "", "", 0, nil, fmt.Errorf("create temporary file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	hb := &headBuffer{max: 512}
	size, err = io.Copy(io.MultiWriter(f, h, hb), io.LimitReader(r, max+1))
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", 0, nil, fmt.Errorf("receive upload: %w", err)
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), size, hb.b, nil
}

// place renames the temporary file to its content address, unless that
// content is already stored.
func (svc *Service) place(tmp, sum string) error {
	dst := svc.blobPath(sum)
	if _, err := os.Stat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat attachment blob: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("create attachment directory: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("store attachment blob: %w", err)
	}
	return nil
}

type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if n := h.max - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// sizeText writes a limit for people: "20 MiB".
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// InTx runs fn in one transaction: a ticket or a reply and the files saved
// with it are committed together, or not at all.
func (svc *Service) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return svc.store.InTx(ctx, fn)
}
