package jsonrpc

import (
	"strings"
	"testing"
)

// A tool result of about 1 KiB: what Lookup skips to find top-level keys
// after "content" (the cache's isError, resultType, ttlMs, cacheScope).
var result1KiB = []byte(`{"content":[{"type":"text","text":"` + strings.Repeat(`deployment status of api-gateway: 3 of 3 replicas ready, image v1.42.0 \"stable\"; `, 12) + `"}],"isError":false}`)

func BenchmarkLookupAfterContent(b *testing.B) {
	b.SetBytes(int64(len(result1KiB)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := Lookup(result1KiB, "isError", "resultType", "ttlMs", "cacheScope")
		if err != nil || string(v[0]) != "false" {
			b.Fatal(v, err)
		}
	}
}

func BenchmarkParseToolsCall(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"k__echo","arguments":{"message":"` + strings.Repeat("hello world ", 80) + `"}}}`)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// scanStringBytewise is scanString as it was before the eight-byte skip,
// the reference for TestScanStringMatchesBytewise.
func scanStringBytewise(b []byte, i int) (end int, escaped bool, err error) {
	start := i
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return i, escaped, syntaxErr(i, "unterminated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex4(b[i+2:i+6]) {
					return i, escaped, syntaxErr(i, "invalid \\u escape")
				}
				i += 6
			default:
				return i, escaped, syntaxErr(i, "invalid escape \\%c", b[i+1])
			}
		case c < 0x20:
			return i, escaped, syntaxErr(i, "control character in string")
		default:
			i++
		}
	}
	return i, escaped, syntaxErr(start, "unterminated string")
}

// The eight-byte skip finds exactly what the byte loop finds: strings of
// every length and of bytes next to the special ones, at every offset.
func TestScanStringMatchesBytewise(t *testing.T) {
	alphabet := []byte{'a', 'Z', ' ', '"', '\\', 'n', 'u', '0', 'f', 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x21, 0x5b, 0x5d, 0x22 ^ 0x80, 0x5c ^ 0x80, 0x00, 0xa0}
	rng := uint64(1)
	next := func() uint64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng }
	for n := 0; n < 200000; n++ {
		l := int(next() % 40)
		b := make([]byte, 1, l+1)
		b[0] = '"'
		for range l {
			if next()%4 == 0 {
				b = append(b, alphabet[next()%uint64(len(alphabet))])
			} else {
				b = append(b, 'a'+byte(next()%26))
			}
		}
		e1, x1, err1 := scanString(b, 0)
		e2, x2, err2 := scanStringBytewise(b, 0)
		if e1 != e2 || x1 != x2 || (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Fatalf("%q: got %d %v %v, byte loop %d %v %v", b, e1, x1, err1, e2, x2, err2)
		}
	}
}
