package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var dashboardPath = filepath.Join(deployDir, "grafana", "mcp-gateway.json")

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []target `json:"targets"`
	Panels  []panel  `json:"panels"` // a collapsed row's panels
}

type target struct {
	RefID        string      `json:"refId"`
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat"`
	Datasource   *datasource `json:"datasource"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasource     `json:"datasource"`
	AllValue   string          `json:"allValue"`
}

// grafanaBuiltins are Grafana's own variables, with a value that keeps
// the expression valid PromQL.
var grafanaBuiltins = map[string]string{
	"__rate_interval": "5m", "__interval": "1m", "__range": "1h",
	"__interval_ms": "60000", "__range_s": "3600", "__range_ms": "3600000",
}

const dsVar = "${DS_PROMETHEUS}"

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw := readFile(t, dashboardPath)
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if !json.Valid(raw) {
		t.Fatalf("%s is not valid JSON", dashboardPath)
	}
	return d
}

// templateVar matches $name, ${name}, ${name:format} and [[name]].
var templateVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]`)

// substitute replaces dashboard and built-in variables with values that
// make the expression plain PromQL; it reports variables that are defined
// nowhere.
func substitute(expr string, vars map[string]string) (string, []string) {
	var unknown []string
	out := templateVar.ReplaceAllStringFunc(expr, func(m string) string {
		sm := templateVar.FindStringSubmatch(m)
		name := sm[1] + sm[2] + sm[3]
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := grafanaBuiltins[name]; ok {
			return v
		}
		unknown = append(unknown, name)
		return m
	})
	return out, unknown
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

var legendLabel = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

func TestGrafanaDashboard(t *testing.T) {
	catalog := metricCatalog(t)
	d := loadDashboard(t)
	if d.SchemaVersion != 39 {
		t.Errorf("schemaVersion is %d, want 39", d.SchemaVersion)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}

	// Variables: the data source and the server list.
	vars := map[string]string{}
	byName := map[string]variable{}
	for _, v := range d.Templating.List {
		byName[v.Name] = v
		vars[v.Name] = "placeholder"
	}
	if v, ok := byName["DS_PROMETHEUS"]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("templating needs a variable DS_PROMETHEUS of type datasource with query \"prometheus\"; got %+v", v)
	}
	srv, ok := byName["server"]
	if !ok {
		t.Error("templating has no variable server")
	} else {
		if srv.Type != "query" || srv.Datasource == nil || srv.Datasource.UID != dsVar {
			t.Errorf("variable server must be a query on %s, got type %q datasource %+v", dsVar, srv.Type, srv.Datasource)
		}
		q := variableQuery(srv.Query)
		for _, s := range []string{q, srv.Definition} {
			if s != "label_values(mcp_gateway_calls_total, server)" {
				t.Errorf("variable server: query/definition %q, want label_values(mcp_gateway_calls_total, server)", s)
			}
		}
		checkLabelValuesQuery(t, catalog, q)
		vars["server"] = ".*" // what "All" (allValue) sends
		if srv.AllValue != "" {
			vars["server"] = srv.AllValue
		}
	}

	ids := map[int]string{}
	used := map[string]bool{}
	panels := flatten(d.Panels)
	if len(panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range panels {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: id must be a positive number", name)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id %d is also the id of %q", name, p.ID, other)
		}
		ids[p.ID] = p.Title
		if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("%s: gridPos missing or outside the 24-column grid: %+v", name, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsVar {
			t.Errorf("%s: datasource must be {\"uid\": %q}, got %+v", name, dsVar, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no targets", name)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			tname := fmt.Sprintf("%s target %s", name, tg.RefID)
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: refId empty or not unique in the panel", tname)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && tg.Datasource.UID != dsVar {
				t.Errorf("%s: datasource %+v, want uid %q", tname, tg.Datasource, dsVar)
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: empty expr", tname)
				continue
			}
			expr, unknown := substitute(tg.Expr, vars)
			for _, u := range unknown {
				t.Errorf("%s: variable $%s is not defined by the dashboard", tname, u)
			}
			info, err := analyze(catalog, expr)
			if err != nil {
				t.Errorf("%s: %q does not parse as PromQL: %v", tname, expr, err)
				continue
			}
			for _, e := range info.Errs {
				t.Errorf("%s: %s", tname, e)
			}
			for _, m := range info.Metrics {
				used[m] = true
			}
			for _, m := range legendLabel.FindAllStringSubmatch(tg.LegendFormat, -1) {
				if !info.Labels.names[m[1]] {
					t.Errorf("%s: legend uses {{%s}}, but the series carry only %v", tname, m[1], info.Labels.list())
				}
			}
		}
	}
	checkOverlap(t, panels)
	// Every metric the gateway exposes is on the dashboard.
	for name, doc := range catalog {
		found := used[name]
		if doc.Type == "histogram" {
			found = used[name+"_bucket"] || used[name+"_sum"] || used[name+"_count"]
		}
		if !found {
			t.Errorf("no panel shows %s", name)
		}
	}
}

func variableQuery(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	json.Unmarshal(raw, &o)
	return o.Query
}

var labelValuesCall = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)

func checkLabelValuesQuery(t *testing.T, catalog map[string]metricDoc, q string) {
	t.Helper()
	m := labelValuesCall.FindStringSubmatch(q)
	if m == nil {
		t.Errorf("variable query %q is not label_values(metric, label)", q)
		return
	}
	labels, ok := seriesLabels(catalog, m[1])
	if !ok {
		t.Errorf("variable query %q: metric %s is not exposed by the gateway", q, m[1])
	} else if !slices.Contains(labels, m[2]) {
		t.Errorf("variable query %q: %s has no label %s (labels: %v)", q, m[1], m[2], labels)
	}
}

// checkOverlap reports panels whose grid areas overlap.
func checkOverlap(t *testing.T, ps []panel) {
	t.Helper()
	for i, a := range ps {
		for _, b := range ps[i+1:] {
			if a.GridPos == nil || b.GridPos == nil {
				continue
			}
			A, B := a.GridPos, b.GridPos
			if A.X < B.X+B.W && B.X < A.X+A.W && A.Y < B.Y+B.H && B.Y < A.Y+A.H {
				t.Errorf("panels %d %q and %d %q overlap", a.ID, a.Title, b.ID, b.Title)
			}
		}
	}
}
