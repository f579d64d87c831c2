package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

var quiet = slog.New(slog.DiscardHandler)

func newHandler(src Source, o Options) http.Handler {
	if o.Log == nil {
		o.Log = quiet
	}
	return Handler(src, o)
}

// do serves one request on h and returns the recorded answer.
func do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q, want JSON; body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
	return v
}

func TestPageAndAssets(t *testing.T) {
	h := newHandler(&testSource{}, Options{})
	w := do(h, "GET", "/")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	if do(h, "GET", "/index.html").Body.String() != page {
		t.Error("/index.html is not the page")
	}
	// Every file the page and the modules reference is served with its type.
	refs := regexp.MustCompile(`(?:src|href)="(assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("page references %d assets", len(refs))
	}
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	seen := map[string]bool{}
	var check func(p string)
	check = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		w := do(h, "GET", "/"+p)
		ext := p[strings.LastIndex(p, "."):]
		if w.Code != 200 || w.Header().Get("Content-Type") != want[ext] {
			t.Errorf("GET /%s: %d %q", p, w.Code, w.Header().Get("Content-Type"))
			return
		}
		if w.Header().Get("ETag") == "" || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET /%s: ETag %q, Cache-Control %q", p, w.Header().Get("ETag"), w.Header().Get("Cache-Control"))
		}
		if ext == ".js" {
			for _, m := range regexp.MustCompile(`from '\./([\w.-]+)'`).FindAllStringSubmatch(w.Body.String(), -1) {
				check("assets/" + m[1])
			}
		}
	}
	for _, m := range refs {
		check(m[1])
	}
	for _, js := range []string{"assets/app.js", "assets/api.js", "assets/dom.js", "assets/views.js", "assets/charts.js"} {
		if !seen[js] {
			t.Errorf("%s is not reachable from the page", js)
		}
	}

	etag := do(h, "GET", "/assets/app.js").Header().Get("ETag")
	if w := do(h, "GET", "/assets/app.js", "If-None-Match", etag); w.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", w.Code)
	}
	if w := do(h, "HEAD", "/"); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD /: %d with %d bytes", w.Code, w.Body.Len())
	}
	for _, p := range []string{"/assets/nope.js", "/assets/", "/assets/../ui.go", "/favicon.ico", "/index.htm"} {
		if w := do(h, "GET", p); w.Code != 404 {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
}

// TestAssetsAreSafe checks what the browser test cannot see at a glance:
// no inline script or style (the CSP forbids them), no HTML sinks for
// data, nothing loaded from another origin.
func TestAssetsAreSafe(t *testing.T) {
	page, err := files.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`<script(?:\s[^>]*)?>\s*[^<\s]`, `<script(?:(?!src=)[^>])*>`, `<style`, `\sstyle=`, `\son[a-z]+=`, `javascript:`} {
		if re == `<script(?:(?!src=)[^>])*>` {
			// Go's regexp has no lookahead: check each script tag by hand.
			for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(string(page), -1) {
				if !strings.Contains(tag, ` src="`) {
					t.Errorf("index.html: script without src: %s", tag)
				}
			}
			continue
		}
		if m := regexp.MustCompile(re).Find(page); m != nil {
			t.Errorf("index.html has inline code (%s): %q", re, m)
		}
	}
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*'on|\.style\s*=|setAttribute\(\s*'style'`)
	external := regexp.MustCompile(`(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err = fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		text := string(b)
		if strings.HasSuffix(p, ".js") {
			if m := sinks.FindString(text); m != "" {
				t.Errorf("%s uses %s", p, m)
			}
			for _, imp := range regexp.MustCompile(`(?m)^import .* from '([^']+)'`).FindAllStringSubmatch(text, -1) {
				if !strings.HasPrefix(imp[1], "./") {
					t.Errorf("%s imports %s: only the page's own modules may be loaded", p, imp[1])
				}
			}
		}
		for _, m := range external.FindAllString(text, -1) {
			if m != "http://www.w3.org" { // the SVG namespace name, never fetched
				t.Errorf("%s refers to another origin: %s", p, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSecurityHeaders(t *testing.T) {
	src := &testSource{servers: testServers}
	auth := func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer t" {
			return errors.New("no valid token")
		}
		return nil
	}
	h := newHandler(src, Options{Authorize: auth})
	tok := []string{"Authorization", "Bearer t"}
	cases := []struct {
		method, path string
		hdr          []string
		status       int
		api          bool
	}{
		{"GET", "/", nil, 200, false},
		{"GET", "/assets/style.css", nil, 200, false},
		{"GET", "/nope", nil, 404, false},
		{"POST", "/", nil, 405, false},
		{"GET", "/api/servers", nil, 401, true},
		{"GET", "/api/servers?token=1", tok, 400, true},
		{"GET", "/api/servers", tok, 200, true},
		{"GET", "/api/nope", tok, 404, true},
		{"GET", "/api/calls", tok, 503, true},
		{"GET", "/api/live", tok, 503, true},
		{"DELETE", "/api/calls", tok, 405, true},
	}
	for _, c := range cases {
		w := do(h, c.method, c.path, c.hdr...)
		if w.Code != c.status {
			t.Errorf("%s %s: %d, want %d (%s)", c.method, c.path, w.Code, c.status, w.Body)
		}
		hd := w.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s %s: CSP %q lacks %s", c.method, c.path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP allows inline code: %q", csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if hd.Get(k) != v {
				t.Errorf("%s %s: %s %q, want %q", c.method, c.path, k, hd.Get(k), v)
			}
		}
		if c.api && hd.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", c.method, c.path, hd.Get("Cache-Control"))
		}
		if c.api {
			decode[apiError](t, w) // every API answer is JSON, errors included
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHandler(&testSource{servers: testServers}, Options{Authorize: func(*http.Request) error { return errors.New("never") }})
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		for _, p := range []string{"/", "/assets/app.js", "/api/servers", "/api/calls", "/api/live"} {
			w := do(h, m, p)
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d, Allow %q", m, p, w.Code, w.Header().Get("Allow"))
			}
			if strings.HasPrefix(p, "/api/") {
				if e := decode[apiError](t, w); !strings.Contains(e.Error, "GET") {
					t.Errorf("%s %s: error %q", m, p, e.Error)
				}
			}
		}
	}
}

