package injection

import (
	"math"
	"slices"
	"strings"
)

// DefaultThreshold is the score at or above which a verdict blocks when
// Options.Threshold is 0. One strong signal (an instruction override, hidden
// tag characters, instructions inside hidden text) reaches it alone; the
// weaker signals (a sensitive path, a request to call a tool, a secrecy
// phrase, a fake tag) reach it only together.
const DefaultThreshold = 0.7

// ruleID indexes rules; the order is the order of Rules().
type ruleID uint8

const (
	rIgnore ruleID = iota
	rNewInstructions
	rRole
	rJailbreak
	rPromptLeak
	rTemplateToken
	rRoleTag
	rInstructionBlock
	rTurnMarker
	rAddressModel
	rSecrecy
	rCoercion
	rManipulation
	rToolCall
	rCommand
	rCrossTool
	rShadowing
	rExfilURL
	rExfilSend
	rSensitiveFile
	rParamSmuggle
	rObfuscated
	rTags
	rVarSel
	rZeroWidth
	rBidi
	rANSI
	rControl
	rPadding
	rHiddenInstructions
	numRules
)

// Rule categories.
const (
	catInstruction uint8 = iota // words addressed to the model; counts for hidden-instructions
	catHidden                   // characters or markup that hide text
)

type ruleDef struct {
	id     string
	label  string  // Match.Label
	desc   string  // RuleInfo.Description
	weight float64 // the strongest form's score; weaker forms score less
	cat    uint8
}

