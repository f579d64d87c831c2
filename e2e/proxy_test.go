package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// twoKitchens is a config with two instances of the kitchen server, one of
// them paginating its lists. The kitchen speaks both protocol eras; alpha
// is left to detection (a stdio server that accepts initialize is spoken
// to session-based) and beta is pinned to 2026-07-28, so every test
// through this config crosses both.
func twoKitchens(b bins) map[string]any {
	beta := stdioServer(b.kitchen, "-name", "beta", "-page-size", "3", "-tools", "5")
	beta["era"] = "modern"
	return map[string]any{"mcpServers": map[string]any{
		"alpha": stdioServer(b.kitchen, "-name", "alpha"),
		"beta":  beta,
	}}
}

// clientEras are the protocol revisions a test client is made to speak:
// the SDK's default (2026-07-28) and the last session-based one.
var clientEras = []string{"2026-07-28", "2025-11-25"}

// eachClientEra runs a test once per client era.
func eachClientEra(t *testing.T, test func(t *testing.T, so *mcp.ClientSessionOptions)) {
	for _, era := range clientEras {
		t.Run("client-"+era, func(t *testing.T) { test(t, &mcp.ClientSessionOptions{ProtocolVersion: era}) })
	}
}

func TestToolsAcrossBackends(t *testing.T) {
	b := build(t)
	cs, _ := connect(t, b, writeConfig(t, twoKitchens(b)), nil)
	ctx := context.Background()

	var names []string
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
	}
	for _, want := range []string{"alpha__echo", "beta__echo", "alpha__add", "beta__gen_004", "get_metadata"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list lacks %s; got %v", want, names)
		}
	}
	// beta pages its list 3 at a time; every page must have been followed.
	if n := countPrefix(names, "beta__gen_"); n != 5 {
		t.Errorf("got %d of beta's 5 generated tools: %v", n, names)
	}
	if got := callText(t, cs, "alpha__echo", map[string]any{"message": "hi"}); got != "alpha: hi" {
		t.Errorf("alpha__echo = %q", got)
	}
	if got := callText(t, cs, "beta__echo", map[string]any{"message": "yo"}); got != "beta: yo" {
		t.Errorf("beta__echo = %q", got)
	}
	if got := callText(t, cs, "alpha__add", map[string]any{"a": 2, "b": 40}); got != "42" {
		t.Errorf("alpha__add = %q", got)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "alpha__echo", Arguments: map[string]any{"message": "s"}})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(string(sc), `"server":"alpha"`) {
		t.Errorf("structuredContent = %s", sc)
	}
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "nosuch__tool"})
	if err == nil || !strings.Contains(err.Error(), `unknown tool "nosuch__tool"`) {
		t.Errorf("unknown tool error = %v", err)
	}
}

