package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/transport"
)

// Messages the tests send. initialize carries a string id on purpose: ids
// must come back byte for byte.
const (
	initReq     = `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	initialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	callReq     = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}`
	// initAnswer has unusual spacing and key order, to see it is not
	// re-encoded.
	initAnswer = `{"jsonrpc":"2.0", "id":"init","result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"s","version":"1"}}}`
	callAnswer = `{"jsonrpc":"2.0","id":7,"result":{"z":1, "a":[2,1]}}`
	progress   = `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":1}}`
)

// ---- helpers ----

// checkLeaks fails the test if, once its cleanups (registered later, so
// run earlier) have closed the conns and servers, a goroutine of a conn is
// left or the goroutine count does not come back to where it was.
func checkLeaks(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			left := connGoroutines()
			n := runtime.NumGoroutine()
			if len(left) == 0 && n <= base {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines left behind: %d, %d before the test; of conns:\n%s", n, base, strings.Join(left, "\n\n"))
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// connGoroutines returns the stacks of goroutines running conn code.
func connGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "httpclient.(*conn)") {
			out = append(out, g)
		}
	}
	return out
}

// request is what a test server received.
type request struct {
	method, path string
	header       http.Header
	body         string
}

// rpcMethod returns the JSON-RPC method of the body ("" if none).
func (r request) rpcMethod() string {
	m, err := jsonrpc.Parse([]byte(r.body))
	if err != nil {
		return ""
	}
	return m.Method
}

// recorder wraps a handler and keeps every request it served.
type recorder struct {
	mu   sync.Mutex
	reqs []request
	seen chan request
}

func record(h http.HandlerFunc) (*recorder, http.Handler) {
	rec := &recorder{seen: make(chan request, 1000)}
	return rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		req := request{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, req)
		rec.mu.Unlock()
		rec.seen <- req
		h(w, r)
	})
}

func (rec *recorder) all() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.reqs...)
}

// await returns the next request (in arrival order) that matches.
func (rec *recorder) await(t *testing.T, what string, match func(request) bool) request {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case r := <-rec.seen:
			if match(r) {
				return r
			}
		case <-timeout:
			t.Fatalf("the server got no %s within 10s", what)
		}
	}
}

func isMethod(m string) func(request) bool { return func(r request) bool { return r.method == m } }

// serve starts a test server on 127.0.0.1 that closes at the end of the
// test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// dial connects with the default client, as the gateway does (POSTs over
// the wire client, the rest with net/http), or, with HTTPCLIENT_NETHTTP
// set in the environment, with a net/http client of the test's own.
// Either's idle connections are closed with the conn.
func dial(t *testing.T, o Options) (transport.Conn, error) {
	t.Helper()
	if os.Getenv("HTTPCLIENT_NETHTTP") != "" {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		o.Client = &http.Client{Transport: tr}
	} else {
		t.Cleanup(closeIdle)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c, err := Dial(context.Background(), o)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func mustDial(t *testing.T, o Options) transport.Conn {
	t.Helper()
	c, err := dial(t, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

// read is Read with a deadline, so that a bug fails the test instead of
// hanging it.
func read(t *testing.T, c transport.Conn) ([]byte, error) {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := c.Read()
		ch <- res{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return within 10s")
	}
	return nil, nil
}

func mustRead(t *testing.T, c transport.Conn) string {
	t.Helper()
	b, err := read(t, c)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return string(b)
}

func mustWrite(t *testing.T, c transport.Conn, msg string) {
	t.Helper()
	if err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("Write %s: %v", msg, err)
	}
}

// errorAnswer checks that msg is an error answer to id and returns its
// message.
// readFailure reads the failure of request id: the transport's
// *transport.RequestError for it, or the server's own error answer; it
// returns the reason or the answer's message.
func readFailure(t *testing.T, c transport.Conn, id string) string {
	t.Helper()
	b, err := read(t, c)
	var re *transport.RequestError
	switch {
	case errors.As(err, &re):
		if string(re.ID) != id {
			t.Fatalf("a request error for id %s, want one for %s", re.ID, id)
		}
		if strings.Contains(re.Reason, "127.0.0.1") || strings.Contains(re.Reason, "hunter2") {
			t.Errorf("the reason names the URL: %s", re.Reason)
		}
		return re.Reason
	case err != nil:
		t.Fatalf("Read: %v", err)
	}
	return errorAnswer(t, string(b), id)
}

func errorAnswer(t *testing.T, msg, id string) string {
	t.Helper()
	m, err := jsonrpc.Parse([]byte(msg))
	if err != nil || m.Kind != jsonrpc.KindResponse || string(m.ID) != id || m.Error == nil {
		t.Fatalf("want an error answer to id %s, got %s", id, msg)
	}
	v, _ := jsonrpc.Get(m.Error, "message")
	s, _ := jsonrpc.String(v)
	return s
}

// postsOnly serves POSTs with h and answers anything else (the GET
// stream, DELETE) 405.
func postsOnly(h func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		h(w, r)
	})
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

// writeSSE starts an event stream and writes chunks, flushing each.
func writeSSE(w http.ResponseWriter, chunks ...string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}
	for _, c := range chunks {
		io.WriteString(w, c)
		w.(http.Flusher).Flush()
	}
}

// event formats a message as one SSE event.
func event(msg string) string { return "data: " + msg + "\n\n" }

// ---- streamable HTTP ----

// TestStreamableAnswers: the answer to a request as a JSON body, as an
// event stream and as a batch, each delivered byte for byte and in order.
func TestStreamableAnswers(t *testing.T) {
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter)
		want  []string
	}{
		{"json", func(w http.ResponseWriter) { writeJSON(w, callAnswer) }, []string{callAnswer}},
		{"json with charset and blank lines", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, "\n  "+callAnswer+"\n\n")
		}, []string{callAnswer}},
		{"json without content type", func(w http.ResponseWriter) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, callAnswer)
		}, []string{callAnswer}},
		{"pretty-printed json is put on one line", func(w http.ResponseWriter) {
			writeJSON(w, "{\r\n  \"jsonrpc\": \"2.0\",\n  \"id\": 7,\n  \"result\": {\"s\": \"a\\nb\"}\n}\n")
		}, []string{`{    "jsonrpc": "2.0",   "id": 7,   "result": {"s": "a\nb"} }`}},
		{"batch", func(w http.ResponseWriter) {
			writeJSON(w, "[ "+progress+" ,\n"+callAnswer+"]")
		}, []string{progress, callAnswer}},
		{"event stream", func(w http.ResponseWriter) {
			writeSSE(w,
				": keep-alive\n\n",
				"id: 0\ndata:\n\n", // a priming event (2025-11-25): no message
				"id: 1\nevent: message\n"+event(progress),
				"event: ping\ndata: {\"not\":\"a message\"}\n\n",
				": keep-alive\n",
				"retry: 1000\nid: 2\r\ndata: {\"jsonrpc\":\"2.0\",\r\ndata:  \"id\":7,\r\ndata: \"result\":{}}\r\n\r\n",
			)
		}, []string{progress, `{"jsonrpc":"2.0",  "id":7, "result":{}}`}},
		{"event stream in small pieces", func(w http.ResponseWriter) {
			msg := event(callAnswer)
			var chunks []string
			for i := 0; i < len(msg); i += 5 {
				chunks = append(chunks, msg[i:min(i+5, len(msg))])
			}
			writeSSE(w, chunks...)
		}, []string{callAnswer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := serve(t, postsOnly(func(w http.ResponseWriter, _ *http.Request) { tt.serve(w) }))
			c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
			mustWrite(t, c, callReq)
			for i, want := range tt.want {
				if got := mustRead(t, c); got != want {
					t.Errorf("message %d:\n got %s\nwant %s", i, got, want)
				}
			}
		})
	}
}

