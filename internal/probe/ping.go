package probe

import (
	"context"
	"os"
	"strconv"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/vigie-hq/vigie/internal/fault"
)

// Ping sends ICMP echo requests and grades packet loss and round trip.
// It uses raw sockets when running as root, otherwise unprivileged ICMP
// ("UDP ping", allowed by net.ipv4.ping_group_range); when neither is
// permitted the result is Unknown with the reason.
type Ping struct {
	Host         string
	Count        int           // echo requests, default 3, at most 100
	Interval     time.Duration // between requests, default 1 s, at least 10 ms
	LossWarning  float64       // percent, default 20 (or LossCritical if lower)
	LossCritical float64       // percent, default 60; 100 % loss is always Critical
	RTTWarning   time.Duration // average round trip (0: none)
	RTTCritical  time.Duration // average round trip (0: none)
	Timeout      time.Duration // default 10 s, at most 60 s
}

func (p *Ping) params() (count int, interval time.Duration, lw, lc float64) {
	count, interval, lw, lc = p.Count, p.Interval, p.LossWarning, p.LossCritical
	if count == 0 {
		count = 3
	}
	if interval == 0 {
		interval = time.Second
	}
	if lc == 0 {
		lc = 60
	}
	if lw == 0 {
		lw = min(20, lc) // a critical set below the default warning lowers it
	}
	return
}

// Validate checks the definition.
func (p *Ping) Validate() error {
	v := &fault.Invalid{}
	checkHost(v, "host", p.Host)
	if p.Count < 0 || p.Count > 100 {
		v.Add("count", "out_of_range", "1-100")
	}
	if p.Interval != 0 && (p.Interval < 10*time.Millisecond || p.Interval > 10*time.Second) {
		v.Add("interval", "out_of_range", "10ms-10s")
	}
	if p.LossWarning > 100 {
		v.Add("loss_warning", "out_of_range", "0-100")
	}
	if p.LossCritical > 100 {
		v.Add("loss_critical", "out_of_range", "0-100")
	}
	_, _, lw, lc := p.params()
	checkThresholds(v, "loss", p.LossWarning, p.LossCritical)
	if !v.Has("loss_critical") && lc < lw {
		v.Add("loss_critical", "below_warning")
	}
	checkThresholds(v, "rtt", ms(p.RTTWarning), ms(p.RTTCritical))
	checkTimeout(v, p.Timeout)
	count, interval, _, _ := p.params()
	if !v.Has("count") && !v.Has("interval") && !v.Has("timeout") && time.Duration(count-1)*interval >= timeout(p.Timeout) {
		v.Add("interval", "exceeds_timeout")
	}
	return v.Err()
}

// Run pings the host Count times and waits for the replies until the timeout.
func (p *Ping) Run(ctx context.Context) Result {
	return guard(ctx, p.Timeout, func(ctx context.Context) Result {
		if err := p.Validate(); err != nil {
			return invalid(err)
		}
		count, interval, lw, lc := p.params()
		ips, err := (&resolver{}).lookup(ctx, p.Host)
		if err != nil {
			return Result{State: Critical, Output: line("PING " + p.Host + ": " + errText(ctx, err))}
		}
		deadline, _ := ctx.Deadline()
		var stats *probing.Statistics
		var lastErr error
		modes := []bool{false}
		if os.Geteuid() == 0 {
			modes = []bool{true, false}
		}
		for _, privileged := range modes {
			pg := probing.New(p.Host)
			pg.SetLogger(probing.NoopLogger{})
			pg.SetIPAddr(ips)
			pg.SetPrivileged(privileged)
			pg.Count = count
			pg.Interval = interval
			pg.Timeout = time.Until(deadline)
			if err := pg.RunWithContext(ctx); err != nil {
				lastErr = err
				continue
			}
			stats = pg.Statistics()
			break
		}
		if stats == nil {
			return Result{State: Unknown, Output: line("PING " + p.Host + ": cannot send ICMP (" + lastErr.Error() + "); needs root or net.ipv4.ping_group_range")}
		}
		perf := map[string]float64{"loss_percent": stats.PacketLoss, "sent": float64(stats.PacketsSent), "received": float64(stats.PacketsRecv)}
		head := "PING " + p.Host + ": " + strconv.FormatFloat(stats.PacketLoss, 'f', 0, 64) + "% loss"
		if stats.PacketsRecv == 0 {
			return Result{State: Critical, Output: head + " (" + strconv.Itoa(stats.PacketsSent) + " sent, no reply)", Perf: perf}
		}
		perf["rtt_ms"] = ms(stats.AvgRtt)
		perf["rtt_min_ms"] = ms(stats.MinRtt)
		perf["rtt_max_ms"] = ms(stats.MaxRtt)
		st := max(grade(stats.PacketLoss, lw, lc), grade(ms(stats.AvgRtt), ms(p.RTTWarning), ms(p.RTTCritical)))
		return Result{State: st, Output: head + ", rtt avg " + fmtMS(stats.AvgRtt) + " (min " + fmtMS(stats.MinRtt) + ", max " + fmtMS(stats.MaxRtt) + ")", Perf: perf}
	})
}
