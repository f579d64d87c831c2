package pii

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestIPv4(t *testing.T) {
	d := only(t, "IP_ADDRESS")
	for _, ip := range []string{"192.0.2.1", "10.0.0.255", "255.255.255.255", "0.0.0.0", "8.8.8.8", "172.16.254.1"} {
		for _, f := range []string{"client_ip=%s", "%s", "from %s:8080", "(%s)", "addr %s/24", "%s.", `"%s"`} {
			text := fmt.Sprintf(f, ip)
			expect(t, d, text, hit{"IP_ADDRESS", ip})
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 200; k++ {
		ip := fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
		expect(t, d, "peer "+ip+" connected", hit{"IP_ADDRESS", ip})
	}
	for _, text := range []string{
		"256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.4.5.6.7",
		"v1.2.3.4", "version 10.0.19041.1", "Version: 1.2.3.4", "build 4.2.0.17", "firmware 2.10.3.1",
		"1.2.3.4a", "x1.2.3.4", "OID 1.3.6.1", "Section 1.2.3.4", "1.2.3.4-rc1", "12.34.56.78.90",
	} {
		expect(t, d, text)
	}
}

func TestIPv6(t *testing.T) {
	d := only(t, "IP_ADDRESS")
	for _, ip := range []string{
		"2001:0db8:85a3:0000:0000:8a2e:0370:7334",
		"2001:db8:85a3::8a2e:370:7334",
		"2001:db8::1",
		"fe80::1",
		"fe80::1ff:fe23:4567:890a",
		"::ffff:192.0.2.128",
		"::ffff:c000:0280",
		"2001:db8::",
		"64:ff9b::192.0.2.33",
		"FE80::0202:B3FF:FE1E:8329",
		"1:2:3:4:5:6:7:8",
	} {
		for _, f := range []string{"ip %s", "[%s]:443", "%s", "remote=%s,", "(%s)."} {
			text := fmt.Sprintf(f, ip)
			expect(t, d, text, hit{"IP_ADDRESS", ip})
		}
		// Round trip: every accepted form is a real address.
		if _, err := netip.ParseAddr(ip); err != nil {
			t.Errorf("test value %s: %v", ip, err)
		}
	}
	expect(t, d, "fe80::1%eth0 up", hit{"IP_ADDRESS", "fe80::1"})
	r := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < 200; k++ {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		b[0] = 0x20 // global unicast, keeps a digit in the text
		ip := netip.AddrFrom16(b).String()
		expect(t, d, "from "+ip+" ok", hit{"IP_ADDRESS", ip})
	}
	for _, text := range []string{
		"::", "::1", "a::b", "dead::beef", "std::vector", "Foo::bar()", "arr[::2]", "arr[1::3]", "x[10::20]",
		"12:34:56", "00:1a:2b:3c:4d:5e", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "2001:db8::1::2",
		"12345::1", "g001:db8::1", "2001:db8::1:", "key: value", `{"a":"b"}`, "10:30",
		"1:2:3:4:5:6:7:8.5",
	} {
		expect(t, d, text)
	}
}
