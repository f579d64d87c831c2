// Package jsontext walks the string values of a JSON document and
// rewrites those a visitor changes, leaving every other byte as it was.
// It is how guardrails read the text of arguments and results without
// decoding whole messages: strings without escapes are handed over as
// they are in the document (no copy), escaped ones are decoded into a
// reused buffer, and only the strings that change are encoded again.
// Rewrite serves one reader; a [Doc] keeps the decoded strings for several
// readers in turn (the guardrails of one result).
package jsontext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// MaxDepth bounds the nesting of a document Rewrite accepts.
const MaxDepth = 512

// Visit is called for every string value of a document (object keys are
// not visited). key is the name of the object member the string is the
// value of, or of the member holding the array it is in ("" at the top
// level), decoded. key and s are valid only during the call. Visit
// returns the new content and true to replace the string, or false to
// leave it.
type Visit func(key, s []byte) (replacement []byte, changed bool)

// Rewrite calls visit on every string value of doc and returns doc with
// the replaced strings encoded in place. When visit changes nothing it
// returns doc itself and false, and allocates nothing for strings without
// escapes. doc must be one JSON value; malformed input is an error that
// says where.
func Rewrite(doc []byte, visit Visit) ([]byte, bool, error) {
	w := walker{doc: doc, visit: visit}
	bp, _ := bufPool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	w.buf = (*bp)[:0]
	defer func() {
		if cap(w.buf) <= maxPooledBuf {
			*bp = w.buf[:0]
			bufPool.Put(bp)
		}
	}()
	if err := w.walk(); err != nil {
		return nil, false, err
	}
	if w.out == nil {
		return doc, false, nil
	}
	return append(w.out, doc[w.last:]...), true, nil
}

// Strings calls fn on every string value of doc, as Rewrite does, for
// reading only.
func Strings(doc []byte, fn func(key, s []byte)) error {
	_, _, err := Rewrite(doc, func(key, s []byte) ([]byte, bool) {
		fn(key, s)
		return nil, false
	})
	return err
}

type walker struct {
	doc   []byte
	visit Visit
	rec   *Doc   // instead of visit: record the strings in a Doc
	out   []byte // nil until the first replacement
	last  int    // doc[last:] is not yet copied to out
	buf   []byte // decoded content of escaped strings
}

// walk walks the one value of w.doc.
func (w *walker) walk() error {
	i, err := w.value(skip(w.doc, 0), nil, 0)
	if err != nil {
		return err
	}
	if skip(w.doc, i) != len(w.doc) {
		return fmt.Errorf("json: unexpected data after the value at offset %d", i)
	}
	return nil
}

// bufPool holds decode buffers for escaped strings; the ones bigger than
// maxPooledBuf are left to the collector.
var bufPool sync.Pool

const maxPooledBuf = 16 << 20

var errEOF = errors.New("json: unexpected end of input")

func skip(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

func (w *walker) value(i int, key []byte, depth int) (int, error) {
	b := w.doc
	if i >= len(b) {
		return 0, errEOF
	}
	if depth > MaxDepth {
		return 0, fmt.Errorf("json: nested deeper than %d at offset %d", MaxDepth, i)
	}
	switch c := b[i]; {
	case c == '"':
		return w.str(i, key)
	case c == '{':
		return w.object(i, depth)
	case c == '[':
		return w.array(i, key, depth)
	default:
		// A number or a literal: anything up to the next delimiter.
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				break
			}
			if c == '"' || c == '{' || c == '[' || c == ':' {
				return 0, fmt.Errorf("json: unexpected %q at offset %d", c, j)
			}
			j++
		}
		if j == i {
			return 0, fmt.Errorf("json: expected a value at offset %d", i)
		}
		return j, nil
	}
}

