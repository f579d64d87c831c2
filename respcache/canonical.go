package respcache

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest in a value
// AppendCanonical accepts.
const MaxDepth = 512

// Errors of AppendCanonical, besides syntax errors: values for which no
// canonical form is defined. A call whose arguments have one is not
// cached.
var (
	// ErrDuplicateKey: an object has the same key twice (also when
	// spelled with different escapes). Receivers disagree about what
	// such an object means (first or last wins), so it has no canonical
	// form.
	ErrDuplicateKey = errors.New("duplicate object key")
	// ErrTooDeep: arrays and objects nest deeper than MaxDepth.
	ErrTooDeep = errors.New("nested too deeply")
)

// AppendCanonical appends the canonical form of the JSON text src to dst
// and returns the extended slice. The canonical form is src without
// insignificant whitespace and with the members of every object sorted by
// key (by the key's decoded UTF-8 bytes), recursively. Everything else is
// kept as written: numbers as their JSON text (1, 1.0 and 1e0 stay three
// values; no float rounding), strings with their escapes (so "\u0061" and
// "a" stay two strings), and array order.
//
// Two texts with the same canonical form are the same JSON value to any
// receiver: the form only drops what JSON itself says is insignificant.
// The converse does not always hold (the two spellings above), which costs
// a cache miss, never a wrong hit. The canonical form is a fixed point:
// AppendCanonical of it returns it unchanged.
//
// src must be one valid JSON value (RFC 8259) in valid UTF-8 with no
// duplicate keys in any object and at most MaxDepth levels of nesting;
// otherwise the error says why and where, and dst is returned unchanged
// (its spare capacity may have been written).
func AppendCanonical(dst, src []byte) ([]byte, error) {
	c := canonPool.Get().(*canonicalizer)
	c.src, c.pos, c.out = src, 0, dst
	err := c.top()
	out := c.out
	c.reset()
	canonPool.Put(c)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// canonicalizer holds the scratch space of one AppendCanonical call,
// pooled so that a call allocates nothing once warm.
type canonicalizer struct {
	src []byte
	pos int
	out []byte

	members []member // the members of the objects being built, innermost last
	keys    []byte   // decoded keys of members whose keys have escapes
	tmp     []byte   // an object's members while they are reordered
}

// member is one "key":value pair of an object being built: its text is
// out[start:end], and its decoded key is src[ks:ke] (inSrc) or keys[ks:ke].
type member struct {
	start, end int
	ks, ke     int
	inSrc      bool
}

// maxPooled is the largest scratch buffer kept for reuse.
const maxPooled = 64 << 10

var canonPool = sync.Pool{New: func() any { return new(canonicalizer) }}

func (c *canonicalizer) reset() {
	c.src, c.out = nil, nil
	c.members = c.members[:0]
	if cap(c.keys) > maxPooled {
		c.keys = nil
	}
	if cap(c.tmp) > maxPooled {
		c.tmp = nil
	}
	c.keys, c.tmp = c.keys[:0], c.tmp[:0]
}

func (c *canonicalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("json: "+format+" at offset %d", append(args, c.pos)...)
}

func (c *canonicalizer) top() error {
	c.skipSpace()
	if c.pos >= len(c.src) {
		return c.errorf("no value")
	}
	if err := c.value(0); err != nil {
		return err
	}
	c.skipSpace()
	if c.pos != len(c.src) {
		return c.errorf("unexpected data after the value")
	}
	return nil
}

func (c *canonicalizer) skipSpace() {
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// value copies the value at c.pos (not whitespace) in canonical form.
func (c *canonicalizer) value(depth int) error {
	if c.pos >= len(c.src) {
		return c.errorf("unexpected end of input")
	}
	switch b := c.src[c.pos]; {
	case b == '{':
		return c.object(depth + 1)
	case b == '[':
		return c.array(depth + 1)
	case b == '"':
		start := c.pos
		if _, err := c.str(); err != nil {
			return err
		}
		c.out = append(c.out, c.src[start:c.pos]...)
		return nil
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	default:
		return c.errorf("invalid character %q looking for a value", b)
	}
}

func (c *canonicalizer) literal(lit string) error {
	if !bytes.HasPrefix(c.src[c.pos:], []byte(lit)) {
		return c.errorf("invalid literal (want %s)", lit)
	}
	c.out = append(c.out, lit...)
	c.pos += len(lit)
	return nil
}

// number copies a number as written, after checking its grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c *canonicalizer) number() error {
	s, i := c.src, c.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		c.pos = i
		return c.errorf("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			c.pos = j
			return c.errorf("invalid number: no digit after the decimal point")
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			c.pos = j
			return c.errorf("invalid number: no digit in the exponent")
		}
		i = j
	}
	c.out = append(c.out, s[c.pos:i]...)
	c.pos = i
	return nil
}

func digits(s []byte, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// str checks the string at c.pos and moves past it; escaped reports
// whether it has escape sequences.
func (c *canonicalizer) str() (escaped bool, err error) {
	s := c.src
	i := c.pos + 1
	for {
		if i >= len(s) {
			c.pos = i
			return false, c.errorf("unterminated string")
		}
		b := s[i]
		switch {
		case b == '"':
			c.pos = i + 1
			return escaped, nil
		case b == '\\':
			escaped = true
			if i+1 >= len(s) {
				c.pos = i
				return false, c.errorf("unterminated string")
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(s, i+2); !ok {
					c.pos = i
					return false, c.errorf(`invalid \u escape`)
				}
				i += 6
			default:
				c.pos = i
				return false, c.errorf("invalid escape %q", s[i:i+2])
			}
		case b < 0x20:
			c.pos = i
			return false, c.errorf("control character %q in a string", b)
		case b < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				c.pos = i
				return false, c.errorf("invalid UTF-8")
			}
			i += n
		}
	}
}

