package all

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

// typicalText is ordinary tool output: prose, a JSON-ish line, a log line
// and a path, without anything to mask.
const typicalText = "The deployment of service api-gateway finished in 42.7 s; 3 of 3 replicas are healthy.\n" +
	"{\"status\": \"ok\", \"items\": 17, \"next\": \"page-2\", \"updated\": \"2026-11-30T10:15:00Z\"}\n" +
	"2026-11-30 10:15:01 INFO worker-7 processed batch 1842 (512 records) from queue orders\n" +
	"See /srv/app/releases/v2.14.3/CHANGELOG.md for the full list of changes in this release.\n"

func resultOf(size int) []byte {
	text := strings.Repeat(typicalText, size/len(typicalText)+1)[:size]
	raw, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": text}}})
	return raw
}

// benchChain measures the plugin chain on one tools/call whose result is
// a text of size bytes; the backend is a function returning it, so the
// time is the plugins' own.
func benchChain(b *testing.B, plugins []string, size int) {
	hs, err := plugin.Build(plugins, nil, plugin.Env{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	raw := resultOf(size)
	final := func(context.Context, *plugin.Call) (*plugin.Result, error) { return &plugin.Result{Raw: raw}, nil }
	chain := plugin.Chain(hs, final)
	params := []byte(`{"name":"s__t","arguments":{"path":"/srv/app/releases","query":"deployment status of api-gateway"}}`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		c := &plugin.Call{Method: "tools/call", Params: params, Server: "s", Name: "s__t"}
		res, err := chain(context.Background(), c)
		if err != nil || res.Changed {
			b.Fatalf("typical text was changed or refused: %v", err)
		}
	}
}

var contentPlugins = []string{"basic", "presidio", "injection"}

func BenchmarkChain1KiB(b *testing.B)      { benchChain(b, contentPlugins, 1<<10) }
func BenchmarkChain64KiB(b *testing.B)     { benchChain(b, contentPlugins, 64<<10) }
func BenchmarkChain1MiB(b *testing.B)      { benchChain(b, contentPlugins, 1<<20) }
func BenchmarkSecretsPII1MiB(b *testing.B) { benchChain(b, []string{"basic", "presidio"}, 1<<20) }
func BenchmarkNoPlugins1KiB(b *testing.B)  { benchChain(b, nil, 1<<10) }

func BenchmarkEach64KiB(b *testing.B) {
	for _, p := range contentPlugins {
		b.Run(p, func(b *testing.B) { benchChain(b, []string{p}, 64<<10) })
	}
}
