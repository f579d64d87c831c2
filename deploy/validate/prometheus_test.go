package validate

import (
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

var alertsPath = filepath.Join(deployDir, "prometheus", "alerts.yml")

// severities are the values of the severity label the rules may use.
var severities = []string{"critical", "warning", "info"}

// TestPrometheusRules parses the rule file as Prometheus does (strict
// YAML, PromQL, templates), then checks every expression against the
// gateway's metrics and every alert's labels and annotations.
func TestPrometheusRules(t *testing.T) {
	catalog := metricCatalog(t)
	groups, errs := rulefmt.ParseFile(alertsPath, false, model.LegacyValidation, promParser, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("rulefmt: %v", err)
	}
	if groups == nil {
		t.FailNow()
	}
	anchors := docAnchors(t)
	names := map[string]bool{}
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			id := r.Alert
			if id == "" {
				id = "record " + r.Record
			}
			if r.Alert != "" {
				alerts++
				if names[r.Alert] {
					t.Errorf("alert %s is defined twice", r.Alert)
				}
				names[r.Alert] = true
				if sev := r.Labels["severity"]; !slices.Contains(severities, sev) {
					t.Errorf("alert %s: severity label %q is not one of %v", r.Alert, sev, severities)
				}
				for _, k := range []string{"summary", "description", "runbook_url"} {
					if strings.TrimSpace(r.Annotations[k]) == "" {
						t.Errorf("alert %s: annotation %s is missing", r.Alert, k)
					}
				}
				if u := r.Annotations["runbook_url"]; u != "" {
					file, anchor, _ := strings.Cut(u, "#")
					if file != "docs/deployment.md" || !anchors[anchor] {
						t.Errorf("alert %s: runbook_url %q is not a heading of docs/deployment.md", r.Alert, u)
					}
				}
			}
			info, err := analyze(catalog, r.Expr)
			if err != nil {
				t.Errorf("%s: %v", id, err)
				continue
			}
			for _, e := range info.Errs {
				t.Errorf("%s: %s", id, e)
			}
			if !slices.ContainsFunc(info.Metrics, func(m string) bool { return strings.HasPrefix(m, "mcp_gateway_") || m == "up" }) {
				t.Errorf("%s: uses no gateway metric", id)
			}
			for k, v := range r.Annotations {
				for _, l := range templateLabels(v) {
					if !info.Labels.names[l] {
						t.Errorf("%s: annotation %s reads $labels.%s, but the expression's series carry only %v", id, k, l, info.Labels.list())
					}
				}
			}
		}
	}
	if alerts == 0 {
		t.Error("the rule file defines no alerts")
	}
}
