package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/tracing"
	"github.com/mcpgw/mcp-gateway/transport"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// Bounds of the per-session tables.
const (
	maxInflight      = 4096 // client requests being handled at once
	maxOutstanding   = 1024 // server→client requests waiting for the client
	maxSubscriptions = 4096
	maxTasks         = 4096
)

// Protocol versions the front speaks, newest first.
var supportedVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// Peer is the client side of a front session: where the gateway's
// messages to the client go. A transport.Conn is a Peer; a Peer that also
// implements transport.RoutedWriter is told which client request each
// message belongs to.
type Peer interface {
	Write(msg []byte) error
}

// Front is one client session. It is safe for concurrent use: messages may
// be received from several goroutines (one per HTTP request).
type Front struct {
	g      *Gateway
	peer   Peer
	routed transport.RoutedWriter // peer's, or nil
	log    *slog.Logger
	sess   plugin.Session
	chain  plugin.Next

	ctx    context.Context // ends when the session closes
	cancel context.CancelFunc

	initialized atomic.Bool
	ready       chan struct{} // closed once the client has initialized
	readyOnce   sync.Once
	closeOnce   sync.Once

	mu         sync.Mutex
	inflight   map[string]*inflightReq // by raw client request id
	out        map[int64]*outReq       // server→client requests, by our id
	subs       map[subKey]struct{}
	tasks      map[string]string // task id → server
	nextOut    int64
	closed     bool
	initParams []byte                   // what per-client back sessions are shown
	backs      map[*backend]*clientBack // per-client back sessions
	conts      map[string]*continuation // modern calls parked for input, by token
	logLevel   string                   // set by logging/setLevel; sent along to modern backends
	listens    map[string]*listen       // open subscriptions/listen, by raw id

	closeWhenIdle atomic.Bool // close once no call is in flight or parked
	stateless     bool        // serves one 2026-07-28 request: pool its back sessions
	// token is the client's current OAuth bearer token (a plugin.Secret),
	// the subject of token exchange for backends acting on its behalf.
	token atomic.Value
}

type inflightReq struct {
	id        []byte        // raw client request id
	server    string        // backend the call was routed to, once known (under Front.mu)
	name      string        // tool or prompt name or resource URI, once known (under Front.mu)
	modern    bool          // a 2026-07-28 request (under Front.mu)
	logLevel  string        // modern: the level it opted into, "" for none (under Front.mu)
	cont      *continuation // set on a continuation's own entry
	cancel    context.CancelFunc
	cancelled atomic.Bool // by the client: send no answer
	// status, plugin, cached: what the chain's result says about how the
	// call ended, for the audit record (under Front.mu).
	status audit.Status
	plugin string
	cached bool
	span   *tracing.Span // the request's span; nil without tracing
}

type outReq struct {
	s      *upstream.Session
	backID []byte
	// reply, set instead of s for the gateway's own requests to the
	// client, receives the client's answer (closed if the client goes).
	reply chan jsonrpc.Message
}

type subKey struct{ server, uri string }

// NewFront returns a front session for a client that speaks over conn.
// Call Serve.
func (g *Gateway) NewFront(conn transport.Conn, id plugin.Identity) *Front {
	return g.newFront(conn, id)
}

// OpenFront returns a front session whose client messages are passed to
// Receive by the caller (the HTTP front door) and whose messages to the
// client go to peer. The session lives until Close or until ctx ends.
func (g *Gateway) OpenFront(ctx context.Context, peer Peer, id plugin.Identity) *Front {
	f := g.newFront(peer, id)
	f.open(ctx)
	return f
}

// OpenStatelessFront is OpenFront for one 2026-07-28 request (and the
// retries that continue it): its per-client back sessions are pooled for
// the next request of the same client instead of closed.
func (g *Gateway) OpenStatelessFront(ctx context.Context, peer Peer, id plugin.Identity) *Front {
	f := g.newFront(peer, id)
	f.stateless = true
	f.open(ctx)
	return f
}

