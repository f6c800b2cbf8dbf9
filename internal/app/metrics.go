package app

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are Vigie's own Prometheus metrics, on a registry of the App (no globals).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
}

func newMetrics(a *App) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vigie_http_request_duration_seconds",
		Help:    "Latency of HTTP requests by route pattern and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "code"})
	m.reg.MustRegister(m.requests,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&dbCollector{a: a},
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var (
	dbOpen  = prometheus.NewDesc("vigie_db_connections_open", "Open database connections by pool.", []string{"pool"}, nil)
	dbInUse = prometheus.NewDesc("vigie_db_connections_in_use", "Database connections in use by pool.", []string{"pool"}, nil)
	dbWait  = prometheus.NewDesc("vigie_db_wait_seconds_total", "Time spent waiting for a database connection, by pool.", []string{"pool"}, nil)
	jobsBy  = prometheus.NewDesc("vigie_jobs", "Jobs in the durable queue by state.", []string{"state"}, nil)
)

// dbCollector reads pool statistics and queue counts at scrape time.
type dbCollector struct{ a *App }

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dbOpen
	ch <- dbInUse
	ch <- dbWait
	ch <- jobsBy
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	w, r := c.a.DB.Stats()
	for pool, s := range map[string]struct {
		open, inUse int
		wait        time.Duration
	}{"write": {w.OpenConnections, w.InUse, w.WaitDuration}, "read": {r.OpenConnections, r.InUse, r.WaitDuration}} {
		ch <- prometheus.MustNewConstMetric(dbOpen, prometheus.GaugeValue, float64(s.open), pool)
		ch <- prometheus.MustNewConstMetric(dbInUse, prometheus.GaugeValue, float64(s.inUse), pool)
		ch <- prometheus.MustNewConstMetric(dbWait, prometheus.CounterValue, s.wait.Seconds(), pool)
	}
	if c.a.jobCounts != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		counts, err := c.a.jobCounts(ctx)
		if err == nil {
			for state, n := range counts {
				ch <- prometheus.MustNewConstMetric(jobsBy, prometheus.GaugeValue, float64(n), state)
			}
		}
	}
}
