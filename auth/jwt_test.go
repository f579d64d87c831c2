package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

// TestJWTAccepted checks a valid token of each key type and what the
// principal holds.
func TestJWTAccepted(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	e.idp.publish(t, "r1", k.rsa1)
	e.idp.publish(t, "e1", k.ec1)
	e.idp.publish(t, "e384", k.ec384)
	e.idp.publish(t, "ed", k.ed)

	for _, c := range []struct {
		name string
		alg  jwa.SignatureAlgorithm
		key  any
		kid  string
	}{
		{"RS256", jwa.RS256(), k.rsa1, "r1"},
		{"PS256", jwa.PS256(), k.rsa1, "r1"},
		{"RS512", jwa.RS512(), k.rsa1, "r1"},
		{"ES256", jwa.ES256(), k.ec1, "e1"},
		{"ES384", jwa.ES384(), k.ec384, "e384"},
		{"EdDSA", jwa.EdDSA(), k.ed, "ed"},
		{"no kid", jwa.ES256(), k.ec1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			exp := e.clk.Now().Add(30 * time.Minute).Unix()
			tok := sign(t, c.alg, c.key, c.kid, e.claims(map[string]any{"exp": exp, "client_id": "app-1"}), nil)
			p := authOK(t, e.a, tok)
			if p.Name != "alice" || p.Subject != "alice" || p.Method != MethodJWT || p.Issuer != e.idp.srv.URL || p.ClientID != "app-1" {
				t.Errorf("principal = %+v", p)
			}
			if !p.ExpiresAt.Equal(time.Unix(exp, 0)) {
				t.Errorf("ExpiresAt = %v, want %v", p.ExpiresAt, time.Unix(exp, 0))
			}
			if strings.Join(p.Roles, ",") != "admin,dev" || strings.Join(p.Scopes, ",") != "mcp:tools,mcp:read" {
				t.Errorf("roles %q scopes %q", p.Roles, p.Scopes)
			}
		})
	}
	if n := e.idp.jwksFetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", n)
	}
	if n := e.idp.discoveryFetches.Load(); n != 1 {
		t.Errorf("metadata fetched %d times, want 1", n)
	}

	// A token made with jwx's jwt builder and typ "JWT" works too.
	tok, err := jwt.NewBuilder().Issuer(e.idp.srv.URL).Audience([]string{"other", testResource}).Subject("bob").
		Expiration(e.clk.Now().Add(time.Minute)).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), k.rsa1))
	if err != nil {
		t.Fatal(err)
	}
	if _, isJWT := parseJWTHeader(string(signed)); !isJWT {
		t.Fatal("not recognised as a JWT")
	}
	if p := authOK(t, e.a, string(signed)); p.Name != "bob" {
		t.Errorf("name %q", p.Name)
	}
}

