package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mcpgw/mcp-gateway/audit"
)

// chromiumPath is Debian's Chromium (apt-get install -y chromium).
const chromiumPath = "/usr/bin/chromium"

// browser is a headless Chromium tab that collects the page's errors.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
	// allowNet tells which failed loads (browser log, source network) are
	// expected, by URL.
	allowNet func(url string) bool
}

// shared is the one Chromium the browser tests share (each test has its
// own tab); TestMain stops it.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel() // waits for the browser to exit
		for i := 0; i < 50; i++ {
			if os.RemoveAll(shared.dir) == nil {
				break
			}
			time.Sleep(20 * time.Millisecond) // a child process may still write
		}
	}
	os.Exit(code)
}

func startChromium() {
	dir, err := os.MkdirTemp("", "mcpgw-ui-chromium-")
	if err != nil {
		shared.err = err
		return
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		// No tab may be throttled as a background tab.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(dir), // fresh
		chromedp.WindowSize(1440, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(actx)
	shared.ctx, shared.dir = ctx, dir
	shared.cancel = func() { cancelCtx(); cancelAlloc() }
	// The first run starts the browser; no timeout on it (it would stop
	// the browser).
	shared.err = chromedp.Do(ctx)
}

// newBrowser opens a tab of the shared Chromium for one test, closed when
// the test ends. Without Chromium the test is skipped, except under CI.
func newBrowser(t *testing.T, allowNet func(url string) bool) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := "the browser tests need Chromium at " + chromiumPath + ": apt-get install -y chromium"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	shared.once.Do(startChromium)
	if shared.err != nil {
		t.Fatalf("start Chromium: %v", shared.err)
	}
	ctx, cancel := chromedp.NewContext(shared.ctx) // a new tab
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx, allowNet: allowNet}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("open a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatal(err)
	}
	return b
}

// listen records uncaught exceptions, console.error calls and error
// entries of the browser log (CSP violations among them).
func (b *browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				parts = append(parts, string(a.Value))
			default:
				parts = append(parts, a.Description)
			}
		}
		p = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		if e.Source == log.EntrySourceNetwork && b.allowNet != nil && b.allowNet(e.URL) {
			return
		}
		p = fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL)
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// checkNoErrors fails the test on any error the page had.
func (b *browser) checkNoErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page error: %s", p)
	}
	b.problems = nil
}

