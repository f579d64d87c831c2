// Package httpserve serves HTTP/1.1 connections with a fast path of its
// own for the requests a proxy's hot path is made of, and net/http for
// everything else.
//
// A connection is read by this package while its requests are simple:
// HTTP/1.1, a method and path that Server.Fast accepts, a body of known
// length within Server.MaxBodyBytes (Content-Length, no Transfer-Encoding),
// no Expect, Upgrade, TE or Trailer, a Host, and a head that fits the read
// buffer and passes net/http's own validity checks (httpguts). Such a
// request is served by the http.Server's Handler with an *http.Request and
// an http.ResponseWriter (also an http.Flusher) of this package's own; an
// answer the handler does not stream is written with one system call, with
// its Content-Length. The first request that is not simple, for any
// reason, hands the connection over to the http.Server with the bytes read
// so far, and net/http serves it from then on as if it had accepted it:
// its parsing, its errors, its limits. The fast path therefore serves a
// subset of what net/http serves and answers it the same way, without
// net/http's per-request goroutine, header map parse and buffered writer
// chain.
//
// Differences a handler can see: the request's context is cancelled when
// the client goes away only while the answer is being streamed (after the
// first Flush) or after the handler asked for it (ClientWatcher); Header
// keys of the response are not sorted; a Content-Length or
// Transfer-Encoding the handler sets is replaced by the actual one.
package httpserve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/http1"
)

// Server serves connections accepted from a listener; see the package
// documentation.
type Server struct {
	// HTTP serves what the fast path hands over; its Handler also serves
	// the fast requests. ReadHeaderTimeout bounds the fast path's wait for
	// a request's head too (zero: 10 s). Its RegisterOnShutdown functions
	// run on Shutdown.
	HTTP *http.Server
	// Fast reports whether requests with this method and path (before any
	// query) are served by the fast path. Nil: none are.
	Fast func(method, path string) bool
	// MaxBodyBytes: requests with a larger body are handed to net/http.
	// Zero: 1 MiB.
	MaxBodyBytes int64
	// Log receives handler panics. Nil: slog.Default().
	Log *slog.Logger

	mu        sync.Mutex
	ln        net.Listener
	conns     map[*conn]struct{}
	handoff   *handoffListener
	served    chan error // net/http's Serve result
	shutdown  atomic.Bool
	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	once      sync.Once
}

// DefaultReadHeaderTimeout bounds the wait for the rest of a request's
// head once its first byte has come, when HTTP.ReadHeaderTimeout is zero.
const DefaultReadHeaderTimeout = 10 * time.Second

const (
	defaultMaxBody = 1 << 20
	// A head must fit the read buffer to be served fast (larger ones go
	// to net/http); 4 KiB, as net/http's, holds a head with a JWT.
	readBufSize  = 4 << 10
	writeBufSize = 4 << 10 // for streamed answers, made at the first
)

