// Package ratelimit enforces token-bucket rate limits per principal and
// backend server or tool, in memory (one gateway) or in Redis (shared by
// every replica of the gateway). See README.md for the configuration,
// the keying of buckets and the behaviour when Redis is unavailable.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Subject is the caller a decision is made for.
type Subject struct {
	// Principal is the authenticated identity; "" is the anonymous caller
	// (all anonymous calls share the same buckets).
	Principal string
	// Roles are the principal's roles, matched against Rule.Roles.
	Roles []string
}

// Decision is the outcome of Limiter.Allow.
//
// A refused call (Allowed false) has either Rule >= 0 and a RetryAfter
// (a limit was reached), or Degraded set (the store could not be asked and
// failOpen is false) with Rule -1 and RetryAfter set to a retry hint. A
// call refused because ctx ended before the store answered has Rule -1,
// Degraded false and RetryAfter 0.
type Decision struct {
	// Allowed reports whether the call may proceed; unless Degraded, a
	// token has then been taken from the bucket of every matching rule.
	Allowed bool
	// Rule is the index (in the rules given to New) of the refusing rule:
	// of the refusing rules, the one whose bucket refills last. -1 when
	// the call is allowed and when no rule refused it (store failure,
	// canceled ctx).
	Rule int
	// Limit describes the refusal for the caller, e.g. "5 per minute for
	// role dev on everything__echo", or why the store refused. "" when
	// the call is allowed normally.
	Limit string
	// RetryAfter is how long until every refusing bucket holds a token
	// again (exact to the microsecond; round up when converting to
	// seconds or milliseconds). 0 when allowed.
	RetryAfter time.Duration
	// Degraded reports that the store failed: with failOpen the call was
	// let through (Allowed true) without being counted; without it the
	// call is refused (Allowed false).
	Degraded bool
}

// RetryAfterMillis returns RetryAfter in whole milliseconds, rounded up:
// the value for a JSON-RPC error's data.retryAfterMs.
func (d Decision) RetryAfterMillis() int64 {
	return int64((d.RetryAfter + time.Millisecond - 1) / time.Millisecond)
}

// RetryAfterSeconds returns RetryAfter in whole seconds, rounded up, and at
// least 1 for a refused call: the value for an HTTP Retry-After header. It
// is 0 for an allowed call.
func (d Decision) RetryAfterSeconds() int64 {
	if d.Allowed {
		return 0
	}
	return max(1, int64((d.RetryAfter+time.Second-1)/time.Second))
}

// Bucket is one token bucket a call takes a token from. Rule, Principal,
// Server and Tool together are its key; Server and Tool are "" when the
// rule's keying does not distinguish them.
type Bucket struct {
	Rule      string // stable rule fingerprint
	Principal string
	Server    string
	Tool      string
	Rate      float64 // tokens added per second
	Capacity  float64 // bucket size (burst); a new or idle bucket is full
}

// Result is a store's answer for one call.
type Result struct {
	// Allowed reports that every bucket held at least one token and one
	// was taken from each.
	Allowed bool
	// Refused is the index, in the buckets passed to Take, of the refusing
	// bucket that refills last; -1 when allowed.
	Refused int
	// RetryAfter is the time until every refusing bucket holds a token.
	RetryAfter time.Duration
}

// Store holds the buckets.
type Store interface {
	// Take checks every bucket and, only when each holds at least one
	// token, takes one from each, atomically: a refusal takes nothing, and
	// concurrent Takes (on any replica sharing the store) never both take
	// the last token of a bucket. The buckets' keys must be distinct, and
	// Take must not keep the slice after it returns. (The Limiter passes
	// the buckets of one call, which share a principal.) An error means no
	// decision was made; the store says whether tokens may nonetheless
	// have been taken (RedisStore: only when the reply was lost after the
	// script ran).
	Take(ctx context.Context, buckets []Bucket) (Result, error)
	// FailOpen reports the policy for a failed Take: true lets the call
	// through, false refuses it.
	FailOpen() bool
	// Close releases the store.
	Close() error
}

// ErrUnavailable is wrapped by store errors meaning the store could not be
// reached or did not answer in time.
var ErrUnavailable = errors.New("rate-limit store unavailable")

// Retry hint returned with a refusal caused by an unavailable store.
const unavailableRetry = time.Second

// defaultLogEvery is how often a continuing store outage is logged again.
const defaultLogEvery = 10 * time.Second

// Limiter decides whether calls are within the configured limits. It is
// safe for concurrent use.
type Limiter struct {
	rules []*compiled
	store Store
	log   *slog.Logger

	// pool of bucket scratch slices, to keep Allow free of allocations.
	scratch sync.Pool

	down     atomic.Bool // the store is failing
	mu       sync.Mutex  // guards the outage fields below
	since    time.Time   // first failure of the current outage
	lastLog  time.Time
	affected int64 // calls affected since the outage began
	sinceLog int64 // calls affected since the last log line
	logEvery time.Duration
}

