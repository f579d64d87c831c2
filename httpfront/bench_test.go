package httpfront

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/httpserve"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// The benchmarks run a proxied tools/call in one process: a raw client,
// the front door and a minimal streamable HTTP backend, all on loopback
// httptest servers. ns/op and allocs/op are those of all three; the
// Direct variants give the client's and the backend's share.
//
//	go test -run '^$' -bench ProxiedCall -benchmem ./httpfront

// benchBackend is a minimal streamable HTTP MCP server with one tool,
// echo, answering every request as application/json (sse: false) or as
// an event stream of one event (sse: true).
type benchBackend struct {
	sse  bool
	next atomic.Int64
}

func (bb *benchBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, _ := io.ReadAll(r.Body)
	m, err := jsonrpc.Parse(body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if m.Kind != jsonrpc.KindRequest {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	var res []byte
	switch m.Method {
	case "initialize":
		w.Header().Set("Mcp-Session-Id", "s"+strconv.FormatInt(bb.next.Add(1), 10))
		res = []byte(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"bench","version":"1"}}`)
	case "tools/list":
		res = []byte(`{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}`)
	case "tools/call":
		res = []byte(`{"content":[{"type":"text","text":"hello"}]}`)
	default:
		res = []byte(`{}`)
	}
	msg := jsonrpc.AppendResult(nil, m.ID, res)
	if bb.sse {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: message\ndata: %s\n\n", msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(msg)
}

// benchDoor starts a backend and a gateway's front door before it.
func benchDoor(b *testing.B, sse bool) (front, back string) {
	be := httptest.NewServer(&benchBackend{sse: sse})
	b.Cleanup(be.Close)
	raw, _ := json.Marshal(map[string]any{"mcpServers": map[string]any{"echo": map[string]any{"type": "http", "url": be.URL + "/mcp"}}})
	cfg, err := config.Parse("bench.json", raw, func(string) (string, bool) { return "", false }, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := gateway.New(gateway.Options{Config: cfg, Log: log, Version: "bench", MultiClient: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	h := New(Options{Gateway: g, Log: log, Loopback: true})
	// The front door as the command serves it: httpserve's fast path for
	// the POSTs, net/http for the rest.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &httpserve.Server{HTTP: &http.Server{Handler: h}, Fast: FastPath, Log: log}
	go srv.Serve(ln)
	b.Cleanup(func() {
		srv.Close()
		h.Close()
		cancel()
		g.Close()
	})
	select {
	case <-g.Ready():
	case <-time.After(10 * time.Second):
		b.Fatal("the gateway did not get ready")
	}
	return "http://" + ln.Addr().String() + "/mcp", be.URL + "/mcp"
}

// benchClient is a raw streamable HTTP client session.
type benchClient struct {
	hc   *http.Client
	url  string
	sid  []string
	next int64
	req  []byte
	resp bytes.Buffer
}

var (
	benchJSON    = []string{"application/json"}
	benchAccept  = []string{"application/json, text/event-stream"}
	benchVersion = []string{"2025-11-25"}
)

func (c *benchClient) post(b *testing.B, body []byte) *http.Response {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header["Content-Type"] = benchJSON
	req.Header["Accept"] = benchAccept
	if c.sid != nil {
		req.Header["Mcp-Session-Id"] = c.sid
		req.Header["Mcp-Protocol-Version"] = benchVersion
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	return resp
}

func (c *benchClient) call(b *testing.B, method, params string) {
	c.next++
	c.req = jsonrpc.AppendRequest(c.req[:0], strconv.AppendInt(nil, c.next, 10), method, []byte(params))
	resp := c.post(b, c.req)
	c.resp.Reset()
	c.resp.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %s: %s", method, resp.Status, c.resp.Bytes())
	}
	if method == "initialize" {
		c.sid = []string{resp.Header.Get("Mcp-Session-Id")}
	}
	if !bytes.Contains(c.resp.Bytes(), []byte(`"result"`)) {
		b.Fatalf("%s: %s", method, c.resp.Bytes())
	}
}

func newBenchClient(b *testing.B, hc *http.Client, url string) *benchClient {
	c := &benchClient{hc: hc, url: url}
	c.call(b, "initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}`)
	resp := c.post(b, jsonrpc.AppendNotification(nil, "notifications/initialized", nil))
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

func benchCalls(b *testing.B, url, tool string, parallel bool) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	defer hc.CloseIdleConnections()
	params := `{"name":"` + tool + `","arguments":{"message":"hello"}}`
	if !parallel {
		c := newBenchClient(b, hc, url)
		c.call(b, "tools/call", params) // opens the back session
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			c.call(b, "tools/call", params)
		}
		return
	}
	b.ReportAllocs()
	b.SetParallelism(4) // with GOMAXPROCS 2: 8 sessions calling at once
	b.RunParallel(func(pb *testing.PB) {
		c := newBenchClient(b, hc, url)
		c.call(b, "tools/call", params)
		for pb.Next() {
			c.call(b, "tools/call", params)
		}
	})
}

func BenchmarkProxiedCall(b *testing.B) {
	for _, sse := range []bool{false, true} {
		answer := "json"
		if sse {
			answer = "sse"
		}
		for _, parallel := range []bool{false, true} {
			sessions := "1"
			if parallel {
				sessions = "many"
			}
			b.Run(fmt.Sprintf("backend=%s/sessions=%s/gateway", answer, sessions), func(b *testing.B) {
				front, _ := benchDoor(b, sse)
				benchCalls(b, front, "echo__echo", parallel)
			})
			b.Run(fmt.Sprintf("backend=%s/sessions=%s/direct", answer, sessions), func(b *testing.B) {
				be := httptest.NewServer(&benchBackend{sse: sse})
				defer be.Close()
				benchCalls(b, be.URL+"/mcp", "echo", parallel)
			})
		}
	}
}
