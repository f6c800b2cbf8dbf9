package supervision

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// memStore is the part of Store the engine uses, in memory, for the
// engine's tests (the other methods are not called: the embedded nil Store
// would panic).
type memStore struct {
	Store
	mu       sync.Mutex
	checks   map[int64]Check
	statuses map[int64]Status
	events   []Event
	assets   map[int64]AssetRef
	windows  []Window
	runs     map[int64][]BackupRun
	saves    int
	fail     error // SaveResults fails with it when set
}

func newMemStore() *memStore {
	return &memStore{
		checks: map[int64]Check{}, statuses: map[int64]Status{},
		assets: map[int64]AssetRef{}, runs: map[int64][]BackupRun{},
	}
}

func (m *memStore) addCheck(c Check) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checks[c.ID] = c
}

func (m *memStore) AllChecks(ctx context.Context, afterID int64, limit int) ([]Check, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Check
	for _, c := range m.checks {
		if c.ID > afterID && c.Enabled {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Check) int { return cmpInt(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) Statuses(ctx context.Context, after int64, limit int) ([]Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Status
	for _, s := range m.statuses {
		if s.CheckID > after {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Status) int { return cmpInt(a.CheckID, b.CheckID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) Check(ctx context.Context, s tenant.Scope, id int64) (Check, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.checks[id]
	if !ok {
		return Check{}, fmt.Errorf("check %d: %w", id, fault.ErrNotFound)
	}
	return c, nil
}

func (m *memStore) Status(ctx context.Context, s tenant.Scope, id int64) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.statuses[id]
	if !ok {
		return Status{}, fmt.Errorf("status %d: %w", id, fault.ErrNotFound)
	}
	return st, nil
}

func (m *memStore) AssetRefs(ctx context.Context) ([]AssetRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []AssetRef
	for _, a := range m.assets {
		out = append(out, a)
	}
	return out, nil
}

func (m *memStore) AssetRef(ctx context.Context, s tenant.Scope, id int64) (AssetRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.assets[id]
	if !ok {
		return AssetRef{}, fmt.Errorf("asset %d: %w", id, fault.ErrNotFound)
	}
	return a, nil
}

func (m *memStore) AllWindows(ctx context.Context, since time.Time) ([]Window, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.windows), nil
}

func (m *memStore) BackupRuns(ctx context.Context, s tenant.Scope, checkID int64, limit int) ([]BackupRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.runs[checkID]
	return r[:min(limit, len(r))], nil
}

func (m *memStore) SaveResults(ctx context.Context, statuses []Status, events []Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	for _, s := range statuses {
		if _, ok := m.checks[s.CheckID]; !ok {
			return fmt.Errorf("status of check %d: foreign key violation", s.CheckID)
		}
	}
	m.saves++
	for _, s := range statuses {
		m.statuses[s.CheckID] = s
	}
	for i := range events {
		events[i].ID = int64(len(m.events) + 1)
		m.events = append(m.events, events[i])
	}
	return nil
}

func (m *memStore) status(id int64) (Status, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.statuses[id]
	return s, ok
}
