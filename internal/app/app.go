// Package app wires Vigie together: configuration → database → services →
// HTTP → background work.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/vigie-hq/vigie/internal/agentapi"
	"github.com/vigie-hq/vigie/internal/api"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/config"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/dashboard"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
	"github.com/vigie-hq/vigie/internal/web"
)

// App is a running Vigie: its database, services and HTTP handler.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *store.DB
	Journal  *audit.Journal
	Clients  *client.Service
	Users    *user.Service
	Auth     *auth.Service
	Provider *provider.Service
	Tickets  *ticket.Service
	// Metrics keeps the agents' samples; compacted every 5 minutes in the background.
	Metrics *metric.Service
	// Assets is the fleet: assets, agents, enrollment, inventories.
	Assets *asset.Service
	// Attachments keeps the files of tickets under <data-dir>/attachments.
	Attachments *attachment.Service
	// HelpdeskMail reads the helpdesk's mailboxes (IMAP) into tickets.
	HelpdeskMail *helpdeskmail.Service
	// Supervision is the checks' service; Engine owns their live states.
	Supervision *supervision.Service
	Engine      *supervision.Engine
	// Notify sends supervision problems to notification channels.
	Notify *notify.Service
	// Contracts is each client's contracts and their perimeter.
	Contracts *contract.Service
	// Reviews is the clients' service reviews (meeting, causes, actions).
	Reviews *review.Service
	// ReportRuns generates the contracts' reports on schedule and keeps them.
	ReportRuns *reportrun.Service
	// ContractDocs keeps the documents attached to contracts.
	ContractDocs *contractdoc.Service
	Router       *router.Router

	metrics   *metrics
	ui        *web.Handler
	http      http.Handler
	jobCounts func(context.Context) (map[string]int, error)
	queue     *job.Queue
	bg        []func(ctx context.Context) error
	closers   []func(ctx context.Context) error
}

// Options adjust an App for tests and the demo.
type Options struct {
	// Now replaces the clock of every service.
	Now func() time.Time
	// AgentVersion is the vigie-agent version this server ships (agents
	// running another are out of date); empty: the server's own version.
	AgentVersion string
}

// New opens the database, migrates it and builds every service and route.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := store.Open(ctx, cfg.Database(), log)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db}
	a.closers = append(a.closers, func(context.Context) error { return db.Close() })
	if err := a.build(ctx, opts); err != nil {
		a.Close(ctx)
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context, opts Options) error {
	a.Journal = audit.NewJournal(a.DB, opts.Now)
	a.Clients = client.NewService(a.DB, a.Journal, opts.Now)
	a.Provider = provider.NewService(a.DB, a.Journal)
	a.Users = user.NewService(a.DB, a.DB, a.Journal, auth.HashPassword)
	a.Tickets = ticket.NewService(a.DB, a.DB, a.DB, a.Journal, opts.Now, a.Log)
	a.Metrics = metric.NewService(a.DB, opts.Now, a.Log)
	a.Assets = asset.NewService(a.DB, a.Journal, a.Metrics, asset.Options{Now: opts.Now, Log: a.Log, AgentVersion: agentVersion(opts)})
	a.Attachments = attachment.NewService(a.DB, a.Tickets, filepath.Join(a.Config.DataDir, "attachments"), opts.Now, a.Log)
	a.buildContracts(opts.Now)
	outbox, err := a.buildMail(ctx)
	if err != nil {
		return err
	}
	if err := a.buildHelpdeskMail(ctx, outbox, opts.Now); err != nil {
		return err
	}
	a.buildContractUsage(outbox, opts.Now)
	if err := a.buildSupervision(ctx, outbox, opts.Now); err != nil {
		return err
	}
	a.buildReportRuns(outbox, opts.Now)
	a.buildReviews(opts.Now)
	policy := auth.DefaultPolicy()
	policy.RequireStaffMFA = a.Provider.RequireStaffTOTP
	a.Auth = auth.NewService(a.DB, a.DB, outbox, a.Journal, policy, opts.Now, a.Log)
	a.metrics = newMetrics(a)
	a.Router = router.New(a.guard)
	a.ops(a.Router)
	a.Router.Unmatched("/api/", func(w http.ResponseWriter, r *http.Request, status int, allow string) {
		if allow != "" {
			w.Header().Set("Allow", allow)
		}
		detail := "no such API route: " + r.URL.Path
		if status == http.StatusMethodNotAllowed {
			detail = r.Method + " is not allowed here; allowed: " + allow
		}
		writeProblem(w, status, detail)
	})
	w, err := web.New(web.Deps{
		Log: a.Log, BaseURL: a.Config.BaseURL, SecureCookies: a.Config.Secure(),
		Clients: a.Clients, Users: a.Users, Auth: a.Auth, Provider: a.Provider, Journal: a.Journal, Mail: outbox,
		Tickets: a.Tickets, Now: opts.Now,
		HelpdeskMail: a.HelpdeskMail,
		Attachments:  a.Attachments,
		Assets:       a.Assets,
		Supervision:  a.Supervision,
		Live:         a.Engine,
		Notify:       a.Notify,
		Contracts:    a.Contracts,
		ContractDocs: a.ContractDocs,
		Reports:      a.DB,
		Reviews:      a.Reviews,
		ReportRuns:   a.ReportRuns,
		Dashboard:    dashboard.New(a.DB, a.DB, a.Contracts),
	})
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	w.Register(a.Router)
	a.ui = w
	a.Router.Unmatched("/", func(rw http.ResponseWriter, r *http.Request, status int, allow string) {
		if status == http.StatusMethodNotAllowed {
			rw.Header().Set("Allow", allow)
			http.Error(rw, "method not allowed", status)
			return
		}
		w.NotFound(rw, r)
	})
	api.New(api.Deps{
		Now: opts.Now,
		Log: a.Log, Clients: a.Clients, Users: a.Users, Auth: a.Auth, Provider: a.Provider, Journal: a.Journal,
		Tickets:      a.Tickets,
		Attachments:  a.Attachments,
		HelpdeskMail: a.HelpdeskMail,
		Assets:       a.Assets,
		Supervision:  a.Supervision,
		Notify:       a.Notify,
		Contracts:    a.Contracts,
		ContractDocs: a.ContractDocs,
		ReportRuns:   a.ReportRuns,
	}).Register(a.Router)
	agentapi.New(agentapi.Deps{Assets: a.Assets, Log: a.Log, DataDir: a.Config.DataDir, Now: opts.Now}).Register(a.Router)
	a.http = a.handler()
	a.bg = append(a.bg, a.pruneSessions, a.checkSLA, a.compactMetrics)
	return nil
}

