// Package cache is the response-cache plugin: it answers repeated
// tools/call requests from a cache of raw results (package respcache),
// in memory or, with "gateway": {"redis": {...}}, in a Redis shared by
// every replica. A tool is cached when a rule of "gateway": {"cache":
// {"rules": [...]}} names it, or, with no rule naming it, when its
// definition is annotated readOnlyHint and idempotentHint. Identical
// concurrent calls share one backend call. It is the innermost plugin:
// guardrails, authorization and audit see hits like any other result.
//
// What is never cached: JSON-RPC errors, results with "isError": true,
// results that are not complete ("resultType" other than "complete"),
// results a plugin inside the cache changed or blocked, results marked
// "cacheScope": "private" under a shared rule, calls whose arguments a
// plugin outside the cache changed (masked arguments no longer say what
// the client asked), task-augmented calls and the retries of
// multi-round-trip calls.
package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	limits "github.com/mcpgw/mcp-gateway/ratelimit"
	"github.com/mcpgw/mcp-gateway/respcache"
	"github.com/redis/go-redis/v9"
)

// Name is the plugin's name.
const Name = "cache"

// Sections are the gateway config keys the plugin reads.
const (
	CacheSection = "cache"
	RedisSection = "redis"
)

func init() {
	config.RegisterSection(CacheSection)
	config.RegisterSection(RedisSection)
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Sections is what the plugin is built from: the two gateway sections,
// put together by the caller as {"cache": {...}, "redis": {...}} (each
// absent when the config has none).
type Sections struct {
	Cache json.RawMessage `json:"cache"`
	Redis json.RawMessage `json:"redis"`
}

// maxHints bounds the annotations remembered; past it, they start over
// (tools are judged again each time their backend's list is fetched).
const maxHints = 1 << 16

// Plugin is the response-cache plugin.
type Plugin struct {
	enabled    bool
	rules      []Rule
	defaultTTL time.Duration
	cache      *respcache.Cache
	events     plugin.EventSink

	mu    sync.RWMutex
	hints map[string]string // exposed name → server, for tools hinted read-only and idempotent
}

var (
	_ plugin.Handler         = (*Plugin)(nil)
	_ plugin.DefinitionJudge = (*Plugin)(nil)
	_ io.Closer              = (*Plugin)(nil)
)

// New builds the plugin from {"cache": {...}, "redis": {...}}; nil is the
// defaults (enabled, in memory, annotated tools only).
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	sec, err := decodeSections(raw)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(sec.Cache, len(sec.Redis) > 0)
	if err != nil {
		return nil, err
	}
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	p := &Plugin{enabled: cfg.Enabled, rules: cfg.Rules, defaultTTL: cfg.DefaultTTL,
		events: env.Events, hints: map[string]string{}}
	if p.events == nil {
		p.events = plugin.LogEvents{Log: env.Log}
	}
	if !cfg.Enabled {
		return p, nil
	}
	var store respcache.Store
	if *cfg.Redis {
		rc, err := limits.ParseRedis(sec.Redis)
		if err != nil {
			return nil, err
		}
		redisLogTo(env.Log)
		if store, err = respcache.NewRedis(respcache.RedisOptions{
			URL: rc.URL, Prefix: rc.Prefix, MaxEntry: cfg.MaxBytes / 8,
			Log: env.Log, OnChange: p.storeChanged,
		}); err != nil {
			return nil, err
		}
	} else {
		store = respcache.NewMemory(respcache.MemoryOptions{MaxBytes: cfg.MaxBytes})
	}
	p.cache = respcache.New(store)
	return p, nil
}

// decodeSections splits the plugin's raw config into its two sections.
func decodeSections(raw json.RawMessage) (Sections, error) {
	var sec Sections
	if len(raw) == 0 || isNull(raw) {
		return sec, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return sec, fmt.Errorf(`gateway.plugins.%s: expected {"cache": {...}, "redis": {...}}, got %s`, Name, config.JSONKind(raw))
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case CacheSection:
			sec.Cache = obj[k]
		case RedisSection:
			sec.Redis = obj[k]
		default:
			return sec, fmt.Errorf(`gateway.plugins.%s: unknown key %q; configure the cache with "gateway": {"cache": {...}}, not under "plugins"`, Name, k)
		}
	}
	return sec, nil
}

