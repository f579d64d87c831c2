// Package auth authenticates HTTP requests to the gateway's MCP endpoint.
//
// A request carries one credential, "Authorization: Bearer <token>". The
// token is tried as a configured API key, then as a JWT access token of the
// configured OAuth issuer (the gateway is an OAuth 2.1 resource server,
// RFC 9068 / RFC 8707), then, if configured, by RFC 7662 introspection.
// Refusals are [*Failure] values that map onto RFC 6750 responses, with a
// WWW-Authenticate challenge pointing at the RFC 9728 protected-resource
// metadata, which [Authenticator.ServeMetadata] serves.
//
// Wiring into an HTTP server:
//
//	a, err := auth.New(cfg, auth.Options{ResourceURL: "https://gw.example.com/mcp"})
//	...
//	defer a.Close()
//	for _, p := range a.MetadataPaths() {
//		mux.HandleFunc(p, a.ServeMetadata)
//	}
//	mux.Handle("/mcp", a.Middleware(mcpHandler)) // auth.FromContext(r.Context()) is the caller
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// Principal is who a request is from. The Authenticator returns a fresh
// value per call; its slices may be shared and must not be modified.
type Principal struct {
	// Name identifies the caller: for an API key its configured name,
	// for OAuth the configured name claim (default "sub").
	Name   string
	Roles  []string
	Scopes []string
	// Method is how the caller was authenticated: MethodAPIKey,
	// MethodJWT or MethodIntrospection.
	Method string
	// Subject, Issuer and ClientID are the token's "sub", "iss" and
	// "client_id" (or "azp"); empty for API keys.
	Subject, Issuer, ClientID string
	// ExpiresAt is the token's "exp"; zero for API keys and for
	// introspected tokens without one.
	ExpiresAt time.Time
}

// Values of Principal.Method.
const (
	MethodAPIKey        = "api-key"
	MethodJWT           = "jwt"
	MethodIntrospection = "introspection"
)

// HasScope reports whether p carries scope s.
func (p *Principal) HasScope(s string) bool { return contains(p.Scopes, s) }

// HasRole reports whether p has role r.
func (p *Principal) HasRole(r string) bool { return contains(p.Roles, r) }

// Failure is why a request was refused. Every error of
// [Authenticator.Authenticate] is a *Failure.
type Failure struct {
	// Status is the HTTP status to answer with: 401 or 403.
	Status int
	// Code is the RFC 6750 error code: "invalid_request",
	// "invalid_token" or "insufficient_scope"; "" when the request
	// carried no credentials at all.
	Code string
	// Description is for humans and safe to show: it never contains
	// the token or any part of it.
	Description string
	// Scope, for insufficient_scope, is the space-separated scopes the
	// request needs.
	Scope string
}

// RFC 6750 error codes.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// Error implements error, e.g. "401 invalid_token: token has expired".
func (f *Failure) Error() string {
	code := f.Code
	if code == "" {
		code = "unauthenticated"
	}
	return fmt.Sprintf("%d %s: %s", f.Status, code, f.Description)
}

func invalidToken(desc string) *Failure {
	return &Failure{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: desc}
}

func invalidRequest(desc string) *Failure {
	return &Failure{Status: http.StatusUnauthorized, Code: CodeInvalidRequest, Description: desc}
}

// Descriptions of failures; they never include token material.
const (
	descNoCredentials     = `authentication required: send "Authorization: Bearer <token>"`
	descQueryToken        = "access tokens in the URL query are not accepted; send them in the Authorization header"
	descMultipleHeaders   = "more than one Authorization header"
	descBadScheme         = `unsupported authorization scheme; use "Bearer"`
	descMalformed         = `malformed Authorization header; expected "Bearer <token>"`
	descTooLong           = "token too long"
	descNotAPIKey         = "the token is not a valid API key"
	descUnknownToken      = "the token is not a valid API key or access token"
	descInsufficientScope = "the token lacks a required scope"
)

// Options are the parts of an Authenticator that do not come from the
// config file.
type Options struct {
	// ResourceURL is the canonical URL of the MCP endpoint (RFC 8707),
	// e.g. "https://gw.example.com/mcp": the default accepted audience
	// and the "resource" of the metadata. Required with OAuth.
	ResourceURL string
	// HTTPClient fetches discovery documents and keys, and calls the
	// introspection endpoint. Default: a client with a 10s timeout.
	HTTPClient *http.Client
	// Log receives refusal reasons at debug level and key fetch
	// problems at warn/error. Default: slog.Default().
	Log *slog.Logger

	// now, if set, replaces time.Now (tests).
	now func() time.Time
}

