package gateway

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
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
// b: the shared one, or the client's own, dialed and initialized with the
// client's initialize params on first use and again after it ended.
func (f *Front) backSession(ctx context.Context, b *backend) (*upstream.Session, error) {
	if !b.perClient {
		return b.sv.Session()
	}
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "the client session is closing"}
		}
		cb := f.backs[b]
		if cb == nil {
			cb = &clientBack{ready: make(chan struct{})}
			f.backs[b] = cb
			params := f.initParams
			if f.stateless {
				cb.pool = f.sess.Principal + "\x00" + string(params)
			}
			f.mu.Unlock()
			if cb.pool != "" {
				cb.s, cb.h = b.lease(cb.pool)
			}
			if cb.s != nil {
				cb.h.f.Store(f)
			} else {
				cb.s, cb.h, cb.err = f.dialBack(b, params)
			}
			if cb.err != nil {
				f.mu.Lock()
				if f.backs[b] == cb {
					delete(f.backs, b) // the next call tries again
				}
				f.mu.Unlock()
			}
			close(cb.ready)
			return cb.s, cb.err
		}
		f.mu.Unlock()
		select {
		case <-cb.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if cb.err != nil {
			return nil, cb.err
		}
		select {
		case <-cb.s.Done():
			// It ended (the backend restarted or expired the session):
			// replace it, once, whoever notices first.
			f.mu.Lock()
			if f.backs[b] == cb {
				delete(f.backs, b)
			}
			f.mu.Unlock()
			continue
		default:
			return cb.s, nil
		}
	}
}

// dialBack opens and initializes a per-client back session. It is bound to
// the front session's life, not to the call that needed it.
func (f *Front) dialBack(b *backend, params []byte) (*upstream.Session, *frontHandler, error) {
	if params == nil {
		params = f.g.initParams
	}
	ctx, cancel := context.WithTimeout(f.ctx, backSessionTimeout)
	defer cancel()
	conn, err := b.dialer.Dial(ctx)
	if err != nil {
		return nil, nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: "could not open a session for this client: " + err.Error()}
	}
	h := &frontHandler{b: b}
	h.f.Store(f)
	s := upstream.NewSession(b.cfg.Name, conn, h, b.log.With("session", f.sess.ID))
	if err := b.handshake(ctx, s, params); err != nil {
		s.Close()
		return nil, nil, &upstream.UnavailableError{Server: b.cfg.Name, Reason: fmt.Sprintf("could not open a session for this client: %v", err)}
	}
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
		if f.g.opts.MultiClient {
			return nil
		}
		s, _ := b.sv.Session()
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
