package policy

import (
	"fmt"
	"testing"
)

// TestNoAllocations checks that decisions without conditions and
// visibility checks do not allocate.
func TestNoAllocations(t *testing.T) {
	e := mustEngine(t, exampleConfig)
	off := mustEngine(t, `[]`)
	reqs := map[string]Request{
		"literal allow": {Subject: dev, Name: "everything__get-sum"},
		"glob allow":    {Subject: dev, Name: "github__push"},
		"deny":          {Subject: dev, Name: "github__delete_repo"},
		"scope allow":   {Subject: admin, Kind: Resource, Name: "file:///etc/hosts"},
		"prefix allow":  {Subject: alice, Kind: Prompt, Name: "x"},
		"unconditional deny, conditional policies": {Subject: Subject{Roles: []string{"dev", "ops"}}, Name: "github__delete_x"},
	}
	for name, r := range reqs {
		if n := testing.AllocsPerRun(100, func() { e.Decide(r) }); n != 0 {
			t.Errorf("Decide (%s): %v allocations", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { e.Visible(r.Subject, r.Kind, r.Name) }); n != 0 {
			t.Errorf("Visible (%s): %v allocations", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { off.Decide(r) }); n != 0 {
			t.Errorf("disabled Decide (%s): %v allocations", name, n)
		}
	}
}

// manyPolicies is a larger configuration: 100 role policies of five
// patterns each, a few denies for everyone and a scope policy.
func manyPolicies(b testing.TB) *Engine {
	var ps []Policy
	for i := range 100 {
		ps = append(ps, Policy{
			Roles: []string{fmt.Sprintf("team%d", i)},
			Allow: []string{fmt.Sprintf("srv%d__*", i), fmt.Sprintf("shared__tool%d", i), "prompts:team*", fmt.Sprintf("resources:file:///srv/team%d/*", i), "common__read_?"},
			Deny:  []string{fmt.Sprintf("srv%d__delete_*", i)},
		})
	}
	ps = append(ps,
		Policy{Deny: []string{"*__shutdown", "tools:*_admin"}},
		Policy{Scopes: []string{"admin"}, Allow: []string{"*"}},
	)
	e, err := New(ps)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func BenchmarkDecide(b *testing.B) {
	e := mustEngine(b, exampleConfig)
	big := manyPolicies(b)
	team := Subject{Principal: "p", Roles: []string{"team3", "team50", "team97"}}
	cases := []struct {
		name string
		e    *Engine
		r    Request
	}{
		{"off", mustEngine(b, `[]`), Request{Subject: dev, Name: "github__push"}},
		{"example/literal-allow", e, Request{Subject: dev, Name: "everything__get-sum"}},
		{"example/glob-allow", e, Request{Subject: dev, Name: "github__push"}},
		{"example/deny", e, Request{Subject: dev, Name: "github__delete_repo"}},
		{"example/no-policy-allows", e, Request{Subject: qa, Name: "github__push"}},
		{"example/scope-allow-resource", e, Request{Subject: admin, Kind: Resource, Name: "file:///srv/docs/a.md"}},
		{"102policies/allow-last-role", big, Request{Subject: team, Name: "srv97__get"}},
		{"102policies/deny", big, Request{Subject: team, Name: "srv50__delete_x"}},
		{"102policies/no-policy-allows", big, Request{Subject: team, Name: "srv1__get"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.e.Decide(c.r)
			}
		})
	}
}

func BenchmarkDecideCEL(b *testing.B) {
	e := mustEngine(b, exampleConfig)
	kube := map[string]any{"namespace": "kube-system"}
	def := map[string]any{"namespace": "default"}
	args := func(m map[string]any) func() (map[string]any, error) {
		return func() (map[string]any, error) { return m, nil }
	}
	cases := []struct {
		name string
		r    Request
	}{
		{"allow-true", Request{Subject: ops, Name: "k8s__get", Args: args(kube)}},
		{"allow-false", Request{Subject: ops, Name: "k8s__get", Args: args(def)}},
		{"deny-true", Request{Subject: ops, Name: "k8s__exec", Args: args(kube)}},
		{"missing-key", Request{Subject: ops, Name: "k8s__get", Args: args(map[string]any{})}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Decide(c.r)
			}
		})
	}
}

// BenchmarkVisible filters a list of 1,000 tools.
func BenchmarkVisible(b *testing.B) {
	tools := make([]string, 1000)
	for i := range tools {
		switch i % 4 {
		case 0:
			tools[i] = fmt.Sprintf("github__tool_%d", i)
		case 1:
			tools[i] = fmt.Sprintf("github__delete_%d", i)
		case 2:
			tools[i] = fmt.Sprintf("k8s__tool_%d", i)
		default:
			tools[i] = fmt.Sprintf("srv%d__tool_%d", i%100, i)
		}
	}
	e := mustEngine(b, exampleConfig)
	big := manyPolicies(b)
	cases := []struct {
		name string
		e    *Engine
		s    Subject
	}{
		{"example/dev", e, dev},
		{"example/ops", e, ops},
		{"example/admin", e, admin},
		{"102policies/3-roles", big, Subject{Principal: "p", Roles: []string{"team3", "team50", "team97"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = 0
				for _, t := range tools {
					if c.e.Visible(c.s, Tool, t) {
						n++
					}
				}
			}
			b.ReportMetric(float64(n), "visible")
		})
	}
}
