package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testredis"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// countingBackend is a streamable HTTP MCP server whose tools count the
// calls that reach them: "lookup" is marked read-only and idempotent (the
// cache takes it by default), "count" is not marked (cached only by a
// rule). Each answers with its call number, so a cached answer shows.
type countingBackend struct {
	srv   *httptest.Server
	calls atomic.Int64
	delay time.Duration
}

func newCountingBackend(t *testing.T, delay time.Duration) *countingBackend {
	cb := &countingBackend{delay: delay}
	s := mcp.NewServer(&mcp.Implementation{Name: "counting", Version: "1"}, nil)
	type args struct {
		Q string `json:"q"`
	}
	answer := func(ctx context.Context, req *mcp.CallToolRequest, a args) (*mcp.CallToolResult, any, error) {
		n := cb.calls.Add(1)
		if cb.delay > 0 {
			time.Sleep(cb.delay)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: a.Q + " #" + strconv.FormatInt(n, 10)}}}, nil, nil
	}
	mcp.AddTool(s, &mcp.Tool{Name: "lookup", Description: "a read", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}}, answer)
	mcp.AddTool(s, &mcp.Tool{Name: "count", Description: "not marked"}, answer)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	cb.srv = httptest.NewServer(h)
	t.Cleanup(cb.srv.Close)
	return cb
}

// The response cache through the binary: a marked tool is answered from
// the cache without reaching the backend, an unmarked one only by a rule;
// another principal never gets a private entry; 50 identical concurrent
// calls make one backend call; the counters are in /metrics.
func TestResponseCache(t *testing.T) {
	b := build(t)
	be := newCountingBackend(t, 300*time.Millisecond)
	const alice, bob = "alice-key-0123456789abcdef", "bob-key-0123456789abcdefgh"
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"c": map[string]any{"type": "http", "url": be.srv.URL}},
		"gateway": map[string]any{
			"auth":  map[string]any{"apiKeys": []map[string]any{{"name": "alice", "key": alice}, {"name": "bob", "key": bob}}},
			"cache": map[string]any{"rules": []map[string]any{{"tools": []string{"c__count"}, "ttl": "1s", "scope": "shared"}}},
		},
	})
	gw := startHTTPGateway(t, b, cfg)
	as, err := connectHTTPAs(t, gw.url, alice)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := connectHTTPAs(t, gw.url, bob)
	if err != nil {
		t.Fatal(err)
	}

	first := callText(t, as, "c__lookup", map[string]any{"q": "a"})
	if got := callText(t, as, "c__lookup", map[string]any{"q": "a"}); got != first {
		t.Errorf("second lookup = %q, want the cached %q", got, first)
	}
	if n := be.calls.Load(); n != 1 {
		t.Errorf("the backend got %d calls for two identical lookups, want 1", n)
	}
	// Private by default: bob's identical call reaches the backend.
	if got := callText(t, bs, "c__lookup", map[string]any{"q": "a"}); got == first {
		t.Errorf("bob got alice's cached result %q", got)
	}
	// Other arguments, another entry.
	if got := callText(t, as, "c__lookup", map[string]any{"q": "b"}); !strings.HasPrefix(got, "b #") {
		t.Errorf("lookup b = %q", got)
	}
	if n := be.calls.Load(); n != 3 {
		t.Errorf("backend calls = %d, want 3", n)
	}

	// A shared rule for an unmarked tool: one backend call for both
	// principals, until the TTL runs out.
	shared := callText(t, as, "c__count", map[string]any{"q": "s"})
	if got := callText(t, bs, "c__count", map[string]any{"q": "s"}); got != shared {
		t.Errorf("bob's count = %q, want the shared entry %q", got, shared)
	}
	before := be.calls.Load()
	waitFor(t, func() bool { return callText(t, as, "c__count", map[string]any{"q": "s"}) != shared })
	if be.calls.Load() == before {
		t.Error("the entry never expired")
	}

	// 50 identical calls at once: one reaches the backend.
	before = be.calls.Load()
	var wg sync.WaitGroup
	results := make([]string, 50)
	for i := range results {
		wg.Go(func() { results[i] = callText(t, as, "c__lookup", map[string]any{"q": "burst"}) })
	}
	wg.Wait()
	if n := be.calls.Load() - before; n != 1 {
		t.Errorf("50 identical concurrent calls made %d backend calls, want 1", n)
	}
	for _, r := range results {
		if r != results[0] {
			t.Fatalf("coalesced calls got different answers: %q and %q", r, results[0])
		}
	}

	resp, err := http.Get(gw.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The burst's calls that arrived while the first was in flight were
	// coalesced, the later ones hits: how many of each depends on timing.
	for _, result := range []string{"hit", "coalesced"} {
		line := `mcp_gateway_cache_lookups_total{result="` + result + `"} `
		i := strings.Index(string(body), line)
		if i < 0 {
			t.Errorf("/metrics lacks %s", line)
			continue
		}
		rest := string(body[i+len(line):])
		if n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, '\n')]); n < 1 {
			t.Errorf("%s%s, want at least 1", line, rest[:strings.IndexByte(rest, '\n')])
		}
	}
}

// Two gateways sharing one Redis share the cache.
func TestResponseCacheInRedis(t *testing.T) {
	b := build(t)
	rs := testredis.Start(t)
	be := newCountingBackend(t, 0)
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"c": map[string]any{"type": "http", "url": be.srv.URL}},
		"gateway": map[string]any{
			"redis": map[string]any{"url": rs.URL()},
			"cache": map[string]any{"rules": []map[string]any{{"tools": []string{"c__count"}, "ttl": "1m", "scope": "shared"}}},
		},
	})
	one, two := startHTTPGateway(t, b, cfg), startHTTPGateway(t, b, cfg)
	connect := func(url string) *mcp.ClientSession {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "cache", Version: "1"}, nil).Connect(context.Background(),
			&mcp.StreamableClientTransport{Endpoint: url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	first := callText(t, connect(one.url), "c__count", map[string]any{"q": "r"})
	if got := callText(t, connect(two.url), "c__count", map[string]any{"q": "r"}); got != first {
		t.Errorf("the second gateway answered %q, want the first one's cached %q", got, first)
	}
	if n := be.calls.Load(); n != 1 {
		t.Errorf("backend calls = %d, want 1 (the second gateway should hit Redis)", n)
	}
}