// Handler returns the HTTP handler of the whole server.
func (a *App) Handler() http.Handler { return a.http }

// Start starts the background work; it stops when ctx ends or at Close.
func (a *App) Start(ctx context.Context) {
	if err := a.queue.Start(ctx); err != nil {
		a.Log.Error("start job queue", "err", err)
	}
	for _, f := range a.bg {
		go func() {
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("background work stopped", "err", err)
			}
		}()
	}
}

// Close stops the background work and closes the database, last opened first.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i](ctx))
	}
	a.closers = nil
	return errors.Join(errs...)
}

func (a *App) pruneSessions(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := a.Auth.Prune(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("prune sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// compactMetrics folds the agents' recent samples into compressed chunks, builds
// the rollups and applies the metric retention every 5 minutes. On several
// replicas each may run it: compaction is idempotent and locks what it folds.
func (a *App) compactMetrics(ctx context.Context) error {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		start := time.Now()
		st, err := a.Metrics.Compact(ctx)
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("compact metrics", "err", err)
			}
			continue
		}
		if st.IngestRows > 0 || st.DeletedChunks > 0 {
			a.Log.Debug("compact metrics", "assets", st.Assets, "rows", st.IngestRows, "samples", st.Samples,
				"rolled", st.RolledSeries, "deleted_chunks", st.DeletedChunks, "took", time.Since(start))
		}
	}
}

// checkSLA re-evaluates, every 30 s, the tickets whose SLA clock has reached
// its at-risk or due instant with no event, so queues and escalations see
// breaches when they happen; it also closes tickets resolved longer ago than
// the helpdesk's close delay. On several replicas each may run it: the
// update is idempotent.
func (a *App) checkSLA(ctx context.Context) error {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		for {
			n, err := a.Tickets.CheckDue(ctx, 200)
			if err != nil {
				if ctx.Err() == nil {
					a.Log.Warn("check SLA", "err", err)
				}
				break
			}
			if n < 200 {
				break
			}
		}
		if _, err := a.Tickets.AutoClose(ctx, 500); err != nil && ctx.Err() == nil {
			a.Log.Warn("close resolved tickets", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Serve serves HTTP on ln until ctx ends, then shuts down gracefully: the
// server stops accepting, finishes requests in flight (10 s at most), and the
// background work and database close.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.http,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Open supervision boards would hold the shutdown for its 10 s.
	srv.RegisterOnShutdown(a.ui.CloseStreams)
	bgCtx, stopBg := context.WithCancel(ctx)
	defer stopBg()
	a.Start(bgCtx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	// Jobs in flight finish (or are cancelled at the deadline and retried
	// after restart) before the database closes.
	err = errors.Join(err, a.queue.Stop(shutCtx))
	stopBg()
	return errors.Join(err, a.Close(shutCtx))
}

// agentVersion is the agent version of Options, else the version this
// binary was built as (agents are built from the same tree: make agents).
func agentVersion(opts Options) string {
	if opts.AgentVersion != "" {
		return opts.AgentVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
