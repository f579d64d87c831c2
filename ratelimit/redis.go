package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// DefaultRedisTimeout bounds every Redis call of the store (dial, write,
// read), within the caller's ctx.
const DefaultRedisTimeout = 200 * time.Millisecond

// probeEvery is, during an outage, the least time between two attempts to
// reach Redis; calls in between fail at once instead of each waiting for a
// timeout.
const probeEvery = 250 * time.Millisecond

// takeScript checks and takes one token from every bucket in KEYS,
// atomically, on the server's clock.
//
// KEYS[i] is a bucket; ARGV[2i-1] its rate (tokens per second) and ARGV[2i]
// its capacity. A bucket's value is "<tokens> <µs of the last take>"; an
// absent key is a full bucket. The reply is {1, 0, 0} when every bucket
// held a token (one is then taken from each, and each key expires when its
// bucket would be full again), else {0, i, µs}: nothing is written, i is
// the 1-based refusing bucket that refills last and µs the wait until
// every refusing bucket holds a token.
const takeScript = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tok = {}
local worst, wait = 0, 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2*i-1])
  local cap = tonumber(ARGV[2*i])
  local x = cap
  local v = redis.call('GET', KEYS[i])
  if v then
    local s, ts = string.match(v, '^(%S+) (%S+)$')
    s, ts = tonumber(s), tonumber(ts)
    if s and ts then
      local el = now - ts
      if el < 0 then el = 0 end
      x = math.min(cap, s + el * rate / 1000000)
    end
  end
  tok[i] = x
  if x < 1 then
    local w = math.ceil((1 - x) * 1000000 / rate - 0.001)
    if w < 1 then w = 1 end
    if worst == 0 or w > wait then worst, wait = i, w end
  end
end
if worst > 0 then return {0, worst, wait} end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2*i-1])
  local cap = tonumber(ARGV[2*i])
  local x = tok[i] - 1
  local ttl = math.ceil((cap - x) * 1000 / rate)
  if ttl < 1 then ttl = 1 end
  if ttl > 1e13 then ttl = 1e13 end
  redis.call('SET', KEYS[i], string.format('%.17g %.17g', x, now), 'PX', string.format('%.0f', ttl))
end
return {1, 0, 0}
`

// RedisStore keeps buckets in Redis, shared by every gateway replica using
// the same server and prefix. Each decision is one script call (one round
// trip; two right after Redis lost its script cache), computed on the
// Redis server's clock.
type RedisStore struct {
	client   *redis.Client
	script   *redis.Script
	prefix   string
	failOpen bool
	timeout  time.Duration
	log      *slog.Logger

	down      atomic.Bool
	mu        sync.Mutex // guards nextProbe and lastErr
	nextProbe time.Time
	lastErr   error
}

// NewRedisStore returns a store on the Redis server cfg.URL names. It fails
// only on an invalid configuration: an unreachable server is logged and
// treated as an outage (see Store.FailOpen) until it answers. log may be
// nil.
func NewRedisStore(cfg RedisConfig, log *slog.Logger) (Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkRedisURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("ratelimit: %s.url: %w", redisPath, err)
	}
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil { // checkRedisURL accepted it; unreachable in practice
		return nil, fmt.Errorf("ratelimit: %s.url: invalid", redisPath)
	}
	t := DefaultRedisTimeout
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = t, t, t
	opt.ContextTimeoutEnabled = true
	opt.PoolTimeout = t
	// The script is not idempotent: a retry after a lost reply could take
	// twice. Fail instead, and let the fail-open/closed policy decide.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	s := &RedisStore{
		client:   redis.NewClient(opt),
		script:   redis.NewScript(takeScript),
		prefix:   cfg.Prefix,
		failOpen: cfg.FailOpen,
		timeout:  t,
		log:      log,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*t)
	defer cancel()
	if err := s.script.Load(ctx, s.client).Err(); err != nil {
		log.Warn("rate limiting: redis not reachable at startup; it will be retried on each call",
			"addr", opt.Addr, "failOpen", cfg.FailOpen, "err", err)
		s.markDown(err)
	}
	return s, nil
}

// Take implements Store in one script call bounded by DefaultRedisTimeout
// and ctx. Errors wrap ErrUnavailable, except when ctx ended first. A call
// that timed out after the script ran may have taken its tokens.
func (s *RedisStore) Take(ctx context.Context, bs []Bucket) (Result, error) {
	if len(bs) == 0 {
		return Result{Allowed: true, Refused: -1}, nil
	}
	if s.down.Load() {
		if err := s.probe(); err != nil {
			return Result{}, fmt.Errorf("%w: redis: %w", ErrUnavailable, err)
		}
	}
	keys := make([]string, len(bs))
	args := make([]any, 0, 2*len(bs))
	for i, b := range bs {
		keys[i] = s.Key(b)
		args = append(args, b.Rate, b.Capacity)
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.script.Run(cctx, s.client, keys, args...).Int64Slice()
	if err == nil && len(v) != 3 {
		err = fmt.Errorf("unexpected script reply %v", v)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("ratelimit: redis: %w", ctx.Err())
		}
		s.markDown(err)
		return Result{}, fmt.Errorf("%w: redis: %w", ErrUnavailable, err)
	}
	if s.down.Load() {
		s.down.Store(false)
	}
	if v[0] == 1 {
		return Result{Allowed: true, Refused: -1}, nil
	}
	return Result{Refused: int(v[1] - 1), RetryAfter: time.Duration(v[2]) * time.Microsecond}, nil
}

// probe reports nil when this call may try Redis during an outage (at
// most one call per probeEvery), else the outage's last error.
func (s *RedisStore) probe() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Before(s.nextProbe) {
		return s.lastErr
	}
	s.nextProbe = now.Add(probeEvery)
	return nil
}

func (s *RedisStore) markDown(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.nextProbe = time.Now().Add(probeEvery)
	s.mu.Unlock()
	s.down.Store(true)
}

// Key returns the Redis key of bucket b:
//
//	<prefix>rl:{<principal>}:<rule>:<server>:<tool>
//
// with '%', ':', '{' and '}' in the principal, server and tool
// percent-encoded. The braces make the principal the Redis Cluster hash
// tag, so one call's keys share a slot.
func (s *RedisStore) Key(b Bucket) string {
	var sb strings.Builder
	sb.Grow(len(s.prefix) + 8 + len(b.Principal) + len(b.Rule) + len(b.Server) + len(b.Tool))
	sb.WriteString(s.prefix)
	sb.WriteString("rl:{")
	escapeKey(&sb, b.Principal)
	sb.WriteString("}:")
	sb.WriteString(b.Rule)
	sb.WriteByte(':')
	escapeKey(&sb, b.Server)
	sb.WriteByte(':')
	escapeKey(&sb, b.Tool)
	return sb.String()
}

func escapeKey(sb *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%', ':', '{', '}':
			fmt.Fprintf(sb, "%%%02X", c)
		default:
			sb.WriteByte(c)
		}
	}
}

// FailOpen implements Store: the configured failOpen.
func (s *RedisStore) FailOpen() bool { return s.failOpen }

// Close closes the connection pool.
func (s *RedisStore) Close() error {
	if err := s.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("ratelimit: closing redis client: %w", err)
	}
	return nil
}
