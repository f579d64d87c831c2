package policy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// exampleConfig is the policies list of the README.
const exampleConfig = `[
  {"roles": ["dev"], "allow": ["everything__get-sum", "github__*"], "deny": ["github__delete_*"]},
  {"roles": ["ops"], "allow": ["k8s__*"], "deny": ["k8s__exec"], "when": "args.namespace == 'kube-system'"},
  {"principals": ["alice"], "allow": ["prompts:*", "resources:file:///srv/docs/*"]},
  {"scopes": ["admin"], "allow": ["*"]}
]`

func TestParseExample(t *testing.T) {
	ps, err := Parse(json.RawMessage(exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := []Policy{
		{Roles: []string{"dev"}, Allow: []string{"everything__get-sum", "github__*"}, Deny: []string{"github__delete_*"}},
		{Roles: []string{"ops"}, Allow: []string{"k8s__*"}, Deny: []string{"k8s__exec"}, When: "args.namespace == 'kube-system'"},
		{Principals: []string{"alice"}, Allow: []string{"prompts:*", "resources:file:///srv/docs/*"}},
		{Scopes: []string{"admin"}, Allow: []string{"*"}},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Fatalf("Parse = %#v\nwant %#v", ps, want)
	}
	// The json tags round-trip.
	out, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out)
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("round trip: %v, %#v", err, again)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, raw := range []string{"", "  ", "null", "[]"} {
		ps, err := Parse(json.RawMessage(raw))
		if err != nil || len(ps) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no policies", raw, ps, err)
		}
		e, err := New(ps)
		if err != nil || e.Enabled() {
			t.Errorf("New(Parse(%q)): %v, enabled %v", raw, err, e.Enabled())
		}
	}
}

