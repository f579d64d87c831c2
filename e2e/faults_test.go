package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// wrap returns sh -c arguments that run prelude, then exec the command.
func wrap(prelude, cmd string, args []string) []string {
	s := prelude + "; exec " + shellQuote(cmd)
	for _, a := range args {
		s += " " + shellQuote(a)
	}
	return []string{"-c", s}
}

func TestFaults(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	evCmd, evArgs := testenv.NPMServer(t, "server-everything")
	fsCmd, fsArgs := testenv.NPMServer(t, "server-filesystem")
	dir := t.TempDir()
	// server-filesystem returns a file both as text and as
	// structuredContent, so a 5 MiB file makes a result of over 10 MiB
	// (the Go SDK client's own limit is 16 MiB per message).
	big := strings.Repeat("0123456789abcdef", 5<<20/16)
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	marker := hex.EncodeToString(rnd[:])
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
		// Prints a banner and garbage on stdout before speaking JSON-RPC.
		"noisy": map[string]any{"command": "sh", "args": wrap(`echo "Server running on stdio"; echo '{not json'`, evCmd, evArgs)},
		// Writes 5 MB to stderr before starting.
		"chatty": map[string]any{"command": "sh", "args": wrap(`head -c 5000000 /dev/zero | tr '\0' 'x' | fold -w 200 >&2`, evCmd, evArgs)},
		"fs":     map[string]any{"command": fsCmd, "args": append(fsArgs, dir)},
		"slow":   map[string]any{"command": evCmd, "args": evArgs, "timeout": "2s"},
		"victim": map[string]any{"command": evCmd, "args": evArgs, "env": map[string]string{"MCPGW_LEAK_MARKER": marker}},
	}})
	cs, logs := connect(t, bins{gateway: gw}, cfg, nil)
	ctx := context.Background()

	t.Run("garbage on stdout is skipped", func(t *testing.T) {
		if got := callText(t, cs, "noisy__echo", map[string]any{"message": "clean"}); !strings.Contains(got, "clean") {
			t.Errorf("echo = %q", got)
		}
		if !strings.Contains(logs.String(), "ignored a malformed message from the backend") {
			t.Error("the garbage line was not reported in the log")
		}
	})
	t.Run("stderr flood is drained", func(t *testing.T) {
		if got := callText(t, cs, "chatty__echo", map[string]any{"message": "heard"}); !strings.Contains(got, "heard") {
			t.Errorf("echo = %q", got)
		}
	})
	t.Run("10 MiB result", func(t *testing.T) {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "fs__read_text_file", Arguments: map[string]any{"path": filepath.Join(dir, "big.txt")}})
		if err != nil {
			t.Fatal(err)
		}
		if got := textOf(t, res); got != big {
			t.Errorf("text: got %d bytes, want %d identical bytes", len(got), len(big))
		}
		sc, _ := res.StructuredContent.(map[string]any)
		if s, _ := sc["content"].(string); s != big {
			t.Errorf("structuredContent: got %d bytes, want %d identical bytes", len(s), len(big))
		}
	})
	t.Run("timeout names server and tool", func(t *testing.T) {
		start := time.Now()
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow__trigger-long-running-operation", Arguments: map[string]any{"duration": 30, "steps": 3}})
		if err == nil || !strings.Contains(err.Error(), "server slow did not answer tools/call within 2s") {
			t.Errorf("timeout error = %v", err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("the call took %s despite a 2s timeout", d)
		}
		if got := callText(t, cs, "slow__echo", map[string]any{"message": "after"}); !strings.Contains(got, "after") {
			t.Errorf("the server is unusable after a timeout: %q", got)
		}
	})
	t.Run("crash mid-call: clear error, restart, next call works", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() {
			_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "victim__trigger-long-running-operation", Arguments: map[string]any{"duration": 20, "steps": 2}})
			errc <- err
		}()
		var pids []int
		waitFor(t, func() bool { pids = markedProcesses(marker); return len(pids) > 0 })
		time.Sleep(300 * time.Millisecond) // let the call reach the server
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), "server victim stopped before answering") {
				t.Errorf("in-flight call error = %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the in-flight call did not fail when its server died")
		}
		waitFor(t, func() bool {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "victim__echo", Arguments: map[string]any{"message": "back"}})
			return err == nil && !res.IsError && strings.Contains(textOf(t, res), "back")
		})
		if !strings.Contains(logs.String(), `server=victim`) || !strings.Contains(logs.String(), "backend down; restarting") {
			t.Error("the crash and restart are not in the log")
		}
	})
}

// TestOversizedAnswer: an answer over gateway.maxMessageBytes fails its
// call at once with an error that says which limit to raise, and the
// session goes on.
func TestOversizedAnswer(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	fsCmd, fsArgs := testenv.NPMServer(t, "server-filesystem")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(strings.Repeat("z", 2<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), []byte("tiny"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, map[string]any{
		"gateway":    map[string]any{"maxMessageBytes": "1MiB"},
		"mcpServers": map[string]any{"fs": map[string]any{"command": fsCmd, "args": append(fsArgs, dir)}},
	})
	cs, _ := connect(t, bins{gateway: gw}, cfg, nil)
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "fs__read_text_file", Arguments: map[string]any{"path": filepath.Join(dir, "big.txt")}})
	if err == nil || !strings.Contains(err.Error(), "server fs answered with a message larger than the gateway's 1048576-byte limit; raise gateway.maxMessageBytes") {
		t.Errorf("oversized answer error = %v", err)
	}
	if got := callText(t, cs, "fs__read_text_file", map[string]any{"path": filepath.Join(dir, "small.txt")}); got != "tiny" {
		t.Errorf("call after an oversized answer = %q", got)
	}
}
