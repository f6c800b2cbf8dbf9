package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/check"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// seedChecks creates clients × assetsPerClient assets with checksPerAsset
// checks each (kinds in turn) and returns the clients and the checks' ids.
func seedChecks(b testing.TB, db *store.DB, clients, assetsPerClient, checksPerAsset int) ([]int64, []int64) {
	b.Helper()
	ctx := context.Background()
	kinds := []supervision.Kind{supervision.KindHTTP, supervision.KindCPU, supervision.KindFilesystem, supervision.KindPing, supervision.KindTCP}
	var clientIDs, checkIDs []int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		for i := range clients {
			c := client.Client{Code: fmt.Sprintf("S%04d", i), Name: fmt.Sprintf("Client %04d", i), TimeZone: "Europe/Paris", Language: "fr"}
			if err := db.CreateClient(ctx, sys, &c); err != nil {
				return err
			}
			clientIDs = append(clientIDs, c.ID)
			for j := range assetsPerClient {
				a := asset.Asset{ClientID: c.ID, Kind: asset.KindServer, Name: fmt.Sprintf("srv-%04d-%02d", i, j), Criticality: asset.CriticalityNormal, Fields: map[string]string{}}
				if err := db.CreateAsset(ctx, sys, &a); err != nil {
					return err
				}
				for k := range checksPerAsset {
					ch := supervision.Check{AssetID: a.ID, Name: fmt.Sprintf("check %d", k), Rules: rules(kinds[k%len(kinds)]), Enabled: true}
					if err := db.CreateCheck(ctx, sys, &ch); err != nil {
						return err
					}
					checkIDs = append(checkIDs, ch.ID)
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return clientIDs, checkIDs
}

// benchStatus is the status of the i-th check: one in 20 a problem
// (critical, warning or unknown, some acknowledged), the others OK.
func benchStatus(id int64, i int, at time.Time) supervision.Status {
	st := check.Status{State: check.OK, Since: at.Add(-time.Duration(i) * time.Second), LastCheck: at, Output: "OK - 12 ms", HistoryLen: 21}
	if i%20 == 0 {
		st.State = []check.State{check.Critical, check.Warning, check.Unknown}[(i/20)%3]
		st.HardState, st.Attempt, st.Output = st.State, 3, "CRITICAL - connection refused"
		if i%60 == 0 {
			st.Ack = &check.Ack{By: "Tina", Comment: "en cours", At: at}
		}
	}
	return supervision.Status{CheckID: id, Status: st}
}

// BenchmarkBoard reads the first page of 100 rows of the board, with its
// counts, among 50,000 checks of 200 clients of which 5 % are problems: for
// staff, for one client, problems only and a search.
func BenchmarkBoard(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			requireDialect(b, d)
			db := newTestDB(b, d)
			ctx := context.Background()
			clients, checks := seedChecks(b, db, 200, 25, 10)
			for i := 0; i < len(checks); i += 1000 {
				var sts []supervision.Status
				for j := i; j < min(i+1000, len(checks)); j++ {
					sts = append(sts, benchStatus(checks[j], j, s0))
				}
				if err := db.SaveResults(ctx, sts, nil); err != nil {
					b.Fatal(err)
				}
			}
			client := tenant.Scope{UserID: 1, Role: tenant.RoleClientUser, ClientID: clients[7]}
			for _, bc := range []struct {
				name  string
				s     tenant.Scope
				f     supervision.BoardFilter
				total int
			}{
				{"staff first page", sys, supervision.BoardFilter{Limit: 100}, 50000},
				{"staff problems", sys, supervision.BoardFilter{Problems: true, Limit: 100}, 2500},
				{"staff search", sys, supervision.BoardFilter{Search: "srv-0150", Limit: 100}, 250},
				{"client first page", client, supervision.BoardFilter{Limit: 100}, 250},
			} {
				b.Run(bc.name, func(b *testing.B) {
					for b.Loop() {
						rows, counts, total, err := db.Board(ctx, bc.s, bc.f)
						if err != nil {
							b.Fatal(err)
						}
						if total != bc.total || len(rows) != min(100, bc.total) || counts.OK+counts.Critical+counts.Warning+counts.Unknown == 0 {
							b.Fatalf("board: %d rows of %d, counts %+v; want %d", len(rows), total, counts, bc.total)
						}
					}
				})
			}
		})
	}
}

// BenchmarkSaveResults saves what the engine writes about once per second
// under load: 1,000 statuses and 50 events, among 10,000 checks.
func BenchmarkSaveResults(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			requireDialect(b, d)
			db := newTestDB(b, d)
			ctx := context.Background()
			_, checks := seedChecks(b, db, 20, 50, 10)
			at := s0
			n := 0
			for b.Loop() {
				at = at.Add(time.Second)
				sts := make([]supervision.Status, 1000)
				for j := range sts {
					k := (n*1000 + j) % len(checks)
					sts[j] = benchStatus(checks[k], k+n, at)
				}
				evs := make([]supervision.Event, 50)
				for j := range evs {
					evs[j] = supervision.Event{CheckID: sts[j*20].CheckID, Event: check.Event{At: at, Kind: check.Problem, From: check.OK, To: check.Critical, Output: "CRITICAL"}}
				}
				if err := db.SaveResults(ctx, sts, evs); err != nil {
					b.Fatal(err)
				}
				if evs[49].ID == 0 {
					b.Fatal("event without id")
				}
				n++
			}
		})
	}
}
