package httpfront

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/httpserve"
	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// frontDoor runs a gateway with the given servers behind a Handler,
// served on loopback as the command serves it.
type frontDoor struct {
	t    *testing.T
	g    *gateway.Gateway
	h    *Handler
	base string // http://host:port
	url  string // .../mcp
}

func quietLog(t *testing.T) *slog.Logger {
	if os.Getenv("HTTPFRONT_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func kitchenServers(t *testing.T, isolation string, names ...string) map[string]any {
	bin := testenv.BuildBinary(t, "./internal/testservers/kitchen")
	servers := map[string]any{}
	for _, n := range names {
		s := map[string]any{"command": bin, "args": []string{"-name", n}}
		if isolation != "" {
			s["isolation"] = isolation
		}
		servers[n] = s
	}
	return servers
}

func newFrontDoor(t *testing.T, servers map[string]any, tune func(*Options)) *frontDoor {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"mcpServers": servers})
	cfg, err := config.Parse("test.json", raw, func(string) (string, bool) { return "", false }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := quietLog(t)
	g, err := gateway.New(gateway.Options{Config: cfg, Log: log, Version: "test", MultiClient: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	o := Options{Gateway: g, Log: log, Loopback: true}
	if tune != nil {
		tune(&o)
	}
	h := New(o)
	// Served as the command serves it: httpserve's fast path for the
	// message POSTs, net/http for the rest.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	hs.RegisterOnShutdown(h.Drain)
	srv := &httpserve.Server{HTTP: hs, Fast: FastPath, Log: log}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	fd := &frontDoor{t: t, g: g, h: h, base: base, url: base + "/mcp"}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
		srv.Close()
		h.Close()
		cancel()
		g.Close()
	})
	<-g.Ready()
	return fd
}

// connect connects a Go SDK client in the session-based era (2025-11-25).
func (fd *frontDoor) connect(opts *mcp.ClientOptions) *mcp.ClientSession {
	return fd.connectEra(legacyEra, opts)
}

// Protocol eras a test client speaks.
const (
	legacyEra = "2025-11-25"
	modernEra = "2026-07-28"
)

// connectEra connects a Go SDK client speaking the given revision: the
// SDK negotiates 2026-07-28 (stateless, server/discover) when asked for
// it, and runs the initialize handshake for older ones.
func (fd *frontDoor) connectEra(era string, opts *mcp.ClientOptions) *mcp.ClientSession {
	fd.t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, opts)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: fd.url}, &mcp.ClientSessionOptions{ProtocolVersion: era})
	if err != nil {
		fd.t.Fatal(err)
	}
	fd.t.Cleanup(func() { cs.Close() })
	return cs
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if len(res.Content) == 0 {
		t.Fatalf("call %s: no content", name)
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("call %s: content is %T", name, res.Content[0])
	}
	if res.IsError {
		t.Fatalf("call %s: tool error: %s", name, tc.Text)
	}
	return tc.Text
}

func TestStreamableSessionEndToEnd(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha", "beta"), nil)
	var mu sync.Mutex
	var progress []float64
	cs := fd.connect(&mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, r.Params.Progress)
		mu.Unlock()
	}})
	if got := callText(t, cs, "alpha__echo", map[string]any{"message": "hi"}); got != "alpha: hi" {
		t.Errorf("alpha echo = %q", got)
	}
	if got := callText(t, cs, "beta__echo", map[string]any{"message": "yo"}); got != "beta: yo" {
		t.Errorf("beta echo = %q", got)
	}
	params := &mcp.CallToolParams{Name: "alpha__slow", Arguments: map[string]any{"steps": 3, "delayMs": 5}}
	params.SetProgressToken("p1")
	if _, err := cs.CallTool(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(progress)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d progress notifications, want 3", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) < 10 {
		t.Errorf("only %d tools listed", len(tools.Tools))
	}
	if fd.h.Sessions() != 1 {
		t.Errorf("%d sessions open, want 1", fd.h.Sessions())
	}
	cs.Close()
	if fd.h.Sessions() != 0 {
		t.Errorf("%d sessions open after the client closed (DELETE), want 0", fd.h.Sessions())
	}
}

