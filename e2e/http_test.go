package e2e

import (
	"context"
	"net/http"
	"regexp"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// httpGateway is the gateway binary serving --listen on a free port.
type httpGateway struct {
	url  string // .../mcp
	base string // http://host:port
	logs *logBuffer
	done chan error // the process's exit
	sig  func(syscall.Signal)
}

var servingLine = regexp.MustCompile(`msg="serving MCP over HTTP" url=(http://[^ ]+)/mcp`)

// startHTTPGateway runs the gateway with --listen 127.0.0.1:0 and waits
// until it serves and is ready.
func startHTTPGateway(t *testing.T, b bins, cfgPath string) *httpGateway {
	t.Helper()
	logs := &logBuffer{}
	cmd := gatewayCmd(t, b, cfgPath, logs, "--listen", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &httpGateway{logs: logs, done: make(chan error, 1), sig: func(s syscall.Signal) { cmd.Process.Signal(s) }}
	go func() { g.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-g.done
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	waitFor(t, func() bool {
		m := servingLine.FindStringSubmatch(logs.String())
		if m != nil {
			g.base, g.url = m[1], m[1]+"/mcp"
		}
		return m != nil
	})
	waitFor(t, func() bool {
		resp, err := http.Get(g.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return g
}

// TestHTTPGracefulShutdown: on SIGTERM the HTTP front door stops taking
// new sessions but lets the call in flight finish, then exits cleanly.
func TestHTTPGracefulShutdown(t *testing.T) {
	b := build(t)
	g := startHTTPGateway(t, b, writeConfig(t, twoKitchens(b)))
	var progressed atomic.Int32
	client := mcp.NewClient(&mcp.Implementation{Name: "drain-test", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progressed.Add(1) },
	})
	for _, era := range clientEras {
		t.Run("client-"+era, func(t *testing.T) {
			cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: g.url}, &mcp.ClientSessionOptions{ProtocolVersion: era})
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if got := callText(t, cs, "alpha__echo", map[string]any{"message": "over http"}); got != "alpha: over http" {
				t.Errorf("echo = %q", got)
			}
		})
	}
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: g.url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	params := &mcp.CallToolParams{Name: "alpha__slow", Arguments: map[string]any{"steps": 10, "delayMs": 50}}
	params.SetProgressToken("drain")
	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	out := make(chan outcome, 1)
	go func() { res, err := cs.CallTool(context.Background(), params); out <- outcome{res, err} }()
	waitFor(t, func() bool { return progressed.Load() > 0 })
	g.sig(syscall.SIGTERM)
	// While it drains, /readyz says so and no new session is opened.
	waitFor(t, func() bool {
		resp, err := http.Get(g.base + "/readyz")
		if err != nil {
			return true // already closed its listener
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	select {
	case o := <-out:
		if o.err != nil {
			t.Fatalf("the call in flight failed during the drain: %v", o.err)
		}
		if got := o.res.Content[0].(*mcp.TextContent).Text; got != "done 10" {
			t.Errorf("slow = %q, want done 10", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the call in flight never finished")
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("gateway exit after SIGTERM: %v", err)
		}
		g.done <- err // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not exit after draining")
	}
}
