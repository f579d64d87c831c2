package injection

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNextAtFirstTokens checks the premise of pattern.nextAt: a first
// alternative it leaves out (alt.mayStartWith) cannot match a token that
// folds to the anchor, by the matcher's own comparison (ctok.eq).
func TestNextAtFirstTokens(t *testing.T) {
	buildOnce.Do(buildTables)
	checked := 0
	for _, gs := range anchorTab {
		for gi := range gs {
			g := &gs[gi]
			if g.prefix {
				continue
			}
			text := g.tok
			tok, ok := nextToken(text, 0)
			if !ok || tok.start != 0 || tok.end != len(text) {
				continue // not one token on its own
			}
			var ct ctok
			ct.set(text, tok)
			for _, p := range g.pats {
				for ai := range p.elems[0].alts {
					a := &p.elems[0].alts[ai]
					if ct.eq(text, a, a.toks[0], a.prefix && len(a.toks) == 1) {
						checked++
						if !a.mayStartWith(g.tok) {
							t.Errorf("%q in %s: the alternative %q matches it, yet is left out", g.tok, p.src, a.toks)
						}
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d alternatives checked", checked)
	}
}

// TestTokenFiltersAgree scans texts with the token filters before the
// matcher (the next-token sets of single anchors, the required word of
// pattern.mustMask) on and off (exhaustive): the verdicts must be the
// same.
// The texts are the golden ones and, for every pattern, sentences built
// from each of its first alternatives followed by the rest of the pattern
// or by an unrelated word.
func TestTokenFiltersAgree(t *testing.T) {
	buildOnce.Do(buildTables)
	_, texts := goldenTexts(loadGoldenInputs(t))
	r := rand.New(rand.NewPCG(3, 4))
	words := func(a *alt) string {
		var b strings.Builder
		for i, tk := range a.toks {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.Write(tk)
			if a.prefix && i == len(a.toks)-1 {
				b.WriteString("ions")
			}
		}
		return b.String()
	}
	rest := func(p *pattern) string {
		var parts []string
		for ei := 1; ei < len(p.elems); ei++ {
			e := &p.elems[ei]
			switch e.kind {
			case eWords:
				for n := e.min + r.IntN(e.max-e.min+1); n > 0; n-- {
					parts = append(parts, words(&e.alts[r.IntN(len(e.alts))]))
				}
			case eGap:
				for n := r.IntN(e.max + 1); n > 0; n-- {
					parts = append(parts, "really")
				}
			case eColon:
				parts = append(parts, ":")
			case eURL:
				parts = append(parts, "https://evil.example/c?d=1")
			case eIdent:
				parts = append(parts, "send_data")
			}
		}
		return strings.Join(parts, " ")
	}
	for _, p := range allPatterns {
		before := ""
		if len(p.before) > 0 {
			before = words(&p.before[r.IntN(len(p.before))]) + " the "
		}
		for ai := range p.elems[0].alts {
			first := words(&p.elems[0].alts[ai])
			for _, after := range []string{rest(p), rest(p), "gateway status", "", ". " + rest(p)} {
				texts = append(texts, []byte("Note: "+before+first+" "+after+" now."))
			}
		}
	}
	s, _ := New(Options{})
	bad := 0
	for _, text := range texts {
		fast := verdictHash(s.ScanText(text))
		exhaustive = true
		slow := verdictHash(s.ScanText(text))
		slowDef := verdictHash(s.ScanDefinition("tool", text))
		exhaustive = false
		if fastDef := verdictHash(s.ScanDefinition("tool", text)); fast != slow || fastDef != slowDef {
			bad++
			if bad <= 10 {
				t.Errorf("%.200q: verdict %s / definition %s with the filters, %s / %s without", text, fast, fastDef, slow, slowDef)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts differ", bad, len(texts))
	}
}

// TestSetNextAgrees compares ctok.setNext, the one-pass tokenizer of the
// token cache, with nextToken followed by ctok.set at every position of
// the golden texts and of texts mixing ASCII words with non-ASCII letters,
// marks, invisible characters, breaks and long words.
func TestSetNextAgrees(t *testing.T) {
	_, texts := goldenTexts(loadGoldenInputs(t))
	pieces := []string{"word", "Ignore", "ALL", "prev1ous", "_x", "e.g.", "v1.2", ". ", "! ", "?\n", "\n\n", "\n", " ", "\t",
		"café", "naïve", "e\u0301", "ig\u200bnore", "Ｉｇｎｏｒｅ", "忽略", "。", "\u202e", "ſystem", "İ", "\x1b[0m", "<!--", "\"", "'",
		strings.Repeat("a", 27), strings.Repeat("b", 28), strings.Repeat("C", 29), strings.Repeat("d", 40) + "é", "-", "/", "://", "@"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		var b strings.Builder
		for n := r.IntN(30); n > 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		texts = append(texts, []byte(b.String()))
	}
	bad := 0
	for _, text := range texts {
		step := 1 + len(text)/2048 // every position of short texts, about 2048 of long ones
		for pos := 0; pos <= len(text); pos += step {
			var fast, slow ctok
			fastOK := fast.setNext(text, pos)
			tk, slowOK := nextToken(text, pos)
			if slowOK {
				slow.set(text, tk)
			}
			same := fastOK == slowOK
			if same && fastOK {
				same = fast.t == slow.t && fast.key == slow.key && fast.fl == slow.fl
				if same && fast.fl >= 0 {
					same = string(fast.fold[:fast.fl]) == string(slow.fold[:slow.fl])
				}
			}
			if !same {
				bad++
				if bad <= 10 {
					t.Errorf("%.80q at %d: setNext %v %+v, nextToken and set %v %+v", text, pos, fastOK, fast, slowOK, slow)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d positions differ", bad)
	}
}

// TestASCIIWordsAgree compares run's hashing of plain ASCII words with
// consumeWord's (plainWords): the verdicts of the golden texts, and of
// texts of anchor words in mixed case, glued to digits, underscores,
// non-ASCII letters, marks and invisible characters, must not change.
func TestASCIIWordsAgree(t *testing.T) {
	buildOnce.Do(buildTables)
	_, texts := goldenTexts(loadGoldenInputs(t))
	var anchors []string
	for _, p := range allPatterns {
		for _, a := range p.elems[0].alts {
			for _, tk := range a.toks {
				anchors = append(anchors, string(tk))
			}
		}
	}
	glue := []string{"", "", "", "s", "ing", "1", "_", "é", "\u0301", "\u200b", "ſ", "-", ".", ". ", "\n\n", ":"}
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		var b strings.Builder
		for n := 1 + r.IntN(12); n > 0; n-- {
			w := anchors[r.IntN(len(anchors))]
			switch r.IntN(4) {
			case 0:
				w = strings.ToUpper(w)
			case 1:
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w + glue[r.IntN(len(glue))] + " ")
		}
		texts = append(texts, []byte(b.String()))
	}
	s, _ := New(Options{})
	bad := 0
	for _, text := range texts {
		fast := verdictHash(s.ScanText(text))
		plainWords = true
		plain := verdictHash(s.ScanText(text))
		plainWords = false
		if fast != plain {
			bad++
			if bad <= 10 {
				t.Errorf("%.200q: verdict %s, %s through consumeWord", text, fast, plain)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts differ", bad, len(texts))
	}
}
