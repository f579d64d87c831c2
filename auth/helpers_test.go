package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

const testResource = "https://gw.example.com/mcp"

// testKeySet holds the test keys, generated once: RSA generation is slow
// under -race.
type testKeySet struct {
	rsa1, rsa2 *rsa.PrivateKey
	ec1, ec2   *ecdsa.PrivateKey // P-256
	ec384      *ecdsa.PrivateKey
	ed         ed25519.PrivateKey
}

var (
	testKeysOnce sync.Once
	testKeys     testKeySet
	testKeysErr  error
)

func keys(t testing.TB) *testKeySet {
	t.Helper()
	testKeysOnce.Do(func() {
		k := &testKeys
		var errs [6]error
		k.rsa1, errs[0] = rsa.GenerateKey(rand.Reader, 2048)
		k.rsa2, errs[1] = rsa.GenerateKey(rand.Reader, 2048)
		k.ec1, errs[2] = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		k.ec2, errs[3] = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		k.ec384, errs[4] = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		_, k.ed, errs[5] = ed25519.GenerateKey(rand.Reader)
		testKeysErr = errors.Join(errs[:]...)
	})
	if testKeysErr != nil {
		t.Fatal(testKeysErr)
	}
	return &testKeys
}

func newClock() *testenv.Clock { return testenv.NewClock(time.Now().Truncate(time.Second)) }

// idp is an authorization server: metadata, a JWKS whose keys the test
// changes, and an RFC 7662 introspection endpoint.
type idp struct {
	srv *httptest.Server

	mu           sync.Mutex
	keys         []jwk.Key
	jwksStatus   int    // 0: 200
	cacheControl string // Cache-Control of the JWKS
	oidcOnly     bool   // no RFC 8414 document, only openid-configuration
	noDiscovery  bool
	introspected map[string]map[string]any // token → response

	jwksFetches      atomic.Int64
	discoveryFetches atomic.Int64
	introspections   atomic.Int64
	badClientAuth    atomic.Int64
}

const (
	introspectID     = "gateway client"
	introspectSecret = "s3cret:with/odd&chars"
)

func newIDP(t testing.TB) *idp {
	t.Helper()
	p := &idp{introspected: make(map[string]map[string]any)}
	mux := http.NewServeMux()
	metadata := func(w http.ResponseWriter, r *http.Request) {
		p.discoveryFetches.Add(1)
		p.mu.Lock()
		oidcOnly, none := p.oidcOnly, p.noDiscovery
		p.mu.Unlock()
		if none || (oidcOnly && strings.Contains(r.URL.Path, "oauth-authorization-server")) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                 p.srv.URL,
			"jwks_uri":               p.srv.URL + "/jwks",
			"introspection_endpoint": p.srv.URL + "/introspect",
		})
	}
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", metadata)
	mux.HandleFunc("GET /.well-known/openid-configuration", metadata)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/{path...}", metadata)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwksFetches.Add(1)
		p.mu.Lock()
		status, cc := p.jwksStatus, p.cacheControl
		set := jwk.NewSet()
		for _, k := range p.keys {
			_ = set.AddKey(k)
		}
		p.mu.Unlock()
		if status != 0 && status != http.StatusOK {
			http.Error(w, "unavailable", status)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		p.introspections.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "gateway+client" || secret != "s3cret%3Awith%2Fodd%26chars" {
			p.badClientAuth.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("token_type_hint") != "access_token" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		resp, ok := p.introspected[r.PostForm.Get("token")]
		p.mu.Unlock()
		if !ok {
			resp = map[string]any{"active": false}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// publish adds the public part of priv to the JWKS under kid.
func (p *idp) publish(t testing.TB, kid string, priv any) {
	t.Helper()
	k, err := jwk.PublicKeyOf(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.keys = append(p.keys, k)
	p.mu.Unlock()
}

// withdraw removes the key kid from the JWKS.
func (p *idp) withdraw(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.keys[:0]
	for _, k := range p.keys {
		if id, _ := k.KeyID(); id != kid {
			out = append(out, k)
		}
	}
	p.keys = out
}

func (p *idp) set(f func(p *idp)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// env is an Authenticator with OAuth against an idp, on a fake clock.
type env struct {
	idp  *idp
	clk  *testenv.Clock
	logs *testenv.LogBuffer
	a    *Authenticator
}

func newEnv(t testing.TB, mod func(c *Config)) *env {
	t.Helper()
	p := newIDP(t)
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

var jti atomic.Int64

// claimsFor are valid claims for the env's issuer and resource at the
// clock's time, with overrides (a nil value deletes the claim).
func (e *env) claims(over map[string]any) map[string]any {
	now := e.clk.Now()
	c := map[string]any{
		"iss":   e.idp.srv.URL,
		"aud":   testResource,
		"sub":   "alice",
		"exp":   now.Add(time.Hour).Unix(),
		"iat":   now.Unix(),
		"nbf":   now.Add(-time.Second).Unix(),
		"scope": "mcp:tools mcp:read",
		"roles": []string{"admin", "dev"},
		"jti":   fmt.Sprint(jti.Add(1)),
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign makes a compact JWS of claims with the given protected headers
// (default typ at+jwt; a "" value deletes a header).
func sign(t testing.TB, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any, hdr map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return signBytes(t, alg, key, kid, payload, hdr)
}

// signBytes makes a compact JWS of payload (see sign).
func signBytes(t testing.TB, alg jwa.SignatureAlgorithm, key any, kid string, payload []byte, hdr map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	fields := map[string]any{"typ": "at+jwt"}
	if kid != "" {
		fields["kid"] = kid
	}
	for k, v := range hdr {
		fields[k] = v
	}
	for k, v := range fields {
		if v == "" {
			continue
		}
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unsigned makes a compact JWS with the raw header and claims and the
// given signature bytes.
func unsigned(t testing.TB, header map[string]any, claims map[string]any, sig []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(sig)
}

func request(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, testResource, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// authOK authenticates token and fails the test on refusal.
func authOK(t testing.TB, a *Authenticator, token string) *Principal {
	t.Helper()
	p, err := a.Authenticate(request(token))
	if err != nil {
		t.Fatalf("token refused: %v", err)
	}
	if p == nil {
		t.Fatal("nil principal without error")
	}
	return p
}

// authFail authenticates token and returns the failure.
func authFail(t testing.TB, a *Authenticator, r *http.Request) *Failure {
	t.Helper()
	p, err := a.Authenticate(r)
	if err == nil {
		t.Fatalf("accepted as %+v, want a refusal", p)
	}
	f, ok := err.(*Failure)
	if !ok {
		t.Fatalf("error is %T, want *Failure", err)
	}
	if p != nil {
		t.Fatal("principal returned with an error")
	}
	return f
}
