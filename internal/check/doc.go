// Package check is the pure state engine of supervision: it turns the results
// of a check (OK, WARNING, CRITICAL, UNKNOWN) into soft and hard states and
// state-change events, detects flapping, and decides which events notify. It
// also says when an asset is in a maintenance window, when it is unreachable
// because a parent (router, firewall, hypervisor) is down, and computes
// availability from the events.
//
// The package imports nothing from Vigie, keeps no state, does no I/O and
// never reads the system clock: every function that depends on the present
// takes it as an argument, so the store, the scheduler and the alerting layer
// can persist a Status, replay results and test every rule deterministically.
//
// # Soft and hard states (Nagios semantics)
//
// A non-OK result after an OK state is a soft problem, attempt 1. Each further
// non-OK result raises the attempt; at Policy.MaxAttempts consecutive non-OK
// results (default 3) the problem becomes hard: a Problem event, the one that
// notifies and opens a ticket. Soft states are retried at RetryInterval, hard
// and OK states at CheckInterval (see Policy.NextRun). An OK result during a
// soft problem ends it at once (a soft recovery, no notification). A hard
// problem recovers after Policy.RecoverAfter consecutive OK results (default
// 1); in between the state is a soft OK. A change between two non-OK states
// while hard (WARNING↔CRITICAL, or to/from UNKNOWN) is a hard SeverityChange
// at once; while soft it only changes the soft state and keeps counting.
//
// # Flapping
//
// Every result is kept in a 21-entry history (Status.History). The percent
// state change is Nagios's: of the 20 transitions, each change weighs from
// 0.75 (oldest) to 1.25 (newest), the sum is scaled to 0–100 %. Flapping
// starts when it reaches Policy.FlapHigh (default 50 %) and stops when it
// falls below Policy.FlapLow (default 25 %); between the two the previous
// verdict holds (hysteresis). While flapping, hard changes are events with
// Notify false; flapping start and stop are events of their own that notify.
//
// # Muting
//
// An event notifies only when it is a hard change (or a flapping start/stop)
// and none of these holds: the check is flapping, the asset is in
// maintenance (Conditions.Maintenance, from InMaintenance), the problem is
// acknowledged (Status.Acknowledge; a severity change or a recovery clears
// the acknowledgement), or the asset is unreachable (Conditions.Unreachable,
// from Unreachable). Each muted event says why (Event.Muted). A recovery
// notifies only when its problem did (Status.Notified): nobody wants "back to
// OK" for a problem they never heard of.
// A problem that began muted and is still there when nothing mutes it any
// longer (the maintenance ended, the parent came back) is Status.Owed: the
// alerting layer notifies it then, once, and records it with MarkNotified.
//
// # Availability
//
// Availability is computed from hard events only: WARNING counts as up (the
// service works, with a warning), CRITICAL and UNKNOWN as down (an UNKNOWN
// critical check means nobody can vouch that the service works). Time in
// maintenance is left out of both the up time and the total, as is time
// before the first known state. An asset is down while any of its critical
// checks is down by the same rule.
package check
