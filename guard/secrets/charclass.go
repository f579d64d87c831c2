package secrets

// alphabet is a set of byte classes. Rules describe the characters a token
// may contain, and the characters that may not touch it, as alphabets.
type alphabet uint32

// The byte classes. A byte may belong to several (for example 'a' is both
// cLower and cHexLower).
const (
	cDigit    alphabet = 1 << iota // 0-9
	cLower                         // a-z
	cUpper                         // A-Z
	cHexLower                      // a-f
	cHexUpper                      // A-F
	cB32Digit                      // 2-7, the digits of RFC 4648 base32
	cUnderscore
	cDash
	cDot
	cPlus
	cSlash
	cEquals
	cTilde
	cColon
	cPercent
	cSpace   // space, tab
	cNewline // \n, \r
	cQuote   // " ' `
	cDelim   // , ; & < > \ ( ) [ ] { } |: ends an unquoted value
	cURLMark // ? # @ ! $ * , ; &: also allowed inside URLs
	cHigh    // bytes >= 0x80 (UTF-8 sequences)
	cControl // other ASCII control bytes: binary data, not text
)

// Alphabets used by the rules.
const (
	alpha       = cLower | cUpper
	alnum       = cDigit | alpha
	word        = alnum | cUnderscore // \w
	b64url      = word | cDash        // base64url: [A-Za-z0-9_-]
	b64std      = alnum | cPlus | cSlash
	b64pad      = b64std | cEquals
	hexLower    = cDigit | cHexLower
	hexAny      = cDigit | cHexLower | cHexUpper
	upperAlnum  = cDigit | cUpper
	lowerAlnum  = cDigit | cLower
	base32Upper = cUpper | cB32Digit
	identChars  = word | cDash | cDot // characters of a config key or variable name
	urlChars    = alnum | cDash | cDot | cUnderscore | cTilde | cColon | cSlash | cPlus | cEquals | cPercent | cURLMark
	// valueStop ends an unquoted assigned value.
	valueStop = cSpace | cNewline | cQuote | cDelim | cControl
)

// classOf maps each byte to the classes it belongs to.
var classOf = func() (t [256]alphabet) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit
		if c >= '2' && c <= '7' {
			t[c] |= cB32Digit
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cLower
		if c <= 'f' {
			t[c] |= cHexLower
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cUpper
		if c <= 'F' {
			t[c] |= cHexUpper
		}
	}
	t['_'] |= cUnderscore
	t['-'] |= cDash
	t['.'] |= cDot
	t['+'] |= cPlus
	t['/'] |= cSlash
	t['='] |= cEquals
	t['~'] |= cTilde
	t[':'] |= cColon
	t['%'] |= cPercent
	t[' '] |= cSpace
	t['\t'] |= cSpace
	t['\n'] |= cNewline
	t['\r'] |= cNewline
	for _, c := range "\"'`" {
		t[c] |= cQuote
	}
	for _, c := range ",;&<>\\()[]{}|" {
		t[c] |= cDelim
	}
	for _, c := range "?#@!$*,;&" {
		t[c] |= cURLMark
	}
	for c := 0x80; c <= 0xff; c++ {
		t[c] |= cHigh
	}
	for c := 0; c < 0x20; c++ {
		if c != '\t' && c != '\n' && c != '\r' {
			t[c] |= cControl
		}
	}
	t[0x7f] |= cControl
	return t
}()

// in reports whether b belongs to a.
func in(b byte, a alphabet) bool { return classOf[b]&a != 0 }

// runEnd returns the end of the run of bytes in a that starts at i, looking
// at no more than limit bytes.
func runEnd(t []byte, i int, a alphabet, limit int) int {
	end := i + limit
	if end > len(t) || end < i {
		end = len(t)
	}
	j := i
	for j < end && classOf[t[j]]&a != 0 {
		j++
	}
	return j
}

// runStart returns the start of the run of bytes in a that ends just before
// i, looking back no more than limit bytes.
func runStart(t []byte, i int, a alphabet, limit int) int {
	stop := i - limit
	if stop < 0 {
		stop = 0
	}
	j := i
	for j > stop && classOf[t[j-1]]&a != 0 {
		j--
	}
	return j
}

// skipRun returns the index after at most n bytes in a starting at i.
func skipRun(t []byte, i int, a alphabet, n int) int { return runEnd(t, i, a, n) }

// startsToken reports whether a token may begin at i: the byte before it is
// not in edge. A JSON escape (\n, \r, \t) right before i counts as a
// separator, since texts are often serialised JSON.
func startsToken(t []byte, i int, edge alphabet) bool {
	if i <= 0 {
		return true
	}
	b := t[i-1]
	if classOf[b]&edge == 0 {
		return true
	}
	return i >= 2 && t[i-2] == '\\' && (b == 'n' || b == 'r' || b == 't')
}

// endsToken reports whether a token may end at j: the byte at j is not in
// edge.
func endsToken(t []byte, j int, edge alphabet) bool {
	return j >= len(t) || classOf[t[j]]&edge == 0
}

// hasPrefixAt reports whether t[i:] starts with s.
func hasPrefixAt(t []byte, i int, s string) bool {
	if i < 0 || len(t)-i < len(s) {
		return false
	}
	for k := 0; k < len(s); k++ {
		if t[i+k] != s[k] {
			return false
		}
	}
	return true
}

// lowerASCII folds an ASCII upper-case letter to lower case.
func lowerASCII(b byte) byte {
	if b-'A' < 26 {
		return b + ('a' - 'A')
	}
	return b
}

// hasPrefixFold reports whether t[i:] starts with s, ignoring ASCII case;
// s must be lower case.
func hasPrefixFold(t []byte, i int, s string) bool {
	if i < 0 || len(t)-i < len(s) {
		return false
	}
	for k := 0; k < len(s); k++ {
		if lowerASCII(t[i+k]) != s[k] {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first instance of needle in hay,
// ignoring ASCII case, or -1; needle must be lower case and not empty.
func indexFold(hay []byte, needle string) int {
	first := needle[0]
	for i := 0; i+len(needle) <= len(hay); i++ {
		if lowerASCII(hay[i]) == first && hasPrefixFold(hay, i, needle) {
			return i
		}
	}
	return -1
}

// containsFold reports whether hay contains needle, ignoring ASCII case;
// needle must be lower case.
func containsFold(hay []byte, needle string) bool { return indexFold(hay, needle) >= 0 }

// equalFold reports whether b equals s ignoring ASCII case; s must be lower
// case.
func equalFold(b []byte, s string) bool { return len(b) == len(s) && hasPrefixFold(b, 0, s) }

// allIn reports whether every byte of b is in a.
func allIn(b []byte, a alphabet) bool {
	for _, c := range b {
		if classOf[c]&a == 0 {
			return false
		}
	}
	return true
}

// countIn returns how many bytes of b are in a.
func countIn(b []byte, a alphabet) int {
	n := 0
	for _, c := range b {
		if classOf[c]&a != 0 {
			n++
		}
	}
	return n
}
