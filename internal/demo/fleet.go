package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/app"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// demoMachine is a machine of a demo client that "runs an agent": it is
// enrolled, reports an inventory, then a later one with changes, and gets
// simulated metric history.
type demoMachine struct {
	client, site int // indexes into clients() and its sites
	host         string
	windows, mac bool
	memGiB       uint64
	newMemGiB    uint64 // the memory after an upgrade (0: none)
	disks        int
	failingDisk  bool // SMART of the second disk turns FAILED
	load         float64
	fsFull       float64 // share of the data file system in use
	criticality  asset.Criticality
}

func machines() []demoMachine {
	return []demoMachine{
		{client: 0, site: 0, host: "srv-lyon-01", memGiB: 16, newMemGiB: 32, disks: 2, load: 35, fsFull: 0.62, criticality: asset.CriticalityCritical},
		{client: 0, site: 1, host: "pc-fournil-01", windows: true, memGiB: 8, disks: 1, load: 12, fsFull: 0.48, criticality: asset.CriticalityNormal},
		{client: 1, site: 0, host: "srv-cabinet", windows: true, memGiB: 32, disks: 2, failingDisk: true, load: 28, fsFull: 0.91, criticality: asset.CriticalityCritical},
		{client: 1, site: 0, host: "mac-associee", mac: true, memGiB: 16, disks: 1, load: 9, fsFull: 0.55, criticality: asset.CriticalityHigh},
		{client: 2, site: 0, host: "sto-app-01", memGiB: 64, disks: 2, load: 55, fsFull: 0.74, criticality: asset.CriticalityCritical},
		{client: 2, site: 1, host: "lh-wms-01", memGiB: 16, newMemGiB: 24, disks: 1, load: 41, fsFull: 0.83, criticality: asset.CriticalityHigh},
	}
}

// manualAsset is an asset entered by hand in the demo.
type manualAsset struct {
	client, site int
	a            asset.Asset
}

func manualAssets(now time.Time) []manualAsset {
	date := func(days int) *time.Time {
		d := now.AddDate(0, 0, days).UTC().Truncate(24 * time.Hour)
		return &d
	}
	return []manualAsset{
		{0, 0, asset.Asset{Kind: asset.KindNetwork, Name: "Routeur fibre Lyon", Criticality: asset.CriticalityCritical, WarrantyEnd: date(400),
			Fields: map[string]string{"device_type": "router", "manufacturer": "Ubiquiti", "model": "UniFi Dream Machine Pro", "serial": "UDMP-7A31F2", "ip": "192.168.10.1", "firmware": "4.0.6", "ports": "11"}}},
		{0, 0, asset.Asset{Kind: asset.KindPrinter, Name: "Imprimante accueil", Criticality: asset.CriticalityLow,
			Fields: map[string]string{"manufacturer": "Brother", "model": "MFC-L8900CDW", "serial": "E78123K0N", "ip": "192.168.10.40"}}},
		{0, 0, asset.Asset{Kind: asset.KindLicence, Name: "Microsoft 365 Business Standard", Criticality: asset.CriticalityHigh,
			Fields: map[string]string{"product": "Microsoft 365 Business Standard", "vendor": "Microsoft", "seats": "12", "expires": now.AddDate(0, 0, 25).Format("2006-01-02"), "reference": "M365-BM-2291"}}},
		{0, 0, asset.Asset{Kind: asset.KindBackup, Name: "Sauvegarde nocturne srv-lyon-01", Criticality: asset.CriticalityCritical,
			Fields: map[string]string{"software": "restic 0.17", "schedule": "0 2 * * *", "target": "s3://sauvegardes-bm/srv-lyon-01", "retention": "30 jours, 12 mois"}}},
		{1, 0, asset.Asset{Kind: asset.KindNetwork, Name: "Pare-feu cabinet", Criticality: asset.CriticalityCritical, WarrantyEnd: date(-20),
			Fields: map[string]string{"device_type": "firewall", "manufacturer": "Stormshield", "model": "SN210", "serial": "SN210A19K2264", "ip": "10.0.0.254", "firmware": "4.8.3"}}},
		{1, 0, asset.Asset{Kind: asset.KindApplication, Name: "Logiciel métier Secib", Criticality: asset.CriticalityHigh,
			Fields: map[string]string{"vendor": "Secib", "version": "2025.2", "url": "https://secib.example"}}},
		{1, 0, asset.Asset{Kind: asset.KindBackup, Name: "Sauvegarde NAS cabinet", Criticality: asset.CriticalityCritical,
			Fields: map[string]string{"software": "Veeam Agent 6", "schedule": "0 23 * * 1-5", "target": "NAS Synology DS923+", "retention": "14 points"}}},
		{2, 0, asset.Asset{Kind: asset.KindNetwork, Name: "Core switch Stockholm", Criticality: asset.CriticalityHigh, WarrantyEnd: date(730),
			Fields: map[string]string{"device_type": "switch", "manufacturer": "HPE Aruba", "model": "6100 48G", "serial": "CN12KP03XZ", "ip": "10.20.0.2", "firmware": "10.13", "ports": "52"}}},
		{2, 1, asset.Asset{Kind: asset.KindPrinter, Name: "Label printer dock 3", Criticality: asset.CriticalityNormal,
			Fields: map[string]string{"manufacturer": "Zebra", "model": "ZT411", "serial": "99J221700123", "ip": "10.30.0.51"}}},
		{2, 0, asset.Asset{Kind: asset.KindLicence, Name: "Veeam Data Platform", Criticality: asset.CriticalityHigh,
			Fields: map[string]string{"product": "Veeam Data Platform Foundation", "vendor": "Veeam", "seats": "10", "expires": now.AddDate(0, 4, 0).Format("2006-01-02")}}},
	}
}

