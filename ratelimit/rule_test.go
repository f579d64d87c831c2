package ratelimit

import (
	"path"
	"testing"
)

func TestRuleApplies(t *testing.T) {
	dev := Subject{Principal: "alice", Roles: []string{"ops", "dev"}}
	bot := Subject{Principal: "ci-bot"}
	tests := []struct {
		name   string
		rule   Rule
		s      Subject
		server string
		tool   string
		want   bool
	}{
		{"no selectors, tool call", Rule{PerSecond: 1}, bot, "github", "github__x", true},
		{"no selectors, non-tool request", Rule{PerSecond: 1}, bot, "github", "", true},
		{"role any of", Rule{Roles: []string{"admin", "dev"}, PerSecond: 1}, dev, "s", "s__t", true},
		{"role absent", Rule{Roles: []string{"admin"}, PerSecond: 1}, dev, "s", "s__t", false},
		{"role, subject without roles", Rule{Roles: []string{"dev"}, PerSecond: 1}, bot, "s", "s__t", false},
		{"principal any of", Rule{Principals: []string{"x", "ci-bot"}, PerSecond: 1}, bot, "s", "", true},
		{"principal absent", Rule{Principals: []string{"x"}, PerSecond: 1}, bot, "s", "", false},
		{"principal is exact, not a glob", Rule{Principals: []string{"ci-*"}, PerSecond: 1}, bot, "s", "", false},
		{"principal and role both required", Rule{Principals: []string{"alice"}, Roles: []string{"admin"}, PerSecond: 1}, dev, "s", "", false},
		{"server exact", Rule{Servers: []string{"github"}, PerSecond: 1}, bot, "github", "github__x", true},
		{"server other", Rule{Servers: []string{"github"}, PerSecond: 1}, bot, "gitlab", "gitlab__x", false},
		{"server glob", Rule{Servers: []string{"git*"}, PerSecond: 1}, bot, "gitlab", "", true},
		{"server class glob", Rule{Servers: []string{"fs-[0-9]"}, PerSecond: 1}, bot, "fs-3", "", true},
		{"tool exact", Rule{Tools: []string{"everything__echo"}, PerSecond: 1}, bot, "everything", "everything__echo", true},
		{"tool other", Rule{Tools: []string{"everything__echo"}, PerSecond: 1}, bot, "everything", "everything__add", false},
		{"tool prefix glob", Rule{Tools: []string{"github__create_*"}, PerSecond: 1}, bot, "github", "github__create_issue", true},
		{"tool suffix glob", Rule{Tools: []string{"*__delete"}, PerSecond: 1}, bot, "fs", "fs__delete", true},
		{"tool middle glob", Rule{Tools: []string{"github__*_issue"}, PerSecond: 1}, bot, "github", "github__create_issue", true},
		{"tool middle glob miss", Rule{Tools: []string{"github__*_issue"}, PerSecond: 1}, bot, "github", "github__create_pr", false},
		{"tool question mark", Rule{Tools: []string{"s__t?"}, PerSecond: 1}, bot, "s", "s__t1", true},
		{"tool star matches a slash", Rule{Tools: []string{"*"}, PerSecond: 1}, bot, "s", "s__a/b", true},
		{"tool glob star matches a slash", Rule{Tools: []string{"s__*x"}, PerSecond: 1}, bot, "s", "s__a/bx", true},
		{"tools rule skips non-tool requests", Rule{Tools: []string{"*"}, PerSecond: 1}, bot, "s", "", false},
		{"servers and tools both required", Rule{Servers: []string{"a"}, Tools: []string{"*"}, PerSecond: 1}, bot, "b", "b__t", false},
		{"servers rule covers non-tool requests", Rule{Servers: []string{"a"}, PerSecond: 1}, bot, "a", "", true},
		{"anonymous matches selector-less rule", Rule{PerSecond: 1}, Subject{}, "s", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compileRule(0, tt.rule)
			if got := c.applies(&tt.s, tt.server, tt.tool); got != tt.want {
				t.Fatalf("applies = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRuleKeying(t *testing.T) {
	s := Subject{Principal: "alice"}
	tests := []struct {
		name         string
		rule         Rule
		server, tool string
		keying       string
		wantServer   string
		wantTool     string
	}{
		{"tools rule keys per tool", Rule{Tools: []string{"*"}, PerSecond: 1}, "gh", "gh__x", PerTool, "", "gh__x"},
		{"servers and tools keys per tool", Rule{Servers: []string{"gh"}, Tools: []string{"*"}, PerSecond: 1}, "gh", "gh__x", PerTool, "", "gh__x"},
		{"servers rule keys per server", Rule{Servers: []string{"*"}, PerSecond: 1}, "gh", "gh__x", PerServer, "gh", ""},
		{"no selector keys per principal", Rule{PerSecond: 1}, "gh", "gh__x", PerPrincipal, "", ""},
		{"roles only keys per principal", Rule{Roles: []string{"dev"}, PerSecond: 1}, "gh", "gh__x", PerPrincipal, "", ""},
		{"per principal overrides tools", Rule{Tools: []string{"*"}, PerHour: 1000, Per: PerPrincipal}, "gh", "gh__x", PerPrincipal, "", ""},
		{"per server overrides tools", Rule{Tools: []string{"*"}, PerHour: 1, Per: PerServer}, "gh", "gh__x", PerServer, "gh", ""},
		{"per tool on a selector-less rule", Rule{PerHour: 1, Per: PerTool}, "gh", "gh__x", PerTool, "", "gh__x"},
		{"per tool, non-tool request keys per server", Rule{PerHour: 1, Per: PerTool}, "gh", "", PerTool, "gh", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Keying(); got != tt.keying {
				t.Fatalf("Keying = %q, want %q", got, tt.keying)
			}
			c := compileRule(0, tt.rule)
			b := c.bucket(&s, tt.server, tt.tool)
			if b.Principal != "alice" || b.Server != tt.wantServer || b.Tool != tt.wantTool || b.Rule != ruleID(tt.rule) {
				t.Fatalf("bucket %+v, want server %q tool %q", b, tt.wantServer, tt.wantTool)
			}
		})
	}
}

func TestRuleRateAndCapacity(t *testing.T) {
	tests := []struct {
		rule     Rule
		rate     float64
		capacity float64
	}{
		{Rule{PerMinute: 5}, 5.0 / 60, 5},
		{Rule{PerSecond: 2, Burst: 10}, 2, 10},
		{Rule{PerHour: 1000}, 1000.0 / 3600, 1000},
		{Rule{PerSecond: 0.5}, 0.5, 1},
		{Rule{PerMinute: 2.5}, 2.5 / 60, 3},
	}
	for _, tt := range tests {
		if r, c := tt.rule.Rate(), tt.rule.Capacity(); r != tt.rate || c != tt.capacity {
			t.Errorf("%+v: rate %v capacity %v, want %v %v", tt.rule, r, c, tt.rate, tt.capacity)
		}
	}
}

func TestRuleID(t *testing.T) {
	a := ruleID(Rule{Tools: []string{"a", "b"}, PerMinute: 5})
	if a != ruleID(Rule{Tools: []string{"b", "a", "a"}, PerMinute: 5}) {
		t.Error("selector order changes the id")
	}
	if a != ruleID(Rule{Tools: []string{"a", "b"}, PerMinute: 5, Burst: 5, Per: PerTool}) {
		t.Error("spelling out the defaults changes the id")
	}
	for _, other := range []Rule{
		{Tools: []string{"a", "b"}, PerMinute: 6},
		{Tools: []string{"a", "b"}, PerSecond: 5},
		{Tools: []string{"a", "b"}, PerMinute: 5, Burst: 6},
		{Tools: []string{"a", "b"}, PerMinute: 5, Per: PerPrincipal},
		{Servers: []string{"a", "b"}, PerMinute: 5, Per: PerTool},
		{Roles: []string{"a", "b"}, PerMinute: 5, Per: PerTool},
	} {
		if ruleID(other) == a {
			t.Errorf("%+v has the same id", other)
		}
	}
}

// TestGlobMatchesPathMatch checks the glob matcher against path.Match on
// names without '/', where the two agree by design.
func TestGlobMatchesPathMatch(t *testing.T) {
	patterns := []string{"*", "a*", "*a", "a*b", "*a*", "a?c", "[ab]*", "[^ab]x", "[a-c]?", `a\*`, `\[x]`, "**", "a*b*c", "*_issue", "s__*", "é?", "[é-ü]", ""}
	names := []string{"", "a", "b", "ab", "abc", "aXb", "acb", "a*", "[x]", "cx", "bx", "ax", "abbc", "aabbcc", "x_issue", "s__t", "éa", "ö", "ac", "abab"}
	for _, p := range patterns {
		m := compileGlob(p)
		for _, n := range names {
			want, err := path.Match(p, n)
			if err != nil {
				t.Fatalf("%q: %v", p, err)
			}
			if got := m.match(n); got != want {
				t.Errorf("match(%q, %q) = %v, path.Match says %v", p, n, got, want)
			}
		}
	}
}

func TestDescribe(t *testing.T) {
	dev := Subject{Principal: "alice", Roles: []string{"dev"}}
	bot := Subject{Principal: "ci-bot"}
	tests := []struct {
		rule         Rule
		s            Subject
		server, tool string
		want         string
	}{
		{Rule{Roles: []string{"dev"}, Tools: []string{"everything__echo"}, PerMinute: 5}, dev, "everything", "everything__echo", "5 per minute for role dev on everything__echo"},
		{Rule{Principals: []string{"ci-bot"}, Servers: []string{"github"}, PerSecond: 2, Burst: 10}, bot, "github", "github__x", "2 per second (burst 10) for principal ci-bot on server github"},
		{Rule{Tools: []string{"*"}, PerHour: 1000, Per: "principal"}, bot, "github", "github__x", "1000 per hour for principal ci-bot on all tools together"},
		{Rule{Tools: []string{"a__*", "b__*"}, Servers: []string{"a", "b"}, PerHour: 10, Per: "principal"}, bot, "a", "a__x", "10 per hour for principal ci-bot on tools a__*, b__* of servers a, b together"},
		{Rule{Servers: []string{"gh*"}, PerHour: 10, Per: "principal"}, bot, "gh", "", "10 per hour for principal ci-bot on server gh* together"},
		{Rule{PerSecond: 0.5}, Subject{}, "s", "", "0.5 per second for anonymous callers on all requests together"},
		{Rule{PerSecond: 1, Per: "tool"}, bot, "s", "", "1 per second for principal ci-bot on server s (requests other than tool calls)"},
	}
	for _, tt := range tests {
		c := compileRule(0, tt.rule)
		if got := c.describe(&tt.s, tt.server, tt.tool); got != tt.want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.rule, got, tt.want)
		}
	}
}
