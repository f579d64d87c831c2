// Package e2e drives the real mcp-gateway binary with real clients (the
// official Go SDK client, a raw JSON-RPC client, the MCP Inspector CLI)
// against real servers (our Go test servers and pinned npm servers).
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bins holds the binaries the tests run.
type bins struct {
	gateway, kitchen, raw string
}

func build(t *testing.T) bins {
	t.Helper()
	return bins{
		gateway: testenv.BuildBinary(t, "./cmd/mcp-gateway"),
		kitchen: testenv.BuildBinary(t, "./internal/testservers/kitchen"),
		raw:     testenv.BuildBinary(t, "./internal/testservers/raw"),
	}
}

// writeConfig writes v (a JSON-marshalable value or a string) to a temp
// mcp.json and returns its path.
func writeConfig(t *testing.T, v any) string {
	t.Helper()
	var b []byte
	switch c := v.(type) {
	case string:
		b = []byte(c)
	default:
		var err error
		if b, err = json.MarshalIndent(v, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "mcp.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// stdioServer is a config entry for a stdio server.
func stdioServer(cmd string, args ...string) map[string]any {
	if args == nil {
		args = []string{}
	}
	return map[string]any{"command": cmd, "args": args}
}

// gatewayCmd returns the command that runs the gateway on cfgPath.
func gatewayCmd(t *testing.T, b bins, cfgPath string, logs io.Writer, args ...string) *exec.Cmd {
	cmd := exec.Command(b.gateway, append([]string{"--mcp-json-path", cfgPath, "--log-level", "debug"}, args...)...)
	cmd.Stderr = logs
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir())
	return cmd
}

// connect starts the gateway and connects the Go SDK client to it,
// negotiating 2025-11-25.
func connect(t *testing.T, b bins, cfgPath string, opts *mcp.ClientOptions, roots ...*mcp.Root) (*mcp.ClientSession, *testenv.LogBuffer) {
	t.Helper()
	return connectWith(t, b, cfgPath, opts, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"}, roots...)
}

// connectWith is connect with explicit session options (nil: the SDK's
// defaults, which try the 2026-07-28 server/discover first).
func connectWith(t *testing.T, b bins, cfgPath string, opts *mcp.ClientOptions, so *mcp.ClientSessionOptions, roots ...*mcp.Root) (*mcp.ClientSession, *testenv.LogBuffer) {
	t.Helper()
	logs := &testenv.LogBuffer{}
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-client", Version: "1.0"}, opts)
	if len(roots) > 0 {
		client.AddRoots(roots...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: gatewayCmd(t, b, cfgPath, logs)}, so)
	if err != nil {
		t.Fatalf("connect to gateway: %v\ngateway log:\n%s", err, logs)
	}
	t.Cleanup(func() {
		cs.Close()
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	return cs, logs
}

func textOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("call %s: tool error: %s", name, textOf(t, res))
	}
	return textOf(t, res)
}

// rawClient speaks newline-delimited JSON-RPC to a gateway process, so that
// tests can see exact bytes.
type rawClient struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	logs *testenv.LogBuffer
	msgs chan []byte
}

func startRaw(t *testing.T, b bins, cfgPath string, args ...string) *rawClient {
	t.Helper()
	logs := &testenv.LogBuffer{}
	cmd := gatewayCmd(t, b, cfgPath, logs, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{t: t, cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), logs: logs, msgs: make(chan []byte, 1024)}
	go func() {
		defer close(rc.msgs)
		for {
			line, err := rc.out.ReadBytes('\n')
			if len(line) > 0 {
				rc.msgs <- []byte(strings.TrimRight(string(line), "\r\n"))
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	return rc
}

func (rc *rawClient) send(msg string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.in, msg+"\n"); err != nil {
		rc.t.Fatalf("write to gateway: %v", err)
	}
}

// next returns the next message from the gateway.
func (rc *rawClient) next(timeout time.Duration) jsonrpc.Message {
	rc.t.Helper()
	select {
	case b, ok := <-rc.msgs:
		if !ok {
			rc.t.Fatalf("gateway closed stdout\nlog:\n%s", rc.logs)
		}
		m, err := jsonrpc.Parse(b)
		if err != nil {
			rc.t.Fatalf("gateway wrote a malformed message %q: %v", b, err)
		}
		return m
	case <-time.After(timeout):
		rc.t.Fatalf("no message from the gateway within %s\nlog:\n%s", timeout, rc.logs)
	}
	return jsonrpc.Message{}
}

// await returns the response with the given raw id, passing any other
// message to other (which may be nil).
func (rc *rawClient) await(id string, other func(jsonrpc.Message)) jsonrpc.Message {
	rc.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		m := rc.next(time.Until(deadline))
		if m.Kind == jsonrpc.KindResponse && string(m.ID) == id {
			return m
		}
		if other != nil {
			other(m)
		}
	}
	rc.t.Fatalf("no response with id %s", id)
	return jsonrpc.Message{}
}

func (rc *rawClient) initialize() {
	rc.t.Helper()
	rc.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"sampling":{},"roots":{}},"clientInfo":{"name":"raw","version":"1"}}}`)
	m := rc.await(`"init"`, nil)
	if m.Error != nil {
		rc.t.Fatalf("initialize failed: %s", m.Error)
	}
	rc.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

func mustJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

func fmtArgs(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// waitFor polls cond until it holds, failing the test after 20s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
