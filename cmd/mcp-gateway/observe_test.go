package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/metrics"
)

// BenchmarkObserveCall is what the call path pays for the audit trail and
// the metrics of one tools/call: building and digesting the record as the
// gateway does (gateway/observe.go), counting it, and queueing it for the
// SQLite writer, which writes in the background as in production.
func BenchmarkObserveCall(b *testing.B) {
	for _, par := range []bool{false, true} {
		b.Run("parallel="+strconv.FormatBool(par), func(b *testing.B) {
			store, err := audit.OpenSQLite(filepath.Join(b.TempDir(), "audit.db"))
			if err != nil {
				b.Fatal(err)
			}
			// A queue that holds every record of the run: the call path's
			// own cost, not the writer's throughput (BenchmarkSQLiteWrite).
			o := &observability{log: slog.New(slog.DiscardHandler),
				writer: audit.NewWriter(store, audit.WriterOptions{QueueSize: max(b.N, 1)})}
			o.events = &eventSink{o: o}
			defer o.Close()
			o.metrics = metrics.New("bench", "stdio", []string{"echo"}, metrics.Source{
				Catalogued: func(string, string, string) bool { return true }})
			args := []byte(`{"message":"hello, this is a typical small argument object","count":3}`)
			one := func(i int) {
				start := time.Now()
				r := &audit.Record{RequestID: "0123456789ab-" + strconv.Itoa(i), Time: start, Principal: "local",
					Client: "bench", Session: "s1", Method: "tools/call", BytesIn: 120}
				ctx := audit.WithRecord(context.Background(), r)
				sum := sha256.Sum256(args)
				r.ArgsDigest = hex.EncodeToString(sum[:16])
				r.Server, r.Name, r.Status, r.BytesOut = "echo", "echo__echo", audit.StatusOK, 160
				r.Duration = time.Since(start)
				o.CallDone(ctx, r)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if par {
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						one(i)
						i++
					}
				})
			} else {
				for i := range b.N {
					one(i)
				}
			}
			b.StopTimer()
		})
	}
}