func (s *Server) init() {
	s.once.Do(func() {
		s.conns = map[*conn]struct{}{}
		s.closing = make(chan struct{})
		s.served = make(chan error, 1)
		if s.MaxBodyBytes <= 0 {
			s.MaxBodyBytes = defaultMaxBody
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
	})
}

// Serve accepts connections on ln until Shutdown or Close, or until ln
// fails; it returns http.ErrServerClosed after Shutdown or Close. It
// closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.shutdown.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.ln = ln
	s.handoff = newHandoffListener(ln.Addr())
	s.mu.Unlock()
	defer ln.Close()
	go func() { s.served <- s.HTTP.Serve(s.handoff) }()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors, say: wait, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.Log.Warn("http: accept failed; retrying", "err", err, "in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.closing:
				return http.ErrServerClosed
			}
			continue
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String()}
	c.br = bufio.NewReaderSize(nc, readBufSize)
	ctx := context.WithValue(context.Background(), http.ServerContextKey, s.HTTP)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, nc.LocalAddr())
	ctx = context.WithValue(ctx, fastPathKey{}, true)
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.reqTemplate = (&http.Request{}).WithContext(c.ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown.Load() {
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// give hands a connection to net/http.
func (s *Server) give(nc net.Conn) {
	s.handoff.give(nc)
}

// Shutdown stops accepting connections, runs the http.Server's shutdown
// (its OnShutdown functions, its own connections), closes idle
// connections of the fast path and waits for the others to finish their
// request, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	s.shutdown.Store(true)
	ln, handoff := s.ln, s.handoff
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	httpDone := make(chan error, 1)
	if handoff != nil {
		go func() { httpDone <- s.HTTP.Shutdown(ctx) }()
	} else {
		httpDone <- nil
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() {
			break
		}
		select {
		case <-ctx.Done():
			<-httpDone
			return ctx.Err()
		case <-tick.C:
		}
	}
	return <-httpDone
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.init()
	s.mu.Lock()
	s.shutdown.Store(true)
	ln := s.ln
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.closeOnce.Do(func() { close(s.closing) })
	if ln != nil {
		ln.Close()
	}
	return s.HTTP.Close()
}

// closeIdle closes the fast path's idle connections and reports whether
// none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.nc.Close()
		}
	}
	return len(s.conns) == 0
}

// fastPathKey is the context key that marks a request the fast path
// serves.
type fastPathKey struct{}

// ServedFast reports whether a request is being served by the fast path.
func ServedFast(r *http.Request) bool {
	v, _ := r.Context().Value(fastPathKey{}).(bool)
	return v
}

// Connection states, for Shutdown.
const (
	stateIdle   int32 = iota // waiting for a request
	stateActive              // reading or serving one
	stateClosed              // closed by Shutdown
)

// conn is one connection on the fast path.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string
	// requests counts the requests served on the connection.
	requests int
	br       *bufio.Reader
	bw       *bufio.Writer // nil until an answer is streamed
	state    atomic.Int32

	ctx         context.Context
	cancel      context.CancelFunc
	reqTemplate *http.Request // carries ctx into each request
	body        body
	resp        response
	respHeader  http.Header // reused between requests
	wbuf        []byte      // the body of an unstreamed answer
	hbuf        []byte      // its head
	// watching is closed when the goroutine that watches for the client
	// going away during a streamed answer has stopped; nil when none runs.
	watching chan struct{}
}

// serve reads and serves requests until the connection ends or is handed
// to net/http.
func (c *conn) serve() {
	closeConn := true
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.Log.Error("http: panic serving a request", "remote", c.remote, "panic", fmt.Sprint(p), "stack", string(buf))
		}
		c.cancel()
		c.s.forget(c)
		if closeConn {
			c.nc.Close()
		}
	}()
	for {
		head, next := c.readHead()
		var req request
		if next == stepServe && !parseRequest(head, c.s, &req) {
			next = stepHandOff
		}
		switch next {
		case stepClose:
			return
		case stepHandOff:
			closeConn = false
			c.handOff()
			return
		}
		c.requests++
		if !c.serveRequest(&req) {
			return
		}
		if !c.state.CompareAndSwap(stateActive, stateIdle) {
			return
		}
	}
}

// readHead waits for a request and returns its head (through its first
// empty line), which stays in the read buffer until discarded. When the
// connection has ended, or has been handed to net/http (a head that does
// not fit, or that ends before its empty line: net/http answers those),
// it returns done.
func (c *conn) readHead() (head []byte, next step) {
	if c.s.shutdown.Load() && c.br.Buffered() == 0 {
		return nil, stepClose
	}
	// As net/http, a request after the first is awaited until four bytes
	// of it have come; the connection ends quietly before that.
	wait := 1
	if c.requests > 0 {
		wait = 4
	}
	if _, err := c.br.Peek(wait); err != nil {
		return nil, stepClose
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return nil, stepClose // closed by Shutdown
	}
	deadline := false
	defer func() {
		if deadline {
			c.nc.SetReadDeadline(time.Time{})
		}
	}()
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		if i := http1.HeadEnd(buf); i > 0 {
			return buf[:i], stepServe
		}
		if len(buf) >= readBufSize {
			return nil, stepHandOff // net/http answers 431 or serves it
		}
		if !deadline {
			t := c.s.HTTP.ReadHeaderTimeout
			if t <= 0 {
				t = DefaultReadHeaderTimeout
			}
			c.nc.SetReadDeadline(time.Now().Add(t))
			deadline = true
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			if isTimeout(err) {
				return nil, stepClose // as net/http: no answer
			}
			return nil, stepHandOff // cut short: net/http answers 400
		}
	}
}