// do runs actions with a timeout.
func (b *browser) do(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.checkNoErrors()
		b.screenshot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitJS waits until the expression is truthy.
func (b *browser) waitJS(what, expr string, timeout time.Duration) {
	b.t.Helper()
	b.do(what, timeout+time.Second, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
}

// clear empties an input as a person would, with an input event.
func (b *browser) clear(id string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return ""; })()`, id))
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves a full-page PNG under the temporary directory and logs
// its path.
func (b *browser) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := filepath.Join(os.TempDir(), "mcpgw-ui-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Log(err)
		return ""
	}
	p := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Log(err)
		return ""
	}
	b.t.Logf("screenshot: %s", p)
	return p
}

// serveUI starts the dashboard as the gateway mounts it, at /ui/.
func serveUI(t *testing.T, src Source, o Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ui/", http.StripPrefix("/ui", newHandler(src, o)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func rows(sel string) string {
	return fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)
}

func TestBrowserDashboard(t *testing.T) {
	w := newWriter(t)
	now := time.Now()
	seed(t, w, now)
	src := &testSource{servers: testServers, catalog: testCatalog, w: w}
	srv := serveUI(t, src, Options{Version: "v0.9.0-test"})
	b := newBrowser(t, nil) // registered after the server: the browser stops first

	// Servers.
	b.do("open the dashboard", 10*time.Second,
		chromedp.Navigate(srv.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS(`#servers tbody tr[data-server="github"]`)),
	)
	b.waitJS("all servers listed", rows(`#servers tbody tr[data-server]`)+fmt.Sprintf(" === %d", len(testServers)), 5*time.Second)
	if got := b.eval(`document.querySelector('#servers tr[data-server="jira"] .badge').textContent + "|" + getComputedStyle(document.querySelector('#servers tr[data-server="jira"] .badge')).backgroundColor + "|" + getComputedStyle(document.querySelector('#servers tr[data-server="github"] .badge')).backgroundColor`); !strings.HasPrefix(got, "down|") || strings.Split(got, "|")[1] == strings.Split(got, "|")[2] {
		t.Errorf("jira's badge: %q (a down server must not look like a ready one)", got)
	}
	if got := b.eval(`Array.from(document.querySelectorAll('#servers tr[data-server="github"] ul.replicas li')).map(li => li.dataset.state + ":" + li.textContent).join("|")`); got != "ready:#0 http://10.0.0.1/mcp ready|ejected:#1 http://10.0.0.2/mcp out of rotation" {
		t.Errorf("github's replicas shown as %q", got)
	}
	if got := b.eval(`document.querySelector('#servers tbody tr[data-server="github"] td.mono').textContent`); got != "2025-06-18legacy" {
		t.Errorf("github's protocol cell %q, want the version and the era", got)
	}
	if got := b.eval(`document.querySelector('#servers tr[data-server="jira"] .err').textContent`); !strings.Contains(got, "ECONNREFUSED") {
		t.Errorf("jira's error: %q", got)
	}
	if got := b.eval(`document.querySelector("#version").textContent`); got != "v0.9.0-test" {
		t.Errorf("version %q", got)
	}
	b.waitJS("backend events listed", rows(`#backend tbody tr`)+" === 3", 5*time.Second)
	b.waitJS("the live stream connected", `document.querySelector("#conn").dataset.state === "live"`, 5*time.Second)
	b.screenshot("servers")

	// Catalog: search on the server, markup shown as text.
	b.do("search the catalog", 5*time.Second,
		chromedp.Click(chromedp.ID("tab-catalog")),
		chromedp.WaitVisible(chromedp.ID("catalog-search")),
		chromedp.SendKeys(chromedp.ID("catalog-search"), "roots"),
	)
	b.waitJS("catalog filtered", rows(`#catalog tbody tr`)+` === 2 && document.querySelector('#catalog tbody tr[data-name="fs_read_file"]') !== null`, 5*time.Second)
	b.clear("catalog-search")
	b.do("search for the poisoned tool", 5*time.Second, chromedp.SendKeys(chromedp.ID("catalog-search"), "<SCRIPT>"))
	b.waitJS("poisoned tool found and flagged", rows(`#catalog tbody tr`)+` === 1 && document.querySelector('#catalog tbody tr[data-name="shady_helper"][data-hidden="true"] .badge') !== null`, 5*time.Second)
	if got := b.eval(`document.querySelector('#catalog tbody tr[data-name="shady_helper"] .desc').textContent`); !strings.Contains(got, "<script>alert(1)</script>") {
		t.Errorf("description not shown as text: %q", got)
	}
	if got := b.eval(`String(document.querySelectorAll("#catalog script").length)`); got != "0" {
		t.Errorf("a description became markup: %s script elements", got)
	}
	b.clear("catalog-search")
	b.waitJS("whole catalog", rows(`#catalog tbody tr`)+fmt.Sprintf(" === %d", len(testCatalog)), 5*time.Second)
	b.screenshot("catalog")

	// Live calls: the seeded ones, then one added through the writer.
	b.do("open the calls", 5*time.Second, chromedp.Click(chromedp.ID("tab-calls")), chromedp.WaitVisible(chromedp.CSS(`#calls tbody tr[data-request-id="seed-14"]`)))
	b.waitJS("seeded calls listed", rows(`#calls tbody tr[data-request-id]`)+" === 15", 5*time.Second)
	if first := b.eval(`document.querySelector("#calls tbody tr").dataset.requestId`); first != "seed-14" {
		t.Errorf("newest call first: got %s", first)
	}
	live := &audit.Record{RequestID: "req-live-1", Time: time.Now(), Duration: 37 * time.Millisecond, Principal: "alice", Client: "claude-code",
		Method: "tools/call", Server: "github", Name: "github_create_issue", Status: audit.StatusOK, BytesIn: 420, BytesOut: 1337}
	if err := w.AddCall(live); err != nil {
		t.Fatal(err)
	}
	b.do("the live call appears", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#calls tbody tr[data-request-id="req-live-1"]`)))
	if got := b.eval(`Array.from(document.querySelectorAll('#calls tbody tr[data-request-id="req-live-1"] td')).map(td => td.textContent).join("|")`); !strings.Contains(got, "|alice|github|github_create_issue|tools/call|ok|37 ms|420 B / 1.3 kB") {
		t.Errorf("live call row: %q", got)
	}
	if first := b.eval(`document.querySelector("#calls tbody tr").dataset.requestId`); first != "req-live-1" {
		t.Errorf("the live call is not first: %s", first)
	}
	b.do("open the details", 5*time.Second, chromedp.Click(chromedp.CSS(`#calls tbody tr[data-request-id="seed-05"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#calls tr.detail[data-detail-for="seed-05"]`)))
	if got := b.eval(`document.querySelector('#calls tr.detail[data-detail-for="seed-05"]').textContent`); !strings.Contains(got, "github-pat") || strings.Contains(got, "must-not-reach-the-page") {
		t.Errorf("details: %q", got)
	}
	b.screenshot("calls")

	// Security: a blocked call and its event.
	blocked := &audit.Record{RequestID: "req-blocked-1", Time: time.Now(), Duration: time.Millisecond, Principal: "mallory", Method: "tools/call",
		Server: "filesystem", Name: "fs_read_file", Status: audit.StatusBlocked, Plugin: "injection", Error: "blocked: prompt injection in arguments"}
	if err := w.AddCall(blocked); err != nil {
		t.Fatal(err)
	}
	if err := w.AddEvent(&audit.Event{Time: time.Now(), Kind: audit.KindSecurity, Plugin: "injection", Type: "blocked", Server: "filesystem",
		Name: "fs_read_file", Rule: "ignore-previous", Direction: "request", Reason: "prompt injection in arguments", Principal: "mallory", RequestID: "req-blocked-1"}); err != nil {
		t.Fatal(err)
	}
	b.do("open security", 5*time.Second, chromedp.Click(chromedp.ID("tab-security")))
	b.do("the blocked call appears", 10*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`#security tbody tr[data-request-id="req-blocked-1"][data-type="blocked"]`)))
	b.waitJS("rug pulls flagged", rows(`#security tbody tr[data-category="rugpull"]`)+" === 2", 5*time.Second)
	b.waitJS("hidden definitions listed", rows(`#hidden-items tbody tr`)+" === 2", 5*time.Second)
	if got := b.eval(`document.querySelector('#calls tbody tr[data-request-id="req-blocked-1"] .badge').textContent`); got != "blocked" {
		t.Errorf("blocked call's status: %q", got)
	}
	b.screenshot("security")

	// Latency charts.
	b.do("open latency", 5*time.Second, chromedp.Click(chromedp.ID("tab-latency")), chromedp.WaitVisible(chromedp.ID("latency-svg")), chromedp.WaitVisible(chromedp.ID("rate-svg")))
	b.waitJS("a bar per tool", rows(`#latency-svg g.latency-row`)+" >= 8", 5*time.Second)
	b.screenshot("latency")

	// Selecting a request in the security view shows the call.
	b.do("jump to the call", 5*time.Second, chromedp.Click(chromedp.ID("tab-security")),
		chromedp.Click(chromedp.CSS(`#security tbody tr[data-request-id="req-blocked-1"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#calls tr.detail[data-detail-for="req-blocked-1"]`)))
	b.checkNoErrors()
}