func TestLegacySSETransport(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), nil)
	c := mcp.NewClient(&mcp.Implementation{Name: "old-client", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.SSEClientTransport{Endpoint: fd.base + "/sse"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if got := callText(t, cs, "alpha__echo", map[string]any{"message": "old"}); got != "alpha: old" {
		t.Errorf("echo = %q", got)
	}
}

// TestPerClientSamplingIsolation: many clients at once call a tool that
// asks its client to sample; each client must get only its own request,
// and each backend session only its own client's answer. Session-based
// clients get the backend's request as a request; 2026-07-28 clients get it
// as an InputRequiredResult and answer in a retry.
func TestPerClientSamplingIsolation(t *testing.T) {
	for _, era := range []string{legacyEra, modernEra} {
		t.Run(era, func(t *testing.T) { testSamplingIsolation(t, era) })
	}
}

func testSamplingIsolation(t *testing.T, era string) {
	fd := newFrontDoor(t, kitchenServers(t, "per-client", "alpha"), nil)
	const clients = 8
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			me := fmt.Sprintf("client-%d", i)
			cs := fd.connectEra(era, &mcp.ClientOptions{CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
				return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "from " + me}}, nil
			}})
			for j := range 3 {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "alpha__sample", Arguments: map[string]any{"prompt": fmt.Sprintf("%s-%d", me, j)}})
				if err != nil {
					errs <- fmt.Errorf("%s: %v", me, err)
					return
				}
				got := res.Content[0].(*mcp.TextContent).Text
				if want := "alpha sampled: from " + me; got != want {
					errs <- fmt.Errorf("%s got %q, want %q", me, got, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBadRequests(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), func(o *Options) { o.MaxBodyBytes = 1 << 10 })
	post := func(body string, hdr map[string]string) (*http.Response, string) {
		resp := rawPost(t, fd.url, body, hdr)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := post(initBody, nil)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, sid)
	}
	cases := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		want   string
	}{
		{"malformed JSON", `{"jsonrpc":"2.0","id":2,`, map[string]string{"Mcp-Session-Id": sid}, 400, `"code":-32700`},
		{"wrong content type", `{}`, map[string]string{"Content-Type": "text/plain", "Mcp-Session-Id": sid}, 415, "Content-Type must be application/json"},
		{"missing session", `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, nil, 400, "missing Mcp-Session-Id"},
		{"forged session", `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": "deadbeef"}, 404, "unknown or expired session"},
		{"case-smuggled key", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"alpha__echo","Name":"alpha__crash"}}`, map[string]string{"Mcp-Session-Id": sid}, 200, `"code":-32602`},
		{"oversized body", `{"jsonrpc":"2.0","id":6,"method":"tools/list","params":{"x":"` + strings.Repeat("a", 2<<10) + `"}}`, map[string]string{"Mcp-Session-Id": sid}, 413, "larger than the 1024-byte limit"},
		{"unsupported protocol version", `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": sid, "MCP-Protocol-Version": "1999-01-01"}, 400, `"code":-32022`},
		{"bad origin", `{"jsonrpc":"2.0","id":8,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": sid, "Origin": "https://evil.example"}, 403, "not allowed"},
		{"no acceptable type", `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": sid, "Accept": "text/html"}, 406, "Accept must allow"},
		{"good call still works", `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"alpha__echo","arguments":{"message":"ok"}}}`, map[string]string{"Mcp-Session-Id": sid}, 200, `alpha: ok`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := post(c.body, c.hdr)
			if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
				t.Errorf("status %d body %q; want %d with %q", resp.StatusCode, body, c.status, c.want)
			}
		})
	}
	// A DNS-rebinding Host is refused.
	req, _ := http.NewRequest(http.MethodGet, fd.base+"/healthz", nil)
	req.Host = "attacker.example"
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: status %d, want 403", r2.StatusCode)
	}
}

