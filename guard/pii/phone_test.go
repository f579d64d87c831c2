package pii

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestPhone(t *testing.T) {
	d := only(t, "PHONE_NUMBER")
	// Reported without context.
	for _, p := range []string{
		"+1-201-555-0123", "+1 (201) 555-0123", "+12015550123", "+1.201.555.0123",
		"+44 20 7946 0958", "+44 (0)20 7946 0958", "+447700900123", "+33 6 12 34 56 78",
		"+49 30 1234567", "+91 98765 43210", "+86 138 0013 8000", "+61 2 9876 5432",
		"+81 3-1234-5678", "+353 1 234 5678", "+254 712 345678", "+55 11 91234-5678",
		"0044 20 7946 0958",
		"(201) 555-0123", "(201)555-0123", "201-555-0123", "201.555.0123", "201 555-0123",
		"1-201-555-0123", "1 (201) 555-0123", "1.201.555.0123",
	} {
		for _, f := range []string{"support line %s", "%s", "(%s)", "at %s, or", `"%s"`} {
			expect(t, d, fmt.Sprintf(f, p), hit{"PHONE_NUMBER", p})
		}
	}
	// Reported with a context word only.
	for _, p := range []string{"201 555 0123", "2015550123", "020 7946 0958", "07700 900123", "06 12 34 56 78", "(030) 1234 5678"} {
		expect(t, d, "ref "+p)
		expect(t, d, "phone: "+p, hit{"PHONE_NUMBER", p})
		expect(t, d, "Call me on "+p+" tonight", hit{"PHONE_NUMBER", p})
	}
	r := rand.New(rand.NewPCG(7, 8))
	for k := 0; k < 300; k++ {
		npa := fmt.Sprintf("%d%d%d", 2+r.IntN(8), r.IntN(10), r.IntN(10))
		nxx := fmt.Sprintf("%d%02d", 2+r.IntN(8), r.IntN(100))
		if npa[1:] == "11" || nxx[1:] == "11" {
			continue
		}
		line := fmt.Sprintf("%04d", r.IntN(10000))
		for _, p := range []string{
			"+1-" + npa + "-" + nxx + "-" + line, "(" + npa + ") " + nxx + "-" + line, npa + "-" + nxx + "-" + line,
		} {
			expect(t, d, "support line "+p, hit{"PHONE_NUMBER", p})
		}
	}
	for _, text := range []string{
		"+1-101-555-0123", "+1-201-155-0123", "211-555-0123", "201-155-0123", "201-911-0123",
		"201-555-01234", "201-555-0123-4567", "2015-555-0123", "201-555-0123x", "201/555/0123",
		"+999 1234 5678", "+44 20 7946", "+1234567890123456", "+1 201 555", "+20 points", "+2024",
		"2024-05-01", "12/05/2024", "01-02-2024", "12:30:45", "192.168.100.200", "10.0.0.1",
		"C++ 17", "1+2015550123", "x+12015550123", "v+12015550123a",
		"order 2015550123", "4111 1111 1111 1111", "078-05-1121", "1234567890", "0000000000",
		"201-555 0123", "201.555-0123", "201) 555-0123",
		"0 800 123 456", "00 1", "0044", "015 04 2024",
	} {
		expect(t, d, text)
	}
	// Words or more numbers after a number are not part of it.
	expect(t, d, "+44 20 7946 0958 (office)", hit{"PHONE_NUMBER", "+44 20 7946 0958"})
	expect(t, d, "+44 20 7946 0958 1234 5678", hit{"PHONE_NUMBER", "+44 20 7946 0958"})
	expect(t, d, "+1 (201) 555-0123 ext. 7", hit{"PHONE_NUMBER", "+1 (201) 555-0123"})
	expect(t, d, "+44 20 7946-0958-1234")
	// Two numbers in a row are two findings.
	expect(t, d, "tel 201-555-0123, 201-555-0199",
		hit{"PHONE_NUMBER", "201-555-0123"}, hit{"PHONE_NUMBER", "201-555-0199"})
}

func TestE164(t *testing.T) {
	for _, tc := range []struct {
		digits string
		ok     bool
	}{
		{"12015550123", true}, {"11015550123", false}, {"1201555012", false},
		{"442079460958", true}, {"4420794609", false}, {"4915112345678", true},
		{"8613800138000", true}, {"35312345678", true}, {"99912345678", false},
		{"2141234567", false}, {"3771234567", true}, {"6931234567", false},
		{"18935550123", true}, {"19115550123", true}, {"12011550123", false},
	} {
		if _, ok := e164OK([]byte(tc.digits)); ok != tc.ok {
			t.Errorf("e164OK(%s) = %v, want %v", tc.digits, ok, tc.ok)
		}
	}
}
