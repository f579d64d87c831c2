package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Keyings for Rule.Per.
const (
	// PerPrincipal: one bucket per principal for the whole rule, shared by
	// every server and tool the rule matches.
	PerPrincipal = "principal"
	// PerServer: one bucket per principal and backend server.
	PerServer = "server"
	// PerTool: one bucket per principal and exposed tool; a request that is
	// not a tool call (prompts/get, resources/read) counts in a bucket per
	// principal and server instead.
	PerTool = "tool"
)

// Keying returns the keying the rule uses: r.Per when set, else "tool"
// when the rule names tools, "server" when it names only servers, and
// "principal" when it names neither.
func (r Rule) Keying() string {
	switch {
	case r.Per != "":
		return r.Per
	case r.Tools != nil:
		return PerTool
	case r.Servers != nil:
		return PerServer
	}
	return PerPrincipal
}

// period returns the rule's per-period amount and the period's name and
// length in seconds.
func (r Rule) period() (amount float64, name string, seconds float64) {
	switch {
	case r.PerSecond > 0:
		return r.PerSecond, "second", 1
	case r.PerMinute > 0:
		return r.PerMinute, "minute", 60
	}
	return r.PerHour, "hour", 3600
}

// Rate returns the rule's refill rate in tokens per second.
func (r Rule) Rate() float64 {
	a, _, s := r.period()
	return a / s
}

// Capacity returns the rule's bucket size: Burst when set, else the
// per-period amount rounded up, at least 1.
func (r Rule) Capacity() float64 {
	if r.Burst > 0 {
		return float64(r.Burst)
	}
	a, _, _ := r.period()
	return math.Max(1, math.Ceil(a))
}

