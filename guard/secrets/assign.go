package secrets

// assignment is `identifier <op> value` around a keyword hit, in any of
// the usual notations: NAME=value, name: value, "name": "value",
// name := "value", name => 'value', <name>value</name>, --name value.
type assignment struct {
	identStart, identEnd int // the identifier holding the keyword
	valStart             int // first byte of the value (after any quote)
	quote                byte
}

// ident returns the identifier of a.
func (a assignment) ident(t []byte) []byte { return t[a.identStart:a.identEnd] }

// maxIdentifier bounds how far an identifier is followed around a
// keyword.
const maxIdentifier = 64

// findAssignment looks for an assignment whose identifier contains the
// keyword hit h.
func findAssignment(t []byte, h hit) (assignment, bool) {
	var a assignment
	a.identStart = runStart(t, h.start, identChars, maxIdentifier)
	a.identEnd = runEnd(t, h.end, identChars, maxIdentifier)
	i := a.identEnd
	var j, op int
	for words := 0; ; words++ {
		// The closing quote of a quoted key (possibly JSON-escaped), spaces.
		j = i
		for n := 0; j < len(t) && n < 4 && (in(t[j], cQuote|cSpace) || t[j] == '\\'); n++ {
			j++
		}
		if op = operatorLen(t, j, a.identStart); op > 0 {
			break
		}
		// A command-line flag: --password value.
		if words == 0 && hasPrefixAt(t, a.identStart, "--") && j == i+1 && t[i] == ' ' {
			break
		}
		// A name of up to three words: "API key: …", "secret access key = …".
		k := skipRun(t, i, cSpace, 2)
		e := runEnd(t, k, identChars, 24)
		if words == 2 || k == i || e == k || !in(t[k], alpha) {
			return a, false
		}
		i = e
	}
	a.identEnd = i
	j += op
	j = skipRun(t, j, cSpace, 4)
	if j < len(t) && t[j] == '\\' && j+1 < len(t) && in(t[j+1], cQuote) {
		j++ // JSON-escaped opening quote
	}
	if j < len(t) && in(t[j], cQuote) {
		a.quote = t[j]
		j++
	}
	a.valStart = j
	return a, j < len(t)
}

// operatorLen returns the length of the assignment operator at t[i:], or 0.
func operatorLen(t []byte, i, identStart int) int {
	if i >= len(t) {
		return 0
	}
	next := byte(0)
	if i+1 < len(t) {
		next = t[i+1]
	}
	switch t[i] {
	case '=':
		switch next {
		case '>':
			return 2
		case '=': // a comparison, not an assignment
			return 0
		}
		return 1
	case ':':
		switch {
		case hasPrefixAt(t, i, "::="):
			return 3
		case next == '=':
			return 2
		case next == ':': // a scope operator (pkg::name), not an assignment
			return 0
		}
		return 1
	case '>':
		if identStart > 0 && t[identStart-1] == '<' { // <name>value</name>
			return 1
		}
	case '?': // ?= in make files
		if next == '=' {
			return 2
		}
	}
	return 0
}

// assignedValue returns the bounds of the value of a: up to the closing
// quote if it was quoted, otherwise up to the first space, quote or
// delimiter. It fails on values longer than max bytes, empty values and
// quoted values that run to the end of the line.
func assignedValue(t []byte, a assignment, max int) (start, end int, ok bool) {
	s := a.valStart
	lim := s + max + 1
	if lim > len(t) {
		lim = len(t)
	}
	if a.quote != 0 {
		for k := s; k < lim; k++ {
			switch t[k] {
			case a.quote:
				e := k
				if e > s && t[e-1] == '\\' { // JSON-escaped closing quote
					e--
				}
				return s, e, e > s
			case '\n', '\r':
				return 0, 0, false
			}
		}
		return 0, 0, false
	}
	e := s
	for e < lim && classOf[t[e]]&valueStop == 0 {
		e++
	}
	if e-s > max {
		return 0, 0, false
	}
	return s, e, e > s
}

// wordSpan is one word of an identifier.
type wordSpan struct{ start, end int }

// maxIdentWords bounds how many words of an identifier are looked at.
const maxIdentWords = 12

// identWords splits an identifier in snake, kebab, dotted or camel case
// into words ("nextPageToken" → next, Page, Token; "APIKey" → API, Key)
// and returns how many it stored in out.
func identWords(id []byte, out *[maxIdentWords]wordSpan) int {
	n := 0
	i := 0
	for i < len(id) && n < maxIdentWords {
		for i < len(id) && !in(id[i], alnum) {
			i++
		}
		if i >= len(id) {
			break
		}
		s := i
		i++
		for i < len(id) && in(id[i], alnum) {
			c, p := id[i], id[i-1]
			if in(c, cUpper) {
				if in(p, cLower|cDigit) {
					break
				}
				if in(p, cUpper) && i+1 < len(id) && in(id[i+1], cLower) {
					break
				}
			}
			i++
		}
		out[n] = wordSpan{s, i}
		n++
	}
	return n
}

// wordList is a set of identifier words; an entry ending in '*' matches
// every word it starts.
type wordList []string

// matches reports whether w (any case) is in the list.
func (l wordList) matches(w []byte) bool {
	for _, e := range l {
		if e[len(e)-1] == '*' {
			if len(w) >= len(e)-1 && hasPrefixFold(w, 0, e[:len(e)-1]) {
				return true
			}
		} else if equalFold(w, e) {
			return true
		}
	}
	return false
}

// identHas reports whether some word of ident is in l.
func identHas(ident []byte, l wordList) bool {
	var ws [maxIdentWords]wordSpan
	n := identWords(ident, &ws)
	for _, w := range ws[:n] {
		if l.matches(ident[w.start:w.end]) {
			return true
		}
	}
	return false
}

// assigned builds a context-tier rule for a provider value of one of the
// shapes, assigned to an identifier holding one of the keywords (lower
// case; matched ignoring case). identOK, if set, must accept the
// identifier.
func assigned(id, label, description string, keywords []string, identOK func(ident []byte) bool, shapes ...shape) *rule {
	r := &rule{id: id, label: label, description: description, tier: tierContext}
	for _, k := range keywords {
		r.triggers = append(r.triggers, trigger{text: k, fold: true})
	}
	r.match = func(t []byte, h hit) span {
		a, ok := findAssignment(t, h)
		if !ok {
			return span{}
		}
		if identOK != nil && !identOK(a.ident(t)) {
			return span{next: a.identEnd}
		}
		for i := range shapes {
			if s := shapes[i].match(t, a.valStart); s.ok() {
				return s
			}
		}
		return span{next: a.identEnd}
	}
	return r
}

// identContains returns an identOK that accepts identifiers containing any
// of the fragments (lower case), ignoring case.
func identContains(fragments ...string) func([]byte) bool {
	return func(ident []byte) bool {
		for _, f := range fragments {
			if containsFold(ident, f) {
				return true
			}
		}
		return false
	}
}

// mentions reports whether any of the words (lower case) occurs, ignoring
// case, in the window bytes before i.
func mentions(t []byte, i, window int, words ...string) bool {
	s := i - window
	if s < 0 {
		s = 0
	}
	for _, w := range words {
		if containsFold(t[s:i], w) {
			return true
		}
	}
	return false
}
