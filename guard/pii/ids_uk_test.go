package pii

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// nhsNumber completes nine digits with the NHS mod-11 check digit, or
// returns "" when the check would be 10 (such numbers are not issued).
func nhsNumber(nine string) string {
	sum := 0
	for k := 0; k < 9; k++ {
		sum += int(nine[k]-'0') * (10 - k)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	if c == 10 {
		return ""
	}
	return fmt.Sprintf("%s%d", nine, c)
}

func TestNHS(t *testing.T) {
	d := only(t, "UK_NHS")
	expect(t, d, "NHS 943 476 5919", hit{"UK_NHS", "943 476 5919"})
	r := rand.New(rand.NewPCG(15, 16))
	for k := 0; k < 200; k++ {
		n := nhsNumber(randDigits(r, 9))
		if n == "" || sameDigits([]byte(n)) {
			continue
		}
		spaced := group(n, " ", 3, 3, 4)
		dashed := group(n, "-", 3, 3, 4)
		expect(t, d, "number "+spaced, hit{"UK_NHS", spaced})
		expect(t, d, "number "+dashed, hit{"UK_NHS", dashed})
		expect(t, d, "ref "+n)
		expect(t, d, "nhs no. "+n, hit{"UK_NHS", n})
		expect(t, d, "nhs "+bumpDigit(spaced, k%10))
	}
	expect(t, d, "nhs 943 476 5919 2") // a longer space-separated number
	expect(t, d, "nhs 943-476-5919-2")
	expect(t, d, "nhs 943 476-5919")
	expect(t, d, "nhs 000 000 0000")
}

func TestNINO(t *testing.T) {
	d := only(t, "UK_NINO")
	for _, n := range []string{"AB123456C", "AB 12 34 56 C", "JG103759A", "CE 12 34 56 D", "AB 123456 B"} {
		expect(t, d, "NI number: "+n+".", hit{"UK_NINO", n})
		expect(t, d, n, hit{"UK_NINO", n})
	}
	r := rand.New(rand.NewPCG(17, 18))
	okFirst, okSecond := "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
	for k := 0; k < 200; k++ {
		pre := string([]byte{okFirst[r.IntN(len(okFirst))], okSecond[r.IntN(len(okSecond))]})
		switch pre {
		case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
			continue
		}
		n := pre + randDigits(r, 6) + string(rune('A'+r.IntN(4)))
		expect(t, d, "nino "+n, hit{"UK_NINO", n})
	}
	for _, n := range []string{
		"QQ123456C", "DA123456C", "AD123456C", "AO123456C", "BG123456C", "GB123456C", "NK123456C",
		"TN123456C", "ZZ123456C", "AB123456E", "AB12345C", "AB1234567C", "ab123456c", "XAB123456C",
		"AB123456CX", "AB123456",
	} {
		expect(t, d, "nino "+n)
	}
}

func TestPostcode(t *testing.T) {
	d := only(t, "UK_POSTCODE")
	for _, p := range []string{"SW1A 1AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "SW1A1AA"} {
		expect(t, d, "address: London "+p+", UK", hit{"UK_POSTCODE", p})
	}
	for _, p := range []string{"QA1 1AA", "ZZ1 1AA", "SW1A 1AC", "W1I 1AA", "SW1 1A", "SW1A 1AAA", "XSW1A 1AA", "E1 1AAB"} {
		expect(t, d, "at "+p)
	}
	expect(t, defaultDet, "SW1A 1AA")
}

// TestTokens: letter-and-digit values inside hyphenated or dotted tokens
// (API keys, slugs) are not reported.
func TestTokens(t *testing.T) {
	for _, text := range []string{
		"SG.x-AB123456C-yy", "key-AB1234563.z", "tok~GB82WEST12345698765432~x", "a.SW1A 1AA", "AB123456C-x1",
	} {
		expect(t, allDet, text)
	}
	expect(t, allDet, "NI: AB123456C-", hit{"UK_NINO", "AB123456C"})
}
