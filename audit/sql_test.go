package audit_test

import (
	"path/filepath"
	"testing"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/audit/storetest"
	"github.com/mcpgw/mcp-gateway/internal/testpg"
)

// The same behaviour suite for both stores: PostgreSQL and SQLite behave
// the same.
func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) audit.Store {
		s, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPostgresStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) audit.Store {
		s, err := audit.OpenPostgres(t.Context(), testpg.Start(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