func (g *Gateway) newFront(peer Peer, id plugin.Identity) *Front {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	f := &Front{
		g:        g,
		peer:     peer,
		inflight: map[string]*inflightReq{},
		out:      map[int64]*outReq{},
		subs:     map[subKey]struct{}{},
		tasks:    map[string]string{},
		backs:    map[*backend]*clientBack{},
		conts:    map[string]*continuation{},
		listens:  map[string]*listen{},
		ready:    make(chan struct{}),
	}
	f.routed, _ = peer.(transport.RoutedWriter)
	f.sess = plugin.Session{ID: hex.EncodeToString(rnd[:]), Identity: id}
	f.token.Store(id.Token)
	f.sess.Token = "" // kept in f.token only, where backends read it
	f.log = g.log.With("component", "front", "session", f.sess.ID)
	f.chain = plugin.Chain(g.opts.Plugins, f.route)
	return f
}

func (f *Front) open(ctx context.Context) {
	f.ctx, f.cancel = context.WithCancel(ctx)
	f.g.addFront(f)
	context.AfterFunc(f.ctx, f.Close)
}

// Authenticated records the identity that one more request of the session
// authenticated with (the caller has checked that it is the session's
// principal): a refreshed OAuth token replaces the one that backends acting
// on the user's behalf exchange.
func (f *Front) Authenticated(id plugin.Identity) {
	if id.Token != "" && id.Token != f.token.Load().(plugin.Secret) {
		f.token.Store(id.Token)
	}
}

// subjectToken returns the client's current OAuth bearer token, "" for
// clients without one.
func (f *Front) subjectToken() string { return string(f.token.Load().(plugin.Secret)) }

// ID returns the session's id (random, stable for its life).
func (f *Front) ID() string { return f.sess.ID }

// Principal returns who the session belongs to.
func (f *Front) Principal() string { return f.sess.Principal }

// Done is closed when the session has been closed.
func (f *Front) Done() <-chan struct{} { return f.ctx.Done() }

// Serve reads client messages from the session's conn until it ends, then
// closes the session: its calls are cancelled and the backends' pending
// requests answered.
func (f *Front) Serve(ctx context.Context) error {
	conn, ok := f.peer.(transport.Conn)
	if !ok {
		return errors.New("gateway: Serve needs a front made by NewFront")
	}
	f.open(ctx)
	defer f.Close()
	for {
		b, err := conn.Read()
		if err != nil {
			var tl *transport.TooLargeError
			if errors.As(err, &tl) {
				id, _ := jsonrpc.PeekID(tl.Head, tl.Tail)
				f.log.Warn("rejected an oversized message from the client", "err", err)
				f.reply(id, jsonrpc.AppendErrorResponse(nil, id, jsonrpc.AppendError(nil, jsonrpc.CodeInvalidRequest, err.Error(), nil)))
				continue
			}
			if errors.Is(err, transport.ErrClosed) || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		f.Receive(b)
	}
}

// Receive handles one message from the client. A malformed message is
// answered with a JSON-RPC error (parse error or invalid request).
func (f *Front) Receive(b []byte) {
	m, perr := jsonrpc.Parse(b)
	if perr != nil {
		f.log.Warn("rejected a malformed message", "err", perr)
		f.reply(m.ID, jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.ErrorCodeOf(perr), "malformed message: "+perr.Error(), nil)))
		return
	}
	f.ReceiveParsed(m)
}

// ReceiveParsed is Receive for a message the caller has already parsed
// with jsonrpc.Parse.
func (f *Front) ReceiveParsed(m jsonrpc.Message) {
	switch m.Kind {
	case jsonrpc.KindRequest:
		f.startRequest(m)
	case jsonrpc.KindNotification:
		f.handleNotification(m)
	case jsonrpc.KindResponse:
		f.handleResponse(m)
	}
}

// Close ends the session: calls in flight are cancelled, the backends'
// requests waiting for this client are answered with an error, and its
// per-client back sessions are closed. Safe to call more than once.
func (f *Front) Close() {
	f.closeOnce.Do(func() {
		f.cancel()
		f.shutdown()
	})
}

