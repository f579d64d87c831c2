// Package httpclient connects to remote MCP servers: streamable HTTP
// (2025-03-26 and later, with sessions) and the legacy HTTP+SSE transport
// (2024-11-05), or either, detected as the specification's backwards
// compatibility section describes. The returned transport.Conn carries raw
// JSON-RPC messages; nothing is re-encoded.
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
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

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

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:               http.ProxyFromEnvironment,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     90 * time.Second,
	ForceAttemptHTTP2:   true,
}}

// queueLen bounds the messages received but not yet Read: a slow reader
// holds back the HTTP streams rather than growing memory.
const queueLen = 64

type conn struct {
	o      Options
	client *http.Client
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	in     chan []byte

	mu        sync.Mutex
	mode      string // resolved mode
	endpoint  string // where messages are POSTed
	session   string // Mcp-Session-Id
	version   string // negotiated protocol version
	initID    []byte // id of the initialize request, until answered
	getOpened bool
	lastEvent string

	errOnce sync.Once
	err     error
	failed  chan struct{}
	wg      sync.WaitGroup
}

// Dial returns a connection to the server. Streamable HTTP connects lazily
// on the first Write; legacy SSE opens its event stream now and waits for
// the endpoint event (bounded by ctx).
func Dial(ctx context.Context, o Options) (transport.Conn, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid server URL %q: want http(s)://host/path", o.URL)
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = transport.DefaultMaxMessageBytes
	}
	c := &conn{o: o, client: o.Client, log: o.Logger, in: make(chan []byte, queueLen), failed: make(chan struct{}), mode: o.Mode, endpoint: o.URL}
	if c.client == nil {
		c.client = defaultClient
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	switch o.Mode {
	case ModeStreamable, ModeAuto:
	case ModeSSE:
		if err := c.openSSE(ctx); err != nil {
			c.Close()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown mode %q", o.Mode)
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

func (c *conn) Read() ([]byte, error) {
	select {
	case b := <-c.in:
		return b, nil
	case <-c.failed:
		// Deliver what arrived before the failure first.
		select {
		case b := <-c.in:
			return b, nil
		default:
		}
		return nil, c.err
	}
}

// deliver queues one received message for Read, noting the negotiated
// protocol version from the answer to initialize.
func (c *conn) deliver(msg []byte) error {
	if len(msg) > c.o.MaxMessageBytes {
		return &transport.TooLargeError{Limit: c.o.MaxMessageBytes}
	}
	c.mu.Lock()
	if c.initID != nil {
		if m, err := jsonrpc.Parse(msg); err == nil && m.Kind == jsonrpc.KindResponse && bytes.Equal(m.ID, c.initID) {
			c.initID = nil
			if v, err := jsonrpc.Get(m.Result, "protocolVersion"); err == nil && v != nil {
				c.version, _ = jsonrpc.String(v)
			}
		}
	}
	c.mu.Unlock()
	select {
	case c.in <- msg:
		return nil
	case <-c.ctx.Done():
		return transport.ErrClosed
	}
}

func (c *conn) Write(msg []byte) error {
	select {
	case <-c.ctx.Done():
		return fmt.Errorf("write: %w", transport.ErrClosed)
	default:
	}
	m, err := jsonrpc.Parse(msg)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	c.mu.Lock()
	mode := c.mode
	if m.Method == "initialize" && m.Kind == jsonrpc.KindRequest {
		c.initID = append([]byte(nil), m.ID...)
	}
	c.mu.Unlock()
	if mode == ModeSSE {
		return c.postSSE(msg)
	}
	status, err := c.post(msg, m)
	if err != nil && mode == ModeAuto && (status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		// Not a streamable HTTP server: try the legacy transport, as the
		// specification's backwards-compatibility section says.
		c.log.Debug("server refused streamable HTTP; trying legacy SSE", "status", status)
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		defer cancel()
		if serr := c.openSSE(ctx); serr != nil {
			return fmt.Errorf("%v; legacy SSE also failed: %w", err, serr)
		}
		return c.postSSE(msg)
	}
	if err == nil && mode == ModeAuto {
		c.mu.Lock()
		c.mode = ModeStreamable
		c.mu.Unlock()
	}
	if err == nil && m.Method == "notifications/initialized" {
		c.openGetStream()
	}
	return err
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

// post sends one message over streamable HTTP and handles the answer: a
// JSON body or an SSE stream is delivered to Read. It returns the HTTP
// status for the caller's fallback decision.
func (c *conn) post(msg []byte, m jsonrpc.Message) (int, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.o.URL, bytes.NewReader(msg))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	c.headers(req.Header)
	hadSession := req.Header.Get("Mcp-Session-Id") != ""
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", redact(c.o.URL), err)
	}
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" && m.Method == "initialize" {
		c.mu.Lock()
		c.session = sid
		c.mu.Unlock()
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && hadSession:
		resp.Body.Close()
		err := fmt.Errorf("POST %s: 404: %w", redact(c.o.URL), transport.ErrSessionExpired)
		c.fail(err)
		return resp.StatusCode, err
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		resp.Body.Close()
		return resp.StatusCode, fmt.Errorf("POST %s: %s: %s", redact(c.o.URL), resp.Status, bytes.TrimSpace(body))
	case resp.StatusCode == http.StatusAccepted || m.Kind != jsonrpc.KindRequest:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch ct {
	case "text/event-stream":
		// Hand the stream to a goroutine: Write must not wait for the
		// whole (possibly long) answer.
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer resp.Body.Close()
			if err := c.readSSE(resp.Body, nil); err != nil && c.ctx.Err() == nil {
				c.log.Warn("response stream ended early", "err", err)
			}
		}()
		return resp.StatusCode, nil
	default: // application/json (servers sometimes omit the type)
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.o.MaxMessageBytes)+1))
		if err != nil {
			return resp.StatusCode, fmt.Errorf("POST %s: reading the answer: %w", redact(c.o.URL), err)
		}
		if len(body) > c.o.MaxMessageBytes {
			return resp.StatusCode, &transport.TooLargeError{Limit: c.o.MaxMessageBytes}
		}
		body = bytes.TrimSpace(body)
		if len(body) > 0 && body[0] == '[' { // a batch from an older server
			els, err := jsonrpc.Elements(body)
			if err != nil {
				return resp.StatusCode, fmt.Errorf("POST %s: malformed batch answer: %w", redact(c.o.URL), err)
			}
			for _, e := range els {
				if err := c.deliver(e); err != nil {
					return resp.StatusCode, err
				}
			}
			return resp.StatusCode, nil
		}
		return resp.StatusCode, c.deliver(body)
	}
}

