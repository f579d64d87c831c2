package injection

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Hidden text: characters a reader does not see but a model reads (Unicode
// TR36 §3, "invisible characters"; the tag-character and variation-selector
// smuggling techniques), terminal escape sequences, control characters,
// and regions of text hidden by markup (HTML comments, CSS, concealed ANSI,
// whitespace padding). Regions are recorded here and consulted when the
// scan finishes: instructions inside them score as hidden-instructions.

// region is a hidden span of the text.
type region struct{ start, end int }

func (st *state) addRegion(start, end int) {
	if end <= start {
		return
	}
	// Merge with the last region when they overlap (regions come roughly in
	// text order), so that repeated markup does not pile up.
	if last := st.lastRegion(); last != nil && start <= last.end && end >= last.start {
		last.start, last.end = min(last.start, start), max(last.end, end)
		return
	}
	if st.nreg < len(st.regs) {
		st.regs[st.nreg] = region{start, end}
		st.nreg++
		return
	}
	st.moreRegs = append(st.moreRegs, region{start, end})
}

func (st *state) lastRegion() *region {
	if n := len(st.moreRegs); n > 0 {
		return &st.moreRegs[n-1]
	}
	if st.nreg > 0 {
		return &st.regs[st.nreg-1]
	}
	return nil
}

// inRegion reports whether [start, end) lies inside a hidden region.
func (st *state) inRegion(start, end int) bool {
	if st.hiddenAll {
		return true
	}
	for k := 0; k < st.nreg; k++ {
		if r := st.regs[k]; start >= r.start && end <= r.end {
			return true
		}
	}
	for _, r := range st.moreRegs {
		if start >= r.start && end <= r.end {
			return true
		}
	}
	return false
}

func isEmojiLike(r rune) bool {
	return r >= 0x1F000 && r < 0x1FC00 || r >= 0x2600 && r < 0x27C0 || r >= 0x2300 && r < 0x2400 ||
		r >= 0x2B00 && r < 0x2C00 || r >= 0x2190 && r < 0x2200 || r == 0xFE0F || r == 0x20E3 ||
		r == 0xA9 || r == 0xAE || r == 0x203C || r == 0x2049 || r == 0x2122 || r == 0x2139 ||
		r >= 0x3030 && r <= 0x303D || r == 0x3297 || r == 0x3299 || r >= 0xE0020 && r <= 0xE007F
}

// isJoiningScript reports scripts in which ZWJ/ZWNJ are ordinary
// orthography: Hebrew, Arabic, Syriac, Thaana, N'Ko, the Indic scripts,
// Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian and Arabic
// presentation forms.
func isJoiningScript(r rune) bool {
	return r >= 0x0590 && r < 0x1100 || r >= 0x1780 && r < 0x18B0 || r >= 0xA800 && r < 0xA900 ||
		r >= 0xFB1D && r < 0xFE00 || r >= 0xFE70 && r < 0xFEFF || r >= 0x10A00 && r < 0x11FFF
}

// isBreakHintScript reports scripts written without spaces, where U+200B
// marks word boundaries for line breaking.
func isBreakHintScript(r rune) bool {
	return r >= 0x0E00 && r < 0x1000 || r >= 0x1000 && r < 0x10A0 || r >= 0x1780 && r < 0x1800 ||
		r >= 0x3040 && r < 0xA000 || r >= 0xAC00 && r < 0xD7B0 || r >= 0x20000 && r < 0x40000
}

func isASCIILetter(r rune) bool { return r < 0x80 && r > '9' && asciiFlags[r]&aWord != 0 }

func runeBefore(text []byte, i int) rune {
	if i <= 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRune(text[:i])
	return r
}

func runeAt(text []byte, i int) rune {
	if i >= len(text) {
		return -1
	}
	r, _ := decodeRune(text[i:])
	return r
}

// invisibleSuspicious reports whether the invisible character r at
// text[i:i+size] hides something, given its neighbours. Legitimate uses
// are left alone: ZWJ between emoji and ZWJ/ZWNJ in joining scripts,
// LRM/RLM outside Latin words, U+200B between Thai/CJK words, a BOM at the
// very start, the first variation selector after a base character, tags of
// an emoji flag sequence (🏴 + tag letters + cancel tag).
func invisibleSuspicious(text []byte, i, size int, r rune) bool {
	prev, next := runeBefore(text, i), runeAt(text, i+size)
	switch {
	case r == 0x200D:
		return !(isEmojiLike(prev) && isEmojiLike(next) || isJoiningScript(prev) || isJoiningScript(next))
	case r == 0x200C:
		return !(isJoiningScript(prev) || isJoiningScript(next) || isEmojiLike(prev) && isEmojiLike(next))
	case r == 0x200E || r == 0x200F || r == 0x61C:
		return isASCIILetter(prev) && isASCIILetter(next)
	case r == 0x200B:
		return !(isBreakHintScript(prev) || isBreakHintScript(next))
	case r == 0xFEFF:
		return i != 0
	case r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF:
		// A variation selector selects a glyph of the character before it:
		// emoji and symbols, CJK ideographs (IVS), keycap digits.
		switch {
		case prev < 0:
			return true
		case isEmojiLike(prev) && prev != 0xFE0F, classOf(prev) == cIdeo, prev >= 0x2000 && prev < 0x3000:
			return false
		case (prev >= '0' && prev <= '9' || prev == '#' || prev == '*') && next == 0x20E3:
			return false
		}
		return true
	case r >= 0xE0000 && r <= 0xE007F:
		return !inFlagSequence(text, i)
	}
	return true
}

// inFlagSequence reports whether the tag character at i belongs to an emoji
// tag sequence: U+1F3F4 followed by 1–8 tags in a–z/0–9 and U+E007F.
func inFlagSequence(text []byte, i int) bool {
	s := i
	for k := 0; s >= 4; k++ {
		if k > 9 {
			return false // longer than any flag sequence
		}
		r, n := utf8.DecodeLastRune(text[:s])
		if r < 0xE0000 || r > 0xE007F {
			break
		}
		s -= n
	}
	if runeBefore(text, s) != 0x1F3F4 {
		return false
	}
	k, count := s, 0
	for k < len(text) {
		r, n := decodeRune(text[k:])
		switch {
		case r == 0xE007F:
			return count >= 1 && count <= 8
		case r >= 0xE0061 && r <= 0xE007A || r >= 0xE0030 && r <= 0xE0039:
			count++
		default:
			return false
		}
		k += n
	}
	return false
}

// hiddenRun handles a run of invisible characters (zero-width, bidi,
// variation selectors, tags, C1 controls) starting at i and returns its
// end. Hidden payloads (tag characters, variation-selector bytes) are
// decoded and scanned as text.
func (st *state) hiddenRun(i int) int {
	text := st.text
	start := i
	var nZW, nBidi, nOverride, nVS, nTag, nCtrl, nTagDecodable int
	rlo := false
	for i < len(text) && text[i] >= 0x80 {
		r, size := decodeRune(text[i:])
		cls := classOf(r)
		if cls < cZW {
			break
		}
		switch cls {
		case cZW:
			if invisibleSuspicious(text, i, size, r) {
				nZW++
			}
		case cBidi:
			nBidi++
			if r == 0x202D || r == 0x202E {
				nOverride++
				rlo = rlo || r == 0x202E
			}
		case cVS:
			if invisibleSuspicious(text, i, size, r) {
				nVS++
			}
		case cTag:
			if invisibleSuspicious(text, i, size, r) {
				nTag++
				if r >= 0xE0020 && r <= 0xE007E {
					nTagDecodable++
				}
			}
		case cCtrl:
			nCtrl++
		}
		i += size
	}
	end := i
	if nZW > 0 {
		st.zwTotal += nZW
		w := 0.2
		switch {
		case nZW >= 3:
			w = 0.5
		case isASCIILetter(runeBefore(text, start)) && isASCIILetter(runeAt(text, end)):
			w = 0.3
		}
		st.add(rZeroWidth, start, end, w, "")
	}
	if nBidi > 0 {
		w := 0.35
		if nOverride > 0 {
			w = 0.5
		}
		st.add(rBidi, start, end, w, "")
		if nOverride > 0 {
			st.overrideSpan(end, rlo)
		}
	}
	if nCtrl > 0 {
		st.add(rControl, start, end, 0.2, "")
	}
	if nTag > 0 {
		st.tagRun(start, end, nTagDecodable)
	}
	if nVS >= 2 {
		st.vsRun(start, end, nVS)
	}
	return end
}

// tagRun reports and decodes the tag characters of [start, end).
func (st *state) tagRun(start, end, n int) {
	if n == 0 || st.depth > 0 {
		st.add(rTags, start, end, rules[rTags].weight, "")
		return
	}
	dec := make([]byte, 0, n)
	offs := make([]int, 0, n)
	for i := start; i < end; {
		r, size := decodeRune(st.text[i:])
		if r >= 0xE0020 && r <= 0xE007E {
			dec = append(dec, byte(r-0xE0000))
			offs = append(offs, i)
		}
		i += size
	}
	preview := dec
	if len(preview) > 60 {
		preview = preview[:60]
	}
	st.add(rTags, start, end, rules[rTags].weight, fmt.Sprintf("invisible Unicode tag characters spelling %q", preview))
	st.scanDecoded(dec, func(k int) int { return offs[k] }, func(k int) int { return offs[k-1] + 4 })
}

// overrideSpan handles the text after a bidi override, up to the next
// pop (U+202C, U+2069) or line end: it is displayed in another order than
// the model reads it, so it is a hidden region, and for a right-to-left
// override its displayed form (the runes reversed) is scanned too.
//
// Overrides inside the span of an earlier one display text that scan has
// already seen reversed; after maxNestedRTL of them the rest of the span
// is not scanned again, so that a line of overrides costs linear time
// rather than overrides × span. Inside a decoded payload the whole text is
// hidden already and nothing is done.
func (st *state) overrideSpan(i int, rtl bool) {
	if st.depth > 0 {
		return
	}
	end := st.overrideEnd(i)
	if end == i {
		return
	}
	st.addRegion(i, end)
	if !rtl {
		return
	}
	if i < st.rtlHeadEnd {
		st.rtlNested++
		if st.rtlNested > maxNestedRTL {
			return
		}
	} else {
		st.rtlHeadEnd, st.rtlNested = end, 0
	}
	dec := make([]byte, 0, end-i)
	for k := end; k > i; {
		r, size := utf8.DecodeLastRune(st.text[i:k])
		dec = utf8.AppendRune(dec, r)
		k -= size
	}
	st.scanDecoded(dec, func(int) int { return i }, func(int) int { return end })
}

// maxNestedRTL bounds the right-to-left overrides inside the span of an
// earlier one whose displayed form is scanned.
const maxNestedRTL = 4

// overrideSpanMax bounds the span of a bidi override.
const overrideSpanMax = 4096

// overrideEnd returns the end of the span of an override ending at i: the
// next pop (U+202C, U+2069), newline or end of text, at most
// overrideSpanMax bytes on. The last walk is reused, so that many
// overrides on one line are walked once.
func (st *state) overrideEnd(i int) int {
	text := st.text
	end := i
	if st.ovWalked && st.ovFrom <= i && i <= st.ovEnd {
		if st.ovStop {
			st.ovFrom = i
			return st.ovEnd
		}
		end = st.ovEnd // no pop or newline in [i, ovEnd)
	}
	stop := true
	for end < len(text) && text[end] != '\n' {
		if end-i >= overrideSpanMax {
			stop = false
			break
		}
		if text[end] == 0xE2 && end+2 < len(text) && (text[end+1] == 0x80 && text[end+2] == 0xAC || text[end+1] == 0x81 && text[end+2] == 0xA9) {
			break
		}
		end++
	}
	st.ovWalked, st.ovFrom, st.ovEnd, st.ovStop = true, i, end, stop
	return end
}

// vsRun reports a run of variation selectors and decodes the bytes it
// carries (VS1–VS16 → 0–15, VS17–VS256 → 16–255).
func (st *state) vsRun(start, end, n int) {
	if n < 4 {
		st.add(rVarSel, start, end, 0.3, "")
		return
	}
	st.add(rVarSel, start, end, rules[rVarSel].weight, "")
	if st.depth > 0 {
		return
	}
	dec := make([]byte, 0, n)
	for i := start; i < end; {
		r, size := decodeRune(st.text[i:])
		switch {
		case r >= 0xFE00 && r <= 0xFE0F:
			dec = append(dec, byte(r-0xFE00))
		case r >= 0xE0100 && r <= 0xE01EF:
			dec = append(dec, byte(r-0xE0100+16))
		}
		i += size
	}
	if !utf8.Valid(dec) {
		return
	}
	st.scanDecoded(dec, func(int) int { return start }, func(int) int { return end })
}

// scanDecoded scans text decoded from a hidden payload. Its findings are
// mapped back to the payload's bytes (mapStart/mapEnd translate decoded
// offsets), and any instruction found there is also a hidden-instructions
// finding.
func (st *state) scanDecoded(dec []byte, mapStart, mapEnd func(int) int) {
	sub := state{s: st.s, text: dec, depth: st.depth + 1, def: st.def, noPaths: st.noPaths, hiddenAll: true}
	sub.run()
	sub.finish()
	for _, f := range sub.findings {
		st.addExact(f.rule, mapStart(f.start), mapEnd(f.end), f.score, f.label)
	}
}

// escape handles an ESC (0x1B) at i and returns the index after the
// escape sequence. Colours (SGR) score low; concealed text, cursor
// movement, erasing, and OSC/DCS strings score higher, and the text they
// hide or overwrite becomes a hidden region.
func (st *state) escape(i int) int {
	text := st.text
	n := len(text)
	if i+1 >= n {
		st.add(rControl, i, i+1, 0.2, "")
		return i + 1
	}
	switch c := text[i+1]; c {
	case '[':
		j := i + 2
		for j < n && text[j] >= 0x30 && text[j] <= 0x3F {
			j++
		}
		for j < n && text[j] >= 0x20 && text[j] <= 0x2F {
			j++
		}
		if j >= n || text[j] < 0x40 || text[j] > 0x7E {
			st.add(rANSI, i, j, 0.3, "")
			return j
		}
		params, final, end := text[i+2:j], text[j], j+1
		switch final {
		case 'm':
			if sgrConceals(params) {
				st.add(rANSI, i, end, rules[rANSI].weight, "terminal escape sequence conceals text")
				stop := end
				for stop < n && stop-end < 4096 && text[stop] != 0x1B && text[stop] != '\n' {
					stop++
				}
				st.addRegion(end, stop)
			} else {
				st.add(rANSI, i, end, 0.05, "")
			}
		case 'A', 'F', 'J', 'K', 'H', 'f', 'd':
			st.add(rANSI, i, end, 0.45, "terminal escape sequence moves the cursor or erases text")
			// The line(s) before are overwritten on a terminal.
			if last := st.lastRegion(); last != nil && last.end >= i-512 && last.start <= i {
				last.end = max(last.end, i)
				return end
			}
			ls := i
			for lines := 0; ls > 0 && i-ls < 512; ls-- {
				if text[ls-1] == '\n' {
					lines++
					if lines == 2 {
						break
					}
				}
			}
			st.addRegion(ls, i)
		case 'B', 'C', 'D', 'E', 'G', 'S', 'T', 's', 'u', 'l', 'h', 'n', 'r':
			st.add(rANSI, i, end, 0.3, "")
		default:
			st.add(rANSI, i, end, 0.3, "")
		}
		return end
	case ']', 'P', 'X', '^', '_':
		// OSC / DCS / SOS / PM / APC: a string up to BEL or ESC \.
		j := i + 2
		for j < n && j-i < 1<<16 {
			if text[j] == 0x07 {
				j++
				break
			}
			if text[j] == 0x1B && j+1 < n && text[j+1] == '\\' {
				j += 2
				break
			}
			j++
		}
		w, label := 0.4, "terminal control string (OSC/DCS)"
		if c == ']' {
			switch {
			case hasPrefixFold(text[i+2:], "52;"):
				w, label = 0.6, "terminal escape sequence writes the clipboard"
			case hasPrefixFold(text[i+2:], "8;"):
				w, label = 0.4, "terminal hyperlink escape sequence"
			case hasPrefixFold(text[i+2:], "0;"), hasPrefixFold(text[i+2:], "1;"), hasPrefixFold(text[i+2:], "2;"):
				w, label = 0.3, "terminal escape sequence sets the window title"
			}
		}
		st.add(rANSI, i, j, w, label)
		return j
	case '7', '8', 'c', 'M', 'D', 'E':
		st.add(rANSI, i, i+2, 0.45, "terminal escape sequence moves the cursor or resets the screen")
		return i + 2
	}
	if text[i+1] >= 0x80 || text[i+1] < 0x20 {
		st.add(rControl, i, i+1, 0.2, "") // a lone ESC; the next byte starts something else
		return i + 1
	}
	st.add(rANSI, i, i+2, 0.3, "")
	return i + 2
}

// sgrConceals reports SGR parameters that hide text: 8 (conceal) or equal
// foreground and background colours.
func sgrConceals(p []byte) bool {
	var nums [16]int
	k := 0
	cur, has := 0, false
	for _, c := range p {
		switch {
		case c >= '0' && c <= '9':
			cur = cur*10 + int(c-'0')
			has = true
		case c == ';' || c == ':':
			if k < len(nums) {
				nums[k] = cur
				k++
			}
			cur, has = 0, false
		}
	}
	if has || len(p) > 0 && (p[len(p)-1] == ';') {
		if k < len(nums) {
			nums[k] = cur
			k++
		}
	}
	fg, bg := -1, -2
	for j := 0; j < k; j++ {
		v := nums[j]
		switch {
		case v == 8:
			return true
		case v >= 30 && v <= 37:
			fg = v - 30
		case v >= 90 && v <= 97:
			fg = v - 90 + 8
		case v >= 40 && v <= 47:
			bg = v - 40
		case v >= 100 && v <= 107:
			bg = v - 100 + 8
		case (v == 38 || v == 48) && j+2 < k && nums[j+1] == 5:
			if v == 38 {
				fg = 1000 + nums[j+2]
			} else {
				bg = 1000 + nums[j+2]
			}
			j += 2
		case (v == 38 || v == 48) && j+4 < k && nums[j+1] == 2:
			c := 100000 + nums[j+2]<<16 | nums[j+3]<<8 | nums[j+4]
			if v == 38 {
				fg = c
			} else {
				bg = c
			}
			j += 4
		}
	}
	return fg == bg
}

// controls handles a run of C0 control characters (and DEL) at i, other
// than tab, newline, carriage return and ESC, and returns its end.
func (st *state) controls(i int) int {
	text := st.text
	j := i
	for j < len(text) {
		c := text[j]
		if c == 0x7f || c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1B {
			j++
			continue
		}
		break
	}
	st.add(rControl, i, j, rules[rControl].weight, "")
	return j
}

// carriageReturn handles a '\r' at i: a bare carriage return makes the
// text after it overwrite the start of the line on a terminal, so that
// start becomes a hidden region.
func (st *state) carriageReturn(i int) {
	text := st.text
	if i+1 >= len(text) || text[i+1] == '\n' || text[i+1] == '\r' {
		return
	}
	ls := i
	for ls > 0 && text[ls-1] != '\n' && i-ls < 512 {
		ls--
	}
	st.addRegion(ls, i)
}

// padding handles a run of run spaces or tabs ending at i, followed by text
// on the same line: that text is pushed off-screen.
func (st *state) padding(i, run int) {
	end := min(st.lineEnd(i), i+1<<16)
	st.add(rPadding, i-run, i, rules[rPadding].weight, "")
	st.addRegion(i, end)
}

// lineEnd returns the position of the first newline at or after i, or the
// end of the text. The last answer is reused while i stays before it, so
// that a line of padding is searched once.
func (st *state) lineEnd(i int) int {
	if !st.nlKnown || i < st.nlFrom || i > st.nlAt {
		st.nlKnown, st.nlFrom = true, i
		st.nlAt = len(st.text)
		if k := bytes.IndexByte(st.text[i:], '\n'); k >= 0 {
			st.nlAt = i + k
		}
	}
	return st.nlAt
}

// padMin is the run of spaces/tabs that counts as padding.
const padMin = 100

// StripHidden returns text without the characters that hide content:
// Unicode tag characters (outside emoji flag sequences), zero-width and
// invisible format characters (outside emoji and joining-script
// sequences), bidirectional controls, variation selectors that do not
// follow a base character, ANSI escape sequences, and control characters
// other than tab, newline and carriage return. It reports whether anything
// was removed; when nothing was, it returns text itself without copying.
// Markup that hides text (HTML comments, CSS) is left alone.
func (s *Scanner) StripHidden(text []byte) ([]byte, bool) {
	i := nextHidden(text, 0)
	if i < 0 {
		return text, false
	}
	out := make([]byte, 0, len(text))
	last := 0
	for i >= 0 {
		out = append(out, text[last:i]...)
		last = hiddenEnd(text, i)
		i = nextHidden(text, last)
	}
	out = append(out, text[last:]...)
	return out, true
}

// nextHidden returns the index of the first character to strip at or after
// i, or -1.
func nextHidden(text []byte, i int) int {
	for i < len(text) {
		c := text[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return i
			}
			i++
			continue
		}
		switch c {
		case 0xC2, 0xD8, 0xE1, 0xE2, 0xE3, 0xEF, 0xF0, 0xF3:
			r, size := decodeRune(text[i:])
			if cls := classOf(r); cls >= cZW && (cls == cBidi || cls == cCtrl || invisibleSuspicious(text, i, size, r)) {
				return i
			}
			i += size
		default:
			i++
		}
	}
	return -1
}

