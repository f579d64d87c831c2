package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

type private struct{ key any }

// TestParseKeySet keeps only keys usable for verifying signatures.
func TestParseKeySet(t *testing.T) {
	k := keys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	member := func(raw any, fields map[string]any) json.RawMessage {
		t.Helper()
		var key jwk.Key
		switch raw := raw.(type) {
		case []byte:
			key, err = jwk.Import(raw)
		case private:
			key, err = jwk.Import(raw.key)
		default:
			key, err = jwk.PublicKeyOf(raw)
		}
		if err != nil {
			t.Fatal(err)
		}
		for n, v := range fields {
			if err := key.Set(n, v); err != nil {
				t.Fatal(err)
			}
		}
		b, err := json.Marshal(key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := []json.RawMessage{
		member(k.rsa1, map[string]any{"kid": "ok-rsa", "use": "sig"}),
		member(k.ec1, map[string]any{"kid": "ok-ec", "alg": "ES256"}),
		member(k.ed, map[string]any{"kid": "ok-ed"}),
		member(k.rsa2, map[string]any{"kid": "enc", "use": "enc"}),
		member(k.rsa2, map[string]any{"kid": "sign-only", "key_ops": []string{"sign"}}),
		json.RawMessage(`{"kty":"RSA","kid":"small","e":"AQAB","n":"` + base64.RawURLEncoding.EncodeToString(small.N.Bytes()) + `"}`),
		member([]byte("0123456789abcdef0123456789abcdef"), map[string]any{"kid": "oct"}),
		json.RawMessage(`{"kty":"ML-DSA","kid":"pq","pub":"AAAA"}`),
		member(private{k.rsa1}, map[string]any{"kid": "private-in-set"}), // its public part is used
	}
	doc, _ := json.Marshal(map[string]any{"keys": set})
	logs := &testenv.LogBuffer{}
	ks, err := parseKeySet(doc, logs.Logger())
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, vk := range ks.keys {
		kids = append(kids, vk.kid)
	}
	if got := strings.Join(kids, ","); got != "ok-rsa,ok-ec,ok-ed,private-in-set" {
		t.Errorf("usable keys %q; log:\n%s", got, logs)
	}
	ec := ks.withKid("ok-ec")[0]
	if !ec.fits("ES256") || ec.fits("ES384") || ec.fits("RS256") {
		t.Error("EC key fits the wrong algorithms")
	}
	rsaKey := ks.withKid("ok-rsa")[0]
	if !rsaKey.fits("PS256") || rsaKey.fits("ES256") || rsaKey.fits("HS256") || rsaKey.fits("none") {
		t.Error("RSA key fits the wrong algorithms")
	}

	if _, err := parseKeySet([]byte(`{"keys":[]}`), slog.Default()); err == nil {
		t.Error("empty set accepted")
	}
	if _, err := parseKeySet([]byte(`not json`), slog.Default()); err == nil {
		t.Error("garbage accepted")
	}
	_ = jwa.RS256
}

// TestKeyAlgPinned: a key whose "alg" is RS384 does not verify RS256.
func TestKeyAlgPinned(t *testing.T) {
	k := keys(t)
	e := newEnv(t, nil)
	key, err := jwk.PublicKeyOf(k.rsa1)
	if err != nil {
		t.Fatal(err)
	}
	_ = key.Set(jwk.KeyIDKey, "r1")
	_ = key.Set(jwk.AlgorithmKey, jwa.RS384())
	e.idp.set(func(p *idp) { p.keys = append(p.keys, key) })
	authOK(t, e.a, sign(t, jwa.RS384(), k.rsa1, "r1", e.claims(nil), nil))
	if f := authFail(t, e.a, request(sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil))); f.Description != descKeyMismatch {
		t.Errorf("failure %+v", f)
	}
}

func TestSecretsNotLogged(t *testing.T) {
	logs := &testenv.LogBuffer{}
	l := logs.Logger()
	l.Info("config", "key", APIKey{Name: "ci", Key: "very-secret-key-123", Roles: []string{"r"}},
		"introspection", IntrospectionConfig{URL: "https://as/i", ClientID: "gw", ClientSecret: "very-secret-2"})
	if s := logs.String(); strings.Contains(s, "very-secret") || !strings.Contains(s, "ci") || !strings.Contains(s, "https://as/i") {
		t.Errorf("log: %s", s)
	}
}
