package backendauth

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustAuthorize(t *testing.T, s *Source, subject string) string {
	t.Helper()
	v, err := s.Authorization(context.Background(), subject)
	if err != nil {
		t.Fatalf("Authorization: %v", err)
	}
	return v
}

// The token request carries the grant's parameters and authenticates the
// client in the configured style.
func TestTokenRequest(t *testing.T) {
	for _, c := range []struct {
		name     string
		cfg      func(*testAS) Config
		b        behaviour
		subject  string
		wantAuth string
		want     url.Values // the form, without client_secret
	}{
		{
			name:     "client credentials, basic",
			cfg:      func(a *testAS) Config { return a.config(GrantClientCredentials) },
			wantAuth: "basic",
			want:     url.Values{"grant_type": {"client_credentials"}},
		},
		{
			name: "client credentials, post, all parameters",
			cfg: func(a *testAS) Config {
				c := a.config(GrantClientCredentials)
				c.AuthStyle = AuthStylePost
				c.Scopes = []string{"repo", "read:org"}
				c.Audience = "https://api.github.example"
				c.Resource = []string{"https://mcp.example/a", "https://mcp.example/b"}
				return c
			},
			b:        behaviour{style: "post"},
			wantAuth: "post",
			want: url.Values{
				"grant_type": {"client_credentials"}, "client_id": {testClientID}, "scope": {"repo read:org"},
				"audience": {"https://api.github.example"}, "resource": {"https://mcp.example/a", "https://mcp.example/b"},
			},
		},
		{
			name:     "token exchange, basic, defaults",
			cfg:      func(a *testAS) Config { return a.config(GrantTokenExchange) },
			subject:  "user-token-1",
			wantAuth: "basic",
			want: url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {"user-token-1"},
				"subject_token_type": {TokenTypeAccessToken},
			},
		},
		{
			name: "token exchange, post, all parameters",
			cfg: func(a *testAS) Config {
				c := a.config(GrantTokenExchange)
				c.AuthStyle = AuthStylePost
				c.Scopes = []string{"mcp"}
				c.Audience = "backend"
				c.Resource = []string{"https://mcp.example/"}
				c.SubjectTokenType = TokenTypeJWT
				c.RequestedTokenType = TokenTypeAccessToken
				return c
			},
			subject:  "user-token-2",
			wantAuth: "post",
			want: url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {"user-token-2"},
				"subject_token_type": {TokenTypeJWT}, "requested_token_type": {TokenTypeAccessToken}, "client_id": {testClientID},
				"scope": {"mcp"}, "audience": {"backend"}, "resource": {"https://mcp.example/"},
			},
		},
		{
			name: "token exchange, public client",
			cfg: func(a *testAS) Config {
				c := a.config(GrantTokenExchange)
				c.ClientSecret = ""
				return c
			},
			b:        behaviour{public: true},
			subject:  "user-token-3",
			wantAuth: "public",
			want: url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {"user-token-3"},
				"subject_token_type": {TokenTypeAccessToken}, "client_id": {testClientID},
			},
		},
		{
			name: "token exchange, no client",
			cfg: func(a *testAS) Config {
				c := a.config(GrantTokenExchange)
				c.ClientID, c.ClientSecret = "", ""
				return c
			},
			b:        behaviour{anonymous: true},
			subject:  "user-token-4",
			wantAuth: "none",
			want: url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {"user-token-4"},
				"subject_token_type": {TokenTypeAccessToken},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAS(t)
			a.set(c.b)
			s := newSource(t, c.cfg(a))
			v := mustAuthorize(t, s, c.subject)
			tok := bearer(t, v)
			if sub, ok := a.subjectOf(tok); !ok || sub != c.subject {
				t.Errorf("token %q issued for %q, %v", tok, sub, ok)
			}
			f := a.lastForm()
			if c.wantAuth == "post" && f.Get("client_secret") != testSecret {
				t.Errorf("client_secret = %q", f.Get("client_secret"))
			}
			f.Del("client_secret")
			if !reflect.DeepEqual(f, c.want) {
				t.Errorf("form\n got %v\nwant %v", f, c.want)
			}
			h := a.lastHeader()
			if (h.Get("Authorization") != "") != (c.wantAuth == "basic") {
				t.Errorf("Authorization header %q with auth %s", h.Get("Authorization"), c.wantAuth)
			}
			if h.Get("Accept") != "application/json" {
				t.Errorf("Accept = %q", h.Get("Accept"))
			}
			if a.lastAuth != c.wantAuth {
				t.Errorf("server saw auth %q, want %q", a.lastAuth, c.wantAuth)
			}
		})
	}
}

