package secrets

import "bytes"

// keyRules: private keys and signed tokens.
func keyRules() []*rule {
	return []*rule{
		{
			id: "private-key", label: "PRIVATE_KEY", tier: tierStructured,
			description: "PEM private key block (-----BEGIN [RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP …] PRIVATE KEY[ BLOCK]----- … -----END …-----) " +
				"with at least 64 base64 characters; the whole block is reported. A block cut off before its END line is reported up to the " +
				"last base64 line. JSON-escaped line breaks (\\n) are understood.",
			triggers: []trigger{{text: "-----BEGIN "}},
			match:    pemPrivateKey,
		},
		{
			id: "putty-private-key", label: "PRIVATE_KEY", tier: tierStructured,
			description: "PuTTY private key file (PuTTY-User-Key-File-N: … Private-Lines: … Private-MAC: <hex>); the whole key is reported.",
			triggers:    []trigger{{text: "PuTTY-User-Key-File-"}},
			match:       puttyPrivateKey,
		},
		{
			id: "age-secret-key", label: "AGE_SECRET_KEY", tier: tierStructured,
			description: "age encryption secret key: AGE-SECRET-KEY-1 + 58 upper-case bech32 characters; scores 1.0 when the bech32 checksum holds, 0.95 otherwise.",
			triggers:    []trigger{{text: "AGE-SECRET-KEY-1"}},
			match:       ageSecretKey,
		},
		{
			id: "jwt", label: "JWT", tier: tierStructured,
			description: "JSON Web Token: three (JWS) or five (JWE) base64url parts separated by dots, the first a JSON header (eyJ…); " +
				"an unsigned token (empty third part) only when the payload is JSON too. The jwt.io sample token is ignored.",
			triggers: []trigger{{text: "eyJ"}},
			match:    jsonWebToken,
		},
	}
}

const (
	pemBegin = "-----BEGIN "
	pemDash  = "-----"
	pemEnd   = "-----END "
	// maxPEMBody bounds how far the END line of a block is looked for.
	maxPEMBody = 64 << 10
	// minPEMBase64 is the least base64 a block must hold to be a key and
	// not a documentation stub such as "-----BEGIN PRIVATE KEY-----\n...".
	minPEMBase64 = 64
)

// pemDashBytes is pemDash as bytes, for bytes.Index.
var pemDashBytes = []byte(pemDash)

// pemPrivateKey matches a PEM block whose label names a private key.
func pemPrivateKey(t []byte, h hit) span {
	i := indexOf(t[h.end:min(len(t), h.end+110)], pemDash)
	if i < 0 {
		return span{}
	}
	labelEnd := h.end + i
	if !isPrivateKeyLabel(t[h.end:labelEnd]) {
		return span{next: labelEnd}
	}
	bodyStart := labelEnd + len(pemDash)
	limit := min(len(t), bodyStart+maxPEMBody)
	k := bytes.Index(t[bodyStart:limit], pemDashBytes)
	if k >= 0 {
		limit = bodyStart + k // a body holds no dashes: the block ends here
	}
	if k >= 0 && hasPrefixAt(t, bodyStart+k, pemEnd) {
		endLabel := bodyStart + k + len(pemEnd)
		j := indexOf(t[endLabel:min(len(t), endLabel+110)], pemDash)
		if j >= 0 && isPrivateKeyLabel(t[endLabel:endLabel+j]) {
			end := endLabel + j + len(pemDash)
			if countIn(t[bodyStart:bodyStart+k], b64pad) < minPEMBase64 {
				return span{next: end}
			}
			return span{start: h.start, end: end}
		}
	}
	// No END line: the key was cut off. Report it up to its last line
	// of base64.
	end := pemBodyEnd(t, bodyStart, limit)
	if countIn(t[bodyStart:end], b64pad) < minPEMBase64 {
		return span{next: bodyStart}
	}
	return span{start: h.start, end: end}
}

// isPrivateKeyLabel reports whether a PEM label (RSA PRIVATE KEY, PGP
// PRIVATE KEY BLOCK, …) names a private key.
func isPrivateKeyLabel(label []byte) bool {
	return len(label) <= 100 && allIn(label, upperAlnum|cSpace|cDash|cUnderscore) && indexOf(label, "PRIVATE KEY") >= 0
}

// pemBodyEnd returns the end of the last line, from bodyStart, that
// belongs to a PEM body: base64 lines, and the Proc-Type / DEK-Info /
// Version / Comment header lines. Line breaks may be real or JSON-escaped.
func pemBodyEnd(t []byte, bodyStart, limit int) int {
	end := bodyStart
	i := bodyStart
	for i < limit {
		// Skip line breaks and indentation.
		for i < limit {
			if in(t[i], cSpace|cNewline) {
				i++
			} else if t[i] == '\\' && i+1 < limit && (t[i+1] == 'n' || t[i+1] == 'r') {
				i += 2
			} else {
				break
			}
		}
		lineStart := i
		for i < limit && !in(t[i], cNewline) && t[i] != '\\' {
			i++
		}
		line := t[lineStart:i]
		if len(line) == 0 {
			break
		}
		if !allIn(bytes.TrimRight(line, " \t"), b64pad) && !isPEMHeaderLine(line) {
			break
		}
		end = lineStart + len(bytes.TrimRight(line, " \t"))
	}
	return end
}

