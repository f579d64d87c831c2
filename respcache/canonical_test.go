package respcache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendCanonical(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{`{ "a":2,"b":1 }`, `{"a":2,"b":1}`},
		{" \t\r\n{\n  \"a\" : [ 1 , 2 ] ,\n  \"b\" : { } \n}\n ", `{"a":[1,2],"b":{}}`},
		// Recursively, inside arrays and objects; arrays keep their order.
		{`{"z":{"y":[{"b":1,"a":[{"d":0,"c":0}]}],"x":null},"a":true}`, `{"a":true,"z":{"x":null,"y":[{"a":[{"c":0,"d":0}],"b":1}]}}`},
		{`[3,1,2]`, `[3,1,2]`},
		{`[ ]`, `[]`},
		{`{ }`, `{}`},
		// Numbers stay their JSON text.
		{`{"n":1.0,"m":1e2,"k":-0,"j":12345678901234567890123,"i":1E+2,"h":0.5e-3}`, `{"h":0.5e-3,"i":1E+2,"j":12345678901234567890123,"k":-0,"m":1e2,"n":1.0}`},
		// Strings keep their escapes, whitespace inside them stays.
		{`{"s":"a b\n\u00e9\"\\\/"}`, `{"s":"a b\n\u00e9\"\\\/"}`},
		{`"  x  "`, `"  x  "`},
		{`true`, `true`},
		{` null `, `null`},
		{`-12.5e+3`, `-12.5e+3`},
		// Keys sort by their bytes (UTF-8), decoded: "\u0062" is b.
		{`{"é":1,"z":2,"Z":3,"":4}`, `{"":4,"Z":3,"z":2,"é":1}`},
		{`{"\u0062":1,"a":2,"c":3}`, `{"a":2,"\u0062":1,"c":3}`},
		{`{"\ud83d\ude00":1,"\uffff":2}`, `{"\uffff":2,"\ud83d\ude00":1}`},
		// A prefix sorts first.
		{`{"ab":1,"a":2}`, `{"a":2,"ab":1}`},
	}
	for _, tt := range tests {
		got, err := AppendCanonical(nil, []byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendCanonical(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
			continue
		}
		if again, err := AppendCanonical(nil, got); err != nil || !bytes.Equal(again, got) {
			t.Errorf("AppendCanonical(%s) = %s, %v; not a fixed point", got, again, err)
		}
	}
	// It appends.
	if got, _ := AppendCanonical([]byte("x:"), []byte(`{"b":1,"a":2}`)); string(got) != `x:{"a":2,"b":1}` {
		t.Errorf("appended %s", got)
	}
}