// The token is reused until shortly before expires_in, then replaced.
func TestTokenReusedUntilNearExpiry(t *testing.T) {
	for _, grant := range []string{GrantClientCredentials, GrantTokenExchange} {
		t.Run(grant, func(t *testing.T) {
			a := newAS(t)
			a.set(behaviour{expiresIn: 3600})
			clock := newFakeClock()
			s := newSource(t, a.config(grant))
			s.now = clock.Now
			v1 := mustAuthorize(t, s, "user")
			// Refreshed 30s (maxRefreshMargin) before the hour is up.
			clock.Advance(time.Hour - maxRefreshMargin - time.Second)
			if v := mustAuthorize(t, s, "user"); v != v1 {
				t.Errorf("token replaced before expiry: %q, then %q", v1, v)
			}
			if n := a.requests.Load(); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
			clock.Advance(time.Second)
			v2 := mustAuthorize(t, s, "user")
			if v2 == v1 {
				t.Error("token not replaced near expiry")
			}
			if n := a.requests.Load(); n != 2 {
				t.Errorf("%d token requests, want 2", n)
			}
		})
	}
}

// How long a token is cached, by what the answer says.
func TestCacheLifetime(t *testing.T) {
	for _, c := range []struct {
		name  string
		b     behaviour
		fresh time.Duration // still cached this long after
		stale time.Duration // replaced this long after
	}{
		{"expires_in 3600", behaviour{expiresIn: 3600}, time.Hour - 31*time.Second, time.Hour - 30*time.Second},
		{"short expires_in: a quarter early", behaviour{expiresIn: 60}, 44 * time.Second, 45 * time.Second},
		{"expires_in as a string", behaviour{expiresIn: "120"}, 89 * time.Second, 90 * time.Second},
		{"no expires_in: default lifetime", behaviour{expiresIn: "omit"}, defaultLifetime - 31*time.Second, defaultLifetime - 30*time.Second},
		{"no expires_in, JWT access token: its exp", behaviour{expiresIn: "omit", jwtTTL: 20 * time.Minute}, 20*time.Minute - 31*time.Second, 20*time.Minute - 30*time.Second},
		{"expires_in 0: not cached", behaviour{expiresIn: 0}, -1, 0},
		{"expires_in invalid: default lifetime", behaviour{expiresIn: "soon"}, defaultLifetime - 31*time.Second, defaultLifetime - 30*time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAS(t)
			clock := newFakeClock()
			c.b.clock = clock.Now
			a.set(c.b)
			s := newSource(t, a.config(GrantClientCredentials))
			s.now = clock.Now
			v1 := mustAuthorize(t, s, "")
			if c.fresh >= 0 {
				clock.Advance(c.fresh)
				if v := mustAuthorize(t, s, ""); v != v1 || a.requests.Load() != 1 {
					t.Errorf("after %s: token replaced (%d requests)", c.fresh, a.requests.Load())
				}
				clock.Advance(c.stale - c.fresh)
			}
			if v := mustAuthorize(t, s, ""); v == v1 || a.requests.Load() != 2 {
				t.Errorf("after %s: token not replaced (%d requests)", c.stale, a.requests.Load())
			}
		})
	}
}

// A JWT subject token's exp caps how long its exchanged token is used.
func TestSubjectExpCapsCache(t *testing.T) {
	a := newAS(t)
	a.set(behaviour{expiresIn: 3600})
	clock := newFakeClock()
	s := newSource(t, a.config(GrantTokenExchange))
	s.now = clock.Now
	subject := testJWT(map[string]any{"sub": "alice", "exp": clock.Now().Add(2 * time.Minute).Unix()})
	opaque := "opaque-user-token"
	v1 := mustAuthorize(t, s, subject)
	o1 := mustAuthorize(t, s, opaque)
	clock.Advance(2*time.Minute - time.Second)
	if v := mustAuthorize(t, s, subject); v != v1 {
		t.Error("exchanged token replaced before the subject expired")
	}
	clock.Advance(time.Second)
	if v := mustAuthorize(t, s, subject); v == v1 {
		t.Error("exchanged token used past the subject token's exp")
	}
	if v := mustAuthorize(t, s, opaque); v != o1 {
		t.Error("opaque subject's token replaced early")
	}
	if n := a.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}

	// An already expired subject is exchanged (the server decides) but
	// the result is not cached.
	expired := testJWT(map[string]any{"exp": clock.Now().Add(-time.Minute).Unix()})
	e1 := mustAuthorize(t, s, expired)
	if e2 := mustAuthorize(t, s, expired); e2 == e1 {
		t.Error("token for an expired subject was cached")
	}
}