func TestAuthorize(t *testing.T) {
	w := newWriter(t)
	src := &testSource{servers: testServers, catalog: testCatalog, w: w}
	var mu sync.Mutex
	var seen []string
	h := newHandler(src, Options{Authorize: func(r *http.Request) error {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			return nil
		case "":
			return errors.New("authorization required")
		default:
			return errors.New("invalid token")
		}
	}})
	for _, p := range []string{"/api/servers", "/api/catalog", "/api/calls", "/api/events", "/api/live"} {
		for _, tok := range []string{"", "Bearer bad"} {
			w := do(h, "GET", p, "Authorization", tok)
			if w.Code != 401 || w.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("GET %s with %q: %d, WWW-Authenticate %q", p, tok, w.Code, w.Header().Get("WWW-Authenticate"))
				continue
			}
			e := decode[apiError](t, w)
			if (tok == "" && e.Error != "authorization required") || (tok != "" && e.Error != "invalid token") {
				t.Errorf("GET %s with %q: error %q", p, tok, e.Error)
			}
		}
		if p == "/api/live" {
			continue // streams: see TestLive
		}
		if w := do(h, "GET", p, "Authorization", "Bearer good"); w.Code != 200 {
			t.Errorf("GET %s with a good token: %d %s", p, w.Code, w.Body)
		}
	}
	if len(src.subscriptions()) != 0 {
		t.Error("an unauthorized live request subscribed")
	}
	// The page and its assets hold no data: no authorization.
	mu.Lock()
	n := len(seen)
	mu.Unlock()
	for _, p := range []string{"/", "/assets/app.js", "/assets/style.css"} {
		if w := do(h, "GET", p); w.Code != 200 {
			t.Errorf("GET %s without a token: %d", p, w.Code)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Errorf("Authorize was called for the page or an asset: %v", seen[n:])
	}
}

