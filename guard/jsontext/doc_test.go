package jsontext

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// docVisitors are the readers a Doc is checked with, in turn: one that
// changes letters, one that writes invalid UTF-8 (which encoding turns
// into U+FFFD), one that empties strings, one that only reads.
var docVisitors = []Visit{
	upper,
	func(_, s []byte) ([]byte, bool) {
		if bytes.IndexByte(s, 'y') < 0 {
			return nil, false
		}
		return append([]byte("\xff<\"\n"), s...), true
	},
	func(_, s []byte) ([]byte, bool) { return nil, bytes.IndexByte(s, 'z') >= 0 },
	func(_, s []byte) ([]byte, bool) { return nil, false },
}

// recording wraps v to append what it is shown to seen.
func recording(v Visit, seen *[]string) Visit {
	return func(key, s []byte) ([]byte, bool) {
		*seen = append(*seen, fmt.Sprintf("%q=%q", key, s))
		return v(key, s)
	}
}

// checkDoc runs docVisitors over doc through one Doc and, as the slow
// path, through one package-level Rewrite each on the bytes the last one
// returned; every pass must see the same strings and give the same bytes.
func checkDoc(t *testing.T, doc []byte) {
	t.Helper()
	d := NewDoc(doc)
	defer d.Release() // the next check reuses it
	ref := doc
	for n, v := range docVisitors {
		var seenRef, seenDoc []string
		out, changedRef, errRef := Rewrite(ref, recording(v, &seenRef))
		changed, err := d.Rewrite(recording(v, &seenDoc))
		if (err == nil) != (errRef == nil) || err != nil && err.Error() != errRef.Error() {
			t.Fatalf("%q pass %d: error %v, want %v", doc, n, err, errRef)
		}
		if err != nil {
			return
		}
		ref = out
		if changed != changedRef || !bytes.Equal(d.Bytes(), ref) || !d.Is(d.Bytes()) {
			t.Fatalf("%q pass %d: %q, %v; want %q, %v", doc, n, d.Bytes(), changed, ref, changedRef)
		}
		if !reflect.DeepEqual(seenDoc, seenRef) {
			t.Fatalf("%q pass %d: visited\n %q\nwant\n %q", doc, n, seenDoc, seenRef)
		}
	}
}

// dense wraps doc in an array with enough short strings after it that a
// Doc does not keep them.
func dense(doc []byte) []byte {
	return []byte("[" + string(doc) + strings.Repeat(`,"a"`, 3*minSpans) + "]")
}

func TestDoc(t *testing.T) {
	docs := []string{
		`{"a": "b", "n": [1, 2.5e3, true, null]}`,
		`{ "a" : "x1" ,"b":["y","xx"] , "c": {"k\u0031": ["zz", "q"]}}`,
		`{"t":"line\nx\u00e9\"q\"", "u": "y\ud800z"}`,
		`["x\ud83d\ude00", "y", "", "xyz"]`,
		`"x"`,
		`{"a":"x\\","b":"c"}`,
		`{"content":[{"type":"text","text":"the \"secret\" x is here\n"},{"type":"image","data":"xyz"}]}`,
		`{"a":"x"} trailing`, `{"a":"\q"}`, `[1,]`, ``,
	}
	for _, doc := range docs {
		checkDoc(t, []byte(doc))
		checkDoc(t, dense([]byte(doc)))
	}
	d := NewDoc(dense([]byte(`"x"`)))
	if d.Rewrite(upper); !d.stream {
		t.Error("a document of short strings was kept")
	}
	d = NewDoc([]byte(docs[6]))
	if d.Rewrite(upper); d.stream || len(d.spans) != 4 {
		t.Errorf("kept %d strings (stream %v), want 4", len(d.spans), d.stream)
	}
}

func TestDocPanicLeavesItAsItWas(t *testing.T) {
	doc := []byte(`["x1", "x2", "x3"]`)
	d := NewDoc(doc)
	func() {
		defer func() { recover() }()
		d.Rewrite(func(_, s []byte) ([]byte, bool) {
			if string(s) == "x2" {
				panic("visitor bug")
			}
			return upper(nil, s)
		})
	}()
	if !d.Is(doc) {
		t.Fatalf("after a panic: %q", d.Bytes())
	}
	if _, err := d.Rewrite(upper); err != nil || string(d.Bytes()) != `["X1", "X2", "X3"]` {
		t.Errorf("%q, %v", d.Bytes(), err)
	}
}

func TestDocNoAllocWhenKept(t *testing.T) {
	doc := []byte(`{"content":[{"type":"text","text":"hello\nworld, nothing here"}],"structuredContent":{"answer":"42","list":["a","b"]}}`)
	d := NewDoc(doc)
	never := func(_, s []byte) ([]byte, bool) { return nil, bytes.IndexByte(s, '#') >= 0 }
	if _, err := d.Rewrite(never); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := d.Rewrite(never); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("a second Rewrite allocated %v times", n)
	}
}

func FuzzDoc(f *testing.F) {
	for _, s := range []string{`{"a":"x"}`, `["x\n",{"b":["y","x\u00e9"]}]`, `"x"`, `{"a":[1,{"b":null}]}`, `{"a":"\ud800xyz"}`, `{"a\"":"zx"}`,
		`["a\u12"]`, `"\ud83d\ude00 x\"`, `"abc\`, `["0123456789\"abcdef\\", "\q"]`, `{"a":"x\/y\b\f\r\t"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkDoc(t, doc)
		checkDoc(t, dense(doc))
	})
}

// BenchmarkDocToolResult is three readers of one 1 KiB result, as the
// content guardrails read it (compare three BenchmarkRewriteToolResult).
func BenchmarkDocToolResult(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog.\\n", 22) // ~1 KiB, escaped
	doc := []byte(`{"content":[{"type":"text","text":"` + text + `"}],"isError":false}`)
	none := func(_, s []byte) ([]byte, bool) { return nil, false }
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDoc(doc)
		for range 3 {
			if _, err := d.Rewrite(none); err != nil {
				b.Fatal(err)
			}
		}
		d.Release()
	}
}

// TestDocRandomStrings checks the Doc's one-pass decoding against Rewrite
// on strings with escapes, valid and not, at every distance from each
// other (runs shorter and longer than the eight bytes tested at once).
func TestDocRandomStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{`\"`, `\\`, `\/`, `\n`, `\t`, `\u00e9`, `\ud83d\ude00`, `\ud800`, `\u12`, `\q`, `\`, `"`, "é", "\xff", "\x01", "a", "abcdefgh", "0123456789abcdefghij"}
	for range 5000 {
		var b strings.Builder
		b.WriteString(`{"k":[`)
		for n := r.IntN(4); n >= 0; n-- {
			b.WriteByte('"')
			for m := r.IntN(8); m > 0; m-- {
				p := pieces[r.IntN(len(pieces))]
				if (p == `\` || p == `"` || p == `\q` || p == `\u12`) && r.IntN(8) != 0 {
					p = "x" // mostly valid documents
				}
				b.WriteString(strings.Repeat("y", r.IntN(12)))
				b.WriteString(p)
			}
			b.WriteString(`",`)
		}
		b.WriteString(`"z"]}`)
		checkDoc(t, []byte(b.String()))
	}
}
