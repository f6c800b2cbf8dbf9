package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// CheckPerfMetric is the metric of check performance data (response time,
// packet loss, plugin values): one series per check and value, on the
// check's asset, labelled check (its id) and perf (the value's name, as the
// probe or the plugin gives it). The check page draws them.
const CheckPerfMetric = "check_perf"

// checkPerf is the engine's supervision.PerfSink over the metric store. It
// gathers the values of results and writes them every checkPerfEvery, one
// append per asset, so that thousands of probes a minute cost a few writes
// a second rather than one each.
type checkPerf struct {
	metrics *metric.Service
	assets  func(ctx context.Context, id int64) (supervision.AssetRef, error)
	log     *slog.Logger

	mu      sync.Mutex
	pending map[int64]map[perfKey][]perfSample // by asset
	n       int
	dropped int64
	clients map[int64]int64 // asset → client, which never changes
}

var _ supervision.PerfSink = (*checkPerf)(nil)

type perfKey struct {
	check int64
	name  string
}

type perfSample struct {
	t int64 // Unix ms
	v float64
}

const (
	checkPerfEvery = 30 * time.Second
	// maxPendingPerf bounds the values held between writes: beyond, new
	// values are dropped (counted) until the next write.
	maxPendingPerf = 500_000
)

func newCheckPerf(metrics *metric.Service, assets func(ctx context.Context, id int64) (supervision.AssetRef, error), log *slog.Logger) *checkPerf {
	return &checkPerf{metrics: metrics, assets: assets, log: log, pending: map[int64]map[perfKey][]perfSample{}, clients: map[int64]int64{}}
}

// AppendCheckPerf keeps the values of one result until the next write.
func (p *checkPerf) AppendCheckPerf(_ context.Context, assetID, checkID int64, at time.Time, perf map[string]float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	byKey := p.pending[assetID]
	if byKey == nil {
		byKey = map[perfKey][]perfSample{}
		p.pending[assetID] = byKey
	}
	for name, v := range perf {
		// A plugin may report anything: a value the metric store would
		// refuse would make it refuse the whole asset's write.
		if name == "" || math.IsNaN(v) || math.IsInf(v, 0) || strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name) {
			continue
		}
		if p.n >= maxPendingPerf {
			p.dropped++
			continue
		}
		k := perfKey{checkID, name}
		byKey[k] = append(byKey[k], perfSample{at.UnixMilli(), v})
		p.n++
	}
	return nil
}

// Run writes the gathered values every checkPerfEvery, and once more when
// ctx ends.
func (p *checkPerf) Run(ctx context.Context) error {
	t := time.NewTicker(checkPerfEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			p.flush(fctx)
			cancel()
			return ctx.Err()
		case <-t.C:
			p.flush(ctx)
		}
	}
}

// flush writes what was gathered, one append per asset.
func (p *checkPerf) flush(ctx context.Context) {
	p.mu.Lock()
	pending, dropped := p.pending, p.dropped
	p.pending, p.n, p.dropped = map[int64]map[perfKey][]perfSample{}, 0, 0
	p.mu.Unlock()
	if dropped > 0 {
		p.log.Warn("check metrics: values dropped between writes", "dropped", dropped)
	}
	failed := 0
	var last error
	for assetID, byKey := range pending {
		if err := p.write(ctx, assetID, byKey); err != nil {
			failed++
			last = err
		}
	}
	if failed > 0 && ctx.Err() == nil {
		p.log.Warn("check metrics: write", "assets", failed, "err", last)
	}
}

func (p *checkPerf) write(ctx context.Context, assetID int64, byKey map[perfKey][]perfSample) error {
	clientID, err := p.clientOf(ctx, assetID)
	if err != nil {
		return err
	}
	series := make([]agentproto.Series, 0, len(byKey))
	for k, samples := range byKey {
		slices.SortFunc(samples, func(a, b perfSample) int { return cmp.Compare(a.t, b.t) })
		s := agentproto.Series{Name: CheckPerfMetric, Labels: map[string]string{"check": fmt.Sprint(k.check), "perf": clipLabel(k.name)}}
		for _, x := range samples {
			// Timestamps must increase: a second value at the same
			// millisecond replaces nothing, it is left out.
			if n := len(s.T); n > 0 && s.T[n-1] >= x.t {
				continue
			}
			s.T, s.V = append(s.T, x.t), append(s.V, x.v)
		}
		series = append(series, s)
	}
	if _, err := p.metrics.Append(ctx, clientID, assetID, series, metric.AppendOptions{}); err != nil {
		return fmt.Errorf("append check metrics of asset %d: %w", assetID, err)
	}
	return nil
}

func (p *checkPerf) clientOf(ctx context.Context, assetID int64) (int64, error) {
	p.mu.Lock()
	id, ok := p.clients[assetID]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	a, err := p.assets(ctx, assetID)
	if err != nil {
		return 0, fmt.Errorf("asset %d of check metrics: %w", assetID, err)
	}
	p.mu.Lock()
	p.clients[assetID] = a.ClientID
	p.mu.Unlock()
	return a.ClientID, nil
}

// clipLabel fits a value's name (a plugin may write anything) into a label.
func clipLabel(s string) string {
	if len(s) <= metric.MaxLabelValue {
		return s
	}
	n := metric.MaxLabelValue
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// assetRefSystem reads an asset for the engine's system work.
func assetRefSystem(st supervision.Store) func(ctx context.Context, id int64) (supervision.AssetRef, error) {
	return func(ctx context.Context, id int64) (supervision.AssetRef, error) {
		return st.AssetRef(ctx, tenant.System(), id)
	}
}
