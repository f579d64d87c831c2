package policy

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Kind is the kind of item a request is for.
type Kind int

const (
	// Tool is a tool; Request.Name is the exposed tool name (server__tool).
	Tool Kind = iota
	// Prompt is a prompt; Request.Name is the exposed prompt name.
	Prompt
	// Resource is a resource; Request.Name is its URI (or, for listing
	// resource templates, the URI template as written).
	Resource
	numKinds
)

// String returns "tool", "prompt" or "resource", the value of the CEL
// variable kind.
func (k Kind) String() string {
	switch k {
	case Tool:
		return "tool"
	case Prompt:
		return "prompt"
	case Resource:
		return "resource"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) valid() bool { return k >= 0 && k < numKinds }

// Subject is who makes a call: the authenticated principal and the roles
// and scopes it holds. Values are compared exactly (case-sensitive).
type Subject struct {
	Principal string
	Roles     []string
	Scopes    []string
}

// Request is one call to decide.
type Request struct {
	Subject Subject
	Kind    Kind
	// Name is the exposed name the client used: the tool or prompt name,
	// or the resource URI.
	Name string
	// Server is the name of the upstream server that serves Name; only
	// conditions see it (the CEL variable server).
	Server string
	// Args returns the call's arguments. Decide calls it only when a
	// condition reads the variable args, and at most once. Nil means no
	// arguments. An error makes every condition that reads args fail.
	Args func() (map[string]any, error)
}

// Decision is the outcome of [Engine.Decide].
type Decision struct {
	Allowed bool
	// Rule is the index in gateway.policies of the policy that decided,
	// or -1 when none did: authorization is off, or no policy allowed the
	// call.
	Rule int
	// Reason says why, for logs and error messages, such as
	// `policies[0] denies "github__delete_*"` or
	// `no policy allows "github__push" for principal bob (roles: dev)`.
	Reason string
}

// Engine decides requests against compiled policies. It is immutable and
// safe for concurrent use.
type Engine struct {
	policies []compiled
	// Which policies apply to a subject is found with bit sets, one bit
	// per policy, nwords words of 64 policies: a policy applies when its
	// bit is set for the principal, for some role and for some scope.
	nwords                    int
	principals, roles, scopes selectorIndex
}

// compiled is one policy, ready to match.
type compiled struct {
	deny, allow             [numKinds]patternSet
	denyPats, allowPats     []pattern
	denyReason, allowReason []string // per line, precomputed
	cond                    *condition
}

// reasonOff is the reason of every decision of a disabled engine.
const reasonOff = "authorization is off: no policies are configured"

// New compiles policies into an Engine. It checks each policy as [Parse]
// does and compiles its When condition; every problem is reported, joined
// into one error, each line naming its path, such as
// "gateway.policies[1].when: invalid CEL expression: ...". New(nil)
// returns a disabled engine that allows everything.
func New(ps []Policy) (*Engine, error) {
	e := &Engine{policies: make([]compiled, len(ps))}
	var errs []error
	for i, p := range ps {
		if perrs := checkPolicy(i, p); len(perrs) > 0 {
			errs = append(errs, perrs...)
			continue
		}
		c := &e.policies[i]
		if p.When != "" {
			cond, err := compileCondition(p.When)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s[%d].when: %v", configPath, i, err))
				continue
			}
			c.cond = cond
		}
		suffix := ""
		if c.cond != nil {
			suffix = " when " + p.When
		}
		c.denyPats, c.denyReason = compileLines(p.Deny, fmt.Sprintf("policies[%d] denies ", i), suffix)
		c.allowPats, c.allowReason = compileLines(p.Allow, fmt.Sprintf("policies[%d] allows ", i), suffix)
		for k := range numKinds {
			c.deny[k] = newPatternSet(c.denyPats, k)
			c.allow[k] = newPatternSet(c.allowPats, k)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	e.nwords = (len(ps) + 63) / 64
	e.principals = newSelectorIndex(ps, e.nwords, func(p *Policy) []string { return p.Principals })
	e.roles = newSelectorIndex(ps, e.nwords, func(p *Policy) []string { return p.Roles })
	e.scopes = newSelectorIndex(ps, e.nwords, func(p *Policy) []string { return p.Scopes })
	return e, nil
}

// compileLines compiles checked patterns and their reasons.
func compileLines(lines []string, prefix, suffix string) ([]pattern, []string) {
	pats := make([]pattern, len(lines))
	reasons := make([]string, len(lines))
	for j, l := range lines {
		pats[j], _ = parsePattern(l) // checked by checkPolicy
		reasons[j] = prefix + strconv.Quote(l) + suffix
	}
	return pats, reasons
}

// Enabled reports whether any policy is configured. A disabled engine
// allows every request and shows every item; a nil *Engine is a disabled
// engine.
func (e *Engine) Enabled() bool { return e != nil && len(e.policies) > 0 }

// Decide decides one request:
//
//   - with no policies, everything is allowed (Rule -1);
//   - otherwise, among the policies that apply to the subject, a
//     matching deny line wins over every allow line, whatever the order;
//   - a policy with a condition takes part only when the condition is
//     true; a condition that cannot be evaluated counts as true for deny
//     lines and false for allow lines;
//   - what no applicable policy allows is denied (Rule -1).
//
// Unconditional denies are checked first, so a call that one of them
// denies evaluates no condition; then conditional denies in policy order,
// then unconditional allows, then conditional allows in policy order.
// Rule names the first policy, in that order, that decided. A decision
// that needs no condition does not allocate, except for the reason of a
// call that no policy allows.
func (e *Engine) Decide(r Request) Decision {
	if !e.Enabled() {
		return Decision{Allowed: true, Rule: -1, Reason: reasonOff}
	}
	if !r.Kind.valid() {
		return Decision{Rule: -1, Reason: "unknown kind " + r.Kind.String()}
	}
	k := r.Kind
	var buf [stackWords]uint64
	set := e.applicable(&r.Subject, &buf)
	condDeny, condAllow := false, false
	allowRule, allowLine := -1, -1
	for w, word := range set {
		for ; word != 0; word &= word - 1 {
			i := w<<6 | bits.TrailingZeros64(word)
			p := &e.policies[i]
			if d := p.deny[k].match(r.Name); d >= 0 {
				if p.cond == nil {
					return Decision{Rule: i, Reason: p.denyReason[d]}
				}
				condDeny = true
				continue // its allow lines share the condition: see below
			}
			if p.allow[k].empty() {
				continue
			}
			if p.cond != nil {
				condAllow = true
			} else if allowRule < 0 {
				if a := p.allow[k].match(r.Name); a >= 0 {
					allowRule, allowLine = i, a
				}
			}
		}
	}
	var act *activation
	var failed string // why the first conditional allow did not apply
	if condDeny {
		act = &activation{r: r}
		for _, i := range e.conditional(set) {
			p := &e.policies[i]
			d := p.deny[k].match(r.Name)
			if d < 0 {
				continue
			}
			ok, err := p.cond.eval(act)
			if err != nil {
				return Decision{Rule: i, Reason: fmt.Sprintf("%s: the condition could not be evaluated (%v), which counts as true for deny lines", p.denyReason[d], err)}
			}
			if ok {
				return Decision{Rule: i, Reason: p.denyReason[d]}
			}
		}
	}
	if allowRule >= 0 {
		return Decision{Allowed: true, Rule: allowRule, Reason: e.policies[allowRule].allowReason[allowLine]}
	}
	if condAllow {
		if act == nil {
			act = &activation{r: r}
		}
		for _, i := range e.conditional(set) {
			p := &e.policies[i]
			a := p.allow[k].match(r.Name)
			// A policy whose deny matches had its condition evaluated to
			// false above: its allow lines do not apply either.
			if a < 0 || p.deny[k].match(r.Name) >= 0 {
				continue
			}
			ok, err := p.cond.eval(act)
			if err == nil && ok {
				return Decision{Allowed: true, Rule: i, Reason: p.allowReason[a]}
			}
			if failed == "" {
				if err != nil {
					failed = fmt.Sprintf("; policies[%d] allows it only when %s, which could not be evaluated (%v)", i, p.cond.src, err)
				} else {
					failed = fmt.Sprintf("; policies[%d] allows it only when %s", i, p.cond.src)
				}
			}
		}
	}
	return Decision{Rule: -1, Reason: noPolicyReason(&r, failed)}
}

// noPolicyReason is the reason of a call that no policy allows.
func noPolicyReason(r *Request, failed string) string {
	var b strings.Builder
	n := 64 + len(r.Name) + len(r.Subject.Principal) + len(failed)
	for _, v := range r.Subject.Roles {
		n += len(v) + 2
	}
	for _, v := range r.Subject.Scopes {
		n += len(v) + 2
	}
	b.Grow(n)
	b.WriteString("no policy allows ")
	b.WriteString(strconv.Quote(r.Name))
	b.WriteString(" for ")
	if r.Subject.Principal == "" {
		b.WriteString("an anonymous principal")
	} else {
		b.WriteString("principal ")
		b.WriteString(r.Subject.Principal)
	}
	if len(r.Subject.Roles) > 0 || len(r.Subject.Scopes) > 0 {
		b.WriteString(" (")
		if len(r.Subject.Roles) > 0 {
			b.WriteString("roles: ")
			writeList(&b, r.Subject.Roles)
		}
		if len(r.Subject.Scopes) > 0 {
			if len(r.Subject.Roles) > 0 {
				b.WriteString("; ")
			}
			b.WriteString("scopes: ")
			writeList(&b, r.Subject.Scopes)
		}
		b.WriteString(")")
	}
	b.WriteString(failed)
	return b.String()
}

func writeList(b *strings.Builder, vals []string) {
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v)
	}
}

// Visible reports whether an item of kind k named name belongs in a list
// shown to s: whether s could be allowed to call it for some arguments.
// That is, some applicable policy has an allow line that matches (with or
// without a condition) and no applicable policy without a condition has a
// deny line that matches. Conditional denies do not hide items, but a
// conditional policy's allow lines do not count for a name its own deny
// lines match, since both share one condition. A disabled engine shows
// everything. Visible evaluates no condition and does not allocate.
func (e *Engine) Visible(s Subject, k Kind, name string) bool {
	if !e.Enabled() {
		return true
	}
	if !k.valid() {
		return false
	}
	allowed := false
	var buf [stackWords]uint64
	for w, word := range e.applicable(&s, &buf) {
		for ; word != 0; word &= word - 1 {
			p := &e.policies[w<<6|bits.TrailingZeros64(word)]
			if p.deny[k].match(name) >= 0 {
				if p.cond == nil {
					return false
				}
				continue
			}
			if !allowed && p.allow[k].match(name) >= 0 {
				allowed = true
			}
		}
	}
	return allowed
}