func (f *Front) shutdown() {
	f.g.removeFront(f)
	f.mu.Lock()
	f.closed = true
	for _, r := range f.inflight {
		r.cancel()
	}
	out := f.out
	f.out = map[int64]*outReq{}
	backs := f.backs
	f.backs = map[*backend]*clientBack{}
	f.mu.Unlock()
	for _, o := range out {
		if o.reply != nil {
			close(o.reply)
			continue
		}
		_ = o.s.Reply(o.backID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the client disconnected", nil))
	}
	f.releaseSubscriptions()
	closeClientBacks(backs)
}

// send writes one message that belongs to no client request; sendFor one
// that belongs to the client request with raw id related (its answer, or a
// message caused by it). A broken client is noticed by whoever reads from
// it, so write errors are only logged at debug level.
func (f *Front) send(msg []byte) { f.sendFor(nil, msg) }

// reply sends the response to the client's request with raw id.
func (f *Front) reply(id, msg []byte) {
	var err error
	if f.routed != nil {
		err = f.routed.WriteResponse(id, msg)
	} else {
		err = f.peer.Write(msg)
	}
	if err != nil {
		f.log.Debug("could not write to the client", "err", err)
	}
}

func (f *Front) sendFor(related, msg []byte) {
	var err error
	if f.routed != nil {
		err = f.routed.WriteFor(related, msg)
	} else {
		err = f.peer.Write(msg)
	}
	if err != nil {
		f.log.Debug("could not write to the client", "err", err)
	}
}

// requestKey carries the client request being handled in its context, so
// that messages caused by it reach the client on the request's own stream.
type requestKey struct{}

// requestID returns the raw id of the client request ctx belongs to now
// (a parked call's belongs to none until the client resumes it).
func requestID(ctx context.Context) []byte {
	if r, _ := ctx.Value(requestKey{}).(*inflightReq); r != nil {
		return r.target()
	}
	return nil
}

// target is the raw id of the client request that waits for this one's
// messages.
func (r *inflightReq) target() []byte {
	if r.cont != nil {
		return r.cont.attached()
	}
	return r.id
}

// relatedRequest returns the raw id of the one client request in flight
// that was routed to server, or nil when there are none or several: a
// message a backend sends on its own is attributed to a request only when
// that is unambiguous.
func (f *Front) relatedRequest(server string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.relatedLocked(server); r != nil {
		return r.target()
	}
	return nil
}

func (f *Front) relatedLocked(server string) *inflightReq {
	var found *inflightReq
	for _, r := range f.inflight {
		if r.server == server {
			if found != nil {
				return nil
			}
			found = r
		}
	}
	return found
}

// serverNotification delivers a notification a backend sent on its own
// (a log message, or anything newer) to this client: on the stream of the
// call that caused it when that is unambiguous. A modern request gets log
// messages only at or above the level it opted into, and nothing else; a
// client that never initialized (modern only) gets nothing unrelated.
func (f *Front) serverNotification(server string, m jsonrpc.Message) {
	f.mu.Lock()
	r := f.relatedLocked(server)
	var id []byte
	modern, level := false, ""
	if r != nil {
		id, modern, level = r.target(), r.modern, r.logLevel
	}
	f.mu.Unlock()
	if modern {
		if m.Method != "notifications/message" || level == "" {
			return
		}
		lv, _ := jsonrpc.Get(m.Params, "level")
		l, _ := jsonrpc.String(lv)
		if logLevelRank(l) < logLevelRank(level) {
			return
		}
	} else if r == nil && !f.initialized.Load() {
		return
	}
	f.sendFor(id, m.Raw)
}

func (f *Front) startRequest(m jsonrpc.Message) {
	if a, ok := f.admitRequest(m); ok {
		go f.serveRequest(a)
	}
}

// HandleRequest handles one client request, which the caller has parsed
// with jsonrpc.Parse, on the calling goroutine: it returns once the answer
// has been written to the peer (or, for a request the client cancelled,
// dropped). Messages the request causes meanwhile are written to the peer
// from other goroutines, as for ReceiveParsed, which handles a request on a
// goroutine of its own. Other kinds of message are handled as by
// ReceiveParsed.
func (f *Front) HandleRequest(m jsonrpc.Message) {
	if m.Kind != jsonrpc.KindRequest {
		f.ReceiveParsed(m)
		return
	}
	if a, ok := f.admitRequest(m); ok {
		f.serveRequest(a)
	}
}

// admitted is a client request registered as in flight.
type admitted struct {
	ctx context.Context
	rec *audit.Record
	r   *inflightReq
	key string // the id, as the key of Front.inflight
	m   jsonrpc.Message
}

// admitRequest registers a client request as in flight; false when it was
// refused (a duplicate id, too many in flight), which has been answered.
func (f *Front) admitRequest(m jsonrpc.Message) (admitted, bool) {
	key := string(m.ID)
	r := &inflightReq{id: m.ID}
	rctx, cancel := context.WithCancel(context.WithValue(f.ctx, requestKey{}, r))
	r.cancel = cancel
	f.mu.Lock()
	_, dup := f.inflight[key]
	full := len(f.inflight) >= maxInflight
	if !dup && !full {
		f.inflight[key] = r
	}
	f.mu.Unlock()
	switch {
	case dup:
		cancel()
		f.reply(m.ID, jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeInvalidRequest,
			"request id "+key+" is already in use by a request in progress; ids must be unique", nil)))
		return admitted{}, false
	case full:
		cancel()
		f.reply(m.ID, jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError,
			fmt.Sprintf("too many requests in progress on this session (limit %d); wait for some to finish", maxInflight), nil)))
		return admitted{}, false
	}
	rctx, rec := f.beginRecord(rctx, r, m)
	return admitted{ctx: rctx, rec: rec, r: r, key: key, m: m}, true
}

