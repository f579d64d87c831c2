package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func init() {
	RegisterSection("auth")
	RegisterSection("audit")
}

const testHome = "/home/test"

// testEnv is the environment the tests expand ${VAR} from.
var testEnv = map[string]string{
	"GITHUB_TOKEN": "ghp_test123",
	"API_KEY":      "key-456",
	"HOST":         "example.com",
	"PORT":         "8080",
	"NODE_ENV":     "test",
	"WORKDIR":      "work",
	"EMPTY":        "",
}

func testLookup(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

// checkErrors fails unless err is an *Errors whose every entry has a
// file, a position and a message with a fix.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not *Errors: %v", err, err)
	}
	if len(errs.List) == 0 || len(errs.List) > maxErrors {
		t.Fatalf("error lists %d problems: %v", len(errs.List), err)
	}
	for _, e := range errs.List {
		if e.File == "" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
			t.Errorf("problem without a position or message: %#v", e)
		}
		if !strings.Contains(e.Msg, "; ") {
			t.Errorf("problem without a fix: %q", e.Error())
		}
	}
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			wantErr := strings.HasPrefix(name, "err_")
			cfg, err := Load(file, testLookup, testHome)
			var got string
			switch {
			case err != nil && !wantErr:
				t.Fatalf("unexpected error:\n%v", err)
			case err == nil && wantErr:
				t.Fatalf("no error; got\n%s", cfg.Dump())
			case err != nil:
				checkErrors(t, err)
				got = err.Error() + "\n"
			default:
				got = cfg.Dump()
			}
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestSyntaxPositions(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"eof", "{\n  \"mcpServers\": {\n", "x.json:2:18: invalid JSON: unexpected end of input; check for a missing } or ]"},
		{"eof after blank lines", "{\"a\": [1,\n\n\n", "x.json:1:10: invalid JSON: unexpected end of input; check for a missing } or ]"},
		{"bad literal", "{\"a\": nul}", "x.json:1:7: invalid JSON: \"nul\" is not valid JSON; did you mean null?"},
		{"unquoted value", "{\"a\": npx}", "x.json:1:7: invalid JSON: unquoted text \"npx\"; put strings in double quotes"},
		{"bad number", "{\"a\": 01}", "x.json:1:7: invalid JSON: invalid number \"01\"; write numbers like 30, -1 or 0.5"},
		{"missing colon", "{\"a\" 1}", "x.json:1:6: invalid JSON: unexpected character \"1\", expected ':' after the key \"a\"; check the syntax here"},
		{"control char", "{\"a\": \"x\ty\"}", "x.json:1:9: invalid JSON: control character 0x09 in a string; write it as \\u0009"},
		{"multibyte column", "{\"é\": ]}", "x.json:1:8: invalid JSON: unexpected character \"]\", expected a value; check the syntax here"},
		{"bom", "\xef\xbb\xbf{\"a\" }", "x.json:1:9: invalid JSON: unexpected character \"}\", expected ':' after the key \"a\"; check the syntax here"},
		{"block comment", "{\"mcpServers\": /* x */ {}}", "x.json:1:16: invalid JSON: comments are not allowed in JSON; remove the comment"},
		{"bad unicode escape", `{"a": "\u12"}`, `x.json:1:8: invalid JSON: invalid \u escape; write four hex digits, as in \u00e9`},
		{"deep", strings.Repeat("[", 600), "x.json:1:513: invalid JSON: arrays and objects are nested more than 512 deep; simplify the document"},
		{"invalid utf8 byte", "{\"a\": \xff}", "x.json:1:7: invalid JSON: unexpected byte 0xff, expected a value; check the syntax here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.json", []byte(tt.in), testLookup, testHome)
			if err == nil {
				t.Fatal("no error")
			}
			checkErrors(t, err)
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestExpandVars(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"plain", "plain", ""},
		{"${PORT}", "8080", ""},
		{"a${HOST}b${PORT}c", "aexample.comb8080c", ""},
		{"${env:HOST}", "example.com", ""},
		{"${UNSET:-def}", "def", ""},
		{"${UNSET:-}", "", ""},
		{"${UNSET:-a:-b}", "a:-b", ""},
		{"${EMPTY:-def}", "def", ""},
		{"${EMPTY}", "", ""},
		{"${PORT:-def}", "8080", ""},
		{"$${PORT}", "${PORT}", ""},
		{"$$${PORT}", "$${PORT}", ""},
		{"$PORT $ {x} $", "$PORT $ {x} $", ""},
		{"${UNSET}", "", "environment variable UNSET is not set"},
		{"${input:tok}", "", "VS Code input variables"},
		{"${PORT", "", `unterminated "${"`},
		{"${}", "", "invalid variable name"},
		{"${A B}", "", "invalid variable name"},
	}
	for _, tt := range tests {
		got, err := ExpandVars(tt.in, testLookup)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ExpandVars(%q) error = %v, want one containing %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ExpandVars(%q) error = %v", tt.in, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("ExpandVars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpandFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	if err := os.WriteFile(secret, []byte("s3cr3t-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 65<<10), 0o600)
	tests := []struct{ in, want, err string }{
		{"Bearer ${file:" + secret + "}", "Bearer s3cr3t-value", ""},
		{"${file:" + filepath.Join(dir, "missing") + "}", "", "no such file or directory; create the file or fix the path"},
		{"${file:relative/token}", "", "the path must be absolute"},
		{"${file:" + big + "}", "", "larger than 64 KiB"},
	}
	for _, tt := range tests {
		got, err := ExpandVars(tt.in, testLookup)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ExpandVars(%q) error = %v, want one containing %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ExpandVars(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error shows the file's content: %v", err)
		}
	}
}

func TestExpandTilde(t *testing.T) {
	tests := []struct{ in, home, want, err string }{
		{"~", "/h", "/h", ""},
		{"~/a/b", "/h", "/h/a/b", ""},
		{"~user/a", "/h", "~user/a", ""},
		{"a/~", "/h", "a/~", ""},
		{"~/a", "", "", "home directory is unknown"},
		{"x", "", "x", ""},
	}
	for _, tt := range tests {
		got, err := expandTilde(tt.in, tt.home)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expandTilde(%q, %q) error = %v, want %q", tt.in, tt.home, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expandTilde(%q, %q) = %q, %v; want %q", tt.in, tt.home, got, err, tt.want)
		}
	}
}