// seedFleet gives every demo client a fleet: machines reporting through the
// agent API (with inventory, a change history and metric history) and
// assets entered by hand.
func seedFleet(ctx context.Context, a *app.App, clientIDs []int64, siteIDs [][]int64) error {
	s := tenant.System()
	now := time.Now().UTC()
	tokens := map[int]string{}
	for i, id := range clientIDs {
		secret, err := a.Assets.CreateEnrollToken(ctx, s, &asset.EnrollToken{ClientID: id, Name: "Déploiement initial"})
		if err != nil {
			return fmt.Errorf("enrollment token: %w", err)
		}
		tokens[i] = secret
	}
	var routers []int64
	for _, m := range manualAssets(now) {
		as := m.a
		as.ClientID = clientIDs[m.client]
		sid := siteIDs[m.client][m.site]
		as.SiteID = &sid
		if err := a.Assets.Create(ctx, s, &as); err != nil {
			return fmt.Errorf("asset %s: %w", as.Name, err)
		}
		if as.Kind == asset.KindNetwork {
			routers = append(routers, as.ID)
		}
	}
	for i, m := range machines() {
		res, err := a.Assets.Enroll(ctx, agentproto.EnrollRequest{Token: tokens[m.client], Hostname: m.host, OS: m.os(), Arch: "amd64", AgentVersion: a.Assets.AgentVersion(), MachineID: fmt.Sprintf("demo-%02d", i)})
		if err != nil {
			return fmt.Errorf("enroll %s: %w", m.host, err)
		}
		ag, err := a.Assets.AuthenticateAgent(ctx, res.Secret)
		if err != nil {
			return err
		}
		rnd := rand.New(rand.NewPCG(uint64(i), 2026))
		// The first inventory, three weeks ago as far as the machine is
		// concerned; the later one brings the changes.
		first := m.inventory(now.AddDate(0, 0, -21), false, a.Assets.AgentVersion())
		if _, err := a.Assets.Report(ctx, ag, &agentproto.Report{Seq: 1, Sent: now, AgentVersion: first.AgentVersion, SettingsVersion: 1, Inventory: &first}); err != nil {
			return fmt.Errorf("inventory of %s: %w", m.host, err)
		}
		// The history goes straight to the metric store; its last samples
		// come with the second report, as an agent's would, and set the
		// asset's vitals.
		hist := m.history(now, rnd)
		last := make([]agentproto.Series, len(hist))
		for j, sr := range hist {
			n := len(sr.T) - 1
			last[j] = agentproto.Series{Name: sr.Name, Labels: sr.Labels, T: sr.T[n:], V: sr.V[n:]}
			hist[j].T, hist[j].V = sr.T[:n], sr.V[:n]
		}
		if err := a.DB.InTx(ctx, func(ctx context.Context) error {
			_, err := a.Metrics.Append(ctx, ag.ClientID, ag.AssetID, hist, metric.AppendOptions{AllowPast: true})
			return err
		}); err != nil {
			return fmt.Errorf("metric history of %s: %w", m.host, err)
		}
		second := m.inventory(now, true, a.Assets.AgentVersion())
		if _, err := a.Assets.Report(ctx, ag, &agentproto.Report{Seq: 2, Sent: now, AgentVersion: second.AgentVersion, SettingsVersion: 1, Inventory: &second, Series: last}); err != nil {
			return fmt.Errorf("second inventory of %s: %w", m.host, err)
		}
		// Machines of a site hang under its router or firewall.
		if m.client < len(routers) {
			as, err := a.Assets.Get(ctx, s, ag.AssetID)
			if err != nil {
				return err
			}
			as.Criticality = m.criticality
			parent := routers[m.client]
			as.ParentID = &parent
			site := siteIDs[m.client][m.site]
			as.SiteID = &site
			if err := a.Assets.Update(ctx, s, &as); err != nil {
				return fmt.Errorf("update %s: %w", m.host, err)
			}
		}
	}
	if _, err := a.Metrics.Compact(ctx); err != nil {
		return fmt.Errorf("compact demo metrics: %w", err)
	}
	return nil
}