// 50 concurrent callers wanting the same token cause one token request.
func TestConcurrentCallersShareOneRequest(t *testing.T) {
	const callers = 50
	for _, grant := range []string{GrantClientCredentials, GrantTokenExchange} {
		t.Run(grant, func(t *testing.T) {
			a := newAS(t)
			a.arrived = make(chan struct{}, callers)
			release := a.hold()
			s := newSource(t, a.config(grant))
			var started, done sync.WaitGroup
			values := make([]string, callers)
			errs := make([]error, callers)
			for i := range callers {
				started.Add(1)
				done.Add(1)
				go func() {
					defer done.Done()
					started.Done()
					values[i], errs[i] = s.Authorization(context.Background(), "the-same-user")
				}()
			}
			started.Wait()
			<-a.arrived // the first request is held at the server
			release()
			done.Wait()
			for i := range callers {
				if errs[i] != nil {
					t.Fatalf("caller %d: %v", i, errs[i])
				}
				if values[i] != values[0] {
					t.Errorf("caller %d got %q, caller 0 %q", i, values[i], values[0])
				}
			}
			if n := a.requests.Load(); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
		})
	}
}

// Many users at once: every user gets a token issued for their own
// subject token, never another user's, and each user's token is fetched
// once.
func TestManySubjectsNeverMixed(t *testing.T) {
	const users, callsPerUser = 40, 8
	a := newAS(t)
	a.arrived = make(chan struct{}, users*callsPerUser)
	s := newSource(t, a.config(GrantTokenExchange))
	type result struct {
		subject, value string
		err            error
	}
	results := make(chan result, users*callsPerUser)
	var wg sync.WaitGroup
	for u := range users {
		subject := fmt.Sprintf("user-%02d-token", u)
		if u%2 == 0 {
			subject = testJWT(map[string]any{"sub": fmt.Sprintf("user-%02d", u), "exp": time.Now().Add(time.Hour).Unix()})
		}
		for range callsPerUser {
			wg.Go(func() {
				v, err := s.Authorization(context.Background(), subject)
				results <- result{subject, v, err}
			})
		}
	}
	wg.Wait()
	close(results)
	perUser := make(map[string]string)
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		tok := bearer(t, r.value)
		issuedFor, ok := a.subjectOf(tok)
		if !ok {
			t.Fatalf("token %q was never issued", tok)
		}
		if issuedFor != r.subject {
			t.Fatalf("user %q got a token issued for %q", r.subject, issuedFor)
		}
		if prev, seen := perUser[r.subject]; seen && prev != r.value {
			t.Errorf("user %q got two tokens", r.subject)
		}
		perUser[r.subject] = r.value
	}
	if len(perUser) != users {
		t.Errorf("%d users served, want %d", len(perUser), users)
	}
	if n := a.requests.Load(); n != users {
		t.Errorf("%d token requests, want one per user (%d)", n, users)
	}
}

// Reject drops the cached token only while it is the refused value.
func TestReject(t *testing.T) {
	for _, grant := range []string{GrantClientCredentials, GrantTokenExchange} {
		t.Run(grant, func(t *testing.T) {
			a := newAS(t)
			s := newSource(t, a.config(grant))
			v1 := mustAuthorize(t, s, "alice")
			s.Reject("alice", "Bearer some-other-token")
			if v := mustAuthorize(t, s, "alice"); v != v1 || a.requests.Load() != 1 {
				t.Fatal("a non-matching Reject dropped the token")
			}
			s.Reject("alice", v1)
			v2 := mustAuthorize(t, s, "alice")
			if v2 == v1 || a.requests.Load() != 2 {
				t.Fatal("Reject did not drop the token")
			}
			// A late 401 for the old value must not throw away the new one.
			s.Reject("alice", v1)
			if v := mustAuthorize(t, s, "alice"); v != v2 || a.requests.Load() != 2 {
				t.Error("a stale Reject dropped the new token")
			}
		})
	}
}

