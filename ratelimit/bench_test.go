package ratelimit

import (
	"fmt"
	"testing"
)

// benchRules are the README's example rules with rates high enough that a
// benchmark never runs out: three rules, two of which match the call.
const benchRules = `[
    {"roles": ["dev"], "tools": ["everything__echo"], "perSecond": 1e9},
    {"principals": ["ci-bot"], "servers": ["github"], "perSecond": 1e9},
    {"tools": ["*"], "perSecond": 1e9, "per": "principal"}
]`

// BenchmarkMemoryAllow: a warm call matching two of three rules.
func BenchmarkMemoryAllow(b *testing.B) {
	l, err := New(mustRules(b, benchRules), NewMemoryStore(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	l.Allow(ctx, dev, "everything", "everything__echo")
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allow(ctx, dev, "everything", "everything__echo").Allowed {
			b.Fatal("refused")
		}
	}
}

// BenchmarkMemoryAllowParallel: many principals calling at once.
func BenchmarkMemoryAllowParallel(b *testing.B) {
	l, err := New(mustRules(b, benchRules), NewMemoryStore(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	subjects := make([]Subject, 64)
	for i := range subjects {
		subjects[i] = Subject{Principal: fmt.Sprint("user", i), Roles: []string{"dev"}}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if !l.Allow(ctx, subjects[i%len(subjects)], "everything", "everything__echo").Allowed {
				b.Error("refused")
				return
			}
			i++
		}
	})
}

// BenchmarkMemoryAllowNoMatch: a call no rule applies to.
func BenchmarkMemoryAllowNoMatch(b *testing.B) {
	l, err := New(mustRules(b, benchRules), NewMemoryStore(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		l.Allow(ctx, dev, "everything", "")
	}
}

// BenchmarkRedisAllow: one script round trip to a local redis-server.
func BenchmarkRedisAllow(b *testing.B) {
	r := startRedis(b)
	l := newRedisLimiter(b, r, benchRules, RedisConfig{Prefix: "bench:"}, nil)
	l.Allow(ctx, dev, "everything", "everything__echo")
	b.ReportAllocs()
	for b.Loop() {
		if d := l.Allow(ctx, dev, "everything", "everything__echo"); !d.Allowed {
			b.Fatal(d)
		}
	}
}
