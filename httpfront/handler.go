// Package httpfront is the gateway's HTTP front door: MCP over streamable
// HTTP at /mcp (sessions with Mcp-Session-Id, answers as JSON or as an SSE
// stream, the GET stream, DELETE, resumption with Last-Event-ID), the legacy
// HTTP+SSE transport at /sse and /message, and /healthz and /readyz.
//
// Each client session is a gateway front session (gateway.Front); this
// package only moves messages between HTTP and it, and routes each message
// from the gateway to the stream the client expects it on: a response and
// what its request caused to that request's POST, everything else to the
// GET stream. Payloads are never re-encoded.
//
// Quick start:
//
//	h := httpfront.New(httpfront.Options{Gateway: g, Log: log})
//	srv := &http.Server{Handler: h}
//	srv.RegisterOnShutdown(h.Drain)
//	go srv.Serve(listener)
//	...
//	srv.Shutdown(ctx); h.Close()
//
// The command serves it through httpserve.Server, which answers the
// message POSTs (FastPath) with HTTP/1.1 code of its own and hands every
// other connection to the http.Server.
package httpfront

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/tracing"
)

// Options configures a Handler.
type Options struct {
	// Gateway serves the sessions; it must have been built with
	// gateway.Options.MultiClient set.
	Gateway *gateway.Gateway
	// Log receives the front door's logs. Nil: slog.Default().
	Log *slog.Logger
	// MaxBodyBytes bounds a request body. Zero value: the gateway's
	// maxMessageBytes default (32 MiB).
	MaxBodyBytes int64
	// Loopback tells that the listener is bound to a loopback address: then
	// only Host headers naming localhost, 127.0.0.1 or ::1 (or one of
	// AllowedHosts) are served, against DNS rebinding.
	Loopback bool
	// AllowedHosts are further Host values (without port) to serve. Empty
	// on a non-loopback listener: any.
	AllowedHosts []string
	// AllowedOrigins are origins ("https://app.example.com") whose browser
	// requests are served. Requests without an Origin header (every
	// non-browser client) are always served; with one, the origin must be
	// listed, be on a loopback host when Loopback is set, or match the
	// request's own host. Zero value: none beyond those.
	AllowedOrigins []string
	// SessionIdleTimeout closes a session that has had no request and no
	// open stream for this long. Zero value: 30 minutes.
	SessionIdleTimeout time.Duration
	// MaxSessions caps the sessions held at once; a new session beyond it
	// is refused with 503. Zero value: 10000.
	MaxSessions int
	// SessionBufferBytes bounds what may wait, per session, for a client
	// to read it. Zero value: 64 MiB or twice MaxBodyBytes, the larger.
	SessionBufferBytes int
	// KeepAlive is the interval of SSE comment lines that keep idle
	// streams open through proxies. Zero value: 15s.
	KeepAlive time.Duration
	// Authenticate, if not nil, establishes who is calling; an error is
	// answered with 401 and its message. Nil: every caller is "anonymous".
	Authenticate func(r *http.Request) (plugin.Identity, error)
	// TraceContext, when set (tracing is on), carries a request's W3C
	// traceparent/tracestate HTTP headers into its params._meta, where the
	// gateway reads a call's trace context, unless the message has its
	// own there.
	TraceContext bool
	// Public are extra paths served to anyone, without authentication
	// (the OAuth protected-resource metadata), after the Host and Origin
	// checks.
	Public map[string]http.HandlerFunc
}

// Defaults of Options.
const (
	DefaultSessionIdleTimeout = 30 * time.Minute
	DefaultMaxSessions        = 10000
	DefaultKeepAlive          = 15 * time.Second
	maxRequestsPerSession     = 4096
)

// Errors of sessions, shown to clients.
var (
	errDuplicateID     = errors.New("a request with this id is already in progress on this session; ids must be unique")
	errTooManyRequests = fmt.Errorf("too many requests in progress on this session (limit %d); wait for some to finish", maxRequestsPerSession)
	errSlowClient      = errors.New("the client does not read its answers; session closed")
)

