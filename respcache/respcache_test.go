package respcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// gatedLoader is a Loader that counts its calls and blocks until
// released, then returns what it was set up to return.
type gatedLoader struct {
	calls   atomic.Int32
	release chan struct{}
	sawDone atomic.Bool // the loader's ctx ended before it was released
	ld      Load
	err     error
}

func newGated(ld Load, err error) *gatedLoader {
	return &gatedLoader{release: make(chan struct{}), ld: ld, err: err}
}

func (g *gatedLoader) load(ctx context.Context) (Load, error) {
	g.calls.Add(1)
	select {
	case <-g.release:
	case <-ctx.Done():
		g.sawDone.Store(true)
		return Load{}, ctx.Err()
	}
	return g.ld, g.err
}

type result struct {
	val []byte
	o   Outcome
	err error
}

// getAll runs n concurrent Gets of key and waits until all are in: one
// loading, n-1 coalesced onto it.
func getAll(t *testing.T, c *Cache, n int, key string, load Loader) chan result {
	t.Helper()
	out := make(chan result, n)
	before := c.Stats().Coalesced
	for range n {
		go func() {
			v, o, err := c.Get(ctx, key, load)
			out <- result{v, o, err}
		}()
	}
	waitFor(t, "the callers to coalesce", func() bool { return c.Stats().Coalesced == before+uint64(n-1) })
	return out
}

func TestCacheCoalescing(t *testing.T) {
	const n = 50
	c := New(NewMemory(MemoryOptions{}))
	g := newGated(Load{Value: []byte(`{"content":[]}`), TTL: time.Minute}, nil)
	out := getAll(t, c, n, "k", g.load)
	close(g.release)
	outcomes := map[Outcome]int{}
	for range n {
		r := <-out
		if r.err != nil || string(r.val) != `{"content":[]}` {
			t.Fatalf("caller got %q, %v", r.val, r.err)
		}
		outcomes[r.o]++
	}
	if g.calls.Load() != 1 {
		t.Fatalf("%d loads for %d identical concurrent misses, want 1", g.calls.Load(), n)
	}
	if outcomes[Loaded] != 1 || outcomes[Coalesced] != n-1 {
		t.Errorf("outcomes %v, want 1 loaded and %d coalesced", outcomes, n-1)
	}
	// Stored: the next Get is a hit without a load.
	v, o, err := c.Get(ctx, "k", g.load)
	if err != nil || o != Hit || string(v) != `{"content":[]}` || g.calls.Load() != 1 {
		t.Fatalf("after the load: %q, %v, %v (%d loads)", v, o, err, g.calls.Load())
	}
	want := Stats{Hits: 1, Misses: n, Coalesced: n - 1, Stores: 1, Entries: 1, Bytes: int64(len("k") + len(`{"content":[]}`))}
	if s := c.Stats(); s != want {
		t.Errorf("Stats = %+v\nwant    %+v", s, want)
	}
	if len(c.flights) != 0 {
		t.Errorf("%d flights left", len(c.flights))
	}
}

func TestCacheLoaderErrorShared(t *testing.T) {
	const n = 50
	c := New(NewMemory(MemoryOptions{}))
	boom := errors.New("backend: connection reset")
	g := newGated(Load{Value: []byte("ignored"), TTL: time.Minute}, boom)
	out := getAll(t, c, n, "k", g.load)
	close(g.release)
	for range n {
		if r := <-out; !errors.Is(r.err, boom) || r.val != nil {
			t.Fatalf("caller got %q, %v; want the loader's error", r.val, r.err)
		}
	}
	if g.calls.Load() != 1 {
		t.Fatalf("%d loads, want 1", g.calls.Load())
	}
	// Not cached: the next Get loads again.
	g2 := newGated(Load{Value: []byte("ok"), TTL: time.Minute}, nil)
	close(g2.release)
	if v, o, err := c.Get(ctx, "k", g2.load); err != nil || o != Loaded || string(v) != "ok" {
		t.Fatalf("after an error: %q, %v, %v; want a new load", v, o, err)
	}
	if s := c.Stats(); s.Stores != 1 || s.Hits != 0 {
		t.Errorf("Stats = %+v; the error was stored", s)
	}
}

// TestCacheUnfitNotShared: a value the loader marks unfit for the cache
// (TTL 0) is the first caller's alone; the waiters load their own.
func TestCacheUnfitNotShared(t *testing.T) {
	const n = 10
	c := New(NewMemory(MemoryOptions{}))
	g := newGated(Load{Value: []byte(`{"isError":true}`)}, nil)
	out := getAll(t, c, n, "k", g.load)
	close(g.release) // the waiters' own loads pass the gate at once
	outcomes := map[Outcome]int{}
	for range n {
		r := <-out
		if r.err != nil || string(r.val) != `{"isError":true}` {
			t.Fatalf("caller got %q, %v", r.val, r.err)
		}
		outcomes[r.o]++
	}
	if g.calls.Load() != n || outcomes[Loaded] != n {
		t.Errorf("%d loads, outcomes %v; want %d own loads", g.calls.Load(), outcomes, n)
	}
	if s := c.Stats(); s.Stores != 0 || s.Entries != 0 {
		t.Errorf("an unfit value was stored: %+v", s)
	}
}

