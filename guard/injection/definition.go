package injection

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mcpgw/mcp-gateway/guard"
)

// ScanDefinition judges one definition as a server listed it: kind is
// "tool", "prompt", "resource" or "template" (resource template); raw is
// the definition's JSON object. Every string in it is scanned as text —
// name, title, description, annotations, every string anywhere in a tool's
// inputSchema and outputSchema (descriptions, titles, enum values, const,
// default, examples, nested properties, $defs), prompt arguments, resource
// names and mime types — and so is every object key (a property name can
// carry words too). Sensitive file paths weigh more in definitions than in
// text, except in resource "uri"/"uriTemplate" fields, where paths are
// expected.
//
// The score combines the strongest finding of each rule across all the
// strings. Each finding's Label starts with the JSON path of its string
// ("inputSchema.properties.path.description: "); Start/End are offsets
// into raw: of the match itself when the string has no escape sequences,
// otherwise of the whole JSON string. raw that is not valid JSON is
// scanned as one text.
func (s *Scanner) ScanDefinition(kind string, raw []byte) Verdict {
	w := defWalker{s: s, raw: raw, uriPaths: kind == "resource" || kind == "template"}
	if !w.walk() {
		st := state{s: s, text: raw, def: true}
		st.run()
		st.finish()
		return st.verdict()
	}
	score := combine(&w.max, &w.second)
	v := Verdict{Score: score, Blocked: score >= s.threshold}
	if len(w.out) > 0 {
		slicesSortMatches(w.out)
		v.Findings = w.out
	}
	return v
}

type defFrame struct {
	arr     bool
	key     string
	idx     int
	wantKey bool
}

type defWalker struct {
	s        *Scanner
	raw      []byte
	uriPaths bool
	stack    []defFrame
	max      [numRules]float64
	second   [numRules]float64
	out      []guard.Match
}

// walk streams the JSON tokens, scanning strings as they come. It returns
// false if raw is not valid JSON. A definition that is one plain JSON
// value is walked in place (walkPlain); anything else (several values,
// deep nesting, errors) goes through encoding/json's token stream.
func (w *defWalker) walk() bool {
	if p := (plainJSON{raw: w.raw}); p.value(0) && p.end() {
		p = plainJSON{raw: w.raw, w: w}
		p.value(0)
		return true
	}
	return w.walkTokens()
}

// walkTokens is walk with encoding/json's token stream.
func (w *defWalker) walkTokens() bool {
	dec := json.NewDecoder(bytes.NewReader(w.raw))
	dec.UseNumber()
	prev := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return len(w.stack) == 0
		}
		if err != nil {
			return false
		}
		end := int(dec.InputOffset())
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				w.stack = append(w.stack, defFrame{wantKey: true})
			case '[':
				w.stack = append(w.stack, defFrame{arr: true})
			default:
				w.stack = w.stack[:len(w.stack)-1]
				w.valueDone()
			}
		case string:
			start := prev + bytes.IndexByte(w.raw[prev:end], '"')
			if n := len(w.stack); n > 0 && !w.stack[n-1].arr && w.stack[n-1].wantKey {
				top := &w.stack[n-1]
				top.key, top.wantKey = v, false
				w.scan(v, true, start, end, false)
			} else {
				noPaths := false
				if n > 0 && w.uriPaths && (w.stack[n-1].key == "uri" || w.stack[n-1].key == "uriTemplate") {
					noPaths = true
				}
				w.scan(v, false, start, end, noPaths)
				w.valueDone()
			}
		default:
			w.valueDone()
		}
		prev = end
	}
}

// string handles the JSON string raw[start:end] (quotes included) with
// decoded value v, as walkTokens does.
func (w *defWalker) string(v string, start, end int) {
	if n := len(w.stack); n > 0 && !w.stack[n-1].arr && w.stack[n-1].wantKey {
		top := &w.stack[n-1]
		top.key, top.wantKey = v, false
		w.scan(v, true, start, end, false)
		return
	}
	noPaths := false
	if n := len(w.stack); n > 0 && w.uriPaths && (w.stack[n-1].key == "uri" || w.stack[n-1].key == "uriTemplate") {
		noPaths = true
	}
	w.scan(v, false, start, end, noPaths)
	w.valueDone()
}

