package validate

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promParser parses PromQL as Prometheus does by default (no
// experimental functions).
var promParser = parser.NewParser(parser.Options{})

// labelSet is the set of label names the series of an expression carry;
// scalar marks an expression without labels of its own (a number).
type labelSet struct {
	scalar bool
	names  map[string]bool
}

func newSet(names ...string) labelSet {
	s := labelSet{names: map[string]bool{}}
	for _, n := range names {
		s.names[n] = true
	}
	return s
}

func (s labelSet) list() []string {
	var l []string
	for n := range s.names {
		l = append(l, n)
	}
	sort.Strings(l)
	return l
}

func (s labelSet) without(names ...string) labelSet {
	out := newSet()
	for n := range s.names {
		if !slices.Contains(names, n) {
			out.names[n] = true
		}
	}
	return out
}

func (s labelSet) equal(o labelSet) bool { return slices.Equal(s.list(), o.list()) }

// exprInfo is what the analysis of one PromQL expression found.
type exprInfo struct {
	Labels  labelSet // the labels of the result's series
	Metrics []string // the series names selected
	Errs    []string // problems: unknown metrics, labels that are not there, matchings that cannot match
}

// analyze parses expr and checks it against the gateway's metric catalog:
// every selected series must be one the gateway (or Prometheus) exposes,
// every label used in a matcher, a by/without clause, on/ignoring or a
// function argument must be carried by the series it applies to, matcher
// values of bounded labels (outcome, direction) must be values the
// gateway writes, and vector matchings must be able to match.
func analyze(catalog map[string]metricDoc, expr string) (exprInfo, error) {
	e, err := promParser.ParseExpr(expr)
	if err != nil {
		return exprInfo{}, err
	}
	a := &analyzer{catalog: catalog, values: knownLabelValues()}
	set := a.labels(e)
	return exprInfo{Labels: set, Metrics: a.metrics, Errs: a.errs}, nil
}

type analyzer struct {
	catalog map[string]metricDoc
	values  map[string][]string
	metrics []string
	errs    []string
}

func (a *analyzer) fail(n parser.Node, format string, args ...any) {
	a.errs = append(a.errs, fmt.Sprintf("%s: %s", n, fmt.Sprintf(format, args...)))
}

func (a *analyzer) need(n parser.Node, s labelSet, what string, names ...string) {
	for _, l := range names {
		if !s.names[l] {
			a.fail(n, "%s label %q is not among the labels %v of its operand", what, l, s.list())
		}
	}
}

func (a *analyzer) labels(e parser.Expr) labelSet {
	switch n := e.(type) {
	case *parser.NumberLiteral, *parser.StringLiteral, *parser.DurationExpr:
		return labelSet{scalar: true}
	case *parser.ParenExpr:
		return a.labels(n.Expr)
	case *parser.UnaryExpr:
		return a.labels(n.Expr)
	case *parser.StepInvariantExpr:
		return a.labels(n.Expr)
	case *parser.MatrixSelector:
		return a.labels(n.VectorSelector)
	case *parser.SubqueryExpr:
		return a.labels(n.Expr)
	case *parser.VectorSelector:
		return a.selector(n)
	case *parser.AggregateExpr:
		return a.aggregate(n)
	case *parser.BinaryExpr:
		return a.binary(n)
	case *parser.Call:
		return a.call(n)
	}
	a.fail(e, "expression of type %T is not analysed", e)
	return newSet()
}

func (a *analyzer) selector(n *parser.VectorSelector) labelSet {
	name := n.Name
	for _, m := range n.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			name = m.Value
		}
	}
	if name == "" {
		a.fail(n, "the selector names no metric")
		return newSet()
	}
	a.metrics = append(a.metrics, name)
	ls, ok := seriesLabels(a.catalog, name)
	if !ok {
		if strings.HasPrefix(name, "mcp_gateway_") {
			a.fail(n, "metric %s is not exposed by the gateway (metrics.Names(); histograms add _bucket, _sum and _count)", name)
		} else {
			a.fail(n, "metric %s is neither a gateway metric nor one of %v", name, slices.Sorted(mapKeys(otherMetrics)))
		}
		return newSet()
	}
	set := newSet(ls...)
	for _, m := range n.LabelMatchers {
		if m.Name == labels.MetricName {
			continue
		}
		if !set.names[m.Name] {
			a.fail(n, "%s has no label %q (its labels: %v)", name, m.Name, set.list())
			continue
		}
		a.matcherValues(n, m)
	}
	return set
}

// plainAlternatives are regex values made of literal alternatives only.
var plainAlternatives = regexp.MustCompile(`^[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*$`)

func (a *analyzer) matcherValues(n parser.Node, m *labels.Matcher) {
	vals, ok := a.values[m.Name]
	if !ok {
		return
	}
	var lits []string
	switch m.Type {
	case labels.MatchEqual, labels.MatchNotEqual:
		lits = []string{m.Value}
	default:
		if plainAlternatives.MatchString(m.Value) {
			lits = strings.Split(m.Value, "|")
		}
	}
	for _, v := range lits {
		if !slices.Contains(vals, v) {
			a.fail(n, "label %s never has the value %q (values: %v)", m.Name, v, vals)
		}
	}
}

