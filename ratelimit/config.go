package ratelimit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mcpgw/mcp-gateway/config"
	"math"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Rule is one entry of gateway.rateLimits.
//
// The selectors Principals, Roles, Servers and Tools narrow the calls the
// rule applies to; a missing (nil) selector matches everything, and a call
// is subject to the rule only when every present selector matches it.
// Principals and Roles are exact names (any of); Servers are globs over the
// backend name and Tools globs over the exposed tool name (server__tool),
// both in path.Match syntax. A rule with Tools never applies to a request
// that is not a tool call.
//
// Exactly one of PerSecond, PerMinute and PerHour is set (> 0). Burst is the
// bucket's capacity; 0 means the per-period amount rounded up (at least 1).
//
// Per selects what one bucket counts (see Keying): "principal", "server" or
// "tool"; "" derives it from the selectors.
type Rule struct {
	Principals []string `json:"principals,omitempty"`
	Roles      []string `json:"roles,omitempty"`
	Servers    []string `json:"servers,omitempty"`
	Tools      []string `json:"tools,omitempty"`
	PerSecond  float64  `json:"perSecond,omitempty"`
	PerMinute  float64  `json:"perMinute,omitempty"`
	PerHour    float64  `json:"perHour,omitempty"`
	Burst      int      `json:"burst,omitempty"`
	Per        string   `json:"per,omitempty"`
}

// RedisConfig is the gateway.redis section.
//
// URL is redis://[user:password@]host[:port][/db] or rediss:// for TLS.
// FailOpen lets calls through (Decision.Degraded) while Redis is
// unreachable; the default, false, refuses them. Prefix is prepended to
// every key the store writes; ParseRedis defaults it to DefaultPrefix when
// the key is absent.
type RedisConfig struct {
	URL      string `json:"url"`
	FailOpen bool   `json:"failOpen"`
	Prefix   string `json:"prefix"`
}

// DefaultPrefix is the key prefix ParseRedis uses when "prefix" is absent.
const DefaultPrefix = "mcpgw:"

// maxAmount bounds a rule's per-period amount and its burst, so that
// bucket sizes stay exact in float64 and in the Lua script.
const maxAmount = 1e9

const (
	rulesPath = "gateway.rateLimits"
	redisPath = "gateway.redis"
)

var ruleKeys = []string{"principals", "roles", "servers", "tools", "perSecond", "perMinute", "perHour", "burst", "per"}

