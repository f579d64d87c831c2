// Package injection detects prompt injection in tool results and tool
// poisoning in tool, prompt, resource and template definitions.
//
// A [Scanner] looks for the signals of an attack on the model reading the
// text: instructions that override the model's own ("ignore all previous
// instructions", in eleven languages), fake conversation turns and chat
// template tokens, requests to keep things from the user, to call tools, to
// run commands or to send data out (markdown images carrying data,
// sensitive file paths), instructions about other tools, and text hidden
// from the human reader (Unicode tag characters, zero-width and bidi
// characters, variation-selector payloads, ANSI escapes, HTML comments,
// CSS-hidden elements, whitespace padding). Each signal is a finding with
// a weight; the weights combine into a score, and a score at or above the
// threshold blocks. The rules, weights and what is not caught are listed
// in README.md and by [Rules].
//
// ScanText is built for the hot path: one pass over the bytes with a
// table lookup per word, phrase matching only where an anchor word occurs,
// and no allocation when nothing is found.
package injection

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mcpgw/mcp-gateway/guard"
)

// Options configure a Scanner. The zero value is the default configuration.
type Options struct {
	// Threshold is the score at or above which a verdict blocks, in (0, 1].
	// 0 means DefaultThreshold (0.7).
	Threshold float64
	// Disable lists rule ids (see Rules) that never report.
	Disable []string
	// Allow lists exact phrases that are never counted: a finding whose
	// span overlaps an occurrence of an allowed phrase (compared without
	// ASCII case) is dropped.
	Allow []string
}

// Verdict is the judgement of one text or definition.
type Verdict struct {
	// Score is the combined score in [0, 1] (see README.md, "Scoring").
	Score float64
	// Blocked reports Score >= the scanner's threshold.
	Blocked bool
	// Findings are the signals found, sorted by Start; they may overlap.
	// Rule is the rule id, Label a short human reason, Start/End byte
	// offsets into the scanned text (for ScanDefinition: into raw, see
	// there), Score the finding's own weight. At most maxPerRule findings
	// are listed per rule (the first ones); the score counts all of them.
	Findings []guard.Match
}

// covertWeight is the secrecy score when the text also asks for an action.
const covertWeight = 0.6

// maxPerRule bounds the findings listed per rule in a Verdict.
const maxPerRule = 64

// maxFindings bounds the findings a scan keeps for scoring. Past it, new
// findings only raise the per-rule maxima, and the verdict takes the
// text-wide score as well (see verdict), so a flood of decoys cannot push
// a real signal out.
const maxFindings = 1 << 14

// Scanner scans texts and definitions. It is immutable and safe for
// concurrent use.
type Scanner struct {
	threshold float64
	disabled  [numRules]bool
	allow     [][]byte // lowercased
}

// New returns a Scanner for o. It fails on a threshold outside (0, 1] and
// on an unknown rule id, naming the valid ones.
func New(o Options) (*Scanner, error) {
	buildOnce.Do(buildTables)
	s := &Scanner{threshold: o.Threshold}
	if s.threshold == 0 {
		s.threshold = DefaultThreshold
	}
	if math.IsNaN(s.threshold) || s.threshold <= 0 || s.threshold > 1 {
		return nil, fmt.Errorf("injection: threshold %v outside (0, 1]", o.Threshold)
	}
	for _, id := range o.Disable {
		r := ruleByID(id)
		if r == numRules {
			ids := make([]string, numRules)
			for i := range rules {
				ids[i] = rules[i].id
			}
			return nil, fmt.Errorf("injection: unknown rule %q; valid rules: %s", id, strings.Join(ids, ", "))
		}
		s.disabled[r] = true
	}
	for _, p := range o.Allow {
		if strings.TrimSpace(p) == "" {
			return nil, errors.New("injection: empty allow phrase")
		}
		s.allow = append(s.allow, []byte(strings.ToLower(p)))
	}
	return s, nil
}

// Threshold returns the score at or above which verdicts block.
func (s *Scanner) Threshold() float64 { return s.threshold }

func ruleByID(id string) ruleID {
	for i := range rules {
		if rules[i].id == id {
			return ruleID(i)
		}
	}
	return numRules
}

// ScanText judges one decoded text: a tool result's text, a resource's
// contents, a prompt message. It does not allocate when the text holds
// nothing to report.
func (s *Scanner) ScanText(text []byte) Verdict {
	st := state{s: s, text: text}
	st.run()
	st.finish()
	return st.verdict()
}

// --- compiled tables -------------------------------------------------------------

// anchorGroup is what runs when a word's key is found: the patterns and
// checks whose first word is tok (a prefix when prefix is set). Words that
// share a key but not tok are rejected with one comparison.
type anchorGroup struct {
	tok    []byte
	prefix bool
	prev   [][]byte // for sequence anchors: the words that must precede tok
	pats   []*pattern
	chks   []*checkDef
	// For anchors in anchorTab: next[i], when nextKnown[i], holds the keys
	// of the tokens that can follow tok in a match of pats[i] (see
	// pattern.nextAt).
	next      [][4]uint64
	nextKnown []bool
	// For sequence anchors: keys of the tokens that can follow tok, unless
	// followUnknown.
	follow        [4]uint64
	followUnknown bool
}

const bloomBits = 1 << 16

var (
	// anchorTab maps the key of a word to the groups it anchors.
	anchorTab map[uint64][]anchorGroup
	// seqTab maps the key of the first uncommon word of a pattern to the
	// groups whose pattern starts with common words before it ("if you are
	// an AI" is anchored on "ai", "a partir de ahora" on "partir", "不要"
	// on "要"): common words are never anchors on their own.
	seqTab      map[uint64][]anchorGroup
	anchorBloom [bloomBits / 64]uint64
	allPatterns []*pattern
	checks      []checkDef
)

