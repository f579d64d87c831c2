// Package injection is the guardrail against prompt injection and tool
// poisoning. It scores the text of tool results, resource contents and
// prompt messages for instructions aimed at the model and blocks what
// scores above the threshold; and it scans every tool, prompt, resource
// and template definition (descriptions, titles and every string of the
// schemas) whenever a backend's lists are fetched or change, hiding the
// poisoned ones from clients and refusing calls to them.
package injection

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/mcpgw/mcp-gateway/guard"
	detector "github.com/mcpgw/mcp-gateway/guard/injection"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/plugins/internal/contentguard"
)

// Name is the plugin's name.
const Name = "injection"

func init() {
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is gateway.plugins.injection and each of its per-server
// overrides ("servers": {"<name>": {...}}).
type Config struct {
	// Threshold is the score at or above which content is blocked and a
	// definition hidden (0: the detector's default).
	Threshold float64 `json:"threshold"`
	// Disable turns rules off; Allow lists exact phrases never counted.
	Disable []string `json:"disable"`
	Allow   []string `json:"allow"`
	// Action for content above the threshold: "block" (default) or
	// "log".
	Action contentguard.Action `json:"action"`
	// StripHidden removes invisible characters (Unicode tags, zero-width
	// and bidi controls, ANSI escapes) from results that are not blocked.
	// Default true.
	StripHidden *bool `json:"stripHidden"`
	// Results and Definitions turn each scan on or off (both on).
	Results     *bool `json:"results"`
	Definitions *bool `json:"definitions"`
	// Enabled turns the plugin off for a server when false.
	Enabled *bool `json:"enabled"`
}

// policy is what applies to one server.
type policy struct {
	scan                          *detector.Scanner
	block, strip                  bool
	results, definitions, enabled bool
}

// Plugin is the injection guardrail.
type Plugin struct {
	policies contentguard.PerServer[*policy]
	events   plugin.EventSink

	verdicts sync.Map // definition hash + server → *plugin.Judgement (nil pointer: clean)
	nCached  int
	mu       sync.Mutex
}

var _ plugin.DefinitionJudge = (*Plugin)(nil)

// maxCachedVerdicts bounds the definition verdict cache; past it the
// cache starts over.
const maxCachedVerdicts = 20000

// New builds the plugin.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	sec, err := contentguard.ParseSection(Name, raw)
	if err != nil {
		return nil, err
	}
	p := &Plugin{events: env.Events}
	mk := func(server string) (*policy, error) {
		var cfg Config
		if err := sec.Decode(server, &cfg); err != nil {
			return nil, err
		}
		where := sec.Where(server)
		switch cfg.Action {
		case "", contentguard.Block, contentguard.Log:
		default:
			return nil, fmt.Errorf("%s.action: unknown action %q (use block or log)", where, cfg.Action)
		}
		if cfg.Threshold < 0 || cfg.Threshold > 1 {
			return nil, fmt.Errorf("%s.threshold: %v is not between 0 and 1", where, cfg.Threshold)
		}
		s, err := detector.New(detector.Options{Threshold: cfg.Threshold, Disable: cfg.Disable, Allow: cfg.Allow})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		pol := &policy{scan: s, block: cfg.Action != contentguard.Log, strip: true, results: true, definitions: true, enabled: true}
		for _, o := range []struct {
			v   *bool
			dst *bool
		}{{cfg.StripHidden, &pol.strip}, {cfg.Results, &pol.results}, {cfg.Definitions, &pol.definitions}, {cfg.Enabled, &pol.enabled}} {
			if o.v != nil {
				*o.dst = *o.v
			}
		}
		return pol, nil
	}
	if p.policies, err = contentguard.BuildPerServer(sec, mk); err != nil {
		return nil, err
	}
	if p.events == nil {
		p.events = plugin.LogEvents{Log: env.Log}
	}
	return p, nil
}

// Handle scans the results of tools/call, resources/read and prompts/get.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	switch c.Method {
	case "tools/call", "resources/read", "prompts/get":
	default:
		return next(ctx, c)
	}
	pol := p.policies.For(c.Server)
	res, err := next(ctx, c)
	if err != nil || res == nil || res.Blocked != "" || !pol.enabled || !pol.results {
		return res, err
	}
	return p.checkResult(ctx, pol, c, res)
}