// sessionServer is a streamable HTTP server with sessions: initialize
// gets session "s-1"; a request with another session id gets 404. Its GET
// stream sends what the test puts into push, then ends when the client
// goes.
type sessionServer struct {
	rec     *recorder
	srv     *httptest.Server
	push    chan string
	expired chan struct{} // closed: every session id is unknown
	getGone bool          // the GET stream answers 404 (set before use)
}

func newSessionServer(t *testing.T) *sessionServer {
	s := &sessionServer{push: make(chan string, 10), expired: make(chan struct{})}
	rec, h := record(func(w http.ResponseWriter, r *http.Request) {
		sid := r.Header.Get("Mcp-Session-Id")
		select {
		case <-s.expired:
			if sid != "" {
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
		default:
		}
		switch r.Method {
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			m, _ := jsonrpc.Parse(body)
			switch {
			case m.Method == "initialize":
				w.Header().Set("Mcp-Session-Id", "s-1")
				writeJSON(w, initAnswer)
			case sid != "s-1":
				http.Error(w, "bad session", http.StatusBadRequest)
			case m.Kind != jsonrpc.KindRequest:
				w.WriteHeader(http.StatusAccepted)
			default:
				writeJSONBytes(w, jsonrpc.AppendResult(nil, m.ID, []byte(`{}`)))
			}
		case http.MethodGet:
			if s.getGone {
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
			writeSSE(w)
			for {
				select {
				case msg := <-s.push:
					writeSSE(w, event(msg))
				case <-r.Context().Done():
					return
				}
			}
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	s.rec = rec
	s.srv = serve(t, h)
	return s
}

// writeJSONBytes is writeJSON for a byte slice.
func writeJSONBytes(w http.ResponseWriter, b []byte) { writeJSON(w, string(b)) }

// handshake runs initialize and notifications/initialized.
func handshake(t *testing.T, c transport.Conn) {
	t.Helper()
	mustWrite(t, c, initReq)
	if got := mustRead(t, c); got != initAnswer {
		t.Fatalf("initialize answer = %s", got)
	}
	mustWrite(t, c, initialized)
}

// TestSessionAndHeaders: the session id learned from the initialize answer
// and the negotiated protocol version go on every later request; the
// configured headers on every request (POST, GET, DELETE); Close sends
// DELETE.
func TestSessionAndHeaders(t *testing.T) {
	checkLeaks(t)
	s := newSessionServer(t)
	c := mustDial(t, Options{URL: s.srv.URL, Mode: ModeStreamable, Headers: map[string]string{"X-Backend-Key": "k-1", "Authorization": "Bearer b"}})
	handshake(t, c)
	s.rec.await(t, "GET stream", isMethod(http.MethodGet))
	mustWrite(t, c, `{"jsonrpc":"2.0","id":8,"method":"tools/list"}`)
	if got := mustRead(t, c); got != `{"jsonrpc":"2.0","id":8,"result":{}}` {
		t.Errorf("tools/list answer = %s", got)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	reqs := s.rec.all()
	var methods []string
	for _, r := range reqs {
		methods = append(methods, r.method+" "+r.rpcMethod())
		if r.header.Get("X-Backend-Key") != "k-1" || r.header.Get("Authorization") != "Bearer b" {
			t.Errorf("%s %s without the configured headers: %v", r.method, r.rpcMethod(), r.header)
		}
		first := r.rpcMethod() == "initialize"
		if sid := r.header.Get("Mcp-Session-Id"); first != (sid == "") || !first && sid != "s-1" {
			t.Errorf("%s %s: Mcp-Session-Id %q", r.method, r.rpcMethod(), sid)
		}
		if pv := r.header.Get("MCP-Protocol-Version"); first != (pv == "") || !first && pv != "2025-06-18" {
			t.Errorf("%s %s: MCP-Protocol-Version %q", r.method, r.rpcMethod(), pv)
		}
		switch r.method {
		case http.MethodPost:
			if r.header.Get("Content-Type") != "application/json" || r.header.Get("Accept") != "application/json, text/event-stream" {
				t.Errorf("POST headers: %v", r.header)
			}
		case http.MethodGet:
			if r.header.Get("Accept") != "text/event-stream" || r.header.Get("Last-Event-ID") != "" {
				t.Errorf("GET headers: %v", r.header)
			}
		}
	}
	want := []string{"POST initialize", "POST notifications/initialized", "GET ", "POST tools/list", "DELETE "}
	if strings.Join(methods, ", ") != strings.Join(want, ", ") {
		t.Errorf("requests:\n got %q\nwant %q", methods, want)
	}
}

// TestSessionExpired: a 404 for a request carrying the session id fails
// the Conn with transport.ErrSessionExpired, whether it answers a POST or
// the GET stream; no DELETE is sent for the dead session. A 404 without a
// session id is only that request's error.
func TestSessionExpired(t *testing.T) {
	t.Run("POST", func(t *testing.T) {
		checkLeaks(t)
		s := newSessionServer(t)
		c := mustDial(t, Options{URL: s.srv.URL, Mode: ModeStreamable})
		handshake(t, c)
		s.rec.await(t, "GET stream", isMethod(http.MethodGet))
		close(s.expired)
		mustWrite(t, c, callReq) // sent asynchronously: the answer is Read's error
		_, err := read(t, c)
		if !errors.Is(err, transport.ErrSessionExpired) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("Read after expiry = %v, want ErrSessionExpired", err)
		}
		if err := c.Write([]byte(callReq)); !errors.Is(err, transport.ErrSessionExpired) {
			t.Errorf("Write after expiry = %v", err)
		}
		c.Close()
		for _, r := range s.rec.all() {
			if r.method == http.MethodDelete {
				t.Error("DELETE sent for an expired session")
			}
		}
	})
	t.Run("GET", func(t *testing.T) {
		checkLeaks(t)
		s := newSessionServer(t)
		s.getGone = true
		c := mustDial(t, Options{URL: s.srv.URL, Mode: ModeStreamable})
		handshake(t, c)
		_, err := read(t, c)
		if !errors.Is(err, transport.ErrSessionExpired) || !strings.Contains(err.Error(), "GET") {
			t.Fatalf("Read = %v, want ErrSessionExpired from the GET stream", err)
		}
	})
	t.Run("no session", func(t *testing.T) {
		checkLeaks(t)
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
		c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
		mustWrite(t, c, callReq)
		if msg := readFailure(t, c, "7"); !strings.Contains(msg, "404 Not Found") {
			t.Errorf("error answer = %q", msg)
		}
		mustWrite(t, c, callReq) // the Conn still works
		readFailure(t, c, "7")
	})
}

// TestGetStream: the GET stream opens after notifications/initialized, its
// messages reach Read, and it is reopened with Last-Event-ID when it
// drops.
func TestGetStream(t *testing.T) {
	checkLeaks(t)
	gets := make(chan *http.Request, 10)
	rec, h := record(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			if m, _ := jsonrpc.Parse(body); m.Method == "initialize" {
				w.Header().Set("Mcp-Session-Id", "s-1")
				writeJSON(w, initAnswer)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		case http.MethodGet:
			gets <- r
			if r.Header.Get("Last-Event-ID") == "" {
				// The first stream: two events, then it drops.
				writeSSE(w, ": hello\n\n", "id: e1\n"+event(progress), "id: e2\nevent: message\n"+event(`{"jsonrpc":"2.0","id":0,"method":"ping"}`))
				return
			}
			writeSSE(w, "id: e3\n"+event(`{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`))
			<-r.Context().Done()
		}
	})
	srv := serve(t, h)
	c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
	mustWrite(t, c, initReq)
	mustRead(t, c)
	select {
	case <-gets:
		t.Fatal("GET stream opened before notifications/initialized")
	default:
	}
	mustWrite(t, c, initialized)
	for _, want := range []string{progress, `{"jsonrpc":"2.0","id":0,"method":"ping"}`, `{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`} {
		if got := mustRead(t, c); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	<-gets
	second := <-gets
	if got := second.Header.Get("Last-Event-ID"); got != "e2" {
		t.Errorf("reconnected with Last-Event-ID %q, want e2", got)
	}
	if got := second.Header.Get("Mcp-Session-Id"); got != "s-1" {
		t.Errorf("reconnected with Mcp-Session-Id %q", got)
	}
	var order []string
	for _, r := range rec.all() {
		order = append(order, r.method+" "+r.rpcMethod())
	}
	if order[0] != "POST initialize" || order[1] != "POST notifications/initialized" {
		t.Errorf("request order %q", order)
	}
}

// TestNoGetStream: a server that answers the GET with 405 (no stream), or
// a server without sessions with 404, is not asked again and the Conn keeps
// working.
func TestNoGetStream(t *testing.T) {
	for _, status := range []int{http.StatusMethodNotAllowed, http.StatusNotFound} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			checkLeaks(t)
			rec, h := record(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.WriteHeader(status)
					return
				}
				body, _ := io.ReadAll(r.Body)
				if m, _ := jsonrpc.Parse(body); m.Kind == jsonrpc.KindRequest {
					writeJSONBytes(w, jsonrpc.AppendResult(nil, m.ID, []byte(`{}`)))
					return
				}
				w.WriteHeader(http.StatusAccepted)
			})
			srv := serve(t, h)
			c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
			mustWrite(t, c, `{"jsonrpc":"2.0","id":1,"method":"initialize"}`)
			mustRead(t, c)
			mustWrite(t, c, initialized)
			rec.await(t, "GET", isMethod(http.MethodGet))
			// The GET goroutine ends instead of retrying.
			waitUntil(t, "the GET stream goroutine to end", func() bool {
				for _, g := range connGoroutines() {
					if strings.Contains(g, "openGetStream") {
						return false
					}
				}
				return true
			})
			mustWrite(t, c, callReq)
			if got := mustRead(t, c); got != `{"jsonrpc":"2.0","id":7,"result":{}}` {
				t.Errorf("answer %s", got)
			}
		})
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAnswerStreamResumed: an answer stream that drops after an event id
// is resumed with a GET carrying Last-Event-ID; one without event ids
// cannot be, and its request gets an error answer.
func TestAnswerStreamResumed(t *testing.T) {
	t.Run("resumed", func(t *testing.T) {
		checkLeaks(t)
		rec, h := record(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodPost:
				writeSSE(w, "id: p0\nretry: 1\ndata:\n\n", "id: p1\n"+event(progress))
			case r.Header.Get("Last-Event-ID") == "p1":
				writeSSE(w, "id: p2\n"+event(callAnswer))
			default:
				http.Error(w, "unexpected", http.StatusBadRequest)
			}
		})
		srv := serve(t, h)
		c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
		mustWrite(t, c, callReq)
		if got := mustRead(t, c); got != progress {
			t.Errorf("first message %s", got)
		}
		if got := mustRead(t, c); got != callAnswer {
			t.Errorf("answer %s", got)
		}
		rec.await(t, "POST", isMethod(http.MethodPost))
		rec.await(t, "GET", isMethod(http.MethodGet))
	})
	t.Run("not resumable", func(t *testing.T) {
		checkLeaks(t)
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeSSE(w, event(progress))
		}))
		c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
		mustWrite(t, c, callReq)
		mustRead(t, c)
		if msg := readFailure(t, c, "7"); !strings.Contains(msg, "without answering") {
			t.Errorf("error answer %q", msg)
		}
	})
}

