package store

// SetSearchProbeLimit makes the PostgreSQL search probe give up after n
// matches, so that a test with a few tickets takes both search paths.
func SetSearchProbeLimit(db *DB, n int) { db.searchProbe0 = n }
