package gateway

import (
	"slices"
	"sync"
	"time"

	"github.com/mcpgw/mcp-gateway/upstream"
)

// A 2026-07-28 client has no session: each of its requests is served in a
// front session of its own. Per-client back sessions opened for such
// requests are kept in a pool when the request ends, keyed by the
// principal and the initialize params shown to the backend (the client's
// capabilities and identity), so that the next request of the same client
// does not pay for a new handshake. A pooled session serves one front
// session at a time: what the backend sends on its own reaches exactly the
// request that holds it.

// Bounds of a backend's pool.
const (
	poolPerKey  = 16               // idle sessions kept per principal and params
	poolMax     = 1024             // idle sessions kept in all
	poolIdleFor = 60 * time.Second // an idle session is closed after this
)

type backPool struct {
	mu   sync.Mutex
	idle map[string][]*pooledBack
	n    int
}

type pooledBack struct {
	s     *upstream.Session
	h     *frontHandler
	timer *time.Timer
}

// lease takes a live idle session for key from the pool, on a replica in
// rotation and not one of tried, or returns nil.
func (b *backend) lease(key string, tried []*replica) (*upstream.Session, *frontHandler) {
	b.pool.mu.Lock()
	defer b.pool.mu.Unlock()
	list := b.pool.idle[key]
	now := time.Now()
	for i := len(list) - 1; i >= 0; i-- {
		p := list[i]
		select {
		case <-p.s.Done():
			// It ended while idle.
		default:
			if slices.Contains(tried, p.h.r) || now.Before(p.h.r.ejectedUntil()) {
				continue // left for later
			}
		}
		list = append(list[:i:i], list[i+1:]...)
		b.pool.n--
		p.timer.Stop()
		select {
		case <-p.s.Done():
			p.s.Close()
			continue
		default:
		}
		b.pool.setLocked(key, list)
		return p.s, p.h
	}
	b.pool.setLocked(key, list)
	return nil, nil
}

func (p *backPool) setLocked(key string, list []*pooledBack) {
	if len(list) == 0 {
		delete(p.idle, key)
		return
	}
	p.idle[key] = list
}

// giveBack returns a session to the pool; false when it is not worth
// keeping (ended, busy, or the pool is full), and the caller closes it.
func (b *backend) giveBack(key string, s *upstream.Session, h *frontHandler) bool {
	select {
	case <-s.Done():
		return false
	default:
	}
	if s.Pending() > 0 {
		return false
	}
	h.f.Store(nil)
	b.pool.mu.Lock()
	defer b.pool.mu.Unlock()
	if b.pool.idle == nil {
		b.pool.idle = map[string][]*pooledBack{}
	}
	if b.pool.n >= poolMax || len(b.pool.idle[key]) >= poolPerKey {
		return false
	}
	p := &pooledBack{s: s, h: h}
	p.timer = time.AfterFunc(poolIdleFor, func() { b.expire(key, p) })
	b.pool.idle[key] = append(b.pool.idle[key], p)
	b.pool.n++
	return true
}

// expire closes a session that stayed idle in the pool.
func (b *backend) expire(key string, p *pooledBack) {
	b.pool.mu.Lock()
	list := b.pool.idle[key]
	found := false
	for i, x := range list {
		if x == p {
			list = append(list[:i:i], list[i+1:]...)
			found = true
			break
		}
	}
	if found {
		b.pool.n--
		b.pool.setLocked(key, list)
	}
	b.pool.mu.Unlock()
	if found {
		p.s.Close()
	}
}

// closePool closes every idle session (the gateway is stopping).
func (b *backend) closePool() {
	b.pool.mu.Lock()
	var all []*pooledBack
	for _, list := range b.pool.idle {
		all = append(all, list...)
	}
	b.pool.idle, b.pool.n = nil, 0
	b.pool.mu.Unlock()
	for _, p := range all {
		p.timer.Stop()
		p.s.Close()
	}
}

// releaseIfIdle returns a stateless front session's back sessions to the
// pool once nothing of it is in flight or parked, before its answer goes
// out, so that the client's next request finds them there.
func (f *Front) releaseIfIdle() {
	f.mu.Lock()
	if len(f.inflight) > 0 || len(f.conts) > 0 || len(f.backs) == 0 {
		f.mu.Unlock()
		return
	}
	backs := f.backs
	f.backs = map[*backend]*clientBack{}
	f.mu.Unlock()
	closeClientBacks(backs)
}