func TestAppendCanonicalErrors(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := AppendCanonical(nil, []byte(ok)); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	tests := []struct {
		in   string
		want string
		is   error
	}{
		{``, "json: no value at offset 0", nil},
		{`   `, "json: no value at offset 3", nil},
		{`{"a":1,"a":2}`, `json: duplicate object key "a" in an object ending at offset 13`, ErrDuplicateKey},
		{`{"a":1,"b":{"c":1,"c":1}}`, `duplicate object key "c"`, ErrDuplicateKey},
		{`{"a":1,"\u0061":2}`, `duplicate object key "a"`, ErrDuplicateKey},
		{`{"b":1,"a":0,"\u0062":2}`, `duplicate object key "b"`, ErrDuplicateKey},
		{`{"\ud800":1}`, `lone surrogate`, nil},
		{`{"\udc00\ud800":1}`, `lone surrogate`, nil},
		{deep, "nested too deeply (more than 512 levels)", ErrTooDeep},
		{`{"a":1}x`, "unexpected data after the value at offset 7", nil},
		{`{"a":1} {}`, "unexpected data after the value", nil},
		{`{"a" 1}`, "expected a colon", nil},
		{`{a:1}`, "expected a string key at offset 1", nil},
		{`{"a":1,}`, "expected a string key", nil},
		{`{"a":1`, "unterminated object", nil},
		{`[1,2`, "unterminated array", nil},
		{`[1,]`, "invalid character ']' looking for a value", nil},
		{`[1 2]`, "after an array element", nil},
		{`{"a":1 "b":2}`, "after an object member", nil},
		{`"abc`, "unterminated string", nil},
		{`"a\`, "unterminated string", nil},
		{`"\x"`, `invalid escape "\\x"`, nil},
		{`"\u12g4"`, `invalid \u escape`, nil},
		{`"\u12"`, `invalid \u escape`, nil},
		{"\"a\tb\"", "control character", nil},
		{"\"\xff\"", "invalid UTF-8", nil},
		{"{\"\xc3\":1}", "invalid UTF-8", nil},
		{`01`, "unexpected data after the value at offset 1", nil},
		{`-`, "invalid number", nil},
		{`1.`, "no digit after the decimal point", nil},
		{`.5`, "invalid character '.'", nil},
		{`1e`, "no digit in the exponent", nil},
		{`1e+`, "no digit in the exponent", nil},
		{`+1`, "invalid character '+'", nil},
		{`tru`, "invalid literal (want true)", nil},
		{`nul`, "invalid literal (want null)", nil},
		{`NaN`, "invalid character 'N'", nil},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		got, err := AppendCanonical(dst, []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AppendCanonical(%.40q) error = %v; want it to contain %q", tt.in, err, tt.want)
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("AppendCanonical(%.40q) error %v does not wrap %v", tt.in, err, tt.is)
		}
		if string(got) != "keep" {
			t.Errorf("AppendCanonical(%.40q) changed dst to %q", tt.in, got)
		}
		if json.Valid([]byte(tt.in)) && utf8.ValidString(tt.in) && tt.is == nil && !strings.Contains(tt.want, "surrogate") {
			t.Errorf("%.40q is valid JSON for encoding/json, but refused: %v", tt.in, err)
		}
	}
}

// TestAppendCanonicalAllocs: once warm, canonicalising allocates nothing
// beyond growing dst, sorted or not.
func TestAppendCanonicalAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	for _, in := range []string{
		`{"path":"/srv/app","query":"deployment status","limit":10}`,
		`{"z":{"y":[{"b":1,"a":[{"d":0,"c":0}]}],"x":null},"a":true,"\u0062":"x"}`,
	} {
		dst, src := make([]byte, 0, 1024), []byte(in)
		n := testing.AllocsPerRun(100, func() {
			if _, err := AppendCanonical(dst[:0], src); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("AppendCanonical(%s): %v allocations per run, want 0", in, n)
		}
	}
}

// decodeSame reports whether a and b decode to the same value for
// encoding/json (numbers compared as their text).
func decodeSame(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if err := da.Decode(&va); err != nil {
		t.Fatalf("decoding %q: %v", a, err)
	}
	if err := db.Decode(&vb); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// FuzzCanonical: for any input the canonical form, when there is one, is
// valid JSON of the same value, a fixed point, and without whitespace
// outside strings; an input refused for its syntax is not valid JSON.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":2}`, `{ "a":2,"b":1 }`, `[{"b":[1,{"d":2,"c":3}],"a":"x"}]`, `"\u00e9\ud83d\ude00"`,
		`{"\u0062":1,"a":2}`, `-0.0e+00`, `{"a":{"a":{"a":{}}}}`, `{"a":1,"a":2}`, `[1,]`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := AppendCanonical(nil, in)
		if err != nil {
			if errors.Is(err, ErrDuplicateKey) || errors.Is(err, ErrTooDeep) || strings.Contains(err.Error(), "lone surrogate") {
				return
			}
			if json.Valid(in) && utf8.Valid(in) {
				t.Fatalf("valid JSON %q refused: %v", in, err)
			}
			return
		}
		if !json.Valid(out) || !json.Valid(in) {
			t.Fatalf("%q: canonical form %q (valid input %t)", in, out, json.Valid(in))
		}
		if !decodeSame(t, in, out) {
			t.Fatalf("%q: canonical form %q is another value", in, out)
		}
		again, err := AppendCanonical(nil, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonical(%q) = %q, canonical of that = %q, %v", in, out, again, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, out); err != nil || !bytes.Equal(compact.Bytes(), out) {
			t.Fatalf("canonical form %q has insignificant whitespace", out)
		}
	})
}

