package pii

// Context words. A candidate whose entity has a context word among the
// few words before it (or the word or two right after it) gets
// ContextBoost added to its score, as Presidio's context enhancer does.
//
// Words are ASCII letter-and-digit runs; camelCase and snake_case names
// split into their parts ("creditCard", "client_ip"), so JSON keys and
// identifiers count. A context word matches a text word ignoring case and
// a trailing plural "s"; a phrase matches consecutive words. A word right
// before '(' is a function call in code ("x.call(") and does not count.

const (
	ctxWordsBefore = 6  // words looked at before a candidate
	ctxBytesBefore = 96 // and at most this many bytes back
	ctxWordsAfter  = 2
	ctxBytesAfter  = 32
)

// phrase is a context word or phrase, lower case, one string per word.
type phrase []string

// builtinContext lists each entity's context words.
var builtinContext = [numEntities][]string{
	entCreditCard: {"credit", "card", "visa", "mastercard", "master card", "amex", "american express",
		"discover", "jcb", "diners", "maestro", "unionpay", "cc", "ccn", "cardholder", "pan", "debit",
		"payment"},
	entCrypto: {"wallet", "btc", "bitcoin", "crypto", "cryptocurrency", "eth", "ethereum", "ether",
		"coin", "address", "segwit"},
	entEmail: {"email", "e mail", "mail", "mailto", "contact", "address"},
	entIBAN:  {"iban", "bank", "account", "transfer", "transaction", "swift", "bic", "sepa", "wire", "payee"},
	entIP:    {"ip", "ipv4", "ipv6", "address", "addr", "host", "client", "server", "remote", "peer", "inet"},
	entMedicalLicense: {"medical", "certificate", "dea", "license", "licence", "registration",
		"prescriber", "physician", "practitioner", "doctor"},
	entPhone: {"phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax", "call", "contact",
		"dial", "sms", "whatsapp", "hotline", "helpline", "landline", "ph", "mob"},
	entUKNHS:      {"nhs", "national health service", "health service", "health authority", "patient", "health"},
	entUKNINO:     {"national insurance", "ni number", "nino", "ni", "insurance"},
	entUSSSN:      {"ssn", "social security", "social", "socsec", "ss"},
	entUSITIN:     {"itin", "individual taxpayer", "taxpayer", "tax", "tin", "taxid"},
	entUSPassport: {"passport", "travel document", "passport number", "passport no"},
	entUKPostcode: {"postcode", "post code", "postal", "address", "zip"},
	entUSBank:     {"bank", "account", "acct", "checking", "savings", "debit", "deposit", "routing"},
	entUSDriverLicense: {"driver", "driving", "license", "licence", "dl", "dln", "lic", "permit",
		"identification"},
	entPerson: {"name", "full name", "contact", "patient", "customer", "client", "signed", "sincerely",
		"regards", "from", "dear", "attn", "attention", "author", "employee", "applicant", "recipient",
		"sender"},
}

var builtinPhrases = func() (out [numEntities][]phrase) {
	for e, words := range builtinContext {
		for _, w := range words {
			out[e] = append(out[e], newPhrase(w))
		}
	}
	return out
}()

// newPhrase splits w into lower-case words; nil when w has none.
func newPhrase(w string) phrase {
	var p phrase
	b := []byte(w)
	for i := 0; i < len(b); {
		if !isAlnum(b[i]) {
			i++
			continue
		}
		j := wordEnd(b, i)
		var sb []byte
		for _, c := range b[i:j] {
			if isUpper(c) {
				c += 'a' - 'A'
			}
			sb = append(sb, c)
		}
		p = append(p, string(sb))
		i = j
	}
	return p
}

type span struct{ s, e int }

// hasContext reports whether a context word of entity e is near the
// candidate text[s:end].
func (d *Detector) hasContext(text []byte, s, end, e int) bool {
	phrases := d.ctx[e]
	if len(phrases) == 0 {
		return false
	}
	var before [ctxWordsBefore]span
	nb := 0
	limit := max(0, s-ctxBytesBefore)
	for pos := s; nb < ctxWordsBefore; {
		for pos > limit && !isAlnum(text[pos-1]) {
			pos--
		}
		if pos <= limit {
			break
		}
		we := pos
		for pos > limit && isAlnum(text[pos-1]) {
			pos--
			if isUpper(text[pos]) && pos > limit && isLower(text[pos-1]) {
				break // camelCase boundary
			}
		}
		before[nb] = span{pos, we}
		nb++
	}
	// before[0] is the nearest word; phrases read left to right.
	for l, r := 0, nb-1; l < r; l, r = l+1, r-1 {
		before[l], before[r] = before[r], before[l]
	}
	var after [ctxWordsAfter]span
	na := 0
	lim := min(len(text), end+ctxBytesAfter)
	for pos := end; na < ctxWordsAfter; {
		for pos < lim && !isAlnum(text[pos]) {
			pos++
		}
		if pos >= lim {
			break
		}
		ws := pos
		for pos < lim && isAlnum(text[pos]) {
			pos++
			if pos < lim && isUpper(text[pos]) && isLower(text[pos-1]) {
				break
			}
		}
		after[na] = span{ws, pos}
		na++
	}
	for _, p := range phrases {
		if matchPhrase(text, before[:nb], p) || matchPhrase(text, after[:na], p) {
			return true
		}
	}
	return false
}

func matchPhrase(text []byte, words []span, p phrase) bool {
	for i := 0; i+len(p) <= len(words); i++ {
		if at(text, words[i+len(p)-1].e) == '(' {
			continue // a function name ("e.call(…)"), not a word of prose
		}
		ok := true
		for k, w := range p {
			if !wordIs(text[words[i+k].s:words[i+k].e], w) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// wordIs reports whether b is w, ignoring case and a plural "s".
func wordIs(b []byte, w string) bool {
	if len(b) == len(w)+1 && (b[len(b)-1] == 's' || b[len(b)-1] == 'S') {
		b = b[:len(b)-1]
	}
	return eqFold(b, w)
}
