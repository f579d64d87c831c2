package pii

// PHONE_NUMBER, in three shapes:
//
//   - International: '+' (or "00") and an E.164 number of at most 15
//     digits, in groups joined by spaces, hyphens, dots or parentheses
//     ("+44 (0)20 7946 0958", "+1-201-555-0123"). The country code must be
//     an assigned one and the national number the right length for it
//     (for +1: ten digits, area code and exchange starting with 2-9). Score 0.7 (0.6 for a
//     country without a length rule here, 0.1 less after "00").
//   - North American: "(NPA) NXX-XXXX", "NPA-NXX-XXXX", "NPA.NXX.XXXX",
//     "NPA NXX XXXX", optionally after "1-" or "1 ". The area code and the
//     exchange start with 2-9 and are not N11 service codes (211, 911).
//     Score 0.6 with parentheses or hyphens, 0.5 with dots
//     or "NPA NXX-XXXX", 0.45 with spaces only; a bare ten-digit number
//     scores 0.3 and needs a context word.
//   - National with a trunk 0: 10 or 11 digits in two to five groups
//     joined by spaces or hyphens ("020 7946 0958", "06 12 34 56 78").
//     Score 0.4: reported with a context word.
//
// Dates, times, IP addresses, card numbers and other long numbers do not
// have these shapes; numbers continued by more hyphenated or dotted
// digits are rejected.

const (
	phoneIntlScore     = 0.7
	phoneIntlLoose     = 0.6 // country without a length rule
	phoneNANPStrong    = 0.6
	phoneNANPDots      = 0.5
	phoneNANPSpaces    = 0.45
	phoneNANPBare      = 0.3
	phoneNationalScore = 0.4
)

func (d *Detector) phone(text []byte, s *numSeq, dst []Match) []Match {
	if !d.on[entPhone] {
		return dst
	}
	i := s.st[0]
	if text[i] == '0' {
		if at(text, i+1) == '0' {
			return d.phoneIntl(text, i, i+2, phoneIntlScore-0.1, dst)
		}
		if st, end, ok := parseNational(text, i); ok {
			return d.emit(dst, text, entPhone, st, end, phoneNationalScore)
		}
		return dst
	}
	if s.n == 1 && s.len(0) == 10 && at(text, i-1) != '(' {
		if s.fits(1, 0, false) && npaOK(text[i:]) && nxxOK(text[i+3:]) {
			return d.emit(dst, text, entPhone, i, i+10, phoneNANPBare)
		}
		return dst
	}
	if st, end, score, ok := parseNANP(text, i); ok {
		return d.emit(dst, text, entPhone, st, end, score)
	}
	return dst
}

// npaOK checks a NANP area code written without "+1": it starts with
// 2-9 and is not an N11 service code (211, 911, …).
func npaOK(b []byte) bool { return b[0] >= '2' && !(b[1] == '1' && b[2] == '1') }

// nxxOK checks a NANP exchange code written without "+1" the same way.
func nxxOK(b []byte) bool { return npaOK(b) }

// nanpIntlOK checks the ten digits after "+1": area code and exchange
// start with 2-9.
func nanpIntlOK(nat []byte) bool { return len(nat) == 10 && nat[0] >= '2' && nat[3] >= '2' }

func isPhoneSep(c byte) bool { return c == ' ' || c == '-' || c == '.' }

// parseNANP reads a North American number whose first digit run starts
// at text[i].
func parseNANP(text []byte, i int) (start, end int, score float64, ok bool) {
	start, pos := i, i
	paren := false
	if at(text, i-1) == '(' && at(text, i+3) == ')' {
		paren, start = true, i-1
	} else if text[i] == '1' && !isDigit(at(text, i+1)) {
		switch c := at(text, i+1); {
		case isPhoneSep(c):
			pos = i + 2
		case c == '(':
			pos = i + 1
		default:
			return
		}
		if at(text, pos) == '(' {
			paren = true
			pos++
		}
	}
	if digitsEnd(text, pos)-pos != 3 || !npaOK(text[pos:]) {
		return
	}
	pos += 3
	var sep1 byte
	if paren {
		if at(text, pos) != ')' {
			return
		}
		pos++
		sep1 = ')'
		if at(text, pos) == ' ' {
			pos++
		}
	} else {
		if sep1 = at(text, pos); !isPhoneSep(sep1) {
			return
		}
		pos++
	}
	if digitsEnd(text, pos)-pos != 3 || !nxxOK(text[pos:]) {
		return
	}
	pos += 3
	sep2 := at(text, pos)
	if !isPhoneSep(sep2) {
		return
	}
	pos++
	if digitsEnd(text, pos)-pos != 4 {
		return
	}
	pos += 4
	if !paren && sep1 != sep2 && !(sep1 == ' ' && sep2 == '-') {
		return
	}
	b := at(text, pos)
	if isWord(b) || ((b == '-' || b == '.') && isDigit(at(text, pos+1))) {
		return
	}
	if b == ' ' && sep2 == ' ' && isDigit(at(text, pos+1)) {
		return // a longer space-separated number
	}
	switch {
	case paren || (sep1 == '-' && sep2 == '-'):
		score = phoneNANPStrong
	case sep2 == '.' || sep1 != sep2:
		score = phoneNANPDots
	default:
		score = phoneNANPSpaces
	}
	return start, pos, score, true
}

