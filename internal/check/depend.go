package check

// Parents maps an asset to its parent assets (the router, firewall or
// hypervisor it depends on).
type Parents map[int64][]int64

// Unreachable reports whether any ancestor of asset (a parent, a parent's
// parent…) is down. The asset itself does not count, and a cycle in the
// links is walked once: an asset on a cycle is unreachable only if another
// asset of its ancestry is down.
func (p Parents) Unreachable(asset int64, down func(asset int64) bool) bool {
	seen := map[int64]bool{asset: true}
	stack := append([]int64(nil), p[asset]...)
	for len(stack) > 0 {
		a := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[a] {
			continue
		}
		seen[a] = true
		if down(a) {
			return true
		}
		stack = append(stack, p[a]...)
	}
	return false
}

// HostDown is the usual down function for Unreachable: an asset is down when
// its host check (ping or agent heartbeat), as found in hosts, is in a hard
// CRITICAL or UNKNOWN state. An asset without a host check is never down.
func HostDown(hosts map[int64]Status) func(int64) bool {
	return func(a int64) bool {
		st, ok := hosts[a]
		return ok && down(st.HardState)
	}
}