// TestWriteDoesNotWaitForTheAnswer: a server that works long on a request
// holds its POST open; Write returns meanwhile (so that the caller's
// timeouts and cancellation work), and the answer comes through Read.
func TestWriteDoesNotWaitForTheAnswer(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		writeJSON(w, callAnswer)
	}))
	c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
	done := make(chan error, 1)
	go func() { done <- c.Write([]byte(callReq)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Write waited for the answer")
	}
	close(release)
	if got := mustRead(t, c); got != callAnswer {
		t.Errorf("answer %s", got)
	}
}

// ---- legacy HTTP+SSE ----

// legacyServer serves GET /sse (the endpoint event, then the answers to
// what is POSTed to /messages) and POST /messages.
type legacyServer struct {
	rec      *recorder
	srv      *httptest.Server
	endpoint string // what the endpoint event says
	out      chan string
	end      chan struct{} // closed: the event stream ends
}

func newLegacyServer(t *testing.T, endpoint string) *legacyServer {
	s := &legacyServer{endpoint: endpoint, out: make(chan string, 10), end: make(chan struct{})}
	rec, h := record(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/sse":
			writeSSE(w, ": hi\n\n", "event: endpoint\ndata: "+s.endpoint+"\n\n")
			for {
				select {
				case msg := <-s.out:
					writeSSE(w, msg)
				case <-s.end:
					return
				case <-r.Context().Done():
					return
				}
			}
		case r.Method == http.MethodPost && r.URL.Path == "/messages":
			if r.URL.Query().Get("sessionId") != "abc" {
				http.Error(w, "unknown session", http.StatusNotFound)
				return
			}
			body, _ := io.ReadAll(r.Body)
			if m, _ := jsonrpc.Parse(body); m.Kind == jsonrpc.KindRequest {
				// A multi-line event, as a pretty-printing server sends.
				s.out <- "event: message\ndata: {\"jsonrpc\":\"2.0\",\ndata: \"id\":" + string(m.ID) + ",\"result\":{}}\n\n"
			}
			w.WriteHeader(http.StatusAccepted)
		default:
			http.Error(w, "no", http.StatusMethodNotAllowed)
		}
	})
	s.rec = rec
	s.srv = serve(t, h)
	return s
}

