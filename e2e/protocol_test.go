package e2e

// Protocol coverage through the binary that the other files leave out:
// pagination from the gateway to the client, URL-mode elicitation and the
// form actions decline and cancel, tasks (2025-11-25), the Inspector CLI on
// resources, prompts and tool arguments, and logging/setLevel fanned out to
// several backends.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// protoSession is a raw JSON-RPC client session with the gateway that
// numbers its own requests. Messages that arrive while it waits for an
// answer (notifications, server-to-client requests) go to onOther.
type protoSession struct {
	*rawClient
	n       int
	init    []byte // the initialize result
	onOther func(jsonrpc.Message)
}

// newProtoSession starts the gateway on cfgPath and initializes it at
// 2025-11-25 with the given raw client capabilities.
func newProtoSession(t *testing.T, b bins, cfgPath, caps string) *protoSession {
	t.Helper()
	p := &protoSession{rawClient: startRaw(t, b, cfgPath)}
	m := p.call("initialize", `{"protocolVersion":"2025-11-25","capabilities":`+caps+`,"clientInfo":{"name":"e2e-raw","version":"1"}}`)
	if m.Error != nil {
		t.Fatalf("initialize: %s", m.Error)
	}
	p.init = m.Result
	p.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return p
}

// call sends one request (params "" for none) and returns its response.
func (p *protoSession) call(method, params string) jsonrpc.Message {
	p.t.Helper()
	p.n++
	id := strconv.Itoa(p.n)
	msg := `{"jsonrpc":"2.0","id":` + id + `,"method":` + string(jsonrpc.AppendString(nil, method))
	if params != "" {
		msg += `,"params":` + params
	}
	p.send(msg + "}")
	return p.await(id, p.onOther)
}

// result is call for a request that must succeed.
func (p *protoSession) result(method, params string) []byte {
	p.t.Helper()
	m := p.call(method, params)
	if m.Error != nil {
		p.t.Fatalf("%s %s: error %s", method, params, m.Error)
	}
	return m.Result
}

// pump hands messages to onOther until done holds, failing after 30s.
func (p *protoSession) pump(done func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			p.t.Fatal("condition not met within 30s")
		}
		m := p.next(time.Until(deadline))
		if p.onOther != nil {
			p.onOther(m)
		}
	}
}

// toolCallParams returns tools/call params for the tool with JSON arguments.
func toolCallParams(t *testing.T, name string, args map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": name, "arguments": args})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawToolText returns the text of a raw tools/call result, failing on isError.
func rawToolText(t *testing.T, res []byte) string {
	t.Helper()
	var r struct {
		Content []struct {
			Type, Text string
		} `json:"content"`
		IsError bool `json:"isError"`
	}
	mustJSON(t, res, &r)
	var parts []string
	for _, c := range r.Content {
		if c.Type == "text" {
			parts = append(parts, c.Text)
		}
	}
	if r.IsError {
		t.Fatalf("tool error: %s", res)
	}
	return strings.Join(parts, "\n")
}

// rawErrorCode returns the code of a raw JSON-RPC error object, or 0 if m has
// no error.
func rawErrorCode(m jsonrpc.Message) int {
	if m.Error == nil {
		return 0
	}
	return jsonrpc.ErrorCode(m.Error)
}

// listKind describes one of the four paginated lists.
type listKind struct {
	method, key, idKey string
}

var listKinds = []listKind{
	{"tools/list", "tools", "name"},
	{"prompts/list", "prompts", "name"},
	{"resources/list", "resources", "uri"},
	{"resources/templates/list", "resourceTemplates", "uriTemplate"},
}

// kitchenLists returns what a kitchen server started with args lists
// itself, in its own order: tool names, prompt names, resource URIs and
// template URIs (indexed like listKinds).
func kitchenLists(t *testing.T, kitchen string, args ...string) [4][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "direct", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: exec.Command(kitchen, args...)}, nil)
	if err != nil {
		t.Fatalf("connect to kitchen %v: %v", args, err)
	}
	defer cs.Close()
	var out [4][]string
	for tl, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[0] = append(out[0], tl.Name)
	}
	for p, err := range cs.Prompts(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[1] = append(out[1], p.Name)
	}
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[2] = append(out[2], r.URI)
	}
	for rt, err := range cs.ResourceTemplates(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[3] = append(out[3], rt.URITemplate)
	}
	return out
}

// listPage is one page of a list result.
type listPage struct {
	items      []json.RawMessage
	nextCursor *string
}

// pages follows a list's cursors from the first page to the last.
func (p *protoSession) pages(k listKind) []listPage {
	p.t.Helper()
	var out []listPage
	params := ""
	for range 1000 {
		res := p.result(k.method, params)
		var v map[string]json.RawMessage
		mustJSON(p.t, res, &v)
		var pg listPage
		mustJSON(p.t, v[k.key], &pg.items)
		if c, ok := v["nextCursor"]; ok {
			var s string
			mustJSON(p.t, c, &s)
			pg.nextCursor = &s
		}
		out = append(out, pg)
		if pg.nextCursor == nil {
			return out
		}
		params = `{"cursor":` + string(jsonrpc.AppendString(nil, *pg.nextCursor)) + `}`
	}
	p.t.Fatalf("%s: still a nextCursor after 1000 pages", k.method)
	return nil
}

