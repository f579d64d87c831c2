package secrets

import "encoding/base64"

// connectionRules: credentials inside URLs and HTTP authorization
// headers.
func connectionRules() []*rule {
	return []*rule{
		{
			id: "connection-string-password", label: "PASSWORD", tier: tierContext,
			description: "Password in the user-info of a URL or connection string (scheme://user:PASSWORD@host — postgres, mysql, " +
				"mongodb+srv, redis, amqp, https, …) or of a Go MySQL DSN (user:PASSWORD@tcp(host)); only the password is reported.",
			triggers: []trigger{{text: "://"}, {text: "@tcp("}, {text: "@unix("}},
			match:    connectionStringPassword,
		},
		{
			id: "bearer-token", label: "BEARER_TOKEN", tier: tierContext,
			description: "Opaque token after the Bearer scheme (Authorization: Bearer …): 16+ RFC 6750 token characters with a letter, " +
				"a digit and entropy >= 3.",
			triggers: []trigger{{text: "bearer ", fold: true}},
			match:    bearerToken,
		},
		{
			id: "basic-auth-credentials", label: "BASIC_AUTH_CREDENTIALS", tier: tierContext,
			description: "Base64 user:password after the Basic scheme, or as the auth / _auth value of a Docker or npm config; " +
				"it must decode to printable user:password with a non-placeholder password.",
			triggers: []trigger{{text: "basic ", fold: true}, {text: "\"auth\""}, {text: "_auth="}},
			match:    basicAuthCredentials,
		},
	}
}

// connectionStringPassword finds the password in scheme://user:pw@host
// (the hit is "://") or user:pw@tcp(…) (the hit is "@tcp(" or "@unix(").
func connectionStringPassword(t []byte, h hit) span {
	if t[h.start] == '@' {
		return dsnPassword(t, h)
	}
	// The scheme must be there: letters, digits, + - . (RFC 3986).
	s := runStart(t, h.start, alnum|cPlus|cDash|cDot, 32)
	if s == h.start || !in(t[s], alpha) {
		return span{}
	}
	// The authority runs to the first '/', '?', '#', space or quote.
	i := h.end
	lim := min(len(t), i+512)
	at, colon := -1, -1
	e := i
	for ; e < lim; e++ {
		c := t[e]
		if c == '/' || c == '?' || c == '#' || in(c, cSpace|cNewline|cQuote) || c == '<' || c == '>' || c == '\\' {
			break
		}
		switch c {
		case '@':
			at = e // the last '@' ends the user-info
		case ':':
			if at < 0 && colon < 0 {
				colon = e
			}
		}
	}
	if at < 0 || colon < 0 || colon > at {
		return span{next: e}
	}
	// Something host-like after '@': a name, an IPv6 literal, or a value
	// another guardrail has already masked ("<IP_ADDRESS>"), since the
	// personal-data guardrail may see the text first.
	if at+1 >= len(t) || !(in(t[at+1], alnum) || t[at+1] == '[' || isMask(t[at+1:])) {
		return span{next: e}
	}
	user, pw := t[i:colon], t[colon+1:at]
	if !allIn(user, alnum|cDash|cDot|cUnderscore|cTilde|cPercent|cPlus|cEquals) || !plausibleURLPassword(pw) ||
		len(pw) < 3 || indexOf(pw, ":") >= 0 || isDocumentationHost(t[at+1:e]) {
		return span{next: e}
	}
	return span{start: colon + 1, end: at, next: e}
}

