package gateway

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/transport"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// isolation resolves a server's back-session isolation. Unless the config
// says otherwise, remote servers get one back session per client (an HTTP
// session costs little, and it lets their sampling, elicitation and roots
// requests reach the right client), and stdio servers one shared session
// (one process per client would be expensive; set "per-client" for servers
// that keep per-client state or call back).
func isolation(sc config.Server) string {
	if sc.Isolation != config.IsolationDefault {
		return sc.Isolation
	}
	if sc.Transport == config.TransportStdio {
		return config.IsolationShared
	}
	return config.IsolationPerClient
}

// DefaultInitParams are the initialize params the gateway shows backends
// in its own name: the newest protocol version and no client capabilities.
func DefaultInitParams(version string) []byte {
	b := []byte(`{"protocolVersion":"` + supportedVersions[0] + `","capabilities":{},"clientInfo":{"name":"mcp-gateway","version":`)
	b = jsonrpc.AppendString(b, version)
	return append(b, "}}"...)
}

// clientBack is one front session's own back session to a per-client
// backend, created on the session's first call to it.
type clientBack struct {
	ready chan struct{} // closed when s or err is set
	s     *upstream.Session
	h     *frontHandler
	err   error
	// pool is the key under which the session goes back to the backend's
	// pool when the front session ends ("" for none).
	pool string
}

// backSessionTimeout bounds dialing and initializing a per-client back
// session.
const backSessionTimeout = 60 * time.Second

// backSession returns the back session that serves this client's calls to
// b, with the ticket the call holds on its replica: a shared one, balanced
// over the replicas, or the client's own, dialed and initialized with the
// client's initialize params on first use and again after it ended. tried
// are replicas this call already failed on: the client's own session is
// then replaced by one on another replica.
func (f *Front) backSession(ctx context.Context, b *backend, tried []*replica) (*upstream.Session, ticket, error) {
	if !b.perClient {
		return b.sharedSession(f.sess.ID, tried)
	}
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, ticket{}, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "the client session is closing"}
		}
		cb := f.backs[b]
		if cb == nil && f.g.set().byName[b.cfg.Name] != b {
			// A config reload replaced or removed the server: no new
			// session for the old one, which is being retired.
			f.mu.Unlock()
			return nil, ticket{}, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "its configuration was just reloaded; call again"}
		}
		if cb == nil {
			cb = &clientBack{ready: make(chan struct{})}
			f.backs[b] = cb
			params := f.initParams
			if f.stateless {
				cb.pool = f.sess.Principal + "\x00" + string(params)
			}
			f.mu.Unlock()
			if cb.pool != "" {
				cb.s, cb.h = b.lease(cb.pool, tried)
			}
			if cb.s != nil {
				cb.h.f.Store(f)
			} else {
				cb.s, cb.h, cb.err = f.dialBack(b, params, tried)
			}
			if cb.err != nil {
				f.mu.Lock()
				if f.backs[b] == cb {
					delete(f.backs, b) // the next call tries again
				}
				f.mu.Unlock()
			}
			close(cb.ready)
			if cb.err != nil {
				return nil, ticket{}, cb.err
			}
			return cb.s, ticket{r: cb.h.r}, nil
		}
		f.mu.Unlock()
		select {
		case <-cb.ready:
		case <-ctx.Done():
			return nil, ticket{}, ctx.Err()
		}
		if cb.err != nil {
			return nil, ticket{}, cb.err
		}
		select {
		case <-cb.s.Done():
			// It ended (the backend restarted or expired the session):
			// replace it, once, whoever notices first.
		default:
			if !slices.Contains(tried, cb.h.r) {
				return cb.s, ticket{r: cb.h.r}, nil
			}
			// The call failed on this session's replica: move the
			// client to another one.
			cb.s.Close()
		}
		f.mu.Lock()
		if f.backs[b] == cb {
			delete(f.backs, b)
		}
		f.mu.Unlock()
	}
}