// Limits of the request path.
const (
	maxTokenBytes   = 16 << 10
	httpTimeout     = 10 * time.Second
	tokenCacheTTL   = time.Minute
	tokenCacheLimit = 10000
)

// Authenticator checks requests against a Config. It is safe for
// concurrent use. Create it with New; Close it when done.
type Authenticator struct {
	log    *slog.Logger
	client *http.Client
	now    func() time.Time
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // guards closed and wg.Add
	closed bool

	apiKeys []apiKeyEntry
	oauth   *oauthState
	tokens  *tokenCache

	resourceURL   string // canonical; "" when not given
	metadataURL   string
	metadataPaths []string
	metadataDoc   []byte
}

// oauthState is the resolved OAuthConfig.
type oauthState struct {
	issuer         string
	audiences      []string
	algs           map[string]jwa.SignatureAlgorithm
	skew           time.Duration
	nameClaim      []string
	rolesClaim     []string
	scopesClaim    []string // nil: "scope", then "scp"
	requiredScopes []string
	jwks           *jwksCache
	introspect     *introspector
}

// New builds an Authenticator. It does no network I/O: the issuer's keys
// are fetched when the first JWT arrives. o.ResourceURL, required with
// OAuth, must be an absolute http(s) URL without fragment; when it is
// given (with or without OAuth) the protected-resource metadata is served
// and named in challenges.
func New(cfg Config, o Options) (*Authenticator, error) {
	if len(cfg.APIKeys) == 0 && cfg.OAuth == nil {
		return nil, errors.New("auth: nothing to authenticate with: configure apiKeys, oauth or both")
	}
	a := &Authenticator{log: o.Log, client: o.HTTPClient, now: o.now, tokens: newTokenCache(tokenCacheLimit)}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.client == nil {
		a.client = &http.Client{Timeout: httpTimeout}
	}
	if a.now == nil {
		a.now = time.Now
	}
	var err error
	if a.apiKeys, err = buildAPIKeys(cfg.APIKeys); err != nil {
		return nil, err
	}
	if o.ResourceURL != "" || cfg.OAuth != nil {
		if a.resourceURL, err = canonicalResource(o.ResourceURL); err != nil {
			return nil, fmt.Errorf("auth: resource URL: %w", err)
		}
		if err := a.buildMetadata(cfg.OAuth); err != nil {
			return nil, err
		}
	}
	if cfg.OAuth != nil {
		if a.oauth, err = a.buildOAuth(cfg.OAuth); err != nil {
			return nil, err
		}
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	return a, nil
}

func (a *Authenticator) buildOAuth(c *OAuthConfig) (*oauthState, error) {
	if msg := checkURL(c.Issuer, false); msg != "" {
		return nil, fmt.Errorf("auth: oauth.issuer: %s", msg)
	}
	s := &oauthState{
		issuer:         c.Issuer,
		audiences:      c.Audience,
		algs:           make(map[string]jwa.SignatureAlgorithm),
		skew:           DefaultClockSkew,
		nameClaim:      claimPath(c.NameClaim, "sub"),
		rolesClaim:     claimPath(c.RolesClaim, "roles"),
		requiredScopes: c.RequiredScopes,
	}
	if len(s.audiences) == 0 {
		s.audiences = []string{a.resourceURL}
	}
	if c.ScopesClaim != "" {
		s.scopesClaim = claimPath(c.ScopesClaim, "")
	}
	if c.ClockSkew != "" {
		d, err := time.ParseDuration(c.ClockSkew)
		if err != nil || d < 0 || d > maxClockSkew {
			return nil, fmt.Errorf("auth: oauth.clockSkew: invalid duration %q", c.ClockSkew)
		}
		s.skew = d
	}
	algs := c.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	for _, name := range algs {
		if !knownAlgorithms[name] {
			return nil, fmt.Errorf("auth: oauth.algorithms: %q is not accepted (valid: %s)", name, strings.Join(sortedKeys(knownAlgorithms), ", "))
		}
		alg, ok := jwa.LookupSignatureAlgorithm(name)
		if !ok {
			return nil, fmt.Errorf("auth: oauth.algorithms: %q is not supported by the JWS library", name)
		}
		s.algs[name] = alg
	}
	if c.JWKSURL != "" {
		if msg := checkURL(c.JWKSURL, true); msg != "" {
			return nil, fmt.Errorf("auth: oauth.jwksUrl: %s", msg)
		}
	}
	s.jwks = &jwksCache{a: a, issuer: c.Issuer, jwksURL: c.JWKSURL}
	if ic := c.Introspection; ic != nil {
		if msg := checkURL(ic.URL, true); msg != "" {
			return nil, fmt.Errorf("auth: oauth.introspection.url: %s", msg)
		}
		if ic.ClientID == "" || ic.ClientSecret == "" {
			return nil, errors.New("auth: oauth.introspection: clientId and clientSecret are required")
		}
		s.introspect = &introspector{url: ic.URL, clientID: ic.ClientID, clientSecret: ic.ClientSecret}
	}
	return s, nil
}

// claimPath splits a dotted claim name, or returns [def].
func claimPath(name, def string) []string {
	if name == "" {
		name = def
	}
	return strings.Split(name, ".")
}

// canonicalResource checks a resource URL and returns its canonical form
// (RFC 8707 §2: lower-case scheme and host, no fragment).
func canonicalResource(s string) (string, error) {
	if s == "" {
		return "", errors.New("Options.ResourceURL is required with oauth (the public URL of the MCP endpoint, e.g. https://gw.example.com/mcp)")
	}
	if msg := checkURL(s, true); msg != "" {
		return "", errors.New(msg)
	}
	u, _ := url.Parse(s)
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// Close stops key fetches in progress and waits for them. API keys keep
// working afterwards, and so do keys already fetched; tokens needing a
// fetch fail. Safe to call twice.
func (a *Authenticator) Close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.cancel()
	a.wg.Wait()
}

// goFetch runs f in a goroutine that Close waits for; false after Close.
func (a *Authenticator) goFetch(f func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f()
	}()
	return true
}

