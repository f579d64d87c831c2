package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/respcache"
)

var ctx = context.Background()

// Tool definitions as a backend "s" lists them.
var definitions = []plugin.Definition{
	{Server: "s", Kind: "tool", Name: "hinted", Exposed: "s__hinted",
		Raw: []byte(`{"name":"hinted","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true,"idempotentHint":true}}`)},
	{Server: "s", Kind: "tool", Name: "hinted2", Exposed: "s__hinted2",
		Raw: []byte(`{"name":"hinted2","annotations":{"title":"Hinted","idempotentHint":true,"openWorldHint":false,"readOnlyHint":true}}`)},
	{Server: "s", Kind: "tool", Name: "readonly", Exposed: "s__readonly",
		Raw: []byte(`{"name":"readonly","annotations":{"readOnlyHint":true}}`)},
	{Server: "s", Kind: "tool", Name: "idempotent", Exposed: "s__idempotent",
		Raw: []byte(`{"name":"idempotent","annotations":{"readOnlyHint":false,"idempotentHint":true}}`)},
	{Server: "s", Kind: "tool", Name: "strings", Exposed: "s__strings",
		Raw: []byte(`{"name":"strings","annotations":{"readOnlyHint":"true","idempotentHint":"true"}}`)},
	{Server: "s", Kind: "tool", Name: "plain", Exposed: "s__plain",
		Raw: []byte(`{"name":"plain","inputSchema":{"type":"object"}}`)},
	// A prompt with the same exposed name as a tool is not a tool.
	{Server: "s", Kind: "prompt", Name: "plain", Exposed: "s__plain",
		Raw: []byte(`{"name":"plain","annotations":{"readOnlyHint":true,"idempotentHint":true}}`)},
}

const okResult = `{"content":[{"type":"text","text":"42"}]}`

// backend is the end of the chain: it counts calls and answers each tool
// with reply(tool).
type backend struct {
	calls atomic.Int32
	reply func(c *plugin.Call) (*plugin.Result, error)
}

func (b *backend) next(_ context.Context, c *plugin.Call) (*plugin.Result, error) {
	b.calls.Add(1)
	if b.reply != nil {
		return b.reply(c)
	}
	return &plugin.Result{Raw: []byte(okResult)}, nil
}

// newPlugin builds the plugin from a gateway.cache section ("" for none)
// and shows it the definitions.
func newPlugin(t testing.TB, section string) *Plugin {
	t.Helper()
	raw := json.RawMessage(nil)
	if section != "" {
		raw = json.RawMessage(`{"cache":` + section + `}`)
	}
	h, err := New(raw, plugin.Env{})
	if err != nil {
		t.Fatalf("New(%s): %v", raw, err)
	}
	p := h.(*Plugin)
	t.Cleanup(func() { p.Close() })
	for i := range definitions {
		if j := p.Judge(&definitions[i]); j != nil {
			t.Fatalf("Judge hid %s: %+v", definitions[i].Exposed, j)
		}
	}
	return p
}

// call is one request of a test.
type call struct {
	principal string // "" means alice
	tool      string // exposed name on server s; "" means s__hinted
	args      string // raw arguments; "" means {"q":"x"}
	params    string // raw params, replacing name and args when set
	method    string // "" means tools/call
	server    string // "" means s; "-" means the gateway's own
	noSession bool
}

func (k call) build() *plugin.Call {
	if k.tool == "" {
		k.tool = "s__hinted"
	}
	if k.args == "" {
		k.args = `{"q":"x"}`
	}
	if k.params == "" {
		k.params = `{"name":"` + k.tool + `","arguments":` + k.args + `}`
	}
	if k.method == "" {
		k.method = "tools/call"
	}
	switch k.server {
	case "":
		k.server = "s"
	case "-":
		k.server = ""
	}
	if k.principal == "" {
		k.principal = "alice"
	}
	c := &plugin.Call{Method: k.method, Params: []byte(k.params), Server: k.server, Name: k.tool}
	if !k.noSession {
		c.Session = &plugin.Session{ID: "sess-" + k.principal, Identity: plugin.Identity{Principal: k.principal}}
	}
	return c
}

