package e2e

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// startRedis runs a real redis-server on a free port for the test and
// returns its URL. CI installs the Debian package; without it the test
// fails and says so.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port)
}

// Two gateway instances sharing one Redis enforce one budget.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	b := build(t)
	url := startRedis(t)
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")},
		"gateway": map[string]any{
			"rateLimits": []map[string]any{{"principals": []string{"local"}, "tools": []string{"k__echo"}, "perMinute": 4}},
			"redis":      map[string]any{"url": url},
		},
	})
	one, _ := connect(t, b, cfg, nil)
	two, _ := connect(t, b, cfg, nil)
	allowed, refused := 0, 0
	for i := range 6 {
		cs := one
		if i%2 == 1 {
			cs = two
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "k__echo", Arguments: map[string]any{"message": "m"}})
		cancel()
		switch {
		case err == nil:
			allowed++
		case strings.Contains(err.Error(), "rate limit exceeded"):
			refused++
		default:
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if allowed != 4 || refused != 2 {
		t.Errorf("%d allowed and %d refused across two gateways, want 4 and 2 (one shared budget)", allowed, refused)
	}
}
