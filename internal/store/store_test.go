package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/testdb"
)

var dialects = []store.Dialect{store.SQLite, store.Postgres}

// requireDialect skips (or, in CI, fails) when a dialect cannot be tested
// here, so a whole dialect is skipped once rather than case by case.
func requireDialect(t testing.TB, d store.Dialect) {
	t.Helper()
	testdb.Require(t, string(d))
}

// newTestDB opens a fresh, migrated database of the dialect: a file in
// t.TempDir for SQLite, a new randomly named database for PostgreSQL. Both
// go away when the test ends.
func newTestDB(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	ctx := context.Background()
	dsn := testdb.URL(t, string(d))
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Dialect() != d {
		t.Fatalf("opened dialect %q, want %q", db.Dialect(), d)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	if applied != db.LatestVersion() || applied == 0 {
		t.Fatalf("migrate applied %d migrations on an empty database, want %d", applied, db.LatestVersion())
	}
	return db
}

// conformance is the store suite: every case runs on every dialect, each
// on a database of its own.
var conformance = []struct {
	name string
	run  func(t *testing.T, db *store.DB)
}{
	{"migrations/idempotent", testMigrateIdempotent},
	{"migrations/schema too new", testSchemaTooNew},
	{"tx/rollback on error", testTxRollback},
	{"tx/rollback on failed statement", testTxRollbackOnConflict},
	{"tx/nested joins outer", testTxNested},
	{"clients/crud", testClientCRUD},
	{"clients/duplicate code", testClientDuplicateCode},
	{"sites/crud", testSiteCRUD},
	{"contacts/crud", testContactCRUD},
	{"users/crud", testUserCRUD},
	{"users/duplicate email", testUserDuplicateEmail},
	{"users/rollback", testUserRollback},
	{"users/visibility", testUserVisibility},
	{"tenancy/foreign client", testTenancy},
	{"pagination/clients", testPaginateClients},
	{"pagination/contacts", testPaginateContacts},
	{"pagination/users", testPaginateUsers},
	{"pagination/audit", testPaginateAudit},
	{"search/literal wildcards", testSearchLiteral},
	{"audit/append-only", testAuditAppendOnly},
	{"audit/scope and filters", testAuditScope},
	{"auth/credentials and recovery codes", testRecoveryCodes},
	{"auth/sessions", testSessions},
	{"auth/tokens", testTokens},
	{"auth/reset tokens", testResetTokens},
	{"auth/login failures", testLoginFailures},
	{"auth/single use under concurrency", testSingleUseConcurrent},
	{"provider", testProvider},
	{"tickets/crud", testTicketCRUD},
	{"tickets/scoping", testTicketScoping},
	{"tickets/pagination", testTicketPagination},
	{"tickets/filters", testTicketFilters},
	{"tickets/due for check", testDueForCheck},
	{"tickets/timeline", testTicketTimeline},
	{"helpdesk/categories", testCategories},
	{"helpdesk/settings", testHelpdeskSettings},
	{"helpdesk/service level", testServiceLevel},
	{"helpdesk/adapters", testHelpdeskAdapters},
	{"attachments/scoping", testAttachmentScoping},
	{"helpdesk/ratings", testRatings},
}

func TestStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			requireDialect(t, d)
			for _, tc := range conformance {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, newTestDB(t, d))
				})
			}
		})
	}
}

func testMigrateIdempotent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for range 2 {
		applied, err := db.Migrate(ctx)
		if err != nil || applied != 0 {
			t.Fatalf("Migrate on an up-to-date schema = %d, %v; want 0, nil", applied, err)
		}
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != db.LatestVersion() {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, db.LatestVersion())
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema: %v", err)
	}
	// The first migration's data is there exactly once.
	var n int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM provider`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("provider rows = %d, %v; want 1", n, err)
	}
}

func testSchemaTooNew(t *testing.T, db *store.DB) {
	ctx := t.Context()
	future := db.LatestVersion() + 1
	if _, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'from_the_future.sql', CURRENT_TIMESTAMP)`, future)); err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrate(ctx)
	if !errors.Is(err, store.ErrSchemaTooNew) || applied != 0 {
		t.Fatalf("Migrate on a newer schema = %d, %v; want 0, ErrSchemaTooNew", applied, err)
	}
	if err := db.CheckSchema(ctx); err == nil {
		t.Fatal("CheckSchema accepted a newer schema")
	}
}

// must(v, err)(t) fails the test on err and returns v; it takes a call's
// two results directly, as in must(db.Client(ctx, s, id))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("%s: err = %v, want ErrNotFound", what, err)
	}
}

func wantConflict(t testing.TB, what string, err error, field string) {
	t.Helper()
	if !errors.Is(err, fault.ErrConflict) || fault.ConflictField(err) != field {
		t.Errorf("%s: err = %v (field %q), want ErrConflict on %q", what, err, fault.ConflictField(err), field)
	}
}