// isPEMHeaderLine reports whether line is an RFC 1421 / OpenPGP armor header.
func isPEMHeaderLine(line []byte) bool {
	for _, p := range []string{"Proc-Type:", "DEK-Info:", "Version:", "Comment:", "Hash:"} {
		if hasPrefixAt(line, 0, p) {
			return true
		}
	}
	return false
}

// puttyPrivateKey matches a PuTTY .ppk file up to its Private-MAC line.
func puttyPrivateKey(t []byte, h hit) span {
	const window = 16 << 10
	limit := min(len(t), h.start+window)
	area := t[h.end:limit]
	mac := indexOf(area, "Private-MAC:")
	if mac < 0 || indexOf(area[:mac], "Private-Lines:") < 0 {
		return span{next: limit}
	}
	i := skipRun(t, h.end+mac+len("Private-MAC:"), cSpace, 4)
	e := runEnd(t, i, hexAny, 128)
	if e-i < 40 {
		return span{next: e}
	}
	return span{start: h.start, end: e}
}

// bech32Charset is the bech32 alphabet (BIP 173), in value order.
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Value maps a bech32 character (either case) to its value + 1; 0
// for bytes outside the alphabet.
var bech32Value = func() (v [256]uint8) {
	for i := 0; i < len(bech32Charset); i++ {
		c := bech32Charset[i]
		v[c] = uint8(i + 1)
		if c >= 'a' && c <= 'z' {
			v[c-'a'+'A'] = uint8(i + 1)
		}
	}
	return v
}()

// ageSecretKey matches AGE-SECRET-KEY-1 + 58 bech32 characters and scores
// the checksum.
func ageSecretKey(t []byte, h hit) span {
	if !startsToken(t, h.start, alnum|cDash) {
		return span{}
	}
	e := h.end
	for e < len(t) && e-h.end < 59 && bech32Value[t[e]] != 0 && in(t[e], upperAlnum) {
		e++
	}
	if e-h.end != 58 || !endsToken(t, e, alnum) || isPlaceholderToken(t[h.end:e]) {
		return span{next: e}
	}
	score := 0.95
	if bech32Valid("age-secret-key-", t[h.end:e]) {
		score = 1.0
	}
	return span{start: h.start, end: e, score: score}
}

// bech32Valid reports whether data (the characters after the '1'
// separator, any case) carries a valid bech32 checksum for hrp.
func bech32Valid(hrp string, data []byte) bool {
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Step(chk, uint32(hrp[i])>>5)
	}
	chk = bech32Step(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Step(chk, uint32(hrp[i])&31)
	}
	for _, c := range data {
		v := bech32Value[c]
		if v == 0 {
			return false
		}
		chk = bech32Step(chk, uint32(v-1))
	}
	return chk == 1
}

// bech32Step advances the bech32 checksum polynomial by one value.
func bech32Step(chk, v uint32) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	b := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ v
	for i := 0; i < 5; i++ {
		if (b>>uint(i))&1 == 1 {
			chk ^= gen[i]
		}
	}
	return chk
}

// jsonWebToken matches a compact JWS (header.payload.signature) or JWE
// (header.key.iv.ciphertext.tag) whose header is base64url JSON.
func jsonWebToken(t []byte, h hit) span {
	const maxPart = 16 << 10
	if !startsToken(t, h.start, b64url|cDot) {
		return span{}
	}
	// Split into up to five dot-separated base64url parts.
	var parts [5][2]int
	n := 0
	for i := h.start; n < 5; {
		e := runEnd(t, i, b64url, maxPart)
		parts[n] = [2]int{i, e}
		n++
		if e >= len(t) || t[e] != '.' {
			break
		}
		i = e + 1
	}
	size := func(k int) int { return parts[k][1] - parts[k][0] }
	if n < 3 || size(0) < 10 {
		return span{next: parts[n-1][1]}
	}
	var end, payload int
	if n == 5 && size(4) > 0 {
		// JWE: the encrypted key may be empty ("dir"); IV, ciphertext and
		// tag may not.
		if size(2) < 16 || size(3) < 2 || size(4) < 16 {
			return span{next: parts[4][1]}
		}
		end, payload = parts[4][1], 3
	} else {
		// JWS; a fourth part, if any, is a sentence's full stop or a
		// file extension, not part of the token.
		if size(1) < 10 {
			return span{next: parts[n-1][1]}
		}
		switch sig := size(2); {
		case sig == 0 && !hasPrefixAt(t, parts[1][0], "eyJ"):
			return span{next: parts[2][1]}
		case sig > 0 && sig < 16:
			return span{next: parts[2][1]}
		}
		end, payload = parts[2][1], 1
		for k := 0; k < 2 && end < len(t) && t[end] == '='; k++ {
			end++ // padded signatures
		}
	}
	if !endsToken(t, end, b64url) {
		return span{next: end}
	}
	p := t[parts[payload][0]:parts[payload][1]]
	if isDocumentedJWT(p) || isPlaceholderToken(p) {
		return span{next: end}
	}
	return span{start: h.start, end: end}
}
