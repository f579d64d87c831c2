package policy

import (
	"math/rand/v2"
	"path"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"github__push", "github__push", true},
		{"github__push", "github__pus", false},
		{"github__push", "github__pushx", false},
		{"github__push", "GITHUB__PUSH", false}, // case-sensitive
		{"github__*", "github__push", true},
		{"github__*", "github__", true},
		{"github__*", "gitlab__push", false},
		{"*__read", "fs__read", true},
		{"*__read", "fs__read_file", false},
		{"*delete*", "github__delete_repo", true},
		{"*delete*", "github__remove", false},
		{"*", "", true},
		{"*", "anything/at all", true},
		{"**", "x/y/z", true},
		// * crosses '/' in URIs.
		{"file:///srv/docs/*", "file:///srv/docs/a/b/c.md", true},
		{"file:///srv/docs/*", "file:///srv/docs", false},
		{"file:///srv/*/index.md", "file:///srv/a/b/index.md", true},
		{"file:///srv/*/index.md", "file:///srv/a/b/index.mdx", false},
		{"*.md", "file:///a.md", true},
		// ? is one character (a code point).
		{"k8s__get?", "k8s__gets", true},
		{"k8s__get?", "k8s__get", false},
		{"k8s__get?", "k8s__getxx", false},
		{"caf?", "café", true},
		{"caf??", "café", false},
		{"?*", "", false},
		{"?*", "x", true},
		// Classes.
		{"v[12]__*", "v1__x", true},
		{"v[12]__*", "v3__x", false},
		{"v[0-9]__*", "v7__x", true},
		{"v[!0-9]__*", "v7__x", false},
		{"v[!0-9]__*", "va__x", true},
		{"v[^0-9]__*", "va__x", true},
		{"v[-a]", "v-", true},
		{"v[a-]", "v-", true},
		{"v[a-]", "vb", false},
		{"x[é]", "xé", true},
		{"x[\\]]", "x]", true},
		{"x[a\\-z]", "x-", true},
		{"x[a\\-z]", "xb", false},
		// Escapes.
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`what\?`, "what?", true},
		{`what\?`, "whats", false},
		{`\[x]`, "[x]", true},
		{`a\\b`, `a\b`, true},
		{"a]b", "a]b", true},
		// Backtracking.
		{"a*b*c", "abxbc", true},
		{"a*b*c", "abxbcx", false},
		{"a*b?d", "abxbcd", true},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"*x", "xxxxy", false},
		{"*?x", "yx", true},
		{"*?x", "x", false},
		{"s__*_[rw]*", "s__a_b_write", true},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.glob)
		if err != nil {
			t.Errorf("compileGlob(%q): %v", tt.glob, err)
			continue
		}
		if got := g.match(tt.name); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.glob, tt.name, got, tt.want)
		}
		// The general matcher agrees with the shortcut shapes.
		if g.shape != shapeGeneral {
			toks := generalTokens(t, tt.glob)
			if got := matchTokens(toks, tt.name); got != tt.want {
				t.Errorf("general %q matches %q = %v, want %v", tt.glob, tt.name, got, tt.want)
			}
		}
	}
}

// generalTokens compiles glob into tokens without choosing a shape.
func generalTokens(t *testing.T, glob string) []token {
	t.Helper()
	g, err := compileGlob(glob)
	if err != nil {
		t.Fatal(err)
	}
	switch g.shape {
	case shapeExact:
		return []token{{op: opLit, lit: g.lit}}
	case shapePrefix:
		return []token{{op: opLit, lit: g.lit}, {op: opStar}}
	case shapeSuffix:
		return []token{{op: opStar}, {op: opLit, lit: g.lit}}
	case shapeContains:
		return []token{{op: opStar}, {op: opLit, lit: g.lit}, {op: opStar}}
	case shapeAny:
		return []token{{op: opStar}}
	}
	return g.toks
}

func TestGlobShapes(t *testing.T) {
	tests := []struct {
		glob  string
		shape globShape
		lit   string
	}{
		{"a__b", shapeExact, "a__b"},
		{`a\*b`, shapeExact, "a*b"},
		{"a__*", shapePrefix, "a__"},
		{"a__**", shapePrefix, "a__"},
		{"*__b", shapeSuffix, "__b"},
		{"*__*", shapeContains, "__"},
		{"*", shapeAny, ""},
		{"a*b", shapeGeneral, ""},
		{"a?", shapeGeneral, ""},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.glob)
		if err != nil || g.shape != tt.shape || g.lit != tt.lit {
			t.Errorf("compileGlob(%q) = shape %d lit %q, %v; want shape %d lit %q", tt.glob, g.shape, g.lit, err, tt.shape, tt.lit)
		}
	}
}