var rules = [numRules]ruleDef{
	rIgnore: {"ignore-instructions", "asks the model to ignore its instructions",
		"Tells the model to ignore, disregard or forget its previous instructions, rules or system prompt.", 0.8, catInstruction},
	rNewInstructions: {"new-instructions", "announces new instructions",
		`Announces replacement instructions ("new instructions:", "your real task is", "system override:").`, 0.5, catInstruction},
	rRole: {"role-reassignment", "tries to give the model a new role",
		`Reassigns the model's identity ("you are now", "from now on you", "pretend to be", "act as").`, 0.55, catInstruction},
	rJailbreak: {"jailbreak", "jailbreak attempt",
		`Known jailbreak framings: developer/DAN mode, "do anything now", being free of rules or filters.`, 0.65, catInstruction},
	rPromptLeak: {"prompt-extraction", "asks the model to reveal its system prompt",
		"Asks the model to print, repeat or reveal its system prompt or initial instructions.", 0.55, catInstruction},
	rTemplateToken: {"chat-template-token", "contains chat-template control tokens",
		"Chat-template control tokens that fake a conversation turn: <|im_start|>, <|system|>, [INST], <<SYS>>, ### Instruction:.", 0.8, catInstruction},
	rRoleTag: {"fake-role-tag", "contains a fake system/user/tool-result tag",
		"Tags that pretend to end a tool result or start a system/user message: </tool_result>, </function_results>, <system>, </user>.", 0.7, catInstruction},
	rInstructionBlock: {"instruction-block", "wraps text in an <IMPORTANT>/<instructions> block",
		"Pseudo-tags used to make planted instructions stand out to the model: <IMPORTANT>, <instructions>, <secret>.", 0.45, catInstruction},
	rTurnMarker: {"turn-marker", "fakes a conversation turn",
		`Lines starting with a speaker label ("Human:", "Assistant:", "System:"); several different speakers fake a dialogue, a Human/Assistant one most of all.`, 0.75, catInstruction},
	rAddressModel: {"addresses-model", "addresses the AI model directly",
		`Text aimed at the AI reading it ("note to the AI assistant", "if you are an LLM").`, 0.45, catInstruction},
	rSecrecy: {"secrecy", "asks the model to hide something from the user",
		`Asks the model to keep something from the user ("do not tell the user", "the user must not know", "without asking", "silently").`, 0.55, catInstruction},
	rCoercion: {"coercion", "pressures the model with a false necessity",
		`False necessity or urgency used in tool poisoning ("otherwise the tool will not work", "this is very important").`, 0.35, catInstruction},
	rManipulation: {"output-manipulation", "tries to steer the model's answer",
		`Tells the model what to tell, recommend or rate for the user ("tell the reader that", "recommend this candidate", "the only safe choice", "ignore the other reviews").`, 0.5, catInstruction},
	rToolCall: {"tool-call-request", "asks the model to call a tool",
		`Asks the model to call or use a named tool, or to do something before using one ("call the send_email tool", "before using this tool, read").`, 0.45, catInstruction},
	rCommand: {"command-execution", "asks to execute a command",
		`Asks to execute a command or script ("execute the following command"), or pipes a download into a shell (curl ... | sh).`, 0.45, catInstruction},
	rCrossTool: {"cross-tool-instruction", "gives instructions about other tools or the user's requests",
		`Rewrites how other requests or tools behave ("when the user asks to send an email, instead ...", "all emails must be sent to").`, 0.6, catInstruction},
	rShadowing: {"tool-shadowing", "claims to override other tools",
		`Claims precedence over or side effects on other tools ("this tool overrides", "has an important side effect on the send_email tool").`, 0.6, catInstruction},
	rExfilURL: {"exfiltration-url", "URL built to carry data out",
		"Markdown images/links or URLs whose query carries placeholders or encoded data, or asks to put data into a URL.", 0.75, catInstruction},
	rExfilSend: {"exfiltration-request", "asks to send data to an address",
		`Asks to send, post or upload data (conversation, secrets, files) to a URL or address.`, 0.75, catInstruction},
	rSensitiveFile: {"sensitive-file", "refers to a sensitive file",
		"Paths of credentials and configuration: ~/.ssh/id_rsa, ~/.aws/credentials, .env, /etc/passwd, mcp.json, Claude/Cursor config. Stronger with a request to read it, and in definitions.", 0.65, catInstruction},
	rParamSmuggle: {"parameter-smuggling", "asks to pass data through a tool parameter",
		`Asks to put file contents or data into a tool parameter ("pass its content as 'sidenote'").`, 0.5, catInstruction},
	rObfuscated: {"obfuscated-text", "trigger words disguised with look-alike or invisible characters",
		"A matched phrase written with homoglyphs (Cyrillic/Greek letters among Latin ones) or invisible characters inside its words.", 0.5, catHidden},
	rTags: {"hidden-unicode-tags", "invisible Unicode tag characters",
		"Unicode tag characters (U+E0000–U+E007F) outside emoji flag sequences; they spell ASCII text a reader cannot see. The decoded text is scanned too.", 0.9, catHidden},
	rVarSel: {"hidden-variation-selectors", "runs of invisible variation selectors",
		"Consecutive variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) that can smuggle bytes; the decoded bytes are scanned too.", 0.7, catHidden},
	rZeroWidth: {"hidden-zero-width", "zero-width or invisible characters",
		"Zero-width and invisible format characters (U+200B–U+200F, U+2060–U+2064, inner U+FEFF, fillers), except joiners inside emoji sequences and joining scripts.", 0.5, catHidden},
	rBidi: {"hidden-bidi-control", "bidirectional text controls",
		"Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) that reorder what is displayed (Trojan Source).", 0.5, catHidden},
	rANSI: {"ansi-escape", "terminal escape sequences",
		"ANSI escape sequences. Colours score low; concealed text, cursor movement, line erasing and OSC sequences (hyperlinks, clipboard) score higher.", 0.6, catHidden},
	rControl: {"control-characters", "control characters",
		"C0/C1 control characters other than tab, newline and carriage return (NUL, backspace, ...).", 0.2, catHidden},
	rPadding: {"whitespace-padding", "text pushed off-screen with whitespace",
		"A long run of spaces or tabs followed by more text on the same line, which hides that text off-screen.", 0.2, catHidden},
	rHiddenInstructions: {"hidden-instructions", "instructions hidden from the reader",
		"Instruction signals inside hidden text: Unicode tags or variation selectors, HTML comments, CSS-hidden elements, concealed terminal text, text after whitespace padding.", 0.9, catHidden},
}

// RuleInfo describes one rule.
type RuleInfo struct {
	ID          string  // stable id, used in Match.Rule and Options.Disable
	Description string  // what the rule looks for
	Score       float64 // the score of its strongest form
}

// Rules lists every rule, in a stable order.
func Rules() []RuleInfo {
	buildOnce.Do(buildTables)
	out := make([]RuleInfo, numRules)
	for i, r := range rules {
		out[i] = RuleInfo{ID: r.id, Description: r.desc, Score: ruleTop[i]}
	}
	return out
}

// ruleTop is each rule's strongest score: its weight, a stronger pattern,
// or a derived form (see topExtra). Set at initialisation.
var ruleTop [numRules]float64

// topExtra are scores given outside the patterns that exceed a rule's
// weight: the vocative address, secrecy about an action.
var topExtra = map[ruleID]float64{rAddressModel: 0.5, rSecrecy: covertWeight}

