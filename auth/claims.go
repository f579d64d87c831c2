package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
)

// claims is a decoded JSON object of token claims (a JWT payload or an
// introspection response); numbers are json.Number.
type claims map[string]any

// decodeClaims decodes a JSON object, keeping numbers exact.
func decodeClaims(b []byte) (claims, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c claims
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return c, nil
}

// lookup follows a claim path ("realm_access.roles") through objects. A
// claim whose name itself contains dots is found too: at each step the
// longest matching name wins.
func (c claims) lookup(path []string) (any, bool) {
	var cur any = map[string]any(c)
	for i := 0; i < len(path); {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		found := false
		for j := len(path); j > i; j-- {
			if v, ok := m[strings.Join(path[i:j], ".")]; ok {
				cur, i, found = v, j, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return cur, true
}

// str returns the claim name if it is a non-empty string.
func (c claims) str(name string) string {
	s, _ := c[name].(string)
	return s
}

// stringsOf reads a list of strings or a space-separated string. Other
// values, and non-string list items, yield nothing.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, it := range v {
			if s, ok := it.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// numericDate reads a NumericDate claim (RFC 7519 §2): seconds since the
// epoch, possibly fractional. ok is false when it is absent; err is set
// when it is present but not a finite, non-negative number.
func (c claims) numericDate(name string) (t time.Time, ok bool, err error) {
	v, present := c[name]
	if !present {
		return time.Time{}, false, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return time.Time{}, true, errors.New(name + " is not a number")
	}
	f, ferr := n.Float64()
	if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e12 {
		return time.Time{}, true, errors.New(name + " is not a valid time")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// audience reads "aud": a string or a list of strings.
func (c claims) audience() []string {
	switch v := c["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		return stringsOf(v)
	}
	return nil
}

// principal builds the principal of validated claims: Name from the name
// claim (falling back to sub, then username and client_id), roles from the
// roles claim, scopes from the scopes claim (default "scope", then "scp").
// A token naming nobody is refused.
func (o *oauthState) principal(c claims, method string) (*Principal, *Failure) {
	p := &Principal{
		Method:   method,
		Subject:  c.str("sub"),
		Issuer:   c.str("iss"),
		ClientID: c.str("client_id"),
	}
	if p.ClientID == "" {
		p.ClientID = c.str("azp")
	}
	if v, ok := c.lookup(o.nameClaim); ok {
		switch v := v.(type) {
		case string:
			p.Name = v
		case json.Number:
			p.Name = v.String()
		}
	}
	for _, fallback := range []string{p.Subject, c.str("username"), p.ClientID} {
		if p.Name == "" {
			p.Name = fallback
		}
	}
	if p.Name == "" {
		return nil, invalidToken(descNoSubject)
	}
	if v, ok := c.lookup(o.rolesClaim); ok {
		p.Roles = stringsOf(v)
	}
	if o.scopesClaim != nil {
		if v, ok := c.lookup(o.scopesClaim); ok {
			p.Scopes = stringsOf(v)
		}
	} else if v, ok := c["scope"]; ok {
		p.Scopes = stringsOf(v)
	} else if v, ok := c["scp"]; ok {
		p.Scopes = stringsOf(v)
	}
	return p, nil
}

// checkTimes validates exp (required when requireExp), nbf and iat against
// now with the skew; it returns the expiry (zero if absent).
func (o *oauthState) checkTimes(c claims, now time.Time, requireExp bool) (time.Time, *Failure) {
	exp, hasExp, err := c.numericDate("exp")
	switch {
	case err != nil:
		return time.Time{}, invalidToken(descBadTime)
	case !hasExp && requireExp:
		return time.Time{}, invalidToken(descNoExp)
	case hasExp && !now.Before(exp.Add(o.skew)):
		return time.Time{}, invalidToken(descExpired)
	}
	nbf, hasNbf, err := c.numericDate("nbf")
	switch {
	case err != nil:
		return time.Time{}, invalidToken(descBadTime)
	case hasNbf && now.Add(o.skew).Before(nbf):
		return time.Time{}, invalidToken(descNotYetValid)
	}
	iat, hasIat, err := c.numericDate("iat")
	switch {
	case err != nil:
		return time.Time{}, invalidToken(descBadTime)
	case hasIat && now.Add(o.skew).Before(iat):
		return time.Time{}, invalidToken(descIssuedInFuture)
	}
	return exp, nil
}

// checkIssuerAudience validates iss (exact match; required when
// requireIss) and aud (one of the accepted audiences; required when
// requireAud).
func (o *oauthState) checkIssuerAudience(c claims, requireIss, requireAud bool) *Failure {
	iss, present := c["iss"]
	if present || requireIss {
		if s, _ := iss.(string); s != o.issuer {
			return invalidToken(descIssuer)
		}
	}
	if _, present := c["aud"]; !present && !requireAud {
		return nil
	}
	for _, aud := range c.audience() {
		if contains(o.audiences, aud) {
			return nil
		}
	}
	return invalidToken(descAudience)
}

// Descriptions of claim failures.
const (
	descNoSubject      = "token names no subject (sub)"
	descBadTime        = "token has an invalid time claim (exp, nbf or iat)"
	descNoExp          = "token has no expiry (exp)"
	descExpired        = "token has expired"
	descNotYetValid    = "token is not valid yet (nbf)"
	descIssuedInFuture = "token is issued in the future (iat)"
	descIssuer         = "token is from another issuer (iss)"
	descAudience       = "token is for another audience (aud)"
)