func TestServersAPI(t *testing.T) {
	h := newHandler(&testSource{servers: testServers}, Options{Version: "v1.2.3"})
	type answer struct {
		Version string   `json:"version"`
		Servers []Server `json:"servers"`
	}
	a := decode[answer](t, do(h, "GET", "/api/servers"))
	if a.Version != "v1.2.3" || !reflect.DeepEqual(a.Servers, testServers) {
		t.Errorf("got %+v", a)
	}
	w := do(h, "GET", "/api/servers")
	for _, k := range []string{`"name":"jira"`, `"state":"down"`, `"restarts":7`, `"protocol":"2025-06-18"`, `"tools":4`, `"prompts":1`, `"resources":2`, `"transport":"stdio"`, `"error":"exit status 1`} {
		if !strings.Contains(w.Body.String(), k) {
			t.Errorf("answer lacks %s: %s", k, w.Body)
		}
	}
	// No servers: an empty list, not null.
	if b := do(newHandler(&testSource{}, Options{}), "GET", "/api/servers").Body.String(); !strings.Contains(b, `"servers":[]`) {
		t.Errorf("no servers: %s", b)
	}
}

func TestCatalogSearch(t *testing.T) {
	h := newHandler(&testSource{catalog: testCatalog}, Options{})
	type answer struct {
		Q     string        `json:"q"`
		Total int           `json:"total"`
		Items []CatalogItem `json:"items"`
	}
	names := func(a answer) []string {
		var n []string
		for _, it := range a.Items {
			n = append(n, it.Name)
		}
		return n
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", nil}, // everything
		{"q=ISSUE", []string{"github_create_issue"}},                               // name, case-insensitive
		{"q=search%20code", []string{"github_search_code"}},                        // every word, title
		{"q=allowed+roots", []string{"fs_read_file", "fs_write_file"}},             // description
		{"q=filesystem", []string{"fs_read_file", "fs_write_file", "fs_list"}},     // server
		{"q=pull&kind=tool", []string{"github_list_pulls", "github_merge"}},        // kind
		{"kind=template", []string{"repo://{owner}/{repo}/{path}"}},                //
		{"q=README&kind=resource", []string{"repo://mcpgw/mcp-gateway/README.md"}}, //
		{"q=%3Cscript%3E", []string{"shady_helper"}},                               // markup is text
		{"q=nothing-like-this", []string{}},                                        //
		{"q=" + strings.Repeat("x", maxQueryLen), []string{}},                      // longest accepted
		{"q=%20%20", nil}, // blank: everything
		{"q=REVIEW&kind=prompt", []string{"github_review"}},                       //
		{"q=fs_&kind=tool", []string{"fs_read_file", "fs_write_file", "fs_list"}}, //
		{"q=github%20merge", []string{"github_merge"}},                            // hidden items are found too
		{"q=definition%20changed", []string{}},                                    // not the hidden reason
	}
	for _, c := range cases {
		w := do(h, "GET", "/api/catalog?"+c.query)
		if w.Code != 200 {
			t.Errorf("%s: %d %s", c.query, w.Code, w.Body)
			continue
		}
		a := decode[answer](t, w)
		want := c.want
		if want == nil {
			for _, it := range testCatalog {
				want = append(want, it.Name)
			}
		}
		if got := names(a); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s: got %q, want %q", c.query, got, want)
		}
		if a.Total != len(testCatalog) || a.Items == nil {
			t.Errorf("%s: total %d, items nil: %v", c.query, a.Total, a.Items == nil)
		}
	}
	a := decode[answer](t, do(h, "GET", "/api/catalog?q=merge"))
	if len(a.Items) != 1 || !a.Items[0].Hidden || !strings.HasPrefix(a.Items[0].HiddenReason, "pinning:") {
		t.Errorf("hidden item not flagged: %+v", a.Items)
	}
}

