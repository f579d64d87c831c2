package auth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Caching of introspection outcomes.
const (
	// introspectionTTL bounds how long an active result is used (never
	// past the token's exp): a revoked token keeps working that long.
	introspectionTTL = 5 * time.Minute
	// inactiveTTL is how long an inactive result is remembered, so that
	// a client retrying a dead token does not load the endpoint.
	inactiveTTL = 10 * time.Second
)

// Descriptions of introspection failures.
const (
	descInactive                 = "token is not active"
	descIntrospectionUnavailable = "token introspection is unavailable; try again later"
)

// introspector is an RFC 7662 endpoint with the gateway's credentials.
type introspector struct {
	url, clientID, clientSecret string
	calls                       atomic.Int64 // requests sent, for tests
}

// introspectToken asks the introspection endpoint about token. The client
// authenticates with HTTP Basic (RFC 6749 §2.3.1: id and secret are
// form-encoded first). An active token must also pass the iss, aud, exp
// and nbf checks when the response carries those members.
func (a *Authenticator) introspectToken(ctx context.Context, token string, now time.Time) result {
	o := a.oauth
	in := o.introspect
	c, err := a.introspectRequest(ctx, in, token)
	if err != nil {
		a.log.Warn("auth: token introspection failed", slog.String("url", in.url), slog.Any("error", err))
		return result{f: invalidToken(descIntrospectionUnavailable)}
	}
	if active, _ := c["active"].(bool); !active {
		return result{f: invalidToken(descInactive), until: now.Add(inactiveTTL)}
	}
	if f := o.checkIssuerAudience(c, false, false); f != nil {
		return result{f: f}
	}
	exp, f := o.checkTimes(c, now, false)
	if f != nil {
		return result{f: f}
	}
	p, f := o.principal(c, MethodIntrospection)
	if f != nil {
		return result{f: f}
	}
	if p.Issuer == "" {
		p.Issuer = o.issuer
	}
	p.ExpiresAt = exp
	until := now.Add(introspectionTTL)
	if !exp.IsZero() {
		until = earliest(exp, until)
	}
	return result{p: p, until: until}
}

// introspectRequest posts the token and decodes the response. Errors
// never contain the token.
func (a *Authenticator) introspectRequest(ctx context.Context, in *introspector, token string) (claims, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(in.clientID), url.QueryEscape(in.clientSecret))
	in.calls.Add(1)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
		return nil, fmt.Errorf("POST %s: %s", in.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocSize+1))
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", in.url, err)
	}
	if len(body) > maxDocSize {
		return nil, fmt.Errorf("POST %s: response larger than %d bytes", in.url, maxDocSize)
	}
	c, err := decodeClaims(body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: response is not a JSON object: %w", in.url, err)
	}
	return c, nil
}
