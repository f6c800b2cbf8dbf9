package asset

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Fields of a Change (translated under "asset.change.<field>").
const (
	ChangeHostname    = "hostname"
	ChangeDomain      = "domain"
	ChangeOS          = "os"
	ChangeKernel      = "kernel"
	ChangeArch        = "arch"
	ChangeHardware    = "hardware" // manufacturer, model
	ChangeSerial      = "serial"
	ChangeCPU         = "cpu"
	ChangeMemory      = "memory"
	ChangeDisk        = "disk"
	ChangeSMART       = "smart"
	ChangeFilesystem  = "filesystem"
	ChangeInterface   = "interface"
	ChangeAddress     = "address"
	ChangeGateway     = "gateway"
	ChangeDNS         = "dns"
	ChangeTimeZone    = "time_zone"
	ChangeSoftware    = "software"
	ChangeMaxSoftware = 500 // software changes recorded per inventory; beyond, one summary line
)

// Diff lists what changed between two inventories of a machine, ignoring
// what moves all the time (used space, boot time, logged-in users, the
// collection time). Changes come in a stable order: machine, hardware,
// storage, network, software.
func Diff(old, new *Inventory) []Change {
	if old == nil || new == nil {
		return nil
	}
	var out []Change
	add := func(field, item, o, n string) {
		if o != n {
			out = append(out, Change{Field: field, Item: item, Old: o, New: n})
		}
	}
	add(ChangeHostname, "", old.Hostname, new.Hostname)
	add(ChangeDomain, "", old.Domain, new.Domain)
	add(ChangeOS, "", osName(old), osName(new))
	add(ChangeKernel, "", old.Kernel, new.Kernel)
	add(ChangeArch, "", old.Arch, new.Arch)
	add(ChangeHardware, "", join(old.Manufacturer, old.Model), join(new.Manufacturer, new.Model))
	add(ChangeSerial, "", old.Serial, new.Serial)
	add(ChangeCPU, "", cpuName(old), cpuName(new))
	if old.MemoryBytes != new.MemoryBytes {
		add(ChangeMemory, "", Bytes(old.MemoryBytes), Bytes(new.MemoryBytes))
	}
	add(ChangeTimeZone, "", old.TimeZone, new.TimeZone)

	// Disks by name: added, removed, resized or replaced; SMART health.
	oldDisks, newDisks := byKey(old.Disks, func(d agentproto.Disk) string { return d.Name }), byKey(new.Disks, func(d agentproto.Disk) string { return d.Name })
	for _, name := range keys(oldDisks, newDisks) {
		o, inOld := oldDisks[name]
		n, inNew := newDisks[name]
		switch {
		case !inNew:
			add(ChangeDisk, name, diskName(o), "")
		case !inOld:
			add(ChangeDisk, name, "", diskName(n))
			if n.SMART != "" && n.SMART != "PASSED" {
				add(ChangeSMART, name, "", n.SMART)
			}
		default:
			if o.Bytes != n.Bytes || o.Model != n.Model || o.Serial != n.Serial {
				add(ChangeDisk, name, diskName(o), diskName(n))
			}
			if o.SMART != n.SMART {
				add(ChangeSMART, name, o.SMART, n.SMART)
			}
		}
	}
	// File systems by mount: added, removed, resized or retyped (not used space).
	oldFS, newFS := byKey(old.Filesystems, func(f agentproto.Filesystem) string { return f.Mount }), byKey(new.Filesystems, func(f agentproto.Filesystem) string { return f.Mount })
	for _, mount := range keys(oldFS, newFS) {
		o, inOld := oldFS[mount]
		n, inNew := newFS[mount]
		switch {
		case !inNew:
			add(ChangeFilesystem, mount, fsName(o), "")
		case !inOld:
			add(ChangeFilesystem, mount, "", fsName(n))
		default:
			add(ChangeFilesystem, mount, fsName(o), fsName(n))
		}
	}
	// Interfaces by name: added or removed, MAC changed, addresses added or removed.
	oldIf, newIf := byKey(old.Interfaces, func(i agentproto.Interface) string { return i.Name }), byKey(new.Interfaces, func(i agentproto.Interface) string { return i.Name })
	for _, name := range keys(oldIf, newIf) {
		o, inOld := oldIf[name]
		n, inNew := newIf[name]
		switch {
		case !inNew:
			add(ChangeInterface, name, ifName(o), "")
		case !inOld:
			add(ChangeInterface, name, "", ifName(n))
		default:
			add(ChangeInterface, name, o.MAC, n.MAC)
			oa, na := set(o.Addresses), set(n.Addresses)
			for _, a := range keys(oa, na) {
				switch {
				case !na[a]:
					add(ChangeAddress, name, a, "")
				case !oa[a]:
					add(ChangeAddress, name, "", a)
				}
			}
		}
	}
	add(ChangeGateway, "", old.Gateway, new.Gateway)
	add(ChangeDNS, "", strings.Join(old.DNS, ", "), strings.Join(new.DNS, ", "))

	// Software by name (and source, as dpkg and a snap may hold the same
	// name): installed, removed, upgraded or downgraded.
	swKey := func(s agentproto.Software) string {
		if s.Source == "" {
			return s.Name
		}
		return s.Name + "\x00" + s.Source
	}
	oldSW, newSW := byKey(old.Software, swKey), byKey(new.Software, swKey)
	var sw []Change
	for _, k := range keys(oldSW, newSW) {
		o, inOld := oldSW[k]
		n, inNew := newSW[k]
		switch {
		case !inNew:
			sw = append(sw, Change{Field: ChangeSoftware, Item: o.Name, Old: o.Version})
		case !inOld:
			sw = append(sw, Change{Field: ChangeSoftware, Item: n.Name, New: n.Version})
		case o.Version != n.Version:
			sw = append(sw, Change{Field: ChangeSoftware, Item: n.Name, Old: o.Version, New: n.Version})
		}
	}
	if len(sw) > ChangeMaxSoftware {
		// A reinstalled machine: one line says how many, not thousands.
		rest := len(sw) - ChangeMaxSoftware
		sw = append(sw[:ChangeMaxSoftware], Change{Field: ChangeSoftware, Item: "…", New: strconv.Itoa(rest) + " more"})
	}
	return append(out, sw...)
}