// parseNational reads a national number with a trunk 0 at text[i]:
// "020 7946 0958", "(030) 1234 5678", "06-12-34-56-78".
func parseNational(text []byte, i int) (start, end int, ok bool) {
	start, pos := i, i
	paren := at(text, i-1) == '('
	if paren {
		start = i - 1
	}
	e := digitsEnd(text, pos)
	if l := e - pos; l < 2 || l > 5 {
		return
	}
	total, groups := e-pos, 1
	pos = e
	var sep byte
	if paren {
		if at(text, pos) != ')' {
			return
		}
		pos++
		if at(text, pos) == ' ' {
			pos++
		}
		if !isDigit(at(text, pos)) {
			return
		}
		e = digitsEnd(text, pos)
		if e-pos < 2 {
			return
		}
		total += e - pos
		groups++
		pos = e
	}
	for groups < 6 {
		c := at(text, pos)
		if (c != ' ' && c != '-') || !isDigit(at(text, pos+1)) || (sep != 0 && c != sep) {
			break
		}
		e = digitsEnd(text, pos+1)
		if e-pos-1 < 2 {
			return
		}
		sep = c
		total += e - pos - 1
		groups++
		pos = e
	}
	if groups < 2 || total < 10 || total > 11 {
		return
	}
	b := at(text, pos)
	if isWord(b) || (isPhoneSep(b) && isDigit(at(text, pos+1))) {
		return
	}
	return start, pos, true
}

// phoneIntl reads an international number whose prefix ('+' or "00")
// starts at text[p] and whose digits start at text[i].
func (d *Detector) phoneIntl(text []byte, p, i int, score float64, dst []Match) []Match {
	if !d.on[entPhone] {
		return dst
	}
	var dig [15]byte
	nd := 0
	type groupEnd struct {
		end, nd int
		next    byte // what joins the next group: ' ', '-', '.', '(' or ')'
	}
	var ends [8]groupEnd
	ng := 0
	pos := i
	open, closed, more := false, false, false
	for ng < len(ends) {
		e := digitsEnd(text, pos)
		if e == pos {
			return dst
		}
		trunk := open && ng == 1 && e == pos+1 && text[pos] == '0'
		if !trunk {
			if nd+e-pos > len(dig) {
				more = true // too long for E.164: only a shorter prefix can be one
				break
			}
			nd += copy(dig[nd:], text[pos:e])
		}
		pos = e
		closed = false
		if open {
			if at(text, pos) != ')' {
				return dst
			}
			pos++
			open, closed = false, true
		}
		ends[ng] = groupEnd{end: pos, nd: nd}
		ng++
		q := pos
		c := at(text, q)
		if isPhoneSep(c) {
			q++
		}
		if at(text, q) == '(' && !closed && isDigit(at(text, q+1)) {
			q++
			open = true
			c = '('
		}
		if !isDigit(at(text, q)) || (q == pos && !closed) {
			break
		}
		if closed && q == pos {
			c = ')'
		}
		ends[ng-1].next = c
		pos = q
	}
	if open && !more {
		return dst
	}
	if ng == 0 || p+2 == i && ng < 2 {
		return dst // "00" prefix: only with separators
	}
	for k := ng; k >= 1; k-- {
		g := ends[k-1]
		if (k < ng || more) && g.next != ' ' {
			continue
		}
		b := at(text, g.end)
		if isWord(b) || (k == ng && (b == '-' || b == '.') && isDigit(at(text, g.end+1))) {
			continue
		}
		known, ok := e164OK(dig[:g.nd])
		if !ok {
			continue
		}
		if !known {
			score -= phoneIntlScore - phoneIntlLoose
		}
		return d.emit(dst, text, entPhone, p, g.end, score)
	}
	return dst
}

// e164OK checks an international number (country code and national
// number): the country code is assigned and the national number has a
// length it allows. known reports whether the country has its own length
// rule here rather than the general 5 to 12 digits.
func e164OK(dig []byte) (known, ok bool) {
	for l := 1; l <= 3 && l < len(dig); l++ {
		v := 0
		for _, c := range dig[:l] {
			v = v*10 + int(c-'0')
		}
		info := ccTable[l-1][v]
		if info == 0 {
			continue
		}
		nat := dig[l:]
		known = info&ccRule != 0
		if l == 1 && v == 1 {
			return true, nanpIntlOK(nat)
		}
		lo, hi := int(info>>8&0x7f), int(info&0xff)
		return known, len(nat) >= lo && len(nat) <= hi
	}
	return false, false
}