// serveRequest handles an admitted request and writes its answer.
func (f *Front) serveRequest(a admitted) {
	rctx, rec, r, key, m := a.ctx, a.rec, a.r, a.key, a.m
	defer func() {
		r.cancel()
		f.maybeCloseIdle()
	}()
	res, err := f.handleRequest(rctx, m)
	// The id is free again once the request has ended, before its
	// answer is out: a client may reuse it as soon as it reads it.
	f.mu.Lock()
	delete(f.inflight, key)
	modern, name := r.modern, r.name
	f.mu.Unlock()
	if f.stateless {
		f.releaseIfIdle()
	}
	if r.cancelled.Load() {
		f.endRecord(rctx, rec, r, m.Params, nil, nil, nil, 0)
		return // the client cancelled it: no answer, as the spec says
	}
	var msg, errObj []byte
	if err != nil {
		errObj = f.wireError(m.Method, err)
		if modern {
			errObj = modernError(errObj, name)
		}
		msg = jsonrpc.AppendErrorResponse(nil, m.ID, errObj)
	} else {
		if modern {
			res = f.g.modernResult(m.Method, res)
		}
		msg = jsonrpc.AppendResult(make([]byte, 0, len(res)+len(m.ID)+32), m.ID, res)
	}
	f.endRecord(rctx, rec, r, m.Params, res, err, errObj, len(msg))
	f.reply(m.ID, msg)
}

