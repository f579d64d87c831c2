package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

const exampleRules = `[
    {"roles": ["dev"], "tools": ["everything__echo"], "perMinute": 5},
    {"principals": ["ci-bot"], "servers": ["github"], "perSecond": 2, "burst": 10},
    {"tools": ["*"], "perHour": 1000, "per": "principal"}
]`

func mustRules(t testing.TB, raw string) []Rule {
	t.Helper()
	rules, err := ParseRules(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func newMemLimiter(t testing.TB, raw string, clk *testenv.Clock) (*Limiter, *MemoryStore) {
	t.Helper()
	m := NewMemoryStoreWith(MemoryOptions{Now: clk.Now, SweepEvery: -1})
	l, err := New(mustRules(t, raw), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, m
}

var (
	dev   = Subject{Principal: "alice", Roles: []string{"dev"}}
	ciBot = Subject{Principal: "ci-bot", Roles: []string{"automation"}}
	ctx   = context.Background()
)

func TestLimiterExample(t *testing.T) {
	clk := newFakeClock()
	l, _ := newMemLimiter(t, exampleRules, clk)
	for i := range 5 {
		if d := l.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed || d.Rule != -1 || d.Degraded {
			t.Fatalf("call %d: %+v", i, d)
		}
	}
	d := l.Allow(ctx, dev, "everything", "everything__echo")
	want := Decision{Rule: 0, Limit: "5 per minute for role dev on everything__echo", RetryAfter: 12 * time.Second}
	if d != want {
		t.Fatalf("6th echo: %+v\nwant %+v", d, want)
	}
	// Another tool of the same server is limited only by rule 2.
	if d := l.Allow(ctx, dev, "everything", "everything__add"); !d.Allowed {
		t.Fatalf("everything__add: %+v", d)
	}
	// Another developer has a bucket of their own.
	bob := Subject{Principal: "bob", Roles: []string{"dev"}}
	if d := l.Allow(ctx, bob, "everything", "everything__echo"); !d.Allowed {
		t.Fatalf("bob: %+v", d)
	}
	clk.Advance(12 * time.Second)
	if d := l.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed {
		t.Fatalf("after RetryAfter: %+v", d)
	}

	// ci-bot on github: burst 10, then 2 per second. Rule 1 applies to
	// non-tool requests too (it has no tools), rule 2 does not.
	for i := range 10 {
		tool := "github__list_issues"
		if i%2 == 1 {
			tool = "" // e.g. resources/read
		}
		if d := l.Allow(ctx, ciBot, "github", tool); !d.Allowed {
			t.Fatalf("ci-bot call %d: %+v", i, d)
		}
	}
	d = l.Allow(ctx, ciBot, "github", "")
	want = Decision{Rule: 1, Limit: "2 per second (burst 10) for principal ci-bot on server github", RetryAfter: 500 * time.Millisecond}
	if d != want {
		t.Fatalf("11th ci-bot call: %+v\nwant %+v", d, want)
	}
	if d := l.Allow(ctx, ciBot, "gitlab", "gitlab__x"); !d.Allowed {
		t.Fatalf("ci-bot on gitlab: %+v", d)
	}
}

func TestLimiterPerPrincipalAcrossTools(t *testing.T) {
	clk := newFakeClock()
	l, _ := newMemLimiter(t, `[{"tools": ["*"], "perHour": 3, "per": "principal"}]`, clk)
	for i := range 3 {
		if d := l.Allow(ctx, ciBot, fmt.Sprint("s", i), fmt.Sprintf("s%d__t", i)); !d.Allowed {
			t.Fatalf("call %d: %+v", i, d)
		}
	}
	d := l.Allow(ctx, ciBot, "other", "other__t")
	if d.Allowed || d.Rule != 0 || d.RetryAfter != 20*time.Minute || d.Limit != "3 per hour for principal ci-bot on all tools together" {
		t.Fatalf("4th call: %+v", d)
	}
	// Not a tool call: the rule does not apply.
	if d := l.Allow(ctx, ciBot, "other", ""); !d.Allowed {
		t.Fatalf("prompts/get: %+v", d)
	}
}

// TestLimiterRefusalDrainsNothing: calls refused by one rule leave the
// other matching rules' buckets untouched.
func TestLimiterRefusalDrainsNothing(t *testing.T) {
	clk := newFakeClock()
	l, _ := newMemLimiter(t, `[
		{"tools": ["*"], "perHour": 10, "per": "principal"},
		{"tools": ["everything__echo"], "perHour": 2}
	]`, clk)
	for range 2 {
		if d := l.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed {
			t.Fatal(d)
		}
	}
	for range 50 {
		if d := l.Allow(ctx, dev, "everything", "everything__echo"); d.Allowed || d.Rule != 1 {
			t.Fatalf("%+v, want refused by rule 1", d)
		}
	}
	// 8 tokens are left in rule 0's bucket, whatever the refusals did.
	for i := range 8 {
		if d := l.Allow(ctx, dev, "everything", "everything__add"); !d.Allowed {
			t.Fatalf("call %d refused: rule 0 was drained by refused calls: %+v", i, d)
		}
	}
	if d := l.Allow(ctx, dev, "everything", "everything__add"); d.Allowed || d.Rule != 0 {
		t.Fatalf("%+v, want refused by rule 0", d)
	}
}

func TestLimiterRefusingRuleIsTheLongestWait(t *testing.T) {
	clk := newFakeClock()
	l, _ := newMemLimiter(t, `[
		{"perSecond": 1},
		{"perHour": 1},
		{"perMinute": 1}
	]`, clk)
	l.Allow(ctx, dev, "s", "")
	d := l.Allow(ctx, dev, "s", "")
	if d.Allowed || d.Rule != 1 || d.RetryAfter != time.Hour {
		t.Fatalf("%+v, want rule 1 with 1h", d)
	}
}

func TestLimiterNoRuleMatches(t *testing.T) {
	fs := &fakeStore{err: errors.New("must not be called")}
	l, err := New(mustRules(t, exampleRules), fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A non-tool request by a principal without matching rules.
	if d := l.Allow(ctx, dev, "everything", ""); d != (Decision{Allowed: true, Rule: -1}) {
		t.Fatalf("%+v", d)
	}
	if fs.calls != 0 {
		t.Fatal("store consulted with no matching rule")
	}
	empty, err := New(nil, fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := empty.Allow(ctx, dev, "s", "s__t"); !d.Allowed {
		t.Fatalf("no rules: %+v", d)
	}
}

func TestLimiterRulesSurviveReordering(t *testing.T) {
	// Buckets are keyed by rule fingerprint: the same store under a
	// reordered configuration keeps each rule's counts.
	clk := newFakeClock()
	m := NewMemoryStoreWith(MemoryOptions{Now: clk.Now, SweepEvery: -1})
	a, b := Rule{Tools: []string{"*"}, PerHour: 2}, Rule{PerHour: 100}
	l1, _ := New([]Rule{a, b}, m, nil)
	l1.Allow(ctx, dev, "s", "s__t")
	l1.Allow(ctx, dev, "s", "s__t")
	l2, _ := New([]Rule{b, a}, m, nil)
	if d := l2.Allow(ctx, dev, "s", "s__t"); d.Allowed || d.Rule != 1 {
		t.Fatalf("%+v, want refused by rule 1 (a, moved)", d)
	}
}

// fakeStore fails on demand.
type fakeStore struct {
	mu    sync.Mutex
	err   error
	open  bool
	calls int
}

func (f *fakeStore) Take(ctx context.Context, bs []Bucket) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return Result{}, f.err
	}
	return Result{Allowed: true, Refused: -1}, nil
}
func (f *fakeStore) FailOpen() bool { return f.open }
func (f *fakeStore) Close() error   { return nil }
func (f *fakeStore) set(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func newLogger(w *testenv.LogBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestLimiterStoreFailure(t *testing.T) {
	for _, open := range []bool{false, true} {
		t.Run(fmt.Sprint("failOpen=", open), func(t *testing.T) {
			var logs testenv.LogBuffer
			fs := &fakeStore{open: open}
			l, err := New(mustRules(t, exampleRules), fs, newLogger(&logs))
			if err != nil {
				t.Fatal(err)
			}
			l.logEvery = time.Hour
			fs.set(fmt.Errorf("%w: redis: connection refused", ErrUnavailable))
			for range 50 {
				d := l.Allow(ctx, dev, "everything", "everything__echo")
				var want Decision
				if open {
					want = Decision{Allowed: true, Rule: -1, Degraded: true, Limit: "rate-limit store unavailable; the call was let through uncounted (failOpen)"}
				} else {
					want = Decision{Rule: -1, Degraded: true, RetryAfter: time.Second, Limit: "rate-limit store unavailable; calls are refused until it recovers"}
				}
				if d != want {
					t.Fatalf("%+v\nwant %+v", d, want)
				}
			}
			if n := logs.Count(`msg="rate limiting: store unavailable`); n != 1 {
				t.Fatalf("outage logged %d times over 50 calls, want once:\n%s", n, logs.String())
			}
			fs.set(nil)
			for range 5 {
				if d := l.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed || d.Degraded {
					t.Fatalf("after recovery: %+v", d)
				}
			}
			if n := logs.Count(`msg="rate limiting: store recovered`); n != 1 {
				t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), "calls=50") {
				t.Errorf("recovery does not count the 50 affected calls:\n%s", logs.String())
			}
			// A new outage is logged again.
			fs.set(ErrUnavailable)
			l.Allow(ctx, dev, "everything", "everything__echo")
			if n := logs.Count(`msg="rate limiting: store unavailable`); n != 2 {
				t.Fatalf("second outage: logged %d times in total, want 2", n)
			}
		})
	}
}

func TestLimiterOutageRepeatsLog(t *testing.T) {
	var logs testenv.LogBuffer
	fs := &fakeStore{err: ErrUnavailable}
	l, _ := New(mustRules(t, exampleRules), fs, newLogger(&logs))
	l.logEvery = 0 // every failure is "logEvery later"
	for range 3 {
		l.Allow(ctx, dev, "everything", "everything__echo")
	}
	if n, m := logs.Count(`msg="rate limiting: store unavailable`), logs.Count(`msg="rate limiting: store still unavailable`); n != 1 || m != 2 {
		t.Fatalf("unavailable %d, still unavailable %d; want 1 and 2:\n%s", n, m, logs.String())
	}
}

func TestLimiterCanceledContext(t *testing.T) {
	var logs testenv.LogBuffer
	fs := &fakeStore{}
	l, _ := New(mustRules(t, exampleRules), fs, newLogger(&logs))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	fs.set(fmt.Errorf("ratelimit: redis: %w", context.Canceled))
	d := l.Allow(cctx, dev, "everything", "everything__echo")
	if d.Allowed || d.Degraded || d.Rule != -1 || !strings.Contains(d.Limit, "context canceled") {
		t.Fatalf("%+v", d)
	}
	if logs.String() != "" {
		t.Fatalf("a canceled call was logged as an outage:\n%s", logs.String())
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l, err := New(mustRules(t, `[{"tools": ["*"], "perHour": 100}]`), NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if l.Allow(ctx, dev, "s", "s__t").Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 100 {
		t.Fatalf("%d allowed, want exactly 100", allowed)
	}
}

func TestDecisionRetryAfterUnits(t *testing.T) {
	tests := []struct {
		d        Decision
		ms, secs int64
	}{
		{Decision{Allowed: true, Rule: -1}, 0, 0},
		{Decision{Rule: 0, RetryAfter: 12 * time.Second}, 12000, 12},
		{Decision{Rule: 0, RetryAfter: 333334 * time.Microsecond}, 334, 1},
		{Decision{Rule: 0, RetryAfter: time.Microsecond}, 1, 1},
		{Decision{Rule: 0, RetryAfter: 1500 * time.Millisecond}, 1500, 2},
		{Decision{Rule: -1, Degraded: true}, 0, 1},
	}
	for _, tt := range tests {
		if ms, s := tt.d.RetryAfterMillis(), tt.d.RetryAfterSeconds(); ms != tt.ms || s != tt.secs {
			t.Errorf("%+v: %d ms, %d s; want %d, %d", tt.d, ms, s, tt.ms, tt.secs)
		}
	}
}