// listItemID returns the name, URI or URI template of a list item.
func listItemID(t *testing.T, k listKind, item []byte) string {
	t.Helper()
	var v map[string]any
	mustJSON(t, item, &v)
	s, _ := v[k.idKey].(string)
	if s == "" {
		t.Fatalf("%s item without %q: %s", k.method, k.idKey, item)
	}
	return s
}

// listItemServer tells which backend an exposed name or URI belongs to ("" for
// the gateway's own get_metadata).
func listItemServer(id string) string {
	if rest, ok := strings.CutPrefix(id, "test://"); ok {
		server, _, _ := strings.Cut(rest, "/")
		return server
	}
	if server, _, ok := strings.Cut(id, "__"); ok {
		return server
	}
	return ""
}

// TestPaginationAcrossBackends: with gateway.pageSize set, every list comes
// in pages of exactly that size (the last one at most) with an opaque
// cursor; following the cursors yields each backend's items exactly once
// and in the order of the unpaginated list, with pages that span two
// backends; cursors the gateway did not issue are invalid params; and the Go
// SDK client's iterators collect the same items.
func TestPaginationAcrossBackends(t *testing.T) {
	b := build(t)
	args := map[string][]string{
		"alpha": {"-name", "alpha"},
		// beta paginates its own lists, so the gateway must follow its
		// cursors too before paginating the merged list.
		"beta":  {"-name", "beta", "-page-size", "3", "-tools", "5"},
		"gamma": {"-name", "gamma", "-tools", "2"},
	}
	servers := map[string]any{}
	for name, a := range args {
		servers[name] = stdioServer(b.kitchen, a...)
	}
	const pageSize = 2
	paged := writeConfig(t, map[string]any{"mcpServers": servers, "gateway": map[string]any{"pageSize": pageSize}})
	whole := writeConfig(t, map[string]any{"mcpServers": servers})

	// What the client must see in all: each backend's own items, namespaced,
	// plus the gateway's get_metadata.
	var want [4][]string
	want[0] = []string{"get_metadata"}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		direct := kitchenLists(t, b.kitchen, args[name]...)
		for i, ids := range direct {
			for _, id := range ids {
				if i < 2 {
					id = name + "__" + id
				}
				want[i] = append(want[i], id)
			}
		}
	}

	p := newProtoSession(t, b, paged, "{}")
	ref := newProtoSession(t, b, whole, "{}")
	var got [4][]string
	for i, k := range listKinds {
		pages := p.pages(k)
		refPages := ref.pages(k)
		if len(refPages) != 1 {
			t.Errorf("%s without pageSize came in %d pages, want 1", k.method, len(refPages))
		}
		if len(pages) < 2 {
			t.Errorf("%s with pageSize %d came in %d page(s) for %d items", k.method, pageSize, len(pages), len(want[i]))
		}
		var items []json.RawMessage
		spans := false
		for j, pg := range pages {
			last := j == len(pages)-1
			if !last && len(pg.items) != pageSize || last && (len(pg.items) == 0 || len(pg.items) > pageSize) {
				t.Errorf("%s page %d of %d has %d items (page size %d)", k.method, j+1, len(pages), len(pg.items), pageSize)
			}
			if !last && *pg.nextCursor == "" {
				t.Errorf("%s page %d: empty nextCursor", k.method, j+1)
			}
			owners := map[string]bool{}
			for _, it := range pg.items {
				owners[listItemServer(listItemID(t, k, it))] = true
			}
			spans = spans || len(owners) == 2 && !owners[""]
			items = append(items, pg.items...)
		}
		// Every kitchen has one prompt, one template and five resources:
		// with three backends and pages of two, some page must hold the
		// last item of one backend and the first of the next.
		if k.key != "tools" && !spans {
			t.Errorf("%s: no page holds items of two backends", k.method)
		}
		// In the order of the unpaginated list, byte for byte.
		if len(items) != len(refPages[0].items) {
			t.Errorf("%s: %d items over all pages, %d in the unpaginated list", k.method, len(items), len(refPages[0].items))
		}
		for j := range min(len(items), len(refPages[0].items)) {
			if string(items[j]) != string(refPages[0].items[j]) {
				t.Errorf("%s item %d differs from the unpaginated list:\npaged %s\nwhole %s", k.method, j, items[j], refPages[0].items[j])
			}
		}
		for _, it := range items {
			got[i] = append(got[i], listItemID(t, k, it))
		}
		// Exactly once each, and nothing else.
		if s, w := slices.Sorted(slices.Values(got[i])), slices.Sorted(slices.Values(want[i])); !slices.Equal(s, w) {
			t.Errorf("%s over all pages:\n got %v\nwant %v", k.method, s, w)
		}
	}

	t.Run("invalid cursors", func(t *testing.T) {
		cursors := []string{
			`"not a cursor"`,
			`"` + base64.RawURLEncoding.EncodeToString([]byte("other:2")) + `"`,
			// Well formed, but past the end of every list.
			`"` + base64.RawURLEncoding.EncodeToString([]byte("mcpgw1:100000")) + `"`,
			`7`,
			`{"offset":2}`,
		}
		for _, k := range listKinds {
			for _, c := range cursors {
				m := p.call(k.method, `{"cursor":`+c+`}`)
				if code := rawErrorCode(m); code != jsonrpc.CodeInvalidParams {
					t.Errorf("%s with cursor %s: code %d (result %s, error %s), want %d", k.method, c, code, m.Result, m.Error, jsonrpc.CodeInvalidParams)
				}
			}
		}
		// The session is fine afterwards.
		if pages := p.pages(listKinds[1]); len(pages) != 2 {
			t.Errorf("prompts/list after bad cursors: %d pages", len(pages))
		}
	})

	t.Run("Go SDK iterators", func(t *testing.T) {
		cs, _ := connect(t, b, paged, nil)
		ctx := context.Background()
		first, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Tools) != pageSize || first.NextCursor == "" {
			t.Errorf("first tools page: %d tools, cursor %q", len(first.Tools), first.NextCursor)
		}
		var sdk [4][]string
		for tl, err := range cs.Tools(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			sdk[0] = append(sdk[0], tl.Name)
		}
		for pr, err := range cs.Prompts(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			sdk[1] = append(sdk[1], pr.Name)
		}
		for r, err := range cs.Resources(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			sdk[2] = append(sdk[2], r.URI)
		}
		for rt, err := range cs.ResourceTemplates(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			sdk[3] = append(sdk[3], rt.URITemplate)
		}
		for i, k := range listKinds {
			if !slices.Equal(sdk[i], got[i]) {
				t.Errorf("%s through the SDK iterator:\n got %v\nwant %v", k.method, sdk[i], got[i])
			}
		}
		// Items from the last pages route to their backends.
		if got := callText(t, cs, "gamma__gen_001", map[string]any{"message": "paged"}); got != "gamma: gen_001 paged" {
			t.Errorf("gamma__gen_001 = %q", got)
		}
		if got := callText(t, cs, "beta__gen_004", map[string]any{"message": "paged"}); got != "beta: gen_004 paged" {
			t.Errorf("beta__gen_004 = %q", got)
		}
		rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://gamma/static/5"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rr.Contents) != 1 || rr.Contents[0].Text != "static 5 from gamma" {
			t.Errorf("read test://gamma/static/5 = %+v", rr.Contents)
		}
	})
}