func TestCallsAPI(t *testing.T) {
	w := newWriter(t)
	now := time.Now()
	seed(t, w, now)
	h := newHandler(&testSource{w: w}, Options{})
	type answer struct {
		Calls []audit.Record `json:"calls"`
	}
	get := func(q string) []audit.Record {
		t.Helper()
		r := do(h, "GET", "/api/calls?"+q)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", q, r.Code, r.Body)
		}
		if strings.Contains(r.Body.String(), "must-not-reach-the-page") || strings.Contains(r.Body.String(), `"args"`) {
			t.Errorf("%s: call arguments sent to the page", q)
		}
		return decode[answer](t, r).Calls
	}
	all := get("")
	if len(all) != 15 || all[0].RequestID != "seed-14" || all[14].RequestID != "seed-00" {
		t.Fatalf("all: %d calls, first %+v", len(all), all[0])
	}
	if all[0].ID == 0 || all[0].Duration != 4*time.Millisecond || all[0].ArgsDigest == "" || all[0].Principal != "ci-bot" {
		t.Errorf("newest call: %+v", all[0])
	}
	if c := get("server=jira"); len(c) != 1 || c[0].Error != "backend jira is down" {
		t.Errorf("server=jira: %+v", c)
	}
	if c := get("status=blocked"); len(c) != 1 || c[0].RequestID != "seed-07" || c[0].Plugin != "pinning" {
		t.Errorf("status=blocked: %+v", c)
	}
	if c := get("principal=alice&name=github_search_code"); len(c) != 2 {
		t.Errorf("principal+name: %d calls", len(c))
	}
	if c := get("method=prompts%2Fget"); len(c) != 1 || c[0].Name != "github_review" {
		t.Errorf("method: %+v", c)
	}
	if c := get("limit=3"); len(c) != 3 || c[0].RequestID != "seed-14" {
		t.Errorf("limit=3: %d calls", len(c))
	}
	if c := get("since=10m"); len(c) != 5 {
		t.Errorf("since=10m: %d calls, want 5", len(c))
	}
	if c := get("since=" + now.Add(-30*time.Minute).UTC().Format(time.RFC3339) + "&until=20m"); len(c) != 3 {
		t.Errorf("since RFC 3339 until 20m: %d calls, want 3", len(c))
	}
	if c := get(fmt.Sprintf("after=%d&limit=2", all[2].ID)); len(c) != 2 || c[0].RequestID != "seed-13" || c[1].RequestID != "seed-14" {
		t.Errorf("after: %+v", c)
	}
	if c := get("limit=2&status=ok&server=filesystem"); len(c) != 2 || c[0].Name != "fs_read_file" {
		t.Errorf("combined: %+v", c)
	}
	if c := get("status=ok&server=github&name=github_list_pulls"); len(c) != 1 || len(c[0].Findings) != 1 || c[0].Findings[0].Rule != "github-pat" {
		t.Errorf("findings: %+v", c)
	}
}

func TestFilterMapping(t *testing.T) {
	src := &testSource{w: newWriter(t)}
	h := newHandler(src, Options{})
	before := time.Now()
	w := do(h, "GET", "/api/calls?server=gh&name=t&principal=p&method=tools%2Fcall&status=tool_error&since=2025-06-01T12:00:00Z&until=90m&after=7&limit=1000")
	if w.Code != 200 {
		t.Fatal(w.Code, w.Body)
	}
	f := src.lastFilter(t)
	if f.Until.Before(before.Add(-90*time.Minute)) || f.Until.After(time.Now().Add(-90*time.Minute)) {
		t.Errorf("until=90m: %v", f.Until)
	}
	f.Until = time.Time{}
	want := audit.Filter{Server: "gh", Name: "t", Principal: "p", Method: "tools/call", Status: audit.StatusToolError,
		Since: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), AfterID: 7, Limit: 1000}
	if !f.Since.Equal(want.Since) {
		t.Errorf("since: %v", f.Since)
	}
	f.Since, want.Since = time.Time{}, time.Time{}
	if f != want {
		t.Errorf("calls filter %+v, want %+v", f, want)
	}

	do(h, "GET", "/api/events?kind=backend&server=s&name=n&principal=p&limit=5&since=2025-06-01T12:00:00.5%2B02:00")
	f = src.lastFilter(t)
	if !f.Since.Equal(time.Date(2025, 6, 1, 10, 0, 0, 5e8, time.UTC)) {
		t.Errorf("since with offset: %v", f.Since)
	}
	f.Since = time.Time{}
	if want := (audit.Filter{Kind: "backend", Server: "s", Name: "n", Principal: "p", Limit: 5}); f != want {
		t.Errorf("events filter %+v, want %+v", f, want)
	}
	do(h, "GET", "/api/calls")
	if f := src.lastFilter(t); f != (audit.Filter{}) {
		t.Errorf("no parameters: %+v (the store's defaults apply to the zero filter)", f)
	}
}

