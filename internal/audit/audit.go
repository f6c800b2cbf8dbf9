// Package audit keeps the append-only journal of who did what.
package audit

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Entry is one line of the journal.
type Entry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	ActorID   *int64    `json:"actor_id"`
	ActorName string    `json:"actor"`
	IP        string    `json:"ip"`
	ClientID  *int64    `json:"client_id"`
	Action    string    `json:"action"` // "client.create", "user.login"…
	Object    string    `json:"object"` // "client:12"
	Summary   string    `json:"summary"`
}

// Object names an object of the journal: "kind:id".
func Object(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// Actor is who acts in a request, carried in the context.
type Actor struct {
	UserID int64
	Name   string // the sign-in name (e-mail) recorded in the journal
	IP     string
	// Display is the person's name as shown to others (ticket timelines);
	// Name when empty.
	Display string
}

// Shown returns the name to show to other people.
func (a Actor) Shown() string {
	if a.Display != "" {
		return a.Display
	}
	return a.Name
}

type actorKey struct{}

// WithActor returns a context whose journal entries name the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of a context; the zero Actor is the system.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Filter selects journal entries; After is the cursor (entries older than this ID).
type Filter struct {
	ClientID *int64
	ActorID  *int64
	Action   string // prefix match: "client" or "client.create"
	Since    time.Time
	Until    time.Time
	Before   int64
	Limit    int
}

// Store appends and reads journal entries. It never updates or deletes one.
type Store interface {
	AppendAudit(ctx context.Context, e *Entry) error
	AuditEntries(ctx context.Context, s tenant.Scope, f Filter) ([]Entry, error)
}

// Journal records entries with the actor taken from the context.
type Journal struct {
	store Store
	now   func() time.Time
}

// NewJournal returns a Journal; now may be nil for time.Now.
func NewJournal(store Store, now func() time.Time) *Journal {
	if now == nil {
		now = time.Now
	}
	return &Journal{store: store, now: now}
}

// Record appends an entry, filling time and actor. Call it inside the
// transaction of the change it describes.
func (j *Journal) Record(ctx context.Context, e Entry) error {
	a := ActorFrom(ctx)
	e.At = j.now().UTC()
	if a.UserID != 0 {
		id := a.UserID
		e.ActorID = &id
	}
	if e.ActorName == "" {
		e.ActorName = a.Name
		if e.ActorName == "" && a.UserID == 0 {
			e.ActorName = "system"
		}
	}
	e.IP = a.IP
	if len(e.Summary) > 2000 {
		e.Summary = e.Summary[:2000]
	}
	if err := j.store.AppendAudit(ctx, &e); err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return nil
}

// List returns entries the scope may read, newest first. Staff see entries
// of their clients and entries about no client (admins only); client admins
// see their client's entries.
func (j *Journal) List(ctx context.Context, s tenant.Scope, f Filter) ([]Entry, error) {
	if !s.Can(tenant.AuditRead) {
		return nil, fault.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return j.store.AuditEntries(ctx, s, f)
}

// Diff summarises what changed between two values of the same struct type:
// "name: A → B; phone: x → y". Fields tagged json:"-" and timestamps are skipped.
func Diff(old, new any) string {
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(new)
	if ov.Type() != nv.Type() || ov.Kind() != reflect.Struct {
		return ""
	}
	var parts []string
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "-" || name == "" || strings.HasSuffix(name, "_at") || !f.IsExported() {
			continue
		}
		a, b := show(ov.Field(i)), show(nv.Field(i))
		if a != b {
			parts = append(parts, fmt.Sprintf("%s: %s → %s", name, a, b))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "∅"
		}
		v = v.Elem()
	}
	s := fmt.Sprint(v.Interface())
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	if s == "" {
		return "∅"
	}
	return s
}
