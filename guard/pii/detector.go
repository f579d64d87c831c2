// Package pii finds personal data in decoded text: card numbers, e-mail
// and IP addresses, phone numbers, crypto wallets, national identifiers
// and (optionally) person names. Entity names, the validation of each
// value and the scoring follow Microsoft Presidio's recognizers: a
// pattern gives a candidate and a base score, a checksum or format rule
// confirms or rejects it, and context words shortly before (or just
// after) the value raise the score.
//
// The detector makes one pass over the text, stopping only at bytes that
// can start or anchor a value (digits, '@', ':' and, when PERSON is
// enabled, capital letters), so it runs at memory-scanning speed on text
// without personal data and does not allocate for it.
package pii

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strings"

	"github.com/mcpgw/mcp-gateway/guard"
)

// Entity indexes; the order is the tie-break between equally scored,
// equally long matches of the same span.
const (
	entCreditCard = iota
	entCrypto
	entEmail
	entIBAN
	entIP
	entMedicalLicense
	entPhone
	entUKNHS
	entUKNINO
	entUSSSN
	entUSITIN
	entUSPassport
	entUKPostcode
	entUSBank
	entUSDriverLicense
	entPerson
	numEntities
)

var entityNames = [numEntities]string{
	entCreditCard:      "CREDIT_CARD",
	entCrypto:          "CRYPTO",
	entEmail:           "EMAIL_ADDRESS",
	entIBAN:            "IBAN_CODE",
	entIP:              "IP_ADDRESS",
	entMedicalLicense:  "MEDICAL_LICENSE",
	entPhone:           "PHONE_NUMBER",
	entUKNHS:           "UK_NHS",
	entUKNINO:          "UK_NINO",
	entUSSSN:           "US_SSN",
	entUSITIN:          "US_ITIN",
	entUSPassport:      "US_PASSPORT",
	entUKPostcode:      "UK_POSTCODE",
	entUSBank:          "US_BANK_NUMBER",
	entUSDriverLicense: "US_DRIVER_LICENSE",
	entPerson:          "PERSON",
}

// defaultSet marks the entities DefaultEntities returns: those that are
// validated well enough to run on arbitrary text without context.
var defaultSet = [numEntities]bool{
	entCreditCard: true, entCrypto: true, entEmail: true, entIBAN: true,
	entIP: true, entMedicalLicense: true, entPhone: true, entUKNHS: true,
	entUKNINO: true, entUSSSN: true, entUSITIN: true, entUSPassport: true,
}

// DefaultThreshold is the minimum score reported when Options.Threshold
// is 0. Validated values (checksums, strict formats) score at or above
// it on their own; weak patterns (a bare nine-digit number as an SSN or
// a passport number) score below it and are reported only with a
// context word nearby.
const DefaultThreshold = 0.5

// ContextBoost is added to a candidate's score when one of its entity's
// context words is near it; the result is capped at 1.
const ContextBoost = 0.35

// Entities returns the names of all supported entities.
func Entities() []string {
	out := make([]string, numEntities)
	copy(out, entityNames[:])
	return out
}

// DefaultEntities returns the entities detected when Options.Entities is
// nil: all but UK_POSTCODE, US_BANK_NUMBER, US_DRIVER_LICENSE (weak,
// context-gated patterns a postcode or a long number would trip) and
// PERSON (name matching is not precise enough for every text).
func DefaultEntities() []string {
	var out []string
	for e, on := range defaultSet {
		if on {
			out = append(out, entityNames[e])
		}
	}
	return out
}

// Options configures a Detector. The zero value is the default set at
// the default threshold.
type Options struct {
	// Entities lists the entity names to detect; nil means
	// DefaultEntities(). An empty non-nil list is an error.
	Entities []string
	// Threshold is the minimum score reported, in (0, 1]; 0 means
	// DefaultThreshold (0.5).
	Threshold float64
	// Context adds context words per entity name to the built-in ones. A
	// word may be a phrase ("tax id"); matching ignores case and a
	// plural "s".
	Context map[string][]string
	// Allow lists exact values never reported.
	Allow []string
}