// TestLegacySSE: the endpoint event (a relative URL) says where to POST;
// answers come on the event stream; configured headers go on the GET and
// the POSTs; the stream ending fails Read.
func TestLegacySSE(t *testing.T) {
	checkLeaks(t)
	s := newLegacyServer(t, "/messages?sessionId=abc")
	c := mustDial(t, Options{URL: s.srv.URL + "/sse", Mode: ModeSSE, Headers: map[string]string{"X-Backend-Key": "k-1"}})
	mustWrite(t, c, initReq)
	if got := mustRead(t, c); got != `{"jsonrpc":"2.0", "id":"init","result":{}}` {
		t.Errorf("answer %s", got)
	}
	mustWrite(t, c, initialized)
	mustWrite(t, c, callReq)
	if got := mustRead(t, c); got != `{"jsonrpc":"2.0", "id":7,"result":{}}` {
		t.Errorf("answer %s", got)
	}
	s.out <- "event: endpoint\ndata: /elsewhere\n\n" + event(progress) // a second endpoint event is ignored
	if got := mustRead(t, c); got != progress {
		t.Errorf("server message %s", got)
	}
	mustWrite(t, c, callReq)
	mustRead(t, c)
	for _, r := range s.rec.all() {
		if r.header.Get("X-Backend-Key") != "k-1" {
			t.Errorf("%s %s without the configured header", r.method, r.path)
		}
		if r.header.Get("Mcp-Session-Id") != "" || r.header.Get("MCP-Protocol-Version") != "" {
			t.Errorf("%s %s with streamable HTTP headers", r.method, r.path)
		}
	}
	close(s.end)
	_, err := read(t, c)
	if err == nil || errors.Is(err, transport.ErrClosed) || !strings.Contains(err.Error(), "legacy SSE stream") {
		t.Errorf("Read after the stream ended = %v", err)
	}
	if err := c.Write([]byte(callReq)); err == nil {
		t.Error("Write after the stream ended succeeded")
	}
}

// TestLegacyDialErrors: Dial fails, clearly, when the endpoint is on
// another origin, when the URL is not an SSE endpoint, and when no
// endpoint event comes before ctx ends.
func TestLegacyDialErrors(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string // "": none sent
		path     string
		want     string
	}{
		{"other host", "http://evil.example/messages?sessionId=abc", "/sse", "announced its message endpoint on another origin (http://evil.example/messages); refusing it"},
		{"other scheme", "https://127.0.0.1/messages", "/sse", "on another origin"},
		{"protocol-relative", "//evil.example/messages", "/sse", "on another origin"},
		{"not an SSE endpoint", "/messages", "/nope", "405 Method Not Allowed: no (not an SSE endpoint)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			s := newLegacyServer(t, tt.endpoint)
			_, err := dial(t, Options{URL: s.srv.URL + tt.path, Mode: ModeSSE})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial error %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("no endpoint event", func(t *testing.T) {
		checkLeaks(t)
		got := make(chan struct{})
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeSSE(w, ": nothing yet\n\n")
			close(got)
			<-r.Context().Done()
		}))
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-got; cancel() }()
		_, err := Dial(ctx, Options{URL: srv.URL, Mode: ModeSSE, Client: &http.Client{Transport: &http.Transport{}}})
		// Whether the answer's headers had reached the client when ctx
		// ended is a race: both errors are right.
		if err == nil || !strings.Contains(err.Error(), "GET "+srv.URL+": no ") || !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial error %v", err)
		}
	})
}