// ParseRules decodes the gateway.rateLimits array strictly: unknown keys
// (including a key spelled with other letter case), values of the wrong
// type, null values, empty selector lists, invalid globs, missing or
// conflicting rates, out-of-range numbers and duplicate rules are errors.
// Every error names its path (gateway.rateLimits[2].perMinute) and says
// what to write instead; all problems are reported, joined with
// errors.Join. An empty or null raw value yields no rules.
func ParseRules(raw json.RawMessage) ([]Rule, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%s: expected a list of rules such as [{\"tools\": [\"*\"], \"perMinute\": 60}], got %s", rulesPath, config.JSONKind(raw))
	}
	var errs []error
	rules := make([]Rule, 0, len(elems))
	for i, e := range elems {
		p := fmt.Sprintf("%s[%d]", rulesPath, i)
		r, rerrs := decodeRule(p, e)
		if len(rerrs) == 0 {
			rerrs = validateRule(p, r)
		}
		errs = append(errs, rerrs...)
		rules = append(rules, r)
	}
	if len(errs) == 0 {
		errs = append(errs, duplicateRules(rules)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

// decodeRule decodes one rule object key by key, so that each error carries
// the exact path of the offending key.
func decodeRule(p string, raw json.RawMessage) (Rule, []error) {
	var r Rule
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return r, []error{fmt.Errorf("%s: expected a rule object such as {\"tools\": [\"*\"], \"perMinute\": 60}, got %s", p, config.JSONKind(raw))}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		v := obj[k]
		kp := p + "." + k
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) && isRuleKey(k) {
			errs = append(errs, fmt.Errorf("%s: null is not a value; leave the key out for the default", kp))
			continue
		}
		var err error
		switch k {
		case "principals":
			r.Principals, err = decodeNames(kp, v, `["alice", "ci-bot"]`)
		case "roles":
			r.Roles, err = decodeNames(kp, v, `["dev"]`)
		case "servers":
			r.Servers, err = decodeGlobs(kp, v, `["github", "fs-*"]`)
		case "tools":
			r.Tools, err = decodeGlobs(kp, v, `["github__create_*"]`)
		case "perSecond":
			r.PerSecond, err = decodeNumber(kp, v)
		case "perMinute":
			r.PerMinute, err = decodeNumber(kp, v)
		case "perHour":
			r.PerHour, err = decodeNumber(kp, v)
		case "burst":
			r.Burst, err = decodeBurst(kp, v)
		case "per":
			if e := json.Unmarshal(v, &r.Per); e != nil {
				err = fmt.Errorf("%s: expected a string (\"principal\", \"server\" or \"tool\"), got %s", kp, config.JSONKind(v))
			} else if r.Per == "" {
				err = fmt.Errorf("%s: empty; write \"principal\", \"server\" or \"tool\", or leave the key out to key by the rule's selectors", kp)
			}
		default:
			msg := fmt.Sprintf("%s: unknown key %q (valid keys: %s)", kp, k, strings.Join(ruleKeys, ", "))
			for _, rk := range ruleKeys {
				if strings.EqualFold(rk, k) {
					msg = fmt.Sprintf("%s: unknown key %q; did you mean %q? (keys are case-sensitive)", kp, k, rk)
				}
			}
			err = errors.New(msg)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return r, errs
}

func isRuleKey(k string) bool {
	for _, rk := range ruleKeys {
		if rk == k {
			return true
		}
	}
	return false
}

func decodeStrings(kp string, v json.RawMessage, example string) ([]string, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		return nil, fmt.Errorf("%s: expected a list of strings such as %s, got %s", kp, example, config.JSONKind(v))
	}
	ss := make([]string, len(elems))
	for i, e := range elems {
		if err := json.Unmarshal(e, &ss[i]); err != nil || config.JSONKind(e) != "a string" {
			return nil, fmt.Errorf("%s[%d]: expected a string, got %s", kp, i, config.JSONKind(e))
		}
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("%s: an empty list matches nothing; list at least one name, or leave the key out to match everything", kp)
	}
	return ss, nil
}

func decodeNames(kp string, v json.RawMessage, example string) ([]string, error) {
	ss, err := decodeStrings(kp, v, example)
	if err != nil {
		return nil, err
	}
	return ss, checkNames(kp, ss)
}

func decodeGlobs(kp string, v json.RawMessage, example string) ([]string, error) {
	ss, err := decodeStrings(kp, v, example)
	if err != nil {
		return nil, err
	}
	return ss, checkGlobs(kp, ss)
}

func decodeNumber(kp string, v json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, fmt.Errorf("%s: expected a number of calls such as 60, got %s", kp, config.JSONKind(v))
	}
	if f <= 0 {
		return 0, fmt.Errorf("%s: must be greater than 0 (got %v); to stop calls use the gateway's access policy, to lift the limit remove the rule", kp, f)
	}
	return f, nil
}

func decodeBurst(kp string, v json.RawMessage) (int, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, fmt.Errorf("%s: expected a whole number of calls such as 10, got %s", kp, config.JSONKind(v))
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("%s: expected a whole number of calls, got %v", kp, f)
	}
	if f < 1 {
		return 0, fmt.Errorf("%s: must be at least 1 (got %v); leave the key out for the default (the per-period amount)", kp, f)
	}
	if f > maxAmount {
		return 0, fmt.Errorf("%s: at most %d (got %v)", kp, int64(maxAmount), f)
	}
	return int(f), nil
}

func checkNames(kp string, ss []string) error {
	for i, s := range ss {
		if s == "" {
			return fmt.Errorf("%s[%d]: empty name; remove it", kp, i)
		}
	}
	return nil
}

func checkGlobs(kp string, ss []string) error {
	for i, g := range ss {
		if g == "" {
			return fmt.Errorf("%s[%d]: empty pattern; remove it, or write \"*\" to match every name", kp, i)
		}
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("%s[%d]: invalid glob %q: %v; fix the pattern (* matches any run of characters, ? one character, [a-z] a class, \\ escapes the next character)", kp, i, g, err)
		}
	}
	return nil
}

// validateRule checks the semantic constraints of a decoded (or
// programmatically built) rule; p is its path.
func validateRule(p string, r Rule) []error {
	var errs []error
	if r.Principals != nil {
		if len(r.Principals) == 0 {
			errs = append(errs, fmt.Errorf("%s.principals: an empty list matches nothing; leave the key out to match every principal", p))
		} else if err := checkNames(p+".principals", r.Principals); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Roles != nil {
		if len(r.Roles) == 0 {
			errs = append(errs, fmt.Errorf("%s.roles: an empty list matches nothing; leave the key out to match every role", p))
		} else if err := checkNames(p+".roles", r.Roles); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Servers != nil {
		if len(r.Servers) == 0 {
			errs = append(errs, fmt.Errorf("%s.servers: an empty list matches nothing; leave the key out to match every server", p))
		} else if err := checkGlobs(p+".servers", r.Servers); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Tools != nil {
		if len(r.Tools) == 0 {
			errs = append(errs, fmt.Errorf("%s.tools: an empty list matches nothing; leave the key out to match every request", p))
		} else if err := checkGlobs(p+".tools", r.Tools); err != nil {
			errs = append(errs, err)
		}
	}
	var set []string
	for _, f := range []struct {
		name string
		v    float64
	}{{"perSecond", r.PerSecond}, {"perMinute", r.PerMinute}, {"perHour", r.PerHour}} {
		switch {
		case f.v < 0 || math.IsNaN(f.v):
			errs = append(errs, fmt.Errorf("%s.%s: must be greater than 0 (got %v)", p, f.name, f.v))
		case f.v > maxAmount:
			errs = append(errs, fmt.Errorf("%s.%s: at most %d (got %v); write the limit with a shorter period", p, f.name, int64(maxAmount), f.v))
		case f.v > 0:
			set = append(set, f.name)
		}
	}
	switch len(set) {
	case 0:
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no rate; set exactly one of perSecond, perMinute or perHour, e.g. \"perMinute\": 60", p))
		}
	case 1:
	default:
		both := "both"
		if len(set) > 2 {
			both = "all"
		}
		errs = append(errs, fmt.Errorf("%s: %s are %s set; keep exactly one of perSecond, perMinute or perHour", p, strings.Join(set, " and "), both))
	}
	switch {
	case r.Burst < 0:
		errs = append(errs, fmt.Errorf("%s.burst: must be at least 1 (got %d); leave it out for the default (the per-period amount)", p, r.Burst))
	case r.Burst > maxAmount:
		errs = append(errs, fmt.Errorf("%s.burst: at most %d (got %d)", p, int64(maxAmount), r.Burst))
	}
	switch r.Per {
	case "", PerPrincipal, PerServer, PerTool:
	default:
		errs = append(errs, fmt.Errorf("%s.per: %q is not a keying; write \"principal\", \"server\" or \"tool\"", p, r.Per))
	}
	return errs
}

