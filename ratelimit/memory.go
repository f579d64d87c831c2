package ratelimit

import (
	"context"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxEntries is the memory store's default cap on buckets.
const DefaultMaxEntries = 100_000

// MemoryOptions configures NewMemoryStoreWith.
type MemoryOptions struct {
	// MaxEntries is the hard cap on buckets held; 0 means
	// DefaultMaxEntries.
	MaxEntries int
	// Now is the clock; nil means time.Now. Only differences between its
	// readings matter.
	Now func() time.Time
	// SweepEvery is the period of the background sweep that evicts idle
	// buckets; 0 means 30 s, a negative value disables the sweep (Sweep
	// can still be called).
	SweepEvery time.Duration
}

// MemoryStore keeps buckets in this process. Buckets are sharded by
// principal, so one decision locks one shard.
//
// It is bounded: a bucket idle for at least its full-refill time is full
// again, indistinguishable from an absent one, and is evicted by the
// periodic sweep; and at most MaxEntries buckets are held. When a new
// bucket would exceed the cap, the store first sweeps the shard (at most
// once per second) and, if that frees nothing, evicts the bucket nearest
// to full among a sample of 8, so an overflow can at worst refill one
// bucket early. Evictions forced by the cap are counted (Stats).
type MemoryStore struct {
	now       func() time.Time
	realClock bool // now is time.Now
	epoch     time.Time
	seed      maphash.Seed
	shards    []memShard
	mask      uint64
	perShard  int
	forced    atomic.Int64

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// memKey identifies a bucket. A Bucket names a server or a tool (or
// neither); name holds that one, kind says which, and a Bucket naming both
// gets a length-prefixed concatenation. Three strings hash faster than four.
type memKey struct {
	rule, principal, name string
	kind                  uint8
}

const (
	kindNone uint8 = iota
	kindServer
	kindTool
	kindBoth
)

func keyOf(b *Bucket) memKey {
	switch {
	case b.Server == "" && b.Tool == "":
		return memKey{rule: b.Rule, principal: b.Principal}
	case b.Server == "":
		return memKey{rule: b.Rule, principal: b.Principal, name: b.Tool, kind: kindTool}
	case b.Tool == "":
		return memKey{rule: b.Rule, principal: b.Principal, name: b.Server, kind: kindServer}
	}
	return bothKey(b)
}

func bothKey(b *Bucket) memKey {
	return memKey{rule: b.Rule, principal: b.Principal, name: strconv.Itoa(len(b.Server)) + ":" + b.Server + b.Tool, kind: kindBoth}
}

type memEntry struct {
	tokens float64 // tokens at last
	last   int64   // ns since epoch of the last take
	full   int64   // ns since epoch when the bucket is full again
}

type memShard struct {
	mu        sync.Mutex
	m         map[memKey]*memEntry
	lastSweep int64
	_         [40]byte // keep shards on separate cache lines
}

// evictSample is how many buckets a forced eviction compares.
const evictSample = 8

// sweepGap is the least store time between two cap-triggered sweeps of a
// shard.
const sweepGap = int64(time.Second)

// NewMemoryStore returns a MemoryStore with the default options.
func NewMemoryStore() Store { return NewMemoryStoreWith(MemoryOptions{}) }

// NewMemoryStoreWith returns a MemoryStore configured by o. Close stops
// its background sweep.
func NewMemoryStoreWith(o MemoryOptions) *MemoryStore {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	real := o.Now == nil
	if real {
		o.Now = time.Now
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 30 * time.Second
	}
	n := 1
	for n < 64 && o.MaxEntries/(n*2) >= 1024 {
		n *= 2
	}
	m := &MemoryStore{
		now:       o.Now,
		realClock: real,
		epoch:     o.Now(),
		seed:      maphash.MakeSeed(),
		shards:    make([]memShard, n),
		mask:      uint64(n - 1),
		perShard:  o.MaxEntries / n,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	for i := range m.shards {
		m.shards[i].m = make(map[memKey]*memEntry)
	}
	if o.SweepEvery > 0 {
		go m.janitor(o.SweepEvery)
	} else {
		close(m.done)
	}
	return m
}

// clock returns the store time in ns since its creation. With the real
// clock it reads only the monotonic clock (time.Since), cheaper than
// time.Now.
func (m *MemoryStore) clock() int64 {
	if m.realClock {
		return int64(time.Since(m.epoch))
	}
	return int64(m.now().Sub(m.epoch))
}

func (m *MemoryStore) shardOf(principal string) int {
	if m.mask == 0 {
		return 0
	}
	return int(maphash.String(m.seed, principal) & m.mask)
}

// Take implements Store. It never fails; ctx is not consulted.
func (m *MemoryStore) Take(_ context.Context, bs []Bucket) (Result, error) {
	if len(bs) == 0 {
		return Result{Allowed: true, Refused: -1}, nil
	}
	// Lock the shards involved in ascending order (one, for the Limiter's
	// calls, whose buckets share a principal).
	var shBuf, idxBuf [8]int
	shs, idx := shBuf[:0], idxBuf[:0]
	for i := range bs {
		s := 0
		if i > 0 && bs[i].Principal == bs[i-1].Principal {
			s = shs[i-1]
		} else {
			s = m.shardOf(bs[i].Principal)
		}
		shs = append(shs, s)
		idx = insertSorted(idx, s)
	}
	for _, s := range idx {
		m.shards[s].mu.Lock()
	}
	res := m.take(bs, shs)
	for _, s := range idx {
		m.shards[s].mu.Unlock()
	}
	return res, nil
}

// take decides with the shards shs of bs locked.
func (m *MemoryStore) take(bs []Bucket, shs []int) Result {
	now := m.clock()
	var entBuf [8]*memEntry
	var tokBuf [8]float64
	ents, toks := entBuf[:0], tokBuf[:0]
	refused, worst := -1, 0.0
	for i := range bs {
		b := &bs[i]
		e := m.shards[shs[i]].m[keyOf(b)]
		tok := b.Capacity
		if e != nil {
			tok = refill(e.tokens, now-e.last, b.Rate, b.Capacity)
		}
		ents, toks = append(ents, e), append(toks, tok)
		if tok < 1 {
			if w := (1 - tok) / b.Rate; w > worst || refused < 0 {
				refused, worst = i, w
			}
		}
	}
	if refused >= 0 {
		return Result{Refused: refused, RetryAfter: secondsToDuration(worst)}
	}
	for i := range bs {
		b := &bs[i]
		e := ents[i]
		if e == nil {
			sh := &m.shards[shs[i]]
			if len(sh.m) >= m.perShard {
				m.makeRoom(sh, now, bs)
			}
			e = &memEntry{}
			k := keyOf(b)
			k.principal, k.name = strings.Clone(k.principal), strings.Clone(k.name)
			sh.m[k] = e
		}
		e.tokens = toks[i] - 1
		e.last = now
		e.full = addClamped(now, (b.Capacity-e.tokens)/b.Rate)
	}
	return Result{Allowed: true, Refused: -1}
}

// refill returns the tokens of a bucket that held tokens elapsed ns ago.
func refill(tokens float64, elapsed int64, rate, capacity float64) float64 {
	if elapsed <= 0 {
		return tokens
	}
	return math.Min(capacity, tokens+float64(elapsed)*rate/1e9)
}

// secondsToDuration rounds s seconds up to the next microsecond (the
// Redis store's resolution), so that both stores report the same waits;
// float error below a nanosecond does not round up a whole microsecond.
func secondsToDuration(s float64) time.Duration {
	us := math.Max(1, math.Ceil(s*1e6-1e-3))
	if us >= math.MaxInt64/1e3 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(us) * time.Microsecond
}

// addClamped returns now plus s seconds in ns, saturating.
func addClamped(now int64, s float64) int64 {
	d := s * 1e9
	if d >= float64(math.MaxInt64-now) {
		return math.MaxInt64
	}
	return now + int64(math.Ceil(d))
}

func insertSorted(idx []int, s int) []int {
	for i, v := range idx {
		if v == s {
			return idx
		}
		if v > s {
			idx = append(idx, 0)
			copy(idx[i+1:], idx[i:])
			idx[i] = s
			return idx
		}
	}
	return append(idx, s)
}

// makeRoom frees at least one slot in the full shard sh (locked), never
// evicting a bucket of the current call.
func (m *MemoryStore) makeRoom(sh *memShard, now int64, current []Bucket) {
	if now-sh.lastSweep >= sweepGap || sh.lastSweep == 0 {
		sh.lastSweep = now
		sweepShard(sh, now)
		if len(sh.m) < m.perShard {
			return
		}
	}
	for len(sh.m) >= m.perShard {
		var victim memKey
		found, best, n := false, int64(math.MaxInt64), 0
		for k, e := range sh.m {
			if isCurrent(k, current) {
				continue
			}
			if !found || e.full < best {
				victim, best, found = k, e.full, true
			}
			if n++; n >= evictSample {
				break
			}
		}
		if !found {
			return // only the current call's buckets: let it exceed by a few
		}
		delete(sh.m, victim)
		m.forced.Add(1)
	}
}

func isCurrent(k memKey, current []Bucket) bool {
	for i := range current {
		if k == keyOf(&current[i]) {
			return true
		}
	}
	return false
}

func sweepShard(sh *memShard, now int64) int {
	n := 0
	for k, e := range sh.m {
		if e.full <= now {
			delete(sh.m, k)
			n++
		}
	}
	return n
}

// Sweep evicts every bucket that is full again (idle for at least its
// full-refill time) and returns how many it evicted.
func (m *MemoryStore) Sweep() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		now := m.clock()
		sh.lastSweep = now
		n += sweepShard(sh, now)
		sh.mu.Unlock()
	}
	return n
}

// MemoryStats describes a MemoryStore's occupancy.
type MemoryStats struct {
	Entries int   // buckets held
	Forced  int64 // buckets evicted by the cap before they were full
}

// Stats returns the store's occupancy.
func (m *MemoryStore) Stats() MemoryStats {
	st := MemoryStats{Forced: m.forced.Load()}
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		st.Entries += len(sh.m)
		sh.mu.Unlock()
	}
	return st
}

func (m *MemoryStore) janitor(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.Sweep()
		}
	}
}

// FailOpen implements Store; the memory store never fails.
func (m *MemoryStore) FailOpen() bool { return false }

// Close stops the background sweep. The store remains usable.
func (m *MemoryStore) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}
