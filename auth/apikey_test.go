package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	ciKey  = "ci-0123456789abcdef0123"
	opsKey = "ops-fedcba9876543210fedc"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func apiKeyAuthenticator(t *testing.T) *Authenticator {
	t.Helper()
	t.Setenv("TEST_CI_KEY", ciKey)
	cfg, err := ParseConfig(json.RawMessage(`{"apiKeys": [
		{"name": "ci", "key": "${TEST_CI_KEY}", "roles": ["deployer"], "scopes": ["mcp:tools"]},
		{"name": "ops", "keySha256": "` + strings.ToUpper(sha(opsKey)) + `", "roles": ["admin", "ops"]},
		{"name": "other", "key": "other-key-0000000000000"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIKeys[0].Key != ciKey {
		t.Fatalf("${TEST_CI_KEY} not expanded")
	}
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestAPIKeys(t *testing.T) {
	a := apiKeyAuthenticator(t)
	p := authOK(t, a, ciKey)
	if p.Name != "ci" || p.Method != MethodAPIKey || !p.HasRole("deployer") || !p.HasScope("mcp:tools") || !p.ExpiresAt.IsZero() {
		t.Errorf("principal %+v", p)
	}
	p = authOK(t, a, opsKey)
	if p.Name != "ops" || strings.Join(p.Roles, ",") != "admin,ops" {
		t.Errorf("principal %+v", p)
	}
	// Each call returns its own value.
	p.Name = "changed"
	if q := authOK(t, a, opsKey); q.Name != "ops" {
		t.Errorf("principal shared between calls")
	}
	// Scheme names are case-insensitive.
	r := request("")
	r.Header.Set("Authorization", "bearer "+ciKey)
	if p, err := a.Authenticate(r); err != nil || p.Name != "ci" {
		t.Errorf("lower-case scheme: %v %v", p, err)
	}

	for _, wrong := range []string{ciKey + "x", ciKey[:len(ciKey)-1], strings.ToUpper(ciKey), sha(opsKey), "x"} {
		f := authFail(t, a, request(wrong))
		if f.Status != 401 || f.Code != CodeInvalidToken || f.Description != descNotAPIKey {
			t.Errorf("wrong key: %+v", f)
		}
		// Without OAuth there is no metadata to point at.
		if ch := a.Challenge(f); ch != `Bearer error="invalid_token", error_description="the token is not a valid API key"` {
			t.Errorf("challenge %q", ch)
		}
	}
	if a.MetadataPaths() != nil {
		t.Errorf("metadata paths without OAuth: %q", a.MetadataPaths())
	}
	w := httptest.NewRecorder()
	a.ServeMetadata(w, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("metadata without OAuth: %d", w.Code)
	}
}

// TestAPIKeyAndOAuth: API keys are tried first, and OAuth's
// requiredScopes do not apply to them.
func TestAPIKeyAndOAuth(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.APIKeys = []APIKey{{Name: "ci", Key: ciKey}}
		c.OAuth.RequiredScopes = []string{"mcp:tools"}
	})
	if p := authOK(t, e.a, ciKey); p.Name != "ci" {
		t.Errorf("principal %+v", p)
	}
	f := authFail(t, e.a, request("not-a-key-and-not-a-jwt"))
	if f.Description != descUnknownToken {
		t.Errorf("failure %+v", f)
	}
	if e.idp.jwksFetches.Load() != 0 {
		t.Error("an opaque token fetched the JWKS")
	}
}

func TestBearerHeader(t *testing.T) {
	a := apiKeyAuthenticator(t)
	cases := []struct {
		name   string
		req    func() *http.Request
		code   string
		desc   string
		wantCh string
	}{
		{"no header", func() *http.Request { return request("") }, "", descNoCredentials, "Bearer"},
		{"empty header", func() *http.Request { r := request(""); r.Header.Set("Authorization", " "); return r }, "", descNoCredentials, "Bearer"},
		{"basic", func() *http.Request { r := request(""); r.SetBasicAuth("ci", ciKey); return r }, CodeInvalidRequest, descBadScheme, ""},
		{"bearer without token", func() *http.Request { r := request(""); r.Header.Set("Authorization", "Bearer"); return r }, CodeInvalidRequest, descMalformed, ""},
		{"bearer blank", func() *http.Request { r := request(""); r.Header.Set("Authorization", "Bearer   "); return r }, CodeInvalidRequest, descMalformed, ""},
		{"token with a space", func() *http.Request { r := request(""); r.Header.Set("Authorization", "Bearer "+ciKey+" x"); return r }, CodeInvalidRequest, descMalformed, ""},
		{"two headers", func() *http.Request {
			r := request(ciKey)
			r.Header.Add("Authorization", "Bearer "+opsKey)
			return r
		}, CodeInvalidRequest, descMultipleHeaders, ""},
		{"token in the query", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/mcp?access_token="+ciKey, nil)
		}, CodeInvalidRequest, descQueryToken, ""},
		{"token in the query and the header", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/mcp?x=1&access_token="+ciKey, nil)
			r.Header.Set("Authorization", "Bearer "+ciKey)
			return r
		}, CodeInvalidRequest, descQueryToken, ""},
		{"too long", func() *http.Request { return request(strings.Repeat("a", maxTokenBytes+1)) }, CodeInvalidRequest, descTooLong, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := authFail(t, a, c.req())
			if f.Status != 401 || f.Code != c.code || f.Description != c.desc {
				t.Errorf("failure %+v, want 401 %q %q", f, c.code, c.desc)
			}
			ch := a.Challenge(f)
			if c.wantCh != "" && ch != c.wantCh {
				t.Errorf("challenge %q, want %q", ch, c.wantCh)
			}
			if c.code != "" && !strings.Contains(ch, `error="`+c.code+`"`) {
				t.Errorf("challenge %q", ch)
			}
			if strings.Contains(f.Error(), ciKey) || strings.Contains(ch, ciKey) {
				t.Error("key echoed")
			}
		})
	}
}

// TestMatchAPIKeyComparesAll checks the constant-time loop over keys: the
// right entry is found wherever it is.
func TestMatchAPIKeyComparesAll(t *testing.T) {
	var keys []APIKey
	for i := 0; i < 20; i++ {
		keys = append(keys, APIKey{Name: string(rune('a' + i)), Key: strings.Repeat(string(rune('a'+i)), 20)})
	}
	a, err := New(Config{APIKeys: keys}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k.Key))
		if p := a.matchAPIKey(&sum); p == nil || p.Name != k.Name {
			t.Errorf("key %s: %+v", k.Name, p)
		}
	}
	sum := sha256.Sum256([]byte("nope"))
	if p := a.matchAPIKey(&sum); p != nil {
		t.Errorf("matched %+v", p)
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		o    Options
		want string
	}{
		{"empty", Config{}, Options{}, "nothing to authenticate"},
		{"both key forms", Config{APIKeys: []APIKey{{Name: "a", Key: ciKey, KeySHA256: sha(ciKey)}}}, Options{}, "exactly one"},
		{"short key", Config{APIKeys: []APIKey{{Name: "a", Key: "short"}}}, Options{}, "too short"},
		{"same key twice", Config{APIKeys: []APIKey{{Name: "a", Key: ciKey}, {Name: "b", KeySHA256: sha(ciKey)}}}, Options{}, "same key"},
		{"no resource URL", Config{OAuth: &OAuthConfig{Issuer: "https://as.example.com"}}, Options{}, "ResourceURL is required"},
		{"bad resource URL", Config{OAuth: &OAuthConfig{Issuer: "https://as.example.com"}}, Options{ResourceURL: "/mcp"}, "invalid URL"},
		{"HS256", Config{OAuth: &OAuthConfig{Issuer: "https://as.example.com", Algorithms: []string{"HS256"}}}, Options{ResourceURL: testResource}, "not accepted"},
		{"bad skew", Config{OAuth: &OAuthConfig{Issuer: "https://as.example.com", ClockSkew: "1h"}}, Options{ResourceURL: testResource}, "clockSkew"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(c.cfg, c.o)
			if err == nil {
				a.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q", err, c.want)
			}
		})
	}
}
