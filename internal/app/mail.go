package app

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/mail"
)

// buildMail starts the durable job queue and the outgoing mail on it. The
// queue's workers start with the background work (Start), not here, so that
// CLI commands can enqueue without sending.
func (a *App) buildMail(ctx context.Context) (*mail.Outbox, error) {
	sender, err := mail.NewSender(a.Config.SMTP, a.Config.DataDir, mail.SenderOptions{})
	if err != nil {
		return nil, fmt.Errorf("mail sender: %w", err)
	}
	worker := mail.NewWorker(a.DB, sender, a.Log)
	queue, err := job.New(ctx, a.DB, a.Log, func(w *river.Workers) { river.AddWorker(w, worker) }, job.Options{})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	a.closers = append(a.closers, func(context.Context) error { return queue.Close() })
	a.jobCounts = queue.Counts
	a.queue = queue
	outbox, err := mail.NewOutbox(a.DB, queue, a.Provider, mail.Options{BaseURL: a.Config.BaseURL, From: a.Config.SMTP.From})
	if err != nil {
		return nil, fmt.Errorf("mail outbox: %w", err)
	}
	return outbox, nil
}
