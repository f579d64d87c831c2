package respcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// DefaultRedisTimeout bounds every Redis command of the store (dial,
// write, read), within the caller's ctx: a cache that answers late is
// worse than a miss.
const DefaultRedisTimeout = 200 * time.Millisecond

// redisProbeEvery is, during an outage, the least time between two
// attempts to reach Redis; the operations in between fail at once rather
// than each waiting for a timeout.
const redisProbeEvery = 250 * time.Millisecond

// KeyInfix follows the configured prefix in every key the Redis store
// writes: <prefix>cache:<key>.
const KeyInfix = "cache:"

// ErrUnavailable wraps the errors of a Redis store that cannot be
// reached.
var ErrUnavailable = errors.New("respcache: redis unavailable")

// RedisOptions configure a Redis store.
type RedisOptions struct {
	// URL is redis://[user:password@]host[:port][/db], or rediss:// for
	// TLS (as validated by ratelimit.ParseRedis for gateway.redis).
	URL string
	// Prefix starts every key, followed by KeyInfix.
	Prefix string
	// Timeout bounds each command; 0 means DefaultRedisTimeout.
	Timeout time.Duration
	// MaxEntry, if > 0, is the largest entry (key plus value bytes) Set
	// stores; bigger ones get ErrTooLarge. Redis's own maxmemory policy
	// bounds the total.
	MaxEntry int64
	// Log receives one warning when Redis becomes unreachable and one
	// line when it answers again; nil discards them.
	Log *slog.Logger
	// OnChange, if set, is called once when Redis becomes unreachable
	// (available false, with the error) and once when it answers again
	// (available true, nil), on the goroutine of the operation that
	// found out. It must not block.
	OnChange func(available bool, err error)
}

// Redis is a Store in Redis: SET key value PX ttl and GET, values stored
// as they are, keys <prefix>cache:<key>. Replicas using the same server
// and prefix share entries. When Redis cannot be reached, operations fail
// fast with errors wrapping ErrUnavailable (a Cache counts them and goes
// on as for a miss); the outage is logged once, and so is the recovery.
// Safe for concurrent use.
type Redis struct {
	client   *redis.Client
	prefix   string
	timeout  time.Duration
	maxEntry int64
	addr     string
	log      *slog.Logger
	onChange func(bool, error)

	down      atomic.Bool
	mu        sync.Mutex // guards nextProbe and lastErr
	nextProbe time.Time
	lastErr   error
}

// NewRedis returns a store on the Redis server o.URL names. It fails only
// on an invalid URL (the error never shows the password): an unreachable
// server is logged and treated as an outage until it answers.
func NewRedis(o RedisOptions) (*Redis, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	opt, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("respcache: redis url: invalid; write redis://[user:password@]host[:port][/db]")
	}
	t := o.Timeout
	if t <= 0 {
		t = DefaultRedisTimeout
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = t, t, t, t
	opt.ContextTimeoutEnabled = true
	// A miss is cheap: fail instead of retrying into the caller's time.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	s := &Redis{
		client:   redis.NewClient(opt),
		prefix:   o.Prefix + KeyInfix,
		timeout:  t,
		maxEntry: o.MaxEntry,
		addr:     opt.Addr,
		log:      o.Log,
		onChange: o.OnChange,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*t)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		s.markDown(err, "response cache: redis not reachable at startup; calls go to the backends uncached until it answers")
	}
	return s, nil
}

// Key returns the Redis key of cache key key.
func (s *Redis) Key(key string) string { return s.prefix + key }

// Get implements Store.
func (s *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := s.available(); err != nil {
		return nil, false, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.client.Get(cctx, s.Key(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		s.markUp()
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.failed(ctx, "GET", err)
	}
	s.markUp()
	return v, true, nil
}

// Set implements Store with SET key value PX ttl (at least 1 ms).
func (s *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if s.maxEntry > 0 && int64(len(key)+len(val)) > s.maxEntry {
		// The old value, if any, ages out: deleting it would cost a round
		// trip on the call path for an entry that expires anyway.
		return ErrTooLarge
	}
	if ttl <= 0 {
		return nil
	}
	if err := s.available(); err != nil {
		return err
	}
	ms := ttl.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.Do(cctx, "SET", s.Key(key), val, "PX", strconv.FormatInt(ms, 10)).Err(); err != nil {
		return s.failed(ctx, "SET", err)
	}
	s.markUp()
	return nil
}

// Delete implements Store with DEL.
func (s *Redis) Delete(ctx context.Context, key string) error {
	if err := s.available(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.Del(cctx, s.Key(key)).Err(); err != nil {
		return s.failed(ctx, "DEL", err)
	}
	s.markUp()
	return nil
}

// available returns nil when an operation may try Redis: always while it
// is up, and during an outage for at most one operation per
// redisProbeEvery. Otherwise it returns the outage's last error.
func (s *Redis) available() error {
	if !s.down.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Before(s.nextProbe) {
		return fmt.Errorf("%w: %w", ErrUnavailable, s.lastErr)
	}
	s.nextProbe = now.Add(redisProbeEvery)
	return nil
}

// failed classifies the error of an operation: the caller's own end (ctx
// cancelled or past its deadline) is not an outage.
func (s *Redis) failed(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("respcache: redis %s: %w", op, ctx.Err())
	}
	if rerr := redis.Error(nil); errors.As(err, &rerr) {
		// The server answered, with an error (out of memory, a key of
		// another type): it is up, this operation failed.
		s.markUp()
		return fmt.Errorf("respcache: redis %s: %w", op, err)
	}
	s.markDown(err, "response cache: redis unavailable; calls go to the backends uncached until it answers")
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

func (s *Redis) markDown(err error, msg string) {
	s.mu.Lock()
	s.lastErr = err
	s.nextProbe = time.Now().Add(redisProbeEvery)
	s.mu.Unlock()
	if s.down.CompareAndSwap(false, true) {
		s.log.Warn(msg, "addr", s.addr, "err", err)
		if s.onChange != nil {
			s.onChange(false, err)
		}
	}
}

func (s *Redis) markUp() {
	if s.down.Load() && s.down.CompareAndSwap(true, false) {
		s.log.Info("response cache: redis available again", "addr", s.addr)
		if s.onChange != nil {
			s.onChange(true, nil)
		}
	}
}

// Available reports whether the last operation reached Redis.
func (s *Redis) Available() bool { return !s.down.Load() }

// Close closes the connection pool.
func (s *Redis) Close() error {
	if err := s.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("respcache: closing redis client: %w", err)
	}
	return nil
}
