package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestExampleConfig runs the gateway on examples/mcp.json, the config the
// README's first command uses, and uses what it serves.
func TestExampleConfig(t *testing.T) {
	root := testenv.RepoRoot(t)
	// The example starts its servers with `go run`; build once so that the
	// servers' start-up is not a cold compile.
	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "demo"), "./examples/servers/demo")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build demo: %v\n%s", err, out)
	}
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	changed := make(chan struct{}, 4)
	opts := &mcp.ClientOptions{ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) { changed <- struct{}{} }}
	// The SDK's defaults: it asks server/discover first and, since the
	// gateway speaks 2026-07-28, stays stateless (list_changed then comes
	// through subscriptions/listen).
	cs, _ := connectWith(t, bins{gateway: gw}, filepath.Join(root, "examples", "mcp.json"), opts, nil)
	if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		t.Errorf("negotiated %q, want 2026-07-28", v)
	}
	ctx := context.Background()

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"demo__now", "demo__add", "notes__note_add", "get_metadata"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools lack %s: %v", want, names)
		}
	}
	if slices.Contains(names, "notes__now") {
		t.Error(`notes__now is listed although the example denies "now" on notes`)
	}
	if got := callText(t, cs, "demo__add", map[string]any{"a": 1.5, "b": 2}); got != "3.5" {
		t.Errorf("demo__add = %q", got)
	}
	if got := callText(t, cs, "notes__note_add", map[string]any{"title": "groceries", "body": "milk, eggs"}); got != "saved notes://notes/groceries" {
		t.Errorf("note_add = %q", got)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no resources/list_changed after a note was added")
	}
	waitFor(t, func() bool {
		res, err := cs.ListResources(ctx, nil)
		return err == nil && slices.ContainsFunc(res.Resources, func(r *mcp.Resource) bool { return r.URI == "notes://notes/groceries" })
	})
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "notes://notes/groceries"})
	if err != nil || rr.Contents[0].Text != "milk, eggs" {
		t.Fatalf("read note = %+v, %v", rr, err)
	}
	pr, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "notes__summarize_notes"})
	if err != nil {
		t.Fatal(err)
	}
	if tc := pr.Messages[0].Content.(*mcp.TextContent); !strings.Contains(tc.Text, "milk, eggs") {
		t.Errorf("prompt = %q", tc.Text)
	}
}
