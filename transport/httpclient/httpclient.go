// Package httpclient connects to remote MCP servers: streamable HTTP
// (2025-03-26 and later, with sessions) and the legacy HTTP+SSE transport
// (2024-11-05), or either, detected as the specification's backwards
// compatibility section describes. The returned transport.Conn carries raw
// JSON-RPC messages; nothing is re-encoded (only line breaks between JSON
// tokens become spaces, see deliver).
//
// A request written to a streamable HTTP server is sent from its own
// goroutine, and Write returns once it has been handed over: the server may
// hold the POST open for as long as it works on the request, and the caller's
// timeouts and cancellation must keep working meanwhile. What goes wrong
// with that exchange (an HTTP error status, an unreachable server, a stream
// that ends without the answer) then arrives through Read as a JSON-RPC
// error answer to that request, with a message that names no URL; the
// full error, URL redacted, is logged. A 404 for a request carrying a
// session id instead fails the whole Conn with [transport.ErrSessionExpired].
// The Conn is also a [transport.Requester]: Request makes the exchange on
// the caller's goroutine instead, until the caller's deadline, and returns
// an answer that comes first. POSTs to plain-HTTP servers go over a small
// HTTP/1.1 client of the package's own (wire.go), everything else over
// net/http.
//
// An answer stream that drops after an event id is resumed with a GET
// carrying Last-Event-ID, and so is the server's own GET stream. A message
// over Options.MaxMessageBytes is skipped and Read returns a
// *transport.TooLargeError with its head and tail in its place; the Conn
// goes on.
package httpclient

import (
	"bufio"
	"bytes"
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
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/transport"
)

// Modes of Options.Mode.
const (
	ModeStreamable = "http" // streamable HTTP
	ModeSSE        = "sse"  // legacy HTTP+SSE
	ModeAuto       = "auto" // streamable HTTP, falling back to legacy SSE
)

// Options configures Dial.
type Options struct {
	URL     string            // the endpoint (/mcp for streamable, /sse for legacy)
	Mode    string            // ModeStreamable, ModeSSE or ModeAuto
	Headers map[string]string // sent on every request
	// Client is the HTTP client; nil: a shared client with pooling and no
	// overall timeout (streams are long-lived).
	Client *http.Client
	// MaxMessageBytes bounds one message (0: transport.DefaultMaxMessageBytes).
	MaxMessageBytes int
	Logger          *slog.Logger
}

// DefaultTransport is the net/http connection pool of the default client;
// wrap it (for example to add credentials) to share its connections.
// Requests of a client given in Options go through net/http.
var DefaultTransport http.RoundTripper = defaultTransport

var (
	defaultTransport = &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	defaultClient = &http.Client{Transport: defaultTransport}
)

// Header values of every POST, shared by all requests (net/http does not
// modify a request's header values).
var (
	hdrJSON   = []string{"application/json"}
	hdrAccept = []string{"application/json, text/event-stream"}
)

const (
	// queueLen bounds the messages received but not yet Read: a slow
	// reader holds back the HTTP streams rather than growing memory.
	queueLen = 64
	// minBackoff and maxBackoff bound the wait before reconnecting a
	// stream.
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
	// maxResumes bounds the reconnections of an answer stream that bring
	// no new event.
	maxResumes = 5
	// shortBody is how much of an error answer's body goes into an error
	// message; errorBody is how much is read to find a JSON-RPC error in it.
	shortBody = 200
	errorBody = 64 << 10
	// headKeep and tailKeep are how much of an oversized message is kept
	// in its *transport.TooLargeError (the same amounts as the stdio
	// transport); fieldRoom is the room for a field name before a value on
	// one event stream line ("data: ").
	headKeep  = 4 << 10
	tailKeep  = 256
	fieldRoom = 64
)

// item is one entry of the Read queue: a message, or the error of one
// message that could not be received (a *transport.TooLargeError).
type item struct {
	msg []byte
	err error
}

type conn struct {
	o      Options
	url    *url.URL            // o.URL, parsed
	hdrs   map[string][]string // o.Headers, canonical keys
	client *http.Client
	// redirected is set once the server redirected a POST: from then on,
	// requests go through client.Do, which follows redirects, rather than
	// straight to the default client's transport.
	redirected atomic.Bool
	wire       *wireTarget // nil: POSTs go through net/http
	log        *slog.Logger
	ctx        context.Context
	cancel     context.CancelFunc
	in         chan item

	mu         sync.Mutex
	mode       string        // resolved mode (ModeAuto until detection succeeds)
	probe      chan struct{} // closed when the detection in progress ends
	endpoint   string        // where legacy messages are POSTed
	stopLegacy context.CancelFunc
	session    string   // Mcp-Session-Id
	version    string   // negotiated protocol version
	sessionHdr []string // session and version as header values (nil: none)
	versionHdr []string
	exchanges  map[uint64]context.CancelFunc // carried by Request, to end on Close
	nextEx     uint64
	initID     []byte // id of the initialize request, until answered
	getOpened  bool
	closed     bool // Close has begun: no new goroutines

	errOnce sync.Once
	err     error
	failed  chan struct{}
	wg      sync.WaitGroup
}

// outgoing is a message being sent, with the envelope fields send needs.
type outgoing struct {
	raw    []byte
	id     []byte // of a request
	method string
	call   bool // a request, which expects an answer
	// modern is the _meta protocol version of a 2026-07-28 request ("" for
	// session-based traffic), and name what its Mcp-Name header mirrors.
	modern string
	name   string
	extra  map[string]string // further headers of a modern request
	// deadline, when not zero, ends the exchange; it is not in the
	// exchange's context, which would need a timer per call: the wire
	// client gives it to the socket, and the paths through net/http make
	// a deadline context of it (see withDeadline).
	deadline time.Time
}

