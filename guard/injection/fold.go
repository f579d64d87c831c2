package injection

import "unicode/utf8"

// This file holds the text model shared by the hot loop (scanner.go) and
// the phrase matcher (phrases.go): how a rune is classified, how letters
// are folded for comparison, and how a text is cut into tokens. Both sides
// must agree exactly, so everything that decides a token boundary or a
// folded byte lives here.

// Rune classes.
const (
	cSep   uint8 = iota // space, punctuation, symbols, emoji: ends a word
	cBreak              // sentence end (. ! ? newline, 。！？): ends a word, phrases do not cross it
	cWord               // letter or digit: part of a word
	cIdeo               // CJK ideograph, kana or Hangul syllable: a token on its own
	cMark               // combining mark, soft hyphen: skipped inside a word, not suspicious
	cZW                 // zero-width / invisible format character: skipped inside a word, suspicious by context
	cBidi               // bidirectional embedding, override or isolate control
	cVS                 // variation selector
	cTag                // Unicode tag character (U+E0000–U+E007F)
	cCtrl               // C0 / C1 control character (not tab, newline, carriage return)
)

// ASCII byte flags.
const (
	aWord    uint8 = 1 << iota // [A-Za-z0-9]
	aBreak                     // . ! ? ends a sentence when followed by a space or the end (see isBreakAt)
	aSpecial                   // handled by the hot loop's structural checks
)

var asciiFlags = func() (t [128]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= aWord
		t[c-32] |= aWord
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= aWord
	}
	for _, c := range ".!?" {
		t[c] |= aBreak
	}
	for _, c := range "<[\r\x1b\x7f" {
		t[c] |= aSpecial
	}
	for c := 0; c < 0x20; c++ {
		if c != '\t' && c != '\n' {
			t[c] |= aSpecial
		}
	}
	return
}()

// asciiWord is asciiFlags[c]&aWord != 0 for every byte: false for the
// bytes of multi-byte characters.
var asciiWord = func() (t [256]bool) {
	for c := range 0x80 {
		t[c] = asciiFlags[c]&aWord != 0
	}
	return
}()

var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i + 32)
		}
	}
	return
}()

// latinFold maps U+00C0–U+017F to the ASCII letters a reader would type
// for them ("é" → "e", "ß" → "ss"); "" for the two non-letters × and ÷.
var latinFold = [...]string{
	// C0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	// E0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	// 100 Ā ā Ă ă Ą ą Ć ć Ĉ ĉ Ċ ċ Č č Ď ď
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	// 110 Đ đ Ē ē Ĕ ĕ Ė ė Ę ę Ě ě Ĝ ĝ Ğ ğ
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	// 120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ Ĩ ĩ Ī ī Ĭ ĭ Į į
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	// 130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	// 140 ŀ Ł ł Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ Ō ō Ŏ ŏ
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	// 150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ Ř ř Ś ś Ŝ ŝ Ş ş
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	// 160 Š š Ţ ţ Ť ť Ŧ ŧ Ũ ũ Ū ū Ŭ ŭ Ů ů
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	// 170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
}

// classTab caches classOfSlow below U+3100 (Latin to kana).
var classTab = func() (t [0x3100]uint8) {
	for r := range t {
		t[r] = classOfSlow(rune(r))
	}
	return
}()

// classOf classifies a rune. The ranges are coarse on purpose: what
// matters is telling letters, CJK, invisible characters and punctuation
// apart, cheaply.
func classOf(r rune) uint8 {
	if r >= 0 && r < 0x3100 {
		return classTab[r]
	}
	if r >= 0x4E00 && r < 0xA000 || r >= 0xAC00 && r < 0xD7B0 {
		return cIdeo
	}
	return classOfSlow(r)
}