// stopwords are first words too common to anchor a pattern alone.
var stopwords = foldSet(`a an the to of in on at is are be or it i you your we if do not no so as by for with and
	my this that all any each every from can will what how when there here was were has have had me mi si ya
	ta em uw al del mon ton son mes tes nos vos eu im am um mit aus auf then first also always please
	de la le les l d un une du des el los las lo y o en se su sus tu te il gli di da e non ne una der die
	das den dem und zu ein eine sie ich er es nicht het een van op je u ik не и в на ты вы я с по что это
	s t re ll ve m qu n c j`)

// buildOnce builds the tables the first time a Scanner is made (New) or
// Rules is asked: compiling every pattern takes tens of milliseconds,
// which a gateway without the injection plugin must not pay at start.
var buildOnce sync.Once

func buildTables() {
	anchorTab = make(map[uint64][]anchorGroup)
	seqTab = make(map[uint64][]anchorGroup)
	for _, group := range []struct {
		defs   []phraseDef
		macros map[string]string
	}{{phrasesEN, macrosEN}, {phrasesML, macrosML}} {
		for _, d := range group.defs {
			p, err := compilePattern(d, group.macros)
			if err != nil {
				panic("injection: " + err.Error())
			}
			allPatterns = append(allPatterns, p)
			for _, sp := range anchorSpecs(p) {
				if len(sp.prev) == 0 {
					addGroup(anchorTab, keyOf(sp.tok), sp.tok, sp.prefix, nil, p, nil)
				} else {
					g := addGroup(seqTab, keyOf(sp.tok), sp.tok, sp.prefix, sp.prev, p, nil)
					if !sp.followKnown {
						g.followUnknown = true
					}
					for k := range g.follow {
						g.follow[k] |= sp.follow[k]
					}
				}
				addTrigram(sp.tok)
			}
		}
	}
	for r := range rules {
		ruleTop[r] = max(rules[r].weight, topExtra[ruleID(r)])
	}
	for _, p := range allPatterns {
		ruleTop[p.rule] = max(ruleTop[p.rule], p.weight)
	}
	checks = checkDefs()
	for i := range checks {
		for _, w := range checks[i].anchors {
			addGroup(anchorTab, keyOf([]byte(w)), []byte(w), false, nil, nil, &checks[i])
			addTrigram([]byte(w))
		}
	}
	for _, gs := range anchorTab {
		for gi := range gs {
			g := &gs[gi]
			g.next, g.nextKnown = make([][4]uint64, len(g.pats)), make([]bool, len(g.pats))
			for i, p := range g.pats {
				if g.prefix {
					g.next[i], g.nextKnown[i] = p.next, p.hasNext
				} else {
					g.next[i], g.nextKnown[i] = p.nextAt(g.tok)
				}
			}
		}
	}
	buildKeyTable()
}

func isSingleIdeo(tok []byte) bool {
	if len(tok) < 3 {
		return false
	}
	r, n := decodeRune(tok)
	return n == len(tok) && classOf(r) == cIdeo
}

// anchorSpec is one anchor of a pattern: its token, and the common words
// that must precede it.
type anchorSpec struct {
	prev        [][]byte
	tok         []byte
	prefix      bool
	follow      [4]uint64 // keys of the tokens that can come after tok
	followKnown bool
}

// maxPrev bounds the common words before an anchor.
const maxPrev = 6

// anchorSpecs lists the anchors of p: every way the pattern can start,
// cut at its first uncommon word (or, when it starts with a CJK
// character, at its second token).
func anchorSpecs(p *pattern) []anchorSpec {
	var out []anchorSpec
	var walk func(ei, rep int, cur [][]byte)
	emit := func(toks [][]byte, prefix bool, follow [4]uint64, known bool) {
		n := len(toks)
		if prefix && len(toks[n-1]) < keyLen {
			panic("injection: anchor stem too short in " + p.src)
		}
		out = append(out, anchorSpec{prev: slices.Clone(toks[:n-1]), tok: toks[n-1], prefix: prefix, follow: follow, followKnown: known})
	}
	// push appends the tokens of a (an alternative of element ei, taken as
	// its repetition rep+1); it reports whether an anchor was found.
	push := func(cur [][]byte, a *alt, ei, rep int) ([][]byte, bool) {
		for j, t := range a.toks {
			cur = append(cur, t)
			pos := len(cur) - 1
			common := stopwords[string(t)] || pos == 0 && isSingleIdeo(t)
			if !common || pos > 0 && isSingleIdeo(cur[0]) {
				var f [4]uint64
				known := false
				if j+1 < len(a.toks) {
					nt := a.toks[j+1]
					if !(a.prefix && j+1 == len(a.toks)-1 && len(nt) < keyLen) {
						k := keyOf(nt)
						f[k>>6&3] |= 1 << (k & 63)
						known = true
					}
				} else {
					f, known = p.follow(ei, rep+1)
				}
				emit(cur, a.prefix && j == len(a.toks)-1, f, known)
				return cur, true
			}
			if len(cur) == maxPrev+1 {
				emit(cur[:1], false, [4]uint64{}, false) // only common words: anchor on the first
				return cur, true
			}
		}
		return cur, false
	}
	walk = func(ei, rep int, cur [][]byte) {
		if ei == len(p.elems) || p.elems[ei].kind != eWords {
			if len(cur) == 0 {
				panic("injection: no anchor in " + p.src)
			}
			emit(cur[:1], false, [4]uint64{}, false) // only common words: anchor on the first
			return
		}
		e := &p.elems[ei]
		if rep >= e.min {
			walk(ei+1, 0, cur)
		}
		if rep == e.max {
			return
		}
		for i := range e.alts {
			next, done := push(slices.Clone(cur), &e.alts[i], ei, rep)
			if !done {
				walk(ei, rep+1, next)
			}
		}
	}
	walk(0, 0, nil)
	return out
}

