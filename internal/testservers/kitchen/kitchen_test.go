package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The test binary doubles as the server: with runServerEnv set, TestMain
// runs main instead of the tests.
const runServerEnv = "KITCHEN_TEST_RUN_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(runServerEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	// legacy is the last protocol version with the initialize handshake,
	// which the gateway speaks to its backends.
	legacy = "2025-11-25"
	// latest lets the SDK client pick its newest version (2026-07-28, with
	// server/discover and multi round-trip requests).
	latest = ""

	waitLimit = 20 * time.Second
)

// serverCommand returns a command that runs the kitchen server with args.
func serverCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runServerEnv+"=1")
	return cmd
}

// output collects what a server writes, for tests that wait for a text.
type output struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // closed and replaced at every write
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// waitFor waits until the output contains s.
func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		o.mu.Lock()
		found, changed := strings.Contains(o.b.String(), s), o.changed
		o.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the server's stderr never contained %q; it is:\n%s", s, o.String())
		}
	}
}

// kitchenProc is a kitchen server on stdio with an SDK client connected.
type kitchenProc struct {
	cs     *mcp.ClientSession
	cmd    *exec.Cmd
	stderr *output
	once   sync.Once
	err    error // from closing
}

// close closes the session, which ends the server, and returns its exit error.
func (p *kitchenProc) close() error {
	p.once.Do(func() { p.err = p.cs.Close() })
	return p.err
}

// session is what start needs to know besides the server's arguments.
type session struct {
	client    *mcp.Client     // nil: a plain client
	version   string          // legacy or latest
	setup     func(*exec.Cmd) // changes the command before it starts
	transport func(*mcp.CommandTransport)
}

func start(t *testing.T, s session, args ...string) *kitchenProc {
	t.Helper()
	cmd := serverCommand(args...)
	stderr := newOutput()
	cmd.Stderr = stderr
	if s.setup != nil {
		s.setup(cmd)
	}
	client := s.client
	if client == nil {
		client = mcp.NewClient(&mcp.Implementation{Name: "kitchen-test", Version: "1.0"}, nil)
	}
	tr := &mcp.CommandTransport{Command: cmd}
	if s.transport != nil {
		s.transport(tr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	cs, err := client.Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: s.version})
	if err != nil {
		t.Fatalf("connecting to kitchen %v: %v\nstderr:\n%s", args, err, stderr)
	}
	p := &kitchenProc{cs: cs, cmd: cmd, stderr: stderr}
	t.Cleanup(func() {
		var ee *exec.ExitError
		if err := p.close(); errors.As(err, &ee) && ee.ExitCode() == 66 { // the race detector's status
			t.Errorf("the server found a data race:\n%s", stderr)
		}
	})
	return p
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// call calls a tool that must succeed and returns the result.
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s failed: %s", name, textOf(res))
	}
	return res
}

// callText calls a tool that must succeed and returns its text.
func callText(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	return textOf(call(t, cs, name, args))
}

func textOf(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "")
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

func allTools(t *testing.T, cs *mcp.ClientSession) []*mcp.Tool {
	t.Helper()
	var tools []*mcp.Tool
	for tool, err := range cs.Tools(testContext(t), nil) {
		if err != nil {
			t.Fatal(err)
		}
		tools = append(tools, tool)
	}
	return tools
}

func toolNames(tools []*mcp.Tool) []string {
	var names []string
	for _, tl := range tools {
		names = append(names, tl.Name)
	}
	return names
}

var builtinTools = []string{"echo", "add", "slow", "sample", "elicit", "elicit_url", "roots", "log",
	"add_tool", "remove_tool", "touch", "crash", "hang", "big", "stderr_flood", "whoami"}