func classOfSlow(r rune) uint8 {
	switch {
	case r < 0x80:
		f := asciiFlags[r]
		switch {
		case f&aWord != 0:
			return cWord
		case f&aBreak != 0:
			return cBreak
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return cCtrl
		}
		return cSep
	case r < 0xA0:
		return cCtrl // C1 controls, including the one-byte CSI U+009B
	case r == 0xAD:
		return cMark // soft hyphen
	case r < 0xC0:
		if r == 0xAA || r == 0xB5 || r == 0xBA {
			return cWord
		}
		return cSep
	case r == 0xD7 || r == 0xF7:
		return cSep
	case r < 0x300:
		return cWord
	case r < 0x370:
		return cMark // combining diacritics
	case r < 0x2000:
		switch r {
		case 0x37E, 0x61F, 0x6D4, 0x964, 0x965, 0x589, 0x703:
			return cBreak // Greek/Arabic question mark, Arabic full stop, danda, Armenian full stop, Syriac
		case 0x60C, 0x61B, 0x387:
			return cSep
		case 0x115F, 0x1160, 0x180E, 0x17B4, 0x17B5, 0x61C:
			return cZW // Hangul fillers, Mongolian vowel separator, Khmer invisible vowels, Arabic letter mark
		}
		if r >= 0x1100 && r < 0x1200 {
			return cIdeo // Hangul Jamo
		}
		if r >= 0x1AB0 && r < 0x1B00 || r >= 0x1DC0 && r < 0x1E00 || r >= 0x483 && r < 0x48A ||
			r >= 0x591 && r < 0x5C8 && r != 0x5BE && r != 0x5C0 && r != 0x5C3 && r != 0x5C6 ||
			r >= 0x610 && r < 0x61B || r >= 0x64B && r < 0x660 || r == 0x670 {
			return cMark
		}
		if r >= 0x660 && r < 0x66A || r >= 0x6F0 && r < 0x6FA {
			return cWord // Arabic-Indic digits
		}
		if r >= 0x66A && r < 0x66E || r == 0x6DD || r == 0x6DE || r == 0x6E9 {
			return cSep
		}
		return cWord
	case r < 0x2070:
		switch {
		case r < 0x200B:
			return cSep // typographic spaces
		case r < 0x2010:
			return cZW // ZWSP, ZWNJ, ZWJ, LRM, RLM
		case r == 0x2028 || r == 0x2029:
			return cBreak
		case r >= 0x202A && r <= 0x202E:
			return cBidi
		case r >= 0x2060 && r <= 0x2065:
			return cZW // word joiner, invisible operators
		case r >= 0x2066 && r <= 0x2069:
			return cBidi
		case r >= 0x206A:
			return cZW // deprecated format characters
		}
		return cSep
	case r < 0x3000:
		if r >= 0x2C00 && r < 0x2E00 {
			return cWord // Glagolitic, Latin Extended-C, Coptic, Georgian supplement, Tifinagh, Ethiopic ext
		}
		return cSep // symbols, arrows, math, box drawing, dingbats
	case r < 0x3040:
		if r == 0x3002 {
			return cBreak // 。
		}
		if r == 0x3005 || r == 0x3006 || r == 0x3007 {
			return cIdeo // 々 〆 〇
		}
		return cSep
	case r < 0x3100:
		if r == 0x30FB {
			return cSep // katakana middle dot
		}
		return cIdeo // kana
	case r == 0x3164:
		return cZW // Hangul filler
	case r < 0x3200:
		return cIdeo // bopomofo, compatibility jamo, kanbun
	case r < 0x3400:
		return cSep // enclosed CJK, compatibility
	case r < 0xA000:
		return cIdeo // CJK unified ideographs and extension A
	case r < 0xAC00:
		return cWord // Yi, Lisu, Vai, Cyrillic ext-B, Latin ext-D, ...
	case r < 0xD7B0:
		return cIdeo // Hangul syllables
	case r < 0xE000:
		return cWord // Hangul Jamo ext-B (surrogates never decode)
	case r < 0xF900:
		return cSep // private use
	case r < 0xFB00:
		return cIdeo // CJK compatibility ideographs
	case r < 0xFE00:
		return cWord // alphabetic and Arabic presentation forms
	case r < 0xFE10:
		return cVS
	case r < 0xFE20:
		return cSep
	case r < 0xFE30:
		return cMark
	case r < 0xFE70:
		if r == 0xFE52 || r == 0xFE56 || r == 0xFE57 {
			return cBreak
		}
		return cSep
	case r < 0xFEFF:
		return cWord // Arabic presentation forms-B
	case r == 0xFEFF:
		return cZW // BOM / zero-width no-break space
	case r < 0xFF5F:
		return classOfSlow(r - 0xFEE0) // fullwidth ASCII
	case r < 0xFF66:
		if r == 0xFF61 {
			return cBreak
		}
		return cSep
	case r < 0xFFA0:
		return cIdeo // halfwidth katakana
	case r == 0xFFA0:
		return cZW // halfwidth Hangul filler
	case r < 0xFFE0:
		return cIdeo // halfwidth Hangul
	case r < 0x10000:
		if r >= 0xFFF9 && r <= 0xFFFB {
			return cZW // interlinear annotation controls
		}
		return cSep
	case r >= 0x1D400 && r < 0x1D800:
		return cWord // mathematical alphanumerics
	case r >= 0x1F000 && r < 0x1FC00:
		return cSep // emoji, pictographs
	case r >= 0x20000 && r < 0x40000:
		return cIdeo
	case r >= 0xE0000 && r < 0xE0080:
		return cTag
	case r >= 0xE0100 && r < 0xE01F0:
		return cVS
	case r >= 0xF0000:
		return cSep // supplementary private use
	case r >= 0x1BCA0 && r <= 0x1BCA3, r >= 0x1D173 && r <= 0x1D17A:
		return cZW // shorthand format controls, musical formatting
	}
	return cWord
}

