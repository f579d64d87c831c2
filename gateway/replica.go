package gateway

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// A server may run as several replicas (config "replicas"). Each replica
// has its own dialer and its own supervised session, which feeds the
// catalog (the replicas are taken to be the same server: the lists of the
// one that became ready last are the server's), serves shared calls and is
// pinged for health. Calls are balanced over the replicas in rotation; a
// per-client back session stays on the replica it was opened on.
//
// Each replica is a circuit breaker: MaxFailures failed calls in a row
// (or one failed health check) take it out of rotation for EjectFor,
// doubled for each ejection in a row; when that time is up one trial call
// is let through, and its outcome closes the breaker or opens it again.
// The last replica in rotation is never taken out: when every replica is
// out, calls go to the one whose time is up first rather than failing at
// the gateway.

// maxEjectFor bounds how long one ejection lasts.
const maxEjectFor = 5 * time.Minute

// replica is one instance of a backend.
type replica struct {
	b      *backend
	index  int
	cfg    config.Replica
	dialer upstream.Dialer
	sv     *upstream.Supervisor
	log    *slog.Logger

	inflight atomic.Int64 // calls waiting for its answer

	mu        sync.Mutex
	failures  int       // consecutive failed calls
	ejections int       // ejections in a row
	until     time.Time // out of rotation until then; zero: in rotation
	trial     bool      // the one trial call after an ejection is out
	byHealth  bool      // the ejection came from a health check
	lastFault string    // why it was last taken out, for status
}

// ticket is what a call holds on the replica that serves it.
type ticket struct {
	r     *replica
	trial bool
}

// admit reports whether the replica takes a call now, and whether that
// call is the trial after an ejection.
func (r *replica) admit(now time.Time) (ok, trial bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.until.IsZero():
		return true, false
	case now.Before(r.until) || r.trial:
		return false, false
	}
	r.trial = true
	return true, true
}

// done records the outcome of a call the replica served (fault: it could
// not be reached, lost the connection or did not answer in time).
func (r *replica) done(t ticket, fault error) {
	r.mu.Lock()
	if t.trial {
		r.trial = false
	}
	if fault == nil {
		readmitted := !r.until.IsZero()
		r.failures, r.until = 0, time.Time{}
		if t.trial || readmitted {
			r.ejections = 0
			r.mu.Unlock()
			r.log.Info("replica back in rotation", "replica", r.index)
			return
		}
		r.mu.Unlock()
		return
	}
	r.failures++
	if t.trial || r.failures >= r.b.cfg.Balancing.MaxFailures {
		r.ejectLocked(fault, false)
		return
	}
	r.mu.Unlock()
}

// checked records a health check: a failed one takes the replica out of
// rotation at once; a passing one ends an ejection that a failed one
// began.
func (r *replica) checked(fault error) {
	r.mu.Lock()
	switch {
	case fault != nil:
		r.ejectLocked(fmt.Errorf("health check: %w", fault), true)
	case r.byHealth && !r.until.IsZero():
		r.until, r.byHealth, r.ejections = time.Time{}, false, 0
		r.mu.Unlock()
		r.log.Info("replica back in rotation", "replica", r.index)
	default:
		r.mu.Unlock()
	}
}

// ejectLocked is called with r.mu held and releases it.
func (r *replica) ejectLocked(why error, byHealth bool) {
	if len(r.b.replicas) < 2 {
		// One replica: nowhere else to go, so nothing to take out.
		r.failures = 0
		r.mu.Unlock()
		return
	}
	d := r.b.cfg.Balancing.EjectFor << min(r.ejections, 16)
	d = min(d, maxEjectFor)
	r.ejections++
	r.failures = 0
	r.until = time.Now().Add(d)
	r.byHealth = byHealth
	r.lastFault = why.Error()
	r.mu.Unlock()
	r.log.Warn("replica taken out of rotation", "replica", r.index, "for", d, "err", why)
	if ev := r.b.g.opts.BackendEvent; ev != nil {
		ev(r.b.cfg.Name, "ejected", fmt.Sprintf("replica %d for %s: %v", r.index, d, why))
	}
}

// ejectedUntil returns when the replica's ejection ends (zero: in
// rotation).
func (r *replica) ejectedUntil() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.until
}

// ready reports whether the replica's supervised session is up.
func (r *replica) ready() bool { return r.sv.Ready() }

// replicaFault returns err when it says that the replica failed the call:
// it could not be reached, lost the connection or did not answer in time.
// An answer, even an error answer, is no fault, nor is the client giving
// up (ctx ended).
func replicaFault(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return nil
	}
	var (
		re *upstream.RPCError
		te *upstream.TooLargeAnswerError
	)
	if errors.As(err, &re) || errors.As(err, &te) {
		return nil
	}
	return err
}

var pickSeed = maphash.MakeSeed()

