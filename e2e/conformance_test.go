package e2e

// The official MCP conformance suite (@modelcontextprotocol/conformance,
// pinned in testdeps/) against the gateway's HTTP front door, which fronts
// the Go SDK's conformance reference server configured with "prefix": "" (the
// suite calls the reference server's tool names verbatim). Issue 3 requires
// two runs per backend, `--spec-version 2025-11-25` (legacy, 0 failed) and
// `--requirements 2026-07-28` (modern, exit 0), for the reference server as a
// legacy HTTP backend, as a modern HTTP backend and as a stdio backend; see
// docs/protocol-2026-07-28.md §13 for the suite and the reference server.
//
// Each run has an expected-failures baseline,
// testdata/conformance/<backend>-<run>.yml, passed to the suite with
// --expected-failures: the gateway's visible to-do list, one entry per
// failing check with its message. With a baseline the suite exits 1
//   - on a FAILURE or a WARNING that is not listed (a regression; note that
//     warnings, SHOULDs, count once a baseline is given, although they do not
//     without one), and
//   - on a listed entry whose check now passes ("stale": a fix landed; remove
//     the entry),
// and TestConformance fails whenever it exits non-zero. The suite tolerates
// a listed check that did not run at all, such as elicitation-sep1034-general,
// which a scenario emits only when it cannot go on to its real checks; this
// test does not: every entry must have failed, as the suite reports under
// "Expected failures", or the test asks for its removal. Under
// --requirements the suite judges only the scenarios the revision scores, so
// the 2026-07-28 baselines have no entries for the unscored ones (tasks-*,
// an extension, and the pending json-schema-2020-12 and http-*-validation);
// their results are only logged.
//
// The "direct" subtests run the suite against the reference server without
// the gateway and check the numbers §13.2 reports, so that a change of suite
// or server is told apart from a gateway regression.
//
// To rewrite the baselines from what fails now (after a fix, or to accept a
// change deliberately):
//
//	go test ./e2e -run 'TestConformance/(legacy|modern|stdio)' -conformance.update
//
// Every leaf subtest starts its own reference server (and gateway), so they
// all run in parallel.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

var conformanceUpdate = flag.Bool("conformance.update", false,
	"TestConformance: rewrite e2e/testdata/conformance/*.yml from this run's failures instead of checking against them")

// everythingServer is the Go SDK's conformance reference server, built at
// the go-sdk version go.mod requires. With -http ADDR it serves streamable
// HTTP (stateless unless -stateless=false), without it stdio.
const everythingServer = "github.com/modelcontextprotocol/go-sdk/conformance/everything-server"

// conformanceRuns are the two suite runs issue 3 requires of every backend.
var conformanceRuns = []struct {
	name string // subtest and baseline file name
	args []string
}{
	{"2025-11-25", []string{"--spec-version", "2025-11-25"}},
	{"2026-07-28", []string{"--requirements", "2026-07-28"}},
}

// conformanceBackends are the ways the reference server sits behind the
// gateway, each fronted alone with "prefix": "". The stdio one is
// "per-client", as the README says a stdio server that calls back must be
// behind the HTTP front door: a shared back session is shown no client
// capabilities, since its requests could not be told apart by client.
var conformanceBackends = []struct {
	name   string
	server func(t *testing.T) map[string]any
}{
	{"legacy", func(t *testing.T) map[string]any {
		return map[string]any{"type": "http", "url": startConformanceServer(t, "-stateless=false"), "prefix": ""}
	}},
	{"modern", func(t *testing.T) map[string]any {
		return map[string]any{"type": "http", "url": startConformanceServer(t), "prefix": ""}
	}},
	{"stdio", func(t *testing.T) map[string]any {
		return map[string]any{"command": testenv.BuildBinary(t, everythingServer), "args": []string{}, "prefix": "", "isolation": "per-client"}
	}},
}

