// Package upstream connects the gateway to backend MCP servers: it starts
// and supervises stdio processes, dials remote servers, runs the initialize
// handshake and multiplexes calls over one back session with the gateway's
// own request ids.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/transport"
)

// Handler receives what a backend sends on its own initiative. Methods are
// called from the session's read loop, one at a time and in arrival order;
// they must not block on the backend (reply from another goroutine).
type Handler interface {
	// Notification is called for every notification except progress for
	// the session's own calls (those go to the call's OnProgress) and
	// cancellation of calls it made.
	Notification(s *Session, m jsonrpc.Message)
	// Request is called for each server→client request (sampling,
	// elicitation, roots, ping...). The handler must answer it exactly
	// once with [Session.Reply].
	Request(s *Session, m jsonrpc.Message)
}

// CallOptions tunes one call.
type CallOptions struct {
	// OnProgress, if not nil, asks the backend for progress: the session
	// puts its own progress token into params._meta.progressToken and
	// calls OnProgress with the raw params of each progress notification
	// for this call until the call ends. Nil: params are sent unchanged.
	OnProgress func(params []byte)
	// Headers are sent with the request where the transport has headers
	// (transport.HeaderWriter); nil: none.
	Headers map[string]string
}

// RPCError is an error answer from the backend, kept raw so it can be
// passed to the client unchanged.
type RPCError struct {
	Server string
	Raw    []byte // the error object
}

func (e *RPCError) Error() string {
	msg, _ := jsonrpc.Get(e.Raw, "message")
	s, _ := jsonrpc.String(msg)
	return fmt.Sprintf("server %s answered error %d: %s", e.Server, jsonrpc.ErrorCode(e.Raw), s)
}

// ErrSessionClosed is wrapped by errors of calls on a session whose
// connection ended.
var ErrSessionClosed = errors.New("back session closed")

// ConnectionLostError fails the calls in flight on a session whose
// connection ended. Its message is safe to show to clients.
type ConnectionLostError struct {
	Server string
	Cause  error // why the connection ended
}

func (e *ConnectionLostError) Error() string {
	if errors.Is(e.Cause, transport.ErrClosed) {
		return fmt.Sprintf("server %s: the connection was closed by the gateway", e.Server)
	}
	return fmt.Sprintf("server %s stopped before answering (%v); the gateway restarts it, try again shortly", e.Server, e.Cause)
}

// Unwrap makes errors.Is(err, ErrSessionClosed) true.
func (e *ConnectionLostError) Unwrap() error { return ErrSessionClosed }

type pendingCall struct {
	done       chan struct{}
	result     []byte
	err        error
	onProgress func([]byte)
}

// Session is one back session: a Conn to a backend after the initialize
// handshake. Calls are multiplexed with the session's own integer ids.
type Session struct {
	server  string
	conn    transport.Conn
	handler Handler
	log     *slog.Logger

	nextID atomic.Int64

	mu      sync.Mutex
	pending map[int64]*pendingCall
	closed  bool

	done    chan struct{}
	doneErr error

	// Init is the backend's initialize (or server/discover) result, set
	// once by the handshake.
	Init InitResult
	// meta is a modern backend's per-request _meta defaults.
	meta []byte

	levelMu sync.Mutex
	level   string // the last logging/setLevel sent by SetLevel
}

// SetLevel sends logging/setLevel unless that level is already set on this
// session (a session-based backend logs only after it).
func (s *Session) SetLevel(ctx context.Context, level string, timeout time.Duration) error {
	s.levelMu.Lock()
	defer s.levelMu.Unlock()
	if s.level == level {
		return nil
	}
	p := jsonrpc.AppendString([]byte(`{"level":`), level)
	if _, err := s.CallTimeout(ctx, timeout, "logging/setLevel", append(p, '}'), CallOptions{}); err != nil {
		return err
	}
	s.level = level
	return nil
}