// storeChanged reports Redis going away and coming back to the audit
// trail.
func (p *Plugin) storeChanged(available bool, _ error) {
	e := plugin.Event{Plugin: Name, Type: "unavailable", Rule: "redis",
		Reason: "the response cache store (redis) is unreachable; calls go to the backends uncached"}
	if available {
		e.Type, e.Reason = "recovered", "the response cache store (redis) answers again"
	}
	p.events.Report(context.Background(), e)
}

// Judge implements plugin.DefinitionJudge: it remembers which tools are
// annotated readOnlyHint and idempotentHint (the latest definition wins)
// and never hides anything.
func (p *Plugin) Judge(d *plugin.Definition) *plugin.Judgement {
	if d.Kind != "tool" || !p.enabled {
		return nil
	}
	hinted := hintedReadOnlyIdempotent(d.Raw)
	p.mu.RLock()
	server, had := p.hints[d.Exposed]
	p.mu.RUnlock()
	if hinted == had && (!had || server == d.Server) {
		return nil // nothing new: the common case of a list fetched again
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !hinted {
		delete(p.hints, d.Exposed)
		return nil
	}
	if len(p.hints) >= maxHints {
		clear(p.hints)
	}
	p.hints[d.Exposed] = d.Server
	return nil
}

// hintedReadOnlyIdempotent reports whether a tool definition has
// "annotations": {"readOnlyHint": true, "idempotentHint": true}.
func hintedReadOnlyIdempotent(def []byte) bool {
	ann, err := jsonrpc.Get(def, "annotations")
	if err != nil || len(ann) == 0 || ann[0] != '{' {
		return false
	}
	v, err := jsonrpc.Lookup(ann, "readOnlyHint", "idempotentHint")
	return err == nil && string(v[0]) == "true" && string(v[1]) == "true"
}

// policy is how a tool's results are cached.
type policy struct {
	ttl   time.Duration
	scope respcache.Scope
}

// policyFor returns how calls of tool name on server are cached; ok is
// false when they are not.
func (p *Plugin) policyFor(server, name string) (pol policy, ok bool) {
	for _, r := range p.rules {
		for _, g := range r.Tools {
			if m, _ := path.Match(g, name); m {
				return policy{ttl: r.TTL, scope: r.Scope}, r.TTL > 0
			}
		}
	}
	if p.defaultTTL <= 0 {
		return policy{}, false
	}
	p.mu.RLock()
	s, hinted := p.hints[name]
	p.mu.RUnlock()
	return policy{ttl: p.defaultTTL, scope: respcache.Private}, hinted && s == server
}

// Handle answers cacheable tools/call requests from the cache, or calls
// next and caches what it returns when that is fit for reuse. A hit is
// &plugin.Result{Raw: cached, Cached: true}; so is the answer of a call
// that waited for an identical one in flight. Raw of such a result is
// shared with the cache: it must not be modified in place.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	if !p.enabled || c.Method != "tools/call" || c.Server == "" {
		return next(ctx, c)
	}
	pol, ok := p.policyFor(c.Server, c.Name)
	if !ok || c.ArgumentsChanged() || (pol.scope == respcache.Private && c.Session == nil) || uncacheableParams(c.Params) {
		return next(ctx, c)
	}
	kp := respcache.KeyParts{Server: c.Server, Tool: c.Name, Scope: pol.scope, Args: c.RawArguments()}
	if pol.scope == respcache.Private {
		kp.Principal = c.Session.Principal
	}
	key, err := respcache.Key(kp)
	if err != nil {
		return next(ctx, c) // arguments with no canonical form
	}
	val, hit, err := p.cache.Lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	if hit {
		return &plugin.Result{Raw: val, Cached: true}, nil
	}
	return p.load(ctx, c, next, key, pol)
}