// ruleID is a stable fingerprint of the rule's meaning: selectors (order
// and duplicates ignored), rate, capacity and keying. Bucket keys carry it
// instead of the rule's index, so reordering rules keeps their buckets and
// changing a rule starts it with fresh ones.
func ruleID(r Rule) string {
	norm := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		c := slices.Clone(ss)
		slices.Sort(c)
		return slices.Compact(c)
	}
	canon := struct {
		P, R, S, T []string
		Rate       float64
		Cap        float64
		Per        string
	}{norm(r.Principals), norm(r.Roles), norm(r.Servers), norm(r.Tools), r.Rate(), r.Capacity(), r.Keying()}
	b, _ := json.Marshal(canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// matcher is a compiled glob.
type matcher struct {
	kind int
	s    string
}

const (
	matchAll = iota
	matchExact
	matchPrefix
	matchSuffix
	matchGlob
)

func compileGlob(g string) matcher {
	if g == "*" {
		return matcher{kind: matchAll}
	}
	const meta = `*?[\`
	if !strings.ContainsAny(g, meta) {
		return matcher{kind: matchExact, s: g}
	}
	if strings.HasSuffix(g, "*") && !strings.ContainsAny(g[:len(g)-1], meta) {
		return matcher{kind: matchPrefix, s: g[:len(g)-1]}
	}
	if strings.HasPrefix(g, "*") && !strings.ContainsAny(g[1:], meta) {
		return matcher{kind: matchSuffix, s: g[1:]}
	}
	return matcher{kind: matchGlob, s: g}
}

// match reports whether name matches. The syntax is path.Match's, but '/'
// is an ordinary character: * matches any run of characters, so "*" matches
// every name and a tool name holding a '/' cannot slip past a rule.
func (m matcher) match(name string) bool {
	switch m.kind {
	case matchAll:
		return true
	case matchExact:
		return name == m.s
	case matchPrefix:
		return strings.HasPrefix(name, m.s)
	case matchSuffix:
		return strings.HasSuffix(name, m.s)
	}
	return globMatch(m.s, name)
}

// globMatch matches name against a pattern already validated by
// path.Match: * (any run), ? (one character), [class] ([^class] negated,
// ranges a-z) and \ escapes; '/' has no special meaning.
func globMatch(pattern, name string) bool {
	// Iterative matching with one backtrack point for the last star.
	px, nx := 0, 0
	starP, starN := -1, 0
	for nx < len(name) || px < len(pattern) {
		if px < len(pattern) {
			switch pattern[px] {
			case '*':
				starP, starN = px, nx
				px++
				continue
			default:
				if nx < len(name) {
					if w, nw, ok := matchOne(pattern[px:], name[nx:]); ok {
						px += w
						nx += nw
						continue
					}
				}
			}
		}
		if starP >= 0 && starN < len(name) {
			_, size := utf8.DecodeRuneInString(name[starN:])
			starN += size
			px, nx = starP+1, starN
			continue
		}
		return false
	}
	return true
}

// matchOne matches the single pattern element at the start of p (not a
// star) against the first character of s, returning the widths consumed.
func matchOne(p, s string) (pw, sw int, ok bool) {
	r, sw := utf8.DecodeRuneInString(s)
	switch p[0] {
	case '?':
		return 1, sw, true
	case '\\':
		pr, w := utf8.DecodeRuneInString(p[1:])
		return 1 + w, sw, pr == r
	case '[':
		i := 1
		negated := false
		if i < len(p) && p[i] == '^' {
			negated = true
			i++
		}
		matched := false
		for first := true; i < len(p) && (first || p[i] != ']'); first = false {
			lo, w := classChar(p[i:])
			i += w
			hi := lo
			if i < len(p) && p[i] == '-' {
				hi, w = classChar(p[i+1:])
				i += 1 + w
			}
			if lo <= r && r <= hi {
				matched = true
			}
		}
		return i + 1, sw, matched != negated
	}
	pr, w := utf8.DecodeRuneInString(p)
	return w, sw, pr == r
}

// classChar decodes one (possibly escaped) character of a class.
func classChar(p string) (rune, int) {
	if p[0] == '\\' {
		r, w := utf8.DecodeRuneInString(p[1:])
		return r, 1 + w
	}
	return utf8.DecodeRuneInString(p)
}

func anyMatch(ms []matcher, name string) bool {
	for _, m := range ms {
		if m.match(name) {
			return true
		}
	}
	return false
}

// compiled is a validated rule ready for matching.
type compiled struct {
	rule       Rule
	index      int
	id         string
	principals []string
	roles      []string
	servers    []matcher // nil: any server
	tools      []matcher // nil: any request, tool call or not
	hasTools   bool
	per        string
	rate       float64
	capacity   float64
}

func compileRule(i int, r Rule) *compiled {
	c := &compiled{
		rule:       r,
		index:      i,
		id:         ruleID(r),
		principals: r.Principals,
		roles:      r.Roles,
		hasTools:   r.Tools != nil,
		per:        r.Keying(),
		rate:       r.Rate(),
		capacity:   r.Capacity(),
	}
	for _, g := range r.Servers {
		c.servers = append(c.servers, compileGlob(g))
	}
	for _, g := range r.Tools {
		c.tools = append(c.tools, compileGlob(g))
	}
	return c
}

// applies reports whether every selector of the rule matches the call.
func (c *compiled) applies(s *Subject, server, tool string) bool {
	if c.principals != nil && !slices.Contains(c.principals, s.Principal) {
		return false
	}
	if c.roles != nil && c.matchedRole(s) == "" {
		return false
	}
	if c.servers != nil && !anyMatch(c.servers, server) {
		return false
	}
	if c.hasTools && (tool == "" || !anyMatch(c.tools, tool)) {
		return false
	}
	return true
}

// matchedRole returns the first of the rule's roles the subject holds.
func (c *compiled) matchedRole(s *Subject) string {
	for _, r := range c.roles {
		if slices.Contains(s.Roles, r) {
			return r
		}
	}
	return ""
}

// bucket returns the bucket the call counts in under this rule.
func (c *compiled) bucket(s *Subject, server, tool string) Bucket {
	b := Bucket{Rule: c.id, Principal: s.Principal, Rate: c.rate, Capacity: c.capacity}
	switch c.per {
	case PerServer:
		b.Server = server
	case PerTool:
		if tool != "" {
			b.Tool = tool
		} else {
			b.Server = server
		}
	}
	return b
}

// describe renders the limit a refused call ran into, e.g. "5 per minute
// for role dev on everything__echo".
func (c *compiled) describe(s *Subject, server, tool string) string {
	amount, period, _ := c.rule.period()
	var sb strings.Builder
	sb.WriteString(strconv.FormatFloat(amount, 'f', -1, 64))
	sb.WriteString(" per ")
	sb.WriteString(period)
	if c.capacity != math.Max(1, math.Ceil(amount)) {
		fmt.Fprintf(&sb, " (burst %s)", strconv.FormatFloat(c.capacity, 'f', -1, 64))
	}
	sb.WriteString(" for ")
	if role := c.matchedRole(s); c.roles != nil && role != "" {
		sb.WriteString("role ")
		sb.WriteString(role)
	} else if s.Principal == "" {
		sb.WriteString("anonymous callers")
	} else {
		sb.WriteString("principal ")
		sb.WriteString(s.Principal)
	}
	sb.WriteString(" on ")
	switch {
	case c.per == PerTool && tool != "":
		sb.WriteString(tool)
	case c.per == PerTool:
		sb.WriteString("server ")
		sb.WriteString(server)
		sb.WriteString(" (requests other than tool calls)")
	case c.per == PerServer:
		sb.WriteString("server ")
		sb.WriteString(server)
	case c.rule.Tools != nil:
		sb.WriteString(listing("tool", c.rule.Tools))
		if c.rule.Servers != nil {
			sb.WriteString(" of ")
			sb.WriteString(listing("server", c.rule.Servers))
		}
		sb.WriteString(" together")
	case c.rule.Servers != nil:
		sb.WriteString(listing("server", c.rule.Servers))
		sb.WriteString(" together")
	default:
		sb.WriteString("all requests together")
	}
	return sb.String()
}

// listing renders a selector list: "all tools", "tool x", "tools x, y".
func listing(noun string, globs []string) string {
	if len(globs) == 1 && globs[0] == "*" {
		return "all " + noun + "s"
	}
	if len(globs) == 1 {
		return noun + " " + globs[0]
	}
	return noun + "s " + strings.Join(globs, ", ")
}
