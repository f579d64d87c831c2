package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// luhnComplete returns a number of length n starting with prefix whose
// last digit makes the Luhn check hold.
func luhnComplete(r *rand.Rand, prefix string, n int) string {
	body := prefix + randDigits(r, n-len(prefix)-1)
	for c := byte('0'); c <= '9'; c++ {
		if s := body + string(c); luhn([]byte(s)) {
			return s
		}
	}
	panic("unreachable")
}

// group formats digits in groups of the given sizes joined by sep.
func group(digits, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		n = min(n, len(digits))
		if n == 0 {
			break
		}
		parts = append(parts, digits[:n])
		digits = digits[n:]
	}
	if digits != "" {
		parts = append(parts, digits)
	}
	return strings.Join(parts, sep)
}

func TestCreditCard(t *testing.T) {
	d := only(t, "CREDIT_CARD")
	// Published test card numbers.
	for _, n := range []string{
		"4111111111111111", "4012888888881881", "4222222222222", "5555555555554444",
		"5105105105105100", "2223003122003222", "378282246310005", "371449635398431",
		"6011111111111117", "6011000990139424", "3530111333300000", "3566002020360505",
		"30569309025904", "38520000023237", "6200000000000005",
	} {
		expect(t, d, "card "+n, hit{"CREDIT_CARD", n})
	}
	// An expiry after the number is not part of it.
	expect(t, d, "4111 1111 1111 1111 12/27", hit{"CREDIT_CARD", "4111 1111 1111 1111"})
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		prefix string
		n      int
	}{
		{"4", 16}, {"4", 13}, {"4", 19}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16},
		{"2200", 16}, {"34", 15}, {"37", 15}, {"36", 14}, {"30", 14}, {"38", 16}, {"35", 16},
		{"35", 19}, {"6011", 16}, {"65", 16}, {"62", 19}, {"50", 16}, {"1", 15},
	}
	for _, c := range cases {
		for k := 0; k < 20; k++ {
			n := luhnComplete(r, c.prefix, c.n)
			forms := []string{n}
			switch c.n {
			case 15:
				forms = append(forms, group(n, " ", 4, 6, 5), group(n, "-", 4, 6, 5))
			case 14:
				forms = append(forms, group(n, " ", 4, 6, 4), group(n, "-", 4, 6, 4))
			}
			forms = append(forms, group(n, " ", 4, 4, 4, 4), group(n, "-", 4, 4, 4, 4))
			for _, f := range forms {
				text := "payment method " + f + ", thanks"
				if len(f) > 16 && !strings.ContainsAny(f, " -") {
					// Long bare numbers need a context word ("payment").
					expect(t, d, "id "+f)
				}
				expect(t, d, text, hit{"CREDIT_CARD", f})
				// One digit off breaks the Luhn check.
				bad := bumpDigit(f, len(n)-1-k%len(n))
				expect(t, d, "payment method "+bad+", thanks")
			}
		}
	}
	for _, text := range []string{
		"7111111111111111",                 // no issuer under 7
		"4111111111111",                    // Visa length 13 but Luhn fails
		"411111111111116",                  // Visa with 15 digits
		"3782822463100052",                 // Amex with 16 digits
		"4111-1111 1111-1111",              // mixed separators
		"4111.1111.1111.1111",              // dots are not card separators
		"x4111111111111111",                // inside a word
		"4111111111111111x",                // inside a word
		"id-4111111111111111",              // inside a hyphenated token
		"41111111111111111111111",          // 23 digits
		"4111 1111 1111 1111-2222",         // continued
		"ts 1718030405123 and 17180304051", // timestamps
	} {
		expect(t, d, text)
	}
}