func (f *Front) handleRequest(ctx context.Context, m jsonrpc.Message) ([]byte, error) {
	mm, modern, err := parseModernMeta(m.Params)
	if modern && mm.logLevel == "" {
		// A level the client set with logging/setLevel on this session
		// (the Go SDK still sends it) applies to its modern requests too.
		mm.logLevel = f.level()
	}
	r, _ := ctx.Value(requestKey{}).(*inflightReq)
	if modern && r != nil {
		f.mu.Lock()
		r.modern, r.logLevel = true, mm.logLevel
		f.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	if modern {
		if removedInModern[m.Method] {
			return nil, &callError{code: jsonrpc.CodeMethodNotFound, msg: fmt.Sprintf("method %q does not exist in protocol revision %s", m.Method, mm.version)}
		}
		f.startModern(ctx, mm)
		switch m.Method {
		case "server/discover":
			return f.g.discover(), nil
		case "subscriptions/listen":
			return f.subscriptionsListen(ctx, r, m.Params)
		}
		return f.callChain(ctx, r, m)
	}
	switch m.Method {
	case "initialize":
		return f.initialize(ctx, m.Params)
	case "ping":
		return []byte("{}"), nil
	case "server/discover":
		// The 2026-07-28 handshake; "method not found" tells a modern
		// client to fall back to initialize, as that revision specifies.
		return nil, &callError{code: jsonrpc.CodeMethodNotFound, msg: "server/discover is not supported on this endpoint; use initialize"}
	}
	if !f.initialized.Load() {
		// Be lenient like most servers: answer, but say what is wrong
		// when a client skips the handshake entirely.
		select {
		case <-f.g.initReady:
		default:
			return nil, &callError{code: jsonrpc.CodeInvalidRequest, msg: "the session is not initialized: send initialize first"}
		}
	}
	// A client that makes requests is past its handshake, whether or not
	// it sent notifications/initialized.
	f.markReady()
	return f.callChain(ctx, r, m)
}

// callChain resolves a call's backend and runs it through the plugin
// chain.
func (f *Front) callChain(ctx context.Context, r *inflightReq, m jsonrpc.Message) ([]byte, error) {
	c := &plugin.Call{Method: m.Method, Params: m.Params, Session: &f.sess}
	if err := f.resolve(c); err != nil {
		var he *hiddenError
		if errors.As(err, &he) {
			return f.refuseHidden(ctx, c, he)
		}
		return nil, err
	}
	if r != nil {
		f.mu.Lock()
		r.server, r.name = c.Server, c.Name
		f.mu.Unlock()
	}
	if r != nil && r.modern && mayNeedInput[c.Method] {
		if token := gatewayRequestState(c.Params); token != "" {
			return f.resumeContinuation(ctx, r, c, token)
		}
		return f.startContinuation(ctx, r, c)
	}
	res, err := f.chain(ctx, c)
	if err != nil {
		return nil, err
	}
	f.noteResult(r, res)
	return res.Raw, nil
}

// noteResult records on r, for the audit trail, that a plugin blocked the
// call or answered it from the cache.
func (f *Front) noteResult(r *inflightReq, res *plugin.Result) {
	if r == nil || res == nil || (res.Blocked == "" && !res.Cached) {
		return
	}
	f.mu.Lock()
	if res.Blocked != "" {
		r.status, r.plugin = audit.StatusBlocked, res.Blocked
	}
	r.cached = res.Cached
	f.mu.Unlock()
}

// refuseHidden answers a call to a definition a plugin hid, and reports
// the refusal.
func (f *Front) refuseHidden(ctx context.Context, c *plugin.Call, he *hiddenError) ([]byte, error) {
	who, why, _ := strings.Cut(he.reason, ": ")
	if r, _ := ctx.Value(requestKey{}).(*inflightReq); r != nil {
		f.mu.Lock()
		r.server, r.name, r.status, r.plugin = c.Server, c.Name, audit.StatusBlocked, who
		f.mu.Unlock()
	}
	f.g.events.Report(ctx, plugin.Event{Plugin: who, Type: "refused", Server: c.Server, Name: c.Name,
		Reason: why, Session: c.Session})
	res, err := plugin.Block(c.Method, who, why)
	if err != nil {
		return nil, err
	}
	return res.Raw, nil
}

// CloseWhenIdle closes the session once no request is in flight and no
// call waits for the client's input (a modern request's own session,
// whose call may continue in a retry).
func (f *Front) CloseWhenIdle() {
	f.closeWhenIdle.Store(true)
	f.maybeCloseIdle()
}

func (f *Front) maybeCloseIdle() {
	if !f.closeWhenIdle.Load() {
		return
	}
	f.mu.Lock()
	idle := len(f.inflight) == 0 && len(f.conts) == 0
	f.mu.Unlock()
	if idle {
		go f.Close()
	}
}

// level returns the log level the client set, "" if none.
func (f *Front) level() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logLevel
}

// Peer returns where the session's messages go.
func (f *Front) Peer() Peer { return f.peer }

func (f *Front) initialize(ctx context.Context, params []byte) ([]byte, error) {
	v, err := jsonrpc.Lookup(params, "protocolVersion", "capabilities", "clientInfo")
	if err != nil {
		return nil, &callError{code: jsonrpc.CodeInvalidParams, msg: "initialize: " + err.Error()}
	}
	requested, _ := jsonrpc.String(v[0])
	version := supportedVersions[0]
	for _, sv := range supportedVersions {
		if sv == requested {
			version = sv
		}
	}
	caps := v[1]
	if caps == nil {
		caps = []byte("{}")
	}
	info := v[2]
	if info == nil {
		info = []byte(`{"name":"unknown-client","version":"0"}`)
	}
	if name, err := jsonrpc.Get(info, "name"); err == nil {
		f.sess.ClientName, _ = jsonrpc.String(name)
	}
	// Backends see the first client's version, capabilities and identity.
	bp := []byte(`{"protocolVersion":`)
	bp = jsonrpc.AppendString(bp, version)
	bp = append(bp, `,"capabilities":`...)
	bp = append(bp, caps...)
	bp = append(bp, `,"clientInfo":`...)
	bp = append(bp, info...)
	bp = append(bp, '}')
	f.mu.Lock()
	f.initParams = bp
	f.mu.Unlock()
	f.g.setInitParams(bp)

	wctx, cancel := context.WithTimeout(ctx, f.g.opts.StartTimeout)
	f.g.WaitSettled(wctx)
	cancel()
	f.initialized.Store(true)
	return f.g.initializeResult(version), nil
}