func TestTildeWithoutHome(t *testing.T) {
	_, err := Parse("x.json", []byte(`{"mcpServers": {"a": {"command": "~/bin/x"}}}`), testLookup, "")
	want := `x.json:1:34: mcpServers.a.command: cannot expand "~": the home directory is unknown; use an absolute path`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1024", 1024, true},
		{"64MiB", 64 << 20, true},
		{"512KiB", 512 << 10, true},
		{"10MB", 10_000_000, true},
		{"1GB", 1_000_000_000, true},
		{"2 gib", 2 << 30, true},
		{"1.5KiB", 1536, true},
		{" 7B ", 7, true},
		{"10XB", 0, false},
		{"MiB", 0, false},
		{"", 0, false},
		{"-1KiB", 0, false},
		{"99999999999999999999", 0, false},
		{"9999999999999GiB", 0, false},
		{"1e3", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDotenv(t *testing.T) {
	in := "A=1\r\n# c\n\nexport B = two words \nC=\"q\\\"x\\n\" # c\nD='lit\\n'\nE=a#b\nA=override\n"
	got, errs := parseDotenv([]byte(in))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := map[string]string{"A": "override", "B": "two words", "C": "q\"x\n", "D": `lit\n`, "E": "a#b"}
	if len(got) != len(want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	_, errs = parseDotenv([]byte("ok=1\n  nokey\nX=\"open\n"))
	if len(errs) != 2 || errs[0].line != 2 || errs[0].col != 3 || errs[1].line != 3 {
		t.Errorf("errors = %+v, want lines 2 (col 3) and 3", errs)
	}
}

func TestSuggestion(t *testing.T) {
	tests := []struct{ key, want string }{
		{"Command", "command"},
		{"comand", "command"},
		{"arg", "args"},
		{"serverUrl", "url"},
		{"environment", "env"},
		{"workingDirectory", "cwd"},
		{"timout", "timeout"},
		{"xyzzy", ""},
		{"a", ""},
	}
	for _, tt := range tests {
		if got := suggestion(tt.key, serverKeys); got != tt.want {
			t.Errorf("suggestion(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.json"), testLookup, testHome)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestParseNilLookup(t *testing.T) {
	t.Setenv("MCPGW_CONFIG_TEST_VAR", "from-os")
	cfg, err := Parse("", []byte(`{"servers": {"a": {"command": "${MCPGW_CONFIG_TEST_VAR}"}}}`), nil, testHome)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Servers[0].Command != "from-os" || cfg.Path != "" {
		t.Errorf("command = %q, path = %q", cfg.Servers[0].Command, cfg.Path)
	}
	_, err = Parse("", []byte(`{}`), nil, testHome)
	if err == nil || !strings.HasPrefix(err.Error(), "<config>:1:1: ") {
		t.Errorf("error = %v, want one at <config>:1:1", err)
	}
}

func TestTooManyErrors(t *testing.T) {
	_, err := Load("testdata/err_too_many.json", testLookup, testHome)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error = %v", err)
	}
	if len(errs.List) != maxErrors || errs.Omitted != 5 {
		t.Errorf("listed %d, omitted %d; want %d and 5", len(errs.List), errs.Omitted, maxErrors)
	}
	var one Error
	if !errors.As(err, &one) || one.Path != "mcpServers.s00.command" {
		t.Errorf("errors.As(Error) = %+v", one)
	}
}

func TestSectionRaw(t *testing.T) {
	src := "{\n  \"gateway\": {\"auth\": {\"k\": [1, 2]}},\n  \"servers\": {\"a\": {\"command\": \"x\"}}\n}"
	cfg, err := Parse("s.json", []byte(src), testLookup, testHome)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := cfg.Gateway.Sections["auth"]
	if !ok || string(s.Raw) != `{"k": [1, 2]}` || s.Where != "s.json:2:23" {
		t.Errorf("section = %q at %q", s.Raw, s.Where)
	}
}

func TestRegisterSection(t *testing.T) {
	for _, name := range []string{"", "separator", "pageSize", "maxMessageBytes"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterSection(%q) did not panic", name)
				}
			}()
			RegisterSection(name)
		}()
	}
	src := []byte(`{"gateway": {"concurrent-0": {}}, "servers": {"a": {"command": "x"}}}`)
	t.Cleanup(func() {
		// Leave the registry as other tests (goldens listing valid keys)
		// expect it, also when tests run more than once (-count).
		sections.Lock()
		defer sections.Unlock()
		for i := range 8 {
			delete(sections.names, "concurrent-"+string(rune('0'+i)))
		}
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			RegisterSection("concurrent-" + string(rune('0'+i)))
		}()
		go func() {
			defer wg.Done()
			_, _ = Parse("c.json", src, testLookup, testHome)
		}()
	}
	wg.Wait()
	if _, err := Parse("c.json", src, testLookup, testHome); err != nil {
		t.Errorf("registered section rejected: %v", err)
	}
}

func TestServerOAuthSection(t *testing.T) {
	tests := []struct {
		name, in, raw, err string
	}{
		{
			name: "expanded strings, everything else byte for byte",
			in:   `{"mcpServers": {"gh": {"url": "https://gh.example/mcp", "oauth": {"tokenUrl": "https://${HOST}/token", "clientSecret": "s-${PORT}", "scopes": ["a${PORT}", "b"], "cacheSize": 10, "x": {"y": true}}}}}`,
			raw:  `{"tokenUrl":"https://example.com/token","clientSecret":"s-8080","scopes":["a8080","b"],"cacheSize":10,"x":{"y":true}}`,
		},
		{
			name: "unset variable",
			in:   `{"mcpServers": {"gh": {"url": "https://gh.example/mcp", "oauth": {"clientSecret": "${UNSET}"}}}}`,
			err:  `x.json:1:83: mcpServers.gh.oauth.clientSecret: environment variable UNSET is not set`,
		},
		{
			name: "not an object",
			in:   `{"mcpServers": {"gh": {"url": "https://gh.example/mcp", "oauth": "token"}}}`,
			err:  `x.json:1:66: mcpServers.gh.oauth: expected an object, got a string; write e.g. {"tokenUrl"`,
		},
		{
			name: "stdio server",
			in:   `{"mcpServers": {"gh": {"command": "gh-mcp", "oauth": {}}}}`,
			err:  `mcpServers.gh.oauth: "oauth" is for remote servers, but this server has "command"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("x.json", []byte(tt.in), testLookup, testHome)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := cfg.Servers[0].OAuth
			if o == nil {
				t.Fatal("no OAuth section")
			}
			if string(o.Raw) != tt.raw || o.Path != "mcpServers.gh.oauth" || o.Where != "x.json:1:66" {
				t.Errorf("got %s at %s (%s), want %s at x.json:1:66 (mcpServers.gh.oauth)", o.Raw, o.Where, o.Path, tt.raw)
			}
		})
	}
}

func TestServerReplicas(t *testing.T) {
	cfg, err := Parse("x.json", []byte(`{"mcpServers": {"echo": {
		"env": {"A": "1", "B": "server"}, "headers": {"X-Team": "core"},
		"replicas": [{"url": "http://10.0.0.1/mcp", "headers": {"X-Team": "edge"}}, {"command": "echo-server", "env": {"B": "replica"}}],
		"loadBalancing": {"policy": "least-inflight", "healthCheckInterval": "2s", "maxFailures": 2, "ejectFor": 1},
		"maxConcurrency": 8}}}`), testLookup, testHome)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Servers[0]
	if len(s.Replicas) != 2 || len(s.Instances()) != 2 {
		t.Fatalf("replicas: %+v", s.Replicas)
	}
	r0, r1 := s.Replicas[0], s.Replicas[1]
	if r0.Transport != TransportHTTP || !r0.AutoDetect || r0.URL != "http://10.0.0.1/mcp" || r0.Headers["X-Team"] != "edge" || r0.Where != "x.json:3:16" {
		t.Errorf("replica 0: %+v", r0)
	}
	if r1.Transport != TransportStdio || r1.Command != "echo-server" || r1.Env["A"] != "1" || r1.Env["B"] != "replica" {
		t.Errorf("replica 1: %+v", r1)
	}
	if s.Transport != TransportHTTP || s.URL != r0.URL {
		t.Errorf("the server's own transport is not its first replica's: %s %s", s.Transport, s.URL)
	}
	want := Balancing{Policy: BalanceLeastInflight, HealthInterval: 2 * time.Second, HealthTimeout: DefaultHealthTimeout, MaxFailures: 2, EjectFor: time.Second}
	if s.Balancing != want {
		t.Errorf("balancing %+v, want %+v", s.Balancing, want)
	}
	if s.MaxConcurrency != 8 || s.MaxQueue != 8 {
		t.Errorf("maxConcurrency %d, maxQueue %d; want 8 and 8 (the queue defaults to the concurrency)", s.MaxConcurrency, s.MaxQueue)
	}

	one, err := Parse("x.json", []byte(`{"mcpServers": {"one": {"command": "srv"}}}`), testLookup, testHome)
	if err != nil {
		t.Fatal(err)
	}
	if in := one.Servers[0].Instances(); len(in) != 1 || in[0].Command != "srv" || in[0].Transport != TransportStdio {
		t.Errorf("a server without replicas is one instance: %+v", in)
	}
	if b := one.Servers[0].Balancing; b.Policy != BalanceRoundRobin || b.MaxFailures != DefaultMaxFailures {
		t.Errorf("default balancing: %+v", b)
	}
}

func TestServerReplicasErrors(t *testing.T) {
	tests := []struct{ name, entry, want string }{
		{"empty", `{"replicas": []}`, `mcpServers.s.replicas: no replicas are listed`},
		{"not a list", `{"replicas": {"url": "http://a/mcp"}}`, `mcpServers.s.replicas: expected an array of objects, got an object`},
		{"not an object", `{"replicas": ["http://a/mcp"]}`, `mcpServers.s.replicas[0]: expected an object, got a string; describe the replica`},
		{"server key in replica", `{"replicas": [{"url": "http://a/mcp", "prefix": "x"}]}`, `mcpServers.s.replicas[0]: unknown key "prefix"`},
		{"replica without transport", `{"replicas": [{"env": {"A": "1"}}]}`, `mcpServers.s.replicas[0]: missing "command" or "url"`},
		{"instance key beside replicas", `{"type": "http", "url": "http://a/mcp", "replicas": [{"url": "http://b/mcp"}]}`, `mcpServers.s.url: "url" describes one instance, but this server lists "replicas"; move "url" into each replica`},
		{"bad policy", `{"command": "x", "loadBalancing": {"policy": "random"}}`, `mcpServers.s.loadBalancing.policy: `},
		{"unknown balancing key", `{"command": "x", "loadBalancing": {"retries": 2}}`, `mcpServers.s.loadBalancing: unknown key "retries"`},
		{"zero failures", `{"command": "x", "loadBalancing": {"maxFailures": 0}}`, `mcpServers.s.loadBalancing.maxFailures: invalid number 0; give a whole number of consecutive failed calls that take a replica out of rotation, 1 or more`},
		{"zero eject", `{"command": "x", "loadBalancing": {"ejectFor": "0s"}}`, `mcpServers.s.loadBalancing.ejectFor: ejectFor "0s" must be greater than 0`},
		{"queue without concurrency", `{"command": "x", "maxQueue": 4}`, `mcpServers.s.maxQueue: "maxQueue" bounds the calls waiting for "maxConcurrency"`},
		{"negative concurrency", `{"command": "x", "maxConcurrency": -1}`, `mcpServers.s.maxConcurrency: invalid number -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.json", []byte(`{"mcpServers": {"s": `+tt.entry+`}}`), testLookup, testHome)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant one containing %q", err, tt.want)
			}
			checkErrors(t, err)
		})
	}
}

func TestServerTypeAppliesToReplicas(t *testing.T) {
	cfg, err := Parse("x.json", []byte(`{"mcpServers": {"s": {"type": "sse", "replicas": [{"url": "http://a/sse"}, {"url": "http://b/mcp", "type": "http"}, {"command": "x"}]}}}`), testLookup, testHome)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range cfg.Servers[0].Replicas {
		got = append(got, fmt.Sprintf("%s/%v", r.Transport, r.AutoDetect))
	}
	if want := []string{"sse/false", "http/false", "stdio/false"}; !slices.Equal(got, want) {
		t.Errorf("replica transports %v, want %v", got, want)
	}
	_, err = Parse("x.json", []byte(`{"mcpServers": {"s": {"type": "stdio", "replicas": [{"url": "http://a/mcp"}]}}}`), testLookup, testHome)
	if err == nil || !strings.Contains(err.Error(), `mcpServers.s.type: "type" is "stdio", but replica 0 has a "url"`) {
		t.Errorf("stdio type over a remote replica: %v", err)
	}
}