func TestToolsAndResults(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy}, "-name", "k1", "-tools", "3")
	cs := p.cs

	init := cs.InitializeResult()
	if init.ServerInfo.Name != "k1" || init.ProtocolVersion != legacy {
		t.Errorf("initialize result: server %+v, version %s", init.ServerInfo, init.ProtocolVersion)
	}
	caps := init.Capabilities
	if caps.Logging == nil || caps.Completions == nil || caps.Tools == nil || !caps.Tools.ListChanged ||
		caps.Resources == nil || !caps.Resources.Subscribe || !caps.Resources.ListChanged || caps.Prompts == nil {
		capsJSON, _ := json.Marshal(caps)
		t.Errorf("capabilities = %s", capsJSON)
	}

	tools := allTools(t, cs)
	want := append(slices.Clone(builtinTools), "gen_000", "gen_001", "gen_002")
	if got := toolNames(tools); !sameSet(got, want) {
		t.Errorf("tools = %v, want %v", got, want)
	}
	for _, tl := range tools {
		schema, _ := json.Marshal(tl.InputSchema)
		if tl.Description == "" || !strings.Contains(string(schema), `"type":"object"`) {
			t.Errorf("tool %s: description %q, input schema %s", tl.Name, tl.Description, schema)
		}
		switch tl.Name {
		case "echo":
			out, _ := json.Marshal(tl.OutputSchema)
			if !strings.Contains(string(out), `"server"`) {
				t.Errorf("echo output schema = %s", out)
			}
		case "log":
			if !strings.Contains(string(schema), `"enum":["debug","info","notice","warning","error","critical","alert","emergency"]`) {
				t.Errorf("log input schema = %s", schema)
			}
		}
	}

	res := call(t, cs, "echo", map[string]any{"message": "hi ü"})
	if got := textOf(res); got != "k1: hi ü" {
		t.Errorf("echo text = %q", got)
	}
	if sc, ok := res.StructuredContent.(map[string]any); !ok || len(sc) != 2 || sc["server"] != "k1" || sc["message"] != "hi ü" {
		t.Errorf("echo structuredContent = %#v", res.StructuredContent)
	}
	if got := callText(t, cs, "add", map[string]any{"a": 2, "b": 40.5}); got != "42.5" {
		t.Errorf("add = %q", got)
	}
	big := callText(t, cs, "big", map[string]any{"bytes": 100_003})
	if len(big) != 100_003 || strings.Trim(big, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("big: %d bytes, want 100003 of ASCII", len(big))
	}
	if got := callText(t, cs, "big", map[string]any{"bytes": 0}); got != "" {
		t.Errorf("big 0 = %q", got)
	}
	if got := callText(t, cs, "gen_001", map[string]any{"message": "x"}); got != "k1: gen_001 x" {
		t.Errorf("gen_001 = %q", got)
	}
	// Bad arguments are tool errors.
	res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": "two"}})
	if err != nil || !res.IsError {
		t.Errorf("add with a string: %v, %+v", err, res)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestWhoami(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	client := mcp.NewClient(&mcp.Implementation{Name: "who-client", Version: "9.9"}, nil)
	p := start(t, session{client: client, version: "2025-06-18", setup: func(cmd *exec.Cmd) {
		cmd.Dir = dir
		cmd.Env = append(cmd.Env, "KITCHEN_ENV=from the config")
	}}, "-name", "w")
	res := call(t, p.cs, "whoami", nil)
	var got whoamiOut
	sc, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(sc, &got); err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	want := whoamiOut{Server: "w", ClientName: "who-client", ClientVersion: "9.9", ProtocolVersion: "2025-06-18",
		KitchenEnv: "from the config", KitchenEnvSet: true, Cwd: realDir}
	if got.Cwd != dir {
		got.Cwd, _ = filepath.EvalSymlinks(got.Cwd)
	}
	if got != want {
		t.Errorf("whoami = %+v\nwant %+v", got, want)
	}
	if text := textOf(res); !strings.Contains(text, "client: who-client 9.9\n") || !strings.Contains(text, "KITCHEN_ENV: from the config\n") {
		t.Errorf("whoami text = %q", text)
	}

	p2 := start(t, session{version: legacy, setup: func(cmd *exec.Cmd) {
		cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "KITCHEN_ENV=") })
	}})
	if text := callText(t, p2.cs, "whoami", nil); !strings.Contains(text, "KITCHEN_ENV: (unset)\n") || !strings.Contains(text, "protocol: "+legacy) {
		t.Errorf("whoami text = %q", text)
	}
}

