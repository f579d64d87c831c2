package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// remoteServer is a Go SDK server whose tools tell which transport served
// them and call back to the client.
func remoteServer(name string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1"}, nil)
	type echoArgs struct {
		Message string `json:"message"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echo"}, func(ctx context.Context, req *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, any, error) {
		if tok := req.Params.GetProgressToken(); tok != nil {
			req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: 1, Total: 1})
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
	streamSrv := remoteServer("stream")
	jsonSrv := remoteServer("json")
	sseSrv := remoteServer("legacy")
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
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress.Add(1) },
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