// follow is the set of first-token keys that can come after element ei
// has been matched rep times; known is false when it cannot be told (a
// gap, a URL, the end of the pattern).
func (p *pattern) follow(ei, rep int) (m [4]uint64, known bool) {
	e := &p.elems[ei]
	if rep < e.max {
		if len(e.always) > 0 {
			return m, false
		}
		m = e.mask
	}
	if rep < e.min {
		return m, true
	}
	rest, ok := p.first(ei + 1)
	for k := range m {
		m[k] |= rest[k]
	}
	return m, ok
}

// first is the set of first-token keys of the pattern from element ei on.
func (p *pattern) first(ei int) (m [4]uint64, known bool) {
	for ; ei < len(p.elems); ei++ {
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
			return m, true
		}
	}
	return m, false // the pattern can end here
}

func addGroup(tab map[uint64][]anchorGroup, k uint64, tok []byte, prefix bool, prev [][]byte, p *pattern, c *checkDef) *anchorGroup {
	gs := tab[k]
	gi := -1
	for i := range gs {
		if string(gs[i].tok) == string(tok) && gs[i].prefix == prefix && slices.EqualFunc(gs[i].prev, prev, bytes.Equal) {
			gi = i
			break
		}
	}
	if gi < 0 {
		gs = append(gs, anchorGroup{tok: tok, prefix: prefix, prev: prev})
		gi = len(gs) - 1
	}
	g := &gs[gi]
	if p != nil && !slices.Contains(g.pats, p) {
		g.pats = append(g.pats, p)
	}
	if c != nil && !slices.Contains(g.chks, c) {
		g.chks = append(g.chks, c)
	}
	tab[k] = gs
	bit := k & (bloomBits - 1)
	anchorBloom[bit>>6] |= 1 << (bit & 63)
	return &tab[k][gi]
}

// exhaustive, set by tests, turns off the token filters before the
// matcher (runGroup's next-token filter and required-word check, the
// deferral of single anchor hits in word): every group then runs every
// pattern, the slow path the filters must agree with.
var exhaustive bool

// plainWords, set by tests, sends every word that passes the trigram
// prefilter through consumeWord, the path run's ASCII word hashing must
// agree with.
var plainWords bool

// --- scan state -------------------------------------------------------------------

type finding struct {
	rule       ruleID
	start, end int
	score      float64
	label      string
}

// state is one scan of one text. It lives on the stack.
type state struct {
	s         *Scanner
	text      []byte
	findings  []finding
	max       [numRules]float64
	second    [numRules]float64 // second highest distinct (non-overlapping) finding
	overflow  bool              // more than maxFindings findings
	recent    [numRules]recentFindings
	regs      [8]region
	nreg      int
	moreRegs  []region
	zwTotal   int
	roles     uint8
	depth     int    // 0, or 1 inside a decoded hidden payload
	def       bool   // a definition string: sensitive paths weigh more
	noPaths   bool   // a URI field: paths are expected
	hiddenAll bool   // the whole text is hidden (a decoded payload)
	cache     tcache // tokens after the current anchor
	// a deferred anchor hit waiting for the next word (see keyEntry)
	pend           *keyEntry
	pendWs, pendWe int
	pendASCII      bool
	urlNext        int // position of the next URL marker at or after the last urlNear query
	urlScanned     bool
	urlFrom        int   // where the cached scan started
	metaPos        []int // positions of words about attacks (scanMeta)
	metaUpTo       int
	commentEnd     int // position of the next "-->" after the last HTML comment start; -1: none
	// bidi overrides (see overrideSpan)
	ovWalked      bool
	ovStop        bool // the last walk ended at a pop, a newline or the end
	ovFrom, ovEnd int  // the last walk: no pop or newline in [ovFrom, ovEnd)
	rtlHeadEnd    int  // end of the span of the last scanned right-to-left override that was not nested
	rtlNested     int  // right-to-left overrides inside that span since
	nlKnown       bool // the next newline (see lineEnd)
	nlFrom, nlAt  int
	needle        [len(needles)]needleAt // see within
	pws, pwe      int                    // the hot loop's last word, when plain ASCII (pwe > 0); see prevMayMatch
}