// openGetStream starts the GET stream on which a streamable HTTP server
// sends its own requests and notifications, reconnecting while the
// connection lives. A server that answers 405 has no such stream.
func (c *conn) openGetStream() {
	c.mu.Lock()
	if c.getOpened {
		c.mu.Unlock()
		return
	}
	c.getOpened = true
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		backoff := 250 * time.Millisecond
		for c.ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(c.ctx, http.MethodGet, c.o.URL, nil)
			req.Header.Set("Accept", "text/event-stream")
			c.headers(req.Header)
			c.mu.Lock()
			if c.lastEvent != "" {
				req.Header.Set("Last-Event-ID", c.lastEvent)
			}
			c.mu.Unlock()
			resp, err := c.client.Do(req)
			switch {
			case err != nil:
			case resp.StatusCode == http.StatusMethodNotAllowed:
				resp.Body.Close()
				return
			case resp.StatusCode == http.StatusNotFound:
				resp.Body.Close()
				c.fail(fmt.Errorf("GET %s: 404: %w", redact(c.o.URL), transport.ErrSessionExpired))
				return
			case resp.StatusCode == http.StatusOK:
				backoff = 250 * time.Millisecond
				err = c.readSSE(resp.Body, func(id string) {
					c.mu.Lock()
					c.lastEvent = id
					c.mu.Unlock()
				})
				resp.Body.Close()
			default:
				resp.Body.Close()
			}
			if c.ctx.Err() != nil {
				return
			}
			if err != nil {
				c.log.Debug("server stream dropped; reconnecting", "err", err, "in", backoff)
			}
			select {
			case <-time.After(backoff):
			case <-c.ctx.Done():
				return
			}
			backoff = min(backoff*2, 30*time.Second)
		}
	}()
}

