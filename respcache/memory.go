package respcache

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBytes bounds a memory store whose MaxBytes is not set.
const DefaultMaxBytes = 64 << 20

// maxShards is the most shards a memory store has. With at most 8, a
// shard's share of MaxBytes (MaxBytes/shards) always holds the largest
// entry a store keeps (MaxBytes/8).
const maxShards = 8

// MemoryOptions configure a memory store.
type MemoryOptions struct {
	// MaxBytes bounds the bytes of all entries (key plus value; the
	// bookkeeping of about 100 bytes per entry is not counted). An entry
	// bigger than MaxBytes/8 is not stored. 0 means DefaultMaxBytes.
	MaxBytes int64
	// Shards is how many independently locked LRU lists the entries are
	// spread over by key hash, each with an equal share of MaxBytes;
	// eviction is least recently used within a shard. 1 to 8; 0 means 8.
	// Tests use 1 for an exact LRU order.
	Shards int
	// Now is the clock TTLs are measured on; nil means time.Now.
	Now func() time.Time
}

// Memory is an in-memory Store: LRU lists bounded by bytes, with a TTL
// per entry. Expired entries are dropped when they are next looked up or
// reach the end of their LRU list. Safe for concurrent use: a lookup
// locks one shard.
type Memory struct {
	shards   []memShard
	seed     maphash.Seed
	maxEntry int64
	now      func() time.Time

	evictions atomic.Uint64
	entries   atomic.Int64
	bytes     atomic.Int64
}

type memShard struct {
	mu    sync.Mutex
	items map[string]*memEntry
	// head is the most recently used entry, tail the least; the list is
	// circular through root.
	root  memEntry
	used  int64
	limit int64
	_     [64]byte // keep shards' locks on separate cache lines
}

type memEntry struct {
	key        string
	val        []byte
	expires    time.Time
	prev, next *memEntry
}

func (e *memEntry) size() int64 { return int64(len(e.key) + len(e.val)) }

// NewMemory returns an empty memory store.
func NewMemory(o MemoryOptions) *Memory {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Shards <= 0 || o.Shards > maxShards {
		o.Shards = maxShards
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Memory{
		shards:   make([]memShard, o.Shards),
		seed:     maphash.MakeSeed(),
		maxEntry: o.MaxBytes / 8,
		now:      o.Now,
	}
	for i := range m.shards {
		s := &m.shards[i]
		s.items = map[string]*memEntry{}
		s.root.prev, s.root.next = &s.root, &s.root
		s.limit = o.MaxBytes / int64(o.Shards)
	}
	return m
}

func (m *Memory) shard(key string) *memShard {
	if len(m.shards) == 1 {
		return &m.shards[0]
	}
	return &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
}

// Get implements Store. It never fails.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	s := m.shard(key)
	s.mu.Lock()
	e, ok := s.items[key]
	if !ok {
		s.mu.Unlock()
		return nil, false, nil
	}
	if !m.now().Before(e.expires) {
		m.remove(s, e)
		s.mu.Unlock()
		return nil, false, nil
	}
	if s.root.next != e {
		unlink(e)
		s.pushFront(e)
	}
	val := e.val
	s.mu.Unlock()
	return val, true, nil
}

// Set implements Store: it keeps a copy of val, evicting least recently
// used entries of the key's shard until the new one fits. It never fails
// but with ErrTooLarge.
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	s := m.shard(key)
	size := int64(len(key) + len(val))
	if size > m.maxEntry || ttl <= 0 {
		s.mu.Lock()
		if old, ok := s.items[key]; ok {
			m.remove(s, old)
		}
		s.mu.Unlock()
		if ttl <= 0 {
			return nil
		}
		return ErrTooLarge
	}
	e := &memEntry{key: key, val: append([]byte(nil), val...)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.items[key]; ok {
		m.remove(s, old)
	}
	now := m.now()
	for s.used+size > s.limit && s.root.prev != &s.root {
		lru := s.root.prev
		if now.Before(lru.expires) {
			m.evictions.Add(1) // an expired entry is not a loss
		}
		m.remove(s, lru)
	}
	e.expires = now.Add(ttl)
	s.items[key] = e
	s.pushFront(e)
	s.used += size
	m.entries.Add(1)
	m.bytes.Add(size)
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, key string) error {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.items[key]; ok {
		m.remove(s, e)
	}
	return nil
}

// remove drops e from s; s.mu is held.
func (m *Memory) remove(s *memShard, e *memEntry) {
	unlink(e)
	delete(s.items, e.key)
	s.used -= e.size()
	m.entries.Add(-1)
	m.bytes.Add(-e.size())
}

func (s *memShard) pushFront(e *memEntry) {
	e.prev, e.next = &s.root, s.root.next
	s.root.next.prev = e
	s.root.next = e
}

func unlink(e *memEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// Evictions returns how many unexpired entries were dropped to make room.
func (m *Memory) Evictions() uint64 { return m.evictions.Load() }

// Len returns how many entries the store holds (expired ones included
// until they are dropped).
func (m *Memory) Len() int64 { return m.entries.Load() }

// Bytes returns the key and value bytes of the entries held.
func (m *Memory) Bytes() int64 { return m.bytes.Load() }

// Close implements Store; the store stays usable.
func (m *Memory) Close() error { return nil }
