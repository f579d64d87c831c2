package e2e

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Hot reload under load: servers are added, changed and removed by
// editing the file while calls to another server run; none of those calls
// fails, clients are told their lists changed, a broken edit is refused
// with the start-up error and the running configuration stays, and SIGHUP
// reloads too.
func TestHotReloadUnderLoad(t *testing.T) {
	b := build(t)
	servers := map[string]any{
		"alpha": stdioServer(b.kitchen, "-name", "alpha"),
		"beta":  stdioServer(b.kitchen, "-name", "beta"),
	}
	cfg := writeConfig(t, map[string]any{"mcpServers": servers})
	rewrite := func(v any) {
		t.Helper()
		tmp := writeConfig(t, v)
		data, err := os.ReadFile(tmp)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dataDir := t.TempDir()
	gw := startHTTPGateway(t, b, cfg, "--data-dir", dataDir)
	var listChanged atomic.Int32
	client := mcp.NewClient(&mcp.Implementation{Name: "reload", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { listChanged.Add(1) },
	})
	connect := func() *mcp.ClientSession {
		cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: gw.url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	watcher := connect()

	// Load on alpha, which no edit touches.
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		calls    atomic.Int64
		failures = make(chan string, 100)
	)
	for range 4 {
		cs := connect()
		wg.Go(func() {
			for !stop.Load() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "alpha__echo", Arguments: map[string]any{"message": "x"}})
				cancel()
				calls.Add(1)
				if err != nil || res.IsError {
					select {
					case failures <- errText(err, res):
					default:
					}
				}
			}
		})
	}
	waitFor(t, func() bool { return calls.Load() > 50 })
	reloads := func() int { return strings.Count(gw.logs.String(), `msg="config reloaded"`) }

	// Add gamma, remove beta.
	servers["gamma"] = stdioServer(b.kitchen, "-name", "gamma")
	delete(servers, "beta")
	rewrite(map[string]any{"mcpServers": servers})
	waitFor(t, func() bool { return reloads() >= 1 })
	waitFor(t, func() bool { return slices.Contains(toolNames(t, watcher), "gamma__echo") })
	names := toolNames(t, watcher)
	if slices.Contains(names, "beta__echo") {
		t.Errorf("beta's tools are still listed after its removal: %v", names)
	}
	if got := callText(t, watcher, "gamma__echo", map[string]any{"message": "new"}); got != "gamma: new" {
		t.Errorf("gamma echo = %q", got)
	}
	waitFor(t, func() bool { return listChanged.Load() > 0 })
	// The reload is in the audit trail's backend events.
	waitFor(t, func() bool {
		seen := map[string]bool{}
		for _, e := range auditRows[audit.Event](t, b, "--data-dir="+dataDir, "--events", "--kind", "backend") {
			seen[e.Type+" "+e.Server] = true
		}
		return seen["added gamma"] && seen["removed beta"]
	})
	waitFor(t, func() bool { return strings.Contains(gw.logs.String(), `msg="server stopped after a config change"`) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	res, err := watcher.CallTool(ctx, &mcp.CallToolParams{Name: "beta__echo", Arguments: map[string]any{"message": "gone"}})
	cancel()
	if err == nil && !res.IsError {
		t.Error("a call to the removed server beta succeeded")
	}

	// Change gamma (three more tools): it is replaced.
	servers["gamma"] = stdioServer(b.kitchen, "-name", "gamma", "-tools", "3")
	rewrite(map[string]any{"mcpServers": servers})
	waitFor(t, func() bool { return reloads() >= 2 })
	waitFor(t, func() bool { return slices.Contains(toolNames(t, watcher), "gamma__gen_002") })

	// A broken edit is refused with the start-up error; alpha runs on.
	if err := os.WriteFile(cfg, []byte(`{"mcpServers": {"alpha": {"command": 42}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return strings.Contains(gw.logs.String(), `config reload refused; the running configuration stays`) &&
			strings.Contains(gw.logs.String(), `mcp.json:1:38: mcpServers.alpha.command: expected a string, got a number`)
	})
	if got := callText(t, watcher, "gamma__echo", map[string]any{"message": "still"}); got != "gamma: still" {
		t.Errorf("after a refused edit gamma echo = %q", got)
	}

	// SIGHUP reloads at once, here the same broken file again.
	refusals := func() int { return strings.Count(gw.logs.String(), `config reload refused`) }
	before := refusals()
	gw.sig(syscall.SIGHUP)
	waitFor(t, func() bool { return refusals() > before && strings.Contains(gw.logs.String(), `reason=SIGHUP`) })

	// Valid again: delta is added.
	servers["delta"] = stdioServer(b.kitchen, "-name", "delta")
	rewrite(map[string]any{"mcpServers": servers})
	waitFor(t, func() bool { return slices.Contains(toolNames(t, watcher), "delta__echo") })

	stop.Store(true)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("a call to the unchanged server alpha failed during reloads: %s", f)
	}
	t.Logf("%d calls to alpha during the reloads", calls.Load())
}

func errText(err error, res *mcp.CallToolResult) string {
	if err != nil {
		return err.Error()
	}
	var sb strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			sb.WriteString(tc.Text)
		}
	}
	return sb.String()
}
