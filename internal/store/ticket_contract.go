package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// ContractAt returns the contract of a client in force at instant at, whose
// date is read in the client's time zone (contract.InForce's rule); found
// is false when none is. It reads with the system scope: the helpdesk asks
// for every ticket it evaluates, whoever changed it.
func (db *DB) ContractAt(ctx context.Context, clientID int64, at time.Time) (c contract.Contract, found bool, err error) {
	var zone string
	if err := db.queryRow(ctx, `SELECT time_zone FROM clients WHERE id = ?`, clientID).Scan(&zone); err != nil {
		return contract.Contract{}, false, fmt.Errorf("read time zone of client %d: %w", clientID, translate(err))
	}
	loc := contract.Location(client.Client{TimeZone: zone})
	c, err = db.ContractInForce(ctx, tenant.System(), clientID, contract.Day(at, loc))
	if errors.Is(err, fault.ErrNotFound) {
		return contract.Contract{}, false, nil
	}
	if err != nil {
		return contract.Contract{}, false, fmt.Errorf("find contract in force for client %d: %w", clientID, err)
	}
	return c, true, nil
}
