package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

// markedProcesses returns the pids of live processes whose environment
// holds MCPGW_LEAK_MARKER=marker (zombies are not counted: they are dead).
func markedProcesses(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	needle := []byte("MCPGW_LEAK_MARKER=" + marker + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, needle) {
			continue
		}
		if st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); bytes.Contains(st, []byte(") Z ")) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestShutdownLeavesNoProcess(t *testing.T) {
	gw := testenv.BuildBinary(t, "./cmd/mcp-gateway")
	b := bins{gateway: gw}
	evCmd, evArgs := testenv.NPMServer(t, "server-everything")
	for _, how := range []string{"stdin closed", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			var rnd [8]byte
			rand.Read(rnd[:])
			marker := hex.EncodeToString(rnd[:])
			env := map[string]string{"MCPGW_LEAK_MARKER": marker}
			// A shell wrapper that starts the real server as a grandchild
			// and a stray background process, as npx and shell scripts do.
			wrapped := "sleep 600 & exec " + shellQuote(evCmd)
			for _, a := range evArgs {
				wrapped += " " + shellQuote(a)
			}
			cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{
				"direct":  map[string]any{"command": evCmd, "args": evArgs, "env": env},
				"wrapped": map[string]any{"command": "sh", "args": []string{"-c", wrapped}, "env": env},
			}})
			rc := startRaw(t, b, cfg)
			rc.initialize()
			rc.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"wrapped__echo","arguments":{"message":"up"}}}`)
			if m := rc.await("1", nil); m.Error != nil {
				t.Fatalf("call before shutdown: %s", m.Error)
			}
			if n := len(markedProcesses(marker)); n < 3 {
				t.Fatalf("expected at least 3 backend processes running, found %d", n)
			}
			if how == "SIGTERM" {
				rc.cmd.Process.Signal(syscall.SIGTERM)
			} else {
				rc.in.Close()
			}
			done := make(chan error, 1)
			go func() { done <- rc.cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("gateway did not exit")
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				left := markedProcesses(marker)
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("processes left behind after the gateway exited: %v", left)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func shellQuote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, `'\''`...)
		} else {
			out = append(out, s[i])
		}
	}
	return string(append(out, '\''))
}