type scratch struct {
	buckets []Bucket
	rules   []*compiled
}

// New returns a Limiter enforcing rules (validated as ParseRules does) on
// store, which the Limiter owns: Close closes it. log may be nil.
func New(rules []Rule, store Store, log *slog.Logger) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: New: nil store; use NewMemoryStore or NewRedisStore")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	for i, r := range rules {
		errs = append(errs, validateRule(fmt.Sprintf("%s[%d]", rulesPath, i), r)...)
	}
	if len(errs) == 0 {
		errs = duplicateRules(rules)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("ratelimit: invalid rules: %w", errors.Join(errs...))
	}
	l := &Limiter{store: store, log: log, logEvery: defaultLogEvery}
	for i, r := range rules {
		l.rules = append(l.rules, compileRule(i, r))
	}
	n := len(rules)
	l.scratch.New = func() any {
		return &scratch{buckets: make([]Bucket, 0, n), rules: make([]*compiled, 0, n)}
	}
	return l, nil
}

// Allow decides one call by s to server: tool is the exposed tool name
// (server__tool) of a tools/call, "" for other requests (prompts/get,
// resources/read), to which rules with tools do not apply. Every matching
// rule must allow the call; when one refuses, no bucket is drawn from.
// A call no rule matches is allowed without consulting the store.
func (l *Limiter) Allow(ctx context.Context, s Subject, server, tool string) Decision {
	sc := l.scratch.Get().(*scratch)
	d := l.allow(ctx, sc, &s, server, tool)
	clear(sc.buckets) // drop the strings; the pool may keep sc for long
	sc.buckets, sc.rules = sc.buckets[:0], sc.rules[:0]
	l.scratch.Put(sc)
	return d
}

func (l *Limiter) allow(ctx context.Context, sc *scratch, s *Subject, server, tool string) Decision {
	for _, c := range l.rules {
		if c.applies(s, server, tool) {
			sc.buckets = append(sc.buckets, c.bucket(s, server, tool))
			sc.rules = append(sc.rules, c)
		}
	}
	if len(sc.buckets) == 0 {
		return Decision{Allowed: true, Rule: -1}
	}
	res, err := l.store.Take(ctx, sc.buckets)
	if err != nil {
		return l.failed(ctx, err)
	}
	if l.down.Load() {
		l.recovered()
	}
	if res.Allowed {
		return Decision{Allowed: true, Rule: -1}
	}
	if res.Refused < 0 || res.Refused >= len(sc.rules) {
		// A store answering out of contract: refuse on the first rule
		// rather than panic.
		res.Refused = 0
	}
	c := sc.rules[res.Refused]
	return Decision{
		Rule:       c.index,
		Limit:      c.describe(s, server, tool),
		RetryAfter: res.RetryAfter,
	}
}

// failed turns a store error into a decision and records the outage.
func (l *Limiter) failed(ctx context.Context, err error) Decision {
	if ctx.Err() != nil && !errors.Is(err, ErrUnavailable) {
		// The caller gave up; this says nothing about the store.
		return Decision{Rule: -1, Limit: "rate limit not checked: " + ctx.Err().Error()}
	}
	open := l.store.FailOpen()
	l.outage(err, open)
	if open {
		return Decision{Allowed: true, Rule: -1, Degraded: true,
			Limit: "rate-limit store unavailable; the call was let through uncounted (failOpen)"}
	}
	return Decision{Rule: -1, Degraded: true, RetryAfter: unavailableRetry,
		Limit: "rate-limit store unavailable; calls are refused until it recovers"}
}

// outage logs a store failure: the first of an outage at once, then at
// most once per logEvery with the number of calls affected.
func (l *Limiter) outage(err error, open bool) {
	now := time.Now()
	policy := "refusing calls (failOpen is false)"
	if open {
		policy = "letting calls through uncounted (failOpen)"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.affected++
	l.sinceLog++
	if !l.down.Load() {
		l.down.Store(true)
		l.since, l.lastLog, l.affected, l.sinceLog = now, now, 1, 0
		l.log.Warn("rate limiting: store unavailable; "+policy, "err", err)
		return
	}
	if now.Sub(l.lastLog) >= l.logEvery {
		l.log.Warn("rate limiting: store still unavailable; "+policy,
			"err", err, "for", now.Sub(l.since).Round(time.Millisecond), "calls", l.sinceLog)
		l.lastLog, l.sinceLog = now, 0
	}
}

// recovered logs the end of an outage, once.
func (l *Limiter) recovered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down.Load() {
		return
	}
	l.down.Store(false)
	l.log.Info("rate limiting: store recovered",
		"after", time.Since(l.since).Round(time.Millisecond), "calls", l.affected)
}

// Close closes the store.
func (l *Limiter) Close() error {
	if err := l.store.Close(); err != nil {
		return fmt.Errorf("ratelimit: closing store: %w", err)
	}
	return nil
}