// run is the hot loop. It cuts the text into words exactly as nextToken
// does. A word that starts with three ASCII bytes whose trigram begins no
// anchor is skipped without hashing; other words are hashed and looked up
// (word). Structural bytes ('<', '[', ESC, controls, invisible characters)
// go to their handlers.
func (st *state) run() {
	text := st.text
	n := len(text)
	spaces := 0
	for i := 0; i < n; {
		c := text[i]
		if c < 0x80 {
			f := asciiFlags[c]
			if f&aWord != 0 {
				if spaces >= padMin {
					st.padding(i, spaces)
				}
				spaces = 0
				// Trigram prefilter on the first three bytes.
				c1, c2 := byte(0), byte(0)
				if i+1 < n {
					c1 = text[i+1]
				}
				if c1 < 0x80 && asciiFlags[c1]&aWord != 0 && i+2 < n {
					c2 = text[i+2]
				}
				if c1 < 0x80 && c2 < 0x80 {
					tri := int(triCode[c])*37*37 + int(triCode[c1])*37
					if triCode[c1] != 0 {
						tri += int(triCode[c2])
					}
					if triSet[tri>>6]&(1<<(tri&63)) == 0 && st.pend == nil {
						j := i + 1
						for j < n && asciiWord[text[j]] {
							j++
						}
						st.pws, st.pwe = i, j
						if j < n && text[j] >= 0x80 {
							st.pwe = 0
							j = st.consumeWord(j, false)
						}
						i = j
						continue
					}
					if !plainWords {
						// A plain ASCII word is hashed here, as consumeWord
						// would; one that non-ASCII letters, marks or
						// invisible characters continue goes there.
						j, h := i, uint64(hInit)
						for j < n && j-i < keyLen && asciiWord[text[j]] {
							h = (h ^ uint64(lowerASCII[text[j]])) * hPrime
							j++
						}
						for j < n && asciiWord[text[j]] {
							j++
						}
						if j == n || text[j] < 0x80 {
							st.word(i, j, h, j-i, true)
							st.pws, st.pwe = i, j
							i = j
							continue
						}
					}
				}
				i = st.consumeWord(i, true)
				continue
			}
			if c == ' ' || c == '\t' {
				spaces++
				i++
				continue
			}
			if spaces >= padMin && c != '\n' {
				st.padding(i, spaces)
			}
			spaces = 0
			if f&aSpecial == 0 {
				if f&aBreak != 0 && isBreakAt(text, i) {
					st.pend = nil // no pattern crosses a sentence end
				}
				i++
				continue
			}
			switch {
			case c == '<':
				st.angle(i)
				i++
			case c == '[':
				st.bracket(i)
				i++
			case c == '\r':
				st.carriageReturn(i)
				i++
			case c == 0x1B:
				i = st.escape(i)
			default:
				i = st.controls(i)
			}
			continue
		}
		r, size := decodeRune(text[i:])
		cls := classOf(r)
		if spaces >= padMin && cls != cZW {
			st.padding(i, spaces)
		}
		spaces = 0
		switch cls {
		case cWord:
			i = st.consumeWord(i, true)
		case cIdeo:
			hh := uint64(hInit)
			for j := 0; j < size; j++ {
				hh = (hh ^ uint64(text[i+j])) * hPrime
			}
			st.word(i, i+size, hh, size, false)
			i += size
		case cZW, cBidi, cVS, cTag, cCtrl:
			i = st.hiddenRun(i)
		default:
			if cls == cBreak {
				st.pend = nil
			}
			i += size
		}
	}
	st.pend = nil
}

// consumeWord consumes the word (or, when !hash, the rest of a skipped
// word) at i and returns its end. Letters and digits continue a word;
// marks and invisible characters inside it do not end it (the invisible
// ones are reported by hiddenRun). With hash, the word's folded key is
// looked up.
func (st *state) consumeWord(i int, hash bool) int {
	text := st.text
	n := len(text)
	ws := i
	h := uint64(hInit)
	wl := 0
	ascii := true
	for i < n {
		c := text[i]
		if asciiWord[c] {
			if wl < keyLen {
				h = (h ^ uint64(lowerASCII[c])) * hPrime
				wl++
				i++
				continue
			}
			// The key is complete: only the end of the run matters now.
			for i++; i < n && asciiWord[text[i]]; i++ {
			}
			wl = keyLen + 1
			continue
		}
		if c < 0x80 {
			break
		}
		ascii = false
		r, size := decodeRune(text[i:])
		switch classOf(r) {
		case cWord:
			if wl >= keyLen {
				wl++ // the key is complete; only the word's end matters now
				i += size
				continue
			}
			var fb [4]byte
			var m int
			if r < 0x530 || r >= 0xFF01 && r < 0xFF5F || r >= 0x1D400 && r < 0x1D800 {
				m = foldRune(r, &fb)
			} else {
				m = copy(fb[:], text[i:i+size]) // folds to itself
			}
			for j := 0; j < m; j++ {
				if wl < keyLen {
					h = (h ^ uint64(fb[j])) * hPrime
				}
				wl++
			}
			i += size
		case cMark:
			i += size
		case cZW, cBidi, cVS, cTag, cCtrl:
			i = st.hiddenRun(i)
		default:
			goto done
		}
	}
done:
	if hash && wl > 0 {
		st.word(ws, i, h, wl, ascii)
	}
	st.pws, st.pwe = ws, i
	if !ascii || !hash {
		st.pwe = 0
	}
	return i
}

// Trigram prefilter: triSet has a bit for the first three folded bytes
// (letters and digits; shorter words padded with 0) of every ASCII anchor
// word, including both words of pair anchors.
var (
	triCode = func() (t [128]uint8) {
		for c := 'a'; c <= 'z'; c++ {
			t[c] = uint8(c-'a') + 1
			t[c-32] = uint8(c-'a') + 1
		}
		for c := '0'; c <= '9'; c++ {
			t[c] = uint8(c-'0') + 27
		}
		return
	}()
	triSet [(37*37*37 + 63) / 64]uint64
)

func addTrigram(tok []byte) {
	var code [3]int
	for k := 0; k < 3 && k < len(tok); k++ {
		c := tok[k]
		if c >= 0x80 || triCode[c] == 0 {
			return // not reachable through the ASCII fast path
		}
		code[k] = int(triCode[c])
	}
	tri := code[0]*37*37 + code[1]*37 + code[2]
	triSet[tri>>6] |= 1 << (tri & 63)
}

