package cache

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/respcache"
)

func TestParseConfig(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		raw      string
		hasRedis bool
		want     Config
	}{
		{``, false, Config{Enabled: true, MaxBytes: 64 << 20, DefaultTTL: 30 * time.Second, Redis: &no}},
		{`null`, true, Config{Enabled: true, MaxBytes: 64 << 20, DefaultTTL: 30 * time.Second, Redis: &yes}},
		{`{}`, true, Config{Enabled: true, MaxBytes: 64 << 20, DefaultTTL: 30 * time.Second, Redis: &yes}},
		{`{"redis": false}`, true, Config{Enabled: true, MaxBytes: 64 << 20, DefaultTTL: 30 * time.Second, Redis: &no}},
		{`{"redis": true}`, true, Config{Enabled: true, MaxBytes: 64 << 20, DefaultTTL: 30 * time.Second, Redis: &yes}},
		{`{"enabled": false, "maxBytes": "1.5 MiB", "defaultTtl": 90}`, false,
			Config{MaxBytes: 3 << 19, DefaultTTL: 90 * time.Second, Redis: &no}},
		{`{"maxBytes": 1048576, "defaultTtl": "2m", "rules": [
			{"tools": ["github__get_*", "fs__read"], "ttl": "10s", "scope": "shared"},
			{"tools": ["*"]},
			{"tools": ["x"], "ttl": 0.5, "scope": "private"},
			{"tools": ["y"], "ttl": "0s"}
		]}`, false, Config{Enabled: true, MaxBytes: 1 << 20, DefaultTTL: 2 * time.Minute, Redis: &no, Rules: []Rule{
			{Tools: []string{"github__get_*", "fs__read"}, TTL: 10 * time.Second, Scope: respcache.Shared},
			{Tools: []string{"*"}, TTL: 2 * time.Minute},
			{Tools: []string{"x"}, TTL: 500 * time.Millisecond},
			{Tools: []string{"y"}},
		}}},
	}
	for _, tt := range tests {
		got, err := ParseConfig(json.RawMessage(tt.raw), tt.hasRedis)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseConfig(%s, %t) =\n%+v, %v\nwant %+v", tt.raw, tt.hasRedis, got, err, tt.want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want string // the exact error
	}{
		{`[]`, `gateway.cache: expected an object such as {"rules": [{"tools": ["github__get_*"], "ttl": "30s"}]}, got a list`},
		{`"on"`, `gateway.cache: expected an object such as {"rules": [{"tools": ["github__get_*"], "ttl": "30s"}]}, got a string`},
		{`{"ttl": "1s"}`, `gateway.cache.ttl: unknown key "ttl" (valid keys: defaultTtl, enabled, maxBytes, redis, rules)`},
		{`{"defaultTTL": "1s"}`, `gateway.cache.defaultTTL: unknown key "defaultTTL"; did you mean "defaultTtl"? (keys are case-sensitive)`},
		{`{"enabled": null}`, `gateway.cache.enabled: null is not a value; leave the key out for the default`},
		{`{"enabled": "yes"}`, `gateway.cache.enabled: expected true or false, got a string`},
		{`{"maxBytes": "64 megs"}`, `gateway.cache.maxBytes: invalid size "64 megs"; write a number of bytes or a size such as "64MiB", "512KiB" or "10MB" (units: B, KB, MB, GB, KiB, MiB, GiB)`},
		{`{"maxBytes": true}`, `gateway.cache.maxBytes: expected a size such as "64MiB" or a number of bytes, got a boolean`},
		{`{"maxBytes": 1.5}`, `gateway.cache.maxBytes: expected a whole number of bytes or a size such as "64MiB", got 1.5`},
		{`{"maxBytes": 100}`, `gateway.cache.maxBytes: at least 1KiB (got 100 bytes); write a size such as "64MiB", or set "enabled": false to turn the cache off`},
		{`{"maxBytes": "0"}`, `gateway.cache.maxBytes: at least 1KiB (got 0 bytes); write a size such as "64MiB", or set "enabled": false to turn the cache off`},
		{`{"maxBytes": -5}`, `gateway.cache.maxBytes: at least 1KiB (got -5 bytes); write a size such as "64MiB", or set "enabled": false to turn the cache off`},
		{`{"defaultTtl": "30 s"}`, `gateway.cache.defaultTtl: invalid duration "30 s"; write a duration such as "30s" or "5m", or a number of seconds`},
		{`{"defaultTtl": "-1s"}`, `gateway.cache.defaultTtl: "-1s" is negative; write "0s" to cache nothing, or a positive duration such as "30s"`},
		{`{"defaultTtl": -3}`, `gateway.cache.defaultTtl: -3 is negative; write 0 to cache nothing, or a positive number of seconds`},
		{`{"defaultTtl": 1e300}`, `gateway.cache.defaultTtl: 1e300 seconds is out of range; write a duration such as "30s" or "5m"`},
		{`{"defaultTtl": ["30s"]}`, `gateway.cache.defaultTtl: expected a duration such as "30s" or a number of seconds, got a list`},
		{`{"redis": "yes"}`, `gateway.cache.redis: expected true or false, got a string`},
		{`{"redis": true}`, `gateway.cache.redis: true, but the config has no gateway.redis section; add "redis": {"url": "redis://127.0.0.1:6379/0"} under "gateway", or leave the key out to cache in memory`},
		{`{"rules": {}}`, `gateway.cache.rules: expected a list of rules such as [{"tools": ["github__get_*"], "ttl": "30s"}], got an object`},
		{`{"rules": null}`, `gateway.cache.rules: null is not a value; leave the key out for the default`},
		{`{"rules": ["x"]}`, `gateway.cache.rules[0]: expected a rule object such as {"tools": ["github__get_*"], "ttl": "30s"}, got a string`},
		{`{"rules": [{"ttl": "1s"}]}`, `gateway.cache.rules[0].tools: missing; list the exposed tool names or globs the rule applies to, e.g. "tools": ["github__get_*"]`},
		{`{"rules": [{"tools": "x"}]}`, `gateway.cache.rules[0].tools: expected a list of tool names or globs such as ["github__get_*"], got a string`},
		{`{"rules": [{"tools": []}]}`, `gateway.cache.rules[0].tools: an empty list matches nothing; list at least one tool name or glob, such as "github__get_*"`},
		{`{"rules": [{"tools": ["a", 1]}]}`, `gateway.cache.rules[0].tools[1]: expected a string, got a number`},
		{`{"rules": [{"tools": [""]}]}`, `gateway.cache.rules[0].tools[0]: empty pattern; remove it, or write "*" to match every tool`},
		{`{"rules": [{"tools": ["a["]}]}`, `gateway.cache.rules[0].tools[0]: invalid glob "a[": syntax error in pattern; fix the pattern (* matches any run of characters, ? one character, [a-z] a class, \ escapes the next character)`},
		{`{"rules": [{"tools": null}]}`, `gateway.cache.rules[0].tools: null is not a value; leave the key out for the default`},
		{`{"rules": [{"tools": ["x"], "ttl": "soon"}]}`, `gateway.cache.rules[0].ttl: invalid duration "soon"; write a duration such as "30s" or "5m", or a number of seconds`},
		{`{"rules": [{"tools": ["x"], "ttl": true}]}`, `gateway.cache.rules[0].ttl: expected a duration such as "30s" or a number of seconds, got a boolean`},
		{`{"rules": [{"tools": ["x"], "scope": "public"}]}`, `gateway.cache.rules[0].scope: "public" is not a scope; did you mean "shared"? (one entry for every principal)`},
		{`{"rules": [{"tools": ["x"], "scope": "everyone"}]}`, `gateway.cache.rules[0].scope: "everyone" is not a scope; write "private" (each principal has its own entries, the default) or "shared" (one entry for every principal)`},
		{`{"rules": [{"tools": ["x"], "scope": 1}]}`, `gateway.cache.rules[0].scope: expected "private" or "shared", got a number`},
		{`{"rules": [{"tools": ["x"], "Scope": "shared"}]}`, `gateway.cache.rules[0].Scope: unknown key "Scope"; did you mean "scope"? (keys are case-sensitive)`},
		{`{"rules": [{"tools": ["x"], "servers": ["s"]}]}`, `gateway.cache.rules[0].servers: unknown key "servers" (valid keys: scope, tools, ttl)`},
		// Every problem is reported, in key order.
		{`{"rules": [{"tools": ["x"]}, {"tools": ["y"], "ttl": "-1s", "scope": "x"}], "maxBytes": false, "extra": 1}`,
			`gateway.cache.extra: unknown key "extra" (valid keys: defaultTtl, enabled, maxBytes, redis, rules)` + "\n" +
				`gateway.cache.maxBytes: expected a size such as "64MiB" or a number of bytes, got a boolean` + "\n" +
				`gateway.cache.rules[1].scope: "x" is not a scope; write "private" (each principal has its own entries, the default) or "shared" (one entry for every principal)` + "\n" +
				`gateway.cache.rules[1].ttl: "-1s" is negative; write "0s" to cache nothing, or a positive duration such as "30s"`},
	}
	for _, tt := range tests {
		_, err := ParseConfig(json.RawMessage(tt.raw), false)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseConfig(%s) error:\n%v\nwant:\n%s", tt.raw, err, tt.want)
		}
	}
}

