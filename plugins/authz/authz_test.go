package authz

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

func newPlugin(t *testing.T, policies string) *Plugin {
	t.Helper()
	h, err := New(json.RawMessage(policies), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return h.(*Plugin)
}

func session(principal string, roles ...string) *plugin.Session {
	return &plugin.Session{ID: "s", Identity: plugin.Identity{Principal: principal, Roles: roles}}
}

func TestAuthzCalls(t *testing.T) {
	p := newPlugin(t, `[{"roles":["dev"],"allow":["gh__*"],"deny":["gh__delete_*"]},
		{"roles":["dev"],"deny":["gh__push"],"when":"args.branch == 'main'"}]`)
	reached := 0
	backend := func(context.Context, *plugin.Call) (*plugin.Result, error) {
		reached++
		return &plugin.Result{Raw: []byte(`{}`)}, nil
	}
	tests := []struct {
		name, tool, args string
		sess             *plugin.Session
		allowed          bool
		reason           string
	}{
		{"allowed", "gh__list", `{}`, session("alice", "dev"), true, ""},
		{"denied by glob", "gh__delete_repo", `{}`, session("alice", "dev"), false, `policies[0]`},
		{"CEL true", "gh__push", `{"branch":"main"}`, session("alice", "dev"), false, `policies[1]`},
		{"CEL false", "gh__push", `{"branch":"feature"}`, session("alice", "dev"), true, ""},
		{"unknown role", "gh__list", `{}`, session("mallory", "guest"), false, "no policy allows"},
		{"gateway's own tool", "get_metadata", `{}`, session("alice", "dev"), false, "no policy allows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached
			c := &plugin.Call{Method: "tools/call", Params: []byte(`{"name":"` + tt.tool + `","arguments":` + tt.args + `}`),
				Server: "gh", Name: tt.tool, Session: tt.sess}
			_, err := p.Handle(context.Background(), c, backend)
			if tt.allowed {
				if err != nil || reached != before+1 {
					t.Errorf("not allowed: %v", err)
				}
				return
			}
			var pe *plugin.Error
			if !errors.As(err, &pe) || pe.Code != plugin.CodeDenied || !strings.HasPrefix(pe.Message, "denied by gateway policy: ") || !strings.Contains(pe.Message, tt.reason) {
				t.Errorf("err = %v, want a denial containing %q", err, tt.reason)
			}
			if reached != before {
				t.Error("a denied call reached the backend")
			}
		})
	}
}

func TestAuthzFiltersLists(t *testing.T) {
	p := newPlugin(t, `[{"roles":["dev"],"allow":["gh__*","prompts:gh__*","resources:file:///docs/*"],"deny":["gh__delete_*"]}]`)
	lists := map[string]string{
		"tools/list":               `{"tools":[{"name":"gh__list"},{"name":"gh__delete_repo"},{"name":"k8s__exec"}],"nextCursor":"x"}`,
		"prompts/list":             `{"prompts":[{"name":"gh__review"},{"name":"k8s__debug"}]}`,
		"resources/list":           `{"resources":[{"uri":"file:///docs/a.md"},{"uri":"file:///etc/passwd"}]}`,
		"resources/templates/list": `{"resourceTemplates":[{"uriTemplate":"file:///docs/{name}"},{"uriTemplate":"file:///etc/{name}"}]}`,
	}
	want := map[string]string{
		"tools/list":               `{"tools":[{"name":"gh__list"}],"nextCursor":"x"}`,
		"prompts/list":             `{"prompts":[{"name":"gh__review"}]}`,
		"resources/list":           `{"resources":[{"uri":"file:///docs/a.md"}]}`,
		"resources/templates/list": `{"resourceTemplates":[{"uriTemplate":"file:///docs/{name}"}]}`,
	}
	for method, raw := range lists {
		page := []byte(raw)
		backend := func(context.Context, *plugin.Call) (*plugin.Result, error) { return &plugin.Result{Raw: page}, nil }
		for range 2 { // the second time from the cache
			res, err := p.Handle(context.Background(), &plugin.Call{Method: method, Session: session("alice", "dev")}, backend)
			if err != nil || string(res.Raw) != want[method] {
				t.Errorf("%s = %s, %v; want %s", method, res.Raw, err, want[method])
			}
		}
		// Another subject gets its own answer, not the cached one.
		res, _ := p.Handle(context.Background(), &plugin.Call{Method: method, Session: session("eve", "guest")}, backend)
		if strings.Contains(string(res.Raw), "gh__list") || strings.Contains(string(res.Raw), "docs") {
			t.Errorf("%s for a guest = %s", method, res.Raw)
		}
	}
}

func TestAuthzConfigErrors(t *testing.T) {
	for raw, want := range map[string]string{
		`[{"roles":["dev"],"allow":["x"],"when":"args.("}]`: "gateway.policies[0]",
		`[{"rolez":["dev"],"allow":["x"]}]`:                 "rolez",
		`{"roles":[]}`:                                      "gateway.policies",
	} {
		if _, err := New(json.RawMessage(raw), plugin.Env{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%s) = %v, want an error containing %q", raw, err, want)
		}
	}
}
