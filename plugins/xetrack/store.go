package xetrack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite" // the pure Go SQLite driver, registered as "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// table is xetrack's default table.
const table = "events"

// store is the events table of one SQLite database. It is used by the
// writer's goroutine only.
type store struct {
	path  string
	db    *sql.DB
	conn  *sql.Conn            // the one connection, so prepared statements and BEGIN stick
	cols  map[string]bool      // the table's columns, lower-cased (SQLite names ignore case)
	stmts map[string]*sql.Stmt // INSERT statements by column list
}

// openStore opens (creating it if needed) the database at path in WAL
// mode, so that sqlite3, DuckDB or a second process read while the
// gateway writes, and makes sure the events table has the fixed columns.
func openStore(path string) (*store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	// The rows hold arguments and results: readable by the owner only.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	s := &store{path: path, db: db, conn: conn, stmts: map[string]*sql.Stmt{}}
	if err := s.init(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return s, nil
}

func (s *store) init(ctx context.Context) error {
	defs := make([]string, 0, len(fixedColumns)+1)
	for _, c := range fixedColumns {
		defs = append(defs, quote(c.name)+" "+c.typ)
	}
	// xetrack's own key: one row per track_id and timestamp.
	defs = append(defs, "PRIMARY KEY (track_id, timestamp)")
	if _, err := s.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+quote(table)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	if err := s.loadColumns(ctx); err != nil {
		return err
	}
	if !s.cols["track_id"] || !s.cols["timestamp"] {
		return fmt.Errorf("its table %q is not an xetrack events table (it has no track_id and timestamp columns); use another dbPath", table)
	}
	for _, c := range fixedColumns {
		if !s.cols[c.name] {
			if err := s.addColumn(ctx, c.name, c.typ); err != nil {
				return err
			}
		}
	}
	if _, err := s.conn.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS events_timestamp_unix_ms ON "+quote(table)+" (timestamp_unix_ms)"); err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	return nil
}

// loadColumns reads the table's columns.
func (s *store) loadColumns(ctx context.Context) error {
	rows, err := s.conn.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return fmt.Errorf("read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("read the columns of %s: %w", table, err)
		}
		cols[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the columns of %s: %w", table, err)
	}
	s.cols = cols
	return nil
}

func (s *store) addColumn(ctx context.Context, name, typ string) error {
	if _, err := s.conn.ExecContext(ctx, "ALTER TABLE "+quote(table)+" ADD COLUMN "+quote(name)+" "+typ); err != nil {
		return fmt.Errorf("add column %s: %w", name, err)
	}
	s.cols[name] = true
	s.dropStatements()
	return nil
}

// write adds the new columns and inserts rows in one transaction. A row
// whose (track_id, timestamp) is taken gets a later timestamp from
// restamp. On failure nothing is written and the column set is read
// again.
func (s *store) write(ctx context.Context, newCols []string, rows []row, restamp func() string) (err error) {
	if _, err := s.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			s.conn.ExecContext(ctx, "ROLLBACK")
			s.dropStatements()
			if lerr := s.loadColumns(ctx); lerr != nil {
				err = errors.Join(err, lerr)
			}
		}
	}()
	for _, c := range newCols {
		if err := s.addColumn(ctx, c, "TEXT"); err != nil {
			return err
		}
	}
	args := make([]any, 0, 64)
	for i := range rows {
		r := &rows[i]
		st, err := s.statement(ctx, r.fields)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, f := range r.fields {
			switch f.kind {
			case kInt:
				args = append(args, f.n)
			case kReal:
				args = append(args, f.real())
			default:
				args = append(args, f.s)
			}
		}
		for attempt := 0; ; attempt++ {
			_, err = st.ExecContext(ctx, args...)
			if err == nil || !isKeyConflict(err) || attempt >= 1000 {
				break
			}
			// Another writer used this timestamp (a second gateway with
			// the same track_id, or a local clock turned back).
			r.fields[0].s = restamp()
			args[0] = r.fields[0].s
		}
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// statement returns the INSERT for the columns of fields.
func (s *store) statement(ctx context.Context, fields []field) (*sql.Stmt, error) {
	var key strings.Builder
	for i, f := range fields {
		if i > 0 {
			key.WriteByte(',')
		}
		key.WriteString(quote(f.name))
	}
	k := key.String()
	if st, ok := s.stmts[k]; ok {
		return st, nil
	}
	if len(s.stmts) >= 128 {
		s.dropStatements()
	}
	q := "INSERT INTO " + quote(table) + " (" + k + ") VALUES (" + strings.Repeat("?,", len(fields)-1) + "?)"
	st, err := s.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	s.stmts[k] = st
	return st, nil
}

func (s *store) dropStatements() {
	for k, st := range s.stmts {
		st.Close()
		delete(s.stmts, k)
	}
}

func (s *store) close() error {
	s.dropStatements()
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

func isKeyConflict(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// quote quotes an SQL identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
