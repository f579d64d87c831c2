package httpclient

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// A POST to a plain-HTTP server (no TLS, no proxy, no client of the
// caller's own) is written and its answer read on the goroutine that makes
// it, over a pool of HTTP/1.1 connections of this package's own. The
// default transport would hand every request to two goroutines of its
// own, one writing and one reading, and wake the caller from them: three
// goroutine hand-offs per call, which on a proxy's hot path cost more than
// the gateway's own work. Everything else (GET streams, DELETE, TLS,
// proxies, redirects) goes through net/http.
//
// What net/http's reading goroutine also does, noticing that a server
// closed an idle connection, is done when a connection is taken from the
// pool: a non-blocking peek (one system call) tells whether the server has
// closed it or sent something unasked, and such a connection is dropped.

// Bounds of a wire pool, as the default transport's.
const (
	wireIdlePerHost = 64               // idle connections kept per host
	wireIdleFor     = 90 * time.Second // an idle connection is closed after this
)

// wirePools are the pools of idle connections, by host:port.
var wirePools sync.Map // string → *wirePool

type wirePool struct {
	addr string
	mu   sync.Mutex
	idle []*wireConn // most recently used last
	// sweep, when not nil, closes connections idle for longer than
	// wireIdleFor; it is armed while the pool holds any.
	sweep *time.Timer
}

// wireConn is one HTTP/1.1 connection.
type wireConn struct {
	pool  *wirePool
	nc    net.Conn
	lr    io.LimitedReader // nc, limited while an answer's head is read
	br    *bufio.Reader    // over lr
	wbuf  []byte           // the request being written
	check *openCheck       // before reuse
	abort func()           // makes pending reads and writes fail at once
	since time.Time        // idle since
}

// wireTarget is what a conn needs to post over the wire: set by Dial when
// the server can be reached that way.
type wireTarget struct {
	pool *wirePool
	uri  string // the request target (path and query)
	host string // the Host header
}