// Reject for one user leaves the others' tokens alone.
func TestRejectOneSubjectOnly(t *testing.T) {
	a := newAS(t)
	s := newSource(t, a.config(GrantTokenExchange))
	alice := mustAuthorize(t, s, "alice")
	bob := mustAuthorize(t, s, "bob")
	s.Reject("alice", bob) // bob's value under alice's name: no match
	s.Reject("bob", alice)
	s.Reject("alice", alice)
	s.Reject("", alice) // no subject: nothing
	if v := mustAuthorize(t, s, "bob"); v != bob {
		t.Error("bob's token was dropped")
	}
	if v := mustAuthorize(t, s, "alice"); v == alice {
		t.Error("alice's token was kept")
	}
	if n := a.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// The exchange cache holds at most cacheSize users, dropping the least
// recently used.
func TestCacheBound(t *testing.T) {
	a := newAS(t)
	cfg := a.config(GrantTokenExchange)
	cfg.CacheSize = 3
	s := newSource(t, cfg)
	for _, u := range []string{"a", "b", "c"} {
		mustAuthorize(t, s, u)
	}
	mustAuthorize(t, s, "a") // b is now the least recently used
	mustAuthorize(t, s, "d") // evicts b
	if n := a.requests.Load(); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
	for _, u := range []string{"a", "c", "d"} {
		mustAuthorize(t, s, u)
	}
	if n := a.requests.Load(); n != 4 {
		t.Errorf("a, c or d was evicted: %d requests", n)
	}
	mustAuthorize(t, s, "b")
	if n := a.requests.Load(); n != 5 {
		t.Errorf("b was not evicted: %d requests", n)
	}
	for i := range 100 {
		mustAuthorize(t, s, fmt.Sprintf("user-%d", i))
		if l := s.cache.len(); l > 3 {
			t.Fatalf("cache holds %d entries, bound 3", l)
		}
	}
}

// Client credentials ignore the subject: one token for everyone.
func TestClientCredentialsIgnoresSubject(t *testing.T) {
	a := newAS(t)
	s := newSource(t, a.config(GrantClientCredentials))
	v1 := mustAuthorize(t, s, "")
	v2 := mustAuthorize(t, s, "alice")
	if v1 != v2 || a.requests.Load() != 1 {
		t.Errorf("tokens %q and %q, %d requests", v1, v2, a.requests.Load())
	}
	if f := a.lastForm(); f.Has("subject_token") {
		t.Error("subject sent with client credentials")
	}
}

func TestNoSubject(t *testing.T) {
	a := newAS(t)
	s := newSource(t, a.config(GrantTokenExchange))
	_, err := s.Authorization(context.Background(), "")
	var ns *NoSubjectError
	if !errors.As(err, &ns) || ns.Server != "github" {
		t.Fatalf("error = %v, want *NoSubjectError", err)
	}
	want := "server github needs the user's OAuth token (its oauth grant is token_exchange), but the caller authenticated without an OAuth bearer token, e.g. with an API key or on stdio"
	if err.Error() != want {
		t.Errorf("error = %q", err)
	}
	if a.requests.Load() != 0 {
		t.Error("a token request was made")
	}
}

// token_type decides whether and how the token can be sent.
func TestTokenTypes(t *testing.T) {
	for _, c := range []struct {
		name      string
		grant     string
		tokenType string
		issued    string
		wantErr   string
	}{
		{"Bearer", GrantClientCredentials, "Bearer", "", ""},
		{"lower case bearer", GrantClientCredentials, "bearer", "", ""},
		{"N_A access token", GrantTokenExchange, "N_A", TokenTypeAccessToken, ""},
		{"n_a jwt", GrantTokenExchange, "n_a", TokenTypeJWT, ""},
		{"N_A id token", GrantTokenExchange, "N_A", TokenTypeIDToken, `issued a "urn:ietf:params:oauth:token-type:id_token" with token_type N_A, which is not an access token; set requestedTokenType of server github to "urn:ietf:params:oauth:token-type:access_token"`},
		{"N_A without issued type", GrantTokenExchange, "N_A", "omit", `issued a token of no stated type with token_type N_A`},
		{"N_A for client credentials", GrantClientCredentials, "N_A", "", `issued a token of type "N_A", but the gateway sends Bearer tokens only`},
		{"DPoP", GrantTokenExchange, "DPoP", "", `issued a token of type "DPoP", but the gateway sends Bearer tokens only; configure the authorization server to issue Bearer tokens for server github`},
		{"MAC", GrantClientCredentials, "mac", "", `issued a token of type "mac"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAS(t)
			a.set(behaviour{tokenType: c.tokenType, issuedTokenType: c.issued})
			s := newSource(t, a.config(c.grant))
			v, err := s.Authorization(context.Background(), "user")
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				bearer(t, v)
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v, want %q", err, c.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "token endpoint "+a.tokenURL()+" ") {
				t.Errorf("error does not name the endpoint: %v", err)
			}
		})
	}
}

// A caller that stops waiting does not fail the request for the others,
// and the token it was waiting for is cached.
func TestCallerCancelDoesNotFailOthers(t *testing.T) {
	a := newAS(t)
	a.arrived = make(chan struct{}, 4)
	release := a.hold()
	s := newSource(t, a.config(GrantTokenExchange))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Authorization(ctx, "alice")
		errc <- err
	}()
	<-a.arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for a token from") {
		t.Fatalf("cancelled caller got %v", err)
	}
	release()
	v := mustAuthorize(t, s, "alice")
	if _, ok := a.subjectOf(bearer(t, v)); !ok {
		t.Error("unknown token")
	}
	if n := a.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1: the first request's answer was not used", n)
	}
}

// A failure is not cached: the next call tries again.
func TestFailureNotCached(t *testing.T) {
	a := newAS(t)
	a.set(behaviour{errCode: "temporarily_unavailable", errCodeS: 503})
	s := newSource(t, a.config(GrantClientCredentials))
	if _, err := s.Authorization(context.Background(), ""); err == nil {
		t.Fatal("no error")
	}
	a.set(behaviour{})
	mustAuthorize(t, s, "")
	if n := a.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// A caller's HTTP client is used, but redirects are still refused, and
// the caller's client is left as it was.
func TestCallersClient(t *testing.T) {
	a := newAS(t)
	srv := httptest.NewTLSServer(a)
	t.Cleanup(srv.Close)
	client := srv.Client()
	cfg := a.config(GrantClientCredentials)
	cfg.TokenURL = srv.URL + "/oauth/token"
	s, err := New(cfg, client, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustAuthorize(t, s, "")
	if client.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
}

func TestCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache(2)
	k := func(b byte) [32]byte { return [32]byte{b} }
	c.put(k(1), "one", now.Add(time.Minute), now)
	c.put(k(2), "two", now.Add(time.Second), now)
	if v, ok := c.get(k(1), now); !ok || v != "one" {
		t.Errorf("get 1 = %q, %v", v, ok)
	}
	if _, ok := c.get(k(2), now.Add(time.Second)); ok {
		t.Error("expired entry returned")
	}
	if c.len() != 1 {
		t.Errorf("expired entry not dropped on get: len %d", c.len())
	}
	c.put(k(3), "three", now, now) // already expired: not stored
	if c.len() != 1 {
		t.Error("expired value stored")
	}
	c.put(k(1), "one", now, now) // an expired value replaces a live one by dropping it
	if _, ok := c.get(k(1), now); ok {
		t.Error("old value kept")
	}
	c.put(k(1), "a", now.Add(time.Hour), now)
	c.put(k(2), "b", now.Add(time.Hour), now)
	c.get(k(1), now)
	c.put(k(3), "c", now.Add(time.Hour), now)
	if _, ok := c.get(k(2), now); ok {
		t.Error("least recently used entry kept")
	}
	if c.remove(k(1), "x") || !c.remove(k(1), "a") || c.remove(k(1), "a") {
		t.Error("remove is not conditional on the value")
	}
}

func TestJWTExp(t *testing.T) {
	for _, c := range []struct {
		name string
		tok  string
		want int64 // 0: none
	}{
		{"exp", testJWT(map[string]any{"exp": 2000000000}), 2000000000},
		{"fractional exp", testJWT(map[string]any{"exp": 2000000000.5}), 2000000000},
		{"no exp", testJWT(map[string]any{"sub": "x"}), 0},
		{"string exp", testJWT(map[string]any{"exp": "2000000000"}), 0},
		{"negative exp", testJWT(map[string]any{"exp": -5}), 0},
		{"opaque", "abcdef", 0},
		{"two parts", "a.b", 0},
		{"bad base64", "a.!!!.c", 0},
		{"payload not JSON", "a." + "bm90IGpzb24" + ".c", 0},
		{"JWE", "a.b.c.d.e", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			exp, ok := jwtExp(c.tok)
			if c.want == 0 {
				if ok {
					t.Errorf("exp %v, want none", exp)
				}
				return
			}
			if !ok || exp.Unix() != c.want {
				t.Errorf("exp %v, %v; want %d", exp, ok, c.want)
			}
		})
	}
}
