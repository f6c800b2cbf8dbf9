// Package store implements every domain's Store with database/sql, on SQLite
// (modernc.org/sqlite, the embedded default) and PostgreSQL (pgx).
//
// Queries are written once with ? placeholders and portable SQL; rebind turns
// them into $n for PostgreSQL. Driver errors are translated here, once, into
// the kinds of package fault.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigie-hq/vigie/internal/fault"
)

// Dialect names the SQL flavour of a database.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a connection to Vigie's database.
type DB struct {
	dialect Dialect
	// write is the pool for writes and transactions: one connection on
	// SQLite, whose single writer would otherwise make callers fight for the lock.
	write *sql.DB
	// read serves reads outside transactions; several connections on SQLite (WAL).
	read *sql.DB
	// Pool is the pgx pool on PostgreSQL (nil on SQLite); the job queue uses it.
	Pool *pgxpool.Pool
	log  *slog.Logger

	rebindCache sync.Map
	// searchProbe0 replaces searchProbeLimit in tests (0: the constant).
	searchProbe0 int
}

// Open connects to url: "postgres://…" or "postgresql://…" for PostgreSQL,
// "sqlite:PATH", "file:PATH" or a plain path for SQLite.
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		return openPostgres(ctx, rawURL, log)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, errors.New("open database: empty SQLite path")
	}
	return openSQLite(ctx, path, log)
}

func openSQLite(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	dsn := sqliteDSN(path)
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(ON)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(4)
	read.SetMaxIdleConns(4)
	db := &DB{dialect: SQLite, write: write, read: read, log: log}
	if err := write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		log.Warn("restrict database file permissions", "err", err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, rawURL string, log *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	sdb := stdlib.OpenDBFromPool(pool)
	return &DB{dialect: Postgres, write: sdb, read: sdb, Pool: pool, log: log}, nil
}

// Dialect returns the database's SQL flavour.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the pool for writes (shared with the job queue on SQLite).
func (db *DB) SQL() *sql.DB { return db.write }

// Close closes every connection.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
}

// Stats returns the pool statistics of the write and read pools.
func (db *DB) Stats() (write, read sql.DBStats) {
	return db.write.Stats(), db.read.Stats()
}

type txKey struct{}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InTx runs fn in a transaction carried by the context: every store method
// called with that context joins it. A nested InTx joins the outer one.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(ctx)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", translate(err))
	}
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

// q returns the querier for writes: the context's transaction or the write pool.
func (db *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return db.write
}

// r returns the querier for reads: the context's transaction or the read pool.
func (db *DB) r(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return db.read
}

// Rebind turns the ? placeholders of a statement written for the store into
// PostgreSQL's $1, $2… (unchanged on SQLite), for the rare caller that runs
// SQL of its own through SQL() — benchmarks seeding data, tests counting rows.
func (db *DB) Rebind(query string) string { return db.rebind(query) }

// rebind turns ? placeholders into $1, $2… on PostgreSQL. Queries never hold
// a literal question mark.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if v, ok := db.rebindCache.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := range len(query) {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	db.rebindCache.Store(query, out)
	return out
}

func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.q(ctx).ExecContext(ctx, db.rebind(query), args...)
	return res, translate(err)
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := db.r(ctx).QueryContext(ctx, db.rebind(query), args...)
	return rows, translate(err)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.r(ctx).QueryRowContext(ctx, db.rebind(query), args...)
}

// insert runs an INSERT … RETURNING id and returns the new id.
func (db *DB) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := db.q(ctx).QueryRowContext(ctx, db.rebind(query+" RETURNING id"), args...).Scan(&id)
	return id, translate(err)
}

// affected returns ErrNotFound when an UPDATE or DELETE touched no row.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fault.ErrNotFound
	}
	return nil
}

// translate maps driver errors to the kinds of package fault.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fault.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fault.Conflict(uniqueField(se.Error()))
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: referenced row missing or still in use", fault.ErrConflict)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fault.Conflict(uniqueField(pe.ConstraintName + " " + pe.Detail))
		case "23503":
			return fmt.Errorf("%w: referenced row missing or still in use", fault.ErrConflict)
		}
	}
	return err
}

// uniqueField guesses the column named in a unique-violation message:
// SQLite says "UNIQUE constraint failed: clients.code", PostgreSQL names the
// constraint "clients_code_key" and details "Key (code)=(X) already exists".
func uniqueField(msg string) string {
	if i := strings.Index(msg, "Key ("); i >= 0 {
		rest := msg[i+5:]
		if j := strings.IndexByte(rest, ')'); j >= 0 {
			return rest[:j]
		}
	}
	if i := strings.LastIndex(msg, "."); i >= 0 {
		f := msg[i+1:]
		if j := strings.IndexAny(f, " )"); j >= 0 {
			f = f[:j]
		}
		return f
	}
	return ""
}

// now is the database clock for created_at/updated_at: UTC, microseconds,
// the precision both databases keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// like escapes a user's search text for a LIKE pattern matching anywhere in
// a column written by fold.
func like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(fold(s)) + "%"
}

// fold returns the searchable form of texts: lowercased (Unicode, not only
// ASCII as SQLite's lower() does) and without accents, so that "etienne"
// and "ÉTIENNE" both find "Étienne" on either database.
func fold(texts ...string) string {
	s := strings.Join(texts, " ")
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// TxFrom returns the transaction carried by ctx, if any. The job queue uses
// it to insert jobs atomically with the change that caused them.
func TxFrom(ctx context.Context) (*sql.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(*sql.Tx)
	return tx, ok
}
