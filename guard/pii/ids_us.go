package pii

// US identifiers.
//
// US_SSN: AAA-GG-SSSS. The area is not 000, 666 or 900-999, the group
// not 00, the serial not 0000; numbers of one repeated digit and known
// invalid or advertising numbers (078-05-1120, 219-09-9999, 123-45-6789)
// are rejected. Score 0.5 with hyphens, 0.4 with spaces or dots, 0.2 as
// nine bare digits: without hyphens a context word is needed.
//
// US_ITIN: 9XX-GG-XXXX with the group in 50-65, 70-88, 90-92 or 94-99.
// Score 0.5 with hyphens, 0.4 with spaces, 0.3 bare.
//
// US_PASSPORT: nine digits, or a letter and eight digits (next-generation
// books); no checksum, score 0.2, so only reported with a context word
// ("passport").
//
// MEDICAL_LICENSE: a US DEA registration number: a registrant-type letter
// (A-H, J-M, P, R-U, X), the first letter of the registrant's surname (or
// 9), and seven digits whose last is the check digit: (d1+d3+d5 +
// 2*(d2+d4+d6)) mod 10. Upper case. Score 0.6 (0.5 with 9 in second
// place, the shape of a next-generation passport number).
//
// US_BANK_NUMBER (not default): 8 to 17 bare digits, score 0.2, context
// needed. US_DRIVER_LICENSE (not default): one letter and 5 to 14 digits
// or two letters and 5 to 7 digits, score 0.2, context needed.

const (
	ssnDashed     = 0.5
	ssnSpaced     = 0.4
	ssnBare       = 0.2
	itinBare      = 0.3
	passportScore = 0.2
	deaScore      = 0.6
	dea9Score     = 0.5 // second character 9 instead of a letter
	bankScore     = 0.2
	dlScore       = 0.2
)

// usNumbers checks the 3-2-4 and bare-digit shapes: SSN, ITIN, passport
// and bank account numbers.
func (d *Detector) usNumbers(text []byte, s *numSeq, dst []Match) []Match {
	var buf [9]byte
	if s.n >= 3 && s.len(0) == 3 && s.len(1) == 2 && s.len(2) == 4 && s.sep[1] == s.sep[2] && s.fits(3, s.sep[1], false) {
		dig := s.digits(text, 3, buf[:])
		score := ssnDashed
		if s.sep[1] != '-' {
			score = ssnSpaced
		}
		if dig[0] == '9' {
			if itinOK(dig) {
				dst = d.emit(dst, text, entUSITIN, s.st[0], s.en[2], score)
			}
		} else if ssnOK(dig) {
			dst = d.emit(dst, text, entUSSSN, s.st[0], s.en[2], score)
		}
		return dst
	}
	if !s.fits(1, 0, false) {
		return dst
	}
	st, en := s.st[0], s.en[0]
	l := en - st
	if l == 9 {
		dig := text[st:en]
		if dig[0] == '9' {
			if itinOK(dig) {
				dst = d.emit(dst, text, entUSITIN, st, en, itinBare)
			}
		} else if ssnOK(dig) {
			dst = d.emit(dst, text, entUSSSN, st, en, ssnBare)
		}
		if !sameDigits(dig) {
			dst = d.emit(dst, text, entUSPassport, st, en, passportScore)
		}
	}
	if l >= 8 && l <= 17 && !sameDigits(text[st:en]) {
		dst = d.emit(dst, text, entUSBank, st, en, bankScore)
	}
	return dst
}

// ssnOK applies the SSA rules to nine digits.
func ssnOK(d []byte) bool {
	if string(d[:3]) == "000" || string(d[:3]) == "666" || d[0] == '9' {
		return false
	}
	if d[3] == '0' && d[4] == '0' {
		return false
	}
	if string(d[5:]) == "0000" || sameDigits(d) {
		return false
	}
	switch string(d) {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}

// itinOK checks nine digits starting with 9 for a valid ITIN group.
func itinOK(d []byte) bool {
	if d[0] != '9' {
		return false
	}
	g := int(d[3]-'0')*10 + int(d[4]-'0')
	return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99)
}

func sameDigits(d []byte) bool {
	for _, c := range d[1:] {
		if c != d[0] {
			return false
		}
	}
	return true
}

// deaFirst marks the registrant-type letters of DEA numbers.
const deaFirst = "ABCDEFGHJKLMPRSTUX"

// dea checks a DEA number: letters text[s:i], digits text[i:j].
func (d *Detector) dea(text []byte, s, i, j int, dst []Match) []Match {
	if !d.on[entMedicalLicense] || j-i != 7 || !endsToken(text, j) {
		return dst
	}
	if !deaOK(text[s], text[i:j]) {
		return dst
	}
	return d.emit(dst, text, entMedicalLicense, s, j, deaScore)
}

func deaOK(first byte, dig []byte) bool {
	ok := false
	for k := 0; k < len(deaFirst); k++ {
		if deaFirst[k] == first {
			ok = true
		}
	}
	if !ok || len(dig) != 7 {
		return false
	}
	v := func(k int) int { return int(dig[k] - '0') }
	sum := v(0) + v(2) + v(4) + 2*(v(1)+v(3)+v(5))
	return sum%10 == v(6)
}

// usLetterDigits handles a letter prefix text[s:i] and digits text[i:j]:
// next-generation passports, DEA numbers with 9 in second place and
// driver's licences.
func (d *Detector) usLetterDigits(text []byte, s, i, j int, dst []Match) []Match {
	if !endsToken(text, j) {
		return dst
	}
	nl, nd := i-s, j-i
	if nl == 1 && nd == 8 {
		if text[i] == '9' && d.on[entMedicalLicense] && deaOK(text[s], text[i+1:j]) {
			// "A9…": the rarer form, and a next-generation passport
			// number shape; a passport context word outweighs it.
			dst = d.emit(dst, text, entMedicalLicense, s, j, dea9Score)
		}
		dst = d.emit(dst, text, entUSPassport, s, j, passportScore)
	}
	if (nl == 1 && nd >= 5 && nd <= 14) || (nl == 2 && nd >= 5 && nd <= 7) {
		dst = d.emit(dst, text, entUSDriverLicense, s, j, dlScore)
	}
	return dst
}
