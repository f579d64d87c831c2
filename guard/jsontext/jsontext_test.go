package jsontext

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// upper replaces every string holding an "x" by its upper-case form.
func upper(_, s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, 'x') < 0 {
		return nil, false
	}
	return bytes.ToUpper(s), true
}

// transform applies upper to a decoded tree, as Rewrite should.
func transform(v any) any {
	switch t := v.(type) {
	case string:
		if r, ok := upper(nil, []byte(t)); ok {
			return string(r)
		}
		return t
	case []any:
		for i := range t {
			t[i] = transform(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = transform(t[k])
		}
	}
	return v
}

func TestRewrite(t *testing.T) {
	cases := []struct {
		name, doc, want string
		changed         bool
	}{
		{"nothing to change", `{"a": "b", "n": [1, 2.5e3, true, null]}`, `{"a": "b", "n": [1, 2.5e3, true, null]}`, false},
		{"value changed, layout kept", `{ "a" : "x1" ,"b":["y","xx"] }`, `{ "a" : "X1" ,"b":["y","XX"] }`, true},
		{"keys are not visited", `{"x":"a"}`, `{"x":"a"}`, false},
		{"escaped string decoded and re-encoded", `{"t":"line\nx\u00e9\"q\""}`, `{"t":"LINE\nXÉ\"Q\""}`, true},
		{"surrogate pair", `["x\ud83d\ude00"]`, `["X😀"]`, true},
		{"top-level string", `"x"`, `"X"`, true},
		{"escaped quote at the end", `{"a":"x\\","b":"c"}`, `{"a":"X\\","b":"c"}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed, err := Rewrite([]byte(c.doc), upper)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want || changed != c.changed {
				t.Errorf("Rewrite(%s) = %s, %v; want %s, %v", c.doc, got, changed, c.want, c.changed)
			}
		})
	}
}

func TestRewriteKeys(t *testing.T) {
	doc := `{"content":[{"type":"text","text":"a"}],"structuredContent":{"k\u0031":["v"]},"top":"t"}`
	var seen []string
	if err := Strings([]byte(doc), func(key, s []byte) { seen = append(seen, string(key)+"="+string(s)) }); err != nil {
		t.Fatal(err)
	}
	want := []string{"type=text", "text=a", "k1=v", "top=t"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("visited %q, want %q", seen, want)
	}
}

func TestRewriteErrors(t *testing.T) {
	for _, doc := range []string{``, `{`, `{"a"}`, `{"a":}`, `{"a":"b"`, `["a" "b"]`, `"unterminated`, `{"a":"\q"}`, `{"a":1}x`, `[1,]`, `{"a":"\u12"}`, strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)} {
		if _, _, err := Rewrite([]byte(doc), upper); err == nil {
			t.Errorf("Rewrite(%.40q): no error", doc)
		}
	}
}

func TestRewriteNoAllocWithoutChange(t *testing.T) {
	doc := []byte(`{"content":[{"type":"text","text":"hello world, nothing here"}],"structuredContent":{"answer":"42","list":["a","b"]}}`)
	never := func(_, s []byte) ([]byte, bool) { return nil, bytes.IndexByte(s, '#') >= 0 }
	n := testing.AllocsPerRun(100, func() {
		if _, _, err := Rewrite(doc, never); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("Rewrite allocated %v times on a document it did not change", n)
	}
}

func FuzzRewrite(f *testing.F) {
	for _, s := range []string{`{"a":"x"}`, `["x\n",{"b":["y","x\u00e9"]}]`, `"x"`, `{"a":[1,{"b":null}]}`, `{"a":"\ud800x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var want any
		if json.Unmarshal(doc, &want) != nil {
			Rewrite(doc, upper) // must not panic
			return
		}
		got, _, err := Rewrite(doc, upper)
		if err != nil {
			t.Fatalf("valid JSON %q refused: %v", doc, err)
		}
		var gotV any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("Rewrite(%q) = %q, not JSON: %v", doc, got, err)
		}
		if want = transform(want); !reflect.DeepEqual(gotV, want) {
			t.Fatalf("Rewrite(%q) = %q, want the value %#v", doc, got, want)
		}
	})
}

func BenchmarkRewriteToolResult(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog.\\n", 22) // ~1 KiB, escaped
	doc := []byte(`{"content":[{"type":"text","text":"` + text + `"}],"isError":false}`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Rewrite(doc, func(_, s []byte) ([]byte, bool) { return nil, false }); err != nil {
			b.Fatal(err)
		}
	}
}
