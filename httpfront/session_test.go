package httpfront

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/plugin"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// rawPost posts one message; hdr values replace headers ("" deletes).
func rawPost(t *testing.T, url, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// rawSession initializes a session and returns its id.
func rawSession(t *testing.T, url string, hdr map[string]string) string {
	t.Helper()
	resp := rawPost(t, url, initBody, hdr)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("initialize: status %d, session %q", resp.StatusCode, sid)
	}
	h := map[string]string{"Mcp-Session-Id": sid}
	for k, v := range hdr {
		h[k] = v
	}
	r2 := rawPost(t, url, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, h)
	r2.Body.Close()
	if r2.StatusCode != http.StatusAccepted {
		t.Fatalf("initialized: status %d, want 202", r2.StatusCode)
	}
	return sid
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIdleSessionsExpire(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), func(o *Options) { o.SessionIdleTimeout = 50 * time.Millisecond })
	sid := rawSession(t, fd.url, nil)
	waitUntil(t, "idle session closed", func() bool { return fd.h.Sessions() == 0 })
	resp := rawPost(t, fd.url, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": sid})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("expired session: status %d, want 404", resp.StatusCode)
	}
}

func TestSessionLimit(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), func(o *Options) { o.MaxSessions = 2 })
	rawSession(t, fd.url, nil)
	rawSession(t, fd.url, nil)
	resp := rawPost(t, fd.url, initBody, nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "too many sessions (limit 2)") {
		t.Errorf("third session: %d %s", resp.StatusCode, b)
	}
}

// TestSessionBoundToPrincipal: a session id is useless to another caller.
func TestSessionBoundToPrincipal(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), func(o *Options) {
		o.Authenticate = func(r *http.Request) (plugin.Identity, error) {
			if u := r.Header.Get("X-User"); u != "" {
				return plugin.Identity{Principal: u}, nil
			}
			return plugin.Identity{}, errors.New("who are you?")
		}
	})
	sid := rawSession(t, fd.url, map[string]string{"X-User": "alice"})
	for _, c := range []struct {
		user   string
		status int
	}{{"bob", http.StatusNotFound}, {"", http.StatusUnauthorized}, {"alice", http.StatusOK}} {
		resp := rawPost(t, fd.url, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": sid, "X-User": c.user})
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("user %q: status %d, want %d", c.user, resp.StatusCode, c.status)
		}
	}
}

// sseEvent is one event read from a stream.
type sseEvent struct{ id, data string }

func readEvent(t *testing.T, br *bufio.Reader) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[6:]
		}
	}
}

