package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

// tsResult is what e2e/testdata/tsclient/client.mjs prints.
type tsResult struct {
	Sampling    []string `json:"sampling"`    // first message of each sampling/createMessage it answered
	Elicitation []string `json:"elicitation"` // message of each elicitation/create it answered
	Progress    []struct {
		ProgressToken any     `json:"progressToken"`
		Progress      float64 `json:"progress"`
		Total         float64 `json:"total"`
		Message       string  `json:"message"`
	} `json:"progress"`
	Errors                             []string `json:"errors"` // from the SDK's onerror
	Protocol                           *string  `json:"protocol"`
	Echo, Sample, Elicit, Slow, Whoami string
	Tools                              []string `json:"tools"`
}

// TestTypeScriptClientToModernBackend drives the gateway with the official
// TypeScript SDK client, which speaks only the session-based revisions, in
// front of the kitchen server pinned to the stateless 2026-07-28 era. The
// backend answers sample and elicit with an InputRequiredResult; the gateway
// must put each input request to the client as a real sampling/createMessage
// or elicitation/create and retry the call with the client's answer.
func TestTypeScriptClientToModernBackend(t *testing.T) {
	node := testenv.Node22(t)
	requireTSSDK(t)
	b := build(t)
	script := tsClientScript(t)
	srv := stdioServer(b.kitchen, "-name", "modern")
	srv["era"] = "modern"
	// A server that asks for input needs its own back session per HTTP
	// client (decision 0005); a shared one would be shown the gateway's
	// identity instead of the client's. The stdio front ignores it.
	srv["isolation"] = "per-client"
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{"modern": srv}})

	t.Run("stdio", func(t *testing.T) {
		// The client spawns the gateway; the gateway's stderr is the script's.
		res, logs := runTSClient(t, node, script, "stdio", b.gateway,
			"--mcp-json-path", cfg, "--log-level", "debug", "--data-dir", t.TempDir())
		checkTSResult(t, res, logs, "")
	})
	t.Run("http", func(t *testing.T) {
		g := startHTTPGateway(t, b, cfg) // e2e/http_test.go
		res, _ := runTSClient(t, node, script, "http", g.url)
		checkTSResult(t, res, g.logs.String(), "2025-11-25")
	})
}

// requireTSSDK stops the test, as testenv does for its packages, unless the
// TypeScript SDK is installed in testdeps at the version pinned there.
func requireTSSDK(t *testing.T) {
	t.Helper()
	const name = "@modelcontextprotocol/sdk"
	testdeps := filepath.Join(testenv.RepoRoot(t), "testdeps")
	var pins, installed struct {
		Version      string            `json:"version"`
		Dependencies map[string]string `json:"dependencies"`
	}
	read := func(p string, v any) error {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return json.Unmarshal(data, v)
	}
	if err := read(filepath.Join(testdeps, "package.json"), &pins); err != nil || pins.Dependencies[name] == "" {
		t.Fatalf("%s is not pinned in testdeps/package.json (%v)", name, err)
	}
	err := read(filepath.Join(testdeps, "node_modules", filepath.FromSlash(name), "package.json"), &installed)
	if err == nil && installed.Version == pins.Dependencies[name] {
		return
	}
	msg := "npm package " + name + " is not installed at the pinned " + pins.Dependencies[name] +
		": run `make testdeps` (npm ci in testdeps/)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// tsClientScript returns a copy of the client script in a directory whose
// node_modules links to testdeps/node_modules, so that Node resolves the
// SDK's package exports from there.
func tsClientScript(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "e2e", "testdata", "tsclient", "client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "testdeps", "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "client.mjs")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return script
}

// runTSClient runs the client script and decodes what it printed; the second
// result is its stderr.
func runTSClient(t *testing.T, node, script string, args ...string) (tsResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = 10 * time.Second // the gateway it spawned may hold stderr open
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v (context: %v)\nstdout:\n%s\nstderr:\n%s", cmd, err, ctx.Err(), &stdout, &stderr)
	}
	var res tsResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("client output is not its JSON object (%v):\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("client output:\n%s\nclient stderr:\n%s", &stdout, &stderr)
		}
	})
	return res, stderr.String()
}

// checkTSResult checks what the client saw. protocol is the revision the
// HTTP transport negotiated ("" over stdio, where the SDK does not expose it).
func checkTSResult(t *testing.T, res tsResult, gatewayLog, protocol string) {
	t.Helper()
	for _, c := range []struct{ name, got, want string }{
		{"modern__echo", res.Echo, "modern: hello from ts"},
		// The backend's text wraps the client's answer, so each answer came
		// from this client and reached the backend in the retried call.
		{"modern__sample", res.Sample, "modern sampled: ts sampled: write a haiku"},
		{"modern__elicit", res.Elicit, "modern elicited: accept ts answer to: favourite colour?"},
		{"modern__slow", res.Slow, "done 3"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	// Each input request was put to the client exactly once.
	if want := []string{"write a haiku"}; !slices.Equal(res.Sampling, want) {
		t.Errorf("sampling requests the client answered: %q, want %q", res.Sampling, want)
	}
	if want := []string{"favourite colour?"}; !slices.Equal(res.Elicitation, want) {
		t.Errorf("elicitation requests the client answered: %q, want %q", res.Elicitation, want)
	}

	if len(res.Progress) != 3 {
		t.Errorf("got %d progress notifications before the slow call's result, want 3: %+v", len(res.Progress), res.Progress)
	}
	for i, p := range res.Progress {
		step := float64(i + 1)
		if p.ProgressToken != "ts-progress-1" || p.Progress != step || p.Total != 3 || p.Message != fmtArgs("modern: step %d of 3", i+1) {
			t.Errorf("progress notification %d = %+v, want token %q (the client's own), progress %v of 3", i, p, "ts-progress-1", step)
		}
	}

	for _, want := range []string{"modern__echo", "modern__sample", "modern__elicit", "modern__slow", "modern__whoami", "get_metadata"} {
		if !slices.Contains(res.Tools, want) {
			t.Errorf("tools/list lacks %s: %q", want, res.Tools)
		}
	}
	for _, name := range res.Tools {
		if name != "get_metadata" && !strings.HasPrefix(name, "modern__") {
			t.Errorf("tools/list has %q, not namespaced with the server name", name)
		}
	}

	// The backend saw a 2026-07-28 request carrying this client's identity,
	// and the gateway logged the backend's era at start-up.
	for _, line := range []string{"client: ts-e2e-client 1.2.3", "protocol: 2026-07-28"} {
		if !slices.Contains(strings.Split(res.Whoami, "\n"), line) {
			t.Errorf("modern__whoami = %q, want the line %q", res.Whoami, line)
		}
	}
	if !regexp.MustCompile(`msg="backend ready" .*server=modern protocol=2026-07-28`).MatchString(gatewayLog) {
		t.Error("the gateway log has no `backend ready` line with server=modern protocol=2026-07-28")
	}

	got := ""
	if res.Protocol != nil {
		got = *res.Protocol
	}
	if got != protocol {
		t.Errorf("client negotiated protocol %q, want %q", got, protocol)
	}
	if len(res.Errors) != 0 {
		t.Errorf("the SDK client reported errors: %q", res.Errors)
	}
}