// readSSE delivers the data of every "message" event (or event without a
// type) of an event stream until it ends; onID, if set, is told each
// event id.
func (c *conn) readSSE(r io.Reader, onID func(string)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var data []byte
	var event string
	for {
		line, err := readLine(br, c.o.MaxMessageBytes)
		if err != nil {
			return err
		}
		if len(line) == 0 { // end of event
			if data != nil && (event == "" || event == "message") {
				if err := c.deliver(data); err != nil {
					return err
				}
			}
			data, event = nil, ""
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "": // a comment (keep-alive)
		case "data":
			if data != nil {
				data = append(data, '\n')
			}
			if len(data)+len(value) > c.o.MaxMessageBytes {
				return &transport.TooLargeError{Limit: c.o.MaxMessageBytes}
			}
			data = append(data, value...)
			if data == nil {
				data = []byte{}
			}
		case "event":
			event = string(value)
		case "id":
			if onID != nil {
				onID(string(value))
			}
		}
	}
}

// readLine reads one line of an event stream without its line ending.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > limit+2 {
			return nil, &transport.TooLargeError{Limit: limit}
		}
		line = append(line, frag...)
		if err == nil {
			return bytes.TrimRight(line, "\r\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// openSSE opens a legacy HTTP+SSE stream and waits for its endpoint event.
func (c *conn) openSSE(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(c.ctx, http.MethodGet, c.o.URL, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range c.o.Headers {
		req.Header.Set(k, v)
	}
	type opened struct {
		resp *http.Response
		err  error
	}
	done := make(chan opened, 1)
	go func() {
		resp, err := c.client.Do(req)
		done <- opened{resp, err}
	}()
	var resp *http.Response
	select {
	case o := <-done:
		if o.err != nil {
			return fmt.Errorf("GET %s: %w", redact(c.o.URL), o.err)
		}
		resp = o.resp
	case <-ctx.Done():
		return fmt.Errorf("GET %s: no answer: %w", redact(c.o.URL), ctx.Err())
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("GET %s: %s (not an SSE endpoint)", redact(c.o.URL), resp.Status)
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	endpoint := make(chan string, 1)
	streamErr := make(chan error, 1)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer resp.Body.Close()
		err := c.readLegacy(br, endpoint)
		streamErr <- err
		if c.ctx.Err() == nil {
			c.fail(fmt.Errorf("legacy SSE stream of %s ended: %v", redact(c.o.URL), err))
		}
	}()
	select {
	case ep := <-endpoint:
		u, err := url.Parse(c.o.URL)
		if err != nil {
			return err
		}
		e, err := u.Parse(ep)
		if err != nil || e.Scheme != u.Scheme || e.Host != u.Host {
			return fmt.Errorf("legacy SSE server %s announced an endpoint on another origin (%q); refusing it", redact(c.o.URL), ep)
		}
		c.mu.Lock()
		c.mode, c.endpoint = ModeSSE, e.String()
		c.mu.Unlock()
		return nil
	case err := <-streamErr:
		return fmt.Errorf("GET %s: stream ended before the endpoint event: %v", redact(c.o.URL), err)
	case <-ctx.Done():
		return fmt.Errorf("GET %s: no endpoint event: %w", redact(c.o.URL), ctx.Err())
	}
}

// readLegacy reads a legacy stream: the first endpoint event goes to
// endpoint, message events to Read.
func (c *conn) readLegacy(br *bufio.Reader, endpoint chan<- string) error {
	var data []byte
	event := ""
	for {
		line, err := readLine(br, c.o.MaxMessageBytes)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			switch {
			case event == "endpoint":
				select {
				case endpoint <- string(data):
				default:
				}
			case data != nil && (event == "" || event == "message"):
				if err := c.deliver(data); err != nil {
					return err
				}
			}
			data, event = nil, ""
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, value...)
			if data == nil {
				data = []byte{}
			}
		case "event":
			event = string(value)
		}
	}
}

func (c *conn) postSSE(msg []byte) error {
	c.mu.Lock()
	ep := c.endpoint
	c.mu.Unlock()
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, ep, bytes.NewReader(msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.o.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", redact(ep), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("POST %s: %s: %s", redact(ep), resp.Status, bytes.TrimSpace(body))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// Close ends the session (DELETE, best effort) and every stream.
func (c *conn) Close() error {
	c.mu.Lock()
	session, mode := c.session, c.mode
	c.mu.Unlock()
	if session != "" && mode != ModeSSE && c.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, c.o.URL, nil)
		c.headers(req.Header)
		if resp, err := c.client.Do(req); err == nil {
			resp.Body.Close()
		}
		cancel()
	}
	c.cancel()
	c.fail(fmt.Errorf("read: %w", transport.ErrClosed))
	c.wg.Wait()
	return nil
}

// redact drops the query and user info of a URL for messages: they may
// hold credentials.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the server"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimSuffix(u.String(), "?")
}
