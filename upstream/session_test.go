package upstream

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/transport"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// peer is the backend end of an in-memory JSON-RPC connection.
type peer struct {
	conn *transport.Stream
}

// pipePair returns a session connected to a peer.
func pipePair(t *testing.T, h Handler) (*Session, *peer) {
	t.Helper()
	ar, bw := io.Pipe() // backend → session
	br, aw := io.Pipe() // session → backend
	sessConn := transport.NewStream(ar, aw, func() error { aw.Close(); return ar.Close() }, 0)
	peerConn := transport.NewStream(br, bw, func() error { bw.Close(); return br.Close() }, 0)
	if h == nil {
		h = nopHandler{}
	}
	s := NewSession("test", sessConn, h, quiet)
	t.Cleanup(func() { s.Close(); peerConn.Close() })
	return s, &peer{conn: peerConn}
}

type nopHandler struct{}

func (nopHandler) Notification(*Session, jsonrpc.Message) {}
func (nopHandler) Request(*Session, jsonrpc.Message)      {}

func (p *peer) read(t *testing.T) jsonrpc.Message {
	t.Helper()
	b, err := p.conn.Read()
	if err != nil {
		t.Fatalf("peer read: %v", err)
	}
	m, err := jsonrpc.Parse(b)
	if err != nil {
		t.Fatalf("peer got malformed %q: %v", b, err)
	}
	return m
}

func (p *peer) write(t *testing.T, s string) {
	t.Helper()
	if err := p.conn.Write([]byte(s)); err != nil {
		t.Fatalf("peer write: %v", err)
	}
}

func TestCallsGetOwnIdsAndAnswersOutOfOrder(t *testing.T) {
	s, p := pipePair(t, nil)
	type out struct {
		res string
		err error
	}
	results := make([]chan out, 3)
	for i := range results {
		results[i] = make(chan out, 1)
		go func() {
			res, err := s.Call(context.Background(), "tools/call", []byte(`{"name":"n`+strconv.Itoa(i)+`"}`), CallOptions{})
			results[i] <- out{string(res), err}
		}()
	}
	ids := map[string]string{} // backend id → name
	for range 3 {
		m := p.read(t)
		name, _ := jsonrpc.Get(m.Params, "name")
		ids[string(m.ID)] = string(name)
	}
	if len(ids) != 3 {
		t.Fatalf("ids not unique: %v", ids)
	}
	// Answer in reverse id order, echoing the name.
	for _, id := range []string{"2", "1", "0"} {
		p.write(t, `{"jsonrpc":"2.0","id":`+id+`,"result":{"echo":`+ids[id]+`}}`)
	}
	for i, c := range results {
		o := <-c
		if o.err != nil || o.res != `{"echo":"n`+strconv.Itoa(i)+`"}` {
			t.Errorf("call %d = %s, %v", i, o.res, o.err)
		}
	}
}

