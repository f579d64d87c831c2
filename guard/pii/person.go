package pii

import (
	"strings"
	"sync"
)

// PERSON (not default): a given name from the embedded gazetteer
// followed by a capitalised surname ("Jane Doe", "Maria de la Cruz" is
// not covered; "Sean O'Brien", "Anna Smith-Jones", "John F. Kennedy"
// are), or a title (Mr, Mrs, Ms, Miss, Mx, Dr, Prof, Sir, Dame) followed
// by a capitalised surname, with or without a given name ("Dr. Smith",
// "Ms Jane Doe"). The title is not part of the span.
//
// The surname must not be a common capitalised word (The, Street,
// Monday, University, …) and must not be followed by one that makes the
// pair a place or an institution ("Victoria Station", "Lincoln Center").
// Given names that are everyday words or places ("Mark", "Grace",
// "Austin") count only after a title or with a context word.
//
// Scores: given name and surname 0.6, after a title 0.85, title and
// surname alone 0.6, an ambiguous given name without a title 0.3.
//
// It is left out of the default set: a capitalised word pair after a
// common first name is a person most of the time, but not in every
// heading, product or place name, and the set is meant to run on any
// text without changing benign content.

const (
	personScore     = 0.6
	personTitled    = 0.85
	personAmbiguous = 0.3
)

const (
	nameGiven = 1 << iota
	nameAmbiguous
)

var (
	namesOnce sync.Once
	names     map[string]uint8
)

func loadNames() map[string]uint8 {
	namesOnce.Do(func() {
		names = make(map[string]uint8, 1600)
		for _, n := range strings.Fields(givenNames) {
			names[n] |= nameGiven
		}
		for _, n := range strings.Fields(ambiguousNames) {
			names[n] |= nameGiven | nameAmbiguous
		}
	})
	return names
}

var titles = []string{"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "doctor"}

// stopWords are capitalised words that are not surnames.
var stopWords = map[string]bool{}

// placeWords after a name make it a place or an institution.
var placeWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`The A An And Or But Nor So Yet If Then Than When While Where Who Whom
		What Which Why How This That These Those It Its He She They We You I Me My Mine His Her Hers Our
		Their Your Is Are Was Were Be Been Being Am Has Have Had Do Does Did Will Would Can Could Shall
		Should May Might Must Not No Yes All Any Some Each Every Both Either Neither Of In On At To For
		With From By As About Into Over Under After Before Between Through During Without Within Upon
		Said Says Asked Told Wrote Thanks Thank Please Hello Hi Hey Dear Regards Best Today Tomorrow
		Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
		June July August September October November December Street St Road Rd Avenue Ave Lane Ln Drive
		Dr Boulevard Blvd Way Park Square Place Court Ct Close Crescent Terrace Hill University College
		School Academy Institute Hospital Clinic Center Centre Bank Inc Corp Ltd Llc Plc Company Co Group
		Foundation Trust Museum Library Hall Station Airport Bridge River Lake Mountain Mount Island
		County City State Province Valley Beach Bay Falls Harbor Harbour Port Language Framework Project
		Server Client Api Test Tests Testing Code Script Studio Cloud Labs Lab Team Teams Support Service
		Services System Systems Software Hardware Network Data Database Engine Platform Tools Tool App Apps
		Application Mobile Web Online Edition Version Release Update Beta Alpha Pro Plus Max Mini Air
		Ultra Prime One Two Three First Second Third New Old North South East West Central Street Award
		Prize Act Law Syndrome Disease Effect Method Algorithm Theorem Equation Principle Rule Cup League
		Day Week Month Year Time Love Happy Merry Christmas Easter Bay Day Night Morning Evening
		Age Date Email Phone Address Name Title Type Id Number Status Role Note Notes Total Desktop Chat
		Assistant Browser Agent Agents Sdk Cli Extension Extensions Plugin Plugins Skills Model Models`) {
		stopWords[w] = true
	}
	for _, w := range strings.Fields(`Street St Road Rd Avenue Ave Lane Drive Boulevard Blvd Way Park Square
		Place Court Hill University College School Academy Institute Hospital Clinic Center Centre Bank
		Inc Corp Ltd Llc Plc Company Group Foundation Trust Museum Library Hall Station Airport Bridge
		River Lake Mountain Island County City State Valley Beach Bay Falls Harbor Harbour Stadium Arena
		Theatre Theater Building Tower Memorial Award Prize Act Law Syndrome Disease Effect Method
		Algorithm Theorem Equation Principle Rule Cup League Trophy Medal Fellowship Scholarship Lecture
		Institution Society Association Fund Hotel Restaurant Airlines Motors Records Pictures Studios`) {
		placeWords[w] = true
	}
}

