package app

import (
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
)

// buildContracts builds the contracts' service: each client's contracts,
// their perimeter and the contract in force (docs/contracts.md).
func (a *App) buildContracts(now func() time.Time) {
	a.Contracts = contract.NewService(a.DB, a.Journal, now)
	// A contract's change moves the SLA clocks of the client's open tickets.
	a.Contracts.SetHook(a.Tickets)
}
