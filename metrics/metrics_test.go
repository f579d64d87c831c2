package metrics_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/metrics"
)

func newMetrics() *metrics.Metrics {
	return metrics.New("1.2.3", "http", []string{"k"}, metrics.Source{
		Catalogued: func(method, server, name string) bool { return server == "k" && name == "k__echo" },
		Servers:    func() []metrics.Server { return []metrics.Server{{Name: "k", Up: true, Restarts: 2, Inflight: 1}} },
		Sessions:   func() int { return 3 },
		Cache: func() metrics.CacheStats {
			return metrics.CacheStats{Hits: 7, Misses: 5, Coalesced: 2, Evictions: 1, Entries: 4, Bytes: 4096}
		},
	})
}

// The cache's counters: misses answered by the backend and coalesced ones
// apart.
func TestCacheMetrics(t *testing.T) {
	m := newMetrics()
	want := `
# HELP mcp_gateway_cache_lookups_total Response cache lookups of cacheable calls, by result: hit, miss (answered by the backend) or coalesced (a miss that waited for an identical call in flight).
# TYPE mcp_gateway_cache_lookups_total counter
mcp_gateway_cache_lookups_total{result="coalesced"} 2
mcp_gateway_cache_lookups_total{result="hit"} 7
mcp_gateway_cache_lookups_total{result="miss"} 3
# HELP mcp_gateway_cache_bytes Bytes held by the in-memory response cache.
# TYPE mcp_gateway_cache_bytes gauge
mcp_gateway_cache_bytes 4096
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), metrics.CacheLookupsTotal, metrics.CacheBytes); err != nil {
		t.Error(err)
	}
}

// Labels stay bounded: names outside the catalog, unknown servers and
// unknown methods are "_other".
func TestLabelsAreBounded(t *testing.T) {
	m := newMetrics()
	ctx := context.Background()
	for _, r := range []audit.Record{
		{Method: "tools/call", Server: "k", Name: "k__echo", Status: audit.StatusOK, Duration: time.Millisecond},
		{Method: "tools/call", Server: "k", Name: "k__made-up-by-a-client", Status: audit.StatusError},
		{Method: "tools/call", Server: "ghost", Name: "ghost__x", Status: audit.StatusError},
		{Method: "no/such/method", Status: audit.StatusError},
		{Method: "tools/call", Server: "k", Name: "k__echo", Status: audit.StatusDenied},
	} {
		m.CallDone(ctx, &r)
	}
	want := `
# HELP mcp_gateway_calls_total Client requests handled, by backend server, tool (prompt or resource), method and outcome.
# TYPE mcp_gateway_calls_total counter
mcp_gateway_calls_total{method="_other",outcome="error",server="",tool=""} 1
mcp_gateway_calls_total{method="tools/call",outcome="denied",server="k",tool="k__echo"} 1
mcp_gateway_calls_total{method="tools/call",outcome="error",server="_other",tool="_other"} 1
mcp_gateway_calls_total{method="tools/call",outcome="error",server="k",tool="_other"} 1
mcp_gateway_calls_total{method="tools/call",outcome="ok",server="k",tool="k__echo"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), metrics.CallsTotal); err != nil {
		t.Error(err)
	}
	wantDenials := `
# HELP mcp_gateway_policy_denials_total Calls denied by authorization policy, by backend server.
# TYPE mcp_gateway_policy_denials_total counter
mcp_gateway_policy_denials_total{server="k"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(wantDenials), metrics.PolicyDenialsTotal); err != nil {
		t.Error(err)
	}
}

// TestNamesAndLint: every exported name is registered and promlint finds
// nothing wrong with them.
func TestNamesAndLint(t *testing.T) {
	m := newMetrics()
	m.CallDone(context.Background(), &audit.Record{Method: "tools/call", Server: "k", Name: "k__echo", Status: audit.StatusDenied})
	m.CallDone(context.Background(), &audit.Record{Method: "tools/call", Server: "k", Name: "k__echo", Status: audit.StatusRateLimited})
	m.Finding("basic", "github-pat", "masked", 2)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fams {
		got[f.GetName()] = true
	}
	for _, n := range metrics.Names() {
		if n == metrics.CatalogItems || n == metrics.AuditQueued || n == metrics.AuditWrittenTotal || n == metrics.AuditFailuresTotal {
			continue // need a catalog and an audit writer in the Source
		}
		if !got[n] {
			t.Errorf("%s is not registered", n)
		}
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "mcp_gateway_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
}

// A plugin naming ever new rules cannot grow the findings series past the
// bound.
func TestFindingSeriesAreBounded(t *testing.T) {
	m := newMetrics()
	for i := range 2000 {
		m.Finding("lasso", "rule-"+strconv.Itoa(i), "blocked", 1)
	}
	if n := testutil.CollectAndCount(m.Registry(), metrics.GuardrailFindings); n > 513 {
		t.Errorf("%d finding series, want at most 513", n)
	}
	// 2000 rules, 512 series of their own: the other 1488 are "_other".
	fams, _ := m.Registry().Gather()
	for _, f := range fams {
		if f.GetName() == metrics.GuardrailFindings {
			for _, mt := range f.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "rule" && l.GetValue() == metrics.Other && mt.GetCounter().GetValue() != 1488 {
						t.Errorf("_other counted %v, want 1488", mt.GetCounter().GetValue())
					}
				}
			}
		}
	}
}

// A server a config reload added gets its own label; others stay "_other".
func TestReloadedServerLabel(t *testing.T) {
	m := metrics.New("1.2.3", "http", []string{"k"}, metrics.Source{
		Catalogued: func(method, server, name string) bool { return true },
		Configured: func(server string) bool { return server == "added" },
	})
	ctx := context.Background()
	m.CallDone(ctx, &audit.Record{Method: "tools/call", Server: "added", Name: "added__x", Status: audit.StatusOK})
	m.CallDone(ctx, &audit.Record{Method: "tools/call", Server: "ghost", Name: "ghost__x", Status: audit.StatusOK})
	want := `
# HELP mcp_gateway_calls_total Client requests handled, by backend server, tool (prompt or resource), method and outcome.
# TYPE mcp_gateway_calls_total counter
mcp_gateway_calls_total{method="tools/call",outcome="ok",server="_other",tool="ghost__x"} 1
mcp_gateway_calls_total{method="tools/call",outcome="ok",server="added",tool="added__x"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), metrics.CallsTotal); err != nil {
		t.Error(err)
	}
}