// Per-request _meta key of the protocol version (2026-07-28).
const metaProtocolVersion = "io.modelcontextprotocol/protocolVersion"

// nameField is the params field that Mcp-Name mirrors, per method.
var nameField = map[string]string{"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

// modernHeaders fills in what a 2026-07-28 request's headers must mirror
// from its body: the version, the method and, for calls naming a tool,
// prompt or resource, that name.
func (out *outgoing) modernHeaders(params []byte) {
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil || meta == nil || meta[0] != '{' {
		return
	}
	v, _ := jsonrpc.Get(meta, metaProtocolVersion)
	if out.modern, _ = jsonrpc.String(v); out.modern == "" {
		return
	}
	if f, ok := nameField[out.method]; ok {
		n, _ := jsonrpc.Get(params, f)
		out.name, _ = jsonrpc.String(n)
	}
}

// Dial returns a connection to the server. Streamable HTTP connects lazily
// on the first Write; legacy SSE opens its event stream now and waits for
// the endpoint event (bounded by ctx).
func Dial(ctx context.Context, o Options) (transport.Conn, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid server URL %s: want http(s)://host/path", redact(o.URL))
	}
	switch o.Mode {
	case ModeStreamable, ModeAuto, ModeSSE:
	default:
		return nil, fmt.Errorf("unknown mode %q", o.Mode)
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = transport.DefaultMaxMessageBytes
	}
	c := &conn{o: o, client: o.Client, log: o.Logger, in: make(chan item, queueLen), failed: make(chan struct{}), mode: o.Mode,
		url: u, hdrs: make(map[string][]string, len(o.Headers)), exchanges: map[uint64]context.CancelFunc{}}
	u.Host = strings.TrimSuffix(u.Host, ":") // as http.NewRequest does
	for k, v := range o.Headers {
		c.hdrs[http.CanonicalHeaderKey(k)] = []string{v}
	}
	if c.client == nil {
		c.client = defaultClient
	}
	c.wire = newWireTarget(u, c.client, c.hdrs)
	if c.log == nil {
		c.log = slog.Default()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if o.Mode == ModeSSE {
		if err := c.openSSE(ctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// fail records the first error that ends the connection.
func (c *conn) fail(err error) {
	c.errOnce.Do(func() {
		c.err = err
		close(c.failed)
	})
}

// spawn runs f on a goroutine that Close waits for; it reports false (and
// does not run f) once Close has begun.
func (c *conn) spawn(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *conn) Read() ([]byte, error) {
	select {
	case it := <-c.in:
		return it.msg, it.err
	case <-c.failed:
		// Deliver what arrived before the failure first.
		select {
		case it := <-c.in:
			return it.msg, it.err
		default:
		}
		return nil, c.err
	}
}

// push queues one item for Read.
func (c *conn) push(it item) error {
	select {
	case c.in <- it:
		return nil
	case <-c.ctx.Done():
		return fmt.Errorf("read: %w", transport.ErrClosed)
	}
}

// deliver queues one received message for Read, noting the negotiated
// protocol version from the answer to initialize. It reports whether msg
// is the answer to the request with id want (nil: no such request).
//
// Line breaks in msg become spaces: valid JSON has them only between
// tokens (a pretty-printed body, the lines of a multi-line SSE data field),
// and the gateway's stdio front frames messages by line. No other byte
// changes.
func (c *conn) deliver(msg, want []byte) (bool, error) {
	answer := c.received(msg, want)
	return answer, c.push(item{msg: msg})
}

// received prepares a message that arrived for delivery: its line breaks
// become spaces, and the answer to initialize sets the negotiated protocol
// version. It reports whether msg is the answer to the request with id
// want (nil: no such request).
func (c *conn) received(msg, want []byte) bool {
	oneLine(msg)
	answer := false
	c.mu.Lock()
	initID := c.initID
	c.mu.Unlock()
	if initID != nil || want != nil {
		if m, err := jsonrpc.Parse(msg); err == nil && m.Kind == jsonrpc.KindResponse {
			answer = want != nil && bytes.Equal(m.ID, want)
			if initID != nil && bytes.Equal(m.ID, initID) {
				version := ""
				if v, err := jsonrpc.Get(m.Result, "protocolVersion"); err == nil && v != nil {
					version, _ = jsonrpc.String(v)
				}
				c.mu.Lock()
				c.initID, c.version, c.versionHdr = nil, version, nil
				if version != "" {
					c.versionHdr = []string{version}
				}
				c.mu.Unlock()
			}
		}
	}
	return answer
}

// sink takes the messages of one exchange. With direct set (an exchange
// carried by Request, for the request with id direct), the answer, if it
// is the exchange's first message, is kept for the caller instead of
// queued for Read; once anything was queued, the answer is queued too, so
// that it stays after what came before it.
type sink struct {
	c      *conn
	direct []byte
	answer []byte // kept for the caller
	queued bool   // something of this exchange went to Read
}

// deliver is conn.deliver for a message of the exchange.
func (k *sink) deliver(msg, want []byte) (bool, error) {
	if k.direct != nil && !k.queued && k.answer == nil {
		if k.c.received(msg, k.direct) {
			k.answer = msg
			return true, nil
		}
		k.queued = true
		return false, k.c.push(item{msg: msg})
	}
	k.queued = true
	return k.c.deliver(msg, want)
}

// push is conn.push for an item of the exchange.
func (k *sink) push(it item) error {
	k.queued = true
	return k.c.push(it)
}

// oneLine replaces CR and LF in msg, in place, with spaces.
func oneLine(msg []byte) {
	for i := bytes.IndexAny(msg, "\r\n"); i >= 0; {
		msg[i] = ' '
		j := bytes.IndexAny(msg[i+1:], "\r\n")
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

// Write implements transport.Conn.
func (c *conn) Write(msg []byte) error {
	_, err := c.write(nil, msg, nil)
	return err
}

// WriteWithHeaders implements transport.HeaderWriter: the request's POST
// also carries hdr (the 2026-07-28 Mcp-Param-* headers).
func (c *conn) WriteWithHeaders(msg []byte, hdr map[string]string) error {
	_, err := c.write(nil, msg, hdr)
	return err
}

// Request implements transport.Requester. Over streamable HTTP, once the
// mode is known, the POST is made and its answer read on the caller's
// goroutine; otherwise (legacy SSE, detection in progress) it is Write.
func (c *conn) Request(ctx context.Context, deadline time.Time, msg []byte, hdr map[string]string) ([]byte, error) {
	return c.write(&exchangeOn{ctx, deadline}, msg, hdr)
}

// exchangeOn is the caller's context and deadline for an exchange carried
// by Request.
type exchangeOn struct {
	ctx      context.Context
	deadline time.Time
}

// write sends msg; for a request with on not nil (Request), on the
// caller's goroutine where it can, returning the answer as Request says.
func (c *conn) write(on *exchangeOn, msg []byte, hdr map[string]string) ([]byte, error) {
	if c.ctx.Err() != nil {
		return nil, fmt.Errorf("write: %w", transport.ErrClosed)
	}
	select {
	case <-c.failed:
		return nil, fmt.Errorf("write: %w", c.err)
	default:
	}
	m, err := jsonrpc.Parse(msg)
	if err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	out := outgoing{raw: msg, method: m.Method, call: m.Kind == jsonrpc.KindRequest, extra: hdr}
	if out.call {
		out.modernHeaders(m.Params)
	}
	c.mu.Lock()
	for c.probe != nil { // an auto-detection is in progress: its result decides
		p := c.probe
		c.mu.Unlock()
		select {
		case <-p:
		case <-c.ctx.Done():
			return nil, fmt.Errorf("write: %w", transport.ErrClosed)
		}
		c.mu.Lock()
	}
	if out.call && m.Method == "initialize" {
		c.initID = bytes.Clone(m.ID)
	}
	mode := c.mode
	var probe chan struct{}
	if mode == ModeAuto {
		probe = make(chan struct{})
		c.probe = probe
	}
	c.mu.Unlock()
	if mode == ModeSSE {
		return nil, c.postSSE(msg)
	}
	if !out.call {
		return nil, c.send(c.ctx, out, probe, &sink{c: c})
	}
	if on != nil && probe == nil {
		out.id = m.ID
		return c.exchange(on, out)
	}
	// A request: the server may take as long as it works on it to answer,
	// so the exchange goes on without the caller (the Conn keeps no
	// reference to msg, hence the copy).
	out.raw = bytes.Clone(msg)
	out.id = bytes.Clone(m.ID)
	if !c.spawn(func() {
		if err := c.send(c.ctx, out, probe, &sink{c: c}); err != nil {
			if msg := c.errorAnswer(out, err); msg != nil {
				c.deliver(msg, nil)
			}
		}
	}) {
		if probe != nil {
			c.resolve(probe, "")
		}
		return nil, fmt.Errorf("write: %w", transport.ErrClosed)
	}
	return nil, nil
}

// exchange carries a request's exchange on the caller's goroutine (see
// Request). It ends with the caller's context or deadline, and when the
// connection closes.
func (c *conn) exchange(on *exchangeOn, out outgoing) ([]byte, error) {
	ctx, cancel := context.WithCancel(on.ctx)
	defer cancel()
	out.deadline = on.deadline
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("write: %w", transport.ErrClosed)
	}
	key := c.nextEx
	c.nextEx++
	c.exchanges[key] = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.exchanges, key)
		c.mu.Unlock()
	}()
	// The connection's own deadline may fire a moment before ctx's.
	ended := func() bool { return ctx.Err() != nil || (!on.deadline.IsZero() && !time.Now().Before(on.deadline)) }
	k := sink{c: c, direct: out.id}
	if err := c.send(ctx, out, nil, &k); err != nil && !ended() {
		if msg := c.errorAnswer(out, err); msg != nil {
			k.deliver(msg, nil)
		}
	}
	if ended() {
		return nil, nil // abandoned
	}
	return k.answer, nil
}

// resolve ends an auto-detection, with the mode it found ("": none yet).
func (c *conn) resolve(probe chan struct{}, mode string) {
	c.mu.Lock()
	if mode != "" {
		c.mode = mode
	}
	c.probe = nil
	c.mu.Unlock()
	close(probe)
}

// send POSTs one message over streamable HTTP and, for a request, delivers
// its answer. probe, if not nil, is the auto-detection this message decides.
func (c *conn) send(ctx context.Context, out outgoing, probe chan struct{}, k *sink) error {
	resp, err := c.post(ctx, out)
	if probe != nil {
		var he *httpError
		if err != nil && errors.As(err, &he) && (he.status == http.StatusBadRequest || he.status == http.StatusNotFound || he.status == http.StatusMethodNotAllowed) {
			// Not a streamable HTTP server: try the legacy transport, as
			// the specification's backwards-compatibility section says.
			c.log.Debug("server refused streamable HTTP; trying legacy SSE", "status", he.status)
			ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
			serr := c.openSSE(ctx)
			cancel()
			c.resolve(probe, "") // openSSE set the mode if it worked
			if serr != nil {
				return &fallbackError{streamable: err, legacy: serr}
			}
			return c.postSSE(out.raw)
		}
		mode := ""
		if err == nil {
			mode = ModeStreamable
		}
		c.resolve(probe, mode) // on other errors the next message tries again
	}
	if err != nil {
		return err
	}
	if !out.call {
		discard(resp)
		if out.method == "notifications/initialized" {
			c.openGetStream()
		}
		return nil
	}
	return c.readAnswer(ctx, resp, out, k)
}

// discard drains a small body, so the connection can be reused, and closes
// it.
func discard(resp *http.Response) {
	if resp.ContentLength >= 0 && resp.ContentLength <= 64<<10 {
		io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
}

func (c *conn) headers(h http.Header) {
	for k, v := range c.o.Headers {
		h.Set(k, v)
	}
	c.mu.Lock()
	if c.session != "" {
		h.Set("Mcp-Session-Id", c.session)
	}
	if c.version != "" {
		h.Set("MCP-Protocol-Version", c.version)
	}
	c.mu.Unlock()
}

// post sends one message over streamable HTTP. It returns the response of
// a 2xx answer, to be read by the caller; any other answer is an error.
func (c *conn) post(ctx context.Context, out outgoing) (*http.Response, error) {
	// The request is built from parts prepared once (the parsed URL, the
	// header values), not with http.NewRequest, which parses the URL and
	// allocates every header value again: this is the per-call path.
	h := make(http.Header, len(c.hdrs)+4)
	for k, v := range c.hdrs {
		h[k] = v
	}
	c.mu.Lock()
	if c.sessionHdr != nil {
		h["Mcp-Session-Id"] = c.sessionHdr
	}
	if c.versionHdr != nil {
		h["Mcp-Protocol-Version"] = c.versionHdr
	}
	c.mu.Unlock()
	if out.modern != "" {
		// A stateless request: no session; headers mirror the body.
		delete(h, "Mcp-Session-Id")
		h["Mcp-Protocol-Version"] = []string{out.modern}
		h["Mcp-Method"] = []string{out.method}
		if out.name != "" {
			h["Mcp-Name"] = []string{transport.EncodeHeaderValue(out.name)}
		}
		for k, v := range out.extra {
			h.Set(k, v)
		}
	}
	h["Content-Type"] = hdrJSON
	h["Accept"] = hdrAccept
	hadSession := h.Get("Mcp-Session-Id") != ""
	resp, err := c.do(ctx, h, out.raw, out.deadline)
	if err != nil {
		return nil, c.netError(http.MethodPost, c.o.URL, err)
	}
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" && out.method == "initialize" {
		c.mu.Lock()
		c.session, c.sessionHdr = sid, []string{sid}
		c.mu.Unlock()
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && hadSession:
		discard(resp)
		err := c.expired(http.MethodPost)
		c.fail(err)
		return nil, err
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, c.statusError(http.MethodPost, c.o.URL, resp, out.id)
	}
	return resp, nil
}

// do makes one POST of body with the headers h. With the default client,
// which has no timeout, no cookie jar and the default redirect policy,
// that is a POST over this package's wire client (see wire.go) where the
// server can be reached that way, else the default transport's RoundTrip:
// Client.Do would also copy the request's headers for redirects that
// practically never come. A redirect that does come is followed by
// Client.Do, for this request and every later one.
func (c *conn) do(ctx context.Context, h http.Header, body []byte, deadline time.Time) (*http.Response, error) {
	if c.client != defaultClient || c.redirected.Load() {
		return c.doNetHTTP(ctx, deadline, func(ctx context.Context) (*http.Response, error) {
			return c.client.Do(c.postRequest(ctx, h, body))
		})
	}
	var resp *http.Response
	err := errWireUnfit
	if c.wire != nil {
		resp, err = c.wire.post(ctx, deadline, h, body)
	}
	if err == errWireUnfit {
		resp, err = c.doNetHTTP(ctx, deadline, func(ctx context.Context) (*http.Response, error) {
			return defaultTransport.RoundTrip(c.postRequest(ctx, h, body))
		})
	}
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if resp.Header.Get("Location") == "" {
			break
		}
		discard(resp)
		c.redirected.Store(true)
		return c.doNetHTTP(ctx, deadline, func(ctx context.Context) (*http.Response, error) {
			return c.client.Do(c.postRequest(ctx, h, body))
		})
	}
	return resp, nil
}

// doNetHTTP makes an exchange through net/http, which takes its deadline
// from the context: with a deadline, under a deadline context that ends
// when the answer's body is closed.
func (c *conn) doNetHTTP(ctx context.Context, deadline time.Time, exchange func(context.Context) (*http.Response, error)) (*http.Response, error) {
	if deadline.IsZero() {
		return exchange(ctx)
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	resp, err := exchange(dctx)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose is a body whose Close also ends its exchange's context.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// withDeadline returns ctx ended at out's deadline too, for what waits on
// the context rather than on a socket (resuming an answer stream).
func withDeadline(ctx context.Context, out outgoing) (context.Context, context.CancelFunc) {
	if out.deadline.IsZero() {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, out.deadline)
}

// postRequest is the net/http request of a POST, built from the parts
// Dial prepared (http.NewRequest would parse the URL again).
func (c *conn) postRequest(ctx context.Context, h http.Header, body []byte) *http.Request {
	return (&http.Request{
		Method:        http.MethodPost,
		URL:           c.url,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          newMsgBody(body),
		GetBody:       func() (io.ReadCloser, error) { return newMsgBody(body), nil },
		ContentLength: int64(len(body)),
		Host:          c.url.Host,
	}).WithContext(ctx)
}

// msgBody is the body of a POST: a message.
type msgBody struct{ bytes.Reader }

func newMsgBody(b []byte) *msgBody {
	mb := new(msgBody)
	mb.Reset(b)
	return mb
}

func (*msgBody) Close() error { return nil }

// readAnswer delivers the answer to a request: a JSON body (one message or
// a batch) or an event stream, resumed with Last-Event-ID if it drops.
func (c *conn) readAnswer(ctx context.Context, resp *http.Response, out outgoing, k *sink) error {
	if resp.StatusCode == http.StatusAccepted {
		discard(resp) // the answer comes on another stream
		return nil
	}
	if mediaType(resp) == "text/event-stream" {
		return c.readAnswerStream(ctx, resp, out, k)
	}
	// application/json (servers sometimes omit the type)
	defer resp.Body.Close()
	body, tl, err := readBody(resp.Body, resp.ContentLength, c.o.MaxMessageBytes)
	if err != nil {
		return &httpError{method: http.MethodPost, url: redact(c.o.URL), public: "the answer broke off", detail: err.Error(), cause: err}
	}
	if tl != nil {
		// The session fails the call from the head or tail of the
		// message; when the id is in neither, fail it here.
		if err := k.push(item{err: tl}); err != nil {
			return nil
		}
		if id, ok := jsonrpc.PeekID(tl.Head, tl.Tail); !ok || !bytes.Equal(id, out.id) {
			return &httpError{method: http.MethodPost, url: redact(c.o.URL), public: "the server's answer was dropped: " + tl.Error()}
		}
		return nil
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return &httpError{method: http.MethodPost, url: redact(c.o.URL), status: resp.StatusCode, public: resp.Status + " with an empty body instead of the answer"}
	}
	if body[0] != '[' {
		_, err := k.deliver(body, nil)
		return ignoreClosed(err)
	}
	// A batch from an older server.
	els, err := jsonrpc.Elements(body)
	if err != nil {
		return &httpError{method: http.MethodPost, url: redact(c.o.URL), public: "malformed batch answer", detail: err.Error()}
	}
	for _, e := range els {
		if _, err := k.deliver(e, nil); err != nil {
			return ignoreClosed(err)
		}
	}
	return nil
}

// ignoreClosed drops the error of a delivery cut short by Close.
func ignoreClosed(err error) error {
	if errors.Is(err, transport.ErrClosed) {
		return nil
	}
	return err
}

// readAnswerStream reads the event stream that answers a request until the
// answer has come. A stream that ends first is resumed with a GET carrying
// the last event id (the server replays what it had not delivered); one
// without event ids cannot be, and the request fails.
func (c *conn) readAnswerStream(ctx context.Context, resp *http.Response, out outgoing, k *sink) error {
	ctx, cancel := withDeadline(ctx, out)
	defer cancel()
	lastID := ""
	stalls := 0
	backoff := minBackoff
	for {
		r := c.readEvents(resp.Body, out.id, k)
		resp.Body.Close()
		if r.answered || ctx.Err() != nil {
			return nil
		}
		if r.hasID && r.lastID != lastID {
			lastID, stalls, backoff = r.lastID, 0, minBackoff
		} else {
			stalls++
		}
		if lastID == "" {
			e := &httpError{method: http.MethodPost, url: redact(c.o.URL), public: "the server ended the answer stream without answering"}
			if r.err != nil && r.err != io.EOF {
				e.detail = r.err.Error()
			}
			return e
		}
		if stalls > maxResumes {
			return &httpError{method: http.MethodGet, url: redact(c.o.URL), public: fmt.Sprintf("the answer stream dropped %d times in a row without a new event", stalls)}
		}
		delay := backoff
		if r.retry > 0 {
			delay = r.retry
		}
		c.log.Debug("answer stream dropped; resuming", "err", r.err, "last_event_id", lastID, "in", delay)
		if !sleep(ctx, delay) {
			return nil
		}
		backoff = min(backoff*2, maxBackoff)
		var err error
		if resp, err = c.get(ctx, lastID); err != nil {
			return err
		}
	}
}

// get opens a GET event stream: the server's own stream, or the resumption
// of a stream after lastID (if not empty).
func (c *conn) get(ctx context.Context, lastID string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.o.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redact(c.o.URL), err)
	}
	c.headers(req.Header)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	hadSession := req.Header.Get("Mcp-Session-Id") != ""
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.netError(http.MethodGet, c.o.URL, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && hadSession:
		discard(resp)
		err := c.expired(http.MethodGet)
		c.fail(err)
		return nil, err
	case resp.StatusCode != http.StatusOK:
		return nil, c.statusError(http.MethodGet, c.o.URL, resp, nil)
	case mediaType(resp) != "text/event-stream":
		resp.Body.Close()
		return nil, &httpError{method: http.MethodGet, url: redact(c.o.URL), status: resp.StatusCode, public: fmt.Sprintf("%s with Content-Type %q instead of an event stream", resp.Status, resp.Header.Get("Content-Type"))}
	}
	return resp, nil
}

// openGetStream starts the GET stream on which a streamable HTTP server
// sends its own requests and notifications, reconnecting (with the last
// event id) while the connection lives. A server that answers 405 has no
// such stream, nor has one without sessions that answers 404.
func (c *conn) openGetStream() {
	c.mu.Lock()
	if c.getOpened {
		c.mu.Unlock()
		return
	}
	c.getOpened = true
	c.mu.Unlock()
	c.spawn(func() {
		backoff := minBackoff
		lastID := ""
		for {
			resp, err := c.get(c.ctx, lastID)
			delay := backoff
			if err == nil {
				r := c.readEvents(resp.Body, nil, &sink{c: c})
				resp.Body.Close()
				if r.hasID {
					lastID = r.lastID
				}
				if r.events > 0 { // it worked for a while: start over
					backoff, delay = minBackoff, minBackoff
				}
				if r.retry > 0 {
					delay = r.retry
				}
				err = r.err
			} else {
				var he *httpError
				if errors.As(err, &he) && (he.status == http.StatusMethodNotAllowed || he.status == http.StatusNotFound) {
					// 404 with a session id has failed the connection.
					c.log.Debug("server offers no stream of its own messages", "err", err)
					return
				}
			}
			if c.ctx.Err() != nil {
				return
			}
			c.log.Debug("server stream dropped; reconnecting", "err", err, "in", delay)
			if !sleep(c.ctx, delay) {
				return
			}
			backoff = min(backoff*2, maxBackoff)
		}
	})
}

// streamResult is how reading an event stream ended.
type streamResult struct {
	answered bool          // the answer to the request read for came
	lastID   string        // the last event id, if hasID
	hasID    bool          // an event id was seen
	retry    time.Duration // the server's reconnection time, if it set one
	events   int           // events read
	err      error         // why reading stopped, if not answered (io.EOF: the server ended it)
}

// readEvents delivers the data of every "message" event (or event without
// a type) of a streamable HTTP event stream, until it ends or the answer
// to the request with id want (if not nil) has come. Events without data
// (the priming events of 2025-11-25 servers) only move the event id.
func (c *conn) readEvents(r io.Reader, want []byte, k *sink) (res streamResult) {
	sc := newSSEScanner(r, c.o.MaxMessageBytes)
	defer sc.release()
	for {
		ev, err := sc.next()
		if err != nil {
			res.err = err
			return res
		}
		res.events++
		if ev.hasID {
			res.lastID, res.hasID = ev.id, true
		}
		if ev.retry > 0 {
			res.retry = ev.retry
		}
		if ev.typ != "" && ev.typ != "message" {
			continue
		}
		if ev.tooLarge != nil {
			if err := k.push(item{err: ev.tooLarge}); err != nil {
				res.err = err
				return res
			}
			if id, ok := jsonrpc.PeekID(ev.tooLarge.Head, ev.tooLarge.Tail); ok && want != nil && bytes.Equal(id, want) {
				res.answered = true // failed by the session from the id
				return res
			}
			continue
		}
		if len(bytes.TrimSpace(ev.data)) == 0 {
			continue
		}
		answer, err := k.deliver(ev.data, want)
		if err != nil {
			res.err = err
			return res
		}
		if answer {
			res.answered = true
			return res
		}
	}
}

// sseScanner splits a text/event-stream into events. Data beyond the
// limit is not kept: such an event comes with tooLarge set instead, which
// holds the head and tail of its data.
type sseScanner struct {
	br    *bufio.Reader
	limit int // of an event's data
	max   int // of a line
}

type sseEvent struct {
	typ      string // the event field ("": message)
	data     []byte // data lines joined with "\n"; nil if none
	id       string
	hasID    bool
	retry    time.Duration
	tooLarge *transport.TooLargeError
}

// sseReaders are the 64 KiB line buffers of finished scanners: an answer
// stream per call would otherwise allocate (and zero) one per call.
var sseReaders sync.Pool

func newSSEScanner(r io.Reader, limit int) *sseScanner {
	br, _ := sseReaders.Get().(*bufio.Reader)
	if br == nil {
		br = bufio.NewReaderSize(r, 64<<10)
	} else {
		br.Reset(r)
	}
	return &sseScanner{br: br, limit: limit, max: limit + fieldRoom}
}

// release gives the scanner's buffer back for reuse. Events already
// returned stay valid (they hold copies); the scanner must not be used
// again.
func (s *sseScanner) release() {
	if s.br != nil {
		s.br.Reset(nil)
		sseReaders.Put(s.br)
		s.br = nil
	}
}

var newline = []byte{'\n'}

// next returns the next event. An event cut off by the end of the stream
// is dropped, as the SSE specification says.
func (s *sseScanner) next() (sseEvent, error) {
	var ev sseEvent
	var tail []byte // of the data, once tooLarge
	seen, hasData := false, false
	for {
		line, ltail, long, err := s.line()
		if err != nil {
			return sseEvent{}, err
		}
		if len(line) == 0 && !long {
			if !seen {
				continue
			}
			if ev.tooLarge != nil {
				ev.tooLarge.Tail = tail
			}
			return ev, nil
		}
		if line[0] == ':' { // a comment (keep-alive)
			continue
		}
		seen = true
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			var sep []byte
			if hasData {
				sep = newline
			}
			hasData = true
			switch {
			case ev.tooLarge != nil:
				if long {
					tail = lastN(tailKeep, ltail)
				} else {
					tail = lastN(tailKeep, tail, sep, value)
				}
			case long || len(ev.data)+len(sep)+len(value) > s.limit:
				ev.tooLarge = &transport.TooLargeError{Limit: s.limit, Head: firstN(headKeep, ev.data, sep, value)}
				if long {
					tail = lastN(tailKeep, ltail)
				} else {
					tail = lastN(tailKeep, ev.data, sep, value)
				}
				ev.data = nil
			default:
				ev.data = append(append(ev.data, sep...), value...)
			}
		case "event":
			if string(value) == "message" {
				ev.typ = "message"
			} else {
				ev.typ = string(value)
			}
		case "id":
			if !bytes.ContainsRune(value, 0) {
				ev.id, ev.hasID = string(value), true
			}
		case "retry":
			if n, ok := digits(value); ok {
				ev.retry = time.Duration(n) * time.Millisecond
			}
		}
	}
}

// line reads one line without its ending. A line longer than s.max is
// consumed but not kept whole: long is set, line holds its first bytes
// (enough for a field name and the head of a message) and tail its last.
// line may alias the reader's buffer: it is valid until the next call.
func (s *sseScanner) line() (line, tail []byte, long bool, err error) {
	frag, err := s.br.ReadSlice('\n')
	if err == nil && len(frag) <= s.max {
		// The usual case, a whole line in the buffer: it is used from
		// there (next copies what it keeps) until the next read.
		return trimEOL(frag), nil, false, nil
	}
	for {
		switch {
		case long:
			tail = lastN(tailKeep+2, tail, frag)
		case len(line)+len(frag) > s.max:
			long = true
			tail = lastN(tailKeep+2, line, frag)
			line = firstN(headKeep+fieldRoom, line, frag)
		default:
			line = append(line, frag...)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, nil, false, err
		}
		frag, err = s.br.ReadSlice('\n')
	}
	if long {
		tail = trimEOL(tail)
		return trimEOL(line), tail[max(0, len(tail)-tailKeep):], true, nil
	}
	return trimEOL(line), nil, false, nil
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, newline)
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// firstN returns a copy of the first n bytes of the concatenation of parts.
func firstN(n int, parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		if len(out) >= n {
			break
		}
		out = append(out, p[:min(len(p), n-len(out))]...)
	}
	return out
}

