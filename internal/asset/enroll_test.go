package asset_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func enrollReq(token, host, machine string) agentproto.EnrollRequest {
	return agentproto.EnrollRequest{Token: token, Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: serverAgentVersion, MachineID: machine}
}

func TestEnrollTokenRules(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		past := e.clock.Now().Add(-time.Hour)
		wantInvalid(t, "expiry in the past", func() error {
			_, err := e.svc.CreateEnrollToken(ctx, sys, &asset.EnrollToken{ClientID: e.A.ID, Name: "x", Expires: &past})
			return err
		}(), "expires_at", "in_past")
		_, err := e.svc.CreateEnrollToken(ctx, e.adminA, &asset.EnrollToken{ClientID: e.A.ID, Name: "x"})
		wantKind(t, "client admin makes a token", err, fault.ErrForbidden)
		_, err = e.svc.CreateEnrollToken(ctx, e.techA, &asset.EnrollToken{ClientID: e.B.ID, Name: "x"})
		wantKind(t, "tech A makes B's token", err, fault.ErrNotFound)
		_, err = e.svc.CreateEnrollToken(ctx, e.techA, &asset.EnrollToken{ClientID: e.A.ID, Name: "x", SiteID: &e.siteB.ID})
		wantInvalid(t, "foreign site", err, "site_id", "invalid_choice")

		soon := e.clock.Now().Add(time.Hour)
		once := asset.EnrollToken{ClientID: e.A.ID, Name: "once", MaxUses: 1, SiteID: &e.siteA.ID, Expires: &soon}
		onceSecret, err := e.svc.CreateEnrollToken(ctx, e.techA, &once)
		must(t, err)
		if !strings.HasPrefix(onceSecret, once.Prefix) || len(once.Prefix) < 8 {
			t.Errorf("prefix %q of %q", once.Prefix, onceSecret)
		}
		revoked := asset.EnrollToken{ClientID: e.A.ID, Name: "revoked"}
		revokedSecret, err := e.svc.CreateEnrollToken(ctx, e.techA, &revoked)
		must(t, err)
		must(t, e.svc.RevokeEnrollToken(ctx, e.techA, revoked.ID))
		wantKind(t, "tech A revokes B's", e.svc.RevokeEnrollToken(ctx, e.techA, mustToken(t, e, e.B.ID)), fault.ErrNotFound)
		expiring := asset.EnrollToken{ClientID: e.A.ID, Name: "expiring", Expires: &soon}
		expiringSecret, err := e.svc.CreateEnrollToken(ctx, e.techA, &expiring)
		must(t, err)

		resp, err := e.svc.Enroll(ctx, enrollReq(onceSecret, "web-01", "m-1"))
		must(t, err)
		a, err := e.svc.Get(ctx, sys, resp.AssetID)
		must(t, err)
		if a.ClientID != e.A.ID || a.SiteID == nil || *a.SiteID != e.siteA.ID || a.Kind != asset.KindServer || a.Name != "web-01" || a.Agent == nil {
			t.Errorf("enrolled asset = %+v", a)
		}
		if resp.Settings.Version != 1 || !strings.HasPrefix(resp.Secret, asset.SecretPrefix) {
			t.Errorf("response = %+v", resp)
		}
		for _, tt := range []struct{ name, token string }{
			{"used up", onceSecret},
			{"revoked", revokedSecret},
			{"unknown", asset.TokenPrefix + "nope"},
			{"not a token", "hello"},
		} {
			if _, err := e.svc.Enroll(ctx, enrollReq(tt.token, "pc", "m-x")); !errors.Is(err, asset.ErrTokenInvalid) {
				t.Errorf("%s token: err = %v, want ErrTokenInvalid", tt.name, err)
			}
		}
		// An archived client takes no new machine.
		arch := asset.EnrollToken{ClientID: e.B.ID, Name: "archived"}
		archSecret, err := e.svc.CreateEnrollToken(ctx, sys, &arch)
		must(t, err)
		must(t, client.NewService(e.db, audit.NewJournal(e.db, nil), nil).SetArchived(ctx, sys, e.B.ID, true))
		if _, err := e.svc.Enroll(ctx, enrollReq(archSecret, "pc", "m-y")); !errors.Is(err, asset.ErrTokenInvalid) {
			t.Errorf("archived client's token: err = %v", err)
		}
		e.clock.Add(2 * time.Hour)
		if _, err := e.svc.Enroll(ctx, enrollReq(expiringSecret, "pc", "m-x")); !errors.Is(err, asset.ErrTokenInvalid) {
			t.Errorf("expired token: err = %v", err)
		}
		toks, err := e.svc.EnrollTokens(ctx, e.techA, e.A.ID)
		must(t, err)
		if len(toks) != 3 || toks[2].Uses != 1 || toks[1].Revoked == nil {
			t.Errorf("tokens = %+v", toks)
		}
		if _, err := e.svc.EnrollTokens(ctx, e.techA, e.B.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("tech A lists B's tokens: %v", err)
		}
	})
}

