package cache

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

// result1KiB is a tool result of about 1 KiB.
var result1KiB = func() []byte {
	raw, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": strings.Repeat("The deployment finished; 3 of 3 replicas are healthy. ", 19)}}})
	return raw
}()

func benchPlugin(b *testing.B, section string) plugin.Next {
	p := newPlugin(b, section)
	final := func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return &plugin.Result{Raw: result1KiB}, nil
	}
	return plugin.Chain([]plugin.Handler{p}, final)
}

var benchSession = &plugin.Session{ID: "s1", Identity: plugin.Identity{Principal: "alice"}}

const benchParams = `{"name":"s__hinted","arguments":{"query":"deployment status of api-gateway","path":"/srv/app/releases","limit":10}}`

// BenchmarkHit1KiB: a call answered from the memory store.
func BenchmarkHit1KiB(b *testing.B) {
	chain := benchPlugin(b, "")
	params := []byte(benchParams)
	chain(context.Background(), &plugin.Call{Method: "tools/call", Params: params, Server: "s", Name: "s__hinted", Session: benchSession})
	b.SetBytes(int64(len(result1KiB)))
	b.ReportAllocs()
	for b.Loop() {
		c := &plugin.Call{Method: "tools/call", Params: params, Server: "s", Name: "s__hinted", Session: benchSession}
		res, err := chain(context.Background(), c)
		if err != nil || !res.Cached {
			b.Fatal("not a hit", err)
		}
	}
}

// BenchmarkMiss1KiB: a cacheable call with new arguments each time: the
// key, the lookup, the backend (a function here), the checks of the
// result and the store (with evictions once the store is full).
func BenchmarkMiss1KiB(b *testing.B) {
	chain := benchPlugin(b, `{"maxBytes": "1MiB"}`)
	prefix := `{"name":"s__hinted","arguments":{"query":"deployment status of api-gateway","path":"/srv/app/releases","n":`
	params := make([]byte, 0, len(prefix)+32)
	b.SetBytes(int64(len(result1KiB)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		params = append(strconv.AppendInt(append(params[:0], prefix...), int64(n), 10), "}}"...)
		c := &plugin.Call{Method: "tools/call", Params: params, Server: "s", Name: "s__hinted", Session: benchSession}
		res, err := chain(context.Background(), c)
		if err != nil || res.Cached {
			b.Fatal("not a miss", err)
		}
	}
}

// BenchmarkUncached1KiB: a call of a tool the cache leaves alone, for
// comparison: what the plugin costs a call it does not cache.
func BenchmarkUncached1KiB(b *testing.B) {
	chain := benchPlugin(b, "")
	params := []byte(`{"name":"s__plain","arguments":{"query":"deployment status of api-gateway","path":"/srv/app/releases","limit":10}}`)
	b.ReportAllocs()
	for b.Loop() {
		c := &plugin.Call{Method: "tools/call", Params: params, Server: "s", Name: "s__plain", Session: benchSession}
		if res, err := chain(context.Background(), c); err != nil || res.Cached {
			b.Fatal(err)
		}
	}
}
