package injection

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Phrases (phrases.go, multilingual.go) are written in a small pattern language and compiled once, at
// package initialisation, into token matchers. A pattern is a sequence of
// elements separated by spaces:
//
//	a|b|c       one of the alternatives
//	[a|b]       optional (also written [a|b]?)
//	[a|b]*N     zero to N of them
//	~N          zero to N arbitrary tokens
//	!a|b        the next token is none of these (consumes nothing)
//	:           a colon (ASCII or fullwidth)
//	@url        a URL (http, https, ftp, ws) or an e-mail address
//	@ident      a code identifier: quoted, snake_case, kebab-case or camelCase
//	{name}      the alternatives of macro name (see macros)
//	<a|b~N      (first only) a or b occurs within N words before the
//	            anchor; the match starts there. It lets a pattern anchor
//	            on its rarer second word ("keep ... from the user" on "user").
//
// An alternative is cut into tokens by the same tokenizer as the text, so
// "pay+no+attention" ('+' is a token break), "don't" (two tokens, "don" and
// "t") and "以前" (two CJK tokens) all work; a trailing '*' makes the last
// token a prefix ("instruc*"); a leading '=' compares the raw bytes, case
// included ("=DAN"). Comparison is on folded text (fold.go): case, Latin
// diacritics, fullwidth and confusable letters do not matter.
//
// Matching starts at an occurrence of the first element, which must be a
// required word element: its first tokens are the anchors the hot loop
// looks up. No element crosses a sentence break.

type elemKind uint8

const (
	eWords elemKind = iota
	eGap
	eNot
	eColon
	eURL
	eIdent
)

type alt struct {
	toks   [][]byte // folded tokens
	prefix bool     // the last token is a prefix
	raw    string   // case-sensitive single token, when set
}

type elem struct {
	kind     elemKind
	alts     []alt
	min, max int
	mask     [4]uint64  // bit (key & 255) of every indexed first-token key
	keys     []uint64   // sorted first-token keys
	idx      [][]uint16 // alternatives by key, parallel to keys
	always   []uint16   // alternatives whose first token has no key (short stems)
}

