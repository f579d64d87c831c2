package pii

// UK identifiers.
//
// UK_NHS: ten digits, as 3-3-4 groups joined by spaces or hyphens (score
// 0.5) or bare (0.3, context needed). The tenth digit is the mod-11
// check: 11 - (sum of the first nine digits weighted 10 down to 2) mod
// 11, where 11 means 0 and 10 is never issued.
//
// UK_NINO: a National Insurance number, "AB123456C" or "AB 12 34 56 C":
// two prefix letters, six digits, a suffix A-D. Per HMRC the first letter
// is not D, F, I, Q, U or V, the second not D, F, I, O, Q, U or V, and
// the prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated. Upper
// case. Score 0.5.
//
// UK_POSTCODE (not default): outward code of a postcode area (AB … ZE),
// district digits and an optional letter, then a digit and two letters
// ("SW1A 1AA", "M1 1AE", "DN55 1PT"), with the letter rules of the Royal
// Mail format. Score 0.5.

const (
	nhsGrouped    = 0.5
	nhsBare       = 0.3
	ninoScore     = 0.5
	postcodeScore = 0.5
)

func (d *Detector) nhs(text []byte, s *numSeq, dst []Match) []Match {
	if !d.on[entUKNHS] {
		return dst
	}
	var buf [10]byte
	if s.n >= 3 && s.len(0) == 3 && s.len(1) == 3 && s.len(2) == 4 && (s.sep[1] == ' ' || s.sep[1] == '-') && s.fits(3, s.sep[1], false) {
		if nhsOK(s.digits(text, 3, buf[:])) {
			return d.emit(dst, text, entUKNHS, s.st[0], s.en[2], nhsGrouped)
		}
		return dst
	}
	if s.len(0) == 10 && s.fits(1, 0, false) && nhsOK(text[s.st[0]:s.en[0]]) {
		return d.emit(dst, text, entUKNHS, s.st[0], s.en[0], nhsBare)
	}
	return dst
}

// nhsOK verifies the mod-11 check digit of a ten-digit NHS number.
func nhsOK(d []byte) bool {
	if len(d) != 10 || sameDigits(d) {
		return false
	}
	sum := 0
	for k := 0; k < 9; k++ {
		sum += int(d[k]-'0') * (10 - k)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9]-'0')
}

// ninoAt checks for a National Insurance number whose first digit run
// starts at text[i], after "AB" or "AB ".
func (d *Detector) ninoAt(text []byte, i int, dst []Match) []Match {
	if !d.on[entUKNINO] {
		return dst
	}
	s := i - 2
	if at(text, i-1) == ' ' {
		s = i - 3
	}
	if s < 0 || !isUpper(text[s]) || !isUpper(text[s+1]) || isWord(at(text, s-1)) || glued(at(text, s-1), at(text, s-2)) {
		return dst
	}
	end, ok := parseNINO(text, s)
	if !ok {
		return dst
	}
	return d.emit(dst, text, entUKNINO, s, end, ninoScore)
}

func parseNINO(text []byte, s int) (int, bool) {
	if !ninoPrefixOK(text[s], text[s+1]) {
		return 0, false
	}
	pos := s + 2
	for k := 0; k < 3; k++ {
		if at(text, pos) == ' ' {
			pos++
		}
		if !isDigit(at(text, pos)) || !isDigit(at(text, pos+1)) {
			return 0, false
		}
		pos += 2
	}
	if at(text, pos) == ' ' {
		pos++
	}
	if c := at(text, pos); c < 'A' || c > 'D' || !endsToken(text, pos+1) {
		return 0, false
	}
	return pos + 1, true
}

func ninoPrefixOK(a, b byte) bool {
	switch a {
	case 'D', 'F', 'I', 'Q', 'U', 'V':
		return false
	}
	switch b {
	case 'D', 'F', 'I', 'O', 'Q', 'U', 'V':
		return false
	}
	switch uint16(a)<<8 | uint16(b) {
	case 'B'<<8 | 'G', 'G'<<8 | 'B', 'K'<<8 | 'N', 'N'<<8 | 'K', 'N'<<8 | 'T', 'T'<<8 | 'N', 'Z'<<8 | 'Z':
		return false
	}
	return true
}

// postcodeAreas lists the UK postcode areas.
const postcodeAreas = " AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY" +
	" E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN" +
	" LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP" +
	" SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE "

func postcodeArea(a []byte) bool {
	for k := 0; k+len(a)+2 <= len(postcodeAreas); k++ {
		if postcodeAreas[k] == ' ' && postcodeAreas[k+len(a)+1] == ' ' && string(a) == postcodeAreas[k+1:k+1+len(a)] {
			return true
		}
	}
	return false
}

// postcode checks a UK postcode with area letters text[s:i] and district
// digits text[i:j].
func (d *Detector) postcode(text []byte, s, i, j int, dst []Match) []Match {
	if !d.on[entUKPostcode] || j-i > 2 || !postcodeArea(text[s:i]) {
		return dst
	}
	pos := j
	if j-i == 1 && isUpper(at(text, pos)) {
		// A9A / AA9A: a letter after a one-digit district.
		c := text[pos]
		allowed := "ABCDEFGHJKPSTUW"
		if i-s == 2 {
			allowed = "ABEHMNPRVWXY"
		}
		if !byteIn(c, allowed) {
			return dst
		}
		pos++
	}
	if at(text, pos) == ' ' {
		pos++
	}
	if !isDigit(at(text, pos)) || !isUpper(at(text, pos+1)) || !isUpper(at(text, pos+2)) || !endsToken(text, pos+3) {
		return dst
	}
	if byteIn(text[pos+1], "CIKMOV") || byteIn(text[pos+2], "CIKMOV") {
		return dst
	}
	return d.emit(dst, text, entUKPostcode, s, pos+3, postcodeScore)
}

func byteIn(c byte, set string) bool {
	for k := 0; k < len(set); k++ {
		if set[k] == c {
			return true
		}
	}
	return false
}