// twoKitchenConfig is a config with kitchen servers alpha and beta.
func twoKitchenConfig(b bins) map[string]any {
	return map[string]any{"mcpServers": map[string]any{
		"alpha": stdioServer(b.kitchen, "-name", "alpha"),
		"beta":  stdioServer(b.kitchen, "-name", "beta"),
	}}
}

// receiveWithin returns the next value from c, failing after 10s.
func receiveWithin[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
	var zero T
	return zero
}

// TestURLElicitationAndFormActions: URL-mode elicitation from two backends
// reaches the client with its URL and elicitation id, each answer returns to
// the backend that asked (also when both ask at once), and the backend's
// notifications/elicitation/complete reaches the client; the form actions
// decline and cancel pass through unchanged.
func TestURLElicitationAndFormActions(t *testing.T) {
	b := build(t)
	elicited := make(chan *mcp.ElicitParams, 16)
	completed := make(chan string, 16)
	opts := &mcp.ClientOptions{
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			elicited <- r.Params
			switch {
			case r.Params.Mode == "url" && strings.HasSuffix(r.Params.URL, "/decline"):
				return &mcp.ElicitResult{Action: "decline"}, nil
			case r.Params.Mode == "url":
				return &mcp.ElicitResult{Action: "accept"}, nil
			case r.Params.Message == "decline?":
				return &mcp.ElicitResult{Action: "decline"}, nil
			case r.Params.Message == "cancel?":
				return &mcp.ElicitResult{Action: "cancel"}, nil
			}
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "yes to " + r.Params.Message}}, nil
		},
		ElicitationCompleteHandler: func(_ context.Context, r *mcp.ElicitationCompleteNotificationRequest) {
			completed <- r.Params.ElicitationID
		},
		Capabilities: &mcp.ClientCapabilities{
			Elicitation: &mcp.ElicitationCapabilities{Form: &mcp.FormElicitationCapabilities{}, URL: &mcp.URLElicitationCapabilities{}},
		},
	}
	cs, _ := connect(t, b, writeConfig(t, twoKitchenConfig(b)), opts)

	checkURL := func(e *mcp.ElicitParams, url, id string) {
		t.Helper()
		if e.Mode != "url" || e.URL != url || e.ElicitationID != id || e.Message != "Please open "+url+" to continue." {
			t.Errorf("URL elicitation = mode %q url %q id %q message %q; want url %q id %q", e.Mode, e.URL, e.ElicitationID, e.Message, url, id)
		}
	}

	// Accepted: the backend sends notifications/elicitation/complete.
	const alphaURL = "https://auth.example/alpha?step=1&x=%2F"
	if got := callText(t, cs, "alpha__elicit_url", map[string]any{"url": alphaURL}); got != "alpha elicited url: accept alpha-url-1" {
		t.Errorf("alpha__elicit_url = %q", got)
	}
	checkURL(receiveWithin(t, elicited, "URL elicitation"), alphaURL, "alpha-url-1")
	if id := receiveWithin(t, completed, "notifications/elicitation/complete"); id != "alpha-url-1" {
		t.Errorf("completed elicitation %q, want alpha-url-1", id)
	}

	// Declined: no completion; the next accepted one is completed with its
	// own id.
	if got := callText(t, cs, "beta__elicit_url", map[string]any{"url": "https://auth.example/beta/decline"}); got != "beta elicited url: decline beta-url-1" {
		t.Errorf("declined beta__elicit_url = %q", got)
	}
	checkURL(receiveWithin(t, elicited, "URL elicitation"), "https://auth.example/beta/decline", "beta-url-1")
	if got := callText(t, cs, "beta__elicit_url", map[string]any{"url": "https://auth.example/beta/ok"}); got != "beta elicited url: accept beta-url-2" {
		t.Errorf("accepted beta__elicit_url = %q", got)
	}
	checkURL(receiveWithin(t, elicited, "URL elicitation"), "https://auth.example/beta/ok", "beta-url-2")
	if id := receiveWithin(t, completed, "notifications/elicitation/complete"); id != "beta-url-2" {
		t.Errorf("completed elicitation %q, want beta-url-2 (the declined beta-url-1 must not complete)", id)
	}

	// Both backends ask at once; one is accepted and one declined, so an
	// answer delivered to the wrong backend shows in the results.
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Go(func() {
			server, url := "alpha", fmt.Sprintf("https://auth.example/alpha/%d", i)
			if i%2 == 1 {
				server, url = "beta", fmt.Sprintf("https://auth.example/beta/%d/decline", i)
			}
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: server + "__elicit_url", Arguments: map[string]any{"url": url}})
			if err != nil {
				t.Errorf("concurrent %s__elicit_url: %v", server, err)
				return
			}
			results[i] = textOf(t, res)
		})
	}
	wg.Wait()
	var alphaIDs, betaIDs []string
	for i, r := range results {
		want := "alpha elicited url: accept alpha-url-"
		if i%2 == 1 {
			want = "beta elicited url: decline beta-url-"
		}
		id, ok := strings.CutPrefix(r, want)
		if !ok {
			t.Errorf("concurrent call %d = %q, want %s<n>", i, r, want)
			continue
		}
		if i%2 == 0 {
			alphaIDs = append(alphaIDs, "alpha-url-"+id)
		} else {
			betaIDs = append(betaIDs, "beta-url-"+id)
		}
	}
	slices.Sort(alphaIDs)
	slices.Sort(betaIDs)
	if want := []string{"alpha-url-2", "alpha-url-3", "alpha-url-4", "alpha-url-5"}; !slices.Equal(alphaIDs, want) {
		t.Errorf("alpha's concurrent elicitation ids = %v, want %v", alphaIDs, want)
	}
	if want := []string{"beta-url-3", "beta-url-4", "beta-url-5", "beta-url-6"}; !slices.Equal(betaIDs, want) {
		t.Errorf("beta's concurrent elicitation ids = %v, want %v", betaIDs, want)
	}
	for range results {
		receiveWithin(t, elicited, "URL elicitation")
	}
	var done []string
	for range alphaIDs {
		done = append(done, receiveWithin(t, completed, "notifications/elicitation/complete"))
	}
	slices.Sort(done)
	if !slices.Equal(done, alphaIDs) {
		t.Errorf("completed %v, want alpha's accepted %v only", done, alphaIDs)
	}

	// Form mode: decline and cancel carry no content; accept does.
	for _, c := range []struct{ tool, question, want string }{
		{"alpha__elicit", "decline?", "alpha elicited: decline"},
		{"beta__elicit", "cancel?", "beta elicited: cancel"},
		{"beta__elicit", "ready?", "beta elicited: accept yes to ready?"},
	} {
		if got := callText(t, cs, c.tool, map[string]any{"question": c.question}); got != c.want {
			t.Errorf("%s %q = %q, want %q", c.tool, c.question, got, c.want)
		}
		if e := receiveWithin(t, elicited, "form elicitation"); e.Mode != "form" || e.Message != c.question {
			t.Errorf("form elicitation = mode %q message %q, want form %q", e.Mode, e.Message, c.question)
		}
	}
	if n := len(completed); n != 0 {
		t.Errorf("%d unexpected elicitation completions: %v", n, <-completed)
	}
	if n := len(elicited); n != 0 {
		t.Errorf("%d unexpected elicitations", n)
	}
}