func (m demoMachine) os() string {
	switch {
	case m.windows:
		return "windows"
	case m.mac:
		return "darwin"
	}
	return "linux"
}

const gib = 1 << 30

// inventory is the machine's inventory; later ones carry the changes a
// demo should show (memory upgrade, software updates, a failing disk).
func (m demoMachine) inventory(at time.Time, later bool, version string) agentproto.Inventory {
	inv := agentproto.Inventory{
		Collected: at, Hostname: m.host, OS: m.os(), Arch: "amd64", BootTime: at.Add(-36 * time.Hour).Truncate(time.Second),
		TimeZone: "Europe/Paris", CPUCores: 8, CPUThreads: 16, MemoryBytes: m.memGiB * gib, AgentVersion: version,
		Gateway: "192.168.10.1", DNS: []string{"192.168.10.1", "1.1.1.1"}, Users: []string{"admin"},
	}
	mem := m.memGiB
	if later && m.newMemGiB > 0 {
		mem = m.newMemGiB
	}
	inv.MemoryBytes = mem * gib
	firefox, office := "128.0", "16.0.17928"
	if later {
		firefox, office = "131.0.2", "16.0.18025"
	}
	switch {
	case m.windows:
		server := m.criticality == asset.CriticalityCritical
		inv.Platform, inv.OSVersion, inv.Kernel = "Microsoft Windows 11 Pro", "10.0.22631", "10.0.22631"
		if server {
			inv.Platform, inv.OSVersion, inv.Kernel = "Microsoft Windows Server 2022 Standard", "10.0.20348", "10.0.20348"
		}
		inv.Manufacturer, inv.Model, inv.Serial = "Dell Inc.", "OptiPlex 7010", "7GQ2"+m.host[len(m.host)-2:]
		inv.CPUModel = "Intel(R) Core(TM) i7-13700 CPU"
		inv.Domain = "CABINET.LOCAL"
		inv.Filesystems = []agentproto.Filesystem{{Mount: "C:", Type: "NTFS", Bytes: 512 * gib, Used: uint64(m.fsFull * 512 * gib)}}
		inv.Software = []agentproto.Software{
			{Name: "Mozilla Firefox", Version: firefox, Publisher: "Mozilla", Source: "registry"},
			{Name: "Microsoft 365 Apps for business", Version: office, Publisher: "Microsoft Corporation", Source: "registry"},
			{Name: "7-Zip 24.08 (x64)", Version: "24.08", Publisher: "Igor Pavlov", Source: "registry"},
			{Name: "Vigie Agent", Version: version, Publisher: "Vigie", Source: "registry"},
		}
	case m.mac:
		inv.Platform, inv.OSVersion, inv.Kernel, inv.Arch = "macOS", "14.6.1", "23.6.0", "arm64"
		inv.Manufacturer, inv.Model, inv.Serial = "Apple Inc.", "MacBook Pro (14-inch, 2023)", "C02FQ3M1Q6L4"
		inv.CPUModel, inv.CPUCores, inv.CPUThreads = "Apple M3 Pro", 11, 11
		inv.Filesystems = []agentproto.Filesystem{{Mount: "/", Type: "apfs", Bytes: 994 * gib, Used: uint64(m.fsFull * 994 * gib)}}
		inv.Software = []agentproto.Software{
			{Name: "Firefox", Version: firefox, Source: "applications"},
			{Name: "Microsoft Word", Version: "16.88", Source: "applications"},
			{Name: "Zoom", Version: "6.2.0", Source: "applications"},
		}
	default:
		inv.Platform, inv.OSVersion, inv.Kernel = "debian", "12.6", "6.1.0-23-amd64"
		if later {
			inv.OSVersion, inv.Kernel = "12.7", "6.1.0-25-amd64"
		}
		inv.Manufacturer, inv.Model, inv.Serial = "HPE", "ProLiant DL360 Gen10", "CZJ93305"+m.host[len(m.host)-2:]
		inv.CPUModel = "Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz"
		inv.Filesystems = []agentproto.Filesystem{
			{Mount: "/", Type: "ext4", Bytes: 50 * gib, Used: 18 * gib},
			{Mount: "/srv", Type: "xfs", Bytes: 2000 * gib, Used: uint64(m.fsFull * 2000 * gib)},
		}
		openssl := "3.0.13-1~deb12u1"
		if later {
			openssl = "3.0.14-1~deb12u2"
		}
		inv.Software = []agentproto.Software{
			{Name: "openssl", Version: openssl, Source: "dpkg"},
			{Name: "postgresql-15", Version: "15.8-0+deb12u1", Source: "dpkg"},
			{Name: "nginx", Version: "1.22.1-9", Source: "dpkg"},
			{Name: "restic", Version: "0.17.3-1", Source: "dpkg"},
		}
		if later {
			inv.Software = append(inv.Software, agentproto.Software{Name: "fail2ban", Version: "1.0.2-2", Source: "dpkg"})
		}
	}
	for d := range m.disks {
		disk := agentproto.Disk{Name: fmt.Sprintf("sd%c", 'a'+d), Model: "Samsung SSD 870 EVO 1TB", Serial: fmt.Sprintf("S6PUNX0W%03d%s", d, m.host[:3]), Bytes: 1000 * 1000 * 1000 * 1000, SMART: "PASSED"}
		if m.windows {
			disk.Name = fmt.Sprintf("PhysicalDrive%d", d)
		}
		if later && m.failingDisk && d == 1 {
			disk.SMART = "FAILED"
		}
		inv.Disks = append(inv.Disks, disk)
	}
	inv.Interfaces = []agentproto.Interface{{Name: "eth0", MAC: "00:50:56:" + fmt.Sprintf("%02x:%02x:%02x", len(m.host), m.disks, int(m.load)), Addresses: []string{"192.168.10." + fmt.Sprint(10+len(m.host)) + "/24"}}}
	return inv
}