func TestProgressAndCancellation(t *testing.T) {
	t.Parallel()
	progress := make(chan *mcp.ProgressNotificationParams, 1000)
	client := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) { progress <- r.Params },
	})
	p := start(t, session{client: client, version: legacy}, "-name", "pr")

	params := &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"steps": 3, "delayMs": 5}}
	params.SetProgressToken("tok-1")
	res, err := p.cs.CallTool(testContext(t), params)
	if err != nil || textOf(res) != "done 3" {
		t.Fatalf("slow = %v, %v", res, err)
	}
	for i := 1; i <= 3; i++ {
		n := receive(t, progress, "progress notification")
		if n.ProgressToken != "tok-1" || n.Progress != float64(i) || n.Total != 3 || n.Message != fmt.Sprintf("pr: step %d of 3", i) {
			t.Errorf("progress %d = %+v", i, n)
		}
	}
	// Without a progress token there is no progress.
	if got := callText(t, p.cs, "slow", map[string]any{"steps": 2}); got != "done 2" {
		t.Errorf("slow without token = %q", got)
	}

	// Cancelled after its first step, a long call ends at once on the server.
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	params = &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"steps": 100000, "delayMs": 20}}
	params.SetProgressToken(77)
	errc := make(chan error, 1)
	go func() {
		_, err := p.cs.CallTool(ctx, params)
		errc <- err
	}()
	if n := receive(t, progress, "progress notification"); n.ProgressToken != float64(77) && n.ProgressToken != int64(77) && n.ProgressToken != 77 {
		t.Errorf("numeric progress token came back as %#v", n.ProgressToken)
	}
	cancel()
	if err := receive(t, errc, "cancelled call's end"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
	p.stderr.waitFor(t, "slow: cancelled before step")
	if got := callText(t, p.cs, "echo", map[string]any{"message": "still here"}); got != "pr: still here" {
		t.Errorf("echo after cancellation = %q", got)
	}
}

// interactiveClient is a client that answers sampling, elicitation and roots
// requests and records them.
type interactiveClient struct {
	client    *mcp.Client
	prompts   chan string
	elicits   chan *mcp.ElicitParams
	completed chan string
}

func newInteractiveClient() *interactiveClient {
	ic := &interactiveClient{prompts: make(chan string, 10), elicits: make(chan *mcp.ElicitParams, 10), completed: make(chan string, 10)}
	ic.client = mcp.NewClient(&mcp.Implementation{Name: "interactive", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			if tc, ok := r.Params.Messages[0].Content.(*mcp.TextContent); ok {
				ic.prompts <- tc.Text
			}
			return &mcp.CreateMessageResult{Model: "test-model", Role: "assistant", Content: &mcp.TextContent{Text: "model says hi"}}, nil
		},
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			ic.elicits <- r.Params
			switch {
			case r.Params.Mode == "url":
				return &mcp.ElicitResult{Action: "accept"}, nil
			case strings.Contains(r.Params.Message, "decline"):
				return &mcp.ElicitResult{Action: "decline"}, nil
			default:
				return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "42"}}, nil
			}
		},
		ElicitationCompleteHandler: func(_ context.Context, r *mcp.ElicitationCompleteNotificationRequest) {
			ic.completed <- r.Params.ElicitationID
		},
		Capabilities: &mcp.ClientCapabilities{
			RootsV2:     &mcp.RootCapabilities{ListChanged: true},
			Elicitation: &mcp.ElicitationCapabilities{Form: &mcp.FormElicitationCapabilities{}, URL: &mcp.URLElicitationCapabilities{}},
		},
	})
	ic.client.AddRoots(&mcp.Root{URI: "file:///work/project", Name: "project"}, &mcp.Root{URI: "file:///tmp/other"})
	return ic
}

