package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// kindSet is a set of Kinds, one bit each.
type kindSet uint8

const allKinds kindSet = 1<<Tool | 1<<Prompt | 1<<Resource

// kindPrefixes are the prefixes that restrict a pattern to one kind.
var kindPrefixes = []struct {
	prefix string
	kind   Kind
}{
	{"tools:", Tool},
	{"prompts:", Prompt},
	{"resources:", Resource},
}

// pattern is one compiled allow or deny line.
type pattern struct {
	text  string  // as written, kind prefix included
	kinds kindSet // the kinds it applies to
	glob  glob
}

// parsePattern compiles one allow or deny line: an optional kind prefix
// ("tools:", "prompts:", "resources:") and a glob. It fails on an empty
// glob, a malformed glob, and on the singular prefixes "tool:",
// "prompt:" and "resource:", which are almost always typos.
func parsePattern(text string) (pattern, error) {
	p := pattern{text: text, kinds: allKinds}
	body := text
	for _, kp := range kindPrefixes {
		if rest, ok := strings.CutPrefix(text, kp.prefix); ok {
			p.kinds, body = 1<<kp.kind, rest
			break
		}
		if single := kp.prefix[:len(kp.prefix)-2] + ":"; strings.HasPrefix(text, single) {
			return p, fmt.Errorf("pattern %q: the kind prefix is %q, not %q", text, kp.prefix, single)
		}
	}
	if body == "" {
		if body == text {
			return p, errors.New("empty pattern; use \"*\" to match every name")
		}
		return p, fmt.Errorf("pattern %q: nothing after the kind prefix; use %q to match every name of the kind", text, text+"*")
	}
	g, err := compileGlob(body)
	if err != nil {
		return p, fmt.Errorf("pattern %q: %v", text, err)
	}
	p.glob = g
	return p, nil
}

// globShape says how a glob is matched.
type globShape uint8

const (
	shapeExact    globShape = iota // lit
	shapePrefix                    // lit*
	shapeSuffix                    // *lit
	shapeContains                  // *lit*
	shapeAny                       // *
	shapeGeneral                   // anything else: toks
)

// glob is a compiled glob. The shapes other than shapeGeneral are matched
// with one string operation on lit.
type glob struct {
	shape globShape
	lit   string
	toks  []token
}

// tokOp is the operation of one token of a general glob.
type tokOp uint8

const (
	opLit   tokOp = iota // the literal lit
	opAny                // ?: one character
	opClass              // [...]: one character in class
	opStar               // *: any run of characters
)

type token struct {
	op    tokOp
	lit   string
	class *charClass
}

// charClass is a bracket expression: a set of rune ranges, or its
// complement.
type charClass struct {
	negate bool
	ranges []runeRange
}

type runeRange struct{ lo, hi rune }

func (c *charClass) match(r rune) bool {
	in := false
	for _, rr := range c.ranges {
		if rr.lo <= r && r <= rr.hi {
			in = true
			break
		}
	}
	return in != c.negate
}

// compileGlob compiles the glob syntax:
//
//   - any run of characters, possibly empty, '/' included
//     ?        exactly one character
//     [abc]    one of the characters listed; [a-z] a range; [!a-z] or
//     [^a-z] any character not listed; a '-' first or last is
//     literal
//     \c       the character c literally (to match '*', '?', '[', '\')
//
// Everything else matches itself; matching is case-sensitive and counts
// characters as UTF-8 code points.
func compileGlob(s string) (glob, error) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{op: opLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return glob{}, errors.New("trailing '\\'; write '\\\\' to match a backslash")
			}
			_, n := utf8.DecodeRuneInString(s[i+1:])
			lit.WriteString(s[i+1 : i+1+n])
			i += 1 + n
		case '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].op != opStar {
				toks = append(toks, token{op: opStar})
			}
			i++
		case '?':
			flush()
			toks = append(toks, token{op: opAny})
			i++
		case '[':
			flush()
			cls, n, err := parseClass(s[i:])
			if err != nil {
				return glob{}, err
			}
			toks = append(toks, token{op: opClass, class: cls})
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return shapeOf(toks), nil
}

// shapeOf picks the fastest way to match toks.
func shapeOf(toks []token) glob {
	isLit := func(i int) bool { return toks[i].op == opLit }
	isStar := func(i int) bool { return toks[i].op == opStar }
	switch {
	case len(toks) == 1 && isLit(0):
		return glob{shape: shapeExact, lit: toks[0].lit}
	case len(toks) == 1 && isStar(0):
		return glob{shape: shapeAny}
	case len(toks) == 2 && isLit(0) && isStar(1):
		return glob{shape: shapePrefix, lit: toks[0].lit}
	case len(toks) == 2 && isStar(0) && isLit(1):
		return glob{shape: shapeSuffix, lit: toks[1].lit}
	case len(toks) == 3 && isStar(0) && isLit(1) && isStar(2):
		return glob{shape: shapeContains, lit: toks[1].lit}
	}
	return glob{shape: shapeGeneral, toks: toks}
}