// gen simulates one metric of a machine: its value at t for a workload w
// (0.25 at night and on weekends, up to 1 at the busiest office hour).
type gen struct {
	name   string
	labels map[string]string
	f      func(t time.Time, work float64) float64
}

// gens are the simulated metrics of the machine, at the precision an agent
// sends; the data file system fills up slowly towards its level at now.
func (m demoMachine) gens(now time.Time, rnd *rand.Rand) []gen {
	round2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	mount := "/srv"
	if m.windows {
		mount = "C:"
	} else if m.mac {
		mount = "/"
	}
	gens := []gen{
		{agentproto.MetricCPU, nil, func(_ time.Time, w float64) float64 {
			return round2(math.Min(100, math.Max(0.5, m.load*w+rnd.NormFloat64()*4)))
		}},
		{agentproto.MetricMemory, nil, func(_ time.Time, w float64) float64 {
			return round2(math.Min(99, 45+20*w+rnd.NormFloat64()*2))
		}},
		{agentproto.MetricFSUsed, map[string]string{"mount": mount}, func(t time.Time, _ float64) float64 {
			// Filling up slowly: the capacity warning has a trend to read.
			grown := m.fsFull - 0.08*now.Sub(t).Hours()/(90*24)
			return round2(100 * math.Min(grown, 0.99))
		}},
		{agentproto.MetricNetRecv, map[string]string{"interface": "eth0"}, func(_ time.Time, w float64) float64 {
			return math.Round(math.Max(0, 2e6*w+rnd.NormFloat64()*2e5))
		}},
		{agentproto.MetricProcesses, nil, func(_ time.Time, w float64) float64 { return math.Round(180 + 60*w + rnd.Float64()*5) }},
	}
	if !m.windows {
		gens = append(gens, gen{agentproto.MetricLoad1, nil, func(_ time.Time, w float64) float64 {
			return round2(math.Max(0, 8*m.load/100*w*2+rnd.NormFloat64()*0.2))
		}})
	}
	return gens
}