// duplicateRules reports rules that are the same rule as an earlier one
// (same selectors in any order, same rate, burst and keying): they would
// share one bucket.
func duplicateRules(rules []Rule) []error {
	var errs []error
	seen := make(map[string]int, len(rules))
	for i, r := range rules {
		id := ruleID(r)
		if j, ok := seen[id]; ok {
			errs = append(errs, fmt.Errorf("%s[%d]: the same rule as %s[%d]; remove one", rulesPath, i, rulesPath, j))
			continue
		}
		seen[id] = i
	}
	return errs
}

// ParseRedis decodes the gateway.redis section strictly: keys url
// (required; redis:// or rediss://), failOpen (default false) and prefix
// (default DefaultPrefix). Errors name the path and never echo a password.
func ParseRedis(raw json.RawMessage) (RedisConfig, error) {
	cfg := RedisConfig{Prefix: DefaultPrefix}
	raw = bytes.TrimSpace(raw)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return RedisConfig{}, fmt.Errorf("%s: expected an object such as {\"url\": \"redis://127.0.0.1:6379/0\"}, got %s", redisPath, config.JSONKind(raw))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		v := obj[k]
		kp := redisPath + "." + k
		switch k {
		case "url":
			if err := json.Unmarshal(v, &cfg.URL); err != nil || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				errs = append(errs, fmt.Errorf("%s: expected a string such as \"redis://127.0.0.1:6379/0\", got %s", kp, config.JSONKind(v)))
			}
		case "failOpen":
			if err := json.Unmarshal(v, &cfg.FailOpen); err != nil || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				errs = append(errs, fmt.Errorf("%s: expected true or false, got %s", kp, config.JSONKind(v)))
			}
		case "prefix":
			if err := json.Unmarshal(v, &cfg.Prefix); err != nil || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				errs = append(errs, fmt.Errorf("%s: expected a string such as \"mcpgw:\", got %s", kp, config.JSONKind(v)))
			}
		default:
			msg := fmt.Sprintf("%s: unknown key %q (valid keys: failOpen, prefix, url)", kp, k)
			for _, rk := range []string{"url", "failOpen", "prefix"} {
				if strings.EqualFold(rk, k) {
					msg = fmt.Sprintf("%s: unknown key %q; did you mean %q? (keys are case-sensitive)", kp, k, rk)
				}
			}
			errs = append(errs, errors.New(msg))
		}
	}
	if _, ok := obj["url"]; !ok {
		errs = append(errs, fmt.Errorf("%s.url: missing; write e.g. \"url\": \"redis://127.0.0.1:6379/0\", or remove the redis section to keep rate limits in memory", redisPath))
	} else if len(errs) == 0 {
		if err := checkRedisURL(cfg.URL); err != nil {
			errs = append(errs, fmt.Errorf("%s.url: %w", redisPath, err))
		}
	}
	if len(errs) > 0 {
		return RedisConfig{}, errors.Join(errs...)
	}
	return cfg, nil
}

// checkRedisURL validates a redis:// or rediss:// URL without echoing its
// password.
func checkRedisURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL; write e.g. \"redis://127.0.0.1:6379/0\"")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return fmt.Errorf("scheme %q is not supported; write redis://host:port/db, or rediss:// for TLS", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("%s has no host; write e.g. \"redis://127.0.0.1:6379/0\"", redactURL(u))
	}
	if _, err := redis.ParseURL(s); err != nil {
		msg := strings.TrimPrefix(err.Error(), "redis: ")
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
		return fmt.Errorf("%s: %s; write redis://[user:password@]host[:port][/db]", redactURL(u), msg)
	}
	return nil
}

// redactURL renders u with its password replaced by xxxxx.
func redactURL(u *url.URL) string {
	return u.Redacted()
}
