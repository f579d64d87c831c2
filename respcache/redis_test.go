package respcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/internal/testredis"
)

// changes records OnChange calls.
type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) record(up bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, fmt.Sprintf("available=%t err=%t", up, err != nil))
}

func (c *changes) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.got, "; ")
}

func newRedis(t *testing.T, o RedisOptions) *Redis {
	t.Helper()
	s, err := NewRedis(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRedisRoundTrip(t *testing.T) {
	r := testredis.Start(t)
	s := newRedis(t, RedisOptions{URL: r.URL(), Prefix: "gw:"})
	key, _ := Key(KeyParts{Server: "s", Tool: "s__t", Args: []byte(`{}`)})
	if v, ok, err := s.Get(ctx, key); err != nil || ok || v != nil {
		t.Fatalf("Get of a missing key = %q, %t, %v", v, ok, err)
	}
	// Values are stored as they are, binary included.
	val := []byte("{\"content\":[]}\x00\xff\r\n")
	if err := s.Set(ctx, key, val, time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(ctx, key); err != nil || !ok || !bytes.Equal(v, val) {
		t.Fatalf("Get = %q, %t, %v; want %q", v, ok, err, val)
	}
	c := r.Client()
	if raw, err := c.Get(ctx, "gw:cache:"+key).Bytes(); err != nil || !bytes.Equal(raw, val) {
		t.Fatalf("GET gw:cache:<key> = %q, %v; want the value as stored", raw, err)
	}
	if keys, _ := c.Keys(ctx, "*").Result(); len(keys) != 1 || keys[0] != s.Key(key) {
		t.Errorf("keys %v, want [%s]", keys, s.Key(key))
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, key); ok || err != nil {
		t.Fatalf("after Delete: %t, %v", ok, err)
	}
	// Another prefix is another cache.
	other := newRedis(t, RedisOptions{URL: r.URL(), Prefix: "other:"})
	s.Set(ctx, key, val, time.Minute)
	if _, ok, _ := other.Get(ctx, key); ok {
		t.Error("a store with another prefix sees the entry")
	}
}

func TestRedisTTL(t *testing.T) {
	r := testredis.Start(t)
	s := newRedis(t, RedisOptions{URL: r.URL(), Prefix: "t:"})
	c := r.Client()
	s.Set(ctx, "long", []byte("1"), 90*time.Second)
	if ttl, err := c.PTTL(ctx, "t:cache:long").Result(); err != nil || ttl <= 89*time.Second || ttl > 90*time.Second {
		t.Errorf("PTTL = %v, %v; want just under 90s", ttl, err)
	}
	// Millisecond precision; under 1 ms is 1 ms.
	s.Set(ctx, "short", []byte("2"), 150*time.Millisecond)
	if ttl, _ := c.PTTL(ctx, "t:cache:short").Result(); ttl <= 0 || ttl > 150*time.Millisecond {
		t.Errorf("PTTL = %v, want within (0, 150ms]", ttl)
	}
	if _, ok, _ := s.Get(ctx, "short"); !ok {
		t.Fatal("missing before its TTL")
	}
	waitFor(t, "the short entry to expire", func() bool {
		_, ok, err := s.Get(ctx, "short")
		return !ok && err == nil
	})
	s.Set(ctx, "tiny", []byte("3"), time.Microsecond)
	waitFor(t, "the tiny entry to expire", func() bool {
		_, ok, _ := s.Get(ctx, "tiny")
		return !ok
	})
}

func TestRedisTooLarge(t *testing.T) {
	r := testredis.Start(t)
	s := newRedis(t, RedisOptions{URL: r.URL(), MaxEntry: 100})
	if err := s.Set(ctx, "k", make([]byte, 99), time.Minute); err != nil {
		t.Fatalf("an entry of MaxEntry: %v", err)
	}
	if err := s.Set(ctx, "k", make([]byte, 100), time.Minute); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an entry over MaxEntry: %v, want ErrTooLarge", err)
	}
}

// TestRedisOutage: with Redis killed, every Get is a miss that loads, no
// caller sees an error, the outage is logged and reported once; when
// Redis is back, values are stored and hit again.
func TestRedisOutage(t *testing.T) {
	r := testredis.Start(t)
	var logs testenv.LogBuffer
	var ch changes
	s := newRedis(t, RedisOptions{URL: r.URL(), Prefix: "o:", Log: logs.Logger(), OnChange: ch.record})
	c := New(s)
	loads := 0
	load := func(context.Context) (Load, error) {
		loads++
		return Load{Value: []byte("fresh"), TTL: time.Minute}, nil
	}
	get := func() ([]byte, Outcome) {
		t.Helper()
		v, o, err := c.Get(ctx, "k", load)
		if err != nil {
			t.Fatalf("Get: %v (a store failure must be a miss)", err)
		}
		return v, o
	}
	if _, o := get(); o != Loaded {
		t.Fatalf("first Get: %v", o)
	}
	if v, o := get(); o != Hit || string(v) != "fresh" {
		t.Fatalf("second Get: %q, %v", v, o)
	}

	r.Kill()
	for i := range 30 {
		if v, o := get(); o != Loaded || string(v) != "fresh" {
			t.Fatalf("outage Get %d: %q, %v; want a load", i, v, o)
		}
	}
	if loads != 31 {
		t.Fatalf("%d loads, want 31", loads)
	}
	st := c.Stats()
	// Each outage Get fails its GET (and the SET after the load).
	if st.Errors < 30 || st.Errors > 60 || st.Hits != 1 {
		t.Errorf("Stats during the outage %+v; want 30 to 60 errors", st)
	}
	if n := logs.Count("response cache: redis unavailable"); n != 1 {
		t.Fatalf("outage logged %d times over 30 calls, want once:\n%s", n, logs.String())
	}
	if got := ch.String(); got != "available=false err=true" {
		t.Fatalf("OnChange calls: %s", got)
	}
	if s.Available() {
		t.Error("Available() during the outage")
	}

	r.Restart()
	waitFor(t, "Redis to be used again", func() bool {
		_, o := get()
		return o == Hit
	})
	if n := logs.Count("response cache: redis available again"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, logs.String())
	}
	if got := ch.String(); got != "available=false err=true; available=true err=false" {
		t.Errorf("OnChange calls: %s", got)
	}
}

// TestRedisFrozen: a server that accepts connections but never answers
// costs each call at most the store's timeout, and then nothing while
// the outage lasts.
func TestRedisFrozen(t *testing.T) {
	r := testredis.Start(t)
	s := newRedis(t, RedisOptions{URL: r.URL(), Timeout: 100 * time.Millisecond})
	c := New(s)
	if err := r.Pause(); err != nil {
		t.Fatal(err)
	}
	defer r.Resume()
	load := func(context.Context) (Load, error) { return Load{Value: []byte("v"), TTL: time.Minute}, nil }
	for range 3 {
		if v, o, err := c.Get(context.Background(), "k", load); err != nil || o != Loaded || string(v) != "v" {
			t.Fatalf("frozen server: %q, %v, %v", v, o, err)
		}
	}
	if s.Available() {
		t.Error("a frozen server counts as available")
	}
}

func TestRedisUnreachableAtStartup(t *testing.T) {
	var logs testenv.LogBuffer
	s := newRedis(t, RedisOptions{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", testredis.FreePort(t)), Log: logs.Logger()})
	if !strings.Contains(logs.String(), "redis not reachable at startup") {
		t.Errorf("startup failure not logged:\n%s", logs.String())
	}
	if _, ok, err := s.Get(ctx, "k"); ok || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get = %t, %v; want an error wrapping ErrUnavailable", ok, err)
	}
	if err := s.Set(ctx, "k", []byte("v"), time.Second); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set = %v; want an error wrapping ErrUnavailable", err)
	}
}

// TestRedisCallerCancelled: a caller's own cancelled ctx is not an
// outage.
func TestRedisCallerCancelled(t *testing.T) {
	r := testredis.Start(t)
	var logs testenv.LogBuffer
	s := newRedis(t, RedisOptions{URL: r.URL(), Log: logs.Logger()})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Get(cctx, "k"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get with a cancelled ctx: %v", err)
	}
	c := New(s)
	if _, _, err := c.Get(cctx, "k", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Cache.Get with a cancelled ctx: %v", err)
	}
	if !s.Available() || strings.Contains(logs.String(), "unavailable") {
		t.Fatalf("a cancelled call was taken for an outage:\n%s", logs.String())
	}
}

func TestNewRedisInvalidURL(t *testing.T) {
	for _, u := range []string{"", "http://h:1", "redis://:s3cret@h:1/x"} {
		_, err := NewRedis(RedisOptions{URL: u})
		if err == nil || !strings.Contains(err.Error(), "redis url") {
			t.Errorf("%q: error %v", u, err)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", u, err)
		}
	}
}

func BenchmarkRedisGet(b *testing.B) {
	r := testredis.Start(b)
	s, err := NewRedis(RedisOptions{URL: r.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Set(ctx, "k", make([]byte, 1024), time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.Get(ctx, "k"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
