package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// replicaServer is one instance of a streamable HTTP MCP server on a fixed
// address, which a test can kill and bring back on the same address.
// Its tool "whoami" (read-only, idempotent) answers with the replica's
// name; "touch" (no hints) does too but is not safe to retry.
type replicaServer struct {
	t    *testing.T
	name string
	addr string
	mu   sync.Mutex
	srv  *http.Server
	hits atomic.Int64
}

func newReplicaServer(t *testing.T, name string) *replicaServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &replicaServer{t: t, name: name, addr: ln.Addr().String()}
	r.serve(ln)
	t.Cleanup(r.kill)
	return r
}

func (r *replicaServer) url() string { return "http://" + r.addr + "/mcp" }

func (r *replicaServer) serve(ln net.Listener) {
	s := mcp.NewServer(&mcp.Implementation{Name: r.name, Version: "1"}, nil)
	answer := func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		r.hits.Add(1)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: r.name}}}, nil, nil
	}
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "the replica's name",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}}, answer)
	mcp.AddTool(s, &mcp.Tool{Name: "touch", Description: "not safe to retry"}, answer)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := &http.Server{Handler: h}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

// kill closes the listener and every connection, as a crash would.
func (r *replicaServer) kill() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// revive serves again on the same address (a restarted instance: it
// knows none of the old sessions).
func (r *replicaServer) revive() {
	var ln net.Listener
	waitFor(r.t, func() bool {
		var err error
		ln, err = net.Listen("tcp", r.addr)
		return err == nil
	})
	r.serve(ln)
}

// Two replicas under load, one killed mid-run: no idempotent call fails,
// the dead replica is taken out of rotation, and it takes calls again
// once it is back. Both with one shared back session per replica and with
// a back session per client.
func TestReplicasFailover(t *testing.T) {
	b := build(t)
	for _, isolation := range []string{"shared", "per-client"} {
		t.Run(isolation, func(t *testing.T) {
			one, two := newReplicaServer(t, "one"), newReplicaServer(t, "two")
			cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{"echo": map[string]any{
				"type": "http", "isolation": isolation,
				"replicas":      []map[string]any{{"url": one.url()}, {"url": two.url()}},
				"loadBalancing": map[string]any{"policy": "round-robin", "healthCheckInterval": "200ms", "healthCheckTimeout": "1s", "ejectFor": "300ms"},
			}},
				// Every call must reach a replica: whoami is read-only and
				// idempotent, which the response cache would answer.
				"gateway": map[string]any{"cache": map[string]any{"enabled": false}}})
			gw := startHTTPGateway(t, b, cfg)
			client := mcp.NewClient(&mcp.Implementation{Name: "replicas", Version: "1"}, nil)
			connect := func() *mcp.ClientSession {
				cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: gw.url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cs.Close() })
				return cs
			}
			call := func(cs *mcp.ClientSession, tool string) (string, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo__" + tool})
				if err != nil {
					return "", err
				}
				text := fmt.Sprint(res.Content[0].(*mcp.TextContent).Text)
				if res.IsError {
					return "", fmt.Errorf("tool error: %s", text)
				}
				return text, nil
			}

			// Load: 8 clients calling the idempotent tool until stopped.
			var (
				stop     atomic.Bool
				wg       sync.WaitGroup
				calls    atomic.Int64
				failures = make(chan error, 1000)
				seen     sync.Map // replica name → true
			)
			sessions := make([]*mcp.ClientSession, 8)
			for i := range sessions {
				sessions[i] = connect()
			}
			for _, cs := range sessions {
				wg.Go(func() {
					for !stop.Load() {
						who, err := call(cs, "whoami")
						calls.Add(1)
						if err != nil {
							select {
							case failures <- err:
							default:
							}
							continue
						}
						seen.Store(who, true)
					}
				})
			}
			waitFor(t, func() bool { return one.hits.Load() > 20 && two.hits.Load() > 20 })
			two.kill()
			before := calls.Load()
			waitFor(t, func() bool { return calls.Load() > before+200 })
			waitFor(t, func() bool { return strings.Contains(gw.logs.String(), "replica taken out of rotation") })
			afterKill := one.hits.Load()
			waitFor(t, func() bool { return one.hits.Load() > afterKill+100 })

			// Back: new sessions (and, shared, the same ones) reach it again.
			hitsBack := two.hits.Load()
			two.revive()
			waitFor(t, func() bool {
				if isolation == "per-client" {
					// A client stays on its replica; new clients spread.
					cs := connect()
					call(cs, "whoami")
				}
				return two.hits.Load() > hitsBack+20
			})
			stop.Store(true)
			wg.Wait()
			close(failures)
			for err := range failures {
				t.Errorf("an idempotent call failed during failover: %v", err)
			}
			if _, ok := seen.Load("two"); !ok {
				t.Error("no call reached replica two")
			}
			t.Logf("%d calls; replica one %d, two %d", calls.Load(), one.hits.Load(), two.hits.Load())
		})
	}
}