// candidates returns the alternatives whose first token has key k.
func (e *elem) candidates(k uint64) []uint16 {
	if e.mask[k>>6&3]&(1<<(k&63)) == 0 {
		return nil
	}
	lo, hi := 0, len(e.keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e.keys[m] < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(e.keys) && e.keys[lo] == k {
		return e.idx[lo]
	}
	return nil
}

// buildIndex fills e.index and e.always.
func (e *elem) buildIndex() {
	index := make(map[uint64][]uint16)
	for i, a := range e.alts {
		t := a.toks[0]
		if a.prefix && len(a.toks) == 1 && len(t) < keyLen {
			e.always = append(e.always, uint16(i))
			continue
		}
		k := keyOf(t)
		index[k] = append(index[k], uint16(i))
		e.mask[k>>6&3] |= 1 << (k & 63)
	}
	for k := range index {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	for _, k := range e.keys {
		e.idx = append(e.idx, index[k])
	}
}

// Pattern flags.
const (
	pfImperative uint8 = 1 << iota // an override verb: negation cancels the match, a non-"you" subject weakens it
)

type pattern struct {
	rule    ruleID
	weight  float64
	flags   uint8
	elems   []elem
	src     string
	needURL bool // has an @url element: skipped when no "://" or '@' follows the anchor closely
	// before: one of these single tokens must occur within beforeN tokens
	// before the anchor (written "<a|b~N" as the first element); the match
	// then starts there.
	before  []alt
	beforeN int
	// next holds bit (key & 255) of every token that can follow the first
	// token of a match, when that set is known (hasNext); a pattern whose
	// next token is not in it cannot match.
	next    [4]uint64
	hasNext bool
	// mustMask holds bit (key & 255) of every first token of the first
	// required word element after the first one; every match has such a
	// token among the mustN tokens after its first (0: not known).
	mustMask [4]uint64
	mustN    int
}

// computeNext fills p.next: the second tokens of multi-token first
// alternatives, and the first tokens the rest of the pattern can start
// with (skipping optional elements). Gaps and other non-word elements
// make the set unknown.
func (p *pattern) computeNext() {
	p.next, p.hasNext = p.nextAfter(func(*alt) bool { return true })
}

// nextAfter is the set of keys of the tokens that can follow the first
// token of a match whose first alternative is one of those use accepts,
// and whether it is known (see computeNext).
func (p *pattern) nextAfter(use func(*alt) bool) (m [4]uint64, known bool) {
	set := func(k uint64) { m[k>>6&3] |= 1 << (k & 63) }
	used, allMulti := 0, true
	for i := range p.elems[0].alts {
		a := &p.elems[0].alts[i]
		if !use(a) {
			continue
		}
		used++
		if len(a.toks) >= 2 {
			if a.prefix && len(a.toks) == 2 && len(a.toks[1]) < keyLen {
				return m, false
			}
			set(keyOf(a.toks[1]))
		} else {
			allMulti = false
		}
	}
	if p.elems[0].max > 1 || used == 0 {
		return m, false
	}
	if allMulti {
		return m, true // every alternative goes on with its own second token
	}
	for ei := 1; ; ei++ {
		if ei == len(p.elems) {
			return m, false // the pattern can end after its first token
		}
		e := &p.elems[ei]
		if e.kind == eNot {
			continue
		}
		if e.kind != eWords || len(e.always) > 0 {
			return m, false
		}
		for k := range m {
			m[k] |= e.mask[k]
		}
		if e.min >= 1 {
			break
		}
	}
	return m, true
}

// nextAt is p.next for a match whose first token folds to tok (an anchor
// that is a whole word, not a stem): only the first alternatives that can
// start with such a token count, so "api" in "api gateway" is not followed
// by the "token" or "key" of "api token", "api key" even when other
// alternatives of the same element are single words.
func (p *pattern) nextAt(tok []byte) (m [4]uint64, known bool) {
	return p.nextAfter(func(a *alt) bool { return a.mayStartWith(tok) })
}

// mayStartWith reports whether a match of a can start with a token that
// folds to tok.
func (a *alt) mayStartWith(tok []byte) bool {
	switch {
	case a.raw != "":
		return true // compared by its bytes: assume it can
	case len(a.toks) == 1 && a.prefix:
		return bytes.HasPrefix(tok, a.toks[0])
	default:
		return bytes.Equal(a.toks[0], tok)
	}
}

// maxMust bounds pattern.mustN: looking further ahead than that costs
// more than it saves.
const maxMust = 16

// computeMust fills p.mustMask and p.mustN. The elements before the
// required one must have a known greatest length in tokens: word elements
// (repetitions times their longest alternative), gaps and negations
// (nothing); a colon, URL or identifier is matched on bytes and stops the
// count. The required element's alternatives must all be indexed by key
// (no short stems), so that a token without its bit starts none of them.
func (p *pattern) computeMust() {
	n := 0
	for ei := range p.elems {
		e := &p.elems[ei]
		switch {
		case ei > 0 && e.kind == eWords && e.min >= 1:
			if len(e.always) > 0 || n > maxMust {
				return
			}
			p.mustMask, p.mustN = e.mask, n
			return
		case e.kind == eWords:
			longest := 0
			for _, a := range e.alts {
				longest = max(longest, len(a.toks))
			}
			n += e.max * longest
		case e.kind == eGap:
			n += e.max
		case e.kind == eNot:
		default:
			return
		}
		if n > maxMust {
			return
		}
	}
}

// phraseDef is one pattern in source form.
type phraseDef struct {
	rule   ruleID
	weight float64 // 0: the rule's weight
	flags  uint8
	src    string
}

// expandMacros replaces every {name} by the macro's text, recursively.
func expandMacros(src string, macros map[string]string) (string, error) {
	for depth := 0; strings.IndexByte(src, '{') >= 0; depth++ {
		if depth == 8 {
			return "", fmt.Errorf("macros nested too deep in %q", src)
		}
		var err error
		if src, err = expandOnce(src, macros); err != nil {
			return "", err
		}
	}
	return src, nil
}

func expandOnce(src string, macros map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(src, '{')
		if i < 0 {
			b.WriteString(src)
			return b.String(), nil
		}
		j := strings.IndexByte(src[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unclosed macro in %q", src)
		}
		name := src[i+1 : i+j]
		v, ok := macros[name]
		if !ok {
			return "", fmt.Errorf("unknown macro {%s}", name)
		}
		b.WriteString(src[:i])
		b.WriteString(v)
		src = src[i+j+1:]
	}
}

// compilePattern parses one pattern.
func compilePattern(d phraseDef, macros map[string]string) (*pattern, error) {
	src, err := expandMacros(d.src, macros)
	if err != nil {
		return nil, err
	}
	p := &pattern{rule: d.rule, weight: d.weight, flags: d.flags, src: d.src}
	if p.weight == 0 {
		p.weight = rules[d.rule].weight
	}
	fields := strings.Fields(src)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "<") && strings.Contains(fields[0], "~") {
		f := fields[0][1:]
		k := strings.LastIndexByte(f, '~')
		n, err := strconv.Atoi(f[k+1:])
		if err != nil || n < 1 || n > 8 {
			return nil, fmt.Errorf("bad before element %q in %q", fields[0], d.src)
		}
		if p.before, err = compileAlts(f[:k]); err != nil {
			return nil, err
		}
		for _, a := range p.before {
			if len(a.toks) != 1 || a.prefix {
				return nil, fmt.Errorf("before alternatives must be single words in %q", d.src)
			}
		}
		p.beforeN = n
		fields = fields[1:]
	}
	for _, f := range fields {
		var e elem
		switch {
		case f == ":":
			e.kind = eColon
		case f == "@url":
			e.kind = eURL
		case f == "@ident":
			e.kind = eIdent
		case f[0] == '~':
			n, err := strconv.Atoi(f[1:])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad gap %q in %q", f, d.src)
			}
			e.kind, e.max = eGap, n
		case f[0] == '!':
			e.kind = eNot
			if e.alts, err = compileAlts(f[1:]); err != nil {
				return nil, err
			}
		case f[0] == '[':
			end := strings.LastIndexByte(f, ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", d.src)
			}
			e.min, e.max = 0, 1
			if rest := f[end+1:]; rest != "" && rest != "?" {
				n, err := strconv.Atoi(strings.TrimPrefix(rest, "*"))
				if err != nil || !strings.HasPrefix(rest, "*") || n < 1 {
					return nil, fmt.Errorf("bad repetition %q in %q", f, d.src)
				}
				e.max = n
			}
			if e.alts, err = compileAlts(f[1:end]); err != nil {
				return nil, err
			}
		default:
			e.min, e.max = 1, 1
			if e.alts, err = compileAlts(f); err != nil {
				return nil, err
			}
		}
		if e.kind == eURL {
			p.needURL = true
		}
		if e.kind == eWords || e.kind == eNot {
			e.buildIndex()
		}
		p.elems = append(p.elems, e)
	}
	if len(p.elems) == 0 || p.elems[0].kind != eWords || p.elems[0].min != 1 {
		return nil, fmt.Errorf("pattern %q must start with a required word element", d.src)
	}
	p.computeNext()
	p.computeMust()
	for _, a := range p.elems[0].alts {
		if a.prefix && len(a.toks) == 1 && len(a.toks[0]) < keyLen {
			return nil, fmt.Errorf("anchor stem %q too short in %q", a.toks[0], d.src)
		}
	}
	return p, nil
}

