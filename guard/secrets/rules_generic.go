package secrets

// maxGenericValue bounds the length of a value the generic rules report.
const maxGenericValue = 200

// minGenericValue is the shortest value the generic rules report.
const minGenericValue = 8

// genericKind is one family of generic assignment: a set of key names
// (password, secret, api key, token) whose values are reported when they
// look generated or chosen as credentials.
type genericKind struct {
	id, label, description string
	keywords               []string
	// names reports whether a word of the identifier names the kind
	// (for "pass": "pass" or "password", not "compass").
	names func(word []byte) bool
	// exclude holds words that make the identifier metadata about a
	// credential (password_reset_url, nextPageToken, secretName).
	exclude wordList
	// excludeLast holds words that disqualify the identifier when they
	// are its last word (api_key_id).
	excludeLast wordList
}

// metadataWords are identifier words that say the value describes a
// credential rather than being one.
var metadataWords = wordList{
	"name", "names", "type", "types", "url", "urls", "uri", "uris", "path", "paths", "file", "filename", "dir",
	"length", "len", "size", "count", "hint", "format", "version", "versions", "label", "field", "prefix", "suffix",
	"header", "param", "params", "endpoint", "enabled", "disabled", "required", "policy", "policies", "expir*",
	"ttl", "mode", "kind", "ref", "refs", "arn", "env", "placeholder", "description", "desc", "help", "regex",
	"pattern", "validation", "validator", "manager", "store", "location", "source", "template", "provider",
	"min", "max", "rule", "rules", "schema", "id", "ids",
}

func genericRules() []*rule {
	kinds := []genericKind{
		{
			id: "generic-password", label: "PASSWORD",
			description: "Value assigned to a password key (password, passwd, pass, pwd, passphrase; = : => := or <tag>): " +
				"8–200 characters, not a placeholder or template, not only letters, entropy gated.",
			keywords: []string{"pass", "pwd"},
			names: func(w []byte) bool {
				return equalFold(w, "pass") || equalFold(w, "pw") || hasPrefixFold(w, 0, "passw") ||
					hasPrefixFold(w, 0, "passphrase") || endsWithFold(w, "password") || endsWithFold(w, "passwd") ||
					containsFold(w, "pwd")
			},
			exclude: wordList{"reset", "forgot", "strength", "change", "changed", "last", "updated", "history",
				"attempt*", "complexity", "prompt", "input", "form", "page", "dialog", "button", "expires", "age",
				"arg", "args", "through", "thru", "word*s"},
		},
		{
			id: "generic-secret", label: "SECRET",
			description: "Value assigned to a secret, credential or private/signing/encryption/master key: 8–200 characters, " +
				"not a placeholder, not only letters, entropy gated.",
			keywords: []string{"secret", "credential", "creds", "private_key", "privatekey", "private-key",
				"signing_key", "signingkey", "signing-key", "encryption_key", "encryptionkey", "encryption-key",
				"master_key", "masterkey", "master-key"},
			names:   func([]byte) bool { return true },
			exclude: wordList{"mount", "engine", "backend", "scanning", "rotation", "namespace", "public"},
		},
		{
			id: "generic-api-key", label: "API_KEY",
			description: "Value assigned to an API, access, auth, app or subscription key (api_key, X-Api-Key, accessKey, …): " +
				"8–200 characters, not a placeholder, not only letters, entropy gated.",
			keywords: []string{"api_key", "apikey", "api-key", "api key", "access_key", "accesskey", "access-key", "access key", "auth_key",
				"authkey", "auth-key", "subscription_key", "subscriptionkey", "subscription-key", "app_key", "appkey", "app-key"},
			names:   func([]byte) bool { return true },
			exclude: wordList{"public", "publishable", "masked", "last4", "query", "in"},
		},
		{
			id: "generic-token", label: "TOKEN",
			description: "Value assigned to a token key (token, access_token, auth_token, refresh_token, …), except pagination, " +
				"CSRF and usage-count keys: 8–200 characters, not a placeholder, not only letters, entropy gated.",
			keywords: []string{"token"},
			names: func(w []byte) bool {
				return !equalFold(w, "tokens") && !hasPrefixFold(w, 0, "tokeniz")
			},
			exclude: wordList{"page", "next", "cursor", "continuation", "sync", "csrf", "xsrf", "resume", "usage",
				"limit", "budget", "cost", "price", "public", "estimate*", "position", "index", "tokens", "tokeniz*",
				"lifetime", "lifespan", "validity", "duration", "prompt", "completion*", "input", "output", "reasoning",
				"cached", "cache", "total", "num", "per", "rate", "bucket", "delimiter", "separator", "start", "end",
				"special", "pad", "eos", "bos", "unk", "mask", "vocab", "progress"},
		},
	}
	rules := make([]*rule, 0, len(kinds))
	for i := range kinds {
		k := &kinds[i]
		r := &rule{id: k.id, label: k.label, description: k.description, tier: tierGeneric, match: k.match}
		for _, kw := range k.keywords {
			r.triggers = append(r.triggers, trigger{text: kw, fold: true})
		}
		rules = append(rules, r)
	}
	return rules
}

