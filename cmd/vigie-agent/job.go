package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/vigie-hq/vigie/internal/agent"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// exitStatus ends vigie-agent with a given status and no message of its own.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const jobUsage = `Usage: vigie-agent job run --name NAME [--tail BYTES] [flags] -- COMMAND [ARGS…]

Run COMMAND (a backup, an export…) as the job NAME and report the run to
Vigie: start, end, exit status and the end of its output. The command's
input and output pass through unchanged; vigie-agent exits with its exit
status. The run is left in the agent's state directory, and the agent
service sends it with its next report (kept there, and then in the spool,
while the server cannot be reached). Run it as the user the agent runs as
(root, SYSTEM).

Flags:
`

func cmdJob(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(e.stderr, jobUsage)
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			return flag.ErrHelp
		}
		return usageError{errors.New(`want "job run"`)}
	}
	var c common
	var name string
	var tail int
	fs := newFlags("job run", "", e, &c)
	fs.StringVar(&name, "name", "", "name of the job, as its backup check in Vigie names it (required)")
	fs.IntVar(&tail, "tail", agentproto.MaxCheckOutput, fmt.Sprintf("bytes of the end of the output to report, at most %d", agentproto.MaxCheckOutput))
	fs.Usage = func() {
		fmt.Fprint(e.stderr, jobUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return usageError{errors.New("no command to run: vigie-agent job run --name NAME -- COMMAND [ARGS…]")}
	}
	if err := agent.ValidJobName(name); err != nil {
		return usageError{err}
	}
	if tail < 1 || tail > agentproto.MaxCheckOutput {
		return usageError{fmt.Errorf("--tail %d: want 1–%d", tail, agentproto.MaxCheckOutput)}
	}
	p := c.paths(e)
	if _, err := agent.LoadConfig(p.Config); err != nil {
		fmt.Fprintf(e.stderr, "vigie-agent job: warning: %v; the run is kept until the agent is enrolled and running\n", err)
	}
	run := agent.RunJob(ctx, name, argv, tail, agent.JobIO{Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr}, nil)
	if _, err := agent.SaveJobRun(p.StateDir, run); err != nil {
		// The job ran: its own status still decides the exit status, and
		// this message (mailed by cron, logged by the scheduler) says the
		// run will be missing in Vigie.
		fmt.Fprintf(e.stderr, "vigie-agent job: the run of %q was not recorded, Vigie will not see it: %v\n", name, err)
	}
	return exitStatus(run.ExitCode)
}
