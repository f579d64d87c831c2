package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testservers/raw/rawdata"
)

// The test binary doubles as the server: with runServerEnv set, TestMain
// runs main instead of the tests.
const runServerEnv = "RAW_TEST_RUN_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(runServerEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const waitLimit = 20 * time.Second

// proc is a running raw server driven over its stdin and stdout.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	lines  chan string
	stderr io.Reader
	exited chan error
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runServerEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, in: in, lines: make(chan string, 100), exited: make(chan error, 1)}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(p.lines)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				p.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	// Tests that read stderr themselves start with -stderr-flood; otherwise
	// stderr is kept to be shown if the server fails.
	var errOut strings.Builder
	stderrDone := make(chan struct{})
	if slices.Contains(args, "-stderr-flood") {
		pr, pw := io.Pipe()
		p.stderr = pr
		go func() {
			defer close(stderrDone)
			io.Copy(pw, stderr)
			io.Copy(io.Discard, stderr) // after the test stopped reading
		}()
	} else {
		go func() {
			defer close(stderrDone)
			io.Copy(&errOut, stderr)
		}()
	}
	go func() {
		<-readerDone
		<-stderrDone
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		in.Close()
		if pr, ok := p.stderr.(*io.PipeReader); ok {
			pr.Close()
		}
		var err error
		select {
		case err = <-p.exited:
		case <-time.After(waitLimit):
			cmd.Process.Kill()
			err = <-p.exited
		}
		// 66 is the race detector's exit status.
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 66 {
			t.Errorf("the server found a data race:\n%s", errOut.String())
		}
	})
	return p
}

func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		p.t.Fatalf("writing to the server: %v", err)
	}
}

// next returns the next line the server wrote, with its "\n".
func (p *proc) next() string {
	p.t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			p.t.Fatal("the server closed stdout")
		}
		return line
	case <-time.After(waitLimit):
		p.t.Fatal("the server wrote nothing")
	}
	return ""
}

// expect reads the next line and checks that it is exactly want + "\n".
func (p *proc) expect(want string) {
	p.t.Helper()
	if got := p.next(); got != want+"\n" {
		p.t.Fatalf("server wrote\n%q\nwant\n%q", got, want+"\n")
	}
}

