package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

func newFakeClock() *testenv.Clock { return testenv.NewClock(time.Unix(1_700_000_000, 0)) }

func newTestMemory(clk *testenv.Clock, max int) *MemoryStore {
	return NewMemoryStoreWith(MemoryOptions{MaxEntries: max, Now: clk.Now, SweepEvery: -1})
}

func take(t *testing.T, m Store, bs ...Bucket) Result {
	t.Helper()
	r, err := m.Take(context.Background(), bs)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMemoryRefill(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 0)
	// perMinute 5: a bucket of 5 refilled at 5/60 per second, one token
	// every 12 s.
	b := Bucket{Rule: "r", Principal: "p", Rate: 5.0 / 60, Capacity: 5}
	for i := range 5 {
		if r := take(t, m, b); !r.Allowed {
			t.Fatalf("call %d refused: %+v", i, r)
		}
	}
	r := take(t, m, b)
	if r.Allowed || r.Refused != 0 || r.RetryAfter != 12*time.Second {
		t.Fatalf("6th call: %+v, want refused with RetryAfter 12s", r)
	}
	clk.Advance(12*time.Second - time.Microsecond)
	r = take(t, m, b)
	if r.Allowed || r.RetryAfter != time.Microsecond {
		t.Fatalf("1µs early: %+v, want refused with RetryAfter 1µs", r)
	}
	clk.Advance(time.Microsecond)
	if r := take(t, m, b); !r.Allowed {
		t.Fatalf("after 12 s: %+v, want allowed", r)
	}
	if r := take(t, m, b); r.Allowed || r.RetryAfter != 12*time.Second {
		t.Fatalf("the refilled token is used: %+v", r)
	}
	// A long idle time refills to the capacity, not beyond.
	clk.Advance(time.Hour)
	for i := range 5 {
		if r := take(t, m, b); !r.Allowed {
			t.Fatalf("after an hour, call %d refused", i)
		}
	}
	if r := take(t, m, b); r.Allowed {
		t.Fatal("bucket grew beyond its capacity")
	}
}

func TestMemoryRetryAfterFractional(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 0)
	b := Bucket{Rule: "r", Principal: "p", Rate: 3, Capacity: 1} // 3/s, one token per 333333.3 µs
	take(t, m, b)
	r := take(t, m, b)
	if r.Allowed || r.RetryAfter != 333334*time.Microsecond {
		t.Fatalf("%+v, want RetryAfter 333334µs (rounded up)", r)
	}
	clk.Advance(100 * time.Millisecond)
	r = take(t, m, b)
	if r.Allowed || r.RetryAfter != 233334*time.Microsecond {
		t.Fatalf("%+v, want RetryAfter 233334µs", r)
	}
	clk.Advance(r.RetryAfter)
	if r := take(t, m, b); !r.Allowed {
		t.Fatalf("after RetryAfter: %+v, want allowed", r)
	}
}

func TestMemoryRefusalTakesNothing(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 0)
	wide := Bucket{Rule: "wide", Principal: "p", Rate: 1, Capacity: 10}
	narrow := Bucket{Rule: "narrow", Principal: "p", Tool: "t", Rate: 1.0 / 60, Capacity: 2}
	for range 2 {
		if r := take(t, m, wide, narrow); !r.Allowed {
			t.Fatal("refused within both limits")
		}
	}
	// narrow is empty: 20 refusals must leave wide's remaining 8 tokens.
	for range 20 {
		if r := take(t, m, wide, narrow); r.Allowed || r.Refused != 1 {
			t.Fatalf("%+v, want refused by bucket 1", r)
		}
	}
	for i := range 8 {
		if r := take(t, m, wide); !r.Allowed {
			t.Fatalf("wide drained by refused calls: call %d refused", i)
		}
	}
	if r := take(t, m, wide); r.Allowed || r.Refused != 0 || r.RetryAfter != time.Second {
		t.Fatalf("%+v, want wide empty now", r)
	}
}

func TestMemoryRefusedReportsLongestWait(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 0)
	fast := Bucket{Rule: "fast", Principal: "p", Rate: 1, Capacity: 1}
	slow := Bucket{Rule: "slow", Principal: "p", Rate: 0.1, Capacity: 1}
	take(t, m, fast, slow)
	r := take(t, m, fast, slow)
	if r.Allowed || r.Refused != 1 || r.RetryAfter != 10*time.Second {
		t.Fatalf("%+v, want bucket 1 with 10s", r)
	}
	r = take(t, m, slow, fast)
	if r.Refused != 0 || r.RetryAfter != 10*time.Second {
		t.Fatalf("%+v, want bucket 0 with 10s", r)
	}
}

func TestMemoryBucketsAreIndependent(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 0)
	base := Bucket{Rule: "r", Principal: "p", Server: "s", Tool: "t", Rate: 1, Capacity: 1}
	take(t, m, base)
	if r := take(t, m, base); r.Allowed {
		t.Fatal("base not exhausted")
	}
	for _, b := range []Bucket{
		{Rule: "r2", Principal: "p", Server: "s", Tool: "t"},
		{Rule: "r", Principal: "p2", Server: "s", Tool: "t"},
		{Rule: "r", Principal: "p", Server: "s2", Tool: "t"},
		{Rule: "r", Principal: "p", Server: "s", Tool: "t2"},
		// Fields are not concatenated: no collision through separators.
		{Rule: "r", Principal: "p", Server: "st", Tool: ""},
	} {
		b.Rate, b.Capacity = 1, 1
		if r := take(t, m, b); !r.Allowed {
			t.Errorf("%+v shares base's bucket", b)
		}
	}
}

