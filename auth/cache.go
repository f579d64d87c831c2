package auth

import (
	"sync"
	"time"
)

// cacheEntry is a remembered validation outcome: a principal, or a failure
// worth remembering (an inactive introspected token).
type cacheEntry struct {
	principal *Principal
	failure   *Failure
	expires   time.Time
	// jwt entries were verified with the issuer's keys as of generation
	// gen; they are dropped when a key disappears from the issuer's set.
	jwt bool
	gen uint64
}

// tokenCache maps the SHA-256 of a token to its outcome. It holds at most
// max entries: when full, expired entries are swept and, if that is not
// enough, arbitrary ones dropped. Safe for concurrent use.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[[32]byte]cacheEntry
	max int
	gen uint64
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: make(map[[32]byte]cacheEntry), max: max}
}

// get returns the unexpired entry for sum.
func (c *tokenCache) get(sum [32]byte, now time.Time) (cacheEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[sum]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return cacheEntry{}, false
	}
	return e, true
}

// generation is the current generation, to be read before the keys a JWT
// is verified with.
func (c *tokenCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores e unless it is a JWT entry of an older generation (its key
// may have been withdrawn while it was being verified).
func (c *tokenCache) put(sum [32]byte, e cacheEntry, now time.Time) {
	if !now.Before(e.expires) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.jwt && e.gen != c.gen {
		return
	}
	if _, exists := c.m[sum]; !exists && len(c.m) >= c.max {
		for k, v := range c.m {
			if !now.Before(v.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[sum] = e
}

// dropJWT forgets every JWT entry and starts a new generation; called
// when a key has left the issuer's key set.
func (c *tokenCache) dropJWT() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, v := range c.m {
		if v.jwt {
			delete(c.m, k)
		}
	}
}

// len is the number of entries, expired or not.
func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
