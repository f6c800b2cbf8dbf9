package check

import (
	"testing"
	"time"
)

func TestUnreachable(t *testing.T) {
	// 1 router ← 2 firewall ← 3 hypervisor ← 4 vm; 5 ↔ 6 cycle, 6 ← 7; 8 has
	// two parents 1 and 9; 10 → 11 → 12 → 10 cycle with 12 down.
	parents := Parents{
		2: {1}, 3: {2}, 4: {3},
		5: {6}, 6: {5}, 7: {6},
		8:  {9, 1},
		10: {11}, 11: {12}, 12: {10},
	}
	tests := []struct {
		name  string
		down  []int64
		asset int64
		want  bool
	}{
		{"no parent", nil, 1, false},
		{"chain all up", nil, 4, false},
		{"direct parent down", []int64{3}, 4, true},
		{"grandparent down", []int64{1}, 4, true},
		{"own down is not unreachable", []int64{4}, 4, false},
		{"child down does not matter", []int64{4}, 3, false},
		{"root of chain", []int64{1}, 1, false},
		{"cycle all up terminates", nil, 7, false},
		{"cycle member down", []int64{5}, 7, true},
		{"cycle self", []int64{5}, 5, false},
		{"cycle other member", []int64{6}, 5, true},
		{"second parent down", []int64{1}, 8, true},
		{"first parent down", []int64{9}, 8, true},
		{"long cycle with down member", []int64{12}, 10, true},
		{"unknown asset", []int64{1}, 99, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isDown := map[int64]bool{}
			for _, a := range tc.down {
				isDown[a] = true
			}
			if got := parents.Unreachable(tc.asset, func(a int64) bool { return isDown[a] }); got != tc.want {
				t.Errorf("Unreachable(%d) = %v, want %v", tc.asset, got, tc.want)
			}
		})
	}
}

func TestHostDown(t *testing.T) {
	hosts := map[int64]Status{
		1: {HardState: Critical},
		2: {HardState: Unknown},
		3: {HardState: Warning},
		4: {State: Critical, Type: Soft, HardState: OK},
	}
	down := HostDown(hosts)
	for a, want := range map[int64]bool{1: true, 2: true, 3: false, 4: false, 5: false} {
		if got := down(a); got != want {
			t.Errorf("down(%d) = %v, want %v", a, got, want)
		}
	}
	// With the engine: the router's hard CRITICAL makes the vm's problem unreachable.
	parents := Parents{2: {1}}
	st := Status{}
	cond := Conditions{Unreachable: parents.Unreachable(2, down)}
	var evs []Event
	for i := range 3 {
		var e []Event
		st, e = Policy{}.ApplyIn(st, Result{At: t0.Add(time.Duration(i) * time.Minute), State: Critical}, cond)
		evs = append(evs, e...)
	}
	last := evs[len(evs)-1]
	if last.Kind != Problem || last.Notify || !last.Unreachable || st.Label() != "UNREACHABLE" {
		t.Errorf("problem of an unreachable asset = %+v, label %s", last, st.Label())
	}
}
