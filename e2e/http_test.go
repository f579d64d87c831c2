package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// httpGateway is the gateway binary serving --listen on a free port.
type httpGateway struct {
	url  string // .../mcp
	base string // http://host:port
	logs *testenv.LogBuffer
	done chan error // the process's exit
	sig  func(syscall.Signal)
}

// stop sends sig and waits (30 s at most) for the gateway to exit; it
// returns the exit status, which stays readable from done.
func (g *httpGateway) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	g.sig(sig)
	select {
	case err := <-g.done:
		g.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("the gateway did not exit after %v", sig)
		return nil
	}
}

var servingLine = regexp.MustCompile(`msg="serving MCP over HTTP" url=(http://[^ ]+)/mcp`)

// startHTTPGateway runs the gateway with --listen 127.0.0.1:0 (and args)
// and waits until it serves and is ready.
func startHTTPGateway(t *testing.T, b bins, cfgPath string, args ...string) *httpGateway {
	t.Helper()
	logs := &testenv.LogBuffer{}
	cmd := gatewayCmd(t, b, cfgPath, logs, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
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

// inspectURL runs the MCP Inspector CLI against a URL (…/mcp: streamable
// HTTP, …/sse: legacy SSE) and returns its JSON result.
func inspectURL(t *testing.T, url string, args ...string) map[string]any {
	t.Helper()
	cmd, base := testenv.InspectorCLI(t)
	full := append(append(base, "-q", "--format", "json", url), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, full...).CombinedOutput()
	if err != nil {
		t.Fatalf("inspector %s %v: %v\n%s", url, args, err, out)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("inspector printed non-JSON: %v\n%s", err, out)
	}
	return v
}

// TestInspectorCLIOverHTTP: the Inspector CLI reaches the HTTP front door
// over streamable HTTP and over legacy SSE, fronting an npm server and a
// kitchen.
func TestInspectorCLIOverHTTP(t *testing.T) {
	b := build(t)
	evCmd, evArgs := testenv.NPMServer(t, "server-everything")
	g := startHTTPGateway(t, b, writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"everything": map[string]any{"command": evCmd, "args": evArgs},
		"alpha":      stdioServer(b.kitchen, "-name", "alpha"),
	}}))
	for _, url := range []string{g.url, g.base + "/sse"} {
		sum := inspectURL(t, url, "--method", "tools/call", "--tool-name", "everything__get-sum", "--tool-arg", "a=2", "--tool-arg", "b=40")
		if raw, _ := json.Marshal(sum); !strings.Contains(string(raw), "The sum of 2 and 40 is 42") {
			t.Errorf("%s: get-sum = %s", url, raw)
		}
		echo := inspectURL(t, url, "--method", "tools/call", "--tool-name", "alpha__echo", "--tool-arg", "message=over http")
		if raw, _ := json.Marshal(echo); !strings.Contains(string(raw), "alpha: over http") {
			t.Errorf("%s: echo = %s", url, raw)
		}
		list := inspectURL(t, url, "--method", "resources/list")
		if raw, _ := json.Marshal(list); !strings.Contains(string(raw), "test://alpha/static/1") {
			t.Errorf("%s: resources/list lacks the kitchen's resources: %s", url, raw)
		}
	}
}
