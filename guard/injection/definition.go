package injection

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"

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
// false if raw is not valid JSON.
func (w *defWalker) walk() bool {
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
				w.scan(v, w.path()+" (name)", start, end, false)
			} else {
				noPaths := false
				if n > 0 && w.uriPaths && (w.stack[n-1].key == "uri" || w.stack[n-1].key == "uriTemplate") {
					noPaths = true
				}
				w.scan(v, w.path(), start, end, noPaths)
				w.valueDone()
			}
		default:
			w.valueDone()
		}
		prev = end
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

// scan scans one string of the definition; raw[start:end] is its JSON
// encoding.
func (w *defWalker) scan(v, path string, start, end int, noPaths bool) {
	st := state{s: w.s, text: []byte(v), def: true, noPaths: noPaths}
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
	exact := end-start == len(v)+2 && !bytes.ContainsRune(w.raw[start:end], '\\')
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
