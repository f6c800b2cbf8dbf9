package ticket

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// ParseMonth reads a month written YYYY-MM as its first instant in loc; an
// empty value is the zero time. A bad value is a validation error on field.
func ParseMonth(field, value string, loc *time.Location) (time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, nil
	}
	m, err := time.ParseInLocation("2006-01", value, loc)
	if err != nil || m.Year() < 2000 {
		var v fault.Invalid
		v.Add(field, "invalid_month")
		return time.Time{}, v.Err()
	}
	return m, nil
}

// MonthOf is the first instant, in loc, of the month containing t.
func MonthOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
}

// CurrentMonth is the first instant, in loc, of the service clock's month.
func (svc *Service) CurrentMonth(loc *time.Location) time.Time { return MonthOf(svc.now(), loc) }

// TimeReport sums the time spent per client over the calendar month that
// contains month, in month's location (the provider's zone), so an entry
// late on the last evening counts in that month. clientID 0 means every
// client the caller sees. Staff only.
func (svc *Service) TimeReport(ctx context.Context, s tenant.Scope, month time.Time, clientID int64) ([]TimeTotal, error) {
	if !s.Staff() || !s.Can(tenant.TicketWork) {
		return nil, fault.ErrForbidden
	}
	if clientID != 0 && !s.CanSee(clientID) {
		return nil, fault.ErrNotFound
	}
	from := MonthOf(month, month.Location())
	to := from.AddDate(0, 1, 0)
	rows, err := svc.store.TimeReport(ctx, s, from.UTC(), to.UTC(), clientID)
	if err != nil {
		return nil, fmt.Errorf("time report for %s: %w", from.Format("2006-01"), err)
	}
	return rows, nil
}
