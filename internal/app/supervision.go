package app

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// buildSupervision makes the checks' service and the engine that owns their
// live states; the engine runs as background work.
func (a *App) buildSupervision(ctx context.Context, outbox *mail.Outbox, now func() time.Time) error {
	a.Supervision = supervision.NewService(a.DB.Supervision(), a.Journal, now, a.Log)
	a.Engine = supervision.NewEngine(a.DB.Supervision(), supervision.EngineOptions{Now: now, Log: a.Log})
	a.Supervision.SetEngine(a.Engine)
	a.bg = append(a.bg, a.Engine.Run)
	return nil
}

// supervisionWorkers registers the durable jobs of alerting (notifications).
func (a *App) supervisionWorkers(w *river.Workers) {}
