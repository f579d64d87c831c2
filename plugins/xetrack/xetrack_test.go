package xetrack

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/plugin"
	_ "github.com/mcpgw/mcp-gateway/plugins/basic" // a real guardrail inside xetrack
	"github.com/mcpgw/mcp-gateway/upstream"
)

// noEnv is an environment without XETRACK_* variables.
func noEnv(string) (string, bool) { return "", false }

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// open builds the plugin on a fresh database with config raw.
func open(t testing.TB, raw string, wo writerOptions) (*Plugin, string) {
	t.Helper()
	dir := t.TempDir()
	p, err := newPlugin(json.RawMessage(raw), plugin.Env{DataDir: dir}, noEnv, wo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, filepath.Join(dir, DefaultFile)
}

// backend returns a final handler answering every call with result.
func backend(result string) plugin.Next {
	return func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return &plugin.Result{Raw: []byte(result)}, nil
	}
}

var session = &plugin.Session{ID: "sess-1", Identity: plugin.Identity{Principal: "alice"}, ClientName: "claude-code"}

// call runs one call through xetrack (and the handlers after it) to next.
func call(t testing.TB, hs []plugin.Handler, method, params string, next plugin.Next) (*plugin.Result, error) {
	t.Helper()
	c := &plugin.Call{Method: method, Params: []byte(params), Server: "files", Name: "files__read", Session: session}
	if method == "resources/read" {
		c.Name = "file:///etc/motd"
	}
	return plugin.Chain(hs, next)(context.Background(), c)
}

