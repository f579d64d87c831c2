package backendauth

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
)

const (
	testWhere = "mcp.json:12:14"
	testPath  = "mcpServers.github.oauth"
)

func TestDecodeValid(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  string
		want Config
	}{
		{
			name: "minimal client credentials",
			raw:  `{"tokenUrl": "https://as.example/token", "clientId": "gw", "clientSecret": "x"}`,
			want: Config{TokenURL: "https://as.example/token", ClientID: "gw", ClientSecret: "x"},
		},
		{
			name: "full client credentials",
			raw: `{"grant": "client_credentials", "tokenUrl": "https://as.example/token?tenant=1", "clientId": "gw",
				"clientSecret": "x", "authStyle": "post", "scopes": ["read", "write:all"], "audience": "https://api.example",
				"resource": ["https://mcp.example/a", "https://mcp.example/b"], "timeout": "3s"}`,
			want: Config{
				Grant: "client_credentials", TokenURL: "https://as.example/token?tenant=1", ClientID: "gw", ClientSecret: "x",
				AuthStyle: "post", Scopes: []string{"read", "write:all"}, Audience: "https://api.example",
				Resource: []string{"https://mcp.example/a", "https://mcp.example/b"}, Timeout: config.Duration(3 * time.Second),
			},
		},
		{
			name: "resource as a string, timeout in seconds",
			raw:  `{"tokenUrl": "https://as.example/token", "clientId": "gw", "clientSecret": "x", "resource": "https://mcp.example/", "timeout": 2.5}`,
			want: Config{TokenURL: "https://as.example/token", ClientID: "gw", ClientSecret: "x", Resource: []string{"https://mcp.example/"}, Timeout: config.Duration(2500 * time.Millisecond)},
		},
		{
			name: "token exchange, public client",
			raw: `{"grant": "token_exchange", "tokenUrl": "https://as.example/token", "clientId": "gw",
				"subjectTokenType": "urn:ietf:params:oauth:token-type:jwt",
				"requestedTokenType": "urn:ietf:params:oauth:token-type:access_token", "cacheSize": 50}`,
			want: Config{
				Grant: "token_exchange", TokenURL: "https://as.example/token", ClientID: "gw",
				SubjectTokenType: TokenTypeJWT, RequestedTokenType: TokenTypeAccessToken, CacheSize: 50,
			},
		},
		{
			name: "token exchange without any client",
			raw:  `{"grant": "token_exchange", "tokenUrl": "https://as.example/token"}`,
			want: Config{Grant: "token_exchange", TokenURL: "https://as.example/token"},
		},
		{
			name: "loopback http",
			raw:  `{"tokenUrl": "http://127.0.0.1:8080/token", "clientId": "gw", "clientSecret": "x"}`,
			want: Config{TokenURL: "http://127.0.0.1:8080/token", ClientID: "gw", ClientSecret: "x"},
		},
		{
			name: "localhost http",
			raw:  `{"tokenUrl": "http://localhost/token", "clientId": "gw", "clientSecret": "x"}`,
			want: Config{TokenURL: "http://localhost/token", ClientID: "gw", ClientSecret: "x"},
		},
		{
			name: "ipv6 loopback http",
			raw:  `{"tokenUrl": "http://[::1]:9000/token", "clientId": "gw", "clientSecret": "x"}`,
			want: Config{TokenURL: "http://[::1]:9000/token", ClientID: "gw", ClientSecret: "x"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode([]byte(c.raw), testWhere, testPath)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const cc = `"tokenUrl": "https://as.example/token", "clientId": "gw", "clientSecret": "TOPSECRET"`
	const te = `"grant": "token_exchange", "tokenUrl": "https://as.example/token"`
	for _, c := range []struct {
		name string
		raw  string
		want []string // each a whole error line
	}{
		{"not an object", `["x"]`, []string{`mcp.json:12:14: mcpServers.github.oauth: expected an object, got a list`}},
		{"null", `null`, []string{`mcp.json:12:14: mcpServers.github.oauth: expected an object, got null`}},
		{"unknown key", `{` + cc + `, "password": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth: unknown key "password" (valid keys: audience, authStyle, cacheSize, clientId, clientSecret, grant, requestedTokenType, resource, scopes, subjectTokenType, timeout, tokenUrl)`}},
		{"misspelt key", `{` + cc + `, "scope": "read"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth: unknown key "scope"; did you mean "scopes"? (valid keys: audience, authStyle, cacheSize, clientId, clientSecret, grant, requestedTokenType, resource, scopes, subjectTokenType, timeout, tokenUrl)`}},
		{"snake case key", `{"token_url": "https://as.example/token", "clientId": "gw", "clientSecret": "x"}`, []string{
			`unknown key "token_url"; did you mean "tokenUrl"?`}},
		{"duplicate key", `{` + cc + `, "clientId": "other"}`, []string{`mcp.json:12:14: mcpServers.github.oauth.clientId: duplicate key`}},
		{"bad grant", `{` + cc + `, "grant": "password"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.grant: unknown grant "password" (use "client_credentials" or "token_exchange")`}},
		{"empty grant", `{` + cc + `, "grant": ""}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.grant: empty grant (use "client_credentials" or "token_exchange", or leave the key out for "client_credentials")`}},
		{"grant not a string", `{` + cc + `, "grant": 1}`, []string{`mcp.json:12:14: mcpServers.github.oauth.grant: expected a string, got a number`}},
		{"missing tokenUrl", `{"clientId": "gw", "clientSecret": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth: missing "tokenUrl" (the authorization server's token endpoint, e.g. "https://login.example.com/oauth/token")`}},
		{"empty tokenUrl", `{"tokenUrl": "", "clientId": "gw", "clientSecret": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.tokenUrl: empty value; give a value, or leave the key out`}},
		{"http tokenUrl", `{"tokenUrl": "http://as.example/token", "clientId": "gw", "clientSecret": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.tokenUrl: "http://as.example/token" is plain http: the client secret and tokens would cross the network unencrypted; use https:// (http:// is accepted only for 127.0.0.1, ::1 and localhost)`}},
		{"http lookalike host", `{"tokenUrl": "http://127.0.0.1.evil.example/token", "clientId": "gw", "clientSecret": "x"}`, []string{`is plain http`}},
		{"ftp tokenUrl", `{"tokenUrl": "ftp://as.example/token", "clientId": "gw", "clientSecret": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.tokenUrl: invalid URL "ftp://as.example/token": use an https:// URL`}},
		{"relative tokenUrl", `{"tokenUrl": "/token", "clientId": "gw", "clientSecret": "x"}`, []string{`tokenUrl: invalid URL "/token": use an https:// URL`}},
		{"no host", `{"tokenUrl": "https:///token", "clientId": "gw", "clientSecret": "x"}`, []string{`tokenUrl: invalid URL "https:///token": no host`}},
		{"user info", `{"tokenUrl": "https://gw:pw@as.example/token", "clientId": "gw", "clientSecret": "x"}`, []string{
			`tokenUrl: invalid URL "https://as.example/token": no user info allowed; give the client's credentials as clientId and clientSecret`}},
		{"fragment", `{"tokenUrl": "https://as.example/token#x", "clientId": "gw", "clientSecret": "x"}`, []string{`tokenUrl: invalid URL "https://as.example/token": no fragment (#...) allowed`}},
		{"missing clientId", `{"tokenUrl": "https://as.example/token", "clientSecret": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth: missing "clientId" (the gateway's client id at the authorization server; the client credentials grant needs one)`}},
		{"missing clientSecret", `{"tokenUrl": "https://as.example/token", "clientId": "gw"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth: missing "clientSecret" (the client credentials grant is for confidential clients; write "${VAR}" to take it from the environment)`}},
		{"empty clientSecret", `{"tokenUrl": "https://as.example/token", "clientId": "gw", "clientSecret": ""}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.clientSecret: empty value (if it is written "${VAR}", VAR is set but empty); give the secret, or leave the key out`}},
		{"clientSecret not a string", `{"tokenUrl": "https://as.example/token", "clientId": "gw", "clientSecret": {"env": "X"}}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.clientSecret: expected a string, got an object`}},
		{"secret without id", `{` + te + `, "clientSecret": "TOPSECRET"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.clientSecret: a client secret without "clientId"; add the gateway's client id`}},
		{"bad authStyle", `{` + cc + `, "authStyle": "header"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.authStyle: unknown authStyle "header" (use "basic" for HTTP Basic authentication, the default, or "post" to send the credentials in the form body)`}},
		{"scopes a string", `{` + cc + `, "scopes": "read write"}`, []string{`mcp.json:12:14: mcpServers.github.oauth.scopes: expected a list of strings, got a string`}},
		{"scope with space", `{` + cc + `, "scopes": ["read write"]}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.scopes[0]: invalid scope "read write": one scope per list item; write ["read", "write"]`}},
		{"scope with quote", `{` + cc + `, "scopes": ["ok", "a\"b"]}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.scopes[1]: invalid scope "a\"b": scopes are visible ASCII without spaces, quotes or backslashes`}},
		{"empty scopes", `{` + cc + `, "scopes": []}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.scopes: empty list; leave the key out to get the authorization server's default scopes`}},
		{"scope not a string", `{` + cc + `, "scopes": [1]}`, []string{`mcp.json:12:14: mcpServers.github.oauth.scopes[0]: expected a string, got a number`}},
		{"empty audience", `{` + cc + `, "audience": ""}`, []string{`mcp.json:12:14: mcpServers.github.oauth.audience: empty value; give a value, or leave the key out`}},
		{"audience a list", `{` + cc + `, "audience": ["a"]}`, []string{`mcp.json:12:14: mcpServers.github.oauth.audience: expected a string, got a list`}},
		{"relative resource", `{` + cc + `, "resource": "mcp.example"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.resource[0]: invalid resource "mcp.example": use an absolute URI without a fragment, such as "https://mcp.example.com/mcp" (RFC 8707)`}},
		{"resource with fragment", `{` + cc + `, "resource": ["https://a.example/", "https://b.example/#x"]}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.resource[1]: invalid resource "https://b.example/#x"`}},
		{"resource a number", `{` + cc + `, "resource": 5}`, []string{`mcp.json:12:14: mcpServers.github.oauth.resource: expected a string or a list of strings, got a number`}},
		{"empty resource list", `{` + cc + `, "resource": []}`, []string{`mcp.json:12:14: mcpServers.github.oauth.resource: empty list; give the backend's URL, or leave the key out`}},
		{"subjectTokenType with client credentials", `{` + cc + `, "subjectTokenType": "urn:ietf:params:oauth:token-type:jwt"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.subjectTokenType: only used with "grant": "token_exchange"; remove it`}},
		{"requestedTokenType with client credentials", `{` + cc + `, "requestedTokenType": "urn:ietf:params:oauth:token-type:jwt"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.requestedTokenType: only used with "grant": "token_exchange"; remove it`}},
		{"bad subjectTokenType", `{` + te + `, "subjectTokenType": "access_token"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.subjectTokenType: invalid token type "access_token": use a token type URI such as "urn:ietf:params:oauth:token-type:access_token" (RFC 8693 §3)`}},
		{"bad requestedTokenType", `{` + te + `, "requestedTokenType": "jwt"}`, []string{`mcp.json:12:14: mcpServers.github.oauth.requestedTokenType: invalid token type "jwt"`}},
		{"cacheSize with client credentials", `{` + cc + `, "cacheSize": 10}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.cacheSize: only used with "grant": "token_exchange" (the client credentials grant keeps one token); remove it`}},
		{"cacheSize zero", `{` + te + `, "cacheSize": 0}`, []string{`mcp.json:12:14: mcpServers.github.oauth.cacheSize: expected a whole number of at least 1, got 0`}},
		{"cacheSize fraction", `{` + te + `, "cacheSize": 1.5}`, []string{`mcp.json:12:14: mcpServers.github.oauth.cacheSize: expected a whole number of at least 1, got 1.5`}},
		{"cacheSize a string", `{` + te + `, "cacheSize": "100"}`, []string{`mcp.json:12:14: mcpServers.github.oauth.cacheSize: expected a number, got a string`}},
		{"cacheSize too large", `{` + te + `, "cacheSize": 2000000}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.cacheSize: 2000000 is out of range: use 1 to 1000000 users (default 10000)`}},
		{"bad timeout", `{` + cc + `, "timeout": "soon"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.timeout: invalid duration "soon": use a positive value such as "30s" or "5m"`}},
		{"zero timeout", `{` + cc + `, "timeout": "0s"}`, []string{`mcp.json:12:14: mcpServers.github.oauth.timeout: a zero timeout would fail every token request`}},
		{"negative timeout", `{` + cc + `, "timeout": -1}`, []string{`mcp.json:12:14: mcpServers.github.oauth.timeout: invalid duration -1`}},
		{"long timeout", `{` + cc + `, "timeout": "1h"}`, []string{`mcp.json:12:14: mcpServers.github.oauth.timeout: 1h0m0s is out of range: use a positive duration up to "5m", such as "10s" (the default)`}},
		{"timeout a list", `{` + cc + `, "timeout": []}`, []string{`mcp.json:12:14: mcpServers.github.oauth.timeout: expected a duration such as "10s" or a number of seconds, got a list`}},
		{"several errors at once", `{"grant": "password", "authStyle": "x"}`, []string{
			`mcp.json:12:14: mcpServers.github.oauth.grant: unknown grant "password"`,
			`mcp.json:12:14: mcpServers.github.oauth: missing "tokenUrl"`,
			`mcp.json:12:14: mcpServers.github.oauth.authStyle: unknown authStyle "x"`,
		}},
		{"invalid JSON", `{"tokenUrl": }`, []string{`mcp.json:12:14: mcpServers.github.oauth: invalid JSON`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.raw), testWhere, testPath)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			lines := strings.Split(msg, "\n")
			for _, l := range lines {
				if !strings.HasPrefix(l, testWhere+": "+testPath) {
					t.Errorf("line %q does not start with where and path", l)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			if len(lines) < len(c.want) {
				t.Errorf("%d error lines, want at least %d:\n%s", len(lines), len(c.want), msg)
			}
			if strings.Contains(msg, "TOPSECRET") {
				t.Errorf("error contains the secret: %s", msg)
			}
		})
	}
}