// TestResumeAfterDisconnect: a client that loses a POST's event stream in
// the middle of a call reconnects with Last-Event-ID and gets the rest,
// the answer included, exactly once.
func TestResumeAfterDisconnect(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), nil)
	sid := rawSession(t, fd.url, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fd.url, strings.NewReader(
		`{"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{"name":"alpha__slow","arguments":{"steps":6,"delayMs":40},"_meta":{"progressToken":"pt"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", sid)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("a call with progress was answered as %q, want an event stream", ct)
	}
	br := bufio.NewReader(resp.Body)
	first := readEvent(t, br)
	if !strings.Contains(first.data, `"progressToken":"pt"`) || first.id == "" {
		t.Fatalf("first event = %+v, want progress with an id", first)
	}
	cancel() // the connection drops
	resp.Body.Close()

	get, _ := http.NewRequest(http.MethodGet, fd.url, nil)
	get.Header.Set("Accept", "text/event-stream")
	get.Header.Set("Mcp-Session-Id", sid)
	get.Header.Set("Last-Event-ID", first.id)
	r2, err := http.DefaultClient.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	if r2.StatusCode != 200 {
		b, _ := io.ReadAll(r2.Body)
		t.Fatalf("resume: %d %s", r2.StatusCode, b)
	}
	br = bufio.NewReader(r2.Body)
	seen := map[string]bool{first.id: true}
	progress := 1
	for {
		ev := readEvent(t, br)
		if seen[ev.id] {
			t.Fatalf("event %s delivered twice", ev.id)
		}
		seen[ev.id] = true
		if strings.Contains(ev.data, `"id":"slow-1"`) {
			if !strings.Contains(ev.data, `done 6`) {
				t.Errorf("answer = %s", ev.data)
			}
			break
		}
		progress++
	}
	if progress != 6 {
		t.Errorf("%d progress notifications across both connections, want 6", progress)
	}
}

// TestModernHeaderChecks: a 2026-07-28 request's headers must agree with
// its body; each disagreement gets its own error, and the revision's HTTP
// status.
func TestModernHeaderChecks(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), nil)
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"alpha__echo","arguments":{"message":"hi"},` + meta + `}}`
	good := map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "alpha__echo"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for a, b := range good {
			h[a] = b
		}
		h[k] = v
		return h
	}
	cases := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		want   string
	}{
		{"consistent", call, good, 200, `"text":"alpha: hi"`},
		{"method mismatch", call, with("Mcp-Method", "tools/list"), 400, `"code":-32020`},
		{"method missing", call, with("Mcp-Method", ""), 400, "missing required Mcp-Method header"},
		{"name mismatch", call, with("Mcp-Name", "alpha__crash"), 400, `does not match body value \"alpha__echo\"`},
		{"name missing", call, with("Mcp-Name", ""), 400, "missing required Mcp-Name header"},
		{"name base64", call, with("Mcp-Name", "=?base64?YWxwaGFfX2VjaG8=?="), 200, `"text":"alpha: hi"`},
		{"version mismatch", call, with("MCP-Protocol-Version", "v999.0.0"), 400, `"code":-32020`},
		{"version unsupported", strings.ReplaceAll(call, `"2026-07-28"`, `"v999.0.0"`), with("MCP-Protocol-Version", "v999.0.0"), 400, `"code":-32022`},
		{"no _meta", `{"jsonrpc":"2.0","id":8,"method":"tools/list"}`, map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}, 400, `"code":-32602`},
		{"removed method", `{"jsonrpc":"2.0","id":9,"method":"ping","params":{` + meta + `}}`, map[string]string{"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "ping"}, 404, `"code":-32601`},
		{"case-smuggled name", `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"alpha__echo","Name":"alpha__crash",` + meta + `}}`, good, 400, `differs from \"name\" only by case`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := rawPost(t, fd.url, c.body, c.hdr)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
				t.Errorf("status %d body %s; want %d with %s", resp.StatusCode, b, c.status, c.want)
			}
		})
	}
}

// TestSlowClientIsCut: a client that stops reading its stream while the
// gateway has more and more to send is cut off at the session's budget;
// the gateway keeps no more than that for it, and other sessions go on.
func TestSlowClientIsCut(t *testing.T) {
	fd := newFrontDoor(t, kitchenServers(t, "", "alpha"), func(o *Options) { o.SessionBufferBytes = 256 << 10 })
	slow := rawSession(t, fd.url, nil)
	// A big answer that the client never reads: the stream's queue is
	// over budget at once.
	resp := rawPost(t, fd.url, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"alpha__big","arguments":{"bytes":1048576}}}`, map[string]string{"Mcp-Session-Id": slow})
	defer resp.Body.Close()
	waitUntil(t, "slow session closed", func() bool { return fd.h.Sessions() == 0 })
	// Someone else is served as usual.
	other := fd.connect(nil)
	if got := callText(t, other, "alpha__echo", map[string]any{"message": "fine"}); got != "alpha: fine" {
		t.Errorf("other session: %q", got)
	}
	r2 := rawPost(t, fd.url, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, map[string]string{"Mcp-Session-Id": slow})
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotFound {
		t.Errorf("the cut session answered %d, want 404", r2.StatusCode)
	}
}