const (
	// conformanceRunTimeout bounds one whole suite run: they take 2-5 s,
	// about 20 s with four copies of this test on two cores.
	conformanceRunTimeout = 90 * time.Second
	// conformanceScenarioTimeout is the suite's per-scenario --timeout in
	// ms, below its 30 s default so that a hanging scenario is reported as
	// such before the whole run times out.
	conformanceScenarioTimeout = "10000"
)

func TestConformance(t *testing.T) {
	testenv.ConformanceCLI(t) // skip (or fail, with CI set) before building anything

	t.Run("direct", func(t *testing.T) {
		t.Parallel()
		t.Run("legacy-2025-11-25", func(t *testing.T) {
			t.Parallel()
			url := startConformanceServer(t, "-stateless=false")
			r := runConformance(t, url, conformanceRuns[0].args, "")
			t.Log(r.summary())
			// §13.2 run 1: 31 scenarios, 73 checks passed, 0 failed, exit 0.
			if n := len(r.order); n != 31 {
				t.Errorf("the suite ran %d scenarios, want 31 (docs/protocol-2026-07-28.md §13.2)", n)
			}
			if bad := r.failing(nil); r.exit != 0 || len(bad) > 0 {
				t.Errorf("the legacy reference server failed the suite directly (exit %d), want 0 failed and no warnings:\n%s%s",
					r.exit, r.describe(bad), r.tail())
			}
		})
		t.Run("modern-2026-07-28", func(t *testing.T) {
			t.Parallel()
			url := startConformanceServer(t)
			r := runConformance(t, url, conformanceRuns[1].args, "")
			t.Log(r.summary())
			// §13.2 run 3: 50 scenarios (37 scored, 13 not), exit 0; all 30
			// failed checks are in the unscored tasks extension.
			if n, ns := len(r.order), len(r.notScored); n != 50 || ns != 13 {
				t.Errorf("the suite ran %d scenarios, %d of them not scored; want 50 and 13 (docs/protocol-2026-07-28.md §13.2)", n, ns)
			}
			if a, b := slices.Sorted(slices.Values(r.notScored)), slices.Sorted(slices.Values(conformanceUnscored)); !slices.Equal(a, b) {
				t.Errorf("the suite did not score %q; conformanceUnscored says %q", a, b)
			}
			if bad := r.failing(conformanceScored); r.exit != 0 || len(bad) > 0 {
				t.Errorf("the modern reference server failed the suite directly (exit %d), want exit 0 and no failure or warning in a scored scenario:\n%s%s",
					r.exit, r.describe(bad), r.tail())
			}
		})
	})

	for _, backend := range conformanceBackends {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			for _, run := range conformanceRuns {
				t.Run(run.name, func(t *testing.T) {
					t.Parallel()
					baseline := filepath.Join("testdata", "conformance", backend.name+"-"+run.name+".yml")
					gw := startConformanceGateway(t, backend.server(t))
					if *conformanceUpdate {
						r := runConformance(t, gw.url, run.args, "")
						t.Log(r.summary())
						writeConformanceBaseline(t, baseline, backend.name, run.args, r)
						return
					}
					entries := readConformanceBaseline(t, baseline)
					r := runConformance(t, gw.url, run.args, baseline)
					t.Logf("%s; baseline %s: %d entries", r.summary(), baseline, len(entries))
					if bad := r.failing(func(s string) bool { return !conformanceScored(s) }); len(bad) > 0 {
						t.Logf("not scored, so not judged: %d failing checks in %s", len(bad), strings.Join(scenariosOf(bad), ", "))
					}
					if !r.finished() {
						t.Fatalf("conformance %s through the gateway (%s backend) did not finish (exit %d); failing so far:\n%s%s",
							strings.Join(run.args, " "), backend.name, r.exit, r.describe(r.failing(conformanceScored)), r.tail())
					}
					var absent []string
					for _, e := range entries {
						if !slices.Contains(r.expected, e) && !slices.Contains(r.stale, e) {
							absent = append(absent, e)
						}
					}
					if r.exit == 0 && len(absent) == 0 {
						return
					}
					var b strings.Builder
					fmt.Fprintf(&b, "conformance %s through the gateway (%s backend): exit %d\n", strings.Join(run.args, " "), backend.name, r.exit)
					if len(r.unexpected) > 0 {
						fmt.Fprintf(&b, "failures not in %s (regressions, or new checks):\n", baseline)
						for _, e := range r.unexpected {
							b.WriteString(r.describe(r.matching(e)))
						}
					}
					for _, e := range r.stale {
						fmt.Fprintf(&b, "now passes, remove from %s: %s\n", baseline, e)
					}
					for _, e := range absent {
						fmt.Fprintf(&b, "did not fail (its check no longer ran), remove from %s: %s\n", baseline, e)
					}
					if len(r.unexpected)+len(r.stale)+len(absent) == 0 {
						b.WriteString(r.tail())
					}
					fmt.Fprintf(&b, "(to accept this run as the new baseline: go test ./e2e -run 'TestConformance/%s/%s' -conformance.update)", backend.name, run.name)
					t.Error(b.String())
				})
			}
		})
	}
}

