package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/internal/testpg"
)

// auditRows runs `mcp-gateway audit --json` with args and decodes its
// lines.
func auditRows[T any](t *testing.T, b bins, args ...string) []T {
	t.Helper()
	cmd := exec.Command(b.gateway, append([]string{"audit", "--json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mcp-gateway audit %v: %v\n%s", args, err, stderr.String())
	}
	var rows []T
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r T
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit output line %q: %v", sc.Text(), err)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestAuditTrailAndMetrics makes calls that end every way a call can end,
// through the HTTP front door with keys, policies, limits and guardrails,
// then finds each in `mcp-gateway audit` (with its filters) and in
// /metrics.
func TestAuditTrailAndMetrics(t *testing.T) {
	b := build(t)
	dataDir := t.TempDir()
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")},
		"gateway": map[string]any{
			"auth": map[string]any{"apiKeys": []map[string]any{
				{"name": "alice", "key": "alice-secret-key-0123456789", "roles": []string{"dev"}},
				{"name": "bob", "key": "bob-secret-key-0123456789", "roles": []string{"ops"}},
			}},
			"policies": []map[string]any{
				{"roles": []string{"dev"}, "allow": []string{"k__echo", "k__add"}},
				{"roles": []string{"ops"}, "allow": []string{"k__*"}},
			},
			"rateLimits": []map[string]any{{"roles": []string{"dev"}, "tools": []string{"k__echo"}, "perMinute": 2}},
			"plugins":    map[string]any{"basic": map[string]any{"action": "block"}},
		},
	})
	gw := startHTTPGateway(t, b, cfg, "-p", "basic", "-p", "presidio", "--data-dir", dataDir)
	alice, err := connectHTTPAs(t, gw.url, "alice-secret-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := connectHTTPAs(t, gw.url, "bob-secret-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call := func(cs *mcp.ClientSession, name string, args map[string]any) {
		t.Helper()
		_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	}
	call(alice, "k__add", map[string]any{"a": 2, "b": 3})                                    // ok
	call(alice, "k__add", map[string]any{"a": "two", "b": 3})                                // tool_error
	call(alice, "k__whoami", nil)                                                            // denied
	call(alice, "k__echo", map[string]any{"message": "write to ann@example.com"})            // ok, email masked
	call(alice, "k__echo", map[string]any{"message": "m"})                                   // ok
	call(alice, "k__echo", map[string]any{"message": "m"})                                   // rate_limited
	call(bob, "k__echo", map[string]any{"message": "key " + fakeToken("gh"+"p_", 36) + "."}) // blocked
	call(bob, "k__nope", nil)                                                                // error

	// Metrics while the gateway runs: promlint-clean, and the calls counted.
	resp, err := http.Get(gw.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	problems, err := promlint.New(bytes.NewReader(body.Bytes())).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "mcp_gateway_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	for _, want := range []string{
		`mcp_gateway_calls_total{method="tools/call",outcome="ok",server="k",tool="k__add"} 1`,
		`mcp_gateway_calls_total{method="tools/call",outcome="tool_error",server="k",tool="k__add"} 1`,
		`mcp_gateway_calls_total{method="tools/call",outcome="denied",server="k",tool="k__whoami"} 1`,
		`mcp_gateway_calls_total{method="tools/call",outcome="rate_limited",server="k",tool="k__echo"} 1`,
		`mcp_gateway_calls_total{method="tools/call",outcome="blocked",server="k",tool="k__echo"} 1`,
		`mcp_gateway_calls_total{method="tools/call",outcome="error",server="",tool=""} 1`,
		`mcp_gateway_policy_denials_total{server="k"} 1`,
		`mcp_gateway_rate_limited_total{server="k"} 1`,
		`mcp_gateway_guardrail_findings_total{action="masked",plugin="presidio",rule="EMAIL_ADDRESS"}`,
		`mcp_gateway_guardrail_findings_total{action="blocked",plugin="basic",rule="github-pat"} 1`,
		`mcp_gateway_backend_up{server="k"} 1`,
		`mcp_gateway_sessions{transport="http"} 2`,
		`mcp_gateway_call_duration_seconds_count{method="tools/call",server="k",tool="k__add"} 2`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(body.String(), "mcp_gateway_"))
	}

	// SIGTERM: the gateway drains and flushes the audit trail.
	gw.stop(t, syscall.SIGTERM)

	dd := "--data-dir=" + dataDir
	calls := auditRows[audit.Record](t, b, dd, "--method", "tools/call")
	if len(calls) != 8 {
		t.Fatalf("%d tools/call rows, want 8: %+v", len(calls), calls)
	}
	wantStatus := []audit.Status{audit.StatusOK, audit.StatusToolError, audit.StatusDenied, audit.StatusOK,
		audit.StatusOK, audit.StatusRateLimited, audit.StatusBlocked, audit.StatusError}
	for i, r := range calls {
		if r.Status != wantStatus[i] {
			t.Errorf("row %d (%s %s): status %s, want %s", i, r.Principal, r.Name, r.Status, wantStatus[i])
		}
		if r.RequestID == "" || r.Session == "" || r.Client == "" || r.BytesIn == 0 || r.BytesOut == 0 || r.Duration <= 0 {
			t.Errorf("row %d incomplete: %+v", i, r)
		}
		if r.Args != nil {
			t.Errorf("row %d holds raw arguments without gateway.audit.arguments", i)
		}
	}
	if c := calls[0]; c.Principal != "alice" || c.Server != "k" || c.Name != "k__add" || len(c.ArgsDigest) != 32 {
		t.Errorf("first row %+v", c)
	}
	if c := calls[2]; c.Plugin != "authz" || c.Code != -32052 || !strings.Contains(c.Error, "denied by gateway policy") {
		t.Errorf("denied row %+v", c)
	}
	if c := calls[3]; len(c.Findings) != 1 || c.Findings[0].Plugin != "presidio" || c.Findings[0].Rule != "EMAIL_ADDRESS" {
		t.Errorf("masked row findings %+v", c.Findings)
	}
	if c := calls[6]; c.Plugin != "basic" || !strings.Contains(c.Error, "GITHUB_PERSONAL_ACCESS_TOKEN") || len(c.Findings) != 1 {
		t.Errorf("blocked row %+v", c)
	}

	// The CLI's filters.
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--principal", "bob", "--method", "tools/call"}, 2},
		{[]string{"--status", "denied"}, 1},
		{[]string{"--tool", "k__add"}, 2},
		{[]string{"--server", "k", "--status", "ok", "--method", "tools/call"}, 3},
		{[]string{"--since", "1h", "--method", "tools/call"}, 8},
		{[]string{"--until", "1h", "--method", "tools/call"}, 0},
		{[]string{"--method", "tools/call", "--limit", "3"}, 3},
	} {
		if got := auditRows[audit.Record](t, b, append(tc.args, dd)...); len(got) != tc.want {
			t.Errorf("audit %v: %d rows, want %d", tc.args, len(got), tc.want)
		}
	}
	evs := auditRows[audit.Event](t, b, dd, "--events")
	types := map[string]int{}
	for _, e := range evs {
		types[e.Plugin+"/"+e.Type]++
	}
	for _, want := range []string{"authz/denied", "ratelimit/limited", "basic/blocked", "presidio/masked", "/ready"} {
		if types[want] == 0 {
			t.Errorf("no %s event in %v", want, types)
		}
	}
	// A bad filter is a clear error.
	out, err := exec.Command(b.gateway, "audit", dd, "--status", "fine").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `--status "fine": expected one of ok, tool_error`) {
		t.Errorf("bad --status: %v %s", err, out)
	}
	// The table form names each call.
	out, err = exec.Command(b.gateway, "audit", dd, "--principal", "alice", "--status", "denied").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "k__whoami") || !strings.Contains(string(out), "denied") {
		t.Errorf("table: %v\n%s", err, out)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAuditNothingLostOnSIGTERM stops the gateway while clients call it as
// fast as they can: every answered call has its row, and no row is made
// up.
func TestAuditNothingLostOnSIGTERM(t *testing.T) {
	b := build(t)
	dataDir := t.TempDir()
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")}})
	gw := startHTTPGateway(t, b, cfg, "--data-dir", dataDir)
	var sent, answered atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := range 8 {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprint("load-", c), Version: "1"}, nil).Connect(context.Background(),
			&mcp.StreamableClientTransport{Endpoint: gw.url, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cs.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "k__echo", Arguments: map[string]any{"message": "x"}})
				cancel()
				if err != nil {
					return // the gateway is going away
				}
				answered.Add(1)
			}
		}()
	}
	waitFor(t, func() bool { return answered.Load() >= 500 })
	gw.stop(t, syscall.SIGTERM)
	close(stop)
	wg.Wait()
	store, err := audit.OpenSQLite(filepath.Join(dataDir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rows, err := store.Calls(context.Background(), audit.Filter{Method: "tools/call", Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d, answered %d, stored %d", sent.Load(), answered.Load(), len(rows))
	if int64(len(rows)) < answered.Load() || int64(len(rows)) > sent.Load() {
		t.Fatalf("stored %d tools/call rows for %d answered and %d sent calls", len(rows), answered.Load(), sent.Load())
	}
}

// TestAuditToPostgres runs the gateway with its audit trail in a real
// PostgreSQL server and reads it back with `mcp-gateway audit`, which
// finds the store through the same config.
func TestAuditToPostgres(t *testing.T) {
	b := build(t)
	t.Setenv("AUDIT_DSN", testpg.Start(t))
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")},
		"gateway":    map[string]any{"audit": map[string]any{"postgres": "${AUDIT_DSN}", "arguments": true}},
	})
	cs, _ := connectArgs(t, b, cfg, nil)
	callText(t, cs, "k__add", map[string]any{"a": 20, "b": 22})
	cs.Close()
	var rows []audit.Record
	waitFor(t, func() bool {
		rows = auditRows[audit.Record](t, b, "--mcp-json-path", cfg, "--tool", "k__add")
		return len(rows) == 1
	})
	if r := rows[0]; r.Status != audit.StatusOK || r.Principal != "local" || string(r.Args) != `{"a":20,"b":22}` {
		t.Errorf("row %+v (args %s)", r, r.Args)
	}
}
