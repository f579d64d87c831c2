package jsontext

import (
	"errors"
	"fmt"
	"sync"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// Doc is a JSON document whose string values are decoded once for several
// readers in turn: the guardrails that scan one result share it, so that
// the result is walked and its escaped strings decoded once rather than
// once per guardrail. Each reader calls Rewrite, which visits the strings
// as the package-level Rewrite does; the strings a reader replaces are
// encoded into Bytes, and the readers after it see the new contents
// exactly as they would by walking Bytes again.
//
// The first Rewrite walks the document and keeps every string's place and
// decoded content; later ones only visit what was kept. A document with
// more strings than is worth keeping (more than one per 24 bytes, past the
// first 64) is walked again by every Rewrite instead, so that what a Doc
// keeps stays within about three times the document's size.
//
// A Doc is not safe for concurrent use.
type Doc struct {
	raw    []byte // the document, with the replacements of every Rewrite so far
	parsed bool
	err    error // raw is not one JSON value
	stream bool  // too many strings to keep: each Rewrite walks raw
	spans  []span
	keys   [][]byte // member names, decoded; spans refer to them by index
	buf    []byte   // decoded content of escaped strings
}

// span is one string value of a Doc.
type span struct {
	val        []byte // decoded content
	start, end int    // the string in raw, quotes included
	key        int    // index in keys
}

// A Doc keeps at most minSpans strings plus one per bytesPerSpan bytes of
// the document.
const (
	minSpans     = 64
	bytesPerSpan = 24
)

// errDense stops the first walk of a Doc with too many strings to keep.
var errDense = errors.New("jsontext: too many strings to keep")

// NewDoc returns the Doc of doc, which must not be modified while the Doc
// is in use. Nothing is walked until the first Rewrite. Release gives it
// back for reuse when it is no longer needed.
func NewDoc(doc []byte) *Doc {
	d, _ := docPool.Get().(*Doc)
	if d == nil {
		d = new(Doc)
	}
	d.raw = doc
	return d
}

// docPool holds released Docs with their buffers.
var docPool sync.Pool

// Limits on what a released Doc keeps for its next use.
const (
	maxPooledSpans  = 4096
	maxPooledDecode = 16 << 20
)

// Release gives d back for reuse by NewDoc. Neither d nor any string it
// handed to a visitor may be used after; Bytes returned before stay
// valid (they are the document or a copy made for the replacements, never
// the Doc's own buffers).
func (d *Doc) Release() {
	clear(d.spans)
	clear(d.keys)
	spans, keys, buf := d.spans[:0], d.keys[:0], d.buf[:0]
	if cap(spans) > maxPooledSpans {
		spans = nil
	}
	if cap(keys) > maxPooledSpans {
		keys = nil
	}
	if cap(buf) > maxPooledDecode {
		buf = nil
	}
	*d = Doc{spans: spans, keys: keys, buf: buf}
	docPool.Put(d)
}

// Bytes returns the document with the replacements made so far: doc
// itself while none was made.
func (d *Doc) Bytes() []byte { return d.raw }

// Is reports whether raw is the document's current Bytes: the same slice,
// not just equal bytes.
func (d *Doc) Is(raw []byte) bool {
	return len(raw) == len(d.raw) && (len(raw) == 0 || &raw[0] == &d.raw[0])
}

// Rewrite calls visit on every string value of the document, in order, as
// the package-level Rewrite does, and encodes the replacements in place.
// It reports whether visit replaced any string. Malformed input is an
// error, the same one from every call. If visit panics, the Doc is left as
// it was before the call.
func (d *Doc) Rewrite(visit Visit) (bool, error) {
	if !d.parsed {
		d.parse()
	}
	if d.err != nil {
		return false, d.err
	}
	if d.stream {
		out, changed, err := Rewrite(d.raw, visit)
		if err != nil {
			d.err = err
			return false, err
		}
		d.raw = out
		return changed, nil
	}
	type change struct {
		i, start, end int // the new place of span i in out
		val           []byte
	}
	var (
		out     []byte
		last    int // d.raw[last:] is not yet copied to out
		changes []change
	)
	for i := range d.spans {
		sp := &d.spans[i]
		repl, changed := visit(d.keys[sp.key], sp.val)
		if !changed {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(d.raw)+len(repl))
		}
		out = append(out, d.raw[last:sp.start]...)
		start := len(out)
		out = jsonrpc.AppendString(out, string(repl))
		// What a walk of out would decode: the same bytes, unless repl is
		// not valid UTF-8.
		val, err := unescape(nil, out[start+1:len(out)-1])
		if err != nil {
			panic("jsontext: AppendString wrote an escape unescape refuses: " + err.Error())
		}
		changes = append(changes, change{i: i, start: start, end: len(out), val: val[:len(val):len(val)]})
		last = sp.end
	}
	if out == nil {
		return false, nil
	}
	out = append(out, d.raw[last:]...)
	delta, ci := 0, 0
	for i := range d.spans {
		sp := &d.spans[i]
		if ci < len(changes) && changes[ci].i == i {
			c := changes[ci]
			ci++
			delta = c.end - sp.end
			sp.start, sp.end, sp.val = c.start, c.end, c.val
			continue
		}
		sp.start += delta
		sp.end += delta
	}
	d.raw = out
	return true, nil
}

// parse walks the document once and keeps its strings, or falls back to
// walking it in every Rewrite when it holds too many.
func (d *Doc) parse() {
	d.parsed = true
	w := walker{doc: d.raw, rec: d}
	err := w.walk()
	if err == errDense {
		d.stream = true
		clear(d.spans)
		clear(d.keys)
		d.spans, d.keys, d.buf = d.spans[:0], d.keys[:0], d.buf[:0]
		return
	}
	d.err = err
}

// add keeps the string raw[start:end), the value of member key; content
// is what is between its quotes.
func (d *Doc) add(start, end int, key, content []byte, escaped bool) error {
	if len(d.spans) >= minSpans+len(d.raw)/bytesPerSpan {
		return errDense
	}
	val := content
	if escaped {
		if len(d.buf) == 0 && cap(d.buf) < len(d.raw)-start {
			// Decoding never makes a string longer: what is left of the
			// document bounds what is left to decode.
			d.buf = make([]byte, 0, len(d.raw)-start)
		}
		n := len(d.buf)
		var err error
		if d.buf, err = unescape(d.buf, content); err != nil {
			return fmt.Errorf("json: string at offset %d: %w", start, err)
		}
		val = d.buf[n:len(d.buf):len(d.buf)]
	}
	k := len(d.keys) - 1
	if k < 0 || !sameSlice(d.keys[k], key) {
		d.keys = append(d.keys, key)
		k++
	}
	d.spans = append(d.spans, span{val: val, start: start, end: end, key: k})
	return nil
}

// sameSlice reports whether a and b are the same slice (the strings of an
// array share their key).
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
