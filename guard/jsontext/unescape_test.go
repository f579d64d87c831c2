package jsontext

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unicode/utf8"
)

// unescapePlain is unescape without the word-at-a-time copy: the plain
// path the fast one must agree with.
func unescapePlain(dst, s []byte) ([]byte, error) {
	for len(s) > 0 {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			return append(dst, s...), nil
		}
		dst = append(dst, s[:k]...)
		s = s[k:]
		if len(s) < 2 {
			return nil, errors.New("truncated escape")
		}
		switch s[1] {
		case '"', '\\', '/':
			dst = append(dst, s[1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n, err := unicodeEscape(s)
			if err != nil {
				return nil, err
			}
			dst = utf8.AppendRune(dst, r)
			s = s[n:]
			continue
		default:
			return nil, fmt.Errorf("invalid escape \\%c", s[1])
		}
		s = s[2:]
	}
	return dst, nil
}

// TestUnescapeAgrees compares unescape with unescapePlain on random
// strings of plain runs of every length around the word size and every
// kind of escape, valid or not, decoded after a prefix in a buffer of
// several capacities.
func TestUnescapeAgrees(t *testing.T) {
	pieces := []string{`\n`, `\"`, `\\`, `\/`, `\b`, `\f`, `\r`, `\t`, `\u00e9`, `\u4e2d`, `\ud83d\ude00`, `\ud83d`, `\ude00x`,
		`\u12`, `\x`, `\`, "é", "\x00", "\\\\\\", "a\\", "\\\\n"}
	r := rand.New(rand.NewPCG(1, 2))
	bad := 0
	for range 20000 {
		var b []byte
		for n := r.IntN(8); n > 0; n-- {
			b = append(b, bytes.Repeat([]byte{byte('a' + r.IntN(26))}, r.IntN(20))...)
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		b = append(b, bytes.Repeat([]byte("z"), r.IntN(12))...)
		prefix := bytes.Repeat([]byte("p"), r.IntN(3))
		dst := slices.Grow(append([]byte(nil), prefix...), r.IntN(2*len(b)+1))
		got, err := unescape(dst, b)
		want, wantErr := unescapePlain(append([]byte(nil), prefix...), b)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() || err == nil && !bytes.Equal(got, want) {
			bad++
			if bad <= 10 {
				t.Errorf("%q: %q, %v; plain: %q, %v", b, got, err, want, wantErr)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d strings differ", bad)
	}
}
