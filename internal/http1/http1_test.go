package http1

import (
	"net/textproto"
	"strings"
	"testing"
)

func TestHeadEnd(t *testing.T) {
	for _, s := range []string{"", "\n\n", "a\n\r\n", "\r\n\r\n", "a\r\n\r\n", "\r\r\n\r\n", "\r\n\r\r\n\r\n", "ab\r\nc: d\r\n\r\nbody", "\n\r\n\r\n", "\r\n\r", "x\r\n\n\r\n\r\n"} {
		want := firstEmptyLine([]byte(s))
		if got := HeadEnd([]byte(s)); got != want {
			t.Errorf("HeadEnd(%q) = %d, want %d", s, got, want)
		}
	}
}

// firstEmptyLine is headEnd written plainly.
func firstEmptyLine(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return 0
}

func FuzzHeadEnd(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("\r\r\n\r\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := firstEmptyLine(b)
		if got := HeadEnd(b); got != want {
			t.Errorf("HeadEnd(%q) = %d, want %d", b, got, want)
		}
	})
}

func FuzzCanonicalKey(f *testing.F) {
	for _, s := range []string{"content-type", "Content-Type", "CONTENT-TYPE", "x-a-b", "a", "-a", "a--b", "X_Under"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) }) {
			return // not a valid name: parseRequest declines it first
		}
		if got, want := CanonicalKey(name), textproto.CanonicalMIMEHeaderKey(name); got != want {
			t.Errorf("CanonicalKey(%q) = %q, want %q", name, got, want)
		}
	})
}
