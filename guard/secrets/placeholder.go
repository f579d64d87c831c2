package secrets

import "encoding/base64"

// tokenStandIns are fragments that mark the random part of a structured
// token as written by hand for documentation or tests. They are long
// enough that a generated value practically never contains one.
var tokenStandIns = newFragmentSet(
	"example", "xxxxxx", "******", "placeholder", "redacted", "dummy", "sample",
	"abcdefgh", "12345678", "your_", "your-", "insert", "token", "secret", "password",
)

// maxRepeat is the longest run of one byte (other than base64's 'A' and
// '/') a generated token is taken to hold; "ghp_PersonalAccessToken00000000"
// has a longer one.
const maxRepeat = 5

// isPlaceholderToken reports whether body, the random part of a structured
// token, is a stand-in: too little entropy (a repeated character) or a
// documentation word.
func isPlaceholderToken(body []byte) bool {
	if len(body) == 0 {
		return true
	}
	if shannonEntropy(body) < minTokenEntropy(min(len(body), maxEntropySample)) {
		return true
	}
	return longestRun(body) > maxRepeat || tokenStandIns.foundIn(body)
}

// longestRun returns the length of the longest run of one byte in b,
// leaving out runs of 'A' and '/': base64 of binary data (AWS session
// tokens, macaroons) has them where bytes are 0x00 or 0xFF.
func longestRun(b []byte) int {
	best, n := 0, 0
	for i := range b {
		if i > 0 && b[i] == b[i-1] {
			n++
		} else {
			n = 1
		}
		if b[i] != 'A' && b[i] != '/' {
			best = max(best, n)
		}
	}
	return best
}

// valueStandIns are fragments that mark an assigned value (a password,
// a generic secret) as a placeholder rather than a credential.
var valueStandIns = newFragmentSet(
	"example", "changeme", "change_me", "change-me", "changeit", "placeholder",
	"redacted", "xxxx", "****", "....", "…", "•", "dummy", "sample", "your",
	"insert", "replace", "secret", "password", "passwd", "token", "apikey",
	"api_key", "api-key", "todo", "fixme", "notreal", "not_real", "not-real",
	"fake", "default", "{{", "}}", "${", "$(", "<", ">",
	// A value naming a key or credential is a variable, not its content
	// (testRSA2048PrivateKey, js.fetch:credentials).
	"key", "cred", "auth", "pass",
)

// isPlaceholderValue reports whether v is a template reference ($VAR,
// ${VAR}, {{ var }}, %VAR%, <your-key>), a mask, or a documentation
// stand-in ("changeme", "example", "xxxx").
func isPlaceholderValue(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	if isTemplateReference(v) {
		return true
	}
	return valueStandIns.foundIn(v)
}

// documentedExamples are credentials published in provider documentation
// and tutorials; they are never reported. They are assembled from parts
// so that this file is not itself mistaken for one holding credentials.
var documentedExamples = func() map[string]struct{} {
	jwtPart := func(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }
	m := map[string]struct{}{}
	for _, v := range []string{
		"AKIA" + "IOSFODNN7EXAMPLE",                      // AWS documentation access key id
		"wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",  // AWS documentation secret key
		"je7MtGbClwBF/2Zp9Utk/h3yCo8nvb" + "EXAMPLEKEY",  // AWS documentation secret key
		"sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",          // Stripe documentation test key
		"sk_test_" + "BQokikJOvBiI2HlWgH4olfQ2",          // Stripe documentation test key
		"ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a",  // GitHub documentation token
		"xoxb-" + "not-a-real-token-this-will-not-work",  // Slack documentation token
		"hf_" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",     // Hugging Face documentation token
		"AIza" + "SyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",   // Google Maps documentation key
		"QWxhZGRpbjpvcGVuIHNlc2FtZQ==",                   // RFC 7617 Basic credentials (Aladdin:open sesame)
		"YWxhZGRpbjpvcGVuc2VzYW1l",                       // aladdin:opensesame
		"123456:" + "ABC-DEF1234ghIkl-zyx57W2v1u123ew11", // Telegram Bot API documentation token
		"jwt:" + jwtPart(`{"sub":"1234567890","name":"John Doe","iat":1516239022}`),
		"jwt:" + jwtPart(`{"sub":"1234567890","name":"John Doe","admin":true,"iat":1516239022}`),
		"jwt:" + jwtPart(`{"sub":"1234567890","name":"John Doe","admin":true}`),
	} {
		m[v] = struct{}{}
	}
	return m
}()

// isDocumentedJWT reports whether payload, the middle part of a JWT, is the
// payload of the sample token shown on jwt.io and in most tutorials.
func isDocumentedJWT(payload []byte) bool {
	if len(payload) > 200 {
		return false
	}
	var buf [204]byte
	n := copy(buf[:], "jwt:")
	n += copy(buf[n:], payload)
	_, ok := documentedExamples[string(buf[:n])]
	return ok
}

// isTemplateReference reports whether v starts like a reference to a value
// kept elsewhere: $VAR, ${VAR}, $(cmd), {var}, <var>, [MASKED], %VAR%,
// %s, %(name)s, @VAR@, #{var}.
func isTemplateReference(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	next := byte(0)
	if len(v) > 1 {
		next = v[1]
	}
	switch v[0] {
	case '{', '<', '[':
		return true
	case '$':
		return in(next, alpha|cUnderscore) || next == '{' || next == '('
	case '%':
		return in(next, alpha) || next == '(' || next == '{'
	case '@':
		return v[len(v)-1] == '@'
	case '#':
		return next == '{'
	}
	return false
}

// fragmentSet is a set of lower-case fragments looked for, ignoring ASCII
// case, in one pass over a text.
type fragmentSet struct {
	// next[c] has bit (d & 63) set when a fragment starts with c (either
	// case) followed by d; bit 0 of single[c] when a fragment is c alone.
	next    [256]uint64
	single  [256]bool
	byFirst [256][]string // fragments by their first byte, in either case
}

// newFragmentSet indexes fragments (lower case, not empty).
func newFragmentSet(fragments ...string) *fragmentSet {
	f := &fragmentSet{}
	for _, w := range fragments {
		for _, c := range []byte{w[0], upperASCII(w[0])} {
			if len(f.byFirst[c]) > 0 && f.byFirst[c][len(f.byFirst[c])-1] == w {
				continue // w[0] is not a letter
			}
			f.byFirst[c] = append(f.byFirst[c], w)
			if len(w) == 1 {
				f.single[c] = true
			} else {
				f.next[c] |= 1 << (w[1] & 63)
			}
		}
	}
	return f
}

// upperASCII maps an ASCII lower-case letter to upper case.
func upperASCII(b byte) byte {
	if b-'a' < 26 {
		return b - ('a' - 'A')
	}
	return b
}

// foundIn reports whether b contains any of the fragments, ignoring case.
func (f *fragmentSet) foundIn(b []byte) bool {
	for i, c := range b {
		if f.single[c] {
			return true
		}
		if i+1 >= len(b) || f.next[c]&(1<<(lowerASCII(b[i+1])&63)) == 0 {
			continue
		}
		for _, w := range f.byFirst[c] {
			if hasPrefixFold(b, i, w) {
				return true
			}
		}
	}
	return false
}
