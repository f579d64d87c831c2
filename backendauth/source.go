// Package backendauth gives the gateway its own credentials for remote MCP
// backends: the Authorization header value for each request the gateway
// sends to one backend. The client's token is never forwarded.
//
// Two grants are supported. With client credentials (RFC 6749 §4.4) the
// gateway is a confidential client and one token is shared by every
// request to the backend. With token exchange (RFC 8693) the gateway
// exchanges each end user's bearer token for one meant for the backend,
// acting on the user's behalf.
//
// Quick start:
//
//	cfg, err := backendauth.Decode(raw, where, "mcpServers.github.oauth")
//	if err != nil { return err }
//	cfg.Name = "github"
//	src, err := backendauth.New(cfg, nil, log)
//	if err != nil { return err }
//	// per request to the backend:
//	v, err := src.Authorization(ctx, userBearerToken) // "" for client credentials
//	if err != nil { return err }
//	req.Header.Set("Authorization", v)
//	// ... and when the backend answers 401:
//	src.Reject(userBearerToken, v)
//
// Tokens are cached until shortly before they expire; concurrent callers
// wanting the same token share one request to the token endpoint.
package backendauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mcpgw/mcp-gateway/config"
)

// Lifetimes of cached tokens.
const (
	// defaultLifetime is how long a token is used when the answer gives
	// no expires_in and the token is not a JWT with an exp: a 401 from the
	// backend drops it earlier.
	defaultLifetime = 5 * time.Minute
	// maxRefreshMargin is how long before its expiry a token is replaced
	// (at most a quarter of its lifetime): the backend's clock may be
	// ahead, and a request takes time to arrive.
	maxRefreshMargin = 30 * time.Second
)

// Source yields Authorization header values for requests to one backend.
// It is safe for concurrent use. Create it with [New].
type Source struct {
	cfg     Config // defaults applied
	name    string
	grant   string
	url     string // TokenURL for messages: no query
	timeout time.Duration
	client  *http.Client
	log     *slog.Logger
	cache   *cache
	flights singleflight.Group

	// now is the clock; tests replace it before first use.
	now func() time.Time
}

// NoSubjectError is the error of Authorization for a token exchange
// server called without the end user's bearer token.
type NoSubjectError struct {
	// Server is the backend's name.
	Server string
}

func (e *NoSubjectError) Error() string {
	return fmt.Sprintf("server %s needs the user's OAuth token (its oauth grant is token_exchange), but the caller authenticated without an OAuth bearer token, e.g. with an API key or on stdio", e.Server)
}

// New returns the source for the backend cfg describes. cfg.Name is
// required (it names the backend in errors); cfg is checked as Decode
// checks it. client sends the token requests; nil means a client of its
// own with timeouts. Either way redirects are not followed: a token
// endpoint that redirects is an error, so that credentials never go to
// another URL. log gets a line when a token is obtained or dropped (debug
// and info; nil means none); tokens and secrets are never logged.
func New(cfg Config, client *http.Client, log *slog.Logger) (*Source, error) {
	if cfg.Name == "" {
		return nil, errors.New("backendauth: Config.Name is empty; set it to the server's name")
	}
	if ps := cfg.problems(); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			at := "oauth"
			if k := p.at(); k != "" {
				at += "." + k
			}
			msgs[i] = fmt.Sprintf("server %s: %s: %s", cfg.Name, at, p.msg)
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	if cfg.Grant == "" {
		cfg.Grant = GrantClientCredentials
	}
	if cfg.AuthStyle == "" {
		cfg.AuthStyle = AuthStyleBasic
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = config.Duration(DefaultTimeout)
	}
	size := 1
	if cfg.Grant == GrantTokenExchange {
		if cfg.SubjectTokenType == "" {
			cfg.SubjectTokenType = TokenTypeAccessToken
		}
		if cfg.CacheSize == 0 {
			cfg.CacheSize = DefaultCacheSize
		}
		size = cfg.CacheSize
	}
	cfg.Scopes = append([]string(nil), cfg.Scopes...)
	cfg.Resource = append([]string(nil), cfg.Resource...)
	timeout := time.Duration(cfg.Timeout)
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c = defaultClient(timeout)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{
		cfg:     cfg,
		name:    cfg.Name,
		grant:   cfg.Grant,
		url:     displayURL(cfg.TokenURL),
		timeout: timeout,
		client:  &c,
		log:     log.With(slog.String("component", "backendauth"), slog.String("server", cfg.Name), slog.String("grant", cfg.Grant)),
		cache:   newCache(size),
		now:     time.Now,
	}, nil
}

// defaultClient is the HTTP client of a Source given none.
func defaultClient(timeout time.Duration) http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = timeout
	tr.MaxIdleConnsPerHost = 4
	return http.Client{Transport: tr, Timeout: timeout}
}

// Grant returns the configured grant after defaults: GrantClientCredentials
// or GrantTokenExchange.
func (s *Source) Grant() string { return s.grant }

