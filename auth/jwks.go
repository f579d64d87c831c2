package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Timing and size limits of key fetches.
const (
	// jwksDefaultTTL is how long a key set is used when the response
	// says nothing (Cache-Control max-age); max-age is clamped to
	// [jwksMinTTL, jwksMaxTTL].
	jwksDefaultTTL = 5 * time.Minute
	jwksMinTTL     = time.Minute
	jwksMaxTTL     = time.Hour
	// jwksMinInterval is the least time between two fetch attempts, so
	// that tokens with unknown key ids and a failing issuer do not make
	// the gateway hammer it.
	jwksMinInterval = 10 * time.Second
	// staleWait bounds how long a request with a usable (expired) key set
	// waits for a refresh before using the old set.
	staleWait  = 2 * time.Second
	maxDocSize = 1 << 20
	minRSABits = 2048
)

// verifyKey is one usable signing key of the issuer.
type verifyKey struct {
	kid string
	kty string // "RSA", "EC", "OKP"
	crv string // for EC: "P-256", "P-384", "P-521"
	alg string // the key's "alg", or ""
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	id  string // kid and thumbprint: the key's identity across fetches
}

// fits reports whether k may verify a signature made with alg: the key
// type must be the algorithm's (an RSA key never verifies an ES256 or an
// HMAC signature), the curve the algorithm's, and the key's own "alg", if
// any, equal to alg.
func (k *verifyKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return k.kty == "RSA"
	case "ES256":
		return k.kty == "EC" && k.crv == "P-256"
	case "ES384":
		return k.kty == "EC" && k.crv == "P-384"
	case "ES512":
		return k.kty == "EC" && k.crv == "P-521"
	case "EdDSA", "Ed25519":
		return k.kty == "OKP"
	}
	return false
}

// keySet is the issuer's usable keys as of one fetch.
type keySet struct {
	keys []*verifyKey
}

// withKid returns the keys with key id kid.
func (s *keySet) withKid(kid string) []*verifyKey {
	var out []*verifyKey
	for _, k := range s.keys {
		if k.kid == kid {
			out = append(out, k)
		}
	}
	return out
}

// jwksCache holds the issuer's key set: fetched on first use, refreshed
// when it expires (Cache-Control max-age, default 5 min) and when a token
// names an unknown key id, but never more often than once per
// jwksMinInterval. A failed refresh keeps the old set.
type jwksCache struct {
	a      *Authenticator
	issuer string

	set atomic.Pointer[keySet]

	mu          sync.Mutex
	jwksURL     string // configured or discovered; "" until known
	expires     time.Time
	lastAttempt time.Time
	lastErr     error
	inflight    chan struct{} // closed when the fetch under way ends
}

// errKeysUnavailable is the error when no key set could ever be fetched.
var errKeysUnavailable = errors.New("the issuer's signing keys are unavailable")

