package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Worker sends the pending alerts of a channel (FlushArgs jobs). Register it
// with river.AddWorker.
type Worker struct {
	river.WorkerDefaults[FlushArgs]
	svc *Service
}

// Worker returns the flush worker of the service.
func (svc *Service) Worker() *Worker { return &Worker{svc: svc} }

var _ river.Worker[FlushArgs] = (*Worker)(nil)

// leaseTime bounds how long a flush that died keeps others from sending:
// longer than any flush (a job runs at most a minute).
const leaseTime = 2 * time.Minute

// permanentError is a refusal that retrying will not change (a 4xx answer).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Work sends one message with the channel's pending alerts: one alert as
// itself, several grouped. Over the rate limit it waits for the end of the
// window (the job is snoozed, alerts arriving meanwhile join it). A refusal
// for good (4xx) marks the alerts failed; any other failure is returned so
// that River retries, until the last attempt marks them failed.
func (w *Worker) Work(ctx context.Context, j *river.Job[FlushArgs]) error {
	svc := w.svc
	id := j.Args.ChannelID
	ch, err := svc.d.Store.NotifyChannel(ctx, tenant.System(), id)
	if errors.Is(err, fault.ErrNotFound) {
		return nil // deleted with its pending alerts
	}
	if err != nil {
		return fmt.Errorf("load notification channel %d: %w", id, err)
	}
	// One flush of a channel sends at a time (jobs of two generations may
	// be due together).
	now := svc.now()
	lease := now.Add(leaseTime)
	got, err := svc.d.Store.AcquireNotifyLease(ctx, id, now, lease)
	if err != nil {
		return err
	}
	if !got {
		return river.JobSnooze(time.Second)
	}
	ended := false
	defer func() {
		if ended {
			return
		}
		if err := svc.d.Store.ReleaseNotifyLease(context.WithoutCancel(ctx), id, lease); err != nil {
			svc.d.Log.Warn("release notification lease", "channel_id", id, "err", err)
		}
	}()
	// end closes a flush that is done (not retried, not waiting): alerts
	// that came meanwhile, or did not fit, go in the next message.
	end := func() error {
		left, err := svc.d.Store.EndNotifyFlush(context.WithoutCancel(ctx), id, lease)
		if err != nil {
			return fmt.Errorf("end flush of channel %d: %w", id, err)
		}
		ended = true
		if left > 0 {
			return river.JobSnooze(svc.d.GroupWindow)
		}
		return nil
	}
	items, total, err := svc.d.Store.PendingNotifyItems(ctx, id, maxPerMessage)
	if err != nil {
		return fmt.Errorf("load pending notifications of channel %d: %w", id, err)
	}
	if len(items) == 0 {
		return end()
	}
	if !ch.Enabled {
		if err := svc.finish(ctx, ch, items, now, errors.New("channel disabled")); err != nil {
			return err
		}
		return end()
	}
	if wait, err := svc.rateWait(ctx, id, now); err != nil {
		return err
	} else if wait > 0 {
		svc.d.Log.Info("notification rate limit reached; grouping", "channel_id", id, "pending", total, "wait", wait)
		return river.JobSnooze(wait)
	}
	m := message{lang: svc.language(ctx, ch, items), channel: ch, at: now}
	for _, it := range items {
		m.alerts = append(m.alerts, it.Alert)
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	d := Delivery{ChannelID: id, SentAt: now, Alerts: len(items), OK: true}
	if ch.Kind == KindEmail {
		// Queued in the outbox and marked sent in one transaction: the
		// mail job delivers it, and retries it, from there.
		err = svc.d.Store.InTx(ctx, func(ctx context.Context) error {
			if err := svc.sendMail(ctx, m); err != nil {
				return err
			}
			return svc.d.Store.NotifyItemsDelivered(ctx, &d, ids)
		})
		if err != nil {
			return svc.failed(ctx, j, ch, items, now, err, end)
		}
	} else {
		if err := svc.post(ctx, m); err != nil {
			return svc.failed(ctx, j, ch, items, now, err, end)
		}
		// The receiver has it: record it even if the job's context ends now.
		if err := svc.d.Store.NotifyItemsDelivered(context.WithoutCancel(ctx), &d, ids); err != nil {
			return fmt.Errorf("mark notifications of channel %d sent: %w", id, err)
		}
	}
	if err := svc.d.Store.NotifyChannelResult(context.WithoutCancel(ctx), id, now, ""); err != nil {
		svc.d.Log.Warn("record notification channel result", "channel_id", id, "err", err)
	}
	svc.d.Log.Info("notification sent", "channel_id", id, "kind", ch.Kind, "alerts", len(items))
	return end()
}

// failed handles a failed send: a permanent refusal, or the last attempt,
// marks the alerts failed and ends the flush; otherwise the error goes back
// to River, and alerts queued until the retry join it.
func (svc *Service) failed(ctx context.Context, j *river.Job[FlushArgs], ch Channel, items []Item, now time.Time, err error, end func() error) error {
	final := isPermanent(err) || j.Attempt >= j.MaxAttempts
	svc.d.Log.Warn("notification not sent", "channel_id", ch.ID, "kind", ch.Kind, "attempt", j.Attempt, "final", final, "err", err)
	if final {
		if err := svc.finish(ctx, ch, items, now, err); err != nil {
			return err
		}
		return end()
	}
	if rerr := svc.d.Store.NotifyChannelResult(context.WithoutCancel(ctx), ch.ID, now, errorText(err)); rerr != nil {
		svc.d.Log.Warn("record notification channel result", "channel_id", ch.ID, "err", rerr)
	}
	return err
}

// finish marks the alerts failed for good with the reason.
func (svc *Service) finish(ctx context.Context, ch Channel, items []Item, now time.Time, cause error) error {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	d := Delivery{ChannelID: ch.ID, SentAt: now, Alerts: len(items), OK: false, Error: errorText(cause)}
	ctx = context.WithoutCancel(ctx)
	if err := svc.d.Store.NotifyItemsDelivered(ctx, &d, ids); err != nil {
		return fmt.Errorf("mark notifications of channel %d failed: %w", ch.ID, err)
	}
	if err := svc.d.Store.NotifyChannelResult(ctx, ch.ID, now, d.Error); err != nil {
		svc.d.Log.Warn("record notification channel result", "channel_id", ch.ID, "err", err)
	}
	return nil
}

func errorText(err error) string {
	s := err.Error()
	if len(s) > 1000 {
		s = strings.ToValidUTF8(s[:1000], "")
	}
	return s
}

// rateWait returns how long the channel must wait before its next message:
// zero under the limit, else until the oldest message of the window leaves it.
func (svc *Service) rateWait(ctx context.Context, channelID int64, now time.Time) (time.Duration, error) {
	ds, err := svc.d.Store.NotifyDeliveries(ctx, channelID, now.Add(-svc.d.RateWindow))
	if err != nil {
		return 0, fmt.Errorf("load deliveries of channel %d: %w", channelID, err)
	}
	var sent []time.Time
	for _, d := range ds {
		if d.OK {
			sent = append(sent, d.SentAt)
		}
	}
	if len(sent) < svc.d.RateLimit {
		return 0, nil
	}
	// The window frees a place when the (len-limit+1)-th newest message leaves it.
	oldest := sent[len(sent)-svc.d.RateLimit]
	wait := oldest.Add(svc.d.RateWindow).Sub(now)
	return max(wait, time.Second), nil
}

// language is the channel's client's, or the provider's for a channel of
// every client whose alerts concern several clients.
func (svc *Service) language(ctx context.Context, ch Channel, items []Item) string {
	same := true
	for _, it := range items {
		same = same && it.Alert.ClientLang == items[0].Alert.ClientLang
	}
	if (ch.ClientID != nil || same) && len(items) > 0 && items[0].Alert.ClientLang != "" {
		return pickLang(items[0].Alert.ClientLang)
	}
	if svc.d.Providers != nil {
		if p, err := svc.d.Providers.Get(ctx); err == nil && p.Language != "" {
			return pickLang(p.Language)
		}
	}
	return "fr"
}

func pickLang(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "fr"
}

// sendMail queues the e-mail of a message in the outbox.
func (svc *Service) sendMail(ctx context.Context, m message) error {
	html, err := svc.mailBodyHTML(m)
	if err != nil {
		return &permanentError{err}
	}
	msg := mail.Message{To: m.channel.Recipients(), Subject: svc.mailSubject(m), Text: svc.mailText(m), HTML: html, ClientID: m.channel.ClientID,
		Headers: map[string]string{"X-Vigie-Notification": strconv.FormatInt(m.channel.ID, 10)}}
	if msg.ClientID == nil && len(m.alerts) > 0 {
		allSame := true
		for _, a := range m.alerts {
			allSame = allSame && a.ClientID == m.alerts[0].ClientID
		}
		if allSame {
			id := m.alerts[0].ClientID
			msg.ClientID = &id
		}
	}
	if svc.d.Mail == nil {
		return errors.New("queue e-mail: no mail outbox")
	}
	if _, _, err := svc.d.Mail.Send(ctx, msg); err != nil {
		if _, ok := fault.AsInvalid(err); ok {
			return &permanentError{fmt.Errorf("queue e-mail: %w", err)}
		}
		return fmt.Errorf("queue e-mail: %w", err)
	}
	return nil
}

// maxResponse bounds what is read of a receiver's answer.
const maxResponse = 64 << 10

// Sign returns the signature header value of a webhook body sent at ts
// (Unix seconds): "sha256=" and the hex HMAC-SHA256 of "ts.body" under secret.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends a message to the channel's URL. A 2xx is success; 408, 425,
// 429 and 5xx, or no answer, are worth retrying; any other answer is
// permanent.
func (svc *Service) post(ctx context.Context, m message) error {
	body, err := svc.httpBody(m)
	if err != nil {
		return &permanentError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, svc.d.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.channel.Target, bytes.NewReader(body))
	if err != nil {
		return &permanentError{fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigie-Notify/1")
	if m.channel.Kind == KindWebhook {
		ts := m.at.Unix()
		event := "grouped"
		switch {
		case m.test:
			event = string(EventTest)
		case len(m.alerts) == 1:
			event = string(m.alerts[0].Event)
		}
		req.Header.Set("X-Vigie-Event", event)
		req.Header.Set("X-Vigie-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Vigie-Signature", Sign(m.channel.Secret, ts, body))
	}
	resp, err := svc.http.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	head := make([]byte, 300)
	n, _ := io.ReadFull(io.LimitReader(resp.Body, int64(len(head))), head)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("receiver answered %s: %s", resp.Status, strings.TrimSpace(strings.ToValidUTF8(string(head[:n]), "")))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooEarly,
		resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return err
	}
	return &permanentError{err}
}