// combine scores a text from the two strongest distinct findings of each
// rule: a rule counts 1 − (1 − m₁)(1 − m₂/2), so a second, different
// occurrence adds a little and repeats add nothing more; rules combine as a
// noisy-or, 1 − Π(1 − wᵣ), so different signals reinforce each other. A
// single finding of weight w scores exactly w.
func combine(max, second *[numRules]float64) float64 {
	p := 1.0
	for r, w := range max {
		if w > 0 {
			p *= (1 - w) * (1 - second[r]/2)
		}
	}
	s := 1 - p
	if s < 0 {
		s = 0
	}
	// Round to 1e-4: a single weight w scores exactly w, and Score and
	// Blocked agree on what is shown.
	return math.Round(s*1e4) / 1e4
}

// scoreWindow is the span within which a text's findings reinforce each
// other. Weak signals far apart in a long document (a file path in one
// section, a tool name in another) do not add up; an injection keeps its
// parts together.
const scoreWindow = 1500

// windowScore is the highest combined score of the findings (sorted by
// start) that begin within scoreWindow bytes of each other: the best, over
// every finding i, of the findings from i on that start before
// fs[i].start+scoreWindow.
func windowScore(fs []finding) float64 {
	if len(fs) > slidingMin {
		return slidingWindowScore(fs)
	}
	best := 0.0
	for i := range fs {
		if i > 0 && fs[i].start < fs[i-1].start+1 && best > 0 {
			continue
		}
		var max, second [numRules]float64
		for j := i; j < len(fs) && fs[j].start < fs[i].start+scoreWindow; j++ {
			r, w := fs[j].rule, fs[j].score
			switch {
			case w > max[r]:
				second[r], max[r] = max[r], w
			case w > second[r]:
				second[r] = w
			}
		}
		if s := combine(&max, &second); s > best {
			best = s
			if best >= 1 {
				break
			}
		}
	}
	return best
}

// slidingMin is the number of findings above which windowScore slides
// its window instead of recounting it at every finding: dense text has
// hundreds of findings per window.
const slidingMin = 64

// top2 holds the two highest scores of a multiset (0 for none).
type top2 struct{ m1, m2 float64 }

// add puts w into t the way windowScore counts a finding.
func (t *top2) add(w float64) {
	switch {
	case w > t.m1:
		t.m2, t.m1 = t.m1, w
	case w > t.m2:
		t.m2 = w
	}
}

func (t top2) merge(u top2) top2 {
	t.add(u.m1)
	t.add(u.m2)
	return t
}

// slidingWindowScore is windowScore in time linear in the findings. The
// window [i, j) only moves forward, so each rule's findings in it are a
// queue: the rule's findings are listed in order (order, by rule), and
// each rule's queue keeps suffix maxima for its front part (suf, rebuilt
// when the front empties) and a running maximum for its back part. Every
// window gets exactly the top two scores per rule that recounting it
// would, so the result is the same.
func slidingWindowScore(fs []finding) float64 {
	var count, off [numRules + 1]int
	for _, f := range fs {
		count[f.rule]++
	}
	for r := 0; r < int(numRules); r++ {
		off[r+1] = off[r] + count[r]
	}
	order := make([]float64, len(fs)) // scores, grouped by rule, in text order
	suf := make([]top2, len(fs))
	fill := off
	for _, f := range fs {
		order[fill[f.rule]] = f.score
		fill[f.rule]++
	}
	// Per rule: its findings in the window are order[lo:hi]; suf[k] for k
	// in [lo, mid) is the top two of order[k:mid]; back is the top two of
	// order[mid:hi].
	var lo, mid, hi [numRules]int
	var back [numRules]top2
	for r := range lo {
		lo[r], mid[r], hi[r] = off[r], off[r], off[r]
	}
	best := 0.0
	j := 0
	for i := range fs {
		for j < len(fs) && fs[j].start < fs[i].start+scoreWindow {
			r := fs[j].rule
			back[r].add(order[hi[r]])
			hi[r]++
			j++
		}
		if !(i > 0 && fs[i].start < fs[i-1].start+1 && best > 0) {
			var max, second [numRules]float64
			for r := range max {
				t := back[r]
				if lo[r] < mid[r] {
					t = suf[lo[r]].merge(t)
				}
				max[r], second[r] = t.m1, t.m2
			}
			if s := combine(&max, &second); s > best {
				best = s
				if best >= 1 {
					break
				}
			}
		}
		// Drop finding i from the front of its rule's queue.
		r := fs[i].rule
		if lo[r] == mid[r] {
			mid[r] = hi[r]
			var t top2
			for k := mid[r] - 1; k >= lo[r]; k-- {
				t.add(order[k])
				suf[k] = t
			}
			back[r] = top2{}
		}
		lo[r]++
	}
	return best
}

// --- context: imperative or mention ---------------------------------------------