// Authenticate checks the request's "Authorization: Bearer <token>" and
// returns who sent it. The token is compared with every API key in
// constant time (by SHA-256, so the timing reveals neither which key
// matched nor any key's length); failing that it is validated as a JWT of
// the OAuth issuer, or, when it is not a JWT and introspection is
// configured, introspected. Outcomes are cached by the token's SHA-256:
// a verified JWT for at most a minute, an active introspection result for
// at most 5 minutes (neither past "exp"), an inactive one for 10 s. The
// OAuth requiredScopes are then checked, on every call. The error is always a *Failure; a
// request with no credentials gets Status 401 and Code "".
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	p, f := a.authenticate(r)
	if f != nil {
		a.log.LogAttrs(r.Context(), slog.LevelDebug, "auth: request refused",
			slog.Int("status", f.Status), slog.String("code", f.Code), slog.String("reason", f.Description))
		return nil, f
	}
	return p, nil
}

func (a *Authenticator) authenticate(r *http.Request) (*Principal, *Failure) {
	token, f := bearerToken(r)
	if f != nil {
		return nil, f
	}
	sum := sha256.Sum256([]byte(token))
	if len(a.apiKeys) > 0 {
		if p := a.matchAPIKey(&sum); p != nil {
			return p, nil
		}
	}
	o := a.oauth
	if o == nil {
		return nil, invalidToken(descNotAPIKey)
	}
	now := a.now()
	var p *Principal
	if e, ok := a.tokens.get(sum, now); ok {
		if e.failure != nil {
			cf := *e.failure
			return nil, &cf
		}
		cp := *e.principal
		p = &cp
	} else {
		res := a.validateToken(r.Context(), token, now)
		if !res.until.IsZero() {
			e := cacheEntry{failure: res.f, expires: res.until, jwt: res.jwt, gen: res.gen}
			if res.p != nil {
				cp := *res.p
				e.principal = &cp
			}
			a.tokens.put(sum, e, now)
		}
		if res.f != nil {
			return nil, res.f
		}
		p = res.p
	}
	if f := o.authorize(p); f != nil {
		return nil, f
	}
	return p, nil
}

// result is the outcome of validating a token that is not an API key.
type result struct {
	p *Principal
	f *Failure
	// until is how long the outcome may be cached; zero: not at all.
	until time.Time
	// jwt marks a locally verified JWT, and gen the token cache
	// generation its keys were read at.
	jwt bool
	gen uint64
	// keysUnavailable: the issuer's keys could not be had.
	keysUnavailable bool
}

// validateToken validates a token that is not an API key: a JWT locally,
// anything else (or a JWT whose issuer keys are unavailable) by
// introspection when that is configured.
func (a *Authenticator) validateToken(ctx context.Context, token string, now time.Time) result {
	o := a.oauth
	if hdr, isJWT := parseJWTHeader(token); isJWT {
		res := a.verifyJWT(ctx, token, hdr, now)
		if res.f == nil || o.introspect == nil || !res.keysUnavailable {
			return res
		}
		// No keys to check the JWT with: the issuer may still know it.
	}
	if o.introspect == nil {
		return result{f: invalidToken(descUnknownToken)}
	}
	return a.introspectToken(ctx, token, now)
}