// endsWithFold reports whether b ends with s (lower case), ignoring case.
func endsWithFold(b []byte, s string) bool {
	return len(b) >= len(s) && hasPrefixFold(b, len(b)-len(s), s)
}

// match is the matcher of a generic kind.
func (k *genericKind) match(t []byte, h hit) span {
	a, ok := findAssignment(t, h)
	if !ok {
		return span{}
	}
	skip := span{next: a.identEnd}
	ident := a.ident(t)
	var ws [maxIdentWords]wordSpan
	n := identWords(ident, &ws)
	if n == 0 {
		return skip
	}
	named := false
	for _, w := range ws[:n] {
		word := ident[w.start:w.end]
		if k.exclude.matches(word) || metadataWords.matches(word) && !(equalFold(word, "id") || equalFold(word, "ids")) {
			return skip
		}
		if k.names(word) && hitInside(a, w, h) {
			named = true
		}
	}
	// An identifier ending in "id" names an id (api_key_id,
	// private_key_id), except Vault's secret_id.
	if last := ident[ws[n-1].start:ws[n-1].end]; equalFold(last, "id") || equalFold(last, "ids") {
		if n < 2 || !equalFold(ident[ws[n-2].start:ws[n-2].end], "secret") {
			return skip
		}
	}
	if !named {
		return skip
	}
	vs, ve, ok := assignedValue(t, a, maxGenericValue)
	if !ok {
		// Keywords inside an over-long value are not assignments either.
		return span{next: a.valStart + maxGenericValue}
	}
	if a.quote == 0 && a.identStart > 0 && (t[a.identStart-1] == '?' || t[a.identStart-1] == '&') {
		// A URL query parameter ends at the fragment.
		if k := indexOf(t[vs:ve], "#"); k >= 0 {
			ve = vs + k
		}
	}
	if a.quote == 0 {
		// "pass: …" is as often a test runner's verdict as a credential:
		// a bare "pass" needs a quoted value or '='.
		if equalFold(ident, "pass") && t[a.valStart-1-skipBack(t, a.valStart)] != '=' {
			return span{next: ve}
		}
		// Code, not a literal: a call, an index, a member path, an
		// expression.
		if ve < len(t) && (t[ve] == '(' || t[ve] == '[') || isIdentifierPath(t[vs:ve]) || isExpression(t[vs:ve]) {
			return span{next: ve}
		}
	}
	entropy, ok := plausibleGenericValue(t[vs:ve])
	if !ok {
		return span{next: ve}
	}
	return span{start: vs, end: ve, score: genericScore(entropy), next: ve}
}

// hitInside reports whether the keyword hit overlaps the identifier word w.
func hitInside(a assignment, w wordSpan, h hit) bool {
	ws, we := a.identStart+w.start, a.identStart+w.end
	return h.start < we && h.end > ws
}