func countPrefix(names []string, prefix string) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func TestPromptsResourcesTemplatesCompletion(t *testing.T) {
	b := build(t)
	cs, _ := connect(t, b, writeConfig(t, twoKitchens(b)), nil)
	ctx := context.Background()

	var prompts []string
	for p, err := range cs.Prompts(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		prompts = append(prompts, p.Name)
	}
	if !slices.Contains(prompts, "alpha__greet") || !slices.Contains(prompts, "beta__greet") {
		t.Fatalf("prompts = %v", prompts)
	}
	pr, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "beta__greet", Arguments: map[string]string{"name": "Ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := pr.Messages[0].Content.(*mcp.TextContent); !ok || tc.Text != "Hello Ann from beta" {
		t.Errorf("prompt message = %#v", pr.Messages[0].Content)
	}

	var uris []string
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	for _, want := range []string{"test://alpha/static/1", "test://beta/static/5"} {
		if !slices.Contains(uris, want) {
			t.Errorf("resources lack %s: %v", want, uris)
		}
	}
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://beta/static/2"})
	if err != nil || len(rr.Contents) == 0 {
		t.Fatalf("read static: %v", err)
	}
	var templates []string
	for tp, err := range cs.ResourceTemplates(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		templates = append(templates, tp.URITemplate)
	}
	if !slices.Contains(templates, "test://alpha/item/{id}") || !slices.Contains(templates, "test://beta/item/{id}") {
		t.Fatalf("templates = %v", templates)
	}
	rr, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://beta/item/7"})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Contents[0].Text != "item 7 from beta" {
		t.Errorf("templated read = %q", rr.Contents[0].Text)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://nobody/x"}); err == nil {
		t.Error("reading a URI nobody owns succeeded")
	}

	comp, err := cs.Complete(ctx, &mcp.CompleteParams{
		Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "alpha__greet"},
		Argument: mcp.CompleteParamsArgument{Name: "name", Value: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(comp.Completion.Values, []string{"bob"}) {
		t.Errorf("prompt completion = %v", comp.Completion.Values)
	}
	comp, err = cs.Complete(ctx, &mcp.CompleteParams{
		Ref:      &mcp.CompleteReference{Type: "ref/resource", URI: "test://beta/item/{id}"},
		Argument: mcp.CompleteParamsArgument{Name: "id", Value: "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(comp.Completion.Values, "1") || !slices.Contains(comp.Completion.Values, "19") {
		t.Errorf("template completion = %v", comp.Completion.Values)
	}
}

func TestProgressAndCancellation(t *testing.T) {
	b := build(t)
	var mu sync.Mutex
	var progress []float64
	var tokens []any
	opts := &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, r.Params.Progress)
		tokens = append(tokens, r.Params.ProgressToken)
	}}
	cs, _ := connect(t, b, writeConfig(t, twoKitchens(b)), opts)
	ctx := context.Background()

	// A string token must come back as the same string.
	params := &mcp.CallToolParams{Name: "alpha__slow", Arguments: map[string]any{"steps": 3, "delayMs": 10}}
	params.SetProgressToken("tok-α")
	if _, err := cs.CallTool(ctx, params); err != nil {
		t.Fatal(err)
	}
	// The SDK client runs notification handlers asynchronously, so the
	// last notification may be handled after CallTool returns.
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(progress) >= 3 })
	mu.Lock()
	if len(progress) != 3 {
		t.Errorf("got %d progress notifications, want 3: %v", len(progress), progress)
	}
	for _, tok := range tokens {
		if tok != "tok-α" {
			t.Errorf("progress token came back as %#v, want the string tok-α", tok)
		}
	}
	progress, tokens = nil, nil
	mu.Unlock()

	// Cancelling the client's context cancels the backend's work.
	cctx, cancel := context.WithCancel(ctx)
	params = &mcp.CallToolParams{Name: "beta__slow", Arguments: map[string]any{"steps": 1000, "delayMs": 20}}
	params.SetProgressToken(77)
	errc := make(chan error, 1)
	go func() { _, err := cs.CallTool(cctx, params); errc <- err }()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(progress) >= 2 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("cancelled call succeeded")
	}
	mu.Lock()
	n := len(progress)
	for _, tok := range tokens {
		if f, ok := tok.(float64); !ok || f != 77 {
			t.Errorf("numeric token came back as %#v, want the number 77", tok)
		}
	}
	mu.Unlock()
	// The backend stopped: no progress keeps arriving.
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	if len(progress) > n+1 {
		t.Errorf("progress kept arriving after cancel: %d then %d", n, len(progress))
	}
	mu.Unlock()
	// The session is still usable.
	if got := callText(t, cs, "beta__echo", map[string]any{"message": "after"}); got != "beta: after" {
		t.Errorf("echo after cancel = %q", got)
	}
}

func TestSamplingElicitationRoots(t *testing.T) {
	b := build(t)
	var sampled atomic.Int32
	opts := &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			sampled.Add(1)
			return &mcp.CreateMessageResult{Model: "test", Role: "assistant", Content: &mcp.TextContent{Text: "model says hi"}}, nil
		},
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "42"}}, nil
		},
	}
	eachClientEra(t, func(t *testing.T, so *mcp.ClientSessionOptions) {
		sampled.Store(0)
		testSamplingElicitationRoots(t, b, opts, so, &sampled)
	})
}

func testSamplingElicitationRoots(t *testing.T, b bins, opts *mcp.ClientOptions, so *mcp.ClientSessionOptions, sampled *atomic.Int32) {
	cs, _ := connectWith(t, b, writeConfig(t, twoKitchens(b)), opts, so, &mcp.Root{URI: "file:///work/project", Name: "project"})
	if got := callText(t, cs, "alpha__sample", map[string]any{"prompt": "hello"}); got != "alpha sampled: model says hi" {
		t.Errorf("sample = %q", got)
	}
	if got := callText(t, cs, "beta__elicit", map[string]any{"question": "meaning?"}); got != "beta elicited: accept 42" {
		t.Errorf("elicit = %q", got)
	}
	if got := callText(t, cs, "alpha__roots", nil); got != "file:///work/project" {
		t.Errorf("roots = %q", got)
	}
	// Both backends call back at once: each answer goes to the one that asked.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			server := []string{"alpha", "beta"}[i%2]
			if got := callText(t, cs, server+"__sample", map[string]any{"prompt": "x"}); got != server+" sampled: model says hi" {
				t.Errorf("concurrent sample on %s = %q", server, got)
			}
		}()
	}
	wg.Wait()
	if n := sampled.Load(); n != 11 {
		t.Errorf("client answered %d sampling requests, want 11", n)
	}
}

