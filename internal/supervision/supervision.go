// Package supervision runs the checks of each client's infrastructure: their
// definitions (on assets or applied by templates), the in-memory scheduler of
// the server's probes, the results agents send, the states and events kept by
// the check engine, maintenance windows and acknowledgements, restore tests of
// backup jobs, and the live board. Alerts (tickets) and notifications act on
// the events it emits (packages alert and notify).
package supervision

import (
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/check"
)

// Kind is what a check looks at; the values are agentproto's Check* names.
type Kind string

// Check kinds.
const (
	KindCPU        Kind = agentproto.CheckCPU
	KindMemory     Kind = agentproto.CheckMemory
	KindSwap       Kind = agentproto.CheckSwap
	KindFilesystem Kind = agentproto.CheckFilesystem
	KindService    Kind = agentproto.CheckService
	KindProcess    Kind = agentproto.CheckProcess
	KindSMART      Kind = agentproto.CheckSMART
	KindCommand    Kind = agentproto.CheckCommand
	KindFileAge    Kind = agentproto.CheckFileAge
	KindHeartbeat  Kind = agentproto.CheckHeartbeat
	KindPing       Kind = agentproto.CheckPing
	KindTCP        Kind = agentproto.CheckTCP
	KindHTTP       Kind = agentproto.CheckHTTP
	KindTLS        Kind = agentproto.CheckTLS
	KindDNS        Kind = agentproto.CheckDNS
	KindBackupPush Kind = agentproto.CheckBackupPush
	KindBackupJob  Kind = agentproto.CheckBackupJob
)

// Kinds lists every kind in display order.
var Kinds = []Kind{
	KindCPU, KindMemory, KindSwap, KindFilesystem, KindService, KindProcess, KindSMART, KindCommand, KindFileAge,
	KindHeartbeat, KindPing, KindTCP, KindHTTP, KindTLS, KindDNS, KindBackupPush, KindBackupJob,
}

// Local reports whether the check runs on the asset's own agent.
func (k Kind) Local() bool {
	switch k {
	case KindCPU, KindMemory, KindSwap, KindFilesystem, KindService, KindProcess, KindSMART, KindCommand, KindFileAge:
		return true
	}
	return false
}

// Network reports whether the check is a network probe, run by the server or
// by a chosen agent inside the client's LAN.
func (k Kind) Network() bool {
	switch k {
	case KindPing, KindTCP, KindHTTP, KindTLS, KindDNS:
		return true
	}
	return false
}

// Backup reports whether the check belongs to the backup family.
func (k Kind) Backup() bool { return k == KindBackupPush || k == KindBackupJob || k == KindFileAge }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Params are the parameters of every kind (see agentproto.CheckParams).
type Params = agentproto.CheckParams

// Severity says how bad a hard CRITICAL of the check is for the client; with
// the asset's criticality it gives the priority of the ticket it opens.
type Severity string