func compileAlts(s string) ([]alt, error) {
	var out []alt
	for _, a := range strings.Split(s, "|") {
		if a == "" {
			return nil, fmt.Errorf("empty alternative in %q", s)
		}
		var x alt
		if a[0] == '=' {
			x.raw = a[1:]
			x.toks = [][]byte{[]byte(strings.ToLower(a[1:]))}
			out = append(out, x)
			continue
		}
		if strings.HasSuffix(a, "*") {
			x.prefix = true
			a = a[:len(a)-1]
		}
		text := []byte(strings.ReplaceAll(a, "+", " "))
		for i := 0; ; {
			t, ok := nextToken(text, i)
			if !ok {
				break
			}
			x.toks = append(x.toks, foldToken(nil, text, t))
			i = t.end
		}
		if len(x.toks) == 0 {
			return nil, fmt.Errorf("alternative %q has no tokens", a)
		}
		out = append(out, x)
	}
	return out, nil
}

// ctok is a token of the text with its folded form, cached while the
// patterns of one anchor are tried.
type ctok struct {
	t    token
	key  uint64
	fl   int // folded length, -1 if longer than fold
	fold [28]byte
}

func (c *ctok) set(text []byte, t token) {
	c.t = t
	if t.flags == 0 && t.end-t.start <= len(c.fold) {
		// ASCII fast path; a word with non-ASCII letters folds below.
		n := t.end - t.start
		ascii := true
		for k := 0; k < n; k++ {
			b := text[t.start+k]
			if b >= 0x80 {
				ascii = false
				break
			}
			c.fold[k] = lowerASCII[b]
		}
		if ascii {
			c.fl = n
			c.key = keyOf(c.fold[:n])
			return
		}
	}
	n, over := foldInto(&c.fold, text, t)
	c.fl = n
	if over {
		c.fl = -1
		n = len(c.fold)
	}
	c.key = keyOf(c.fold[:n])
}

