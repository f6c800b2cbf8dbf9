// Package sla computes the service-level clocks of helpdesk tickets: the time
// to own (TTO, délai de prise en charge) and the time to resolve (TTR, délai de
// résolution), both counted in the business time of the client's contract.
//
// The package is pure and deterministic. It imports nothing from Vigie, keeps
// no state, does no I/O beyond loading a time zone when a calendar is built,
// and never reads the system clock: every function that depends on the
// present takes it as an argument.
//
// # Calendar
//
// A Calendar says which instants are business time. It has a time zone, a week
// of business ranges per weekday (several per day, e.g. 08:30–12:00 and
// 13:30–18:00; a range may end at 24:00 but never crosses midnight), a holiday
// set (the French public holidays, optionally with the Alsace-Moselle extras,
// computed for any year), extra closed dates, and holidays that are worked.
// AlwaysOpen is the 24×7 calendar. New builds a calendar from a Config, Parse
// from its compact JSON text (see Calendar.String); both return a
// *ValidationError naming each bad field.
//
// An instant is business time when the wall clock it shows in the calendar's
// zone is inside a range of its weekday, on a date that is not closed.
// Business time is measured in real elapsed seconds. Calendar.Add and
// Calendar.Between are exact to the nanosecond and skip whole weeks, so
// adding 500 business hours costs about as much as adding 4.
//
// # Daylight saving time
//
// Ranges are wall-clock times, and the rule above decides what happens when
// the wall clock jumps (Europe/Paris: 29 March 2026 02:00→03:00 and 25 October
// 2026 03:00→02:00):
//   - Spring forward: the skipped wall times never occur, so they are never
//     business time. A range 02:00–03:30 counts 30 minutes that day.
//   - Fall back: the repeated wall times occur twice and are business time
//     both times. A range 02:00–03:30 counts 2h30 that day, and a 24-hour
//     range 25 hours.
//
// Ranges that do not touch the jump (08:30–18:00) count their usual length.
// A technician on duty by the wall clock works exactly this much real time,
// and Calendar.Open, Add and Between agree with each other on those days.
//
// # No business time
//
// New refuses a week without business hours, so every built calendar has
// business time in every week. The zero Calendar (and a nil one) has none:
// Add returns the sentinel Never (9999-12-31T23:59:59Z, a deadline never
// reached) instead of searching forever, Between returns 0, Open false.
// Evaluate refuses a policy with such a calendar.
//
// # Clocks
//
// Evaluate replays a ticket's events (created, status and priority changes,
// owned, resolved, reopened) under a Policy (a calendar, targets per priority,
// an at-risk share, pause statuses) and returns, for TTO and TTR, the business
// time elapsed and remaining, the deadline, and whether the clock is paused,
// at risk, breached or stopped and met:
//   - TTO runs from creation until the ticket is owned (the event the helpdesk
//     chooses: assignment, first public reply) and is never paused.
//   - TTR runs from creation until resolution and is paused while the status
//     is a pause status (waiting for the client or a third party by default).
//     A reopening resumes it with the time already elapsed.
//   - A priority change applies the new targets from creation.
//   - A clock still running at its deadline is breached, even outside business
//     hours; one that stops at or before it is met.
//
// A ticket outside its contract's perimeter has no policy: the caller does not
// call Evaluate for it.
package sla
