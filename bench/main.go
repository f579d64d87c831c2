// Command bench measures the gateway against a direct connection to the
// same backend, in one run, and prints a Markdown report:
//
//	go run ./bench                 # stdio scenarios; defaults: 20000 calls per scenario
//	go run ./bench -calls 50000
//	go run ./bench -http           # the HTTP scenario instead
//	go run ./bench -cache          # the response cache: misses vs hits over HTTP
//
// Stdio scenarios (stdio front, stdio backend bench/echoserver):
//   - tools/call throughput and p50/p99 latency at 1 and 8 concurrent calls,
//     direct and through the gateway, and their ratio;
//   - gateway CPU per call (user+system time of the gateway process over
//     the measured calls) and its RSS afterwards;
//   - cold start: spawn to first successful tools/call, direct and through
//     the gateway;
//   - tools/list of 1,000 tools from 50 servers × 20 tools (served from the
//     gateway's catalog).
//
// HTTP scenario (-http: streamable HTTP front, backend bench/echoserver
// -http, the gateway started with --listen on a free port):
//   - tools/call throughput and p50/p99 latency at 1 and 8 sessions (or the
//     -concurrency list; each session calls sequentially, with keep-alive
//     connections), a raw net/http
//     client calling the backend directly, then through the gateway with
//     per-client back sessions (the default for remote servers) and with a
//     shared one (unless -shared=false); their ratio; CPU per call of the gateway, the backend and
//     the client; gateway RSS;
//   - -sessions sessions (default 1000) opened one after another with
//     initialize and initialized: set-up time and CPU, directly and through
//     the gateway; gateway RSS per idle session; a call on every session
//     (all still held; it opens its back session) and RSS again; then, with
//     sessionIdleTimeout set to -idle, that they all expire (-sessions 0
//     skips this part).
//
// BENCH_CPUPROFILE=FILE writes gateway CPU profiles: FILE.1 and FILE.8 for
// the stdio scenarios, FILE.http.1 and FILE.http.8 for the HTTP one.
// BENCH_GATEWAY_BIN=PATH measures that gateway binary instead of building
// ./cmd/mcp-gateway (to compare two builds, run in turns);
// BENCH_GATEWAY_ENV="GOGC=400" sets variables for the gateway alone;
// BENCH_RELAY_FLAGS=-plain makes bench/tcprelay (-relay) copy with read
// and write instead of io.Copy's splice.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

