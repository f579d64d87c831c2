package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestMetadata(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.OAuth.ScopesSupported = []string{"mcp:tools", "mcp:admin"}
		c.OAuth.ResourceDocumentation = "https://docs.example.com/gw"
	})
	paths := e.a.MetadataPaths()
	if !reflect.DeepEqual(paths, []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"}) {
		t.Fatalf("paths %q", paths)
	}
	mux := http.NewServeMux()
	for _, p := range paths {
		mux.HandleFunc(p, e.a.ServeMetadata)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The challenge's resource_metadata URL is one of the served paths.
	ch := e.a.Challenge(&Failure{Status: 401})
	if ch != `Bearer resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp"` {
		t.Errorf("challenge %q", ch)
	}
	mu, _ := url.Parse(e.a.MetadataURL())
	if mu.Path != paths[1] {
		t.Errorf("metadata URL path %q not served", mu.Path)
	}

	want := map[string]any{
		"resource":                 testResource,
		"authorization_servers":    []any{e.idp.srv.URL},
		"scopes_supported":         []any{"mcp:tools", "mcp:admin"},
		"bearer_methods_supported": []any{"header"},
		"resource_documentation":   "https://docs.example.com/gw",
	}
	for _, p := range paths {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d %v", p, resp.StatusCode, resp.Header)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: document %v, want %v", p, got, want)
		}
	}

	resp, err := http.Head(srv.URL + paths[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength <= 0 {
		t.Errorf("HEAD: %d, %d bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, srv.URL+paths[0], strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("%s: %d, Allow %q", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+paths[1], nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("OPTIONS: %d", resp.StatusCode)
	}
}

func TestMetadataVariants(t *testing.T) {
	p := newIDP(t)
	for _, c := range []struct {
		resource, wantURL string
		wantPaths         []string
		servers           []string
	}{
		{"https://GW.example.com", "https://gw.example.com/.well-known/oauth-protected-resource", []string{"/.well-known/oauth-protected-resource"}, nil},
		{"https://gw.example.com:8443/", "https://gw.example.com:8443/.well-known/oauth-protected-resource", []string{"/.well-known/oauth-protected-resource"}, nil},
		{"https://gw.example.com/tenant/mcp/", "https://gw.example.com/.well-known/oauth-protected-resource/tenant/mcp", []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/tenant/mcp"}, []string{"https://a.example.com", "https://b.example.com"}},
	} {
		a, err := New(Config{OAuth: &OAuthConfig{Issuer: p.srv.URL, AuthorizationServers: c.servers}}, Options{ResourceURL: c.resource})
		if err != nil {
			t.Fatal(err)
		}
		if a.MetadataURL() != c.wantURL || !reflect.DeepEqual(a.MetadataPaths(), c.wantPaths) {
			t.Errorf("%s: %s %q", c.resource, a.MetadataURL(), a.MetadataPaths())
		}
		w := httptest.NewRecorder()
		a.ServeMetadata(w, httptest.NewRequest(http.MethodGet, c.wantPaths[0], nil))
		var doc protectedResourceMetadata
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		wantServers := c.servers
		if wantServers == nil {
			wantServers = []string{p.srv.URL}
		}
		if !reflect.DeepEqual(doc.AuthorizationServers, wantServers) || doc.ScopesSupported != nil || doc.ResourceDocumentation != "" {
			t.Errorf("%s: %+v", c.resource, doc)
		}
		a.Close()
	}
}

func TestChallengeQuoting(t *testing.T) {
	e := newEnv(t, nil)
	ch := e.a.Challenge(&Failure{Status: 401, Code: CodeInvalidToken, Description: "a \"quoted\" \\ back\nslash é"})
	want := `Bearer resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="a 'quoted' / back slash   "`
	if ch != want {
		t.Errorf("challenge\n%s\nwant\n%s", ch, want)
	}
	if got := quoteValue("a\"b\\c\x01"); got != `a\"b\\c` {
		t.Errorf("quoteValue = %q", got)
	}
	if (&Failure{Status: 401}).Error() != "401 unauthenticated: " {
		t.Errorf("Error() = %q", (&Failure{Status: 401}).Error())
	}
}

func TestMiddleware(t *testing.T) {
	a := apiKeyAuthenticator(t)
	var seen *Principal
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request(ciKey))
	if w.Code != http.StatusNoContent || seen == nil || seen.Name != "ci" {
		t.Errorf("accepted: %d %+v", w.Code, seen)
	}
	seen = nil
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request("wrong-key-0000000000"))
	var body map[string]string
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != 401 || seen != nil || w.Header().Get("WWW-Authenticate") == "" || w.Header().Get("Cache-Control") != "no-store" ||
		body["error"] != CodeInvalidToken || body["error_description"] != descNotAPIKey {
		t.Errorf("refused: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if FromContext(request("").Context()) != nil {
		t.Error("principal in a bare context")
	}
}

// TestMetadataAPIKeysOnly: with a resource URL but no OAuth, the metadata
// names no authorization server and challenges still point at it.
func TestMetadataAPIKeysOnly(t *testing.T) {
	a, err := New(Config{APIKeys: []APIKey{{Name: "ci", Key: ciKey}}}, Options{ResourceURL: "http://127.0.0.1:8080/mcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	f := authFail(t, a, request("wrong-key-0000000000"))
	want := `Bearer resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="the token is not a valid API key"`
	if ch := a.Challenge(f); ch != want {
		t.Errorf("challenge %q", ch)
	}
	if len(a.MetadataPaths()) != 2 {
		t.Fatalf("paths %q", a.MetadataPaths())
	}
	w := httptest.NewRecorder()
	a.ServeMetadata(w, httptest.NewRequest(http.MethodGet, a.MetadataPaths()[0], nil))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "{\n  \"resource\": \"http://127.0.0.1:8080/mcp\",\n  \"bearer_methods_supported\": [\n    \"header\"\n  ]\n}" {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}
