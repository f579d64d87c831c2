package secrets

// seg is one part of a token shape: one of a set of literals, or a run of
// bytes of an alphabet with a length in [min, max].
type seg struct {
	lits     []string
	class    alphabet
	min, max int
}

// lit is a segment matching one of the given literals exactly.
func lit(alternatives ...string) seg { return seg{lits: alternatives} }

// run is a segment of min to max bytes of class, taken greedily.
func run(class alphabet, min, max int) seg { return seg{class: class, min: min, max: max} }

// exactly is a segment of n bytes of class.
func exactly(class alphabet, n int) seg { return run(class, n, n) }

// shape is the layout of a token: segments matched left to right without
// backtracking (a run takes as many bytes as it may), then a boundary.
type shape struct {
	segs []seg
	// edge holds the bytes that may not touch the token on either side,
	// so that a token inside a longer word is not reported.
	edge alphabet
	// from is the first segment inside the reported span (to leave out a
	// "name=" literal).
	from int
	// body is the first segment of the random part, the part checked for
	// placeholders.
	body int
	// check, if set, validates the whole token.
	check func(tok []byte) bool
}

// token builds a shape from segments. Its edge is \w plus the alphabet of
// the last run; its random part starts after a leading literal.
func token(segs ...seg) shape {
	sh := shape{segs: segs, edge: word}
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].lits == nil {
			sh.edge |= segs[i].class
			break
		}
	}
	if segs[0].lits != nil {
		sh.body = 1
	}
	return sh
}

// withEdge returns sh with its edge replaced.
func (sh shape) withEdge(edge alphabet) shape { sh.edge = edge; return sh }

// withCheck returns sh with a whole-token validation.
func (sh shape) withCheck(check func(tok []byte) bool) shape { sh.check = check; return sh }

// spanFrom returns sh reporting only segments from index i on.
func (sh shape) spanFrom(i int) shape {
	sh.from = i
	if sh.body < i {
		sh.body = i
	}
	return sh
}

// triggers returns the literals of the first segment.
func (sh shape) triggers() []trigger {
	var ts []trigger
	for _, l := range sh.segs[0].lits {
		ts = append(ts, trigger{text: l})
	}
	return ts
}

// matchAt matches the shape at t[i:]. It returns the reported span
// [start, end) and where the random part begins, or end = -1.
//
// The byte before the token may be '=' even where '=' is in the edge:
// base64 has '=' only as trailing padding, so "key=TOKEN" starts a token.
// A token whose last segment may hold '.' does not take the full stop of
// a sentence (see trimFullStops).
func (sh *shape) matchAt(t []byte, i int) (start, body, end int) {
	if !startsToken(t, i, sh.edge&^cEquals) {
		return 0, 0, -1
	}
	begin := i
	start, body = i, i
	stopped := false // the token ended at a full stop
	for k := range sh.segs {
		sg := &sh.segs[k]
		if k == sh.from {
			start = i
		}
		if k == sh.body {
			body = i
		}
		if sg.lits != nil {
			n := -1
			for _, l := range sg.lits {
				if hasPrefixAt(t, i, l) {
					n = len(l)
					break
				}
			}
			if n < 0 {
				return 0, 0, -1
			}
			i += n
			continue
		}
		j := runEnd(t, i, sg.class, sg.max)
		if k == len(sh.segs)-1 && sg.class&cDot != 0 {
			if e := trimFullStops(t, i, j, sg.max); e != j {
				j, stopped = e, true
			}
		}
		if j-i < sg.min {
			return 0, 0, -1
		}
		i = j
	}
	if !stopped && !endsToken(t, i, sh.edge) {
		return 0, 0, -1
	}
	if sh.check != nil && !sh.check(t[begin:i]) {
		return 0, 0, -1
	}
	return start, body, i
}

// match matches the shape at i and rejects stand-ins; it is the matcher of
// a rule whose trigger is the token's first literal.
func (sh *shape) match(t []byte, i int) span {
	start, body, end := sh.matchAt(t, i)
	if end < 0 || isPlaceholderToken(t[body:end]) {
		return span{}
	}
	return span{start: start, end: end}
}

// prefixed builds a structured rule for tokens of the given shape, which
// must start with a literal (the rule's triggers).
func prefixed(id, label, description string, sh shape) *rule {
	return &rule{
		id: id, label: label, description: description,
		tier:     tierStructured,
		triggers: sh.triggers(),
		match:    func(t []byte, h hit) span { return sh.match(t, h.start) },
	}
}

// prefixedAny builds a structured rule for tokens of any of the shapes;
// the triggers are the first literals of all of them.
func prefixedAny(id, label, description string, shapes ...shape) *rule {
	r := &rule{id: id, label: label, description: description, tier: tierStructured}
	seen := map[string]bool{}
	for _, sh := range shapes {
		for _, tr := range sh.triggers() {
			if !seen[tr.text] {
				seen[tr.text] = true
				r.triggers = append(r.triggers, tr)
			}
		}
	}
	r.match = func(t []byte, h hit) span {
		for i := range shapes {
			if s := shapes[i].match(t, h.start); s.ok() {
				return s
			}
		}
		return span{}
	}
	return r
}

// uuidShape is a UUID in its 8-4-4-4-12 hex form.
var uuidShape = token(
	exactly(hexAny, 8), lit("-"), exactly(hexAny, 4), lit("-"), exactly(hexAny, 4), lit("-"),
	exactly(hexAny, 4), lit("-"), exactly(hexAny, 12),
).withEdge(alnum | cDash)

// hasLetterAndDigit reports whether tok holds at least one ASCII letter and
// one digit.
func hasLetterAndDigit(tok []byte) bool {
	return countIn(tok, alpha) > 0 && countIn(tok, cDigit) > 0
}

// trimFullStops shortens the run t[i:j] of a class that holds '.' by the
// dots that end a sentence: trailing dots followed by a space, a line
// break (real or JSON-escaped) or the end of the text. Before anything
// else — a quote, a bracket — a trailing dot is taken as part of the
// token. A run that stopped at its maximum length is first extended by
// its trailing dots.
func trimFullStops(t []byte, i, j, max int) int {
	e := j
	for e < len(t) && t[e] == '.' {
		e++
	}
	lineBreak := e+1 < len(t) && t[e] == '\\' && (t[e+1] == 'n' || t[e+1] == 'r' || t[e+1] == 't')
	if e < len(t) && !in(t[e], cSpace|cNewline) && !lineBreak {
		return j
	}
	for j > i && t[j-1] == '.' {
		j--
	}
	return j
}