// step is what serve does next.
type step int

const (
	stepServe step = iota
	stepHandOff
	stepClose
)

// handOff gives the connection, with what has been read of it, to
// net/http.
func (c *conn) handOff() {
	var pending []byte
	if n := c.br.Buffered(); n > 0 {
		b, _ := c.br.Peek(n)
		pending = append([]byte(nil), b...)
	}
	c.s.forget(c)
	c.s.give(&replayConn{Conn: c.nc, pending: pending})
}

// serveRequest serves one parsed request and reports whether the
// connection goes on.
func (c *conn) serveRequest(req *request) bool {
	r := new(http.Request)
	*r = *c.reqTemplate
	r.Method = req.method
	r.URL = &req.url
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.Header = req.header
	r.ContentLength = req.contentLength
	r.Host = req.host
	r.RemoteAddr = c.remote
	r.RequestURI = req.target
	r.Close = req.close
	if _, err := c.br.Discard(req.headLen); err != nil {
		return false
	}
	c.body = body{c: c, left: req.contentLength}
	if req.contentLength == 0 {
		r.Body = http.NoBody
	} else {
		r.Body = &c.body
	}
	if c.respHeader == nil {
		c.respHeader = make(http.Header, 4)
	}
	c.resp = response{c: c, header: c.respHeader, closeAfter: req.close || c.s.shutdown.Load()}
	w := &c.resp
	c.s.HTTP.Handler.ServeHTTP(w, r)
	ok := w.finish()
	clear(c.respHeader)
	c.stopWatching()
	if !ok || w.closeAfter || c.body.failed {
		return false
	}
	// What the handler left unread of the body is skipped, as net/http
	// does for bodies of moderate size.
	if c.body.left > 0 {
		if c.body.left > maxDiscard {
			return false
		}
		if _, err := c.br.Discard(int(c.body.left)); err != nil {
			return false
		}
	}
	return !c.s.shutdown.Load()
}

// maxDiscard is how much of an unread body is skipped to keep the
// connection; a longer one closes it (net/http's threshold).
const maxDiscard = 256 << 10

// body is a request's body, read from the connection's buffer.
type body struct {
	c      *conn
	left   int64
	failed bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p)
	b.left -= int64(n)
	if err != nil {
		b.failed = true
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	return n, nil
}

// Close does nothing: the rest of the body is skipped after the handler.
func (b *body) Close() error { return nil }

// watch starts, once, a goroutine that cancels the request's context when
// the client goes away, for a streamed answer or a handler that asked
// (ClientWatcher). It is not started while the body has not been read: the
// body's bytes are not a sign of anything.
func (c *conn) watch() {
	if c.watching != nil || c.body.left > 0 {
		return
	}
	done := make(chan struct{})
	c.watching = done
	go func() {
		defer close(done)
		if _, err := c.br.Peek(1); err != nil && !isTimeout(err) {
			c.cancel()
		}
	}()
}

// stopWatching stops the watching goroutine, leaving what it may have read
// (a pipelined request) in the buffer.
func (c *conn) stopWatching() {
	if c.watching == nil {
		return
	}
	c.nc.SetReadDeadline(aLongTimeAgo)
	<-c.watching
	c.watching = nil
	c.nc.SetReadDeadline(time.Time{})
}

var aLongTimeAgo = time.Unix(1, 0)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
