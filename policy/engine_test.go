package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustEngine(t testing.TB, raw string) *Engine {
	t.Helper()
	ps, err := Parse(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ps)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// argsOf returns an Args func for m that counts its calls in n.
func argsOf(m map[string]any, n *int) func() (map[string]any, error) {
	return func() (map[string]any, error) {
		*n++
		return m, nil
	}
}

var (
	dev   = Subject{Principal: "bob", Roles: []string{"dev"}}
	ops   = Subject{Principal: "carol", Roles: []string{"ops"}}
	alice = Subject{Principal: "alice"}
	admin = Subject{Principal: "root", Scopes: []string{"admin"}}
	qa    = Subject{Principal: "dan", Roles: []string{"qa"}}
)

type decideCase struct {
	name    string
	s       Subject
	k       Kind
	item    string
	args    map[string]any
	allowed bool
	rule    int
	reason  string // exact, when not empty
}

func runDecide(t *testing.T, e *Engine, tests []decideCase) {
	t.Helper()
	for _, tt := range tests {
		var calls int
		r := Request{Subject: tt.s, Kind: tt.k, Name: tt.item, Server: strings.Split(tt.item, "__")[0]}
		if tt.args != nil {
			r.Args = argsOf(tt.args, &calls)
		}
		d := e.Decide(r)
		if d.Allowed != tt.allowed || d.Rule != tt.rule || (tt.reason != "" && d.Reason != tt.reason) {
			t.Errorf("%s: Decide(%s %s %q) = %+v\nwant allowed %v rule %d reason %q", tt.name, tt.s.Principal, tt.k, tt.item, d, tt.allowed, tt.rule, tt.reason)
		}
		if calls > 1 {
			t.Errorf("%s: Args called %d times", tt.name, calls)
		}
	}
}

func TestDecideExample(t *testing.T) {
	e := mustEngine(t, exampleConfig)
	if !e.Enabled() {
		t.Fatal("engine with policies is not enabled")
	}
	kube := map[string]any{"namespace": "kube-system"}
	def := map[string]any{"namespace": "default"}
	runDecide(t, e, []decideCase{
		{"literal allow", dev, Tool, "everything__get-sum", nil, true, 0, `policies[0] allows "everything__get-sum"`},
		{"glob allow", dev, Tool, "github__push", nil, true, 0, `policies[0] allows "github__*"`},
		{"deny over allow", dev, Tool, "github__delete_repo", nil, false, 0, `policies[0] denies "github__delete_*"`},
		{"same server, not allowed", dev, Tool, "everything__echo", nil, false, -1, `no policy allows "everything__echo" for principal bob (roles: dev)`},
		{"other server", dev, Tool, "k8s__get", kube, false, -1, `no policy allows "k8s__get" for principal bob (roles: dev)`},
		{"bare pattern matches prompts", dev, Prompt, "github__review", nil, true, 0, ""},
		{"bare pattern matches resources", dev, Resource, "github__x", nil, true, 0, ""},
		{"bare deny matches prompts", dev, Prompt, "github__delete_it", nil, false, 0, ""},

		{"condition true", ops, Tool, "k8s__get", kube, true, 1, `policies[1] allows "k8s__*" when args.namespace == 'kube-system'`},
		{"condition false", ops, Tool, "k8s__get", def, false, -1,
			`no policy allows "k8s__get" for principal carol (roles: ops); policies[1] allows it only when args.namespace == 'kube-system'`},
		{"condition missing key on allow", ops, Tool, "k8s__get", map[string]any{}, false, -1,
			`no policy allows "k8s__get" for principal carol (roles: ops); policies[1] allows it only when args.namespace == 'kube-system', which could not be evaluated (no such key: namespace)`},
		{"no args at all", ops, Tool, "k8s__get", nil, false, -1, ""},
		{"conditional deny true", ops, Tool, "k8s__exec", kube, false, 1, `policies[1] denies "k8s__exec" when args.namespace == 'kube-system'`},
		{"conditional deny false: its allow shares the condition", ops, Tool, "k8s__exec", def, false, -1,
			`no policy allows "k8s__exec" for principal carol (roles: ops)`},
		{"conditional deny missing key", ops, Tool, "k8s__exec", map[string]any{}, false, 1,
			`policies[1] denies "k8s__exec" when args.namespace == 'kube-system': the condition could not be evaluated (no such key: namespace), which counts as true for deny lines`},

		{"prompts prefix", alice, Prompt, "github__review", nil, true, 2, `policies[2] allows "prompts:*"`},
		{"prompts prefix is not tools", alice, Tool, "github__push", nil, false, -1, `no policy allows "github__push" for principal alice`},
		{"resources prefix", alice, Resource, "file:///srv/docs/a/b.md", nil, true, 2, `policies[2] allows "resources:file:///srv/docs/*"`},
		{"resources prefix, other path", alice, Resource, "file:///etc/passwd", nil, false, -1, ""},
		{"resources prefix is not prompts", alice, Prompt, "file:///srv/docs/a", nil, true, 2, `policies[2] allows "prompts:*"`},

		{"scope allows all", admin, Tool, "anything__at_all", nil, true, 3, `policies[3] allows "*"`},
		{"scope allows resources", admin, Resource, "file:///etc/passwd", nil, true, 3, ""},
		{"deny of one role beats allow of a scope", Subject{Principal: "eve", Roles: []string{"dev"}, Scopes: []string{"admin"}},
			Tool, "github__delete_repo", nil, false, 0, `policies[0] denies "github__delete_*"`},
		{"conditional deny beats scope allow", Subject{Principal: "eve", Roles: []string{"ops"}, Scopes: []string{"admin"}},
			Tool, "k8s__exec", kube, false, 1, ""},
		{"conditional deny false, scope allows", Subject{Principal: "eve", Roles: []string{"ops"}, Scopes: []string{"admin"}},
			Tool, "k8s__exec", def, true, 3, ""},

		{"unknown role gets nothing", qa, Tool, "github__push", nil, false, -1, `no policy allows "github__push" for principal dan (roles: qa)`},
		{"unknown role gets no prompts", qa, Prompt, "x", nil, false, -1, ""},
		{"anonymous", Subject{}, Tool, "github__push", nil, false, -1, `no policy allows "github__push" for an anonymous principal`},
		{"roles and scopes in the reason", Subject{Principal: "x", Roles: []string{"a", "b"}, Scopes: []string{"read"}}, Tool, "t", nil, false, -1,
			`no policy allows "t" for principal x (roles: a, b; scopes: read)`},
		{"scopes in the reason", Subject{Principal: "x", Scopes: []string{"read", "write"}}, Tool, "t", nil, false, -1,
			`no policy allows "t" for principal x (scopes: read, write)`},
		{"several roles", Subject{Principal: "x", Roles: []string{"qa", "ops", "dev"}}, Tool, "github__push", nil, true, 0, ""},
		{"names are case-sensitive", dev, Tool, "GitHub__push", nil, false, -1, ""},
		{"roles are case-sensitive", Subject{Principal: "x", Roles: []string{"Dev"}}, Tool, "github__push", nil, false, -1, ""},
		{"invalid kind", admin, Kind(7), "x", nil, false, -1, "unknown kind Kind(7)"},
	})
}

func TestNoPoliciesAllowsAll(t *testing.T) {
	for _, e := range []*Engine{mustEngine(t, `[]`), mustEngine(t, `null`), nil} {
		if e.Enabled() {
			t.Fatal("enabled without policies")
		}
		for _, k := range []Kind{Tool, Prompt, Resource} {
			d := e.Decide(Request{Subject: qa, Kind: k, Name: "x__y"})
			if !d.Allowed || d.Rule != -1 || d.Reason != "authorization is off: no policies are configured" {
				t.Errorf("Decide = %+v", d)
			}
			if !e.Visible(Subject{}, k, "x__y") {
				t.Error("not visible without policies")
			}
		}
	}
}

func TestDenyPrecedence(t *testing.T) {
	// The deny wins whichever comes first, within one policy or across.
	for _, raw := range []string{
		`[{"allow": ["github__*"], "deny": ["github__delete_*"]}]`,
		`[{"deny": ["github__delete_*"], "allow": ["github__*"]}]`,
		`[{"allow": ["github__*"]}, {"deny": ["github__delete_*"]}]`,
		`[{"deny": ["github__delete_*"]}, {"allow": ["github__*"]}]`,
		`[{"allow": ["*"]}, {"allow": ["github__*"]}, {"deny": ["github__delete_repo"]}]`,
	} {
		e := mustEngine(t, raw)
		for name, want := range map[string]bool{
			"github__delete_repo": false,
			"github__push":        true,
			"github__delete":      true, // "github__delete_*" needs the underscore
		} {
			if d := e.Decide(Request{Subject: dev, Name: name}); d.Allowed != want {
				t.Errorf("%s: Decide(%q) = %+v, want allowed %v", raw, name, d, want)
			}
		}
	}
	// An unconditional deny is reported before a conditional one, even
	// at a higher index.
	e := mustEngine(t, `[{"deny": ["x"], "when": "true"}, {"deny": ["x"]}, {"allow": ["*"]}]`)
	if d := e.Decide(Request{Subject: dev, Name: "x"}); d.Allowed || d.Rule != 1 {
		t.Errorf("Decide = %+v, want denied by policies[1]", d)
	}
	// Among allows, an unconditional one is reported first.
	e = mustEngine(t, `[{"allow": ["x"], "when": "true"}, {"allow": ["*"]}]`)
	if d := e.Decide(Request{Subject: dev, Name: "x"}); !d.Allowed || d.Rule != 1 {
		t.Errorf("Decide = %+v, want allowed by policies[1]", d)
	}
	// Within one list, the first matching line is reported.
	e = mustEngine(t, `[{"deny": ["a*", "ab*", "abc"]}]`)
	if d := e.Decide(Request{Subject: dev, Name: "abc"}); d.Reason != `policies[0] denies "a*"` {
		t.Errorf("Decide = %+v", d)
	}
}

func TestDenyOnlyDeniesEverything(t *testing.T) {
	// Once a policy exists, what nothing allows is denied: a config with
	// only denies allows nothing.
	e := mustEngine(t, `[{"deny": ["github__delete_*"]}]`)
	for _, name := range []string{"github__push", "github__delete_repo"} {
		if d := e.Decide(Request{Subject: admin, Name: name}); d.Allowed {
			t.Errorf("Decide(%q) = %+v, want denied", name, d)
		}
	}
}

func TestSelectors(t *testing.T) {
	e := mustEngine(t, `[
		{"principals": ["alice", "bob"], "roles": ["dev"], "allow": ["both__*"]},
		{"principals": ["alice"], "allow": ["p__*"]},
		{"roles": ["dev", "ops"], "allow": ["r__*"]},
		{"scopes": ["read"], "allow": ["s__*"]},
		{"roles": ["dev"], "scopes": ["write"], "allow": ["rs__*"]},
		{"allow": ["public__*"]},
		{"deny": ["public__secret"]}
	]`)
	tests := []struct {
		s    Subject
		name string
		want bool
	}{
		{Subject{Principal: "alice", Roles: []string{"dev"}}, "both__x", true},
		{Subject{Principal: "bob", Roles: []string{"qa", "dev"}}, "both__x", true},
		{Subject{Principal: "alice"}, "both__x", false}, // every selector must match
		{Subject{Principal: "carol", Roles: []string{"dev"}}, "both__x", false},
		{Subject{Principal: "alice"}, "p__x", true},
		{Subject{Principal: "alice2"}, "p__x", false},
		{Subject{Principal: "x", Roles: []string{"ops"}}, "r__x", true},
		{Subject{Principal: "x", Roles: []string{"dev"}}, "r__x", true},
		{Subject{Principal: "x", Roles: []string{"read"}}, "s__x", false}, // a role is not a scope
		{Subject{Principal: "x", Scopes: []string{"read"}}, "s__x", true},
		{Subject{Principal: "x", Roles: []string{"dev"}, Scopes: []string{"write"}}, "rs__x", true},
		{Subject{Principal: "x", Roles: []string{"dev"}}, "rs__x", false},
		{Subject{Principal: "x", Scopes: []string{"write"}}, "rs__x", false},
		{Subject{}, "public__x", true}, // no selector: everyone
		{Subject{Principal: "x", Roles: []string{"whatever"}}, "public__x", true},
		{Subject{}, "public__secret", false},
		{Subject{Principal: "alice"}, "public__secret", false},
	}
	for _, tt := range tests {
		if d := e.Decide(Request{Subject: tt.s, Name: tt.name}); d.Allowed != tt.want {
			t.Errorf("Decide(%+v, %q) = %+v, want allowed %v", tt.s, tt.name, d, tt.want)
		}
	}
}

func TestLargeSelectorsAndLists(t *testing.T) {
	// Enough values to switch the sets to maps.
	var principals, allow []string
	for i := range 50 {
		principals = append(principals, fmt.Sprintf("user%d", i))
		allow = append(allow, fmt.Sprintf("s__tool%d", i))
	}
	e, err := New([]Policy{{Principals: principals, Allow: allow, Deny: []string{"s__tool7"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p, name string
		want    bool
	}{
		{"user0", "s__tool0", true},
		{"user49", "s__tool49", true},
		{"user49", "s__tool7", false},
		{"user50", "s__tool0", false},
		{"user3", "s__tool50", false},
	} {
		if d := e.Decide(Request{Subject: Subject{Principal: tt.p}, Name: tt.name}); d.Allowed != tt.want {
			t.Errorf("Decide(%s, %s) = %+v", tt.p, tt.name, d)
		}
	}
}

func TestManyPolicies(t *testing.T) {
	// More than 256 policies: the selector bit sets span several words
	// and no longer fit the stack buffers.
	for _, n := range []int{63, 64, 65, 300} {
		var ps []Policy
		for i := range n {
			ps = append(ps, Policy{Roles: []string{fmt.Sprintf("r%d", i)}, Allow: []string{fmt.Sprintf("t%d", i)}})
		}
		ps = append(ps, Policy{Principals: []string{"boss"}, Roles: []string{fmt.Sprintf("r%d", n-1)}, Allow: []string{"boss__*"}})
		ps = append(ps, Policy{Deny: []string{"t0"}})
		e, err := New(ps)
		if err != nil {
			t.Fatal(err)
		}
		s := Subject{Principal: "boss", Roles: []string{"r0", "r5", fmt.Sprintf("r%d", n-1)}}
		for name, want := range map[string]bool{
			"t0": false, "t5": true, "t6": false, fmt.Sprintf("t%d", n-1): true, fmt.Sprintf("t%d", n-2): false, "boss__x": true,
		} {
			if d := e.Decide(Request{Subject: s, Name: name}); d.Allowed != want {
				t.Errorf("%d policies: Decide(%q) = %+v, want allowed %v", n, name, d, want)
			}
			if v := e.Visible(s, Tool, name); v != want {
				t.Errorf("%d policies: Visible(%q) = %v", n, name, v)
			}
		}
		if d := e.Decide(Request{Subject: Subject{Principal: "boss"}, Name: "boss__x"}); d.Allowed {
			t.Errorf("%d policies: boss without the role: %+v", n, d)
		}
		if d := e.Decide(Request{Subject: Subject{Principal: "x", Roles: []string{fmt.Sprintf("r%d", n-1)}}, Name: "boss__x"}); d.Allowed {
			t.Errorf("%d policies: role without boss: %+v", n, d)
		}
		// Every policy applies: more than fit the index buffer.
		var all []string
		for i := range n {
			all = append(all, fmt.Sprintf("r%d", i))
		}
		d := e.Decide(Request{Subject: Subject{Principal: "boss", Roles: all}, Name: fmt.Sprintf("t%d", n-1)})
		if !d.Allowed || d.Rule != n-1 {
			t.Errorf("%d policies, all roles: %+v", n, d)
		}
	}
}

func TestConditions(t *testing.T) {
	e := mustEngine(t, `[
		{"allow": ["fs__read"], "when": "args.path.startsWith('/srv/')"},
		{"allow": ["fs__write"], "when": "has(args.path) && args.path.startsWith('/tmp/')"},
		{"allow": ["calc__*"], "when": "args.n < 10"},
		{"allow": ["flag__*"], "when": "args.flag"},
		{"deny": ["fsd__*"], "when": "args.path.contains('..')"},
		{"allow": ["who__*"], "when": "principal == 'alice' && 'dev' in roles && scopes.exists(s, s == 'read')"},
		{"allow": ["meta__*"], "when": "server == 'meta' && name.endsWith('_ok') && kind == 'tool'"},
		{"allow": ["any__*"], "when": "kind == 'prompt'"},
		{"allow": ["nested__*"], "when": "args.opts.mode == 'safe'"},
		{"allow": ["list__*"], "when": "args.items.all(i, i in ['a', 'b'])"},
		{"allow": ["size__*"], "when": "size(args) == 0"},
		{"allow": ["fsd__*"]}
	]`)
	who := Subject{Principal: "alice", Roles: []string{"dev"}, Scopes: []string{"read"}}
	runDecide(t, e, []decideCase{
		{"true", dev, Tool, "fs__read", map[string]any{"path": "/srv/a"}, true, 0, ""},
		{"false", dev, Tool, "fs__read", map[string]any{"path": "/etc/a"}, false, -1, ""},
		{"missing arg", dev, Tool, "fs__read", map[string]any{}, false, -1, ""},
		{"type mismatch on allow", dev, Tool, "fs__read", map[string]any{"path": 42.0}, false, -1, ""},
		{"has() guards a missing arg", dev, Tool, "fs__write", map[string]any{}, false, -1, `no policy allows "fs__write" for principal bob (roles: dev); policies[1] allows it only when has(args.path) && args.path.startsWith('/tmp/')`},
		{"has() and true", dev, Tool, "fs__write", map[string]any{"path": "/tmp/x"}, true, 1, ""},
		{"JSON number vs int literal", dev, Tool, "calc__add", map[string]any{"n": 3.0}, true, 2, ""},
		{"JSON number too big", dev, Tool, "calc__add", map[string]any{"n": 30.0}, false, -1, ""},
		{"string vs int", dev, Tool, "calc__add", map[string]any{"n": "3"}, false, -1, ""},
		{"bool arg", dev, Tool, "flag__x", map[string]any{"flag": true}, true, 3, ""},
		{"non-bool result", dev, Tool, "flag__x", map[string]any{"flag": "yes"}, false, -1,
			`no policy allows "flag__x" for principal bob (roles: dev); policies[3] allows it only when args.flag, which could not be evaluated (the condition evaluated to string, not a bool)`},
		{"conditional deny true", dev, Tool, "fsd__read", map[string]any{"path": "/srv/../etc"}, false, 4, `policies[4] denies "fsd__*" when args.path.contains('..')`},
		{"conditional deny false", dev, Tool, "fsd__read", map[string]any{"path": "/srv/etc"}, true, 11, `policies[11] allows "fsd__*"`},
		{"conditional deny type mismatch counts as true", dev, Tool, "fsd__read", map[string]any{"path": 1.0}, false, 4, ""},
		{"conditional deny missing arg counts as true", dev, Tool, "fsd__read", map[string]any{}, false, 4,
			`policies[4] denies "fsd__*" when args.path.contains('..'): the condition could not be evaluated (no such key: path), which counts as true for deny lines`},
		{"subject variables", who, Tool, "who__x", nil, true, 5, ""},
		{"subject variables false", Subject{Principal: "alice", Roles: []string{"dev"}}, Tool, "who__x", nil, false, -1, ""},
		{"request variables", dev, Tool, "meta__x_ok", nil, true, 6, ""},
		{"request variables: kind", dev, Prompt, "meta__x_ok", nil, false, -1, ""},
		{"kind variable", dev, Prompt, "any__x", nil, true, 7, ""},
		{"kind variable false", dev, Tool, "any__x", nil, false, -1, ""},
		{"nested object", dev, Tool, "nested__x", map[string]any{"opts": map[string]any{"mode": "safe"}}, true, 8, ""},
		{"nested object wrong", dev, Tool, "nested__x", map[string]any{"opts": map[string]any{"mode": "rw"}}, false, -1, ""},
		{"nested not an object", dev, Tool, "nested__x", map[string]any{"opts": "safe"}, false, -1, ""},
		{"list", dev, Tool, "list__x", map[string]any{"items": []any{"a", "b", "a"}}, true, 9, ""},
		{"list with other", dev, Tool, "list__x", map[string]any{"items": []any{"a", "c"}}, false, -1, ""},
		{"nil Args is no arguments", dev, Tool, "size__x", nil, true, 10, ""},
		{"empty Args", dev, Tool, "size__x", map[string]any{}, true, 10, ""},
	})
}

func TestArgsLazyAndOnce(t *testing.T) {
	e := mustEngine(t, `[
		{"allow": ["plain__*"]},
		{"deny": ["plain__bad"]},
		{"allow": ["who__*"], "when": "principal == 'bob'"},
		{"allow": ["two__*"], "when": "args.a == 1"},
		{"allow": ["two__*"], "when": "args.b == 2"},
		{"deny": ["two__*", "mixed__*"], "when": "args.c == 3"},
		{"deny": ["mixed__*"]},
		{"allow": ["short__*"], "when": "principal == 'bob' || args.x == 1"}
	]`)
	tests := []struct {
		name    string
		args    map[string]any
		calls   int
		allowed bool
	}{
		{"plain__x", map[string]any{}, 0, true},    // no condition
		{"plain__bad", map[string]any{}, 0, false}, // no condition
		{"who__x", map[string]any{}, 0, true},      // condition does not read args
		{"two__x", map[string]any{"b": 2.0, "c": 0.0}, 1, true},
		{"two__x", map[string]any{"c": 3.0}, 1, false},
		{"two__x", map[string]any{"a": 0.0, "b": 0.0, "c": 0.0}, 1, false},
		{"mixed__x", map[string]any{}, 0, false}, // unconditional deny first
		{"short__x", map[string]any{}, 0, true},  // || short-circuits
		{"none__x", map[string]any{}, 0, false},
	}
	for _, tt := range tests {
		calls := 0
		d := e.Decide(Request{Subject: dev, Name: tt.name, Args: argsOf(tt.args, &calls)})
		if calls != tt.calls || d.Allowed != tt.allowed {
			t.Errorf("Decide(%q, %v) = %+v with %d Args calls; want allowed %v, %d calls", tt.name, tt.args, d, calls, tt.allowed, tt.calls)
		}
	}
}

func TestArgsError(t *testing.T) {
	e := mustEngine(t, `[
		{"allow": ["a__*", "b__*"], "when": "args.ok == true"},
		{"deny": ["b__*"], "when": "args.bad == true"},
		{"allow": ["c__*"], "when": "principal == 'bob'"}
	]`)
	calls := 0
	bad := func() (map[string]any, error) { calls++; return nil, errors.New("invalid JSON") }
	d := e.Decide(Request{Subject: dev, Name: "a__x", Args: bad})
	if d.Allowed || !strings.Contains(d.Reason, "the arguments could not be decoded: invalid JSON") {
		t.Errorf("allow with bad args: %+v", d)
	}
	d = e.Decide(Request{Subject: dev, Name: "b__x", Args: bad})
	if d.Allowed || d.Rule != 1 || !strings.Contains(d.Reason, "invalid JSON") {
		t.Errorf("deny with bad args: %+v", d)
	}
	// A condition that does not read args does not see the error.
	d = e.Decide(Request{Subject: dev, Name: "c__x", Args: bad})
	if !d.Allowed {
		t.Errorf("condition without args: %+v", d)
	}
	if calls != 2 {
		t.Errorf("Args called %d times, want 2", calls)
	}
}

func TestCostLimit(t *testing.T) {
	e := mustEngine(t, `[
		{"allow": ["big__*"], "when": "args.items.all(x, args.items.all(y, x != '' || y != ''))"},
		{"deny": ["bigdeny__*"], "when": "args.items.exists(x, args.items.exists(y, x == 'zz' && y == 'zz'))"},
		{"allow": ["bigdeny__*"]}
	]`)
	items := make([]any, 1000)
	for i := range items {
		items[i] = "v"
	}
	d := e.Decide(Request{Subject: dev, Name: "big__x", Args: func() (map[string]any, error) { return map[string]any{"items": items}, nil }})
	if d.Allowed || !strings.Contains(d.Reason, "cost limit") {
		t.Errorf("allow over the cost limit: %+v", d)
	}
	d = e.Decide(Request{Subject: dev, Name: "bigdeny__x", Args: func() (map[string]any, error) { return map[string]any{"items": items}, nil }})
	if d.Allowed || d.Rule != 0+1 || !strings.Contains(d.Reason, "cost limit") {
		t.Errorf("deny over the cost limit: %+v", d)
	}
	// Within the limit the same conditions work.
	small := map[string]any{"items": []any{"a", "b"}}
	if d := e.Decide(Request{Subject: dev, Name: "big__x", Args: func() (map[string]any, error) { return small, nil }}); !d.Allowed {
		t.Errorf("small allow: %+v", d)
	}
	if d := e.Decide(Request{Subject: dev, Name: "bigdeny__x", Args: func() (map[string]any, error) { return small, nil }}); !d.Allowed {
		t.Errorf("small deny: %+v", d)
	}
}

// filter keeps the names of items visible to s.
func filter(e *Engine, s Subject, k Kind, names []string) []string {
	var out []string
	for _, n := range names {
		if e.Visible(s, k, n) {
			out = append(out, n)
		}
	}
	return out
}

func TestVisible(t *testing.T) {
	e := mustEngine(t, exampleConfig)
	tools := []string{"everything__get-sum", "everything__echo", "github__push", "github__delete_repo", "k8s__get", "k8s__exec", "k8s__logs"}
	tests := []struct {
		s    Subject
		k    Kind
		in   []string
		want []string
	}{
		{dev, Tool, tools, []string{"everything__get-sum", "github__push"}},
		// Conditional allows show; k8s__exec is denied by the same
		// conditional policy that allows it, so it can never be called.
		{ops, Tool, tools, []string{"k8s__get", "k8s__logs"}},
		{alice, Tool, tools, nil},
		{admin, Tool, tools, tools},
		{qa, Tool, tools, nil},
		{Subject{Principal: "x", Roles: []string{"dev"}, Scopes: []string{"admin"}}, Tool, tools,
			[]string{"everything__get-sum", "everything__echo", "github__push", "k8s__get", "k8s__exec", "k8s__logs"}},
		{alice, Prompt, []string{"github__review", "everything__simple"}, []string{"github__review", "everything__simple"}},
		{dev, Prompt, []string{"github__review", "everything__simple", "github__delete_x"}, []string{"github__review"}},
		{alice, Resource, []string{"file:///srv/docs/a.md", "file:///srv/docs/{path}", "file:///etc/{path}", "file:///srv/docs"},
			[]string{"file:///srv/docs/a.md", "file:///srv/docs/{path}"}},
		{qa, Resource, []string{"file:///srv/docs/a.md"}, nil},
		{admin, Kind(9), []string{"x"}, nil},
	}
	for _, tt := range tests {
		if got := filter(e, tt.s, tt.k, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("visible to %s (%s): %q, want %q", tt.s.Principal, tt.k, got, tt.want)
		}
	}

	// A conditional deny in another policy does not hide; an
	// unconditional one does.
	e = mustEngine(t, `[
		{"allow": ["a__*"]},
		{"deny": ["a__risky"], "when": "args.force == true"},
		{"deny": ["a__never"]},
		{"roles": ["dev"], "deny": ["a__devnot"]},
		{"allow": ["b__*"], "when": "args.ok == true"}
	]`)
	if got, want := filter(e, dev, Tool, []string{"a__x", "a__risky", "a__never", "a__devnot", "b__x", "c__x"}), []string{"a__x", "a__risky", "b__x"}; !slices.Equal(got, want) {
		t.Errorf("visible: %q, want %q", got, want)
	}
	if got, want := filter(e, qa, Tool, []string{"a__devnot"}), []string{"a__devnot"}; !slices.Equal(got, want) {
		t.Errorf("visible to qa: %q, want %q", got, want)
	}
}

// TestVisibleAgreesWithDecide checks, without conditions, that an item is
// visible exactly when a call to it is allowed.
func TestVisibleAgreesWithDecide(t *testing.T) {
	e := mustEngine(t, `[
		{"roles": ["dev"], "allow": ["everything__get-sum", "github__*", "prompts:p?"], "deny": ["github__delete_*", "tools:*_admin"]},
		{"principals": ["alice"], "allow": ["prompts:*", "resources:file:///srv/docs/*"], "deny": ["file:///srv/docs/private/*"]},
		{"scopes": ["admin"], "allow": ["*"]},
		{"deny": ["*__shutdown"]}
	]`)
	subjects := []Subject{dev, alice, admin, qa, {}, {Principal: "alice", Roles: []string{"dev"}}}
	names := []string{"everything__get-sum", "github__push", "github__delete_x", "github__x_admin", "p1", "p12", "x__shutdown",
		"file:///srv/docs/a", "file:///srv/docs/private/a", "file:///etc/x"}
	for _, s := range subjects {
		for _, k := range []Kind{Tool, Prompt, Resource} {
			for _, n := range names {
				d := e.Decide(Request{Subject: s, Kind: k, Name: n})
				if v := e.Visible(s, k, n); v != d.Allowed {
					t.Errorf("%+v %s %q: visible %v, decision %+v", s, k, n, v, d)
				}
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	e := mustEngine(t, exampleConfig)
	type call struct {
		r    Request
		want bool
	}
	kube := map[string]any{"namespace": "kube-system"}
	def := map[string]any{"namespace": "default"}
	calls := []call{
		{Request{Subject: dev, Name: "github__push"}, true},
		{Request{Subject: dev, Name: "github__delete_x"}, false},
		{Request{Subject: ops, Name: "k8s__get", Args: func() (map[string]any, error) { return kube, nil }}, true},
		{Request{Subject: ops, Name: "k8s__get", Args: func() (map[string]any, error) { return def, nil }}, false},
		{Request{Subject: ops, Name: "k8s__exec", Args: func() (map[string]any, error) { return kube, nil }}, false},
		{Request{Subject: alice, Kind: Prompt, Name: "x"}, true},
		{Request{Subject: qa, Name: "x"}, false},
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				c := calls[(i+g)%len(calls)]
				if d := e.Decide(c.r); d.Allowed != c.want {
					errs <- fmt.Sprintf("%s: %+v", c.r.Name, d)
					return
				}
				if v := e.Visible(c.r.Subject, c.r.Kind, c.r.Name); !v && c.want {
					errs <- fmt.Sprintf("%s: allowed but not visible", c.r.Name)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Tool: "tool", Prompt: "prompt", Resource: "resource", Kind(5): "Kind(5)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}
