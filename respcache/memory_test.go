package respcache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

var ctx = context.Background()

func newClock() *testenv.Clock {
	return testenv.NewClock(time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC))
}

// entry returns a key and value of exactly size bytes together.
func entry(i, size int) (string, []byte) {
	k := fmt.Sprintf("key-%04d", i)
	return k, []byte(strings.Repeat("v", size-len(k)))
}

func mustGet(t *testing.T, s Store, key string) ([]byte, bool) {
	t.Helper()
	v, ok, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return v, ok
}

func TestMemoryLRU(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxBytes: 2000, Shards: 1}) // entries up to 250 bytes
	for i := range 10 {
		k, v := entry(i, 200)
		if err := m.Set(ctx, k, v, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 10 || m.Bytes() != 2000 || m.Evictions() != 0 {
		t.Fatalf("full store: %d entries, %d bytes, %d evictions; want 10, 2000, 0", m.Len(), m.Bytes(), m.Evictions())
	}
	// Using key 0 makes key 1 the least recently used.
	if _, ok := mustGet(t, m, "key-0000"); !ok {
		t.Fatal("key 0 missing")
	}
	k, v := entry(10, 200)
	m.Set(ctx, k, v, time.Hour)
	if _, ok := mustGet(t, m, "key-0001"); ok {
		t.Error("key 1 (least recently used) was not evicted")
	}
	if _, ok := mustGet(t, m, "key-0000"); !ok {
		t.Error("key 0 (recently used) was evicted")
	}
	// A 250-byte entry needs the room of two: keys 2 and 3 go.
	k, v = entry(11, 250)
	m.Set(ctx, k, v, time.Hour)
	for i := range 12 {
		_, ok := mustGet(t, m, fmt.Sprintf("key-%04d", i))
		if want := i == 0 || i > 3; ok != want {
			t.Errorf("key %d present = %t, want %t", i, ok, want)
		}
	}
	if m.Evictions() != 3 || m.Bytes() != 1850 || m.Len() != 9 {
		t.Errorf("%d evictions, %d bytes, %d entries; want 3, 1850, 9", m.Evictions(), m.Bytes(), m.Len())
	}
	// Replacing an entry counts its new size instead of the old.
	k, v = entry(0, 250)
	m.Set(ctx, k, v, time.Hour)
	if m.Bytes() != 1900 || m.Evictions() != 3 {
		t.Errorf("after replacing: %d bytes, %d evictions; want 1900, 3", m.Bytes(), m.Evictions())
	}
	if got, _ := mustGet(t, m, "key-0000"); len(got) != 250-len("key-0000") {
		t.Errorf("replaced value has %d bytes", len(got))
	}
	m.Delete(ctx, "key-0000")
	if _, ok := mustGet(t, m, "key-0000"); ok || m.Bytes() != 1650 || m.Len() != 8 {
		t.Errorf("after Delete: present %t, %d bytes, %d entries; want false, 1650, 8", ok, m.Bytes(), m.Len())
	}
}

// TestMemoryBound: with the default shards, however many entries go in,
// the store never holds more than MaxBytes.
func TestMemoryBound(t *testing.T) {
	const max = 64 << 10
	m := NewMemory(MemoryOptions{MaxBytes: max})
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		k, v := entry(i, 20+r.IntN(max/8-20))
		if err := m.Set(ctx, k, v, time.Hour); err != nil {
			t.Fatal(err)
		}
		if m.Bytes() > max {
			t.Fatalf("after %d entries the store holds %d bytes, more than %d", i+1, m.Bytes(), max)
		}
	}
	if m.Evictions() == 0 || m.Len() == 0 {
		t.Fatalf("%d evictions, %d entries", m.Evictions(), m.Len())
	}
}