// A key with a type error is not also reported as missing.
func TestDecodeNoFollowOnErrors(t *testing.T) {
	_, err := Decode([]byte(`{"tokenUrl": 5, "clientId": "gw", "clientSecret": "x"}`), testWhere, testPath)
	if err == nil || strings.Contains(err.Error(), "missing") || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("error = %v, want one line about the type of tokenUrl", err)
	}
}

func TestDecodeWithoutWhere(t *testing.T) {
	_, err := Decode([]byte(`{"grant": "x"}`), "", "")
	if err == nil || !strings.HasPrefix(err.Error(), `grant: unknown grant "x"`) {
		t.Errorf("error = %v", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	base := Config{Name: "github", TokenURL: "https://as.example/token", ClientID: "gw", ClientSecret: "TOPSECRET"}
	for _, c := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no name", func(c *Config) { c.Name = "" }, "backendauth: Config.Name is empty"},
		{"bad grant", func(c *Config) { c.Grant = "implicit" }, `server github: oauth.grant: unknown grant "implicit"`},
		{"http", func(c *Config) { c.TokenURL = "http://as.example/token" }, `server github: oauth.tokenUrl: "http://as.example/token" is plain http`},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, `server github: oauth: missing "clientSecret"`},
		{"negative cache", func(c *Config) { c.Grant = GrantTokenExchange; c.CacheSize = -1 }, `server github: oauth.cacheSize: -1 is out of range`},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, `server github: oauth.timeout: -1ns is out of range`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			c.change(&cfg)
			_, err := New(cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("error contains the secret: %v", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	s, err := New(Config{Name: "x", Grant: GrantTokenExchange, TokenURL: "https://as.example/t"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Grant() != GrantTokenExchange || s.cfg.SubjectTokenType != TokenTypeAccessToken || s.cfg.CacheSize != DefaultCacheSize ||
		s.timeout != DefaultTimeout || s.cfg.AuthStyle != AuthStyleBasic || s.cache.max != DefaultCacheSize {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}
	s, err = New(Config{Name: "x", TokenURL: "https://as.example/t", ClientID: "a", ClientSecret: "b"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Grant() != GrantClientCredentials || s.cache.max != 1 {
		t.Errorf("grant %q, cache %d", s.Grant(), s.cache.max)
	}
}

func TestConfigLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "oauth", Config{Name: "github", TokenURL: "https://as.example/token?key=QUERYSECRET", ClientID: "gw", ClientSecret: "TOPSECRET"})
	out := buf.String()
	if strings.Contains(out, "TOPSECRET") || strings.Contains(out, "QUERYSECRET") || !strings.Contains(out, `"clientId":"gw"`) {
		t.Errorf("log line: %s", out)
	}
}