// TestJWTRotation rotates the issuer's keys mid-test: a new key is picked
// up by the refetch an unknown kid triggers (at most once per 10 s), old
// keys work while published, and stop working, cached tokens included,
// once withdrawn and the set refreshed.
func TestJWTRotation(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	e.idp.publish(t, "r1", k.rsa1)
	e.idp.publish(t, "e1", k.ec1)
	fetches := func() int64 { return e.idp.jwksFetches.Load() }

	oldRSA := sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)
	authOK(t, e.a, oldRSA)
	authOK(t, e.a, sign(t, jwa.ES256(), k.ec1, "e1", e.claims(nil), nil))
	if fetches() != 1 {
		t.Fatalf("fetches = %d, want 1", fetches())
	}

	// Rotate in new RSA and EC keys.
	e.idp.publish(t, "r2", k.rsa2)
	e.idp.publish(t, "e2", k.ec2)
	newRSA := sign(t, jwa.RS256(), k.rsa2, "r2", e.claims(nil), nil)
	// Within 10 s of the last fetch the unknown kid does not refetch.
	if f := authFail(t, e.a, request(newRSA)); f.Description != descNoKey {
		t.Errorf("new key before refetch: %q", f.Description)
	}
	if fetches() != 1 {
		t.Fatalf("fetches = %d after an unknown kid within 10s, want 1", fetches())
	}
	e.clk.Advance(11 * time.Second)
	authOK(t, e.a, newRSA)
	if fetches() != 2 {
		t.Fatalf("fetches = %d, want 2", fetches())
	}
	authOK(t, e.a, sign(t, jwa.ES256(), k.ec2, "e2", e.claims(nil), nil))

	// A flood of unknown kids refetches at most once per 10 s.
	for i := 0; i < 20; i++ {
		authFail(t, e.a, request(sign(t, jwa.ES256(), k.ec2, "unknown", e.claims(nil), nil)))
	}
	if fetches() != 2 {
		t.Fatalf("fetches = %d after a flood of unknown kids, want 2", fetches())
	}

	// The old key still works while published.
	authOK(t, e.a, oldRSA)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))

	// Withdraw the old keys: until the set is refreshed they still work...
	e.idp.withdraw("r1")
	e.idp.withdraw("e1")
	oldEC := sign(t, jwa.ES256(), k.ec1, "e1", e.claims(nil), nil)
	authOK(t, e.a, oldEC)
	authOK(t, e.a, oldRSA) // from the token cache
	// ...then a refresh (here triggered by an unknown kid) removes them,
	// and tokens already verified with them are forgotten.
	e.clk.Advance(11 * time.Second)
	authFail(t, e.a, request(sign(t, jwa.ES256(), k.ec2, "unknown", e.claims(nil), nil)))
	if fetches() != 3 {
		t.Fatalf("fetches = %d, want 3", fetches())
	}
	for name, tok := range map[string]string{"cached RSA": oldRSA, "EC": oldEC, "fresh RSA": sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)} {
		f := authFail(t, e.a, request(tok))
		if f.Status != 401 || f.Code != CodeInvalidToken || f.Description != descNoKey {
			t.Errorf("%s token of a withdrawn key: %+v", name, f)
		}
	}
	authOK(t, e.a, newRSA)
}

// TestJWKSExpiry checks that the set is refetched when its max-age runs
// out, and that a withdrawn key then stops working.
func TestJWKSExpiry(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	e.idp.set(func(p *idp) { p.cacheControl = "public, max-age=120" })
	e.idp.publish(t, "r1", k.rsa1)
	e.idp.publish(t, "e1", k.ec1)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
	e.idp.withdraw("r1")
	e.clk.Advance(119 * time.Second)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
	if n := e.idp.jwksFetches.Load(); n != 1 {
		t.Fatalf("fetches = %d before max-age ran out, want 1", n)
	}
	e.clk.Advance(2 * time.Second)
	f := authFail(t, e.a, request(sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)))
	if f.Description != descNoKey {
		t.Errorf("withdrawn key after expiry: %+v", f)
	}
	if n := e.idp.jwksFetches.Load(); n != 2 {
		t.Fatalf("fetches = %d after max-age, want 2", n)
	}
	authOK(t, e.a, sign(t, jwa.ES256(), k.ec1, "e1", e.claims(nil), nil))
}

func TestCacheTTL(t *testing.T) {
	for cc, want := range map[string]time.Duration{
		"":                           jwksDefaultTTL,
		"max-age=600":                10 * time.Minute,
		"public, max-age=5":          jwksMinTTL,
		"max-age=999999":             jwksMaxTTL,
		"no-store":                   jwksMinTTL,
		"private, no-cache":          jwksMinTTL,
		`max-age="300", must-revali`: 5 * time.Minute,
		"max-age=abc":                jwksDefaultTTL,
	} {
		h := http.Header{}
		if cc != "" {
			h.Set("Cache-Control", cc)
		}
		if got := cacheTTL(h); got != want {
			t.Errorf("cacheTTL(%q) = %v, want %v", cc, got, want)
		}
	}
}

