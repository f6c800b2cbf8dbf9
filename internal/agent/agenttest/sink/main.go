// Command sink serves agenttest.Sink on an address, for measuring
// vigie-agent without a Vigie server:
//
//	go run ./internal/agent/agenttest/sink -addr 127.0.0.1:8787 -metric-interval 10
//
// It accepts the enrollment token "demo" and prints what it received
// every minute.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/vigie-hq/vigie/internal/agent/agenttest"
	"github.com/vigie-hq/vigie/internal/agentproto"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8787", "listen address")
	metric := flag.Int("metric-interval", 10, "metric interval given to the agent, seconds")
	report := flag.Int("report-interval", 10, "report interval given to the agent, seconds")
	flag.Parse()
	s := agenttest.New("demo", "sink-secret")
	set := agentproto.DefaultSettings()
	set.MetricInterval, set.ReportInterval = *metric, *report
	s.SetSettings(set)
	srv := &http.Server{Addr: *addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				_ = srv.Close()
				return
			case <-t.C:
				n, dups, b := s.Stats()
				fmt.Printf("%s reports=%d duplicates=%d body_bytes=%d\n", time.Now().UTC().Format(time.TimeOnly), n, dups, b)
			}
		}
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
