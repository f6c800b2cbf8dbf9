package ticket

import (
	"context"
	"errors"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// MaxBulk bounds the tickets of one bulk change.
const MaxBulk = 200

// BulkResult is what a bulk change did to one ticket: Err is nil when it
// was applied.
type BulkResult struct {
	ID  int64
	Err error
}

// BulkUpdate applies one change to several tickets, each in its own
// transaction (with its timeline, SLA and notifications, as Update), so
// that a ticket refused (not found, another client's staff, an invalid
// choice for its client) leaves the others changed. Duplicated ids count
// once. Only staff who work on tickets may; an empty change, no ticket or
// more than MaxBulk are refused whole.
func (svc *Service) BulkUpdate(ctx context.Context, s tenant.Scope, ids []int64, c Change) ([]BulkResult, error) {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return nil, fault.ErrForbidden
	}
	var v fault.Invalid
	seen := map[int64]bool{}
	var uniq []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	switch {
	case len(uniq) == 0:
		v.Add("ids", "required")
	case len(uniq) > MaxBulk:
		v.Add("ids", "too_many", MaxBulk)
	}
	if c == (Change{}) {
		v.Add("change", "required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := make([]BulkResult, len(uniq))
	for i, id := range uniq {
		_, err := svc.Update(ctx, s, id, c)
		if err != nil && !refusal(err) {
			return out[:i], err
		}
		out[i] = BulkResult{ID: id, Err: err}
	}
	return out, nil
}

// refusal reports whether err refuses one ticket of a bulk change rather
// than failing it (a database error stops the whole change).
func refusal(err error) bool {
	_, invalid := fault.AsInvalid(err)
	return invalid || errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrForbidden) || errors.Is(err, fault.ErrConflict)
}
