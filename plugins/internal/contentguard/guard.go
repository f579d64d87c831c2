// Package contentguard is what the content guardrails (basic: secrets,
// presidio: personal data) share: a plugin that runs a guard.Detector over
// every string of a call's arguments on the way in and of its result on
// the way out, and masks, blocks or reports what it finds, per rule and
// per server, failing closed.
package contentguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/mcpgw/mcp-gateway/guard"
	"github.com/mcpgw/mcp-gateway/guard/jsontext"
	"github.com/mcpgw/mcp-gateway/plugin"
)

// Guard is a content guardrail plugin.
type Guard struct {
	// KeyContext, when set, lets the detector see the member name of a
	// short string value as the words before it ("ssn: 078051120"), for
	// detectors that score by context words. Set it before use.
	KeyContext bool

	name     string
	policies PerServer[*policy]
	events   plugin.EventSink
}

// policy is what applies to one server.
type policy struct {
	det                 guard.Detector
	action              Action
	actions             map[string]Action
	requests, responses bool
	enabled             bool
}

// BuildFunc makes the detector for the decoded section of one server (""
// for the default) and returns it with the common settings it decoded.
type BuildFunc func(server string, sec *Section) (guard.Detector, Settings, error)

// New builds the guardrail called name from its raw config section.
// rules lists every rule id the detector knows, so that actions can be
// checked.
func New(name string, raw json.RawMessage, env plugin.Env, rules []string, build BuildFunc) (*Guard, error) {
	sec, err := ParseSection(name, raw)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, r := range rules {
		known[r] = true
	}
	g := &Guard{name: name, events: env.Events}
	mk := func(server string) (*policy, error) {
		det, st, err := build(server, sec)
		if err != nil {
			return nil, err
		}
		if err := st.check(sec.Where(server), known); err != nil {
			return nil, err
		}
		p := &policy{det: det, action: st.Action, actions: st.Actions, requests: true, responses: true, enabled: true}
		if p.action == "" {
			p.action = Mask
		}
		if st.Requests != nil {
			p.requests = *st.Requests
		}
		if st.Responses != nil {
			p.responses = *st.Responses
		}
		if st.Enabled != nil {
			p.enabled = *st.Enabled
		}
		return p, nil
	}
	if g.policies, err = BuildPerServer(sec, mk); err != nil {
		return nil, err
	}
	if g.events == nil {
		g.events = plugin.LogEvents{Log: env.Log}
	}
	return g, nil
}

// Handle scans tools/call and prompts/get arguments, and the results of
// tools/call, prompts/get and resources/read.
func (g *Guard) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	p := g.policies.For(c.Server)
	if !p.enabled {
		return next(ctx, c)
	}
	switch c.Method {
	case "tools/call", "prompts/get":
		if p.requests {
			if res, err, done := g.checkRequest(ctx, p, c); done {
				return res, err
			}
		}
	case "resources/read":
	default:
		return next(ctx, c)
	}
	res, err := next(ctx, c)
	if err != nil || res == nil || !p.responses || res.Blocked != "" {
		return res, err
	}
	return g.checkResponse(ctx, p, c, res)
}

// checkRequest masks or blocks the arguments; done is set when the call
// is answered here.
func (g *Guard) checkRequest(ctx context.Context, p *policy, c *plugin.Call) (*plugin.Result, error, bool) {
	args := c.RawArguments()
	if args == nil {
		return nil, nil, false
	}
	out, t, err := g.scan(p, args, false)
	if err != nil {
		g.report(ctx, c, "request", tally{}, "blocked", "the arguments could not be checked")
		res, err := plugin.Block(c.Method, g.name, "the arguments could not be checked")
		return res, err, true
	}
	if t.block {
		g.report(ctx, c, "request", t, "", "")
		res, err := plugin.Block(c.Method, g.name, t.labels()+" found in the arguments")
		return res, err, true
	}
	g.report(ctx, c, "request", t, "", "")
	if out != nil {
		if err := c.SetArguments(out); err != nil {
			res, err := plugin.Block(c.Method, g.name, "the arguments could not be masked")
			return res, err, true
		}
	}
	return nil, nil, false
}

func (g *Guard) checkResponse(ctx context.Context, p *policy, c *plugin.Call, res *plugin.Result) (*plugin.Result, error) {
	out, t, err := g.scan(p, res.Raw, true)
	if err != nil {
		g.report(ctx, c, "response", tally{}, "blocked", "the result could not be checked")
		return plugin.Block(c.Method, g.name, "the result could not be checked")
	}
	if t.block {
		g.report(ctx, c, "response", t, "", "")
		return plugin.Block(c.Method, g.name, t.labels()+" found in the result")
	}
	g.report(ctx, c, "response", t, "", "")
	if out != nil {
		res.Raw, res.Changed = out, true
	}
	return res, nil
}