// TestNewErrors: the errors of the whole plugin configuration, as
// plugin.Build reports them.
func TestNewErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{`[1]`, `gateway.plugins.cache: expected {"cache": {...}, "redis": {...}}, got a list`},
		{`{"rules": []}`, `gateway.plugins.cache: unknown key "rules"; configure the cache with "gateway": {"cache": {...}}, not under "plugins"`},
		{`{"cache": {"rules": 1}}`, `gateway.cache.rules: expected a list of rules such as [{"tools": ["github__get_*"], "ttl": "30s"}], got a number`},
		{`{"cache": {}, "redis": {"url": "http://h:1"}}`, `gateway.redis.url: scheme "http" is not supported; write redis://host:port/db, or rediss:// for TLS`},
		{`{"cache": {}, "redis": {"host": "h"}}`, `gateway.redis.host: unknown key "host" (valid keys: failOpen, prefix, url)` + "\n" +
			`gateway.redis.url: missing; write e.g. "url": "redis://127.0.0.1:6379/0", or remove the redis section to keep rate limits in memory`},
	}
	for _, tt := range tests {
		_, err := New(json.RawMessage(tt.raw), plugin.Env{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("New(%s) error:\n%v\nwant:\n%s", tt.raw, err, tt.want)
		}
	}
	// Through plugin.Build, the plugin's name comes first.
	_, err := plugin.Build([]string{Name}, map[string]json.RawMessage{Name: json.RawMessage(`{"cache": {"enabled": 1}}`)}, plugin.Env{})
	if want := "plugin cache: gateway.cache.enabled: expected true or false, got a number"; err == nil || err.Error() != want {
		t.Errorf("Build error %v, want %s", err, want)
	}
	// With "redis": false the cache stays in memory and leaves the redis
	// section (the rate limiter's, say) alone.
	h, err := New(json.RawMessage(`{"cache": {"redis": false}, "redis": {"url": "redis://127.0.0.1:1/0"}}`), plugin.Env{})
	if err != nil {
		t.Fatalf("redis false: %v", err)
	}
	defer h.(*Plugin).Close()
	if _, ok := h.(*Plugin).cache.Store().(*respcache.Memory); !ok {
		t.Errorf("redis false: store %T, want memory", h.(*Plugin).cache.Store())
	}
}
