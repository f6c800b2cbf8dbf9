// Package job is Vigie's durable job queue: River, on the same database as
// everything else, so that a job is enqueued in the transaction of the change
// that caused it, survives a crash, and runs on one replica only.
//
// On SQLite the queue runs on a connection of its own beside the store's
// single write connection (see store.DB.OpenSidePool). On PostgreSQL the
// workers use the pgx pool (riverpgxv5, with LISTEN/NOTIFY), and jobs inserted
// inside a store transaction go through a second, insert-only client on
// database/sql (riverdatabasesql), because the store's transactions are
// *sql.Tx.
package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/store"
)

// Options tune the queue. Zero values take River's defaults.
type Options struct {
	// FetchPollInterval is how often workers look for jobs when no
	// notification arrives (River's default: 1 s).
	FetchPollInterval time.Duration
	// FetchCooldown is the shortest time between two fetches (default 100 ms).
	FetchCooldown time.Duration
	// MaxWorkers is the number of jobs run at once (default 10).
	MaxWorkers int
	// JobTimeout bounds one run of a job (default 1 minute).
	JobTimeout time.Duration
	// RetryPolicy says when a failed job runs again (default: attempt⁴ seconds).
	RetryPolicy river.ClientRetryPolicy
	// HardStopTimeout is how long Stop waits for cancelled jobs to return
	// once its context is done (default 10 s).
	HardStopTimeout time.Duration
}

// runner is what the queue needs of a working River client, whatever its
// driver's transaction type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Queue is the job queue.
type Queue struct {
	db   *store.DB
	log  *slog.Logger
	opts Options
	// side is River's own connection to the SQLite file (nil on PostgreSQL).
	side *sql.DB
	// run works the jobs and inserts those enqueued outside a transaction.
	run runner
	// txc inserts jobs inside a store transaction.
	txc *river.Client[*sql.Tx]

	mu      sync.Mutex
	started bool
}

// New migrates River's tables (rivermigrate, on both databases) and returns
// the queue that works the jobs whose workers register adds with
// river.AddWorker. Jobs may be inserted at once; they are worked after Start.
func New(ctx context.Context, db *store.DB, log *slog.Logger, register func(*river.Workers), opts Options) (*Queue, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = 10
	}
	if opts.HardStopTimeout <= 0 {
		opts.HardStopTimeout = 10 * time.Second
	}
	workers := river.NewWorkers()
	if register != nil {
		register(workers)
	}
	q := &Queue{db: db, log: log, opts: opts}
	// River reports every start, stop and migration step at INFO; only its
	// warnings and errors belong in Vigie's log.
	riverLog := slog.New(minLevel{log.Handler(), slog.LevelWarn})
	cfg := &river.Config{
		FetchCooldown:     opts.FetchCooldown,
		FetchPollInterval: opts.FetchPollInterval,
		JobTimeout:        opts.JobTimeout,
		Logger:            riverLog.With("component", "river"),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}},
		RetryPolicy:       opts.RetryPolicy,
		Workers:           workers,
	}
	switch db.Dialect() {
	case store.SQLite:
		side, err := db.OpenSidePool(ctx)
		if err != nil {
			return nil, err
		}
		q.side = side
		driver := riversqlite.New(side)
		if err := migrateSQLite(ctx, driver, riverLog); err != nil {
			side.Close()
			return nil, err
		}
		client, err := river.NewClient(driver, cfg)
		if err != nil {
			side.Close()
			return nil, fmt.Errorf("create job client: %w", err)
		}
		q.run, q.txc = client, client
	case store.Postgres:
		driver := riverpgxv5.New(db.Pool)
		if err := migratePostgres(ctx, driver, db, riverLog); err != nil {
			return nil, err
		}
		client, err := river.NewClient(driver, cfg)
		if err != nil {
			return nil, fmt.Errorf("create job client: %w", err)
		}
		// Insert-only: no queues, never started.
		txc, err := river.NewClient(riverdatabasesql.New(db.SQL()), &river.Config{
			Logger:  cfg.Logger,
			Workers: workers,
		})
		if err != nil {
			return nil, fmt.Errorf("create job client: %w", err)
		}
		q.run, q.txc = client, txc
	default:
		return nil, fmt.Errorf("job queue: unsupported database %q", db.Dialect())
	}
	return q, nil
}

// migrationLock is the PostgreSQL advisory lock taken while River's tables
// are migrated, so that two replicas starting together take turns.
const migrationLock = 7419002

func migratePostgres(ctx context.Context, driver *riverpgxv5.Driver, db *store.DB, log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log.With("component", "rivermigrate")})
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	// A session lock, not a transaction: River's migrations add an enum value
	// and then use it, which PostgreSQL refuses within one transaction, so
	// each migration commits on its own.
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("lock for job queue migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // released with the session anyway
	// River logs each migration it applies.
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

func migrateSQLite(ctx context.Context, driver *riversqlite.Driver, log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log.With("component", "rivermigrate")})
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	// Each migration commits on its own (River advises against batching them
	// in one transaction). Should another process on the same file be
	// migrating at the same moment, one of the two fails on a version the
	// other applied; looking again then finds nothing left to do.
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		log.Warn("job queue migrations failed, retrying once", "err", err)
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// Start works jobs until Stop. It returns once the workers run.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("job queue already started")
	}
	// River stops when the context it started with ends; Stop is the one way
	// to stop it here, so that a cancelled request context cannot.
	if err := q.run.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	q.started = true
	return nil
}

// Stop stops fetching jobs and waits for the running ones until ctx is done;
// then it cancels them and waits HardStopTimeout more. A job cut short runs
// again after a restart.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.started {
		return nil
	}
	q.started = false
	err := q.run.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		q.log.Warn("jobs still running at stop; cancelling them")
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.opts.HardStopTimeout)
		defer cancel()
		err = q.run.StopAndCancel(hard)
	}
	if err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return nil
}

// Close releases the queue's own connection (SQLite). Call it after Stop
// and before closing the database.
func (q *Queue) Close() error {
	if q.side == nil {
		return nil
	}
	return q.side.Close()
}

// Insert enqueues a job. When ctx carries a store transaction the job is
// inserted in it, so it exists if and only if that transaction commits;
// otherwise it is inserted and committed at once.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	var (
		res *rivertype.JobInsertResult
		err error
	)
	if tx, ok := store.TxFrom(ctx); ok {
		res, err = q.txc.InsertTx(ctx, tx, args, opts)
	} else {
		res, err = q.run.Insert(ctx, args, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Counts returns the number of jobs in each of River's states (available,
// running, retryable, completed, discarded…), every state present, for metrics.
func (q *Queue) Counts(ctx context.Context) (map[string]int, error) {
	got, err := q.db.CountJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rivertype.JobStates()))
	for _, s := range rivertype.JobStates() {
		out[string(s)] = int(got[string(s)])
	}
	return out, nil
}

// compile-time checks that both River clients fit runner.
var (
	_ runner = (*river.Client[pgx.Tx])(nil)
	_ runner = (*river.Client[*sql.Tx])(nil)
)

// minLevel drops records below a level whatever the wrapped handler accepts.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