// keys returns the key set to verify with. With unknownKid the caller has
// seen a key id the current set lacks, and a refresh is started if the
// last attempt is at least jwksMinInterval old. A request waits for a
// refresh when it has no set (until ctx ends), or for at most staleWait
// when it has one (then it uses the old set).
func (c *jwksCache) keys(ctx context.Context, unknownKid bool) (*keySet, error) {
	now := c.a.now()
	set := c.set.Load()
	if set != nil && !unknownKid {
		c.mu.Lock()
		fresh := now.Before(c.expires)
		c.mu.Unlock()
		if fresh {
			return set, nil
		}
	}
	c.mu.Lock()
	set = c.set.Load()
	ch := c.inflight
	if ch == nil {
		need := set == nil || unknownKid || !now.Before(c.expires)
		rateLimited := !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < jwksMinInterval
		if !need || rateLimited {
			err := c.lastErr
			c.mu.Unlock()
			if set == nil {
				return nil, errOr(err, errKeysUnavailable)
			}
			return set, nil
		}
		ch = make(chan struct{})
		if !c.a.goFetch(func() { c.refresh(ch) }) {
			c.mu.Unlock()
			if set != nil {
				return set, nil
			}
			return nil, fmt.Errorf("%w: %w", errKeysUnavailable, errClosed)
		}
		c.inflight = ch
		c.lastAttempt = now
	}
	c.mu.Unlock()

	var timeout <-chan time.Time
	if set != nil {
		t := time.NewTimer(staleWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
	case <-timeout:
		return set, nil
	case <-ctx.Done():
		if set != nil {
			return set, nil
		}
		return nil, fmt.Errorf("%w: %w", errKeysUnavailable, ctx.Err())
	}
	c.mu.Lock()
	err := c.lastErr
	c.mu.Unlock()
	if s := c.set.Load(); s != nil {
		return s, nil
	}
	return nil, errOr(err, errKeysUnavailable)
}

// errClosed is the error of a fetch after Close.
var errClosed = errors.New("the authenticator is closed")

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// refresh fetches the key set and installs it; on failure the old set (if
// any) stays. It closes ch when done.
func (c *jwksCache) refresh(ch chan struct{}) {
	defer close(ch)
	ctx, cancel := context.WithTimeout(c.a.ctx, httpTimeout)
	defer cancel()
	set, ttl, err := c.fetch(ctx)
	now := c.a.now()
	c.mu.Lock()
	c.inflight = nil
	if err != nil {
		c.lastErr = err
		old := c.set.Load()
		c.mu.Unlock()
		if old != nil {
			c.a.log.Warn("auth: refreshing the issuer's signing keys failed; using the keys fetched before", slog.String("issuer", c.issuer), slog.Any("error", err))
		} else {
			c.a.log.Error("auth: the issuer's signing keys are unavailable; JWT access tokens are refused until they can be fetched", slog.String("issuer", c.issuer), slog.Any("error", err))
		}
		return
	}
	old := c.set.Swap(set)
	c.expires = now.Add(ttl)
	c.lastErr = nil
	c.mu.Unlock()
	if old != nil && lostKey(old, set) {
		c.a.tokens.dropJWT()
	}
	c.a.log.Debug("auth: fetched the issuer's signing keys", slog.String("issuer", c.issuer), slog.Int("keys", len(set.keys)), slog.Duration("ttl", ttl))
}

// lostKey reports whether a key of old is missing from cur.
func lostKey(old, cur *keySet) bool {
	ids := make(map[string]bool, len(cur.keys))
	for _, k := range cur.keys {
		ids[k.id] = true
	}
	for _, k := range old.keys {
		if !ids[k.id] {
			return true
		}
	}
	return false
}

// fetch gets the key set (discovering its URL first if need be) and how
// long it may be used.
func (c *jwksCache) fetch(ctx context.Context) (*keySet, time.Duration, error) {
	c.mu.Lock()
	u := c.jwksURL
	c.mu.Unlock()
	if u == "" {
		var err error
		if u, err = c.discover(ctx); err != nil {
			return nil, 0, err
		}
		c.mu.Lock()
		c.jwksURL = u
		c.mu.Unlock()
	}
	body, hdr, err := c.a.get(ctx, u)
	if err != nil {
		return nil, 0, fmt.Errorf("fetching the key set: %w", err)
	}
	set, err := parseKeySet(body, c.a.log)
	if err != nil {
		return nil, 0, fmt.Errorf("key set at %s: %w", u, err)
	}
	return set, cacheTTL(hdr), nil
}

// parseKeySet parses a JWK set and keeps the keys usable for signature
// verification: RSA of at least 2048 bits, EC on P-256/384/521, Ed25519;
// not marked for another use. Keys it cannot use are skipped (logged at
// debug); a set with none is an error.
func parseKeySet(body []byte, log *slog.Logger) (*keySet, error) {
	parsed, err := jwk.Parse(body, jwk.WithStrictKeySetParsing(false))
	if err != nil {
		return nil, fmt.Errorf("invalid JWK set: %w", err)
	}
	set := &keySet{}
	for i := 0; i < parsed.Len(); i++ {
		k, _ := parsed.Key(i)
		vk, err := convertKey(k)
		if err != nil {
			kid, _ := k.KeyID()
			log.Debug("auth: skipping a key of the issuer's key set", slog.String("kid", kid), slog.Any("reason", err))
			continue
		}
		set.keys = append(set.keys, vk)
	}
	if len(set.keys) == 0 {
		return nil, fmt.Errorf("no usable signing key among its %d keys", parsed.Len())
	}
	return set, nil
}

func convertKey(k jwk.Key) (*verifyKey, error) {
	if _, ok := k.(jwk.UnsupportedKey); ok {
		return nil, fmt.Errorf("unsupported key type %q", k.KeyType().String())
	}
	if use, ok := k.KeyUsage(); ok && use != "sig" {
		return nil, fmt.Errorf("key use is %q, not sig", use)
	}
	if ops, ok := k.KeyOps(); ok && len(ops) > 0 {
		verify := false
		for _, op := range ops {
			verify = verify || op == jwk.KeyOpVerify
		}
		if !verify {
			return nil, errors.New(`key_ops lacks "verify"`)
		}
	}
	pub, err := k.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("no public key: %w", err)
	}
	var raw any
	if err := jwk.Export(pub, &raw); err != nil {
		return nil, fmt.Errorf("exporting: %w", err)
	}
	vk := &verifyKey{key: raw}
	vk.kid, _ = k.KeyID()
	if alg, ok := k.Algorithm(); ok {
		vk.alg = alg.String()
	}
	switch key := raw.(type) {
	case *rsa.PublicKey:
		if key.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits; at least %d are required", key.N.BitLen(), minRSABits)
		}
		vk.kty = "RSA"
	case *ecdsa.PublicKey:
		vk.kty = "EC"
		switch key.Curve {
		case elliptic.P256():
			vk.crv = "P-256"
		case elliptic.P384():
			vk.crv = "P-384"
		case elliptic.P521():
			vk.crv = "P-521"
		default:
			return nil, errors.New("unsupported elliptic curve")
		}
	case ed25519.PublicKey:
		vk.kty = "OKP"
	default:
		return nil, fmt.Errorf("key of type %q cannot verify signatures here", k.KeyType().String())
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("thumbprint: %w", err)
	}
	vk.id = vk.kid + "/" + hex.EncodeToString(tp)
	return vk, nil
}

