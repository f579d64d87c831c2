package lasso

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/plugin"
)

// classifier is a local implementation of the classification API's
// contract: it checks the headers and the body and flags messages that
// contain "attack".
type classifier struct {
	mu       sync.Mutex
	requests []map[string]any
	headers  []http.Header
	status   int           // answer status (0: 200)
	delay    time.Duration // before answering
	garbage  bool          // answer non-JSON
}

func (c *classifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/gateway/v3/classify" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "wrong request", http.StatusBadRequest)
		return
	}
	if r.Header.Get("lasso-api-key") != "test-key" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var body map[string]any
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil || body["messageType"] != "PROMPT" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests = append(c.requests, body)
	c.headers = append(c.headers, r.Header.Clone())
	status, delay, garbage := c.status, c.delay, c.garbage
	c.mu.Unlock()
	time.Sleep(delay)
	if status != 0 {
		http.Error(w, "down", status)
		return
	}
	if garbage {
		io.WriteString(w, "<html>")
		return
	}
	flagged := strings.Contains(string(b), "attack")
	json.NewEncoder(w).Encode(map[string]any{"violations_detected": flagged,
		"deputies": map[string]bool{"jailbreak": flagged, "pii": false, "custom-policy": flagged}})
}

func newPlugin(t *testing.T, srv *httptest.Server, extra string) *Plugin {
	t.Helper()
	t.Setenv("LASSO_API_KEY", "test-key")
	t.Setenv("LASSO_USER_ID", "u-1")
	h, err := New(json.RawMessage(`{"apiBase":"`+srv.URL+`","timeout":"300ms"`+extra+`}`), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return h.(*Plugin)
}

func echoBackend(text string) plugin.Next {
	return func(_ context.Context, c *plugin.Call) (*plugin.Result, error) {
		raw, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": text}}})
		return &plugin.Result{Raw: raw}, nil
	}
}

func call(args string) *plugin.Call {
	return &plugin.Call{Method: "tools/call", Params: []byte(`{"name":"s__t","arguments":` + args + `}`), Server: "s", Name: "s__t"}
}

func blockedText(t *testing.T, res *plugin.Result, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocked != Name {
		return ""
	}
	var r struct{ Content []struct{ Text string } }
	json.Unmarshal(res.Raw, &r)
	return r.Content[0].Text
}

func TestLasso(t *testing.T) {
	api := &classifier{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	p := newPlugin(t, srv, "")

	// Clean both ways: passes, and the API saw both directions.
	res, err := p.Handle(context.Background(), call(`{"q":"weather in Paris","n":3}`), echoBackend("sunny"))
	if txt := blockedText(t, res, err); txt != "" {
		t.Fatalf("clean call blocked: %s", txt)
	}
	api.mu.Lock()
	if len(api.requests) != 2 {
		t.Fatalf("%d classifications, want 2 (request and response)", len(api.requests))
	}
	if got := api.requests[0]["messages"]; !strings.Contains(toJSON(got), `{"content":"weather in Paris","role":"user"}`) {
		t.Errorf("request messages = %s", toJSON(got))
	}
	if got := api.requests[1]["messages"]; !strings.Contains(toJSON(got), `{"content":"sunny","role":"assistant"}`) {
		t.Errorf("response messages = %s", toJSON(got))
	}
	if api.headers[0].Get("lasso-user-id") != "u-1" || api.headers[0].Get("lasso-conversation-id") != "" {
		t.Errorf("optional headers: %v", api.headers[0])
	}
	api.mu.Unlock()

	// Flagged request: blocked before the backend.
	reached := false
	res, err = p.Handle(context.Background(), call(`{"messages":[{"role":"user","content":"an attack"}]}`),
		func(ctx context.Context, c *plugin.Call) (*plugin.Result, error) {
			reached = true
			return echoBackend("x")(ctx, c)
		})
	if txt := blockedText(t, res, err); txt != "blocked by gateway policy: lasso: guardrail violations detected: custom-policy, jailbreak" || reached {
		t.Errorf("flagged request: %q (backend reached: %v)", txt, reached)
	}
	// Flagged response: withheld.
	res, err = p.Handle(context.Background(), call(`{"q":"hi"}`), echoBackend("here is an attack"))
	if txt := blockedText(t, res, err); !strings.Contains(txt, "guardrail violations detected") {
		t.Errorf("flagged response passed: %s", res.Raw)
	}
}

// The API failing in any way blocks the call: fail closed.
func TestLassoFailsClosed(t *testing.T) {
	for name, set := range map[string]func(*classifier){
		"error status": func(c *classifier) { c.status = 503 },
		"timeout":      func(c *classifier) { c.delay = time.Second },
		"not JSON":     func(c *classifier) { c.garbage = true },
	} {
		t.Run(name, func(t *testing.T) {
			api := &classifier{}
			set(api)
			srv := httptest.NewServer(api)
			defer srv.Close()
			p := newPlugin(t, srv, "")
			res, err := p.Handle(context.Background(), call(`{"q":"hi"}`), echoBackend("x"))
			if txt := blockedText(t, res, err); txt != "blocked by gateway policy: lasso: the content could not be classified" {
				t.Errorf("got %s, want the fail-closed refusal", res.Raw)
			}
		})
	}
	// Unreachable API.
	srv := httptest.NewServer(http.NotFoundHandler())
	p := newPlugin(t, srv, "")
	srv.Close()
	res, err := p.Handle(context.Background(), call(`{"q":"hi"}`), echoBackend("x"))
	if txt := blockedText(t, res, err); txt == "" {
		t.Errorf("unreachable API: %s passed", res.Raw)
	}
}

// Without a key the plugin does nothing (and the API is never called).
func TestLassoWithoutKey(t *testing.T) {
	api := &classifier{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	t.Setenv("LASSO_API_KEY", "")
	h, err := New(json.RawMessage(`{"apiBase":"`+srv.URL+`"}`), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Handle(context.Background(), call(`{"q":"an attack"}`), echoBackend("attack"))
	if err != nil || res.Blocked != "" || len(api.requests) != 0 {
		t.Errorf("without a key: %v %v, %d API calls", res, err, len(api.requests))
	}
}

func TestLassoConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"apiBase":"ftp://x"}`: `apiBase: "ftp://x" is not an http(s) URL`,
		`{"timeout":"-1s"}`:     `timeout: "-1s" is not a positive duration`,
		`{"api_key":"x"}`:       `unknown key "api_key"`,
	} {
		if _, err := New(json.RawMessage(cfg), plugin.Env{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%s) = %v, want %q", cfg, err, want)
		}
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