// Detector finds personal data in text. It is immutable once built and
// safe for concurrent use.
type Detector struct {
	on        [numEntities]bool
	threshold float64
	ctx       [numEntities][]phrase
	allow     map[string]struct{}
	// trigger classifies the bytes at which the scan stops.
	trigger [256]uint8
}

// trigger classes
const (
	tNone = iota
	tDigit
	tAt
	tColon
	tUpper
)

var _ guard.Detector = (*Detector)(nil)

// New builds a Detector. It fails on an unknown entity name (in
// Entities or Context), naming it and listing the valid ones, on an
// empty Entities list and on a threshold outside [0, 1].
func New(o Options) (*Detector, error) {
	d := &Detector{threshold: o.Threshold}
	if math.IsNaN(o.Threshold) || o.Threshold < 0 || o.Threshold > 1 {
		return nil, fmt.Errorf("pii: threshold %v outside [0, 1]", o.Threshold)
	}
	if d.threshold == 0 {
		d.threshold = DefaultThreshold
	}
	if o.Entities == nil {
		d.on = defaultSet
	} else {
		if len(o.Entities) == 0 {
			return nil, fmt.Errorf("pii: empty entity list (leave it unset for the default set: %s)", strings.Join(DefaultEntities(), ", "))
		}
		for _, name := range o.Entities {
			e, err := entityIndex(name)
			if err != nil {
				return nil, err
			}
			d.on[e] = true
		}
	}
	for e := range numEntities {
		d.ctx[e] = builtinPhrases[e]
	}
	for name, words := range o.Context {
		e, err := entityIndex(name)
		if err != nil {
			return nil, err
		}
		ps := append([]phrase(nil), d.ctx[e]...)
		for _, w := range words {
			p := newPhrase(w)
			if p == nil {
				return nil, fmt.Errorf("pii: context word %q for %s has no letters or digits", w, name)
			}
			ps = append(ps, p)
		}
		d.ctx[e] = ps
	}
	if len(o.Allow) > 0 {
		d.allow = make(map[string]struct{}, len(o.Allow))
		for _, v := range o.Allow {
			d.allow[v] = struct{}{}
		}
	}
	if d.on[entPerson] {
		loadNames() // build the gazetteer now, not in the first Find
	}
	d.buildTriggers()
	return d, nil
}

func entityIndex(name string) (int, error) {
	for e, n := range entityNames {
		if n == name {
			return e, nil
		}
	}
	return 0, fmt.Errorf("pii: unknown entity %q (valid: %s)", name, strings.Join(entityNames[:], ", "))
}

func (d *Detector) buildTriggers() {
	digitEnts := false
	for e, on := range d.on {
		if on && e != entEmail && e != entPerson {
			digitEnts = true
		}
	}
	if digitEnts {
		for c := '0'; c <= '9'; c++ {
			d.trigger[c] = tDigit
		}
	}
	if d.on[entEmail] {
		d.trigger['@'] = tAt
	}
	if d.on[entIP] {
		d.trigger[':'] = tColon
	}
	if d.on[entPerson] {
		for c := 'A'; c <= 'Z'; c++ {
			d.trigger[c] = tUpper
		}
	}
}

