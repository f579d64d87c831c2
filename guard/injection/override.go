package injection

// The compositional override signal: a dismissal verb ("ignore", "set
// aside", "vergiss", "olvida", "забудь", "忽略") followed, within the same
// clause, by a word for the model's prior guidance ("instructions",
// "guidance", "what you were told", "Anweisungen", "lo que te dijeron")
// and a word placing it before or above ("previous", "earlier", "before",
// "all", "your", "vorher", "antes", "раньше"). It catches paraphrases the
// fixed phrases miss. Guidance for a human procedure ("the installation
// instructions above") does not count.

import "strings"

// stemSet matches folded tokens by prefix (entries ending in '*') or exactly.
type stemSet struct {
	exact map[string]bool
	stems [][]byte
}

func newStemSet(words string) stemSet {
	s := stemSet{exact: make(map[string]bool)}
	for _, w := range strings.Fields(words) {
		prefix := strings.HasSuffix(w, "*")
		w = strings.TrimSuffix(w, "*")
		b := []byte(w)
		t, ok := nextToken(b, 0)
		if !ok {
			continue
		}
		f := foldToken(nil, b, t)
		if prefix {
			s.stems = append(s.stems, f)
		} else {
			s.exact[string(f)] = true
		}
	}
	return s
}

func (s *stemSet) has(c *ctok) bool {
	if c.fl < 0 {
		return false
	}
	f := c.fold[:c.fl]
	if s.exact[string(f)] {
		return true
	}
	for _, p := range s.stems {
		if len(f) >= len(p) && string(f[:len(p)]) == string(p) {
			return true
		}
	}
	return false
}

var (
	// Single-token dismissal verbs; the multi-word ones ("set aside",
	// "pay no attention") are phrase patterns.
	dismissWords = newStemSet(`ignore disregard forget discard abandon overlook dismiss neglect ditch aside
		ignoriere ignorier ignorieren vergiss vergesst vergessen missachte missachten verwirf verwerfe übergehe
		ignorez ignorer oublie oubliez oublier néglige négligez écarte écartez
		ignora ignorad ignoren olvida olvide olviden olvidad descarta descarte omite omita desestima
		ignori ignorate dimentica dimentichi dimenticate trascura tralascia
		esqueça esquece esqueçam desconsidere desconsidera despreze
		negeer negeren vergeet
		игнорируй игнорируйте проигнорируй забудь забудьте отбрось отбросьте отмени отмените`)
	// The model's prior guidance.
	guidanceWords = newStemSet(`instruction* guidance guideline* rules rule orders directions prompt
		prompts policy policies programming training told taught instructed constraints restrictions commands
		anweisung* instruktion* regel* befehl* vorgabe* richtlinie* gesagt
		consigne* règle* dit dites
		instrucci* indicaci* regla* órdenes ordenes directrices dijeron dicho
		istruzion* regol* direttiv* detto detti
		instruç* regra* orienta* diretriz* dito disseram
		instructie* aanwijzing* opdracht* gezegd
		инструкци* указани* правил* сказали говорили сказано`)
	// Words that place the guidance before this text, or make it the model's.
	priorWords = newStemSet(`previous* prior earlier before above preceding original initial all your every
		beforehand foregoing former
		vorherig* bisherig* vorher zuvor oben alle alles deine ihre früher*
		précédent* antérieur* auparavant avant ci-dessus tout toutes tes vos
		anterior* antes previ* arriba todo todas tus sus
		precedent* prima sopra tutto tutte tue
		acima tudo suas tuas
		vorige eerdere eerder hiervoor bovenstaande jouw
		предыдущ* прежн* выше ранее раньше все всё свои твои`)
	// Human procedures: "ignore the installation instructions above" is
	// about a reader, not the model.
	procedureWords = newStemSet(`installation install setup build assembly cooking care washing wiring download
		upgrade migration deployment maintenance cleaning shipping return parking formatting contribution
		contributing lint linter eslint compiler test testing spam firewall git gitignore css html
		styling style dosage usage operating safety boarding checkout`)
)

// checkOverride runs at a dismissal verb.
func checkOverride(st *state, t token, _ int) {
	c := &st.cache
	c.reset(st.text, t)
	if !dismissWords.has(&c.toks[0]) {
		return
	}
	prior := false
	pos := t.end
	var prev *ctok
	for k := 0; k < 12; k++ {
		ct, ok := c.at(pos)
		if !ok || ct.t.brk {
			return
		}
		if priorWords.has(ct) {
			prior = true
		}
		if guidanceWords.has(ct) {
			if prev != nil && procedureWords.has(prev) {
				return
			}
			end := ct.t.end
			// a qualifier may follow the noun: "the instructions above"
			if !prior {
				q := end
				for j := 0; j < 3; j++ {
					nt, ok := c.at(q)
					if !ok || nt.t.brk {
						break
					}
					if priorWords.has(nt) {
						prior, end = true, nt.t.end
						break
					}
					q = nt.t.end
				}
			}
			w := 0.45
			if prior {
				w = 0.75
			}
			neg, weak := imperativeContext(st.text, t.start, end)
			if neg {
				return
			}
			if weak {
				w *= weakDamp
			}
			st.add(rIgnore, t.start, end, w, "")
			return
		}
		// a second dismissal verb or a clause joiner ends the clause
		if k > 0 && (dismissWords.has(ct) || ct.fl == 3 && string(ct.fold[:3]) == "and") {
			return
		}
		prev = ct
		pos = ct.t.end
	}
}