// startConformanceServer starts the reference server on streamable HTTP at
// a free loopback port, waits until it accepts connections, and returns its
// endpoint URL. The server cannot report the port it bound (it listens on
// the -http address as given), so the port is found by binding :0 and
// closing; if another process takes it in between, the server exits at once
// and another port is tried.
func startConformanceServer(t *testing.T, args ...string) string {
	t.Helper()
	bin := testenv.BuildBinary(t, everythingServer)
	for attempt := 1; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()

		logs := &testenv.LogBuffer{}
		cmd := exec.Command(bin, append([]string{"-http", addr}, args...)...)
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
			if t.Failed() {
				t.Logf("reference server %s %s log:\n%s", addr, strings.Join(args, " "), logs)
			}
		})

		if awaitListening(t, addr, exited, logs) {
			return "http://" + addr + "/mcp"
		}
		if !strings.Contains(logs.String(), "address already in use") || attempt == 3 {
			t.Fatalf("reference server exited (%v) before accepting connections on %s:\n%s", cmd.ProcessState, addr, logs)
		}
	}
}

// awaitListening polls addr until it accepts TCP connections (true) or the
// process has exited (false), failing the test after 20s.
func awaitListening(t *testing.T, addr string, exited <-chan struct{}, logs *testenv.LogBuffer) bool {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		if time.Now().After(deadline) {
			t.Fatalf("reference server did not accept connections on %s within 20s:\n%s", addr, logs)
		}
		select {
		case <-exited:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// conformanceGateway is a gateway serving HTTP for one conformance run.
type conformanceGateway struct {
	url  string // the /mcp endpoint
	logs *testenv.LogBuffer
}

var servingURL = regexp.MustCompile(`msg="serving MCP over HTTP" url=(\S+)`)

// startConformanceGateway starts the gateway on a free loopback port with
// server as its only backend, "ref", and waits until /readyz says ready.
func startConformanceGateway(t *testing.T, server map[string]any) conformanceGateway {
	t.Helper()
	b := bins{gateway: testenv.BuildBinary(t, "./cmd/mcp-gateway")}
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{"ref": server}})
	gw := conformanceGateway{logs: &testenv.LogBuffer{}}
	cmd := gatewayCmd(t, b, cfg, gw.logs, "--listen", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // graceful: drains, stops a stdio backend
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("gateway log (end):\n%s", lastLines(gw.logs.String(), 100))
		}
	})

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if gw.url == "" {
			if m := servingURL.FindStringSubmatch(gw.logs.String()); m != nil {
				gw.url = m[1]
			}
		}
		if gw.url != "" {
			if resp, err := client.Get(strings.TrimSuffix(gw.url, "/mcp") + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return gw
				}
			}
		}
		select {
		case <-exited:
			t.Fatalf("gateway exited (%v) before it was ready:\n%s", cmd.ProcessState, gw.logs)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not ready within 30s (url %q):\n%s", gw.url, gw.logs)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines ...]\n", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "")
}

