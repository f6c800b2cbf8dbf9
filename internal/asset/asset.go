// Package asset holds each client's fleet: assets entered by hand, imported
// from CSV or reported by vigie-agent; the agents themselves, their
// enrollment tokens and settings; inventories and their change history.
package asset

import (
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Kind is what an asset is.
type Kind string

// Kinds. Servers and workstations are usually reported by an agent; the
// others are entered by hand or imported.
const (
	KindServer      Kind = "server"
	KindWorkstation Kind = "workstation"
	KindNetwork     Kind = "network" // router, switch, firewall, access point
	KindPrinter     Kind = "printer"
	KindApplication Kind = "application"
	KindLicence     Kind = "licence"
	KindBackup      Kind = "backup" // a backup job
	KindOther       Kind = "other"
)

// Kinds lists every kind in display order.
var Kinds = []Kind{KindServer, KindWorkstation, KindNetwork, KindPrinter, KindApplication, KindLicence, KindBackup, KindOther}

// Criticality says how much the client's business depends on an asset.
type Criticality string

// Criticalities, lowest first.
const (
	CriticalityLow      Criticality = "low"
	CriticalityNormal   Criticality = "normal"
	CriticalityHigh     Criticality = "high"
	CriticalityCritical Criticality = "critical"
)

// Criticalities lists every criticality, lowest first.
var Criticalities = []Criticality{CriticalityLow, CriticalityNormal, CriticalityHigh, CriticalityCritical}

// FieldType is how a kind-specific field is validated and shown.
type FieldType string

// Field types.
const (
	FieldText FieldType = "text"
	FieldDate FieldType = "date" // YYYY-MM-DD
	FieldInt  FieldType = "int"
	FieldURL  FieldType = "url"
	FieldIP   FieldType = "ip" // an IPv4 or IPv6 address
)

// FieldDef is one field that a kind of asset has besides the common ones.
type FieldDef struct {
	Key  string
	Type FieldType
}

// KindFields are the fields of each kind, in display order. Their labels
// are translated under "asset.field.<key>".
var KindFields = map[Kind][]FieldDef{
	KindServer:      {{"manufacturer", FieldText}, {"model", FieldText}, {"serial", FieldText}, {"ip", FieldIP}},
	KindWorkstation: {{"manufacturer", FieldText}, {"model", FieldText}, {"serial", FieldText}, {"ip", FieldIP}},
	KindNetwork:     {{"device_type", FieldText}, {"manufacturer", FieldText}, {"model", FieldText}, {"serial", FieldText}, {"ip", FieldIP}, {"firmware", FieldText}, {"ports", FieldInt}},
	KindPrinter:     {{"manufacturer", FieldText}, {"model", FieldText}, {"serial", FieldText}, {"ip", FieldIP}},
	KindApplication: {{"vendor", FieldText}, {"version", FieldText}, {"url", FieldURL}},
	KindLicence:     {{"product", FieldText}, {"vendor", FieldText}, {"seats", FieldInt}, {"expires", FieldDate}, {"reference", FieldText}},
	KindBackup:      {{"software", FieldText}, {"schedule", FieldText}, {"target", FieldText}, {"retention", FieldText}},
	KindOther:       {{"manufacturer", FieldText}, {"model", FieldText}, {"serial", FieldText}},
}

// Asset is one item of a client's fleet.
type Asset struct {
	ID             int64             `json:"id"`
	ClientID       int64             `json:"client_id"`
	SiteID         *int64            `json:"site_id"`
	Kind           Kind              `json:"kind"`
	Name           string            `json:"name"`
	Criticality    Criticality       `json:"criticality"`
	OwnerContactID *int64            `json:"owner_contact_id"`
	WarrantyEnd    *time.Time        `json:"warranty_end"` // a date, UTC midnight
	Notes          string            `json:"notes"`
	ParentID       *int64            `json:"parent_id"` // for dependencies (router, hypervisor)
	Fields         map[string]string `json:"fields"`    // per KindFields
	// Hostname is the machine's name as its agent last reported it (read
	// only; searched with the name and the serial number).
	Hostname string `json:"hostname"`
	// OS is the operating system family reported by an agent (linux,
	// windows, darwin); OSName the platform and version as shown.
	OS      string    `json:"os"`
	OSName  string    `json:"os_name"`
	Created time.Time `json:"created_at"`
	Updated time.Time `json:"updated_at"`
	// Agent is the agent reporting for this asset, if any (read only).
	Agent *Agent `json:"agent,omitempty"`
	// Vitals are the latest figures an agent reported (read only).
	Vitals *Vitals `json:"vitals,omitempty"`
}

// Vitals are the last values an agent reported, kept on the asset so that
// fleet lists filter and sort without reading the metric store.
type Vitals struct {
	At            time.Time `json:"at"`
	CPUPercent    float64   `json:"cpu_percent"`
	MemoryPercent float64   `json:"memory_percent"`
	// FSMaxPercent is the fullest file system's used share, FSMinFree its
	// free bytes.
	FSMaxPercent float64 `json:"fs_max_percent"`
	FSMaxMount   string  `json:"fs_max_mount"`
	FSMinFree    uint64  `json:"fs_min_free_bytes"`
}

// Status is whether an agent reports.
type Status string

// Statuses of an agent.
const (
	StatusOnline  Status = "online"
	StatusOffline Status = "offline" // no report for three report intervals
	StatusRevoked Status = "revoked"
)

// Agent is an enrolled vigie-agent. It reports for exactly one asset.
type Agent struct {
	ID        int64      `json:"id"`
	ClientID  int64      `json:"client_id"`
	AssetID   int64      `json:"asset_id"`
	Hostname  string     `json:"hostname"`
	OS        string     `json:"os"`
	Arch      string     `json:"arch"`
	Version   string     `json:"version"`
	MachineID string     `json:"-"`
	Enrolled  time.Time  `json:"enrolled_at"`
	LastSeen  *time.Time `json:"last_seen"`
	// LastSeq is the highest report sequence stored; a report at or below
	// it is a duplicate.
	LastSeq         uint64     `json:"last_seq"`
	SettingsVersion int64      `json:"settings_version"` // what the agent last said it runs
	ReportInterval  int        `json:"report_interval"`  // seconds, from its settings
	Dropped         uint64     `json:"dropped_batches"`  // batches its spool discarded, in total
	Revoked         *time.Time `json:"revoked_at"`
	Status          Status     `json:"status"` // computed at read time
}

// EnrollToken lets agents join a client's fleet (optionally a site).
type EnrollToken struct {
	ID       int64      `json:"id"`
	ClientID int64      `json:"client_id"`
	SiteID   *int64     `json:"site_id"`
	Name     string     `json:"name"`
	Prefix   string     `json:"prefix"` // first characters, to recognise it
	Expires  *time.Time `json:"expires_at"`
	MaxUses  int        `json:"max_uses"` // 0: unlimited
	Uses     int        `json:"uses"`
	Revoked  *time.Time `json:"revoked_at"`
	Created  time.Time  `json:"created_at"`
	// CreatedBy is the user who made it.
	CreatedBy int64 `json:"created_by"`
}

// Inventory is an asset's last reported inventory.
type Inventory = agentproto.Inventory

// Change is one difference between two inventories of an asset, e.g.
// memory 8 → 16 GiB. Field names a translated label ("memory",
// "software", "smart", …); Item the thing inside it (a package name, a
// disk, a mount), Old and New the values as shown ("" when added or
// removed).
type Change struct {
	ID       int64     `json:"id"`
	ClientID int64     `json:"client_id"`
	AssetID  int64     `json:"asset_id"`
	At       time.Time `json:"at"`
	Field    string    `json:"field"`
	Item     string    `json:"item,omitempty"`
	Old      string    `json:"old"`
	New      string    `json:"new"`
}

// Filter selects assets. After is the cursor: the last ID of the previous
// page (assets come by id).
type Filter struct {
	ClientID int64 // 0: every client the scope sees
	Kind     Kind
	OS       string // linux, windows, darwin
	SiteID   int64
	// Status is StatusOnline, StatusOffline or StatusRevoked: assets with an
	// agent in that state. "" for every asset.
	Status Status
	// Outdated keeps assets whose agent runs another version than the
	// server's (Options.AgentVersion).
	Outdated bool
	// LowDisk keeps assets whose fullest file system is at least
	// LowDiskPercent full or has less than LowDiskFree bytes free.
	LowDisk bool
	Query   string // matched against name, hostname and serial number
	After   int64
	Limit   int

	// Now and AgentVersion are set by the Service for the store: the instant
	// that decides online and offline, the version that is current.
	Now          time.Time `json:"-"`
	AgentVersion string    `json:"-"`
}

// Thresholds of the low-disk filter.
const (
	LowDiskPercent = 90
	LowDiskFree    = 1 << 30
)

// ChangeFilter selects inventory changes, newest first. After is the
// cursor: the last ID of the previous page (the next page has older ones).
type ChangeFilter struct {
	AssetID  int64
	ClientID int64
	After    int64
	Limit    int
}

// OfflineAfter is how many report intervals without a report make an agent
// offline.
const OfflineAfter = 3

// StatusAt returns the agent's status at now.
func (ag Agent) StatusAt(now time.Time) Status {
	switch {
	case ag.Revoked != nil:
		return StatusRevoked
	case ag.LastSeen == nil:
		return StatusOffline
	}
	interval := time.Duration(ag.ReportInterval) * time.Second
	if interval <= 0 {
		interval = time.Minute
	}
	if now.Sub(*ag.LastSeen) > OfflineAfter*interval {
		return StatusOffline
	}
	return StatusOnline
}

// LowDisk reports whether vitals show a nearly full file system.
func (v *Vitals) LowDisk() bool {
	return v != nil && v.FSMaxMount != "" && (v.FSMaxPercent >= LowDiskPercent || v.FSMinFree < LowDiskFree)
}

// Settings are a client's agent settings (intervals, collectors, spool), versioned.
type Settings = agentproto.Settings