// setNext sets c to the first token at or after pos, as
// c.set(text, nextToken(text, pos)) does, and reports whether there is
// one (c is unchanged if not). A plain ASCII word is tokenized, folded and
// hashed in one pass; anything else (a non-ASCII byte before the word's
// end, a word longer than fold) takes the general path.
func (c *ctok) setNext(text []byte, pos int) bool {
	n := len(text)
	var t token
	newlines := 0
	i := pos
	for ; i < n; i++ {
		b := text[i]
		if b >= 0x80 {
			return c.setNextSlow(text, pos)
		}
		f := asciiFlags[b]
		if f&aWord != 0 {
			break
		}
		if f&aBreak != 0 && isBreakAt(text, i) {
			t.brk = true
		} else if b == '\n' {
			newlines++
			if newlines == 2 {
				t.brk = true
			}
		}
	}
	if i >= n {
		return false
	}
	t.start = i
	h := uint64(hInit)
	for ; i < n; i++ {
		b := text[i]
		if !asciiWord[b] {
			if b >= 0x80 {
				return c.setNextSlow(text, pos)
			}
			break
		}
		k := i - t.start
		if k >= len(c.fold) {
			return c.setNextSlow(text, pos)
		}
		b = lowerASCII[b]
		c.fold[k] = b
		if k < keyLen {
			h = (h ^ uint64(b)) * hPrime
		}
	}
	t.end = i
	c.t, c.fl = t, i-t.start
	c.key = finishKey(h, c.fl)
	return true
}

func (c *ctok) setNextSlow(text []byte, pos int) bool {
	t, ok := nextToken(text, pos)
	if ok {
		c.set(text, t)
	}
	return ok
}

// eq compares the token with a folded pattern token.
func (c *ctok) eq(text []byte, a *alt, want []byte, prefix bool) bool {
	if a.raw != "" {
		return string(text[c.t.start:c.t.end]) == a.raw
	}
	if c.fl < 0 {
		return tokenEqual(text, c.t, want, prefix)
	}
	if prefix {
		return c.fl >= len(want) && string(c.fold[:len(want)]) == string(want)
	}
	return c.fl == len(want) && string(c.fold[:c.fl]) == string(want)
}

// tcache holds the tokens after an anchor, computed once for all the
// patterns tried there.
type tcache struct {
	text    []byte
	n       int
	eof     int // position after which there are no tokens, or -1
	toks    [24]ctok
	scratch ctok
	url     uint8 // 0 unknown, 1 a URL may follow, 2 none
}

func (c *tcache) reset(text []byte, first token) {
	c.text, c.n, c.eof, c.url = text, 1, -1, 0
	c.toks[0].set(text, first)
}

// at returns the first token at or after pos.
func (c *tcache) at(pos int) (*ctok, bool) {
	if pos == c.eof {
		return nil, false
	}
	if pos == c.toks[0].t.start {
		return &c.toks[0], true
	}
	for k := 0; k < c.n; k++ {
		if c.toks[k].t.end != pos {
			continue
		}
		if k+1 < c.n {
			return &c.toks[k+1], true
		}
		if c.n < len(c.toks) {
			if !c.toks[c.n].setNext(c.text, pos) {
				c.eof = pos
				return nil, false
			}
			c.n++
			return &c.toks[c.n-1], true
		}
		if !c.scratch.setNext(c.text, pos) {
			c.eof = pos
			return nil, false
		}
		return &c.scratch, true
	}
	if !c.scratch.setNext(c.text, pos) {
		return nil, false
	}
	return &c.scratch, true
}

