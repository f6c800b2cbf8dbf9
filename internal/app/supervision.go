package app

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/alert"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// buildSupervision makes the checks' service and the engine that owns their
// live states; the engine runs as background work.
func (a *App) buildSupervision(ctx context.Context, outbox *mail.Outbox, now func() time.Time) error {
	a.Supervision = supervision.NewService(a.DB.Supervision(), a.Journal, now, a.Log)
	// The alerter opens the incidents of hard problems in the helpdesk (the
	// same database: a ticket and its check's link commit together).
	alerter, err := alert.New(a.DB.Supervision(), a.Tickets, a.DB, alert.Options{BaseURL: a.Config.BaseURL, Log: a.Log})
	if err != nil {
		return fmt.Errorf("alerter: %w", err)
	}
	// Notifications: built with the queue's workers (supervisionWorkers),
	// they get the queue and the mail outbox now that both exist.
	if a.Notify != nil {
		a.Notify.SetQueue(a.queue)
		a.Notify.SetMailer(outbox)
		alerter.SetNotifier(a.Notify)
		a.bg = append(a.bg, a.Notify.Run)
	}
	// Response times and plugin values go to the metric store (checkperf.go).
	perf := newCheckPerf(a.Metrics, assetRefSystem(a.DB.Supervision()), a.Log)
	a.bg = append(a.bg, perf.Run)
	a.Engine = supervision.NewEngine(a.DB.Supervision(), supervision.EngineOptions{Now: now, Log: a.Log, Alerter: alerter, Perf: perf})
	a.Supervision.SetEngine(a.Engine)
	a.Assets.SetCheckSource(a.Supervision)
	a.bg = append(a.bg, a.Engine.Run, a.applyTemplates)
	return nil
}

// applyTemplates applies the check templates to assets that appeared or
// changed since (a template's own changes apply at once).
func (a *App) applyTemplates(ctx context.Context) error {
	t := time.NewTicker(2 * time.Minute)
	defer t.Stop()
	for {
		if _, err := a.Supervision.ApplyTemplates(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("apply check templates", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// supervisionWorkers registers the durable jobs of alerting (notifications).
func (a *App) supervisionWorkers(w *river.Workers) {
	ns, err := notify.New(notify.Deps{Store: a.DB, Providers: a.Provider, Journal: a.Journal, BaseURL: a.Config.BaseURL, Log: a.Log})
	if err != nil {
		// Only the embedded message catalogs can fail, and tests load them.
		a.Log.Error("notifications disabled", "err", err)
		return
	}
	a.Notify = ns
	river.AddWorker(w, ns.Worker())
}