func TestSamplingElicitationRoots(t *testing.T) {
	t.Parallel()
	for _, version := range []string{legacy, latest} {
		t.Run("version="+version, func(t *testing.T) {
			t.Parallel()
			ic := newInteractiveClient()
			p := start(t, session{client: ic.client, version: version}, "-name", "si")
			if version == latest && p.cs.InitializeResult().ProtocolVersion <= legacy {
				t.Fatalf("negotiated %s, want a version after %s", p.cs.InitializeResult().ProtocolVersion, legacy)
			}
			cs := p.cs

			if got := callText(t, cs, "sample", map[string]any{"prompt": "hello"}); got != "si sampled: model says hi" {
				t.Errorf("sample = %q", got)
			}
			if got := receive(t, ic.prompts, "sampling request"); got != "hello" {
				t.Errorf("the model was asked %q", got)
			}

			if got := callText(t, cs, "elicit", map[string]any{"question": "meaning?"}); got != "si elicited: accept 42" {
				t.Errorf("elicit = %q", got)
			}
			if e := receive(t, ic.elicits, "elicitation"); e.Mode != "form" || e.Message != "meaning?" {
				t.Errorf("elicitation = %+v", e)
			}
			if got := callText(t, cs, "elicit", map[string]any{"question": "please decline"}); got != "si elicited: decline" {
				t.Errorf("declined elicit = %q", got)
			}
			receive(t, ic.elicits, "elicitation")

			if got := callText(t, cs, "elicit_url", map[string]any{"url": "https://example.com/auth?x=1"}); got != "si elicited url: accept si-url-1" {
				t.Errorf("elicit_url = %q", got)
			}
			if e := receive(t, ic.elicits, "URL elicitation"); e.Mode != "url" || e.URL != "https://example.com/auth?x=1" || e.ElicitationID != "si-url-1" {
				t.Errorf("URL elicitation = %+v", e)
			}
			if id := receive(t, ic.completed, "notifications/elicitation/complete"); id != "si-url-1" {
				t.Errorf("completed elicitation %q", id)
			}

			// The SDK client lists its roots sorted by URI.
			if got := callText(t, cs, "roots", nil); got != "file:///tmp/other\nfile:///work/project" {
				t.Errorf("roots = %q", got)
			}

			// Concurrent calls each get their own answer.
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					if got := callText(t, cs, "sample", map[string]any{"prompt": fmt.Sprint(i)}); got != "si sampled: model says hi" {
						t.Errorf("concurrent sample = %q", got)
					}
				})
			}
			wg.Wait()
			if n := len(ic.prompts); n != 6 {
				t.Errorf("the model was asked %d times, want 6", n)
			}
		})
	}
}

func TestSamplingWithoutClientSupport(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy}, "-name", "plain")
	res, err := p.cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "x"}})
	if err == nil && !res.IsError {
		t.Fatalf("sample without a sampling client = %q", textOf(res))
	}
	if got := callText(t, p.cs, "echo", map[string]any{"message": "ok"}); got != "plain: ok" {
		t.Errorf("echo = %q", got)
	}
}