func TestParseNullKeys(t *testing.T) {
	ps, err := Parse(json.RawMessage(`[{"roles": null, "allow": ["a"], "deny": null, "when": null}]`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Policy{{Allow: []string{"a"}}}; !reflect.DeepEqual(ps, want) {
		t.Fatalf("got %#v", ps)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want []string // each must appear in the error
	}{
		{`{}`, []string{`gateway.policies: expected a list of policies, got a JSON object`}},
		{`"x"`, []string{`gateway.policies: expected a list of policies, got a JSON string`}},
		{`[{`, []string{`gateway.policies: not valid JSON`}},
		{`[1]`, []string{`gateway.policies[0]: expected an object (a policy), got a JSON number`}},
		{`[{"allow":["a"]}, []]`, []string{`gateway.policies[1]: expected an object (a policy), got a JSON list`}},
		// A policy that does not decode is checked only for its patterns.
		{`[{"role":"ops","allow":["k8s__[a-"]}]`, []string{
			`gateway.policies[0].role: unknown key "role"; did you mean "roles"?`,
			`gateway.policies[0].allow[0]: pattern "k8s__[a-": unterminated '['`}},
		{`[{"alow":["x"]}]`, []string{
			`gateway.policies[0].alow: unknown key "alow"; did you mean "allow"? (valid keys: principals, roles, scopes, allow, deny, when)`}},
		{`[{"role":["dev"],"allow":["x"]}]`, []string{`gateway.policies[0].role: unknown key "role"; did you mean "roles"?`}},
		{`[{"Deny":["x"],"allow":["x"]}]`, []string{`gateway.policies[0].Deny: unknown key "Deny"; did you mean "deny"?`}},
		{`[{"condition":"true","allow":["x"]}]`, []string{`gateway.policies[0].condition: unknown key "condition"; did you mean "when"?`}},
		{`[{"zzzzzz":1,"allow":["x"]}]`, []string{`gateway.policies[0].zzzzzz: unknown key "zzzzzz"; remove it or use a valid key`}},
		{`[{"roles":"dev","allow":["x"]}]`, []string{`gateway.policies[0].roles: expected a list of strings, got a JSON string`}},
		{`[{"roles":["dev",3],"allow":["x"]}]`, []string{`gateway.policies[0].roles[1]: expected a string, got a JSON number`}},
		{`[{"allow":{"a":1}}]`, []string{`gateway.policies[0].allow: expected a list of strings, got a JSON object`}},
		{`[{"deny":[true]}]`, []string{`gateway.policies[0].deny[0]: expected a string, got true or false`}},
		{`[{"when":true,"allow":["x"]}]`, []string{`gateway.policies[0].when: expected a string (a CEL expression), got true or false`}},
		{`[{"when":"  ","allow":["x"]}]`, []string{`gateway.policies[0].when: blank expression`}},
		{`[{"roles":["dev"]}]`, []string{`gateway.policies[0]: the policy neither allows nor denies anything; add allow or deny patterns, or remove it`}},
		{`[{"allow":[], "deny":[]}]`, []string{`gateway.policies[0]: the policy neither allows nor denies anything`}},
		{`[{"roles":[],"allow":["x"]}]`, []string{`gateway.policies[0].roles: an empty list selects nobody`}},
		{`[{"principals":["a",""],"allow":["x"]}]`, []string{`gateway.policies[0].principals[1]: empty string; name a principal`}},
		{`[{"scopes":[""],"allow":["x"]}]`, []string{`gateway.policies[0].scopes[0]: empty string; name a scope`}},
		{`[{"allow":["x"],"allow":["y"]}]`, []string{`gateway.policies[0].allow: duplicate key`}},
		{`[{"allow":["a["]}]`, []string{`gateway.policies[0].allow[0]: pattern "a[": unterminated '['`}},
		{`[{"allow":["ok"]},{"deny":["ok","tool:x"]}]`, []string{`gateway.policies[1].deny[1]: pattern "tool:x": the kind prefix is "tools:", not "tool:"`}},
		{`[{"allow":[""]}]`, []string{`gateway.policies[0].allow[0]: empty pattern`}},
		{`[{"allow":["prompts:"]}]`, []string{`gateway.policies[0].allow[0]: pattern "prompts:": nothing after the kind prefix; use "prompts:*"`}},
		// Every problem is reported, not only the first.
		{`[{"roles":[1],"allow":["x"]},{"allow":["[z-a]"]},{"scopes":"admin"}]`, []string{
			`gateway.policies[0].roles[0]: expected a string`,
			`gateway.policies[1].allow[0]: pattern "[z-a]": character range 'z'-'a' is reversed`,
			`gateway.policies[2].scopes: expected a list of strings`}},
	}
	for _, tt := range tests {
		ps, err := Parse(json.RawMessage(tt.raw))
		if err == nil {
			t.Errorf("Parse(%s) = %#v, want an error", tt.raw, ps)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse(%s) error:\n%v\nwant it to contain:\n%s", tt.raw, err, w)
			}
		}
		if got, want := strings.Count(err.Error(), "\n")+1, len(tt.want); got != want {
			t.Errorf("Parse(%s) reported %d problems, want %d:\n%v", tt.raw, got, want, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	long := "principal == '" + strings.Repeat("x", MaxConditionLength) + "'"
	tests := []struct {
		ps   []Policy
		want []string
	}{
		{[]Policy{{Allow: []string{"a"}}, {Allow: []string{"b"}, When: "args.namespace =="}},
			[]string{"gateway.policies[1].when: invalid CEL expression:", "Syntax error"}},
		{[]Policy{{Allow: []string{"a"}, When: "user == 'bob'"}},
			[]string{"gateway.policies[0].when: invalid CEL expression:", "undeclared reference to 'user'"}},
		{[]Policy{{Allow: []string{"a"}, When: "principal == 1"}},
			[]string{"gateway.policies[0].when: invalid CEL expression:", "no matching overload"}},
		{[]Policy{{Allow: []string{"a"}, When: "1 + 2"}},
			[]string{"gateway.policies[0].when: the expression evaluates to int; a condition must evaluate to a bool"}},
		{[]Policy{{Allow: []string{"a"}, When: "principal.matches('[')"}},
			[]string{"gateway.policies[0].when: invalid CEL expression:"}},
		{[]Policy{{Allow: []string{"a"}, When: long}},
			[]string{"gateway.policies[0].when: invalid CEL expression:"}},
		{[]Policy{{Allow: []string{"a"}, When: "roles.all(a, roles.all(b, roles.all(c, a == b && b == c)))"}},
			[]string{"gateway.policies[0].when: invalid CEL expression:", "nesting"}},
		// New checks what Parse checks, for policies built in code.
		{[]Policy{{Roles: []string{"dev"}}},
			[]string{"gateway.policies[0]: the policy neither allows nor denies anything"}},
		{[]Policy{{Roles: []string{}, Allow: []string{"a"}}},
			[]string{"gateway.policies[0].roles: an empty list selects nobody"}},
		{[]Policy{{Allow: []string{"ok"}}, {Deny: []string{`x\`}}},
			[]string{`gateway.policies[1].deny[0]: pattern "x\\": trailing '\'`}},
	}
	for _, tt := range tests {
		e, err := New(tt.ps)
		if err == nil {
			t.Errorf("New(%#v) = %v, want an error", tt.ps, e)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%#v) error:\n%v\nwant it to contain:\n%s", tt.ps, err, w)
			}
		}
	}
}

func TestNewValidConditions(t *testing.T) {
	for _, when := range []string{
		"true",
		"args.namespace == 'kube-system'",
		"has(args.path) && args.path.startsWith('/srv/')",
		"'admin' in roles || scopes.exists(s, s == 'write')",
		"server == 'github' && name.endsWith('_read') && kind == 'tool'",
		"args.flag",        // dyn: checked at evaluation
		"args.count <= 10", // double or int, compared across types
		"principal.matches('^svc-[a-z]+$')",
		"roles.all(a, roles.exists(b, a == b))",
	} {
		if _, err := New([]Policy{{Allow: []string{"*"}, When: when}}); err != nil {
			t.Errorf("New(when %q): %v", when, err)
		}
	}
}
