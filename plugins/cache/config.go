package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/respcache"
)

// Config is the gateway.cache section. Its json tags name the keys; the
// zero value of a field is not its default, see each field.
type Config struct {
	// Enabled turns the cache on; false makes the plugin pass every call
	// through. Default true: a gateway.cache section enables it.
	Enabled bool `json:"enabled"`
	// MaxBytes bounds the memory store (keys plus values): a number of
	// bytes or a size such as "64MiB", at least 1KiB. An entry bigger
	// than MaxBytes/8 is never stored, in memory or in Redis. Default
	// 64MiB.
	MaxBytes int64 `json:"maxBytes"`
	// DefaultTTL is how long the result of a tool cached for its
	// annotations (no rule names it) is served: a duration such as
	// "30s" or a number of seconds; "0s" caches only the tools rules
	// name. Default 30s.
	DefaultTTL time.Duration `json:"defaultTtl"`
	// Rules choose, by exposed tool name, what is cached, for how long
	// and for whom; the first rule whose glob matches a tool applies.
	// Default none: only annotated tools are cached.
	Rules []Rule `json:"rules"`
	// Redis selects the gateway.redis store, shared by every replica:
	// default true when that section exists; true without it is an
	// error; false keeps the cache in memory.
	Redis *bool `json:"redis"`
}

// Rule is one entry of gateway.cache.rules.
type Rule struct {
	// Tools are globs (path.Match syntax: *, ?, [a-z], \ escapes) over
	// the exposed tool name, server__tool. Required, not empty.
	Tools []string `json:"tools"`
	// TTL is how long a result is served from the cache; "0s" means the
	// tools are never cached, whatever their annotations say. Default
	// the section's defaultTtl.
	TTL time.Duration `json:"ttl"`
	// Scope is "private" (the default: each principal has its own
	// entries) or "shared" (one entry serves every principal: only for
	// results that do not depend on who asks).
	Scope respcache.Scope `json:"scope"`
}

// Defaults of the section.
const (
	DefaultMaxBytes = respcache.DefaultMaxBytes
	DefaultTTL      = 30 * time.Second
	minMaxBytes     = 1 << 10
)

const sectionPath = "gateway.cache"

var (
	sectionKeys = []string{"defaultTtl", "enabled", "maxBytes", "redis", "rules"}
	ruleKeys    = []string{"scope", "tools", "ttl"}
)

// ParseConfig decodes the gateway.cache section strictly: unknown keys
// (also a key in other letter case), null values, values of the wrong
// type and invalid globs, sizes, durations and scopes are errors naming
// their path (gateway.cache.rules[0].ttl) and what to write instead; all
// of them are reported, joined. hasRedis says whether the config has a
// gateway.redis section. An absent (nil) or null section is the
// defaults.
func ParseConfig(raw json.RawMessage, hasRedis bool) (Config, error) {
	cfg := Config{Enabled: true, MaxBytes: DefaultMaxBytes, DefaultTTL: DefaultTTL}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && !isNull(raw) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return Config{}, fmt.Errorf(`%s: expected an object such as {"rules": [{"tools": ["github__get_*"], "ttl": "30s"}]}, got %s`, sectionPath, config.JSONKind(raw))
		}
		var errs []error
		var ttls []*time.Duration // rule TTLs that default to defaultTtl
		for _, k := range sortedKeys(obj) {
			v, kp := obj[k], sectionPath+"."+k
			if isNull(v) && contains(sectionKeys, k) {
				errs = append(errs, fmt.Errorf("%s: null is not a value; leave the key out for the default", kp))
				continue
			}
			var err error
			switch k {
			case "enabled":
				err = decodeBool(kp, v, &cfg.Enabled)
			case "maxBytes":
				cfg.MaxBytes, err = decodeSize(kp, v)
			case "defaultTtl":
				cfg.DefaultTTL, err = decodeDuration(kp, v)
			case "redis":
				var b bool
				if err = decodeBool(kp, v, &b); err == nil {
					cfg.Redis = &b
					if b && !hasRedis {
						err = fmt.Errorf(`%s: true, but the config has no gateway.redis section; add "redis": {"url": "redis://127.0.0.1:6379/0"} under "gateway", or leave the key out to cache in memory`, kp)
					}
				}
			case "rules":
				var rerrs []error
				cfg.Rules, ttls, rerrs = decodeRules(kp, v)
				errs = append(errs, rerrs...)
			default:
				err = unknownKey(kp, k, sectionKeys)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return Config{}, errors.Join(errs...)
		}
		for _, p := range ttls {
			*p = cfg.DefaultTTL
		}
	}
	if cfg.Redis == nil {
		cfg.Redis = &hasRedis
	}
	return cfg, nil
}

