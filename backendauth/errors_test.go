package backendauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
)

const testSubject = "eyJhbGciOi.SUBJECT-SECRET-of-alice.sig"

// errorCases are token endpoint failures and the message each gets.
// "URL" in want stands for the token endpoint's URL.
var errorCases = []struct {
	name  string
	grant string
	setup func(a *testAS, c *Config)
	want  string
	// code and status, for a *TokenError
	code   string
	status int
}{
	{
		name: "wrong client secret", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { c.ClientSecret = "WRONG-SECRET" },
		want:  `token endpoint URL refused the client credentials grant: invalid_client: Client authentication failed (HTTP 401); check clientId and clientSecret of server github; if they are right, try "authStyle": "post"`,
		code:  "invalid_client", status: 401,
	},
	{
		name: "wrong auth style", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { a.set(behaviour{style: "basic"}); c.AuthStyle = AuthStylePost },
		want:  `token endpoint URL refused the client credentials grant: invalid_client: Client authentication failed (HTTP 401); check clientId and clientSecret of server github; if they are right, try "authStyle": "basic"`,
		code:  "invalid_client", status: 401,
	},
	{
		name: "public exchange refused", grant: GrantTokenExchange,
		setup: func(a *testAS, c *Config) { c.ClientSecret = "" },
		want:  `token endpoint URL refused the token exchange grant: invalid_client: Client authentication failed (HTTP 401); the authorization server may want the gateway to authenticate: set clientId and clientSecret of server github`,
		code:  "invalid_client", status: 401,
	},
	{
		name: "invalid scope", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{errCode: "invalid_scope", errDesc: "scope admin is not allowed", errCodeS: 400})
		},
		want: `token endpoint URL refused the client credentials grant: invalid_scope: scope admin is not allowed (HTTP 400); check scopes of server github`,
		code: "invalid_scope", status: 400,
	},
	{
		name: "invalid target", grant: GrantTokenExchange,
		setup: func(a *testAS, c *Config) { a.set(behaviour{errCode: "invalid_target", errCodeS: 400}) },
		want:  `token endpoint URL refused the token exchange grant: invalid_target (HTTP 400); check resource and audience of server github`,
		code:  "invalid_target", status: 400,
	},
	{
		name: "subject refused", grant: GrantTokenExchange,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{errCode: "invalid_grant", errDesc: "subject token expired", errCodeS: 400})
		},
		want: `token endpoint URL refused the token exchange grant: invalid_grant: subject token expired (HTTP 400); the user's token was not accepted for exchange (expired or revoked, or from an issuer the authorization server does not trust); check subjectTokenType of server github`,
		code: "invalid_grant", status: 400,
	},
	{
		name: "unsupported grant", grant: GrantTokenExchange,
		setup: func(a *testAS, c *Config) { a.set(behaviour{errCode: "unsupported_grant_type", errCodeS: 400}) },
		want:  `token endpoint URL refused the token exchange grant: unsupported_grant_type (HTTP 400); the authorization server does not support the token exchange grant; check grant and tokenUrl of server github`,
		code:  "unsupported_grant_type", status: 400,
	},
	{
		name: "unauthorized client", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { a.set(behaviour{errCode: "unauthorized_client", errCodeS: 400}) },
		want:  `token endpoint URL refused the client credentials grant: unauthorized_client (HTTP 400); client "gateway:client" may not use the client credentials grant; allow it for this client at the authorization server`,
		code:  "unauthorized_client", status: 400,
	},
	{
		name: "unknown error code", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{errCode: "slow_down", errDesc: "line one\nline two\x00", errCodeS: 400})
		},
		want: `token endpoint URL refused the client credentials grant: slow_down: line one line two (HTTP 400); check the oauth settings of server github`,
		code: "slow_down", status: 400,
	},
	{
		name: "error in a 200 answer", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { a.set(behaviour{rawJSON: `{"error": "invalid_request"}`, rawCode: 200}) },
		want:  `token endpoint URL refused the client credentials grant: invalid_request (HTTP 200); check the oauth settings of server github`,
		code:  "invalid_request", status: 200,
	},
	{
		name: "server error without OAuth error", grant: GrantClientCredentials,
		setup:  func(a *testAS, c *Config) { a.set(behaviour{raw: "<h1>oops</h1>", rawCode: 502}) },
		want:   `token endpoint URL failed on the client credentials grant: HTTP 502 Bad Gateway; the authorization server has a problem; try again later`,
		status: 502,
	},
	{
		name: "401 without OAuth error", grant: GrantTokenExchange,
		setup:  func(a *testAS, c *Config) { a.set(behaviour{raw: "denied", rawCode: 401}) },
		want:   `token endpoint URL refused the token exchange grant: HTTP 401 Unauthorized without an OAuth error in the answer; check clientId and clientSecret of server github; if they are right, try "authStyle": "post"`,
		status: 401,
	},
	{
		name: "wrong path", grant: GrantClientCredentials,
		setup:  func(a *testAS, c *Config) { c.TokenURL = a.tokenURL() + "/wrong?tenant=QUERYSECRET" },
		want:   `token endpoint URL/wrong refused the client credentials grant: HTTP 404 Not Found without an OAuth error in the answer; check tokenUrl of server github`,
		status: 404,
	},
	{
		name: "garbage", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { a.set(behaviour{raw: "<html>Welcome</html>", rawCode: 200}) },
		want:  `token endpoint URL answered HTTP 200 with a body that is not a JSON object (Content-Type text/html); check that tokenUrl of server github is the token endpoint`,
	},
	{
		name: "JSON list", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { a.set(behaviour{rawJSON: `["x"]`, rawCode: 200}) },
		want:  `token endpoint URL answered HTTP 200 with a body that is not a JSON object (Content-Type application/json); check that tokenUrl of server github is the token endpoint`,
	},
	{
		name: "no access token", grant: GrantTokenExchange,
		setup: func(a *testAS, c *Config) { a.set(behaviour{noToken: true}) },
		want:  `token endpoint URL answered HTTP 200 without an access_token; check that tokenUrl of server github is the token endpoint`,
	},
	{
		name: "access token not a string", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{rawJSON: `{"access_token": 42, "token_type": "Bearer"}`, rawCode: 200})
		},
		want: `token endpoint URL answered an access_token that is not a non-empty string`,
	},
	{
		name: "access token with a newline", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) { a.set(behaviour{token: "ISSUED-SECRET\r\nX-Injected: 1"}) },
		want:  `token endpoint URL answered an access_token with spaces or control characters, which cannot be sent in an Authorization header`,
	},
	{
		name: "too large", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{rawJSON: `{"access_token": "` + strings.Repeat("a", maxBodySize) + `"}`, rawCode: 200})
		},
		want: `token endpoint URL answered more than 1048576 bytes; check tokenUrl of server github`,
	},
	{
		name: "token type echoing the token", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{token: "ISSUED-SECRET-2", tokenType: "MAC ISSUED-SECRET-2"})
		},
		want: `token endpoint URL issued a token of type "MAC [redacted]", but the gateway sends Bearer tokens only; configure the authorization server to issue Bearer tokens for server github`,
	},
	{
		name: "redirect", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{redirect: "https://elsewhere.example/token?code=QUERYSECRET"})
		},
		want: `token endpoint URL answered with a redirect (HTTP 307 to https://elsewhere.example/token), which the gateway does not follow with credentials; set tokenUrl of server github to the token endpoint itself`,
	},
	{
		name: "slow", grant: GrantTokenExchange,
		setup: func(a *testAS, c *Config) {
			a.set(behaviour{block: true})
			c.Timeout = config.Duration(50 * time.Millisecond)
		},
		want: `token endpoint URL did not answer within 50ms; check that it is reachable from the gateway, or raise "timeout" of server github`,
	},
	{
		name: "connection refused", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				panic(err)
			}
			c.TokenURL = "http://" + l.Addr().String() + "/oauth/token"
			l.Close()
		},
		want: `cannot reach token endpoint http://ADDR/oauth/token: connection refused; check tokenUrl of server github and that the authorization server is running`,
	},
	{
		name: "TLS certificate not trusted", grant: GrantClientCredentials,
		setup: func(a *testAS, c *Config) {
			tls := httptest.NewUnstartedServer(a)
			tls.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
			tls.StartTLS()
			a.t.Cleanup(tls.Close)
			c.TokenURL = tls.URL + "/oauth/token"
		},
		want: `cannot reach token endpoint https://ADDR/oauth/token: TLS: tls: failed to verify certificate: x509: certificate signed by unknown authority; check tokenUrl of server github and the authorization server's certificate`,
	},
}