// jsonGen builds random JSON values and writes one value in different
// member orders and spacing.
type jsonGen struct{ r *rand.Rand }

type node struct {
	kind  byte // 'o' object, 'a' array, 'l' a literal text
	text  string
	keys  []string // object keys, as JSON literals
	elems []*node
}

func (g jsonGen) value(depth int) *node {
	k := g.r.IntN(10)
	if depth > 4 {
		k = 9
	}
	switch {
	case k < 3:
		n := &node{kind: 'o'}
		seen := map[string]bool{}
		for range g.r.IntN(6) {
			key := g.key()
			if seen[key] {
				continue
			}
			seen[key] = true
			n.keys = append(n.keys, strconv.Quote(key))
			n.elems = append(n.elems, g.value(depth+1))
		}
		return n
	case k < 5:
		n := &node{kind: 'a'}
		for range g.r.IntN(5) {
			n.elems = append(n.elems, g.value(depth+1))
		}
		return n
	}
	lits := []string{`0`, `-1.5e3`, `1.0`, `12345678901234567890`, `true`, `false`, `null`, `""`, `"x y"`, `"\u00e9"`, `"\n"`}
	return &node{kind: 'l', text: lits[g.r.IntN(len(lits))]}
}

func (g jsonGen) key() string {
	alphabet := []string{"a", "b", "B", "ab", "é", "z", "_", "😀", "1"}
	var sb strings.Builder
	for range g.r.IntN(3) + 1 {
		sb.WriteString(alphabet[g.r.IntN(len(alphabet))])
	}
	return sb.String()
}

// write renders n with its object members in a random order and random
// whitespace between tokens.
func (g jsonGen) write(sb *strings.Builder, n *node) {
	ws := func() {
		sb.WriteString([]string{"", "", " ", "\n  ", "\t", "\r\n"}[g.r.IntN(6)])
	}
	ws()
	switch n.kind {
	case 'l':
		sb.WriteString(n.text)
	case 'a':
		sb.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			g.write(sb, e)
		}
		ws()
		sb.WriteByte(']')
	case 'o':
		sb.WriteByte('{')
		for i, j := range g.r.Perm(len(n.keys)) {
			if i > 0 {
				sb.WriteByte(',')
			}
			ws()
			sb.WriteString(n.keys[j])
			ws()
			sb.WriteByte(':')
			g.write(sb, n.elems[j])
		}
		ws()
		sb.WriteByte('}')
	}
	ws()
}

// FuzzCanonicalPermutations: any two renderings of one value (members in
// other orders, other whitespace) have the same canonical form, and share
// a cache key.
func FuzzCanonicalPermutations(f *testing.F) {
	for i := range 20 {
		f.Add(uint64(i), uint64(i*7919))
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		g := jsonGen{r: rand.New(rand.NewPCG(s1, s2))}
		v := g.value(0)
		var a, b strings.Builder
		g.write(&a, v)
		g.write(&b, v)
		ca, err := AppendCanonical(nil, []byte(a.String()))
		if err != nil {
			t.Fatalf("%s: %v", a.String(), err)
		}
		cb, err := AppendCanonical(nil, []byte(b.String()))
		if err != nil {
			t.Fatalf("%s: %v", b.String(), err)
		}
		if !bytes.Equal(ca, cb) {
			t.Fatalf("one value, two canonical forms:\n%s -> %s\n%s -> %s", a.String(), ca, b.String(), cb)
		}
		if !decodeSame(t, []byte(a.String()), ca) {
			t.Fatalf("%s: canonical form %s is another value", a.String(), ca)
		}
		ka, _ := Key(KeyParts{Server: "s", Tool: "s__t", Args: []byte(a.String())})
		kb, _ := Key(KeyParts{Server: "s", Tool: "s__t", Args: []byte(b.String())})
		if ka != kb {
			t.Fatalf("one value, two keys: %s, %s", a.String(), b.String())
		}
	})
}

