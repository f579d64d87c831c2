package e2e

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var callLogLine = regexp.MustCompile(`msg=call request_id=(\S+) method=tools/call server=k name=k__echo`)

// TestDashboardShowsLiveCalls opens the gateway's own dashboard in
// headless Chromium (Debian's package), makes a call through the gateway
// with the Go SDK, and waits for the call to appear in the live view.
func TestDashboardShowsLiveCalls(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is not installed at %s (make sysdeps installs it)", chromium)
		}
		t.Skipf("Chromium is not installed (apt-get install chromium)")
	}
	b := build(t)
	gw := startHTTPGateway(t, b, writeConfig(t, map[string]any{"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")}}),
		"--data-dir", t.TempDir())

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.Navigate(gw.base+"/ui/"),
		chromedp.WaitVisible(`#servers tbody tr[data-server="k"][data-state="ready"]`),
		chromedp.Click(`#tab-calls`),
		chromedp.WaitVisible(`#conn[data-state="live"]`),
	); err != nil {
		t.Fatalf("dashboard did not load: %v", err)
	}

	cs, err := connectHTTPAs(t, gw.url, "none")
	if err != nil {
		t.Fatal(err)
	}
	if got := callText(t, cs, "k__echo", map[string]any{"message": "seen in the browser"}); got != "k: seen in the browser" {
		t.Fatalf("echo = %q", got)
	}
	var reqID string
	waitFor(t, func() bool {
		m := callLogLine.FindStringSubmatch(gw.logs.String())
		if m != nil {
			reqID = m[1]
		}
		return m != nil
	})
	row := `#calls tbody tr[data-request-id="` + reqID + `"]`
	if err := chromedp.Do(ctx, chromedp.WaitVisible(row)); err != nil {
		t.Fatalf("the call %s did not appear in the live view: %v", reqID, err)
	}
	name, err := chromedp.Run(ctx, chromedp.Text(row))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`k__echo[\s\S]*tools/call[\s\S]*ok`).MatchString(name) {
		t.Errorf("live row = %q", name)
	}
}
