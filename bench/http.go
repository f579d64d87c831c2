package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// httpOptions are the knobs of the HTTP scenario.
type httpOptions struct {
	backend  string        // "echo" (bench/echoserver) or "everything" (npm server-everything)
	cache    bool          // the response cache scenario instead
	calls    int           // measured tools/call requests per row
	sessions int           // sessions opened for the memory and set-up measurements (0: none)
	idle     time.Duration // the gateway's sessionIdleTimeout in the sessions measurement
	// concurrency are the numbers of sessions calling at once, one row
	// each; shared adds the row with a shared back session.
	concurrency []int
	shared      bool
	// relay adds, per concurrency, the row of bench/tcprelay: the same
	// calls relayed byte for byte through one more process, the floor of
	// any proxy on the machine.
	relay     bool
	relayPath string // the tcprelay binary
}

// runHTTP is the HTTP scenario: the same raw client calls bench/echoserver
// over streamable HTTP directly, then through the gateway's HTTP front
// door, in one run.
func runHTTP(gw, echo, dir string, o httpOptions) error {
	var (
		be  *process
		err error
	)
	switch o.backend {
	case "echo":
		be, err = startEcho(echo)
	case "everything":
		be, err = startEverything()
	default:
		err = fmt.Errorf("unknown -backend %q (echo or everything)", o.backend)
	}
	if err != nil {
		return err
	}
	defer be.stop()
	// server-everything annotates echo readOnlyHint and idempotentHint, so
	// the default response cache would answer the repeated calls itself:
	// this scenario measures calls that reach the backend (-cache measures
	// the cache).
	gwSection := map[string]any{}
	if o.backend == "everything" {
		gwSection["cache"] = map[string]any{"enabled": false}
	}
	perClient := filepath.Join(dir, "http.json")
	writeJSON(perClient, map[string]any{"mcpServers": map[string]any{"echo": map[string]any{"type": "http", "url": be.url}}, "gateway": gwSection})
	shared := filepath.Join(dir, "http-shared.json")
	writeJSON(shared, map[string]any{"mcpServers": map[string]any{"echo": map[string]any{"type": "http", "url": be.url, "isolation": "shared"}}, "gateway": gwSection})

	fmt.Printf("## tools/call, streamable HTTP client → HTTP front → streamable HTTP backend (%s)\n", o.backend)
	fmt.Println()
	fmt.Println("Concurrency N is N sessions, each calling sequentially. \"gateway\" is the default")
	fmt.Println("per-client isolation (each front session has its own back session); \"gateway, shared\"")
	fmt.Println("sets `\"isolation\": \"shared\"` on the backend (one back session for every client).")
	fmt.Println()
	fmt.Println("| concurrency | path | calls/s | p50 | p99 | ratio of direct throughput | added p50 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	var cpuLines, rssLine string
	for _, conc := range o.concurrency {
		d, err := measureHTTP(be.url, "echo", o.calls, conc, 0, be.pid())
		if err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		fmt.Printf("| %d | direct | %.0f | %s | %s | | |\n", conc, d.rate, us(d.p50), us(d.p99))
		cpuLines += fmt.Sprintf("- concurrency %d, direct: client %.1f µs, backend %.1f µs per call (other processes: %.2f cores)\n", conc, d.clientCPU*1e6, d.backendCPU*1e6, d.others)
		rows := []struct{ name, cfg, profile string }{
			{"gateway", perClient, "http." + strconv.Itoa(conc)},
			{"gateway, shared", shared, ""},
		}
		if !o.shared {
			rows = rows[:1]
		}
		if o.relay {
			rl, err := startRelay(o.relayPath, be.url)
			if err != nil {
				return err
			}
			r, err := measureHTTP(rl.url, "echo", o.calls, conc, rl.pid(), be.pid())
			rl.stop()
			if err != nil {
				return fmt.Errorf("tcp relay: %w", err)
			}
			fmt.Printf("| %d | tcp relay (floor) | %.0f | %s | %s | %.2f | %s |\n", conc, r.rate, us(r.p50), us(r.p99), r.rate/d.rate, us(r.p50-d.p50))
			cpuLines += fmt.Sprintf("- concurrency %d, tcp relay: **relay %.1f µs** per call (user+system), client %.1f µs, backend %.1f µs (other processes: %.2f cores)\n",
				conc, r.gwCPU*1e6, r.clientCPU*1e6, r.backendCPU*1e6, r.others)
		}
		for _, v := range rows {
			var extra []string
			if p := os.Getenv("BENCH_CPUPROFILE"); p != "" && v.profile != "" {
				// BENCH_CPUPROFILE=/tmp/gw.prof writes /tmp/gw.prof.http.1 and .http.8.
				extra = []string{"--cpuprofile", p + "." + v.profile}
			}
			g, err := startGateway(gw, v.cfg, extra...)
			if err != nil {
				return err
			}
			r, err := measureHTTP(g.url, "echo__echo", o.calls, conc, g.pid(), be.pid())
			g.stop()
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			fmt.Printf("| %d | %s | %.0f | %s | %s | %.2f | %s |\n", conc, v.name, r.rate, us(r.p50), us(r.p99), r.rate/d.rate, us(r.p50-d.p50))
			cpuLines += fmt.Sprintf("- concurrency %d, %s: **gateway %.1f µs** per call (user+system), client %.1f µs, backend %.1f µs (other processes: %.2f cores)\n",
				conc, v.name, r.gwCPU*1e6, r.clientCPU*1e6, r.backendCPU*1e6, r.others)
			if v.profile != "" {
				rssLine = fmt.Sprintf("- gateway RSS after %d calls at concurrency %d: %.1f MiB\n", o.calls+warmCalls(conc)*conc, conc, float64(r.rss)/(1<<20))
			}
		}
	}
	fmt.Println()
	fmt.Println("CPU per measured call, by process:")
	fmt.Println()
	fmt.Print(cpuLines, rssLine)
	if o.sessions == 0 {
		return nil
	}

	fmt.Printf("\n## %d sessions: set-up cost, memory per idle session, held and expired\n\n", o.sessions)
	d, err := sessionsHTTP(be.url, "echo", o.sessions, be.pid(), nil)
	if err != nil {
		return fmt.Errorf("direct sessions: %w", err)
	}
	idleCfg := filepath.Join(dir, "http-idle.json")
	writeJSON(idleCfg, map[string]any{
		"mcpServers": map[string]any{"echo": map[string]any{"type": "http", "url": be.url}},
		"gateway":    map[string]any{"http": map[string]any{"sessionIdleTimeout": o.idle.String()}},
	})
	g, err := startGateway(gw, idleCfg)
	if err != nil {
		return err
	}
	defer g.stop()
	s, err := sessionsHTTP(g.url, "echo__echo", o.sessions, g.pid(), &o.idle)
	if err != nil {
		return fmt.Errorf("gateway sessions: %w", err)
	}
	n := float64(o.sessions)
	fmt.Println("| | direct | gateway |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| session set-up (initialize + initialized), p50 | %s | %s |\n", us(d.setupP50), us(s.setupP50))
	fmt.Printf("| CPU per set-up, of the backend / of the gateway | %.0f µs | %.0f µs |\n", d.cpuPerSetup*1e6, s.cpuPerSetup*1e6)
	fmt.Printf("| first tools/call of a session, p50 | %s | %s |\n", us(d.firstCallP50), us(s.firstCallP50))
	fmt.Printf("| CPU per first call, of the backend / of the gateway | %.0f µs | %.0f µs |\n", d.cpuPerFirstCall*1e6, s.cpuPerFirstCall*1e6)
	fmt.Println()
	fmt.Printf("- gateway RSS: %.1f MiB before, %.1f MiB with %d idle sessions (initialize + initialized, no call): **%.1f KiB per idle session**\n",
		mib(s.rssBefore), mib(s.rssIdle), o.sessions, float64(s.rssIdle-s.rssBefore)/n/1024)
	fmt.Printf("- after one tools/call on each session (which opens its per-client back session): %.1f MiB, %.1f KiB per session with its back session\n",
		mib(s.rssActive), float64(s.rssActive-s.rssBefore)/n/1024)
	fmt.Printf("- held: %d of %d sessions answered a tools/call after all were open\n", s.held, o.sessions)
	fmt.Printf("- idle expiry (sessionIdleTimeout %s): %d of %d sessions answered 404 after %.1f s without requests; gateway RSS then %.1f MiB\n",
		o.idle, s.expired, o.sessions, s.expiredAfter.Seconds(), mib(s.rssExpired))
	verdict := "the expired sessions' memory is reused"
	if grown := s.rssReopened - s.rssExpired; grown > (s.rssActive-s.rssBefore)/4 {
		verdict = "it grew: the expired sessions' memory may not have been freed"
	}
	fmt.Printf("- then %d new sessions, one call each: gateway RSS %.1f MiB (%+.1f MiB; %s)\n",
		o.sessions, mib(s.rssReopened), mib(s.rssReopened-s.rssExpired), verdict)
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// warmCalls is the number of unmeasured calls each session makes first.
func warmCalls(conc int) int { return max(2000/conc, 250) }

// newHTTPClient returns a client with keep-alive connections, one pool per
// measurement.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// httpSession is a raw MCP client session over streamable HTTP: one
// request at a time, bodies built and read into reused buffers.
type httpSession struct {
	hc   *http.Client
	url  string
	sid  string // Mcp-Session-Id, once initialized
	next int64
	req  []byte
	resp bytes.Buffer
}

// Request header values, shared (net/http does not modify them).
var (
	hdrJSON    = []string{"application/json"}
	hdrAccept  = []string{"application/json, text/event-stream"}
	hdrVersion = []string{"2025-11-25"}
)

func (s *httpSession) newRequest(method string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header["Content-Type"] = hdrJSON
	}
	req.Header["Accept"] = hdrAccept
	if s.sid != "" {
		req.Header["Mcp-Session-Id"] = []string{s.sid}
		req.Header["Mcp-Protocol-Version"] = hdrVersion
	}
	return req, nil
}

// statusError reads a short error body into an error.
func statusError(what string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	return fmt.Errorf("%s: %s: %s", what, resp.Status, strings.TrimSpace(string(b)))
}

// call sends a request and returns its response (which refers to the
// session's buffer until the next call).
func (s *httpSession) call(method, params string) (jsonrpc.Message, error) {
	s.next++
	id := strconv.AppendInt(nil, s.next, 10)
	s.req = jsonrpc.AppendRequest(s.req[:0], id, method, []byte(params))
	req, err := s.newRequest(http.MethodPost, s.req)
	if err != nil {
		return jsonrpc.Message{}, err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return jsonrpc.Message{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return jsonrpc.Message{}, statusError(method, resp)
	}
	if method == "initialize" {
		if s.sid = resp.Header.Get("Mcp-Session-Id"); s.sid == "" {
			resp.Body.Close()
			return jsonrpc.Message{}, errors.New("initialize: no Mcp-Session-Id in the answer")
		}
	}
	var m jsonrpc.Message
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		m, err = s.readEvents(resp.Body, id)
	} else {
		s.resp.Reset()
		_, err = s.resp.ReadFrom(resp.Body)
		if err == nil {
			m, err = jsonrpc.Parse(s.resp.Bytes())
		}
	}
	resp.Body.Close()
	switch {
	case err != nil:
		return m, fmt.Errorf("%s: %w", method, err)
	case m.Kind != jsonrpc.KindResponse || !bytes.Equal(m.ID, id):
		return m, fmt.Errorf("%s: not the answer: %.200s", method, m.Raw)
	case m.Error != nil:
		return m, fmt.Errorf("%s: %s", method, m.Error)
	}
	return m, nil
}

// readEvents reads an SSE answer until the response with the given id.
func (s *httpSession) readEvents(r io.Reader, id []byte) (jsonrpc.Message, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			data = append(data, bytes.TrimPrefix(v, []byte(" "))...)
			continue
		}
		if len(line) == 0 && len(data) > 0 {
			m, err := jsonrpc.Parse(data)
			if err == nil && m.Kind == jsonrpc.KindResponse && bytes.Equal(m.ID, id) {
				return m, nil
			}
			data = nil
		}
	}
	if err := sc.Err(); err != nil {
		return jsonrpc.Message{}, err
	}
	return jsonrpc.Message{}, errors.New("the event stream ended without the answer")
}

