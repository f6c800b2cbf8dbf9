package helpdeskmail

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// PollOptions tune the mailbox pollers. Zero values take the defaults.
type PollOptions struct {
	// Interval is how often a mailbox is read when the server has no IDLE,
	// and the longest wait in IDLE before reading anyway (default 60 s).
	Interval time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting after an
	// error; it doubles from one to the other (defaults 2 s and 5 min).
	MinBackoff, MaxBackoff time.Duration
	// Reload is how often the list of mailboxes is read again (default 1 min).
	Reload time.Duration
	// TLSConfig is used for TLS and STARTTLS (default: the system's roots).
	TLSConfig *tls.Config
}

func (o *PollOptions) defaults() {
	if o.Interval <= 0 {
		o.Interval = 60 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Reload <= 0 {
		o.Reload = time.Minute
	}
}

// Poller reads one mailbox: it connects, fetches the messages with a UID
// above the last processed for the folder's UIDVALIDITY, delivers each
// exactly once, then waits in IDLE (or polls) and reconnects with backoff
// after an error. Messages are never moved nor deleted on the server.
type Poller struct {
	svc  *Service
	id   int64
	opts PollOptions
	log  *slog.Logger
}

// NewPoller returns the poller of a mailbox.
func (svc *Service) NewPoller(mailboxID int64, opts PollOptions) *Poller {
	opts.defaults()
	return &Poller{svc: svc, id: mailboxID, opts: opts, log: svc.log.With("mailbox", mailboxID)}
}

// Run reads the mailbox until ctx ends; it returns ctx's error.
func (p *Poller) Run(ctx context.Context) error {
	backoff := p.opts.MinBackoff
	for {
		healthy, err := p.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if healthy {
			backoff = p.opts.MinBackoff
		}
		if err != nil {
			p.log.Warn("mailbox poll failed", "err", err, "retry_in", backoff)
			if err := p.svc.store.MailboxPolled(context.WithoutCancel(ctx), p.id, p.svc.clock(), err.Error()); err != nil {
				p.log.Warn("record mailbox error", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, p.opts.MaxBackoff)
	}
}

// session is one connection; healthy reports whether it got as far as
// reading the folder (so the backoff starts over).
func (p *Poller) session(ctx context.Context) (healthy bool, err error) {
	mb, err := p.svc.store.Mailbox(ctx, p.id)
	if err != nil {
		return false, fmt.Errorf("load mailbox: %w", err)
	}
	if !mb.Enabled {
		return false, errors.New("mailbox disabled")
	}
	arrived := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: p.opts.TLSConfig,
		Dialer:    &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case arrived <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	if opts.TLSConfig == nil {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if opts.TLSConfig.ServerName == "" {
		opts.TLSConfig = opts.TLSConfig.Clone()
		opts.TLSConfig.ServerName = mb.Host
	}
	addr := net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port))
	var c *imapclient.Client
	switch mb.TLS {
	case TLSImplicit:
		c, err = imapclient.DialTLS(addr, opts)
	case TLSStart:
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer c.Close()
	// Closing the connection unblocks any command in flight when ctx ends.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
		return false, fmt.Errorf("login: %w", err)
	}
	sel, err := c.Select(mb.Folder, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("select %q: %w", mb.Folder, err)
	}
	p.log.Debug("mailbox selected", "uidvalidity", sel.UIDValidity, "messages", sel.NumMessages)
	for {
		if err := p.fetchNew(ctx, c, mb, sel.UIDValidity); err != nil {
			return true, err
		}
		if err := p.svc.store.MailboxPolled(ctx, p.id, p.svc.clock(), ""); err != nil {
			return true, err
		}
		if err := p.wait(ctx, c, arrived); err != nil {
			return true, err
		}
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		// A changed configuration takes effect on a new connection.
		cur, err := p.svc.store.Mailbox(ctx, p.id)
		if err != nil {
			return true, err
		}
		if !cur.Updated.Equal(mb.Updated) {
			return true, nil
		}
	}
}

// wait returns when new messages may have arrived: at once when the server
// said so, else after an IDLE notification or the poll interval.
func (p *Poller) wait(ctx context.Context, c *imapclient.Client, arrived <-chan struct{}) error {
	select {
	case <-arrived:
		return nil
	default:
	}
	timer := time.NewTimer(p.opts.Interval)
	defer timer.Stop()
	if !c.Caps().Has(imap.CapIdle) {
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		return nil
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-arrived:
	case <-timer.C:
	case <-c.Closed():
	}
	if err := idle.Close(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("end idle: %w", err)
	}
	if err := idle.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("idle: %w", err)
	}
	return nil
}

// fetchNew delivers, in UID order, the messages above the last processed.
func (p *Poller) fetchNew(ctx context.Context, c *imapclient.Client, mb Mailbox, uidValidity uint32) error {
	last, err := p.svc.store.LastUID(ctx, mb.ID, uidValidity)
	if err != nil {
		return err
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(last+1), 0) // last+1:*
	msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return fmt.Errorf("list new messages: %w", err)
	}
	type item struct {
		uid  imap.UID
		size int64
	}
	var pending []item
	for _, m := range msgs {
		// "n:*" always matches the last message, even below n.
		if uint32(m.UID) > last {
			pending = append(pending, item{m.UID, m.RFC822Size})
		}
	}
	slices.SortFunc(pending, func(a, b item) int { return cmp.Compare(a.uid, b.uid) })
	for _, it := range pending {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d := Delivery{MailboxID: mb.ID, UIDValidity: uidValidity, UID: uint32(it.uid)}
		section := &imap.FetchItemBodySection{Peek: true}
		if it.size > MaxMessageSize {
			section = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
			d.TooLarge = it.size
		}
		bufs, err := c.Fetch(imap.UIDSetNum(it.uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch message %d: %w", it.uid, err)
		}
		for _, b := range bufs {
			if b.UID == it.uid {
				d.Raw = b.FindBodySection(section)
			}
		}
		if d.Raw == nil {
			return fmt.Errorf("fetch message %d: no content returned", it.uid)
		}
		res, err := p.svc.Deliver(ctx, d)
		if err != nil {
			return fmt.Errorf("process message %d: %w", it.uid, err)
		}
		p.log.Debug("message processed", "uid", it.uid, "outcome", res.Outcome)
		if mb.MarkSeen {
			flags := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
			if err := c.Store(imap.UIDSetNum(it.uid), flags, nil).Close(); err != nil {
				p.log.Warn("flag message seen", "uid", it.uid, "err", err)
			}
		}
	}
	return nil
}

// Run reads every enabled mailbox, each with its own Poller, until ctx
// ends. The list is read again every PollOptions.Reload: a mailbox added,
// enabled or disabled is picked up then.
func (svc *Service) Run(ctx context.Context, opts PollOptions) error {
	opts.defaults()
	type running struct{ cancel context.CancelFunc }
	pollers := map[int64]running{}
	var wg sync.WaitGroup
	defer func() {
		for _, r := range pollers {
			r.cancel()
		}
		wg.Wait()
	}()
	t := time.NewTicker(opts.Reload)
	defer t.Stop()
	for {
		mbs, err := svc.store.Mailboxes(ctx)
		if err != nil && ctx.Err() == nil {
			svc.log.Warn("load mailboxes", "err", err)
		}
		if err == nil {
			want := map[int64]bool{}
			for _, m := range mbs {
				if m.Enabled {
					want[m.ID] = true
				}
			}
			for id, r := range pollers {
				if !want[id] {
					r.cancel()
					delete(pollers, id)
				}
			}
			for id := range want {
				if _, ok := pollers[id]; ok {
					continue
				}
				pctx, cancel := context.WithCancel(ctx)
				pollers[id] = running{cancel}
				p := svc.NewPoller(id, opts)
				wg.Go(func() { _ = p.Run(pctx) })
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