func TestBrowserToken(t *testing.T) {
	w := newWriter(t)
	src := &testSource{servers: testServers, catalog: testCatalog, w: w}
	var mu sync.Mutex
	authorizedLive := 0
	srv := serveUI(t, src, Options{Version: "v0.9.0-test", Authorize: func(r *http.Request) error {
		switch r.Header.Get("Authorization") {
		case "Bearer s3cr3t-token":
			if strings.HasSuffix(r.URL.Path, "/api/live") {
				mu.Lock()
				authorizedLive++
				mu.Unlock()
			}
			return nil
		case "":
			return errors.New("authorization required")
		default:
			return errors.New("invalid token")
		}
	}})
	// The 401 answers are expected; nothing else may fail.
	b := newBrowser(t, func(url string) bool { return strings.Contains(url, "/ui/api/") })

	b.do("open the dashboard", 10*time.Second,
		chromedp.Navigate(srv.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	if n := b.eval(rows(`#servers tbody tr`) + ".toString()"); n != "0" {
		t.Errorf("%s servers shown without a token", n)
	}
	b.do("enter a wrong token", 5*time.Second,
		chromedp.SendKeys(chromedp.ID("token"), "wrong"),
		chromedp.Click(chromedp.ID("token-submit")),
	)
	b.waitJS("wrong token refused", `document.querySelector("#auth-error").textContent.includes("invalid token") && !document.querySelector("#auth").hidden`, 5*time.Second)
	b.screenshot("signin")
	b.do("enter the token", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("token"), "s3cr3t-token"),
		chromedp.Click(chromedp.ID("token-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#servers tbody tr[data-server="github"]`)),
		chromedp.WaitNotVisible(chromedp.ID("auth")),
	)
	if got := b.eval(`sessionStorage.getItem("mcpgw.ui.token")`); got != "s3cr3t-token" {
		t.Errorf("token in sessionStorage: %q", got)
	}
	b.waitJS("the live stream connected with the token", `document.querySelector("#conn").dataset.state === "live"`, 5*time.Second)
	if err := w.AddCall(&audit.Record{RequestID: "req-token-1", Time: time.Now(), Method: "tools/call", Server: "github", Name: "github_search_code", Status: audit.StatusOK}); err != nil {
		t.Fatal(err)
	}
	b.do("a live call arrives", 10*time.Second, chromedp.Click(chromedp.ID("tab-calls")), chromedp.WaitVisible(chromedp.CSS(`#calls tbody tr[data-request-id="req-token-1"]`)))
	mu.Lock()
	if authorizedLive == 0 {
		t.Error("the live stream was not requested with the token")
	}
	mu.Unlock()

	// The stream breaks: the page reconnects (with the token) and fills
	// in what it missed meanwhile.
	subs := src.subscriptions()
	for _, s := range subs {
		s.Close()
	}
	if err := w.AddCall(&audit.Record{RequestID: "req-token-gap", Time: time.Now(), Method: "tools/call", Server: "github", Name: "github_list_pulls", Status: audit.StatusOK}); err != nil {
		t.Fatal(err)
	}
	b.do("the missed call appears after the reconnection", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#calls tbody tr[data-request-id="req-token-gap"]`)))
	b.waitJS("reconnected", `document.querySelector("#conn").dataset.state === "live"`, 10*time.Second)
	if n := len(src.subscriptions()); n <= len(subs) {
		t.Fatalf("%d subscriptions after the break, want more than %d", n, len(subs))
	}
	if err := w.AddCall(&audit.Record{RequestID: "req-token-2", Time: time.Now(), Method: "tools/call", Server: "github", Name: "github_search_code", Status: audit.StatusOK}); err != nil {
		t.Fatal(err)
	}
	b.do("live again", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#calls tbody tr[data-request-id="req-token-2"]`)))

	// A reload keeps the token (same tab); signing out asks again.
	b.do("reload", 10*time.Second, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`#servers tbody tr[data-server="github"]`)))
	b.do("sign out", 5*time.Second, chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("token")))
	if got := b.eval(`String(sessionStorage.getItem("mcpgw.ui.token"))`); got != "null" {
		t.Errorf("token kept after signing out: %q", got)
	}
	b.checkNoErrors()
}

func TestBrowserNoAudit(t *testing.T) {
	src := &testSource{servers: testServers, catalog: testCatalog} // no audit trail
	srv := serveUI(t, src, Options{Version: "v0.9.0-test"})
	b := newBrowser(t, func(url string) bool { return strings.Contains(url, "/ui/api/") }) // the 503 answers
	b.do("open the dashboard", 10*time.Second,
		chromedp.Navigate(srv.URL+"/ui/#tab=calls"),
		chromedp.WaitVisible(chromedp.ID("calls-empty")),
	)
	b.waitJS("the live view says it is off", `document.querySelector("#conn").dataset.state === "unavailable"`, 5*time.Second)
	b.waitJS("one notice about the audit trail", `!document.querySelector("#notice").hidden && document.querySelector("#notice").textContent.includes("no audit trail")`, 5*time.Second)
	if got := b.eval(`document.querySelector("#notice").textContent`); strings.Count(got, "audit trail") != 1 {
		t.Errorf("notice %q", got)
	}
	if n := b.eval(rows(`#servers tbody tr`) + ".toString()"); n != fmt.Sprint(len(testServers)) {
		t.Errorf("%s servers shown", n)
	}
	b.screenshot("calls")

	// The page's own SSE parser, on chunks split anywhere.
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const { SSEParser } = await import(new URL("assets/api.js", document.baseURI).href);
		const out = [];
		const p = new SSEParser((e) => out.push(e.event + "=" + e.data), (c) => out.push("#" + c));
		const text = "\ufeff: hello\r\nevent: call\r\ndata: {\"a\":1}\r\n\r\ndata: one\ndata: two\n\nevent: x\rdata:no-space\r\r: keep-alive\n\nid: 7\nretry: 10\ndata: last\n\n";
		for (let i = 0; i < text.length; i += 3) p.push(text.slice(i, i + 3));
		return JSON.stringify(out);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if want := `["#hello","call={\"a\":1}","message=one\ntwo","x=no-space","#keep-alive","message=last"]`; got != want {
		t.Errorf("SSE parser: got %s, want %s", got, want)
	}
	b.checkNoErrors()
}
