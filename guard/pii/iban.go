package pii

// IBAN_CODE: an International Bank Account Number: a country code, two
// check digits and the country's BBAN, its total length fixed per country
// (ISO 13616 registry), written either without spaces or in groups of
// four separated by single spaces ("DE89 3704 0044 0532 0130 00"). The
// number, rearranged (BBAN, country, check digits) with letters as 10-35,
// must be 1 mod 97. Upper case. Score 1.

const ibanScore = 1.0

// ibanLengths maps a country code to its IBAN length.
var ibanLengths = map[[2]byte]int{}

func init() {
	const table = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 " +
		"DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 " +
		"HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 " +
		"ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 " +
		"SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
	for k := 0; k+4 <= len(table); k += 5 {
		ibanLengths[[2]byte{table[k], table[k+1]}] = int(table[k+2]-'0')*10 + int(table[k+3]-'0')
	}
}

// iban checks an IBAN whose country code starts at text[s] (the check
// digits follow it).
func (d *Detector) iban(text []byte, s int, dst []Match) []Match {
	if !d.on[entIBAN] {
		return dst
	}
	n, ok := ibanLengths[[2]byte{text[s], text[s+1]}]
	if !ok || !isDigit(at(text, s+2)) || !isDigit(at(text, s+3)) {
		return dst
	}
	var buf [34]byte
	copy(buf[:4], text[s:s+4])
	got := 4
	pos := s + 4
	if at(text, pos) == ' ' {
		// Groups of four; the last may be shorter.
		for got < n {
			if at(text, pos) != ' ' {
				return dst
			}
			pos++
			g := min(4, n-got)
			for k := 0; k < g; k++ {
				c := at(text, pos)
				if !isUpper(c) && !isDigit(c) {
					return dst
				}
				buf[got] = c
				got++
				pos++
			}
		}
	} else {
		for got < n {
			c := at(text, pos)
			if !isUpper(c) && !isDigit(c) {
				return dst
			}
			buf[got] = c
			got++
			pos++
		}
	}
	if !endsToken(text, pos) || !ibanMod97(buf[:n]) {
		return dst
	}
	return d.emit(dst, text, entIBAN, s, pos, ibanScore)
}

// ibanMod97 reports whether the IBAN is 1 mod 97 after moving its first
// four characters to the end.
func ibanMod97(b []byte) bool {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return r == 1
}