func initialize(p *proc, id, version string) {
	p.t.Helper()
	p.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"initialize","params":{"protocolVersion":"` + version + `","capabilities":{"sampling":{}},"clientInfo":{"name":"test","version":"1"}}}`)
}

func TestConstantsAreValidJSON(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]string{
		"FidelityTool": rawdata.FidelityTool, "AskTool": rawdata.AskTool, "ExitTool": rawdata.ExitTool,
		"ToolsListResult": rawdata.ToolsListResult, "FidelityResult": rawdata.FidelityResult,
		"Capabilities": rawdata.Capabilities, "InitializeExtra": rawdata.InitializeExtra,
		"InitializeResult": rawdata.InitializeResult("2025-11-25", `a "quoted" <name>`),
		"SamplingParams":   rawdata.SamplingParams(`"q\u00e9"`),
		"AskResult":        rawdata.AskResult("n", "t\n"), "AskErrorResult": rawdata.AskErrorResult("n", "p"),
		"ErrorResponse": rawdata.ErrorResponse(`"x"`, -32601, "m"),
		"Request":       rawdata.Request("1", "ping", "{}"),
	} {
		if !json.Valid([]byte(s)) {
			t.Errorf("%s is not valid JSON: %s", name, s)
		}
	}
	if got := rawdata.Quote("<a&b>é\n"); got != `"<a&b>é\n"` {
		t.Errorf("Quote = %s", got)
	}
	var tool struct {
		Name        string         `json:"name"`
		InputSchema map[string]any `json:"inputSchema"`
		Meta        map[string]any `json:"_meta"`
	}
	if err := json.Unmarshal([]byte(rawdata.FidelityTool), &tool); err != nil || tool.Name != "fidelity" || tool.InputSchema["type"] != "object" || tool.Meta == nil {
		t.Errorf("FidelityTool decodes to %+v (%v)", tool, err)
	}
}

func TestExactBytes(t *testing.T) {
	t.Parallel()
	p := start(t, "-name", "r1")
	// Ids are echoed byte for byte, whatever their spelling.
	initialize(p, `"\u0041b"`, "2025-11-25")
	p.expect(`{"jsonrpc":"2.0","id":"\u0041b","result":` + rawdata.InitializeResult("2025-11-25", "r1") + `}`)
	p.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	p.send(`{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}`)
	line := p.next()
	if want := `{"jsonrpc":"2.0","id":7,"result":{"tools":[` + rawdata.FidelityTool + `,`; !strings.HasPrefix(line, want) {
		t.Fatalf("tools/list = %s\nwant a line starting with %s", line, want)
	}
	if line != rawdata.Response("7", rawdata.ToolsListResult)+"\n" {
		t.Fatalf("tools/list = %s", line)
	}
	p.send(`{"jsonrpc":"2.0","id":  -0 ,"method":"tools/call","params":{"name":"fidelity","arguments":{}}}`)
	p.expect(`{"jsonrpc":"2.0","id":-0,"result":` + rawdata.FidelityResult + `}`)
	p.send(`{"jsonrpc":"2.0","id":1.50e3,"method":"ping"}`)
	p.expect(`{"jsonrpc":"2.0","id":1.50e3,"result":{}}`)
	// Notifications, malformed lines, blank lines and stray responses get no answer.
	p.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`)
	p.send(`not json at all`)
	p.send(``)
	p.send(`{"jsonrpc":"2.0","id":999,"result":{}}`)
	p.send(`{"jsonrpc":"2.0","id":"u","method":"resources/list"}`)
	p.expect(`{"jsonrpc":"2.0","id":"u","error":{"code":-32601,"message":"method not found: resources/list"}}`)
	p.send(`{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"nope"}}`)
	p.expect(`{"jsonrpc":"2.0","id":null,"error":{"code":-32602,"message":"unknown tool \"nope\""}}`)
	p.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ask","arguments":{"question":3}}}`)
	p.expect(`{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"ask: arguments.question must be a string"}}`)
}

func TestProtocolVersions(t *testing.T) {
	t.Parallel()
	p := start(t, "-name", "v")
	for requested, want := range map[string]string{
		"2025-11-25": "2025-11-25",
		"2025-06-18": "2025-06-18",
		"2024-11-05": "2024-11-05",
		"2026-07-28": "2025-11-25",
		"1999-01-01": "2025-11-25",
	} {
		// The raw server does not mind a second initialize.
		initialize(p, `"`+requested+`"`, requested)
		p.expect(rawdata.Response(`"`+requested+`"`, rawdata.InitializeResult(want, "v")))
	}
}

func TestGarbageAndBanner(t *testing.T) {
	t.Parallel()
	p := start(t, "-garbage", "-banner", "-name", "noisy")
	p.expect(rawdata.Banner)
	initialize(p, "1", "2025-11-25")
	p.expect(rawdata.Garbage)
	p.expect(rawdata.Response("1", rawdata.InitializeResult("2025-11-25", "noisy")))
	p.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	p.expect(rawdata.Garbage)
	p.expect(`{"jsonrpc":"2.0","id":2,"result":{}}`)
	p.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ask","arguments":{"question":"q"}}}`)
	p.expect(rawdata.Garbage)
	p.expect(rawdata.Request("0", "sampling/createMessage", rawdata.SamplingParams(`"q"`)))
	p.send(`{"jsonrpc":"2.0","id":0,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"a"}}}`)
	p.expect(rawdata.Garbage)
	p.expect(rawdata.Response("3", rawdata.AskResult("noisy", "a")))
}

func TestStderrFlood(t *testing.T) {
	t.Parallel()
	p := start(t, "-stderr-flood", "64")
	buf := make([]byte, 64*1024)
	if _, err := io.ReadFull(p.stderr, buf); err != nil {
		t.Fatalf("reading 64 KiB of stderr: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n")
	if len(lines) != 1024 || len(lines[0]) != 63 || len(lines[1023]) != 63 {
		t.Errorf("got %d lines, first %q", len(lines), lines[0])
	}
	initialize(p, "1", "2025-11-25")
	p.expect(rawdata.Response("1", rawdata.InitializeResult("2025-11-25", "raw")))
}

func TestExit(t *testing.T) {
	t.Parallel()
	p := start(t)
	p.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"exit"}}`)
	select {
	case line, ok := <-p.lines:
		if ok {
			t.Fatalf("exit answered %q", line)
		}
	case <-time.After(waitLimit):
		t.Fatal("the server did not exit")
	}
	err := <-p.exited
	p.exited <- err // for the cleanup
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Fatalf("exit status: %v, want 7", err)
	}
}

// samplingRequest reads a sampling/createMessage request and returns its raw
// id and the question.
func samplingRequest(p *proc) (id, question string) {
	p.t.Helper()
	line := p.next()
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Messages []struct {
				Content struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"messages"`
		} `json:"params"`
	}
	if err := json.Unmarshal([]byte(line), &m); err != nil || m.Method != "sampling/createMessage" || len(m.Params.Messages) != 1 {
		p.t.Fatalf("expected a sampling request, got %s (%v)", line, err)
	}
	q := m.Params.Messages[0].Content.Text
	if want := rawdata.Request(string(m.ID), "sampling/createMessage", rawdata.SamplingParams(rawdata.Quote(q))) + "\n"; line != want {
		p.t.Fatalf("sampling request\n%s\nwant\n%s", line, want)
	}
	return string(m.ID), q
}