// person looks for a name at the capital letter text[i]; it returns the
// position to resume scanning from.
func (d *Detector) person(text []byte, i int, dst []Match) ([]Match, int) {
	e := capWordEnd(text, i)
	if p := at(text, i-1); isWord(p) || p >= 0x80 || p == '\'' || p == '-' || ((p == '.' || p == '@' || p == '/') && isAlnum(at(text, i-2))) {
		return dst, lettersEnd(text, i)
	}
	if e-i < 2 || isWord(at(text, e)) || at(text, e) >= 0x80 {
		return dst, lettersEnd(text, i)
	}
	// A name or a title is followed by a capitalised word: "Jane Doe",
	// "Dr. Doe", "Dr Doe". Checked before any lookup.
	if c := at(text, e); !(c == ' ' && isUpper(at(text, e+1))) && !(c == '.' && at(text, e+1) == ' ' && isUpper(at(text, e+2))) {
		return dst, e
	}
	w := text[i:e]
	for _, t := range titles {
		if eqFold(w, t) {
			return d.titled(text, e, dst)
		}
	}
	flags := loadNames()[string(w)]
	if flags&nameGiven == 0 {
		return dst, e
	}
	end := d.nameRest(text, e)
	if end < 0 {
		return dst, e
	}
	score := personScore
	if flags&nameAmbiguous != 0 {
		score = personAmbiguous
	}
	return d.emit(dst, text, entPerson, i, end, score), end
}

// titled handles the words after a title ending at text[e].
func (d *Detector) titled(text []byte, e int, dst []Match) ([]Match, int) {
	pos := e
	if at(text, pos) == '.' {
		pos++
	}
	if at(text, pos) != ' ' {
		return dst, e
	}
	pos++
	ne := capWordEnd(text, pos)
	if ne-pos < 2 {
		return dst, e
	}
	if loadNames()[string(text[pos:ne])]&nameGiven != 0 {
		if end := d.nameRest(text, ne); end >= 0 {
			return d.emit(dst, text, entPerson, pos, end, personTitled), end
		}
	}
	se := surnameEnd(text, pos)
	if se < 0 {
		return dst, e
	}
	return d.emit(dst, text, entPerson, pos, se, personScore), se
}

// nameRest reads what follows a given name ending at text[e]: an optional
// middle initial or middle name, then a surname. It returns the end of
// the surname, or -1.
func (d *Detector) nameRest(text []byte, e int) int {
	if at(text, e) != ' ' {
		return -1
	}
	pos := e + 1
	if isUpper(at(text, pos)) && at(text, pos+1) == '.' && at(text, pos+2) == ' ' {
		pos += 3 // middle initial
	} else if me := capWordEnd(text, pos); me-pos >= 2 && at(text, me) == ' ' && loadNames()[string(text[pos:me])]&nameGiven != 0 {
		if se := surnameEnd(text, me+1); se >= 0 {
			return se // middle name and surname
		}
	}
	return surnameEnd(text, pos)
}

// surnameEnd reads a capitalised surname at text[pos] ("Smith",
// "O'Brien", "McDonald", "Smith-Jones", "Müller") and returns its end
// (before a possessive "'s"), or -1.
func surnameEnd(text []byte, pos int) int {
	if !isUpper(at(text, pos)) {
		return -1
	}
	k := pos + 1
	lower := false
	for k < len(text) {
		c := text[k]
		switch {
		case isLower(c) || c >= 0x80:
			lower = true
			k++
		case isUpper(c) && lower && k-pos <= 3 || isUpper(c) && (text[k-1] == '\'' || text[k-1] == '-'):
			k++ // McDonald, DeVito, O'Brien, Smith-Jones
		case (c == '\'' || c == '-') && isUpper(at(text, k+1)):
			k++
		default:
			goto done
		}
	}
done:
	if !lower || k-pos < 2 {
		return -1
	}
	if at(text, k) == '\'' && at(text, k+1) == 's' && !isWord(at(text, k+2)) {
		// possessive: the span ends before it
	} else if isWord(at(text, k)) {
		return -1
	}
	word := text[pos:k]
	if stopWords[string(word)] {
		return -1
	}
	// "Victoria Station", "Lincoln Center": a place, not a person.
	if at(text, k) == ' ' {
		if ne := capWordEnd(text, k+1); ne > k+2 && placeWords[string(text[k+1:ne])] {
			return -1
		}
	}
	return k
}

// lettersEnd returns the end of the run of ASCII letters at text[i]
// (at least i+1): where the scan for names resumes, never past a digit
// another recognizer needs.
func lettersEnd(text []byte, i int) int {
	k := i + 1
	for k < len(text) && isLetter(text[k]) {
		k++
	}
	return k
}

// capWordEnd returns the end of a word of one capital letter and lower
// case ASCII letters at text[i], or i.
func capWordEnd(text []byte, i int) int {
	if !isUpper(at(text, i)) {
		return i
	}
	k := i + 1
	for k < len(text) && isLower(text[k]) {
		k++
	}
	if k == i+1 && !(at(text, k) == '.' || at(text, k) == ' ') {
		return i
	}
	return k
}
