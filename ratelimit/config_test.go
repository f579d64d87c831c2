package ratelimit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseRulesExample(t *testing.T) {
	raw := `[
    {"roles": ["dev"], "tools": ["everything__echo"], "perMinute": 5},
    {"principals": ["ci-bot"], "servers": ["github"], "perSecond": 2, "burst": 10},
    {"tools": ["*"], "perHour": 1000, "per": "principal"}
  ]`
	got, err := ParseRules(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Roles: []string{"dev"}, Tools: []string{"everything__echo"}, PerMinute: 5},
		{Principals: []string{"ci-bot"}, Servers: []string{"github"}, PerSecond: 2, Burst: 10},
		{Tools: []string{"*"}, PerHour: 1000, Per: "principal"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// The Rule type round-trips through its json tags.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseRules(b)
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("round trip: %v %+v", err, again)
	}
}

func TestParseRulesEmpty(t *testing.T) {
	for _, raw := range []string{"", "null", " [] "} {
		rules, err := ParseRules(json.RawMessage(raw))
		if err != nil || len(rules) != 0 {
			t.Errorf("%q: %v %v", raw, rules, err)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []string // substrings of the error, in order of importance
	}{
		{"not a list", `{"perMinute": 5}`, []string{"gateway.rateLimits: expected a list of rules", "got an object"}},
		{"not an object", `[5]`, []string{"gateway.rateLimits[0]: expected a rule object", "got a number"}},
		{"unknown key", `[{"perMinute": 5, "limit": 3}]`, []string{`gateway.rateLimits[0].limit: unknown key "limit"`, "valid keys: principals"}},
		{"key case", `[{"perminute": 5}]`, []string{`gateway.rateLimits[0].perminute: unknown key "perminute"; did you mean "perMinute"?`}},
		{"wrong type", `[{"tools": ["*"]}, {"tools": ["*"], "perMinute": 1}, {"perMinute": "5"}]`, []string{"gateway.rateLimits[2].perMinute: expected a number", "got a string"}},
		{"zero rate", `[{"perMinute": 0}]`, []string{"gateway.rateLimits[0].perMinute: must be greater than 0 (got 0)"}},
		{"negative rate", `[{"perHour": -1}]`, []string{"gateway.rateLimits[0].perHour: must be greater than 0"}},
		{"no rate", `[{"tools": ["*"]}]`, []string{"gateway.rateLimits[0]: no rate; set exactly one of perSecond, perMinute or perHour"}},
		{"two rates", `[{"perSecond": 1, "perMinute": 5}]`, []string{"gateway.rateLimits[0]: perSecond and perMinute are both set; keep exactly one"}},
		{"huge rate", `[{"perSecond": 1e12}]`, []string{"gateway.rateLimits[0].perSecond: at most 1000000000"}},
		{"fractional burst", `[{"perSecond": 1, "burst": 2.5}]`, []string{"gateway.rateLimits[0].burst: expected a whole number of calls, got 2.5"}},
		{"zero burst", `[{"perSecond": 1, "burst": 0}]`, []string{"gateway.rateLimits[0].burst: must be at least 1", "leave the key out for the default"}},
		{"string burst", `[{"perSecond": 1, "burst": "10"}]`, []string{"gateway.rateLimits[0].burst: expected a whole number", "got a string"}},
		{"bad per", `[{"perSecond": 1, "per": "user"}]`, []string{`gateway.rateLimits[0].per: "user" is not a keying; write "principal", "server" or "tool"`}},
		{"empty per", `[{"perSecond": 1, "per": ""}]`, []string{`gateway.rateLimits[0].per: empty`}},
		{"bad glob", `[{"tools": ["github__[a-"], "perSecond": 1}]`, []string{`gateway.rateLimits[0].tools[0]: invalid glob "github__[a-"`, "fix the pattern"}},
		{"bad server glob", `[{"servers": ["ok", "\\"], "perSecond": 1}]`, []string{`gateway.rateLimits[0].servers[1]: invalid glob`}},
		{"empty glob", `[{"tools": [""], "perSecond": 1}]`, []string{`gateway.rateLimits[0].tools[0]: empty pattern`}},
		{"empty list", `[{"roles": [], "perSecond": 1}]`, []string{`gateway.rateLimits[0].roles: an empty list matches nothing`}},
		{"empty name", `[{"principals": ["a", ""], "perSecond": 1}]`, []string{`gateway.rateLimits[0].principals[1]: empty name`}},
		{"null selector", `[{"tools": null, "perSecond": 1}]`, []string{`gateway.rateLimits[0].tools: null is not a value`}},
		{"selector not a list", `[{"tools": "*", "perSecond": 1}]`, []string{`gateway.rateLimits[0].tools: expected a list of strings`, "got a string"}},
		{"selector element type", `[{"principals": ["a", 7], "perSecond": 1}]`, []string{`gateway.rateLimits[0].principals[1]: expected a string, got a number`}},
		{"duplicate", `[{"tools": ["a", "b"], "perSecond": 1}, {"tools": ["b", "a"], "perSecond": 1}]`, []string{`gateway.rateLimits[1]: the same rule as gateway.rateLimits[0]; remove one`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseRules(json.RawMessage(tt.raw))
			if err == nil {
				t.Fatalf("no error; rules %+v", rules)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestParseRulesReportsEveryProblem(t *testing.T) {
	_, err := ParseRules(json.RawMessage(`[{"perMinute": 0}, {"perSecond": 1}, {"tools": ["*"], "bogus": 1}]`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"gateway.rateLimits[0].perMinute", "gateway.rateLimits[2].bogus"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "rateLimits[1]") {
		t.Errorf("error blames the valid rule: %q", err)
	}
}

func TestParseRedis(t *testing.T) {
	cfg, err := ParseRedis(json.RawMessage(`{"url": "redis://127.0.0.1:6379/0", "failOpen": true, "prefix": "gw1:"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg != (RedisConfig{URL: "redis://127.0.0.1:6379/0", FailOpen: true, Prefix: "gw1:"}) {
		t.Fatalf("got %+v", cfg)
	}
	cfg, err = ParseRedis(json.RawMessage(`{"url": "rediss://user:pw@redis.internal:6380/2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FailOpen || cfg.Prefix != DefaultPrefix {
		t.Fatalf("defaults: got %+v", cfg)
	}
	cfg, err = ParseRedis(json.RawMessage(`{"url": "redis://h", "prefix": ""}`))
	if err != nil || cfg.Prefix != "" {
		t.Fatalf("an explicit empty prefix is kept: %+v %v", cfg, err)
	}
}

func TestParseRedisErrors(t *testing.T) {
	tests := []struct {
		name, raw string
		want      []string
	}{
		{"not an object", `"redis://x"`, []string{"gateway.redis: expected an object", "got a string"}},
		{"missing url", `{"failOpen": true}`, []string{"gateway.redis.url: missing", "remove the redis section"}},
		{"scheme", `{"url": "http://127.0.0.1:6379"}`, []string{`gateway.redis.url: scheme "http" is not supported; write redis://`}},
		{"unix", `{"url": "unix:///tmp/redis.sock"}`, []string{`gateway.redis.url: scheme "unix" is not supported`}},
		{"no host", `{"url": "redis://"}`, []string{"gateway.redis.url:", "has no host"}},
		{"bad db", `{"url": "redis://:s3cret@127.0.0.1:6379/abc"}`, []string{"gateway.redis.url:", "invalid database", "xxxxx"}},
		{"url type", `{"url": 6379}`, []string{"gateway.redis.url: expected a string", "got a number"}},
		{"failOpen type", `{"url": "redis://h", "failOpen": "yes"}`, []string{"gateway.redis.failOpen: expected true or false, got a string"}},
		{"prefix type", `{"url": "redis://h", "prefix": null}`, []string{"gateway.redis.prefix: expected a string"}},
		{"unknown", `{"url": "redis://h", "password": "x"}`, []string{`gateway.redis.password: unknown key "password" (valid keys: failOpen, prefix, url)`}},
		{"case", `{"url": "redis://h", "failopen": true}`, []string{`did you mean "failOpen"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseRedis(json.RawMessage(tt.raw))
			if err == nil {
				t.Fatalf("no error; got %+v", cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestNewValidatesRules(t *testing.T) {
	_, err := New([]Rule{{Tools: []string{"*"}, PerMinute: 1}, {Tools: []string{"[x"}, PerSecond: 1, PerHour: 2}}, NewMemoryStore(), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"gateway.rateLimits[1].tools[0]: invalid glob", "gateway.rateLimits[1]: perSecond and perHour are both set"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if _, err := New(nil, nil, nil); err == nil {
		t.Error("nil store accepted")
	}
}