// lastN returns a copy of the last n bytes of the concatenation of parts.
func lastN(n int, parts ...[]byte) []byte {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	skip := max(0, total-n)
	out := make([]byte, 0, min(n, total))
	for _, p := range parts {
		if skip >= len(p) {
			skip -= len(p)
			continue
		}
		out = append(out, p[skip:]...)
		skip = 0
	}
	return out
}

func digits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// readBody reads a whole body of at most limit bytes, of size bytes if that
// is known (not -1). A larger one is read to its end but only its head and
// tail are kept, in tl.
func readBody(r io.Reader, size int64, limit int) (body []byte, tl *transport.TooLargeError, err error) {
	if size >= 0 && size <= int64(limit) {
		// The length is known (net/http fails a body that ends early).
		body = make([]byte, size)
		if _, err = io.ReadFull(r, body); err != nil {
			return nil, nil, err
		}
		return body, nil, nil
	}
	body, err = io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil || len(body) <= limit {
		return body, nil, err
	}
	tl = &transport.TooLargeError{Limit: limit, Head: firstN(headKeep, body)}
	tail := lastN(tailKeep, body)
	body = nil
	buf := make([]byte, 32<<10)
	for {
		n, rerr := r.Read(buf)
		tail = lastN(tailKeep, tail, buf[:n])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, nil, rerr
		}
	}
	tl.Tail = bytes.TrimRight(tail, " \t\r\n")
	return nil, tl, nil
}

