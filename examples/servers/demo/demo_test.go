package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The test binary doubles as the server: with runServerEnv set, TestMain
// runs main instead of the tests.
const runServerEnv = "DEMO_TEST_RUN_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(runServerEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const waitLimit = 20 * time.Second

func connect(t *testing.T, opts *mcp.ClientOptions, name string) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-name", name)
	cmd.Env = append(os.Environ(), runServerEnv+"=1")
	cmd.Stderr = os.Stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "demo-test", Version: "1"}, opts)
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	// The legacy handshake, as the gateway speaks to its backends.
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var ee *exec.ExitError
		if err := cs.Close(); errors.As(err, &ee) {
			t.Errorf("the server exited with %v", err)
		}
	})
	return cs
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var sb strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			sb.WriteString(tc.Text)
		}
	}
	return sb.String(), !res.IsError
}

func mustText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	text, ok := callText(t, cs, name, args)
	if !ok {
		t.Fatalf("%s failed: %s", name, text)
	}
	return text
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("no %s reached the client", what)
	}
	var zero T
	return zero
}

func TestTools(t *testing.T) {
	t.Parallel()
	cs := connect(t, nil, "demo")
	ctx := t.Context()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
		if tl.Description == "" {
			t.Errorf("%s has no description", tl.Name)
		}
	}
	slices.Sort(names)
	if want := []string{"add", "echo", "note_add", "note_list", "now"}; !slices.Equal(names, want) {
		t.Errorf("tools = %v, want %v", names, want)
	}

	if got := mustText(t, cs, "add", map[string]any{"a": 1.5, "b": 2}); got != "3.5" {
		t.Errorf("add = %q", got)
	}
	if got := mustText(t, cs, "echo", map[string]any{"message": "hello"}); got != "demo: hello" {
		t.Errorf("echo = %q", got)
	}

	for _, tz := range []string{"", "Europe/Paris", "America/New_York"} {
		before := time.Now().Add(-time.Second)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "now", Arguments: map[string]any{"timezone": tz}})
		if err != nil || res.IsError {
			t.Fatalf("now %q: %v %+v", tz, err, res)
		}
		out, _ := res.StructuredContent.(map[string]any)
		want := tz
		if want == "" {
			want = "UTC"
		}
		got, err := time.Parse(time.RFC3339, out["time"].(string))
		if err != nil || out["timezone"] != want || got.Before(before.Truncate(time.Second)) || got.After(time.Now()) {
			t.Errorf("now %q = %v (%v)", tz, out, err)
		}
		if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, "("+want+", UTC") {
			t.Errorf("now %q text = %q", tz, text)
		}
	}
	if text, ok := callText(t, cs, "now", map[string]any{"timezone": "Mars/Olympus"}); ok || !strings.Contains(text, "unknown time zone") {
		t.Errorf("now on Mars = %q, ok %v", text, ok)
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	listChanged := make(chan struct{}, 10)
	updated := make(chan string, 10)
	cs := connect(t, &mcp.ClientOptions{
		ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) { listChanged <- struct{}{} },
		ResourceUpdatedHandler:     func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) { updated <- r.Params.URI },
	}, "notes")
	ctx := t.Context()

	if caps := cs.InitializeResult().Capabilities; caps.Resources == nil || !caps.Resources.ListChanged || !caps.Resources.Subscribe {
		t.Errorf("resources capability = %+v", caps.Resources)
	}
	if got := mustText(t, cs, "note_list", nil); got != "no notes yet" {
		t.Errorf("note_list = %q", got)
	}
	pr, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize_notes"})
	if err != nil || !strings.Contains(pr.Messages[0].Content.(*mcp.TextContent).Text, "no notes yet") {
		t.Errorf("summarize_notes without notes = %+v, %v", pr, err)
	}

	if got := mustText(t, cs, "note_add", map[string]any{"title": "groceries", "body": "milk, eggs"}); got != "saved notes://notes/groceries" {
		t.Errorf("note_add = %q", got)
	}
	receive(t, listChanged, "resources/list_changed")
	if got := mustText(t, cs, "note_add", map[string]any{"title": "to do", "body": "call Bob"}); got != "saved notes://notes/to%20do" {
		t.Errorf("note_add = %q", got)
	}
	receive(t, listChanged, "resources/list_changed")
	if _, ok := callText(t, cs, "note_add", map[string]any{"title": "  ", "body": "x"}); ok {
		t.Error("a note without a title was saved")
	}

	res, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range res.Resources {
		uris = append(uris, r.URI)
	}
	slices.Sort(uris)
	if want := []string{"notes://notes/groceries", "notes://notes/to%20do"}; !slices.Equal(uris, want) {
		t.Errorf("resources = %v", uris)
	}
	read := func(uri string) string {
		t.Helper()
		rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatalf("read %s: %v", uri, err)
		}
		return rr.Contents[0].Text
	}
	if got := read("notes://notes/to%20do"); got != "call Bob" {
		t.Errorf("to do = %q", got)
	}
	if got := mustText(t, cs, "note_list", nil); got != "groceries\nto do" {
		t.Errorf("note_list = %q", got)
	}

	// Replacing a note tells its subscribers.
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "notes://notes/groceries"}); err != nil {
		t.Fatal(err)
	}
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "notes://notes/nothing"}); err == nil {
		t.Error("subscribing to a missing note succeeded")
	}
	if got := mustText(t, cs, "note_add", map[string]any{"title": "groceries", "body": "milk, eggs, bread"}); got != "updated notes://notes/groceries" {
		t.Errorf("note_add again = %q", got)
	}
	if got := receive(t, updated, "resources/updated"); got != "notes://notes/groceries" {
		t.Errorf("updated %q", got)
	}
	if got := read("notes://notes/groceries"); got != "milk, eggs, bread" {
		t.Errorf("groceries = %q", got)
	}

	pr, err = cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize_notes"})
	if err != nil {
		t.Fatal(err)
	}
	text := pr.Messages[0].Content.(*mcp.TextContent).Text
	if !strings.Contains(text, "## groceries\nmilk, eggs, bread\n") || !strings.Contains(text, "## to do\ncall Bob\n") || pr.Messages[0].Role != "user" {
		t.Errorf("summarize_notes = %q", text)
	}
}
