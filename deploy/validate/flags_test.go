package validate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gatewayFlags returns the flags `mcp-gateway --help` lists.
func gatewayFlags(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command(gatewayBin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("mcp-gateway --help: %v\n%s", err, out)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)(?:^|[\s,\[])(--?[a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if !flags["--mcp-json-path"] || !flags["--listen"] {
		t.Fatalf("mcp-gateway --help lists no --mcp-json-path or --listen; the help text changed:\n%s", out)
	}
	return flags
}

// usedArgs collects the gateway's argument vectors from the Dockerfile,
// the systemd unit and the Kubernetes manifests.
func usedArgs(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	stages := parseDockerfile(t, dockerfilePath)
	for _, s := range stages {
		ep, ok := s.last("ENTRYPOINT")
		if !ok {
			continue
		}
		entry := execForm(t, ep)
		var args []string
		for i, a := range entry {
			if filepath.Base(a) == "mcp-gateway" {
				args = slices.Clone(entry[i+1:])
			}
		}
		if cmd, ok := s.last("CMD"); ok {
			args = append(args, execForm(t, cmd)...)
		}
		used[fmt.Sprintf("Dockerfile stage %s ENTRYPOINT+CMD", s.Name)] = args
	}
	unit := parseUnit(t, unitPath)
	used["systemd ExecStart"] = execStart(t, unit)[1:]
	m := loadManifests(t)
	w, c := m.gatewayContainer(t)
	args := slices.Clone(c.Args)
	if len(c.Command) > 0 {
		args = append(argsAfterBinary(c.Command), c.Args...)
	}
	used[fmt.Sprintf("%s container %s args", w.Obj, c.Name)] = args
	return used
}

func mustArg(t *testing.T, args []string, name string) string {
	t.Helper()
	v, ok := argValue(args, name)
	if !ok {
		t.Fatalf("no %s in %v", name, args)
	}
	return v
}

func argsAfterBinary(cmd []string) []string {
	for i, a := range cmd {
		if filepath.Base(a) == "mcp-gateway" {
			return slices.Clone(cmd[i+1:])
		}
	}
	return slices.Clone(cmd)
}

// TestFlagsExist checks every flag used to start the gateway against its
// --help, then lets the binary itself parse each argument vector (with
// --version added, which exits right after the flags are parsed).
func TestFlagsExist(t *testing.T) {
	flags := gatewayFlags(t)
	for where, args := range usedArgs(t) {
		if len(args) == 0 {
			t.Errorf("%s: no arguments", where)
			continue
		}
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name, _, _ := strings.Cut(a, "=")
			if !flags[name] {
				t.Errorf("%s: flag %s is not in mcp-gateway --help", where, name)
			}
		}
		cmd := exec.Command(gatewayBin, append(slices.Clone(args), "--version")...)
		cmd.Env = append(os.Environ(), "MCP_GATEWAY_LISTEN=127.0.0.1:8080")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "mcp-gateway ") {
			t.Errorf("%s: mcp-gateway %s --version: %v\n%s", where, strings.Join(args, " "), err, out)
		}
	}
}

// TestGatewayServesProbes starts the built gateway with the Kubernetes
// arguments (on a loopback port, with the ConfigMap's auth section and a
// single disabled server, so that nothing is reached) and checks that the
// probe paths and the metrics path answer without credentials while /mcp
// asks for them, and that SIGTERM stops it cleanly within the pod's grace
// period.
func TestGatewayServesProbes(t *testing.T) {
	m := loadManifests(t)
	w, c := m.gatewayContainer(t)
	dir := t.TempDir()
	// The ConfigMap's auth section is kept, so that the probes are shown
	// to answer without credentials while /mcp asks for them.
	cmData, where := configFromMount(t, m, c, mustArg(t, c.Args, "--mcp-json-path"))
	var full struct {
		Gateway map[string]json.RawMessage `json:"gateway"`
	}
	if err := json.Unmarshal(cmData, &full); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	test := map[string]any{"mcpServers": map[string]any{"off": map[string]any{"command": "true", "disabled": true}}}
	if a, ok := full.Gateway["auth"]; ok {
		test["gateway"] = map[string]any{"auth": a}
	}
	raw, _ := json.Marshal(test)
	cfg := filepath.Join(dir, "mcp.json")
	if err := os.WriteFile(cfg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + dir}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			env = append(env, e.Name+"=dummy-"+strings.ToLower(e.Name)+"-0123456789abcdef")
		}
	}
	args := slices.Clone(c.Args)
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--listen":
			args[i+1] = "127.0.0.1:0"
		case "--mcp-json-path":
			args[i+1] = cfg
		case "--data-dir":
			args[i+1] = filepath.Join(dir, "data")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatewayBin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := make(chan string, 1)
	var logs bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if u := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(sc.Text()); u != "" && !sent && strings.Contains(sc.Text(), "serving MCP over HTTP") {
				base <- u
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var url string
	select {
	case url = <-base:
	case <-time.After(15 * time.Second):
		t.Fatalf("the gateway did not report its HTTP address within 15s; log:\n%s", logs.String())
	}
	client := &http.Client{Timeout: 3 * time.Second}
	get := func(path string) (int, string) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp, err := client.Get(url + path)
			if err == nil {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK || time.Now().After(deadline) {
					return resp.StatusCode, string(body)
				}
			} else if time.Now().After(deadline) {
				return 0, err.Error()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, p := range []string{c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path} {
		if code, body := get(p); code != http.StatusOK {
			t.Errorf("GET %s (a probe of %s): %d %s", p, w.Obj, code, body)
		}
	}
	metricsPath := w.Annots["prometheus.io/path"]
	if code, body := get(metricsPath); code != http.StatusOK {
		t.Errorf("GET %s (prometheus.io/path of %s): %d; the binary built from this tree does not serve the metrics the manifests, rules and dashboard rely on", metricsPath, w.Obj, code)
	} else if !strings.Contains(body, "mcp_gateway_build_info") {
		t.Errorf("GET %s: no mcp_gateway_build_info in the exposition", metricsPath)
	}
	if _, ok := full.Gateway["auth"]; ok {
		resp, err := client.Post(url+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		if err != nil {
			t.Errorf("POST /mcp: %v", err)
		} else {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("POST /mcp without credentials: %d, want 401 (the auth section is on)", resp.StatusCode)
			}
		}
	}
	// SIGTERM: a clean exit within the grace period.
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	grace := time.Duration(gracePeriod(m)) * time.Second
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM the gateway exited with %v; log:\n%s", err, logs.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(grace):
		t.Errorf("the gateway did not stop within the grace period %v after SIGTERM", grace)
	}
}