func TestConcurrentAsks(t *testing.T) {
	t.Parallel()
	p := start(t, "-name", "solo", "-ask-id", "40")
	initialize(p, "0", "2025-11-25")
	p.next()
	for i := range 3 {
		p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"call-%d","method":"tools/call","params":{"name":"ask","arguments":{"question":"q%d"}}}`, i, i))
	}
	ids := map[string]string{} // question → sampling id
	for range 3 {
		id, q := samplingRequest(p)
		ids[q] = id
	}
	if len(ids) != 3 || ids["q0"] == ids["q1"] {
		t.Fatalf("sampling ids %v", ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	if !seen["40"] || !seen["41"] || !seen["42"] {
		t.Fatalf("sampling ids %v, want 40, 41, 42", ids)
	}
	// Answer in reverse order, one as an array of content, one as an error.
	p.send(`{"jsonrpc":"2.0","id":` + ids["q2"] + `,"result":{"role":"assistant","model":"m","content":[{"type":"text","text":"two"}]}}`)
	p.expect(rawdata.Response(`"call-2"`, rawdata.AskResult("solo", "two")))
	p.send(`{"jsonrpc":"2.0","id":` + ids["q1"] + `,"error":{"code":-1,"message":"user refused"}}`)
	p.expect(rawdata.Response(`"call-1"`, rawdata.AskErrorResult("solo", "error -1: user refused")))
	p.send(`{"jsonrpc":"2.0","id":` + ids["q0"] + `.0,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"zero \"é\""}}}`)
	p.expect(rawdata.Response(`"call-0"`, rawdata.AskResult("solo", `zero "é"`)))
}

func TestCollidingAskIDs(t *testing.T) {
	t.Parallel()
	a := start(t, "-name", "a", "-ask-id", "5")
	b := start(t, "-name", "b", "-ask-id", "5")
	for _, p := range []*proc{a, b} {
		initialize(p, "1", "2025-11-25")
		p.next()
		p.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ask","arguments":{"question":"same?"}}}`)
	}
	idA, _ := samplingRequest(a)
	idB, _ := samplingRequest(b)
	if idA != "5" || idB != "5" {
		t.Fatalf("ids %s and %s, want 5 and 5", idA, idB)
	}
	b.send(`{"jsonrpc":"2.0","id":5,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"for b"}}}`)
	a.send(`{"jsonrpc":"2.0","id":5,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"for a"}}}`)
	a.expect(rawdata.Response("2", rawdata.AskResult("a", "for a")))
	b.expect(rawdata.Response("2", rawdata.AskResult("b", "for b")))

	s := start(t, "-name", "s", "-ask-id-string", "srv")
	initialize(s, "1", "2025-11-25")
	s.next()
	var got []string
	for i := range 2 {
		s.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"ask","arguments":{"question":"x"}}}`, 10+i))
		id, _ := samplingRequest(s)
		got = append(got, id)
		s.send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"ok"}}}`)
		s.expect(rawdata.Response(fmt.Sprint(10+i), rawdata.AskResult("s", "ok")))
	}
	if got[0] != `"srv"` || got[1] != `"srv-1"` {
		t.Fatalf("string ids %v", got)
	}
}