// TestJWKSUnavailable: without keys a JWT is refused with a description
// saying so, and it is logged; with keys once fetched, a failing refresh
// keeps them.
func TestJWKSUnavailable(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	e.idp.publish(t, "r1", k.rsa1)
	e.idp.set(func(p *idp) { p.jwksStatus = http.StatusServiceUnavailable })
	tok := sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)
	f := authFail(t, e.a, request(tok))
	if f.Status != 401 || f.Code != CodeInvalidToken || !strings.Contains(f.Description, "keys are unavailable") {
		t.Errorf("failure = %+v", f)
	}
	if !strings.Contains(e.a.Challenge(f), `error="invalid_token"`) {
		t.Errorf("challenge %q", e.a.Challenge(f))
	}
	if logs := e.logs.String(); !strings.Contains(logs, "signing keys are unavailable") || !strings.Contains(logs, "503") {
		t.Errorf("not logged: %s", logs)
	}
	// Retried no more than once per 10 s.
	authFail(t, e.a, request(tok))
	if n := e.idp.jwksFetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}

	e.clk.Advance(11 * time.Second)
	e.idp.set(func(p *idp) { p.jwksStatus = 0 })
	authOK(t, e.a, tok)

	// The issuer fails again; after the set expires it is still used.
	e.idp.set(func(p *idp) { p.jwksStatus = http.StatusInternalServerError })
	e.clk.Advance(6 * time.Minute)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
	if n := e.idp.jwksFetches.Load(); n != 3 {
		t.Errorf("fetches = %d, want 3", n)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "using the keys fetched before") {
		t.Errorf("stale use not logged: %s", logs)
	}
	if strings.Contains(e.logs.String(), tok[:20]) {
		t.Error("the log holds token material")
	}
}

func TestDiscovery(t *testing.T) {
	k := keys(t)
	t.Run("openid-configuration fallback", func(t *testing.T) {
		e := newEnv(t, nil)
		e.idp.set(func(p *idp) { p.oidcOnly = true })
		e.idp.publish(t, "r1", k.rsa1)
		authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
		if n := e.idp.discoveryFetches.Load(); n != 2 {
			t.Errorf("metadata requests = %d, want 2", n)
		}
	})
	t.Run("jwksUrl configured", func(t *testing.T) {
		var e *env
		p := newIDP(t)
		e = newEnvWith(t, p, func(c *Config) { c.OAuth.JWKSURL = p.srv.URL + "/jwks" })
		e.idp.set(func(p *idp) { p.noDiscovery = true })
		e.idp.publish(t, "r1", k.rsa1)
		authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
		if n := e.idp.discoveryFetches.Load(); n != 0 {
			t.Errorf("metadata requests = %d, want 0", n)
		}
	})
	t.Run("metadata of another issuer", func(t *testing.T) {
		p := newIDP(t)
		e := newEnvWith(t, p, func(c *Config) { c.OAuth.Issuer = p.srv.URL + "/tenant" })
		e.idp.publish(t, "r1", k.rsa1)
		f := authFail(t, e.a, request(sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(map[string]any{"iss": p.srv.URL + "/tenant"}), nil)))
		if !strings.Contains(f.Description, "unavailable") {
			t.Errorf("failure %+v", f)
		}
		if !strings.Contains(e.logs.String(), "names issuer") {
			t.Errorf("log: %s", e.logs.String())
		}
	})
	if got := discoveryURLs("https://as.example.com/tenant1/"); strings.Join(got, " ") !=
		"https://as.example.com/.well-known/oauth-authorization-server/tenant1 https://as.example.com/.well-known/openid-configuration/tenant1 https://as.example.com/tenant1/.well-known/openid-configuration" {
		t.Errorf("discoveryURLs = %q", got)
	}
}