func mustToken(t *testing.T, e *env, clientID int64) int64 {
	t.Helper()
	tok := asset.EnrollToken{ClientID: clientID, Name: "other"}
	_, err := e.svc.CreateEnrollToken(context.Background(), sys, &tok)
	must(t, err)
	return tok.ID
}

func TestReenrollReusesAsset(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		first, oldSecret := e.enroll(t, e.A.ID, "ws-01", "machine-1")
		r := &agentproto.Report{Seq: 7, SettingsVersion: 1}
		if _, err := e.svc.Report(ctx, first, r); err != nil {
			t.Fatal(err)
		}
		must(t, e.svc.RevokeAgent(ctx, sys, first.ID))
		if _, err := e.svc.AuthenticateAgent(ctx, oldSecret); !errors.Is(err, fault.ErrUnauthorized) {
			t.Errorf("revoked agent authenticates: %v", err)
		}
		again, newSecret := e.enroll(t, e.A.ID, "ws-01", "machine-1")
		if again.AssetID != first.AssetID || again.ID != first.ID || again.LastSeq != 0 {
			t.Errorf("re-enrolled agent %+v, first %+v", again, first)
		}
		if _, err := e.svc.AuthenticateAgent(ctx, oldSecret); !errors.Is(err, fault.ErrUnauthorized) {
			t.Errorf("old secret still works: %v", err)
		}
		if _, err := e.svc.AuthenticateAgent(ctx, newSecret); err != nil {
			t.Errorf("new secret: %v", err)
		}
		// Seq restarts at 1 after re-enrollment and is stored.
		ack, err := e.svc.Report(ctx, again, &agentproto.Report{Seq: 1, SettingsVersion: 1})
		must(t, err)
		if ack.Duplicate {
			t.Error("first report after re-enrollment taken for a duplicate")
		}
		// The same machine id in another client is another machine.
		other, _ := e.enroll(t, e.B.ID, "ws-01", "machine-1")
		if other.AssetID == first.AssetID {
			t.Error("machine id reused across clients")
		}
		n, err := e.svc.Count(ctx, sys, asset.Filter{ClientID: e.A.ID})
		must(t, err)
		if n != 1 {
			t.Errorf("client A has %d assets after re-enrollment, want 1", n)
		}
		// Revoking needs AgentAdmin on the agent's client.
		wantKind(t, "client admin revokes", e.svc.RevokeAgent(ctx, e.adminA, again.ID), fault.ErrForbidden)
		wantKind(t, "tech A revokes B's", e.svc.RevokeAgent(ctx, e.techA, other.ID), fault.ErrNotFound)
		_ = tenant.System()
	})
}

func TestGuessKind(t *testing.T) {
	for _, tt := range []struct {
		os, platform string
		want         asset.Kind
	}{
		{"linux", "debian", asset.KindServer},
		{"windows", "Microsoft Windows Server 2022 Standard", asset.KindServer},
		{"windows", "Microsoft Windows 11 Pro", asset.KindWorkstation},
		{"darwin", "macOS", asset.KindWorkstation},
		{"freebsd", "", asset.KindServer},
	} {
		if got := asset.GuessKind(tt.os, tt.platform); got != tt.want {
			t.Errorf("GuessKind(%q, %q) = %s, want %s", tt.os, tt.platform, got, tt.want)
		}
	}
}
