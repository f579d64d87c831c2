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
	"sync"
	"sync/atomic"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
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

// Front is one client session.
type Front struct {
	g     *Gateway
	conn  transport.Conn
	log   *slog.Logger
	sess  plugin.Session
	chain plugin.Next

	initialized atomic.Bool
	ready       chan struct{} // closed once the client has initialized
	readyOnce   sync.Once

	mu       sync.Mutex
	inflight map[string]*inflightReq // by raw client request id
	out      map[int64]*outReq       // server→client requests, by our id
	subs     map[subKey]struct{}
	tasks    map[string]string // task id → server
	nextOut  int64
	closed   bool
}

type inflightReq struct {
	cancel    context.CancelFunc
	cancelled atomic.Bool // by the client: send no answer
}

type outReq struct {
	s      *upstream.Session
	backID []byte
}

type subKey struct{ server, uri string }

// NewFront returns a front session serving conn. Call Serve.
func (g *Gateway) NewFront(conn transport.Conn, principal string) *Front {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	f := &Front{
		g:        g,
		conn:     conn,
		inflight: map[string]*inflightReq{},
		out:      map[int64]*outReq{},
		subs:     map[subKey]struct{}{},
		tasks:    map[string]string{},
		ready:    make(chan struct{}),
	}
	f.sess = plugin.Session{ID: hex.EncodeToString(rnd[:]), Principal: principal}
	f.log = g.log.With("component", "front", "session", f.sess.ID)
	f.chain = plugin.Chain(g.opts.Plugins, f.route)
	return f
}

// Serve reads client messages until the connection ends, then cancels the
// session's calls and answers the backends' pending requests.
func (f *Front) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.g.addFront(f)
	defer f.shutdown()
	for {
		b, err := f.conn.Read()
		if err != nil {
			var tl *transport.TooLargeError
			if errors.As(err, &tl) {
				id, _ := jsonrpc.PeekID(tl.Head, tl.Tail)
				f.log.Warn("rejected an oversized message from the client", "err", err)
				f.send(jsonrpc.AppendErrorResponse(nil, id, jsonrpc.AppendError(nil, jsonrpc.CodeInvalidRequest, err.Error(), nil)))
				continue
			}
			if errors.Is(err, transport.ErrClosed) || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		m, perr := jsonrpc.Parse(b)
		if perr != nil {
			code := jsonrpc.CodeInvalidRequest
			var se *jsonrpc.SyntaxError
			if errors.As(perr, &se) {
				code = jsonrpc.CodeParseError
			}
			f.log.Warn("rejected a malformed message", "err", perr)
			f.send(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, code, "malformed message: "+perr.Error(), nil)))
			continue
		}
		switch m.Kind {
		case jsonrpc.KindRequest:
			f.startRequest(ctx, m)
		case jsonrpc.KindNotification:
			f.handleNotification(m)
		case jsonrpc.KindResponse:
			f.handleResponse(m)
		}
	}
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
	f.mu.Unlock()
	for _, o := range out {
		_ = o.s.Reply(o.backID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the client disconnected", nil))
	}
}

// send writes one message to the client; a broken client is logged once
// by the read loop, so errors here are only logged at debug level.
func (f *Front) send(msg []byte) {
	if err := f.conn.Write(msg); err != nil {
		f.log.Debug("could not write to the client", "err", err)
	}
}

func (f *Front) startRequest(ctx context.Context, m jsonrpc.Message) {
	key := string(m.ID)
	rctx, cancel := context.WithCancel(ctx)
	r := &inflightReq{cancel: cancel}
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
		f.send(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeInvalidRequest,
			"request id "+key+" is already in use by a request in progress; ids must be unique", nil)))
		return
	case full:
		cancel()
		f.send(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError,
			fmt.Sprintf("too many requests in progress on this session (limit %d); wait for some to finish", maxInflight), nil)))
		return
	}
	go func() {
		defer func() {
			f.mu.Lock()
			delete(f.inflight, key)
			f.mu.Unlock()
			cancel()
		}()
		res, err := f.handleRequest(rctx, m)
		if r.cancelled.Load() {
			return // the client cancelled it: no answer, as the spec says
		}
		if err != nil {
			f.send(jsonrpc.AppendErrorResponse(nil, m.ID, f.wireError(m.Method, err)))
			return
		}
		f.send(jsonrpc.AppendResult(make([]byte, 0, len(res)+len(m.ID)+32), m.ID, res))
	}()
}

func (f *Front) handleRequest(ctx context.Context, m jsonrpc.Message) ([]byte, error) {
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
	c := &plugin.Call{Method: m.Method, Params: m.Params, Session: &f.sess}
	if err := f.resolve(c); err != nil {
		return nil, err
	}
	res, err := f.chain(ctx, c)
	if err != nil {
		return nil, err
	}
	return res.Raw, nil
}

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
		for _, b := range f.g.backends {
			if s, err := b.sv.Session(); err == nil {
				_ = s.Notify(m.Method, m.Params)
			}
		}
	default:
		f.log.Debug("ignored a client notification", "method", m.Method)
	}
}

// forwardRequest sends a backend's request to this client under a new id.
func (f *Front) forwardRequest(s *upstream.Session, m jsonrpc.Message) {
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
	f.send(jsonrpc.AppendRequest(nil, strconv.AppendInt(idBuf[:0], id, 10), m.Method, m.Params))
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