// newEnvWith is newEnv with a given idp.
func newEnvWith(t *testing.T, p *idp, mod func(c *Config)) *env {
	t.Helper()
	e := &env{idp: p, clk: newClock(), logs: &testenv.LogBuffer{}}
	cfg := Config{OAuth: &OAuthConfig{Issuer: p.srv.URL}}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg, Options{ResourceURL: testResource, HTTPClient: p.srv.Client(), Log: e.logs.Logger(), now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	e.a = a
	return e
}

// TestJWTRefused: every bad token gets 401 invalid_token and a challenge
// with the metadata URL, and the description never echoes the token.
func TestJWTRefused(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	e.idp.publish(t, "r1", k.rsa1)
	e.idp.publish(t, "e1", k.ec1)
	now := e.clk.Now()
	good := func(over map[string]any) string { return sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(over), nil) }
	// A control: the good token is accepted (so refusals below are for
	// the one thing each changes).
	authOK(t, e.a, good(nil))

	pubDER, err := x509.MarshalPKIXPublicKey(&k.rsa1.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	tamperPayload := func() string {
		parts := strings.Split(good(nil), ".")
		c, _ := json.Marshal(e.claims(map[string]any{"sub": "mallory", "roles": []string{"root"}}))
		parts[1] = base64.RawURLEncoding.EncodeToString(c)
		return strings.Join(parts, ".")
	}
	tamperSignature := func() string {
		tok := good(nil)
		i := strings.LastIndexByte(tok, '.') + 10
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	cases := []struct {
		name, token, desc string
	}{
		{"expired", good(map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}), descExpired},
		{"not yet valid", good(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()}), descNotYetValid},
		{"issued in the future", good(map[string]any{"iat": now.Add(5 * time.Minute).Unix()}), descIssuedInFuture},
		{"other audience", good(map[string]any{"aud": "https://other.example.com/mcp"}), descAudience},
		{"audience list without ours", good(map[string]any{"aud": []string{"a", "b"}}), descAudience},
		{"no audience", good(map[string]any{"aud": nil}), descAudience},
		{"other issuer", good(map[string]any{"iss": "https://evil.example.com"}), descIssuer},
		{"issuer with trailing slash", good(map[string]any{"iss": e.idp.srv.URL + "/"}), descIssuer},
		{"no issuer", good(map[string]any{"iss": nil}), descIssuer},
		{"missing exp", good(map[string]any{"exp": nil}), descNoExp},
		{"exp not a number", good(map[string]any{"exp": "tomorrow"}), descBadTime},
		{"alg none", unsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, e.claims(nil), nil), descAlgNone},
		{"alg None with kid", unsigned(t, map[string]any{"alg": "None", "kid": "r1"}, e.claims(nil), nil), descAlgNone},
		{"HS256 with the RSA public key as secret", sign(t, jwa.HS256(), pubPEM, "r1", e.claims(nil), nil), "token signing algorithm HS256 is not accepted"},
		{"HS256 with the DER public key as secret", sign(t, jwa.HS256(), pubDER, "r1", e.claims(nil), nil), "token signing algorithm HS256 is not accepted"},
		{"PS384: allowed by jwx, not allowlisted", sign(t, jwa.PS384(), k.rsa1, "r1", e.claims(nil), nil), "token signing algorithm PS384 is not accepted"},
		{"unknown alg", unsigned(t, map[string]any{"alg": "XX999", "kid": "r1"}, e.claims(nil), []byte("sig")), "token signing algorithm is not supported"},
		{"tampered payload", tamperPayload(), descSignature},
		{"tampered signature", tamperSignature(), descSignature},
		{"signed by an unknown key under a known kid", sign(t, jwa.RS256(), k.rsa2, "r1", e.claims(nil), nil), descSignature},
		{"RS256 under an EC key's kid", sign(t, jwa.RS256(), k.rsa1, "e1", e.claims(nil), nil), descKeyMismatch},
		{"ES256 with the EC key but the RSA kid", sign(t, jwa.ES256(), k.ec1, "r1", e.claims(nil), nil), descKeyMismatch},
		{"unknown kid", sign(t, jwa.RS256(), k.rsa1, "nope", e.claims(nil), nil), descNoKey},
		{"typ JOSE", sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), map[string]any{"typ": "JOSE"}), descTyp},
		{"typ dpop+jwt", sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), map[string]any{"typ": "dpop+jwt"}), descTyp},
		{"crit header", sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), map[string]any{"crit": []string{"exp"}, "exp": 1}), descCrit},
		{"alg of the wrong type", unsigned(t, map[string]any{"alg": 256}, e.claims(nil), nil), descBadHeader},
		{"no subject", good(map[string]any{"sub": nil}), descNoSubject},
		{"payload not JSON", signRaw(t, jwa.RS256(), k.rsa1, "r1", []byte("not json")), descPayload},
		{"opaque token without introspection", "opaque-token-0123456789", descUnknownToken},
		{"JWE-shaped", "a.b.c.d.e", descUnknownToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := authFail(t, e.a, request(c.token))
			if f.Status != http.StatusUnauthorized || f.Code != CodeInvalidToken {
				t.Errorf("status %d code %q, want 401 invalid_token", f.Status, f.Code)
			}
			if f.Description != c.desc {
				t.Errorf("description %q, want %q", f.Description, c.desc)
			}
			ch := e.a.Challenge(f)
			if !strings.Contains(ch, `resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp"`) ||
				!strings.Contains(ch, `error="invalid_token"`) || !strings.HasPrefix(ch, "Bearer ") {
				t.Errorf("challenge %q", ch)
			}
			for _, part := range strings.Split(c.token, ".") {
				if len(part) >= 8 && (strings.Contains(f.Description, part) || strings.Contains(ch, part)) {
					t.Errorf("token material echoed: %q", f.Description)
				}
			}
		})
	}

	// Defence in depth: even with HS256 allowlisted (which configuration
	// refuses), an RSA or EC key never verifies an HMAC signature.
	e.a.oauth.algs["HS256"] = jwa.HS256()
	if f := authFail(t, e.a, request(sign(t, jwa.HS256(), pubPEM, "r1", e.claims(nil), nil))); f.Description != descKeyMismatch {
		t.Errorf("HS256 with an allowlist that has it, kid r1: %+v", f)
	}
	if f := authFail(t, e.a, request(sign(t, jwa.HS256(), pubPEM, "", e.claims(nil), nil))); f.Description != descNoKey {
		t.Errorf("HS256 with an allowlist that has it, no kid: %+v", f)
	}
	delete(e.a.oauth.algs, "HS256")

	// Within the skew an expired token is still accepted.
	authOK(t, e.a, good(map[string]any{"exp": now.Add(-30 * time.Second).Unix()}))
	authOK(t, e.a, good(map[string]any{"nbf": now.Add(30 * time.Second).Unix()}))
	// Accepted typs.
	for _, typ := range []string{"JWT", "at+jwt", "application/at+JWT", ""} {
		authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), map[string]any{"typ": typ}))
	}
}

