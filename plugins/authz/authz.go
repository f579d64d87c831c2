// Package authz is the authorization plugin: it applies the
// "gateway": {"policies": [...]} of the config (package policy) to every
// call, refusing what the caller may not use with a JSON-RPC error that
// names the rule, and filters tools/list, prompts/list, resources/list
// and resources/templates/list to what the caller may use. It is on
// whenever the config has policies.
package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/policy"
)

// Name is the plugin's name.
const Name = "authz"

// Section is the gateway config key that holds the policies.
const Section = "policies"

func init() {
	config.RegisterSection(Section)
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Plugin is the authorization plugin.
type Plugin struct {
	engine *policy.Engine
	events plugin.EventSink

	mu    sync.Mutex
	lists map[listKey]listEntry // filtered list pages, by subject and page
}

type listKey struct {
	subject string // principal, roles and scopes
	method  string
	page    *byte // the catalog's page: same snapshot, same bytes
	size    int
}

// listEntry holds the catalog page it was made from: while the entry
// exists, that page cannot be freed, so its address cannot be reused by
// another page and mistaken for it.
type listEntry struct{ page, filtered []byte }

// maxCachedLists bounds the filtered-page cache; past it, it starts over.
const maxCachedLists = 4096

// New builds the plugin from the raw "policies" array.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	ps, err := policy.Parse(raw)
	if err != nil {
		return nil, err
	}
	e, err := policy.New(ps)
	if err != nil {
		return nil, err
	}
	p := &Plugin{engine: e, events: env.Events, lists: map[listKey]listEntry{}}
	if p.events == nil {
		p.events = plugin.LogEvents{Log: env.Log}
	}
	return p, nil
}

func subjectOf(s *plugin.Session) policy.Subject {
	if s == nil {
		return policy.Subject{}
	}
	return policy.Subject{Principal: s.Principal, Roles: s.Roles, Scopes: s.Scopes}
}

// Handle decides calls and filters lists.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	if !p.engine.Enabled() {
		return next(ctx, c)
	}
	var kind policy.Kind
	switch c.Method {
	case "tools/list", "prompts/list", "resources/list", "resources/templates/list":
		res, err := next(ctx, c)
		if err != nil || res == nil {
			return res, err
		}
		return p.filter(c, res)
	case "tools/call":
		// The gateway's own tools (get_metadata) too: they are listed, and
		// decided, like any other.
		kind = policy.Tool
	case "prompts/get":
		kind = policy.Prompt
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		kind = policy.Resource
	case "completion/complete":
		kind = policy.Prompt
		if ref, _ := jsonrpc.Get(c.Params, "ref"); ref != nil {
			if t, _ := jsonrpc.Get(ref, "type"); string(t) == `"ref/resource"` {
				kind = policy.Resource
			}
		}
	default:
		return next(ctx, c)
	}
	d := p.engine.Decide(policy.Request{Subject: subjectOf(c.Session), Kind: kind, Name: c.Name, Server: c.Server,
		Args: func() (map[string]any, error) { return c.Arguments() }})
	if d.Allowed {
		return next(ctx, c)
	}
	p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "denied", Server: c.Server, Name: c.Name,
		Rule: ruleName(d.Rule), Reason: d.Reason, Session: c.Session})
	return nil, &plugin.Error{Code: plugin.CodeDenied, Message: "denied by gateway policy: " + d.Reason, Plugin: Name}
}

func ruleName(i int) string {
	if i < 0 {
		return "default-deny"
	}
	return fmt.Sprintf("policies[%d]", i)
}

var listKinds = map[string]struct {
	key, nameKey string
	kind         policy.Kind
}{
	"tools/list":               {"tools", "name", policy.Tool},
	"prompts/list":             {"prompts", "name", policy.Prompt},
	"resources/list":           {"resources", "uri", policy.Resource},
	"resources/templates/list": {"resourceTemplates", "uriTemplate", policy.Resource},
}

// filter drops the items the caller may not use from a list result.
// Filtered pages are cached per subject and page.
func (p *Plugin) filter(c *plugin.Call, res *plugin.Result) (*plugin.Result, error) {
	if len(res.Raw) == 0 {
		return res, nil
	}
	s := subjectOf(c.Session)
	key := listKey{subject: s.Principal + "\x00" + strings.Join(s.Roles, ",") + "\x00" + strings.Join(s.Scopes, ","),
		method: c.Method, page: &res.Raw[0], size: len(res.Raw)}
	p.mu.Lock()
	e, ok := p.lists[key]
	p.mu.Unlock()
	if ok {
		return &plugin.Result{Raw: e.filtered, Changed: true}, nil
	}
	lk := listKinds[c.Method]
	arr, err := jsonrpc.Get(res.Raw, lk.key)
	if err != nil || arr == nil {
		return res, nil
	}
	items, err := jsonrpc.Elements(arr)
	if err != nil {
		return plugin.Block(c.Method, Name, "the list could not be filtered")
	}
	kept := make([]byte, 0, len(arr))
	kept = append(kept, '[')
	n := 0
	for _, it := range items {
		v, err := jsonrpc.Get(it, lk.nameKey)
		if err != nil || v == nil {
			continue
		}
		name, err := jsonrpc.String(v)
		if err != nil || !p.engine.Visible(s, lk.kind, name) {
			continue
		}
		if n > 0 {
			kept = append(kept, ',')
		}
		kept = append(kept, it...)
		n++
	}
	kept = append(kept, ']')
	out, err := jsonrpc.SetField(res.Raw, lk.key, kept)
	if err != nil {
		return plugin.Block(c.Method, Name, "the list could not be filtered")
	}
	p.mu.Lock()
	if len(p.lists) >= maxCachedLists {
		clear(p.lists)
	}
	p.lists[key] = listEntry{page: res.Raw, filtered: out}
	p.mu.Unlock()
	return &plugin.Result{Raw: out, Changed: true}, nil
}