func TestLoggingListChangedSubscriptions(t *testing.T) {
	t.Parallel()
	logged := make(chan *mcp.LoggingMessageParams, 10)
	toolsChanged := make(chan struct{}, 10)
	updated := make(chan string, 10)
	client := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, &mcp.ClientOptions{
		LoggingMessageHandler:  func(_ context.Context, r *mcp.LoggingMessageRequest) { logged <- r.Params },
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { toolsChanged <- struct{}{} },
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) { updated <- r.Params.URI },
	})
	p := start(t, session{client: client, version: legacy}, "-name", "lc")
	cs, ctx := p.cs, testContext(t)

	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"info", "error", "debug", "warning"} {
		if got := callText(t, cs, "log", map[string]any{"level": l, "message": "at " + l}); got != "logged" {
			t.Errorf("log = %q", got)
		}
	}
	for _, want := range []string{"error", "warning"} {
		m := receive(t, logged, "log message")
		if string(m.Level) != want || m.Data != "at "+want || m.Logger != "lc" {
			t.Errorf("log message = %+v, want level %s", m, want)
		}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "log", Arguments: map[string]any{"level": "loud", "message": "x"}})
	if err == nil && !res.IsError {
		t.Error("log accepted the level loud")
	}

	if got := callText(t, cs, "add_tool", map[string]any{"name": "fresh"}); got != "added fresh" {
		t.Errorf("add_tool = %q", got)
	}
	receive(t, toolsChanged, "tools/list_changed")
	if !slices.Contains(toolNames(allTools(t, cs)), "fresh") {
		t.Error("the added tool is not listed")
	}
	if got := callText(t, cs, "fresh", nil); got != "lc: I am fresh" {
		t.Errorf("fresh = %q", got)
	}
	if got := callText(t, cs, "remove_tool", map[string]any{"name": "fresh"}); got != "removed fresh" {
		t.Errorf("remove_tool = %q", got)
	}
	receive(t, toolsChanged, "tools/list_changed")
	if slices.Contains(toolNames(allTools(t, cs)), "fresh") {
		t.Error("the removed tool is still listed")
	}

	for _, uri := range []string{"test://lc/static/3", "test://lc/item/7"} {
		if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
	}
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://elsewhere/static/1"}); err == nil {
		t.Error("subscribing to another server's resource succeeded")
	}
	callText(t, cs, "touch", map[string]any{"uri": "test://lc/static/3"})
	if got := receive(t, updated, "resources/updated"); got != "test://lc/static/3" {
		t.Errorf("updated %q", got)
	}
	if err := cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "test://lc/static/3"}); err != nil {
		t.Fatal(err)
	}
	// The server writes in order: had it notified static/3, that would come first.
	callText(t, cs, "touch", map[string]any{"uri": "test://lc/static/3"})
	callText(t, cs, "touch", map[string]any{"uri": "test://lc/item/7"})
	if got := receive(t, updated, "resources/updated"); got != "test://lc/item/7" {
		t.Errorf("updated %q after unsubscribing from it", got)
	}
}