// signRaw signs an arbitrary payload.
func signRaw(t *testing.T, alg jwa.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	return signBytes(t, alg, key, kid, payload, nil)
}

// TestAlgorithmAllowlist: a configured allowlist refuses what it leaves
// out, even for a published key of the right type.
func TestAlgorithmAllowlist(t *testing.T) {
	k := keys(t)
	e := newEnv(t, func(c *Config) { c.OAuth.Algorithms = []string{"ES256"} })
	e.idp.publish(t, "r1", k.rsa1)
	e.idp.publish(t, "e1", k.ec1)
	authOK(t, e.a, sign(t, jwa.ES256(), k.ec1, "e1", e.claims(nil), nil))
	f := authFail(t, e.a, request(sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)))
	if f.Description != "token signing algorithm RS256 is not accepted" {
		t.Errorf("failure %+v", f)
	}
}

// TestAudienceConfigured: configured audiences replace the default.
func TestAudienceConfigured(t *testing.T) {
	k := keys(t)
	e := newEnv(t, func(c *Config) { c.OAuth.Audience = []string{"api://gateway", "gw"} })
	e.idp.publish(t, "r1", k.rsa1)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(map[string]any{"aud": []string{"x", "gw"}}), nil))
	authFail(t, e.a, request(sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)))
}