func (p *Plugin) checkResult(ctx context.Context, pol *policy, c *plugin.Call, res *plugin.Result) (out *plugin.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "blocked", Server: c.Server, Name: c.Name,
				Direction: "response", Reason: "the result could not be checked", Session: c.Session})
			out, err = plugin.Block(c.Method, Name, "the result could not be checked")
		}
	}()
	rp := resultPass{pol: pol}
	d := res.Strings()
	changed, werr := d.Rewrite(rp.visit)
	if werr != nil {
		p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "blocked", Server: c.Server, Name: c.Name,
			Direction: "response", Reason: "the result could not be checked", Session: c.Session})
		return plugin.Block(c.Method, Name, "the result could not be checked")
	}
	worst := rp.worst
	if rp.blocked {
		rules := ruleList(worst.Findings)
		typ := "blocked"
		if !pol.block {
			typ = "logged"
		}
		p.events.Report(ctx, plugin.Event{Plugin: Name, Type: typ, Server: c.Server, Name: c.Name, Direction: "response",
			Rule: strings.Join(rules, ","), Count: len(worst.Findings), Reason: fmt.Sprintf("score %.2f", worst.Score), Session: c.Session})
		if pol.block {
			return plugin.Block(c.Method, Name, "the result looks like a prompt injection ("+strings.Join(labels(worst.Findings), "; ")+")")
		}
	}
	if rp.stripped && changed {
		p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "masked", Server: c.Server, Name: c.Name, Direction: "response",
			Rule: "hidden-text", Count: 1, Reason: "invisible characters removed", Session: c.Session})
		res.Raw, res.Changed = d.Bytes(), true
	}
	return res, nil
}

// resultPass is one scan of the strings of a result.
type resultPass struct {
	pol      *policy
	worst    detector.Verdict // the highest scoring string's
	blocked  bool             // some string scored at or above the threshold
	stripped bool             // invisible characters were removed
}

func (rp *resultPass) visit(key, s []byte) ([]byte, bool) {
	if contentguard.SkipResultString(key, s) {
		return nil, false
	}
	v := rp.pol.scan.ScanText(s)
	if v.Score > rp.worst.Score {
		rp.worst = v
	}
	if v.Blocked {
		rp.blocked = true
	}
	if rp.pol.strip && hasHidden(v.Findings) {
		if clean, ok := rp.pol.scan.StripHidden(s); ok {
			rp.stripped = true
			return clean, true
		}
	}
	return nil, false
}

// Judge hides definitions that score at or above the threshold. Verdicts
// are cached by the definition's content.
func (p *Plugin) Judge(d *plugin.Definition) *plugin.Judgement {
	pol := p.policies.For(d.Server)
	if d.Skipped || !pol.enabled || !pol.definitions {
		return nil
	}
	sum := sha256.Sum256(d.Raw)
	key := d.Server + "\x00" + d.Kind + "\x00" + string(sum[:])
	if v, ok := p.verdicts.Load(key); ok {
		return v.(*plugin.Judgement)
	}
	var j *plugin.Judgement
	func() {
		defer func() {
			if r := recover(); r != nil {
				j = &plugin.Judgement{Plugin: Name, Reason: "its definition could not be checked"}
			}
		}()
		v := pol.scan.ScanDefinition(d.Kind, d.Raw)
		if v.Blocked && pol.block {
			j = &plugin.Judgement{Plugin: Name, Reason: fmt.Sprintf("its definition looks like tool poisoning (score %.2f: %s)", v.Score, strings.Join(labels(v.Findings), "; "))}
		}
	}()
	p.mu.Lock()
	if p.nCached >= maxCachedVerdicts {
		p.verdicts.Clear()
		p.nCached = 0
	}
	p.nCached++
	p.mu.Unlock()
	p.verdicts.Store(key, j)
	return j
}

func hasHidden(fs []guard.Match) bool {
	for _, f := range fs {
		if strings.HasPrefix(f.Rule, "hidden") {
			return true
		}
	}
	return false
}

func ruleList(fs []guard.Match) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// labels are the findings' human reasons, deduplicated, at most five.
func labels(fs []guard.Match) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Label] {
			seen[f.Label] = true
			out = append(out, f.Label)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return out
}
