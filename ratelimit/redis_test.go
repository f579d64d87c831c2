package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/internal/testredis"
)

// startRedis starts a private redis-server (see internal/testredis), or
// skips the test when none is installed.
func startRedis(tb testing.TB) *testredis.Server {
	tb.Helper()
	return testredis.Start(tb)
}

func newRedisLimiter(tb testing.TB, r *testredis.Server, rules string, cfg RedisConfig, logs *testenv.LogBuffer) *Limiter {
	tb.Helper()
	if cfg.URL == "" {
		cfg.URL = r.URL()
	}
	var log *slog.Logger
	if logs != nil {
		log = newLogger(logs)
	}
	st, err := NewRedisStore(cfg, log)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := New(mustRules(tb, rules), st, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// TestRedisSharedBudget: two gateway instances sharing one Redis enforce
// one budget.
func TestRedisSharedBudget(t *testing.T) {
	r := startRedis(t)
	rules := `[{"roles": ["dev"], "tools": ["everything__echo"], "perMinute": 5}]`
	cfg := RedisConfig{Prefix: "mcpgw:"}
	a := newRedisLimiter(t, r, rules, cfg, nil)
	b := newRedisLimiter(t, r, rules, cfg, nil)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var allowed int
	var refusals []Decision
	for i := range 20 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			d := l.Allow(ctx, dev, "everything", "everything__echo")
			mu.Lock()
			defer mu.Unlock()
			if d.Allowed {
				allowed++
			} else {
				refusals = append(refusals, d)
			}
		})
	}
	wg.Wait()
	if allowed != 5 {
		t.Fatalf("%d calls allowed across both instances, want exactly 5", allowed)
	}
	for _, d := range refusals {
		if d.Degraded || d.Rule != 0 || d.Limit != "5 per minute for role dev on everything__echo" ||
			d.RetryAfter <= 0 || d.RetryAfter > 12*time.Second {
			t.Fatalf("refusal %+v", d)
		}
	}
	// Another prefix is another budget.
	c := newRedisLimiter(t, r, rules, RedisConfig{Prefix: "other:"}, nil)
	if d := c.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed {
		t.Fatalf("other prefix: %+v", d)
	}
}

func TestRedisRefusalDrainsNothing(t *testing.T) {
	r := startRedis(t)
	l := newRedisLimiter(t, r, `[
		{"tools": ["*"], "perHour": 10, "per": "principal"},
		{"tools": ["everything__echo"], "perHour": 2}
	]`, RedisConfig{}, nil)
	for range 2 {
		if d := l.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed {
			t.Fatal(d)
		}
	}
	for range 20 {
		if d := l.Allow(ctx, dev, "everything", "everything__echo"); d.Allowed || d.Rule != 1 {
			t.Fatalf("%+v, want refused by rule 1", d)
		}
	}
	for i := range 8 {
		if d := l.Allow(ctx, dev, "everything", "everything__add"); !d.Allowed {
			t.Fatalf("call %d refused: rule 0 was drained by refused calls: %+v", i, d)
		}
	}
	d := l.Allow(ctx, dev, "everything", "everything__add")
	if d.Allowed || d.Rule != 0 || d.RetryAfter <= 0 || d.RetryAfter > 6*time.Minute {
		t.Fatalf("%+v, want refused by rule 0 with RetryAfter <= 6m", d)
	}
}

func TestRedisRetryAfterAndLongestWait(t *testing.T) {
	r := startRedis(t)
	l := newRedisLimiter(t, r, `[{"perSecond": 1}, {"perHour": 1}, {"perMinute": 1}]`, RedisConfig{}, nil)
	l.Allow(ctx, dev, "s", "")
	d := l.Allow(ctx, dev, "s", "")
	// Rule 1's bucket refills last: one token per hour, minus the time
	// since the first call.
	if d.Allowed || d.Rule != 1 || d.RetryAfter <= 59*time.Minute || d.RetryAfter > time.Hour {
		t.Fatalf("%+v, want rule 1 with RetryAfter just under 1h", d)
	}
}