func (s *httpSession) notify(method string) error {
	req, err := s.newRequest(http.MethodPost, jsonrpc.AppendNotification(nil, method, nil))
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted {
		return statusError(method, resp)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil
}

func (s *httpSession) handshake() error {
	if _, err := s.call("initialize", `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}`); err != nil {
		return err
	}
	return s.notify("notifications/initialized")
}

// echo calls the echo tool and checks that the message came back.
func (s *httpSession) echo(tool string) error {
	m, err := s.call("tools/call", `{"name":"`+tool+`","arguments":{"message":"hello"}}`)
	if err != nil {
		return err
	}
	if !bytes.Contains(m.Result, []byte(`hello"`)) {
		return fmt.Errorf("tools/call: unexpected result %.200s", m.Result)
	}
	return nil
}

// close ends the session with DELETE (best effort).
func (s *httpSession) close() {
	req, err := s.newRequest(http.MethodDelete, nil)
	if err != nil {
		return
	}
	if resp, err := s.hc.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// selfCPU returns the user+system CPU time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU returns the CPU time every process on the machine has used
// so far (user, nice, system, irq, softirq and steal of /proc/stat).
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is in user already
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

type httpResult struct {
	rate                         float64
	p50, p99                     time.Duration
	gwCPU, backendCPU, clientCPU float64 // seconds per call
	rss                          int64   // of the gateway
	others                       float64 // CPU used meanwhile by other processes, in cores
}

// measureHTTP opens conc sessions to url and makes calls tools/call
// requests spread over them, each session calling sequentially. gwPid and
// backendPid (0: none) are the processes whose CPU time is measured.
func measureHTTP(url, tool string, calls, conc, gwPid, backendPid int) (httpResult, error) {
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	sessions := make([]*httpSession, conc)
	for i := range sessions {
		s := &httpSession{hc: hc, url: url}
		if err := s.handshake(); err != nil {
			return httpResult{}, err
		}
		defer s.close()
		sessions[i] = s
	}
	params := `{"name":"` + tool + `","arguments":{"message":"hello"}}`
	// Warm up: every session's first call opens its back session.
	if _, err := callAll(sessions, warmCalls(conc)*conc, params); err != nil {
		return httpResult{}, err
	}
	cpu := func(pid int) time.Duration {
		if pid == 0 {
			return 0
		}
		return cpuTime(pid)
	}
	g0, b0, c0, m0 := cpu(gwPid), cpu(backendPid), selfCPU(), machineCPU()
	t0 := time.Now()
	lat, err := callAll(sessions, calls, params)
	elapsed := time.Since(t0)
	g1, b1, c1, m1 := cpu(gwPid), cpu(backendPid), selfCPU(), machineCPU()
	if err != nil {
		return httpResult{}, err
	}
	if err := sessions[0].echo(tool); err != nil { // the answers are the echo's
		return httpResult{}, err
	}
	slices.Sort(lat)
	per := func(d time.Duration) float64 { return d.Seconds() / float64(calls) }
	r := httpResult{
		rate:       float64(calls) / elapsed.Seconds(),
		p50:        lat[len(lat)/2],
		p99:        lat[len(lat)*99/100],
		gwCPU:      per(g1 - g0),
		backendCPU: per(b1 - b0),
		clientCPU:  per(c1 - c0),
		others:     max(0, (m1-m0)-(g1-g0)-(b1-b0)-(c1-c0)).Seconds() / elapsed.Seconds(),
	}
	if gwPid != 0 {
		r.rss = rss(gwPid)
	}
	return r, nil
}

// callAll makes calls requests, each session calling sequentially on its
// own goroutine, and returns their latencies.
func callAll(sessions []*httpSession, calls int, params string) ([]time.Duration, error) {
	lat := make([]time.Duration, calls)
	var idx atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(func() {
			for {
				i := idx.Add(1) - 1
				if i >= int64(calls) {
					return
				}
				t := time.Now()
				if _, err := s.call("tools/call", params); err != nil {
					errOnce.Do(func() { firstErr = err })
					idx.Store(int64(calls)) // stop the others
					return
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	return lat, firstErr
}

type sessionsResult struct {
	setupP50, firstCallP50       time.Duration
	cpuPerSetup, cpuPerFirstCall float64 // seconds, of the process measured
	rssBefore, rssIdle           int64
	rssActive, rssExpired        int64
	rssReopened                  int64 // with as many new sessions after the expiry
	held, expired                int
	expiredAfter                 time.Duration
}

// sessionsHTTP opens n sessions to url one after another (initialize and
// initialized only), measuring the set-up and the RSS of pid, then makes
// one call on each and measures again. With idle set (the server's idle
// timeout), it then waits without requests, counts the sessions the
// server has expired, and opens as many new ones, to see whether the
// memory of the expired ones is reused.
func sessionsHTTP(url, tool string, n, pid int, idle *time.Duration) (sessionsResult, error) {
	var r sessionsResult
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	for range 20 { // warm up the code paths and the connection pools
		s := &httpSession{hc: hc, url: url}
		if err := s.handshake(); err != nil {
			return r, err
		}
		if err := s.echo(tool); err != nil {
			return r, err
		}
		s.close()
	}
	r.rssBefore = rss(pid)
	sessions := make([]*httpSession, n)
	setup := make([]time.Duration, n)
	cpu0 := cpuTime(pid)
	for i := range sessions {
		s := &httpSession{hc: hc, url: url}
		t := time.Now()
		if err := s.handshake(); err != nil {
			return r, fmt.Errorf("session %d: %w", i, err)
		}
		setup[i] = time.Since(t)
		sessions[i] = s
	}
	cpu1 := cpuTime(pid)
	r.rssIdle = rss(pid)
	first := make([]time.Duration, n)
	for i, s := range sessions {
		t := time.Now()
		if err := s.echo(tool); err != nil {
			fmt.Fprintf(os.Stderr, "bench: session %d of %d not held: %v\n", i, n, err)
			continue
		}
		first[i] = time.Since(t)
		r.held++
	}
	cpu2 := cpuTime(pid)
	r.rssActive = rss(pid)
	slices.Sort(setup)
	slices.Sort(first)
	r.setupP50, r.firstCallP50 = setup[n/2], first[n/2]
	r.cpuPerSetup = (cpu1 - cpu0).Seconds() / float64(n)
	r.cpuPerFirstCall = (cpu2 - cpu1).Seconds() / float64(n)
	if idle == nil {
		for _, s := range sessions {
			s.close()
		}
		return r, nil
	}
	// Expiry: a request would keep a session alive, so wait without any
	// for longer than the timeout plus the reaper's period (a quarter of
	// it), then try every session once.
	wait := *idle * 3 / 2
	time.Sleep(wait)
	r.expiredAfter = wait
	for _, s := range sessions {
		if err := s.echo(tool); err != nil && strings.Contains(err.Error(), "404") {
			r.expired++
		}
	}
	r.rssExpired = rss(pid)
	// The same number of new sessions again: if the expired ones were
	// freed, their memory is reused and RSS barely moves.
	for i := range sessions {
		s := &httpSession{hc: hc, url: url}
		if err := s.handshake(); err != nil {
			return r, fmt.Errorf("new session %d: %w", i, err)
		}
		if err := s.echo(tool); err != nil {
			return r, fmt.Errorf("new session %d: %w", i, err)
		}
		sessions[i] = s
	}
	r.rssReopened = rss(pid)
	for _, s := range sessions {
		s.close()
	}
	return r, nil
}

// process is a child process serving HTTP.
type process struct {
	cmd  *exec.Cmd
	url  string // of its /mcp endpoint
	done chan struct{}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop ends the process with SIGTERM (a gateway then shuts down gracefully
// and writes its CPU profile), killing it if it has not exited in 20s.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// startEcho starts bench/echoserver over HTTP on a free port and reads the
// URL it prints.
func startEcho(echo string) (*process, error) {
	p, addr, err := startAnnouncing(exec.Command(echo, "-http", "127.0.0.1:0"), "echoserver -http")
	if err != nil {
		return nil, err
	}
	p.url = addr
	return p, nil
}

// startAnnouncing starts cmd and reads the address from the "listening on
// ADDR" line it prints first.
func startAnnouncing(cmd *exec.Cmd, what string) (*process, string, error) {
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() { io.Copy(io.Discard, out); cmd.Wait(); close(p.done) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		p.stop()
		return nil, "", fmt.Errorf("%s: no address line (got %q): %v", what, line, err)
	}
	return p, addr, nil
}

// startEverything starts the npm server-everything (installed by .ci/run
// in testdeps/) in its streamable HTTP mode on a free port.
func startEverything() (*process, error) {
	script := filepath.Join("testdeps", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("server-everything is not installed (%v); run `npm ci --prefix testdeps` first", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("node", script, "streamableHttp")
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), url: fmt.Sprintf("http://127.0.0.1:%d/mcp", port)}
	go func() { cmd.Wait(); close(p.done) }()
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("server-everything did not listen on port %d within 20s", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startRelay starts bench/tcprelay before the backend at backendURL and
// returns it with the URL that reaches the backend through it.
func startRelay(relay, backendURL string) (*process, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return nil, err
	}
	p, addr, err := startAnnouncing(exec.Command(relay, append([]string{"-listen", "127.0.0.1:0", "-to", u.Host}, strings.Fields(os.Getenv("BENCH_RELAY_FLAGS"))...)...), "tcprelay")
	if err != nil {
		return nil, err
	}
	u.Host = addr
	p.url = u.String()
	return p, nil
}

// startGateway starts the gateway's HTTP front door on a free port, finds
// its URL in the "serving MCP over HTTP" log line and waits for /readyz.
// Log lines other than INFO ones are passed on to stderr.
func startGateway(gw, cfg string, extra ...string) (*process, error) {
	args := append([]string{"--mcp-json-path", cfg, "--listen", "127.0.0.1:0", "--log-level", "info",
		"--data-dir", filepath.Join(filepath.Dir(cfg), "data")}, extra...)
	cmd := exec.Command(gw, args...)
	// BENCH_GATEWAY_ENV="GOGC=400 GOMAXPROCS=1" sets variables for the gateway
	// process alone, to compare runtime settings without changing the client's
	// and the backend's.
	if extraEnv := strings.Fields(os.Getenv("BENCH_GATEWAY_ENV")); len(extraEnv) > 0 {
		cmd.Env = append(os.Environ(), extraEnv...)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, `msg="serving MCP over HTTP"`) {
				_, rest, _ := strings.Cut(line, " url=")
				u, _, _ := strings.Cut(rest, " ")
				found <- u
			}
			if !strings.Contains(line, "level=INFO") {
				fmt.Fprintln(os.Stderr, "gateway:", line)
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	select {
	case p.url = <-found:
	case <-p.done:
		return nil, errors.New("the gateway exited before serving HTTP")
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, errors.New("the gateway did not log its HTTP address in 30s")
	}
	ready := strings.TrimSuffix(p.url, "/mcp") + "/readyz"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(ready)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer 200 in 30s (last: %v)", ready, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
