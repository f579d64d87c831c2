package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// npmConfig fronts the three pinned npm servers; dir is served by
// server-filesystem.
func npmConfig(t *testing.T, dir string) map[string]any {
	evCmd, evArgs := testenv.NPMServer(t, "server-everything")
	memCmd, memArgs := testenv.NPMServer(t, "server-memory")
	fsCmd, fsArgs := testenv.NPMServer(t, "server-filesystem")
	memEnv := strings.SplitN(testenv.MemoryFileEnv(t), "=", 2)
	return map[string]any{"mcpServers": map[string]any{
		"everything": map[string]any{"command": evCmd, "args": evArgs},
		"memory":     map[string]any{"command": memCmd, "args": memArgs, "env": map[string]string{memEnv[0]: memEnv[1]}},
		"filesystem": map[string]any{"command": fsCmd, "args": append(fsArgs, dir)},
	}}
}

// inspect runs the MCP Inspector CLI against the gateway and decodes its
// JSON output.
func inspect(t *testing.T, gw, cfgPath string, args ...string) map[string]any {
	t.Helper()
	cmd, base := testenv.InspectorCLI(t)
	full := append(append(base, "-q", "--format", "json", gw, "--mcp-json-path", cfgPath), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, full...).CombinedOutput()
	if err != nil {
		t.Fatalf("inspector %v: %v\n%s", args, err, out)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("inspector %v printed non-JSON: %v\n%s", args, err, out)
	}
	return v
}

