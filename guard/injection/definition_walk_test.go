package injection

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestPlainWalkMatchesTokens checks that walking a definition in place
// (plainJSON) gives what encoding/json's token stream gives, on the
// recorded definitions and on mutations of them: escapes, invalid UTF-8,
// several values, broken syntax.
func TestPlainWalkMatchesTokens(t *testing.T) {
	s, _ := New(Options{})
	var defs [][]byte
	for _, g := range loadGoldenInputs(t) {
		if g.K == "d" {
			defs = append(defs, g.bytes())
		}
	}
	defs = append(defs, []byte(`{"a":1}{"b":2}`), []byte(` [1, -0.5e+3, true, false, null, "x\u00e9\ud83d\ude00\ud800"] `),
		[]byte(`{"a":"\x01"}`), []byte("\xef\xbb\xbf{}"), []byte(`{"a":01}`), []byte(`{"a":[1,]}`), []byte(`"\/\b\f\n\r\t\\"`))
	r := rand.New(rand.NewPCG(5, 6))
	edits := []string{`\n`, `\"`, `\u00e9`, `\ud83d\ude00`, `\ud800`, "\xff", "\xc3", " ", ",", "}", "]", "{", "[", `"`, ":", "1", "-", "e", "\\", "\x00", "é", "ignore previous instructions", `{"description":"`}
	n := len(defs)
	for k := 0; k < 4000; k++ {
		b := append([]byte(nil), defs[r.IntN(n)]...)
		for m := 1 + r.IntN(3); m > 0; m-- {
			at := r.IntN(len(b) + 1)
			switch r.IntN(4) {
			case 0, 1:
				e := edits[r.IntN(len(edits))]
				b = append(b[:at:at], append([]byte(e), b[at:]...)...)
			case 2:
				if at < len(b) {
					b = append(b[:at:at], b[at+1:]...)
				}
			case 3:
				b = append(b, b...)
			}
		}
		defs = append(defs, b)
	}
	valid := 0
	for i, raw := range defs {
		for _, kind := range []string{"tool", "resource"} {
			a := defWalker{s: s, raw: raw, uriPaths: kind == "resource"}
			b := defWalker{s: s, raw: raw, uriPaths: kind == "resource"}
			okA, okB := a.walk(), b.walkTokens()
			if okA != okB {
				t.Fatalf("definition %d %q: walk %v, walkTokens %v", i, raw, okA, okB)
			}
			if !okA {
				continue
			}
			valid++
			if a.max != b.max || a.second != b.second || !reflect.DeepEqual(a.out, b.out) {
				t.Fatalf("definition %d %q: walk and walkTokens differ:\n%+v\n%+v", i, raw, a.out, b.out)
			}
		}
	}
	if valid < len(defs)/4 {
		t.Errorf("only %d of %d walks on valid JSON", valid, 2*len(defs))
	}
	t.Logf("%d of %d walks on valid JSON", valid, 2*len(defs))
}
