package audit_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

func openSQLite(t *testing.T) audit.Store {
	t.Helper()
	s, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWriterLosesNothing queues calls from many goroutines into a small
// queue (so that adders wait) and closes the writer while they still
// run: every call accepted before Close is stored.
func TestWriterLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	store, err := audit.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	w := audit.NewWriter(store, audit.WriterOptions{QueueSize: 64, BatchSize: 50})
	var accepted atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				r := &audit.Record{RequestID: fmt.Sprintf("g%d-%d", g, i), Time: start, Method: "tools/call", Status: audit.StatusOK}
				if err := w.AddCall(r); err != nil {
					if !errors.Is(err, audit.ErrClosed) {
						t.Error(err)
					}
					return
				}
				accepted.Add(1)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if accepted.Load() == 0 {
		t.Fatal("no call was accepted")
	}
	store, err = audit.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	got, err := store.Calls(context.Background(), audit.Filter{Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) != accepted.Load() {
		t.Fatalf("stored %d calls, accepted %d", len(got), accepted.Load())
	}
	if w.Written() != accepted.Load() {
		t.Fatalf("Written() = %d, accepted %d", w.Written(), accepted.Load())
	}
}

// flakyStore fails its first writes, then passes them to a real store.
type flakyStore struct {
	audit.Store
	failures atomic.Int64
}

func (f *flakyStore) Write(ctx context.Context, recs []audit.Record, evs []audit.Event) error {
	if f.failures.Add(-1) >= 0 {
		return errors.New("disk on fire")
	}
	return f.Store.Write(ctx, recs, evs)
}

// TestWriterRetries keeps a batch the store refused and writes it once
// the store recovers.
func TestWriterRetries(t *testing.T) {
	fs := &flakyStore{Store: openSQLite(t)}
	fs.failures.Store(2)
	w := audit.NewWriter(fs, audit.WriterOptions{RetryEvery: 10 * time.Millisecond})
	sub := w.Subscribe(4)
	if err := w.AddEvent(&audit.Event{Time: time.Now(), Kind: audit.KindBackend, Type: "restarted", Server: "a"}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-sub.C():
		if e.Event == nil || e.Event.Server != "a" {
			t.Fatalf("live entry %+v, want the event", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event was never stored")
	}
	if w.Failures() != 2 {
		t.Fatalf("Failures() = %d, want 2", w.Failures())
	}
	evs, err := fs.Events(context.Background(), audit.Filter{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v, %v; want one", evs, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-sub.C(); ok {
		t.Fatal("subscription still open after Close")
	}
	if err := w.AddCall(&audit.Record{}); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("AddCall after Close: %v, want ErrClosed", err)
	}
}

// TestWriterReportsLoss: a store that never recovers makes Close say how
// many entries were not stored.
func TestWriterReportsLoss(t *testing.T) {
	fs := &flakyStore{Store: openSQLite(t)}
	fs.failures.Store(1 << 40)
	w := audit.NewWriter(fs, audit.WriterOptions{RetryEvery: 5 * time.Millisecond})
	for range 3 {
		if err := w.AddCall(&audit.Record{Method: "ping", Status: audit.StatusOK}); err != nil {
			t.Fatal(err)
		}
	}
	err := w.Close()
	if err == nil {
		t.Fatal("Close reported no loss")
	}
	t.Log(err)
}