// Handler serves the front door. Create it with New.
type Handler struct {
	o   Options
	g   *gateway.Gateway
	log *slog.Logger
	mux *http.ServeMux

	sessions sync.Map // id → *session
	count    atomic.Int64
	draining atomic.Bool
	drain    chan struct{} // closed by Drain: long-lived streams end
	drainOne sync.Once
	stop     chan struct{}
	stopOne  sync.Once
	wg       sync.WaitGroup
	baseCtx  context.Context
	cancel   context.CancelFunc
}

// New returns a Handler; it starts the idle-session reaper, which Close
// stops.
func New(o Options) *Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.SessionIdleTimeout <= 0 {
		o.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.SessionBufferBytes <= 0 {
		o.SessionBufferBytes = max(64<<20, int(2*o.MaxBodyBytes))
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	h := &Handler{o: o, g: o.Gateway, log: o.Log.With("component", "http"), drain: make(chan struct{}), stop: make(chan struct{})}
	h.baseCtx, h.cancel = context.WithCancel(context.Background())
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("/mcp", h.serveMCP)
	h.mux.HandleFunc("/sse", h.serveLegacyStream)
	h.mux.HandleFunc("/message", h.serveLegacyMessage)
	h.mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	h.mux.HandleFunc("/readyz", h.serveReady)
	for path, fn := range o.Public {
		h.mux.HandleFunc(path, fn)
	}
	h.wg.Add(1)
	go h.reap()
	return h
}

// FastPath reports whether requests with this method and path are the
// message POSTs of the hot path (httpserve.Server.Fast): POST /mcp and
// POST /message.
func FastPath(method, path string) bool {
	return method == http.MethodPost && (path == "/mcp" || path == "/message")
}

// ServeHTTP checks Host and Origin, then routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hostAllowed(r.Host) {
		httpError(w, http.StatusForbidden, fmt.Sprintf("host %q is not served here (DNS rebinding protection); add it to gateway.http.allowedHosts", r.Host))
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !h.originAllowed(origin, r.Host) {
		httpError(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed; add it to gateway.http.allowedOrigins", origin))
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	select {
	case <-h.g.Ready():
	default:
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "starting: backends have not all finished their first start\n")
		return
	}
	if h.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "shutting down\n")
		return
	}
	io.WriteString(w, "ready\n")
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func stripPort(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func (h *Handler) hostAllowed(hostport string) bool {
	host := stripPort(hostport)
	for _, a := range h.o.AllowedHosts {
		if strings.EqualFold(a, host) {
			return true
		}
	}
	if h.o.Loopback {
		return isLoopbackHost(host)
	}
	return len(h.o.AllowedHosts) == 0
}

func (h *Handler) originAllowed(origin, reqHost string) bool {
	for _, a := range h.o.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if h.o.Loopback && isLoopbackHost(u.Hostname()) {
		return true
	}
	return strings.EqualFold(u.Host, reqHost)
}

// AuthError is an authentication failure that says how to answer it: its
// HTTP status (401, 403) and WWW-Authenticate challenge ("" for none).
// Authenticate errors that are not AuthErrors are answered 401.
type AuthError interface {
	error
	HTTPStatus() int
	Challenge() string
}

// principal authenticates the request; on failure it has answered.
func (h *Handler) principal(w http.ResponseWriter, r *http.Request) (plugin.Identity, bool) {
	if h.o.Authenticate == nil {
		return plugin.Identity{Principal: "anonymous"}, true
	}
	id, err := h.o.Authenticate(r)
	if err != nil {
		status := http.StatusUnauthorized
		var ae AuthError
		if errors.As(err, &ae) {
			status = ae.HTTPStatus()
			if c := ae.Challenge(); c != "" {
				w.Header().Set("WWW-Authenticate", c)
			}
		}
		rpcHTTPError(w, status, nil, jsonrpc.CodeInvalidRequest, err.Error())
		return plugin.Identity{}, false
	}
	return id, true
}

// serveMCP is the streamable HTTP endpoint.
func (h *Handler) serveMCP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.servePost(w, r)
	case http.MethodGet:
		h.serveGet(w, r)
	case http.MethodDelete:
		h.serveDelete(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		httpError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on /mcp; use POST, GET or DELETE")
	}
}