// workload is how busy a client's machines are at t: office hours in
// Paris on weekdays, quiet otherwise.
func workload(t time.Time) float64 {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.UTC
	}
	local := t.In(paris)
	if wd := local.Weekday(); wd != time.Saturday && wd != time.Sunday && local.Hour() >= 8 && local.Hour() < 19 {
		return 0.6 + 0.4*math.Sin(math.Pi*float64(local.Hour()-8)/11)
	}
	return 0.25
}

// samples gives one sample of every simulated metric at each instant.
func samples(gens []gen, at []time.Time) []agentproto.Series {
	out := make([]agentproto.Series, len(gens))
	for i, g := range gens {
		out[i] = agentproto.Series{Name: g.name, Labels: g.labels, T: make([]int64, 0, len(at)), V: make([]float64, 0, len(at))}
	}
	for _, t := range at {
		w := workload(t)
		for i, g := range gens {
			out[i].T = append(out[i].T, t.UnixMilli())
			out[i].V = append(out[i].V, g.f(t, w))
		}
	}
	return out
}

// history simulates the machine's metrics: 90 days every 30 minutes, then
// the last two days every minute.
func (m demoMachine) history(now time.Time, rnd *rand.Rand) []agentproto.Series {
	var at []time.Time
	step := 30 * time.Minute
	recent := now.Add(-48 * time.Hour)
	for t := now.AddDate(0, 0, -90).Truncate(time.Minute); t.Before(now.Add(-time.Minute)); t = t.Add(step) {
		if !t.Before(recent) {
			step = time.Minute
		}
		at = append(at, t)
	}
	return samples(m.gens(now, rnd), at)
}