// foldRune writes the comparison form of a word rune into buf and returns
// its length: ASCII lowercase; Latin letters with diacritics as their base
// letters; fullwidth and mathematical letters as ASCII; Cyrillic and Greek
// lowercased, with the letters that look like Latin ones (TR39 confusables:
// а е о р с у х і ј ѕ, ο α ι ...) mapped to those, so that "іgnore" written
// with a Cyrillic і compares equal to "ignore"; anything else as its own
// UTF-8 bytes.
func foldRune(r rune, buf *[4]byte) int {
	switch {
	case r < 0x80:
		buf[0] = lowerASCII[r]
		return 1
	case r >= 0xC0 && r < 0x180:
		s := latinFold[r-0xC0]
		return copy(buf[:], s)
	case r >= 0x370 && r < 0x400:
		if c := greekFold(r); c != 0 {
			buf[0] = c
			return 1
		}
		if r >= 0x391 && r <= 0x3A9 {
			r += 0x20
		}
	case r >= 0x400 && r < 0x530:
		switch {
		case r < 0x410:
			r += 0x50
		case r < 0x430:
			r += 0x20
		case r >= 0x460 && r&1 == 0:
			r++ // paired upper/lower letters of the extended blocks
		}
		if c := cyrillicFold(r); c != 0 {
			buf[0] = c
			return 1
		}
	case r >= 0xFF01 && r < 0xFF5F:
		buf[0] = lowerASCII[r-0xFEE0]
		return 1
	case r >= 0x1D400 && r < 0x1D6A4:
		k := (r - 0x1D400) % 52
		if k >= 26 {
			k -= 26
		}
		buf[0] = byte('a' + k)
		return 1
	case r >= 0x1D7CE && r < 0x1D800:
		buf[0] = byte('0' + (r-0x1D7CE)%10)
		return 1
	}
	return utf8.EncodeRune(buf[:], r)
}

