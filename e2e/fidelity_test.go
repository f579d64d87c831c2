package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/internal/testservers/raw/rawdata"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// TestByteFidelity: unknown fields, _meta and an unusual schema reach the
// client byte for byte; only the tool's name is rewritten.
func TestByteFidelity(t *testing.T) {
	b := bins{gateway: testenv.BuildBinary(t, "./cmd/mcp-gateway")}
	raw := testenv.BuildBinary(t, "./internal/testservers/raw")
	rc := startRaw(t, b, writeConfig(t, map[string]any{"mcpServers": map[string]any{"r": stdioServer(raw, "-name", "r")}}))
	rc.initialize()

	rc.send(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	list := rc.await("1", nil)
	want := strings.Replace(rawdata.FidelityTool, `"name":"fidelity"`, `"name":"r__fidelity"`, 1)
	if !bytes.Contains(list.Result, []byte(want)) {
		t.Errorf("tools/list does not carry the tool byte for byte.\nwant %s\nin   %s", want, list.Result)
	}
	rc.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"r__fidelity","arguments":{"z":1.0e+2},"_meta":{"x-client":"keep"}}}`)
	if got := rc.await("2", nil); string(got.Result) != rawdata.FidelityResult {
		t.Errorf("tools/call result changed.\ngot  %s\nwant %s", got.Result, rawdata.FidelityResult)
	}
}

// TestServerToClientIDCollisions: two backends use the same ids for their
// sampling requests at the same time; each request must reach the client
// and each answer must return to the backend that asked.
func TestServerToClientIDCollisions(t *testing.T) {
	b := bins{gateway: testenv.BuildBinary(t, "./cmd/mcp-gateway")}
	raw := testenv.BuildBinary(t, "./internal/testservers/raw")
	rc := startRaw(t, b, writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"a": stdioServer(raw, "-name", "a", "-ask-id", "0"),
		"b": stdioServer(raw, "-name", "b", "-ask-id", "0"),
	}}))
	rc.initialize()

	const n = 40
	for i := range n {
		server := []string{"a", "b"}[i%2]
		rc.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"call-%d","method":"tools/call","params":{"name":"%s__ask","arguments":{"question":"q%d"}}}`, i, server, i))
	}
	// Answer every sampling request with its question and the asker the
	// request carries; collect the tool results.
	results := map[string]string{}
	frontIDs := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for len(results) < n && time.Now().Before(deadline) {
		m := rc.next(time.Until(deadline))
		switch {
		case m.Kind == jsonrpc.KindRequest && m.Method == "sampling/createMessage":
			if frontIDs[string(m.ID)] {
				t.Fatalf("the gateway reused id %s for two requests in flight", m.ID)
			}
			frontIDs[string(m.ID)] = true
			msgs, _ := jsonrpc.Get(m.Params, "messages")
			els, _ := jsonrpc.Elements(msgs)
			content, _ := jsonrpc.Get(els[0], "content")
			q, _ := jsonrpc.Get(content, "text")
			qs, _ := jsonrpc.String(q)
			// An answer passed to the wrong backend would complete that
			// backend's call of the same id with another call's question.
			rc.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"answer to %s"}}}`, m.ID, qs))
		case m.Kind == jsonrpc.KindResponse:
			content, _ := jsonrpc.Get(m.Result, "content")
			els, _ := jsonrpc.Elements(content)
			text, _ := jsonrpc.Get(els[0], "text")
			s, _ := jsonrpc.String(text)
			results[string(m.ID)] = s
		}
	}
	if len(results) != n {
		t.Fatalf("got %d of %d results", len(results), n)
	}
	for i := range n {
		server := []string{"a", "b"}[i%2]
		want := fmt.Sprintf("%s got: answer to q%d", server, i)
		if got := results[fmt.Sprintf(`"call-%d"`, i)]; got != want {
			t.Errorf("call-%d = %q, want %q", i, got, want)
		}
	}
}