// conformanceCheck is one entry of a scenario's checks.json.
type conformanceCheck struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"` // SUCCESS, FAILURE, WARNING, INFO, SKIPPED
	ErrorMessage string          `json:"errorMessage"`
	Details      json.RawMessage `json:"details"`
}

// conformanceResult is what one suite run reported.
type conformanceResult struct {
	exit           int
	stdout, stderr string
	order          []string                      // scenarios, in the order they ran
	checks         map[string][]conformanceCheck // by scenario; none when it failed to run
	notScored      []string                      // without a baseline, under --requirements
	// The suite's baseline verdict (entries as in the baseline file).
	expected, stale, unexpected []string
}

// runConformance runs `conformance server --url url args...`, with
// --expected-failures baseline unless baseline is "", and collects the
// results from its -o directory and its stdout.
func runConformance(t *testing.T, url string, args []string, baseline string) *conformanceResult {
	t.Helper()
	command, prefix := testenv.ConformanceCLI(t)
	out := filepath.Join(t.TempDir(), "results")
	a := append(append([]string{}, prefix...), "server", "--url", url, "-o", out, "--timeout", conformanceScenarioTimeout)
	a = append(a, args...)
	if baseline != "" {
		abs, err := filepath.Abs(baseline)
		if err != nil {
			t.Fatal(err)
		}
		a = append(a, "--expected-failures", abs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), conformanceRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, command, a...)
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &conformanceResult{stdout: ansiEscape.ReplaceAllString(stdout.String(), ""), stderr: stderr.String(), checks: map[string][]conformanceCheck{}}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Errorf("conformance %s did not finish within %s", strings.Join(args, " "), conformanceRunTimeout)
		r.exit = -1
	case errors.As(err, &exitErr):
		r.exit = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running the conformance suite: %v", err)
	}
	t.Logf("conformance server --url %s %s: exit %d in %s", url, strings.Join(args, " "), r.exit, time.Since(start).Round(10*time.Millisecond))
	r.parseStdout()
	r.readChecks(t, out)
	return r
}