// pick chooses the replica for one call or one new back session.
// key is the client session, for the session policy; tried are replicas
// this call already failed on, never chosen again. live requires the
// replica's supervised session to be up (for calls on it); otherwise
// replicas whose session is up are preferred. It returns nil when no
// replica is left to try.
func (b *backend) pick(key string, tried []*replica, live bool) (*replica, ticket) {
	if len(b.replicas) == 1 {
		r := b.replicas[0]
		if len(tried) > 0 || (live && !r.ready()) {
			return nil, ticket{}
		}
		return r, ticket{r: r}
	}
	now := time.Now()
	n := len(b.replicas)
	var start int
	switch b.cfg.Balancing.Policy {
	case config.BalanceSession:
		start = int(maphash.String(pickSeed, key) % uint64(n))
	case config.BalanceLeastInflight:
		best, bestLoad := -1, int64(0)
		for i, r := range b.replicas {
			if candidate(r, tried, live, now) {
				if l := r.inflight.Load(); best < 0 || l < bestLoad {
					best, bestLoad = i, l
				}
			}
		}
		if best >= 0 {
			start = best
		}
	default:
		start = int(b.rr.Add(1) % uint64(n))
	}
	// In rotation (preferring ready ones when not required), in policy order.
	for _, needReady := range []bool{true, false} {
		if live && !needReady {
			break
		}
		for i := range n {
			r := b.replicas[(start+i)%n]
			if !candidate(r, tried, live || needReady, time.Time{}) {
				continue
			}
			if ok, trial := r.admit(now); ok {
				return r, ticket{r: r, trial: trial}
			}
		}
	}
	// Every replica left is out of rotation: the one back soonest.
	var soonest *replica
	for _, r := range b.replicas {
		if candidate(r, tried, live, time.Time{}) && (soonest == nil || r.ejectedUntil().Before(soonest.ejectedUntil())) {
			soonest = r
		}
	}
	if soonest == nil {
		return nil, ticket{}
	}
	return soonest, ticket{r: soonest}
}

// candidate reports whether r may be chosen: not tried, ready when
// required, and, when now is set, not out of rotation at that time.
func candidate(r *replica, tried []*replica, ready bool, now time.Time) bool {
	if slices.Contains(tried, r) || (ready && !r.ready()) {
		return false
	}
	return now.IsZero() || !now.Before(r.ejectedUntil())
}

// sharedSession returns a live shared session for one call, balanced over
// the replicas, with the ticket the call holds on its replica.
func (b *backend) sharedSession(key string, tried []*replica) (*upstream.Session, ticket, error) {
	r, t := b.pick(key, tried, true)
	if r == nil {
		if len(tried) > 0 {
			return nil, ticket{}, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "no other replica is available to retry on"}
		}
		_, err := b.anySession()
		if err == nil { // one came up meanwhile
			err = &upstream.UnavailableError{Server: b.cfg.Name, Reason: "it is starting"}
		}
		return nil, ticket{}, err
	}
	s, err := r.sv.Session()
	if err != nil {
		r.done(t, nil) // not the replica's fault: it went down meanwhile
		return nil, ticket{}, err
	}
	return s, t, nil
}

// anySession returns the supervised session of the first replica that is
// up, for the gateway's own requests (re-fetching lists, subscriptions).
func (b *backend) anySession() (*upstream.Session, error) {
	var first error
	for _, r := range b.replicas {
		s, err := r.sv.Session()
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// status aggregates the replicas' states: ready when any is, starting
// when any is and none is ready, else down (or stopped); the error of the
// first replica that is not ready, and all restarts.
func (b *backend) status() (upstream.State, error, int64) {
	var (
		state    upstream.State = upstream.StateStopped
		firstErr error
		restarts int64
	)
	rank := map[upstream.State]int{upstream.StateStopped: 0, upstream.StateDown: 1, upstream.StateStarting: 2, upstream.StateReady: 3}
	for _, r := range b.replicas {
		st, err, n := r.sv.Status()
		restarts += n
		if rank[st] > rank[state] {
			state = st
		}
		if err != nil && firstErr == nil {
			firstErr = err
			if len(b.replicas) > 1 {
				firstErr = fmt.Errorf("replica %d: %w", r.index, err)
			}
		}
	}
	if state == upstream.StateReady {
		firstErr = nil
	}
	return state, firstErr, restarts
}

// healthChecks pings each replica's supervised session every
// HealthInterval; one that fails is taken out of rotation. Only servers
// with more than one replica are checked: one replica has nowhere else to
// send calls.
func (r *replica) healthChecks(ctx context.Context) {
	bal := r.b.cfg.Balancing
	t := time.NewTicker(bal.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s, err := r.sv.Session()
		if err != nil {
			continue // the supervisor is restarting it
		}
		_, err = s.CallTimeout(ctx, bal.HealthTimeout, "ping", nil, upstream.CallOptions{})
		if ctx.Err() != nil {
			return
		}
		r.checked(replicaFault(ctx, err))
	}
}

// safeToRetry reports whether a call may be sent again to another replica
// after a fault: reads and lists, and tools the backend marks read-only or
// idempotent (hints in the tool's definition).
func (f *Front) safeToRetry(method, tool string) bool {
	switch method {
	case "resources/read", "prompts/get", "ping", "completion/complete",
		"tools/list", "prompts/list", "resources/list", "resources/templates/list":
		return true
	case "tools/call":
		it, ok := f.g.Snapshot().Lookup(catalog.Tools, tool)
		if !ok {
			return false
		}
		ann, _ := jsonrpc.Get(it.Raw, "annotations")
		if ann == nil {
			return false
		}
		for _, hint := range []string{"readOnlyHint", "idempotentHint"} {
			if v, _ := jsonrpc.Get(ann, hint); string(v) == "true" {
				return true
			}
		}
	}
	return false
}