func TestMemoryTTL(t *testing.T) {
	clk := newClock()
	m := NewMemory(MemoryOptions{MaxBytes: 1000, Shards: 1, Now: clk.Now})
	m.Set(ctx, "short", []byte("1"), 10*time.Second)
	m.Set(ctx, "long", []byte("2"), time.Minute)
	clk.Advance(10*time.Second - time.Nanosecond)
	if _, ok := mustGet(t, m, "short"); !ok {
		t.Fatal("expired before its TTL")
	}
	clk.Advance(time.Nanosecond)
	if _, ok := mustGet(t, m, "short"); ok {
		t.Fatal("served at its TTL")
	}
	if m.Len() != 1 || m.Bytes() != int64(len("long")+1) {
		t.Errorf("expired entry still held: %d entries, %d bytes", m.Len(), m.Bytes())
	}
	if _, ok := mustGet(t, m, "long"); !ok {
		t.Fatal("long entry missing")
	}
	// A new Set restarts the TTL.
	clk.Advance(59 * time.Second)
	m.Set(ctx, "long", []byte("3"), time.Minute)
	clk.Advance(30 * time.Second)
	if v, ok := mustGet(t, m, "long"); !ok || string(v) != "3" {
		t.Fatalf("renewed entry: %q, %t", v, ok)
	}
	// Expired entries make room without counting as evictions.
	clk.Advance(time.Hour)
	for i := range 10 {
		k, v := entry(i, 100)
		m.Set(ctx, k, v, time.Hour)
	}
	if m.Evictions() != 0 || m.Len() != 10 {
		t.Errorf("%d evictions, %d entries; want 0 (the one dropped had expired), 10", m.Evictions(), m.Len())
	}
	if err := m.Set(ctx, "zero", []byte("x"), 0); err != nil {
		t.Errorf("Set with TTL 0: %v", err)
	}
	if _, ok := mustGet(t, m, "zero"); ok {
		t.Error("an entry with TTL 0 was stored")
	}
}

func TestMemoryOversized(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxBytes: 800, Shards: 1})
	k, v := entry(1, 100) // exactly MaxBytes/8
	if err := m.Set(ctx, k, v, time.Hour); err != nil {
		t.Fatalf("entry of MaxBytes/8: %v", err)
	}
	big := append(v, 'x')
	if err := m.Set(ctx, k, big, time.Hour); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("entry over MaxBytes/8: %v, want ErrTooLarge", err)
	}
	if _, ok := mustGet(t, m, k); ok || m.Len() != 0 || m.Bytes() != 0 {
		t.Errorf("an oversized value left the old one in place (present %t, %d bytes)", ok, m.Bytes())
	}
	if m.Evictions() != 0 {
		t.Errorf("%d evictions for an oversized entry", m.Evictions())
	}
	if d := NewMemory(MemoryOptions{}); d.maxEntry != DefaultMaxBytes/8 || len(d.shards) != maxShards {
		t.Errorf("defaults: max entry %d, %d shards", d.maxEntry, len(d.shards))
	}
}

func TestMemoryCopiesValue(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	v := []byte("original")
	m.Set(ctx, "k", v, time.Hour)
	copy(v, "CHANGED!")
	if got, _ := mustGet(t, m, "k"); string(got) != "original" {
		t.Fatalf("the store kept the caller's slice: %q", got)
	}
}

// TestMemoryConcurrent is for -race: many goroutines on overlapping keys,
// and the byte count stays exact.
func TestMemoryConcurrent(t *testing.T) {
	clk := newClock()
	m := NewMemory(MemoryOptions{MaxBytes: 32 << 10, Now: clk.Now})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 3000 {
				k, v := entry(r.IntN(200), 10+r.IntN(1000))
				switch op := r.IntN(10); {
				case op < 6:
					if got, ok, _ := m.Get(ctx, k); ok && len(got) < 2 {
						t.Errorf("short value %q", got)
					}
				case op < 9:
					m.Set(ctx, k, v, time.Duration(1+r.IntN(5))*time.Second)
				default:
					m.Delete(ctx, k)
				}
				if r.IntN(100) == 0 {
					clk.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	var n, bytes int64
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		used := int64(0)
		for e := s.root.next; e != &s.root; e = e.next {
			used += e.size()
			n++
			if s.items[e.key] != e {
				t.Errorf("list entry %s not in the map", e.key)
			}
		}
		if used != s.used || used > s.limit || len(s.items) != countList(s) {
			t.Errorf("shard %d: list holds %d bytes, counted %d, limit %d", i, used, s.used, s.limit)
		}
		bytes += used
		s.mu.Unlock()
	}
	if n != m.Len() || bytes != m.Bytes() || bytes > 32<<10 {
		t.Errorf("store counts %d entries, %d bytes; lists hold %d, %d", m.Len(), m.Bytes(), n, bytes)
	}
}

func countList(s *memShard) int {
	n := 0
	for e := s.root.next; e != &s.root; e = e.next {
		n++
	}
	return n
}

func BenchmarkMemoryGetParallel(b *testing.B) {
	m := NewMemory(MemoryOptions{})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i], _ = Key(KeyParts{Server: "s", Tool: "s__t", Args: fmt.Appendf(nil, `{"i":%d}`, i)})
		m.Set(ctx, keys[i], make([]byte, 1024), time.Hour)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok, _ := m.Get(ctx, keys[i%len(keys)]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
}