// Authorization returns the header value ("Bearer …") for one request to
// the backend. subject is the end user's bearer token, as the gateway
// received it, for token_exchange; for client_credentials it is ignored
// ("" is fine). For token_exchange an empty subject is a *NoSubjectError.
//
// A cached token is returned while it is valid; otherwise one request is
// made to the token endpoint, shared by every concurrent caller wanting
// the same token. That request is bounded by the configured timeout, not
// by ctx: a caller whose ctx ends stops waiting (and gets ctx's error),
// while the request goes on for the others and fills the cache. A
// refusal by the token endpoint is a *TokenError; other failures (no
// answer, a timeout, an answer that is not a usable token) are plain
// errors. No error contains a secret.
func (s *Source) Authorization(ctx context.Context, subject string) (string, error) {
	key, err := s.key(subject)
	if err != nil {
		return "", err
	}
	if v, ok := s.cache.get(key, s.now()); ok {
		return v, nil
	}
	ch := s.flights.DoChan(string(key[:]), func() (any, error) {
		return s.fetch(ctx, key, subject)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for a token from %s: %w", s.url, ctx.Err())
	}
}

// Reject tells the source that the backend refused value, returned by
// Authorization for subject, with HTTP 401: the cached token is dropped so
// that the next call gets a new one. It is dropped only while it is still
// the cached one, so that a token a concurrent call has just obtained is
// kept.
func (s *Source) Reject(subject, value string) {
	key, err := s.key(subject)
	if err != nil {
		return
	}
	if s.cache.remove(key, value) {
		s.log.Info("backend refused the gateway's token (HTTP 401); the next request gets a new one")
	}
}

// key is the cache and flight key for subject: its SHA-256 for token
// exchange (the token itself is never kept as a key), the zero key for
// client credentials.
func (s *Source) key(subject string) ([32]byte, error) {
	if s.grant != GrantTokenExchange {
		return [32]byte{}, nil
	}
	if subject == "" {
		return [32]byte{}, &NoSubjectError{Server: s.name}
	}
	return sha256.Sum256([]byte(subject)), nil
}

// fetch obtains a token for subject from the token endpoint and caches
// it. It runs once for all concurrent callers with the same key; ctx is
// the first caller's, used for its values only.
func (s *Source) fetch(ctx context.Context, key [32]byte, subject string) (string, error) {
	start := s.now()
	// A flight that completed between our cache miss and DoChan has
	// filled the cache.
	if v, ok := s.cache.get(key, start); ok {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	r, err := s.post(ctx, subject)
	if err != nil {
		return "", err
	}
	value, err := s.headerValue(r)
	if err != nil {
		return "", err
	}
	until, capped := s.until(start, r, subject)
	s.cache.put(key, value, until, start)
	attrs := []any{slog.Time("until", until)}
	if r.hasExpiresIn {
		attrs = append(attrs, slog.Duration("expires_in", r.expiresIn))
	}
	if r.scope != "" {
		attrs = append(attrs, slog.String("scope", r.quote(r.scope)))
	}
	if capped {
		attrs = append(attrs, slog.Bool("capped_by_subject_exp", true))
	}
	s.log.Debug("token obtained", attrs...)
	return value, nil
}

// headerValue is the Authorization value for the answer r. Only Bearer
// tokens can be sent; an RFC 8693 "N_A" token type is sent as Bearer when
// the issued token is an access token (or a JWT).
func (s *Source) headerValue(r tokenResponse) (string, error) {
	switch tt := r.tokenType; {
	case tt == "" || strings.EqualFold(tt, "Bearer"):
	case strings.EqualFold(tt, "N_A") && s.grant == GrantTokenExchange:
		if r.issuedTokenType != TokenTypeAccessToken && r.issuedTokenType != TokenTypeJWT {
			what := "token of no stated type"
			if r.issuedTokenType != "" {
				what = fmt.Sprintf("%q", r.quote(r.issuedTokenType))
			}
			return "", fmt.Errorf("token endpoint %s issued a %s with token_type N_A, which is not an access token; set requestedTokenType of server %s to %q", s.url, what, s.name, TokenTypeAccessToken)
		}
	default:
		return "", fmt.Errorf("token endpoint %s issued a token of type %q, but the gateway sends Bearer tokens only; configure the authorization server to issue Bearer tokens for server %s", s.url, r.quote(tt), s.name)
	}
	return "Bearer " + r.accessToken, nil
}

// until is when the token of r, requested at start, stops being used:
// shortly before it expires (by expires_in, else the token's own JWT exp,
// else defaultLifetime) and never after the subject token's JWT exp.
// capped reports whether the subject's exp decided.
func (s *Source) until(start time.Time, r tokenResponse, subject string) (until time.Time, capped bool) {
	life := defaultLifetime
	switch {
	case r.hasExpiresIn:
		life = r.expiresIn
	default:
		if exp, ok := jwtExp(r.accessToken); ok {
			life = exp.Sub(start)
		}
	}
	until = start.Add(life - min(maxRefreshMargin, life/4))
	if subject != "" {
		if exp, ok := jwtExp(subject); ok && exp.Before(until) {
			return exp, true
		}
	}
	return until, false
}