func TestTokenEndpointErrors(t *testing.T) {
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			a := newAS(t)
			cfg := a.config(c.grant)
			c.setup(a, &cfg)
			s := newSource(t, cfg)
			_, err := s.Authorization(context.Background(), testSubject)
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.ReplaceAll(c.want, "URL", a.tokenURL())
			if u, perr := url.Parse(cfg.TokenURL); perr == nil {
				want = strings.ReplaceAll(want, "ADDR", u.Host)
			}
			if err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
			var te *TokenError
			if errors.As(err, &te) != (c.status != 0) {
				t.Fatalf("*TokenError: %v, want %v", te != nil, c.status != 0)
			}
			if te != nil && (te.Code != c.code || te.Status != c.status || te.Server != "github" || te.Grant != c.grant) {
				t.Errorf("TokenError %+v", te)
			}
		})
	}
}

// No error and no log line holds the client secret, the subject token or
// an issued token, even when the server echoes them back.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []string
	var issued []string
	run := func(t *testing.T, a *testAS, cfg Config) {
		s, err := New(cfg, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.Authorization(context.Background(), testSubject)
		if err != nil {
			errs = append(errs, err.Error())
			return
		}
		s.Reject(testSubject, v)
	}
	for _, grant := range []string{GrantClientCredentials, GrantTokenExchange} {
		a := newAS(t)
		run(t, a, a.config(grant))
		issued = append(issued, a.issuedTokens()...)
	}
	for _, c := range errorCases {
		a := newAS(t)
		cfg := a.config(c.grant)
		c.setup(a, &cfg)
		run(t, a, cfg)
		issued = append(issued, a.issuedTokens()...)
	}
	// A server that quotes the secrets back in its error.
	a := newAS(t)
	a.set(behaviour{errCode: "invalid_client", errCodeS: 401,
		errDesc: "bad secret " + testSecret + " (form " + url.QueryEscape(testSecret) + ") for subject " + testSubject})
	run(t, a, a.config(GrantTokenExchange))
	echo := errs[len(errs)-1]
	if !strings.Contains(echo, "bad secret [redacted] (form [redacted]) for subject [redacted]") {
		t.Errorf("echoed secrets not redacted: %s", echo)
	}

	if len(errs) < len(errorCases) || logs.Len() == 0 {
		t.Fatalf("%d errors, %d bytes of logs: the scenarios did not run", len(errs), logs.Len())
	}
	secrets := []string{testSecret, url.QueryEscape(testSecret), "TOPSECRET", testSubject, "SUBJECT-SECRET", "ISSUED-SECRET", "QUERYSECRET"}
	for _, tok := range issued {
		secrets = append(secrets, tok)
	}
	for _, sec := range secrets {
		for _, e := range errs {
			if strings.Contains(e, sec) {
				t.Errorf("error holds secret %q: %s", sec, e)
			}
		}
		if strings.Contains(logs.String(), sec) {
			t.Errorf("logs hold secret %q:\n%s", sec, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"msg":"token obtained"`) || !strings.Contains(logs.String(), `"server":"github"`) {
		t.Errorf("expected log lines missing:\n%s", logs.String())
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 100, "plain"},
		{"a\r\nb\tc\x00d\x7f", 100, "a b c d"},
		{"bad \xff utf-8", 100, "bad \uFFFD utf-8"},
		{strings.Repeat("é", 10), 9, strings.Repeat("é", 4) + "…"}, // cut at a rune start
	} {
		if got := clean(c.in, c.max); got != c.want {
			t.Errorf("clean(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