const (
	ccDefaultMin = 5
	ccDefaultMax = 12
	ccRule       = 0x8000 // the country has its own length rule
)

// ccTable[l-1][v] holds ccRule|min<<8|max, the national number lengths
// for the l-digit country code v, or 0 when v is not assigned.
var ccTable = func() (t [3][1000]uint16) {
	set := func(code string, v uint16) {
		n := 0
		for _, c := range code {
			n = n*10 + int(c-'0')
		}
		t[len(code)-1][n] = v
	}
	for _, c := range assignedCC {
		set(c, ccDefaultMin<<8|ccDefaultMax)
	}
	for _, r := range ccLengths {
		set(r.cc, ccRule|uint16(r.lo)<<8|uint16(r.hi))
	}
	return t
}()

// assignedCC lists the ITU-T E.164 country codes in use.
var assignedCC = func() []string {
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	add("1", "7")
	add("20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
		"48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
		"66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98")
	rng := func(lo, hi int) {
		for v := lo; v <= hi; v++ {
			out = append(out, itoa3(v))
		}
	}
	add("211", "212", "213", "216", "218")
	rng(220, 258)
	rng(260, 269)
	add("290", "291", "297", "298", "299")
	rng(350, 359)
	rng(370, 383)
	add("385", "386", "387", "389", "420", "421", "423")
	rng(500, 509)
	rng(590, 599)
	add("670")
	rng(672, 683)
	rng(685, 692)
	add("800", "808", "850", "852", "853", "855", "856", "870", "878", "880", "881", "882", "883",
		"886", "888")
	rng(960, 968)
	rng(970, 977)
	add("979", "992", "993", "994", "995", "996", "998")
	return out
}()

func itoa3(v int) string {
	return string([]byte{byte('0' + v/100), byte('0' + v/10%10), byte('0' + v%10)})
}

// ccLengths gives the national significant number lengths of the
// countries with the most traffic.
var ccLengths = []struct {
	cc     string
	lo, hi int
}{
	{"1", 10, 10}, {"7", 10, 10}, {"20", 8, 10}, {"27", 9, 9}, {"30", 10, 10}, {"31", 9, 9},
	{"32", 8, 9}, {"33", 9, 9}, {"34", 9, 9}, {"36", 8, 9}, {"39", 6, 11}, {"40", 9, 9},
	{"41", 9, 9}, {"43", 4, 13}, {"44", 9, 10}, {"45", 8, 8}, {"46", 7, 10}, {"47", 8, 8},
	{"48", 9, 9}, {"49", 6, 13}, {"51", 8, 9}, {"52", 10, 10}, {"53", 8, 8}, {"54", 10, 11},
	{"55", 10, 11}, {"56", 9, 9}, {"57", 10, 10}, {"58", 10, 10}, {"60", 8, 10}, {"61", 9, 9},
	{"62", 8, 12}, {"63", 8, 10}, {"64", 8, 10}, {"65", 8, 8}, {"66", 8, 9}, {"81", 9, 10},
	{"82", 8, 10}, {"84", 9, 10}, {"86", 9, 11}, {"90", 10, 10}, {"91", 10, 10}, {"92", 9, 10},
	{"93", 9, 9}, {"94", 9, 9}, {"95", 7, 10}, {"98", 10, 10}, {"212", 9, 9}, {"213", 9, 9},
	{"216", 8, 8}, {"234", 8, 10}, {"254", 9, 9}, {"351", 9, 9}, {"352", 4, 11}, {"353", 7, 9},
	{"354", 7, 9}, {"355", 8, 9}, {"356", 8, 8}, {"357", 8, 8}, {"358", 5, 12}, {"359", 7, 9},
	{"370", 8, 8}, {"371", 8, 8}, {"372", 7, 8}, {"380", 9, 9}, {"381", 8, 9}, {"385", 8, 9},
	{"386", 8, 8}, {"420", 9, 9}, {"421", 9, 9}, {"852", 8, 8}, {"853", 8, 8}, {"855", 8, 9},
	{"880", 10, 10}, {"886", 8, 9}, {"960", 7, 7}, {"961", 7, 8}, {"962", 8, 9}, {"963", 9, 9},
	{"964", 10, 10}, {"965", 8, 8}, {"966", 9, 9}, {"971", 8, 9}, {"972", 8, 9}, {"973", 8, 8},
	{"974", 8, 8}, {"977", 8, 10}, {"994", 9, 9}, {"995", 9, 9}, {"998", 9, 9},
}
