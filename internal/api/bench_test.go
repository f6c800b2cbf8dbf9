package api_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// BenchmarkListClients lists clients over real HTTP (loopback, in-process
// server, SQLite) with an API token, among 1,000 clients: one op is one
// request with authentication, a scoped query and JSON encoding.
func BenchmarkListClients(b *testing.B) {
	s := apptest.New(b, "sqlite")
	for i := range 1000 {
		c := client.Client{Code: fmt.Sprintf("BENCH-%04d", i), Name: fmt.Sprintf("Benchmark client %d", i), Address: "12 avenue des Champs\n75008 Paris"}
		if err := s.App.Clients.Create(s.Ctx(), tenant.System(), &c); err != nil {
			b.Fatal(err)
		}
	}
	admin := s.User("bench@msp.example", tenant.RoleAdmin)
	token := s.Token(admin, false)
	hc := &http.Client{}
	for _, limit := range []int{50, 200} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/clients?limit=%d", s.URL, limit), nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			b.ReportAllocs()
			for b.Loop() {
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("status %d", res.StatusCode)
				}
				b.SetBytes(n)
			}
		})
	}
}
