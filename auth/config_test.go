package auth

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigFull(t *testing.T) {
	t.Setenv("TEST_AUTH_KEY", "k-0123456789abcdef")
	t.Setenv("TEST_AUTH_SECRET", "intro-secret")
	t.Setenv("TEST_AUTH_EMPTY", "")
	raw := `{
		"apiKeys": [
			{"name": "ci", "key": "${TEST_AUTH_KEY}", "roles": ["deployer"], "scopes": ["mcp:tools"]},
			{"name": "lit", "key": "$${NOT_A_VAR}-0123456789"},
			{"name": "def", "key": "${TEST_AUTH_EMPTY:-fallback-0123456789}"},
			{"name": "env", "key": "${env:TEST_AUTH_KEY}-2"},
			{"name": "ops", "keySha256": "` + sha(opsKey) + `"}
		],
		"oauth": {
			"issuer": "https://login.example.com/realms/gw",
			"audience": ["https://gw.example.com/mcp", "gw"],
			"jwksUrl": "https://login.example.com/realms/gw/certs",
			"algorithms": ["RS256", "ES256"],
			"clockSkew": "30s",
			"nameClaim": "preferred_username",
			"rolesClaim": "realm_access.roles",
			"scopesClaim": "scp",
			"requiredScopes": ["mcp:tools"],
			"introspection": {"url": "https://login.example.com/introspect", "clientId": "gw", "clientSecret": "${TEST_AUTH_SECRET}"},
			"authorizationServers": ["https://login.example.com/realms/gw"],
			"scopesSupported": ["mcp:tools", "mcp:admin"],
			"resourceDocumentation": "https://docs.example.com/gw"
		}
	}`
	cfg, err := ParseConfig(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		APIKeys: []APIKey{
			{Name: "ci", Key: "k-0123456789abcdef", Roles: []string{"deployer"}, Scopes: []string{"mcp:tools"}},
			{Name: "lit", Key: "${NOT_A_VAR}-0123456789"},
			{Name: "def", Key: "fallback-0123456789"},
			{Name: "env", Key: "k-0123456789abcdef-2"},
			{Name: "ops", KeySHA256: sha(opsKey)},
		},
		OAuth: &OAuthConfig{
			Issuer:                "https://login.example.com/realms/gw",
			Audience:              []string{"https://gw.example.com/mcp", "gw"},
			JWKSURL:               "https://login.example.com/realms/gw/certs",
			Algorithms:            []string{"RS256", "ES256"},
			ClockSkew:             "30s",
			NameClaim:             "preferred_username",
			RolesClaim:            "realm_access.roles",
			ScopesClaim:           "scp",
			RequiredScopes:        []string{"mcp:tools"},
			Introspection:         &IntrospectionConfig{URL: "https://login.example.com/introspect", ClientID: "gw", ClientSecret: "intro-secret"},
			AuthorizationServers:  []string{"https://login.example.com/realms/gw"},
			ScopesSupported:       []string{"mcp:tools", "mcp:admin"},
			ResourceDocumentation: "https://docs.example.com/gw",
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got\n%+v\n%+v\nwant\n%+v\n%+v", cfg, *cfg.OAuth, want, *want.OAuth)
	}
	a, err := New(cfg, Options{ResourceURL: testResource})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// TestParseConfigErrors: each error names its key path and never
// contains key material.
func TestParseConfigErrors(t *testing.T) {
	t.Setenv("TEST_AUTH_SET", "s3cr3t-value-0123456789")
	good := `{"name": "a", "key": "0123456789abcdef"}`
	oauth := func(body string) string { return `{"oauth": {"issuer": "https://as.example.com"` + body + `}}` }
	cases := []struct{ name, raw, want string }{
		{"nothing", `{}`, `gateway.auth: nothing to authenticate with`},
		{"null", `null`, `gateway.auth: expected an object, got null`},
		{"not an object", `[]`, `gateway.auth: expected an object, got a list`},
		{"unknown top key", `{"apiKey": []}`, `gateway.auth: unknown key "apiKey" (valid keys: apiKeys, oauth)`},
		{"apiKeys not a list", `{"apiKeys": {}}`, `gateway.auth.apiKeys: expected a list of objects, got an object`},
		{"entry not an object", `{"apiKeys": ["k"]}`, `gateway.auth.apiKeys[0]: expected an object, got a string`},
		{"bad keySha256", `{"apiKeys": [` + good + `, {"name": "b", "keySha256": "xyz"}]}`, `gateway.auth.apiKeys[1].keySha256: expected 64 hex digits`},
		{"keySha256 of the wrong type", `{"apiKeys": [` + good + `, {"name": "b", "keySha256": 12}]}`, `gateway.auth.apiKeys[1].keySha256: expected a string, got a number`},
		{"keySha256 63 digits", `{"apiKeys": [{"name": "b", "keySha256": "` + sha("x")[:63] + `"}]}`, `gateway.auth.apiKeys[0].keySha256: expected 64 hex digits`},
		{"both key forms", `{"apiKeys": [{"name": "a", "key": "0123456789abcdef", "keySha256": "` + sha("x") + `"}]}`, `gateway.auth.apiKeys[0]: give one of "key" and "keySha256", not both`},
		{"neither key form", `{"apiKeys": [{"name": "a"}]}`, `gateway.auth.apiKeys[0]: missing "key" or "keySha256"`},
		{"missing name", `{"apiKeys": [{"key": "0123456789abcdef"}]}`, `gateway.auth.apiKeys[0]: missing "name"`},
		{"empty name", `{"apiKeys": [{"name": " ", "key": "0123456789abcdef"}]}`, `gateway.auth.apiKeys[0].name: empty name`},
		{"name of the wrong type", `{"apiKeys": [{"name": 1, "key": "0123456789abcdef"}]}`, `gateway.auth.apiKeys[0].name: expected a string, got a number`},
		{"duplicate name", `{"apiKeys": [` + good + `, {"name": "a", "key": "fedcba9876543210"}]}`, `gateway.auth.apiKeys[1].name: duplicate name "a" (also gateway.auth.apiKeys[0])`},
		{"duplicate key", `{"apiKeys": [` + good + `, {"name": "b", "keySha256": "` + sha("0123456789abcdef") + `"}]}`, `gateway.auth.apiKeys[1]: the same key as gateway.auth.apiKeys[0]`},
		{"short key", `{"apiKeys": [{"name": "a", "key": "s3cr3t"}]}`, `gateway.auth.apiKeys[0].key: too short (6 characters)`},
		{"key with a space", `{"apiKeys": [{"name": "a", "key": "s3cr3t s3cr3t s3cr3t"}]}`, `gateway.auth.apiKeys[0].key: must be visible ASCII`},
		{"unset variable", `{"apiKeys": [` + good + `, {"name": "b", "key": "${TEST_AUTH_UNSET_VAR}"}]}`, `gateway.auth.apiKeys[1].key: environment variable TEST_AUTH_UNSET_VAR is not set`},
		{"unterminated variable", `{"apiKeys": [{"name": "b", "key": "${TEST_AUTH_SET"}]}`, `gateway.auth.apiKeys[0].key: unterminated "${"`},
		{"expanded key too short", `{"apiKeys": [{"name": "b", "key": "${TEST_AUTH_EMPTY_X:-}"}]}`, `gateway.auth.apiKeys[0].key: too short (0 characters)`},
		{"unknown entry key", `{"apiKeys": [{"name": "a", "key": "0123456789abcdef", "role": ["x"]}]}`, `gateway.auth.apiKeys[0]: unknown key "role" (valid keys: key, keySha256, name, roles, scopes)`},
		{"duplicate entry key", `{"apiKeys": [{"name": "a", "name": "b", "key": "0123456789abcdef"}]}`, `gateway.auth.apiKeys[0].name: duplicate key`},
		{"roles not a list", `{"apiKeys": [{"name": "a", "key": "0123456789abcdef", "roles": "admin"}]}`, `gateway.auth.apiKeys[0].roles: expected a list of strings, got a string`},
		{"role of the wrong type", `{"apiKeys": [{"name": "a", "key": "0123456789abcdef", "roles": ["admin", 2]}]}`, `gateway.auth.apiKeys[0].roles[1]: expected a string, got a number`},
		{"scope with a space", `{"apiKeys": [{"name": "a", "key": "0123456789abcdef", "scopes": ["a b"]}]}`, `gateway.auth.apiKeys[0].scopes[0]: invalid scope "a b"`},
		{"oauth not an object", `{"oauth": true}`, `gateway.auth.oauth: expected an object, got a boolean`},
		{"missing issuer", `{"oauth": {}}`, `gateway.auth.oauth: missing "issuer"`},
		{"issuer not a URL", `{"oauth": {"issuer": "login"}}`, `gateway.auth.oauth.issuer: invalid URL "login": use an https:// URL`},
		{"issuer with a query", `{"oauth": {"issuer": "https://as.example.com?x=1"}}`, `gateway.auth.oauth.issuer: invalid URL "https://as.example.com?x=1": no query`},
		{"unknown oauth key", oauth(`, "jwks_uri": "x"`), `gateway.auth.oauth: unknown key "jwks_uri" (valid keys: algorithms, audience,`},
		{"audience a string", oauth(`, "audience": "gw"`), `gateway.auth.oauth.audience: expected a list of strings, got a string`},
		{"HS256", oauth(`, "algorithms": ["HS256"]`), `gateway.auth.oauth.algorithms[0]: "HS256" is never accepted`},
		{"none", oauth(`, "algorithms": ["RS256", "none"]`), `gateway.auth.oauth.algorithms[1]: "none" is never accepted`},
		{"unknown algorithm", oauth(`, "algorithms": ["RS1"]`), `gateway.auth.oauth.algorithms[0]: unknown algorithm "RS1" (valid: ES256,`},
		{"empty algorithms", oauth(`, "algorithms": []`), `gateway.auth.oauth.algorithms: empty list`},
		{"bad skew", oauth(`, "clockSkew": "forever"`), `gateway.auth.oauth.clockSkew: invalid duration "forever"`},
		{"skew too large", oauth(`, "clockSkew": "1h"`), `gateway.auth.oauth.clockSkew: invalid duration "1h"`},
		{"skew a number", oauth(`, "clockSkew": 60`), `gateway.auth.oauth.clockSkew: expected a string, got a number`},
		{"bad claim path", oauth(`, "rolesClaim": "realm_access..roles"`), `gateway.auth.oauth.rolesClaim: invalid claim name`},
		{"bad jwksUrl", oauth(`, "jwksUrl": "ftp://x/keys"`), `gateway.auth.oauth.jwksUrl: invalid URL`},
		{"requiredScopes with a quote", oauth(`, "requiredScopes": ["a\"b"]`), `gateway.auth.oauth.requiredScopes[0]: invalid scope`},
		{"introspection missing secret", oauth(`, "introspection": {"url": "https://as.example.com/i", "clientId": "gw"}`), `gateway.auth.oauth.introspection: missing "clientSecret"`},
		{"introspection secret unset", oauth(`, "introspection": {"url": "https://as.example.com/i", "clientId": "gw", "clientSecret": "${TEST_AUTH_UNSET_SECRET}"}`), `gateway.auth.oauth.introspection.clientSecret: environment variable TEST_AUTH_UNSET_SECRET is not set`},
		{"introspection unknown key", oauth(`, "introspection": {"url": "https://as.example.com/i", "clientId": "gw", "clientSecret": "x", "secret": "y"}`), `gateway.auth.oauth.introspection: unknown key "secret" (valid keys: clientId, clientSecret, url)`},
		{"authorizationServers bad", oauth(`, "authorizationServers": ["nope"]`), `gateway.auth.oauth.authorizationServers[0]: invalid URL`},
		{"invalid JSON", `{"apiKeys": [}`, `gateway.auth: invalid JSON`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig(json.RawMessage(c.raw))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error:\n%v\nwant it to contain\n%s", err, c.want)
			}
			for _, secret := range []string{"s3cr3t", "0123456789abcdef", "s3cr3t-value"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error contains key material %q: %v", secret, err)
				}
			}
		})
	}

	// Several errors are reported together.
	_, err := ParseConfig(json.RawMessage(`{"apiKeys": [{"name": "a"}, {"name": "b", "key": "x"}], "oauth": {}}`))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want three errors, got %v", err)
	}
}