func TestProgressRoutedAndTokenReplaced(t *testing.T) {
	s, p := pipePair(t, nil)
	var mu sync.Mutex
	var got []string
	done := make(chan error, 1)
	go func() {
		_, err := s.Call(context.Background(), "tools/call",
			[]byte(`{"name":"slow","_meta":{"progressToken":"client-token","other":1}}`),
			CallOptions{OnProgress: func(params []byte) { mu.Lock(); got = append(got, string(params)); mu.Unlock() }})
		done <- err
	}()
	m := p.read(t)
	meta, _ := jsonrpc.Get(m.Params, "_meta")
	tok, _ := jsonrpc.Get(meta, "progressToken")
	if string(tok) != string(m.ID) {
		t.Fatalf("backend saw progress token %s, want the session's own (%s)", tok, m.ID)
	}
	if other, _ := jsonrpc.Get(meta, "other"); string(other) != "1" {
		t.Errorf("other _meta fields were lost: %s", meta)
	}
	p.write(t, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":`+string(tok)+`,"progress":1}}`)
	p.write(t, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":999,"progress":1}}`)
	p.write(t, `{"jsonrpc":"2.0","id":`+string(m.ID)+`,"result":{}}`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], `"progress":1`) {
		t.Errorf("progress delivered = %v, want exactly the one for this call", got)
	}
}

func TestCancelSendsNotification(t *testing.T) {
	s, p := pipePair(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Call(ctx, "tools/call", []byte(`{}`), CallOptions{}); done <- err }()
	m := p.read(t)
	cancel()
	n := p.read(t) // the pipe is unbuffered: read before waiting for the call
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call returned %v", err)
	}
	id, _ := jsonrpc.Get(n.Params, "requestId")
	if n.Method != "notifications/cancelled" || string(id) != string(m.ID) {
		t.Fatalf("backend got %s %s, want notifications/cancelled for %s", n.Method, n.Params, m.ID)
	}
	// A late answer is ignored and the session keeps working.
	p.write(t, `{"jsonrpc":"2.0","id":`+string(m.ID)+`,"result":{}}`)
	go func() {
		b, err := p.conn.Read()
		if err != nil {
			return
		}
		m, _ := jsonrpc.Parse(b)
		p.conn.Write([]byte(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":{"ok":true}}`))
	}()
	if res, err := s.Call(context.Background(), "ping", nil, CallOptions{}); err != nil || string(res) != `{"ok":true}` {
		t.Fatalf("call after cancel = %s, %v", res, err)
	}
}

func TestTimeoutNamesServerAndMethod(t *testing.T) {
	s, p := pipePair(t, nil)
	go p.conn.Read()
	_, err := s.CallTimeout(context.Background(), 50*time.Millisecond, "tools/call", []byte(`{}`), CallOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "server test did not answer tools/call within 50ms") {
		t.Fatalf("timeout error = %v", err)
	}
}

func TestConnectionLossFailsPendingCalls(t *testing.T) {
	s, p := pipePair(t, nil)
	done := make(chan error, 1)
	go func() { _, err := s.Call(context.Background(), "tools/call", []byte(`{}`), CallOptions{}); done <- err }()
	p.read(t)
	p.conn.Close()
	err := <-done
	var le *ConnectionLostError
	if !errors.As(err, &le) || !errors.Is(err, ErrSessionClosed) || !strings.Contains(err.Error(), "server test stopped before answering") {
		t.Fatalf("pending call after loss = %v", err)
	}
	if _, err := s.Call(context.Background(), "x", nil, CallOptions{}); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("call on a dead session = %v", err)
	}
}

func TestGarbageIsSkippedAndPingAnswered(t *testing.T) {
	s, p := pipePair(t, nil)
	done := make(chan []byte, 1)
	go func() { res, _ := s.Call(context.Background(), "m", nil, CallOptions{}); done <- res }()
	m := p.read(t)
	p.write(t, `Server running on stdio`)
	p.write(t, `{"jsonrpc":"2.0","id":"srv-1","method":"ping"}`)
	pong := p.read(t)
	if pong.Kind != jsonrpc.KindResponse || string(pong.ID) != `"srv-1"` || string(pong.Result) != `{}` {
		t.Fatalf("ping answer = %s", pong.Raw)
	}
	p.write(t, `{"jsonrpc":"2.0","id":`+string(m.ID)+`,"result":{"fine":1}}`)
	if got := <-done; string(got) != `{"fine":1}` {
		t.Fatalf("result after garbage = %s", got)
	}
}

// TestProcessGroupKilled starts a shell that starts a grandchild, as npx
// does, and checks that closing the connection ends both and reaps them.
func TestProcessGroupKilled(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	pidFile := t.TempDir() + "/child.pid"
	p, err := StartProcess(ProcessSpec{
		Command:   "sh",
		Args:      []string{"-c", `sleep 300 & echo $! > ` + pidFile + `; echo "starting" >&2; trap '' TERM; cat`},
		StopGrace: 200 * time.Millisecond,
	}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(10 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(5 * time.Millisecond)
	}
	if child == 0 {
		t.Fatal("grandchild never started")
	}
	p.Conn().Close()
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("process not reaped")
	}
	// The grandchild got the group's SIGKILL; it may linger as a zombie of
	// init briefly, so wait until it is gone or dead.
	for time.Now().Before(deadline) {
		if err := syscall.Kill(child, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat"); strings.Contains(string(st), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("grandchild %d survived the gateway closing the server", child)
}

func TestStderrDrainedToLog(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	p, err := StartProcess(ProcessSpec{Command: "sh", Args: []string{"-c", `i=0; while [ $i -lt 2000 ]; do echo "line $i of noise noise noise noise noise noise noise noise" >&2; i=$((i+1)); done; echo '{"jsonrpc":"2.0","method":"done"}'`}}, log)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Conn().Read()
	if err != nil || !strings.Contains(string(b), "done") {
		t.Fatalf("stdout after a stderr flood = %q, %v", b, err)
	}
	<-p.Exited()
	<-p.StderrDrained()
	p.Conn().Close()
	if out := buf.String(); !strings.Contains(out, "line 1999 of noise") || !strings.Contains(out, "stream=stderr") {
		t.Fatalf("stderr not in the log (%d bytes)", len(out))
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// scriptedConn is a transport.Conn whose Read returns what a test queues.
type scriptedConn struct {
	reads  chan func() ([]byte, error)
	writes chan []byte
	closed chan struct{}
	once   sync.Once
}

func newScriptedConn() *scriptedConn {
	return &scriptedConn{reads: make(chan func() ([]byte, error), 4), writes: make(chan []byte, 4), closed: make(chan struct{})}
}

func (c *scriptedConn) Read() ([]byte, error) {
	select {
	case f := <-c.reads:
		return f()
	case <-c.closed:
		return nil, transport.ErrClosed
	}
}
func (c *scriptedConn) Write(b []byte) error { c.writes <- append([]byte(nil), b...); return nil }
func (c *scriptedConn) Close() error         { c.once.Do(func() { close(c.closed) }); return nil }

// A transport failure of one request fails that call with an
// UnavailableError, not as the server's answer, and the session lives on.
func TestRequestErrorFailsOneCall(t *testing.T) {
	c := newScriptedConn()
	s := NewSession("remote", c, nopHandler{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		_, err := s.Call(context.Background(), "tools/call", []byte(`{}`), CallOptions{})
		done <- err
	}()
	m, _ := jsonrpc.Parse(<-c.writes)
	c.reads <- func() ([]byte, error) {
		return nil, &transport.RequestError{ID: m.ID, Reason: "could not reach the server"}
	}
	err := <-done
	var ue *UnavailableError
	var re *RPCError
	if !errors.As(err, &ue) || errors.As(err, &re) || ue.Error() != "server remote is not available: could not reach the server" {
		t.Fatalf("call error = %v (%T), want an UnavailableError", err, err)
	}
	select {
	case <-s.Done():
		t.Fatal("one failed request ended the session")
	default:
	}
}

// requester is a Stream whose requests go through Request (as an HTTP
// client's do): the test's exchange function answers them.
type requester struct {
	*transport.Stream
	exchange func(ctx context.Context, deadline time.Time, msg []byte) []byte
}

func (r *requester) Request(ctx context.Context, deadline time.Time, msg []byte, _ map[string]string) ([]byte, error) {
	return r.exchange(ctx, deadline, msg), nil
}

// requesterPair is pipePair with a requester as the session's conn.
func requesterPair(t *testing.T, exchange func(ctx context.Context, deadline time.Time, msg []byte) []byte) (*Session, *peer) {
	t.Helper()
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	sessConn := &requester{transport.NewStream(ar, aw, func() error { aw.Close(); return ar.Close() }, 0), exchange}
	peerConn := transport.NewStream(br, bw, func() error { bw.Close(); return br.Close() }, 0)
	s := NewSession("test", sessConn, nopHandler{}, quiet)
	t.Cleanup(func() { s.Close(); peerConn.Close() })
	return s, &peer{conn: peerConn}
}

// TestRequesterAnswers: an answer that Request returns ends the call; one
// that comes through Read instead does too.
func TestRequesterAnswers(t *testing.T) {
	var through chan []byte // the requests whose answer comes through Read
	s, p := requesterPair(t, func(_ context.Context, _ time.Time, msg []byte) []byte {
		m, _ := jsonrpc.Parse(msg)
		if m.Method == "later" {
			through <- m.ID
			return nil
		}
		return jsonrpc.AppendResult(nil, m.ID, []byte(`{"direct":true}`))
	})
	if res, err := s.CallTimeout(context.Background(), time.Minute, "tools/call", []byte(`{}`), CallOptions{}); err != nil || string(res) != `{"direct":true}` {
		t.Fatalf("direct answer: %s, %v", res, err)
	}
	through = make(chan []byte, 1)
	go func() { p.write(t, `{"jsonrpc":"2.0","id":`+string(<-through)+`,"result":{"read":true}}`) }()
	if res, err := s.CallTimeout(context.Background(), time.Minute, "later", nil, CallOptions{}); err != nil || string(res) != `{"read":true}` {
		t.Fatalf("answer through Read: %s, %v", res, err)
	}
	if n := s.Pending(); n != 0 {
		t.Errorf("%d calls still pending", n)
	}
}

// TestRequesterTimeoutAndCancel: Request gets the call's deadline and
// context; when they end, the call fails as with Write, and the backend is
// told.
func TestRequesterTimeoutAndCancel(t *testing.T) {
	var gotDeadline time.Time
	s, p := requesterPair(t, func(ctx context.Context, deadline time.Time, _ []byte) []byte {
		gotDeadline = deadline
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(deadline)):
		}
		return nil
	})
	go func() {
		for {
			if _, err := p.conn.Read(); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	_, err := s.CallTimeout(context.Background(), 50*time.Millisecond, "tools/call", []byte(`{}`), CallOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "server test did not answer tools/call within 50ms") {
		t.Fatalf("timeout error = %v", err)
	}
	if d := gotDeadline.Sub(start); d <= 0 || d > time.Second {
		t.Errorf("Request got a deadline %v after the call started", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := s.CallTimeout(ctx, time.Minute, "tools/call", []byte(`{}`), CallOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call = %v", err)
	}
}
