package httpserve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

// echo answers with what it saw of the request, as JSON. The query tells
// it what else to do: status=N answers N, skip=1 leaves the body unread,
// stream=1 flushes between two writes, big=N writes N bytes, crlf=1 sets a
// header value with a line break, panic=1 panics.
func echo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("panic") == "1" {
		panic("asked to")
	}
	var body []byte
	var bodyErr string
	if q.Get("skip") != "1" {
		var err error
		body, err = io.ReadAll(r.Body)
		if err != nil {
			bodyErr = err.Error()
		}
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var hdr []string
	for _, k := range keys {
		hdr = append(hdr, k+"="+strings.Join(r.Header[k], "|"))
	}
	seen, _ := json.Marshal(map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "host": r.Host,
		"uri": r.RequestURI, "proto": r.Proto, "len": r.ContentLength, "close": r.Close,
		"header": hdr, "body": string(body), "bodyErr": bodyErr, "remote": r.RemoteAddr != "",
	})
	if q.Get("crlf") == "1" {
		w.Header().Set("X-Split", "a\r\nInjected: yes")
	}
	w.Header().Set("X-Served", "1")
	if q.Get("json") != "0" {
		w.Header().Set("Content-Type", "application/json")
	}
	if s := q.Get("status"); s != "" {
		n, _ := strconv.Atoi(s)
		w.WriteHeader(n)
	}
	if q.Get("stream") == "1" {
		w.Write(seen)
		w.(http.Flusher).Flush()
		w.Write([]byte("\n-end-"))
		return
	}
	if n, _ := strconv.Atoi(q.Get("big")); n > 0 {
		w.Write(bytes.Repeat([]byte("b"), n))
		return
	}
	w.Write(seen)
}

// outcome is what a client sees of a connection: its answers, decoded,
// and whether the server closed it.
type outcome struct {
	Answers []answer
	Closed  bool
	Tail    string // bytes after the last answer that do not parse as one
}

type answer struct {
	Status int
	Close  bool // Connection: close
	Header map[string]string
	Body   string
}

// answerHeaders are the response headers compared (Date differs, and the
// framing headers are the server's choice).
var answerHeaders = []string{"Content-Type", "X-Served", "X-Split", "Injected", "X-Content-Type-Options"}

// exchange sends raw on a new connection to addr, half-closes it, and
// reads until the server closes it.
func exchange(t *testing.T, addr, raw string) outcome {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	all, err := io.ReadAll(c)
	var o outcome
	o.Closed = err == nil
	br := bufio.NewReader(bytes.NewReader(all))
	for {
		if _, err := br.Peek(1); err != nil {
			break
		}
		rest, _ := br.Peek(br.Buffered())
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			o.Tail = string(rest)
			break
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			o.Tail = "body: " + err.Error()
			break
		}
		a := answer{Status: resp.StatusCode, Close: resp.Close, Header: map[string]string{}, Body: string(b)}
		for _, k := range answerHeaders {
			if v := resp.Header.Values(k); len(v) > 0 {
				a.Header[k] = strings.Join(v, "|")
			}
		}
		o.Answers = append(o.Answers, a)
	}
	return o
}