// Find appends the personal data found in text to dst and returns it:
// sorted by Start, not overlapping (of overlapping candidates the higher
// score wins, then the longer), each span covering the value only. Rule
// and Label are the entity name. Find does not allocate unless it
// appends beyond dst's capacity.
func (d *Detector) Find(text []byte, dst []Match) []Match {
	base := len(dst)
	n := len(text)
	trig := &d.trigger
	upper := d.on[entPerson]
	quietV6 := 0 // colons before this lead to an IPv6 parse already failed
	for i := 0; i < n; {
		// Find the next trigger eight bytes at a time: the word test
		// marks each byte that may be one (exactly the digits, ':' and
		// '@', or a superset from '0' to 'Z' when capitals count), and
		// the lowest mark is the first candidate.
		if i+8 <= n {
			x := binary.LittleEndian.Uint64(text[i:])
			var m uint64
			if upper {
				m = hasBetween(x, '0'-1, 'Z'+1)
			} else {
				m = hasBetween(x, '0'-1, ':'+1) | hasByte(x, '@')
			}
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			if trig[text[i]] == tNone {
				i++
				continue
			}
		} else {
			for i < n && trig[text[i]] == tNone {
				i++
			}
			if i >= n {
				break
			}
		}
		switch trig[text[i]] {
		case tDigit:
			j := digitsEnd(text, i)
			dst = d.digits(text, i, j, dst)
			i = j
		case tAt:
			var end int
			dst, end = d.email(text, i, dst)
			i = max(end, i+1)
		case tColon:
			// Most colons (JSON keys, "key: value", times) have no hex
			// digit before them and no second colon after.
			if (i == 0 || !isHex(text[i-1])) && at(text, i+1) != ':' || i < quietV6 {
				i++
				continue
			}
			var end int
			dst, end, quietV6 = d.ipv6(text, i, dst)
			i = max(end, i+1)
		case tUpper:
			var end int
			dst, end = d.person(text, i, dst)
			i = max(end, i+1)
		}
	}
	return dst[:base+resolve(dst[base:])]
}

// Match is the finding type of the guard package.
type Match = guard.Match

// emit appends entity e at text[s:end] with the given base score, after
// the context boost, the threshold and the allow list.
func (d *Detector) emit(dst []Match, text []byte, e, s, end int, score float64) []Match {
	if !d.on[e] {
		return dst
	}
	if score < 1 && d.hasContext(text, s, end, e) {
		score = min(score+ContextBoost, 1)
	}
	if score < d.threshold-1e-9 {
		return dst
	}
	if d.allow != nil {
		if _, ok := d.allow[string(text[s:end])]; ok {
			return dst
		}
	}
	name := entityNames[e]
	return append(dst, Match{Rule: name, Label: name, Start: s, End: end, Score: score})
}

// resolve sorts m by Start and drops overlaps in place, keeping the
// higher score, then the longer span, then the earlier entity; it
// returns the number kept.
func resolve(m []Match) int {
	// Candidates arrive nearly sorted (each starts at most a bounded
	// distance before the byte that triggered it), so insertion sort is
	// linear in practice and does not allocate.
	for i := 1; i < len(m); i++ {
		for j := i; j > 0 && before(&m[j], &m[j-1]); j-- {
			m[j], m[j-1] = m[j-1], m[j]
		}
	}
	w := 0
	for r := range m {
		if w > 0 && m[r].Start < m[w-1].End {
			if better(&m[r], &m[w-1]) {
				m[w-1] = m[r]
			}
			continue
		}
		m[w] = m[r]
		w++
	}
	return w
}

func before(a, b *Match) bool {
	if a.Start != b.Start {
		return a.Start < b.Start
	}
	return better(a, b)
}

func better(a, b *Match) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
		return la > lb
	}
	return entityRank(a.Rule) < entityRank(b.Rule)
}

func entityRank(name string) int {
	for e, n := range entityNames {
		if n == name {
			return e
		}
	}
	return numEntities
}

