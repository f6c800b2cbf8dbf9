package agent

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// UnitState is what `systemctl show -p LoadState -p ActiveState -p SubState`
// says of a unit.
type UnitState struct {
	Load, Active, Sub string
}

// ParseSystemctlShow reads the Key=Value lines of `systemctl show`; ok is
// false when the output holds no LoadState (systemctl failed).
func ParseSystemctlShow(b []byte) (u UnitState, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		k, v, found := strings.Cut(sc.Text(), "=")
		if !found {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "LoadState":
			u.Load, ok = v, true
		case "ActiveState":
			u.Active = v
		case "SubState":
			u.Sub = v
		}
	}
	return u, ok
}

// LaunchdJob is what `launchctl list LABEL` says of a job.
type LaunchdJob struct {
	PID            int // 0 when not running
	LastExitStatus int
}

// ParseLaunchctlList reads the property list printed by `launchctl list
// LABEL` ("PID" = 123; "LastExitStatus" = 0;).
func ParseLaunchctlList(b []byte) LaunchdJob {
	var j LaunchdJob
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, found := strings.Cut(line, "=")
		if !found {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"`)
		v = strings.TrimSuffix(strings.TrimSpace(v), ";")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		switch k {
		case "PID":
			j.PID = max(n, 0)
		case "LastExitStatus":
			j.LastExitStatus = n
		}
	}
	return j
}