func TestBadParameters(t *testing.T) {
	src := &testSource{servers: testServers, catalog: testCatalog, w: newWriter(t)}
	h := newHandler(src, Options{})
	cases := []struct {
		target, param, expected string
	}{
		{"/api/calls?limit=abc", "limit", "an integer from 1 to 1000"},
		{"/api/calls?limit=0", "limit", "an integer from 1 to 1000"},
		{"/api/calls?limit=1001", "limit", "an integer from 1 to 1000"},
		{"/api/calls?limit=-5", "limit", "an integer from 1 to 1000"},
		{"/api/calls?status=fine", "status", "one of ok, tool_error, error, blocked, denied, rate_limited, cancelled"},
		{"/api/calls?status=OK", "status", "one of ok,"},
		{"/api/calls?since=yesterday", "since", "RFC 3339"},
		{"/api/calls?since=-5m", "since", "RFC 3339"},
		{"/api/calls?since=2025-06-01", "since", "RFC 3339"},
		{"/api/calls?until=0s", "until", "duration"},
		{"/api/calls?after=x", "after", "integer >= 0"},
		{"/api/calls?after=-1", "after", "integer >= 0"},
		{"/api/calls?kind=security", "kind", "one of server, name, principal, method, status, since, until, after, limit"},
		{"/api/calls?status=ok&status=error", "status", "a single value"},
		{"/api/calls?foo=1", "foo", "one of server"},
		{"/api/events?kind=audit", "kind", "security or backend"},
		{"/api/events?status=ok", "status", "one of kind, server"},
		{"/api/events?limit=99999", "limit", "an integer from 1 to 1000"},
		{"/api/catalog?kind=tools", "kind", "one of tool, prompt, resource, template"},
		{"/api/catalog?q=" + strings.Repeat("x", maxQueryLen+1), "q", "at most 256 bytes"},
		{"/api/catalog?search=x", "search", "one of q, kind"},
		{"/api/servers?x=1", "x", "none"},
		{"/api/live?since=1m", "since", "none"},
		{"/api/calls?%zz", "", "URL-encoded"},
	}
	for _, c := range cases {
		w := do(h, "GET", c.target)
		if w.Code != 400 {
			t.Errorf("%s: %d, want 400", c.target, w.Code)
			continue
		}
		e := decode[apiError](t, w)
		if e.Param != c.param || !strings.Contains(e.Expected, c.expected) || e.Error == "" {
			t.Errorf("%s: %+v, want param %q expecting %q", c.target, e, c.param, c.expected)
		}
		if c.param != "" && !strings.Contains(e.Error, c.param) {
			t.Errorf("%s: error %q does not name %s", c.target, e.Error, c.param)
		}
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.filters) != 0 || len(src.subs) != 0 {
		t.Errorf("bad requests reached the source: %d queries, %d subscriptions", len(src.filters), len(src.subs))
	}
}

func TestEventsAPI(t *testing.T) {
	w := newWriter(t)
	seed(t, w, time.Now())
	h := newHandler(&testSource{w: w}, Options{})
	type answer struct {
		Events []audit.Event `json:"events"`
	}
	get := func(q string) []audit.Event {
		t.Helper()
		r := do(h, "GET", "/api/events?"+q)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", q, r.Code, r.Body)
		}
		return decode[answer](t, r).Events
	}
	if e := get(""); len(e) != 9 || e[0].Type != "limited" {
		t.Errorf("all: %+v", e)
	}
	if e := get("kind=backend"); len(e) != 3 || e[0].Type != "restarted" {
		t.Errorf("backend: %+v", e)
	}
	if e := get("kind=security&limit=2"); len(e) != 2 || e[1].RequestID != "seed-09" {
		t.Errorf("security, 2: %+v", e)
	}
	if e := get("kind=security&server=github&name=github_merge"); len(e) != 2 || e[0].Plugin != "pinning" {
		t.Errorf("github_merge: %+v", e)
	}
	if e := get("principal=nobody"); e == nil || len(e) != 0 {
		t.Errorf("no match: %#v, want an empty list", e)
	}
}