// plainString is string for a JSON string without escapes: its value is
// raw[start+1:end-1], scanned in place.
func (w *defWalker) plainString(start, end int) {
	text := w.raw[start+1 : end-1]
	if n := len(w.stack); n > 0 && !w.stack[n-1].arr && w.stack[n-1].wantKey {
		top := &w.stack[n-1]
		top.key, top.wantKey = string(text), false
		w.scanText(text, true, start, end, false, true)
		return
	}
	noPaths := false
	if n := len(w.stack); n > 0 && w.uriPaths && (w.stack[n-1].key == "uri" || w.stack[n-1].key == "uriTemplate") {
		noPaths = true
	}
	w.scanText(text, false, start, end, noPaths, true)
	w.valueDone()
}

// plainJSON parses one JSON value (RFC 8259) without allocating: first
// without a walker, to validate, then with one, calling it as walkTokens
// would for the same tokens. Strings with escapes are decoded with
// encoding/json, so that their values are the ones walkTokens sees.
type plainJSON struct {
	raw []byte
	i   int
	w   *defWalker // nil: validate only
}

// maxPlainDepth bounds the nesting plainJSON handles itself.
const maxPlainDepth = 512

func (p *plainJSON) ws() {
	for p.i < len(p.raw) {
		switch p.raw[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// end reports whether only whitespace follows the value.
func (p *plainJSON) end() bool {
	p.ws()
	return p.i == len(p.raw)
}

// next reads what follows a member or an element: close, which ends the
// container (end), or a comma before the next one; anything else is not
// plain JSON (ok false).
func (p *plainJSON) next(close byte) (end, ok bool) {
	p.ws()
	if p.i >= len(p.raw) {
		return false, false
	}
	switch p.raw[p.i] {
	case close:
		p.i++
		p.closed()
		return true, true
	case ',':
		p.i++
		return false, true
	}
	return false, false
}

func (p *plainJSON) value(depth int) bool {
	p.ws()
	if p.i >= len(p.raw) || depth > maxPlainDepth {
		return false
	}
	switch c := p.raw[p.i]; {
	case c == '{':
		p.i++
		if p.w != nil {
			p.w.stack = append(p.w.stack, defFrame{wantKey: true})
		}
		p.ws()
		if p.i < len(p.raw) && p.raw[p.i] == '}' {
			p.i++
			p.closed()
			return true
		}
		for {
			p.ws()
			if p.i >= len(p.raw) || p.raw[p.i] != '"' || !p.str() {
				return false
			}
			p.ws()
			if p.i >= len(p.raw) || p.raw[p.i] != ':' {
				return false
			}
			p.i++
			if !p.value(depth + 1) {
				return false
			}
			if end, ok := p.next('}'); !ok || end {
				return ok
			}
		}
	case c == '[':
		p.i++
		if p.w != nil {
			p.w.stack = append(p.w.stack, defFrame{arr: true})
		}
		p.ws()
		if p.i < len(p.raw) && p.raw[p.i] == ']' {
			p.i++
			p.closed()
			return true
		}
		for {
			if !p.value(depth + 1) {
				return false
			}
			if end, ok := p.next(']'); !ok || end {
				return ok
			}
		}
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return false
}

func (p *plainJSON) closed() {
	if p.w != nil {
		p.w.stack = p.w.stack[:len(p.w.stack)-1]
		p.w.valueDone()
	}
}

func (p *plainJSON) literal(s string) bool {
	if !bytes.HasPrefix(p.raw[p.i:], []byte(s)) {
		return false
	}
	p.i += len(s)
	if p.w != nil {
		p.w.valueDone()
	}
	return true
}

func (p *plainJSON) digits() int {
	n := 0
	for p.i < len(p.raw) && p.raw[p.i] >= '0' && p.raw[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

func (p *plainJSON) number() bool {
	if p.raw[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.raw) && p.raw[p.i] == '0' {
		p.i++
	} else if p.digits() == 0 {
		return false
	}
	if p.i < len(p.raw) && p.raw[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return false
		}
	}
	if p.i < len(p.raw) && (p.raw[p.i] == 'e' || p.raw[p.i] == 'E') {
		p.i++
		if p.i < len(p.raw) && (p.raw[p.i] == '+' || p.raw[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return false
		}
	}
	if p.w != nil {
		p.w.valueDone()
	}
	return true
}

// str parses the string at p.i (a '"').
func (p *plainJSON) str() bool {
	start := p.i
	p.i++
	plain := true // no escapes, valid UTF-8
	for {
		if p.i >= len(p.raw) {
			return false
		}
		c := p.raw[p.i]
		switch {
		case c == '"':
			p.i++
			if p.w == nil {
				return true
			}
			if plain {
				p.w.plainString(start, p.i)
				return true
			}
			var v string
			if err := json.Unmarshal(p.raw[start:p.i], &v); err != nil {
				panic("injection: validated JSON string does not decode: " + err.Error())
			}
			p.w.string(v, start, p.i)
			return true
		case c < 0x20:
			return false
		case c == '\\':
			plain = false
			p.i++
			if p.i >= len(p.raw) {
				return false
			}
			switch p.raw[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+5 > len(p.raw) {
					return false
				}
				for _, h := range p.raw[p.i+1 : p.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				p.i += 5
			default:
				return false
			}
		case c < 0x80:
			p.i++
		default:
			r, size := utf8.DecodeRune(p.raw[p.i:])
			if r == utf8.RuneError && size == 1 {
				plain = false // encoding/json replaces it with U+FFFD
			}
			p.i += size
		}
	}
}

func (w *defWalker) valueDone() {
	if n := len(w.stack); n > 0 {
		top := &w.stack[n-1]
		if top.arr {
			top.idx++
		} else {
			top.wantKey = true
		}
	}
}

// path is the JSON path of the current value: "inputSchema.properties.x".
func (w *defWalker) path() string {
	var b strings.Builder
	for _, f := range w.stack {
		if f.arr {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.idx))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if plainKey(f.key) {
			b.WriteString(f.key)
		} else {
			b.WriteString(strconv.Quote(f.key))
		}
	}
	return b.String()
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '-') {
			return false
		}
	}
	return true
}

// scan scans one string of the definition, an object key if name;
// raw[start:end] is its JSON encoding. A string without escapes is
// scanned in place, and its path is only built when it has findings.
func (w *defWalker) scan(v string, name bool, start, end int, noPaths bool) {
	exact := end-start == len(v)+2 && !bytes.ContainsRune(w.raw[start:end], '\\')
	text := w.raw[start+1 : end-1]
	if !exact || string(text) != v {
		text = []byte(v)
		exact = false
	}
	w.scanText(text, name, start, end, noPaths, exact)
}

// scanText is scan for the decoded text of the string raw[start:end];
// exact reports that text is raw[start+1:end-1].
func (w *defWalker) scanText(text []byte, name bool, start, end int, noPaths, exact bool) {
	st := state{s: w.s, text: text, def: true, noPaths: noPaths}
	st.run()
	st.finish()
	for r := range st.max {
		// top two across strings
		for _, v := range [2]float64{st.max[r], st.second[r]} {
			switch {
			case v > w.max[r]:
				w.second[r], w.max[r] = w.max[r], v
			case v > w.second[r]:
				w.second[r] = v
			}
		}
	}
	if len(st.findings) == 0 {
		return
	}
	path := w.path()
	if name {
		path += " (name)"
	}
	ms := toMatches(st.findings, path+": ")
	for k := range ms {
		if exact {
			ms[k].Start += start + 1
			ms[k].End += start + 1
		} else {
			ms[k].Start, ms[k].End = start, end
		}
	}
	w.out = append(w.out, ms...)
}

func slicesSortMatches(ms []guard.Match) {
	// insertion sort keeps equal starts in path order; lists are short
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Start < ms[j-1].Start; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}