// hiddenEnd returns the end of the hidden character or escape sequence at i.
func hiddenEnd(text []byte, i int) int {
	c := text[i]
	if c == 0x1B {
		return escapeLen(text, i)
	}
	if c < 0x80 {
		return i + 1
	}
	_, size := decodeRune(text[i:])
	return i + size
}

// escapeLen returns the end of the escape sequence at i, parsed as escape
// does: CSI (ESC [ params intermediates final), string sequences (OSC,
// DCS, SOS, PM, APC up to BEL or ESC \), two-byte escapes, or a lone ESC.
func escapeLen(text []byte, i int) int {
	n := len(text)
	if i+1 >= n {
		return i + 1
	}
	switch text[i+1] {
	case '[':
		j := i + 2
		for j < n && text[j] >= 0x30 && text[j] <= 0x3F {
			j++
		}
		for j < n && text[j] >= 0x20 && text[j] <= 0x2F {
			j++
		}
		if j < n && text[j] >= 0x40 && text[j] <= 0x7E {
			j++
		}
		return j
	case ']', 'P', 'X', '^', '_':
		for j := i + 2; j < n && j-i < 1<<16; j++ {
			if text[j] == 0x07 {
				return j + 1
			}
			if text[j] == 0x1B && j+1 < n && text[j+1] == '\\' {
				return j + 2
			}
		}
		return min(n, i+1<<16)
	}
	if text[i+1] >= 0x80 || text[i+1] < 0x20 {
		return i + 1
	}
	return i + 2
}
