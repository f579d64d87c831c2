package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file holds a small JSON parser that keeps the byte offset of every
// value and key, so that every problem can be reported at its line and
// column, and that notices duplicate keys, which encoding/json accepts.

// kind is the JSON type of a node.
type kind uint8

const (
	kindObject kind = iota + 1
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
)

// String returns the kind with its article, as used in messages.
func (k kind) String() string {
	switch k {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindNull:
		return "null"
	}
	return "nothing"
}

// node is one parsed JSON value.
type node struct {
	kind kind
	off  int // offset of the value's first byte
	end  int // offset just after the value's last byte
	// str is the decoded value of a string, or the literal text of a number.
	str    string
	b      bool
	fields []member // object members in document order, duplicates left out
	elems  []*node  // array elements
}

// member is one key and value of an object.
type member struct {
	key    string
	keyOff int
	val    *node
}

// get returns the member named key.
func (n *node) get(key string) (member, bool) {
	for _, m := range n.fields {
		if m.key == key {
			return m, true
		}
	}
	return member{}, false
}

// syntaxError is a malformed document: where and what.
type syntaxError struct {
	off int
	msg string
}

// dupKey is a key that occurs twice in one object.
type dupKey struct {
	off   int    // the second occurrence
	first int    // the first occurrence
	path  string // the object's key path
	key   string // the key
}

// maxDepth bounds the nesting of arrays and objects.
const maxDepth = 512

type parser struct {
	data  []byte
	i     int
	depth int
	dups  []dupKey
}

// parseJSON parses one JSON document. On a syntax error it returns only the
// error. Duplicate keys do not stop the parse: the first occurrence is kept
// and the others are returned.
func parseJSON(data []byte) (root *node, dups []dupKey, serr *syntaxError) {
	p := &parser{data: data}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*syntaxError)
			if !ok {
				panic(r)
			}
			root, dups, serr = nil, nil, se
		}
	}()
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		p.i = 3
	}
	p.skipSpace()
	if p.i == len(data) {
		p.fail(p.i, "the file is empty; write a JSON object such as "+minimalExample)
	}
	root = p.value("")
	p.skipSpace()
	if p.i < len(data) {
		if data[p.i] == '/' {
			p.unexpected("the end of the document")
		}
		p.fail(p.i, "unexpected "+p.describe()+" after the end of the top-level value; remove it, or check for an extra } or ]")
	}
	return root, p.dups, nil
}

func (p *parser) fail(off int, msg string) {
	panic(&syntaxError{off: off, msg: msg})
}

// eof reports an unexpected end of input at the end of the last
// non-blank byte, which is where something is missing.
func (p *parser) eof() {
	end := len(p.data)
	for end > 0 && isSpace(p.data[end-1]) {
		end--
	}
	p.fail(end, "unexpected end of input; check for a missing } or ]")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func (p *parser) skipSpace() {
	for p.i < len(p.data) && isSpace(p.data[p.i]) {
		p.i++
	}
}

// describe names the byte at p.i for a message.
func (p *parser) describe() string {
	c := p.data[p.i]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", string(c))
	}
	r, size := utf8.DecodeRune(p.data[p.i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return fmt.Sprintf("character %q", r)
}

// word returns the run of letters, digits, "-" and "." at p.i, cut to 40
// bytes.
func (p *parser) word() string {
	j := p.i
	for j < len(p.data) && j-p.i < 40 && (isLetter(p.data[j]) || isDigit(p.data[j]) || p.data[j] == '-' || p.data[j] == '.') {
		j++
	}
	return string(p.data[p.i:j])
}

// unexpected fails at p.i, where want was expected.
func (p *parser) unexpected(want string) {
	if p.i >= len(p.data) {
		p.eof()
	}
	c := p.data[p.i]
	switch {
	case c == '/' && p.i+1 < len(p.data) && (p.data[p.i+1] == '/' || p.data[p.i+1] == '*'):
		p.fail(p.i, "comments are not allowed in JSON; remove the comment")
	case c == '\'':
		p.fail(p.i, "strings must be in double quotes; replace ' with \"")
	case isLetter(c):
		w := p.word()
		lw := strings.ToLower(w)
		for _, lit := range []string{"true", "false", "null"} {
			if lw == lit {
				p.fail(p.i, fmt.Sprintf("%q is not valid JSON; write %s in lower case", w, lit))
			}
			if want == "a value" && len(lw) <= len(lit)+1 && editDistance(lw, lit) == 1 {
				p.fail(p.i, fmt.Sprintf("%q is not valid JSON; did you mean %s?", w, lit))
			}
		}
		switch {
		case want == "a quoted key":
			p.fail(p.i, fmt.Sprintf("object keys must be in double quotes; write %q", w))
		case want == "a value":
			p.fail(p.i, fmt.Sprintf("unquoted text %q; put strings in double quotes", w))
		}
	}
	p.fail(p.i, fmt.Sprintf("unexpected %s, expected %s; check the syntax here", p.describe(), want))
}

// afterValue fails at p.i, just after a value, where want was expected.
// Text there most often follows a string that lost a quote.
func (p *parser) afterValue(want string) {
	if isLetter(p.data[p.i]) || isDigit(p.data[p.i]) {
		p.fail(p.i, fmt.Sprintf("unexpected %s after a value, expected %s; check for a missing '\"' or ','", p.describe(), want))
	}
	p.unexpected(want)
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.i, fmt.Sprintf("arrays and objects are nested more than %d deep; simplify the document", maxDepth))
	}
}

