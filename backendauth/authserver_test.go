package backendauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/internal/testenv"
)

// testSecret is the test client's secret; it has characters that Basic
// authentication must form-encode (RFC 6749 §2.3.1).
const (
	testClientID = "gateway:client"
	testSecret   = "s3cr3t+/:%& é-TOPSECRET"
)

// testAS is an authorization server's token endpoint for both grants,
// checking what a real one checks. Tests change its behaviour with set.
type testAS struct {
	t   *testing.T
	srv *httptest.Server

	requests atomic.Int64
	// arrived, if set, gets a value for each request as it arrives.
	arrived chan struct{}

	mu       sync.Mutex
	b        behaviour
	gate     chan struct{} // if set, requests wait until it is closed
	forms    []url.Values
	headers  []http.Header
	issued   map[string]string // access token -> subject token ("" for client credentials)
	serial   int
	lastAuth string // "basic", "post", "public", "none"
}

// behaviour is what the test server does; the zero value issues Bearer
// tokens valid for an hour to the test client in either auth style.
type behaviour struct {
	// styles allowed: "basic", "post"; empty means both.
	style string
	// public allows exchanges by client_id alone; anonymous without
	// any client authentication.
	public, anonymous bool
	// expiresIn is the expires_in member: nil means 3600, "omit" leaves
	// it out, anything else is sent as is.
	expiresIn any
	// tokenType overrides "Bearer"; issuedTokenType the exchange's
	// issued_token_type.
	tokenType, issuedTokenType string
	// jwtTTL, if set, issues JWT access tokens with an exp that far
	// after clock (or now).
	jwtTTL time.Duration
	clock  func() time.Time
	// Failures, checked in this order before anything else.
	block    bool   // wait until the client gives up
	redirect string // answer 307 to this location
	raw      string // answer rawStatus with this body as text/html
	rawJSON  string // answer rawStatus with this body as application/json
	rawCode  int
	errCode  string // answer errStatus with an RFC 6749 error
	errDesc  string
	errCodeS int
	noToken  bool // a JSON answer without access_token
	token    string
}

func newAS(t *testing.T) *testAS {
	t.Helper()
	a := &testAS{t: t, issued: make(map[string]string)}
	a.srv = httptest.NewServer(a)
	t.Cleanup(a.close)
	return a
}

// close releases blocked requests and stops the server.
func (a *testAS) close() {
	a.mu.Lock()
	if a.gate != nil {
		select {
		case <-a.gate:
		default:
			close(a.gate)
		}
	}
	a.mu.Unlock()
	a.srv.Close()
}

func (a *testAS) set(b behaviour) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.b = b
}

// hold makes requests wait until the returned function is called.
func (a *testAS) hold() (release func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := make(chan struct{})
	a.gate = g
	var once sync.Once
	return func() { once.Do(func() { close(g) }) }
}

func (a *testAS) tokenURL() string { return a.srv.URL + "/oauth/token" }

// config is a valid Config for grant against this server.
func (a *testAS) config(grant string) Config {
	return Config{Name: "github", Grant: grant, TokenURL: a.tokenURL(), ClientID: testClientID, ClientSecret: testSecret}
}

// subjectOf returns the subject token an access token was issued for.
func (a *testAS) subjectOf(tok string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.issued[tok]
	return s, ok
}

func (a *testAS) lastForm() url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.forms) == 0 {
		return nil
	}
	return a.forms[len(a.forms)-1]
}

func (a *testAS) lastHeader() http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.headers) == 0 {
		return nil
	}
	return a.headers[len(a.headers)-1]
}

