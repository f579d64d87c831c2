package pii

// CREDIT_CARD: 13 to 19 digits, bare or in the usual groupings (4-4-4-4,
// 4-4-4-4-3, 4-4-4-1..4, Amex 4-6-5, Diners 4-6-4) joined by spaces or
// hyphens, with a known issuer prefix for the length and a valid Luhn
// check digit. A number that passes scores 1, except a bare run of 17 to
// 19 digits (0.4): such numbers are far more often 64-bit ids than card
// numbers, which are printed grouped at that length, so they need a
// context word.

const (
	ccScore     = 1.0
	ccLongBare  = 0.4
	ccMaxStrong = 16 // longest bare number scored ccScore
)

func (d *Detector) creditCard(text []byte, s *numSeq, dst []Match) []Match {
	if !d.on[entCreditCard] {
		return dst
	}
	var buf [19]byte
	if l := s.len(0); l >= 13 && l <= 19 && s.fits(1, 0, true) {
		if ccValid(text[s.st[0]:s.en[0]]) {
			score := ccScore
			if l > ccMaxStrong {
				score = ccLongBare
			}
			return d.emit(dst, text, entCreditCard, s.st[0], s.en[0], score)
		}
		return dst
	}
	if s.n < 3 || s.len(0) != 4 || (s.sep[1] != ' ' && s.sep[1] != '-') {
		return dst
	}
	sep := s.sep[1]
	if s.len(1) == 6 && (s.len(2) == 5 || s.len(2) == 4) {
		if s.fits(3, sep, true) && ccValid(s.digits(text, 3, buf[:])) {
			return d.emit(dst, text, entCreditCard, s.st[0], s.en[2], ccScore)
		}
		return dst
	}
	// Groups of four, the last one possibly shorter; longest first.
	for k := min(s.n, 5); k >= 3; k-- {
		ok := true
		for g := 1; g < k-1; g++ {
			if s.len(g) != 4 {
				ok = false
				break
			}
		}
		if !ok || s.len(k-1) > 4 || !s.fits(k, sep, true) {
			continue
		}
		digs := s.digits(text, k, buf[:])
		if len(digs) < 13 || len(digs) > 19 || !iinOK(digs) {
			continue // not a card shape: try fewer groups ("… 1111 12/27")
		}
		if luhn(digs) {
			return d.emit(dst, text, entCreditCard, s.st[0], s.en[k-1], ccScore)
		}
		return dst // a card shape that fails the check: not a shorter card either
	}
	return dst
}

// ccValid reports whether the digits carry a known issuer prefix for
// their length and a valid Luhn check digit.
func ccValid(digits []byte) bool {
	return len(digits) >= 13 && len(digits) <= 19 && iinOK(digits) && luhn(digits)
}

// luhn reports whether the digit string passes the Luhn (mod 10) check.
func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		v := int(digits[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// iinOK checks the issuer identification prefix against the card length:
// Visa 4 (13, 16, 19); Mastercard 51-55 and 2221-2720 (16); Mir
// 2200-2204 (16-19); Maestro 50, 56-59 (13-19); Amex 34, 37 (15); Diners
// 30, 36, 38, 39 (14-19); JCB 35 (16-19); Discover, UnionPay, RuPay and
// Maestro ranges under 6 (16-19); UATP 1 (15).
func iinOK(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	switch d[0] {
	case '1':
		return n == 15
	case '2':
		if p4 >= 2221 && p4 <= 2720 {
			return n == 16
		}
		return p4 >= 2200 && p4 <= 2204 && n >= 16
	case '3':
		switch p2 {
		case 34, 37:
			return n == 15
		case 30, 36, 38, 39:
			return n >= 14
		case 35:
			return n >= 16
		}
		return false
	case '4':
		return n == 13 || n == 16 || n == 19
	case '5':
		if p2 >= 51 && p2 <= 55 {
			return n == 16
		}
		return p2 == 50 || p2 >= 56
	case '6':
		return n >= 16
	}
	return false
}