// word looks up the word text[ws:we) (folded hash h of its first keyLen
// bytes, folded length wl) as an anchor and as the second word of a pair.
func (st *state) word(ws, we int, h uint64, wl int, ascii bool) {
	k := finishKey(h, wl)
	if st.pend != nil {
		st.resolvePending(k)
	}
	if bit := k & (bloomBits - 1); anchorBloom[bit>>6]&(1<<(bit&63)) == 0 {
		return
	}
	e := lookupKey(k)
	if e == nil {
		return
	}
	if len(e.single) > 0 && (!ascii || anyGroupASCII(st.text[ws:we], e.single)) {
		switch {
		case !exhaustive && (e.deferrable || e.urlOnly && !st.urlNear(we)):
			st.pend, st.pendWs, st.pendWe, st.pendASCII = e, ws, we, ascii
		case ascii:
			st.anchorHitASCII(ws, we, e.single)
		default:
			st.anchorHit(ws, e.single)
		}
	}
	if len(e.seq) > 0 {
		st.seqHit(ws, e)
	}
}

// urlNear reports whether a URL or e-mail marker ("://", '@') starts
// within urlWindow bytes after pos. Anchors come in text order, so the
// next marker is found once and reused.
func (st *state) urlNear(pos int) bool {
	if st.urlScanned && pos < st.urlFrom {
		// An earlier position than the cached scan: look directly.
		w := st.text[pos:min(len(st.text), pos+urlWindow+3)]
		return bytes.Contains(w, []byte("://")) || bytes.IndexByte(w, '@') >= 0
	}
	if st.urlNext < pos || !st.urlScanned {
		st.urlScanned = true
		st.urlFrom = pos
		// Look a bounded distance ahead, so that the total work stays
		// linear: with no marker in it, none can be nearer than its end.
		const ahead = 8192
		rest := st.text[pos:min(len(st.text), pos+ahead)]
		n := bytes.Index(rest, []byte("://"))
		scope := rest
		if n >= 0 {
			scope = rest[:n]
		}
		if k := bytes.IndexByte(scope, '@'); k >= 0 {
			n = k
		}
		if n < 0 {
			st.urlNext = pos + len(rest) - 2 // a marker may straddle the end
			if st.urlNext < pos {
				st.urlNext = pos
			}
			return false
		}
		st.urlNext = pos + n
	}
	return st.urlNext-pos <= urlWindow
}

// resolvePending runs the deferred anchor if the word that followed it
// (key k) can continue one of its patterns.
func (st *state) resolvePending(k uint64) {
	e := st.pend
	st.pend = nil
	if e.next[k>>6&3]&(1<<(k&63)) == 0 {
		return
	}
	if st.pendASCII {
		st.anchorHitASCII(st.pendWs, st.pendWe, e.single)
	} else {
		st.anchorHit(st.pendWs, e.single)
	}
}

// anyGroupASCII reports whether the ASCII word w is the token of one of
// the groups: words that only share a key with an anchor are rejected
// here, before any tokenizing.
func anyGroupASCII(w []byte, gs []anchorGroup) bool {
	for gi := range gs {
		if asciiWordIs(w, gs[gi].tok, gs[gi].prefix) {
			return true
		}
	}
	return false
}

// keyEntry is a slot of the open-addressing table built from anchorTab
// and seqTab (Go maps are too slow for the hot loop).
type keyEntry struct {
	key    uint64
	used   bool
	single []anchorGroup
	seq    []anchorGroup
	// deferrable: every pattern of single knows the tokens that can follow
	// its first one (next) and there are no checks, so the hit can wait
	// for the next word's key and be dropped without tokenizing.
	deferrable bool
	next       [4]uint64
	// urlOnly: the patterns without next all need a URL; when none is near,
	// the hit behaves as deferrable.
	urlOnly bool
	// prevMask holds bit (key & 255) of the word just before the anchor of
	// every seq group; prevKeys (sorted) and prevIdx index the groups by the
	// key of that word.
	prevMask [4]uint64
	prevKeys []uint64
	prevIdx  [][]uint16
}

var (
	keyTable []keyEntry
	keyMask  uint64
)

func buildKeyTable() {
	n := 1
	for n < 4*(len(anchorTab)+len(seqTab)) {
		n <<= 1
	}
	keyTable = make([]keyEntry, n)
	keyMask = uint64(n - 1)
	slot := func(k uint64) *keyEntry {
		for i := k & keyMask; ; i = (i + 1) & keyMask {
			if e := &keyTable[i]; !e.used || e.key == k {
				e.used, e.key = true, k
				return e
			}
		}
	}
	for k, gs := range anchorTab {
		e := slot(k)
		e.single = gs
		e.deferrable, e.urlOnly = true, true
		for gi := range gs {
			if len(gs[gi].chks) > 0 {
				e.deferrable, e.urlOnly = false, false
			}
			for i, p := range gs[gi].pats {
				if !gs[gi].nextKnown[i] {
					e.deferrable = false
					if !p.needURL {
						e.urlOnly = false
					}
					continue
				}
				for w := range e.next {
					e.next[w] |= gs[gi].next[i][w]
				}
			}
		}
		if e.deferrable {
			e.urlOnly = false
		}
	}
	for k, gs := range seqTab {
		e := slot(k)
		e.seq = gs
		byPrev := map[uint64][]uint16{}
		for gi := range gs {
			pk := keyOf(gs[gi].prev[len(gs[gi].prev)-1])
			e.prevMask[pk>>6&3] |= 1 << (pk & 63)
			byPrev[pk] = append(byPrev[pk], uint16(gi))
		}
		for pk := range byPrev {
			e.prevKeys = append(e.prevKeys, pk)
		}
		slices.Sort(e.prevKeys)
		for _, pk := range e.prevKeys {
			e.prevIdx = append(e.prevIdx, byPrev[pk])
		}
	}
}

