package supervision_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// BenchmarkApplyTemplates measures the periodic template run when nothing
// changed (the common case, every two minutes): 2,003 servers, two templates
// that apply to all of them, 4,006 checks already applied. SQLite.
//
//	go test ./internal/supervision -run '^$' -bench BenchmarkApplyTemplates -benchtime 5x
func BenchmarkApplyTemplates(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	for i := range 2000 {
		a := asset.Asset{ClientID: e.A.ID, Kind: asset.KindServer, Name: fmt.Sprintf("srv-%04d", i)}
		if err := e.assets.Create(ctx, sys, &a); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	for _, tpl := range []supervision.Template{
		{Name: "Ping", MatchKind: "server", Enabled: true, Rules: supervision.Rules{Kind: supervision.KindPing, Params: supervision.Params{Host: "127.0.0.1"}}},
		{Name: "SSH", MatchKind: "server", Enabled: true, Rules: supervision.Rules{Kind: supervision.KindTCP, Params: supervision.Params{Host: "127.0.0.1", Port: 22}}},
	} {
		if err := e.svc.CreateTemplate(ctx, e.manager, &tpl); err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(start)
	cs, err := e.svc.Checks(ctx, e.manager, supervision.CheckFilter{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first application of 2 templates: %d checks in %v", len(cs), took)
	b.ResetTimer()
	for b.Loop() {
		n, err := e.svc.ApplyTemplates(ctx)
		if err != nil || n != 0 {
			b.Fatalf("changed %d, err %v", n, err)
		}
	}
}
