package app

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/helpdeskmail"
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
	queue, err := job.New(ctx, a.DB, a.Log, func(w *river.Workers) {
		river.AddWorker(w, worker)
		a.supervisionWorkers(w)
		a.reportWorkers(w)
	}, job.Options{})
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

// buildHelpdeskMail connects the helpdesk to e-mail: requesters are notified
// through the outbox, and the configured IMAP mailboxes are read in the
// background.
func (a *App) buildHelpdeskMail(ctx context.Context, outbox *mail.Outbox, now func() time.Time) error {
	notifier, err := helpdeskmail.NewNotifier(outbox, a.DB, a.Provider, a.DB, a.Config.BaseURL)
	if err != nil {
		return fmt.Errorf("helpdesk notifier: %w", err)
	}
	notifier.SetRater(a.Tickets)
	a.Tickets.SetNotifier(notifier)
	notifier.SetStaff(a.DB)
	a.Tickets.SetEscalator(notifier)
	a.Tickets.SetWatcherNotifier(notifier)
	own := []string{}
	if a.Config.SMTP.From != "" {
		own = append(own, a.Config.SMTP.From)
	}
	if p, err := a.Provider.Get(ctx); err == nil && p.Email != "" {
		own = append(own, p.Email)
	}
	hm, err := helpdeskmail.NewService(a.DB, a.Tickets, a.Journal, helpdeskmail.Options{BaseURL: a.Config.BaseURL, OwnAddresses: own, Now: now}, a.Log)
	if err != nil {
		return fmt.Errorf("helpdesk mail: %w", err)
	}
	hm.SetAttachments(a.Attachments)
	a.HelpdeskMail = hm
	a.bg = append(a.bg, func(ctx context.Context) error { return hm.Run(ctx, helpdeskmail.PollOptions{}) })
	return nil
}