func TestPromptsResourcesCompletion(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy}, "-name", "pc")
	cs, ctx := p.cs, testContext(t)

	prompts, err := cs.ListPrompts(ctx, nil)
	if err != nil || len(prompts.Prompts) != 1 {
		t.Fatalf("prompts = %+v, %v", prompts, err)
	}
	if pr := prompts.Prompts[0]; pr.Name != "greet" || len(pr.Arguments) != 1 || pr.Arguments[0].Name != "name" || !pr.Arguments[0].Required {
		t.Errorf("prompt = %+v", pr)
	}
	got, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "Ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := got.Messages[0].Content.(*mcp.TextContent); !ok || got.Messages[0].Role != "user" || tc.Text != "Hello Ann from pc" {
		t.Errorf("greet = %+v", got.Messages[0])
	}

	for _, c := range []struct {
		ref        mcp.CompleteReference
		arg, value string
		want       []string
	}{
		{mcp.CompleteReference{Type: "ref/prompt", Name: "greet"}, "name", "b", []string{"bob"}},
		{mcp.CompleteReference{Type: "ref/prompt", Name: "greet"}, "name", "", []string{"alice", "bob", "carol"}},
		{mcp.CompleteReference{Type: "ref/prompt", Name: "other"}, "name", "", []string{}},
		{mcp.CompleteReference{Type: "ref/resource", URI: "test://pc/item/{id}"}, "id", "2", []string{"2", "20"}},
		{mcp.CompleteReference{Type: "ref/resource", URI: "test://pc/item/{id}"}, "id", "1", []string{"1", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19"}},
		{mcp.CompleteReference{Type: "ref/resource", URI: "test://pc/item/{id}"}, "id", "x", []string{}},
	} {
		res, err := cs.Complete(ctx, &mcp.CompleteParams{Ref: &c.ref, Argument: mcp.CompleteParamsArgument{Name: c.arg, Value: c.value}})
		if err != nil {
			t.Fatalf("complete %+v %s=%q: %v", c.ref, c.arg, c.value, err)
		}
		if !slices.Equal(res.Completion.Values, c.want) || res.Completion.Total != len(c.want) {
			t.Errorf("complete %+v %s=%q = %+v, want %v", c.ref, c.arg, c.value, res.Completion, c.want)
		}
	}

	var uris []string
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	if want := []string{"test://pc/static/1", "test://pc/static/2", "test://pc/static/3", "test://pc/static/4", "test://pc/static/5"}; !sameSet(uris, want) {
		t.Errorf("resources = %v", uris)
	}
	read := func(uri string) string {
		t.Helper()
		rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatalf("read %s: %v", uri, err)
		}
		if len(rr.Contents) != 1 || rr.Contents[0].URI != uri || rr.Contents[0].MIMEType != "text/plain" {
			t.Fatalf("read %s = %+v", uri, rr.Contents)
		}
		return rr.Contents[0].Text
	}
	if got := read("test://pc/static/2"); got != "static 2 from pc" {
		t.Errorf("static/2 = %q", got)
	}
	templates, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil || len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate != "test://pc/item/{id}" {
		t.Fatalf("templates = %+v, %v", templates, err)
	}
	if got := read("test://pc/item/17"); got != "item 17 from pc" {
		t.Errorf("item/17 = %q", got)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://pc/nothing"}); err == nil {
		t.Error("reading an unknown resource succeeded")
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy}, "-name", "pg", "-page-size", "4", "-tools", "10")
	cs, ctx := p.cs, testContext(t)
	var names []string
	pages := 0
	params := &mcp.ListToolsParams{}
	for {
		res, err := cs.ListTools(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(res.Tools) > 4 {
			t.Errorf("page %d has %d tools", pages, len(res.Tools))
		}
		names = append(names, toolNames(res.Tools)...)
		if res.NextCursor == "" {
			break
		}
		params.Cursor = res.NextCursor
	}
	total := len(builtinTools) + 10
	if wantPages := (total + 3) / 4; pages != wantPages || len(names) != total {
		t.Errorf("%d tools in %d pages, want %d in %d", len(names), pages, total, wantPages)
	}
	if !slices.Contains(names, "gen_009") || !slices.Contains(names, "echo") {
		t.Errorf("tools = %v", names)
	}
	res, err := cs.ListResources(ctx, nil)
	if err != nil || len(res.Resources) != 4 || res.NextCursor == "" {
		t.Fatalf("first page of resources: %d, cursor %q, %v", len(res.Resources), res.NextCursor, err)
	}
	res, err = cs.ListResources(ctx, &mcp.ListResourcesParams{Cursor: res.NextCursor})
	if err != nil || len(res.Resources) != 1 || res.NextCursor != "" {
		t.Fatalf("second page of resources: %d, cursor %q, %v", len(res.Resources), res.NextCursor, err)
	}
}

func TestCrash(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy}, "-name", "cr")
	if _, err := p.cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "crash"}); err == nil {
		t.Fatal("crash answered")
	}
	var ee *exec.ExitError
	if err := p.close(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit: %v, want status 3", err)
	}
	if !strings.Contains(p.stderr.String(), "crash: exiting with status 3") {
		t.Errorf("stderr = %q", p.stderr)
	}
}

func TestHang(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy, transport: func(tr *mcp.CommandTransport) { tr.TerminateDuration = 100 * time.Millisecond }}, "-name", "hg")
	ctx, cancel := context.WithCancel(testContext(t))
	errc := make(chan error, 1)
	go func() {
		_, err := p.cs.CallTool(ctx, &mcp.CallToolParams{Name: "hang"})
		errc <- err
	}()
	p.stderr.waitFor(t, "hang: blocking forever")
	// Other calls go on meanwhile.
	if got := callText(t, p.cs, "echo", map[string]any{"message": "alive"}); got != "hg: alive" {
		t.Errorf("echo = %q", got)
	}
	cancel()
	if err := receive(t, errc, "end of the cancelled hang"); !errors.Is(err, context.Canceled) {
		t.Errorf("hang: %v", err)
	}
	if got := callText(t, p.cs, "echo", map[string]any{"message": "still"}); got != "hg: still" {
		t.Errorf("echo = %q", got)
	}
	// With a hung call the server does not exit when its stdin closes: the
	// transport has to signal it.
	done := make(chan error, 1)
	go func() { done <- p.close() }()
	var ee *exec.ExitError
	if err := receive(t, done, "end of the server"); !errors.As(err, &ee) || ee.ExitCode() != -1 {
		t.Errorf("closing: %v; want the server killed by a signal", err)
	}
}