func decodeRules(kp string, raw json.RawMessage) ([]Rule, []*time.Duration, []error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, nil, []error{fmt.Errorf(`%s: expected a list of rules such as [{"tools": ["github__get_*"], "ttl": "30s"}], got %s`, kp, config.JSONKind(raw))}
	}
	rules := make([]Rule, len(elems))
	var defaulted []*time.Duration
	var errs []error
	for i, e := range elems {
		p := fmt.Sprintf("%s[%d]", kp, i)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(e, &obj); err != nil || obj == nil {
			errs = append(errs, fmt.Errorf(`%s: expected a rule object such as {"tools": ["github__get_*"], "ttl": "30s"}, got %s`, p, config.JSONKind(e)))
			continue
		}
		r := &rules[i]
		if _, ok := obj["ttl"]; !ok {
			defaulted = append(defaulted, &r.TTL)
		}
		if _, ok := obj["tools"]; !ok {
			errs = append(errs, fmt.Errorf(`%s.tools: missing; list the exposed tool names or globs the rule applies to, e.g. "tools": ["github__get_*"]`, p))
		}
		for _, k := range sortedKeys(obj) {
			v, rp := obj[k], p+"."+k
			if isNull(v) && contains(ruleKeys, k) {
				errs = append(errs, fmt.Errorf("%s: null is not a value; leave the key out for the default", rp))
				continue
			}
			var err error
			switch k {
			case "tools":
				r.Tools, err = decodeGlobs(rp, v)
			case "ttl":
				r.TTL, err = decodeDuration(rp, v)
			case "scope":
				r.Scope, err = decodeScope(rp, v)
			default:
				err = unknownKey(rp, k, ruleKeys)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return rules, defaulted, errs
}

func decodeBool(kp string, v json.RawMessage, dst *bool) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("%s: expected true or false, got %s", kp, config.JSONKind(v))
	}
	return nil
}

// decodeSize reads a number of bytes or a size string ("64MiB").
func decodeSize(kp string, v json.RawMessage) (int64, error) {
	var n int64
	switch config.JSONKind(v) {
	case "a string":
		var s string
		json.Unmarshal(v, &s)
		var err error
		if n, err = config.ParseSize(s); err != nil {
			return 0, fmt.Errorf("%s: %w", kp, err)
		}
	case "a number":
		var f float64
		if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) || f >= math.MaxInt64 {
			return 0, fmt.Errorf(`%s: expected a whole number of bytes or a size such as "64MiB", got %s`, kp, v)
		}
		n = int64(f)
	default:
		return 0, fmt.Errorf(`%s: expected a size such as "64MiB" or a number of bytes, got %s`, kp, config.JSONKind(v))
	}
	if n < minMaxBytes {
		return 0, fmt.Errorf(`%s: at least 1KiB (got %d bytes); write a size such as "64MiB", or set "enabled": false to turn the cache off`, kp, n)
	}
	return n, nil
}

// decodeDuration reads a duration string ("30s") or a number of seconds.
func decodeDuration(kp string, v json.RawMessage) (time.Duration, error) {
	switch config.JSONKind(v) {
	case "a string":
		var s string
		json.Unmarshal(v, &s)
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf(`%s: invalid duration %q; write a duration such as "30s" or "5m", or a number of seconds`, kp, s)
		}
		if d < 0 {
			return 0, fmt.Errorf(`%s: %q is negative; write "0s" to cache nothing, or a positive duration such as "30s"`, kp, s)
		}
		return d, nil
	case "a number":
		var f float64
		if err := json.Unmarshal(v, &f); err != nil || f > math.MaxInt64/float64(time.Second) {
			return 0, fmt.Errorf(`%s: %s seconds is out of range; write a duration such as "30s" or "5m"`, kp, v)
		}
		if f < 0 {
			return 0, fmt.Errorf(`%s: %s is negative; write 0 to cache nothing, or a positive number of seconds`, kp, v)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf(`%s: expected a duration such as "30s" or a number of seconds, got %s`, kp, config.JSONKind(v))
}

func decodeScope(kp string, v json.RawMessage) (respcache.Scope, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return 0, fmt.Errorf(`%s: expected "private" or "shared", got %s`, kp, config.JSONKind(v))
	}
	switch s {
	case "private":
		return respcache.Private, nil
	case "shared":
		return respcache.Shared, nil
	case "public":
		return 0, fmt.Errorf(`%s: "public" is not a scope; did you mean "shared"? (one entry for every principal)`, kp)
	}
	return 0, fmt.Errorf(`%s: %q is not a scope; write "private" (each principal has its own entries, the default) or "shared" (one entry for every principal)`, kp, s)
}

func decodeGlobs(kp string, v json.RawMessage) ([]string, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		return nil, fmt.Errorf(`%s: expected a list of tool names or globs such as ["github__get_*"], got %s`, kp, config.JSONKind(v))
	}
	if len(elems) == 0 {
		return nil, fmt.Errorf(`%s: an empty list matches nothing; list at least one tool name or glob, such as "github__get_*"`, kp)
	}
	globs := make([]string, len(elems))
	for i, e := range elems {
		if config.JSONKind(e) != "a string" || json.Unmarshal(e, &globs[i]) != nil {
			return nil, fmt.Errorf("%s[%d]: expected a string, got %s", kp, i, config.JSONKind(e))
		}
		g := globs[i]
		if g == "" {
			return nil, fmt.Errorf(`%s[%d]: empty pattern; remove it, or write "*" to match every tool`, kp, i)
		}
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf(`%s[%d]: invalid glob %q: %v; fix the pattern (* matches any run of characters, ? one character, [a-z] a class, \ escapes the next character)`, kp, i, g, err)
		}
	}
	return globs, nil
}

func unknownKey(kp, k string, valid []string) error {
	for _, vk := range valid {
		if strings.EqualFold(vk, k) {
			return fmt.Errorf("%s: unknown key %q; did you mean %q? (keys are case-sensitive)", kp, k, vk)
		}
	}
	return fmt.Errorf("%s: unknown key %q (valid keys: %s)", kp, k, strings.Join(valid, ", "))
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