// setArgs is a plugin outside the cache that masks the arguments.
var setArgs = plugin.HandlerFunc(func(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	if err := c.SetArguments([]byte(`{"q":"<masked>"}`)); err != nil {
		return nil, err
	}
	return next(ctx, c)
})

// changeResult and blockResult are plugins inside the cache.
var (
	changeResult = plugin.HandlerFunc(func(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
		res, err := next(ctx, c)
		if err != nil {
			return res, err
		}
		return &plugin.Result{Raw: []byte(`{"content":[{"type":"text","text":"<masked>"}]}`), Changed: true}, nil
	})
	blockResult = plugin.HandlerFunc(func(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
		if _, err := next(ctx, c); err != nil {
			return nil, err
		}
		return plugin.Block(c.Method, "inner", "found something")
	})
)

func raw(s string) func(*plugin.Call) (*plugin.Result, error) {
	return func(*plugin.Call) (*plugin.Result, error) { return &plugin.Result{Raw: []byte(s)}, nil }
}

func TestHandle(t *testing.T) {
	rpcErr := &plugin.Error{Code: -32602, Message: "invalid arguments"}
	tests := []struct {
		name    string
		section string                                     // gateway.cache; "" for none
		reply   func(*plugin.Call) (*plugin.Result, error) // nil: okResult
		outer   plugin.Handler                             // a plugin outside the cache
		inner   plugin.Handler                             // a plugin inside the cache
		calls   []call
		backend int32  // backend calls expected
		cached  string // Result.Cached of each call: "-" no, "C" yes
	}{
		{name: "hinted tool cached", calls: []call{{}, {}, {}}, backend: 1, cached: "-CC"},
		{name: "hints in any order with other annotations", calls: []call{{tool: "s__hinted2"}, {tool: "s__hinted2"}}, backend: 1, cached: "-C"},
		{name: "read-only hint alone not cached", calls: []call{{tool: "s__readonly"}, {tool: "s__readonly"}}, backend: 2, cached: "--"},
		{name: "idempotent hint alone not cached", calls: []call{{tool: "s__idempotent"}, {tool: "s__idempotent"}}, backend: 2, cached: "--"},
		{name: "hints as strings not cached", calls: []call{{tool: "s__strings"}, {tool: "s__strings"}}, backend: 2, cached: "--"},
		{name: "unhinted tool not cached", calls: []call{{tool: "s__plain"}, {tool: "s__plain"}}, backend: 2, cached: "--"},
		{name: "a prompt's annotations do not make the tool cached", calls: []call{{tool: "s__plain"}, {tool: "s__plain"}}, backend: 2, cached: "--"},
		{name: "unknown tool not cached", calls: []call{{tool: "s__new"}, {tool: "s__new"}}, backend: 2, cached: "--"},
		{name: "hinted tool of another server not cached", calls: []call{{server: "t"}, {server: "t"}}, backend: 2, cached: "--"},
		{name: "rule caches an unhinted tool", section: `{"rules":[{"tools":["s__plain"],"ttl":"1m"}]}`,
			calls: []call{{tool: "s__plain"}, {tool: "s__plain"}}, backend: 1, cached: "-C"},
		{name: "rule glob", section: `{"rules":[{"tools":["x__*","s__p?ai[a-n]"]}]}`,
			calls: []call{{tool: "s__plain"}, {tool: "s__plain"}}, backend: 1, cached: "-C"},
		{name: "rule without ttl uses defaultTtl 0: not cached", section: `{"defaultTtl":"0s","rules":[{"tools":["s__plain"]}]}`,
			calls: []call{{tool: "s__plain"}, {tool: "s__plain"}}, backend: 2, cached: "--"},
		{name: "ttl 0 opts out despite hints", section: `{"rules":[{"tools":["s__hint*"],"ttl":"0s"}]}`,
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "ttl 0 as a number opts out", section: `{"rules":[{"tools":["s__hinted"],"ttl":0}]}`,
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "first matching rule wins", section: `{"rules":[{"tools":["s__plain"],"ttl":"0s"},{"tools":["s__*"],"ttl":"1m"}]}`,
			calls: []call{{tool: "s__plain"}, {tool: "s__plain"}, {tool: "s__readonly"}, {tool: "s__readonly"}}, backend: 3, cached: "---C"},
		{name: "defaultTtl 0 turns hints off", section: `{"defaultTtl":"0s"}`,
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "disabled", section: `{"enabled":false,"rules":[{"tools":["*"],"ttl":"1m"}]}`,
			calls: []call{{}, {}}, backend: 2, cached: "--"},

		{name: "private: one principal's result never served to another",
			calls: []call{{principal: "alice"}, {principal: "bob"}, {principal: "alice"}, {principal: "bob"}}, backend: 2, cached: "--CC"},
		{name: "private rule", section: `{"rules":[{"tools":["s__plain"],"ttl":"1m","scope":"private"}]}`,
			calls: []call{{tool: "s__plain", principal: "alice"}, {tool: "s__plain", principal: "bob"}}, backend: 2, cached: "--"},
		{name: "shared: served to every principal", section: `{"rules":[{"tools":["s__plain"],"ttl":"1m","scope":"shared"}]}`,
			calls: []call{{tool: "s__plain", principal: "alice"}, {tool: "s__plain", principal: "bob"}, {tool: "s__plain", principal: "carol"}}, backend: 1, cached: "-CC"},
		{name: "private without a session not cached", calls: []call{{noSession: true}, {noSession: true}}, backend: 2, cached: "--"},
		{name: "shared without a session cached", section: `{"rules":[{"tools":["*"],"ttl":"1m","scope":"shared"}]}`,
			calls: []call{{noSession: true}, {principal: "bob"}}, backend: 1, cached: "-C"},

		{name: "isError result not cached", reply: raw(`{"content":[{"type":"text","text":"no such file"}],"isError":true}`),
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "isError false cached", reply: raw(`{"content":[],"isError":false}`),
			calls: []call{{}, {}}, backend: 1, cached: "-C"},
		{name: "JSON-RPC error not cached", reply: func(*plugin.Call) (*plugin.Result, error) { return nil, rpcErr },
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "input_required not cached", reply: raw(`{"resultType":"input_required","inputRequests":{"a":{"method":"roots/list","params":{}}}}`),
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "unknown resultType not cached", reply: raw(`{"resultType":"partial","content":[]}`),
			calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "resultType complete cached", reply: raw(`{"resultType":"complete","content":[]}`),
			calls: []call{{}, {}}, backend: 1, cached: "-C"},
		{name: "unknown hints and _meta ignored", reply: raw(`{"_meta":{"x/y":1,"cacheScope":"private"},"futureHint":"no-store","content":[]}`),
			calls: []call{{}, {}}, backend: 1, cached: "-C"},
		{name: "cacheScope private under a shared rule not cached", section: `{"rules":[{"tools":["*"],"ttl":"1m","scope":"shared"}]}`,
			reply: raw(`{"content":[],"cacheScope":"private"}`), calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "cacheScope private under private scope cached", reply: raw(`{"content":[],"cacheScope":"private"}`),
			calls: []call{{}, {}}, backend: 1, cached: "-C"},
		{name: "ttlMs 0 not cached", reply: raw(`{"content":[],"ttlMs":0}`), calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "escaped isError not cached", reply: raw(`{"content":[],"is\u0045rror":true}`), calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "result not an object not cached", reply: raw(`[]`), calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "result changed inside the cache not cached", inner: changeResult, calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "result blocked inside the cache not cached", inner: blockResult, calls: []call{{}, {}}, backend: 2, cached: "--"},
		{name: "arguments changed outside the cache not cached", outer: setArgs, calls: []call{{}, {}}, backend: 2, cached: "--"},

		{name: "argument order and whitespace share a key", calls: []call{{args: `{"b":1,"a":{"y":[1,2],"x":null}}`}, {args: ` { "a" : { "x":null, "y":[ 1,2 ] }, "b":1 } `}}, backend: 1, cached: "-C"},
		{name: "other arguments miss", calls: []call{{args: `{"a":1}`}, {args: `{"a":2}`}, {args: `{"a":1.0}`}, {args: `{"a":1}`}}, backend: 3, cached: "---C"},
		{name: "no arguments is not {}", calls: []call{{params: `{"name":"s__hinted"}`}, {args: `{}`}, {params: `{"name":"s__hinted"}`}}, backend: 2, cached: "--C"},
		{name: "duplicate argument keys not cached", calls: []call{{args: `{"a":1,"a":2}`}, {args: `{"a":1,"a":2}`}}, backend: 2, cached: "--"},
		{name: "_meta does not change the key", calls: []call{{params: `{"name":"s__hinted","arguments":{"q":"x"},"_meta":{"progressToken":1}}`}, {params: `{"_meta":{"progressToken":"p2"},"name":"s__hinted","arguments":{"q":"x"}}`}}, backend: 1, cached: "-C"},
		{name: "task-augmented call not cached", calls: []call{{params: `{"name":"s__hinted","arguments":{},"task":{"ttl":60000}}`}, {params: `{"name":"s__hinted","arguments":{},"task":{"ttl":60000}}`}}, backend: 2, cached: "--"},
		{name: "multi-round-trip retry not cached", calls: []call{{params: `{"name":"s__hinted","arguments":{},"inputResponses":{"a":{}},"requestState":"st"}`}, {params: `{"name":"s__hinted","arguments":{},"inputResponses":{"a":{}},"requestState":"st"}`}}, backend: 2, cached: "--"},
		{name: "tools/call only", section: `{"rules":[{"tools":["*"],"ttl":"1m"}]}`,
			calls: []call{{method: "prompts/get"}, {method: "prompts/get"}, {method: "resources/read"}, {method: "resources/read"}, {method: "tools/list"}, {method: "tools/list"}}, backend: 6, cached: "------"},
		{name: "the gateway's own tools not cached", section: `{"rules":[{"tools":["*"],"ttl":"1m"}]}`,
			calls: []call{{server: "-", tool: "gateway__metadata"}, {server: "-", tool: "gateway__metadata"}}, backend: 2, cached: "--"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, tt.section)
			b := &backend{reply: tt.reply}
			var hs []plugin.Handler
			if tt.outer != nil {
				hs = append(hs, tt.outer)
			}
			hs = append(hs, p)
			if tt.inner != nil {
				hs = append(hs, tt.inner)
			}
			chain := plugin.Chain(hs, b.next)
			var got strings.Builder
			var first []byte
			for i, k := range tt.calls {
				res, err := chain(ctx, k.build())
				if tt.reply != nil && err != nil {
					if !errors.Is(err, rpcErr) {
						t.Fatalf("call %d: %v", i, err)
					}
					got.WriteByte('-')
					continue
				}
				if err != nil || res == nil {
					t.Fatalf("call %d: %v, %v", i, res, err)
				}
				if res.Cached {
					got.WriteByte('C')
					if string(res.Raw) != string(first) || res.Changed || res.Blocked != "" {
						t.Errorf("call %d: hit %s (Changed %t, Blocked %q), want the first result %s", i, res.Raw, res.Changed, res.Blocked, first)
					}
				} else {
					got.WriteByte('-')
				}
				if first == nil {
					first = res.Raw
				}
			}
			if got.String() != tt.cached || b.calls.Load() != tt.backend {
				t.Errorf("Cached per call %q, backend calls %d; want %q, %d", got.String(), b.calls.Load(), tt.cached, tt.backend)
			}
		})
	}
}

