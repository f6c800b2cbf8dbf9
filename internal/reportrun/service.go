package reportrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Store keeps report runs. Methods that take a scope filter by it: a run
// of a client the scope cannot see is fault.ErrNotFound.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// CreateReportRun inserts r unless its client already has a run of the
	// kind and period; created says whether it did (and set r.ID).
	CreateReportRun(ctx context.Context, r *Run) (created bool, err error)
	// RequestReportRun inserts r or, when the client has a run of the kind
	// and period, starts it over: queued, no attempt, no files, the next
	// generation. It sets r.ID, r.Generation and r.Created.
	RequestReportRun(ctx context.Context, r *Run) error
	ReportRun(ctx context.Context, s tenant.Scope, id int64) (Run, error)
	// ReportRuns lists a client's runs without their files, newest first.
	ReportRuns(ctx context.Context, s tenant.Scope, clientID int64) ([]Run, error)
	// ReportRunFile returns a stored file of a run; fault.ErrNotFound when
	// the run has none (not generated yet, or failed).
	ReportRunFile(ctx context.Context, s tenant.Scope, id int64, f File) ([]byte, error)
	// ReportRunStarted marks the run running for attempt; false when the
	// run is of another generation now.
	ReportRunStarted(ctx context.Context, id int64, generation, attempt int, at time.Time) (bool, error)
	// ReportRunFailed records a failed attempt: failed when final, queued
	// (retrying) otherwise.
	ReportRunFailed(ctx context.Context, id int64, generation, attempt int, lastError string, final bool, at time.Time) error
	// ReportRunDone stores the document and marks the run done, with the
	// addresses and the outbox message it was sent as (mailID nil: not
	// sent); false when the run is of another generation now.
	ReportRunDone(ctx context.Context, id int64, generation int, doc report.Document, recipients []string, mailID *int64, at time.Time) (bool, error)
	// ReportRunClients returns the clients that are not archived.
	ReportRunClients(ctx context.Context) ([]ClientInfo, error)
	// ReportRunKeys returns the kind and period ("monthly 2026-10") of the
	// runs whose period is one of periods, by client.
	ReportRunKeys(ctx context.Context, periods []string) (map[int64]map[string]bool, error)
	// Of package client.
	Client(ctx context.Context, s tenant.Scope, id int64) (client.Client, error)
	Contact(ctx context.Context, s tenant.Scope, id int64) (client.Contact, error)
}

// Contracts finds the contract whose reporting applies.
type Contracts interface {
	InForce(ctx context.Context, s tenant.Scope, clientID int64, at time.Time) (contract.Contract, bool, error)
	Get(ctx context.Context, s tenant.Scope, id int64) (contract.Contract, error)
}

// Queue enqueues jobs, in the context's transaction when there is one.
type Queue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Mailer queues an e-mail, in the context's transaction when there is one.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (int64, string, error)
}

// Translator returns the message of key in lang (an *i18n.Bundle is one).
type Translator interface {
	T(lang, key string, args ...any) string
}

// Journal appends to the audit journal (inside the caller's transaction).
type Journal interface {
	Record(ctx context.Context, e audit.Entry) error
}

// DefaultMaxAttempts is how often a run is tried before it is failed.
const DefaultMaxAttempts = 5

// defaultBackoff is the wait before attempt n+1 after attempt n failed:
// a passing fault (a database restart) clears in a minute, a longer one in
// the hour; the last attempt comes about 1 h 20 min after the first.
var defaultBackoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}

// Deps are what a Service needs. Queue and Mailer may be set later (the
// queue's workers are registered before the queue exists).
type Deps struct {
	Store     Store
	Contracts Contracts
	Queue     Queue
	Mailer    Mailer
	Texts     Translator
	// Journal records who generated or retried a report; nil records nothing.
	Journal    Journal
	Generators map[string]report.Generator
	// BaseURL is Vigie's public URL, for the archive link in the e-mail.
	BaseURL string
	// Now is the clock (default time.Now); Log the logger (default: none).
	Now func() time.Time
	Log *slog.Logger
	// MaxAttempts of a run (default DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait after failed attempt n (default 1 min, 5 min,
	// 15 min, then 1 h).
	Backoff func(attempt int) time.Duration
	// ReadyHour is the local hour after a period's end at which its report
	// is due (default DefaultReadyHour).
	ReadyHour int
	// Every is the scheduler's period (default one minute).
	Every time.Duration
}