func lookupKey(k uint64) *keyEntry {
	for i := k & keyMask; ; i = (i + 1) & keyMask {
		e := &keyTable[i]
		if !e.used {
			return nil
		}
		if e.key == k {
			return e
		}
	}
}

// anchorHitASCII is anchorHit for a plain ASCII word text[ws:we]: its
// token is known without tokenizing.
func (st *state) anchorHitASCII(ws, we int, gs []anchorGroup) {
	t := token{start: ws, end: we}
	w := st.text[ws:we]
	primed := false
	for gi := range gs {
		g := &gs[gi]
		if !asciiWordIs(w, g.tok, g.prefix) {
			continue
		}
		if len(g.pats) > 0 && !primed {
			st.cache.reset(st.text, t)
			primed = true
		}
		st.runGroup(g, t, !exhaustive)
	}
}

// asciiWordIs reports whether the ASCII word w folds to tok (or starts
// with it, if prefix).
func asciiWordIs(w, tok []byte, prefix bool) bool {
	if len(w) < len(tok) || !prefix && len(w) != len(tok) {
		return false
	}
	for k := range tok {
		if lowerASCII[w[k]] != tok[k] {
			return false
		}
	}
	return true
}

func (st *state) anchorHit(ws int, gs []anchorGroup) {
	t, ok := nextToken(st.text, ws)
	if !ok {
		return
	}
	c := &st.cache
	c.reset(st.text, t)
	first := &c.toks[0]
	for gi := range gs {
		g := &gs[gi]
		if first.eq(st.text, &alt{}, g.tok, g.prefix) {
			st.runGroup(g, t, !exhaustive)
		}
	}
}