// NewSession starts reading conn. Call [Session.Initialize] next.
func NewSession(server string, conn transport.Conn, h Handler, log *slog.Logger) *Session {
	s := &Session{
		server:  server,
		conn:    conn,
		handler: h,
		log:     log,
		pending: make(map[int64]*pendingCall),
		done:    make(chan struct{}),
	}
	go s.readLoop()
	return s
}

// Server returns the name of the backend.
func (s *Session) Server() string { return s.server }

// Done is closed when the session's connection has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended (after Done is closed).
func (s *Session) Err() error { return s.doneErr }

// Close closes the connection; pending calls fail.
func (s *Session) Close() error {
	err := s.conn.Close()
	<-s.done
	return err
}

func (s *Session) readLoop() {
	var err error
	for {
		var b []byte
		b, err = s.conn.Read()
		if err != nil {
			var re *transport.RequestError
			if errors.As(err, &re) {
				// One request failed in the transport, not the session.
				if id, ok := parseInt(re.ID); ok {
					s.fail(id, &UnavailableError{Server: s.server, Reason: re.Reason})
				}
				continue
			}
			var tl *transport.TooLargeError
			if errors.As(err, &tl) {
				// The message is lost, not the session. If it was the
				// answer to a call, fail that call now with the reason.
				s.log.Error("dropped an oversized message from the backend", "err", err)
				if raw, ok := jsonrpc.PeekID(tl.Head, tl.Tail); ok {
					if id, ok := parseInt(raw); ok {
						s.fail(id, &TooLargeAnswerError{Server: s.server, Limit: tl.Limit})
					}
				}
				continue
			}
			break
		}
		m, perr := jsonrpc.Parse(b)
		if perr != nil {
			s.log.Warn("ignored a malformed message from the backend (servers must write only JSON-RPC to stdout)",
				"err", perr, "line", preview(b))
			continue
		}
		s.dispatch(m)
	}
	err = &ConnectionLostError{Server: s.server, Cause: err}
	s.mu.Lock()
	s.closed = true
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	s.doneErr = err
	for _, c := range pending {
		c.err = err
		close(c.done)
	}
	close(s.done)
}

func (s *Session) dispatch(m jsonrpc.Message) {
	switch m.Kind {
	case jsonrpc.KindResponse:
		s.answer(m)
	case jsonrpc.KindNotification:
		if m.Method == "notifications/progress" && s.routeProgress(m) {
			return
		}
		s.handler.Notification(s, m)
	case jsonrpc.KindRequest:
		if m.Method == "ping" {
			// Answered here: a liveness check of the gateway, not the client.
			_ = s.conn.Write(jsonrpc.AppendResult(nil, m.ID, []byte("{}")))
			return
		}
		s.handler.Request(s, m)
	}
}

// answer ends the pending call a response answers.
func (s *Session) answer(m jsonrpc.Message) {
	id, ok := parseInt(m.ID)
	if !ok {
		s.log.Warn("ignored a response with an id the gateway never sent", "id", string(m.ID))
		return
	}
	s.mu.Lock()
	c := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if c == nil {
		s.log.Debug("ignored a response to a call that already ended", "id", id)
		return
	}
	if m.Error != nil {
		c.err = &RPCError{Server: s.server, Raw: m.Error}
	} else {
		c.result = m.Result
	}
	close(c.done)
}

// routeProgress delivers a progress notification to the call that owns its
// token. It reports whether the token was one of the session's.
func (s *Session) routeProgress(m jsonrpc.Message) bool {
	tok, err := jsonrpc.Get(m.Params, "progressToken")
	if err != nil || tok == nil {
		return false
	}
	id, ok := parseInt(tok)
	if !ok {
		return false
	}
	s.mu.Lock()
	c := s.pending[id]
	s.mu.Unlock()
	if c == nil || c.onProgress == nil {
		// Late progress for an ended or cancelled call: dropped.
		return true
	}
	c.onProgress(m.Params)
	return true
}