// ---- auto-detection ----

// TestAutoDetect: ModeAuto falls back to legacy SSE when the POST gets
// 400, 404 or 405, and stays with streamable HTTP when it works (or fails
// otherwise).
func TestAutoDetect(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed} {
		t.Run(fmt.Sprint("fallback on ", status), func(t *testing.T) {
			checkLeaks(t)
			s := newLegacyServer(t, "/messages?sessionId=abc")
			mux := http.NewServeMux()
			mux.HandleFunc("POST /sse", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "not here", status) })
			mux.Handle("/", s.srv.Config.Handler)
			s.srv.Config.Handler = mux
			c := mustDial(t, Options{URL: s.srv.URL + "/sse", Mode: ModeAuto})
			mustWrite(t, c, initReq)
			if got := mustRead(t, c); got != `{"jsonrpc":"2.0", "id":"init","result":{}}` {
				t.Errorf("answer %s", got)
			}
			mustWrite(t, c, initialized)
			mustWrite(t, c, callReq)
			mustRead(t, c)
			var got []string
			for _, r := range s.rec.all() {
				got = append(got, r.method+" "+r.path+" "+r.rpcMethod())
			}
			want := []string{"GET /sse ", "POST /messages initialize", "POST /messages notifications/initialized", "POST /messages tools/call"}
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("legacy requests:\n got %q\nwant %q", got, want)
			}
		})
	}
	t.Run("streamable", func(t *testing.T) {
		checkLeaks(t)
		s := newSessionServer(t)
		c := mustDial(t, Options{URL: s.srv.URL, Mode: ModeAuto})
		handshake(t, c)
		s.rec.await(t, "GET stream", isMethod(http.MethodGet))
		mustWrite(t, c, callReq)
		if got := mustRead(t, c); got != `{"jsonrpc":"2.0","id":7,"result":{}}` {
			t.Errorf("answer %s", got)
		}
		c.Close()
		var got []string
		for _, r := range s.rec.all() {
			got = append(got, r.method+" "+r.rpcMethod())
		}
		want := []string{"POST initialize", "POST notifications/initialized", "GET ", "POST tools/call", "DELETE "}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("requests:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("no fallback on 500", func(t *testing.T) {
		checkLeaks(t)
		rec, h := record(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "on fire", http.StatusInternalServerError) })
		srv := serve(t, h)
		c := mustDial(t, Options{URL: srv.URL, Mode: ModeAuto})
		mustWrite(t, c, initReq)
		if msg := readFailure(t, c, `"init"`); msg != "500 Internal Server Error: on fire" {
			t.Errorf("error answer %q", msg)
		}
		for _, r := range rec.all() {
			if r.method != http.MethodPost {
				t.Errorf("unexpected %s", r.method)
			}
		}
	})
	t.Run("neither works", func(t *testing.T) {
		checkLeaks(t)
		srv := serve(t, http.NotFoundHandler())
		c := mustDial(t, Options{URL: srv.URL + "/mcp", Mode: ModeAuto})
		mustWrite(t, c, initReq)
		want := "streamable HTTP: 404 Not Found: 404 page not found; legacy SSE: 404 Not Found: 404 page not found (not an SSE endpoint)"
		if msg := readFailure(t, c, `"init"`); msg != want {
			t.Errorf("error answer\n got %q\nwant %q", msg, want)
		}
	})
}

// ---- errors ----

// TestErrorAnswers: a non-2xx answer fails its request with the status and
// the start of the body; the error answer (it may reach clients) names no
// URL, the Write error of a notification names the URL without its
// credentials; a JSON-RPC error the server sent with its status is passed
// on as it is.
func TestErrorAnswers(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   string // the error answer's message
	}{
		{"text", 500, "text/plain", "upstream on fire\n", "500 Internal Server Error: upstream on fire"},
		{"no body", 502, "", "", "502 Bad Gateway"},
		{"html", 503, "text/html", "<html>\n<body>\n  down  for\tmaintenance\n</body></html>", "503 Service Unavailable: <html> <body> down for maintenance </body></html>"},
		{"long", 401, "text/plain", long, "401 Unauthorized: " + strings.Repeat("é", 100) + "…"},
		{"json-rpc error", 400, "application/json", `{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad header"}}`, "bad header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			u := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/mcp?token=s3cret#frag"
			c := mustDial(t, Options{URL: u, Mode: ModeStreamable})
			mustWrite(t, c, callReq)
			var got string
			if tt.ctype == "application/json" {
				msg := mustRead(t, c)
				if msg != tt.body {
					t.Errorf("the server's error answer was changed: %s", msg)
				}
				got = errorAnswer(t, msg, "7")
			} else {
				got = readFailure(t, c, "7")
			}
			if got != tt.want {
				t.Errorf("error answer\n got %q\nwant %q", got, tt.want)
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			if strings.Contains(got, host) {
				t.Errorf("the error answer names the server: %s", got)
			}
			err := c.Write([]byte(initialized))
			if err == nil {
				t.Fatal("Write of a notification answered with an error status succeeded")
			}
			if want := "POST " + srv.URL + "/mcp: " + strings.TrimSuffix(tt.want, ": bad header"); !strings.HasPrefix(err.Error(), want) && tt.ctype != "application/json" {
				t.Errorf("Write error\n got %q\nwant %q...", err, want)
			}
			for _, secret := range []string{"hunter2", "user", "s3cret", "token", "frag"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Write error %q contains %q", err, secret)
				}
			}
		})
	}
}