// taskStatus is the part of a task (in results and notifications/tasks/status)
// that the tests read.
type taskStatus struct {
	TaskID        string `json:"taskId"`
	Status        string `json:"status"`
	StatusMessage string `json:"statusMessage"`
}

// everythingPair fronts two instances of server-everything, ev1 and ev2.
func everythingPair(t *testing.T) (bins, string) {
	t.Helper()
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	evCmd, evArgs := testenv.NPMServer(t, "server-everything")
	return bins{gateway: gw}, writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"ev1": map[string]any{"command": evCmd, "args": evArgs},
		"ev2": map[string]any{"command": evCmd, "args": evArgs},
	}})
}

// waitForTools lists tools until every name in want is offered.
func (p *protoSession) waitForTools(want ...string) []byte {
	p.t.Helper()
	var list []byte
	waitFor(p.t, func() bool {
		list = p.result("tools/list", "")
		for _, w := range want {
			if !strings.Contains(string(list), `"name":"`+w+`"`) {
				return false
			}
		}
		return true
	})
	return list
}

// TestTasks: server-everything (2026.8.31, TypeScript SDK 1.32) implements
// tasks: its simulate-research-query tool requires task augmentation. Two
// instances behind the gateway: the merged capabilities and the tool's
// execution.taskSupport reach the client; a task-augmented tools/call
// answers with the backend's task; tasks/get, tasks/cancel and tasks/result
// reach the backend that owns the task (a task id exists on one backend
// only, so a misrouted call fails); tasks/list merges both backends;
// notifications/tasks/status of both backends reach the client in order;
// and the elicitation that a task asks for while input_required reaches the
// client, with its related-task _meta, and the answer reaches the task.
func TestTasks(t *testing.T) {
	b, cfg := everythingPair(t)
	p := newProtoSession(t, b, cfg, `{"elicitation":{"form":{}}}`)
	statuses := map[string][]taskStatus{}
	var elicitations []string
	p.onOther = func(m jsonrpc.Message) {
		switch {
		case m.Kind == jsonrpc.KindNotification && m.Method == "notifications/tasks/status":
			var s taskStatus
			mustJSON(t, m.Params, &s)
			statuses[s.TaskID] = append(statuses[s.TaskID], s)
		case m.Kind == jsonrpc.KindRequest && m.Method == "elicitation/create":
			elicitations = append(elicitations, string(m.Params))
			p.send(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":{"action":"accept","content":{"interpretation":"snake"}}}`)
		case m.Kind == jsonrpc.KindRequest:
			p.send(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"error":{"code":-32601,"message":"not supported by this test client"}}`)
		}
	}

	var init struct {
		Capabilities map[string]json.RawMessage `json:"capabilities"`
	}
	mustJSON(t, p.init, &init)
	if got, want := string(init.Capabilities["tasks"]), `{"cancel":{},"list":{},"requests":{"tools":{"call":{}}}}`; got != want {
		t.Errorf("tasks capability shown to the client = %s, want %s", got, want)
	}
	// The tool is registered once the backend knows the client's
	// capabilities, and announced with tools/list_changed.
	list := p.waitForTools("ev1__simulate-research-query", "ev2__simulate-research-query")
	if n := strings.Count(string(list), `"execution":{"taskSupport":"required"}`); n != 2 {
		t.Errorf("%d tools carry execution.taskSupport required, want 2 (one per backend)", n)
	}

	start := func(server, topic string, ambiguous bool) taskStatus {
		t.Helper()
		res := p.result("tools/call", toolCallParamsTask(t, server+"__simulate-research-query",
			map[string]any{"topic": topic, "ambiguous": ambiguous}, map[string]any{"ttl": 120000}))
		var r struct {
			Task    *taskStatus
			Content json.RawMessage
		}
		mustJSON(t, res, &r)
		if r.Task == nil || r.Task.TaskID == "" || r.Task.Status != "working" || r.Content != nil {
			t.Fatalf("task-augmented call on %s answered %s, want a CreateTaskResult", server, res)
		}
		return *r.Task
	}
	taskParams := func(id string) string { return `{"taskId":` + string(jsonrpc.AppendString(nil, id)) + `}` }
	getTask := func(id string) taskStatus {
		t.Helper()
		var s taskStatus
		mustJSON(t, p.result("tasks/get", taskParams(id)), &s)
		if s.TaskID != id {
			t.Errorf("tasks/get %s answered for task %q", id, s.TaskID)
		}
		return s
	}
	// The task to cancel is cancelled at once, long before its four
	// one-second stages could finish.
	t3 := start("ev1", "doomed", false)
	var cancelled taskStatus
	mustJSON(t, p.result("tasks/cancel", taskParams(t3.TaskID)), &cancelled)
	if cancelled.TaskID != t3.TaskID || cancelled.Status != "cancelled" || cancelled.StatusMessage != "Client cancelled task execution." {
		t.Errorf("tasks/cancel = %+v", cancelled)
	}
	t1 := start("ev1", "gateways", false)
	t2 := start("ev2", "python", true)
	ids := []string{t1.TaskID, t2.TaskID, t3.TaskID}
	if t1.TaskID == t3.TaskID || t1.TaskID == t2.TaskID || t2.TaskID == t3.TaskID {
		t.Fatalf("task ids are not distinct: %v", ids)
	}
	for _, id := range ids {
		want := []string{"working", "input_required"}
		if id == t3.TaskID {
			want = []string{"cancelled"}
		}
		if s := getTask(id); !slices.Contains(want, s.Status) {
			t.Errorf("tasks/get %s: status %q, want one of %v", id, s.Status, want)
		}
	}

	var listed struct{ Tasks []taskStatus }
	mustJSON(t, p.result("tasks/list", ""), &listed)
	var listedIDs []string
	for _, tk := range listed.Tasks {
		listedIDs = append(listedIDs, tk.TaskID)
	}
	if !slices.Equal(slices.Sorted(slices.Values(listedIDs)), slices.Sorted(slices.Values(ids))) {
		t.Errorf("tasks/list = %v, want the three tasks of both backends %v", listedIDs, ids)
	}

	type taskResult struct {
		Content []struct{ Text string }
		Meta    map[string]struct {
			TaskID string `json:"taskId"`
		} `json:"_meta"`
	}
	result := func(id, wantHeading string) {
		t.Helper()
		var r taskResult
		mustJSON(t, p.result("tasks/result", taskParams(id)), &r)
		if len(r.Content) != 1 || !strings.HasPrefix(r.Content[0].Text, wantHeading+"\n") {
			t.Errorf("tasks/result %s = %+v, want a report headed %q", id, r.Content, wantHeading)
		}
		if got := r.Meta["io.modelcontextprotocol/related-task"].TaskID; got != id {
			t.Errorf("tasks/result %s: related-task _meta names %q", id, got)
		}
	}
	result(t1.TaskID, "# Research Report: gateways")
	// This one needs an answer first: the task's elicitation comes to the
	// client while tasks/result waits, and the answer reaches ev2.
	result(t2.TaskID, "# Research Report: python (snake)")
	if len(elicitations) != 1 || !strings.Contains(elicitations[0], `"io.modelcontextprotocol/related-task":{"taskId":"`+t2.TaskID+`"}`) ||
		!strings.Contains(elicitations[0], `The research query \"python\" could have multiple interpretations`) {
		t.Errorf("elicitations reaching the client = %v, want one for task %s", elicitations, t2.TaskID)
	}
	// The cancelled task stayed cancelled while the others ran to the end.
	if s := getTask(t3.TaskID); s.Status != "cancelled" {
		t.Errorf("cancelled task is now %q", s.Status)
	}

	// Both backends' status notifications reach the client, each task's in
	// order. (The first, "Gathering sources...", is sent before the task's
	// CreateTaskResult, when the gateway cannot know whose task it is yet;
	// the CreateTaskResult carries the same status.)
	done := func(id string) bool {
		s := statuses[id]
		return len(s) > 0 && s[len(s)-1].Status == "completed"
	}
	p.pump(func() bool { return done(t1.TaskID) && done(t2.TaskID) })
	for id := range statuses {
		if !slices.Contains(ids, id) {
			t.Errorf("status notification for a task nobody created: %s", id)
		}
	}
	seq := func(id string) []string {
		var out []string
		for _, s := range statuses[id] {
			out = append(out, s.Status+" "+s.StatusMessage)
		}
		return out
	}
	want1 := []string{"working Analyzing content...", "working Synthesizing findings...", "working Generating report...", "completed Generating report..."}
	if got := seq(t1.TaskID); !slices.Equal(got, want1) && !slices.Equal(got, append([]string{"working Gathering sources..."}, want1...)) {
		t.Errorf("status notifications of ev1's task:\n got %q\nwant %q", got, want1)
	}
	want2 := []string{"working Analyzing content...", `input_required Found multiple interpretations for "python". Requesting clarification...`,
		`working Continuing with interpretation: "snake"...`, "working Generating report...", "completed Generating report..."}
	if got := seq(t2.TaskID); !isSubsequence(want2, got) {
		t.Errorf("status notifications of ev2's task:\n got %q\nwant, in order, %q", got, want2)
	}
	for _, s := range statuses[t3.TaskID] {
		if s.Status == "completed" {
			t.Errorf("the cancelled task completed: %+v", statuses[t3.TaskID])
		}
	}

	// Task ids no call created are the gateway's own invalid params.
	for _, method := range []string{"tasks/get", "tasks/result", "tasks/cancel"} {
		if m := p.call(method, taskParams("0123456789abcdef0123456789abcdef")); rawErrorCode(m) != jsonrpc.CodeInvalidParams {
			t.Errorf("%s of an unknown task: result %s error %s, want code %d", method, m.Result, m.Error, jsonrpc.CodeInvalidParams)
		}
	}
}

// toolCallParamsTask returns task-augmented tools/call params.
func toolCallParamsTask(t *testing.T, name string, args, task map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": name, "arguments": args, "task": task})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// isSubsequence reports whether want appears in got in order, possibly with
// other elements between.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestTasksListPagination: tasks/list pages too (server-everything lists 10
// tasks a page); every task of every backend must be reachable by following
// the gateway's nextCursor.
func TestTasksListPagination(t *testing.T) {
	b, cfg := everythingPair(t)
	p := newProtoSession(t, b, cfg, `{}`)
	p.waitForTools("ev1__simulate-research-query", "ev2__simulate-research-query")
	var want []string
	for i := range 13 {
		server := "ev1"
		if i == 12 {
			server = "ev2"
		}
		res := p.result("tools/call", toolCallParamsTask(t, server+"__simulate-research-query", map[string]any{"topic": fmt.Sprint("topic ", i)}, map[string]any{}))
		var r struct{ Task taskStatus }
		mustJSON(t, res, &r)
		want = append(want, r.Task.TaskID)
	}
	var got []string
	params := ""
	for range 100 {
		var page struct {
			Tasks      []taskStatus
			NextCursor *string
		}
		mustJSON(t, p.result("tasks/list", params), &page)
		for _, tk := range page.Tasks {
			got = append(got, tk.TaskID)
		}
		if page.NextCursor == nil {
			break
		}
		params = `{"cursor":` + string(jsonrpc.AppendString(nil, *page.NextCursor)) + `}`
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tasks/list over all pages has %d tasks, want the %d created (12 on ev1, 1 on ev2):\n got %v\nwant %v", len(got), len(want), got, want)
	}
}

// inspectResult runs the MCP Inspector CLI against the gateway on cfgPath
// and decodes the "result" of its JSON output into out.
func inspectResult(t *testing.T, gw, cfgPath string, out any, args ...string) {
	t.Helper()
	cmd, base := testenv.InspectorCLI(t)
	// The Inspector starts stdio servers with a minimal environment; give
	// the gateway its own data directory explicitly.
	full := append(base, "-q", "--format", "json", "-e", "XDG_DATA_HOME="+t.TempDir(), gw, "--mcp-json-path", cfgPath)
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	stdout, err := exec.CommandContext(ctx, cmd, full...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("inspector %v: %v\nstdout: %s\nstderr: %s", args, err, stdout, stderr)
	}
	var v struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(stdout, &v); err != nil || v.Result == nil {
		t.Fatalf("inspector %v printed %s, want {\"result\": ...} (%v)", args, stdout, err)
	}
	if err := json.Unmarshal(v.Result, out); err != nil {
		t.Fatalf("inspector %v: decode result %s: %v", args, v.Result, err)
	}
}

// TestInspectorCLIProtocol: the MCP Inspector CLI (2.12.0) against the
// gateway fronting two kitchen servers lists and reads resources (exact and
// templated URIs, each answered by its owner), lists and gets prompts with
// arguments, and calls tools with number and string arguments.
func TestInspectorCLIProtocol(t *testing.T) {
	b := build(t)
	cfg := writeConfig(t, twoKitchenConfig(b))

	var resources struct {
		Resources []struct{ URI, Name, MIMEType string }
	}
	inspectResult(t, b.gateway, cfg, &resources, "--method", "resources/list")
	var uris []string
	for _, r := range resources.Resources {
		uris = append(uris, r.URI)
		if want := "static-" + r.URI[len(r.URI)-1:]; r.Name != want || r.MIMEType != "text/plain" {
			t.Errorf("resource %s: name %q, mimeType %q", r.URI, r.Name, r.MIMEType)
		}
	}
	var wantURIs []string
	for _, server := range []string{"alpha", "beta"} {
		for i := 1; i <= 5; i++ {
			wantURIs = append(wantURIs, fmt.Sprintf("test://%s/static/%d", server, i))
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(uris)), wantURIs) {
		t.Errorf("resources/list = %v, want %v", uris, wantURIs)
	}

	type readResult struct {
		Contents []struct{ URI, MIMEType, Text string }
	}
	for uri, want := range map[string]string{
		"test://beta/static/2": "static 2 from beta",
		"test://alpha/item/7":  "item 7 from alpha", // through alpha's template
		"test://beta/item/x-y": "item x-y from beta",
	} {
		var rr readResult
		inspectResult(t, b.gateway, cfg, &rr, "--method", "resources/read", "--uri", uri)
		if len(rr.Contents) != 1 || rr.Contents[0].URI != uri || rr.Contents[0].Text != want || rr.Contents[0].MIMEType != "text/plain" {
			t.Errorf("resources/read %s = %+v, want the text %q", uri, rr.Contents, want)
		}
	}

	var prompts struct {
		Prompts []struct {
			Name      string
			Arguments []struct {
				Name     string
				Required bool
			}
		}
	}
	inspectResult(t, b.gateway, cfg, &prompts, "--method", "prompts/list")
	var names []string
	for _, pr := range prompts.Prompts {
		names = append(names, pr.Name)
		if len(pr.Arguments) != 1 || pr.Arguments[0].Name != "name" || !pr.Arguments[0].Required {
			t.Errorf("prompt %s arguments = %+v", pr.Name, pr.Arguments)
		}
	}
	if want := []string{"alpha__greet", "beta__greet"}; !slices.Equal(slices.Sorted(slices.Values(names)), want) {
		t.Errorf("prompts/list = %v, want %v", names, want)
	}

	var prompt struct {
		Description string
		Messages    []struct {
			Role    string
			Content struct{ Type, Text string }
		}
	}
	inspectResult(t, b.gateway, cfg, &prompt, "--method", "prompts/get", "--prompt-name", "beta__greet", "--prompt-args", "name=Ann Lee")
	if prompt.Description != "A greeting from beta" || len(prompt.Messages) != 1 ||
		prompt.Messages[0].Role != "user" || prompt.Messages[0].Content.Text != "Hello Ann Lee from beta" {
		t.Errorf("prompts/get beta__greet = %+v", prompt)
	}

	type callResult struct {
		Content           []struct{ Type, Text string }
		StructuredContent map[string]any
		IsError           bool
	}
	var sum callResult
	inspectResult(t, b.gateway, cfg, &sum, "--method", "tools/call", "--tool-name", "alpha__add", "--tool-arg", "a=2", "--tool-arg", "b=40.5")
	if sum.IsError || len(sum.Content) != 1 || sum.Content[0].Text != "42.5" {
		t.Errorf("alpha__add a=2 b=40.5 = %+v", sum)
	}
	var echo callResult
	inspectResult(t, b.gateway, cfg, &echo, "--method", "tools/call", "--tool-name", "beta__echo", "--tool-arg", "message=a=b c")
	if echo.IsError || len(echo.Content) != 1 || echo.Content[0].Text != "beta: a=b c" ||
		echo.StructuredContent["server"] != "beta" || echo.StructuredContent["message"] != "a=b c" {
		t.Errorf("beta__echo message=\"a=b c\" = %+v", echo)
	}
}

// logMessage is one notifications/message as the tests compare it.
type logMessage struct {
	Level  string `json:"level"`
	Logger string `json:"logger"`
	Data   any    `json:"data"`
}

// TestLoggingLevelFanOut: logging/setLevel reaches every backend, so that
// from each of two backends messages below the level are not delivered and
// those at or above it are, each with its backend's logger; a new level
// replaces the old one everywhere, and a backend that restarts gets the
// client's level again.
func TestLoggingLevelFanOut(t *testing.T) {
	b := build(t)
	p := newProtoSession(t, b, writeConfig(t, twoKitchenConfig(b)), "{}")
	var got []logMessage
	p.onOther = func(m jsonrpc.Message) {
		if m.Method == "notifications/message" {
			var l logMessage
			mustJSON(t, m.Params, &l)
			got = append(got, l)
		}
	}
	setLevel := func(level string) {
		t.Helper()
		if res := p.result("logging/setLevel", `{"level":"`+level+`"}`); string(res) != "{}" {
			t.Errorf("logging/setLevel %s = %s", level, res)
		}
	}
	// logAt has each server log one message per level, then one at
	// emergency that always passes; once both of those have arrived, every
	// message that was going to be delivered has been (a backend's messages
	// keep their order). It returns the delivered ones per server.
	servers := []string{"alpha", "beta"}
	levels := []string{"debug", "info", "notice", "warning", "error", "critical"}
	logAt := func(servers ...string) map[string][]string {
		t.Helper()
		got = nil
		for _, s := range servers {
			for _, l := range append(slices.Clone(levels), "emergency") {
				msg := s + " " + l
				if l == "emergency" {
					msg = s + " end"
				}
				res := p.result("tools/call", toolCallParams(t, s+"__log", map[string]any{"level": l, "message": msg}))
				if text := rawToolText(t, res); text != "logged" {
					t.Fatalf("%s__log = %q", s, text)
				}
			}
		}
		ended := func() bool {
			n := 0
			for _, l := range got {
				if l.Level == "emergency" {
					n++
				}
			}
			return n == len(servers)
		}
		p.pump(ended)
		out := map[string][]string{}
		for _, l := range got {
			if l.Data != l.Logger+" "+l.Level && !(l.Level == "emergency" && l.Data == l.Logger+" end") {
				t.Errorf("message %+v: its data does not match its logger and level", l)
			}
			out[l.Logger] = append(out[l.Logger], l.Level)
		}
		return out
	}
	check := func(level string, servers ...string) {
		t.Helper()
		want := append(slices.Clone(levels[slices.Index(levels, level):]), "emergency")
		delivered := logAt(servers...)
		for _, s := range servers {
			if !slices.Equal(delivered[s], want) {
				t.Errorf("at level %s, %s delivered %v, want %v", level, s, delivered[s], want)
			}
		}
		if len(delivered) != len(servers) {
			t.Errorf("messages from %d loggers, want %d: %v", len(delivered), len(servers), delivered)
		}
	}

	setLevel("warning")
	check("warning", servers...)
	setLevel("debug")
	check("debug", servers...)
	setLevel("error")
	check("error", servers...)

	// alpha crashes and is restarted; the gateway sets its level again.
	if m := p.call("tools/call", toolCallParams(t, "alpha__crash", nil)); m.Error == nil {
		t.Fatalf("alpha__crash answered %s", m.Result)
	}
	waitFor(t, func() bool {
		m := p.call("tools/call", toolCallParams(t, "alpha__echo", map[string]any{"message": "back"}))
		return m.Error == nil && rawToolText(t, m.Result) == "alpha: back"
	})
	check("error", servers...)
}