func TestSourceErrors(t *testing.T) {
	h := newHandler(&testSource{}, Options{}) // no audit trail
	for _, p := range []string{"/api/calls", "/api/events", "/api/live"} {
		w := do(h, "GET", p)
		if w.Code != 503 {
			t.Errorf("GET %s without audit: %d", p, w.Code)
			continue
		}
		if e := decode[apiError](t, w); !strings.Contains(e.Error, "no audit trail") {
			t.Errorf("GET %s: %q", p, e.Error)
		}
	}
	// Other failures: 500, details only in the log.
	var logged strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(b)
	}), nil))
	h = newHandler(&testSource{w: newWriter(t), err: errors.New("database is locked at /var/lib/secret.db")}, Options{Log: log})
	for _, p := range []string{"/api/calls", "/api/events"} {
		w := do(h, "GET", p)
		if w.Code != 500 || strings.Contains(w.Body.String(), "secret.db") {
			t.Errorf("GET %s: %d %s", p, w.Code, w.Body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "secret.db") {
		t.Errorf("the failure was not logged: %q", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// sseEvent is one event read from a stream; comment lines come as
// event "comment".
type sseEvent struct{ event, data string }

func readSSE(t *testing.T, body io.Reader) <-chan sseEvent {
	c := make(chan sseEvent, 64)
	go func() {
		defer close(c)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					c <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				c <- sseEvent{event: "comment", data: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "event: "):
				ev.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				if ev.data != "" {
					t.Errorf("event with two data lines: %q", line)
				}
				ev.data = line[len("data: "):]
			default:
				t.Errorf("unexpected SSE line %q", line)
			}
		}
	}()
	return c
}

func next(t *testing.T, c <-chan sseEvent, skipComments bool) sseEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-c:
			if !ok {
				t.Fatal("stream ended")
			}
			if skipComments && ev.event == "comment" {
				continue
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5s")
		}
	}
}

func TestLive(t *testing.T) {
	w := newWriter(t)
	src := &testSource{w: w}
	srv := httptest.NewServer(newHandler(src, Options{Version: "v9", Authorize: func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer k" {
			return errors.New("no")
		}
		return nil
	}}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/api/live", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	hd := resp.Header
	if resp.StatusCode != 200 || hd.Get("Content-Type") != "text/event-stream; charset=utf-8" || hd.Get("X-Accel-Buffering") != "no" ||
		hd.Get("Cache-Control") != "no-store" || hd.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("live answer: %d %v", resp.StatusCode, hd)
	}
	events := readSSE(t, resp.Body)
	hello := next(t, events, true)
	if hello.event != "hello" || !strings.Contains(hello.data, `"version":"v9"`) {
		t.Fatalf("first event %+v", hello)
	}

	rec := &audit.Record{RequestID: "live-1", Time: time.Now(), Method: "tools/call", Server: "github", Name: "github_search_code",
		Status: audit.StatusOK, Duration: 12 * time.Millisecond, Args: []byte(`{"q":"hidden"}`), Principal: "alice"}
	if err := w.AddCall(rec); err != nil {
		t.Fatal(err)
	}
	ev := next(t, events, true)
	var got audit.Record
	if ev.event != "call" || json.Unmarshal([]byte(ev.data), &got) != nil {
		t.Fatalf("got %+v", ev)
	}
	if got.RequestID != "live-1" || got.Duration != 12*time.Millisecond || got.Principal != "alice" || got.Args != nil || strings.Contains(ev.data, "hidden") {
		t.Errorf("live call %s", ev.data)
	}
	if rec.Args == nil {
		t.Error("the writer's record was changed")
	}

	if err := w.AddEvent(&audit.Event{Time: time.Now(), Kind: audit.KindSecurity, Plugin: "injection", Type: "blocked", RequestID: "live-2", Reason: "injection"}); err != nil {
		t.Fatal(err)
	}
	ev = next(t, events, true)
	var gotEv audit.Event
	if ev.event != "event" || json.Unmarshal([]byte(ev.data), &gotEv) != nil || gotEv.RequestID != "live-2" || gotEv.Type != "blocked" {
		t.Fatalf("got %+v", ev)
	}

	// Several entries in one batch arrive in order.
	for i := range 5 {
		w.AddCall(&audit.Record{RequestID: fmt.Sprintf("batch-%d", i), Time: time.Now(), Method: "tools/call", Status: audit.StatusOK})
	}
	for i := range 5 {
		ev := next(t, events, true)
		if ev.event != "call" || !strings.Contains(ev.data, fmt.Sprintf(`"requestId":"batch-%d"`, i)) {
			t.Errorf("batch %d: %+v", i, ev)
		}
	}

	// The stream ends when the subscription closes (the writer stops).
	w.Close()
	select {
	case ev, ok := <-events:
		for ok && ev.event == "comment" {
			ev, ok = <-events
		}
		if ok {
			t.Errorf("after close: %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end when the subscription closed")
	}
}