// keyWithin reports whether one of the n tokens after the first, in its
// sentence, has its key's bit in mask (see pattern.mustMask).
func (c *tcache) keyWithin(n int, mask *[4]uint64) bool {
	end := c.toks[0].t.end
	for k := 0; k < n; k++ {
		// The cached tokens follow each other: the one after token k is
		// k+1, computed (as at does) when it is not cached yet.
		var ct *ctok
		ok := true
		switch {
		case k+1 < c.n:
			ct = &c.toks[k+1]
		case k+1 == c.n && c.n < len(c.toks) && end != c.eof:
			if ok = c.toks[c.n].setNext(c.text, end); ok {
				ct = &c.toks[c.n]
				c.n++
			} else {
				c.eof = end
			}
		default:
			ct, ok = c.at(end)
		}
		if !ok || ct.t.brk {
			return false
		}
		if mask[ct.key>>6&3]&(1<<(ct.key&63)) != 0 {
			return true
		}
		end = ct.t.end
	}
	return false
}

// urlAhead reports whether a URL or e-mail address may follow the anchor
// within urlWindow bytes (computed once per anchor).
func (c *tcache) urlAhead() bool {
	if c.url == 0 {
		c.url = 2
		s := c.toks[0].t.end
		w := c.text[s:min(len(c.text), s+urlWindow)]
		if bytes.Contains(w, []byte("://")) || bytes.IndexByte(w, '@') >= 0 {
			c.url = 1
		}
	}
	return c.url == 1
}

// urlWindow bounds how far after an anchor an @url element can be.
const urlWindow = 400

// foldInto writes the folded token into buf; over reports it did not fit
// (n is then the full folded length).
func foldInto(buf *[28]byte, text []byte, t token) (n int, over bool) {
	if t.flags&tfIdeo != 0 {
		return copy(buf[:], text[t.start:t.end]), false
	}
	var rb [4]byte
	for i := t.start; i < t.end; {
		c := text[i]
		if c < 0x80 {
			if n < len(buf) {
				buf[n] = lowerASCII[c]
			}
			n++
			i++
			continue
		}
		r, size := decodeRune(text[i:])
		i += size
		if classOf(r) == cWord {
			k := foldRune(r, &rb)
			for j := 0; j < k; j++ {
				if n < len(buf) {
					buf[n] = rb[j]
				}
				n++
			}
		}
	}
	return n, n > len(buf)
}

// matchAt matches p at the first cached token. It returns the end of the
// match.
func (p *pattern) matchAt(c *tcache) (int, bool) {
	if p.needURL && !c.urlAhead() {
		return 0, false
	}
	m := matcher{c: c, p: p}
	return m.elem(0, c.toks[0].t.start, true)
}

type matcher struct {
	c *tcache
	p *pattern
}

func (m *matcher) elem(ei, pos int, first bool) (int, bool) {
	if ei == len(m.p.elems) {
		return pos, true
	}
	e := &m.p.elems[ei]
	text := m.c.text
	switch e.kind {
	case eWords:
		return m.rep(ei, pos, 0, first)
	case eGap:
		p := pos
		for k := 0; ; k++ {
			if end, ok := m.elem(ei+1, p, false); ok {
				return end, true
			}
			if k == e.max {
				return 0, false
			}
			ct, ok := m.c.at(p)
			if !ok || ct.t.brk {
				return 0, false
			}
			p = ct.t.end
		}
	case eNot:
		ct, ok := m.c.at(pos)
		if ok && !ct.t.brk {
			for _, ai := range e.candidates(ct.key) {
				if _, ok := m.alt(&e.alts[ai], ct, false); ok {
					return 0, false
				}
			}
			for _, ai := range e.always {
				if _, ok := m.alt(&e.alts[ai], ct, false); ok {
					return 0, false
				}
			}
		}
		return m.elem(ei+1, pos, false)
	case eColon:
		q := skipBlanks(text, pos)
		if q < len(text) && text[q] == ':' {
			return m.elem(ei+1, q+1, false)
		}
		if q+2 < len(text) && text[q] == 0xEF && text[q+1] == 0xBC && text[q+2] == 0x9A {
			return m.elem(ei+1, q+3, false)
		}
		return 0, false
	case eURL:
		q := pos
		for q < len(text) && q-pos < 8 && isURLOpener(text[q]) {
			q++
		}
		if end := urlEnd(text, q); end > q {
			return m.elem(ei+1, end, false)
		}
		return 0, false
	case eIdent:
		if end, ok := identAt(text, pos); ok {
			return m.elem(ei+1, end, false)
		}
		return 0, false
	}
	return 0, false
}