// Call sends a request and waits for its answer. The result is raw JSON.
// A backend error answer is returned as *RPCError. When ctx ends first, the
// backend is sent notifications/cancelled and ctx's error is returned.
func (s *Session) Call(ctx context.Context, method string, params []byte, opts CallOptions) ([]byte, error) {
	return s.call(ctx, 0, method, params, opts)
}

// call is Call with an optional timeout, implemented with a plain timer
// rather than a derived context: a context per call costs a timer, an
// allocation and a registration with the parent context on the hot path.
// A transport.Requester carries the exchange on this goroutine, given the
// deadline; the timer is then needed only when the answer does not come
// with the exchange.
func (s *Session) call(ctx context.Context, timeout time.Duration, method string, params []byte, opts CallOptions) ([]byte, error) {
	id := s.nextID.Add(1) - 1
	var idBuf [20]byte
	rawID := strconv.AppendInt(idBuf[:0], id, 10)
	if s.Init.Modern {
		var err error
		if params, err = withModernMeta(params, s.meta); err != nil {
			return nil, fmt.Errorf("params: %w", err)
		}
	}
	if opts.OnProgress != nil {
		var err error
		if params, err = withProgressToken(params, rawID); err != nil {
			return nil, fmt.Errorf("set progress token: %w", err)
		}
	}
	c := &pendingCall{done: make(chan struct{}), onProgress: opts.OnProgress}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, s.doneErr
	}
	s.pending[id] = c
	s.mu.Unlock()

	msg := jsonrpc.AppendRequest(make([]byte, 0, len(params)+len(method)+48), rawID, method, params)
	var expired <-chan time.Time
	if rq, ok := s.conn.(transport.Requester); ok {
		// The exchange runs on this goroutine, until the deadline at most.
		var deadline time.Time
		if timeout > 0 {
			deadline = time.Now().Add(timeout)
		}
		answer, err := rq.Request(ctx, deadline, msg, opts.Headers)
		if err != nil {
			s.forget(id)
			return nil, fmt.Errorf("server %s: send %s: %w", s.server, method, err)
		}
		if answer != nil {
			if m, err := jsonrpc.Parse(answer); err == nil && m.Kind == jsonrpc.KindResponse {
				s.answer(m)
			}
		}
		select {
		case <-c.done:
			return c.result, c.err
		default:
		}
		if timeout > 0 {
			// The answer comes through Read, or not at all.
			t := time.NewTimer(max(time.Until(deadline), 0))
			defer t.Stop()
			expired = t.C
		}
	} else {
		var werr error
		if hw, ok := s.conn.(transport.HeaderWriter); ok && len(opts.Headers) > 0 {
			werr = hw.WriteWithHeaders(msg, opts.Headers)
		} else {
			werr = s.conn.Write(msg)
		}
		if err := werr; err != nil {
			s.forget(id)
			return nil, fmt.Errorf("server %s: send %s: %w", s.server, method, err)
		}
		if timeout > 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			expired = t.C
		}
	}
	var err error
	select {
	case <-c.done:
		return c.result, c.err
	case <-ctx.Done():
		err = ctx.Err()
	case <-expired:
		err = &timeoutError{s.server, method, timeout}
	}
	if !s.forget(id) {
		// The answer raced the cancellation and won.
		<-c.done
		return c.result, c.err
	}
	// Asynchronously: a backend that stopped reading must not keep the
	// cancelled caller waiting.
	go s.Notify("notifications/cancelled", cancelParams(rawID, err))
	return nil, err
}

// fail ends a pending call with err.
func (s *Session) fail(id int64, err error) {
	s.mu.Lock()
	c := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if c != nil {
		c.err = err
		close(c.done)
	}
}

// TooLargeAnswerError fails a call whose answer exceeded the message size
// limit. Its message is safe to show to clients.
type TooLargeAnswerError struct {
	Server string
	Limit  int
}