func TestLiveKeepAlive(t *testing.T) {
	src := &testSource{w: newWriter(t)}
	srv := httptest.NewServer(newHandler(src, Options{KeepAlive: 20 * time.Millisecond}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/live")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := readSSE(t, resp.Body)
	if ev := next(t, events, false); ev.event != "hello" {
		t.Fatalf("first: %+v", ev)
	}
	for range 2 {
		if ev := next(t, events, false); ev != (sseEvent{"comment", "keep-alive"}) {
			t.Fatalf("got %+v, want a keep-alive comment", ev)
		}
	}
	if Handler(src, Options{}).(*handler).o.KeepAlive != 15*time.Second {
		t.Error("default keep-alive is not 15s")
	}
}

func TestLiveClientGone(t *testing.T) {
	src := &testSource{w: newWriter(t)}
	h := newHandler(src, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequestWithContext(ctx, "GET", "/api/live", nil)
	done := make(chan struct{})
	rec := httptest.NewRecorder()
	go func() {
		defer close(done)
		h.ServeHTTP(rec, r)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(src.subscriptions()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no subscription")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the live handler did not return when the client went")
	}
	sub := src.subscriptions()[0]
	select {
	case _, ok := <-sub.C():
		if ok {
			t.Error("entry on a closed subscription")
		}
	default:
		t.Error("the subscription was not closed")
	}
	// HEAD answers the headers without following anything.
	if w := do(h, "HEAD", "/api/live"); w.Code != 200 || w.Header().Get("Content-Type") != "text/event-stream; charset=utf-8" || len(src.subscriptions()) != 1 {
		t.Errorf("HEAD /api/live: %d %q, %d subscriptions", w.Code, w.Header().Get("Content-Type"), len(src.subscriptions()))
	}
}

func TestMounted(t *testing.T) {
	src := &testSource{servers: testServers}
	for _, strip := range []string{"/ui", "/ui/"} {
		mux := http.NewServeMux()
		mux.Handle("/ui/", http.StripPrefix(strip, newHandler(src, Options{})))
		for p, want := range map[string]int{"/ui/": 200, "/ui/assets/app.js": 200, "/ui/api/servers": 200, "/ui/api/nope": 404} {
			if w := do(mux, "GET", p); w.Code != want {
				t.Errorf("StripPrefix(%q): GET %s: %d, want %d", strip, p, w.Code, want)
			}
		}
		if w := do(mux, "GET", "/ui"); w.Code/100 != 3 || w.Header().Get("Location") != "/ui/" {
			t.Errorf("GET /ui: %d to %q, want a redirect to /ui/", w.Code, w.Header().Get("Location"))
		}
	}
}

// TestNoLeakBetweenRequests runs many different requests at once (under
// -race) and checks that each answer is its own.
func TestNoLeakBetweenRequests(t *testing.T) {
	src := &testSource{servers: testServers, catalog: testCatalog, w: newWriter(t)}
	h := newHandler(src, Options{Authorize: func(r *http.Request) error {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer user-") {
			return fmt.Errorf("bad token %s", r.Header.Get("Authorization"))
		}
		return nil
	}})
	queries := map[string]int{"issue": 1, "roots": 2, "filesystem": 3, "pull": 3, "zzz": 0, "": len(testCatalog)}
	var wg sync.WaitGroup
	for i := range 40 {
		for q, n := range queries {
			wg.Go(func() {
				w := do(h, "GET", "/api/catalog?q="+q, "Authorization", fmt.Sprintf("Bearer user-%d", i))
				var a struct {
					Q     string        `json:"q"`
					Items []CatalogItem `json:"items"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Q != q || len(a.Items) != n {
					t.Errorf("q=%s: %d %s", q, w.Code, w.Body)
				}
				w = do(h, "GET", "/api/servers", "Authorization", fmt.Sprintf("Bearer other-%d", i))
				if e := (apiError{}); json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error != fmt.Sprintf("bad token Bearer other-%d", i) {
					t.Errorf("401 answer of another request: %s", w.Body)
				}
			})
		}
	}
	wg.Wait()
}