var (
	ansiEscape  = regexp.MustCompile("\x1b\\[[0-9;]*m")
	scenarioDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$`)
)

// finished reports whether the suite ran to its summary and exit code
// (rather than being killed, or stopping at a usage or baseline error).
func (r *conformanceResult) finished() bool {
	return r.exit >= 0 && strings.Contains(r.stdout, "=== SUMMARY ===")
}

// parseStdout reads the scenario order, the unscored scenarios and the
// baseline verdict from the suite's output:
//
//	=== Running scenario: NAME ===
//	Not scored for 2026-07-28: 13 scenario(s) run, 9 failing. ...
//	  ✗ tasks-lifecycle (extension)
//	Expected failures (in baseline):
//	  ~ ENTRY
//	Stale baseline entries (now passing - remove from baseline):
//	  ✓ ENTRY
//	Unexpected failures (not in baseline):
//	  ✗ ENTRY
//
// each list ending at a blank line.
func (r *conformanceResult) parseStdout() {
	var list *[]string
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== Running scenario: "):
			r.order = append(r.order, strings.TrimSuffix(strings.TrimPrefix(line, "=== Running scenario: "), " ==="))
			list = nil
		case strings.HasPrefix(line, "Not scored for "):
			list = &r.notScored
		case strings.HasPrefix(line, "Expected failures (in baseline)"):
			list = &r.expected
		case strings.HasPrefix(line, "Stale baseline entries"):
			list = &r.stale
		case strings.HasPrefix(line, "Unexpected failures (not in baseline)"):
			list = &r.unexpected
		case strings.TrimSpace(line) == "":
			list = nil
		case list != nil && strings.HasPrefix(line, "  "):
			item := strings.TrimSpace(line)
			_, item, _ = strings.Cut(item, " ") // the mark: ✗ ✓ ~
			if list == &r.notScored {
				item, _, _ = strings.Cut(item, " (")
			}
			*list = append(*list, item)
		}
	}
}

// readChecks reads every scenario's checks.json under the -o directory.
func (r *conformanceResult) readChecks(t *testing.T, out string) {
	t.Helper()
	dirs, err := os.ReadDir(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, d := range dirs {
		m := scenarioDir.FindStringSubmatch(d.Name())
		if m == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(out, d.Name(), "checks.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue // the scenario failed to run; the suite's stderr says why
		}
		var checks []conformanceCheck
		if err == nil {
			err = json.Unmarshal(data, &checks)
		}
		if err != nil {
			t.Fatalf("conformance result %s: %v", d.Name(), err)
		}
		r.checks[m[1]] = append(r.checks[m[1]], checks...)
	}
}

// conformanceUnscored are the scenarios `--requirements 2026-07-28` runs but
// does not score (`conformance list --requirements 2026-07-28`, "Run and
// reported, but never scored"). With a baseline the suite does not print
// them, so they are listed here; the direct modern subtest checks the list
// against the suite's own report. The legacy run has none of them.
var conformanceUnscored = []string{
	"tasks-lifecycle", "tasks-capability-negotiation", "tasks-wire-fields", "tasks-request-state-removal",
	"tasks-mrtr-input", "tasks-request-headers", "tasks-dispatch-and-envelope", "tasks-status-notifications",
	"tasks-required-task-error", "tasks-mrtr-composition",
	"json-schema-2020-12", "http-header-validation", "http-custom-header-server-validation",
}

func conformanceScored(scenario string) bool { return !slices.Contains(conformanceUnscored, scenario) }

// failing returns "scenario:check" for every check with status FAILURE or
// WARNING in the scenarios keep accepts (nil: all), once per check id (the
// most severe occurrence, as the suite counts them), in run order, plus the
// bare scenario name for a scenario that ran without writing results.
func (r *conformanceResult) failing(keep func(string) bool) []string {
	var out []string
	for _, s := range r.order {
		if keep != nil && !keep(s) {
			continue
		}
		checks, ok := r.checks[s]
		if !ok {
			out = append(out, s)
			continue
		}
		for _, c := range collapseChecks(checks) {
			if c.Status == "FAILURE" || c.Status == "WARNING" {
				out = append(out, s+":"+c.ID)
			}
		}
	}
	return out
}

// scenariosOf returns the distinct scenarios of "scenario:check" entries.
func scenariosOf(entries []string) []string {
	var out []string
	for _, e := range entries {
		s, _, _ := strings.Cut(e, ":")
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// collapseChecks keeps one check per id, the most severe, in first-seen
// order.
func collapseChecks(checks []conformanceCheck) []conformanceCheck {
	severity := map[string]int{"FAILURE": 3, "WARNING": 2, "SUCCESS": 1}
	var out []conformanceCheck
	at := map[string]int{}
	for _, c := range checks {
		if c.Status == "INFO" {
			continue
		}
		i, seen := at[c.ID]
		if !seen {
			at[c.ID] = len(out)
			out = append(out, c)
		} else if severity[c.Status] >= severity[out[i].Status] {
			out[i] = c
		}
	}
	return out
}

// matching returns the failing "scenario:check" entries that a verdict
// entry (a scenario or scenario:check) names.
func (r *conformanceResult) matching(entry string) []string {
	scenario, check, _ := strings.Cut(entry, ":")
	var out []string
	for _, f := range r.failing(func(s string) bool { return s == scenario }) {
		if check == "" || f == entry || f == scenario {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = []string{entry}
	}
	return out
}

// check returns the (collapsed) check that a "scenario:check" entry names.
func (r *conformanceResult) check(entry string) (conformanceCheck, bool) {
	scenario, id, _ := strings.Cut(entry, ":")
	for _, c := range collapseChecks(r.checks[scenario]) {
		if c.ID == id {
			return c, true
		}
	}
	return conformanceCheck{}, false
}

// why is a check's status and message on one line, as in a baseline comment.
func (c conformanceCheck) why(max int) string {
	msg := c.ErrorMessage
	if msg == "" && len(c.Details) > 0 {
		msg = "details " + string(c.Details)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > max {
		msg = msg[:max] + "…"
	}
	return c.Status + ": " + msg
}

// describe lists entries with their checks' status and message.
func (r *conformanceResult) describe(entries []string) string {
	var b strings.Builder
	for _, e := range entries {
		c, ok := r.check(e)
		switch {
		case ok:
			fmt.Fprintf(&b, "  %s %s\n", e, c.why(1000))
		case !strings.Contains(e, ":") && r.checks[e] == nil:
			fmt.Fprintf(&b, "  %s: no results (the scenario failed to run; suite stderr below)\n", e)
		default:
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return b.String()
}

// tail is the end of the suite's output, for failures the checks do not
// explain.
func (r *conformanceResult) tail() string {
	return fmt.Sprintf("suite stdout (end):\n%s\nsuite stderr (end):\n%s", lastLines(r.stdout, 40), lastLines(r.stderr, 40))
}

// summary counts scenarios and checks.
func (r *conformanceResult) summary() string {
	n := map[string]int{}
	for _, checks := range r.checks {
		for _, c := range checks {
			n[c.Status]++
		}
	}
	unscored := 0
	for _, s := range r.order {
		if !conformanceScored(s) {
			unscored++
		}
	}
	return fmt.Sprintf("%d scenarios (%d not scored), checks: %d passed, %d failed, %d warnings",
		len(r.order), unscored, n["SUCCESS"], n["FAILURE"], n["WARNING"])
}

// readConformanceBaseline reads a baseline file's entries, requiring the
// layout writeConformanceBaseline produces: a "server:" list whose every
// entry says why it fails in a comment on its line.
func readConformanceBaseline(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("baseline: %v (create it with -conformance.update)", err)
	}
	var entries []string
	inServer := false
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case trimmed == "server:" || trimmed == "server: []":
			inServer = true
		case inServer && strings.HasPrefix(trimmed, "- "):
			entry, comment, _ := strings.Cut(strings.TrimPrefix(trimmed, "- "), " #")
			entry = strings.TrimSpace(entry)
			if strings.TrimSpace(comment) == "" {
				t.Errorf("%s:%d: baseline entry %q has no comment saying why it fails", path, i+1, entry)
			}
			if slices.Contains(entries, entry) {
				t.Errorf("%s:%d: baseline entry %q is listed twice", path, i+1, entry)
			}
			entries = append(entries, entry)
		default:
			t.Fatalf("%s:%d: not a baseline line (want \"server:\" and \"  - scenario:check # why\"): %q", path, i+1, line)
		}
	}
	return entries
}

// writeConformanceBaseline writes the baseline of what fails in r: every
// FAILURE and WARNING in a scored scenario, one entry per check.
func writeConformanceBaseline(t *testing.T, path, backend string, args []string, r *conformanceResult) {
	t.Helper()
	if len(r.order) == 0 {
		t.Fatalf("the suite ran no scenarios; not writing %s\n%s", path, r.tail())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Expected failures of `conformance server --url <gateway>/mcp %s`\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "# through the gateway fronting the Go SDK reference server as a %s backend\n", map[string]string{
		"legacy": "legacy HTTP (-stateless=false)", "modern": "modern HTTP (stateless)", "stdio": "stdio",
	}[backend])
	b.WriteString("# (\"prefix\": \"\"). Read by TestConformance (e2e/conformance_test.go), which fails\n")
	b.WriteString("# on any other failure or warning and on any entry here that no longer fails.\n")
	b.WriteString("# Written by -conformance.update: one entry per failing check, with its status\n")
	b.WriteString("# and message.\n")
	var entries []string
	for _, e := range r.failing(conformanceScored) {
		c, ok := r.check(e)
		why := "FAILURE: the scenario failed to run"
		if ok {
			why = c.why(200)
		}
		entries = append(entries, fmt.Sprintf("  - %s # %s\n", e, why))
	}
	if len(entries) == 0 {
		b.WriteString("server: []\n")
	} else {
		b.WriteString("server:\n")
		for _, e := range entries {
			b.WriteString(e)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d entries", path, len(entries))
}
