package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/metric"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// reportFSWorkers is how many assets' filesystems are read at once.
const reportFSWorkers = 4

// ReportFilesystems returns the used-percent series of the filesystems of
// the client's assets over [from, to], one per mount, as hourly means (the
// metric store's hourly rollups, the not yet rolled-up tail computed from
// raw samples), by asset then mount.
func (db *DB) ReportFilesystems(ctx context.Context, clientID int64, from, to time.Time) ([]report.FSSeries, error) {
	rows, err := db.query(ctx, `SELECT DISTINCT s.asset_id, a.name FROM metric_series s JOIN assets a ON a.id = s.asset_id
WHERE s.client_id = ? AND a.client_id = ? AND s.name = ? ORDER BY s.asset_id`, clientID, clientID, agentproto.MetricFSUsed)
	if err != nil {
		return nil, fmt.Errorf("read filesystem series: %w", err)
	}
	type assetName struct {
		id   int64
		name string
	}
	assets, err := collect(rows, func(row scanner) (assetName, error) {
		var a assetName
		return a, translate(row.Scan(&a.id, &a.name))
	})
	if err != nil {
		return nil, fmt.Errorf("read filesystem series: %w", err)
	}
	if len(assets) == 0 {
		return nil, nil
	}
	// Query decodes the chunks; its clock only chooses a resolution, and
	// the resolution is given.
	svc := metric.NewService(db, func() time.Time { return to }, slog.New(slog.DiscardHandler))
	hourly := metric.Hourly
	// A few assets at a time: each query is a few round trips, which
	// overlap well on PostgreSQL and on SQLite's pool of readers.
	per := make([][]report.FSSeries, len(assets))
	errs := make([]error, len(assets))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(reportFSWorkers, len(assets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a := assets[i]
				res, err := svc.Query(ctx, tenant.System(), metric.Query{AssetID: a.id, Name: agentproto.MetricFSUsed, From: from, To: to, Resolution: &hourly})
				if err != nil {
					errs[i] = fmt.Errorf("read filesystems of asset %d: %w", a.id, err)
					continue
				}
				for _, r := range res {
					if r.Series.ClientID != clientID {
						continue
					}
					s := report.FSSeries{AssetID: a.id, Asset: a.name, Mount: r.Series.Labels["mount"], Points: make([]report.FSPoint, len(r.Points))}
					for j, p := range r.Points {
						s.Points[j] = report.FSPoint{T: p.T, UsedPercent: p.Avg}
					}
					per[i] = append(per[i], s)
				}
			}
		}()
	}
	for i := range assets {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []report.FSSeries
	for _, ss := range per {
		out = append(out, ss...)
	}
	return out, nil
}
