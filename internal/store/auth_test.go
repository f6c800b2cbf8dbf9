package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// t0 is the suite's clock: a fixed instant, so that expiry is deterministic.
var t0 = time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC)

func testRecoveryCodes(t *testing.T, db *store.DB) {
	ctx := t.Context()
	u := mkUser(t, db, user.User{Email: "u@example.com", Name: "U", Role: tenant.RoleAdmin})
	v := mkUser(t, db, user.User{Email: "v@example.com", Name: "V", Role: tenant.RoleAdmin})
	ok(t, db.SetTOTP(ctx, u.ID, "SECRET1", true, []string{"h1", "h2"}))
	ok(t, db.SetTOTP(ctx, v.ID, "SECRETV", true, []string{"hv"}))
	cr := must(db.Credentials(ctx, u.ID))(t)
	if cr.TOTPSecret != "SECRET1" || !cr.TOTPEnabled || cr.PasswordHash == "" {
		t.Fatalf("Credentials = %+v", cr)
	}
	if got := must(db.User(ctx, sys, u.ID))(t); !got.TOTPEnabled {
		t.Error("User.TOTPEnabled false after SetTOTP")
	}
	use := func(userID int64, h string, want bool) {
		t.Helper()
		if got := must(db.UseRecoveryCode(ctx, userID, h))(t); got != want {
			t.Errorf("UseRecoveryCode(%d, %s) = %v, want %v", userID, h, got, want)
		}
	}
	use(u.ID, "h1", true)
	use(u.ID, "h1", false) // single use
	use(u.ID, "hv", false) // another user's code
	use(u.ID, "nope", false)
	// A new enrolment replaces the codes.
	ok(t, db.SetTOTP(ctx, u.ID, "SECRET2", true, []string{"h3"}))
	use(u.ID, "h2", false)
	use(u.ID, "h3", true)
	use(v.ID, "hv", true)
	// Disabling clears the secret and the codes.
	ok(t, db.SetTOTP(ctx, v.ID, "", false, nil))
	if cr := must(db.Credentials(ctx, v.ID))(t); cr.TOTPSecret != "" || cr.TOTPEnabled {
		t.Errorf("after disable: %+v", cr)
	}
	// A failed outer transaction keeps the old codes.
	ok(t, db.SetTOTP(ctx, u.ID, "SECRET3", true, []string{"h4"}))
	boom := errors.New("boom")
	err := db.InTx(ctx, func(ctx context.Context) error {
		ok(t, db.SetTOTP(ctx, u.ID, "SECRET4", true, []string{"h5"}))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if cr := must(db.Credentials(ctx, u.ID))(t); cr.TOTPSecret != "SECRET3" {
		t.Errorf("secret after rollback = %q", cr.TOTPSecret)
	}
	use(u.ID, "h5", false)
	use(u.ID, "h4", true)
	wantNotFound(t, "SetTOTP(missing)", db.SetTOTP(ctx, 9999, "S", true, []string{"x"}))
	wantNotFound(t, "Credentials(missing)", func() error { _, err := db.Credentials(ctx, 9999); return err }())
}

func testSessions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	u := mkUser(t, db, user.User{Email: "u@example.com", Name: "U", Role: tenant.RoleAdmin})
	v := mkUser(t, db, user.User{Email: "v@example.com", Name: "V", Role: tenant.RoleAdmin})
	mk := func(id string, userID int64, expires time.Time) auth.Session {
		s := auth.Session{ID: id, UserID: userID, Created: t0, LastSeen: t0, Expires: expires, IP: "192.0.2.1", UserAgent: "test", MFAPending: true}
		ok(t, db.CreateSession(ctx, &s))
		return s
	}
	s1 := mk("s1", u.ID, t0.Add(time.Hour))
	got := must(db.Session(ctx, "s1"))(t)
	if got.UserID != u.ID || !got.Created.Equal(t0) || !got.Expires.Equal(s1.Expires) || got.IP != "192.0.2.1" || got.UserAgent != "test" || !got.MFAPending {
		t.Fatalf("Session = %+v, want %+v", got, s1)
	}
	if got.Expires.Location() != time.UTC {
		t.Errorf("Expires in %v, want UTC", got.Expires.Location())
	}
	wantNotFound(t, "Session(unknown)", func() error { _, err := db.Session(ctx, "nope"); return err }())
	if err := db.CreateSession(ctx, &auth.Session{ID: "s1", UserID: u.ID, Created: t0, LastSeen: t0, Expires: t0}); err == nil {
		t.Error("CreateSession with a taken id succeeded")
	}

	s1.MFAPending, s1.LastSeen, s1.Expires = false, t0.Add(time.Minute), t0.Add(2*time.Hour)
	ok(t, db.UpdateSession(ctx, &s1))
	got = must(db.Session(ctx, "s1"))(t)
	if got.MFAPending || !got.LastSeen.Equal(s1.LastSeen) || !got.Expires.Equal(s1.Expires) || !got.Created.Equal(t0) {
		t.Fatalf("after update: %+v", got)
	}
	wantNotFound(t, "UpdateSession(unknown)", db.UpdateSession(ctx, &auth.Session{ID: "nope", Expires: t0, LastSeen: t0}))

	mk("s2", u.ID, t0.Add(time.Hour))
	mk("s3", u.ID, t0.Add(time.Hour))
	mk("v1", v.ID, t0.Add(time.Hour))
	ok(t, db.DeleteUserSessions(ctx, u.ID, "s2"))
	exists := func(id string) bool {
		_, err := db.Session(ctx, id)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if exists("s1") || !exists("s2") || exists("s3") || !exists("v1") {
		t.Errorf("after DeleteUserSessions(keep s2): s1 %v s2 %v s3 %v v1 %v", exists("s1"), exists("s2"), exists("s3"), exists("v1"))
	}
	ok(t, db.DeleteUserSessions(ctx, u.ID, ""))
	if exists("s2") {
		t.Error("DeleteUserSessions(keep none) kept s2")
	}
	ok(t, db.DeleteSession(ctx, "v1"))
	ok(t, db.DeleteSession(ctx, "v1")) // signing out twice is fine
	if exists("v1") {
		t.Error("DeleteSession kept v1")
	}

	mk("old", u.ID, t0.Add(-time.Second))
	mk("edge", u.ID, t0)
	mk("live", u.ID, t0.Add(time.Second))
	ok(t, db.DeleteExpiredSessions(ctx, t0))
	if exists("old") || !exists("edge") || !exists("live") {
		t.Errorf("after DeleteExpiredSessions: old %v edge %v live %v", exists("old"), exists("edge"), exists("live"))
	}
}

func testTokens(t *testing.T, db *store.DB) {
	ctx := t.Context()
	u := mkUser(t, db, user.User{Email: "u@example.com", Name: "U", Role: tenant.RoleAdmin})
	v := mkUser(t, db, user.User{Email: "v@example.com", Name: "V", Role: tenant.RoleAdmin})
	tk := auth.Token{UserID: u.ID, Name: "CI", Prefix: "vgt_abcdef", Hash: "hash-1", Write: true, Created: t0}
	ok(t, db.CreateToken(ctx, &tk))
	if tk.ID == 0 {
		t.Fatal("CreateToken did not set ID")
	}
	ro := auth.Token{UserID: u.ID, Name: "read", Prefix: "vgt_zzzzzz", Hash: "hash-2", Created: t0}
	ok(t, db.CreateToken(ctx, &ro))
	wantConflict(t, "CreateToken(same hash)", db.CreateToken(ctx, &auth.Token{UserID: v.ID, Name: "x", Prefix: "p", Hash: "hash-1"}), "hash")

	got := must(db.TokenByHash(ctx, "hash-1"))(t)
	if got.ID != tk.ID || got.UserID != u.ID || got.Name != "CI" || got.Prefix != "vgt_abcdef" || !got.Write || !got.Created.Equal(t0) || got.LastUsed != nil || got.Revoked != nil {
		t.Fatalf("TokenByHash = %+v", got)
	}
	wantNotFound(t, "TokenByHash(unknown)", func() error { _, err := db.TokenByHash(ctx, "nope"); return err }())

	ok(t, db.TouchToken(ctx, tk.ID, t0.Add(time.Minute)))
	if got := must(db.TokenByHash(ctx, "hash-1"))(t); got.LastUsed == nil || !got.LastUsed.Equal(t0.Add(time.Minute)) {
		t.Errorf("LastUsed = %v", got.LastUsed)
	}
	wantNotFound(t, "RevokeToken(another user's)", db.RevokeToken(ctx, v.ID, tk.ID, t0))
	ok(t, db.RevokeToken(ctx, u.ID, tk.ID, t0.Add(time.Hour)))
	ok(t, db.RevokeToken(ctx, u.ID, tk.ID, t0.Add(2*time.Hour))) // keeps the first date
	if got := must(db.TokenByHash(ctx, "hash-1"))(t); got.Revoked == nil || !got.Revoked.Equal(t0.Add(time.Hour)) {
		t.Errorf("Revoked = %v, want %v", got.Revoked, t0.Add(time.Hour))
	}
	list := must(db.Tokens(ctx, u.ID))(t)
	if len(list) != 2 || list[0].ID != tk.ID || list[0].Revoked == nil || list[1].ID != ro.ID || list[1].Write {
		t.Errorf("Tokens = %+v", list)
	}
	if list := must(db.Tokens(ctx, v.ID))(t); len(list) != 0 {
		t.Errorf("Tokens(v) = %+v", list)
	}
}

func testResetTokens(t *testing.T, db *store.DB) {
	ctx := t.Context()
	u := mkUser(t, db, user.User{Email: "u@example.com", Name: "U", Role: tenant.RoleAdmin})
	v := mkUser(t, db, user.User{Email: "v@example.com", Name: "V", Role: tenant.RoleAdmin})
	ok(t, db.CreateResetToken(ctx, u.ID, "u1", t0.Add(time.Hour)))
	ok(t, db.CreateResetToken(ctx, u.ID, "u2", t0.Add(time.Hour)))
	ok(t, db.CreateResetToken(ctx, v.ID, "v1", t0.Add(time.Hour)))
	ok(t, db.CreateResetToken(ctx, v.ID, "v-old", t0.Add(-time.Second)))
	consume := func(hash string, now time.Time) (int64, error) { return db.ConsumeResetToken(ctx, hash, now) }

	if id := must(consume("u1", t0))(t); id != u.ID {
		t.Fatalf("ConsumeResetToken(u1) = %d, want %d", id, u.ID)
	}
	_, err := consume("u1", t0)
	wantNotFound(t, "ConsumeResetToken(u1 again)", err)
	_, err = consume("u2", t0) // the user's other tokens went with the first
	wantNotFound(t, "ConsumeResetToken(u2)", err)
	_, err = consume("v-old", t0)
	wantNotFound(t, "ConsumeResetToken(expired)", err)
	_, err = consume("nope", t0)
	wantNotFound(t, "ConsumeResetToken(unknown)", err)
	_, err = consume("v1", t0.Add(time.Hour)) // expires_at is not valid any more at expires_at
	wantNotFound(t, "ConsumeResetToken(at expiry)", err)

	ok(t, db.CreateResetToken(ctx, v.ID, "v2", t0.Add(time.Hour)))
	ok(t, db.CreateResetToken(ctx, v.ID, "v3", t0.Add(-time.Minute)))
	ok(t, db.DeleteExpiredSessions(ctx, t0))
	var n int
	ok(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM reset_tokens`).Scan(&n))
	if n != 1 {
		t.Errorf("%d reset tokens left after DeleteExpiredSessions, want 1 (v2)", n)
	}
	if id := must(consume("v2", t0))(t); id != v.ID {
		t.Errorf("ConsumeResetToken(v2) = %d", id)
	}
}

func testLoginFailures(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for _, at := range []time.Duration{-2 * time.Minute, -10 * time.Minute, -20 * time.Minute, -25 * time.Hour} {
		ok(t, db.RecordLoginFailure(ctx, "acct:a@example.com", t0.Add(at)))
	}
	ok(t, db.RecordLoginFailure(ctx, "addr:192.0.2.1", t0))
	count := func(key string, since time.Time) int {
		t.Helper()
		return must(db.CountLoginFailures(ctx, key, since))(t)
	}
	if n := count("acct:a@example.com", t0.Add(-15*time.Minute)); n != 2 {
		t.Errorf("failures in 15 min = %d, want 2", n)
	}
	if n := count("acct:a@example.com", t0.Add(-48*time.Hour)); n != 4 {
		t.Errorf("failures in 48 h = %d, want 4", n)
	}
	if n := count("acct:b@example.com", t0.Add(-48*time.Hour)); n != 0 {
		t.Errorf("failures of another key = %d", n)
	}
	ok(t, db.DeleteExpiredSessions(ctx, t0))
	if n := count("acct:a@example.com", t0.Add(-48*time.Hour)); n != 3 {
		t.Errorf("failures after pruning = %d, want 3 (older than a day removed)", n)
	}
	ok(t, db.ClearLoginFailures(ctx, "acct:a@example.com"))
	if n := count("acct:a@example.com", t0.Add(-48*time.Hour)); n != 0 {
		t.Errorf("failures after clear = %d", n)
	}
	if n := count("addr:192.0.2.1", t0.Add(-time.Minute)); n != 1 {
		t.Errorf("failures of the address after clearing the account = %d, want 1", n)
	}
}

// testSingleUseConcurrent races several requests for one recovery code and
// one reset token: exactly one of each may win.
func testSingleUseConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	u := mkUser(t, db, user.User{Email: "u@example.com", Name: "U", Role: tenant.RoleAdmin})
	ok(t, db.SetTOTP(ctx, u.ID, "S", true, []string{"code"}))
	ok(t, db.CreateResetToken(ctx, u.ID, "reset", t0.Add(time.Hour)))
	const n = 8
	var (
		wg                  sync.WaitGroup
		mu                  sync.Mutex
		codeWins, resetWins int
	)
	for range n {
		wg.Go(func() {
			used, err := db.UseRecoveryCode(ctx, u.ID, "code")
			if err != nil {
				t.Error(err)
			}
			_, err = db.ConsumeResetToken(ctx, "reset", t0)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if used {
				codeWins++
			}
			if err == nil {
				resetWins++
			}
		})
	}
	wg.Wait()
	if codeWins != 1 || resetWins != 1 {
		t.Errorf("%d requests: recovery code used %d times, reset token %d times; want 1 and 1", n, codeWins, resetWins)
	}
}