// newWireTarget returns the wire target of u, or nil when POSTs to it must
// go through net/http.
func newWireTarget(u *url.URL, client *http.Client, hdrs map[string][]string) *wireTarget {
	if client != defaultClient || u.Scheme != "http" || !wireSupported {
		return nil
	}
	if p, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err != nil || p != nil {
		return nil
	}
	for k, vs := range hdrs {
		if !validHeader(k, vs) {
			return nil // net/http says what is wrong
		}
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	p, _ := wirePools.LoadOrStore(addr, &wirePool{addr: addr})
	return &wireTarget{pool: p.(*wirePool), uri: u.RequestURI(), host: u.Host}
}

// validHeader reports whether a header can be written as it is, by the
// rules net/http applies (a token for the name; no control characters but
// tab in the values).
func validHeader(name string, values []string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == ':' || c == '(' || c == ')' || c == '<' || c == '>' || c == '@' ||
			c == ',' || c == ';' || c == '\\' || c == '"' || c == '/' || c == '[' || c == ']' || c == '?' ||
			c == '=' || c == '{' || c == '}' {
			return false
		}
	}
	for _, v := range values {
		for i := 0; i < len(v); i++ {
			if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// take returns an idle connection that is still open, or nil.
func (p *wirePool) take() *wireConn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		wc := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if wc.br.Buffered() == 0 && wc.check.stillOpen() {
			return wc
		}
		wc.nc.Close()
	}
}

// put returns a connection whose exchange ended cleanly to the pool.
func (p *wirePool) put(wc *wireConn) {
	if wc.nc.SetDeadline(time.Time{}) != nil {
		wc.nc.Close()
		return
	}
	wc.since = time.Now()
	p.mu.Lock()
	if len(p.idle) >= wireIdlePerHost {
		p.mu.Unlock()
		wc.nc.Close()
		return
	}
	p.idle = append(p.idle, wc)
	if p.sweep == nil {
		p.sweep = time.AfterFunc(wireIdleFor, p.sweepIdle)
	}
	p.mu.Unlock()
}

// sweepIdle closes the connections idle for longer than wireIdleFor.
func (p *wirePool) sweepIdle() {
	cutoff := time.Now().Add(-wireIdleFor)
	p.mu.Lock()
	var old []*wireConn
	keep := p.idle[:0]
	for _, wc := range p.idle {
		if wc.since.Before(cutoff) {
			old = append(old, wc)
		} else {
			keep = append(keep, wc)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.sweep = nil
	if len(p.idle) > 0 {
		p.sweep = time.AfterFunc(p.idle[0].since.Add(wireIdleFor).Sub(time.Now()), p.sweepIdle)
	}
	p.mu.Unlock()
	for _, wc := range old {
		wc.nc.Close()
	}
}

var wireDialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}

// post writes a POST of body with the headers h and reads the head of the
// answer; its body is read by the caller and closed (which gives the
// connection back, if the answer was read to its end). The exchange ends
// with ctx.
func (t *wireTarget) post(ctx context.Context, deadline time.Time, h http.Header, body []byte) (*http.Response, error) {
	if len(body) > wireMaxBody {
		// A server may answer a large body before reading it all; net/http
		// reads that answer while it writes.
		return nil, errWireUnfit
	}
	for k, vs := range h {
		if !validHeader(k, vs) {
			return nil, errWireUnfit
		}
	}
	for {
		wc := t.pool.take()
		reused := wc != nil
		if wc == nil {
			nc, err := wireDialer.DialContext(ctx, "tcp", t.pool.addr)
			if err != nil {
				return nil, err
			}
			wc = &wireConn{pool: t.pool, nc: nc, check: newOpenCheck(nc)}
			wc.lr.R = nc
			wc.br = bufio.NewReaderSize(&wc.lr, 4<<10)
		}
		resp, written, err := wc.exchange(ctx, deadline, t, h, body)
		if err == nil {
			return resp, nil
		}
		wc.nc.Close()
		if reused && !written && ctx.Err() == nil {
			continue // nothing was sent: safe to send on another connection
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, err
	}
}

// errWireUnfit is returned when a request cannot be written by this
// package's client; the caller then uses net/http.
var errWireUnfit = errors.New("httpclient: request not fit for the wire client")

// exchange writes the request and reads the answer's head. written tells
// whether any of the request may have reached the server.
func (wc *wireConn) exchange(ctx context.Context, deadline time.Time, t *wireTarget, h http.Header, body []byte) (resp *http.Response, written bool, err error) {
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if !deadline.IsZero() {
		if err := wc.nc.SetDeadline(deadline); err != nil {
			return nil, false, err
		}
	}
	// Cancellation makes every pending read and write fail at once.
	if wc.abort == nil {
		wc.abort = func() { wc.nc.SetDeadline(aLongTimeAgo) }
	}
	stop := context.AfterFunc(ctx, wc.abort)
	b := append(wc.wbuf[:0], "POST "...)
	b = append(b, t.uri...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, t.host...)
	b = append(b, "\r\n"...)
	if _, ok := h["User-Agent"]; !ok {
		b = append(b, "User-Agent: Go-http-client/1.1\r\n"...)
	}
	for k, vs := range h {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	n, err := wc.nc.Write(b)
	wc.wbuf = b
	if cap(b) > wireKeepBuf {
		wc.wbuf = nil // an idle connection holds no large buffer
	}
	if err != nil {
		stop()
		return nil, n > 0, err
	}
	for {
		// The head is bounded as net/http's transport bounds it; the
		// body by what reads it.
		wc.lr.N = wireMaxHead
		resp, err = readResponse(wc.br)
		wc.lr.N = math.MaxInt64
		if err != nil {
			stop()
			return nil, true, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		// 1xx (103 Early Hints, say): the answer follows.
	}
	reuse := !resp.Close && resp.ProtoAtLeast(1, 1) && resp.StatusCode != http.StatusSwitchingProtocols
	resp.Body = &wireBody{wc: wc, body: resp.Body, stop: stop, reuse: reuse}
	return resp, true, nil
}

// Bounds of the wire client: the largest request body it sends (larger
// ones go through net/http), the largest answer head it reads (net/http's
// default), and the largest write buffer an idle connection keeps.
const (
	wireMaxBody = 64 << 10
	wireMaxHead = 10 << 20
	wireKeepBuf = 16 << 10
)

// aLongTimeAgo is a deadline that has passed.
var aLongTimeAgo = time.Unix(1, 0)

// wireBody is the body of an answer: closing it gives the connection back
// to the pool once the body was read to its end, and closes it otherwise.
type wireBody struct {
	wc     *wireConn
	body   io.ReadCloser
	stop   func() bool
	eof    bool
	reuse  bool
	closed bool
}

func (b *wireBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.eof = true
	} else if err != nil {
		b.reuse = false
	}
	return n, err
}

func (b *wireBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	live := b.stop() // false: cancelled, the connection is spoiled
	switch {
	case b.eof && b.reuse && live:
		b.wc.pool.put(b.wc)
		return nil
	case b.reuse && live:
		// An answer stream is let go once its answer has come; the server
		// ends it right after, as a rule. Its end is awaited off the
		// caller's path, briefly, to keep the connection.
		go b.drain()
		return nil
	}
	return b.wc.nc.Close()
}

// Bounds of waiting for the end of a body that was not read to its end.
const (
	wireDrainFor = time.Second
	wireDrainMax = 64 << 10
)

func (b *wireBody) drain() {
	if b.wc.nc.SetReadDeadline(time.Now().Add(wireDrainFor)) == nil {
		n, err := io.Copy(io.Discard, io.LimitReader(b, wireDrainMax+1))
		if err == nil && n <= wireDrainMax && b.eof && b.reuse {
			b.wc.pool.put(b.wc)
			return
		}
	}
	b.wc.nc.Close()
}