// cyrillicFold maps lowercase Cyrillic letters that are confusable with
// Latin letters to those letters; 0 for the others.
func cyrillicFold(r rune) byte {
	switch r {
	case 'а':
		return 'a'
	case 'е', 'ё':
		return 'e'
	case 'о':
		return 'o'
	case 'р':
		return 'p'
	case 'с':
		return 'c'
	case 'у':
		return 'y'
	case 'х':
		return 'x'
	case 'і':
		return 'i'
	case 'ј':
		return 'j'
	case 'ѕ':
		return 's'
	case 'һ':
		return 'h'
	case 'ԁ':
		return 'd'
	case 'ԛ':
		return 'q'
	case 'ԝ':
		return 'w'
	}
	return 0
}

// greekFold maps Greek letters that are confusable with Latin letters
// (capitals and a few lowercase ones) to those letters; 0 for the others.
func greekFold(r rune) byte {
	switch r {
	case 'Α', 'α':
		return 'a'
	case 'Β':
		return 'b'
	case 'Ε':
		return 'e'
	case 'Ζ':
		return 'z'
	case 'Η':
		return 'h'
	case 'Ι', 'ι':
		return 'i'
	case 'Κ', 'κ':
		return 'k'
	case 'Μ':
		return 'm'
	case 'Ν', 'ν':
		return 'v'
	case 'Ο', 'ο':
		return 'o'
	case 'Ρ', 'ρ':
		return 'p'
	case 'Τ':
		return 't'
	case 'Υ', 'υ':
		return 'u'
	case 'Χ':
		return 'x'
	}
	return 0
}

// isConfusableScript reports whether r is a Cyrillic or Greek letter: a
// word mixing those with Latin letters is a homoglyph disguise (TR39
// mixed-script detection).
func isConfusableScript(r rune) bool { return r >= 0x370 && r < 0x530 }

// decodeRune is utf8.DecodeRune; invalid bytes decode as U+FFFD of size 1.
func decodeRune(b []byte) (rune, int) {
	c := b[0]
	if c < 0x80 {
		return rune(c), 1
	}
	if c >= 0xC2 && c < 0xE0 && len(b) >= 2 && b[1]&0xC0 == 0x80 {
		return rune(c&0x1F)<<6 | rune(b[1]&0x3F), 2
	}
	if c >= 0xE0 && c < 0xF0 && len(b) >= 3 && b[1]&0xC0 == 0x80 && b[2]&0xC0 == 0x80 {
		r := rune(c&0x0F)<<12 | rune(b[1]&0x3F)<<6 | rune(b[2]&0x3F)
		if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
			return r, 3
		}
	}
	return utf8.DecodeRune(b)
}

// isBreakAt reports whether the '.', '!' or '?' at i ends a sentence: it
// is followed by a space, a newline, a closing quote or bracket, or the
// end. In "mcp.json", "v1.2", "?q=" or "e.g.x" it does not.
func isBreakAt(text []byte, i int) bool {
	if i+1 >= len(text) {
		return true
	}
	switch text[i+1] {
	case ' ', '\t', '\n', '\r', '"', '\'', ')', ']', '*', '_', '<', '.', '!', '?':
		return true
	}
	return text[i+1] >= 0x80 // a CJK or typographic character after it
}

// Token flags.
const (
	tfInvisible uint8 = 1 << iota // an invisible character sits inside the word
	tfMixed                       // Latin letters mixed with Cyrillic/Greek ones
	tfIdeo                        // a single CJK / kana / Hangul character
)

// token is a word (or single CJK character) of a text.
type token struct {
	start, end int
	flags      uint8
	brk        bool // a sentence break lies between the previous position and start
}

