// Package ratelimit is the rate-limit plugin: it applies the
// "gateway": {"rateLimits": [...]} of the config (package ratelimit) to
// tools/call, prompts/get and resources/read, in memory or, with
// "gateway": {"redis": {...}}, in a Redis shared by every replica. A
// refused call gets a JSON-RPC error with the limit and the retry time
// (and HTTP 429 with Retry-After where the transport allows). It is on
// whenever the config has rate limits.
package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/plugins/internal/contentguard"
	limits "github.com/mcpgw/mcp-gateway/ratelimit"
	"github.com/redis/go-redis/v9"
)

// Name is the plugin's name.
const Name = "ratelimit"

// Sections are the gateway config keys the plugin reads.
const (
	RulesSection = "rateLimits"
	RedisSection = "redis"
)

func init() {
	config.RegisterSection(RulesSection)
	config.RegisterSection(RedisSection)
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is what the plugin is built from: the two gateway sections,
// put together by the caller as {"rateLimits": [...], "redis": {...}}.
type Config struct {
	RateLimits json.RawMessage `json:"rateLimits"`
	Redis      json.RawMessage `json:"redis"`
}

// Plugin is the rate-limit plugin.
type Plugin struct {
	limiter *limits.Limiter
	events  plugin.EventSink
}

// New builds the plugin.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	sec, err := contentguard.ParseSection(Name, raw)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := sec.Decode("", &cfg); err != nil {
		return nil, err
	}
	rules, err := limits.ParseRules(cfg.RateLimits)
	if err != nil {
		return nil, err
	}
	store := limits.NewMemoryStore()
	if len(cfg.Redis) > 0 {
		rc, err := limits.ParseRedis(cfg.Redis)
		if err != nil {
			return nil, err
		}
		redisLogTo(env.Log)
		if store, err = limits.NewRedisStore(rc, env.Log); err != nil {
			return nil, err
		}
	}
	l, err := limits.New(rules, store, env.Log)
	if err != nil {
		return nil, err
	}
	p := &Plugin{limiter: l, events: env.Events}
	if p.events == nil {
		p.events = plugin.LogEvents{Log: env.Log}
	}
	return p, nil
}

// Handle takes a token for every call to a backend, or refuses it.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	tool := ""
	switch c.Method {
	case "tools/call":
		if c.Server == "" {
			return next(ctx, c) // the gateway's own tools
		}
		tool = c.Name
	case "prompts/get", "resources/read":
	default:
		return next(ctx, c)
	}
	var s limits.Subject
	if c.Session != nil {
		s = limits.Subject{Principal: c.Session.Principal, Roles: c.Session.Roles}
	}
	d := p.limiter.Allow(ctx, s, c.Server, tool)
	if d.Allowed {
		return next(ctx, c)
	}
	ms := d.RetryAfterMillis()
	msg := "rate limit exceeded"
	if d.Limit != "" {
		msg += ": " + d.Limit
	}
	if d.RetryAfter > 0 {
		msg += fmt.Sprintf("; retry in %s", roundUp(d.RetryAfter))
	}
	rule := "store"
	if d.Rule >= 0 {
		rule = fmt.Sprintf("rateLimits[%d]", d.Rule)
	}
	p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "limited", Server: c.Server, Name: c.Name,
		Rule: rule, Reason: msg, Session: c.Session})
	data, _ := json.Marshal(map[string]int64{"retryAfterMs": ms})
	return nil, &plugin.Error{Code: plugin.CodeRateLimited, Message: msg, Data: data, Plugin: Name}
}

// roundUp shows a retry time to the tenth of a second, rounded up.
func roundUp(d time.Duration) time.Duration {
	const step = 100 * time.Millisecond
	return (d + step - 1) / step * step
}

// redisLog routes the Redis client's own messages (failed dials, pool
// events) to the gateway's log at debug level: the limiter reports
// outages itself, once, at warn.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}

func redisLogTo(log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	redis.SetLogger(redisLog{log: log})
}

// Close releases the store.
func (p *Plugin) Close() error { return p.limiter.Close() }