func TestMemoryEvictsIdleBuckets(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 0)
	// Full-refill time: fast 2 s (2 tokens at 1/s), slow 60 s.
	fast := Bucket{Rule: "fast", Principal: "p", Rate: 1, Capacity: 2}
	slow := Bucket{Rule: "slow", Principal: "q", Rate: 1.0 / 60, Capacity: 1}
	take(t, m, fast)
	take(t, m, fast)
	take(t, m, slow)
	if n := m.Stats().Entries; n != 2 {
		t.Fatalf("%d entries, want 2", n)
	}
	clk.Advance(2*time.Second - time.Nanosecond)
	if n := m.Sweep(); n != 0 {
		t.Fatalf("swept %d before the full-refill time", n)
	}
	clk.Advance(time.Nanosecond)
	if n := m.Sweep(); n != 1 {
		t.Fatalf("swept %d at fast's full-refill time, want 1", n)
	}
	clk.Advance(58 * time.Second)
	if n := m.Sweep(); n != 1 || m.Stats().Entries != 0 {
		t.Fatalf("swept %d, %d left; want slow gone", n, m.Stats().Entries)
	}
	// Eviction is lossless: a swept bucket comes back full.
	for range 2 {
		if r := take(t, m, fast); !r.Allowed {
			t.Fatal("evicted bucket came back short")
		}
	}
}

func TestMemoryCap(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 10)
	b := func(i int) Bucket {
		return Bucket{Rule: "r", Principal: fmt.Sprintf("p%d", i), Rate: 1.0 / 3600, Capacity: 1}
	}
	for i := range 100 {
		if r := take(t, m, b(i)); !r.Allowed {
			t.Fatalf("fresh bucket %d refused", i)
		}
		clk.Advance(time.Second)
		if n := m.Stats().Entries; n > 10 {
			t.Fatalf("%d entries after %d calls, cap is 10", n, i+1)
		}
	}
	st := m.Stats()
	if st.Entries != 10 || st.Forced != 90 {
		t.Fatalf("stats %+v, want 10 entries and 90 forced evictions", st)
	}
	// The most recently used buckets are kept: each new bucket evicted
	// the one nearest to full, the oldest of a sample.
	if r := take(t, m, b(99)); r.Allowed {
		t.Fatal("the newest bucket was evicted")
	}
}

func TestMemoryCapPrefersSweeping(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 4)
	for i := range 4 {
		take(t, m, Bucket{Rule: "r", Principal: fmt.Sprint(i), Rate: 1, Capacity: 1})
	}
	clk.Advance(2 * time.Second) // all four are full again
	take(t, m, Bucket{Rule: "r", Principal: "new", Rate: 1, Capacity: 1})
	if st := m.Stats(); st.Entries != 1 || st.Forced != 0 {
		t.Fatalf("stats %+v, want the idle buckets swept, none forced", st)
	}
}

func TestMemoryCapSparesCurrentCall(t *testing.T) {
	clk := newFakeClock()
	m := newTestMemory(clk, 2)
	a := Bucket{Rule: "a", Principal: "p", Rate: 1.0 / 3600, Capacity: 2}
	b := Bucket{Rule: "b", Principal: "p", Rate: 1.0 / 3600, Capacity: 2}
	c := Bucket{Rule: "c", Principal: "p", Rate: 1.0 / 3600, Capacity: 2}
	take(t, m, a, b)
	// Both a and b exist; c must be added without evicting a or b, which
	// this call is updating; the shard exceeds its cap by one rather than
	// lose them.
	take(t, m, a, b, c)
	take(t, m, a, b, c)
	if r := take(t, m, a); r.Allowed {
		t.Fatal("a lost its state")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemoryStoreWith(MemoryOptions{SweepEvery: -1})
	defer m.Close()
	// One token per hour: exactly capacity calls succeed however they race.
	shared := Bucket{Rule: "r", Principal: "p", Rate: 1.0 / 3600, Capacity: 50}
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				other := Bucket{Rule: "o", Principal: fmt.Sprint("p", g%3), Tool: fmt.Sprint(i), Rate: 1, Capacity: 1}
				r, _ := m.Take(context.Background(), []Bucket{other, shared})
				if r.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("%d allowed, want exactly 50", allowed)
	}
}

func TestMemoryJanitorAndClose(t *testing.T) {
	m := NewMemoryStoreWith(MemoryOptions{SweepEvery: time.Millisecond})
	take(t, m, Bucket{Rule: "r", Principal: "p", Rate: 1e6, Capacity: 1})
	deadline := time.Now().Add(10 * time.Second)
	for m.Stats().Entries != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background sweep never evicted the idle bucket")
		}
		time.Sleep(time.Millisecond)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if r := take(t, m, Bucket{Rule: "r", Principal: "p", Rate: 1, Capacity: 1}); !r.Allowed {
		t.Fatal("closed store refuses")
	}
}
