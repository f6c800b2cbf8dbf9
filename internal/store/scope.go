package store

import (
	"strings"

	"github.com/vigie-hq/vigie/internal/tenant"
)

// scopeSQL returns a condition restricting column (a client id) to the
// clients the scope may see, with its arguments. It is "TRUE" for a scope
// that sees every client and never empty, so it can be ANDed into any query.
func scopeSQL(s tenant.Scope, column string) (string, []any) {
	if s.AllClients() {
		return "TRUE", nil
	}
	ids := s.ClientIDs()
	if len(ids) == 0 {
		return "FALSE", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return column + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")", args
}