// hex4 decodes the four hex digits at s[i:].
func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, b := range s[i : i+4] {
		switch {
		case b >= '0' && b <= '9':
			b -= '0'
		case b >= 'a' && b <= 'f':
			b = b - 'a' + 10
		case b >= 'A' && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(b)
	}
	return r, true
}

// decodeKey appends the UTF-8 bytes of the checked string literal lit
// (with its quotes) to c.keys. A lone surrogate (\ud800 without its pair)
// is an error: receivers decode it differently.
func (c *canonicalizer) decodeKey(lit []byte) error {
	s := lit[1 : len(lit)-1]
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				j = len(s) - i
			}
			c.keys = append(c.keys, s[i:i+j]...)
			i += j
			continue
		}
		switch e := s[i+1]; e {
		case 'u':
			r, _ := hex4(s, i+2)
			i += 6
			if utf16.IsSurrogate(r) {
				var r2 rune = -1
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, _ = hex4(s, i+2)
				}
				d := utf16.DecodeRune(r, r2)
				if d == utf8.RuneError {
					return fmt.Errorf("json: key %s has a lone surrogate escape; no canonical form", lit)
				}
				r = d
				i += 6
			}
			c.keys = utf8.AppendRune(c.keys, r)
		default:
			c.keys = append(c.keys, unescape[e])
			i += 2
		}
	}
	return nil
}

var unescape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (c *canonicalizer) array(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("json: %w (more than %d levels) at offset %d", ErrTooDeep, MaxDepth, c.pos)
	}
	c.pos++ // [
	c.out = append(c.out, '[')
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		c.skipSpace()
		if err := c.value(depth); err != nil {
			return err
		}
		c.skipSpace()
		if c.pos >= len(c.src) {
			return c.errorf("unterminated array")
		}
		switch c.src[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return nil
		default:
			return c.errorf("invalid character %q after an array element", c.src[c.pos])
		}
	}
}

func (c *canonicalizer) object(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("json: %w (more than %d levels) at offset %d", ErrTooDeep, MaxDepth, c.pos)
	}
	c.pos++ // {
	open := len(c.out)
	c.out = append(c.out, '{')
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == '}' {
		c.pos++
		c.out = append(c.out, '}')
		return nil
	}
	base := len(c.members)
	defer func() { c.members = c.members[:base] }()
	for {
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != '"' {
			return c.errorf("expected a string key")
		}
		if len(c.members) > base {
			c.out = append(c.out, ',')
		}
		ks := c.pos
		escaped, err := c.str()
		if err != nil {
			return err
		}
		lit := c.src[ks:c.pos]
		m := member{start: len(c.out), ks: ks + 1, ke: c.pos - 1, inSrc: true}
		if escaped {
			m.ks, m.inSrc = len(c.keys), false
			if err := c.decodeKey(lit); err != nil {
				return err
			}
			m.ke = len(c.keys)
		}
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != ':' {
			return c.errorf("expected a colon after an object key")
		}
		c.pos++
		c.skipSpace()
		c.out = append(c.out, lit...)
		c.out = append(c.out, ':')
		if err := c.value(depth); err != nil {
			return err
		}
		m.end = len(c.out)
		c.members = append(c.members, m)
		c.skipSpace()
		if c.pos >= len(c.src) {
			return c.errorf("unterminated object")
		}
		if c.src[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.src[c.pos] != '}' {
			return c.errorf("invalid character %q after an object member", c.src[c.pos])
		}
		c.pos++
		break
	}
	if err := c.order(open, c.members[base:]); err != nil {
		return err
	}
	c.out = append(c.out, '}')
	return nil
}

func (c *canonicalizer) key(m member) []byte {
	if m.inSrc {
		return c.src[m.ks:m.ke]
	}
	return c.keys[m.ks:m.ke]
}

// order puts the members ms of the object opened at out[open] in key
// order, rewriting out[open+1:] when they are not in it already.
func (c *canonicalizer) order(open int, ms []member) error {
	sorted := true
	for i := 1; i < len(ms); i++ {
		switch bytes.Compare(c.key(ms[i-1]), c.key(ms[i])) {
		case 0:
			return c.duplicate(ms[i])
		case 1:
			sorted = false
		}
	}
	if sorted {
		return nil
	}
	slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(c.key(a), c.key(b)) })
	for i := 1; i < len(ms); i++ {
		if bytes.Equal(c.key(ms[i-1]), c.key(ms[i])) {
			return c.duplicate(ms[i])
		}
	}
	c.tmp = append(c.tmp[:0], c.out[open+1:]...)
	c.out = c.out[:open+1]
	for i, m := range ms {
		if i > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.tmp[m.start-open-1:m.end-open-1]...)
	}
	return nil
}

func (c *canonicalizer) duplicate(m member) error {
	return fmt.Errorf("json: %w %q in an object ending at offset %d", ErrDuplicateKey, c.key(m), c.pos)
}