func (p *parser) value(path string) *node {
	p.skipSpace()
	if p.i >= len(p.data) {
		p.eof()
	}
	c := p.data[p.i]
	switch {
	case c == '{':
		return p.object(path)
	case c == '[':
		return p.array(path)
	case c == '"':
		off := p.i
		s := p.str()
		return &node{kind: kindString, off: off, end: p.i, str: s}
	case c == '-' || isDigit(c):
		return p.number()
	case c == 't':
		return p.literal("true", &node{kind: kindBool, b: true})
	case c == 'f':
		return p.literal("false", &node{kind: kindBool})
	case c == 'n':
		return p.literal("null", &node{kind: kindNull})
	}
	p.unexpected("a value")
	return nil
}

func (p *parser) literal(text string, n *node) *node {
	if !bytes.HasPrefix(p.data[p.i:], []byte(text)) {
		p.unexpected("a value")
	}
	n.off = p.i
	p.i += len(text)
	n.end = p.i
	if p.i < len(p.data) && (isLetter(p.data[p.i]) || isDigit(p.data[p.i])) {
		p.i = n.off
		p.unexpected("a value")
	}
	return n
}

func (p *parser) object(path string) *node {
	n := &node{kind: kindObject, off: p.i}
	p.enter()
	p.i++
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		n.end = p.i
		p.depth--
		return n
	}
	var seen map[string]int
	comma := -1
	for {
		p.skipSpace()
		if p.i >= len(p.data) {
			p.eof()
		}
		if p.data[p.i] != '"' {
			if p.data[p.i] == '}' && comma >= 0 {
				p.fail(comma, "trailing comma before }; remove the comma")
			}
			p.unexpected("a quoted key")
		}
		keyOff := p.i
		key := p.str()
		p.skipSpace()
		if p.i >= len(p.data) {
			p.eof()
		}
		if p.data[p.i] != ':' {
			p.unexpected(fmt.Sprintf("':' after the key %q", key))
		}
		p.i++
		v := p.value(joinKey(path, key))
		if first, dup := seen[key]; dup {
			p.dups = append(p.dups, dupKey{off: keyOff, first: first, path: path, key: key})
		} else {
			if seen == nil {
				seen = make(map[string]int)
			}
			seen[key] = keyOff
			n.fields = append(n.fields, member{key: key, keyOff: keyOff, val: v})
		}
		p.skipSpace()
		if p.i >= len(p.data) {
			p.eof()
		}
		switch p.data[p.i] {
		case ',':
			comma = p.i
			p.i++
			continue
		case '}':
			p.i++
			n.end = p.i
			p.depth--
			return n
		case '"':
			p.fail(p.i, "missing ',' between object members; add a ',' after the previous value")
		}
		p.afterValue("',' or '}'")
	}
}

