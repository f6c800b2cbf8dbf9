package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Worker delivers the messages of SendArgs jobs. Register it with
// river.AddWorker.
type Worker struct {
	river.WorkerDefaults[SendArgs]
	store  Store
	sender Sender
	log    *slog.Logger
	now    func() time.Time
}

// NewWorker returns the worker that sends logged messages through sender.
func NewWorker(store Store, sender Sender, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{store: store, sender: sender, log: log, now: time.Now}
}

// Work sends one message. Delivery is at least once: a crash after the SMTP
// server accepted it but before it is marked sent sends it again.
func (w *Worker) Work(ctx context.Context, j *river.Job[SendArgs]) error {
	id := j.Args.MailID
	e, err := w.store.Mail(ctx, tenant.System(), id)
	if errors.Is(err, fault.ErrNotFound) {
		// Deleted since (retention): nothing left to send.
		return river.JobCancel(fmt.Errorf("mail %d: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("load mail %d: %w", id, err)
	}
	if e.Status != StatusQueued {
		return nil // already sent, or given up on
	}
	from, err := envelopeFrom(e.Raw)
	if err == nil {
		var path string
		path, err = w.sender.Send(ctx, Envelope{ID: e.ID, Created: e.Created, From: from, To: e.To}, e.Raw)
		if err == nil {
			if err := w.store.MailSent(context.WithoutCancel(ctx), id, j.Attempt, path, w.now().UTC().Truncate(time.Microsecond)); err != nil {
				return fmt.Errorf("mark mail %d sent: %w", id, err)
			}
			w.log.Info("mail sent", "mail_id", id, "attempt", j.Attempt)
			return nil
		}
	} else {
		err = Permanent(err)
	}
	permanent := IsPermanent(err)
	final := permanent || j.Attempt >= j.MaxAttempts
	if serr := w.store.MailAttemptFailed(context.WithoutCancel(ctx), id, j.Attempt, err.Error(), final); serr != nil {
		w.log.Error("record mail failure", "mail_id", id, "err", serr)
	}
	w.log.Warn("mail not sent", "mail_id", id, "attempt", j.Attempt, "max_attempts", j.MaxAttempts, "final", final, "err", err)
	if permanent {
		return river.JobCancel(err)
	}
	return err
}

var _ river.Worker[SendArgs] = (*Worker)(nil)
