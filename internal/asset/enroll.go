package asset

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Prefixes of the secrets, so that a leaked one is recognised (and a
// scanner can tell an enrollment token from an agent secret).
const (
	TokenPrefix  = "vge_"
	SecretPrefix = "vga_"
	// maxSecret bounds what is hashed: a longer bearer is no secret of ours.
	maxSecret = 100
	// MaxTokenUses bounds an enrollment token's maximum uses.
	MaxTokenUses = 100000
)

// newSecret returns a random URL-safe secret and its SHA-256 hex digest.
func newSecret(prefix string) (plain, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashSecret(plain)
}

// HashSecret returns the stored form of an enrollment token or agent secret.
func HashSecret(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}

// CreateEnrollToken makes an enrollment token for a client (optionally a
// site) and returns its secret, shown once: only its hash is kept.
func (svc *Service) CreateEnrollToken(ctx context.Context, s tenant.Scope, t *EnrollToken) (string, error) {
	if !s.CanSee(t.ClientID) {
		return "", fault.ErrNotFound
	}
	if !s.CanOn(tenant.AgentAdmin, t.ClientID) {
		return "", fault.ErrForbidden
	}
	now := svc.now().UTC().Truncate(timeUnit)
	var v fault.Invalid
	t.Name = v.Text("name", t.Name, 100, true, false)
	if t.MaxUses < 0 || t.MaxUses > MaxTokenUses {
		v.Add("max_uses", "out_of_range", fmt.Sprintf("0–%d", MaxTokenUses))
	}
	if t.Expires != nil {
		e := t.Expires.UTC()
		if !e.After(now) {
			v.Add("expires_at", "in_past")
		}
		t.Expires = &e
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	plain, hash := newSecret(TokenPrefix)
	t.Prefix = plain[:len(TokenPrefix)+6]
	t.Uses, t.Revoked, t.Created = 0, nil, now
	t.CreatedBy = s.UserID
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, t.ClientID); err != nil {
			return err
		}
		if t.SiteID != nil {
			st, err := svc.store.Site(ctx, s, *t.SiteID)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return err
			}
			if err != nil || st.ClientID != t.ClientID {
				v.Add("site_id", "invalid_choice")
				return &v
			}
		}
		if err := svc.store.CreateEnrollToken(ctx, t, hash); err != nil {
			return fmt.Errorf("create enrollment token: %w", err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "enroll_token.create", Object: audit.Object("enroll_token", t.ID), Summary: t.Name + " (" + t.Prefix + "…)"})
	})
	if err != nil {
		return "", err
	}
	return plain, nil
}

// EnrollTokens lists a client's enrollment tokens, revoked ones included.
func (svc *Service) EnrollTokens(ctx context.Context, s tenant.Scope, clientID int64) ([]EnrollToken, error) {
	if !s.CanSee(clientID) {
		return nil, fault.ErrNotFound
	}
	if !s.CanOn(tenant.AgentAdmin, clientID) {
		return nil, fault.ErrForbidden
	}
	return svc.store.EnrollTokens(ctx, s, clientID)
}

// RevokeEnrollToken revokes an enrollment token; agents enrolled with it stay.
func (svc *Service) RevokeEnrollToken(ctx context.Context, s tenant.Scope, id int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.EnrollToken(ctx, s, id)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.AgentAdmin, t.ClientID) {
			return fault.ErrForbidden
		}
		if t.Revoked != nil {
			return nil
		}
		if err := svc.store.RevokeEnrollToken(ctx, id, svc.now().UTC()); err != nil {
			return fmt.Errorf("revoke enrollment token %d: %w", id, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &t.ClientID, Action: "enroll_token.revoke", Object: audit.Object("enroll_token", id), Summary: t.Name})
	})
}

// Agent returns one agent with its status.
func (svc *Service) Agent(ctx context.Context, s tenant.Scope, id int64) (Agent, error) {
	if !s.Can(tenant.AssetRead) {
		return Agent{}, fault.ErrForbidden
	}
	ag, err := svc.store.Agent(ctx, s, id)
	if err != nil {
		return Agent{}, err
	}
	ag.Status = ag.StatusAt(svc.now())
	return ag, nil
}