// tally counts findings by rule and records which action wins.
type tally struct {
	n     map[string]int    // findings by rule
	act   map[string]Action // action by rule
	label map[string]string // mask label by rule
	block bool
}

func (t *tally) add(m guard.Match, a Action) {
	if t.n == nil {
		t.n, t.act, t.label = map[string]int{}, map[string]Action{}, map[string]string{}
	}
	t.n[m.Rule]++
	t.act[m.Rule] = a
	t.label[m.Rule] = m.Label
	if a == Block {
		t.block = true
	}
}

// labels lists the kinds of blocked findings, for the client: "a
// GITHUB_PERSONAL_ACCESS_TOKEN".
func (t *tally) labels() string {
	var ls []string
	for r, a := range t.act {
		if a == Block {
			ls = append(ls, t.label[r])
		}
	}
	sort.Strings(ls)
	return strings.Join(ls, ", ")
}

// report sends one event per rule found, typed by its action; with no
// finding and override set, one event of that type.
func (g *Guard) report(ctx context.Context, c *plugin.Call, dir string, t tally, override, reason string) {
	if len(t.n) == 0 && override != "" {
		g.events.Report(ctx, plugin.Event{Plugin: g.name, Type: override, Server: c.Server, Name: c.Name,
			Direction: dir, Reason: reason, Session: c.Session})
		return
	}
	rules := make([]string, 0, len(t.n))
	for r := range t.n {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		typ := map[Action]string{Mask: "masked", Block: "blocked", Log: "logged"}[t.act[r]]
		g.events.Report(ctx, plugin.Event{Plugin: g.name, Type: typ, Server: c.Server, Name: c.Name,
			Direction: dir, Rule: r, Count: t.n[r], Reason: reason, Session: c.Session})
	}
}

// maxKeyContextValue is the longest string value scanned with its member
// name before it (see Guard.KeyContext): longer texts carry their own
// context.
const maxKeyContextValue = 256

var matchPool = sync.Pool{New: func() any { s := make([]guard.Match, 0, 16); return &s }}

// scan runs the detector over every string of doc and returns the
// masked document (nil when unchanged) and what was found. In results,
// structural strings (types, MIME types, URIs) and base64 payloads are
// not scanned. A panic in a detector is an error, so that the call is
// blocked rather than let through unchecked.
func (g *Guard) scan(p *policy, doc []byte, result bool) (out []byte, t tally, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: detector failed: %v", g.name, r)
		}
	}()
	mp := matchPool.Get().(*[]guard.Match)
	defer matchPool.Put(mp)
	var masked, withKey []byte
	out, changed, err := jsontext.Rewrite(doc, func(key, s []byte) ([]byte, bool) {
		if result && SkipResultString(key, s) {
			return nil, false
		}
		var ms []guard.Match
		if g.KeyContext && len(key) > 0 && len(s) <= maxKeyContextValue {
			// Scan "key: value" and keep the matches in the value.
			withKey = append(append(append(withKey[:0], key...), ':', ' '), s...)
			off := len(withKey) - len(s)
			all := p.det.Find(withKey, (*mp)[:0])
			ms = all[:0]
			for _, m := range all {
				if m.Start >= off {
					m.Start, m.End = m.Start-off, m.End-off
					ms = append(ms, m)
				}
			}
		} else {
			ms = p.det.Find(s, (*mp)[:0])
		}
		*mp = ms[:0]
		if len(ms) == 0 {
			return nil, false
		}
		masked = masked[:0]
		last := 0
		for _, m := range ms {
			a := p.action
			if o, ok := p.actions[m.Rule]; ok {
				a = o
			}
			t.add(m, a)
			if a != Mask || m.Start < last || m.End > len(s) || m.Start >= m.End {
				continue
			}
			masked = append(masked, s[last:m.Start]...)
			masked = append(masked, '<')
			masked = append(masked, m.Label...)
			masked = append(masked, '>')
			last = m.End
		}
		if last == 0 {
			return nil, false
		}
		masked = append(masked, s[last:]...)
		return masked, true
	})
	if err != nil || !changed {
		return nil, t, err
	}
	return out, t, nil
}

// SkipResultString reports whether a string of a result, the value of
// member key, is structure or binary rather than text: content types,
// MIME types, URIs, roles, and base64 data. Guardrails leave those alone.
func SkipResultString(key, s []byte) bool {
	switch string(key) {
	case "type", "mimeType", "uri", "role", "resultType", "cacheScope":
		return true
	case "data", "blob":
		return bytes.IndexByte(s, ' ') < 0
	}
	return false
}