// openSSE opens a legacy HTTP+SSE stream and waits for its endpoint event.
func (c *conn) openSSE(ctx context.Context) error {
	sctx, stop := context.WithCancel(c.ctx)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, c.o.URL, nil)
	if err != nil {
		stop()
		return fmt.Errorf("GET %s: %w", redact(c.o.URL), err)
	}
	for k, v := range c.o.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", "text/event-stream")
	type opened struct {
		resp *http.Response
		err  error
	}
	done := make(chan opened, 1)
	if !c.spawn(func() {
		resp, err := c.client.Do(req)
		done <- opened{resp, err}
	}) {
		stop()
		return fmt.Errorf("GET %s: %w", redact(c.o.URL), transport.ErrClosed)
	}
	var resp *http.Response
	select {
	case o := <-done:
		if o.err != nil {
			stop()
			return c.netError(http.MethodGet, c.o.URL, o.err)
		}
		resp = o.resp
	case <-ctx.Done():
		stop()
		if o := <-done; o.resp != nil {
			o.resp.Body.Close()
		}
		return &httpError{method: http.MethodGet, url: redact(c.o.URL), public: "no answer", detail: ctx.Err().Error(), cause: ctx.Err()}
	}
	if resp.StatusCode != http.StatusOK {
		stop()
		err := c.statusError(http.MethodGet, c.o.URL, resp, nil)
		err.public += " (not an SSE endpoint)"
		return err
	}
	endpoint := make(chan string, 1)
	ended := make(chan error, 1)
	if !c.spawn(func() {
		defer resp.Body.Close()
		err := c.readLegacy(resp.Body, endpoint)
		ended <- err
		if sctx.Err() == nil {
			c.fail(fmt.Errorf("legacy SSE stream of %s ended: %w", redact(c.o.URL), err))
		}
	}) {
		resp.Body.Close()
		stop()
		return fmt.Errorf("GET %s: %w", redact(c.o.URL), transport.ErrClosed)
	}
	select {
	case ep := <-endpoint:
		u, _ := url.Parse(c.o.URL) // parsed by Dial
		e, err := u.Parse(strings.TrimSpace(ep))
		if err != nil || e.Scheme != u.Scheme || !strings.EqualFold(e.Host, u.Host) {
			stop()
			return &httpError{method: http.MethodGet, url: redact(c.o.URL), public: fmt.Sprintf("the legacy SSE server announced its message endpoint on another origin (%s); refusing it", redact(ep))}
		}
		c.mu.Lock()
		c.mode, c.endpoint, c.stopLegacy = ModeSSE, e.String(), stop
		c.mu.Unlock()
		return nil
	case err := <-ended:
		stop()
		return &httpError{method: http.MethodGet, url: redact(c.o.URL), public: "the stream ended before the endpoint event", detail: err.Error(), cause: err}
	case <-ctx.Done():
		stop()
		return &httpError{method: http.MethodGet, url: redact(c.o.URL), public: "no endpoint event", detail: ctx.Err().Error(), cause: ctx.Err()}
	}
}