// isMask reports whether t starts with a guardrail mask: "<", upper-case
// letters, digits or '_', ">".
func isMask(t []byte) bool {
	if len(t) < 3 || t[0] != '<' {
		return false
	}
	for i := 1; i < len(t) && i < 64; i++ {
		c := t[i]
		switch {
		case c == '>':
			return i > 1
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return false
}

// dsnPassword handles user:password@tcp(host:port)/db.
func dsnPassword(t []byte, h hit) span {
	// Walk back over the password to the ':' after the user name.
	p := h.start
	for p > 0 && p > h.start-256 && t[p-1] != ':' && !in(t[p-1], cSpace|cNewline|cQuote) {
		p--
	}
	if p == 0 || t[p-1] != ':' {
		return span{}
	}
	u := runStart(t, p-1, alnum|cDash|cDot|cUnderscore, 64)
	if u == p-1 || !startsToken(t, u, alnum|cDash|cDot|cUnderscore) {
		return span{}
	}
	pw := t[p:h.start]
	if !plausibleURLPassword(pw) {
		return span{}
	}
	return span{start: p, end: h.start}
}

// urlPasswordStandIns are passwords that documentation writes into
// example URLs.
var urlPasswordStandIns = []string{
	"password", "pass", "passwd", "pwd", "secret", "changeme", "<password>", "xxx", "user", "username",
	"your-password", "your_password", "yourpassword", "mypassword", "p@ssw0rd", "p@ssword", "example",
	"foo", "bar", "test", "guest", "secret123", "password123",
}

// plausibleURLPassword reports whether pw, from a URL's user-info, is a
// password rather than a stand-in or a template reference.
func plausibleURLPassword(pw []byte) bool {
	if len(pw) == 0 || len(pw) > 256 {
		return false
	}
	if isTemplateReference(pw) {
		return false
	}
	for _, w := range urlPasswordStandIns {
		if equalFold(pw, w) {
			return false
		}
	}
	for _, w := range []string{"{{", "${", "xxxx", "***", "example", "changeme"} {
		if containsFold(pw, w) {
			return false
		}
	}
	return true
}

// bearerToken reads the token after "Bearer ".
func bearerToken(t []byte, h hit) span {
	if !startsToken(t, h.start, alnum) {
		return span{}
	}
	const tokenChars = alnum | cDash | cDot | cUnderscore | cTilde | cPlus | cSlash
	s := skipRun(t, h.end, cSpace, 3)
	e := runEnd(t, s, tokenChars, 4096)
	e = runEnd(t, e, cEquals, 2)
	tok := t[s:e]
	if len(tok) < 16 || !endsToken(t, e, tokenChars|cEquals) {
		return span{next: e}
	}
	if !hasLetterAndDigit(tok) || shannonEntropy(tok) < 3 || isPlaceholderToken(tok) || isPlaceholderValue(tok) {
		return span{next: e}
	}
	return span{start: s, end: e}
}

// basicAuthCredentials reads base64(user:password) after "Basic " or as
// a config's auth value.
func basicAuthCredentials(t []byte, h hit) span {
	var s int
	switch t[h.start] {
	case 'b', 'B':
		if !startsToken(t, h.start, alnum) {
			return span{}
		}
		s = skipRun(t, h.end, cSpace, 3)
	default: // "auth": "…" or _auth=…
		a, ok := findAssignment(t, h)
		if !ok {
			return span{}
		}
		s = a.valStart
	}
	e := runEnd(t, s, b64std, 512)
	e = runEnd(t, e, cEquals, 2)
	enc := t[s:e]
	if len(enc) < 8 || !endsToken(t, e, b64pad|cDash|cUnderscore|cDot) {
		return span{next: e}
	}
	var buf [392]byte // 514 base64 characters decode to at most 385 bytes
	var n int
	var err error
	if len(enc)%4 == 0 {
		n, err = base64.StdEncoding.Decode(buf[:], enc)
	} else {
		n, err = base64.RawStdEncoding.Decode(buf[:], enc)
	}
	if err != nil {
		return span{next: e}
	}
	dec := buf[:n]
	colon := -1
	for i, c := range dec {
		if c < 0x20 || c > 0x7e {
			return span{next: e}
		}
		if c == ':' && colon < 0 {
			colon = i
		}
	}
	if colon < 0 || !plausibleURLPassword(dec[colon+1:]) || isPlaceholderValue(dec[colon+1:]) {
		return span{next: e}
	}
	return span{start: s, end: e}
}

// isDocumentationHost reports whether hostport names a domain reserved
// for documentation (RFC 2606, RFC 6761): example.com/.net/.org and the
// .example, .invalid and .test top-level domains.
func isDocumentationHost(hostport []byte) bool {
	host := hostport
	if i := lastIndexByte(host, ':'); i >= 0 && host[0] != '[' {
		host = host[:i]
	}
	for len(host) > 0 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	for _, d := range []string{"example.com", "example.net", "example.org", ".example", ".invalid", ".test"} {
		if endsWithFold(host, d) && (len(host) == len(d) || d[0] == '.' || host[len(host)-len(d)-1] == '.') {
			return true
		}
	}
	return false
}