// genericScore maps a value's entropy to a score in [0.5, 0.75].
func genericScore(entropy float64) float64 {
	f := (entropy - 2.4) / (4.8 - 2.4)
	if f < 0 {
		f = 0
	}
	if f > 1 {
		f = 1
	}
	return 0.5 + 0.25*f
}

// plausibleGenericValue reports whether v, assigned to a credential key,
// looks like a credential: 8–200 bytes without spaces, not a placeholder
// or template, with at least two letters and something other than letters
// and separators, not a path or URL, and enough entropy. It returns the
// entropy.
func plausibleGenericValue(v []byte) (float64, bool) {
	if len(v) < minGenericValue || len(v) > maxGenericValue {
		return 0, false
	}
	if countIn(v, cSpace|cNewline) > 0 || isPlaceholderValue(v) {
		return 0, false
	}
	if countIn(v, alpha) < 3 || allIn(v, alpha|cUnderscore|cDot|cDash|cColon|cSlash) {
		return 0, false // numbers, dates, versions; words, identifiers, dotted or colon-separated names
	}
	// Generated and chosen credentials hold digits or symbols; words
	// joined by separators (asyncify-imports@env.sync) and "?Identifier"
	// do not.
	if countIn(v, cDigit) == 0 && strongSymbols(v) < 2 {
		return 0, false
	}
	if longestRun(v) > maxRepeat {
		return 0, false // "Token000000000000", "aaaaaaaa1"
	}
	if last := v[len(v)-1]; last == '-' || last == '_' {
		return 0, false // a prefix ("pat-na1-"), not a value
	}
	if v[0] == '/' || v[0] == '.' || v[0] == '~' || indexOf(v, "://") >= 0 || hasPrefixFold(v, 0, "http") {
		return 0, false // paths and URLs
	}
	if isEmailAddress(v) {
		return 0, false
	}
	h := shannonEntropy(v)
	if h < minGenericEntropy(len(v)) {
		return 0, false
	}
	return h, true
}

// isEmailAddress reports whether v has the shape local@domain.tld.
func isEmailAddress(v []byte) bool {
	at := -1
	for i, c := range v {
		if c == '@' {
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	if at < 1 {
		return false
	}
	dot := lastIndexByte(v[at:], '.')
	return dot > 1 && len(v)-(at+dot) > 2 && allIn(v[at+dot+1:], alpha)
}

// skipBack returns how many spaces and tabs precede position i.
func skipBack(t []byte, i int) int {
	n := 0
	for i-n-1 >= 0 && in(t[i-n-1], cSpace) {
		n++
	}
	return n
}

// isIdentifierPath reports whether v is a dotted path of identifiers
// (settings.API_KEY, os.environ, dk.encryptionKey1024): code referring to
// a value, not the value.
func isIdentifierPath(v []byte) bool {
	parts := 0
	for i := 0; i < len(v); {
		if !in(v[i], alpha|cUnderscore) {
			return false
		}
		j := runEnd(v, i, word, len(v))
		parts++
		if j == len(v) {
			return parts >= 2
		}
		if v[j] != '.' {
			return false
		}
		i = j + 1
	}
	return false
}

// isExpression reports whether an unquoted value holds operators of
// code (==, =>, ?., ||, &&, !!) rather than being a literal.
func isExpression(v []byte) bool {
	for _, op := range []string{"==", "=>", "?.", "||", "&&", "!!"} {
		if indexOf(v, op) >= 0 {
			return true
		}
	}
	return false
}

// strongSymbols counts the bytes of v that are neither alphanumeric nor
// the separators of names and paths (_ . - : / @).
func strongSymbols(v []byte) int {
	n := 0
	for _, c := range v {
		if !in(c, alnum|cUnderscore|cDot|cDash|cColon|cSlash) && c != '@' {
			n++
		}
	}
	return n
}
