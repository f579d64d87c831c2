package validate

import (
	"strings"
	"testing"
)

// TestAnalyzeRejects shows that each PromQL check can fail.
func TestAnalyzeRejects(t *testing.T) {
	catalog := metricCatalog(t)
	for expr, want := range map[string]string{
		`rate(mcp_gateway_call_total[5m])`:                                                              "not exposed",
		`rate(process_cpu_seconds_total[5m])`:                                                           "neither a gateway metric",
		`mcp_gateway_backend_up{tool="x"}`:                                                              `no label "tool"`,
		`sum by (tool) (mcp_gateway_backend_up)`:                                                        `by label "tool"`,
		`mcp_gateway_calls_total{outcome="failed"}`:                                                     `never has the value "failed"`,
		`mcp_gateway_calls_total{outcome=~"ok|timeout"}`:                                                `never has the value "timeout"`,
		`histogram_quantile(0.9, sum by (server) (rate(mcp_gateway_call_duration_seconds_bucket[5m])))`: `"le"`,
		`sum by (server) (rate(mcp_gateway_calls_total[5m])) / sum(rate(mcp_gateway_calls_total[5m]))`:  "nothing would match",
		`mcp_gateway_audit_queued_entries > 1 and on (server) mcp_gateway_backend_up`:                   `on() label "server"`,
		`rate(mcp_gateway_call_duration_seconds_total[5m])`:                                             "not exposed",
		`rate(mcp_gateway_calls_total_bucket[5m])`:                                                      "not exposed",
	} {
		info, err := analyze(catalog, expr)
		if err != nil {
			t.Errorf("%s: parse error %v", expr, err)
			continue
		}
		if !strings.Contains(strings.Join(info.Errs, "\n"), want) {
			t.Errorf("%s: want a problem with %q, got %q", expr, want, info.Errs)
		}
	}
	if _, err := analyze(catalog, `sum(rate(mcp_gateway_calls_total[5m])`); err == nil {
		t.Error("an unbalanced expression parsed")
	}
}

// TestAnalyzeAccepts shows that valid expressions pass, with the labels
// their results carry.
func TestAnalyzeAccepts(t *testing.T) {
	catalog := metricCatalog(t)
	for expr, want := range map[string]string{
		`histogram_quantile(0.95, sum by (server, le) (rate(mcp_gateway_call_duration_seconds_bucket[5m])))`:                                "server",
		`sum by (server) (rate(mcp_gateway_calls_total{outcome="error"}[5m])) / sum by (server) (rate(mcp_gateway_calls_total[5m])) > 0.05`: "server",
		`topk(10, sum by (server, tool) (rate(mcp_gateway_calls_total[5m])))`:                                                               "server,tool",
		`up{job="mcp-gateway"} == 0`: "instance,job",
		`rate(mcp_gateway_call_duration_seconds_sum[5m]) / rate(mcp_gateway_call_duration_seconds_count[5m])`: "instance,job,method,server,tool",
		`count by (version) (mcp_gateway_build_info)`:                                                         "version",
	} {
		info, err := analyze(catalog, expr)
		if err != nil || len(info.Errs) > 0 {
			t.Errorf("%s: %v %v", expr, err, info.Errs)
			continue
		}
		if got := strings.Join(info.Labels.list(), ","); got != want {
			t.Errorf("%s: result labels %s, want %s", expr, got, want)
		}
	}
}

func TestDockerignoreMatcher(t *testing.T) {
	ps := []ignorePattern{}
	for _, line := range []string{"**/*.test", "/mcp-gateway", ".git", "docs", "!docs/keep.md"} {
		ps = append(ps, compileIgnore(line))
	}
	for path, want := range map[string]bool{
		"a.test": true, "x/y/a.test": true, "mcp-gateway": true, "cmd/mcp-gateway/main.go": false,
		".git/HEAD": true, "docs/a.md": true, "docs/keep.md": false, "go.mod": false,
	} {
		if got := ignored(ps, path); got != want {
			t.Errorf("ignored(%s) = %v, want %v", path, got, want)
		}
	}
}
