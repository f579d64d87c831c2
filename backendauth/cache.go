package backendauth

import (
	"container/list"
	"sync"
	"time"
)

// cache maps a key (the SHA-256 of a subject token, or the zero key for
// the client credentials token) to an Authorization header value and the
// time it may be used until. It holds at most max entries and drops the
// least recently used first; an expired entry is dropped when it is next
// looked at. Safe for concurrent use.
type cache struct {
	mu  sync.Mutex
	max int
	ll  *list.List // of *entry, most recently used first
	m   map[[32]byte]*list.Element
}

type entry struct {
	key   [32]byte
	value string
	until time.Time
}

func newCache(max int) *cache {
	return &cache{max: max, ll: list.New(), m: make(map[[32]byte]*list.Element)}
}

// get returns the value for key if it is still usable at now.
func (c *cache) get(key [32]byte, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return "", false
	}
	e := el.Value.(*entry)
	if !now.Before(e.until) {
		c.ll.Remove(el)
		delete(c.m, key)
		return "", false
	}
	c.ll.MoveToFront(el)
	return e.value, true
}

// put stores value for key until until, evicting the least recently used
// entries beyond max. A value already expired at now is not stored (and
// an older value for key is dropped).
func (c *cache) put(key [32]byte, value string, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		if !now.Before(until) {
			c.ll.Remove(el)
			delete(c.m, key)
			return
		}
		e := el.Value.(*entry)
		e.value, e.until = value, until
		c.ll.MoveToFront(el)
		return
	}
	if !now.Before(until) {
		return
	}
	c.m[key] = c.ll.PushFront(&entry{key: key, value: value, until: until})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.m, old.Value.(*entry).key)
	}
}

// remove drops the entry for key if its value is value, and reports
// whether it did. A different value is a newer token, which is kept.
func (c *cache) remove(key [32]byte, value string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok || el.Value.(*entry).value != value {
		return false
	}
	c.ll.Remove(el)
	delete(c.m, key)
	return true
}

// len is the number of entries, expired or not.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