// Service schedules, generates and lists report runs.
type Service struct {
	d Deps
}

// New returns a Service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Contracts == nil || d.Texts == nil {
		return nil, errors.New("reportrun: store, contracts and texts are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
	if d.Backoff == nil {
		d.Backoff = func(n int) time.Duration { return defaultBackoff[min(max(n, 1), len(defaultBackoff))-1] }
	}
	if d.ReadyHour <= 0 || d.ReadyHour > 23 {
		d.ReadyHour = DefaultReadyHour
	}
	if d.Every <= 0 {
		d.Every = time.Minute
	}
	if d.Generators == nil {
		d.Generators = map[string]report.Generator{}
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	return &Service{d: d}, nil
}

// SetQueue sets the job queue (built after the service's worker).
func (svc *Service) SetQueue(q Queue) { svc.d.Queue = q }

// SetMailer sets the mail outbox.
func (svc *Service) SetMailer(m Mailer) { svc.d.Mailer = m }

// SetClock replaces the clock (tests and the demo).
func (svc *Service) SetClock(now func() time.Time) { svc.d.Now = now }

// SetGenerator sets the generator of a report kind.
func (svc *Service) SetGenerator(kind string, g report.Generator) { svc.d.Generators[kind] = g }

// RunArgs is the job that generates one run (of one generation: a run
// generated again gets a new job).
type RunArgs struct {
	RunID      int64 `json:"run_id"`
	Generation int   `json:"generation"`
}

// Kind names the job.
func (RunArgs) Kind() string { return "report.run" }

// insertOpts are the job options of a run: unique by its arguments, so a
// run's generation is queued once whoever enqueues it.
func (svc *Service) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: svc.d.MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// zone returns a client's time zone, contract.DefaultZone when it has none.
func zone(tz string) *time.Location {
	return contract.Location(client.Client{TimeZone: tz})
}

// language is the language a client's reports are written in.
func language(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "fr"
}

// Run schedules the reports due every minute until ctx ends.
func (svc *Service) Run(ctx context.Context) error {
	t := time.NewTicker(svc.d.Every)
	defer t.Stop()
	for {
		if _, err := svc.Schedule(ctx); err != nil && ctx.Err() == nil {
			svc.d.Log.Warn("schedule reports", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Schedule queues the reports due now: for each client, each kind its
// contract in force on the period's last day asks for, the last period due
// (LastDue) and those missed by a stop of Vigie within CatchUp (Missing). A
// period already run is left alone, so passes repeat
// without effect, on one replica or several. It returns how many runs it
// queued; a client that fails does not stop the others.
func (svc *Service) Schedule(ctx context.Context) (int, error) {
	if svc.d.Queue == nil {
		return 0, errors.New("schedule reports: no job queue")
	}
	clients, err := svc.d.Store.ReportRunClients(ctx)
	if err != nil {
		return 0, fmt.Errorf("list clients to report: %w", err)
	}
	now := svc.d.Now()
	// The runs that exist already, read at once: most passes find every
	// due report there and look up no contract and write nothing.
	labels := map[string]bool{}
	for _, c := range clients {
		loc := zone(c.TimeZone)
		for _, kind := range report.DocKinds {
			for _, p := range Window(kind, now, loc, svc.d.ReadyHour) {
				labels[p.Label()] = true
			}
		}
	}
	have, err := svc.d.Store.ReportRunKeys(ctx, slices.Sorted(maps.Keys(labels)))
	if err != nil {
		return 0, fmt.Errorf("list report runs due: %w", err)
	}
	queued := 0
	var errs []error
	for _, c := range clients {
		n, err := svc.scheduleClient(ctx, c, now, have[c.ID])
		queued += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return queued, errors.Join(errs...)
}

func (svc *Service) scheduleClient(ctx context.Context, c ClientInfo, now time.Time, have map[string]bool) (int, error) {
	loc := zone(c.TimeZone)
	// Kinds whose period ends on the same day share the contract lookup.
	inForce := map[time.Time]*contract.Contract{}
	queued := 0
	for _, kind := range report.DocKinds {
		missing := Missing(Window(kind, now, loc, svc.d.ReadyHour), func(p report.Period) bool { return have[kind+" "+p.Label()] })
		for _, p := range missing {
			if have[kind+" "+p.Label()] {
				continue
			}
			n, err := svc.scheduleRun(ctx, c, kind, p, now, inForce)
			queued += n
			if err != nil {
				return queued, err
			}
		}
	}
	return queued, nil
}

// scheduleRun queues the report of one kind and period for a client when
// the contract in force on its last day asks for it (inForce caches the
// contracts looked up by that instant).
func (svc *Service) scheduleRun(ctx context.Context, c ClientInfo, kind string, p report.Period, now time.Time, inForce map[time.Time]*contract.Contract) (int, error) {
	at := LastDay(p)
	ct, seen := inForce[at]
	if !seen {
		x, found, err := svc.d.Contracts.InForce(ctx, tenant.System(), c.ID, at)
		if err != nil {
			return 0, fmt.Errorf("contract of client %d on %s: %w", c.ID, at.Format(time.DateOnly), err)
		}
		if found {
			ct = &x
		}
		inForce[at] = ct
	}
	if ct == nil || !enabled(ct.Reporting, kind) {
		return 0, nil
	}
	id := ct.ID
	r := Run{ClientID: c.ID, ContractID: &id, Kind: kind, Period: p.Label(), Lang: language(c.Language),
		Status: StatusQueued, Send: true, MaxAttempts: svc.d.MaxAttempts, Created: now.UTC().Truncate(time.Microsecond)}
	var created bool
	err := svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if created, err = svc.d.Store.CreateReportRun(ctx, &r); err != nil || !created {
			return err
		}
		_, err = svc.d.Queue.Insert(ctx, RunArgs{RunID: r.ID, Generation: r.Generation}, svc.insertOpts())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue %s report %s of client %d: %w", kind, r.Period, c.ID, err)
	}
	if !created {
		return 0, nil
	}
	svc.d.Log.Info("report queued", "client_id", c.ID, "kind", kind, "period", r.Period, "run_id", r.ID)
	return 1, nil
}

// may returns the error for a scope that may not do a on clientID's runs.
func may(s tenant.Scope, a tenant.Action, clientID int64) error {
	switch {
	case !s.CanSee(clientID):
		return fault.ErrNotFound
	case !s.Can(a):
		return fault.ErrForbidden
	}
	return nil
}

// List returns a client's runs, newest first (tenant.ClientRead: staff and
// the client's own users).
func (svc *Service) List(ctx context.Context, s tenant.Scope, clientID int64) ([]Run, error) {
	if err := may(s, tenant.ClientRead, clientID); err != nil {
		return nil, err
	}
	return svc.d.Store.ReportRuns(ctx, s, clientID)
}

// Get returns one run without its files.
func (svc *Service) Get(ctx context.Context, s tenant.Scope, id int64) (Run, error) {
	if !s.Can(tenant.ClientRead) {
		return Run{}, fault.ErrForbidden
	}
	return svc.d.Store.ReportRun(ctx, s, id)
}

// File returns a run and one of its files; fault.ErrNotFound when the run
// has no such file (not generated, or failed).
func (svc *Service) File(ctx context.Context, s tenant.Scope, id int64, f File) (Run, []byte, error) {
	if f != FilePDF && f != FileCSV {
		return Run{}, nil, fault.ErrNotFound
	}
	r, err := svc.Get(ctx, s, id)
	if err != nil {
		return Run{}, nil, err
	}
	if r.Status != StatusDone {
		return Run{}, nil, fault.ErrNotFound
	}
	b, err := svc.d.Store.ReportRunFile(ctx, s, id, f)
	if err != nil {
		return Run{}, nil, err
	}
	return r, b, nil
}

// Validation codes of Generate.
const (
	CodeNotOver = "not_over" // the period has not ended yet
)

// Generate queues the report of a kind and period now, a past one too; a
// period already generated is generated again and replaces it. send says
// whether it is e-mailed to the recipients of the contract in force on the
// period's last day. It takes tenant.ClientWrite.
func (svc *Service) Generate(ctx context.Context, s tenant.Scope, clientID int64, kind, period string, send bool) (Run, error) {
	if err := may(s, tenant.ClientWrite, clientID); err != nil {
		return Run{}, err
	}
	if svc.d.Queue == nil {
		return Run{}, errors.New("generate report: no job queue")
	}
	var v fault.Invalid
	if !slices.Contains(report.DocKinds, kind) {
		v.Add("kind", "invalid_choice")
		return Run{}, &v
	}
	c, err := svc.d.Store.Client(ctx, s, clientID)
	if err != nil {
		return Run{}, err
	}
	p, err := report.ParsePeriod(report.PeriodKind(kind), period, contract.Location(c))
	if err != nil {
		return Run{}, err
	}
	now := svc.d.Now()
	if err := p.Validate(now); err != nil {
		return Run{}, err
	}
	if p.SoFar(now) {
		v.Add("period", CodeNotOver)
		return Run{}, &v
	}
	r := Run{ClientID: clientID, Kind: kind, Period: p.Label(), Lang: language(c.Language), Status: StatusQueued,
		Send: send, MaxAttempts: svc.d.MaxAttempts, Created: now.UTC().Truncate(time.Microsecond)}
	if s.UserID != 0 {
		uid := s.UserID
		r.RequestedBy = &uid
	}
	ct, found, err := svc.d.Contracts.InForce(ctx, tenant.System(), clientID, LastDay(p))
	if err != nil {
		return Run{}, fmt.Errorf("contract of client %d: %w", clientID, err)
	}
	if found {
		id := ct.ID
		r.ContractID = &id
	}
	if err := svc.request(ctx, &r, "report.generate"); err != nil {
		return Run{}, err
	}
	return r, nil
}

// Retry generates a failed run again, with all its attempts.
func (svc *Service) Retry(ctx context.Context, s tenant.Scope, id int64) (Run, error) {
	r, err := svc.d.Store.ReportRun(ctx, s, id)
	if err != nil {
		return Run{}, err
	}
	if err := may(s, tenant.ClientWrite, r.ClientID); err != nil {
		return Run{}, err
	}
	if r.Status != StatusFailed {
		return Run{}, fault.Conflict("status")
	}
	if svc.d.Queue == nil {
		return Run{}, errors.New("retry report: no job queue")
	}
	r.Status, r.MaxAttempts, r.Created = StatusQueued, svc.d.MaxAttempts, svc.d.Now().UTC().Truncate(time.Microsecond)
	if s.UserID != 0 {
		uid := s.UserID
		r.RequestedBy = &uid
	}
	if err := svc.request(ctx, &r, "report.retry"); err != nil {
		return Run{}, err
	}
	return r, nil
}

// request stores r as a new generation and queues its job, together.
func (svc *Service) request(ctx context.Context, r *Run, action string) error {
	err := svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		if err := svc.d.Store.RequestReportRun(ctx, r); err != nil {
			return err
		}
		if _, err := svc.d.Queue.Insert(ctx, RunArgs{RunID: r.ID, Generation: r.Generation}, svc.insertOpts()); err != nil {
			return err
		}
		if svc.d.Journal == nil {
			return nil
		}
		cid := r.ClientID
		return svc.d.Journal.Record(ctx, audit.Entry{ClientID: &cid, Action: action, Object: audit.Object("report_run", r.ID),
			Summary: fmt.Sprintf("%s %s (generation %d, e-mail %t)", r.Kind, r.Period, r.Generation, r.Send)})
	})
	if err != nil {
		return fmt.Errorf("queue %s report %s of client %d: %w", r.Kind, r.Period, r.ClientID, err)
	}
	r.Attempts, r.LastError, r.Recipients = 0, "", []string{}
	return nil
}