// TestHitReturnsStoredBytes: a hit is exactly the bytes the backend
// returned, and the cache kept its own copy of them.
func TestHitReturnsStoredBytes(t *testing.T) {
	p := newPlugin(t, "")
	buf := []byte(okResult)
	b := &backend{reply: func(*plugin.Call) (*plugin.Result, error) { return &plugin.Result{Raw: buf}, nil }}
	chain := plugin.Chain([]plugin.Handler{p}, b.next)
	if _, err := chain(ctx, call{}.build()); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXXXX") // the backend's buffer reused
	res, err := chain(ctx, call{}.build())
	if err != nil || !res.Cached || string(res.Raw) != okResult {
		t.Fatalf("hit %s, %v; want %s", res.Raw, err, okResult)
	}
	if s := p.Stats(); s.Hits != 1 || s.Misses != 1 || s.Stores != 1 || s.Entries != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

// TestJudgeLatestWins: definitions change; the latest one decides, and
// Judge never hides anything.
func TestJudgeLatestWins(t *testing.T) {
	p := newPlugin(t, "")
	b := &backend{}
	chain := plugin.Chain([]plugin.Handler{p}, b.next)
	do := func(tool string) bool {
		t.Helper()
		res, err := chain(ctx, call{tool: tool, args: fmt.Sprintf(`{"n":%d}`, b.calls.Load())}.build())
		if err != nil {
			t.Fatal(err)
		}
		return res.Cached
	}
	cachedNow := func(tool string) bool {
		t.Helper()
		do(tool)
		// Same arguments as the call just made: a hit if cacheable.
		res, err := chain(ctx, call{tool: tool, args: fmt.Sprintf(`{"n":%d}`, b.calls.Load()-1)}.build())
		if err != nil {
			t.Fatal(err)
		}
		return res.Cached
	}
	if !cachedNow("s__hinted") {
		t.Fatal("hinted tool not cached")
	}
	// The tool loses its hints.
	if j := p.Judge(&plugin.Definition{Server: "s", Kind: "tool", Name: "hinted", Exposed: "s__hinted", Raw: []byte(`{"name":"hinted"}`)}); j != nil {
		t.Fatalf("Judge hid a definition: %+v", j)
	}
	if cachedNow("s__hinted") {
		t.Fatal("a tool cached after its hints were removed")
	}
	// The plain tool gains them.
	p.Judge(&plugin.Definition{Server: "s", Kind: "tool", Name: "plain", Exposed: "s__plain",
		Raw: []byte(`{"name":"plain","annotations":{"readOnlyHint":true,"idempotentHint":true}}`)})
	if !cachedNow("s__plain") {
		t.Fatal("a tool not cached after it gained its hints")
	}
	// The exposed name moves to another server.
	p.Judge(&plugin.Definition{Server: "t", Kind: "tool", Name: "plain", Exposed: "s__plain",
		Raw: []byte(`{"name":"plain","annotations":{"readOnlyHint":true,"idempotentHint":true}}`)})
	if cachedNow("s__plain") {
		t.Fatal("hints of server t applied to server s")
	}
}

// TestJudgeConcurrent is for -race: definitions judged while calls run.
func TestJudgeConcurrent(t *testing.T) {
	p := newPlugin(t, "")
	chain := plugin.Chain([]plugin.Handler{p}, (&backend{}).next)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				d := definitions[(g+i)%len(definitions)]
				if i%3 == 0 {
					d.Raw = []byte(`{"name":"x"}`)
				}
				p.Judge(&d)
			}
		})
		wg.Go(func() {
			for i := range 500 {
				if _, err := chain(ctx, call{tool: definitions[(g+i)%len(definitions)].Exposed}.build()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCoalescing: identical concurrent calls make one backend call.
func TestCoalescing(t *testing.T) {
	const n = 20
	p := newPlugin(t, "")
	release := make(chan struct{})
	b := &backend{reply: func(*plugin.Call) (*plugin.Result, error) {
		<-release
		return &plugin.Result{Raw: []byte(okResult)}, nil
	}}
	chain := plugin.Chain([]plugin.Handler{p}, b.next)
	type out struct {
		res *plugin.Result
		err error
	}
	results := make(chan out, n)
	for range n {
		go func() {
			res, err := chain(ctx, call{}.build())
			results <- out{res, err}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Coalesced != n-1 {
		if time.Now().After(deadline) {
			t.Fatalf("calls did not coalesce: %+v", p.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	cached := 0
	for range n {
		o := <-results
		if o.err != nil || string(o.res.Raw) != okResult {
			t.Fatalf("%v, %v", o.res, o.err)
		}
		if o.res.Cached {
			cached++
		}
	}
	if b.calls.Load() != 1 || cached != n-1 {
		t.Errorf("%d backend calls, %d results marked cached; want 1, %d", b.calls.Load(), cached, n-1)
	}
}

// TestCancelledCall: a caller that gives up gets its ctx's error.
func TestCancelledCall(t *testing.T) {
	p := newPlugin(t, "")
	release := make(chan struct{})
	defer close(release)
	b := &backend{reply: func(*plugin.Call) (*plugin.Result, error) {
		<-release
		return &plugin.Result{Raw: []byte(okResult)}, nil
	}}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := plugin.Chain([]plugin.Handler{p}, b.next)(cctx, call{}.build())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
}

func TestStorableTTL(t *testing.T) {
	priv := policy{ttl: 30 * time.Second, scope: respcache.Private}
	shared := policy{ttl: 30 * time.Second, scope: respcache.Shared}
	tests := []struct {
		res  plugin.Result
		pol  policy
		want time.Duration
	}{
		{plugin.Result{Raw: []byte(okResult)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"ttlMs":1500}`)}, priv, 1500 * time.Millisecond},
		{plugin.Result{Raw: []byte(`{"content":[],"ttlMs":600000}`)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"ttlMs":0}`)}, priv, 0},
		{plugin.Result{Raw: []byte(`{"content":[],"ttlMs":-1}`)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"ttlMs":"soon"}`)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"cacheScope":"public"}`)}, shared, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"cacheScope":"private"}`)}, shared, 0},
		{plugin.Result{Raw: []byte(`{"content":[],"cacheScope":"private"}`)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"isError":true}`)}, priv, 0},
		{plugin.Result{Raw: []byte(`{"content":[],"isError":"yes"}`)}, priv, 0},
		{plugin.Result{Raw: []byte(`{"content":[],"isError":false}`)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"resultType":"input_required","requestState":"x"}`)}, priv, 0},
		{plugin.Result{Raw: []byte(`{"resultType":"complete","content":[]}`)}, priv, 30 * time.Second},
		{plugin.Result{Raw: []byte(`{"content":[],"ISERROR":true}`)}, priv, 0},
		{plugin.Result{Raw: []byte(`{"content":[],"isError":false,"isError":true}`)}, priv, 0},
		{plugin.Result{Raw: []byte(okResult), Changed: true}, priv, 0},
		{plugin.Result{Raw: []byte(okResult), Blocked: "x"}, priv, 0},
		{plugin.Result{Raw: []byte(`"text"`)}, priv, 0},
		{plugin.Result{Raw: nil}, priv, 0},
	}
	for _, tt := range tests {
		if got := storableTTL(&tt.res, tt.pol); got != tt.want {
			t.Errorf("storableTTL(%s, Changed %t, Blocked %q, %s) = %v, want %v", tt.res.Raw, tt.res.Changed, tt.res.Blocked, tt.pol.scope, got, tt.want)
		}
	}
}

func TestMayHaveKey(t *testing.T) {
	tests := []struct {
		params string
		want   bool
	}{
		{`{"name":"s__t","arguments":{"q":"x"}}`, false},
		{`{"name":"s__t","arguments":{"q":"task"}}`, true}, // a value: Lookup decides
		{`{"name":"s__t","task":{}}`, true},
		{`{"name":"s__t","TASK":{}}`, true},
		{`{"name":"s__t","InputResponses":{}}`, true},
		{`{"name":"s__t","requeststate":"x"}`, true},
		{`{"name":"s__t","tasks":{}}`, false},
		{`{"name":"s__t","arguments":{"q":"a\nb"}}`, true},
		{`{"name":"`, false},
		{`"`, false},
	}
	for _, tt := range tests {
		if got := mayHaveKey([]byte(tt.params), paramKeys); got != tt.want {
			t.Errorf("mayHaveKey(%s) = %t, want %t", tt.params, got, tt.want)
		}
	}
	// Whatever the prefilter says, the decision is Lookup's.
	for _, p := range []string{`{"name":"s__t","arguments":{"q":"task"}}`, `{"name":"s__t","tasks":{}}`} {
		if uncacheableParams([]byte(p)) {
			t.Errorf("uncacheableParams(%s) = true", p)
		}
	}
	for _, p := range []string{`{"name":"s__t","Task":{}}`, `{"name":"s__t","t\u0061sk":{}}`, `{"name":"s__t","task":null}`, `[]`} {
		if !uncacheableParams([]byte(p)) {
			t.Errorf("uncacheableParams(%s) = false", p)
		}
	}
}