func (p *parser) array(path string) *node {
	n := &node{kind: kindArray, off: p.i}
	p.enter()
	p.i++
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		n.end = p.i
		p.depth--
		return n
	}
	comma := -1
	for {
		p.skipSpace()
		if p.i < len(p.data) && p.data[p.i] == ']' && comma >= 0 {
			p.fail(comma, "trailing comma before ]; remove the comma")
		}
		n.elems = append(n.elems, p.value(joinIndex(path, len(n.elems))))
		p.skipSpace()
		if p.i >= len(p.data) {
			p.eof()
		}
		switch p.data[p.i] {
		case ',':
			comma = p.i
			p.i++
			continue
		case ']':
			p.i++
			n.end = p.i
			p.depth--
			return n
		case '"', '{', '[':
			p.fail(p.i, "missing ',' between array elements; add a ',' after the previous element")
		}
		p.afterValue("',' or ']'")
	}
}

// str scans the string at p.i and returns its decoded value.
func (p *parser) str() string {
	start := p.i
	p.i++
	escaped, ascii := false, true
	for {
		if p.i >= len(p.data) {
			p.fail(start, "unterminated string; add the closing \"")
		}
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			inner := p.data[start+1 : p.i-1]
			if !escaped && (ascii || utf8.Valid(inner)) {
				return string(inner)
			}
			var s string
			if err := json.Unmarshal(p.data[start:p.i], &s); err != nil {
				p.fail(start, "invalid string: "+err.Error()+"; check the escapes")
			}
			return s
		case c == '\\':
			escaped = true
			p.i++
			if p.i >= len(p.data) {
				p.fail(start, "unterminated string; add the closing \"")
			}
			switch p.data[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				for k := 1; k <= 4; k++ {
					if p.i+k >= len(p.data) || !isHex(p.data[p.i+k]) {
						p.fail(p.i-1, `invalid \u escape; write four hex digits, as in \u00e9`)
					}
				}
				p.i += 5
			default:
				p.fail(p.i-1, fmt.Sprintf(`invalid escape "\%c"; write a backslash as \\ (valid escapes: \" \\ \/ \b \f \n \r \t \uXXXX)`, p.data[p.i]))
			}
		case c == '\n' || c == '\r':
			p.fail(start, `unterminated string (a string cannot span lines); add the closing " or write the line break as \n`)
		case c < 0x20:
			p.fail(p.i, fmt.Sprintf(`control character 0x%02x in a string; write it as \u%04x`, c, c))
		default:
			if c >= 0x80 {
				ascii = false
			}
			p.i++
		}
	}
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number scans a number following the JSON grammar.
func (p *parser) number() *node {
	start := p.i
	bad := func() {
		j := p.i
		for j < len(p.data) && !isSpace(p.data[j]) && !strings.ContainsRune(",]}", rune(p.data[j])) {
			j++
		}
		p.fail(start, fmt.Sprintf("invalid number %q; write numbers like 30, -1 or 0.5", string(p.data[start:j])))
	}
	if p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
	case p.i < len(p.data) && isDigit(p.data[p.i]):
		for p.i < len(p.data) && isDigit(p.data[p.i]) {
			p.i++
		}
	default:
		bad()
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if p.i >= len(p.data) || !isDigit(p.data[p.i]) {
			bad()
		}
		for p.i < len(p.data) && isDigit(p.data[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.data) || !isDigit(p.data[p.i]) {
			bad()
		}
		for p.i < len(p.data) && isDigit(p.data[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.data) && (isDigit(p.data[p.i]) || isLetter(p.data[p.i]) || p.data[p.i] == '.') {
		bad()
	}
	return &node{kind: kindNumber, off: start, end: p.i, str: string(p.data[start:p.i])}
}

// joinKey appends an object key to a key path: ".key" for plain keys,
// ["key"] for any other.
func joinKey(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(isLetter(c) || isDigit(c) || c == '-' || c == '$') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + fmt.Sprintf("%q", key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// joinIndex appends an array index to a key path.
func joinIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