// readLegacy reads a legacy stream: the first endpoint event goes to
// endpoint, message events to Read.
func (c *conn) readLegacy(r io.Reader, endpoint chan<- string) error {
	sc := newSSEScanner(r, c.o.MaxMessageBytes)
	defer sc.release()
	for {
		ev, err := sc.next()
		if err != nil {
			return err
		}
		switch {
		case ev.typ == "endpoint":
			select {
			case endpoint <- string(ev.data):
			default:
			}
		case ev.typ != "" && ev.typ != "message":
		case ev.tooLarge != nil:
			if err := c.push(item{err: ev.tooLarge}); err != nil {
				return err
			}
		case len(bytes.TrimSpace(ev.data)) > 0:
			if _, err := c.deliver(ev.data, nil); err != nil {
				return err
			}
		}
	}
}

func (c *conn) postSSE(msg []byte) error {
	c.mu.Lock()
	ep := c.endpoint
	c.mu.Unlock()
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, ep, bytes.NewReader(msg))
	if err != nil {
		return fmt.Errorf("POST %s: %w", redact(ep), err)
	}
	for k, v := range c.o.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return c.netError(http.MethodPost, ep, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.statusError(http.MethodPost, ep, resp, nil)
	}
	discard(resp)
	return nil
}

// errorAnswer handles a request whose exchange went wrong. It returns the
// server's own JSON-RPC error answer, if it sent one with its error status;
// otherwise it queues a *transport.RequestError for Read, saying what
// happened without naming the URL (it reaches clients), and returns nil.
// It does nothing when the connection failed or closed, which fails its
// requests itself.
func (c *conn) errorAnswer(out outgoing, err error) []byte {
	if c.ctx.Err() != nil {
		return nil
	}
	select {
	case <-c.failed:
		return nil
	default:
	}
	var he *httpError
	if errors.As(err, &he) && he.answer != nil {
		return he.answer
	}
	level := slog.LevelWarn
	if out.method == "server/discover" {
		// The era probe: a session-based server refusing it is expected.
		level = slog.LevelDebug
	}
	c.log.Log(c.ctx, level, "request to the server failed", "method", out.method, "err", err)
	msg := "the request failed"
	var fe *fallbackError
	switch {
	case errors.As(err, &fe):
		msg = fe.public()
	case he != nil:
		msg = he.public
	}
	_ = c.push(item{err: &transport.RequestError{ID: out.id, Reason: msg}}) // fails only when closing
	return nil
}