func (a *analyzer) aggregate(n *parser.AggregateExpr) labelSet {
	if n.Param != nil {
		a.labels(n.Param)
	}
	inner := a.labels(n.Expr)
	if n.Without {
		a.need(n, inner, "without", n.Grouping...)
		return inner.without(n.Grouping...)
	}
	a.need(n, inner, "by", n.Grouping...)
	switch n.Op {
	case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
		return inner // they select series and keep their labels
	case parser.COUNT_VALUES:
		out := newSet(n.Grouping...)
		if s, ok := n.Param.(*parser.StringLiteral); ok {
			out.names[s.Val] = true
		}
		return out
	}
	return newSet(n.Grouping...)
}

func (a *analyzer) binary(n *parser.BinaryExpr) labelSet {
	lhs, rhs := a.labels(n.LHS), a.labels(n.RHS)
	switch {
	case lhs.scalar && rhs.scalar:
		return labelSet{scalar: true}
	case lhs.scalar:
		return rhs
	case rhs.scalar:
		return lhs
	}
	vm := n.VectorMatching
	if vm == nil {
		vm = &parser.VectorMatching{Card: parser.CardOneToOne}
	}
	if vm.On {
		a.need(n, lhs, "on()", vm.MatchingLabels...)
		a.need(n, rhs, "on()", vm.MatchingLabels...)
	}
	// sig is what the two sides are matched on.
	sig := func(s labelSet) labelSet {
		if vm.On {
			return newSet(vm.MatchingLabels...)
		}
		return s.without(vm.MatchingLabels...)
	}
	switch {
	case n.Op == parser.LOR:
		out := newSet(lhs.list()...)
		for l := range rhs.names {
			out.names[l] = true
		}
		return out
	case n.Op.IsSetOperator():
		if !sig(lhs).equal(sig(rhs)) {
			a.fail(n, "%s matches series with the same labels, but the left side has %v and the right side %v: nothing would match", n.Op, sig(lhs).list(), sig(rhs).list())
		}
		return lhs
	case vm.Card == parser.CardOneToOne:
		if !sig(lhs).equal(sig(rhs)) {
			a.fail(n, "one-to-one matching on %v (left) and %v (right): nothing would match; aggregate both sides to the same labels or use on()/ignoring()", sig(lhs).list(), sig(rhs).list())
		}
		if vm.On {
			return newSet(vm.MatchingLabels...)
		}
		return lhs.without(vm.MatchingLabels...)
	case vm.Card == parser.CardManyToOne, vm.Card == parser.CardOneToMany:
		many, one := lhs, rhs
		if vm.Card == parser.CardOneToMany {
			many, one = rhs, lhs
		}
		a.need(n, one, "group_left/group_right", vm.Include...)
		out := newSet(many.list()...)
		for _, l := range vm.Include {
			out.names[l] = true
		}
		return out
	}
	return lhs
}

func (a *analyzer) call(n *parser.Call) labelSet {
	args := make([]labelSet, len(n.Args))
	for i, arg := range n.Args {
		args[i] = a.labels(arg)
	}
	str := func(i int) string {
		if i < len(n.Args) {
			if s, ok := n.Args[i].(*parser.StringLiteral); ok {
				return s.Val
			}
		}
		return ""
	}
	switch n.Func.Name {
	case "histogram_quantile", "histogram_fraction":
		v := args[len(args)-1]
		a.need(n, v, "histogram_quantile needs the bucket", "le")
		return v.without("le")
	case "label_replace":
		out := newSet(args[0].list()...)
		if src := str(3); src != "" {
			a.need(n, args[0], "label_replace source", src)
		}
		out.names[str(1)] = true
		return out
	case "label_join":
		out := newSet(args[0].list()...)
		for i := 3; i < len(n.Args); i++ {
			a.need(n, args[0], "label_join source", str(i))
		}
		out.names[str(1)] = true
		return out
	case "absent", "absent_over_time":
		out := newSet()
		parser.Inspect(n.Args[0], func(node parser.Node, _ []parser.Node) error {
			if vs, ok := node.(*parser.VectorSelector); ok {
				for _, m := range vs.LabelMatchers {
					if m.Type == labels.MatchEqual && m.Name != labels.MetricName {
						out.names[m.Name] = true
					}
				}
			}
			return nil
		})
		return out
	}
	if n.Func.ReturnType == parser.ValueTypeScalar {
		return labelSet{scalar: true}
	}
	for i, arg := range n.Args {
		if t := arg.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
			return args[i]
		}
	}
	return newSet() // vector(s), time-based functions without a vector argument
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// templateLabels returns the labels a Go template (an alert annotation)
// reads from $labels.
var templateLabelRefs = regexp.MustCompile(`\$labels\.([A-Za-z_][A-Za-z0-9_]*)|index \$labels "([^"]+)"`)

func templateLabels(s string) []string {
	var out []string
	for _, m := range templateLabelRefs.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}
