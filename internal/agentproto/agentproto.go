// Package agentproto holds the wire types shared by vigie-agent and the
// server's agent API under /api/agent/v1. It imports nothing of the server:
// the agent depends on it alone.
//
// Every request body is JSON, compressed with gzip (Content-Encoding: gzip)
// or sent plain; every error is an RFC 9457 problem+json with a "code" that
// the agent acts on (see the Code constants). An agent authenticates with
// "Authorization: Bearer <secret>" once enrolled.
package agentproto

import "time"

// Paths of the agent API, relative to the server's base URL.
const (
	PathEnroll   = "/api/agent/v1/enroll"
	PathReport   = "/api/agent/v1/report"
	PathSettings = "/api/agent/v1/settings"
)

// Limits the server enforces; the agent keeps under them.
const (
	// MaxReportBytes bounds a report body after decompression.
	MaxReportBytes = 8 << 20
	// MaxCompressedBytes bounds a report body as sent.
	MaxCompressedBytes = 2 << 20
	// MaxSamplesPerReport bounds the samples of one report.
	MaxSamplesPerReport = 200_000
	// MaxSeriesPerReport bounds the series of one report.
	MaxSeriesPerReport = 5_000
	// MaxFuture is how far ahead of the server's clock a sample may be; later
	// samples make the whole report refused.
	MaxFuture = 5 * time.Minute
	// MaxPast is how old a sample may be (the raw retention); older samples
	// are dropped and counted in the acknowledgement.
	MaxPast = 8 * 24 * time.Hour
)

// Problem codes the agent reacts to.
const (
	CodeInvalid      = "invalid"       // malformed report: the agent drops the batch, logs it
	CodeTooLarge     = "too-large"     // over a limit: the agent splits the batch
	CodeUnauthorized = "unauthorized"  // unknown or revoked agent: the agent stops and says to re-enroll
	CodeTokenInvalid = "token-invalid" // enrollment token unknown, expired, revoked or used up
	CodeRateLimited  = "rate-limited"  // retry later
)

// Problem is the body of every error response.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code,omitempty"`
}

// EnrollRequest asks to join a client's fleet with an enrollment token.
type EnrollRequest struct {
	Token        string `json:"token"`
	Hostname     string `json:"hostname"`
	OS           string `json:"os"`   // runtime.GOOS
	Arch         string `json:"arch"` // runtime.GOARCH
	AgentVersion string `json:"agent_version"`
	// MachineID identifies the machine across re-enrollments (e.g.
	// /etc/machine-id); the server reuses the asset with the same one in the
	// same client instead of creating a second.
	MachineID string `json:"machine_id,omitempty"`
}

// EnrollResponse gives the agent its identity and secret. The secret is
// shown once; the server keeps only its hash.
type EnrollResponse struct {
	AgentID  int64    `json:"agent_id"`
	AssetID  int64    `json:"asset_id"`
	Secret   string   `json:"secret"`
	Settings Settings `json:"settings"`
}

// Settings are what the server wants from an agent. They are versioned: a
// report's acknowledgement carries the current version, and the agent
// fetches the settings again when it differs from its own.
type Settings struct {
	Version int64 `json:"version"`
	// MetricInterval is the sampling interval in seconds, 10…3600.
	MetricInterval int `json:"metric_interval"`
	// ReportInterval is how often a batch is sent, in seconds (≥ MetricInterval).
	ReportInterval int `json:"report_interval"`
	// InventoryInterval is how often the inventory is collected, in seconds;
	// it is sent only when it changed.
	InventoryInterval int `json:"inventory_interval"`
	// Collectors turns collectors off by name (see Collector* constants);
	// absent means on.
	Collectors map[string]bool `json:"collectors,omitempty"`
	// SpoolBytes bounds the on-disk spool.
	SpoolBytes int64 `json:"spool_bytes"`
}

// Collector names.
const (
	CollectorSoftware = "software"
	CollectorSMART    = "smart"
	CollectorUsers    = "users"
	CollectorDisks    = "disk_io"
	CollectorNet      = "net_io"
)

// DefaultSettings are the settings of a new agent.
func DefaultSettings() Settings {
	return Settings{Version: 1, MetricInterval: 60, ReportInterval: 60, InventoryInterval: 4 * 3600, SpoolBytes: 50 << 20}
}