// rep matches word element ei repeated count or more times (lazily).
func (m *matcher) rep(ei, pos, count int, first bool) (int, bool) {
	e := &m.p.elems[ei]
	if count >= e.min {
		if end, ok := m.elem(ei+1, pos, false); ok {
			return end, true
		}
	}
	if count == e.max {
		return 0, false
	}
	ct, ok := m.c.at(pos)
	if !ok || ct.t.brk && !(first && count == 0) {
		return 0, false
	}
	for _, ai := range e.candidates(ct.key) {
		if p, ok := m.alt(&e.alts[ai], ct, false); ok {
			if end, ok := m.rep(ei, p, count+1, false); ok {
				return end, true
			}
		}
	}
	for _, ai := range e.always {
		if p, ok := m.alt(&e.alts[ai], ct, false); ok {
			if end, ok := m.rep(ei, p, count+1, false); ok {
				return end, true
			}
		}
	}
	return 0, false
}

// alt matches alternative a starting with the token ct.
func (m *matcher) alt(a *alt, ct *ctok, _ bool) (int, bool) {
	text := m.c.text
	last := len(a.toks) - 1
	for j, want := range a.toks {
		if j > 0 {
			var ok bool
			ct, ok = m.c.at(ct.t.end)
			if !ok || ct.t.brk {
				return 0, false
			}
		}
		if !ct.eq(text, a, want, a.prefix && j == last) {
			return 0, false
		}
	}
	return ct.t.end, true
}

func skipBlanks(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

func isURLOpener(c byte) bool {
	return c == ' ' || c == '\t' || c == '(' || c == '<' || c == '"' || c == '\'' || c == '`' || c == '['
}

// urlEnd returns the end of a URL or e-mail address starting at i, or i.
func urlEnd(text []byte, i int) int {
	rest := text[i:]
	n := 0
	switch {
	case hasPrefixFold(rest, "https://"):
		n = 8
	case hasPrefixFold(rest, "http://"):
		n = 7
	case hasPrefixFold(rest, "ftp://"), hasPrefixFold(rest, "wss://"):
		n = 6
	case hasPrefixFold(rest, "ws://"):
		n = 5
	default:
		return emailEnd(text, i)
	}
	j := i + n
	for j < len(text) && isURLByte(text[j]) {
		j++
	}
	if j-i-n < 3 {
		return i
	}
	return j
}

// isURLByte reports whether c can continue a URL in running text.
func isURLByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != ')' && c != '`' && c != '<' && c != '>' || c >= 0x80
}

func emailEnd(text []byte, i int) int {
	j := i
	for j < len(text) && (asciiFlags[text[j]&0x7f]&aWord != 0 && text[j] < 0x80 || text[j] == '.' || text[j] == '_' || text[j] == '-' || text[j] == '+') {
		j++
	}
	if j == i || j >= len(text) || text[j] != '@' {
		return i
	}
	j++
	dots, start := 0, j
	for j < len(text) && (text[j] < 0x80 && asciiFlags[text[j]]&aWord != 0 || text[j] == '-' || text[j] == '.') {
		if text[j] == '.' {
			dots++
		}
		j++
	}
	for j > start && text[j-1] == '.' {
		j--
		dots--
	}
	if dots < 1 || j-start < 4 {
		return i
	}
	return j
}

// identAt matches a code identifier at i (after blanks): `quoted`,
// snake_case, kebab-case with letters, or camelCase.
func identAt(text []byte, i int) (int, bool) {
	i = skipBlanks(text, i)
	var quote byte
	if i < len(text) && (text[i] == '`' || text[i] == '"' || text[i] == '\'') {
		quote = text[i]
		i++
	}
	start := i
	camel, snake := false, false
	for i < len(text) {
		c := text[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			if i > start && text[i-1] >= 'a' && text[i-1] <= 'z' {
				camel = true
			}
		case c == '_' || c == '-' || c == '.' || c == ':' || c == '/':
			if i > start && i+1 < len(text) && asciiFlags[text[i+1]&0x7f]&aWord != 0 && text[i+1] < 0x80 {
				snake = snake || c == '_' || c == '-'
			} else {
				goto done
			}
		default:
			goto done
		}
		i++
	}
done:
	if i-start < 3 || !(text[start] >= 'a' && text[start] <= 'z' || text[start] >= 'A' && text[start] <= 'Z') {
		return 0, false
	}
	if quote != 0 {
		if i < len(text) && text[i] == quote {
			return i + 1, true
		}
		return 0, false
	}
	return i, camel || snake
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII[b[i]] != prefix[i] {
			return false
		}
	}
	return true
}
