package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/windows"

	"github.com/vigie-hq/vigie/internal/probe"
)

// ownProcessGroup makes a command's cancellation kill its whole process
// tree (taskkill /T), as a process group is killed on Unix: a plugin's
// children die with it. Killing the process alone is the fallback.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		kill := exec.Command(filepath.Join(root, "System32", "taskkill.exe"), "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid))
		if err := kill.Run(); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// serviceState asks the service control manager for a service's state,
// with the least access that allows it (connect, query status), so that
// it works without administrator rights too.
func (c *Checker) serviceState(_ context.Context, name string) probe.Result {
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return probe.Result{State: probe.Unknown, Output: "cannot reach the service control manager: " + err.Error()}
	}
	defer windows.CloseServiceHandle(scm)
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("invalid service name %q", name)}
	}
	h, err := windows.OpenService(scm, n, windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is not installed", name)}
	}
	if err != nil {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("cannot open service %s: %v", name, err)}
	}
	defer windows.CloseServiceHandle(h)
	var st windows.SERVICE_STATUS
	if err := windows.QueryServiceStatus(h, &st); err != nil {
		return probe.Result{State: probe.Unknown, Output: fmt.Sprintf("cannot query service %s: %v", name, err)}
	}
	switch st.CurrentState {
	case windows.SERVICE_RUNNING:
		return probe.Result{State: probe.OK, Output: fmt.Sprintf("service %s is running", name)}
	case windows.SERVICE_START_PENDING:
		return probe.Result{State: probe.Warning, Output: fmt.Sprintf("service %s is starting", name)}
	}
	return probe.Result{State: probe.Critical, Output: fmt.Sprintf("service %s is %s", name, winServiceState(st.CurrentState))}
}

func winServiceState(s uint32) string {
	switch s {
	case windows.SERVICE_STOPPED:
		return "stopped"
	case windows.SERVICE_STOP_PENDING:
		return "stopping"
	case windows.SERVICE_PAUSED:
		return "paused"
	case windows.SERVICE_PAUSE_PENDING:
		return "pausing"
	case windows.SERVICE_CONTINUE_PENDING:
		return "resuming"
	}
	return fmt.Sprintf("in state %d", s)
}