// load runs a missed call, coalesced with identical ones in flight.
func (p *Plugin) load(ctx context.Context, c *plugin.Call, next plugin.Next, key string, pol policy) (*plugin.Result, error) {
	var own *plugin.Result
	load := func(ctx context.Context) (respcache.Load, error) {
		res, err := next(ctx, c)
		own = res
		if err != nil || res == nil {
			return respcache.Load{}, err
		}
		return respcache.Load{Value: res.Raw, TTL: storableTTL(res, pol)}, nil
	}
	val, outcome, err := p.cache.Load(ctx, key, load)
	switch {
	case outcome == respcache.Loaded:
		return own, err
	case err != nil:
		return nil, err
	}
	return &plugin.Result{Raw: val, Cached: true}, nil
}

// uncacheableParams reports calls whose result is not the tool's answer
// to its arguments alone: task-augmented calls (the result is a task
// handle) and retries of multi-round-trip calls (they carry the client's
// answers; the 2026-07-28 revision forbids caching them).
func uncacheableParams(params []byte) bool {
	if t := bytes.TrimLeft(params, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return true
	}
	if !mayHaveKey(params, paramKeys) {
		return false
	}
	v, err := jsonrpc.Lookup(params, paramKeys...)
	return err != nil || v[0] != nil || v[1] != nil || v[2] != nil
}

var paramKeys = []string{"task", "inputResponses", "requestState"}

// mayHaveKey is a quick, allocation-free prefilter for jsonrpc.Lookup:
// false when obj has none of keys (lower-case initial) as a string in any
// letter case (which is how receivers such as Go's encoding/json may
// match them) nor any escape sequence (which could spell them).
func mayHaveKey(obj []byte, keys []string) bool {
	for i := 0; i < len(obj); i++ {
		switch obj[i] {
		case '\\':
			return true
		case '"':
			if i+1 >= len(obj) {
				return false
			}
			first := obj[i+1] | 0x20 // lower case for ASCII letters
			for _, k := range keys {
				if first != k[0] {
					continue
				}
				if end := i + 1 + len(k); end < len(obj) && obj[end] == '"' && bytes.EqualFold(obj[i+1:end], []byte(k)) {
					return true
				}
			}
		}
	}
	return false
}

// storableTTL returns how long res may be served from the cache under
// pol, 0 when it must not be: a result a plugin inside the cache changed
// or blocked, a tool error, an incomplete result (input_required), a
// result marked private under a shared rule. A backend's own "ttlMs"
// (milliseconds, 0 = immediately stale) shortens the TTL; hints the
// plugin does not know are ignored.
func storableTTL(res *plugin.Result, pol policy) time.Duration {
	if res.Changed || res.Blocked != "" {
		return 0
	}
	v, err := jsonrpc.Lookup(res.Raw, "isError", "resultType", "ttlMs", "cacheScope")
	if err != nil {
		return 0 // not an object, or fields spelled to confuse
	}
	if v[0] != nil && string(v[0]) != "false" {
		return 0
	}
	if v[1] != nil && string(v[1]) != `"complete"` {
		return 0
	}
	if v[3] != nil && string(v[3]) == `"private"` && pol.scope == respcache.Shared {
		return 0
	}
	ttl := pol.ttl
	if v[2] != nil {
		if ms, err := strconv.ParseInt(string(v[2]), 10, 64); err == nil && ms >= 0 && ms < ttl.Milliseconds() {
			ttl = time.Duration(ms) * time.Millisecond
		}
	}
	return ttl
}

// Stats returns the cache's counters (zero when the cache is disabled).
func (p *Plugin) Stats() respcache.Stats {
	if p.cache == nil {
		return respcache.Stats{}
	}
	return p.cache.Stats()
}

// Close releases the store.
func (p *Plugin) Close() error {
	if p.cache == nil {
		return nil
	}
	return p.cache.Close()
}

// redisLog routes the Redis client's own messages (failed dials, pool
// events) to the gateway's log at debug level: the store reports outages
// itself, once, at warn.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}

func redisLogTo(log *slog.Logger) { redis.SetLogger(redisLog{log: log}) }