func main() {
	calls := flag.Int("calls", 20000, "tools/call requests per measured scenario")
	httpMode := flag.Bool("http", false, "run the HTTP scenario (HTTP front, HTTP backend) instead of the stdio ones")
	backend := flag.String("backend", "echo", "with -http: the backend, echo (bench/echoserver) or everything (npm server-everything, from testdeps/)")
	sessions := flag.Int("sessions", 1000, "with -http: sessions opened for the set-up and memory measurements (0: skip them)")
	idle := flag.Duration("idle", 10*time.Second, "with -http: the gateway's sessionIdleTimeout in the sessions measurement")
	cacheMode := flag.Bool("cache", false, "run the response cache scenario (HTTP front, HTTP backend, cache off vs hits) instead")
	concurrency := flag.String("concurrency", "1,8", "with -http: the concurrencies (sessions calling at once) measured, comma-separated")
	shared := flag.Bool("shared", true, "with -http: also measure the gateway with a shared back session")
	relay := flag.Bool("relay", false, "with -http: also measure bench/tcprelay, which relays the bytes of the same calls through one more process (the floor of any proxy)")
	flag.Parse()
	var concs []int
	for f := range strings.SplitSeq(*concurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -concurrency: %q is not a positive number\n", f)
			os.Exit(2)
		}
		concs = append(concs, n)
	}
	if *sessions > 0 {
		*sessions = max(*sessions, 2)
	}
	ho := httpOptions{backend: *backend, cache: *cacheMode, calls: *calls, sessions: *sessions, idle: *idle, concurrency: concs, shared: *shared, relay: *relay}
	if err := run(*calls, *httpMode || *cacheMode, ho); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(calls int, httpMode bool, ho httpOptions) error {
	dir, err := os.MkdirTemp("", "mcpgw-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gw := filepath.Join(dir, "mcp-gateway")
	echo := filepath.Join(dir, "echoserver")
	ho.relayPath = filepath.Join(dir, "tcprelay")
	builds := map[string]string{gw: "./cmd/mcp-gateway", echo: "./bench/echoserver", ho.relayPath: "./bench/tcprelay"}
	if bin := os.Getenv("BENCH_GATEWAY_BIN"); bin != "" {
		// BENCH_GATEWAY_BIN=/tmp/old-gateway measures another build of the
		// gateway with this harness, to compare two commits in turns.
		delete(builds, gw)
		gw = bin
	}
	for bin, pkg := range builds {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	if httpMode {
		fmt.Printf("# Benchmark run\n\n%s, %d CPUs, %s; %d calls per row.\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version(), calls)
		if ho.cache {
			return runCache(gw, echo, dir, ho.backend, calls)
		}
		return runHTTP(gw, echo, dir, ho)
	}
	cfg := filepath.Join(dir, "one.json")
	writeJSON(cfg, map[string]any{"mcpServers": map[string]any{"echo": map[string]any{"command": echo}}})
	direct := []string{echo}
	// The audit trail is on, as by default, in a data dir of the run's own.
	through := []string{gw, "--mcp-json-path", cfg, "--log-level", "error", "--data-dir", filepath.Join(dir, "data")}

	fmt.Printf("# Benchmark run\n\n%s, %d CPUs, %s; %d calls per scenario.\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version(), calls)
	fmt.Println("## tools/call, stdio client → stdio backend")
	fmt.Println()
	fmt.Println("| concurrency | path | calls/s | p50 | p99 | ratio of direct throughput | added p50 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	var cpuLine, rssLine string
	for _, conc := range []int{1, 8} {
		d, err := measure(direct, calls, conc, "echo")
		if err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		argv := through
		if p := os.Getenv("BENCH_CPUPROFILE"); p != "" {
			// BENCH_CPUPROFILE=/tmp/gw.prof writes /tmp/gw.prof.1 and .8.
			argv = append(slices.Clip(through), "--cpuprofile", p+"."+strconv.Itoa(conc))
		}
		g, err := measure(argv, calls, conc, "echo__echo")
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		fmt.Printf("| %d | direct | %.0f | %s | %s | | |\n", conc, d.rate, us(d.p50), us(d.p99))
		fmt.Printf("| %d | gateway | %.0f | %s | %s | %.2f | %s |\n", conc, g.rate, us(g.p50), us(g.p99), g.rate/d.rate, us(g.p50-d.p50))
		cpuLine += fmt.Sprintf("- concurrency %d: %.1f µs of gateway CPU per call (user+system)\n", conc, g.cpuPerCall*1e6)
		rssLine = fmt.Sprintf("- gateway RSS after %d calls: %.1f MiB\n", 2*calls, float64(g.rss)/(1<<20))
	}
	fmt.Println()
	fmt.Print(cpuLine, rssLine)

	fmt.Println("\n## Cold start: spawn to first successful tools/call (median of 5)")
	fmt.Println()
	cd, err := coldStart(direct, "echo")
	if err != nil {
		return err
	}
	cg, err := coldStart(through, "echo__echo")
	if err != nil {
		return err
	}
	fmt.Printf("- direct: %s\n- through the gateway: %s\n", ms(cd), ms(cg))

	fmt.Println("\n## tools/list of 1,000 tools (50 servers × 20 tools)")
	fmt.Println()
	servers := map[string]any{}
	for i := range 50 {
		servers[fmt.Sprintf("s%02d", i)] = map[string]any{"command": echo, "args": []string{"-tools", "20"}}
	}
	big := filepath.Join(dir, "fifty.json")
	writeJSON(big, map[string]any{"mcpServers": servers})
	p50, size, n, err := listTools([]string{gw, "--mcp-json-path", big, "--log-level", "error", "--data-dir", filepath.Join(dir, "data")}, 500)
	if err != nil {
		return err
	}
	fmt.Printf("- %d tools, %d KiB per response: p50 %s per tools/list round trip through the gateway\n", n, size>>10, us(p50))
	return nil
}

func writeJSON(path string, v any) {
	b, _ := json.Marshal(v)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		panic(err)
	}
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

// client is a pipelining raw JSON-RPC client over a child's stdio.
type client struct {
	cmd  *exec.Cmd
	wmu  sync.Mutex
	w    *bufio.Writer
	in   io.WriteCloser
	mu   sync.Mutex
	wait map[int64]chan jsonrpc.Message
	next atomic.Int64
	done chan struct{}
	err  error
}

func start(argv []string) (*client, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &client{cmd: cmd, in: in, w: bufio.NewWriterSize(in, 64<<10), wait: map[int64]chan jsonrpc.Message{}, done: make(chan struct{})}
	go c.readLoop(bufio.NewReaderSize(out, 1<<20))
	return c, nil
}

func (c *client) readLoop(r *bufio.Reader) {
	defer close(c.done)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			c.err = err
			return
		}
		m, err := jsonrpc.Parse(bytes.TrimRight(line, "\r\n"))
		if err != nil || m.Kind != jsonrpc.KindResponse {
			continue
		}
		id, _ := strconv.ParseInt(string(m.ID), 10, 64)
		c.mu.Lock()
		ch := c.wait[id]
		delete(c.wait, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

func (c *client) call(method string, params string) (jsonrpc.Message, error) {
	id := c.next.Add(1)
	ch := make(chan jsonrpc.Message, 1)
	c.mu.Lock()
	c.wait[id] = ch
	c.mu.Unlock()
	msg := jsonrpc.AppendRequest(nil, []byte(strconv.FormatInt(id, 10)), method, []byte(params))
	c.wmu.Lock()
	c.w.Write(msg)
	c.w.WriteByte('\n')
	err := c.w.Flush()
	c.wmu.Unlock()
	if err != nil {
		return jsonrpc.Message{}, err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return m, fmt.Errorf("%s: %s", method, m.Error)
		}
		return m, nil
	case <-c.done:
		return jsonrpc.Message{}, fmt.Errorf("%s: connection ended: %v", method, c.err)
	case <-time.After(60 * time.Second):
		return jsonrpc.Message{}, errors.New(method + ": no answer in 60s")
	}
}

func (c *client) notify(method string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.w.Write(jsonrpc.AppendNotification(nil, method, nil))
	c.w.WriteByte('\n')
	c.w.Flush()
}

func (c *client) handshake() error {
	if _, err := c.call("initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}`); err != nil {
		return err
	}
	c.notify("notifications/initialized")
	return nil
}

func (c *client) close() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// cpuTime returns the user+system CPU time of a process so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may contain spaces).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type result struct {
	rate       float64
	p50, p99   time.Duration
	cpuPerCall float64 // seconds
	rss        int64
}

func measure(argv []string, calls, conc int, tool string) (result, error) {
	c, err := start(argv)
	if err != nil {
		return result{}, err
	}
	defer c.close()
	if err := c.handshake(); err != nil {
		return result{}, err
	}
	params := `{"name":"` + tool + `","arguments":{"message":"hello"}}`
	for range 2000 { // warm up
		if _, err := c.call("tools/call", params); err != nil {
			return result{}, err
		}
	}
	lat := make([]time.Duration, calls)
	var idx atomic.Int64
	var firstErr error
	var errOnce sync.Once
	cpu0 := cpuTime(c.cmd.Process.Pid)
	t0 := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := idx.Add(1) - 1
				if i >= int64(calls) {
					return
				}
				s := time.Now()
				if _, err := c.call("tools/call", params); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(s)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	cpu := cpuTime(c.cmd.Process.Pid) - cpu0
	if firstErr != nil {
		return result{}, firstErr
	}
	slices.Sort(lat)
	return result{
		rate:       float64(calls) / elapsed.Seconds(),
		p50:        lat[len(lat)/2],
		p99:        lat[len(lat)*99/100],
		cpuPerCall: cpu.Seconds() / float64(calls),
		rss:        rss(c.cmd.Process.Pid),
	}, nil
}

func coldStart(argv []string, tool string) (time.Duration, error) {
	var ds []time.Duration
	for range 5 {
		t0 := time.Now()
		c, err := start(argv)
		if err != nil {
			return 0, err
		}
		if err := c.handshake(); err != nil {
			c.close()
			return 0, err
		}
		_, err = c.call("tools/call", `{"name":"`+tool+`","arguments":{"message":"x"}}`)
		ds = append(ds, time.Since(t0))
		c.close()
		if err != nil {
			return 0, err
		}
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

func listTools(argv []string, n int) (p50 time.Duration, size, tools int, err error) {
	c, err := start(argv)
	if err != nil {
		return 0, 0, 0, err
	}
	defer c.close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.handshake(); err != nil {
		return 0, 0, 0, err
	}
	// Wait until every backend is in the catalog.
	for {
		m, err := c.call("tools/list", `{}`)
		if err != nil {
			return 0, 0, 0, err
		}
		if tools = bytes.Count(m.Result, []byte(`"name":`)); tools >= 1001 || ctx.Err() != nil {
			size = len(m.Raw)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		s := time.Now()
		if _, err := c.call("tools/list", `{}`); err != nil {
			return 0, 0, 0, err
		}
		lat[i] = time.Since(s)
	}
	slices.Sort(lat)
	return lat[n/2], size, tools, nil
}