// Severities, least severe first.
const (
	SeverityMinor    Severity = "minor"
	SeverityMajor    Severity = "major"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, least severe first.
var Severities = []Severity{SeverityMinor, SeverityMajor, SeverityCritical}

// TicketMode says what a hard problem of the check does in the helpdesk.
type TicketMode string

// Ticket modes.
const (
	TicketNone TicketMode = "none" // notify only
	// TicketOpen opens (or updates) an incident; the technician resolves it.
	TicketOpen TicketMode = "open"
	// TicketAutoResolve opens an incident and resolves it on recovery.
	TicketAutoResolve TicketMode = "auto_resolve"
)

// TicketModes lists every mode.
var TicketModes = []TicketMode{TicketNone, TicketOpen, TicketAutoResolve}

// Rules are what a check and a template share: how it runs, how its states
// change, what its problems do.
type Rules struct {
	Kind   Kind   `json:"kind"`
	Params Params `json:"params"`
	// Interval between runs in OK or hard states, seconds (default 60, 10…86400).
	Interval int `json:"interval"`
	// RetryInterval between runs of a soft problem, seconds (default 30).
	RetryInterval int `json:"retry_interval"`
	// MaxAttempts consecutive problems make it hard (default 3, 1…10).
	MaxAttempts int `json:"max_attempts"`
	// RecoverAfter consecutive OK results end a hard problem (default 1).
	RecoverAfter int        `json:"recover_after"`
	Severity     Severity   `json:"severity"`
	Ticket       TicketMode `json:"ticket"`
}

// Policy returns the state-engine policy of the rules.
func (r Rules) Policy() check.Policy {
	return check.Policy{
		MaxAttempts:   r.MaxAttempts,
		RecoverAfter:  r.RecoverAfter,
		CheckInterval: time.Duration(r.Interval) * time.Second,
		RetryInterval: time.Duration(r.RetryInterval) * time.Second,
	}
}

// Check is one check of one asset.
type Check struct {
	ID       int64  `json:"id"`
	ClientID int64  `json:"client_id"`
	AssetID  int64  `json:"asset_id"`
	Name     string `json:"name"`
	Rules
	// RunnerAssetID names the asset whose agent runs a network probe from
	// inside the client's LAN; nil: the server runs it.
	RunnerAssetID *int64 `json:"runner_asset_id"`
	// TemplateID is set on checks a template applied; editing them means
	// editing the template.
	TemplateID *int64 `json:"template_id"`
	Enabled    bool   `json:"enabled"`
	// PushToken is the secret part of a backup_push check's URL.
	PushToken string    `json:"push_token,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Template applies a check to every asset it matches, now and later.
type Template struct {
	ID int64 `json:"id"`
	// ClientID limits the template to one client; nil: every client.
	ClientID *int64 `json:"client_id"`
	Name     string `json:"name"`
	// Match: every set field must match (asset kind, OS — "linux",
	// "windows", "darwin" — and a tag of the asset).
	MatchKind string `json:"match_kind"`
	MatchOS   string `json:"match_os"`
	MatchTag  string `json:"match_tag"`
	Rules
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Status is the live state of a check as the board shows it.
type Status struct {
	CheckID  int64 `json:"check_id"`
	ClientID int64 `json:"client_id"`
	AssetID  int64 `json:"asset_id"`
	check.Status
	// TicketID is the incident open for the current problem, if any.
	TicketID *int64 `json:"ticket_id"`
}

// Event is one state change of a check, kept for history and availability.
type Event struct {
	ID       int64 `json:"id"`
	CheckID  int64 `json:"check_id"`
	ClientID int64 `json:"client_id"`
	AssetID  int64 `json:"asset_id"`
	check.Event
}

// Window is a maintenance window as stored: check.Window with its row.
type Window struct {
	ID int64 `json:"id"`
	check.Window
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// RestoreResult is the outcome of a restore test.
type RestoreResult string

// Restore results.
const (
	RestoreOK      RestoreResult = "ok"
	RestorePartial RestoreResult = "partial"
	RestoreFailed  RestoreResult = "failed"
)

// RestoreTest records one test of restoring a backup job's data.
type RestoreTest struct {
	ID       int64         `json:"id"`
	ClientID int64         `json:"client_id"`
	AssetID  int64         `json:"asset_id"` // the backup job
	TestedAt time.Time     `json:"tested_at"`
	Scope    string        `json:"scope"` // what was restored
	Result   RestoreResult `json:"result"`
	Minutes  int           `json:"minutes"` // how long the restore took
	Evidence string        `json:"evidence"`
	UserID   int64         `json:"user_id"`
	Created  time.Time     `json:"created_at"`
}

// BackupRun is one run of a backup job reported by a push or by
// `vigie-agent job run`.
type BackupRun struct {
	ID       int64     `json:"id"`
	CheckID  int64     `json:"check_id"`
	ClientID int64     `json:"client_id"`
	AssetID  int64     `json:"asset_id"`
	At       time.Time `json:"at"`
	OK       bool      `json:"ok"`
	Seconds  float64   `json:"seconds,omitempty"`
	Bytes    int64     `json:"bytes,omitempty"`
	Message  string    `json:"message,omitempty"`
	Source   string    `json:"source"` // push, agent
}

// BoardFilter selects rows of the board.
type BoardFilter struct {
	ClientID int64
	AssetID  int64
	Kind     Kind
	// Problems keeps checks not OK (soft or hard).
	Problems bool
	// State keeps one state ("ok", "warning", "critical", "unknown").
	State  string
	Search string // asset or check name
	Limit  int
	Offset int
	// Maintenance is what maintenance windows cover now; the service fills
	// it so that the store counts and marks those checks.
	Maintenance Covered
}

// Covered lists the clients, sites and assets that windows cover.
type Covered struct {
	Clients, Sites, Assets []int64
}

// Empty reports whether nothing is covered.
func (c Covered) Empty() bool { return len(c.Clients)+len(c.Sites)+len(c.Assets) == 0 }

// BoardRow is one check on the board, problems first.
type BoardRow struct {
	Check      Check  `json:"check"`
	Status     Status `json:"status"`
	AssetName  string `json:"asset_name"`
	ClientName string `json:"client_name"`
	// InMaintenance is set when a window covers the check's asset now.
	InMaintenance bool `json:"in_maintenance"`
}

// BoardCounts counts the checks of a board by state (hard or soft).
type BoardCounts struct {
	OK, Warning, Critical, Unknown, Acknowledged, Maintenance, Unreachable, Flapping int
}

// AvailabilityChecks picks, of an asset's checks, those that decide its
// availability: its enabled checks of severity critical, or all its enabled
// checks when it has none. rules tells whether a check is enabled and its
// severity (reports pass their own rows).
func AvailabilityChecks[T any](checks []T, rules func(T) (enabled bool, severity Severity)) []T {
	var critical, all []T
	for _, c := range checks {
		enabled, sev := rules(c)
		if !enabled {
			continue
		}
		all = append(all, c)
		if sev == SeverityCritical {
			critical = append(critical, c)
		}
	}
	if len(critical) > 0 {
		return critical
	}
	return all
}
