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
	// Checks are the local checks and LAN probes this agent runs. They are
	// per asset: the version above changes when they change.
	Checks []CheckSpec `json:"checks,omitempty"`
}

// Check kinds. The agent runs the local ones on its own machine and the
// network ones when a staff member chose it to probe a target inside the
// client's LAN; the server runs heartbeat and backup_push, and network
// probes that have no chosen agent.
const (
	CheckCPU        = "cpu"        // CPU percent, sustained over For minutes
	CheckMemory     = "memory"     // memory percent used, sustained
	CheckSwap       = "swap"       // swap percent used, sustained
	CheckFilesystem = "filesystem" // percent used of Mount ("" = the fullest)
	CheckService    = "service"    // a systemd unit / Windows service / launchd job is running
	CheckProcess    = "process"    // a process of that name is running
	CheckSMART      = "smart"      // SMART health of Disk ("" = every disk)
	CheckCommand    = "command"    // a command of the agent's allow-list, Nagios conventions
	CheckFileAge    = "file_age"   // newest file under Path younger than MaxAgeHours, bigger than MinBytes
	CheckHeartbeat  = "heartbeat"  // server: no report for Intervals report intervals
	CheckPing       = "ping"
	CheckTCP        = "tcp"
	CheckHTTP       = "http"
	CheckTLS        = "tls"
	CheckDNS        = "dns"
	CheckBackupPush = "backup_push" // server: pushes to the job's URL against a cron schedule
	CheckBackupJob  = "backup_job"  // agent: `vigie-agent job run --name Name -- command`
)

// CheckParams are the parameters of every kind of check; each kind reads
// the fields it documents and ignores the others.
type CheckParams struct {
	// Thresholds: percent for cpu, memory, swap, filesystem; "at or above".
	// 0 means not set.
	Warning  float64 `json:"warning,omitempty"`
	Critical float64 `json:"critical,omitempty"`
	// For is how many minutes the value must stay at or above a threshold
	// (every sample of the window); 0 = the last sample alone.
	For   int    `json:"for,omitempty"`
	Mount string `json:"mount,omitempty"` // filesystem
	// Name is the service or process name, the allow-list name of a command,
	// or the name of a backup job.
	Name string `json:"name,omitempty"`
	Disk string `json:"disk,omitempty"` // smart
	// file_age
	Path        string  `json:"path,omitempty"`
	MaxAgeHours float64 `json:"max_age_hours,omitempty"`
	MinBytes    int64   `json:"min_bytes,omitempty"`
	// heartbeat: missed report intervals before CRITICAL (default 3).
	Intervals int `json:"intervals,omitempty"`
	// Network probes (see package probe for each field's meaning).
	Host         string            `json:"host,omitempty"`
	Port         int               `json:"port,omitempty"`
	URL          string            `json:"url,omitempty"`
	Method       string            `json:"method,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
	Body         string            `json:"body,omitempty"`
	ExpectStatus []int             `json:"expect_status,omitempty"`
	BodyContains string            `json:"body_contains,omitempty"`
	BodyRegexp   string            `json:"body_regexp,omitempty"`
	NoRedirects  bool              `json:"no_redirects,omitempty"`
	SkipVerify   bool              `json:"skip_verify,omitempty"`
	ServerName   string            `json:"server_name,omitempty"` // tls
	WarningDays  int               `json:"warning_days,omitempty"`
	CriticalDays int               `json:"critical_days,omitempty"`
	RecordType   string            `json:"record_type,omitempty"` // dns
	Server       string            `json:"server,omitempty"`      // dns resolver
	Expect       []string          `json:"expect,omitempty"`      // dns records
	Count        int               `json:"count,omitempty"`       // ping
	LossWarning  float64           `json:"loss_warning,omitempty"`
	LossCritical float64           `json:"loss_critical,omitempty"`
	// Response time thresholds in ms (http, tcp, dns, ping round trip).
	RTTWarning  float64 `json:"rtt_warning,omitempty"`
	RTTCritical float64 `json:"rtt_critical,omitempty"`
	// Timeout in seconds (default 10, at most 60).
	Timeout int `json:"timeout,omitempty"`
	// backup_push: a cron expression of the expected runs (5 fields, in the
	// client's time zone) and the minutes of grace after each.
	Schedule     string `json:"schedule,omitempty"`
	GraceMinutes int    `json:"grace_minutes,omitempty"`
}

// CheckSpec is one check an agent runs.
type CheckSpec struct {
	ID       int64       `json:"id"`
	Kind     string      `json:"kind"`
	Interval int         `json:"interval"` // seconds between runs
	Params   CheckParams `json:"params"`
	// RetryInterval (seconds) separates runs after a problem, for at most
	// MaxAttempts runs in a row, so that the server confirms it (a hard
	// state) as fast as it does for its own probes; 0: Interval.
	RetryInterval int `json:"retry_interval,omitempty"`
	MaxAttempts   int `json:"max_attempts,omitempty"`
}

// CheckResult is one run of a check by the agent. State is the Nagios
// code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
type CheckResult struct {
	CheckID int64              `json:"check_id"`
	At      time.Time          `json:"at"`
	State   int                `json:"state"`
	Output  string             `json:"output"`
	Perf    map[string]float64 `json:"perf,omitempty"`
}

// JobRun is one run of a job wrapped by `vigie-agent job run`.
type JobRun struct {
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	ExitCode int       `json:"exit_code"`
	// Output is the end of the command's combined output (at most 4 KiB).
	Output string `json:"output,omitempty"`
}

// Limits of check results in a report.
const (
	MaxResultsPerReport = 5_000
	MaxJobsPerReport    = 100
	MaxCheckOutput      = 4 << 10
)

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
	// Results are runs of the agent's checks; Jobs, runs of wrapped jobs.
	Results []CheckResult `json:"results,omitempty"`
	Jobs    []JobRun      `json:"jobs,omitempty"`
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
