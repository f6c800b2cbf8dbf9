package agent

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/vigie-hq/vigie/internal/agent/spool"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

// Sender replays the spool to the server, oldest batch first, one at a
// time. A batch leaves the spool only once the server acknowledged its Seq.
type Sender struct {
	Spool  *spool.Spool
	Client *Client
	Log    *slog.Logger
	// Wake is signalled (non-blocking) when a batch was spooled.
	Wake chan struct{}
	// OnAck is called after each acknowledged batch (settings version check).
	OnAck func(ctx context.Context, ack agentproto.Ack)
	// OnLost is called for a batch carrying an inventory that was dropped
	// without being stored, so that the inventory is sent again.
	OnLost func()

	MinBackoff, MaxBackoff time.Duration // 1 s and 5 min when zero
	// RevokedRetry is how long to wait before trying again after the
	// server refused the agent's secret (a restored database or a mistaken
	// revocation may accept it again); zero stops sending at the first
	// refusal and returns ErrRevoked.
	RevokedRetry time.Duration
	// Sleep waits d or until ctx is done; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func(n int64) int64 // uniform in [0, n); rand.Int64N when nil
}

// ErrRevoked means the server does not know the agent (any more).
var ErrRevoked = errors.New("agent revoked or unknown: re-enroll with vigie-agent enroll --server URL --token TOKEN")

// Run sends until ctx is done. When the server refuses the agent's secret
// it tries again every RevokedRetry, or, with none, returns ErrRevoked: the
// caller keeps spooling either way.
func (s *Sender) Run(ctx context.Context) error {
	minB, maxB := s.MinBackoff, s.MaxBackoff
	if minB == 0 {
		minB = time.Second
	}
	if maxB == 0 {
		maxB = 5 * time.Minute
	}
	sleep := s.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	rnd := s.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	attempt := 0
	for ctx.Err() == nil {
		e, r, err := s.Spool.Oldest()
		if errors.Is(err, spool.ErrEmpty) {
			select {
			case <-ctx.Done():
			case <-s.Wake:
			}
			continue
		}
		if err != nil {
			s.Log.Error("read spool", "err", err)
			if sleep(ctx, maxB) != nil {
				break
			}
			continue
		}
		dropped := s.Spool.Dropped()
		r.Dropped = dropped
		r.Sent = time.Now().UTC()
		ack, err := s.Client.Report(ctx, r)
		if err == nil && ack.Seq != r.Seq {
			s.Log.Warn("server acknowledged another batch; resending", "sent", r.Seq, "acked", ack.Seq)
			err = errors.New("acknowledged seq mismatch")
		}
		if err == nil {
			attempt = 0
			if err := s.Spool.Remove(e); err != nil {
				s.Log.Error("remove acknowledged batch", "seq", r.Seq, "err", err)
			}
			if err := s.Spool.Reported(dropped); err != nil {
				s.Log.Error("save dropped count", "err", err)
			}
			s.Log.Debug("batch acknowledged", "seq", r.Seq, "duplicate", ack.Duplicate, "samples", ack.Samples)
			if ack.DroppedOld > 0 {
				s.Log.Warn("server dropped samples older than its retention", "seq", r.Seq, "samples", ack.DroppedOld)
			}
			if s.OnAck != nil {
				s.OnAck(ctx, ack)
			}
			continue
		}
		if ctx.Err() != nil {
			break
		}
		var se *ServerError
		if errors.As(err, &se) {
			switch se.Code() {
			case agentproto.CodeUnauthorized:
				if s.RevokedRetry <= 0 {
					s.Log.Error("agent revoked or unknown: re-enroll (vigie-agent enroll --server URL --token TOKEN); batches stay spooled", "err", err)
					return ErrRevoked
				}
				s.Log.Error("agent revoked or unknown: re-enroll (vigie-agent enroll --server URL --token TOKEN); batches stay spooled, trying again later",
					"retry_in", s.RevokedRetry, "spooled", s.Spool.Len(), "err", err)
				if sleep(ctx, s.RevokedRetry) != nil {
					return ctx.Err()
				}
				continue
			case agentproto.CodeInvalid:
				s.Log.Error("server refused batch as invalid; dropped", "seq", r.Seq, "err", err)
				s.drop(e, r)
				continue
			case agentproto.CodeTooLarge:
				ok, serr := s.Spool.Split(e, r)
				if serr != nil {
					s.Log.Error("split batch", "seq", r.Seq, "err", serr)
				} else if ok {
					s.Log.Warn("server found batch too large; split in two", "seq", r.Seq, "series", len(r.Series))
					continue
				} else {
					s.Log.Error("batch too large and cannot be split; dropped", "seq", r.Seq)
					s.drop(e, r)
					continue
				}
			}
		}
		// Network errors, 5xx, 429 and anything unexpected: back off with
		// full jitter, honouring Retry-After.
		ceiling := min(maxB, minB<<min(attempt, 20))
		wait := time.Duration(rnd(int64(ceiling)) + 1)
		if se != nil && se.RetryAfter > 0 {
			wait = min(se.RetryAfter, time.Hour)
		}
		attempt++
		lvl := slog.LevelWarn
		if se != nil && se.Status == http.StatusTooManyRequests {
			lvl = slog.LevelInfo
		}
		s.Log.Log(ctx, lvl, "send failed; retrying", "seq", r.Seq, "attempt", attempt, "wait", wait.Round(time.Millisecond), "spooled", s.Spool.Len(), "err", err)
		if sleep(ctx, wait) != nil {
			break
		}
	}
	return ctx.Err()
}

func (s *Sender) drop(e spool.Entry, r *agentproto.Report) {
	if err := s.Spool.Remove(e); err != nil {
		s.Log.Error("remove refused batch", "seq", r.Seq, "err", err)
	}
	if err := s.Spool.CountDropped(1); err != nil {
		s.Log.Error("save dropped count", "err", err)
	}
	if r.Inventory != nil && s.OnLost != nil {
		s.OnLost()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