// Report is one numbered batch from an agent. Seq grows by one for every
// batch the agent makes and is never reused; the server stores a batch once
// and acknowledges a Seq it already has without storing it again.
type Report struct {
	Seq  uint64    `json:"seq"`
	Sent time.Time `json:"sent"`
	// AgentVersion and SettingsVersion tell the server what runs.
	AgentVersion    string `json:"agent_version"`
	SettingsVersion int64  `json:"settings_version"`
	// Inventory is present when it changed since the last acknowledged one.
	Inventory *Inventory `json:"inventory,omitempty"`
	Series    []Series   `json:"series,omitempty"`
	// Dropped counts the batches the spool discarded since the last report
	// (oldest first, when full).
	Dropped uint64 `json:"dropped,omitempty"`
}

// Series is the samples of one metric with its labels.
type Series struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	// T are Unix milliseconds, strictly increasing; V the values, same length.
	T []int64   `json:"t"`
	V []float64 `json:"v"`
}

// Ack answers a report once it is committed.
type Ack struct {
	Seq             uint64 `json:"seq"`
	Duplicate       bool   `json:"duplicate,omitempty"`
	Samples         int    `json:"samples"`
	DroppedOld      int    `json:"dropped_old,omitempty"` // samples older than MaxPast, not stored
	SettingsVersion int64  `json:"settings_version"`
}

// Inventory is what a machine is and holds.
type Inventory struct {
	Collected    time.Time    `json:"collected"`
	Hostname     string       `json:"hostname"`
	Domain       string       `json:"domain,omitempty"`
	OS           string       `json:"os"`         // linux, windows, darwin
	Platform     string       `json:"platform"`   // debian, Microsoft Windows Server 2022 Standard, macOS
	OSVersion    string       `json:"os_version"` // 12.5, 10.0.20348, 14.4
	Kernel       string       `json:"kernel"`     // 6.1.0-18-amd64
	Arch         string       `json:"arch"`       // amd64, arm64
	BootTime     time.Time    `json:"boot_time"`  // UTC
	TimeZone     string       `json:"time_zone"`  // Europe/Paris
	Manufacturer string       `json:"manufacturer,omitempty"`
	Model        string       `json:"model,omitempty"`
	Serial       string       `json:"serial,omitempty"`
	CPUModel     string       `json:"cpu_model"`
	CPUCores     int          `json:"cpu_cores"`
	CPUThreads   int          `json:"cpu_threads"`
	MemoryBytes  uint64       `json:"memory_bytes"`
	Disks        []Disk       `json:"disks,omitempty"`
	Filesystems  []Filesystem `json:"filesystems,omitempty"`
	Interfaces   []Interface  `json:"interfaces,omitempty"`
	Gateway      string       `json:"gateway,omitempty"`
	DNS          []string     `json:"dns,omitempty"`
	Software     []Software   `json:"software,omitempty"`
	Users        []string     `json:"users,omitempty"` // logged-in users
	AgentVersion string       `json:"agent_version"`
}

// Disk is a physical or virtual block device.
type Disk struct {
	Name   string `json:"name"` // sda, nvme0n1, PhysicalDrive0
	Model  string `json:"model,omitempty"`
	Serial string `json:"serial,omitempty"`
	Bytes  uint64 `json:"bytes"`
	// SMART is "PASSED", "FAILED" or empty when unknown (no smartctl).
	SMART string `json:"smart,omitempty"`
}

// Filesystem is a mounted file system.
type Filesystem struct {
	Mount string `json:"mount"`
	Type  string `json:"type"`
	Bytes uint64 `json:"bytes"`
	Used  uint64 `json:"used"`
}

// Interface is a network interface.
type Interface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses,omitempty"` // CIDR
}

// Software is an installed package or application.
type Software struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Publisher string `json:"publisher,omitempty"`
	Source    string `json:"source,omitempty"` // dpkg, rpm, apk, registry, applications
}

// Metric names an agent sends. Labels: "mount" for fs.*, "device" for
// disk.*, "interface" for net.*.
const (
	MetricCPU          = "cpu.percent"
	MetricLoad1        = "load.1"
	MetricLoad5        = "load.5"
	MetricLoad15       = "load.15"
	MetricMemory       = "memory.percent"
	MetricSwap         = "swap.percent"
	MetricFSUsed       = "fs.used_percent"
	MetricFSFree       = "fs.free_bytes"
	MetricDiskRead     = "disk.read_bytes_per_second"
	MetricDiskWrite    = "disk.write_bytes_per_second"
	MetricNetRecv      = "net.recv_bytes_per_second"
	MetricNetSent      = "net.sent_bytes_per_second"
	MetricProcesses    = "processes"
	MetricUptime       = "uptime.seconds"
	MetricAgentRSS     = "agent.rss_bytes"
	MetricAgentCPU     = "agent.cpu_percent"
	MetricAgentSpool   = "agent.spool_bytes"
	MetricAgentDropped = "agent.dropped_batches"
)