// Close ends the session (DELETE, best effort) and every stream.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	session, mode := c.session, c.mode
	c.mu.Unlock()
	expired := false
	select {
	case <-c.failed:
		expired = errors.Is(c.err, transport.ErrSessionExpired)
	default:
	}
	if session != "" && mode != ModeSSE && !expired {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.o.URL, nil)
		if err == nil {
			c.headers(req.Header)
			if resp, err := c.client.Do(req); err == nil {
				discard(resp)
			}
		}
		cancel()
	}
	c.cancel()
	c.mu.Lock()
	for _, cancel := range c.exchanges {
		cancel() // Request returns; the exchange is abandoned
	}
	c.mu.Unlock()
	c.fail(fmt.Errorf("read: %w", transport.ErrClosed))
	c.wg.Wait()
	return nil
}

// httpError is an HTTP exchange that went wrong. Its message names the
// request (URL redacted); public says what happened without the URL.
type httpError struct {
	method, url string // url redacted
	status      int    // the HTTP status; 0 when there was none
	public      string // "500 Internal Server Error: upstream on fire"
	detail      string // more for the log, or ""
	cause       error  // what Unwrap returns, or nil
	answer      []byte // a JSON-RPC error answer that came with the status
}

func (e *httpError) Error() string {
	s := e.method + " " + e.url + ": " + e.public
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

func (e *httpError) Unwrap() error { return e.cause }

// fallbackError reports that neither streamable HTTP nor legacy SSE worked.
type fallbackError struct{ streamable, legacy error }

func (e *fallbackError) Error() string {
	return fmt.Sprintf("%v; legacy SSE also failed: %v", e.streamable, e.legacy)
}

func (e *fallbackError) Unwrap() []error { return []error{e.streamable, e.legacy} }

func (e *fallbackError) public() string {
	pub := func(err error) string {
		var he *httpError
		if errors.As(err, &he) {
			return he.public
		}
		return "failed"
	}
	return "streamable HTTP: " + pub(e.streamable) + "; legacy SSE: " + pub(e.legacy)
}

// expired is the error of a 404 for a request that carried a session id.
func (c *conn) expired(method string) *httpError {
	return &httpError{method: method, url: redact(c.o.URL), status: http.StatusNotFound, public: "404 Not Found", detail: transport.ErrSessionExpired.Error(), cause: transport.ErrSessionExpired}
}

// statusError reads the start of a non-2xx answer's body into an error and
// closes it. A JSON-RPC error answer to the request with id (if not nil)
// is kept, to be passed on as the server's own answer.
func (c *conn) statusError(method, rawURL string, resp *http.Response, id []byte) *httpError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBody))
	resp.Body.Close()
	e := &httpError{method: method, url: redact(rawURL), status: resp.StatusCode, public: resp.Status}
	if short := shorten(body); short != "" {
		e.public += ": " + short
	}
	if id != nil && mediaType(resp) == "application/json" {
		if m, err := jsonrpc.Parse(bytes.TrimSpace(body)); err == nil && m.Kind == jsonrpc.KindResponse && m.Error != nil && bytes.Equal(m.ID, id) {
			e.answer = bytes.Clone(m.Raw)
		}
	}
	return e
}

// shorten makes the start of a body fit for an error message: one line of
// valid UTF-8 of at most shortBody bytes.
func shorten(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\uFFFD")), " ")
	if len(s) <= shortBody {
		return s
	}
	cut := shortBody
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// netError is the error of a request that got no answer. The HTTP
// client's own errors quote the whole URL (query included), so only what
// they wrap is kept.
func (c *conn) netError(method, rawURL string, err error) *httpError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &httpError{method: method, url: redact(rawURL), public: "could not reach the server", detail: err.Error(), cause: err}
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled) && c.ctx.Err() != nil:
		e.public = "connection closed"
		e.cause = fmt.Errorf("%w: %w", transport.ErrClosed, err)
	case errors.As(err, &errno):
		e.public += ": " + errno.Error()
	case errors.As(err, &ne) && ne.Timeout():
		e.public += ": timed out"
	}
	return e
}

func mediaType(resp *http.Response) string {
	v := resp.Header.Get("Content-Type")
	switch v {
	case "application/json", "text/event-stream":
		return v // the usual values, without a parse
	}
	ct, _, _ := mime.ParseMediaType(v)
	return ct
}

// redact drops the query and user info of a URL for messages: they may
// hold credentials.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return u.String()
}
