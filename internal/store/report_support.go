package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// ReportContract returns the client's active contract in force on day (a
// date, UTC midnight), whatever the caller's scope (report work is system
// work); found is false when none is.
func (db *DB) ReportContract(ctx context.Context, clientID int64, day time.Time) (contract.Contract, bool, error) {
	c, err := db.ContractInForce(ctx, tenant.System(), clientID, day)
	if errors.Is(err, fault.ErrNotFound) {
		return contract.Contract{}, false, nil
	}
	if err != nil {
		return contract.Contract{}, false, fmt.Errorf("read contract in force: %w", err)
	}
	return c, true, nil
}
