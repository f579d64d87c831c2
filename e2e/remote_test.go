package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// remoteServer is a Go SDK server whose tools tell which transport served
// them and call back to the client. If progressSeen is not nil, echo sends
// a progress notification and answers only once a value arrives on
// progressSeen (the client got the notification), or after 20s.
func remoteServer(name string, progressSeen <-chan struct{}) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1"}, nil)
	type echoArgs struct {
		Message string `json:"message"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echo"}, func(ctx context.Context, req *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, any, error) {
		if tok := req.Params.GetProgressToken(); tok != nil {
			req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: 1, Total: 1})
			if progressSeen != nil {
				// A server answering with application/json sends the
				// notification on its GET stream, the answer on the POST:
				// the two may reach the gateway in either order, and
				// progress after the answer is dropped as late. Waiting
				// makes the order the one under test.
				select {
				case <-progressSeen:
				case <-ctx.Done():
				case <-time.After(20 * time.Second):
				}
			}
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + ": " + a.Message}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "sample", Description: "sample"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 5, Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: "hi"}}}})
		if err != nil {
			return nil, nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + " sampled: " + res.Content.(*mcp.TextContent).Text}}}, nil, nil
	})
	return s
}

// TestRemoteBackends: streamable HTTP (stateful and with JSON answers),
// legacy SSE, and auto-detection falling back to SSE, each with a call and
// a server→client request, through the real binary.
func TestRemoteBackends(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	var posts atomic.Int64
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				posts.Add(1)
			}
			if got := r.Header.Get("X-Backend-Key"); got != "k-123" {
				http.Error(w, "missing backend credential header", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	progressSeen := make(chan struct{}, 1)
	streamSrv := remoteServer("stream", progressSeen)
	jsonSrv := remoteServer("json", progressSeen)
	sseSrv := remoteServer("legacy", progressSeen)
	// Closed by t.Cleanup, after the gateway (registered later) has
	// stopped and let go of its streams.
	stream := httptest.NewServer(count(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return streamSrv }, nil)))
	t.Cleanup(stream.Close)
	jsonResp := httptest.NewServer(count(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return jsonSrv }, &mcp.StreamableHTTPOptions{JSONResponse: true})))
	t.Cleanup(jsonResp.Close)
	sse := httptest.NewServer(count(mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return sseSrv }, nil)))
	t.Cleanup(sse.Close)

	hdr := map[string]string{"X-Backend-Key": "${BACKEND_KEY:-k-123}"}
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"stream": map[string]any{"type": "http", "url": stream.URL, "headers": hdr},
		"json":   map[string]any{"type": "streamable-http", "url": jsonResp.URL, "headers": hdr},
		"legacy": map[string]any{"type": "sse", "url": sse.URL, "headers": hdr},
		"auto":   map[string]any{"url": sse.URL, "headers": hdr},
	}})
	var progress atomic.Int64
	opts := &mcp.ClientOptions{
		CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "yes"}}, nil
		},
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
			progress.Add(1)
			select {
			case progressSeen <- struct{}{}:
			default:
			}
		},
	}
	cs, _ := connect(t, bins{gateway: gw}, cfg, opts)
	for _, server := range []string{"stream", "json", "legacy", "auto"} {
		t.Run(server, func(t *testing.T) {
			want := map[string]string{"stream": "stream", "json": "json", "legacy": "legacy", "auto": "legacy"}[server]
			params := &mcp.CallToolParams{Name: server + "__echo", Arguments: map[string]any{"message": "over http"}}
			params.SetProgressToken(server)
			before := progress.Load()
			res, err := cs.CallTool(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			if got := textOf(t, res); got != want+": over http" {
				t.Errorf("echo = %q", got)
			}
			// The SDK client handles notifications asynchronously.
			waitFor(t, func() bool { return progress.Load() > before })
			if got := callText(t, cs, server+"__sample", nil); got != want+" sampled: yes" {
				t.Errorf("sample = %q", got)
			}
		})
	}
	if posts.Load() == 0 {
		t.Fatal("no request reached the HTTP servers")
	}
}

// TestRemoteBackendErrors: a remote server that answers errors is
// reported with its status, without leaking the URL's credentials.
func TestRemoteBackendErrors(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream on fire", http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	url := strings.Replace(down.URL, "http://", "http://user:hunter2@", 1) + "/mcp?token=s3cret"
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"down": map[string]any{"type": "http", "url": url},
	}})
	cs, logs := connect(t, bins{gateway: gw}, cfg, nil)
	meta := callText(t, cs, "get_metadata", map[string]any{"server": "down"})
	if !strings.Contains(meta, "500 Internal Server Error: upstream on fire") {
		t.Errorf("metadata does not say why the server is down: %s", meta)
	}
	for _, secret := range []string{"hunter2", "s3cret"} {
		if strings.Contains(meta, secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("%q leaked into the metadata or the log", secret)
		}
	}
}

// TestRemoteSessionExpiry: a streamable HTTP backend forgets the gateway's
// session (it answers 404 to requests carrying the old Mcp-Session-Id, as
// the specification says a server does for a session it ended). The
// gateway must notice, run the initialize handshake again on a new
// session, and take tool calls through it.
//
// What the gateway guarantees: the call that meets the 404 fails at once
// with an error naming the server (today it is not retried), calls made
// while the back session is re-initialised fail the same way, and once
// the new session is up calls succeed again; no DELETE is sent for the
// dead session.
func TestRemoteSessionExpiry(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return remoteServer("exp", nil) }, nil)
	var (
		mu       sync.Mutex
		dead     = map[string]bool{} // session ids answered 404
		lastCall string              // session id of the last tools/call POST that got through
		inits    int                 // initialize requests
		deletes  []string            // session ids of DELETE requests
	)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid := r.Header.Get("Mcp-Session-Id")
		mu.Lock()
		if r.Method == http.MethodDelete {
			deletes = append(deletes, sid)
		}
		if sid != "" && dead[sid] {
			mu.Unlock()
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		mu.Unlock()
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			m, _ := jsonrpc.Parse(body)
			mu.Lock()
			switch {
			case m.Method == "initialize":
				inits++
			case m.Method == "tools/call" && sid != "":
				lastCall = sid
			}
			mu.Unlock()
		}
		sdk.ServeHTTP(w, r)
	}))
	// Closed after the gateway (registered later) has stopped.
	t.Cleanup(backend.Close)
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"exp": map[string]any{"type": "http", "url": backend.URL},
	}})
	cs, logs := connect(t, bins{gateway: gw}, cfg, nil)

	if got := callText(t, cs, "exp__echo", map[string]any{"message": "one"}); got != "exp: one" {
		t.Fatalf("echo = %q", got)
	}
	mu.Lock()
	old, n := lastCall, inits
	dead[old] = true // the switch: from now on the old session is gone
	mu.Unlock()
	if n != 1 || old == "" {
		t.Fatalf("before the expiry: %d initialize requests, tools/call on session %q", n, old)
	}

	call := func(msg string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "exp__echo", Arguments: map[string]any{"message": msg}})
		if err != nil {
			return "", err
		}
		if res.IsError {
			t.Fatalf("tool error: %s", textOf(t, res))
		}
		return textOf(t, res), nil
	}
	// The first call after the expiry meets the 404. Today it fails; a
	// gateway that re-initialised and retried it would be fine too (the
	// second initialize checked below proves the 404 was seen).
	if got, err := call("two"); err == nil {
		if got != "exp: two" {
			t.Errorf("echo = %q", got)
		}
	} else if !strings.Contains(err.Error(), "server exp") {
		t.Errorf("the failed call does not name the server: %v", err)
	} else {
		t.Logf("the call that met the expiry: %v", err)
	}
	// Then the gateway re-initialises; calls fail, naming the server, until
	// the new session is up, and then succeed.
	var got string
	waitFor(t, func() bool {
		var err error
		got, err = call("three")
		if err != nil && !strings.Contains(err.Error(), "server exp") {
			t.Fatalf("a call during re-initialisation failed without naming the server: %v", err)
		}
		return err == nil
	})
	if got != "exp: three" {
		t.Errorf("echo after re-initialisation = %q", got)
	}
	if got := callText(t, cs, "exp__echo", map[string]any{"message": "four"}); got != "exp: four" {
		t.Errorf("echo = %q", got)
	}
	mu.Lock()
	n, last, dels := inits, lastCall, append([]string(nil), deletes...)
	mu.Unlock()
	if n != 2 || last == "" || last == old {
		t.Errorf("after the expiry: %d initialize requests in all, last call on session %q (old %q); want a second initialize and calls on a new session", n, last, old)
	}
	for _, sid := range dels {
		if sid == old {
			t.Error("the gateway sent DELETE for the session the server had already ended")
		}
	}
	if !strings.Contains(logs.String(), "session expired") {
		t.Error("the gateway log does not say the session expired")
	}
}