func TestInsufficientScope(t *testing.T) {
	k := keys(t)
	e := newEnv(t, func(c *Config) { c.OAuth.RequiredScopes = []string{"mcp:tools", "mcp:admin"} })
	e.idp.publish(t, "r1", k.rsa1)
	tok := sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil) // scope "mcp:tools mcp:read"
	for i := 0; i < 2; i++ {                                      // the second time from the cache
		f := authFail(t, e.a, request(tok))
		if f.Status != http.StatusForbidden || f.Code != CodeInsufficientScope || f.Scope != "mcp:tools mcp:admin" {
			t.Fatalf("failure %+v", f)
		}
		ch := e.a.Challenge(f)
		want := `Bearer resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", error_description="` + descInsufficientScope + `", scope="mcp:tools mcp:admin"`
		if ch != want {
			t.Errorf("challenge\n%s\nwant\n%s", ch, want)
		}
	}
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(map[string]any{"scope": "mcp:admin mcp:tools"}), nil))
	// "scp" as a list when "scope" is absent.
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(map[string]any{"scope": nil, "scp": []string{"mcp:admin", "mcp:tools"}}), nil))
	// No credentials: the challenge tells which scopes to ask for.
	f := authFail(t, e.a, request(""))
	if ch := e.a.Challenge(f); ch != `Bearer resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp:tools mcp:admin"` {
		t.Errorf("challenge %q", ch)
	}
}

