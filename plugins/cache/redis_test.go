package cache

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testredis"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/respcache"
)

// events records the plugin's events.
type events struct {
	mu  sync.Mutex
	got []plugin.Event
}

func (e *events) Report(_ context.Context, ev plugin.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, ev)
}

func (e *events) types() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ts []string
	for _, ev := range e.got {
		ts = append(ts, ev.Plugin+":"+ev.Type)
	}
	return strings.Join(ts, " ")
}

func newRedisPlugin(t *testing.T, r *testredis.Server, section string, ev plugin.EventSink) *Plugin {
	t.Helper()
	raw := `{"cache":` + section + `,"redis":{"url":"` + r.URL() + `","prefix":"t:"}}`
	h, err := New(json.RawMessage(raw), plugin.Env{Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	p := h.(*Plugin)
	t.Cleanup(func() { p.Close() })
	for i := range definitions {
		p.Judge(&definitions[i])
	}
	return p
}

// TestRedisSharedByReplicas: what one replica stored, another serves.
func TestRedisSharedByReplicas(t *testing.T) {
	r := testredis.Start(t)
	a := newRedisPlugin(t, r, `{}`, nil)
	b := newRedisPlugin(t, r, `{}`, nil)
	if _, ok := a.cache.Store().(*respcache.Redis); !ok {
		t.Fatalf("store %T, want Redis (a gateway.redis section exists)", a.cache.Store())
	}
	be := &backend{}
	if res, err := plugin.Chain([]plugin.Handler{a}, be.next)(ctx, call{}.build()); err != nil || res.Cached {
		t.Fatalf("first call on replica a: %+v, %v", res, err)
	}
	res, err := plugin.Chain([]plugin.Handler{b}, be.next)(ctx, call{}.build())
	if err != nil || !res.Cached || string(res.Raw) != okResult || be.calls.Load() != 1 {
		t.Fatalf("replica b: %+v, %v, %d backend calls; want a hit", res, err, be.calls.Load())
	}
	keys, err := r.Client().Keys(ctx, "*").Result()
	if err != nil || len(keys) != 1 || !strings.HasPrefix(keys[0], "t:cache:") || len(keys[0]) != len("t:cache:")+respcache.KeyLen {
		t.Errorf("keys in Redis %v, %v; want one t:cache:<64 hex digits>", keys, err)
	}
	if ttl := r.Client().PTTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > DefaultTTL {
		t.Errorf("entry TTL %v, want within (0, %v]", ttl, DefaultTTL)
	}
	// "redis": false keeps the cache in memory even with the section.
	m := newRedisPlugin(t, r, `{"redis": false}`, nil)
	if _, ok := m.cache.Store().(*respcache.Memory); !ok {
		t.Errorf("redis false: store %T", m.cache.Store())
	}
}

// TestRedisOutage: with Redis gone, calls reach the backend and never
// fail; the outage and the recovery are one event each.
func TestRedisOutage(t *testing.T) {
	r := testredis.Start(t)
	var ev events
	p := newRedisPlugin(t, r, `{}`, &ev)
	be := &backend{}
	chain := plugin.Chain([]plugin.Handler{p}, be.next)
	do := func() *plugin.Result {
		t.Helper()
		res, err := chain(ctx, call{}.build())
		if err != nil || string(res.Raw) != okResult {
			t.Fatalf("call: %+v, %v; a store failure must not reach the client", res, err)
		}
		return res
	}
	do()
	if !do().Cached {
		t.Fatal("no hit before the outage")
	}
	r.Kill()
	for i := range 20 {
		if do().Cached {
			t.Fatalf("outage call %d was a hit", i)
		}
	}
	if be.calls.Load() != 21 {
		t.Fatalf("%d backend calls, want 21", be.calls.Load())
	}
	if got := ev.types(); got != "cache:unavailable" {
		t.Fatalf("events during the outage: %q", got)
	}
	if s := p.Stats(); s.Errors < 20 {
		t.Errorf("Stats %+v: store errors not counted", s)
	}
	r.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for !do().Cached {
		if time.Now().After(deadline) {
			t.Fatal("no hit 10s after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := ev.types(); got != "cache:unavailable cache:recovered" {
		t.Errorf("events: %q", got)
	}
}
