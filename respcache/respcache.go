// Package respcache caches raw call results: a [Store] of byte values
// with a time to live (in memory, [Memory], or in a Redis shared by
// gateway replicas, [Redis]), a [Cache] over it that makes identical
// concurrent misses share one load, counters for metrics, and [Key], the
// cache key of a call (server, tool, scope, principal and the arguments
// in canonical JSON).
//
// Quick start:
//
//	c := respcache.New(respcache.NewMemory(respcache.MemoryOptions{MaxBytes: 64 << 20}))
//	key, err := respcache.Key(respcache.KeyParts{Server: "s", Tool: "s__t", Principal: "alice", Args: args})
//	if err != nil {
//		// arguments with no canonical form: do not cache
//	}
//	val, outcome, err := c.Get(ctx, key, func(ctx context.Context) (respcache.Load, error) {
//		raw, err := callBackend(ctx)
//		return respcache.Load{Value: raw, TTL: 30 * time.Second}, err
//	})
//
// Values are stored and returned as they are; they are never decoded.
// A value the cache returns is shared with the cache and with other
// callers: it must not be modified.
package respcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Store keeps values by key for a while. Implementations are safe for
// concurrent use.
type Store interface {
	// Get returns the value stored under key, ok false when there is
	// none or it expired. The value must not be modified. An error means
	// the store could not answer; the caller treats it as a miss.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores a copy of val under key for ttl (> 0), replacing any
	// value there. It returns ErrTooLarge, storing nothing and removing
	// the key's old value, for a value the store will not keep.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Delete removes key's value, if any.
	Delete(ctx context.Context, key string) error
	// Close releases the store's resources.
	Close() error
}

// ErrTooLarge is returned by Store.Set for an entry bigger than the store
// keeps.
var ErrTooLarge = errors.New("respcache: entry too large to cache")

// Load is what a Loader produced.
type Load struct {
	// Value is the loaded value.
	Value []byte
	// TTL is how long Value may be served from the cache. 0 (or less)
	// means Value is not fit for the cache: it is not stored, and it is
	// not given to the callers that waited for this load either (each of
	// them then runs its own loader), since what is unfit to reuse later
	// is unfit to reuse now.
	TTL time.Duration
}

// Loader computes a missed value, typically by calling the backend. The
// ctx it gets carries the values of the ctx of the Get that started the
// load, but not its cancellation: it is cancelled when every caller
// waiting for the load has given up.
type Loader func(ctx context.Context) (Load, error)

// Outcome says where the value Get returned came from.
type Outcome uint8

const (
	// Hit: the value was in the store.
	Hit Outcome = iota + 1
	// Loaded: this caller's own loader ran (the value, or the error, is
	// its own).
	Loaded
	// Coalesced: another caller's loader ran for the same key while this
	// one waited; the value, or the error, is that load's.
	Coalesced
)

// String returns "hit", "loaded" or "coalesced".
func (o Outcome) String() string {
	switch o {
	case Hit:
		return "hit"
	case Loaded:
		return "loaded"
	case Coalesced:
		return "coalesced"
	}
	return "none"
}

// Stats are the cache's counters since New, for metrics. Every count
// only grows, except Entries and Bytes.
type Stats struct {
	// Hits: Gets answered from the store.
	Hits uint64
	// Misses: Gets that did not find their key (Coalesced included).
	Misses uint64
	// Coalesced: misses that waited for another caller's load instead of
	// loading.
	Coalesced uint64
	// Stores: values stored.
	Stores uint64
	// Oversized: values fit for the cache but too large for the store.
	Oversized uint64
	// Evictions: entries the store dropped to make room (memory store
	// only; Redis evicts by its own maxmemory policy, unseen here).
	Evictions uint64
	// Errors: store operations that failed (each was a miss or a value
	// not stored, never an error for the caller).
	Errors uint64
	// Entries and Bytes are what the memory store holds now (key and
	// value bytes); 0 for Redis.
	Entries int64
	Bytes   int64
}

// usage is implemented by stores that know what they hold.
type usage interface {
	Evictions() uint64
	Len() int64
	Bytes() int64
}

// Cache is a Store with coalesced loads and counters. It is safe for
// concurrent use.
type Cache struct {
	store Store

	mu      sync.Mutex // guards flights
	flights map[string]*flight

	hits, misses, coalesced, stores, oversized, errs atomic.Uint64
}

// flight is one load in progress and the callers waiting for it.
type flight struct {
	done    chan struct{} // closed when the load ended
	waiters int           // callers still waiting (guarded by Cache.mu)
	cancel  context.CancelFunc

	// Set before done is closed.
	val    []byte
	shared bool // val is fit for the cache and so for the waiters
	err    error
}

// New returns a cache over store. Closing the cache closes the store.
func New(store Store) *Cache {
	return &Cache{store: store, flights: map[string]*flight{}}
}

