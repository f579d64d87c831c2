package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dialect is what differs between the SQL databases the store supports.
type dialect struct {
	name string
	// schema creates the tables and indexes if they do not exist.
	schema []string
	// placeholder returns the n-th (1-based) bind parameter.
	placeholder func(n int) string
	// usedBytes returns the space the rows take.
	usedBytes func(ctx context.Context, db *sql.DB) (int64, error)
	// maxParams bounds the bind parameters of one statement.
	maxParams int
	// lockWrite, if set, runs first in each write transaction, so that
	// writers from several processes commit in id order (a reader that
	// follows new rows by id then misses none).
	lockWrite string
}

// sqlStore is the Store on a database/sql database.
type sqlStore struct {
	db *sql.DB
	d  dialect
}

var callColumns = []string{"request_id", "trace_id", "time_us", "duration_ns", "principal", "client", "session",
	"method", "server", "name", "args_digest", "args", "status", "code", "error", "bytes_in", "bytes_out",
	"cached", "plugin", "findings"}

var eventColumns = []string{"time_us", "kind", "plugin", "type", "server", "name", "rule", "direction", "count",
	"reason", "principal", "session", "request_id"}

// tableSchema returns the portable CREATE TABLE statements; idType is the
// dialect's auto-increasing 64-bit primary key and blobType its byte
// string type.
func tableSchema(idType, blobType string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS calls (
	id ` + idType + `,
	request_id TEXT NOT NULL,
	trace_id TEXT NOT NULL DEFAULT '',
	time_us BIGINT NOT NULL,
	duration_ns BIGINT NOT NULL,
	principal TEXT NOT NULL DEFAULT '',
	client TEXT NOT NULL DEFAULT '',
	session TEXT NOT NULL DEFAULT '',
	method TEXT NOT NULL,
	server TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	args_digest TEXT NOT NULL DEFAULT '',
	args ` + blobType + `,
	status TEXT NOT NULL,
	code INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	bytes_in BIGINT NOT NULL DEFAULT 0,
	bytes_out BIGINT NOT NULL DEFAULT 0,
	cached INTEGER NOT NULL DEFAULT 0,
	plugin TEXT NOT NULL DEFAULT '',
	findings TEXT
)`,
		`CREATE TABLE IF NOT EXISTS events (
	id ` + idType + `,
	time_us BIGINT NOT NULL,
	kind TEXT NOT NULL,
	plugin TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	server TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	rule TEXT NOT NULL DEFAULT '',
	direction TEXT NOT NULL DEFAULT '',
	count INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL DEFAULT '',
	principal TEXT NOT NULL DEFAULT '',
	session TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT ''
)`,
	}
}

func openSQL(ctx context.Context, db *sql.DB, d dialect) (*sqlStore, error) {
	// One transaction for the whole schema: one commit (and sync) instead
	// of one per statement, which is most of a new store's start-up.
	err := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		for _, stmt := range d.schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create audit schema (%s): %w", d.name, err)
	}
	return &sqlStore{db: db, d: d}, nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nullBytes is a nullable byte string: NULL for empty.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// clean makes s storable as text in every database the same way: invalid
// UTF-8 and NUL (which PostgreSQL text cannot hold) become U+FFFD.
func clean(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return cleanSlow(s)
		}
	}
	return s
}

func cleanSlow(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func (s *sqlStore) Write(ctx context.Context, recs []Record, evs []Event) error {
	if len(recs) == 0 && len(evs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit write: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if s.d.lockWrite != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockWrite); err != nil {
			return fmt.Errorf("audit write: lock: %w", err)
		}
	}
	err = insertRows(ctx, tx, s.d, "calls", callColumns, len(recs), func(i int, args []any) ([]any, error) {
		r := &recs[i]
		var findings any
		if len(r.Findings) > 0 {
			b, err := json.Marshal(r.Findings)
			if err != nil {
				return nil, err
			}
			findings = clean(string(b))
		}
		return append(args, clean(r.RequestID), clean(r.TraceID), micros(r.Time), int64(r.Duration), clean(r.Principal),
			clean(r.Client), clean(r.Session), clean(r.Method), clean(r.Server), clean(r.Name), clean(r.ArgsDigest),
			nullBytes(r.Args), clean(string(r.Status)), r.Code, clean(r.Error), r.BytesIn, r.BytesOut,
			boolInt(r.Cached), clean(r.Plugin), findings), nil
	})
	if err != nil {
		return fmt.Errorf("audit write calls: %w", err)
	}
	err = insertRows(ctx, tx, s.d, "events", eventColumns, len(evs), func(i int, args []any) ([]any, error) {
		e := &evs[i]
		return append(args, micros(e.Time), clean(e.Kind), clean(e.Plugin), clean(e.Type), clean(e.Server),
			clean(e.Name), clean(e.Rule), clean(e.Direction), e.Count, clean(e.Reason), clean(e.Principal),
			clean(e.Session), clean(e.RequestID)), nil
	})
	if err != nil {
		return fmt.Errorf("audit write events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit write: commit: %w", err)
	}
	return nil
}

// rowsPerInsert bounds the rows of one INSERT statement.
const rowsPerInsert = 50

// insertRows inserts n rows in multi-row INSERT statements, in order.
func insertRows(ctx context.Context, tx *sql.Tx, d dialect, table string, cols []string, n int, row func(i int, args []any) ([]any, error)) error {
	// Statements of a few dozen rows are fastest: one row per statement
	// pays the statement's overhead per row, and SQLite compiles very long
	// VALUES lists slowly.
	per := min(d.maxParams/len(cols), rowsPerInsert)
	var stmt *sql.Stmt
	stmtRows := 0
	args := make([]any, 0, per*len(cols))
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		if stmt == nil || k != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			if stmt, err = tx.PrepareContext(ctx, insertSQL(d, table, cols, k)); err != nil {
				return err
			}
			stmtRows = k
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			var err error
			if args, err = row(i, args); err != nil {
				stmt.Close()
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			stmt.Close()
			return err
		}
	}
	if stmt != nil {
		stmt.Close()
	}
	return nil
}

func insertSQL(d dialect, table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.placeholder(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// where builds a WHERE clause and its arguments from f, for the calls
// table (calls true) or the events table.
func (s *sqlStore) where(f Filter, calls bool) (string, []any, string) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		if s, ok := v.(string); ok {
			v = clean(s) // as stored
		}
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", s.d.placeholder(len(args))))
	}
	if !f.Since.IsZero() {
		add("time_us >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("time_us < ?", micros(f.Until))
	}
	if f.Server != "" {
		add("server = ?", f.Server)
	}
	if f.Name != "" {
		add("name = ?", f.Name)
	}
	if f.Principal != "" {
		add("principal = ?", f.Principal)
	}
	if calls {
		if f.Status != "" {
			add("status = ?", string(f.Status))
		}
		if f.Method != "" {
			add("method = ?", f.Method)
		}
	} else if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	order := " ORDER BY id DESC"
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
		order = " ORDER BY id ASC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	clause := ""
	if len(conds) > 0 {
		clause = " WHERE " + strings.Join(conds, " AND ")
	}
	return clause, args, order + " LIMIT " + strconv.Itoa(limit)
}

func (s *sqlStore) Calls(ctx context.Context, f Filter) ([]Record, error) {
	clause, args, tail := s.where(f, true)
	rows, err := s.db.QueryContext(ctx, "SELECT id, "+strings.Join(callColumns, ", ")+" FROM calls"+clause+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("audit query calls: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var t, dur int64
		var args []byte
		var findings sql.NullString
		var status string
		var cached int
		if err := rows.Scan(&r.ID, &r.RequestID, &r.TraceID, &t, &dur, &r.Principal, &r.Client, &r.Session,
			&r.Method, &r.Server, &r.Name, &r.ArgsDigest, &args, &status, &r.Code, &r.Error, &r.BytesIn,
			&r.BytesOut, &cached, &r.Plugin, &findings); err != nil {
			return nil, fmt.Errorf("audit query calls: %w", err)
		}
		r.Time, r.Duration, r.Status, r.Cached = fromMicros(t), time.Duration(dur), Status(status), cached != 0
		if len(args) > 0 {
			r.Args = json.RawMessage(args)
		}
		if findings.Valid && findings.String != "" {
			if err := json.Unmarshal([]byte(findings.String), &r.Findings); err != nil {
				return nil, fmt.Errorf("audit query calls: row %d: findings: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit query calls: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Events(ctx context.Context, f Filter) ([]Event, error) {
	clause, args, tail := s.where(f, false)
	rows, err := s.db.QueryContext(ctx, "SELECT id, "+strings.Join(eventColumns, ", ")+" FROM events"+clause+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("audit query events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Kind, &e.Plugin, &e.Type, &e.Server, &e.Name, &e.Rule, &e.Direction,
			&e.Count, &e.Reason, &e.Principal, &e.Session, &e.RequestID); err != nil {
			return nil, fmt.Errorf("audit query events: %w", err)
		}
		e.Time = fromMicros(t)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit query events: %w", err)
	}
	return out, nil
}

func (s *sqlStore) Prune(ctx context.Context, r Retention) (int64, error) {
	var total int64
	if r.MaxAge > 0 {
		cut := micros(time.Now().Add(-r.MaxAge))
		for _, table := range []string{"calls", "events"} {
			res, err := s.db.ExecContext(ctx, "DELETE FROM "+table+" WHERE time_us < "+s.d.placeholder(1), cut)
			if err != nil {
				return total, fmt.Errorf("audit retention (max age): %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
	}
	if r.MaxBytes > 0 {
		n, err := s.pruneSize(ctx, r.MaxBytes)
		total += n
		if err != nil {
			return total, fmt.Errorf("audit retention (max size): %w", err)
		}
	}
	return total, nil
}

// pruneSize deletes the oldest tenth of each table until the rows take at
// most maxBytes.
func (s *sqlStore) pruneSize(ctx context.Context, maxBytes int64) (int64, error) {
	var total int64
	for range 50 {
		used, err := s.d.usedBytes(ctx, s.db)
		if err != nil {
			return total, err
		}
		if used <= maxBytes {
			return total, nil
		}
		deleted := int64(0)
		for _, table := range []string{"calls", "events"} {
			var n int64
			if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
				return total, err
			}
			if n == 0 {
				continue
			}
			k := max(n/10, 1)
			var cut int64
			err := s.db.QueryRowContext(ctx, "SELECT id FROM "+table+" ORDER BY id ASC LIMIT 1 OFFSET "+strconv.FormatInt(k-1, 10)).Scan(&cut)
			if err != nil {
				return total, err
			}
			res, err := s.db.ExecContext(ctx, "DELETE FROM "+table+" WHERE id <= "+s.d.placeholder(1), cut)
			if err != nil {
				return total, err
			}
			m, _ := res.RowsAffected()
			deleted += m
		}
		total += deleted
		if deleted == 0 {
			return total, nil
		}
	}
	return total, nil
}

func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return err
	}
	return nil
}
