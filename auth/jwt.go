package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Descriptions of JWT failures.
const (
	descBadHeader       = "token header is malformed"
	descAlgNone         = `unsigned tokens (alg "none") are not accepted`
	descTyp             = `token type (typ) must be "JWT" or "at+jwt"`
	descCrit            = "tokens with critical header extensions (crit) are not accepted"
	descKeysUnavailable = "the issuer's signing keys are unavailable; try again later"
	descNoKey           = "no signing key of the issuer matches the token (kid)"
	descKeyMismatch     = "the issuer's key for this token does not match the token's algorithm"
	descSignature       = "token signature is invalid"
	descPayload         = "token payload is not a JSON object"
)

// maxKeyTries bounds the keys tried for a token without a kid.
const maxKeyTries = 8

// jwtHeader is what is read of a JWS protected header before verifying.
type jwtHeader struct {
	alg, kid, typ string
	hasTyp        bool
	crit          bool
	malformed     bool
}

// parseJWTHeader reports whether token has the shape of a JWS compact
// serialization (three dot-separated parts, the first a base64url JSON
// object) and reads its header. An opaque token is not a JWT; a JWT with a
// header of the wrong types is one, with malformed set.
func parseJWTHeader(token string) (*jwtHeader, bool) {
	i := strings.IndexByte(token, '.')
	if i <= 0 {
		return nil, false
	}
	rest := token[i+1:]
	j := strings.IndexByte(rest, '.')
	if j < 0 || strings.IndexByte(rest[j+1:], '.') >= 0 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token[:i])
	if err != nil {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	h := &jwtHeader{}
	field := func(name string, dst *string) bool {
		v, ok := m[name]
		if ok && json.Unmarshal(v, dst) != nil {
			h.malformed = true
		}
		return ok
	}
	if !field("alg", &h.alg) || h.alg == "" {
		h.malformed = true
	}
	field("kid", &h.kid)
	h.hasTyp = field("typ", &h.typ)
	_, h.crit = m["crit"]
	return h, true
}

// typOK reports whether a typ header value is acceptable for an access
// token: JWT or at+jwt (RFC 9068 §2.1), as media types or their short forms.
func typOK(typ string) bool {
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == "jwt" || t == "at+jwt"
}

// algDescription names alg in a refusal, without echoing arbitrary header
// text.
func algDescription(alg string) string {
	if _, known := jwa.LookupSignatureAlgorithm(alg); known {
		return fmt.Sprintf("token signing algorithm %s is not accepted", alg)
	}
	return "token signing algorithm is not supported"
}

// verifyJWT validates a JWT access token: the algorithm against the
// allowlist and the key, the signature with the issuer's key, then typ,
// iss, aud, exp, nbf and iat.
func (a *Authenticator) verifyJWT(ctx context.Context, token string, h *jwtHeader, now time.Time) result {
	o := a.oauth
	switch {
	case h.malformed:
		return result{f: invalidToken(descBadHeader)}
	case strings.EqualFold(h.alg, "none"):
		return result{f: invalidToken(descAlgNone)}
	}
	alg, allowed := o.algs[h.alg]
	switch {
	case !allowed:
		return result{f: invalidToken(algDescription(h.alg))}
	case h.hasTyp && !typOK(h.typ):
		return result{f: invalidToken(descTyp)}
	case h.crit:
		return result{f: invalidToken(descCrit)}
	}

	// Read the generation before the keys: if a key is withdrawn while
	// this token is being verified, the outcome is not cached.
	gen := a.tokens.generation()
	set, err := o.jwks.keys(ctx, false)
	if err != nil {
		return result{f: invalidToken(descKeysUnavailable), keysUnavailable: true}
	}
	var cands []*verifyKey
	if h.kid != "" {
		named := set.withKid(h.kid)
		if len(named) == 0 {
			// Perhaps the issuer rotated its keys: refetch (rate limited).
			if s, err := o.jwks.keys(ctx, true); err == nil {
				named = s.withKid(h.kid)
			}
		}
		if len(named) == 0 {
			return result{f: invalidToken(descNoKey)}
		}
		for _, k := range named {
			if k.fits(h.alg) {
				cands = append(cands, k)
			}
		}
		if len(cands) == 0 {
			return result{f: invalidToken(descKeyMismatch)}
		}
	} else {
		for _, k := range set.keys {
			if k.fits(h.alg) && len(cands) < maxKeyTries {
				cands = append(cands, k)
			}
		}
		if len(cands) == 0 {
			return result{f: invalidToken(descNoKey)}
		}
	}

	var payload []byte
	err = nil
	for _, k := range cands {
		// The algorithm is the header's, checked against the allowlist
		// and the key's type above; jws checks it against the key again.
		if payload, err = jws.Verify([]byte(token), jws.WithKey(alg, k.key)); err == nil {
			break
		}
	}
	if err != nil {
		return result{f: invalidToken(descSignature)}
	}

	c, err := decodeClaims(payload)
	if err != nil {
		return result{f: invalidToken(descPayload)}
	}
	if f := o.checkIssuerAudience(c, true, true); f != nil {
		return result{f: f}
	}
	exp, f := o.checkTimes(c, now, true)
	if f != nil {
		return result{f: f}
	}
	p, f := o.principal(c, MethodJWT)
	if f != nil {
		return result{f: f}
	}
	p.ExpiresAt = exp
	return result{p: p, until: earliest(exp, now.Add(tokenCacheTTL)), jwt: true, gen: gen}
}

// earliest returns the earlier of a and b.
func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