// dialBack opens and initializes a per-client back session on a replica
// chosen for this client (never one of tried). It is bound to the front
// session's life, not to the call that needed it.
func (f *Front) dialBack(b *backend, params []byte, tried []*replica) (*upstream.Session, *frontHandler, error) {
	if params == nil {
		params = f.g.initParams
	}
	if ud, ok := b.replicas[0].dialer.(userDialer); ok && ud.NeedsSubject() && f.subjectToken() == "" {
		return nil, nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "it acts on behalf of each user with an OAuth token exchange, " +
			"and this client did not authenticate with an OAuth bearer token (API keys and stdio clients have none to exchange)"}
	}
	r, t := b.pick(f.sess.ID, tried, false)
	if r == nil {
		return nil, nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "no other replica is available to retry on"}
	}
	ctx, cancel := context.WithTimeout(f.ctx, backSessionTimeout)
	defer cancel()
	h := &frontHandler{b: b, r: r}
	h.f.Store(f)
	var conn transport.Conn
	var err error
	if ud, ok := r.dialer.(userDialer); ok {
		// The session acts for whichever client holds it now (a pooled
		// one moves to the principal's next request).
		conn, err = ud.DialFor(ctx, func() string {
			if f := h.f.Load(); f != nil {
				return f.subjectToken()
			}
			return ""
		})
	} else {
		conn, err = r.dialer.Dial(ctx)
	}
	if err != nil {
		r.done(t, err)
		return nil, nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "could not open a session for this client: " + err.Error()}
	}
	s := upstream.NewSession(b.cfg.Name, conn, h, r.log.With("session", f.sess.ID))
	if err := b.handshake(ctx, s, params); err != nil {
		s.Close()
		r.done(t, replicaFault(f.ctx, err))
		return nil, nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: fmt.Sprintf("could not open a session for this client: %v", err)}
	}
	r.done(t, nil)
	b.mu.Lock()
	level := b.logLevel
	b.mu.Unlock()
	if level != nil {
		if _, err := s.Call(ctx, "logging/setLevel", level, upstream.CallOptions{}); err != nil {
			b.log.Warn("could not apply the client's log level", "err", err)
		}
	}
	return s, h, nil
}

// existingBackSession returns the live back session this client's traffic
// to b goes to, without creating one; nil when there is none. Shared
// sessions count only when they were shown this client's capabilities
// (one client, stdio).
func (f *Front) existingBackSession(b *backend) *upstream.Session {
	if !b.perClient {
		if f.g.opts.MultiClient || len(b.replicas) > 1 {
			return nil // which replica is not this client's
		}
		s, _ := b.replicas[0].sv.Session()
		return s
	}
	f.mu.Lock()
	cb := f.backs[b]
	f.mu.Unlock()
	if cb == nil {
		return nil
	}
	select {
	case <-cb.ready:
		return cb.s
	default:
		return nil
	}
}

// closeClientBacks closes per-client back sessions concurrently (stdio
// ones kill a process group each) and waits for them.
// Pooled back sessions go back to their backend instead.
func closeClientBacks(backs map[*backend]*clientBack) {
	var wg sync.WaitGroup
	for b, cb := range backs {
		wg.Go(func() {
			<-cb.ready
			if cb.s == nil {
				return
			}
			if cb.pool != "" && b.giveBack(cb.pool, cb.s, cb.h) {
				return
			}
			cb.s.Close()
		})
	}
	wg.Wait()
}

// frontHandler routes what a per-client back session sends on its own to
// the one client it belongs to now (none while it waits in a pool).
type frontHandler struct {
	f atomic.Pointer[Front]
	b *backend
	r *replica // the replica the session is open on
}

var _ upstream.Handler = (*frontHandler)(nil)

func (h *frontHandler) Notification(s *upstream.Session, m jsonrpc.Message) {
	f := h.f.Load()
	h.b.routeNotification(s, m, func(fn func(*Front)) {
		if f != nil {
			fn(f)
		}
	})
}

func (h *frontHandler) Request(s *upstream.Session, m jsonrpc.Message) {
	f := h.f.Load()
	if f == nil {
		_ = s.Reply(m.ID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the gateway cannot forward "+m.Method+": no client call is in progress on this session", nil))
		return
	}
	f.requestFromBackend(s, m)
}