// authorize checks the OAuth requiredScopes.
func (o *oauthState) authorize(p *Principal) *Failure {
	if p.Method == MethodAPIKey {
		return nil
	}
	for _, s := range o.requiredScopes {
		if !contains(p.Scopes, s) {
			return &Failure{Status: http.StatusForbidden, Code: CodeInsufficientScope,
				Description: descInsufficientScope, Scope: strings.Join(o.requiredScopes, " ")}
		}
	}
	return nil
}

// BearerToken returns the token of the request's "Authorization: Bearer
// <token>" header, or "" when the header is missing or malformed. Call it
// after Authenticate accepted the request, to get the token a principal
// authenticated with (the subject of a token exchange).
func BearerToken(r *http.Request) string {
	t, _ := bearerToken(r)
	return t
}

// bearerToken extracts the token of "Authorization: Bearer <token>".
func bearerToken(r *http.Request) (string, *Failure) {
	if r.URL != nil && strings.Contains(r.URL.RawQuery, "access_token") {
		if _, ok := r.URL.Query()["access_token"]; ok {
			return "", invalidRequest(descQueryToken)
		}
	}
	h := r.Header.Values("Authorization")
	switch {
	case len(h) == 0:
		return "", &Failure{Status: http.StatusUnauthorized, Description: descNoCredentials}
	case len(h) > 1:
		return "", invalidRequest(descMultipleHeaders)
	}
	v := strings.Trim(h[0], " \t")
	if v == "" {
		return "", &Failure{Status: http.StatusUnauthorized, Description: descNoCredentials}
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", invalidRequest(descBadScheme)
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" {
		return "", invalidRequest(descMalformed)
	}
	if len(token) > maxTokenBytes {
		return "", invalidRequest(descTooLong)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return "", invalidRequest(descMalformed)
		}
	}
	return token, nil
}

// Challenge is the WWW-Authenticate value for f:
// `Bearer resource_metadata="<origin>/.well-known/oauth-protected-resource<path>"`
// followed by error, error_description and scope as RFC 6750 §3 and
// RFC 9728 §5.1 say. With no error code (no credentials
// sent) and requiredScopes configured, scope names them, so that a client
// knows what to ask the authorization server for. Without a resource URL
// there is no metadata, and the challenge has only the error attributes.
func (a *Authenticator) Challenge(f *Failure) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	attr := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(value)
		b.WriteByte('"')
		sep = ", "
	}
	if a.metadataURL != "" {
		attr("resource_metadata", quoteValue(a.metadataURL))
	}
	if f == nil {
		return b.String()
	}
	if f.Code != "" {
		attr("error", quoteValue(f.Code))
		if f.Description != "" {
			attr("error_description", describeValue(f.Description))
		}
	}
	scope := f.Scope
	if scope == "" && f.Code == "" && a.oauth != nil && len(a.oauth.requiredScopes) > 0 {
		scope = strings.Join(a.oauth.requiredScopes, " ")
	}
	if scope != "" {
		attr("scope", quoteValue(scope))
	}
	return b.String()
}

// quoteValue escapes s for a quoted-string (RFC 9110 §5.6.4), dropping
// control characters.
func quoteValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// describeValue makes s fit error_description's character set (RFC 6750
// §3: printable ASCII without '"' and '\').
func describeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\':
			b.WriteByte('/')
		case c < ' ' || c > '~':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// WriteFailure answers a refused request: the status, the
// WWW-Authenticate challenge, Cache-Control: no-store and a JSON body
// {"error": code, "error_description": description}.
func (a *Authenticator) WriteFailure(w http.ResponseWriter, f *Failure) {
	h := w.Header()
	h.Set("WWW-Authenticate", a.Challenge(f))
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	body := struct {
		Error       string `json:"error,omitempty"`
		Description string `json:"error_description"`
		Scope       string `json:"scope,omitempty"`
	}{f.Code, f.Description, f.Scope}
	b, _ := json.Marshal(body)
	w.WriteHeader(f.Status)
	_, _ = w.Write(append(b, '\n'))
}

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal stored by NewContext (or Middleware),
// or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Middleware authenticates every request before next; a refused request
// is answered with WriteFailure and does not reach next. next finds the
// caller with FromContext.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			a.WriteFailure(w, err.(*Failure))
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
	})
}