// accepts reports whether the Accept header allows the media type (a
// missing header allows everything).
func accepts(r *http.Request, typ string) bool {
	vals := r.Header.Values("Accept")
	if len(vals) == 0 {
		return true
	}
	major, _, _ := strings.Cut(typ, "/")
	for _, v := range vals {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			mt = strings.TrimSpace(mt)
			if mt == typ || mt == "*/*" || (len(mt) == len(major)+2 && strings.HasPrefix(mt, major) && mt[len(major):] == "/*") {
				return true
			}
		}
	}
	return false
}

// acceptance is what a POST's Accept header allows of the two answer types.
type acceptance struct{ json, sse bool }

func acceptsAnswers(r *http.Request) acceptance {
	return acceptance{json: accepts(r, "application/json"), sse: accepts(r, "text/event-stream")}
}

// readBody reads a POST body within the size limit; on failure it has
// answered.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	ct := r.Header.Get("Content-Type")
	if !isJSON(ct) {
		rpcHTTPError(w, http.StatusUnsupportedMediaType, nil, jsonrpc.CodeInvalidRequest,
			fmt.Sprintf("Content-Type must be application/json, got %q", ct))
		return nil, false
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		rpcHTTPError(w, http.StatusRequestEntityTooLarge, nil, jsonrpc.CodeInvalidRequest, h.tooLarge())
		return nil, false
	}
	var body []byte
	var err error
	if r.ContentLength > 0 {
		// The usual case: the length is known, read exactly that (net/http
		// fails a body that ends early).
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, h.o.MaxBodyBytes+1))
	}
	if err != nil {
		rpcHTTPError(w, http.StatusBadRequest, nil, jsonrpc.CodeInvalidRequest, "could not read the request body: "+err.Error())
		return nil, false
	}
	if int64(len(body)) > h.o.MaxBodyBytes {
		rpcHTTPError(w, http.StatusRequestEntityTooLarge, nil, jsonrpc.CodeInvalidRequest, h.tooLarge())
		return nil, false
	}
	return body, true
}