// digits dispatches the digit run text[i:j] (maximal: text[i-1] is not a
// digit) to the recognizers that can start at or anchor on it.
func (d *Detector) digits(text []byte, i, j int, dst []Match) []Match {
	p, pp := at(text, i-1), at(text, i-2)
	c0 := text[i]

	// After a lower-case letter or an underscore (identifiers, hex) only a
	// bech32 "bc1…" can start.
	if isLower(p) || p == '_' {
		if c0 == '1' && p == 'c' && pp == 'b' && !isWord(at(text, i-3)) {
			dst = d.bech32(text, i-2, dst)
		}
		return dst
	}

	// Fast path for the common short number ("200", "12," "3.5"): no
	// value starts or ends with it unless letters, a separator and more
	// digits, or a parenthesis touch it.
	if j-i < 8 {
		if c := at(text, j); !isLetter(c) && c != ')' && !(isPhoneSep(c) && isDigit(at(text, j+1))) &&
			!isUpper(p) && p != '+' && !(p == ' ' && isUpper(pp)) && !(c0 == '1' && j == i+1) {
			return dst
		}
	}

	// Values that start with a digit and go on with letters.
	if !isWord(p) {
		if c0 == '0' && j == i+1 && (at(text, j) == 'x' || at(text, j) == 'X') {
			dst = d.ethereum(text, i, dst)
		}
		if (c0 == '1' || c0 == '3') && (j-i >= 26 || isLetter(at(text, j))) {
			dst = d.base58(text, i, dst)
		}
	}
	if c0 == '1' && (p == 'c' || p == 'C') && (pp == 'b' || pp == 'B') && !isWord(at(text, i-3)) {
		dst = d.bech32(text, i-2, dst)
	}

	// Values that start with capital letters and go on with this run.
	if isUpper(p) {
		return d.lettersDigits(text, i, j, dst)
	}
	if p == ' ' && isUpper(pp) {
		dst = d.ninoAt(text, i, dst)
	}

	// Numeric values must start at a boundary, not inside a word, a
	// dotted or hyphenated token ("v1.2", "xoxb-123"), or a number
	// written with commas, colons or spaces ("1,284", "10:30", the
	// second group of "4111 1111 ...", parsed with the first).
	switch {
	case isWord(p):
		return dst
	case (p == '.' || p == '-' || p == '/' || p == '\\') && isAlnum(pp):
		return dst
	case (p == ',' || p == ':' || p == ' ') && isDigit(pp):
		return dst
	case p == '+':
		if !isWord(pp) && pp != '+' {
			dst = d.phoneIntl(text, i-1, i, phoneIntlScore, dst)
		}
		return dst
	}
	// Every numeric value has eight digits or more, or four dotted
	// groups, or starts with "(NPA)" or "1 (NPA)", which the phone
	// recognizer parses further.
	if j-i < 8 {
		if c := at(text, j); !(isPhoneSep(c) && isDigit(at(text, j+1))) && c != ')' && !(c0 == '1' && j == i+1) {
			return dst
		}
	}
	var s numSeq
	s.parse(text, i, j)
	if s.n == 1 && s.glued {
		return dst
	}
	if s.n < 4 && s.en[s.n-1]-s.st[0]-(s.n-1) < 8 && at(text, j) != ')' && !(c0 == '1' && j == i+1) {
		return dst
	}
	dst = d.creditCard(text, &s, dst)
	dst = d.usNumbers(text, &s, dst)
	dst = d.nhs(text, &s, dst)
	dst = d.ipv4(text, &s, dst)
	dst = d.phone(text, &s, dst)
	return dst
}

// glued reports whether the byte c, with b before it, joins a value to
// the token it touches: "x-", "a.", "b~" and the like.
func glued(c, b byte) bool {
	return (c == '-' || c == '.' || c == '~' || c == '\\') && isAlnum(b)
}

// endsToken reports whether a letter-and-digit value ending at text[e]
// stands on its own: not followed by a word byte or by a hyphen, dot or
// tilde and more of a token.
func endsToken(text []byte, e int) bool {
	c := at(text, e)
	return !isWord(c) && !glued(c, at(text, e+1))
}

// lettersDigits handles the digit run text[i:j] right after a capital
// letter: the values made of a letter prefix and digits.
func (d *Detector) lettersDigits(text []byte, i, j int, dst []Match) []Match {
	// Letters before the run, and the boundary before them.
	s := i
	for s > 0 && i-s < 3 && isUpper(text[s-1]) {
		s--
	}
	if isWord(at(text, s-1)) || i-s == 3 || glued(at(text, s-1), at(text, s-2)) {
		// Inside a longer word ("AKIA…") or a hyphenated or dotted token
		// ("sk-…-AB123456C"): nothing to find. No prefix has three letters.
		return dst
	}
	switch i - s {
	case 1:
		dst = d.usLetterDigits(text, s, i, j, dst)
		dst = d.postcode(text, s, i, j, dst)
	case 2:
		dst = d.iban(text, s, dst)
		dst = d.ninoAt(text, i, dst)
		dst = d.dea(text, s, i, j, dst)
		dst = d.usLetterDigits(text, s, i, j, dst)
		dst = d.postcode(text, s, i, j, dst)
	}
	return dst
}
