package validate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Paths of the repository, relative to this directory.
var (
	repoRoot  = filepath.Join("..", "..")
	deployDir = ".."
	docsPath  = filepath.Join(repoRoot, "docs", "deployment.md")
)

// gatewayBin is the gateway built from the repository for this run.
var gatewayBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcp-gateway-validate-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gatewayBin = filepath.Join(dir, "mcp-gateway")
	if runtime.GOOS == "windows" {
		gatewayBin += ".exe"
	}
	build := exec.Command("go", "build", "-o", gatewayBin, "./cmd/mcp-gateway")
	build.Dir = repoRoot
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, &out
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the gateway (go build ./cmd/mcp-gateway in %s) failed: %v\n%s", repoRoot, err, out.String())
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFileErr(path string) ([]byte, error) { return os.ReadFile(path) }
