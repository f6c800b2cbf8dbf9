package notify

import (
	"context"
	"errors"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// TestResult says how a test message went.
type TestResult struct {
	// OK is true when the receiver accepted the message (or, for e-mail,
	// when it is queued in the outbox).
	OK bool `json:"ok"`
	// Queued is true for e-mail: the outbox delivers it shortly.
	Queued bool `json:"queued"`
	// Error is the receiver's refusal or the network error.
	Error string `json:"error,omitempty"`
}

// Test sends a test message to a channel at once, bypassing the queue and
// the rate limit, so that whoever sets a channel up sees whether it works.
// A refused message is a result, not an error.
func (svc *Service) Test(ctx context.Context, s tenant.Scope, id int64) (TestResult, error) {
	if !s.Can(tenant.SupervisionWrite) {
		return TestResult{}, fault.ErrForbidden
	}
	ch, err := svc.d.Store.NotifyChannel(ctx, s, id)
	if err != nil {
		return TestResult{}, err
	}
	now := svc.now()
	lang := "fr"
	if ch.ClientID != nil {
		lang = svc.clientInfo(ctx, *ch.ClientID).lang
	} else if svc.d.Providers != nil {
		if p, err := svc.d.Providers.Get(ctx); err == nil && p.Language != "" {
			lang = p.Language
		}
	}
	m := message{lang: pickLang(lang), channel: ch, test: true, at: now}
	var sendErr error
	if ch.Kind == KindEmail {
		sendErr = svc.sendMail(ctx, m)
	} else {
		sendErr = svc.post(ctx, m)
	}
	res := TestResult{OK: sendErr == nil, Queued: sendErr == nil && ch.Kind == KindEmail}
	if sendErr != nil {
		if ctx.Err() != nil && errors.Is(sendErr, ctx.Err()) {
			return TestResult{}, sendErr
		}
		res.Error = errorText(sendErr)
	}
	if err := svc.d.Store.NotifyChannelResult(context.WithoutCancel(ctx), id, now, res.Error); err != nil {
		svc.d.Log.Warn("record notification channel result", "channel_id", id, "err", err)
	}
	return res, nil
}

// Sweep schedules a flush for every channel whose alerts have waited longer
// than they should: an alert queued while its channel's flush job was
// finishing found that job still running and joined it too late.
func (svc *Service) Sweep(ctx context.Context) error {
	if svc.d.Queue == nil {
		return errors.New("notify: no job queue")
	}
	ids, err := svc.d.Store.PendingNotifyChannels(ctx, svc.now().Add(-2*svc.d.GroupWindow-time.Minute))
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := svc.d.Store.InTx(ctx, func(ctx context.Context) error {
			gens, err := svc.d.Store.NotifyFlushGens(ctx, []int64{id})
			if err != nil {
				return err
			}
			return svc.schedule(ctx, id, gens[id], svc.now())
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Run sweeps every minute and purges what is older than Retention every
// hour, until ctx ends (background work of the app).
func (svc *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var purged time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := svc.Sweep(ctx); err != nil && ctx.Err() == nil {
				svc.d.Log.Warn("sweep notifications", "err", err)
			}
			if now := svc.now(); now.Sub(purged) >= time.Hour {
				purged = now
				if n, err := svc.d.Store.PurgeNotify(ctx, now.Add(-Retention)); err != nil && ctx.Err() == nil {
					svc.d.Log.Warn("purge notifications", "err", err)
				} else if n > 0 {
					svc.d.Log.Info("notifications purged", "alerts", n)
				}
			}
		}
	}
}
