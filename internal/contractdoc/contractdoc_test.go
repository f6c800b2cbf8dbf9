package contractdoc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/sla"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/testdb"
)

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestDocuments(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
			ok(t, err)
			t.Cleanup(func() { db.Close() })
			_, err = db.Migrate(ctx)
			ok(t, err)
			sys := tenant.System()
			clock := func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }
			contracts := contract.NewService(db, nil, clock)
			mk := func(code string) (client.Client, contract.Contract) {
				c := client.Client{Code: code, Name: "Client " + code, TimeZone: "Europe/Paris", Language: "fr"}
				ok(t, db.CreateClient(ctx, sys, &c))
				x := contract.Contract{ClientID: c.ID, Reference: code + "-1", Title: "Contrat", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
					State: contract.StateActive, Calendar: sla.AlwaysOpen().String(), Availability: 99.5}
				ok(t, contracts.Create(ctx, sys, &x))
				return c, x
			}
			a, xa := mk("ALPHA")
			b, xb := mk("BRAVO")
			dir := filepath.Join(t.TempDir(), "contract-documents")
			svc := contractdoc.NewService(db, audit.NewJournal(db, clock), dir, clock, nil)
			svc.SetMaxSize(1000)

			manager := tenant.Scope{UserID: 0, Role: tenant.RoleManager}
			managerB := tenant.Scope{Role: tenant.RoleManager, Clients: []int64{b.ID}}
			tech := tenant.Scope{Role: tenant.RoleTechnician}
			userA := tenant.Scope{Role: tenant.RoleClientUser, ClientID: a.ID}
			userB := tenant.Scope{Role: tenant.RoleClientUser, ClientID: b.ID}

			files := func() int {
				es, _ := os.ReadDir(dir)
				return len(es)
			}
			refusals := []struct {
				name    string
				s       tenant.Scope
				id      int64
				file    string
				content []byte
				want    error  // a kind
				code    string // or a field code of "file"
			}{
				{"empty file", manager, xa.ID, "vide.pdf", nil, nil, "empty_file"},
				{"too large", manager, xa.ID, "gros.pdf", bytes.Repeat([]byte("x"), 1001), nil, "file_too_large"},
				{"program", manager, xa.ID, "setup.exe", []byte("MZ\x90\x00"), nil, "executable_refused"},
				{"no name", manager, xa.ID, "..", pdf, nil, "required"},
				{"technician", tech, xa.ID, "c.pdf", pdf, fault.ErrForbidden, ""},
				{"client user", userA, xa.ID, "c.pdf", pdf, fault.ErrForbidden, ""},
				{"manager of another client", managerB, xa.ID, "c.pdf", pdf, fault.ErrNotFound, ""},
				{"unknown contract", manager, 999999, "c.pdf", pdf, fault.ErrNotFound, ""},
			}
			for _, tt := range refusals {
				t.Run("refused/"+tt.name, func(t *testing.T) {
					_, err := svc.Save(ctx, tt.s, tt.id, tt.file, "application/pdf", bytes.NewReader(tt.content))
					var inv *fault.Invalid
					switch {
					case tt.want != nil && !errors.Is(err, tt.want):
						t.Fatalf("got %v, want %v", err, tt.want)
					case tt.code != "" && (!errors.As(err, &inv) || !strings.Contains(err.Error(), tt.code)):
						t.Fatalf("got %v, want file: %s", err, tt.code)
					}
					docs, err := svc.List(ctx, sys, xa.ID)
					ok(t, err)
					if len(docs) != 0 || files() != 0 {
						t.Fatalf("something was kept: %d rows, %d files", len(docs), files())
					}
				})
			}

			d, err := svc.Save(ctx, manager, xa.ID, `C:\scans\Contrat signé.pdf`, "application/pdf", bytes.NewReader(pdf))
			ok(t, err)
			if d.Name != "Contrat signé.pdf" || d.SniffedType != "application/pdf" || d.Size != int64(len(pdf)) || files() != 1 {
				t.Fatalf("saved %+v, %d files", d, files())
			}
			t.Run("read by the client's users, not others", func(t *testing.T) {
				for _, s := range []tenant.Scope{sys, tech, userA} {
					got, rc, err := svc.Open(ctx, s, xa.ID, d.ID)
					ok(t, err)
					body, _ := io.ReadAll(rc)
					rc.Close()
					if got.ID != d.ID || !bytes.Equal(body, pdf) {
						t.Fatalf("scope %v read %+v", s.Role, got)
					}
					docs, err := svc.List(ctx, s, xa.ID)
					ok(t, err)
					if len(docs) != 1 || docs[0].ID != d.ID {
						t.Fatalf("scope %v lists %+v", s.Role, docs)
					}
				}
				for _, s := range []tenant.Scope{userB, managerB} {
					if _, _, err := svc.Open(ctx, s, xa.ID, d.ID); !errors.Is(err, fault.ErrNotFound) {
						t.Fatalf("scope of B opened A's document: %v", err)
					}
					if _, err := svc.List(ctx, s, xa.ID); !errors.Is(err, fault.ErrNotFound) {
						t.Fatalf("scope of B listed A's documents: %v", err)
					}
				}
				// The document through another contract's path is not found.
				if _, _, err := svc.Open(ctx, sys, xb.ID, d.ID); !errors.Is(err, fault.ErrNotFound) {
					t.Fatalf("document opened through contract B: %v", err)
				}
			})
			t.Run("deleted by staff who may write", func(t *testing.T) {
				for _, s := range []tenant.Scope{tech, userA, managerB} {
					if err := svc.Delete(ctx, s, xa.ID, d.ID); err == nil {
						t.Fatalf("%v deleted", s.Role)
					}
				}
				if err := svc.Delete(ctx, manager, xb.ID, d.ID); !errors.Is(err, fault.ErrNotFound) {
					t.Fatalf("deleted through contract B: %v", err)
				}
				ok(t, svc.Delete(ctx, manager, xa.ID, d.ID))
				if _, _, err := svc.Open(ctx, sys, xa.ID, d.ID); !errors.Is(err, fault.ErrNotFound) {
					t.Fatalf("open after delete: %v", err)
				}
				if files() != 0 {
					t.Fatalf("%d files left", files())
				}
			})

			t.Run("prune", func(t *testing.T) {
				// A draft contract with a document is deleted: its row goes
				// with it, its file stays until Prune.
				draft := contract.Contract{ClientID: a.ID, Reference: "ALPHA-2", Title: "Renouvellement", Start: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
					State: contract.StateDraft, Calendar: sla.AlwaysOpen().String(), Availability: 99.5}
				ok(t, contracts.Create(ctx, sys, &draft))
				kept, err := svc.Save(ctx, manager, xa.ID, "garde.pdf", "", bytes.NewReader(pdf))
				ok(t, err)
				_, err = svc.Save(ctx, manager, draft.ID, "brouillon.pdf", "", bytes.NewReader(pdf))
				ok(t, err)
				ok(t, contracts.Delete(ctx, sys, draft.ID))
				if files() != 2 {
					t.Fatalf("%d files before pruning, want 2", files())
				}
				// Right now the orphan is too young: it could be an upload in flight.
				now := contractdoc.NewService(db, nil, dir, time.Now, nil)
				if n, err := now.Prune(ctx); err != nil || n != 0 || files() != 2 {
					t.Fatalf("a fresh file pruned: %d, %v, %d files", n, err, files())
				}
				later := contractdoc.NewService(db, nil, dir, func() time.Time { return time.Now().Add(contractdoc.PruneAge + time.Minute) }, nil)
				if n, err := later.Prune(ctx); err != nil || n != 1 || files() != 1 {
					t.Fatalf("pruned %d (%v), %d files left, want 1 and 1", n, err, files())
				}
				if _, f, err := svc.Open(ctx, sys, xa.ID, kept.ID); err != nil {
					t.Fatalf("the kept document was pruned: %v", err)
				} else {
					f.Close()
				}
			})
		})
	}
}