// rows reads the events table through a second connection, in insertion
// order.
func rows(t testing.TB, path, where string) []map[string]any {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT * FROM events"
	if where != "" {
		q += " WHERE " + where
	}
	r, err := db.Query(q + " ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	var out []map[string]any
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			if vals[i] != nil {
				m[c] = vals[i]
			}
		}
		out = append(out, m)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func scalar(t testing.TB, path, q string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func columns(t testing.TB, path string) []string {
	t.Helper()
	var out []string
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query("SELECT name FROM pragma_table_info('events')")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var n string
		r.Scan(&n)
		out = append(out, n)
	}
	return out
}

// want checks that row has the given values (nil: the column is NULL).
func want(t *testing.T, row map[string]any, kv map[string]any) {
	t.Helper()
	for k, v := range kv {
		got, ok := row[k]
		if v == nil {
			if ok {
				t.Errorf("%s = %v, want NULL", k, got)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}

func flush(t testing.TB, p *Plugin) {
	t.Helper()
	if err := p.w.flush(); err != nil {
		t.Fatal(err)
	}
}

var (
	timestampRE = regexp.MustCompile(`^\d\d-\d\d-\d{4} \d\d:\d\d:\d\d\.\d{6}$`)
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestTextResult(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	before := time.Now()
	res, err := call(t, []plugin.Handler{p}, "tools/call",
		`{"name":"files__read","arguments":{"path":"/srv/notes.txt","limit":5,"opts":{"follow":true},"Mode":"r\u00e9ad"}}`,
		backend(`{"content":[{"type":"text","text":"hello \"world\""}]}`))
	if err != nil || string(res.Raw) != `{"content":[{"type":"text","text":"hello \"world\""}]}` {
		t.Fatalf("the call's result was changed: %s, %v", res.Raw, err)
	}
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 1 {
		t.Fatalf("%d rows, want 1: %v", len(rs), rs)
	}
	r := rs[0]
	want(t, r, map[string]any{
		"track_id": p.TrackID(), "server_name": "files", "capability_type": "tool", "capability_name": "files__read",
		"method": "tools/call", "principal": "alice", "client_name": "claude-code", "session_id": "sess-1",
		"is_error": 0, "error": nil, "error_code": nil, "blocked_by": nil, "cached": 0,
		"response_type": "CallToolResult", "content_index": 0, "content_type": "text", "content_text": `hello "world"`,
		"content_data_size": nil, "response": nil, "arguments": nil, "extra_arguments": nil,
		"path": "/srv/notes.txt", "limit": "5", "opts": `{"follow":true}`, "mode": "réad",
	})
	if ts, _ := r["timestamp"].(string); !timestampRE.MatchString(ts) {
		t.Errorf("timestamp %q is not in xetrack's DD-MM-YYYY HH:MM:SS.ffffff", ts)
	}
	if id, _ := r["call_id"].(string); !uuidRE.MatchString(id) {
		t.Errorf("call_id %q is not a uuid4", id)
	}
	ms, _ := r["timestamp_unix_ms"].(int64)
	if ms < before.UnixMilli() || ms > time.Now().UnixMilli() {
		t.Errorf("timestamp_unix_ms %d is not the call's time", ms)
	}
	if d, ok := r["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms = %v", r["duration_ms"])
	}
	// Methods other than calls, reads and prompts are not recorded.
	if _, err := call(t, []plugin.Handler{p}, "tools/list", `{}`, backend(`{"tools":[]}`)); err != nil {
		t.Fatal(err)
	}
	flush(t, p)
	if n := scalar(t, path, "SELECT count(*) FROM events"); n != 1 {
		t.Errorf("tools/list was recorded: %d rows", n)
	}
}

func TestMultiContentOneRowPerItem(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	_, err := call(t, []plugin.Handler{p}, "tools/call", `{"name":"files__read","arguments":{"q":"x"}}`,
		backend(`{"content":[{"type":"text","text":"one"},{"type":"text","text":"two"},`+
			`{"type":"resource_link","uri":"file:///a.txt","name":"a","mimeType":"text/plain"},`+
			`{"type":"resource","resource":{"uri":"file:///b.md","mimeType":"text/markdown","text":"# b"}}],`+
			`"structuredContent":{"count":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 4 {
		t.Fatalf("%d rows, want 4", len(rs))
	}
	for i, w := range []map[string]any{
		{"content_type": "text", "content_text": "one"},
		{"content_type": "text", "content_text": "two"},
		{"content_type": "resource_link", "content_uri": "file:///a.txt", "content_mime_type": "text/plain", "content_text": nil},
		{"content_type": "resource", "content_uri": "file:///b.md", "content_mime_type": "text/markdown", "content_text": "# b"},
	} {
		w["content_index"] = i
		w["structured_content"] = `{"count":2}`
		w["q"] = "x"
		w["call_id"] = rs[0]["call_id"]
		want(t, rs[i], w)
	}
	if n := scalar(t, path, "SELECT count(DISTINCT timestamp) FROM events"); n != 4 {
		t.Errorf("the rows of one call share timestamps (%d distinct): xetrack's key is (track_id, timestamp)", n)
	}
}

func TestBinaryContentOnlySize(t *testing.T) {
	png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2}, 430) // 3010 bytes
	b64 := base64.StdEncoding.EncodeToString(png)
	result := `{"content":[{"type":"image","data":"` + b64 + `","mimeType":"image/png"},` +
		`{"type":"audio","data":"` + b64 + `","mimeType":"audio/wav"},` +
		`{"type":"resource","resource":{"uri":"file:///x.bin","mimeType":"application/octet-stream","blob":"` + b64 + `"}}]}`
	for _, flat := range []bool{true, false} {
		t.Run(fmt.Sprint("flattenResponse=", flat), func(t *testing.T) {
			p, path := open(t, fmt.Sprintf(`{"flattenResponse":%v}`, flat), writerOptions{})
			if _, err := call(t, []plugin.Handler{p}, "tools/call", `{"name":"files__read"}`, backend(result)); err != nil {
				t.Fatal(err)
			}
			flush(t, p)
			rs := rows(t, path, "")
			for _, r := range rs {
				for k, v := range r {
					if s, ok := v.(string); ok && (strings.Contains(s, b64[:40]) || len(s) > 1000) {
						t.Errorf("column %s holds the base64 payload (%d chars)", k, len(s))
					}
				}
			}
			if flat {
				if len(rs) != 3 {
					t.Fatalf("%d rows, want 3", len(rs))
				}
				want(t, rs[0], map[string]any{"content_type": "image", "content_mime_type": "image/png", "content_data_size": len(png), "content_text": nil})
				want(t, rs[1], map[string]any{"content_type": "audio", "content_data_size": len(png)})
				want(t, rs[2], map[string]any{"content_type": "resource", "content_uri": "file:///x.bin", "content_data_size": len(png)})
				return
			}
			if len(rs) != 1 {
				t.Fatalf("%d rows, want 1", len(rs))
			}
			resp, _ := rs[0]["response"].(string)
			marker := fmt.Sprintf("<binary data (%d bytes)>", len(png))
			if strings.Count(resp, marker) != 3 || !json.Valid([]byte(resp)) {
				t.Errorf("response = %s, want the three payloads replaced by %q", resp, marker)
			}
		})
	}
}

func TestErrorResults(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	hs := []plugin.Handler{p}
	// A tool's own error.
	call(t, hs, "tools/call", `{"name":"files__read","arguments":{"path":"/nope"}}`,
		backend(`{"content":[{"type":"text","text":"ENOENT: /nope"}],"isError":true}`))
	// The backend's JSON-RPC error, passed through.
	_, err := call(t, hs, "tools/call", `{"name":"files__read","arguments":{"path":1}}`, func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return nil, &upstream.RPCError{Server: "files", Raw: []byte(`{"code":-32602,"message":"path must be a string"}`)}
	})
	if err == nil {
		t.Fatal("the backend's error was swallowed")
	}
	// A timeout and an unexpected error.
	call(t, hs, "prompts/get", `{"name":"files__p"}`, func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return nil, fmt.Errorf("waiting for files: %w", context.DeadlineExceeded)
	})
	call(t, hs, "resources/read", `{"uri":"file:///etc/motd"}`, func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return nil, errors.New("boom")
	})
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 4 {
		t.Fatalf("%d rows, want 4", len(rs))
	}
	want(t, rs[0], map[string]any{"is_error": 1, "response_type": "CallToolResult", "content_text": "ENOENT: /nope", "error": nil, "path": "/nope"})
	want(t, rs[1], map[string]any{"is_error": 1, "response_type": "error", "error_code": -32602, "error": "path must be a string",
		"content_type": nil, "path": "1", "blocked_by": nil})
	want(t, rs[2], map[string]any{"is_error": 1, "response_type": "error", "error_code": -32001, "method": "prompts/get", "capability_type": "prompt"})
	want(t, rs[3], map[string]any{"is_error": 1, "response_type": "error", "error_code": -32603, "error": "boom",
		"method": "resources/read", "capability_name": "file:///etc/motd"})
}

func TestBlockedCalls(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	guard := plugin.HandlerFunc(func(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
		switch c.Method {
		case "tools/call":
			return plugin.Block(c.Method, "basic", "GITHUB_PERSONAL_ACCESS_TOKEN found in the arguments")
		case "prompts/get":
			return nil, &plugin.Error{Code: plugin.CodeDenied, Message: "denied by policy", Plugin: "authz"}
		}
		return plugin.Block(c.Method, "injection", "")
	})
	hs := []plugin.Handler{p, guard}
	never := func(context.Context, *plugin.Call) (*plugin.Result, error) { panic("the backend was reached") }
	res, err := call(t, hs, "tools/call", `{"name":"files__read","arguments":{"token":"ghp_secret"}}`, never)
	if err != nil || res.Blocked != "basic" {
		t.Fatalf("block = %v, %v", res, err)
	}
	call(t, hs, "prompts/get", `{"name":"files__p","arguments":{"who":"x"}}`, never)
	call(t, hs, "resources/read", `{"uri":"file:///etc/motd"}`, never)
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 3 {
		t.Fatalf("%d rows, want 3", len(rs))
	}
	want(t, rs[0], map[string]any{"is_error": 1, "blocked_by": "basic", "response_type": "CallToolResult",
		"error":        "blocked by gateway policy: basic: GITHUB_PERSONAL_ACCESS_TOKEN found in the arguments",
		"content_text": "blocked by gateway policy: basic: GITHUB_PERSONAL_ACCESS_TOKEN found in the arguments",
		"token":        nil})
	want(t, rs[1], map[string]any{"is_error": 1, "blocked_by": "authz", "error_code": plugin.CodeDenied, "error": "denied by policy",
		"response_type": "error", "who": nil})
	want(t, rs[2], map[string]any{"is_error": 1, "blocked_by": "injection", "error_code": plugin.CodeBlocked,
		"error": "blocked by gateway policy: injection"})
	for _, c := range columns(t, path) {
		if c == "token" || c == "who" {
			t.Errorf("arguments of a refused call were recorded (column %s)", c)
		}
	}
}

// token is a format-valid GitHub token built at run time.
func token() string {
	const alnum = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgHiJ"
	var sb strings.Builder
	sb.WriteString("gh" + "p_")
	for i := range 36 {
		sb.WriteByte(alnum[(i*7+3)%len(alnum)])
	}
	return sb.String()
}

// TestRecordsWhatTheGuardrailsLeft builds the real chain (xetrack, then
// the basic guardrail) as the gateway does: what basic masked is never
// in the database.
func TestRecordsWhatTheGuardrailsLeft(t *testing.T) {
	for _, k := range []string{"XETRACK_DB_PATH", "XETRACK_FLATTEN_ARGUMENTS", "XETRACK_FLATTEN_RESPONSE", "XETRACK_LOGS_PATH", "XETRACK_LOGS_STDOUT"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	hs, err := plugin.Build([]string{"basic", "xetrack"}, nil, plugin.Env{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer plugin.Close(hs)
	if _, ok := hs[0].(*Plugin); !ok {
		t.Fatalf("xetrack is not outermost: %T first", hs[0])
	}
	tok := token()
	var sent string
	final := func(_ context.Context, c *plugin.Call) (*plugin.Result, error) {
		sent = string(c.RawArguments())
		raw, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": "your key: " + tok}}})
		return &plugin.Result{Raw: raw}, nil
	}
	res, err := call(t, hs, "tools/call", `{"name":"files__read","arguments":{"q":"use `+tok+`"}}`, final)
	if err != nil || strings.Contains(string(res.Raw), tok) || strings.Contains(sent, tok) {
		t.Fatalf("basic did not mask: sent %s, got %s, %v", sent, res.Raw, err)
	}
	plugin.Close(hs)
	path := filepath.Join(dir, DefaultFile)
	rs := rows(t, path, "")
	if len(rs) != 1 {
		t.Fatalf("%d rows", len(rs))
	}
	want(t, rs[0], map[string]any{"q": "use <GITHUB_PERSONAL_ACCESS_TOKEN>", "content_text": "your key: <GITHUB_PERSONAL_ACCESS_TOKEN>"})
	b, _ := os.ReadFile(path)
	wal, _ := os.ReadFile(path + "-wal")
	if bytes.Contains(b, []byte(tok)) || bytes.Contains(wal, []byte(tok)) {
		t.Error("the database holds the secret the guardrail masked")
	}
}

func TestPromptsAndResources(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	hs := []plugin.Handler{p}
	call(t, hs, "prompts/get", `{"name":"files__review","arguments":{"lang":"go"}}`,
		backend(`{"description":"review","messages":[{"role":"user","content":{"type":"text","text":"Review this go code"}},`+
			`{"role":"assistant","content":{"type":"text","text":"Sure"}}]}`))
	call(t, hs, "resources/read", `{"uri":"file:///etc/motd"}`,
		backend(`{"contents":[{"uri":"file:///etc/motd","mimeType":"text/plain","text":"welcome"},{"uri":"file:///logo.png","mimeType":"image/png","blob":"AAAA"}]}`))
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 4 {
		t.Fatalf("%d rows, want 4", len(rs))
	}
	want(t, rs[0], map[string]any{"response_type": "GetPromptResult", "capability_type": "prompt", "content_role": "user",
		"content_text": "Review this go code", "lang": "go", "content_index": 0})
	want(t, rs[1], map[string]any{"content_role": "assistant", "content_text": "Sure", "content_index": 1})
	want(t, rs[2], map[string]any{"response_type": "ReadResourceResult", "capability_type": "resource", "content_type": "text",
		"content_uri": "file:///etc/motd", "content_text": "welcome", "content_mime_type": "text/plain"})
	want(t, rs[3], map[string]any{"content_type": "blob", "content_uri": "file:///logo.png", "content_data_size": 3, "content_text": nil})
}

func TestFlattenOff(t *testing.T) {
	p, path := open(t, `{"flattenArguments":false,"flattenResponse":false}`, writerOptions{})
	result := `{"content":[{"type":"text","text":"one"},{"type":"text","text":"two"}],"structuredContent":{"n":2}}`
	call(t, []plugin.Handler{p}, "tools/call", `{"name":"files__read","arguments":{"path":"/a","n":2}}`, backend(result))
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 1 {
		t.Fatalf("%d rows, want one row per call", len(rs))
	}
	want(t, rs[0], map[string]any{"arguments": `{"path":"/a","n":2}`, "response": result, "structured_content": `{"n":2}`,
		"content_text": nil, "content_index": nil, "path": nil})
	for _, c := range columns(t, path) {
		if c == "path" || c == "n" {
			t.Errorf("an argument column was added without flattenArguments: %s", c)
		}
	}

	p2, path2 := open(t, `{"arguments":false}`, writerOptions{})
	call(t, []plugin.Handler{p2}, "tools/call", `{"name":"files__read","arguments":{"path":"/a"}}`, backend(result))
	flush(t, p2)
	rs = rows(t, path2, "")
	if len(rs) != 2 {
		t.Fatalf("%d rows, want one per content item", len(rs))
	}
	want(t, rs[0], map[string]any{"path": nil, "arguments": nil, "content_text": "one"})
}

func TestArgumentColumns(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	hs := []plugin.Handler{p}
	ok := backend(`{"content":[{"type":"text","text":"ok"}]}`)
	call(t, hs, "tools/call", `{"name":"t","arguments":{"a":"1"}}`, ok)
	call(t, hs, "tools/call", `{"name":"t","arguments":{"b":"2","method":"GET","Path":"/x","path":"/y","9lives":true,"a-b.c":null,"":"e"}}`, ok)
	flush(t, p)
	rs := rows(t, path, "")
	if len(rs) != 2 {
		t.Fatalf("%d rows", len(rs))
	}
	want(t, rs[0], map[string]any{"a": "1", "b": nil})
	want(t, rs[1], map[string]any{"a": nil, "b": "2", "arg_method": "GET", "method": "tools/call", "path": "/x",
		"arg_9lives": "true", "a_b_c": "null", "arg_": "e", "extra_arguments": `{"path":"/y"}`})
}

func TestColumnCap(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	args := map[string]any{}
	for i := range 300 {
		args[fmt.Sprintf("k%03d", i)] = i
	}
	params, _ := json.Marshal(map[string]any{"name": "t", "arguments": args})
	call(t, []plugin.Handler{p}, "tools/call", string(params), backend(`{"content":[]}`))
	call(t, []plugin.Handler{p}, "tools/call", `{"name":"t","arguments":{"k000":"a","late":"b"}}`, backend(`{"content":[]}`))
	flush(t, p)
	if n := len(columns(t, path)); n != MaxColumns {
		t.Errorf("%d columns, want the cap %d", n, MaxColumns)
	}
	rs := rows(t, path, "")
	if len(rs) != 2 {
		t.Fatalf("%d rows (a call without content items has one row)", len(rs))
	}
	var extra map[string]any
	if err := json.Unmarshal([]byte(rs[0]["extra_arguments"].(string)), &extra); err != nil {
		t.Fatal(err)
	}
	inColumns := 0
	for k := range args {
		if _, ok := rs[0][k]; ok {
			inColumns++
		}
	}
	if inColumns+len(extra) != 300 || inColumns != MaxColumns-len(fixedColumns) {
		t.Errorf("%d arguments in columns and %d in extra_arguments, want %d and the rest", inColumns, len(extra), MaxColumns-len(fixedColumns))
	}
	want(t, rs[1], map[string]any{"k000": "a", "extra_arguments": `{"late":"b"}`})
}

func TestSettings(t *testing.T) {
	dataDir := "/data"
	for _, tc := range []struct {
		name string
		cfg  string
		env  map[string]string
		want settings
	}{
		{"defaults", `{}`, nil, settings{dbPath: "/data/xetrack.db", flattenArguments: true, flattenResponse: true, arguments: true}},
		{"null section", `null`, nil, settings{dbPath: "/data/xetrack.db", flattenArguments: true, flattenResponse: true, arguments: true}},
		{"env", `{}`, map[string]string{"XETRACK_DB_PATH": "/env/t.db", "XETRACK_LOGS_PATH": "/env/logs", "XETRACK_LOGS_STDOUT": "true",
			"XETRACK_FLATTEN_ARGUMENTS": "false", "XETRACK_FLATTEN_RESPONSE": "False"},
			settings{dbPath: "/env/t.db", logsPath: "/env/logs", logsStdout: true, arguments: true}},
		{"config wins", `{"dbPath":"/cfg/t.db","logsPath":"/cfg/logs","logsStdout":false,"flattenArguments":true,"flattenResponse":true,"arguments":false}`,
			map[string]string{"XETRACK_DB_PATH": "/env/t.db", "XETRACK_LOGS_PATH": "/env/logs", "XETRACK_LOGS_STDOUT": "true",
				"XETRACK_FLATTEN_ARGUMENTS": "false", "XETRACK_FLATTEN_RESPONSE": "false"},
			settings{dbPath: "/cfg/t.db", logsPath: "/cfg/logs", flattenArguments: true, flattenResponse: true}},
		{"skip insert", `{}`, map[string]string{"XETRACK_DB_PATH": "SKIP_INSERT"}, settings{flattenArguments: true, flattenResponse: true, arguments: true}},
		{"empty env is unset", `{}`, map[string]string{"XETRACK_DB_PATH": "", "XETRACK_FLATTEN_RESPONSE": ""},
			settings{dbPath: "/data/xetrack.db", flattenArguments: true, flattenResponse: true, arguments: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolve(json.RawMessage(tc.cfg), plugin.Env{DataDir: dataDir}, envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("settings = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBadConfig(t *testing.T) {
	for cfg, wantErr := range map[string]string{
		`{"db_path":"x.db"}`:       `gateway.plugins.xetrack: unknown key "db_path" (valid keys: arguments, dbPath, flattenArguments, flattenResponse, logsPath, logsStdout)`,
		`{"flattenResponse":"no"}`: `gateway.plugins.xetrack.flattenResponse: expected true or false`,
		`{"dbPath":5}`:             `gateway.plugins.xetrack.dbPath: expected a string`,
		`[1]`:                      `gateway.plugins.xetrack`,
	} {
		_, err := newPlugin(json.RawMessage(cfg), plugin.Env{DataDir: t.TempDir()}, noEnv, writerOptions{})
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("config %s: error %v, want %q", cfg, err, wantErr)
		}
	}
	_, err := newPlugin(nil, plugin.Env{DataDir: t.TempDir()}, envOf(map[string]string{"XETRACK_FLATTEN_RESPONSE": "maybe"}), writerOptions{})
	if err == nil || !strings.Contains(err.Error(), `XETRACK_FLATTEN_RESPONSE="maybe": expected true or false`) {
		t.Errorf("bad env value: %v", err)
	}
	_, err = newPlugin(nil, plugin.Env{}, noEnv, writerOptions{})
	if err == nil || !strings.Contains(err.Error(), "dbPath") {
		t.Errorf("no data dir and no path: %v", err)
	}
	// A database whose events table is not xetrack's (the audit trail's).
	path := filepath.Join(t.TempDir(), "audit.db")
	db, _ := sql.Open("sqlite", "file:"+path)
	if _, err := db.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, time_us BIGINT, kind TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = newPlugin(json.RawMessage(`{"dbPath":"`+path+`"}`), plugin.Env{}, noEnv, writerOptions{})
	if err == nil || !strings.Contains(err.Error(), "not an xetrack events table") {
		t.Errorf("foreign events table: %v", err)
	}
	// Through plugin.Build, as the gateway reports it.
	_, err = plugin.Build([]string{"xetrack"}, map[string]json.RawMessage{"xetrack": json.RawMessage(`{"db_file":"x"}`)}, plugin.Env{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `plugin xetrack: gateway.plugins.xetrack: unknown key "db_file"`) {
		t.Errorf("Build error = %v", err)
	}
}

// TestExistingXetrackDatabase opens a database the Python plugin wrote:
// its rows stay, the missing columns are added, its columns are reused.
func TestExistingXetrackDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "track.db")
	db, _ := sql.Open("sqlite", "file:"+path)
	for _, q := range []string{
		`CREATE TABLE events (timestamp TEXT, track_id TEXT, PRIMARY KEY (track_id, timestamp))`,
		`ALTER TABLE events ADD COLUMN server_name TEXT`,
		`ALTER TABLE events ADD COLUMN isError INTEGER`,
		`INSERT INTO events VALUES ('01-02-2025 10:00:00.000001', 'python-run-0001', 'files', 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	p, err := newPlugin(json.RawMessage(`{"dbPath":"`+path+`"}`), plugin.Env{}, noEnv, writerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	call(t, []plugin.Handler{p}, "tools/call", `{"name":"t","arguments":{"isError":"x"}}`, backend(`{"content":[{"type":"text","text":"hi"}]}`))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	rs := rows(t, path, "")
	if len(rs) != 2 {
		t.Fatalf("%d rows", len(rs))
	}
	want(t, rs[0], map[string]any{"track_id": "python-run-0001", "server_name": "files"})
	want(t, rs[1], map[string]any{"track_id": p.TrackID(), "content_text": "hi", "isError": "x"})
}

func TestConcurrentCallsAllStored(t *testing.T) {
	// A small queue, so that calls also wait for the writer.
	p, path := open(t, `{}`, writerOptions{queueSize: 64, batchSize: 100})
	const n = 2000
	hs := []plugin.Handler{p}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			params := fmt.Sprintf(`{"name":"t","arguments":{"i":%d,"k%d":"v"}}`, i, i%7)
			if _, err := call(t, hs, "tools/call", params, backend(`{"content":[{"type":"text","text":"ok"}]}`)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := scalar(t, path, "SELECT count(DISTINCT call_id) FROM events"); got != n {
		t.Errorf("%d call_ids stored, want %d", got, n)
	}
	if got := scalar(t, path, "SELECT count(*) FROM events"); got != n {
		t.Errorf("%d rows stored, want %d", got, n)
	}
	if got := scalar(t, path, "SELECT count(DISTINCT i) FROM events"); got != n {
		t.Errorf("%d distinct arguments stored, want %d", got, n)
	}
	// After Close, calls still pass; they are not recorded.
	if _, err := call(t, hs, "tools/call", `{"name":"t"}`, backend(`{"content":[]}`)); err != nil {
		t.Errorf("a call after Close failed: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func TestRowVisibleToAnotherConnectionBeforeClose(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	call(t, []plugin.Handler{p}, "tools/call", `{"name":"t","arguments":{"q":"first"}}`, backend(`{"content":[{"type":"text","text":"one"}]}`))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := p.Stats(); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the row was not written within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A second process's view: a connection of its own, while the
	// gateway keeps its database open.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode, text string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := db.QueryRow("SELECT content_text FROM events WHERE q = 'first'").Scan(&text); err != nil || text != "one" {
		t.Errorf("second connection read %q, %v", text, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v, %v; want 0600 (it holds arguments and results)", fi.Mode(), err)
	}
}

func TestLogOutputs(t *testing.T) {
	logs := t.TempDir()
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	p, err := newPlugin(json.RawMessage(`{"dbPath":"SKIP_INSERT","logsPath":"`+logs+`"}`), plugin.Env{Log: log},
		envOf(map[string]string{"XETRACK_LOGS_STDOUT": "true"}), writerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.DBPath() != "" {
		t.Errorf("SKIP_INSERT opened %s", p.DBPath())
	}
	call(t, []plugin.Handler{p}, "tools/call", `{"name":"t","arguments":{"q":"x"}}`, backend(`{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(logs, "xetrack-*.jsonl"))
	if len(files) != 1 || !strings.HasSuffix(files[0], "xetrack-"+time.Now().Format("2006-01-02")+".jsonl") {
		t.Fatalf("log files %v", files)
	}
	b, _ := os.ReadFile(files[0])
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per row:\n%s", len(lines), b)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["content_text"] != "b" || ev["q"] != "x" || ev["track_id"] != p.TrackID() || ev["is_error"] != 0.0 {
		t.Errorf("JSON line = %v", ev)
	}
	if !strings.HasPrefix(lines[0], `{"timestamp":"`) {
		t.Errorf("the line does not start with xetrack's columns: %s", lines[0])
	}
	out := buf.String()
	if strings.Count(out, `"msg":"xetrack event"`) != 2 || !strings.Contains(out, `"content_text":"b"`) || !strings.Contains(out, `"level":"INFO"`) {
		t.Errorf("gateway log:\n%s", out)
	}
	if !strings.Contains(out, `"db":"none (SKIP_INSERT)"`) {
		t.Errorf("the start-up line does not say where rows go:\n%s", out)
	}
}

func TestStartupLogNamesDefaultPath(t *testing.T) {
	var buf syncBuffer
	dir := t.TempDir()
	p, err := newPlugin(nil, plugin.Env{DataDir: dir, Log: slog.New(slog.NewTextHandler(&buf, nil))}, noEnv, writerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if !strings.Contains(buf.String(), "level=INFO") || !strings.Contains(buf.String(), "db="+filepath.Join(dir, DefaultFile)) {
		t.Errorf("start-up log: %s", buf.String())
	}
}

// TestTimestampConflicts: a row whose (track_id, timestamp) is taken
// (another writer with the same track_id) gets the next free timestamp
// instead of being dropped.
func TestTimestampConflicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{trackID: "run"}
	at := time.Now()
	ts := w.stampAt(at)
	mk := func() row {
		return row{at: at, fields: []field{text("timestamp", ts), text("track_id", "run"), text("call_id", newUUID())}}
	}
	if err := st.write(context.Background(), nil, []row{mk(), mk()}, w.stamp); err != nil {
		t.Fatal(err)
	}
	if err := st.write(context.Background(), nil, []row{mk()}, w.stamp); err != nil {
		t.Fatal(err)
	}
	st.close()
	if n := scalar(t, path, "SELECT count(DISTINCT timestamp) FROM events"); n != 3 {
		t.Errorf("%d distinct timestamps, want 3 rows kept", n)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestColumnName(t *testing.T) {
	for in, out := range map[string]string{
		"path": "path", "filePath": "filepath", "a-b.c d": "a_b_c_d", "1st": "arg_1st", "": "arg_",
		"timestamp": "arg_timestamp", "track_id": "arg_track_id", "content_text": "arg_content_text",
		"ünï": "_n_", strings.Repeat("x", 80): strings.Repeat("x", 64),
	} {
		if got := columnName(in); got != out {
			t.Errorf("columnName(%q) = %q, want %q", in, got, out)
		}
	}
}

// BenchmarkHandle measures what xetrack adds to a tools/call with a 1 KiB
// text result and three arguments:
//   - "baseline": the chain without xetrack;
//   - "call path": Handle's own cost, what a call waits for: the fixed
//     fields, copies of the arguments and result, the queueing (the
//     writer here only takes the entries, so that it never falls behind);
//   - "sqlite": the sustained rate with the real writer and database,
//     where calls wait for the writer whenever it falls behind: its ns/op
//     is the writer's time per row (reading the result and the insert),
//     the rate's upper bound.
func BenchmarkHandle(b *testing.B) {
	text := strings.Repeat("The deployment of service api-gateway finished in 42.7 s. ", 18)[:1024]
	raw, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": text}}})
	params := []byte(`{"name":"s__t","arguments":{"path":"/srv/app/releases","query":"deployment status","limit":20}}`)
	final := func(context.Context, *plugin.Call) (*plugin.Result, error) { return &plugin.Result{Raw: raw}, nil }
	run := func(b *testing.B, hs []plugin.Handler) {
		chain := plugin.Chain(hs, final)
		b.ReportAllocs()
		for b.Loop() {
			c := &plugin.Call{Method: "tools/call", Params: params, Server: "s", Name: "s__t", Session: session}
			if _, err := chain(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, nil) })
	b.Run("call path", func(b *testing.B) {
		p, _ := open(b, `{"dbPath":"SKIP_INSERT"}`, writerOptions{})
		p.w.close()
		p.w = newWriter(nil, nil, func(e *entry) { e.items = [][]field{} }, p.trackID, writerOptions{})
		run(b, []plugin.Handler{p})
	})
	b.Run("sqlite", func(b *testing.B) {
		p, path := open(b, `{}`, writerOptions{})
		run(b, []plugin.Handler{p})
		b.StopTimer()
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
		if n := scalar(b, path, "SELECT count(*) FROM events"); n < int64(b.N) {
			b.Fatalf("%d rows for %d calls", n, b.N)
		}
	})
}

// TestDatabaseFailuresRetried: while the database refuses inserts, rows
// wait and are retried; none is lost. A database that still fails when
// the gateway stops makes Close say how many rows were lost.
func TestDatabaseFailuresRetried(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{retryEvery: 20 * time.Millisecond})
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE ctl (fail INTEGER)`,
		`INSERT INTO ctl VALUES (1)`,
		`CREATE TRIGGER refuse BEFORE INSERT ON events WHEN (SELECT fail FROM ctl) = 1 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	hs := []plugin.Handler{p}
	for i := range 20 {
		call(t, hs, "tools/call", fmt.Sprintf(`{"name":"t","arguments":{"i":%d}}`, i), backend(`{"content":[{"type":"text","text":"ok"}]}`))
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.w.failures.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not retry")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := db.Exec(`UPDATE ctl SET fail = 0`); err != nil {
		t.Fatal(err)
	}
	flush(t, p)
	if n := scalar(t, path, "SELECT count(*) FROM events"); n != 20 {
		t.Errorf("%d rows after the database recovered, want 20", n)
	}

	// Failing for good while stopping.
	if _, err := db.Exec(`UPDATE ctl SET fail = 1`); err != nil {
		t.Fatal(err)
	}
	call(t, hs, "tools/call", `{"name":"t"}`, backend(`{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`))
	err = p.Close()
	if err == nil || !strings.Contains(err.Error(), "2 rows not stored") || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("Close = %v, want it to report the 2 lost rows", err)
	}
}

// TestBusyDatabase: another process holding the write lock delays the
// rows (busy_timeout), it does not lose them.
func TestBusyDatabase(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{})
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		call(t, []plugin.Handler{p}, "tools/call", fmt.Sprintf(`{"name":"t","arguments":{"i":%d}}`, i), backend(`{"content":[]}`))
	}
	time.Sleep(300 * time.Millisecond)
	conn.ExecContext(context.Background(), "COMMIT")
	conn.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := scalar(t, path, "SELECT count(*) FROM events"); n != 50 {
		t.Errorf("%d rows, want 50", n)
	}
}

// TestQueueBytesBound: calls wait while the queued results exceed the
// byte budget; all are written.
func TestQueueBytesBound(t *testing.T) {
	p, path := open(t, `{}`, writerOptions{queueBytes: 64 << 10})
	big := `{"content":[{"type":"text","text":"` + strings.Repeat("x", 40<<10) + `"}]}`
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() { call(t, []plugin.Handler{p}, "tools/call", `{"name":"t"}`, backend(big)) })
	}
	wg.Wait()
	p.w.memMu.Lock()
	peak := p.w.peak
	p.w.memMu.Unlock()
	if peak > 64<<10 || peak < int64(len(big)) {
		t.Errorf("at most %d bytes were queued, want the budget (64 KiB) kept", peak)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := scalar(t, path, "SELECT count(*) FROM events WHERE length(content_text) = 40960"); n != 40 {
		t.Errorf("%d rows, want 40", n)
	}
}

func TestUnquote(t *testing.T) {
	for _, s := range []string{"", "plain", "line\nbreak\t\"quoted\" back\\slash", "é ü 中文", "emoji 😀 pair", "\u2028\u0001", "</script>&"} {
		raw, _ := json.Marshal(s)
		raw2 := []byte(strings.ReplaceAll(string(raw), "/", `\/`)) // a legal escape some encoders use
		for _, r := range [][]byte{raw, raw2, []byte(`"\ud83d\ude00 and \u00e9"`)} {
			var want string
			if err := json.Unmarshal(r, &want); err != nil {
				t.Fatal(err)
			}
			if got, ok := unquote(r); !ok || got != want {
				t.Errorf("unquote(%s) = %q, %v; want %q", r, got, ok, want)
			}
		}
	}
	for _, bad := range []string{`"\x"`, `"\u12"`, `5`, `"`, `"a\"`} {
		if _, ok := unquote([]byte(bad)); ok {
			t.Errorf("unquote(%s) accepted it", bad)
		}
	}
	if got, _ := unquote([]byte(`"\ud83d alone"`)); got != "\uFFFD alone" {
		t.Errorf("lone surrogate: %q", got)
	}
}

func TestBase64Size(t *testing.T) {
	for n := range 20 {
		data := bytes.Repeat([]byte{0xfe}, n)
		enc := base64.StdEncoding.EncodeToString(data)
		raw, _ := json.Marshal(enc)
		if got := base64Size(raw); got != int64(n) {
			t.Errorf("size of %s = %d, want %d", raw, got, n)
		}
		unpadded, _ := json.Marshal(base64.RawStdEncoding.EncodeToString(data))
		if got := base64Size(unpadded); got != int64(n) {
			t.Errorf("size of %s = %d, want %d", unpadded, got, n)
		}
	}
	// Line-wrapped (MIME) and with escaped slashes.
	data := bytes.Repeat([]byte{0xff, 0xef, 0x3f}, 100) // lots of '/' and '+'
	enc := base64.StdEncoding.EncodeToString(data)
	wrapped := enc[:76] + "\r\n" + enc[76:]
	raw, _ := json.Marshal(wrapped)
	raw = []byte(strings.ReplaceAll(string(raw), "/", `\/`))
	if got := base64Size(raw); got != int64(len(data)) {
		t.Errorf("size of wrapped, escaped base64 = %d, want %d", got, len(data))
	}
	if base64Size([]byte(`null`)) != -1 {
		t.Error("null has a size")
	}
}