func (w *walker) object(i, depth int) (int, error) {
	b := w.doc
	i = skip(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, fmt.Errorf("json: expected a member name at offset %d", i)
		}
		end, escaped, err := stringEnd(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i+1 : end-1]
		if escaped {
			// Decoded into its own slice: w.buf is reused for the values
			// below, and the key must outlive them (arrays).
			if key, err = unescape(nil, key); err != nil {
				return 0, fmt.Errorf("json: member name at offset %d: %w", i, err)
			}
		}
		i = skip(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, fmt.Errorf("json: expected ':' at offset %d", i)
		}
		if i, err = w.value(skip(b, i+1), key, depth+1); err != nil {
			return 0, err
		}
		i = skip(b, i)
		if i >= len(b) {
			return 0, errEOF
		}
		switch b[i] {
		case ',':
			i = skip(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("json: expected ',' or '}' at offset %d", i)
		}
	}
}

func (w *walker) array(i int, key []byte, depth int) (int, error) {
	b := w.doc
	i = skip(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = w.value(i, key, depth+1); err != nil {
			return 0, err
		}
		i = skip(b, i)
		if i >= len(b) {
			return 0, errEOF
		}
		switch b[i] {
		case ',':
			i = skip(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("json: expected ',' or ']' at offset %d", i)
		}
	}
}

func (w *walker) str(i int, key []byte) (int, error) {
	b := w.doc
	end, escaped, err := stringEnd(b, i)
	if err != nil {
		return 0, err
	}
	content := b[i+1 : end-1 : end-1]
	if w.rec != nil {
		return end, w.rec.add(i, end, key, content, escaped)
	}
	if escaped {
		if w.buf, err = unescape(w.buf[:0], content); err != nil {
			return 0, fmt.Errorf("json: string at offset %d: %w", i, err)
		}
		content = w.buf
	}
	repl, changed := w.visit(key, content)
	if !changed {
		return end, nil
	}
	if w.out == nil {
		w.out = make([]byte, 0, len(b)+len(repl))
	}
	w.out = append(w.out, b[w.last:i]...)
	w.out = jsonrpc.AppendString(w.out, string(repl))
	w.last = end
	return end, nil
}

// stringEnd returns the offset just past the closing quote of the string
// starting at b[i] == '"', and whether it holds escapes.
func stringEnd(b []byte, i int) (int, bool, error) {
	j := i + 1
	escaped := false
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false, fmt.Errorf("json: unterminated string at offset %d", i)
		}
		q := j + k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if !escaped && bytes.IndexByte(b[j:q], '\\') >= 0 {
			escaped = true
		}
		if n%2 == 0 {
			return q + 1, escaped, nil
		}
		j = q + 1
	}
}

// unescape appends the decoded content of a JSON string body to dst.
func unescape(dst, s []byte) ([]byte, error) {
	dst = slices.Grow(dst, len(s)) // decoding never makes it longer
	for len(s) > 0 {
		// Copy up to the next backslash eight bytes at a time while eight
		// are left. A word is stored whole even when a backslash ends the
		// run inside it (the bytes after the run are overwritten next):
		// dst keeps room for all of s, as no escape decodes longer than
		// it is, so every store stays within its capacity.
		found := false
		for len(s) >= 8 {
			x := binary.LittleEndian.Uint64(s)
			n := len(dst)
			binary.LittleEndian.PutUint64(dst[n:n+8], x)
			if m := backslashes(x); m != 0 {
				b := bits.TrailingZeros64(m) >> 3
				dst, s = dst[:n+b], s[b:]
				found = true
				break
			}
			dst, s = dst[:n+8], s[8:]
		}
		if !found {
			k := bytes.IndexByte(s, '\\')
			if k < 0 {
				return append(dst, s...), nil
			}
			dst = append(dst, s[:k]...)
			s = s[k:]
		}
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

// backslashes marks with its high bit each byte of x that is a backslash;
// the lowest mark is exact (marks above a backslash may be spurious).
func backslashes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	v := x ^ ('\\' * ones)
	return (v - ones) &^ v & highs
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at the
// start of s, returning the rune and the bytes used. Unpaired
// surrogates become U+FFFD, as encoding/json does.
func unicodeEscape(s []byte) (rune, int, error) {
	r, ok := hex4(s)
	if !ok {
		return 0, 0, errors.New("invalid \\u escape")
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex4(s[6:]); ok && len(s) >= 12 && s[6] == '\\' {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12, nil
			}
		}
		return utf8.RuneError, 6, nil
	}
	return r, 6, nil
}

// hex4 reads the four hex digits of "\uXXXX" at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