// nextToken returns the first token at or after i. brk reports a sentence
// break between i and the token: '.', '!', '?', their CJK forms, or a
// blank line (a single newline is only line wrapping). The word boundaries are those of the hot
// loop: ASCII letters and digits, and non-ASCII letters, continue a word;
// invisible characters, combining marks and non-ASCII controls inside a
// word do not end it.
func nextToken(text []byte, i int) (t token, ok bool) {
	n := len(text)
	newlines := 0
	for i < n {
		c := text[i]
		if c < 0x80 {
			f := asciiFlags[c]
			if f&aWord != 0 {
				break
			}
			if f&aBreak != 0 && isBreakAt(text, i) {
				t.brk = true
			} else if c == '\n' {
				newlines++
				if newlines == 2 {
					t.brk = true // a blank line ends a paragraph; one newline is line wrapping
				}
			}
			i++
			continue
		}
		r, size := decodeRune(text[i:])
		switch classOf(r) {
		case cWord:
			goto word
		case cIdeo:
			t.start, t.end, t.flags = i, i+size, tfIdeo
			return t, true
		case cBreak:
			t.brk = true
		}
		i += size
	}
	if i >= n {
		return t, false
	}
word:
	t.start = i
	var latin, other bool
	for i < n {
		c := text[i]
		if c < 0x80 {
			if asciiFlags[c]&aWord == 0 {
				break
			}
			if c > '9' {
				latin = true
			}
			i++
			continue
		}
		r, size := decodeRune(text[i:])
		switch classOf(r) {
		case cWord:
			if isConfusableScript(r) {
				other = true
			} else if r < 0x250 || r >= 0xFF01 && r < 0xFF5F || r >= 0x1D400 && r < 0x1D800 {
				latin = true
			}
		case cMark:
		case cZW, cBidi, cVS, cTag, cCtrl:
			t.flags |= tfInvisible
		default:
			goto done
		}
		i += size
	}
done:
	t.end = i
	if latin && other {
		t.flags |= tfMixed
	}
	return t, true
}

// foldToken appends the folded form of text[t.start:t.end] to dst.
func foldToken(dst []byte, text []byte, t token) []byte {
	if t.flags&tfIdeo != 0 {
		return append(dst, text[t.start:t.end]...)
	}
	var buf [4]byte
	for i := t.start; i < t.end; {
		c := text[i]
		if c < 0x80 {
			dst = append(dst, lowerASCII[c])
			i++
			continue
		}
		r, size := decodeRune(text[i:])
		i += size
		if classOf(r) == cWord {
			n := foldRune(r, &buf)
			dst = append(dst, buf[:n]...)
		}
	}
	return dst
}

// tokenEqual reports whether the folded form of token t equals want (or
// starts with it, if prefix). It folds on the fly and does not allocate.
func tokenEqual(text []byte, t token, want []byte, prefix bool) bool {
	if t.flags&tfIdeo != 0 {
		return string(text[t.start:t.end]) == string(want)
	}
	var buf [4]byte
	k := 0
	for i := t.start; i < t.end; {
		c := text[i]
		if c < 0x80 {
			if k >= len(want) || lowerASCII[c] != want[k] {
				return prefix && k >= len(want)
			}
			k++
			i++
			continue
		}
		r, size := decodeRune(text[i:])
		i += size
		if classOf(r) != cWord {
			continue
		}
		n := foldRune(r, &buf)
		for j := 0; j < n; j++ {
			if k >= len(want) || buf[j] != want[k] {
				return prefix && k >= len(want)
			}
			k++
		}
	}
	return k == len(want)
}

// Anchor keys: a hash of the first keyLen folded bytes of a token and of
// min(length, keyLen). Words sharing their first keyLen bytes share a key,
// which is what lets a stem ("instruc*") be an anchor.
const (
	keyLen  = 5
	hInit   = 14695981039346656037
	hPrime  = 1099511628211
	bloomSz = 1 << 14
)

func finishKey(h uint64, n int) uint64 {
	if n > keyLen {
		n = keyLen
	}
	h ^= uint64(n) << 56
	h *= hPrime
	return h ^ h>>29
}

// keyOf is the anchor key of a folded token.
func keyOf(folded []byte) uint64 {
	h := uint64(hInit)
	for i := 0; i < len(folded) && i < keyLen; i++ {
		h = (h ^ uint64(folded[i])) * hPrime
	}
	return finishKey(h, len(folded))
}