// markReady records that the client finished its handshake: requests
// from backends held until then may now be sent.
func (f *Front) markReady() {
	f.initialized.Store(true)
	f.readyOnce.Do(func() { close(f.ready) })
}

func (f *Front) handleNotification(m jsonrpc.Message) {
	switch m.Method {
	case "notifications/initialized":
		f.markReady()
	case "notifications/cancelled":
		id, err := jsonrpc.Get(m.Params, "requestId")
		if err != nil || id == nil {
			return
		}
		f.mu.Lock()
		r := f.inflight[string(id)]
		f.mu.Unlock()
		if r != nil {
			r.cancelled.Store(true)
			r.cancel()
		}
	case "notifications/roots/list_changed":
		// Only sessions that were shown this client's capabilities ask it
		// for roots: per-client ones, or the shared ones on stdio.
		for _, b := range f.g.set().backends {
			if s := f.existingBackSession(b); s != nil {
				_ = s.Notify(m.Method, m.Params)
			}
		}
	default:
		f.log.Debug("ignored a client notification", "method", m.Method)
	}
}

// forwardRequest sends a backend's request to this client under a new id.
func (f *Front) forwardRequest(s *upstream.Session, m jsonrpc.Message) {
	if f.bridgeRequest(s, m) {
		return
	}
	f.mu.Lock()
	if f.closed || len(f.out) >= maxOutstanding {
		f.mu.Unlock()
		_ = s.Reply(m.ID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the client cannot take more requests now", nil))
		return
	}
	f.nextOut++
	id := f.nextOut
	f.out[id] = &outReq{s: s, backID: append([]byte(nil), m.ID...)}
	f.mu.Unlock()
	var idBuf [20]byte
	f.sendFor(f.relatedRequest(s.Server()), jsonrpc.AppendRequest(nil, strconv.AppendInt(idBuf[:0], id, 10), m.Method, m.Params))
}

// handleResponse returns the client's answer to the backend that asked.
func (f *Front) handleResponse(m jsonrpc.Message) {
	id, err := strconv.ParseInt(string(m.ID), 10, 64)
	if err != nil {
		f.log.Warn("ignored a response with an id the gateway never sent", "id", string(m.ID))
		return
	}
	f.mu.Lock()
	o := f.out[id]
	delete(f.out, id)
	f.mu.Unlock()
	if o == nil {
		f.log.Debug("ignored a response to a request that already ended", "id", id)
		return
	}
	if o.reply != nil {
		o.reply <- m // buffered: the asker may have given up
		return
	}
	if err := o.s.Reply(o.backID, m.Result, m.Error); err != nil {
		f.log.Warn("could not pass the client's answer to the backend", "server", o.s.Server(), "err", err)
	}
}

// backendCancelled forwards a backend's cancellation of one of its
// requests to this client, if the request is this client's.
func (f *Front) backendCancelled(s *upstream.Session, backID, params []byte) {
	if backID == nil {
		return
	}
	f.mu.Lock()
	var id int64 = -1
	for k, o := range f.out {
		if o.s == s && string(o.backID) == string(backID) {
			id = k
			delete(f.out, k)
			break
		}
	}
	f.mu.Unlock()
	if id < 0 {
		return
	}
	p, err := jsonrpc.SetField(params, "requestId", []byte(strconv.FormatInt(id, 10)))
	if err != nil {
		return
	}
	f.send(jsonrpc.AppendNotification(nil, "notifications/cancelled", p))
}

func (f *Front) subscribed(server, uri string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.subs[subKey{server, uri}]
	return ok
}

func (f *Front) taskOwner(taskID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tasks[taskID]
}