// TestCacheWaiterCancellation: a waiter whose ctx ends returns at once;
// the load goes on for the others, and is cancelled when all have gone.
func TestCacheWaiterCancellation(t *testing.T) {
	c := New(NewMemory(MemoryOptions{}))
	g := newGated(Load{Value: []byte("v"), TTL: time.Minute}, nil)

	first := make(chan result, 1)
	go func() {
		v, o, err := c.Get(ctx, "k", g.load)
		first <- result{v, o, err}
	}()
	waitFor(t, "the load to start", func() bool { return g.calls.Load() == 1 })
	wctx, cancel := context.WithCancel(ctx)
	waiter := make(chan result, 1)
	go func() {
		v, o, err := c.Get(wctx, "k", g.load)
		waiter <- result{v, o, err}
	}()
	waitFor(t, "the waiter to join", func() bool { return c.Stats().Coalesced == 1 })
	cancel()
	if r := <-waiter; !errors.Is(r.err, context.Canceled) || r.val != nil {
		t.Fatalf("cancelled waiter got %q, %v", r.val, r.err)
	}
	close(g.release)
	if r := <-first; r.err != nil || string(r.val) != "v" || r.o != Loaded {
		t.Fatalf("the first caller got %q, %v, %v", r.val, r.o, r.err)
	}
	if g.sawDone.Load() {
		t.Fatal("the load was cancelled while a caller still waited")
	}

	// The first caller giving up does not cancel the load either, while
	// another waits.
	g = newGated(Load{Value: []byte("w"), TTL: time.Minute}, nil)
	fctx, fcancel := context.WithCancel(ctx)
	go func() {
		v, o, err := c.Get(fctx, "k2", g.load)
		first <- result{v, o, err}
	}()
	waitFor(t, "the load to start", func() bool { return g.calls.Load() == 1 })
	go func() {
		v, o, err := c.Get(ctx, "k2", g.load)
		waiter <- result{v, o, err}
	}()
	waitFor(t, "the waiter to join", func() bool { return c.Stats().Coalesced == 2 })
	fcancel()
	if r := <-first; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the cancelled first caller got %q, %v", r.val, r.err)
	}
	close(g.release)
	if r := <-waiter; r.err != nil || string(r.val) != "w" || r.o != Coalesced {
		t.Fatalf("the waiter got %q, %v, %v after the first caller left", r.val, r.o, r.err)
	}
	if v, _ := mustGet(t, c.Store(), "k2"); string(v) != "w" {
		t.Errorf("the load's value was not stored after its first caller left: %q", v)
	}

	// When every caller gives up, the load's ctx is cancelled, and the
	// next caller starts a new load.
	g = newGated(Load{Value: []byte("x"), TTL: time.Minute}, nil)
	go func() {
		v, o, err := c.Get(fctx, "k3", g.load) // fctx is already cancelled
		first <- result{v, o, err}
	}()
	if r := <-first; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("a caller with a cancelled ctx got %q, %v", r.val, r.err)
	}
	waitFor(t, "the abandoned load to see its ctx end", g.sawDone.Load)
	g2 := newGated(Load{Value: []byte("y"), TTL: time.Minute}, nil)
	close(g2.release)
	if v, o, err := c.Get(ctx, "k3", g2.load); err != nil || o != Loaded || string(v) != "y" {
		t.Fatalf("after an abandoned load: %q, %v, %v", v, o, err)
	}
}

// TestCacheLoaderContext: the loader sees the values of the first
// caller's ctx.
func TestCacheLoaderContext(t *testing.T) {
	type key struct{}
	c := New(NewMemory(MemoryOptions{}))
	vctx := context.WithValue(ctx, key{}, "request-7")
	var got any
	c.Get(vctx, "k", func(ctx context.Context) (Load, error) {
		got = ctx.Value(key{})
		return Load{}, nil
	})
	if got != "request-7" {
		t.Errorf("loader ctx value %v", got)
	}
}

// TestCacheConcurrent is for -race: hits, misses, loads and evictions
// over a few keys at once.
func TestCacheConcurrent(t *testing.T) {
	c := New(NewMemory(MemoryOptions{MaxBytes: 4096}))
	var loads atomic.Int32
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				key := string(rune('a' + (g+i)%7))
				v, _, err := c.Get(ctx, key, func(context.Context) (Load, error) {
					loads.Add(1)
					return Load{Value: []byte(key + "-value-that-takes-some-room-" + key), TTL: time.Minute}, nil
				})
				if err != nil || string(v) != key+"-value-that-takes-some-room-"+key {
					t.Errorf("Get(%s) = %q, %v", key, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	s := c.Stats()
	if s.Hits+s.Misses != 16*500 || s.Misses-s.Coalesced != uint64(loads.Load()) {
		t.Errorf("Stats %+v with %d loads", s, loads.Load())
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := New(NewMemory(MemoryOptions{}))
	key, _ := Key(KeyParts{Server: "s", Tool: "s__t", Args: []byte(`{"a":1}`)})
	load := func(context.Context) (Load, error) { return Load{Value: make([]byte, 1024), TTL: time.Hour}, nil }
	c.Get(ctx, key, load)
	b.ReportAllocs()
	for b.Loop() {
		if _, o, _ := c.Get(ctx, key, load); o != Hit {
			b.Fatal(o)
		}
	}
}