// cacheTTL is how long a response with header h may be used: its
// Cache-Control max-age clamped to [jwksMinTTL, jwksMaxTTL]; the minimum
// for no-store or no-cache; jwksDefaultTTL when it says nothing.
func cacheTTL(h http.Header) time.Duration {
	ttl := jwksDefaultTTL
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return jwksMinTTL
			case "max-age":
				if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
					if n > int64(jwksMaxTTL/time.Second) {
						n = int64(jwksMaxTTL / time.Second)
					}
					ttl = time.Duration(n) * time.Second
				}
			}
		}
	}
	return min(max(ttl, jwksMinTTL), jwksMaxTTL)
}

// discoveryURLs are where the issuer's metadata may be: RFC 8414's
// oauth-authorization-server, then OpenID Connect's openid-configuration,
// for an issuer with a path both with the well-known segment inserted
// before the path and (OpenID Connect) appended to it.
func discoveryURLs(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil
	}
	base := u.Scheme + "://" + u.Host
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if path == "" {
		return []string{base + "/.well-known/oauth-authorization-server", base + "/.well-known/openid-configuration"}
	}
	return []string{
		base + "/.well-known/oauth-authorization-server" + path,
		base + "/.well-known/openid-configuration" + path,
		base + path + "/.well-known/openid-configuration",
	}
}

// discover finds the issuer's jwks_uri in its metadata. A metadata
// document naming another issuer is refused (RFC 8414 §3.3).
func (c *jwksCache) discover(ctx context.Context) (string, error) {
	var errs []error
	for _, u := range discoveryURLs(c.issuer) {
		body, _, err := c.a.get(ctx, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var md struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &md); err != nil {
			errs = append(errs, fmt.Errorf("metadata at %s is not valid JSON: %w", u, err))
			continue
		}
		if md.Issuer != c.issuer {
			errs = append(errs, fmt.Errorf("metadata at %s names issuer %q, not %q", u, md.Issuer, c.issuer))
			continue
		}
		if md.JWKSURI == "" {
			errs = append(errs, fmt.Errorf("metadata at %s has no jwks_uri; set oauth.jwksUrl", u))
			continue
		}
		if msg := checkURL(md.JWKSURI, true); msg != "" {
			errs = append(errs, fmt.Errorf("metadata at %s: jwks_uri: %s", u, msg))
			continue
		}
		return md.JWKSURI, nil
	}
	return "", fmt.Errorf("discovering the issuer's jwks_uri: %w", errors.Join(errs...))
}

// get fetches u, expecting 200 and at most maxDocSize bytes.
func (a *Authenticator) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
		return nil, nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxDocSize {
		return nil, nil, fmt.Errorf("GET %s: larger than %d bytes", u, maxDocSize)
	}
	return body, resp.Header, nil
}
