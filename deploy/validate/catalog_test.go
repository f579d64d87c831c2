package validate

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/metrics"
)

// metricDoc is one metric as metrics/names.go documents it.
type metricDoc struct {
	Name   string
	Type   string // counter, gauge, histogram
	Labels []string
}

// targetLabels are attached by Prometheus to every scraped series.
var targetLabels = []string{"job", "instance"}

// otherMetrics are the series outside mcp_gateway_* that the rules and the
// dashboard may use, with their labels (besides the target labels).
var otherMetrics = map[string][]string{
	"up": nil, // written by Prometheus for every target
}

var (
	catalogOnce sync.Once
	catalogDocs map[string]metricDoc
	catalogErr  error
)

// docComment matches the type and label list of a metric's comment in
// names.go: "counter{server,tool}" or "gauge".
var docComment = regexp.MustCompile(`^(counter|gauge|histogram)(?:\{([a-z_,]*)\})?$`)

// metricCatalog reads metrics/names.go: every const with its trailing
// comment. It fails when a name of metrics.Names() has no documented type.
func metricCatalog(t *testing.T) map[string]metricDoc {
	t.Helper()
	catalogOnce.Do(func() { catalogDocs, catalogErr = parseNames(filepath.Join(repoRoot, "metrics", "names.go")) })
	if catalogErr != nil {
		t.Fatal(catalogErr)
	}
	return catalogDocs
}

func parseNames(path string) (map[string]metricDoc, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]metricDoc{}
	var errs []string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			name, _ := strconv.Unquote(lit.Value)
			if !strings.HasPrefix(name, "mcp_gateway_") {
				continue
			}
			comment := ""
			if vs.Comment != nil {
				comment = strings.TrimSpace(vs.Comment.Text())
			}
			m := docComment.FindStringSubmatch(comment)
			if m == nil {
				errs = append(errs, fmt.Sprintf("%s: %s: comment %q is not \"type{label,...}\"", fset.Position(vs.Pos()), name, comment))
				continue
			}
			d := metricDoc{Name: name, Type: m[1]}
			if m[2] != "" {
				d.Labels = strings.Split(m[2], ",")
			}
			docs[name] = d
		}
	}
	for _, n := range metrics.Names() {
		if _, ok := docs[n]; !ok {
			errs = append(errs, fmt.Sprintf("metrics.Names() has %s, which names.go does not document as a const with a type comment", n))
		}
	}
	for n := range docs {
		if !slices.Contains(metrics.Names(), n) {
			errs = append(errs, fmt.Sprintf("names.go documents %s, which metrics.Names() does not return", n))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("metrics/names.go: %s", strings.Join(errs, "; "))
	}
	return docs, nil
}

// seriesLabels resolves a series name used in PromQL to the labels it
// carries (target labels included). Histogram base names take the
// _bucket, _sum and _count suffixes; _bucket adds "le".
func seriesLabels(catalog map[string]metricDoc, name string) ([]string, bool) {
	if d, ok := catalog[name]; ok && d.Type != "histogram" {
		return append(slices.Clone(d.Labels), targetLabels...), true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		if d, ok := catalog[base]; ok && d.Type == "histogram" {
			l := append(slices.Clone(d.Labels), targetLabels...)
			if suffix == "_bucket" {
				l = append(l, "le")
			}
			return l, true
		}
	}
	if l, ok := otherMetrics[name]; ok {
		return append(slices.Clone(l), targetLabels...), true
	}
	return nil, false
}

// knownLabelValues are the values a label can take, where the gateway
// bounds them; matchers on these labels are checked.
func knownLabelValues() map[string][]string {
	var outcomes []string
	for _, s := range audit.Statuses {
		outcomes = append(outcomes, string(s))
	}
	return map[string][]string{"outcome": outcomes, "direction": {"in", "out"}}
}

func TestMetricCatalog(t *testing.T) {
	catalog := metricCatalog(t)
	if len(catalog) == 0 {
		t.Fatal("no metrics found in metrics/names.go")
	}
	for _, n := range metrics.Names() {
		if !strings.HasPrefix(n, "mcp_gateway_") {
			t.Errorf("metric %s lacks the mcp_gateway_ prefix", n)
		}
	}
}

// TestMetricCatalogMatchesRegistry registers the gateway's real collectors,
// records one of everything and compares what the registry exposes with
// names.go's comments: same names, types and label names.
func TestMetricCatalogMatchesRegistry(t *testing.T) {
	catalog := metricCatalog(t)
	m := metrics.New("v0.0.0-validate", "http", []string{"docs"}, metrics.Source{
		Catalogued:   func(method, server, name string) bool { return true },
		Servers:      func() []metrics.Server { return []metrics.Server{{Name: "docs", Up: true}} },
		Sessions:     func() int { return 1 },
		CatalogItems: func() map[string]int { return map[string]int{"tools": 1} },
		Audit:        fakeAudit{},
		Cache:        func() metrics.CacheStats { return metrics.CacheStats{Hits: 1, Misses: 1, Entries: 1, Bytes: 1} },
	})
	m.CallDone(context.Background(), &audit.Record{Method: "tools/call", Server: "docs", Name: "docs__search",
		Status: audit.StatusOK, Duration: time.Millisecond, BytesIn: 10, BytesOut: 20})
	m.CallDone(context.Background(), &audit.Record{Method: "tools/call", Server: "docs", Name: "docs__search", Status: audit.StatusDenied})
	m.CallDone(context.Background(), &audit.Record{Method: "tools/call", Server: "docs", Name: "docs__search", Status: audit.StatusRateLimited})
	m.Finding("basic", "github-pat", "masked", 1)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		name := f.GetName()
		if !strings.HasPrefix(name, "mcp_gateway_") {
			continue
		}
		seen[name] = true
		d, ok := catalog[name]
		if !ok {
			t.Errorf("the registry exposes %s, which metrics/names.go does not document", name)
			continue
		}
		typ := strings.ToLower(f.GetType().String())
		if typ != d.Type {
			t.Errorf("%s: registry type %s, names.go says %s", name, typ, d.Type)
		}
		for _, s := range f.GetMetric() {
			var got []string
			for _, lp := range s.GetLabel() {
				got = append(got, lp.GetName())
			}
			sort.Strings(got)
			want := slices.Sorted(slices.Values(d.Labels))
			if !slices.Equal(got, want) {
				t.Errorf("%s: registry labels %v, names.go says %v", name, got, want)
			}
			checkLabelValues(t, name, s)
		}
	}
	for _, n := range metrics.Names() {
		if !seen[n] {
			t.Errorf("metrics.Names() has %s, but the registry exposed no series of it after recording one of everything", n)
		}
	}
}

func checkLabelValues(t *testing.T, metric string, s *dto.Metric) {
	t.Helper()
	for _, lp := range s.GetLabel() {
		if vals, ok := knownLabelValues()[lp.GetName()]; ok && !slices.Contains(vals, lp.GetValue()) {
			t.Errorf("%s: label %s=%q is not one of %v", metric, lp.GetName(), lp.GetValue(), vals)
		}
	}
}

type fakeAudit struct{}

func (fakeAudit) Queued() int     { return 1 }
func (fakeAudit) Written() int64  { return 1 }
func (fakeAudit) Failures() int64 { return 0 }