// RevokeAgent revokes an agent: its secret is refused from now on. Its
// asset, inventory and metrics stay; enrolling the machine again reuses them.
func (svc *Service) RevokeAgent(ctx context.Context, s tenant.Scope, agentID int64) error {
	return svc.store.InTx(ctx, func(ctx context.Context) error {
		ag, err := svc.store.Agent(ctx, s, agentID)
		if err != nil {
			return err
		}
		if !s.CanOn(tenant.AgentAdmin, ag.ClientID) {
			return fault.ErrForbidden
		}
		if ag.Revoked != nil {
			return nil
		}
		if err := svc.store.RevokeAgent(ctx, agentID, svc.now().UTC()); err != nil {
			return fmt.Errorf("revoke agent %d: %w", agentID, err)
		}
		return svc.record(ctx, audit.Entry{ClientID: &ag.ClientID, Action: "agent.revoke", Object: audit.Object("agent", agentID), Summary: ag.Hostname})
	})
}

// GuessKind tells a server from a workstation by its operating system:
// Windows Server and Linux (and other Unixes) are servers, other Windows
// and macOS are workstations. The kind can be changed afterwards.
func GuessKind(goos, platform string) Kind {
	switch strings.ToLower(goos) {
	case "windows":
		if strings.Contains(strings.ToLower(platform), "server") {
			return KindServer
		}
		return KindWorkstation
	case "darwin":
		return KindWorkstation
	}
	return KindServer
}

// Enroll joins a machine to the fleet of the token's client: it reuses the
// asset of the same machine (same MachineID in the same client) or creates
// one, and gives the agent a new secret.
func (svc *Service) Enroll(ctx context.Context, req agentproto.EnrollRequest) (agentproto.EnrollResponse, error) {
	if !strings.HasPrefix(req.Token, TokenPrefix) || len(req.Token) > maxSecret {
		return agentproto.EnrollResponse{}, ErrTokenInvalid
	}
	var v fault.Invalid
	req.Hostname = v.Text("hostname", req.Hostname, 255, true, false)
	req.OS = strings.ToLower(v.Text("os", req.OS, 32, true, false))
	req.Arch = v.Text("arch", req.Arch, 32, false, false)
	req.AgentVersion = v.Text("agent_version", req.AgentVersion, 64, false, false)
	req.MachineID = v.Text("machine_id", req.MachineID, 200, false, false)
	if err := v.Err(); err != nil {
		return agentproto.EnrollResponse{}, err
	}
	now := svc.now().UTC().Truncate(timeUnit)
	plain, hash := newSecret(SecretPrefix)
	var resp agentproto.EnrollResponse
	err := svc.store.InTx(ctx, func(ctx context.Context) error {
		t, err := svc.store.EnrollTokenByHash(ctx, HashSecret(req.Token))
		if errors.Is(err, fault.ErrNotFound) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		if t.Revoked != nil || (t.Expires != nil && !now.Before(*t.Expires)) || (t.MaxUses > 0 && t.Uses >= t.MaxUses) {
			return ErrTokenInvalid
		}
		if c, err := svc.store.Client(ctx, tenant.System(), t.ClientID); err != nil {
			return err
		} else if c.Archived {
			return ErrTokenInvalid // an archived client's fleet takes no new machine
		}
		if err := svc.store.UseEnrollToken(ctx, t.ID); errors.Is(err, fault.ErrConflict) || errors.Is(err, fault.ErrNotFound) {
			return ErrTokenInvalid
		} else if err != nil {
			return err
		}
		ag := Agent{ClientID: t.ClientID, Hostname: req.Hostname, OS: req.OS, Arch: req.Arch, Version: req.AgentVersion, MachineID: req.MachineID, Enrolled: now}
		st, err := svc.settings(ctx, t.ClientID)
		if err != nil {
			return err
		}
		ag.ReportInterval = st.ReportInterval
		action := "agent.enroll"
		var old Agent
		if req.MachineID != "" {
			old, err = svc.store.AgentByMachine(ctx, t.ClientID, req.MachineID)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return err
			}
		}
		if old.ID != 0 {
			ag.ID, ag.AssetID = old.ID, old.AssetID
			if err := svc.store.ReenrollAgent(ctx, &ag, hash); err != nil {
				return fmt.Errorf("re-enroll agent %d: %w", old.ID, err)
			}
			action = "agent.reenroll"
		} else {
			a := Asset{ClientID: t.ClientID, SiteID: t.SiteID, Kind: GuessKind(req.OS, ""), Name: req.Hostname, Criticality: CriticalityNormal,
				OS: req.OS, Hostname: req.Hostname, Fields: map[string]string{}}
			if err := svc.store.CreateAsset(ctx, tenant.System(), &a); err != nil {
				return fmt.Errorf("create asset of agent: %w", err)
			}
			ag.AssetID = a.ID
			if err := svc.store.CreateAgent(ctx, &ag, hash); err != nil {
				return fmt.Errorf("create agent: %w", err)
			}
		}
		if st, err = svc.withChecks(ctx, st, ag.AssetID); err != nil {
			return err
		}
		resp = agentproto.EnrollResponse{AgentID: ag.ID, AssetID: ag.AssetID, Secret: plain, Settings: st}
		return svc.record(ctx, audit.Entry{ClientID: &t.ClientID, ActorName: "agent " + req.Hostname, Action: action,
			Object: audit.Object("agent", ag.ID), Summary: req.Hostname + " with token " + t.Name + " (" + t.Prefix + "…)"})
	})
	if err != nil {
		return agentproto.EnrollResponse{}, err
	}
	svc.log.Info("agent enrolled", "agent", resp.AgentID, "asset", resp.AssetID)
	return resp, nil
}