// isJSON reports whether a Content-Type is application/json.
func isJSON(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

func (h *Handler) tooLarge() string {
	return fmt.Sprintf("request body larger than the %d-byte limit (raise gateway.maxMessageBytes to allow it)", h.o.MaxBodyBytes)
}

// readMessage reads and parses a POST's one JSON-RPC message; on failure
// it has answered.
func (h *Handler) readMessage(w http.ResponseWriter, r *http.Request) (jsonrpc.Message, bool) {
	body, ok := h.readBody(w, r)
	if !ok {
		return jsonrpc.Message{}, false
	}
	m, ok := parse(w, body)
	if ok && h.o.TraceContext && m.Kind == jsonrpc.KindRequest {
		m = withTraceHeaders(r, m)
	}
	return m, ok
}

// withTraceHeaders returns m with the request's traceparent and tracestate
// headers in params._meta, when it has the header and not the member.
func withTraceHeaders(r *http.Request, m jsonrpc.Message) jsonrpc.Message {
	tp := r.Header.Get("traceparent")
	if tp == "" {
		return m
	}
	if meta, _ := jsonrpc.Get(m.Params, "_meta"); meta != nil {
		if v, _ := jsonrpc.Get(meta, "traceparent"); v != nil {
			return m
		}
	}
	params, err := tracing.InjectMeta(m.Params, tp, r.Header.Get("tracestate"))
	if err != nil {
		return m // params the gateway will refuse anyway
	}
	m2, err := jsonrpc.Parse(jsonrpc.AppendRequest(nil, m.ID, m.Method, params))
	if err != nil {
		return m
	}
	return m2
}

// parse parses one JSON-RPC message; on failure it has answered.
func parse(w http.ResponseWriter, body []byte) (jsonrpc.Message, bool) {
	m, err := jsonrpc.Parse(body)
	if err != nil {
		rpcHTTPError(w, http.StatusBadRequest, m.ID, jsonrpc.ErrorCodeOf(err), "malformed message: "+err.Error())
		return m, false
	}
	return m, true
}

// supportedVersion reports whether the MCP-Protocol-Version header names a
// revision the gateway speaks (absent: assumed 2025-03-26, as specified).
func supportedVersion(v string) bool {
	switch v {
	case "", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05":
		return true
	}
	return false
}

func (h *Handler) servePost(w http.ResponseWriter, r *http.Request) {
	acc := acceptsAnswers(r)
	if !acc.json && !acc.sse {
		rpcHTTPError(w, http.StatusNotAcceptable, nil, jsonrpc.CodeInvalidRequest, "Accept must allow application/json and text/event-stream")
		return
	}
	id, ok := h.principal(w, r)
	if !ok {
		return
	}
	m, ok := h.readMessage(w, r)
	if !ok {
		return
	}
	if modernRequest(r, m) {
		h.serveModernPost(w, r, id, m)
		return
	}
	if v := r.Header.Get("MCP-Protocol-Version"); !supportedVersion(v) {
		rpcHTTPError(w, http.StatusBadRequest, m.ID, jsonrpc.CodeInvalidRequest,
			fmt.Sprintf("unsupported MCP-Protocol-Version %q (supported: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)", v))
		return
	}
	var s *session
	sid := r.Header.Get("Mcp-Session-Id")
	if m.Kind == jsonrpc.KindRequest && m.Method == "initialize" {
		if sid != "" {
			rpcHTTPError(w, http.StatusBadRequest, m.ID, jsonrpc.CodeInvalidRequest, "initialize must not carry an Mcp-Session-Id; it starts a new session")
			return
		}
		if s, ok = h.newSession(w, m.ID, id, false); !ok {
			return
		}
		w.Header().Set("Mcp-Session-Id", s.id)
	} else if s, ok = h.lookup(w, m.ID, sid, id.Principal); !ok {
		return
	} else {
		s.front.Authenticated(id)
	}
	s.touch()
	s.active.Add(1)
	defer s.active.Add(-1)
	if m.Kind != jsonrpc.KindRequest {
		s.front.ReceiveParsed(m)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	st, err := s.openRequestStream(m.ID)
	if err != nil {
		rpcHTTPError(w, http.StatusBadRequest, m.ID, jsonrpc.CodeInvalidRequest, err.Error())
		return
	}
	kick, _ := st.attach(false, 0) // a new stream: nobody else writes it
	out := streamOut{sse: acc.sse, json: acc.json, kick: kick, spill: s.spill}
	// The request is handled on this goroutine, and its answer written here
	// once it is ready: no hand-off for a call answered by its response
	// alone. A message it causes before its answer (progress, a request to
	// the client) starts a goroutine that writes the stream meanwhile.
	sw := &streamWriter{write: func() { h.writeStream(w, r, st, out) }}
	st.onEvent(sw.start)
	s.front.HandleRequest(m)
	sw.finish()
	if st.finished() {
		s.finishStream(st)
	}
}

// streamWriter writes a POST's stream either on the request's goroutine,
// once the request has been handled, or, when start is called first, on a
// goroutine of its own; the request's goroutine then waits for it.
type streamWriter struct {
	write func()
	once  sync.Once
	done  chan struct{} // closed when the goroutine has written; set by start
}

func (sw *streamWriter) start() {
	sw.once.Do(func() {
		sw.done = make(chan struct{})
		go func() {
			defer close(sw.done)
			sw.write()
		}()
	})
}

// finish writes the stream unless start has, then waits until it is
// written (the answer sent, the client gone, or the stream taken over).
func (sw *streamWriter) finish() {
	here := false
	sw.once.Do(func() { here = true })
	if here {
		sw.write()
		return
	}
	<-sw.done
}

// newSession creates a session; on failure it has answered.
func (h *Handler) newSession(w http.ResponseWriter, id []byte, who plugin.Identity, legacy bool) (*session, bool) {
	if h.draining.Load() {
		rpcHTTPError(w, http.StatusServiceUnavailable, id, jsonrpc.CodeInternalError, "the gateway is shutting down; connect to another instance")
		return nil, false
	}
	if h.count.Add(1) > int64(h.o.MaxSessions) {
		h.count.Add(-1)
		h.log.Warn("refused a new session: the session limit is reached", "limit", h.o.MaxSessions)
		rpcHTTPError(w, http.StatusServiceUnavailable, id, jsonrpc.CodeInternalError,
			fmt.Sprintf("too many sessions (limit %d); try again later", h.o.MaxSessions))
		return nil, false
	}
	s := newSession(h, who.Principal, legacy)
	s.front = h.g.OpenFront(h.baseCtx, s, who)
	h.sessions.Store(s.id, s)
	h.log.Debug("session opened", "session", s.id, "principal", who.Principal, "legacy", legacy)
	return s, true
}

// lookup finds the session of a request; on failure it has answered. A
// session belongs to the principal that created it: to anyone else it
// does not exist.
func (h *Handler) lookup(w http.ResponseWriter, id []byte, sid, principal string) (*session, bool) {
	if sid == "" {
		rpcHTTPError(w, http.StatusBadRequest, id, jsonrpc.CodeInvalidRequest, "missing Mcp-Session-Id header; send initialize first to start a session")
		return nil, false
	}
	v, ok := h.sessions.Load(sid)
	if !ok || v.(*session).principal != principal {
		rpcHTTPError(w, http.StatusNotFound, id, jsonrpc.CodeInvalidRequest, "unknown or expired session; send initialize to start a new one")
		return nil, false
	}
	s := v.(*session)
	if s.legacy {
		rpcHTTPError(w, http.StatusBadRequest, id, jsonrpc.CodeInvalidRequest, "this session uses the legacy SSE transport; post to its /message endpoint")
		return nil, false
	}
	return s, true
}

// sessionOf authenticates a GET or DELETE and finds its session; on
// failure it has answered.
func (h *Handler) sessionOf(w http.ResponseWriter, r *http.Request) (*session, bool) {
	id, ok := h.principal(w, r)
	if !ok {
		return nil, false
	}
	return h.lookup(w, nil, r.Header.Get("Mcp-Session-Id"), id.Principal)
}

func (h *Handler) serveGet(w http.ResponseWriter, r *http.Request) {
	if !accepts(r, "text/event-stream") {
		httpError(w, http.StatusNotAcceptable, "GET /mcp opens an event stream: Accept must allow text/event-stream")
		return
	}
	s, ok := h.sessionOf(w, r)
	if !ok {
		return
	}
	s.touch()
	s.active.Add(1)
	defer s.active.Add(-1)
	st := s.own
	resume := false
	var after int64
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		sid, seq, ok := parseEventID(last)
		if ok {
			st = s.streamByID(sid)
		}
		if !ok || st == nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("cannot resume after event %q: the stream is gone; open a new GET stream", last))
			return
		}
		resume, after = true, seq
	}
	kick, ok := st.attach(resume, after)
	if !ok {
		if st == s.own && !resume {
			httpError(w, http.StatusConflict, "this session already has a GET stream open; close it first")
		} else {
			httpError(w, http.StatusBadRequest, "cannot resume: the events after that id are no longer held, or the stream is being read elsewhere")
		}
		return
	}
	out := streamOut{sse: true, json: accepts(r, "application/json"), kick: kick}
	if st == s.own {
		out.preface = ": stream open\n\n"
	}
	h.writeStream(w, r, st, out)
	if st != s.own && st.finished() {
		s.finishStream(st)
	}
}

