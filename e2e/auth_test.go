package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearer adds an Authorization header to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// connectHTTPAs connects the Go SDK client to the gateway's HTTP front
// door with an API key.
func connectHTTPAs(t *testing.T, url, key string) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-" + key, Version: "1.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := &http.Client{Transport: bearer{token: key, next: http.DefaultTransport}}
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

// API keys, roles, policies with a CEL condition and rate limits, end to
// end over HTTP with the Go SDK client and the kitchen server.
func TestAuthPoliciesAndLimitsOverHTTP(t *testing.T) {
	b := build(t)
	t.Setenv("ALICE_KEY", "alice-secret-key-0123456789")
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")},
		"gateway": map[string]any{
			"auth": map[string]any{"apiKeys": []map[string]any{
				{"name": "alice", "key": "${ALICE_KEY}", "roles": []string{"dev"}},
				{"name": "bob", "key": "bob-secret-key-0123456789", "roles": []string{"ops"}},
			}},
			"policies": []map[string]any{
				{"roles": []string{"dev"}, "allow": []string{"k__echo", "k__add"}},
				{"roles": []string{"dev"}, "deny": []string{"k__add"}, "when": "double(args.a) > 100.0"},
				{"roles": []string{"ops"}, "allow": []string{"k__*"}, "deny": []string{"k__crash", "k__hang"}},
			},
			"rateLimits": []map[string]any{{"roles": []string{"dev"}, "tools": []string{"k__echo"}, "perMinute": 3}},
		},
	})
	gw := startHTTPGateway(t, b, cfg)

	// No credentials: 401 with a Bearer challenge (API keys only: no
	// authorization server to name).
	resp, err := http.Post(gw.url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if _, err := connectHTTPAs(t, gw.url, "wrong-key"); err == nil {
		t.Error("a wrong key connected")
	}

	alice, err := connectHTTPAs(t, gw.url, "alice-secret-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if got := toolNames(t, alice); !slices.Equal(got, []string{"k__add", "k__echo"}) {
		t.Errorf("alice sees %v, want only k__add and k__echo", got)
	}
	if got := callText(t, alice, "k__add", map[string]any{"a": 2, "b": 3}); got != "5" {
		t.Errorf("add = %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = alice.CallTool(ctx, &mcp.CallToolParams{Name: "k__add", Arguments: map[string]any{"a": 200, "b": 1}})
	if err == nil || !strings.Contains(err.Error(), "denied by gateway policy") || !strings.Contains(err.Error(), "policies[1]") {
		t.Errorf("add with a > 100: %v, want a denial naming policies[1]", err)
	}
	_, err = alice.CallTool(ctx, &mcp.CallToolParams{Name: "k__whoami"})
	if err == nil || !strings.Contains(err.Error(), "denied by gateway policy") {
		t.Errorf("whoami for alice: %v, want a denial", err)
	}
	for i := range 3 {
		if got := callText(t, alice, "k__echo", map[string]any{"message": "m"}); got != "k: m" {
			t.Fatalf("echo %d = %q", i, got)
		}
	}
	_, err = alice.CallTool(ctx, &mcp.CallToolParams{Name: "k__echo", Arguments: map[string]any{"message": "m"}})
	if err == nil || !strings.Contains(err.Error(), "rate limit exceeded") || !strings.Contains(err.Error(), "retry in") {
		t.Errorf("4th echo in a minute: %v, want a rate-limit refusal with the retry time", err)
	}

	bob, err := connectHTTPAs(t, gw.url, "bob-secret-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	names := toolNames(t, bob)
	if !slices.Contains(names, "k__whoami") || slices.Contains(names, "k__crash") || slices.Contains(names, "k__hang") {
		t.Errorf("bob sees %v", names)
	}
	// bob has no rate limit on echo.
	for range 5 {
		callText(t, bob, "k__echo", map[string]any{"message": "m"})
	}
	if !strings.Contains(gw.logs.String(), `event=denied server=k name=k__add rule=policies[1]`) {
		t.Errorf("no audit event for the denial in the log")
	}
}

// oauthIssuer is an OAuth authorization server for the test: discovery
// metadata and a JWKS with one RSA key.
type oauthIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newOAuthIssuer(t *testing.T) *oauthIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.PublicKeyOf(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub.Set(jwk.KeyIDKey, "k1")
	pub.Set(jwk.AlgorithmKey, jwa.RS256())
	set := jwk.NewSet()
	set.AddKey(pub)
	iss := &oauthIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.srv.URL, "jwks_uri": iss.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(set) })
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

// token signs an access token for audience with the given roles, valid
// from nbf to exp.
func (i *oauthIssuer) token(t *testing.T, audience, sub string, roles []string, nbf, exp time.Time) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(i.srv.URL).Audience([]string{audience}).Subject(sub).
		NotBefore(nbf).IssuedAt(time.Now()).Expiration(exp).Claim("roles", roles).Build()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.Import(i.key)
	if err != nil {
		t.Fatal(err)
	}
	priv.Set(jwk.KeyIDKey, "k1")
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), priv))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// OAuth bearer tokens validated against the issuer's JWKS, roles from the
// token driving the policies, and the RFC 9728 metadata, over HTTP.
func TestOAuthResourceServerOverHTTP(t *testing.T) {
	b := build(t)
	iss := newOAuthIssuer(t)
	const resource = "http://gateway.test/mcp"
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")},
		"gateway": map[string]any{
			"http":     map[string]any{"publicUrl": resource},
			"auth":     map[string]any{"oauth": map[string]any{"issuer": iss.srv.URL}},
			"policies": []map[string]any{{"roles": []string{"reader"}, "allow": []string{"k__echo"}}},
		},
	})
	gw := startHTTPGateway(t, b, cfg)
	now := time.Now()

	good := iss.token(t, resource, "carol", []string{"reader"}, now.Add(-time.Minute), now.Add(time.Hour))
	cs, err := connectHTTPAs(t, gw.url, good)
	if err != nil {
		t.Fatalf("a valid token was refused: %v", err)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"k__echo"}) {
		t.Errorf("carol (reader) sees %v", got)
	}
	if got := callText(t, cs, "k__echo", map[string]any{"message": "hi"}); got != "k: hi" {
		t.Errorf("echo = %q", got)
	}

	for name, tok := range map[string]string{
		"expired":        iss.token(t, resource, "carol", nil, now.Add(-2*time.Hour), now.Add(-time.Hour)),
		"not yet valid":  iss.token(t, resource, "carol", nil, now.Add(time.Hour), now.Add(2*time.Hour)),
		"other audience": iss.token(t, "http://other.test/mcp", "carol", nil, now.Add(-time.Minute), now.Add(time.Hour)),
		"tampered":       good[:len(good)-4] + "AAAA",
	} {
		req, _ := http.NewRequest(http.MethodPost, gw.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ch := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) ||
			!strings.Contains(ch, `resource_metadata="http://gateway.test/.well-known/oauth-protected-resource/mcp"`) {
			t.Errorf("%s token: %d %q", name, resp.StatusCode, ch)
		}
	}

	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		resp, err := http.Get(gw.base + path)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
		}
		json.NewDecoder(resp.Body).Decode(&meta)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || meta.Resource != resource || !slices.Equal(meta.AuthorizationServers, []string{iss.srv.URL}) {
			t.Errorf("%s: %d %+v", path, resp.StatusCode, meta)
		}
	}
}

