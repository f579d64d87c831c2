package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// tokenServer is an OAuth token endpoint for the gateway as a client:
// client credentials and RFC 8693 token exchange. Exchanged tokens name
// the subject they were issued for, so a test can tell whose they are.
type tokenServer struct {
	srv *httptest.Server
	mu  sync.Mutex
	n   int
	// issued maps every token handed out to whom it was issued for:
	// "gateway" for client credentials, else the subject's "sub".
	issued   map[string]string
	requests map[string]int // per grant_type
}

const (
	gwClientID     = "mcp-gateway"
	gwClientSecret = "gateway-client-secret-7f3a"
)

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{issued: map[string]string{}, requests: map[string]int{}}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != gwClientID || secret != gwClientSecret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"unknown client"}`)
			return
		}
		grant := r.PostForm.Get("grant_type")
		ts.mu.Lock()
		ts.requests[grant]++
		ts.n++
		n := ts.n
		ts.mu.Unlock()
		var owner string
		switch grant {
		case "client_credentials":
			owner = "gateway"
		case "urn:ietf:params:oauth:grant-type:token-exchange":
			owner = jwtSubject(r.PostForm.Get("subject_token"))
			if owner == "" || r.PostForm.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:access_token" ||
				r.PostForm.Get("audience") != "backend-api" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"invalid_request","error_description":"bad subject token or audience"}`)
				return
			}
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
			return
		}
		tok := fmt.Sprintf("tok-%s-%d", owner, n)
		ts.mu.Lock()
		ts.issued[tok] = owner
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600,
			"issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

// jwtSubject returns the "sub" of a JWT's payload, unverified (the test
// issuer signed it), or "".
func jwtSubject(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	json.Unmarshal(payload, &c)
	return c.Sub
}

func (ts *tokenServer) owner(tok string) (string, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	o, ok := ts.issued[tok]
	return o, ok
}

func (ts *tokenServer) count(grant string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests[grant]
}

// tokenBackend is a streamable HTTP MCP server that accepts only tokens
// the token server issued (and not revoked ones) and whose "whoami" tool
// answers with the Authorization header of the request that called it.
type tokenBackend struct {
	srv     *httptest.Server
	mu      sync.Mutex
	seen    []string
	revoked map[string]bool
}

func newTokenBackend(t *testing.T, ts *tokenServer) *tokenBackend {
	tb := &tokenBackend{revoked: map[string]bool{}}
	s := mcp.NewServer(&mcp.Implementation{Name: "tokens", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "the caller's Authorization"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: req.Extra.Header.Get("Authorization")}}}, nil, nil
	})
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	tb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		tok, _ := strings.CutPrefix(h, "Bearer ")
		tb.mu.Lock()
		tb.seen = append(tb.seen, h)
		revoked := tb.revoked[tok]
		tb.mu.Unlock()
		if _, ok := ts.owner(tok); !ok || revoked {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		sdk.ServeHTTP(w, r)
	}))
	t.Cleanup(tb.srv.Close)
	return tb
}

func (tb *tokenBackend) revoke(tok string) {
	tb.mu.Lock()
	tb.revoked[tok] = true
	tb.mu.Unlock()
}

func (tb *tokenBackend) headers() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.seen...)
}

// The gateway reaches a backend with its own client-credentials token,
// fetched once and renewed when the backend refuses it; and a backend
// that acts for each user with a token exchanged (RFC 8693) for that
// user's own, which never reaches the backend itself.
func TestBackendOAuth(t *testing.T) {
	b := build(t)
	iss := newOAuthIssuer(t)
	ts := newTokenServer(t)
	cc := newTokenBackend(t, ts)
	tx := newTokenBackend(t, ts)
	const resource = "http://gateway.test/mcp"
	const apiKey = "robot-api-key-0123456789"
	oauth := func(grant string) map[string]any {
		return map[string]any{"grant": grant, "tokenUrl": ts.srv.URL + "/token", "clientId": gwClientID,
			"clientSecret": "${GW_CLIENT_SECRET}", "audience": "backend-api"}
	}
	cfg := writeConfig(t, map[string]any{
		"mcpServers": map[string]any{
			"cc": map[string]any{"type": "http", "url": cc.srv.URL, "oauth": oauth("client_credentials")},
			"tx": map[string]any{"type": "http", "url": tx.srv.URL, "oauth": oauth("token_exchange")},
		},
		"gateway": map[string]any{
			"http": map[string]any{"publicUrl": resource},
			"auth": map[string]any{
				"oauth":   map[string]any{"issuer": iss.srv.URL},
				"apiKeys": []map[string]any{{"name": "robot", "key": apiKey}},
			},
		},
	})
	t.Setenv("GW_CLIENT_SECRET", gwClientSecret)
	gw := startHTTPGateway(t, b, cfg)
	now := time.Now()
	users := map[string]string{}
	sessions := map[string]*mcp.ClientSession{}
	for _, u := range []string{"carol", "dave"} {
		users[u] = iss.token(t, resource, u, nil, now.Add(-time.Minute), now.Add(time.Hour))
		cs, err := connectHTTPAs(t, gw.url, users[u])
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		sessions[u] = cs
	}

	// Client credentials: every user's call carries the gateway's token.
	first := callText(t, sessions["carol"], "cc__whoami", nil)
	if owner, ok := ts.owner(strings.TrimPrefix(first, "Bearer ")); !ok || owner != "gateway" {
		t.Fatalf("cc saw %q, want a client-credentials token of the gateway", first)
	}
	if got := callText(t, sessions["dave"], "cc__whoami", nil); got != first {
		t.Errorf("dave's call carried %q, want the cached %q", got, first)
	}
	// The backend revokes the token: the next call is answered 401 once,
	// and goes through with a new token.
	cc.revoke(strings.TrimPrefix(first, "Bearer "))
	second := callText(t, sessions["dave"], "cc__whoami", nil)
	if owner, _ := ts.owner(strings.TrimPrefix(second, "Bearer ")); second == first || owner != "gateway" {
		t.Errorf("after revocation cc saw %q (before: %q)", second, first)
	}

	// Token exchange: each user's calls carry a token issued for them.
	for u, cs := range sessions {
		for range 2 {
			got := callText(t, cs, "tx__whoami", nil)
			if owner, _ := ts.owner(strings.TrimPrefix(got, "Bearer ")); owner != u {
				t.Errorf("%s's call to tx carried %q (issued for %q)", u, got, owner)
			}
		}
	}
	if n := ts.count("urn:ietf:params:oauth:grant-type:token-exchange"); n != 2 {
		t.Errorf("%d token exchanges for 2 users calling twice each, want 2 (cached per user)", n)
	}

	// A caller with an API key has no token to exchange.
	robot, err := connectHTTPAs(t, gw.url, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := robot.CallTool(ctx, &mcp.CallToolParams{Name: "tx__whoami"})
	msg := fmt.Sprint(err)
	if err == nil {
		msg = fmt.Sprint(res.Content)
		if !res.IsError {
			t.Errorf("an API-key caller reached a token-exchange backend: %v", msg)
		}
	}
	if !strings.Contains(msg, "token") {
		t.Errorf("API-key caller to tx: %s; want an error saying a user token is needed", msg)
	}

	// No backend ever saw a client's own credential.
	for _, tb := range []*tokenBackend{cc, tx} {
		for _, h := range tb.headers() {
			tok := strings.TrimPrefix(h, "Bearer ")
			for u, ut := range users {
				if tok == ut {
					t.Errorf("a backend got %s's own token", u)
				}
			}
			if tok == apiKey {
				t.Error("a backend got the robot's API key")
			}
		}
	}
}