func TestKey(t *testing.T) {
	base := KeyParts{Server: "s", Tool: "s__t", Principal: "alice", Args: []byte(`{"b":1,"a":2}`)}
	k0, err := Key(base)
	if err != nil || len(k0) != KeyLen || strings.Trim(k0, "0123456789abcdef") != "" {
		t.Fatalf("Key = %q, %v; want 64 hex digits", k0, err)
	}
	with := func(f func(*KeyParts)) KeyParts { p := base; f(&p); return p }
	same := []KeyParts{
		with(func(p *KeyParts) { p.Args = []byte(`{ "a":2,"b":1 }`) }),
		with(func(p *KeyParts) { p.Args = []byte("\n{\"a\" : 2 ,\n \"b\":1}\n") }),
	}
	for _, p := range same {
		if k, err := Key(p); err != nil || k != k0 {
			t.Errorf("Key(%+v) = %s, %v; want the key of %s", p, k, err, base.Args)
		}
	}
	differ := map[string]KeyParts{
		"other principal":           with(func(p *KeyParts) { p.Principal = "bob" }),
		"shared":                    with(func(p *KeyParts) { p.Scope = Shared }),
		"other server":              with(func(p *KeyParts) { p.Server = "s2" }),
		"other tool":                with(func(p *KeyParts) { p.Tool = "s__u" }),
		"other argument value":      with(func(p *KeyParts) { p.Args = []byte(`{"b":1,"a":3}`) }),
		"number spelled otherwise":  with(func(p *KeyParts) { p.Args = []byte(`{"b":1.0,"a":2}`) }),
		"no arguments":              with(func(p *KeyParts) { p.Args = nil }),
		"empty arguments":           with(func(p *KeyParts) { p.Args = []byte(`{}`) }),
		"server/tool boundary":      with(func(p *KeyParts) { p.Server, p.Tool = "ss", "__t" }),
		"tool/principal boundary":   with(func(p *KeyParts) { p.Tool, p.Principal = "s__tal", "ice" }),
		"private with no principal": with(func(p *KeyParts) { p.Principal = "" }),
	}
	seen := map[string]string{k0: "base"}
	for name, p := range differ {
		k, err := Key(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("%s: same key as %s", name, prev)
		}
		seen[k] = name
	}
	// Shared keys ignore the principal.
	s1, _ := Key(with(func(p *KeyParts) { p.Scope = Shared }))
	s2, _ := Key(with(func(p *KeyParts) { p.Scope, p.Principal = Shared, "bob" }))
	if s1 != s2 {
		t.Error("shared keys differ by principal")
	}
	if _, err := Key(with(func(p *KeyParts) { p.Args = []byte(`{"a":1,"a":2}`) })); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("duplicate keys: err %v", err)
	}
}

func TestKeyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	p := KeyParts{Server: "s", Tool: "s__t", Principal: "alice", Args: []byte(`{"query":"deployment status","path":"/srv/app"}`)}
	n := testing.AllocsPerRun(100, func() {
		if _, err := Key(p); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Errorf("Key: %v allocations per run, want at most 1 (the string)", n)
	}
}

func BenchmarkKey(b *testing.B) {
	for _, tc := range []struct{ name, args string }{
		{"sorted", `{"limit":10,"path":"/srv/app/releases","query":"deployment status of api-gateway"}`},
		{"unsorted", `{"query":"deployment status of api-gateway","path":"/srv/app/releases","limit":10}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := KeyParts{Server: "s", Tool: "s__t", Principal: "alice", Args: []byte(tc.args)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Key(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleAppendCanonical() {
	out, _ := AppendCanonical(nil, []byte(`{ "b": [1, {"d": 2, "c": 3}], "a": 1.0 }`))
	fmt.Println(string(out))
	// Output: {"a":1.0,"b":[1,{"c":3,"d":2}]}
}