// A backend gets the credentials configured for it (here read from a
// file), never the client's own token.
func TestClientTokenNeverReachesBackend(t *testing.T) {
	b := build(t)
	var (
		mu   sync.Mutex
		seen []string // Authorization headers the backend got
	)
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return remoteServer("remote", nil) }, nil)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		sdk.ServeHTTP(w, r)
	}))
	// Registered before the gateway's cleanup, so it runs after it: Close
	// waits for the gateway's open stream to end.
	t.Cleanup(backend.Close)
	credFile := filepath.Join(t.TempDir(), "backend-token")
	if err := os.WriteFile(credFile, []byte("backend-credential-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const clientKey = "client-api-key-0123456789"
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"remote": map[string]any{"type": "http", "url": backend.URL,
			"headers": map[string]string{"Authorization": "Bearer ${file:" + credFile + "}"}}},
		"gateway": map[string]any{"auth": map[string]any{"apiKeys": []map[string]any{{"name": "alice", "key": clientKey}}}},
	})
	gw := startHTTPGateway(t, b, cfg)
	cs, err := connectHTTPAs(t, gw.url, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := callText(t, cs, "remote__echo", map[string]any{"message": "hi"}); got != "remote: hi" {
		t.Fatalf("echo = %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the backend saw no request")
	}
	for _, h := range seen {
		if h != "Bearer backend-credential-42" {
			t.Errorf("the backend got Authorization %q, want only its own configured credential", h)
		}
	}
}

// rawCall posts one JSON-RPC message with an API key on a session and
// returns the response body.
func rawCall(t *testing.T, url, key, sid, body string) (string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String(), resp.Header.Get("Mcp-Session-Id")
}

// Attempts to get around a policy: smuggling a second name with other
// case, naming the tool under another prefix, calling before initialize.
func TestPolicyBypassAttempts(t *testing.T) {
	b := build(t)
	const key = "dev-api-key-0123456789abc"
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")},
		"gateway": map[string]any{
			"auth":     map[string]any{"apiKeys": []map[string]any{{"name": "dev", "key": key, "roles": []string{"dev"}}}},
			"policies": []map[string]any{{"roles": []string{"dev"}, "allow": []string{"k__echo"}}},
		},
	})
	gw := startHTTPGateway(t, b, cfg)
	// Before initialize: no session, no call.
	if body, _ := rawCall(t, gw.url, key, "", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"k__whoami"}}`); !strings.Contains(body, "Mcp-Session-Id") {
		t.Errorf("a call without a session: %s", body)
	}
	_, sid := rawCall(t, gw.url, key, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if sid == "" {
		t.Fatal("no session")
	}
	rawCall(t, gw.url, key, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for name, body := range map[string]string{
		"case-smuggled name": `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"k__echo","Name":"k__whoami","arguments":{"message":"x"}}}`,
		"denied tool":        `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"k__whoami"}}`,
		"other prefix":       `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"K__whoami"}}`,
	} {
		got, _ := rawCall(t, gw.url, key, sid, body)
		if !strings.Contains(got, `"error"`) || strings.Contains(got, "client:") {
			t.Errorf("%s: %s, want an error and no whoami output", name, got)
		}
	}
	if got, _ := rawCall(t, gw.url, key, sid, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"k__echo","arguments":{"message":"ok"}}}`); !strings.Contains(got, "k: ok") {
		t.Errorf("the allowed call: %s", got)
	}
}