func TestStderrFlood(t *testing.T) {
	t.Parallel()
	p := start(t, session{version: legacy}, "-name", "fl")
	if got := callText(t, p.cs, "stderr_flood", map[string]any{"lines": 5000}); got != "flooded" {
		t.Errorf("stderr_flood = %q", got)
	}
	last := floodLine("fl", 4999)
	p.stderr.waitFor(t, last)
	if n := strings.Count(p.stderr.String(), "fl: stderr flood line "); n != 5000 || len(last) != floodLineLen {
		t.Errorf("%d flood lines of %d bytes", n, len(last))
	}
}

// startHTTP starts the server with a -http or -sse flag and returns the URL
// it printed.
func startHTTP(t *testing.T, args ...string) string {
	t.Helper()
	cmd := serverCommand(args...)
	stderr := newOutput()
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the server ended with %v:\n%s", err, stderr)
			}
		case <-time.After(waitLimit):
			cmd.Process.Kill()
			t.Errorf("the server did not stop on SIGINT")
			<-exited
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
				t.Errorf("the server wrote more on stdout: %q", sc.Text())
			}
		}
		exited <- cmd.Wait()
	}()
	line := receive(t, lines, "listening line")
	url, ok := strings.CutPrefix(line, "listening ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line on stdout = %q", line)
	}
	return url
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		flag, path string
		transport  func(url string) mcp.Transport
	}{
		{"-http", "/mcp", func(url string) mcp.Transport { return &mcp.StreamableClientTransport{Endpoint: url} }},
		{"-sse", "/sse", func(url string) mcp.Transport { return &mcp.SSEClientTransport{Endpoint: url} }},
	} {
		t.Run(c.flag, func(t *testing.T) {
			t.Parallel()
			url := startHTTP(t, c.flag, "127.0.0.1:0", "-name", "web")
			if !strings.HasSuffix(url, c.path) {
				t.Fatalf("URL %s does not end in %s", url, c.path)
			}
			ic := newInteractiveClient()
			progress := make(chan float64, 10)
			ic.client = mcp.NewClient(&mcp.Implementation{Name: "web-client", Version: "1"}, &mcp.ClientOptions{
				CreateMessageHandler: func(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
					return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "over http"}}, nil
				},
				ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) { progress <- r.Params.Progress },
			})
			cs, err := ic.client.Connect(testContext(t), c.transport(url), &mcp.ClientSessionOptions{ProtocolVersion: legacy})
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if got := callText(t, cs, "echo", map[string]any{"message": "hi"}); got != "web: hi" {
				t.Errorf("echo = %q", got)
			}
			if got := callText(t, cs, "sample", map[string]any{"prompt": "p"}); got != "web sampled: over http" {
				t.Errorf("sample = %q", got)
			}
			params := &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"steps": 2}}
			params.SetProgressToken("h")
			if res, err := cs.CallTool(testContext(t), params); err != nil || textOf(res) != "done 2" {
				t.Errorf("slow = %v, %v", res, err)
			}
			for i := 1; i <= 2; i++ {
				if got := receive(t, progress, "progress"); got != float64(i) {
					t.Errorf("progress %v, want %d", got, i)
				}
			}
			if text := callText(t, cs, "whoami", nil); !strings.Contains(text, "client: web-client 1\n") {
				t.Errorf("whoami = %q", text)
			}
		})
	}
}