// pair is a plain net/http server and a fast-path server with the same
// handler.
type pair struct {
	plain, fast string
	fastSrv     *Server
	fastCount   *counter
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func newPair(t testing.TB, maxBody int64) *pair {
	t.Helper()
	cnt := &counter{}
	handler := func(w http.ResponseWriter, r *http.Request) {
		if ServedFast(r) {
			cnt.add()
		}
		echo(w, r)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := &http.Server{Handler: http.HandlerFunc(handler), MaxHeaderBytes: 64 << 10, ErrorLog: slogLogger(quiet)}
	go plain.Serve(plainLn)
	fastLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &Server{
		HTTP:         &http.Server{Handler: http.HandlerFunc(handler), MaxHeaderBytes: 64 << 10, ErrorLog: slogLogger(quiet)},
		Fast:         func(method, path string) bool { return method == http.MethodPost && path == "/mcp" },
		MaxBodyBytes: maxBody,
		Log:          quiet,
	}
	go fs.Serve(fastLn)
	t.Cleanup(func() {
		plain.Close()
		fs.Close()
	})
	return &pair{plain: plainLn.Addr().String(), fast: fastLn.Addr().String(), fastSrv: fs, fastCount: cnt}
}

func post(target, body string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: gw.test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", target, len(body))
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n" + body)
	return b.String()
}

const msg = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`

// TestSameAsNetHTTP sends the same bytes to net/http and to the fast path
// and checks that a client sees the same answers and the same connection
// ends; fast says how many requests of each the fast path must have
// served itself (so that the test cannot pass by handing everything
// over).
func TestSameAsNetHTTP(t *testing.T) {
	p := newPair(t, 1<<20)
	cases := []struct {
		name string
		raw  string
		fast int
	}{
		{"one POST", post("/mcp", msg), 1},
		{"lower-case names, as fetch sends them", "POST /mcp HTTP/1.1\r\nhost: gw.test\r\ncontent-type: application/json\r\ncontent-length: 2\r\nmcp-session-id: abc\r\naccept: application/json, text/event-stream\r\n\r\n{}", 1},
		{"odd-case names", "POST /mcp HTTP/1.1\r\nHOST: gw.test\r\nCONTENT-length: 2\r\nx-CUSTOM-header: v\r\nX_Under_Score: u\r\n\r\n{}", 1},
		{"repeated header", post("/mcp", msg, "Accept: application/json", "Accept: text/event-stream"), 1},
		{"values trimmed", post("/mcp", msg, "X-Pad: \t padded \t "), 1},
		{"empty value", post("/mcp", msg, "X-Empty:"), 1},
		{"query", post("/mcp?a=1&b=two", msg), 1},
		{"three pipelined", post("/mcp", msg) + post("/mcp?x=2", "{}") + post("/mcp", "[]"), 3},
		{"POST, GET, POST: handed over at the GET", post("/mcp", msg) + "GET /mcp HTTP/1.1\r\nHost: gw.test\r\n\r\n" + post("/mcp", msg), 1},
		{"body left unread", post("/mcp?skip=1", msg) + post("/mcp", "{}"), 2},
		{"Connection: close", post("/mcp", msg, "Connection: close") + post("/mcp", "{}"), 1},
		{"Connection: keep-alive", post("/mcp", msg, "Connection: keep-alive") + post("/mcp", "{}"), 2},
		{"202 without body", post("/mcp?status=202&json=0", ""), 1},
		{"204", post("/mcp?status=204&json=0", "{}"), 1},
		{"404 with body", post("/mcp?status=404", "{}"), 1},
		{"streamed", post("/mcp?stream=1", msg) + post("/mcp", "{}"), 2},
		{"large answer, chunked", post("/mcp?big=1500000&json=0", "{}") + post("/mcp", "{}"), 2},
		{"answer over the small-write size", post("/mcp?big=9000", "{}"), 1},
		{"sniffed type", post("/mcp?json=0", "{}"), 1},
		{"line break in a header value", post("/mcp?crlf=1", "{}"), 1},
		{"zero-length body", post("/mcp", ""), 1},

		// Handed over: net/http decides, the answers must match.
		{"GET", "GET /mcp HTTP/1.1\r\nHost: gw.test\r\n\r\n", 0},
		{"other path", post("/other", msg), 0},
		{"escaped path", post("/m%63p", msg), 0},
		{"absolute target", post("http://gw.test/mcp", msg), 0},
		{"HTTP/1.0", "POST /mcp HTTP/1.0\r\nHost: gw.test\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"chunked body", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 0},
		{"Content-Length and chunked (smuggling)", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: gw.test\r\n\r\n", 0},
		{"two different lengths", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", 0},
		{"two equal lengths", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"length list", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2, 2\r\n\r\n{}", 0},
		{"signed length", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: +2\r\n\r\n{}", 0},
		{"negative length", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: -1\r\n\r\n{}", 0},
		{"no length", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\n\r\n", 0},
		{"no Host", "POST /mcp HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"two Hosts", "POST /mcp HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"bad Host", "POST /mcp HTTP/1.1\r\nHost: a b\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"space before colon", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length : 2\r\n\r\n{}", 0},
		{"folded line", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"bare LF lines", "POST /mcp HTTP/1.1\nHost: gw.test\nContent-Length: 2\n\n{}", 0},
		{"control byte in a value", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"bad header name", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nBad[Name]: x\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"no colon", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nNoColon\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"Expect: 100-continue", post("/mcp", msg, "Expect: 100-continue"), 0},
		{"Upgrade", post("/mcp", msg, "Upgrade: websocket", "Connection: Upgrade"), 0},
		{"body over the fast limit", post("/mcp", strings.Repeat("x", 1<<20+1)), 0},
		{"head over the read buffer", post("/mcp", msg, "X-Big: "+strings.Repeat("h", 9000)), 0},
		{"head over MaxHeaderBytes", post("/mcp", msg, "X-Big: "+strings.Repeat("h", 70000)), 0},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 0},
		{"lower-case method", "post /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"extra spaces in the request line", "POST  /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2\r\n\r\n{}", 0},

		// Ends early: both must see the same failure.
		{"body cut short", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 10\r\n\r\n{}", 1},
		{"head cut short", "POST /mcp HTTP/1.1\r\nHost: gw.test\r\nContent-Len", 0},
		{"nothing", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := p.fastCount.get()
			want := exchange(t, p.plain, tc.raw)
			got := exchange(t, p.fast, tc.raw)
			if d := diff(want, got); d != "" {
				t.Errorf("fast path differs from net/http:\n%s", d)
			}
			if n := p.fastCount.get() - before; n != tc.fast {
				t.Errorf("the fast path served %d requests, want %d", n, tc.fast)
			}
		})
	}
}

func diff(want, got outcome) string {
	w, _ := json.MarshalIndent(want, "", "  ")
	g, _ := json.MarshalIndent(got, "", "  ")
	if bytes.Equal(w, g) {
		return ""
	}
	return fmt.Sprintf("net/http: %s\nfast:     %s", clip(w), clip(g))
}

func clip(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// FuzzSameAsNetHTTP checks, for any bytes, that the fast path answers as
// net/http does.
func FuzzSameAsNetHTTP(f *testing.F) {
	for _, s := range []string{
		post("/mcp", msg),
		post("/mcp", msg) + post("/mcp?q", "{}"),
		"POST /mcp HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\nconnection: close, keep-alive\r\n\r\nx",
		"POST /mcp HTTP/1.1\r\nHost: h:80\r\nContent-Length: 0\r\nX: \t\r\n\r\n",
		"POST /mcp HTTP/1.1\r\nHost: [::1]:8080\r\nContent-Length: 2\r\nTe: trailers\r\n\r\n{}",
	} {
		f.Add(s)
	}
	p := newPair(f, 1<<10)
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 4<<10 {
			return
		}
		want := exchange(t, p.plain, raw)
		got := exchange(t, p.fast, raw)
		if d := diff(want, got); d != "" {
			t.Errorf("for %q the fast path differs from net/http:\n%s", raw, d)
		}
	})
}

// TestShutdownDrains: a request in flight is answered, an idle connection
// is closed, and new connections are refused.
func TestShutdownDrains(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	hooked := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		if r.URL.Query().Get("slow") == "1" {
			close(started)
			<-release
		}
		w.Write([]byte("done"))
	})}
	srv.RegisterOnShutdown(func() { close(hooked) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{HTTP: srv, Fast: func(m, p string) bool { return m == "POST" }}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()

	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, post("/mcp", "{}"))
	idleBR := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(idleBR, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first answer: %v %v", resp, err)
	} else {
		io.ReadAll(resp.Body)
	}

	busy, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	io.WriteString(busy, post("/mcp?slow=1", "{}"))
	<-started

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	<-hooked
	// The idle connection is closed by the server.
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idleBR.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: read %d bytes, err %v; want it closed (EOF)", n, err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("the request in flight was not answered: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "done" || !resp.Close {
		t.Errorf("in-flight answer %q, Connection: close %v; want \"done\" and close", b, resp.Close)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("a new connection was accepted after Shutdown")
	}
}

// TestStreamCancelsOnDisconnect: while an answer is streamed, the
// request's context ends when the client goes away.
func TestStreamCancelsOnDisconnect(t *testing.T) {
	ended := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Write([]byte("event\n"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(20 * time.Second):
			ended <- nil
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{HTTP: srv, Fast: func(m, p string) bool { return m == "POST" }}
	go s.Serve(ln)
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, post("/mcp", "{}"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event\n" || resp.TransferEncoding == nil {
		t.Fatalf("streamed %q (%v), transfer encoding %v", line, err, resp.TransferEncoding)
	}
	c.Close()
	if err := <-ended; err != context.Canceled {
		t.Errorf("the handler's context ended with %v, want context.Canceled", err)
	}
}

// TestPanicClosesOnlyItsConnection: a handler's panic is logged and ends
// its connection; the server goes on.
func TestPanicClosesOnlyItsConnection(t *testing.T) {
	var logged testenv.LogBuffer
	log := logged.Logger()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{HTTP: &http.Server{Handler: http.HandlerFunc(echo)}, Fast: func(m, p string) bool { return m == "POST" }, Log: log}
	go s.Serve(ln)
	defer s.Close()
	o := exchange(t, ln.Addr().String(), post("/mcp?panic=1", "{}")+post("/mcp", "{}"))
	if len(o.Answers) != 0 || !o.Closed {
		t.Errorf("after a panic: %+v; want no answer and the connection closed", o)
	}
	o = exchange(t, ln.Addr().String(), post("/mcp", "{}"))
	if len(o.Answers) != 1 || o.Answers[0].Status != 200 {
		t.Errorf("the next connection: %+v", o)
	}
	if !strings.Contains(logged.String(), "panic serving a request") || !strings.Contains(logged.String(), "asked to") {
		t.Errorf("log: %s", logged.String())
	}
}

func slogLogger(l *slog.Logger) *log.Logger { return slog.NewLogLogger(l.Handler(), slog.LevelError) }
