package jsonrpc

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// SyntaxError reports malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int    // byte offset of the problem
	Msg    string // what was expected
}

// ErrorCodeOf returns the JSON-RPC error code for a message Parse
// refused: parse error for invalid JSON, invalid request otherwise.
func ErrorCodeOf(parseErr error) int {
	var se *SyntaxError
	if errors.As(parseErr, &se) {
		return CodeParseError
	}
	return CodeInvalidRequest
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 1000

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue validates the JSON value starting at b[i] (no leading space) and
// returns the offset just past it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, syntaxErr(i, "unexpected end of input, expected a value")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '{':
		if depth >= maxDepth {
			return i, syntaxErr(i, "nesting deeper than %d", maxDepth)
		}
		return skipObject(b, i, depth+1)
	case c == '[':
		if depth >= maxDepth {
			return i, syntaxErr(i, "nesting deeper than %d", maxDepth)
		}
		return skipArray(b, i, depth+1)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	default:
		return i, syntaxErr(i, "unexpected character %q, expected a value", c)
	}
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, syntaxErr(i, "invalid literal, expected %s", lit)
	}
	return i + len(lit), nil
}

func skipNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, syntaxErr(start, "invalid number")
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return i, syntaxErr(start, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, syntaxErr(start, "invalid number: no digits after decimal point")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, syntaxErr(start, "invalid number: no digits in exponent")
		}
	}
	return i, nil
}

// scanString validates the string starting at b[i] == '"' and returns the
// offset past its closing quote and whether it contains escapes.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	start := i
	i++
	for i < len(b) {
		// Runs of plain bytes, the bulk of any string: eight at a time
		// while none of them is '"', '\\' or a control character, then
		// one at a time up to the next byte that is.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, e := x^(lsb*'"'), x^(lsb*'\\')
			if ((x-lsb*0x20)&^x|(q-lsb)&^q|(e-lsb)&^e)&msb != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
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
			// Bytes of multi-byte characters pass as they are: invalid
			// UTF-8 is the receiver's to judge (encoding/json replaces it),
			// and the gateway forwards bytes unchanged.
			i++
		}
	}
	return i, escaped, syntaxErr(start, "unterminated string")
}

// lsb and msb are the lowest and highest bit of every byte of a uint64,
// for testing eight bytes at once.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plainStringByte is true for the bytes that stand for themselves inside a
// JSON string: anything but '"', '\\' and control characters.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex4(h []byte) bool {
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func skipArray(b []byte, i, depth int) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = skipValue(b, i, depth); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, syntaxErr(i, "unexpected end of input in array")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "expected , or ] in array, got %q", b[i])
		}
	}
}

func skipObject(b []byte, i, depth int) (int, error) {
	return eachField(b, i, depth, nil)
}

// eachField walks the object starting at b[i] == '{', validating it, and calls
// fn (if not nil, and only at this level) with each key's raw bytes (between
// the quotes, still escaped), whether the key has escapes, and the value's
// span. It returns the offset past the closing brace.
func eachField(b []byte, i, depth int, fn func(key []byte, escaped bool, vStart, vEnd int) error) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, syntaxErr(i, "expected a string key in object")
		}
		kEnd, kEsc, err := scanString(b, i)
		if err != nil {
			return i, err
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return i, syntaxErr(i, "expected : after object key")
		}
		i = skipSpace(b, i+1)
		vStart := i
		if i, err = skipValue(b, i, depth); err != nil {
			return i, err
		}
		if fn != nil {
			if err := fn(key, kEsc, vStart, i); err != nil {
				return i, err
			}
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, syntaxErr(i, "unexpected end of input in object")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "expected , or } in object, got %q", b[i])
		}
	}
}

// Valid reports whether b is exactly one JSON value (surrounding space allowed).
func Valid(b []byte) error {
	i := skipSpace(b, 0)
	end, err := skipValue(b, i, 0)
	if err != nil {
		return err
	}
	if j := skipSpace(b, end); j != len(b) {
		return syntaxErr(j, "unexpected data after the JSON value")
	}
	return nil
}

// errNotObject is returned when a field lookup is made on a non-object.
var errNotObject = errors.New("not a JSON object")

// ObjectField is one field of a JSON object as found by [Fields].
type ObjectField struct {
	Key   string // unescaped key
	Value []byte // raw value, aliasing the input
}

// Fields returns the top-level fields of the JSON object obj, in order,
// validating the whole object. Keys are unescaped; values alias obj.
func Fields(obj []byte) ([]ObjectField, error) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, errNotObject
	}
	var out []ObjectField
	end, err := eachField(obj, i, 1, func(key []byte, esc bool, vs, ve int) error {
		k, err := keyString(key, esc)
		if err != nil {
			return err
		}
		out = append(out, ObjectField{Key: k, Value: obj[vs:ve]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if j := skipSpace(obj, end); j != len(obj) {
		return nil, syntaxErr(j, "unexpected data after the JSON object")
	}
	return out, nil
}

func keyString(key []byte, escaped bool) (string, error) {
	if !escaped {
		return string(key), nil
	}
	// Rare: escaped keys go through encoding/json, which knows every JSON
	// escape including surrogate pairs.
	q := make([]byte, 0, len(key)+2)
	q = append(q, '"')
	q = append(q, key...)
	q = append(q, '"')
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", err
	}
	return s, nil
}

// Elements returns the raw elements of the JSON array arr, validating it.
// Elements alias arr.
func Elements(arr []byte) ([][]byte, error) {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return nil, errors.New("not a JSON array")
	}
	var out [][]byte
	i = skipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return out, nil
	}
	for {
		start := i
		end, err := skipValue(arr, i, 1)
		if err != nil {
			return nil, err
		}
		out = append(out, arr[start:end])
		i = skipSpace(arr, end)
		if i >= len(arr) {
			return nil, syntaxErr(i, "unexpected end of input in array")
		}
		switch arr[i] {
		case ',':
			i = skipSpace(arr, i+1)
		case ']':
			return out, nil
		default:
			return nil, syntaxErr(i, "expected , or ] in array, got %q", arr[i])
		}
	}
}