// String shows a change in English, as the API's summary and the logs do:
// "memory: 8 GiB → 16 GiB", "software Firefox: 128.0 → 131.0".
func (c Change) String() string {
	head := c.Field
	if c.Item != "" {
		head += " " + c.Item
	}
	switch {
	case c.Old == "":
		return head + ": added " + c.New
	case c.New == "":
		return head + ": removed " + c.Old
	}
	return head + ": " + c.Old + " → " + c.New
}

func osName(inv *Inventory) string { return join(inv.Platform, inv.OSVersion) }

func cpuName(inv *Inventory) string {
	if inv.CPUModel == "" && inv.CPUCores == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%d cores, %d threads)", inv.CPUModel, inv.CPUCores, inv.CPUThreads)
}

func diskName(d agentproto.Disk) string { return join(Bytes(d.Bytes), d.Model, d.Serial) }

func fsName(f agentproto.Filesystem) string { return join(Bytes(f.Bytes), f.Type) }

func ifName(i agentproto.Interface) string { return join(i.MAC, strings.Join(i.Addresses, ", ")) }

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// Bytes shows a size in binary units: "512 MiB", "15.6 GiB", "2 TiB".
func Bytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[i]
}

func byKey[T any](items []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[key(it)] = it
	}
	return m
}

func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

// keys returns the union of two maps' keys, sorted.
func keys[V any](a, b map[string]V) []string {
	out := make([]string, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