// Get returns the value of key: from the store (Hit), or else from load.
// Concurrent Gets of a missed key share one load: the first runs its
// loader (Loaded), the others wait for it (Coalesced) and get its value
// when it is fit for the cache (Load.TTL > 0) and its error when it
// failed; a value unfit for the cache is the first caller's alone, and
// the others then run their own loaders. A value fit for the cache is
// stored before anyone is answered; an error is never stored, and Get
// returns no value with it.
//
// Every caller waits only as long as its own ctx allows: when it ends,
// Get returns ctx.Err() at once, and the load goes on for the callers
// still waiting; when none is left, the loader's ctx is cancelled.
//
// A store that fails is a miss (counted in Stats.Errors), never an error
// of Get. The returned value must not be modified.
func (c *Cache) Get(ctx context.Context, key string, load Loader) ([]byte, Outcome, error) {
	val, ok, err := c.Lookup(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	if ok {
		return val, Hit, nil
	}
	return c.Load(ctx, key, load)
}

// Lookup is the first half of Get: it returns key's value when the store
// has it (a hit, counted). ok false is not yet a miss: call Load then.
// The error is ctx's, when it ended; a store failure is ok false.
func (c *Cache) Lookup(ctx context.Context, key string) (val []byte, ok bool, err error) {
	val, ok, err = c.store.Get(ctx, key)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, false, ctx.Err()
	case err != nil:
		c.errs.Add(1)
		return nil, false, nil
	case ok:
		c.hits.Add(1)
	}
	return val, ok, nil
}

// Load is the second half of Get, after a Lookup that missed: it counts
// the miss and loads, coalesced, as Get says. Splitting the two lets a
// caller build its loader only for misses.
func (c *Cache) Load(ctx context.Context, key string, load Loader) ([]byte, Outcome, error) {
	c.misses.Add(1)
	c.mu.Lock()
	if f, ok := c.flights[key]; ok {
		f.waiters++
		c.mu.Unlock()
		c.coalesced.Add(1)
		return c.wait(ctx, key, f, load, false)
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
	c.flights[key] = f
	c.mu.Unlock()
	go c.run(fctx, key, f, load)
	return c.wait(ctx, key, f, load, true)
}

// run runs the load of flight f and answers its waiters.
func (c *Cache) run(ctx context.Context, key string, f *flight, load Loader) {
	defer f.cancel()
	ld, err := load(ctx)
	fit := err == nil && ld.TTL > 0
	if fit {
		c.set(context.WithoutCancel(ctx), key, ld)
	}
	c.mu.Lock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	f.val, f.shared, f.err = ld.Value, fit, err
	c.mu.Unlock()
	close(f.done)
}

func (c *Cache) set(ctx context.Context, key string, ld Load) {
	switch err := c.store.Set(ctx, key, ld.Value, ld.TTL); {
	case err == nil:
		c.stores.Add(1)
	case errors.Is(err, ErrTooLarge):
		c.oversized.Add(1)
	default:
		c.errs.Add(1)
	}
}

// wait waits for flight f, or for ctx.
func (c *Cache) wait(ctx context.Context, key string, f *flight, load Loader, first bool) ([]byte, Outcome, error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		c.leave(key, f)
		return nil, 0, ctx.Err()
	}
	switch {
	case f.err != nil && first:
		return nil, Loaded, f.err
	case f.err != nil:
		return nil, Coalesced, f.err
	case first:
		return f.val, Loaded, nil
	case f.shared:
		return f.val, Coalesced, nil
	}
	// The value was the first caller's alone: load this caller's own.
	ld, err := load(ctx)
	if err != nil {
		return nil, Loaded, err
	}
	if ld.TTL > 0 {
		c.set(context.WithoutCancel(ctx), key, ld)
	}
	return ld.Value, Loaded, nil
}

// leave removes a caller that gave up from f, and cancels the load when
// it was the last.
func (c *Cache) leave(key string, f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	// Nobody wants the result: stop the load, and let the next caller
	// start a new one rather than join a cancelled one.
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	f.cancel()
}

// Delete removes key's value from the store.
func (c *Cache) Delete(ctx context.Context, key string) error {
	return c.store.Delete(ctx, key)
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	s := Stats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Coalesced: c.coalesced.Load(),
		Stores:    c.stores.Load(),
		Oversized: c.oversized.Load(),
		Errors:    c.errs.Load(),
	}
	if u, ok := c.store.(usage); ok {
		s.Evictions, s.Entries, s.Bytes = u.Evictions(), u.Len(), u.Bytes()
	}
	return s
}

// Store returns the cache's store.
func (c *Cache) Store() Store { return c.store }

// Close closes the store.
func (c *Cache) Close() error { return c.store.Close() }
