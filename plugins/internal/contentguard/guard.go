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
	d := jsontext.NewDoc(args)
	defer d.Release()
	changed, t, err := g.scan(p, d, false)
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
	if changed {
		if err := c.SetArguments(d.Bytes()); err != nil {
			res, err := plugin.Block(c.Method, g.name, "the arguments could not be masked")
			return res, err, true
		}
	}
	return nil, nil, false
}

// checkResponse masks or blocks the result. It reads the result's strings
// through res.Strings, so that the content guardrails of a call share one
// walk of it.
func (g *Guard) checkResponse(ctx context.Context, p *policy, c *plugin.Call, res *plugin.Result) (*plugin.Result, error) {
	d := res.Strings()
	changed, t, err := g.scan(p, d, true)
	if err != nil {
		g.report(ctx, c, "response", tally{}, "blocked", "the result could not be checked")
		return plugin.Block(c.Method, g.name, "the result could not be checked")
	}
	if t.block {
		g.report(ctx, c, "response", t, "", "")
		return plugin.Block(c.Method, g.name, t.labels()+" found in the result")
	}
	g.report(ctx, c, "response", t, "", "")
	if changed {
		res.Raw, res.Changed = d.Bytes(), true
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

// pass is one scan of the strings of a message by one guardrail, with the
// buffers it reuses.
type pass struct {
	g       *Guard
	p       *policy
	result  bool
	t       tally
	ms      []guard.Match
	masked  []byte
	withKey []byte
}

// maxPooledMask bounds the mask buffer kept for the next pass.
const maxPooledMask = 1 << 20

var passPool = sync.Pool{New: func() any { return &pass{ms: make([]guard.Match, 0, 16)} }}

// scan runs the detector over every string of d and masks what it finds
// in d; it reports whether it masked anything and what was found. In
// results, structural strings (types, MIME types, URIs) and base64
// payloads are not scanned. A panic in a detector is an error, so that
// the call is blocked rather than let through unchecked.
func (g *Guard) scan(p *policy, d *jsontext.Doc, result bool) (changed bool, t tally, err error) {
	ps := passPool.Get().(*pass)
	ps.g, ps.p, ps.result, ps.t = g, p, result, tally{}
	defer func() {
		if r := recover(); r != nil {
			changed, err = false, fmt.Errorf("%s: detector failed: %v", g.name, r)
		}
		ps.g, ps.p, ps.t = nil, nil, tally{}
		if cap(ps.masked) > maxPooledMask {
			ps.masked = nil
		}
		passPool.Put(ps)
	}()
	changed, err = d.Rewrite(ps.visit)
	return changed, ps.t, err
}

// visit scans one string and returns it masked, if anything is to be.
func (ps *pass) visit(key, s []byte) ([]byte, bool) {
	if ps.result && SkipResultString(key, s) {
		return nil, false
	}
	p := ps.p
	var ms []guard.Match
	if ps.g.KeyContext && len(key) > 0 && len(s) <= maxKeyContextValue {
		// Scan "key: value" and keep the matches in the value.
		ps.withKey = append(append(append(ps.withKey[:0], key...), ':', ' '), s...)
		off := len(ps.withKey) - len(s)
		all := p.det.Find(ps.withKey, ps.ms[:0])
		ms = all[:0]
		for _, m := range all {
			if m.Start >= off {
				m.Start, m.End = m.Start-off, m.End-off
				ms = append(ms, m)
			}
		}
	} else {
		ms = p.det.Find(s, ps.ms[:0])
	}
	ps.ms = ms[:0]
	if len(ms) == 0 {
		return nil, false
	}
	masked := ps.masked[:0]
	last := 0
	for _, m := range ms {
		a := p.action
		if o, ok := p.actions[m.Rule]; ok {
			a = o
		}
		ps.t.add(m, a)
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
	ps.masked = masked
	return masked, true
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