func TestInspectorCLIThroughGateway(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello from disk"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, npmConfig(t, dir))

	list := inspect(t, gw, cfg, "--method", "tools/list")
	raw, _ := json.Marshal(list)
	for _, want := range []string{`"everything__echo"`, `"memory__create_entities"`, `"filesystem__read_text_file"`, `"get_metadata"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("tools/list through the gateway lacks %s", want)
		}
	}
	sum := inspect(t, gw, cfg, "--method", "tools/call", "--tool-name", "everything__get-sum", "--tool-arg", "a=2", "--tool-arg", "b=40")
	if raw, _ := json.Marshal(sum); !strings.Contains(string(raw), "The sum of 2 and 40 is 42") {
		t.Errorf("get-sum = %s", raw)
	}
	file := inspect(t, gw, cfg, "--method", "tools/call", "--tool-name", "filesystem__read_text_file", "--tool-arg", "path="+filepath.Join(dir, "hello.txt"))
	if raw, _ := json.Marshal(file); !strings.Contains(string(raw), "hello from disk") {
		t.Errorf("read_text_file = %s", raw)
	}
	res := inspect(t, gw, cfg, "--method", "resources/read", "--uri", "demo://resource/dynamic/text/3")
	if raw, _ := json.Marshal(res); !strings.Contains(string(raw), "demo://resource/dynamic/text/3") {
		t.Errorf("templated resource read = %s", raw)
	}
	pr := inspect(t, gw, cfg, "--method", "prompts/get", "--prompt-name", "everything__args-prompt", "--prompt-args", "city=Paris")
	if raw, _ := json.Marshal(pr); !strings.Contains(string(raw), "Paris") {
		t.Errorf("prompts/get = %s", raw)
	}
}

func TestGoSDKClientWithNPMServers(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	b := bins{gateway: gw}
	var mu sync.Mutex
	var progressTokens []any
	sampled := make(chan string, 4)
	opts := &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progressTokens = append(progressTokens, r.Params.ProgressToken)
			mu.Unlock()
		},
		CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			sampled <- "asked"
			return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "sampled through the gateway"}}, nil
		},
	}
	cs, _ := connect(t, b, writeConfig(t, npmConfig(t, t.TempDir())), opts)
	ctx := context.Background()

	// Knowledge graph round trip: write through one call, read in another.
	callText(t, cs, "memory__create_entities", map[string]any{"entities": []any{
		map[string]any{"name": "gateway", "entityType": "software", "observations": []string{"written in Go"}},
	}})
	if got := callText(t, cs, "memory__read_graph", map[string]any{}); !strings.Contains(got, "written in Go") {
		t.Errorf("read_graph = %s", got)
	}

	// Progress from server-everything comes back with the client's token.
	params := &mcp.CallToolParams{Name: "everything__trigger-long-running-operation", Arguments: map[string]any{"duration": 1, "steps": 3}}
	params.SetProgressToken("npm-progress")
	if _, err := cs.CallTool(ctx, params); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(progressTokens) == 0 {
		t.Error("no progress notifications from server-everything")
	}
	for _, tok := range progressTokens {
		if tok != "npm-progress" {
			t.Errorf("progress token = %#v", tok)
		}
	}
	mu.Unlock()

	// server-everything offers its sampling tool only to clients that
	// declared sampling: seeing it proves the client's capabilities reached
	// the backend, and calling it proves the request found its way back.
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(tools.Tools, func(tl *mcp.Tool) bool { return strings.Contains(tl.Name, "sampling") })
	if i < 0 {
		t.Fatalf("server-everything did not offer a sampling tool to a sampling-capable client")
	}
	out := callText(t, cs, tools.Tools[i].Name, map[string]any{"prompt": "hi", "maxTokens": 10})
	select {
	case <-sampled:
	default:
		t.Error("the client was never asked to sample")
	}
	if !strings.Contains(out, "sampled through the gateway") {
		t.Errorf("sampling tool result = %s", out)
	}
}

func TestConfigErrorStartsNothing(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	marker := filepath.Join(t.TempDir(), "started")
	cfg := writeConfig(t, `{
  "mcpServers": {
    "good": {"command": "sh", "args": ["-c", "touch `+marker+`; cat"]},
    "bad": {"command": "x", "args": ["a", 2]}
  }
}`)
	cmd := exec.Command(gw, "--mcp-json-path", cfg)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("gateway with a bad config exited %v; output %s", err, out)
	}
	want := cfg + `:4:43: mcpServers.bad.args[1]: expected a string, got a number`
	if !strings.Contains(string(out), want) {
		t.Errorf("error output %q does not contain %q", out, want)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a backend was started although the config was rejected")
	}
}

func TestCommandLine(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	cfg := writeConfig(t, `{"mcpServers": {"a": {"command": "cat"}}}`)
	tests := []struct {
		args     []string
		env      string
		exitCode int
		want     []string
	}{
		{args: []string{"--version"}, want: []string{"mcp-gateway "}},
		{args: []string{"--help"}, want: []string{"--mcp-json-path", "-p, --plugin", "LOGLEVEL"}},
		{args: []string{"--mcp-json-path", cfg, "-p", "nosuch"}, exitCode: 2, want: []string{`unknown plugin "nosuch"`, "basic", "presidio", "xetrack", "lasso"}},
		{args: []string{"--mcp-json-path", cfg, "-p", "cache"}, env: "LOGLEVEL=DEBUG", want: []string{"cache"}},
		{args: []string{"--mcp-json-path", cfg, "-p", "authn"}, exitCode: 2, want: []string{`-p authn: authentication is not a -p plugin; add "gateway": {"auth": {...}}`}},
		{args: []string{"--mcp-json-path", cfg, "-p", "xetrack"}, env: "XETRACK_DB_PATH=SKIP_INSERT", want: []string{"xetrack: recording calls", "SKIP_INSERT"}},
		{args: []string{"--mcp-json-path", cfg, "-p", "lasso"}, env: "LASSO_API_KEY=", want: []string{"lasso: no API key", "the plugin does nothing"}},
		{args: []string{"--mcp-json-path", cfg, "--enable-guardrails", "nosuch"}, exitCode: 2, want: []string{"--enable-guardrails is deprecated", `unknown plugin "nosuch"`}},
		{args: []string{"--mcp-json-path", filepath.Join(t.TempDir(), "missing.json")}, exitCode: 2, want: []string{"missing.json", "no such file"}},
		{args: []string{"--mcp-json-path", cfg, "--log-level", "loud"}, exitCode: 2, want: []string{`unknown log level "loud"`}},
		{args: []string{"--mcp-json-path", cfg}, env: "LOGLEVEL=DEBUG", want: []string{"level=DEBUG"}},
	}
	for _, tt := range tests {
		cmd := exec.Command(gw, tt.args...)
		cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir())
		if tt.env != "" {
			cmd.Env = append(cmd.Env, tt.env)
		}
		cmd.Stdin = strings.NewReader("") // EOF at once: the gateway stops
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.exitCode {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, code, tt.exitCode, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
}

// TestFailingBackendDoesNotStopOthers: a server that cannot start is
// reported (in the log and by get_metadata) and retried, and the others
// serve normally.
func TestFailingBackendDoesNotStopOthers(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	evCmd, evArgs := testenv.NPMServer(t, "server-everything")
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"everything": map[string]any{"command": evCmd, "args": evArgs},
		"broken":     map[string]any{"command": "/nonexistent/mcp-server"},
		"quits":      map[string]any{"command": "sh", "args": []string{"-c", "echo 'fatal: missing API key' >&2; exit 3"}},
	}})
	cs, logs := connect(t, bins{gateway: gw}, cfg, nil)
	if got := callText(t, cs, "everything__echo", map[string]any{"message": "still here"}); !strings.Contains(got, "still here") {
		t.Errorf("echo = %q", got)
	}
	meta := callText(t, cs, "get_metadata", nil)
	var m map[string]struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	mustJSON(t, []byte(meta), &m)
	if m["broken"].Status == "active" || !strings.Contains(m["broken"].Error, "/nonexistent/mcp-server") {
		t.Errorf("broken server metadata = %+v", m["broken"])
	}
	if m["quits"].Status == "active" || !strings.Contains(m["quits"].Error, "exit status 3") {
		t.Errorf("quitting server metadata = %+v", m["quits"])
	}
	// Its stderr is in the log under its name, and it is being restarted.
	waitFor(t, func() bool {
		l := logs.String()
		return strings.Contains(l, `msg="fatal: missing API key" component=upstream server=quits stream=stderr`) &&
			strings.Count(l, "server=quits") >= 4
	})
	out, err := exec.Command(gw, "servers", "--mcp-json-path", cfg).Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("servers with a broken server exited %v, want 1", err)
	}
	for _, want := range []string{"everything", "ready", "broken", "down", "no such file"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("servers output lacks %q:\n%s", want, out)
		}
	}
}