// mentionDamp multiplies the score of an instruction signal that is
// mentioned rather than given: quoted or introduced as an example, in a
// passage about attacks ("attackers write \"ignore previous
// instructions\""). Both conditions are needed, so an attacker cannot
// disarm a payload by quoting it alone.
const mentionDamp = 0.35

// weakDamp multiplies the score of an override phrase whose verb has a
// subject other than "you" or a permissive modal ("eslint will ignore all
// previous rules", "you can ignore the instructions above").
const weakDamp = 0.6

// foldSet folds words into a set of comparison forms.
func foldSet(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		b := []byte(w)
		if t, ok := nextToken(b, 0); ok {
			m[string(foldToken(nil, b, t))] = true
		}
	}
	return m
}

var (
	negators = foldSet(`not never t dont no non ne n nao não niet nicht nie niemals jamais nunca mai nooit не нельзя
		不 别 別 勿 莫 没 沒 without`)
	postNegators = foldSet(`な ず 않 말 마`)
	// Modals that make an override permissive even with "you".
	permissive = foldSet(`can could may might safely`)
	// Modals and "to": an override after them is the model's own only with "you" before.
	modals = foldSet(`will would should shall must does did to need have has want wants`)
	// Subjects that make the verb third person or declarative.
	subjects = foldSet(`it they he she we i which that who this also automatically tool linter parser compiler
		program git eslint system server browser script app application model function rule option flag setting
		config configuration users user people`)
	framingWords = foldSet(`like e eg g such as say says said saying write writes wrote writing written type types
		typed typing phrase phrases string strings contain contains containing called named example examples
		keyword keywords inject injects injected injecting embed embeds embedded hide hides hid insert inserts
		inserted detect detects detected flag flags flagged block blocks blocked catch catches caught match
		matches matched quote quoted literally literal`)
	metaStems = []string{"inject", "attack", "adversar", "malicious", "jailbreak", "exploit", "defen", "mitigat",
		"detect", "vulnerab", "threat", "payload", "redteam", "classifier", "guardrail", "phrase",
		"pattern", "keyword", "owasp", "llm01", "research", "techniqu", "heuristic", "benchmark",
		"dataset", "securit", "sanitiz", "filter", "angriff", "injektion", "attaque", "ataque", "attacco", "aanval"}
	metaIdeo = []string{"注入", "攻击", "攻撃", "공격", "例如", "예시"}
	// metaKeys holds the anchor keys of metaStems (all at least keyLen
	// long, so a word starting with a stem has the stem's key).
	metaFolded [][]byte
	metaKeys   = func() map[uint64]bool {
		m := make(map[uint64]bool)
		for _, w := range append(metaStems, "атак", "пример") {
			b := []byte(w)
			t, _ := nextToken(b, 0)
			f := foldToken(nil, b, t)
			if len(f) < keyLen {
				panic("injection: short meta stem " + w)
			}
			m[keyOf(f)] = true
			metaFolded = append(metaFolded, f)
		}
		return m
	}()
)

// imperativeContext looks at the words around an override phrase. neg: a
// negation before it ("do not ignore ...", "不要忽略") or, for verb-final
// languages, after it ("無視しないで"). weak: a permissive modal ("you can
// ignore") or a subject other than "you" ("the parser will ignore").
func imperativeContext(text []byte, start, end int) (neg, weak bool) {
	var ring [3]token
	n := prevTokens(text, start, 64, ring[:])
	var w [3][24]byte
	var f [3][]byte
	for k := 0; k < n; k++ {
		if ring[k].end-ring[k].start <= 20 {
			f[k] = foldToken(w[k][:0], text, ring[k])
		}
		if negators[string(f[k])] {
			return true, false
		}
	}
	if last := lastToken(text, start, end); last.flags&tfIdeo != 0 {
		for i, k := end, 0; k < 3; k++ {
			t, ok := nextToken(text, i)
			if !ok || t.brk {
				break
			}
			var b [8]byte
			if postNegators[string(foldToken(b[:0], text, t))] {
				return true, false
			}
			i = t.end
		}
	}
	if n == 0 {
		return false, false
	}
	p1 := string(f[0])
	switch {
	case permissive[p1]:
		return false, true
	case modals[p1]:
		return false, !(n > 1 && string(f[1]) == "you")
	case subjects[p1]:
		return false, true
	}
	return false, false
}

// lastToken returns the last token in [start, end).
func lastToken(text []byte, start, end int) token {
	var last token
	for i := start; i < end; {
		t, ok := nextToken(text, i)
		if !ok || t.start >= end {
			break
		}
		last = t
		i = t.end
	}
	return last
}

