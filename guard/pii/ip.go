package pii

// IP_ADDRESS: IPv4 dotted quads and IPv6 addresses.
//
// IPv4: four decimal octets 0-255 without leading zeros, not part of a
// longer dotted number ("1.2.3.4.5", an OID), not right after a version
// word ("version 10.0.19041.1", "v1.2.3.4") and not followed by a
// pre-release suffix ("1.2.3.4-rc1").
//
// IPv6: eight groups of one to four hex digits, or fewer with one "::",
// optionally ending in a dotted IPv4 ("::ffff:192.0.2.1"). To keep
// "std::vector", Python slices ("a[1::2]") and bare "::1" out, an
// address must contain a decimal digit, and a compressed one with fewer
// than three groups needs a full four-digit group ("fe80::1",
// "2001:db8::"). A zone ("%eth0") is not part of the match.

const ipScore = 0.6

// versionWords precede dotted numbers that are not addresses.
var versionWords = []string{"v", "ver", "vers", "version", "build", "release", "rel", "revision", "rev",
	"firmware", "fw", "patch", "update", "section", "sec", "chapter", "ch", "figure", "fig", "table",
	"step", "clause", "paragraph", "para", "item", "oid", "rfc"}

func (d *Detector) ipv4(text []byte, s *numSeq, dst []Match) []Match {
	if !d.on[entIP] || s.n < 4 || !s.fits(4, '.', true) {
		return dst
	}
	for g := 0; g < 4; g++ {
		if !octet(text[s.st[g]:s.en[g]]) {
			return dst
		}
	}
	if e := s.en[3]; at(text, e) == '-' && isLetter(at(text, e+1)) {
		return dst // "1.2.3.4-rc1": a version
	}
	if w := prevWord(text, s.st[0]); len(w) > 0 {
		for _, v := range versionWords {
			if eqFold(w, v) {
				return dst
			}
		}
	}
	return d.emit(dst, text, entIP, s.st[0], s.en[3], ipScore)
}

// octet reports whether b is a decimal 0-255 without a leading zero.
func octet(b []byte) bool {
	switch len(b) {
	case 1:
		return true
	case 2:
		return b[0] != '0'
	case 3:
		return b[0] == '1' || (b[0] == '2' && (b[1] < '5' || (b[1] == '5' && b[2] <= '5')))
	}
	return false
}

// parseIPv4 reads a dotted quad at text[i:], returning its end or -1.
func parseIPv4(text []byte, i int) int {
	for g := 0; g < 4; g++ {
		if g > 0 {
			if at(text, i) != '.' {
				return -1
			}
			i++
		}
		j := digitsEnd(text, i)
		if !octet(text[i:j]) {
			return -1
		}
		i = j
	}
	return i
}

// ipv6 looks for an IPv6 address around the colon at text[c]. It returns
// the end of the address found, or c. quiet is where the run of hex
// digits and colons around c ends when nothing was found: every colon
// before it leads back to the same start and the same answer.
func (d *Detector) ipv6(text []byte, c int, dst []Match) (_ []Match, end, quiet int) {
	p, nx := at(text, c-1), at(text, c+1)
	if !isHex(p) && nx != ':' {
		return dst, c, runEnd(text, c)
	}
	if !isHex(p) && p != ':' && !isHex(at(text, c+2)) {
		return dst, c, c // "::" followed by nothing hex
	}
	s := c
	for s > 0 && c-s < 40 && (isHex(text[s-1]) || text[s-1] == ':') {
		s--
	}
	if b := at(text, s-1); s > 0 && (isWord(b) || b == ':' || b == '.' || b == '-') {
		return dst, c, runEnd(text, c)
	}
	end, groups, compressed, hasDigit, full, ok := parseIPv6(text, s)
	if !ok || end <= c {
		return dst, c, runEnd(text, c)
	}
	// Right boundary: not inside a word, a longer colon list or a
	// dotted number.
	if b := at(text, end); isWord(b) || b == ':' || (b == '.' && isDigit(at(text, end+1))) || b == '-' {
		return dst, c, runEnd(text, c)
	}
	if !hasDigit || (compressed && groups < 3 && !full) {
		return dst, end, end
	}
	return d.emit(dst, text, entIP, s, end, ipScore), end, end
}

// runEnd returns the end of the run of hex digits and colons at text[c]
// (at most 40 bytes on).
func runEnd(text []byte, c int) int {
	k := c
	for k < len(text) && k-c < 40 && (isHex(text[k]) || text[k] == ':') {
		k++
	}
	return k
}

// parseIPv6 parses an address at text[s:]. groups counts 16-bit groups (an
// IPv4 tail counts two); full reports a four-digit group or an IPv4 tail.
func parseIPv6(text []byte, s int) (end, groups int, compressed, hasDigit, full, ok bool) {
	pos := s
	if at(text, pos) == ':' {
		if at(text, pos+1) != ':' {
			return
		}
		compressed = true
		pos += 2
	}
	for {
		h := pos
		for pos < len(text) && isHex(text[pos]) && pos-h < 5 {
			pos++
		}
		l := pos - h
		if l == 0 {
			if !compressed || pos != s+2 && text[pos-1] != ':' {
				return
			}
			break // ends with "::"
		}
		if l > 4 {
			return
		}
		if at(text, pos) == '.' {
			// An IPv4 tail, in place of the last two groups.
			e := parseIPv4(text, h)
			if e < 0 || groups > 6 {
				return
			}
			groups += 2
			pos, hasDigit, full = e, true, true
			break
		}
		for k := h; k < pos; k++ {
			if isDigit(text[k]) {
				hasDigit = true
			}
		}
		if l == 4 {
			full = true
		}
		groups++
		if at(text, pos) != ':' {
			break
		}
		if at(text, pos+1) == ':' {
			if compressed {
				break // a second "::" ends the address (and rejects it below)
			}
			compressed = true
			pos += 2
			if !isHex(at(text, pos)) {
				break
			}
			continue
		}
		if !isHex(at(text, pos+1)) {
			break
		}
		pos++
	}
	end = pos
	if groups > 8 || (!compressed && groups != 8) || (compressed && groups > 7) {
		return
	}
	ok = true
	return
}