func TestHealthAndReady(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(fd.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	fd.h.Drain()
	resp, err := http.Get(fd.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d, want 503", resp.StatusCode)
	}
}

// startKitchenHTTP runs the kitchen test server over streamable HTTP and
// returns its endpoint.
func startKitchenHTTP(t *testing.T, name string) string {
	t.Helper()
	bin := testenv.BuildBinary(t, "./internal/testservers/kitchen")
	cmd := exec.Command(bin, "-name", name, "-http", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening ") {
		t.Fatalf("kitchen -http: %q, %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "listening "))
}

// TestIsolationUnderLoad: 200 sessions at once, of both eras, each calling
// tools that make a remote backend ask its client to sample and to elicit;
// every question reaches only the client whose call asked it, and every
// answer only that client's backend session.
func TestIsolationUnderLoad(t *testing.T) {
	url := startKitchenHTTP(t, "remote")
	fd := newFrontDoor(t, map[string]any{"remote": map[string]any{"type": "http", "url": url}}, nil)
	const clients = 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	for i := range clients {
		era := []string{legacyEra, modernEra}[i%2]
		wg.Go(func() {
			me := fmt.Sprintf("client-%03d", i)
			cs := fd.connectEra(era, &mcp.ClientOptions{
				CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
					return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "from " + me}}, nil
				},
				ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": me}}, nil
				},
			})
			for _, c := range []struct {
				tool string
				args map[string]any
				want string
			}{
				{"remote__sample", map[string]any{"prompt": me}, "remote sampled: from " + me},
				{"remote__elicit", map[string]any{"question": me}, "remote elicited: accept " + me},
			} {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
				if err != nil {
					errs <- fmt.Errorf("%s (%s) %s: %v", me, era, c.tool, err)
					return
				}
				if got := res.Content[0].(*mcp.TextContent).Text; got != c.want {
					errs <- fmt.Errorf("%s (%s) %s = %q, want %q", me, era, c.tool, got, c.want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	if n > 10 {
		t.Errorf("... and %d more", n-10)
	}
}

// TestStatelessRequestsReuseBackSessions: the requests of a 2026-07-28
// client each run without a session, but their per-client back sessions
// are kept for the same client's next request instead of being opened
// and closed every time.
func TestStatelessRequestsReuseBackSessions(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "counted", Version: "1"}, nil)
	type echoArgs struct {
		Message string `json:"message"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: a.Message}}}, nil, nil
	})
	var mu sync.Mutex
	inits := 0
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), `"method":"initialize"`) {
				mu.Lock()
				inits++
				mu.Unlock()
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		sdk.ServeHTTP(w, r)
	}))
	t.Cleanup(backend.Close)
	fd := newFrontDoor(t, map[string]any{"counted": map[string]any{"type": "http", "url": backend.URL, "era": "legacy"}}, nil)
	mu.Lock()
	before := inits // the gateway's own (catalog) session
	mu.Unlock()
	cs := fd.connectEra(modernEra, nil)
	const calls = 20
	for i := range calls {
		if got := callText(t, cs, "counted__echo", map[string]any{"message": fmt.Sprint(i)}); got != fmt.Sprint(i) {
			t.Fatalf("call %d answered %q", i, got)
		}
	}
	mu.Lock()
	opened := inits - before
	mu.Unlock()
	if opened != 1 {
		t.Errorf("%d sequential stateless calls opened %d back sessions, want 1 reused", calls, opened)
	}
}

// TestModernClientClosingTheStreamCancelsTheCall: a 2026-07-28 client
// cancels a call by closing its stream. The call here has nothing to send
// before its answer, so the front door must watch the connection while it
// runs. The server takes one call at a time and queues none: while the
// slow call holds its slot, another is refused as overloaded; once the
// client has gone, the slot is free long before the slow call would end.
func TestModernClientClosingTheStreamCancelsTheCall(t *testing.T) {
	servers := kitchenServers(t, "", "alpha")
	alpha := servers["alpha"].(map[string]any)
	alpha["maxConcurrency"], alpha["maxQueue"] = 1, 0
	fd := newFrontDoor(t, servers, nil)
	slow := fd.connectEra(modernEra, nil)
	other := fd.connectEra(modernEra, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	startSlow := func() {
		go func() {
			// 1000 steps of 20 ms: 20 s unless cancelled.
			_, err := slow.CallTool(ctx, &mcp.CallToolParams{Name: "alpha__slow", Arguments: map[string]any{"steps": 1000, "delayMs": 20}})
			done <- err
		}()
	}
	echo := func() error {
		_, err := other.CallTool(context.Background(), &mcp.CallToolParams{Name: "alpha__echo", Arguments: map[string]any{"message": "x"}})
		return err
	}
	overloaded := func(err error) bool { return err != nil && strings.Contains(err.Error(), "overloaded") }
	startSlow()
	deadline := time.Now().Add(10 * time.Second)
	for err := echo(); !overloaded(err); err = echo() {
		select {
		case serr := <-done:
			if !overloaded(serr) {
				t.Fatalf("the slow call ended before it was cancelled: %v", serr)
			}
			startSlow() // an echo held the slot when it came: again
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow call never held the server's slot (last echo: %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled call succeeded")
	}
	for err := echo(); err != nil; err = echo() {
		if time.Now().After(deadline) {
			t.Fatalf("the slot was not freed after the client closed the stream: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