func (a *testAS) issuedTokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.issued))
	for k := range a.issued {
		out = append(out, k)
	}
	return out
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (a *testAS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	if a.arrived != nil {
		a.arrived <- struct{}{}
	}
	// Reading the body first lets the server notice when the client gives
	// up, which ends r.Context().
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	a.mu.Lock()
	gate, b := a.gate, a.b
	a.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case b.block:
		<-r.Context().Done()
		return
	case b.redirect != "":
		http.Redirect(w, r, b.redirect, http.StatusTemporaryRedirect)
		return
	case b.raw != "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(b.rawCode)
		_, _ = w.Write([]byte(b.raw))
		return
	case b.rawJSON != "":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(b.rawCode)
		_, _ = w.Write([]byte(b.rawJSON))
		return
	case b.errCode != "":
		oauthError(w, b.errCodeS, b.errCode, b.errDesc)
		return
	}

	if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "content type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	for k, v := range f {
		if len(v) > 1 && k != "resource" && k != "audience" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "repeated parameter "+k)
			return
		}
	}

	// Client authentication, RFC 6749 §2.3.1: exactly one method.
	user, pass, hasBasic := r.BasicAuth()
	auth := ""
	switch {
	case hasBasic && f.Has("client_secret"):
		oauthError(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
		return
	case hasBasic:
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || id != testClientID || secret != testSecret || b.style == "post" {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
			return
		}
		auth = "basic"
	case f.Has("client_secret"):
		if f.Get("client_id") != testClientID || f.Get("client_secret") != testSecret || b.style == "basic" {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
			return
		}
		auth = "post"
	case f.Has("client_id"):
		if !b.public || f.Get("client_id") != testClientID {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
			return
		}
		auth = "public"
	default:
		if !b.anonymous {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication required")
			return
		}
		auth = "none"
	}

	subject := ""
	resp := map[string]any{}
	switch f.Get("grant_type") {
	case "client_credentials":
		if auth != "basic" && auth != "post" {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "client credentials need a confidential client")
			return
		}
		if f.Has("subject_token") {
			oauthError(w, http.StatusBadRequest, "invalid_request", "subject_token in a client credentials grant")
			return
		}
	case "urn:ietf:params:oauth:grant-type:token-exchange":
		subject = f.Get("subject_token")
		if subject == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "missing subject_token")
			return
		}
		if f.Get("subject_token_type") == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "missing subject_token_type")
			return
		}
		itt := b.issuedTokenType
		if itt == "" {
			itt = f.Get("requested_token_type")
		}
		if itt == "" {
			itt = TokenTypeAccessToken
		}
		if itt != "omit" {
			resp["issued_token_type"] = itt
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant "+f.Get("grant_type"))
		return
	}

	a.mu.Lock()
	a.serial++
	n := a.serial
	tok := fmt.Sprintf("cc-%d", n)
	if subject != "" {
		sum := sha256.Sum256([]byte(subject))
		tok = fmt.Sprintf("xt-%d-%s", n, hex.EncodeToString(sum[:4]))
	}
	if b.jwtTTL != 0 {
		now := time.Now()
		if b.clock != nil {
			now = b.clock()
		}
		tok = testJWT(map[string]any{"exp": now.Add(b.jwtTTL).Unix(), "jti": tok})
	}
	if b.token != "" {
		tok = b.token
	}
	a.issued[tok] = subject
	a.forms = append(a.forms, f)
	a.headers = append(a.headers, r.Header.Clone())
	a.lastAuth = auth
	a.mu.Unlock()

	if !b.noToken {
		resp["access_token"] = tok
	}
	resp["token_type"] = "Bearer"
	if b.tokenType != "" {
		resp["token_type"] = b.tokenType
	}
	switch b.expiresIn {
	case nil:
		resp["expires_in"] = 3600
	case "omit":
	default:
		resp["expires_in"] = b.expiresIn
	}
	if sc := f.Get("scope"); sc != "" {
		resp["scope"] = sc
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// testJWT is an unsigned JWS compact token with claims, enough for code
// that reads only the payload.
func testJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"at+jwt"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "." + base64.RawURLEncoding.EncodeToString([]byte("signature"))
}

func newFakeClock() *testenv.Clock {
	return testenv.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

// bearer strips "Bearer " from an Authorization value.
func bearer(t *testing.T, v string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(v, "Bearer ")
	if !ok {
		t.Fatalf("value %q does not start with \"Bearer \"", v)
	}
	return tok
}