// TestGlobAgainstPathMatch compares with path.Match on names without '/',
// where the two syntaxes agree.
func TestGlobAgainstPathMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "*", "?", "[ab]", "[^a]", "[a-b]", "ab"} // path.Match negates with ^ only
	for range 20000 {
		var pb, nb strings.Builder
		for range 1 + r.IntN(5) {
			pb.WriteString(parts[r.IntN(len(parts))])
		}
		for range r.IntN(7) {
			nb.WriteByte("abc"[r.IntN(3)])
		}
		pat, name := pb.String(), nb.String()
		want, err := path.Match(pat, name)
		if err != nil {
			t.Fatal(err)
		}
		g, err := compileGlob(pat)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", pat, err)
		}
		if got := g.match(name); got != want {
			t.Fatalf("%q matches %q = %v, path.Match says %v", pat, name, got, want)
		}
	}
}

func TestPatternErrors(t *testing.T) {
	tests := []struct{ pat, want string }{
		{"", "empty pattern"},
		{"tools:", `nothing after the kind prefix; use "tools:*"`},
		{"resources:", `use "resources:*"`},
		{"tool:x", `the kind prefix is "tools:", not "tool:"`},
		{"prompt:x", `the kind prefix is "prompts:", not "prompt:"`},
		{"resource:file:///x", `the kind prefix is "resources:", not "resource:"`},
		{"a[bc", "unterminated '['"},
		{"a[", "unterminated '['"},
		{"a[\\", "unterminated '['"},
		{"a[]", "empty character class"},
		{"a[!]", "empty character class"},
		{"a[z-a]", "reversed"},
		{`a\`, "trailing '\\'"},
	}
	for _, tt := range tests {
		_, err := parsePattern(tt.pat)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parsePattern(%q) = %v, want an error containing %q", tt.pat, err, tt.want)
		}
	}
}

func TestPatternKinds(t *testing.T) {
	tests := []struct {
		pat   string
		kinds kindSet
		body  string
	}{
		{"github__*", allKinds, "github__*"},
		{"tools:github__*", 1 << Tool, "github__*"},
		{"prompts:*", 1 << Prompt, "*"},
		{"resources:file:///srv/*", 1 << Resource, "file:///srv/*"},
		{"file:///srv/*", allKinds, "file:///srv/*"},
		{"tools:prompts:x", 1 << Tool, "prompts:x"},
	}
	for _, tt := range tests {
		p, err := parsePattern(tt.pat)
		if err != nil {
			t.Errorf("parsePattern(%q): %v", tt.pat, err)
			continue
		}
		want, _ := compileGlob(tt.body)
		if p.kinds != tt.kinds || p.text != tt.pat || p.glob.shape != want.shape || p.glob.lit != want.lit {
			t.Errorf("parsePattern(%q) = %+v, want kinds %b glob %q", tt.pat, p, tt.kinds, tt.body)
		}
	}
}

func TestPatternSetLowestLine(t *testing.T) {
	// With enough literal names to use a map, the lowest matching line
	// still wins, whether literal or glob.
	lines := []string{"g__*", "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x*", "tools:y", "prompts:x9", "x9"}
	pats := make([]pattern, len(lines))
	for i, l := range lines {
		var err error
		if pats[i], err = parsePattern(l); err != nil {
			t.Fatal(err)
		}
	}
	ps := newPatternSet(pats, Tool)
	if ps.exact == nil {
		t.Fatal("expected a map of literal names")
	}
	for name, want := range map[string]int{"g__a": 0, "x0": 1, "x8": 9, "x9": 10, "xz": 10, "y": 11, "z": -1} {
		if got := ps.match(name); got != want {
			t.Errorf("match(%q) = %d, want %d", name, got, want)
		}
	}
	pp := newPatternSet(pats, Prompt)
	if got := pp.match("x9"); got != 10 {
		t.Errorf("prompt match(x9) = %d, want 10", got)
	}
	if got := pp.match("y"); got != -1 {
		t.Errorf("prompt match(y) = %d, want -1", got)
	}
}