// seqHit handles an anchor preceded by common words: a group runs, from
// the first of those words, when the words before the anchor are its
// prev words.
func (st *state) seqHit(ws int, e *keyEntry) {
	if st.pwe > 0 && !st.prevMayMatch(ws, e) {
		return
	}
	gs := e.seq
	pw, ok := prevWord(st.text, ws)
	if !ok {
		return
	}
	var pc ctok
	pc.set(st.text, pw)
	if e.prevMask[pc.key>>6&3]&(1<<(pc.key&63)) == 0 {
		return
	}
	pi, found := slices.BinarySearch(e.prevKeys, pc.key)
	if !found {
		return
	}
	candidate := false
	for _, gi := range e.prevIdx[pi] {
		g := &gs[gi]
		if pc.eq(st.text, &alt{}, g.prev[len(g.prev)-1], false) {
			candidate = true
			break
		}
	}
	if !candidate {
		return
	}
	t, ok := nextToken(st.text, ws)
	if !ok {
		return
	}
	var anchorTok ctok
	anchorTok.set(st.text, t)
	// The words before the anchor, nearest first, walked back lazily.
	var ring [maxPrev]token
	var prev [maxPrev]ctok
	ring[0], prev[0] = pw, pc
	n := 1
	for _, gi := range e.prevIdx[pi] {
		g := &gs[gi]
		for n < len(g.prev) {
			w, ok := prevWord(st.text, ring[n-1].start)
			if !ok {
				break
			}
			ring[n] = w
			prev[n].set(st.text, w)
			n++
		}
		np := len(g.prev)
		if np > n || !anchorTok.eq(st.text, &alt{}, g.tok, g.prefix) {
			continue
		}
		match := true
		for k := 0; k < np; k++ {
			// ring is nearest first; g.prev is in text order
			if !prev[np-1-k].eq(st.text, &alt{}, g.prev[k], false) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if !g.followUnknown {
			nt, ok := nextToken(st.text, t.end)
			if !ok || nt.brk {
				continue
			}
			var nc ctok
			nc.set(st.text, nt)
			if g.follow[nc.key>>6&3]&(1<<(nc.key&63)) == 0 {
				continue
			}
		}
		start := ring[np-1]
		st.cache.reset(st.text, start)
		st.runGroup(g, start, false)
	}
}

// prevMayMatch is a quick test for seqHit: when the hot loop's last word
// text[pws:pwe] was plain ASCII and only spaces and punctuation (no
// sentence end, no newline) separate it from ws, it is the word prevWord
// would find, and its key must be one that precedes e's anchors. In any
// other case it answers true and seqHit looks properly.
func (st *state) prevMayMatch(ws int, e *keyEntry) bool {
	text := st.text
	if st.pwe >= ws || ws-st.pwe > 64 || st.pws > 0 && text[st.pws-1] >= 0x80 {
		return true
	}
	for _, c := range text[st.pwe:ws] {
		if c >= 0x80 || asciiFlags[c]&(aWord|aBreak) != 0 || c == '\n' {
			return true
		}
	}
	k := asciiKey(text[st.pws:st.pwe])
	return e.prevMask[k>>6&3]&(1<<(k&63)) != 0
}

// asciiKey is the key of the ASCII word w (keyOf of its lowercase form).
func asciiKey(w []byte) uint64 {
	h := uint64(hInit)
	for i := 0; i < len(w) && i < keyLen; i++ {
		h = (h ^ uint64(lowerASCII[w[i]])) * hPrime
	}
	return finishKey(h, len(w))
}

// prevWord returns the token just before ws in the same sentence,
// walking backwards (the same boundaries as nextToken).
func prevWord(text []byte, ws int) (token, bool) {
	j := ws
	newlines := 0
	// Skip separators back to the end of the previous token.
	for j > 0 {
		c := text[j-1]
		if c < 0x80 {
			f := asciiFlags[c]
			if f&aWord != 0 {
				break
			}
			if c == '\n' {
				newlines++
			}
			if f&aBreak != 0 && isBreakAt(text, j-1) || newlines == 2 || ws-j > 64 {
				return token{}, false
			}
			j--
			continue
		}
		r, size := utf8.DecodeLastRune(text[:j])
		cls := classOf(r)
		if cls == cWord || cls == cIdeo {
			if cls == cIdeo {
				return token{start: j - size, end: j, flags: tfIdeo}, true
			}
			break
		}
		if cls == cBreak || ws-j > 64 {
			return token{}, false
		}
		j -= size
	}
	if j == 0 {
		return token{}, false
	}
	e := j
	// Walk back over the word.
	for j > 0 {
		c := text[j-1]
		if c < 0x80 {
			if asciiFlags[c]&aWord == 0 {
				break
			}
			j--
			continue
		}
		r, size := utf8.DecodeLastRune(text[:j])
		switch classOf(r) {
		case cWord, cMark, cZW, cBidi, cVS, cTag, cCtrl:
			j -= size
			continue
		}
		break
	}
	// Invisible characters before the first letter are not part of it.
	for j < e {
		if text[j] < 0x80 {
			break
		}
		r, size := decodeRune(text[j:])
		if classOf(r) == cWord {
			break
		}
		j += size
	}
	t, ok := nextToken(text, j)
	if !ok || t.start != j || t.end > ws {
		return token{}, false
	}
	return t, true
}

// runGroup runs a group's checks and patterns at token t. With filter,
// patterns whose known next-token set excludes the token after t are
// skipped without running the matcher.
func (st *state) runGroup(g *anchorGroup, t token, filter bool) {
	for _, chk := range g.chks {
		st.runCheck(chk, t)
	}
	if len(g.pats) > 0 && st.cache.url == 0 {
		st.cache.url = 2
		if st.urlNear(st.cache.toks[0].t.end) {
			st.cache.url = 1
		}
	}
	var nextKey uint64
	nextOK := false
	if filter && len(g.pats) > 0 {
		var ct *ctok
		if ct, nextOK = st.cache.at(t.end); nextOK {
			nextOK = !ct.t.brk
			nextKey = ct.key
		}
	}
	for i, p := range g.pats {
		if st.s.disabled[p.rule] || st.overflow && st.max[p.rule] >= p.weight || st.saturated(p.rule, t.start, p.weight) {
			continue
		}
		if filter && g.nextKnown[i] && (!nextOK || g.next[i][nextKey>>6&3]&(1<<(nextKey&63)) == 0) {
			continue
		}
		if p.mustN > 0 && !exhaustive && !st.cache.keyWithin(p.mustN, &p.mustMask) {
			continue
		}
		if end, ok := p.matchAt(&st.cache); ok {
			start := t.start
			if p.before != nil {
				var found bool
				if start, found = st.beforeWord(p, t.start); !found {
					continue
				}
			}
			st.phrase(p, start, end)
		}
	}
}

// beforeWord finds one of p.before within p.beforeN tokens before pos, in
// the same sentence, and returns its start.
func (st *state) beforeWord(p *pattern, pos int) (int, bool) {
	for k := 0; k < p.beforeN; k++ {
		t, ok := prevWord(st.text, pos)
		if !ok {
			return 0, false
		}
		var ct ctok
		ct.set(st.text, t)
		for i := range p.before {
			if ct.eq(st.text, &p.before[i], p.before[i].toks[0], false) {
				return t.start, true
			}
		}
		pos = t.start
	}
	return 0, false
}

// phrase records a pattern match text[start:end).
func (st *state) phrase(p *pattern, start, end int) {
	w := p.weight
	if p.flags&pfImperative != 0 {
		neg, weak := imperativeContext(st.text, start, end)
		if neg {
			return
		}
		if weak {
			w *= 0.6
		}
	}
	st.add(p.rule, start, end, w, "")
	if tokenFlags(st.text, start, end)&(tfInvisible|tfMixed) != 0 {
		st.add(rObfuscated, start, end, rules[rObfuscated].weight, "")
	}
}

// tokenFlags ORs the flags of the tokens in [start, end).
func tokenFlags(text []byte, start, end int) uint8 {
	var f uint8
	for i := start; i < end; {
		t, ok := nextToken(text, i)
		if !ok || t.start >= end {
			break
		}
		f |= t.flags
		i = t.end
	}
	return f &^ tfIdeo
}

// add records a finding, applying the mention damping (instruction
// signals quoted in text about attacks count less) and the allow list.
func (st *state) add(r ruleID, start, end int, score float64, label string) {
	if st.s.disabled[r] || score <= 0 || st.overflow && score <= st.max[r] {
		return
	}
	start = max(start, 0)
	end = min(max(end, start), len(st.text))
	if st.s.allowed(st.text, start, end) {
		return
	}
	if rules[r].cat == catInstruction && r != rExfilURL && st.mention(start, end) {
		score *= mentionDamp
	}
	st.addExact(r, start, end, score, label)
}

// addExact records a finding as is, merging it into an overlapping finding
// of the same rule.
func (st *state) addExact(r ruleID, start, end int, score float64, label string) {
	if st.s.disabled[r] {
		return
	}
	for k := len(st.findings) - 1; k >= 0 && k >= len(st.findings)-8; k-- {
		f := &st.findings[k]
		if f.rule == r && start < f.end && end > f.start || f.rule == r && start == f.start && end == f.end {
			f.start, f.end = min(f.start, start), max(f.end, end)
			if score > f.score {
				f.score = score
				if label != "" {
					f.label = label
				}
			}
			if score > st.max[r] {
				st.max[r] = score
			}
			return
		}
	}
	st.addDistinct(r, score)
	st.recent[r].add(start, score)
	if len(st.findings) >= maxFindings {
		st.overflow = true
		return
	}
	st.findings = append(st.findings, finding{rule: r, start: start, end: end, score: score, label: label})
}

// saturated reports whether rule r already has two findings of at least w
// within saturation bytes before pos: another one there cannot raise any
// window's score (they share its windows), so dense text skips the work.
func (st *state) saturated(r ruleID, pos int, w float64) bool {
	rc := &st.recent[r]
	return rc.n >= 2 && pos-rc.pos[0] < saturation && rc.score[0] >= w && rc.score[1] >= w
}

// saturation is the distance within which repeated findings of one rule
// are redundant.
const saturation = 200

// recentFindings are the last two findings of a rule.
type recentFindings struct {
	n     int
	pos   [2]int // older first
	score [2]float64
}

func (rc *recentFindings) add(pos int, score float64) {
	if rc.n < 2 {
		rc.pos[rc.n], rc.score[rc.n] = pos, score
		rc.n++
		return
	}
	rc.pos[0], rc.score[0] = rc.pos[1], rc.score[1]
	rc.pos[1], rc.score[1] = pos, score
}

// addDistinct records the score of a new, distinct finding of rule r in
// the rule's top two.
func (st *state) addDistinct(r ruleID, score float64) {
	switch {
	case score > st.max[r]:
		st.second[r], st.max[r] = st.max[r], score
	case score > st.second[r]:
		st.second[r] = score
	}
}

// allowed reports whether [start, end) overlaps an occurrence of an allowed
// phrase.
func (s *Scanner) allowed(text []byte, start, end int) bool {
	for _, p := range s.allow {
		lo := max(0, start-len(p)+1)
		hi := min(len(text), end+len(p)-1)
		for k := lo; k+len(p) <= hi; k++ {
			if lowerASCII[text[k]] == p[0] && hasPrefixFold(text[k:], string(p)) {
				return true
			}
		}
	}
	return false
}

// finish derives the signals that depend on the whole text: several
// speakers make a fake dialogue, many zero-width characters make a
// payload, and instruction signals inside hidden regions are
// hidden-instructions.
func (st *state) finish() {
	if st.roles&(st.roles-1) != 0 && st.roles&(roleHuman|roleAssistant|roleSystem) != 0 {
		w, label := 0.6, "fakes a dialogue between several speakers"
		if st.roles&(roleHuman|roleAssistant) == roleHuman|roleAssistant {
			w, label = rules[rTurnMarker].weight, "fakes a Human/Assistant dialogue"
		}
		for k := range st.findings {
			if f := &st.findings[k]; f.rule == rTurnMarker && f.score < w {
				f.score, f.label = w, label
			}
		}
		if st.max[rTurnMarker] > 0 && st.max[rTurnMarker] < w {
			st.max[rTurnMarker] = w
		}
	}
	// Secrecy about an action (a tool call, a command, sending data, a
	// sensitive file) is stronger than either alone.
	if st.max[rSecrecy] >= 0.4 && st.max[rSecrecy] < covertWeight {
		for _, r := range [...]ruleID{rToolCall, rCommand, rExfilSend, rExfilURL, rParamSmuggle, rSensitiveFile, rCrossTool} {
			if st.max[r] >= 0.3 && (r != rSensitiveFile || st.max[r] >= 0.5) {
				for k := range st.findings {
					if f := &st.findings[k]; f.rule == rSecrecy && f.score >= 0.4 {
						f.score = covertWeight
						f.label = "asks the model to hide an action from the user"
					}
				}
				st.max[rSecrecy] = covertWeight
				break
			}
		}
	}
	if st.zwTotal >= 8 && st.max[rZeroWidth] < 0.5 {
		for k := range st.findings {
			if f := &st.findings[k]; f.rule == rZeroWidth {
				f.score = 0.5
				f.label = "many zero-width or invisible characters"
				break
			}
		}
		st.max[rZeroWidth] = 0.5
	}
	if st.nreg == 0 && !st.hiddenAll {
		return
	}
	min := 0.45
	if st.hiddenAll {
		min = 0.25
	}
	n := len(st.findings)
	for k := 0; k < n; k++ {
		f := st.findings[k]
		if rules[f.rule].cat == catInstruction && f.score >= min && st.inRegion(f.start, f.end) {
			st.addExact(rHiddenInstructions, f.start, f.end, rules[rHiddenInstructions].weight, "")
		}
	}
}

func (st *state) verdict() Verdict {
	if len(st.findings) == 0 {
		return Verdict{}
	}
	sortFindings(st.findings)
	score := windowScore(st.findings)
	if st.overflow {
		score = max(score, combine(&st.max, &st.second))
	}
	return Verdict{Score: score, Blocked: score >= st.s.threshold, Findings: toMatches(st.findings, "")}
}

func sortFindings(fs []finding) {
	slices.SortStableFunc(fs, func(a, b finding) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.end - b.end
	})
}

// toMatches converts findings, sorted by start, prefixing labels and
// listing at most maxPerRule per rule.
func toMatches(fs []finding, prefix string) []guard.Match {
	sortFindings(fs)
	var per [numRules]int
	n := 0
	for _, f := range fs {
		if per[f.rule] < maxPerRule {
			per[f.rule]++
			n++
		}
	}
	per = [numRules]int{}
	out := make([]guard.Match, 0, n)
	for _, f := range fs {
		if per[f.rule] >= maxPerRule {
			continue
		}
		per[f.rule]++
		label := f.label
		if label == "" {
			label = rules[f.rule].label
		}
		out = append(out, guard.Match{Rule: rules[f.rule].id, Label: prefix + label, Start: f.start, End: f.end, Score: math.Round(f.score*1000) / 1000})
	}
	return out
}
