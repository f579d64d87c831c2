package audit

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the pure Go SQLite driver, registered as "sqlite"
)

// OpenSQLite opens (creating it if needed) the SQLite audit store at path,
// in WAL mode so that queries from other processes (mcp-gateway audit, a
// second gateway on the same data dir) run while the gateway writes.
func OpenSQLite(path string) (Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit store %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(OFF)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("audit store %s: %w", path, err)
	}
	// One writer at a time is all SQLite does; a few connections let
	// queries run beside it.
	db.SetMaxOpenConns(4)
	s, err := openSQL(context.Background(), db, dialect{
		name:        "sqlite",
		schema:      append(tableSchema("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"), sqliteIndexes...),
		placeholder: func(int) string { return "?" },
		usedBytes:   sqliteUsedBytes,
		maxParams:   32000,
	})
	if err != nil {
		return nil, fmt.Errorf("audit store %s: %w", path, err)
	}
	return s, nil
}

// sqliteUsedBytes is the size of the pages in use (deleted rows' pages are
// reused before the file grows).
func sqliteUsedBytes(ctx context.Context, db *sql.DB) (int64, error) {
	var pages, free, size int64
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, err
	}
	return (pages - free) * size, nil
}

// sqliteIndexes serve the audit filters. Each index costs the writer
// time per row (with modernc.org/sqlite, 2 to 9 µs, the text ones the
// most: BenchmarkSQLiteWrite), so the embedded store has only the time
// indexes: queries walk the rows newest first (or from --since) and
// filter; the PostgreSQL store has an index per filter.
var sqliteIndexes = []string{
	`CREATE INDEX IF NOT EXISTS calls_time ON calls (time_us)`,
	`CREATE INDEX IF NOT EXISTS events_time ON events (time_us)`,
}