func TestRedisKeysExpire(t *testing.T) {
	r := startRedis(t)
	c := r.Client()
	st, err := NewRedisStore(RedisConfig{URL: r.URL(), Prefix: "t:"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs := st.(*RedisStore)

	slow := Rule{Tools: []string{"*"}, PerMinute: 5}
	fast := Rule{Servers: []string{"*"}, PerSecond: 10}
	l, err := New([]Rule{slow, fast}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if d := l.Allow(ctx, dev, "s", "s__t"); !d.Allowed {
			t.Fatal(d)
		}
	}
	slowKey := rs.Key(compileRule(0, slow).bucket(&dev, "s", "s__t"))
	fastKey := rs.Key(compileRule(1, fast).bucket(&dev, "s", "s__t"))
	if want := "t:rl:{alice}:" + ruleID(slow) + "::s__t"; slowKey != want {
		t.Fatalf("key %q, want %q", slowKey, want)
	}
	keys, err := c.Keys(ctx, "t:*").Result()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %v %v, want 2", keys, err)
	}
	// The slow bucket is empty: full again in 60 s, when its key expires.
	if ttl, err := c.PTTL(ctx, slowKey).Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("slow key TTL %v %v, want within (0, 60s]", ttl, err)
	}
	// The value is "<tokens> <µs>": under one token left (0 plus what
	// refilled while the test ran).
	v, err := c.Get(ctx, slowKey).Result()
	fields := strings.Fields(v)
	if err != nil || len(fields) != 2 {
		t.Fatalf("slow value %q %v", v, err)
	}
	if tok, err := strconv.ParseFloat(fields[0], 64); err != nil || tok < 0 || tok >= 1 {
		t.Fatalf("slow value %q: want tokens in [0, 1)", v)
	}
	// The fast bucket holds 5 of 10 tokens at 10/s: full (and gone) within 0.5 s.
	if ttl, err := c.PTTL(ctx, fastKey).Result(); err != nil || ttl <= 0 || ttl > 500*time.Millisecond {
		t.Fatalf("fast key TTL %v %v, want within (0, 500ms]", ttl, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Exists(ctx, fastKey).Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("fast key never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A refusal writes nothing: the slow key's TTL keeps running down.
	before, _ := c.PTTL(ctx, slowKey).Result()
	if d := l.Allow(ctx, dev, "s", "s__t"); d.Allowed {
		t.Fatal("slow bucket not empty")
	}
	if after, _ := c.PTTL(ctx, slowKey).Result(); after > before {
		t.Fatalf("a refusal extended the key: TTL %v -> %v", before, after)
	}
}

func TestRedisOutage(t *testing.T) {
	for _, open := range []bool{false, true} {
		t.Run(fmt.Sprint("failOpen=", open), func(t *testing.T) {
			r := startRedis(t)
			var logs testenv.LogBuffer
			l := newRedisLimiter(t, r, `[{"tools": ["*"], "perHour": 3}]`, RedisConfig{FailOpen: open}, &logs)
			l.logEvery = time.Hour // the test must not depend on how long it runs
			for range 3 {
				if d := l.Allow(ctx, dev, "s", "s__t"); !d.Allowed || d.Degraded {
					t.Fatalf("before the outage: %+v", d)
				}
			}
			if d := l.Allow(ctx, dev, "s", "s__t"); d.Allowed || d.Degraded || d.Rule != 0 {
				t.Fatalf("before the outage, 4th call: %+v", d)
			}

			r.Kill()
			for i := range 30 {
				d := l.Allow(ctx, dev, "s", "s__t")
				var want Decision
				if open {
					want = Decision{Allowed: true, Rule: -1, Degraded: true, Limit: "rate-limit store unavailable; the call was let through uncounted (failOpen)"}
				} else {
					want = Decision{Rule: -1, Degraded: true, RetryAfter: time.Second, Limit: "rate-limit store unavailable; calls are refused until it recovers"}
				}
				if d != want {
					t.Fatalf("outage call %d: %+v\nwant %+v", i, d, want)
				}
			}
			if n := logs.Count(`msg="rate limiting: store unavailable`); n != 1 {
				t.Fatalf("outage logged %d times over 30 calls, want once:\n%s", n, logs.String())
			}

			r.Restart()
			deadline := time.Now().Add(15 * time.Second)
			var d Decision
			for {
				d = l.Allow(ctx, dev, "s", "s__t")
				if !d.Degraded {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("still degraded 15s after Redis came back: %+v\n%s", d, logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The restarted Redis is empty: the bucket is full again, and
			// limits apply again.
			if !d.Allowed {
				t.Fatalf("first call after recovery: %+v", d)
			}
			for range 2 {
				if d := l.Allow(ctx, dev, "s", "s__t"); !d.Allowed || d.Degraded {
					t.Fatalf("after recovery: %+v", d)
				}
			}
			if d := l.Allow(ctx, dev, "s", "s__t"); d.Allowed || d.Degraded || d.Rule != 0 || d.RetryAfter <= 0 {
				t.Fatalf("after recovery, 4th call: %+v, want limited again", d)
			}
			if n := logs.Count(`msg="rate limiting: store recovered`); n != 1 {
				t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.String())
			}
		})
	}
}

// TestRedisFrozen: a server that accepts but never answers (stopped with
// SIGSTOP) makes calls fail by the store's own timeout (a ctx without a
// deadline is passed), and they are limited again once it resumes.
func TestRedisFrozen(t *testing.T) {
	r := startRedis(t)
	var logs testenv.LogBuffer
	l := newRedisLimiter(t, r, `[{"perHour": 2}]`, RedisConfig{}, &logs)
	if d := l.Allow(ctx, dev, "s", ""); !d.Allowed {
		t.Fatal(d)
	}
	if err := r.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			r.Resume()
			resumed = true
		}
	}
	defer resume()
	for range 3 {
		if d := l.Allow(context.Background(), dev, "s", ""); d.Allowed || !d.Degraded {
			t.Fatalf("frozen server: %+v, want refused, degraded", d)
		}
	}
	resume()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d := l.Allow(ctx, dev, "s", "")
		if !d.Degraded {
			// The bucket held 1 token; a call that timed out may still have
			// run its script once the server resumed, taking it.
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still degraded 15s after the server resumed: %+v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := l.Allow(ctx, dev, "s", ""); d.Allowed || d.Rule != 0 {
		t.Fatalf("after resuming: %+v, want limited", d)
	}
}

func TestRedisUnreachableAtStartup(t *testing.T) {
	port := testredis.FreePort(t) // nothing listens there
	var logs testenv.LogBuffer
	st, err := NewRedisStore(RedisConfig{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}, newLogger(&logs))
	if err != nil {
		t.Fatalf("an unreachable server is not a configuration error: %v", err)
	}
	l, err := New(mustRules(t, `[{"perSecond": 1}]`), st, newLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !strings.Contains(logs.String(), "redis not reachable at startup") {
		t.Errorf("startup failure not logged:\n%s", logs.String())
	}
	d := l.Allow(ctx, dev, "s", "")
	if d.Allowed || !d.Degraded {
		t.Fatalf("%+v, want refused, degraded", d)
	}
	_, err = st.Take(ctx, []Bucket{{Rule: "r", Rate: 1, Capacity: 1}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Take error %v does not wrap ErrUnavailable", err)
	}
}

func TestRedisCallerDeadline(t *testing.T) {
	r := startRedis(t)
	var logs testenv.LogBuffer
	l := newRedisLimiter(t, r, `[{"perSecond": 1}]`, RedisConfig{}, &logs)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	d := l.Allow(cctx, dev, "s", "")
	if d.Allowed || d.Degraded || d.Rule != -1 || !strings.Contains(d.Limit, "context canceled") {
		t.Fatalf("%+v, want refused as canceled, not degraded", d)
	}
	if strings.Contains(logs.String(), "unavailable") {
		t.Fatalf("a canceled call was logged as an outage:\n%s", logs.String())
	}
	if d := l.Allow(ctx, dev, "s", ""); !d.Allowed {
		t.Fatalf("next call: %+v", d)
	}
}

func TestRedisKeyEscaping(t *testing.T) {
	s := &RedisStore{prefix: "p:"}
	a := s.Key(Bucket{Rule: "r", Principal: "a:b", Server: "c"})
	b := s.Key(Bucket{Rule: "r", Principal: "a", Server: "b:c"})
	if a == b {
		t.Fatalf("keys collide: %q", a)
	}
	if got := s.Key(Bucket{Rule: "r", Principal: "{x}%", Server: "s", Tool: "s__t"}); got != "p:rl:{%7Bx%7D%25}:r:s:s__t" {
		t.Fatalf("key %q", got)
	}
}

func TestNewRedisStoreConfigErrors(t *testing.T) {
	for _, u := range []string{"", "http://h:1", "redis://:pw@h:1/x"} {
		if _, err := NewRedisStore(RedisConfig{URL: u}, nil); err == nil || !strings.Contains(err.Error(), "gateway.redis.url") {
			t.Errorf("%q: error %v", u, err)
		} else if strings.Contains(err.Error(), ":pw@") {
			t.Errorf("%q: error leaks the password: %v", u, err)
		}
	}
}