// TestUnreachable: a server that is not there fails requests with an error
// answer and notifications with a Write error; neither contains the URL's
// credentials (the HTTP client's own error quotes the whole URL).
func TestUnreachable(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port that was bound and closed
	u := "http://user:hunter2@" + addr + "/mcp?token=s3cret"
	for _, mode := range []string{ModeStreamable, ModeAuto} {
		c := mustDial(t, Options{URL: u, Mode: mode})
		mustWrite(t, c, callReq)
		msg := readFailure(t, c, "7")
		if msg != "could not reach the server: connection refused" {
			t.Errorf("%s: error answer %q", mode, msg)
		}
		werr := c.Write([]byte(initialized))
		if werr == nil || !strings.Contains(werr.Error(), "POST http://"+addr+"/mcp: could not reach the server") {
			t.Errorf("%s: Write error %v", mode, werr)
		}
		for _, s := range []string{msg, fmt.Sprint(werr)} {
			for _, secret := range []string{"hunter2", "s3cret"} {
				if strings.Contains(s, secret) {
					t.Errorf("%s: %q contains %q", mode, s, secret)
				}
			}
		}
	}
	_, err = dial(t, Options{URL: u, Mode: ModeSSE})
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "could not reach the server") {
		t.Errorf("legacy Dial error %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	tests := []struct{ url, mode, want string }{
		{"ftp://user:pw@host/x?k=v", ModeStreamable, "invalid server URL ftp://host/x: want http(s)://host/path"},
		{"http://user:pw@host/\x7f?k=v", ModeStreamable, "invalid server URL (unparsable URL)"},
		{"/relative", ModeStreamable, "invalid server URL /relative"},
		{"http://host/mcp", "websocket", `unknown mode "websocket"`},
	}
	for _, tt := range tests {
		_, err := Dial(context.Background(), Options{URL: tt.url, Mode: tt.mode})
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "pw") {
			t.Errorf("Dial(%q, %q) = %v, want %q", tt.url, tt.mode, err, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://host/mcp", "http://host/mcp"},
		{"https://user:pass@host:8443/mcp?token=x&a=b#f", "https://host:8443/mcp"},
		{"http://user@host/sse?", "http://host/sse"},
		{"/messages?sessionId=abc", "/messages"},
		{"http://host/%zz", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// ---- limits ----

// TestTooLarge: a message over MaxMessageBytes comes out of Read as a
// *transport.TooLargeError holding its head and tail (so that the caller
// can tell whose answer it was), and the Conn goes on; a message of
// exactly the limit passes, whatever carries it.
func TestTooLarge(t *testing.T) {
	const limit = 1000
	// sized returns an answer to id 7 of exactly n bytes.
	sized := func(n int) string {
		pre, post := `{"jsonrpc":"2.0","id":7,"result":{"s":"`, `"}}`
		return pre + strings.Repeat("x", n-len(pre)-len(post)) + post
	}
	idInMiddle := `{"jsonrpc":"2.0","result":{"s":"` + strings.Repeat("x", limit) + `"},"id":7,"more":"` + strings.Repeat("y", 300) + `"}`
	tests := []struct {
		name  string
		mode  string
		serve func(w http.ResponseWriter)
		// want: the messages Read returns, "TOO LARGE" for a
		// *TooLargeError and "ERROR" for an error answer to id 7.
		want []string
	}{
		{"json at the limit", ModeStreamable, func(w http.ResponseWriter) { writeJSON(w, sized(limit)) }, []string{sized(limit)}},
		{"json over the limit", ModeStreamable, func(w http.ResponseWriter) { writeJSON(w, sized(limit+1)) }, []string{"TOO LARGE"}},
		{"json over the limit, id in the middle", ModeStreamable, func(w http.ResponseWriter) { writeJSON(w, idInMiddle) }, []string{"TOO LARGE", "ERROR"}},
		{"event at the limit", ModeStreamable, func(w http.ResponseWriter) { writeSSE(w, event(sized(limit))) }, []string{sized(limit)}},
		{"event over the limit, then more", ModeStreamable, func(w http.ResponseWriter) {
			writeSSE(w, event(strings.Replace(sized(limit+1), `"id":7`, `"id":6`, 1)), event(progress), event(sized(100)))
		}, []string{"TOO LARGE", progress, sized(100)}},
		{"event with a very long line", ModeStreamable, func(w http.ResponseWriter) {
			writeSSE(w, event(sized(300<<10))) // several times the read buffer
		}, []string{"TOO LARGE"}},
		{"event of many lines over the limit", ModeStreamable, func(w http.ResponseWriter) {
			writeSSE(w, "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[\n"+strings.Repeat("data: 1234567890,\n", 100)+"data: 0]}\n\n")
		}, []string{"TOO LARGE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.serve(w) }))
			c := mustDial(t, Options{URL: srv.URL, Mode: tt.mode, MaxMessageBytes: limit})
			mustWrite(t, c, callReq)
			for _, want := range tt.want {
				b, err := read(t, c)
				switch want {
				case "TOO LARGE":
					var tl *transport.TooLargeError
					if !errors.As(err, &tl) || tl.Limit != limit {
						t.Fatalf("Read = %.80s, %v; want a TooLargeError", b, err)
					}
					if len(tl.Head) == 0 || len(tl.Head) > 4<<10 || len(tl.Tail) == 0 || len(tl.Tail) > 256 {
						t.Errorf("head %d bytes, tail %d", len(tl.Head), len(tl.Tail))
					}
					if !bytes.HasPrefix(tl.Head, []byte(`{"jsonrpc":"2.0",`)) {
						t.Errorf("head %.60s", tl.Head)
					}
				case "ERROR":
					var re *transport.RequestError
					if !errors.As(err, &re) || string(re.ID) != "7" {
						t.Fatalf("Read = %.80s, %v; want the request's failure", b, err)
					}
					if msg := re.Reason; !strings.Contains(msg, "larger than the 1000-byte limit") {
						t.Errorf("error answer %q", msg)
					}
				default:
					if err != nil || string(b) != want {
						t.Errorf("Read = %.80s, %v; want %.80s", b, err, want)
					}
				}
			}
			// The Conn goes on.
			mustWrite(t, c, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}`)
		})
	}
	t.Run("tail finds the id", func(t *testing.T) {
		checkLeaks(t)
		big := `{"jsonrpc":"2.0","result":{"s":"` + strings.Repeat("x", 2*limit) + `"},"id":7}`
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeSSE(w, event(big)) }))
		c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable, MaxMessageBytes: limit})
		mustWrite(t, c, callReq)
		_, err := read(t, c)
		var tl *transport.TooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("Read: %v", err)
		}
		if id, ok := jsonrpc.PeekID(tl.Head, tl.Tail); !ok || string(id) != "7" {
			t.Errorf("PeekID = %s, %v; tail %q", id, ok, tl.Tail)
		}
	})
	t.Run("legacy", func(t *testing.T) {
		checkLeaks(t)
		s := newLegacyServer(t, "/messages?sessionId=abc")
		c := mustDial(t, Options{URL: s.srv.URL + "/sse", Mode: ModeSSE, MaxMessageBytes: limit})
		s.out <- event(sized(limit+1)) + event(sized(limit))
		_, err := read(t, c)
		var tl *transport.TooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("Read: %v", err)
		}
		if got := mustRead(t, c); got != sized(limit) {
			t.Errorf("after the large one: %.80s", got)
		}
	})
}

// TestSSEScanner: the event stream format in the corners.
func TestSSEScanner(t *testing.T) {
	type ev struct {
		typ, data, id string
		hasID         bool
		retry         time.Duration
	}
	tests := []struct {
		name, in string
		want     []ev
	}{
		{"fields", "event: x\nid: 1\nretry: 250\ndata: a\n\n", []ev{{typ: "x", data: "a", id: "1", hasID: true, retry: 250 * time.Millisecond}}},
		{"no space after the colon", "data:a\ndata:  b\n\n", []ev{{data: "a\n b"}}},
		{"field without a colon", "data\ndata\n\n", []ev{{data: "\n"}}},
		{"comments and blank lines", ":x\n\n\n:y\ndata: a\n:z\n\n", []ev{{data: "a"}}},
		{"crlf", "data: a\r\nid: 2\r\n\r\n", []ev{{data: "a", id: "2", hasID: true}}},
		{"empty id resets", "id:\n\n", []ev{{hasID: true}}},
		{"id with NUL ignored", "id: a\x00b\ndata: a\n\n", []ev{{data: "a"}}},
		{"bad retry ignored", "retry: 1s\ndata: a\n\n", []ev{{data: "a"}}},
		{"unknown fields ignored", "foo: bar\ndata: a\n\n", []ev{{data: "a"}}},
		{"cut off at the end", "data: a\n\ndata: b\n", []ev{{data: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := newSSEScanner(strings.NewReader(tt.in), 100)
			var got []ev
			for {
				e, err := sc.next()
				if err != nil {
					if err != io.EOF {
						t.Fatal(err)
					}
					break
				}
				got = append(got, ev{e.typ, string(e.data), e.id, e.hasID, e.retry})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// ---- closing ----

// TestClose: Close unblocks a pending Read with transport.ErrClosed, ends
// the requests in flight and the streams, and leaves no goroutine behind;
// Write after Close fails with ErrClosed.
func TestClose(t *testing.T) {
	hold := func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, ": open\n\n")
		<-r.Context().Done()
	}
	tests := []struct {
		name  string
		mode  string
		path  string
		setup func(t *testing.T, c transport.Conn)
	}{
		{"idle", ModeStreamable, "/mcp", func(t *testing.T, c transport.Conn) {}},
		{"request in flight", ModeStreamable, "/mcp", func(t *testing.T, c transport.Conn) { mustWrite(t, c, callReq) }},
		{"GET stream open", ModeStreamable, "/mcp", func(t *testing.T, c transport.Conn) { mustWrite(t, c, initialized) }},
		{"legacy", ModeSSE, "/sse", func(t *testing.T, c transport.Conn) {}},
		{"auto probe in flight", ModeAuto, "/mcp", func(t *testing.T, c transport.Conn) { mustWrite(t, c, initReq) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			rec, h := record(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/sse":
					writeSSE(w, "event: endpoint\ndata: /messages\n\n")
					<-r.Context().Done()
				case r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == "" && strings.Contains(r.URL.Path, "mcp"):
					if b, _ := io.ReadAll(r.Body); strings.Contains(string(b), `"method":"notifications/initialized"`) {
						w.WriteHeader(http.StatusAccepted)
						return
					}
					hold(w, r)
				case r.Method == http.MethodGet:
					hold(w, r)
				default:
					w.WriteHeader(http.StatusAccepted)
				}
			})
			srv := serve(t, h)
			c := mustDial(t, Options{URL: srv.URL + tt.path, Mode: tt.mode})
			tt.setup(t, c)
			if tt.name != "idle" {
				rec.await(t, "the request", func(request) bool { return true })
			}
			if tt.name == "GET stream open" {
				rec.await(t, "GET", isMethod(http.MethodGet))
			}
			readErr := make(chan error, 1)
			go func() {
				_, err := c.Read()
				readErr <- err
			}()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-readErr:
				if !errors.Is(err, transport.ErrClosed) {
					t.Errorf("Read after Close = %v, want ErrClosed", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not unblock Read")
			}
			// Close has waited for them; the last may still be returning.
			waitUntil(t, "the conn's goroutines to end after Close", func() bool { return len(connGoroutines()) == 0 })
			if err := c.Write([]byte(callReq)); !errors.Is(err, transport.ErrClosed) {
				t.Errorf("Write after Close = %v", err)
			}
			if _, err := c.Read(); !errors.Is(err, transport.ErrClosed) {
				t.Errorf("second Read after Close = %v", err)
			}
		})
	}
}

// TestConcurrentWrites: many requests at once, all answered, under -race.
func TestConcurrentWrites(t *testing.T) {
	checkLeaks(t)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m, _ := jsonrpc.Parse(body)
		if m.Kind != jsonrpc.KindRequest {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if m.ID[0]%2 == 0 {
			writeJSONBytes(w, jsonrpc.AppendResult(nil, m.ID, []byte(`{}`)))
		} else {
			writeSSE(w, event(string(jsonrpc.AppendResult(nil, m.ID, []byte(`{}`)))))
		}
	}))
	c := mustDial(t, Options{URL: srv.URL, Mode: ModeAuto})
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Write(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"ping"}`, i)); err != nil {
				t.Error(err)
			}
		}()
	}
	seen := map[string]bool{}
	for range n {
		m, err := jsonrpc.Parse([]byte(mustRead(t, c)))
		if err != nil {
			t.Fatal(err)
		}
		seen[string(m.ID)] = true
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct answers, want %d", len(seen), n)
	}
}

// closeIdle closes the idle connections of the default transport and of
// the wire client.
func closeIdle() {
	defaultTransport.CloseIdleConnections()
	wirePools.Range(func(_, v any) bool {
		p := v.(*wirePool)
		p.mu.Lock()
		idle := p.idle
		p.idle = nil
		p.mu.Unlock()
		for _, wc := range idle {
			wc.nc.Close()
		}
		return true
	})
}

// ---- Request: the exchange on the caller's goroutine ----

// doRequest calls Request with a deadline of its own, so that a bug fails
// the test instead of hanging it.
func doRequest(t *testing.T, c transport.Conn, ctx context.Context, deadline time.Time, msg string) ([]byte, error) {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := c.(transport.Requester).Request(ctx, deadline, []byte(msg), nil)
		ch <- res{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Request did not return within 10s")
	}
	return nil, nil
}

// TestRequest: an answer that comes first is returned, and Read never
// sees it; one after other messages of its exchange comes through Read,
// after them; an exchange that fails ends in an error answer.
func TestRequest(t *testing.T) {
	tests := []struct {
		name   string
		serve  func(w http.ResponseWriter)
		answer string   // what Request returns
		read   []string // then through Read
	}{
		{"json", func(w http.ResponseWriter) { writeJSON(w, callAnswer) }, callAnswer, nil},
		{"event stream", func(w http.ResponseWriter) { writeSSE(w, "id: 0\ndata:\n\n", "id: 1\n"+event(callAnswer)) }, callAnswer, nil},
		{"progress first", func(w http.ResponseWriter) { writeSSE(w, event(progress), event(callAnswer)) }, "", []string{progress, callAnswer}},
		{"batch", func(w http.ResponseWriter) { writeJSON(w, "["+callAnswer+","+progress+"]") }, callAnswer, []string{progress}},
		{"accepted: the answer comes elsewhere", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }, "", nil},
		{"error status", func(w http.ResponseWriter) { http.Error(w, "upstream on fire", http.StatusInternalServerError) }, "error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := serve(t, postsOnly(func(w http.ResponseWriter, _ *http.Request) { tt.serve(w) }))
			c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
			got, err := doRequest(t, c, context.Background(), time.Now().Add(time.Minute), callReq)
			if err != nil {
				t.Fatal(err)
			}
			switch tt.answer {
			case "error":
				if got != nil {
					t.Fatalf("Request answered %s; want the request's failure through Read", got)
				}
				if msg := readFailure(t, c, "7"); !strings.Contains(msg, "upstream on fire") || strings.Contains(msg, srv.URL) {
					t.Errorf("failure %q", msg)
				}
			default:
				if string(got) != tt.answer {
					t.Errorf("answer %s, want %s", got, tt.answer)
				}
			}
			for i, want := range tt.read {
				if got := mustRead(t, c); got != want {
					t.Errorf("read %d: %s, want %s", i, got, want)
				}
			}
		})
	}
}

// TestRequestEnds: Request returns, without an answer, when its context
// is cancelled, when its deadline passes and when the conn is closed,
// while the server is still working; "large" is a request too large for
// the wire client, which goes through net/http.
func TestRequestEnds(t *testing.T) {
	large := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}}`
	for _, how := range []string{"cancel", "deadline", "close", "cancel, large", "deadline, large"} {
		t.Run(how, func(t *testing.T) {
			checkLeaks(t)
			release := make(chan struct{})
			arrived := make(chan struct{}, 1)
			srv := serve(t, postsOnly(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer close(release)
			c := mustDial(t, Options{URL: srv.URL, Mode: ModeStreamable})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			deadline := time.Now().Add(time.Minute)
			if strings.HasPrefix(how, "deadline") {
				deadline = time.Now().Add(50 * time.Millisecond)
			}
			go func() {
				<-arrived
				switch {
				case strings.HasPrefix(how, "cancel"):
					cancel()
				case how == "close":
					c.Close()
				}
			}()
			msg := callReq
			if strings.HasSuffix(how, "large") {
				msg = large
			}
			got, err := doRequest(t, c, ctx, deadline, msg)
			if got != nil || err != nil {
				t.Errorf("Request = %s, %v; want nil, nil", got, err)
			}
		})
	}
}

// TestDefaultClient: without a client of its own, a conn posts with the
// default transport directly, and follows a redirect (as a Python server
// sends from /mcp to /mcp/) with the client, now and later.
func TestDefaultClient(t *testing.T) {
	checkLeaks(t)
	t.Cleanup(closeIdle)
	var posts []string
	var mu sync.Mutex
	srv := serve(t, postsOnly(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts = append(posts, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/mcp" {
			http.Redirect(w, r, "/mcp/", http.StatusTemporaryRedirect)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if string(body) != callReq || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Key") != "k" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		writeJSON(w, callAnswer)
	}))
	c, err := Dial(context.Background(), Options{URL: srv.URL + "/mcp", Mode: ModeStreamable, Headers: map[string]string{"x-key": "k"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for range 2 {
		got, err := doRequest(t, c, context.Background(), time.Time{}, callReq)
		if err != nil || string(got) != callAnswer {
			t.Fatalf("Request = %s, %v", got, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// The first redirect is seen by the transport, then the POST goes
	// again through the client, which follows it.
	if want := []string{"/mcp", "/mcp", "/mcp/", "/mcp", "/mcp/"}; fmt.Sprint(posts) != fmt.Sprint(want) {
		t.Errorf("POSTs to %v, want %v", posts, want)
	}
}
