// Package contractdoc keeps the documents attached to a contract (the
// signed contract, its annexes): files checked and named like ticket
// attachments (package attachment), stored under
// <data-dir>/contract-documents, listed and downloaded by whoever may read
// the contract's client, added and deleted by staff who may change its
// contracts.
package contractdoc

import (
	"context"
	"crypto/rand"
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

	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// MaxSize is the largest document accepted: the ticket attachments' limit.
const MaxSize = attachment.MaxSize

// Document describes one file attached to a contract.
type Document struct {
	ID         int64  `json:"id"`
	ContractID int64  `json:"contract_id"`
	Name       string `json:"name"` // sanitised file name
	// DeclaredType is what the uploader said; SniffedType what the content looks like.
	DeclaredType string `json:"declared_type"`
	SniffedType  string `json:"sniffed_type"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	// Key names the stored file; never shown.
	Key        string    `json:"-"`
	UploadedBy *int64    `json:"uploaded_by"`
	Created    time.Time `json:"created_at"`
}

// Attachment returns the document in the form package attachment sends
// downloads in.
func (d Document) Attachment() attachment.Attachment {
	return attachment.Attachment{ID: d.ID, Name: d.Name, DeclaredType: d.DeclaredType, SniffedType: d.SniffedType, Size: d.Size, SHA256: d.SHA256, Created: d.Created}
}

// Store keeps the documents' descriptions. Reads are filtered by scope in
// SQL: the contract's client must be visible.
type Store interface {
	// Contract returns a contract the scope may see (to check rights).
	Contract(ctx context.Context, s tenant.Scope, id int64) (contract.Contract, error)
	AddContractDocument(ctx context.Context, d *Document) error
	// ContractDocument returns one document of a contract the scope may
	// see, else fault.ErrNotFound.
	ContractDocument(ctx context.Context, s tenant.Scope, contractID, id int64) (Document, error)
	// ContractDocuments lists a contract's documents, oldest first.
	ContractDocuments(ctx context.Context, s tenant.Scope, contractID int64) ([]Document, error)
	DeleteContractDocument(ctx context.Context, s tenant.Scope, contractID, id int64) error
	// ContractDocumentKeys returns the file key of every document kept.
	ContractDocumentKeys(ctx context.Context) (map[string]bool, error)
}

// Journal appends to the audit journal.
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service saves, lists, opens and deletes contract documents.
type Service struct {
	store   Store
	journal Journal
	dir     string
	check   *attachment.Service // its Check: the attachments' refusals
	maxSize int64
	now     func() time.Time
	log     *slog.Logger
}

// NewService returns a Service keeping files under dir; journal may be
// nil, now nil for time.Now, log nil to discard.
func NewService(store Store, journal Journal, dir string, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, journal: journal, dir: dir, check: attachment.NewService(nil, nil, dir, now, log), maxSize: MaxSize, now: now, log: log}
}

// SetMaxSize changes the largest file accepted (MaxSize by default).
func (svc *Service) SetMaxSize(n int64) {
	svc.maxSize = n
	svc.check.SetMaxSize(n)
}

// load returns the contract if the scope may do a on its client: not
// found when it cannot see it, forbidden when its role may not.
func (svc *Service) load(ctx context.Context, s tenant.Scope, contractID int64, a tenant.Action) (contract.Contract, error) {
	if !s.Can(tenant.ClientRead) {
		return contract.Contract{}, fault.ErrNotFound
	}
	c, err := svc.store.Contract(ctx, s, contractID)
	if err != nil {
		return contract.Contract{}, err
	}
	if !s.CanOn(a, c.ClientID) {
		return contract.Contract{}, fault.ErrForbidden
	}
	return c, nil
}

// Save stores a file on a contract for staff who may change the client's
// contracts. An empty file, a program or a file over the limit is
// refused (field "file") and nothing is kept.
func (svc *Service) Save(ctx context.Context, s tenant.Scope, contractID int64, name, declaredType string, r io.Reader) (Document, error) {
	c, err := svc.load(ctx, s, contractID, tenant.ClientWrite)
	if err != nil {
		return Document{}, err
	}
	var v fault.Invalid
	d := Document{ContractID: c.ID, Name: attachment.SanitizeName(name)}
	if d.Name == "" {
		v.Add("file", "required")
		return Document{}, v.Err()
	}
	d.DeclaredType = v.Text("file", strings.TrimSpace(declaredType), 200, false, false)
	if err := v.Err(); err != nil {
		return Document{}, err
	}
	tmp, sum, size, head, err := svc.spool(r)
	if err != nil {
		return Document{}, err
	}
	defer os.Remove(tmp) // a no-op once renamed into place
	if size == 0 {
		v.Add("file", "empty_file")
		return Document{}, v.Err()
	}
	if err := svc.check.Check(d.Name, size, head); err != nil {
		return Document{}, err
	}
	d.SniffedType, d.Size, d.SHA256 = http.DetectContentType(head), size, sum
	d.Created = svc.now().UTC().Truncate(time.Microsecond)
	if s.UserID != 0 {
		id := s.UserID
		d.UploadedBy = &id
	}
	if d.Key, err = newKey(); err != nil {
		return Document{}, err
	}
	if err := os.Rename(tmp, svc.path(d.Key)); err != nil {
		return Document{}, fmt.Errorf("store contract document: %w", err)
	}
	if err := svc.store.AddContractDocument(ctx, &d); err != nil {
		_ = os.Remove(svc.path(d.Key))
		return Document{}, fmt.Errorf("add document to contract %d: %w", c.ID, err)
	}
	if svc.journal != nil {
		if err := svc.journal.Record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "contract.document.add", Object: audit.Object("contract", c.ID), Summary: d.Name}); err != nil {
			return d, fmt.Errorf("journal document of contract %d: %w", c.ID, err)
		}
	}
	return d, nil
}

// List returns a contract's documents, for whoever may read its client.
func (svc *Service) List(ctx context.Context, s tenant.Scope, contractID int64) ([]Document, error) {
	if _, err := svc.load(ctx, s, contractID, tenant.ClientRead); err != nil {
		return nil, err
	}
	return svc.store.ContractDocuments(ctx, s, contractID)
}

// Open returns a document and its content, to be closed, for whoever may
// read the contract's client; a document of another contract is not found.
func (svc *Service) Open(ctx context.Context, s tenant.Scope, contractID, id int64) (Document, io.ReadCloser, error) {
	if _, err := svc.load(ctx, s, contractID, tenant.ClientRead); err != nil {
		return Document{}, nil, err
	}
	d, err := svc.store.ContractDocument(ctx, s, contractID, id)
	if err != nil {
		return Document{}, nil, err
	}
	f, err := os.Open(svc.path(d.Key))
	if err != nil {
		return Document{}, nil, fmt.Errorf("open document %d: %w", id, err)
	}
	return d, f, nil
}

// Delete removes a document and its file, for staff who may change the
// client's contracts.
func (svc *Service) Delete(ctx context.Context, s tenant.Scope, contractID, id int64) error {
	c, err := svc.load(ctx, s, contractID, tenant.ClientWrite)
	if err != nil {
		return err
	}
	d, err := svc.store.ContractDocument(ctx, s, contractID, id)
	if err != nil {
		return err
	}
	if err := svc.store.DeleteContractDocument(ctx, s, contractID, id); err != nil {
		return fmt.Errorf("delete document %d: %w", id, err)
	}
	if err := os.Remove(svc.path(d.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// The row is gone; a leftover file is only disk space.
		svc.log.Warn("remove contract document file", "document", id, "err", err)
	}
	if svc.journal != nil {
		return svc.journal.Record(ctx, audit.Entry{ClientID: &c.ClientID, Action: "contract.document.delete", Object: audit.Object("contract", c.ID), Summary: d.Name})
	}
	return nil
}

// PruneAge is how old a file of the documents' directory must be before
// Prune may remove it: younger, it may be an upload whose row is being
// written.
const PruneAge = time.Hour

// Prune removes the files of the documents' directory that no document
// row names any more — those of a deleted contract (its rows go with it),
// or an upload cut short by a crash — when they are older than PruneAge.
// It returns how many it removed.
func (svc *Service) Prune(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(svc.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list contract documents: %w", err)
	}
	keys, err := svc.store.ContractDocumentKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("list contract document keys: %w", err)
	}
	cutoff := svc.now().Add(-PruneAge)
	removed := 0
	for _, e := range entries {
		if e.IsDir() || keys[e.Name()] {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(svc.path(e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove contract document file: %w", err)
		}
		removed++
	}
	return removed, nil
}

// Run prunes the documents' directory every interval until ctx ends.
func (svc *Service) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := svc.Prune(ctx); err != nil {
			svc.log.Warn("prune contract documents", "err", err)
		} else if n > 0 {
			svc.log.Info("pruned contract documents", "files", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// path is where a document's content lives.
func (svc *Service) path(key string) string { return filepath.Join(svc.dir, key) }

// newKey returns a random file key: documents are not shared by content,
// so deleting one never removes another's file.
func newKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("draw document key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// spool receives an upload into the document directory (attachment.Spool).
func (svc *Service) spool(r io.Reader) (path, sum string, size int64, head []byte, err error) {
	return attachment.Spool(svc.dir, r, svc.maxSize)
}
