package pii

// Byte classes and the digit-group parser shared by the recognizers.
//
// Bytes at or above 0x80 (parts of UTF-8 sequences) count as neither
// letters nor digits: a value next to them is at a word boundary.

const (
	kDigit = 1 << iota
	kUpper
	kLower
	kHex
	kMail // e-mail local-part punctuation
)

var ctype = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= kDigit | kHex
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= kUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= kLower
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= kHex
		t[c-'a'+'A'] |= kHex
	}
	for _, c := range "._%+-" {
		t[c] |= kMail
	}
	return t
}()

func isDigit(c byte) bool  { return c-'0' < 10 }
func isUpper(c byte) bool  { return c-'A' < 26 }
func isLower(c byte) bool  { return c-'a' < 26 }
func isLetter(c byte) bool { return ctype[c]&(kUpper|kLower) != 0 }
func isAlnum(c byte) bool  { return ctype[c]&(kDigit|kUpper|kLower) != 0 }
func isHex(c byte) bool    { return ctype[c]&kHex != 0 }

// isWord reports whether c continues an identifier: a letter, a digit or
// an underscore. A value must not touch such a byte on either side.
func isWord(c byte) bool { return ctype[c]&(kDigit|kUpper|kLower) != 0 || c == '_' }

// at returns text[i], or 0 outside the text.
func at(text []byte, i int) byte {
	if i < 0 || i >= len(text) {
		return 0
	}
	return text[i]
}

// digitsEnd returns the end of the run of ASCII digits starting at i.
func digitsEnd(text []byte, i int) int {
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	return i
}

// wordEnd returns the end of the run of letters and digits starting at i.
func wordEnd(text []byte, i int) int {
	for i < len(text) && isAlnum(text[i]) {
		i++
	}
	return i
}

// maxGroups bounds how many digit groups one numSeq holds.
const maxGroups = 8

// numSeq is a run of digit groups joined by single separators (space,
// hyphen or dot), as in "4111 1111 1111 1111", "078-05-1120" or
// "192.0.2.7". It is parsed once per candidate and shared by the numeric
// recognizers.
type numSeq struct {
	n      int
	st, en [maxGroups]int
	// sep[k] is the byte between group k-1 and group k; sep[0] is 0.
	sep [maxGroups]byte
	// more: the text goes on with a separator and a digit after the
	// last group held (only when n == maxGroups).
	more bool
	// glued: the last group is immediately followed by a letter, digit
	// or underscore, so it is part of a longer word.
	glued bool
}

func (s *numSeq) len(k int) int { return s.en[k] - s.st[k] }

// parse fills s from the digit run text[i:j].
func (s *numSeq) parse(text []byte, i, j int) {
	s.n, s.st[0], s.en[0], s.sep[0], s.more, s.glued = 1, i, j, 0, false, false
	for {
		e := s.en[s.n-1]
		if e >= len(text) {
			return
		}
		c := text[e]
		if (c == ' ' || c == '-' || c == '.') && e+1 < len(text) && isDigit(text[e+1]) {
			if s.n == maxGroups {
				s.more = true
				return
			}
			s.st[s.n], s.en[s.n], s.sep[s.n] = e+1, digitsEnd(text, e+1), c
			s.n++
			continue
		}
		s.glued = isWord(c)
		return
	}
}

// fits reports whether groups [0,k) form a value on their own: all joined
// by sep (0 for a single group), and not continued. The text after group
// k-1 may go on only with a space and more digits ("078-05-1120 2024"),
// and after a space-joined value only when spaceTail allows it (a card
// number followed by an expiry, for instance).
func (s *numSeq) fits(k int, sep byte, spaceTail bool) bool {
	if k > s.n {
		return false
	}
	for g := 1; g < k; g++ {
		if s.sep[g] != sep {
			return false
		}
	}
	if k == s.n {
		return !s.glued && !s.more
	}
	if s.sep[k] != ' ' {
		return false
	}
	return sep != ' ' || spaceTail
}

// digits copies the digits of groups [0,k) into buf and returns them, or
// nil when they do not fit.
func (s *numSeq) digits(text []byte, k int, buf []byte) []byte {
	n := 0
	for g := 0; g < k; g++ {
		if n+s.len(g) > len(buf) {
			return nil
		}
		n += copy(buf[n:], text[s.st[g]:s.en[g]])
	}
	return buf[:n]
}

// prevWord returns the word (letters only) that ends at most a few
// separator bytes before i: "version" in "version 1.2.3.4" or "ver=1.2".
func prevWord(text []byte, i int) []byte {
	j := i
	for k := 0; k < 3 && j > 0; k++ {
		c := text[j-1]
		if c != ' ' && c != ':' && c != '=' && c != '\t' && c != '#' {
			break
		}
		j--
	}
	e := j
	for j > 0 && e-j < 16 && isLetter(text[j-1]) {
		j--
	}
	return text[j:e]
}

// eqFold reports whether b equals the lower-case ASCII word w, ignoring
// the case of b.
func eqFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// Word-at-a-time tests on eight bytes (little-endian), after the classic
// bit tricks. Bytes of 0x80 and above never count.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasBetween marks (with its top bit) each byte b of x with m < b < n
// (m, n <= 128); the test is exact for every byte.
func hasBetween(x, m, n uint64) uint64 {
	return (lsb*(127+n) - x&(lsb*127)) & ^x & (x&(lsb*127) + lsb*(127-m)) & msb
}

// hasByte is non-zero when some byte of x is b; its lowest mark is the
// first such byte (marks above it may be spurious).
func hasByte(x uint64, b byte) uint64 {
	v := x ^ (lsb * uint64(b))
	return (v - lsb) & ^v & msb
}
