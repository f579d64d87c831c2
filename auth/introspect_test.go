package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func introspectionEnv(t *testing.T, secret string, mod func(c *Config)) *env {
	t.Helper()
	p := newIDP(t)
	return newEnvWith(t, p, func(c *Config) {
		c.OAuth.Introspection = &IntrospectionConfig{URL: p.srv.URL + "/introspect", ClientID: introspectID, ClientSecret: secret}
		if mod != nil {
			mod(c)
		}
	})
}

func TestIntrospection(t *testing.T) {
	e := introspectionEnv(t, introspectSecret, nil)
	now := e.clk.Now()
	iss := e.idp.srv.URL
	e.idp.set(func(p *idp) {
		p.introspected["opaque-active"] = map[string]any{
			"active": true, "sub": "bob", "username": "bob@example.com", "client_id": "app", "scope": "mcp:tools mcp:read",
			"roles": []string{"viewer"}, "iss": iss, "aud": []string{testResource}, "exp": now.Add(time.Hour).Unix(), "token_type": "Bearer",
		}
		p.introspected["opaque-minimal"] = map[string]any{"active": true, "client_id": "svc"}
		p.introspected["opaque-inactive"] = map[string]any{"active": false}
		p.introspected["opaque-expired"] = map[string]any{"active": true, "sub": "bob", "exp": now.Add(-time.Hour).Unix()}
		p.introspected["opaque-other-aud"] = map[string]any{"active": true, "sub": "bob", "aud": "https://other.example.com"}
		p.introspected["opaque-other-iss"] = map[string]any{"active": true, "sub": "bob", "iss": "https://evil.example.com"}
		p.introspected["opaque-active-string"] = map[string]any{"active": "true", "sub": "bob"}
	})
	calls := func() int64 { return e.idp.introspections.Load() }

	p := authOK(t, e.a, "opaque-active")
	if p.Name != "bob" || p.Method != MethodIntrospection || p.ClientID != "app" || p.Issuer != iss ||
		strings.Join(p.Scopes, " ") != "mcp:tools mcp:read" || strings.Join(p.Roles, ",") != "viewer" ||
		!p.ExpiresAt.Equal(time.Unix(now.Add(time.Hour).Unix(), 0)) {
		t.Errorf("principal %+v", p)
	}
	if e.idp.badClientAuth.Load() != 0 {
		t.Error("client authentication not accepted by the endpoint")
	}
	// Cached: no second call.
	authOK(t, e.a, "opaque-active")
	if calls() != 1 {
		t.Errorf("introspection calls = %d, want 1 (cached)", calls())
	}
	// Cached at most 5 minutes.
	e.clk.Advance(5*time.Minute + time.Second)
	authOK(t, e.a, "opaque-active")
	if calls() != 2 {
		t.Errorf("introspection calls = %d, want 2 after the cache expired", calls())
	}

	if p := authOK(t, e.a, "opaque-minimal"); p.Name != "svc" || p.Issuer != iss || !p.ExpiresAt.IsZero() {
		t.Errorf("principal %+v", p)
	}

	for tok, desc := range map[string]string{
		"opaque-inactive":      descInactive,
		"opaque-unknown":       descInactive,
		"opaque-expired":       descExpired,
		"opaque-other-aud":     descAudience,
		"opaque-other-iss":     descIssuer,
		"opaque-active-string": descInactive,
	} {
		f := authFail(t, e.a, request(tok))
		if f.Status != 401 || f.Code != CodeInvalidToken || f.Description != desc {
			t.Errorf("%s: %+v, want %q", tok, f, desc)
		}
		if ch := e.a.Challenge(f); !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, "resource_metadata=") {
			t.Errorf("challenge %q", ch)
		}
	}
	// Inactive results are remembered briefly.
	before := calls()
	authFail(t, e.a, request("opaque-inactive"))
	if calls() != before {
		t.Error("inactive result not cached")
	}
	e.clk.Advance(inactiveTTL + time.Second)
	authFail(t, e.a, request("opaque-inactive"))
	if calls() != before+1 {
		t.Error("inactive result cached too long")
	}

	// An active result is not used past the token's exp.
	soon := e.clk.Now().Add(2 * time.Minute).Unix()
	e.idp.set(func(p *idp) {
		p.introspected["opaque-soon"] = map[string]any{"active": true, "sub": "bob", "exp": soon}
	})
	authOK(t, e.a, "opaque-soon")
	before = calls()
	e.clk.Advance(2*time.Minute + time.Second)
	authOK(t, e.a, "opaque-soon") // within the skew: asked again, still accepted
	if calls() != before+1 {
		t.Error("result cached past exp")
	}
	e.clk.Advance(time.Minute)
	if f := authFail(t, e.a, request("opaque-soon")); f.Description != descExpired {
		t.Errorf("failure %+v", f)
	}
	if strings.Contains(e.logs.String(), "opaque-") {
		t.Error("a token was logged")
	}
}

func TestIntrospectionClientAuthRefused(t *testing.T) {
	e := introspectionEnv(t, "wrong-secret", nil)
	f := authFail(t, e.a, request("opaque-active"))
	if f.Status != 401 || f.Code != CodeInvalidToken || f.Description != descIntrospectionUnavailable {
		t.Errorf("failure %+v", f)
	}
	if e.idp.badClientAuth.Load() != 1 {
		t.Error("endpoint not called")
	}
	if logs := e.logs.String(); !strings.Contains(logs, "introspection failed") || !strings.Contains(logs, "401") || strings.Contains(logs, "wrong-secret") {
		t.Errorf("log: %s", logs)
	}
}

// TestIntrospectionOfJWTWithoutKeys: a JWT whose issuer publishes no keys
// is introspected when introspection is configured.
func TestIntrospectionOfJWTWithoutKeys(t *testing.T) {
	k := keys(t)
	e := introspectionEnv(t, introspectSecret, nil)
	e.idp.set(func(p *idp) { p.jwksStatus = 404 })
	tok := sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(nil), nil)
	e.idp.set(func(p *idp) { p.introspected[tok] = map[string]any{"active": true, "sub": "carol"} })
	if p := authOK(t, e.a, tok); p.Name != "carol" || p.Method != MethodIntrospection {
		t.Errorf("principal %+v", p)
	}
	// A JWT that is refused for its own sake is not introspected.
	e.idp.set(func(p *idp) { p.jwksStatus = 0 })
	e.idp.publish(t, "r1", k.rsa1)
	e.clk.Advance(11 * time.Second)
	before := e.idp.introspections.Load()
	bad := sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(map[string]any{"aud": "other"}), nil)
	if f := authFail(t, e.a, request(bad)); f.Description != descAudience {
		t.Errorf("failure %+v", f)
	}
	if e.idp.introspections.Load() != before {
		t.Error("a refused JWT was introspected")
	}
}

func TestIntrospectionRequiredScopes(t *testing.T) {
	e := introspectionEnv(t, introspectSecret, func(c *Config) { c.OAuth.RequiredScopes = []string{"mcp:admin"} })
	e.idp.set(func(p *idp) {
		p.introspected["opaque-active"] = map[string]any{"active": true, "sub": "bob", "scope": "mcp:tools"}
	})
	f := authFail(t, e.a, request("opaque-active"))
	if f.Status != 403 || f.Code != CodeInsufficientScope || f.Scope != "mcp:admin" {
		t.Errorf("failure %+v", f)
	}
}