func (e *TooLargeAnswerError) Error() string {
	return fmt.Sprintf("server %s answered with a message larger than the gateway's %d-byte limit; raise gateway.maxMessageBytes in the config to allow it", e.Server, e.Limit)
}

// forget removes a pending call; it reports whether it was still pending.
func (s *Session) forget(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[id]; !ok {
		return false
	}
	delete(s.pending, id)
	return true
}

func cancelParams(rawID []byte, why error) []byte {
	reason := "cancelled by the client"
	if errors.Is(why, context.DeadlineExceeded) {
		reason = "timed out at the gateway"
	}
	b := append([]byte(`{"requestId":`), rawID...)
	b = append(b, `,"reason":`...)
	b = jsonrpc.AppendString(b, reason)
	return append(b, '}')
}

// Notify sends a notification to the backend.
func (s *Session) Notify(method string, params []byte) error {
	return s.conn.Write(jsonrpc.AppendNotification(nil, method, params))
}

// Reply answers a server→client request: exactly one of result and errObj
// is non-nil (both raw JSON).
func (s *Session) Reply(id, result, errObj []byte) error {
	if errObj != nil {
		return s.conn.Write(jsonrpc.AppendErrorResponse(nil, id, errObj))
	}
	return s.conn.Write(jsonrpc.AppendResult(nil, id, result))
}

// Pending returns how many calls are waiting for an answer.
func (s *Session) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func withProgressToken(params, token []byte) ([]byte, error) {
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil && params != nil {
		return nil, err
	}
	if meta == nil || string(meta) == "null" {
		meta = []byte("{}")
	}
	meta, err = jsonrpc.SetField(meta, "progressToken", token)
	if err != nil {
		return nil, fmt.Errorf("_meta: %w", err)
	}
	return jsonrpc.SetField(params, "_meta", meta)
}

func parseInt(raw []byte) (int64, bool) {
	if len(raw) == 0 || len(raw) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func preview(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// InitResult is what the backend answered to initialize.
type InitResult struct {
	Raw             []byte // the whole result
	ProtocolVersion string
	Capabilities    []byte // raw capabilities object
	ServerInfo      []byte // raw serverInfo object
	Instructions    []byte // raw instructions string or nil
	// Modern is set for a 2026-07-28 backend (found by server/discover;
	// Raw is then the discover result).
	Modern bool
}

// Initialize runs the initialize handshake with the given raw params and
// sends notifications/initialized.
func (s *Session) Initialize(ctx context.Context, params []byte) error {
	res, err := s.Call(ctx, "initialize", params, CallOptions{})
	if err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	v, err := jsonrpc.Lookup(res, "protocolVersion", "capabilities", "serverInfo", "instructions")
	if err != nil {
		return fmt.Errorf("initialize: malformed result: %w", err)
	}
	pv, err := jsonrpc.String(v[0])
	if err != nil {
		return fmt.Errorf("initialize: result has no protocolVersion string")
	}
	caps := v[1]
	if caps == nil {
		caps = []byte("{}")
	}
	s.Init = InitResult{Raw: res, ProtocolVersion: pv, Capabilities: caps, ServerInfo: v[2], Instructions: v[3]}
	if err := s.Notify("notifications/initialized", nil); err != nil {
		return fmt.Errorf("send notifications/initialized: %w", err)
	}
	return nil
}

// timeoutError names the server and method of a call that ran out of time.
type timeoutError struct {
	server, method string
	after          time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("server %s did not answer %s within %s (raise its \"timeout\" in the config if it needs longer)", e.server, e.method, e.after)
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// CallTimeout is Call with a deadline; running out of time returns an
// error that names the server, the method and the timeout, and wraps
// context.DeadlineExceeded.
func (s *Session) CallTimeout(ctx context.Context, timeout time.Duration, method string, params []byte, opts CallOptions) ([]byte, error) {
	return s.call(ctx, timeout, method, params, opts)
}
