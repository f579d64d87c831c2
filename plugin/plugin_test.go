package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// recorder is a plugin that records the order it saw the call in.
type recorder struct {
	name string
	log  *[]string
}

func (r recorder) Handle(ctx context.Context, c *Call, next Next) (*Result, error) {
	*r.log = append(*r.log, "in:"+r.name)
	res, err := next(ctx, c)
	*r.log = append(*r.log, "out:"+r.name)
	return res, err
}

func TestChainOrder(t *testing.T) {
	var log []string
	final := func(ctx context.Context, c *Call) (*Result, error) {
		log = append(log, "route")
		return &Result{Raw: []byte(`{}`)}, nil
	}
	next := Chain([]Handler{recorder{"a", &log}, recorder{"b", &log}}, final)
	if _, err := next(context.Background(), &Call{Method: "tools/call"}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, " "), "in:a in:b route out:b out:a"; got != want {
		t.Errorf("chain ran %q, want %q", got, want)
	}
}

func TestChainShortCircuit(t *testing.T) {
	called := false
	final := func(ctx context.Context, c *Call) (*Result, error) { called = true; return nil, nil }
	block := HandlerFunc(func(ctx context.Context, c *Call, next Next) (*Result, error) {
		return nil, &Error{Code: -32600, Message: "denied", Plugin: "test"}
	})
	_, err := Chain([]Handler{block}, final)(context.Background(), &Call{})
	var pe *Error
	if !errors.As(err, &pe) || pe.Message != "denied" {
		t.Fatalf("err = %v, want the plugin's error", err)
	}
	if called {
		t.Error("the backend was reached although a plugin answered")
	}
}

func TestCallArguments(t *testing.T) {
	c := &Call{Params: []byte(`{"name":"x","arguments":{"a":1,"b":"two"}}`)}
	args, err := c.Arguments()
	if err != nil || args["b"] != "two" {
		t.Fatalf("Arguments = %v, %v", args, err)
	}
	if err := c.SetArguments([]byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	if got := string(c.Params); got != `{"name":"x","arguments":{"a":2}}` {
		t.Errorf("Params after SetArguments = %s", got)
	}
	args, _ = c.Arguments()
	if args["a"] != 2.0 || args["b"] != nil {
		t.Errorf("Arguments after SetArguments = %v", args)
	}
}

// TestCallArgumentsChanged: reading the arguments leaves them unchanged;
// SetArguments marks them changed, even with the same bytes, and a failed
// SetArguments does not.
func TestCallArgumentsChanged(t *testing.T) {
	tests := []struct {
		name    string
		params  string
		set     string // "" reads only
		changed bool
	}{
		{name: "read only", params: `{"name":"x","arguments":{"a":1}}`},
		{name: "replaced", params: `{"name":"x","arguments":{"a":1}}`, set: `{"a":"<masked>"}`, changed: true},
		{name: "same bytes", params: `{"name":"x","arguments":{"a":1}}`, set: `{"a":1}`, changed: true},
		{name: "added", params: `{"name":"x"}`, set: `{"a":1}`, changed: true},
		{name: "failed", params: `[1]`, set: `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Call{Method: "tools/call", Params: []byte(tt.params)}
			c.RawArguments()
			c.Arguments()
			if c.ArgumentsChanged() {
				t.Fatal("reading the arguments marked them changed")
			}
			if tt.set != "" {
				c.SetArguments([]byte(tt.set))
			}
			if got := c.ArgumentsChanged(); got != tt.changed {
				t.Errorf("ArgumentsChanged() = %t, want %t", got, tt.changed)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	_, err := Build([]string{"nosuch"}, nil, Env{})
	if err == nil || !strings.Contains(err.Error(), `unknown plugin "nosuch"`) || !strings.Contains(err.Error(), "basic") {
		t.Errorf("unknown plugin error = %v; want it to list the known plugins", err)
	}
	regMu.Lock()
	_, built := registry["lasso"]
	regMu.Unlock()
	if !built {
		_, err = Build([]string{"lasso"}, nil, Env{})
		if err == nil || !strings.Contains(err.Error(), "not built into this version") {
			t.Errorf("unbuilt plugin error = %v; want it to say it is not built", err)
		}
	}
	_, err = Build(nil, map[string]json.RawMessage{"bogus": []byte(`{}`)}, Env{})
	if err == nil || !strings.Contains(err.Error(), `gateway.plugins: unknown plugin "bogus"`) {
		t.Errorf("unknown section error = %v", err)
	}
}

func TestBuildOrdersByChainOrder(t *testing.T) {
	var log []string
	for _, n := range []string{"cache", "authn"} {
		name := n
		regMu.Lock()
		prev, had := registry[name]
		registry[name] = Spec{Name: name, New: func(json.RawMessage, Env) (Handler, error) {
			return recorder{name, &log}, nil
		}}
		regMu.Unlock()
		t.Cleanup(func() {
			regMu.Lock()
			defer regMu.Unlock()
			if had {
				registry[name] = prev
			} else {
				delete(registry, name)
			}
		})
	}
	hs, err := Build([]string{"cache", "authn", "cache"}, nil, Env{})
	if err != nil {
		t.Fatal(err)
	}
	final := func(ctx context.Context, c *Call) (*Result, error) { return &Result{}, nil }
	if _, err := Chain(hs, final)(context.Background(), &Call{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, " "); got != "in:authn in:cache out:cache out:authn" {
		t.Errorf("enabled as cache, authn; ran %q: want authn outside cache as Order says", got)
	}
}

func TestOrderHasUniqueReasonedEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Order {
		if seen[e.Name] {
			t.Errorf("%s appears twice in Order", e.Name)
		}
		seen[e.Name] = true
		if strings.TrimSpace(e.Why) == "" {
			t.Errorf("Order entry %s has no reason", e.Name)
		}
	}
	for _, n := range []string{"basic", "presidio", "xetrack", "lasso"} {
		if !seen[n] {
			t.Errorf("the Python gateway's plugin %s is missing from Order", n)
		}
	}
}

func TestBlock(t *testing.T) {
	res, err := Block("tools/call", "basic", "a secret was found")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Content []struct{ Type, Text string }
		IsError bool
	}
	if err := json.Unmarshal(res.Raw, &r); err != nil {
		t.Fatalf("%s: %v", res.Raw, err)
	}
	if !r.IsError || len(r.Content) != 1 || r.Content[0].Text != "blocked by gateway policy: basic: a secret was found" || res.Blocked != "basic" {
		t.Errorf("Block(tools/call) = %s (blocked %q)", res.Raw, res.Blocked)
	}
	_, err = Block("resources/read", "injection", "")
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeBlocked || pe.Message != "blocked by gateway policy: injection" {
		t.Errorf("Block(resources/read) = %v, want a CodeBlocked error", err)
	}
}

func TestOrdered(t *testing.T) {
	got := Ordered([]string{"presidio", "basic", "nosuch", "basic", " xetrack"})
	if want := "xetrack basic presidio nosuch"; strings.Join(got, " ") != want {
		t.Errorf("Ordered = %q, want %q", got, want)
	}
}