func TestRolesAndScopesClaims(t *testing.T) {
	o := &oauthState{nameClaim: claimPath("", "sub"), rolesClaim: claimPath("", "roles")}
	decode := func(s string) claims {
		c, err := decodeClaims([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name                        string
		nameClaim, roles, scopes    string
		json                        string
		wantName, wantRoles, wantSc string
	}{
		{"list and space-separated scope", "", "", "", `{"sub":"a","roles":["r1","r2"],"scope":"s1 s2"}`, "a", "r1,r2", "s1,s2"},
		{"space-separated roles", "", "", "", `{"sub":"a","roles":"r1  r2","scope":["s1"]}`, "a", "r1,r2", "s1"},
		{"scp fallback", "", "", "", `{"sub":"a","scp":["s1","s2"]}`, "a", "", "s1,s2"},
		{"scp as string", "", "", "", `{"sub":"a","scp":"s1 s2"}`, "a", "", "s1,s2"},
		{"dotted path", "", "realm_access.roles", "", `{"sub":"a","realm_access":{"roles":["x","y"]}}`, "a", "x,y", ""},
		{"deep path", "", "resource_access.gw.roles", "", `{"sub":"a","resource_access":{"gw":{"roles":"z"}}}`, "a", "z", ""},
		{"claim name with dots", "", "https://example.com/roles", "", `{"sub":"a","https://example.com/roles":["u"]}`, "a", "u", ""},
		{"custom scopes claim", "", "", "permissions", `{"sub":"a","scope":"ignored","permissions":["p1","p2"]}`, "a", "", "p1,p2"},
		{"name claim", "email", "", "", `{"sub":"a","email":"a@example.com"}`, "a@example.com", "", ""},
		{"name claim missing falls back to sub", "email", "", "", `{"sub":"a"}`, "a", "", ""},
		{"client credentials: client_id", "", "", "", `{"client_id":"svc"}`, "svc", "", ""},
		{"wrong types ignored", "", "", "", `{"sub":"a","roles":{"x":1},"scope":5}`, "a", "", ""},
		{"non-string items dropped", "", "", "", `{"sub":"a","roles":["r",1,null,""]}`, "a", "r", ""},
		{"path through a non-object", "", "roles.x", "", `{"sub":"a","roles":["r"]}`, "a", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			oo := *o
			if c.nameClaim != "" {
				oo.nameClaim = claimPath(c.nameClaim, "")
			}
			if c.roles != "" {
				oo.rolesClaim = claimPath(c.roles, "")
			}
			if c.scopes != "" {
				oo.scopesClaim = claimPath(c.scopes, "")
			}
			p, f := oo.principal(decode(c.json), MethodJWT)
			if f != nil {
				t.Fatal(f)
			}
			if p.Name != c.wantName || strings.Join(p.Roles, ",") != c.wantRoles || strings.Join(p.Scopes, ",") != c.wantSc {
				t.Errorf("name %q roles %q scopes %q", p.Name, p.Roles, p.Scopes)
			}
		})
	}

	// End to end with a dotted roles claim.
	k := keys(t)
	e := newEnv(t, func(c *Config) { c.OAuth.RolesClaim = "realm_access.roles"; c.OAuth.NameClaim = "preferred_username" })
	e.idp.publish(t, "e1", k.ec1)
	p := authOK(t, e.a, sign(t, jwa.ES256(), k.ec1, "e1", e.claims(map[string]any{
		"realm_access": map[string]any{"roles": []string{"gw-admin"}}, "preferred_username": "alice.a",
	}), nil))
	if p.Name != "alice.a" || p.Subject != "alice" || strings.Join(p.Roles, ",") != "gw-admin" {
		t.Errorf("principal %+v", p)
	}
}

// TestTokenCache: a verified token is cached, never past its exp.
func TestTokenCache(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	e.idp.publish(t, "r1", k.rsa1)
	tok := sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(map[string]any{"exp": e.clk.Now().Add(20 * time.Second).Unix()}), nil)
	authOK(t, e.a, tok)
	if e.a.tokens.len() != 1 {
		t.Fatalf("cache holds %d entries", e.a.tokens.len())
	}
	e.clk.Advance(19 * time.Second)
	authOK(t, e.a, tok)
	e.clk.Advance(2 * time.Second) // past exp, within skew: verified again, accepted
	authOK(t, e.a, tok)
	e.clk.Advance(time.Minute)
	if f := authFail(t, e.a, request(tok)); f.Description != descExpired {
		t.Errorf("failure %+v", f)
	}

	c := newTokenCache(3)
	now := time.Now()
	for i := byte(0); i < 10; i++ {
		c.put([32]byte{i}, cacheEntry{principal: &Principal{}, expires: now.Add(time.Minute)}, now)
	}
	if c.len() > 3 {
		t.Errorf("bounded cache holds %d", c.len())
	}
	if _, ok := c.get([32]byte{9}, now); !ok {
		t.Error("latest entry missing")
	}
	if _, ok := c.get([32]byte{9}, now.Add(time.Minute)); ok {
		t.Error("expired entry returned")
	}
}

// TestClose: after Close API keys and fetched keys keep working, and no
// fetch starts.
func TestClose(t *testing.T) {
	k := keys(t)
	e := newEnv(t, func(c *Config) { c.APIKeys = []APIKey{{Name: "ci", Key: ciKey}} })
	e.idp.publish(t, "r1", k.rsa1)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
	e.a.Close()
	e.a.Close()
	authOK(t, e.a, ciKey)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
	e.clk.Advance(time.Hour)
	authOK(t, e.a, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))
	if n := e.idp.jwksFetches.Load(); n != 1 {
		t.Errorf("fetches after Close: %d", n)
	}

	e2 := newEnv(t, nil)
	e2.a.Close()
	if f := authFail(t, e2.a, request(sign(t, jwa.RS256(), k.rsa1, "r1", e2.claims(nil), nil))); f.Description != descKeysUnavailable {
		t.Errorf("failure %+v", f)
	}
}
