package pii

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// ibanFor computes the check digits for a country and BBAN.
func ibanFor(cc, bban string) string {
	var sb strings.Builder
	for _, c := range bban + cc + "00" {
		if c >= 'A' && c <= 'Z' {
			fmt.Fprintf(&sb, "%d", c-'A'+10)
		} else {
			sb.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(sb.String(), 10)
	m := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("%s%02d%s", cc, 98-m, bban)
}

func spaced4(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

func TestIBAN(t *testing.T) {
	d := only(t, "IBAN_CODE")
	// Registry examples.
	for _, v := range []string{
		"DE89370400440532013000", "GB82WEST12345698765432", "GB29NWBK60161331926819",
		"FR1420041010050500013M02606", "NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957",
		"NO9386011117947", "MT84MALT011000012345MTLCAST001S",
	} {
		expect(t, d, "iban="+v, hit{"IBAN_CODE", v})
		expect(t, d, "IBAN: "+spaced4(v)+".", hit{"IBAN_CODE", spaced4(v)})
	}
	r := rand.New(rand.NewPCG(19, 20))
	ccs := []string{"DE", "GB", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "PL", "SE", "IE", "PT", "NO", "DK"}
	for k := 0; k < 300; k++ {
		cc := ccs[k%len(ccs)]
		n := ibanLengths[[2]byte{cc[0], cc[1]}]
		bban := randDigits(r, n-4)
		if cc == "GB" || cc == "IE" || cc == "NL" {
			bban = "ABCD" + bban[4:]
		}
		v := ibanFor(cc, bban)
		expect(t, d, "pay to "+v, hit{"IBAN_CODE", v})
		expect(t, d, "pay to "+spaced4(v)+" today", hit{"IBAN_CODE", spaced4(v)})
		digits := strings.IndexFunc(v[4:], func(c rune) bool { return c < '0' || c > '9' }) // letters in the BBAN
		nd := n - 4
		if digits >= 0 {
			nd = n - 8 // "ABCD" replaced four digits
		}
		bad := bumpDigit(v, 2+k%nd)
		if bad == v {
			t.Fatalf("bumpDigit left %s unchanged", v)
		}
		expect(t, d, "pay to "+bad)
	}
	for _, text := range []string{
		"DE89370400440532013001",  // check
		"DE8937040044053201300",   // short
		"DE893704004405320130000", // long
		"XX89370400440532013000",  // no such country
		"de89370400440532013000",  // lower case
		"xDE89370400440532013000", // inside a word
		"DE89 3704 0044 0532 013000",
		"DE89 37040044 0532 0130 00",
	} {
		expect(t, d, text)
	}
}
