package audit_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

// BenchmarkSQLiteWrite measures the writer's side: one op is one record
// stored, in batches as the Writer makes them under load.
func BenchmarkSQLiteWrite(b *testing.B) {
	for _, batch := range []int{64, 1024} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			s, err := audit.OpenSQLite(filepath.Join(b.TempDir(), "audit.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			recs := make([]audit.Record, batch)
			for i := range recs {
				recs[i] = audit.Record{RequestID: "0123456789ab-" + strconv.Itoa(i), Time: time.Now(), Duration: time.Millisecond,
					Principal: "alice", Client: "claude-code", Session: "3d6cca6aa9b29386", Method: "tools/call", Server: "github",
					Name: "github__search_code", ArgsDigest: "9f86d081884c7d659a2feaa0c55ad015", Status: audit.StatusOK,
					BytesIn: 300, BytesOut: 15000}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += batch {
				if err := s.Write(context.Background(), recs[:min(batch, b.N-n)], nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