// A call that is not safe to retry is not sent to a second replica: when
// its replica dies, the client gets the error.
func TestReplicasNoRetryOfUnsafeCalls(t *testing.T) {
	b := build(t)
	one, two := newReplicaServer(t, "one"), newReplicaServer(t, "two")
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{"echo": map[string]any{
		"type": "http", "isolation": "shared",
		"replicas":      []map[string]any{{"url": one.url()}, {"url": two.url()}},
		"loadBalancing": map[string]any{"healthCheckInterval": "1h", "maxFailures": 100},
	}}})
	gw := startHTTPGateway(t, b, cfg)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "unsafe", Version: "1"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: gw.url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	two.kill()
	failed := 0
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo__touch"})
		cancel()
		if err != nil || res.IsError {
			failed++
		}
	}
	// Round robin sends every other call to the dead replica; none of
	// them may have been sent again to the live one.
	if failed == 0 {
		t.Errorf("no call to the dead replica failed: an unsafe call was retried elsewhere (replica one served %d)", one.hits.Load())
	}
	if got := one.hits.Load(); got+int64(failed) != 10 {
		t.Errorf("replica one served %d calls and %d failed, of 10: a call reached two replicas", got, failed)
	}
}

// A slow server with its slots and queue full refuses more calls at once
// with "overloaded", while another server keeps answering.
func TestOverloadSheds(t *testing.T) {
	b := build(t)
	slow := stdioServer(b.kitchen, "-name", "slow")
	slow["maxConcurrency"], slow["maxQueue"] = 2, 2
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"slow": slow,
		"fast": stdioServer(b.kitchen, "-name", "fast"),
	}})
	gw := startHTTPGateway(t, b, cfg)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "overload", Version: "1"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: gw.url}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	// 2 in flight + 2 waiting hold the server for a while (each call takes
	// 20 steps of 100ms); 6 more are refused while those still run.
	var (
		wg         sync.WaitGroup
		slowDone   atomic.Int32
		overloaded atomic.Int32
		early      atomic.Int32 // refusals that came while no slow call had finished
		other      = make(chan string, 10)
	)
	for range 10 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow__slow", Arguments: map[string]any{"steps": 20, "delayMs": 100}})
			switch {
			case err != nil && strings.Contains(err.Error(), "server slow is overloaded: 2 calls are in flight and 2 waiting"):
				overloaded.Add(1)
				if slowDone.Load() == 0 {
					early.Add(1)
				}
			case err != nil:
				other <- err.Error()
			case res.IsError:
				other <- fmt.Sprint(res.Content)
			default:
				slowDone.Add(1)
			}
		})
	}
	waitFor(t, func() bool { return overloaded.Load() == 6 || slowDone.Load() > 0 })
	if got := callText(t, cs, "fast__echo", map[string]any{"message": "still here"}); got != "fast: still here" {
		t.Errorf("fast echo = %q", got)
	}
	fastBeforeSlow := slowDone.Load() == 0
	wg.Wait()
	close(other)
	for e := range other {
		t.Errorf("unexpected outcome: %s", e)
	}
	if overloaded.Load() != 6 || slowDone.Load() != 4 {
		t.Errorf("%d refused as overloaded and %d completed, want 6 and 4", overloaded.Load(), slowDone.Load())
	}
	if early.Load() != overloaded.Load() {
		t.Errorf("%d of %d refusals came only after a slow call had finished: they were not immediate", overloaded.Load()-early.Load(), overloaded.Load())
	}
	if !fastBeforeSlow {
		t.Error("the fast server answered only after a slow call finished")
	}
}

// mcp-gateway servers shows a server's replicas with their state, and the
// era and tool count of each server.
func TestServersCommandShowsReplicas(t *testing.T) {
	b := build(t)
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		"pair": map[string]any{"replicas": []map[string]any{
			{"command": b.kitchen, "args": []string{"-name", "pair", "-tools", "3"}},
			{"command": "/nonexistent/replica"},
		}},
	}})
	cmd := exec.Command(b.gateway, "servers", "--mcp-json-path", cfg)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("servers: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < 4 {
		t.Fatalf("servers output:\n%s", out)
	}
	head := strings.Fields(lines[0])
	if !slices.Equal(head, []string{"SERVER", "TRANSPORT", "STATE", "ERA", "PROTOCOL", "TOOLS", "PROMPTS", "RESOURCES", "ERROR"}) {
		t.Errorf("header %q", lines[0])
	}
	row := strings.Fields(lines[1])
	if len(row) < 6 || row[0] != "pair" || row[2] != "ready" || row[3] != "legacy" {
		t.Errorf("server row %q: want pair, ready, legacy era", lines[1])
	}
	if !strings.Contains(lines[2], "replica 0") || !strings.Contains(lines[2], b.kitchen) || !strings.Contains(lines[2], "ready") {
		t.Errorf("replica 0 row %q", lines[2])
	}
	if !strings.Contains(lines[3], "replica 1") || !strings.Contains(lines[3], "/nonexistent/replica") || !strings.Contains(lines[3], "no such file") {
		t.Errorf("replica 1 row %q", lines[3])
	}
}
