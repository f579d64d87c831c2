package pii

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestSSN(t *testing.T) {
	d := only(t, "US_SSN")
	r := rand.New(rand.NewPCG(11, 12))
	for k := 0; k < 300; k++ {
		area := 1 + r.IntN(899)
		if area == 666 {
			continue
		}
		s := fmt.Sprintf("%03d-%02d-%04d", area, 1+r.IntN(99), 1+r.IntN(9999))
		if s == "078-05-1120" || s == "219-09-9999" || s == "123-45-6789" {
			continue
		}
		expect(t, d, "ssn: "+s, hit{"US_SSN", s})
		expect(t, d, "record "+s+" filed", hit{"US_SSN", s})
	}
	// Without hyphens only with context.
	expect(t, d, "ref 536 22 1234")
	expect(t, d, "SSN 536 22 1234", hit{"US_SSN", "536 22 1234"})
	expect(t, d, "social security 536.22.1234", hit{"US_SSN", "536.22.1234"})
	expect(t, d, "ref 536221234")
	expect(t, d, "ssn#536221234", hit{"US_SSN", "536221234"})
	for _, s := range []string{
		"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "536-00-1234", "536-22-0000",
		"078-05-1120", "219-09-9999", "123-45-6789", "111-11-1111", "536-22-1234-5", "536-22-12345",
		"5536-22-1234", "536-22 1234", "536 22-1234", "536-221-234", "x536-22-1234", "ab-536-22-1234",
	} {
		expect(t, d, "ssn: "+s)
	}
}

func TestITIN(t *testing.T) {
	d := only(t, "US_ITIN")
	for _, g := range []int{50, 57, 65, 70, 88, 90, 92, 94, 99} {
		s := fmt.Sprintf("912-%02d-3456", g)
		expect(t, d, "id "+s, hit{"US_ITIN", s})
	}
	expect(t, d, "tax id 912703456", hit{"US_ITIN", "912703456"})
	expect(t, d, "ref 912703456")
	for _, g := range []int{0, 10, 49, 66, 69, 89, 93} {
		expect(t, d, fmt.Sprintf("itin 912-%02d-3456", g))
	}
	expect(t, d, "itin 812-70-3456")
}

// deaNumber completes letters and six digits with the DEA check digit.
func deaNumber(letters, six string) string {
	v := func(k int) int { return int(six[k] - '0') }
	sum := v(0) + v(2) + v(4) + 2*(v(1)+v(3)+v(5))
	return fmt.Sprintf("%s%s%d", letters, six, sum%10)
}

func TestMedicalLicense(t *testing.T) {
	d := only(t, "MEDICAL_LICENSE")
	expect(t, d, "DEA AB1234563", hit{"MEDICAL_LICENSE", "AB1234563"})
	r := rand.New(rand.NewPCG(13, 14))
	for k := 0; k < 200; k++ {
		first := deaFirst[r.IntN(len(deaFirst))]
		second := string(rune('A' + r.IntN(26)))
		if k%10 == 0 {
			second = "9"
		}
		n := deaNumber(string(first)+second, randDigits(r, 6))
		expect(t, d, "prescriber "+n+".", hit{"MEDICAL_LICENSE", n})
		expect(t, d, "prescriber "+bumpDigit(n, len(n)-3)) // check digit off (index among digits)
	}
	for _, text := range []string{
		"AB1234564", "IB1234563", "NB1234563", "ab1234563", "Ab1234563", "AB12345630", "AB123456",
		"XAB1234563", "AB1234563X", "AB-1234563",
	} {
		expect(t, d, text)
	}
}

func TestUSPassportBankLicense(t *testing.T) {
	d := only(t, "US_PASSPORT", "US_BANK_NUMBER", "US_DRIVER_LICENSE")
	// All weak: context decides.
	expect(t, d, "ref 536221234 and A12345678")
	expect(t, d, "passport 536221234", hit{"US_PASSPORT", "536221234"})
	expect(t, d, "passport number: A12345678", hit{"US_PASSPORT", "A12345678"})
	expect(t, d, "bank account 0123456789012", hit{"US_BANK_NUMBER", "0123456789012"})
	expect(t, d, "acct: 12345678", hit{"US_BANK_NUMBER", "12345678"})
	expect(t, d, "driver license D1234567", hit{"US_DRIVER_LICENSE", "D1234567"})
	expect(t, d, "DL: WA12345", hit{"US_DRIVER_LICENSE", "WA12345"})
	expect(t, d, "passport 111111111")
	expect(t, d, "account 1234567")
	expect(t, d, "license D123")
}