// mention reports whether the signal at [start, end) is mentioned rather
// than given: framed (quoted, inside backticks, a list item, or introduced
// by a word such as "like", "says", "contains", "to") and in a passage
// about attacks, detection or examples.
//
// The passage is looked at first: it is a binary search in positions found
// once per text, while framed walks back over the line.
func (st *state) mention(start, end int) bool {
	text := st.text
	lo := max(0, start-240)
	if k := lastIndex(text[lo:start], "\n\n"); k >= 0 {
		lo += k + 2
	}
	hi := min(len(text), end+240)
	if k := indexFrom(text, end, "\n\n", hi-end); k >= 0 {
		hi = k
	}
	st.scanMeta(hi)
	// metaPos is sorted: find the first position at or after lo.
	k, _ := slices.BinarySearch(st.metaPos, lo)
	return k < len(st.metaPos) && st.metaPos[k] < hi && framed(text, start)
}

// scanMeta records, once per text and only as far as needed, where the
// words of metaStems and metaIdeo occur.
func (st *state) scanMeta(upTo int) {
	text := st.text
	for st.metaUpTo < upTo {
		t, ok := nextToken(text, st.metaUpTo)
		if !ok {
			st.metaUpTo = len(text)
			return
		}
		st.metaUpTo = t.end
		if isMetaWord(text, t) {
			st.metaPos = append(st.metaPos, t.start)
		}
	}
}

func isMetaWord(text []byte, t token) bool {
	if t.start > 0 && (text[t.start-1] == '/' || text[t.start-1] == '.' || text[t.start-1] == '=' || text[t.start-1] == '@') {
		return false // a URL or path component ("https://attacker.example/payload")
	}
	if t.flags&tfIdeo != 0 {
		for _, m := range metaIdeo {
			if len(text)-t.start >= len(m) && string(text[t.start:t.start+len(m)]) == m {
				return true
			}
		}
		return false
	}
	var ct ctok
	ct.set(text, t)
	if !metaKeys[ct.key] {
		return false
	}
	n := ct.fl
	if n < 0 {
		n = len(ct.fold)
	}
	fw := ct.fold[:n]
	for _, m := range metaFolded {
		if len(fw) >= len(m) && string(fw[:len(m)]) == string(m) {
			return true
		}
	}
	return false
}

// framed reports whether the text at start is quoted, inside backticks,
// starts a list item, or follows a framing word.
func framed(text []byte, start int) bool {
	j := start
	for j > 0 && start-j < 3 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	if j > 0 {
		switch text[j-1] {
		case '"', '\'', '`', '(':
			return true
		}
		switch r := runeBefore(text, j); r {
		case '“', '”', '‘', '’', '«', '»', '„', '「', '『', '‹', '›':
			return true
		}
	}
	ls := start
	for ls > 0 && text[ls-1] != '\n' && start-ls < 512 {
		ls--
	}
	// Inside backticks or a "quotation" opened earlier on the line.
	ticks, quotes, curly := 0, 0, 0
	for k := ls; k < start; k++ {
		switch text[k] {
		case '`':
			ticks++
		case '"':
			quotes++
		case 0xE2: // “ (E2 80 9C) opens, ” (E2 80 9D) closes
			if k+2 < start && text[k+1] == 0x80 {
				if text[k+2] == 0x9C {
					curly++
				} else if text[k+2] == 0x9D && curly > 0 {
					curly--
				}
			}
		}
	}
	if ticks%2 == 1 || quotes%2 == 1 || curly > 0 {
		return true
	}
	k := ls
	for k < start && (text[k] == ' ' || text[k] == '\t') {
		k++
	}
	if k < start {
		switch c := text[k]; {
		case c == '-' || c == '*' || c == '+':
			if k+1 < len(text) && text[k+1] == ' ' && start-k < 6 {
				return true
			}
		case c >= '0' && c <= '9':
			d := k
			for d < start && text[d] >= '0' && text[d] <= '9' {
				d++
			}
			if d < start && (text[d] == '.' || text[d] == ')') && start-d < 4 {
				return true
			}
		}
		if r := runeAt(text, k); r == '•' && start-k < 6 {
			return true
		}
	}
	var ring [3]token
	n := prevTokens(text, start, 48, ring[:])
	var b [24]byte
	for q := 0; q < n; q++ {
		if ring[q].end-ring[q].start > 20 {
			continue
		}
		if framingWords[string(foldToken(b[:0], text, ring[q]))] {
			return true
		}
	}
	return false
}

func lastIndex(b []byte, s string) int {
	for k := len(b) - len(s); k >= 0; k-- {
		if string(b[k:k+len(s)]) == s {
			return k
		}
	}
	return -1
}