func TestLoggingListChangedSubscriptions(t *testing.T) {
	b := build(t)
	eachClientEra(t, func(t *testing.T, so *mcp.ClientSessionOptions) { testLoggingListChangedSubscriptions(t, b, so) })
}

func testLoggingListChangedSubscriptions(t *testing.T, b bins, so *mcp.ClientSessionOptions) {
	logged := make(chan string, 10)
	toolsChanged := make(chan struct{}, 10)
	updated := make(chan string, 10)
	opts := &mcp.ClientOptions{
		LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			logged <- fmt.Sprint(r.Params.Data)
		},
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { toolsChanged <- struct{}{} },
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) { updated <- r.Params.URI },
	}
	cs, _ := connectWith(t, b, writeConfig(t, twoKitchens(b)), opts, so)
	ctx := context.Background()

	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
		t.Fatal(err)
	}
	callText(t, cs, "alpha__log", map[string]any{"level": "info", "message": "too quiet"})
	callText(t, cs, "alpha__log", map[string]any{"level": "error", "message": "loud enough"})
	select {
	case got := <-logged:
		if !strings.Contains(got, "loud enough") {
			t.Errorf("first log message = %q; the info one should have been filtered by setLevel", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no log message reached the client")
	}

	callText(t, cs, "beta__add_tool", map[string]any{"name": "fresh"})
	select {
	case <-toolsChanged:
	case <-time.After(10 * time.Second):
		t.Fatal("no tools/list_changed reached the client")
	}
	waitFor(t, func() bool {
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			return false
		}
		return slices.ContainsFunc(res.Tools, func(tl *mcp.Tool) bool { return tl.Name == "beta__fresh" })
	})
	if got := callText(t, cs, "beta__fresh", nil); got == "" {
		t.Error("the new tool answered nothing")
	}

	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://alpha/static/3"}); err != nil {
		t.Fatal(err)
	}
	// A 2026-07-28 client's Subscribe opens subscriptions/listen without
	// waiting for its acknowledgement, so the first touch may come before
	// the subscription holds: touch until an update arrives.
	deadline := time.After(10 * time.Second)
touching:
	for {
		callText(t, cs, "alpha__touch", map[string]any{"uri": "test://alpha/static/3"})
		select {
		case got := <-updated:
			if got != "test://alpha/static/3" {
				t.Errorf("updated %q", got)
			}
			break touching
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no resources/updated reached the subscribed client")
		}
	}
	if err := cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "test://alpha/static/3"}); err != nil {
		t.Fatal(err)
	}
}

func TestGetMetadata(t *testing.T) {
	b := build(t)
	cfg := twoKitchens(b)
	cfg["mcpServers"].(map[string]any)["off"] = map[string]any{"command": "false", "disabled": true}
	cs, _ := connect(t, b, writeConfig(t, cfg), nil)
	out := callText(t, cs, "get_metadata", nil)
	var meta map[string]struct {
		Status        string            `json:"status"`
		Capabilities  map[string]any    `json:"capabilities"`
		OriginalTools []json.RawMessage `json:"original_tools"`
		Error         string            `json:"error"`
	}
	mustJSON(t, []byte(out), &meta)
	if m := meta["alpha"]; m.Status != "active" || len(m.OriginalTools) == 0 || m.Capabilities["tools"] == nil {
		t.Errorf("alpha metadata = %+v", m)
	}
	if !strings.Contains(string(meta["alpha"].OriginalTools[0]), `"name":"`) || strings.Contains(string(meta["alpha"].OriginalTools[0]), "alpha__") {
		t.Errorf("original tools should carry the backend's own names: %s", meta["alpha"].OriginalTools[0])
	}
	if m := meta["off"]; m.Status != "inactive" || !strings.Contains(m.Error, "disabled") {
		t.Errorf("disabled server metadata = %+v", m)
	}
}
