package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/transport"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness runs a gateway in-process with one front session over pipes.
type harness struct {
	t      *testing.T
	g      *Gateway
	client *transport.Stream // the client's end
	done   chan error
	cancel context.CancelFunc
}

func newHarness(t *testing.T, cfgJSON string) *harness {
	t.Helper()
	echo := testenv.BuildBinary(t, "./bench/echoserver")
	cfgJSON = strings.ReplaceAll(cfgJSON, "ECHO", echo)
	cfg, err := config.Parse("test.json", []byte(cfgJSON), func(string) (string, bool) { return "", false }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Options{Config: cfg, Log: quiet, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	cr, gw := io.Pipe() // gateway → client
	gr, cw := io.Pipe() // client → gateway
	front := transport.NewStream(gr, gw, func() error { gw.Close(); return gr.Close() }, 0)
	h := &harness{
		t: t, g: g, cancel: cancel, done: make(chan error, 1),
		client: transport.NewStream(cr, cw, func() error { cw.Close(); return cr.Close() }, 0),
	}
	f := g.NewFront(front, plugin.Identity{Principal: "local"})
	go func() { h.done <- f.Serve(ctx) }()
	return h
}

func (h *harness) close() {
	h.client.Close()
	<-h.done
	h.cancel()
	h.g.Close()
}

func (h *harness) send(s string) {
	h.t.Helper()
	if err := h.client.Write([]byte(s)); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) recv() jsonrpc.Message {
	h.t.Helper()
	type r struct {
		b   []byte
		err error
	}
	c := make(chan r, 1)
	go func() { b, err := h.client.Read(); c <- r{b, err} }()
	select {
	case got := <-c:
		if got.err != nil {
			h.t.Fatalf("read: %v", got.err)
		}
		m, err := jsonrpc.Parse(got.b)
		if err != nil {
			h.t.Fatalf("gateway wrote malformed %q: %v", got.b, err)
		}
		return m
	case <-time.After(30 * time.Second):
		h.t.Fatal("no message from the gateway in 30s")
	}
	return jsonrpc.Message{}
}

func (h *harness) initialize() {
	h.t.Helper()
	h.send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	m := h.recv()
	if m.Error != nil {
		h.t.Fatalf("initialize: %s", m.Error)
	}
	if v, _ := jsonrpc.Get(m.Result, "protocolVersion"); string(v) != `"2025-06-18"` {
		h.t.Errorf("negotiated %s, want the client's 2025-06-18", v)
	}
	h.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// TestWire checks exact wire behaviour: ids of any JSON type come back
// unchanged, names are rewritten both ways, and errors carry the right
// codes and actionable messages.
func TestWire(t *testing.T) {
	h := newHarness(t, `{"mcpServers":{"a":{"command":"ECHO","args":["-tools","3"]},"b":{"command":"ECHO","prefix":""}}}`)
	defer h.close()
	h.initialize()
	tests := []struct {
		name, req, want string
	}{
		{"string id and prefixed tool",
			`{"jsonrpc":"2.0","id":"req-α","method":"tools/call","params":{"name":"a__echo","arguments":{"message":"hi"}}}`,
			`{"jsonrpc":"2.0","id":"req-α","result":{"content":[{"type":"text","text":"hi"}]}}`},
		{"large numeric id and unprefixed tool",
			`{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"echo","arguments":{"message":"b"}}}`,
			`{"jsonrpc":"2.0","id":9007199254740993,"result":{"content":[{"type":"text","text":"b"}]}}`},
		{"unknown tool",
			`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope","arguments":{}}}`,
			`{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"unknown tool \"nope\": it is not in this gateway's tools/list (names are <server>__<tool>)"}}`},
		{"case-smuggled name",
			`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"a__echo","Name":"b__x"}}`,
			`{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"params: key \"Name\" differs from \"name\" only by case; keys are case-sensitive"}}`},
		{"unknown method",
			`{"jsonrpc":"2.0","id":5,"method":"sampling/createMessage","params":{}}`,
			`{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"method \"sampling/createMessage\" is not supported by the gateway"}}`},
		{"ping",
			`{"jsonrpc":"2.0","id":6,"method":"ping"}`,
			`{"jsonrpc":"2.0","id":6,"result":{}}`},
		{"malformed JSON (the id was readable, so it is echoed)",
			`{"jsonrpc":"2.0","id":7,"method":`,
			`{"jsonrpc":"2.0","id":7,"error":{"code":-32700,"message":"malformed message: invalid JSON at byte 33: unexpected end of input, expected a value"}}`},
		{"not JSON at all",
			`hello`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"malformed message: invalid JSON at byte 0: expected a JSON object, got 'h'"}}`},
		{"bad cursor",
			`{"jsonrpc":"2.0","id":8,"method":"tools/list","params":{"cursor":"xyz"}}`,
			`{"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"tools/list: invalid cursor \"xyz\": not one this gateway issued, or the list changed; list again from the start"}}`},
	}
	for _, tt := range tests {
		h.send(tt.req)
		if got := string(h.recv().Raw); got != tt.want {
			t.Errorf("%s:\n got  %s\n want %s", tt.name, got, tt.want)
		}
	}
}

// TestConcurrentCallsAcrossBackends sends many interleaved calls; each
// answer must carry its own request's id and payload.
func TestConcurrentCallsAcrossBackends(t *testing.T) {
	h := newHarness(t, `{"mcpServers":{"a":{"command":"ECHO"},"b":{"command":"ECHO"}}}`)
	defer h.close()
	h.initialize()
	const n = 200
	for i := range n {
		server := []string{"a", "b"}[i%2]
		h.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s__echo","arguments":{"message":"m%d"}}}`, i, server, i))
	}
	seen := map[string]bool{}
	for range n {
		m := h.recv()
		want := fmt.Sprintf(`{"content":[{"type":"text","text":"m%s"}]}`, m.ID)
		if string(m.Result) != want {
			t.Fatalf("id %s got %s, want %s", m.ID, m.Result, want)
		}
		seen[string(m.ID)] = true
	}
	if len(seen) != n {
		t.Fatalf("got %d distinct answers, want %d", len(seen), n)
	}
}

// TestNoGoroutineLeak: after a session and the gateway are closed, the
// goroutines they started are gone.
func TestNoGoroutineLeak(t *testing.T) {
	testenv.BuildBinary(t, "./bench/echoserver") // outside the measured window
	before := runtime.NumGoroutine()
	h := newHarness(t, `{"mcpServers":{"a":{"command":"ECHO"}}}`)
	h.initialize()
	h.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__echo","arguments":{"message":"x"}}}`)
	h.recv()
	h.close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInitializeResultUnionsCapabilities(t *testing.T) {
	got := map[string]any{"tools": map[string]any{}}
	mergeCaps(got, map[string]any{"resources": map[string]any{"subscribe": false}, "logging": map[string]any{}})
	mergeCaps(got, map[string]any{"resources": map[string]any{"subscribe": true, "listChanged": false}, "experimental": map[string]any{"x": 1.0}})
	want := fmt.Sprint(map[string]any{
		"tools":        map[string]any{},
		"resources":    map[string]any{"subscribe": true, "listChanged": false},
		"logging":      map[string]any{},
		"experimental": map[string]any{"x": 1.0},
	})
	if fmt.Sprint(got) != want {
		t.Errorf("merged = %v, want %v", got, want)
	}
}