func (h *Handler) serveDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := h.sessionOf(w, r)
	if !ok {
		return
	}
	h.closeSession(s)
	w.WriteHeader(http.StatusNoContent)
}

// jsonContentType is the Content-Type value of JSON answers, shared by all
// of them (net/http does not modify header values).
var jsonContentType = []string{"application/json"}

// streamOut says how writeStream writes one stream.
type streamOut struct {
	sse  bool            // the client takes an event stream
	json bool            // the client takes a JSON answer
	kick <-chan struct{} // from attach: another connection takes over
	// spill takes what this response cannot carry (a client that takes no
	// event stream gets only the JSON response here); nil drops it.
	spill func(msg []byte)
	// preface is written first on a stream that starts at once (GET).
	preface string
	// modern: a JSON error response gets the HTTP status the 2026-07-28
	// revision gives its code.
	modern bool
}

// writeStream writes a stream, which the caller has attached, to the
// client until it is complete, the client goes away or another connection
// resumes it (the stream stays, for resumption), or the session or the
// server ends. A POST answered by its response alone is sent as JSON when
// the client accepts it; anything longer as an SSE stream.
func (h *Handler) writeStream(w http.ResponseWriter, r *http.Request, st *stream, out streamOut) {
	defer st.detach()
	spill := out.spill
	if spill == nil {
		spill = func([]byte) {}
	}
	started := false
	var bw *bufio.Writer
	var keepAlive *time.Ticker
	fl, _ := w.(http.Flusher)
	start := func() {
		hd := w.Header()
		hd.Set("Content-Type", "text/event-stream")
		hd.Set("Cache-Control", "no-cache, no-transform")
		hd.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		bw = bufio.NewWriterSize(w, 8<<10)
		keepAlive = time.NewTicker(h.o.KeepAlive)
		started = true
	}
	defer func() {
		if keepAlive != nil {
			keepAlive.Stop()
		}
	}()
	if out.preface != "" {
		start()
		bw.WriteString(out.preface)
		bw.Flush()
		if fl != nil {
			fl.Flush()
		}
	}
	var idBuf [40]byte
	for {
		b := st.take()
		if !started && b.complete && (!out.sse || (len(b.msgs) == 1 && out.json)) {
			// A plain JSON answer: the response alone, or, for a client
			// that takes no event stream, the response with what came
			// before it spilled.
			for i, m := range b.msgs {
				if b.first+int64(i) != b.respSeq {
					spill(m)
					continue
				}
				w.Header()["Content-Type"] = jsonContentType
				if out.modern {
					writeModernHeader(w, m)
				}
				w.Write(m)
			}
			return
		}
		if !started && !out.sse {
			for _, m := range b.msgs {
				spill(m)
			}
			b.msgs = nil
		}
		if len(b.msgs) > 0 {
			if !started {
				start()
			}
			for i, m := range b.msgs {
				writeEvent(bw, st.eventID(idBuf[:0], b.first+int64(i)), m)
			}
			if err := bw.Flush(); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if (b.complete && !st.standalone()) || b.ended {
			return
		}
		var tick <-chan time.Time
		if keepAlive != nil {
			tick = keepAlive.C
		}
		select {
		case <-st.wake:
		case <-tick:
			bw.WriteString(": keep-alive\n\n")
			if bw.Flush() != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		case <-r.Context().Done():
			return
		case <-out.kick:
			return
		case <-h.drainFor(st):
			return
		}
	}
}

// drainFor returns the channel that ends a stream when the server drains:
// long-lived streams (GET) end at once; POST streams run until their
// response.
func (h *Handler) drainFor(st *stream) <-chan struct{} {
	if st.standalone() {
		return h.drain
	}
	return nil
}

// closeSession ends a session and its front session.
func (h *Handler) closeSession(s *session) {
	if _, loaded := h.sessions.LoadAndDelete(s.id); !loaded {
		return
	}
	h.count.Add(-1)
	s.close()
	s.front.Close()
	h.log.Debug("session closed", "session", s.id)
}

// reap closes sessions idle for longer than SessionIdleTimeout.
func (h *Handler) reap() {
	defer h.wg.Done()
	t := time.NewTicker(max(h.o.SessionIdleTimeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-h.o.SessionIdleTimeout).UnixNano()
		h.sessions.Range(func(_, v any) bool {
			s := v.(*session)
			if s.active.Load() == 0 && s.lastUsed.Load() < cutoff {
				h.log.Info("closing an idle session", "session", s.id, "idle_timeout", h.o.SessionIdleTimeout)
				h.closeSession(s)
			}
			return true
		})
	}
}

// Sessions returns how many sessions are open.
func (h *Handler) Sessions() int { return int(h.count.Load()) }

// Drain starts a graceful shutdown: new sessions are refused, /readyz
// fails, and long-lived streams end so that http.Server.Shutdown can
// complete once the calls in flight have been answered. Register it with
// http.Server.RegisterOnShutdown.
func (h *Handler) Drain() {
	h.drainOne.Do(func() {
		h.draining.Store(true)
		close(h.drain)
		h.g.StopListening()
	})
}

// Close closes every session (cancelling what is still in flight) and
// stops the reaper.
func (h *Handler) Close() {
	h.Drain()
	h.stopOne.Do(func() { close(h.stop) })
	h.sessions.Range(func(_, v any) bool {
		h.closeSession(v.(*session))
		return true
	})
	h.cancel()
	h.wg.Wait()
}

// httpError answers with a plain-text error.
func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// rpcHTTPError answers with an HTTP status and a JSON-RPC error response
// (id null when the request's id is not known).
func rpcHTTPError(w http.ResponseWriter, status int, id []byte, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(jsonrpc.AppendErrorResponse(nil, id, jsonrpc.AppendError(nil, code, msg, nil)))
}