// parseClass parses the bracket expression at the start of s and returns
// it and its length in bytes.
func parseClass(s string) (*charClass, int, error) {
	cls := &charClass{}
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		cls.negate = true
		i++
	}
	// next reads one possibly escaped character.
	next := func() (rune, bool, error) {
		if i >= len(s) {
			return 0, false, errors.New("unterminated '['; close it with ']' or write '\\[' to match a bracket")
		}
		esc := false
		if s[i] == '\\' {
			if i+1 >= len(s) {
				return 0, false, errors.New("unterminated '['; close it with ']' or write '\\[' to match a bracket")
			}
			esc = true
			i++
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		return r, esc, nil
	}
	first := true
	for {
		if i >= len(s) {
			return nil, 0, errors.New("unterminated '['; close it with ']' or write '\\[' to match a bracket")
		}
		if s[i] == ']' {
			if first {
				return nil, 0, errors.New("empty character class '[]'; list at least one character, or write '\\[' to match a bracket")
			}
			return cls, i + 1, nil
		}
		first = false
		lo, _, err := next()
		if err != nil {
			return nil, 0, err
		}
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			i++
			hi, _, err = next()
			if err != nil {
				return nil, 0, err
			}
			if hi < lo {
				return nil, 0, fmt.Errorf("character range %q-%q is reversed", lo, hi)
			}
		}
		cls.ranges = append(cls.ranges, runeRange{lo, hi})
	}
}

// match reports whether the glob matches all of s.
func (g *glob) match(s string) bool {
	switch g.shape {
	case shapeExact:
		return s == g.lit
	case shapePrefix:
		return strings.HasPrefix(s, g.lit)
	case shapeSuffix:
		return strings.HasSuffix(s, g.lit)
	case shapeContains:
		return strings.Contains(s, g.lit)
	case shapeAny:
		return true
	}
	return matchTokens(g.toks, s)
}

// matchTokens matches s against toks, backtracking to the last star on a
// mismatch: O(len(toks)·len(s)) at worst, no allocation.
func matchTokens(toks []token, s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.op {
			case opStar:
				starT, starS = ti, si
				ti++
				continue
			case opLit:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			case opAny:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case opClass:
				if si < len(s) {
					r, n := utf8.DecodeRuneInString(s[si:])
					if t.class.match(r) {
						si += n
						ti++
						continue
					}
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last star take one more character.
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si, ti = starS, starT+1
	}
}

// patternLine is one pattern of a policy's allow or deny list.
type patternLine struct {
	line int // index in the list
	glob *glob
}

// patternSet is the lines of one allow or deny list that apply to one
// kind, ready to match names of that kind.
type patternSet struct {
	// exact maps literal names to their lowest line; used only when a
	// list has many literal names, otherwise they stay in lines.
	exact map[string]int
	lines []patternLine // in line order
}

// exactMapMin is the number of literal names from which a map beats a
// scan.
const exactMapMin = 8

// newPatternSet builds the set of pats (in list order) that apply to
// kind k.
func newPatternSet(pats []pattern, k Kind) patternSet {
	var ps patternSet
	nexact := 0
	for i := range pats {
		if pats[i].kinds&(1<<k) != 0 && pats[i].glob.shape == shapeExact {
			nexact++
		}
	}
	if nexact >= exactMapMin {
		ps.exact = make(map[string]int, nexact)
	}
	for i := range pats {
		p := &pats[i]
		if p.kinds&(1<<k) == 0 {
			continue
		}
		if ps.exact != nil && p.glob.shape == shapeExact {
			if _, dup := ps.exact[p.glob.lit]; !dup {
				ps.exact[p.glob.lit] = i
			}
			continue
		}
		ps.lines = append(ps.lines, patternLine{line: i, glob: &p.glob})
	}
	return ps
}

// match returns the lowest line that matches name, or -1.
func (ps *patternSet) match(name string) int {
	best := -1
	if ps.exact != nil {
		if l, ok := ps.exact[name]; ok {
			best = l
		}
	}
	for i := range ps.lines {
		pl := &ps.lines[i]
		if best >= 0 && pl.line > best {
			break
		}
		if pl.glob.match(name) {
			return pl.line
		}
	}
	return best
}

func (ps *patternSet) empty() bool { return ps.exact == nil && len(ps.lines) == 0 }
