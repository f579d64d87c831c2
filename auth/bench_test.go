package auth

import (
	"context"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// BenchmarkAuthenticateAPIKey: a hit on the last of ten keys (all ten are
// compared whatever matches).
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	var keys []APIKey
	for i := 0; i < 10; i++ {
		keys = append(keys, APIKey{Name: string(rune('a' + i)), Key: "key-0123456789abcdef-" + string(rune('a'+i))})
	}
	a, err := New(Config{APIKeys: keys}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	r := request(keys[9].Key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateJWT: the warm path of a JWT access token (keys
// fetched, verification cached), authorization (a required scope)
// included.
func BenchmarkAuthenticateJWT(b *testing.B) {
	k := keys(b)
	for _, c := range []struct {
		name string
		alg  jwa.SignatureAlgorithm
		key  any
	}{{"RS256", jwa.RS256(), k.rsa1}, {"ES256", jwa.ES256(), k.ec1}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, func(c *Config) { c.OAuth.RequiredScopes = []string{"mcp:tools"} })
			e.idp.publish(b, "k", c.key)
			r := request(sign(b, c.alg, c.key, "k", e.claims(nil), nil))
			if _, err := e.a.Authenticate(r); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.a.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyJWT: full verification of a JWT with the key set cached
// but no verification cache (what a token's first use costs).
func BenchmarkVerifyJWT(b *testing.B) {
	k := keys(b)
	for _, c := range []struct {
		name string
		alg  jwa.SignatureAlgorithm
		key  any
	}{{"RS256", jwa.RS256(), k.rsa1}, {"ES256", jwa.ES256(), k.ec1}, {"EdDSA", jwa.EdDSA(), k.ed}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, nil)
			e.idp.publish(b, "k", c.key)
			tok := sign(b, c.alg, c.key, "k", e.claims(nil), nil)
			authOK(b, e.a, tok)
			now := e.clk.Now()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				hdr, _ := parseJWTHeader(tok)
				if res := e.a.verifyJWT(ctx, tok, hdr, now); res.f != nil {
					b.Fatal(res.f)
				}
			}
		})
	}
}