// AuthenticateAgent returns the unrevoked agent of a secret, else
// fault.ErrUnauthorized.
func (svc *Service) AuthenticateAgent(ctx context.Context, secret string) (Agent, error) {
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > maxSecret {
		return Agent{}, fault.ErrUnauthorized
	}
	ag, err := svc.store.AgentBySecret(ctx, HashSecret(secret))
	if errors.Is(err, fault.ErrNotFound) {
		return Agent{}, fault.ErrUnauthorized
	}
	if err != nil {
		return Agent{}, err
	}
	if ag.Revoked != nil {
		return Agent{}, fault.ErrUnauthorized
	}
	ag.Status = ag.StatusAt(svc.now())
	return ag, nil
}

// AgentSettings returns the settings of an agent: its client's fleet
// settings with the checks of its asset.
func (svc *Service) AgentSettings(ctx context.Context, ag Agent) (agentproto.Settings, error) {
	return svc.agentSettings(ctx, ag)
}

// CheckSource gives the checks an agent runs and takes their results: the
// supervision service, seen through what the fleet needs of it.
type CheckSource interface {
	// AgentChecks returns the checks of an asset's agent and the version of
	// that set, which only grows.
	AgentChecks(ctx context.Context, assetID int64) ([]agentproto.CheckSpec, int64, error)
	// IngestAgent takes the check results and job runs of one report, once
	// per stored report (with none, it is the asset's heartbeat). It is
	// called within the report's transaction (ctx carries it): an error
	// refuses the whole report, which the agent sends again.
	IngestAgent(ctx context.Context, assetID int64, results []agentproto.CheckResult, jobs []agentproto.JobRun) error
}

// SetCheckSource plugs in the checks of agents; nil (the default) means
// agents run none and their results are not kept. Call it before serving.
func (svc *Service) SetCheckSource(cs CheckSource) { svc.checks = cs }

func (svc *Service) agentSettings(ctx context.Context, ag Agent) (agentproto.Settings, error) {
	st, err := svc.settings(ctx, ag.ClientID)
	if err != nil {
		return agentproto.Settings{}, err
	}
	return svc.withChecks(ctx, st, ag.AssetID)
}

// withChecks adds an asset's checks to its client's settings. The version
// the agent sees is the sum of both versions: each only grows, so the sum
// changes whenever either does, and the agent fetches its settings again.
func (svc *Service) withChecks(ctx context.Context, st agentproto.Settings, assetID int64) (agentproto.Settings, error) {
	if svc.checks == nil {
		return st, nil
	}
	specs, v, err := svc.checks.AgentChecks(ctx, assetID)
	if err != nil {
		return agentproto.Settings{}, fmt.Errorf("load checks of asset %d: %w", assetID, err)
	}
	st.Checks = specs
	st.Version += v
	return st, nil
}
