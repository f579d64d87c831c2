package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// TestConcurrent runs API keys, JWTs and bad tokens from many goroutines
// while the issuer rotates keys and the clock moves (run with -race).
func TestConcurrent(t *testing.T) {
	k := keys(t)
	e := newEnv(t, func(c *Config) {
		c.APIKeys = []APIKey{{Name: "ci", Key: ciKey}}
		c.OAuth.RequiredScopes = []string{"mcp:tools"}
	})
	e.idp.publish(t, "e1", k.ec1)
	e.idp.publish(t, "r1", k.rsa1)
	far := map[string]any{"exp": e.clk.Now().Add(24 * time.Hour).Unix()}
	var good []string
	for i := 0; i < 4; i++ {
		good = append(good, sign(t, jwa.ES256(), k.ec1, "e1", e.claims(far), nil))
		good = append(good, sign(t, jwa.RS256(), k.rsa1, "r1", e.claims(far), nil))
	}
	bad := []string{
		sign(t, jwa.ES256(), k.ec2, "e1", e.claims(far), nil),                                           // wrong key
		sign(t, jwa.ES256(), k.ec1, "e1", e.claims(map[string]any{"aud": "x", "exp": far["exp"]}), nil), // audience
		sign(t, jwa.ES256(), k.ec1, "unknown", e.claims(far), nil),                                      // unknown kid
		"not-a-valid-key-at-all",
	}
	noScope := sign(t, jwa.ES256(), k.ec1, "e1", e.claims(map[string]any{"scope": "other", "exp": far["exp"]}), nil)

	tmpKey, err := jwk.PublicKeyOf(k.ec2)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var rot sync.WaitGroup
	rot.Add(1)
	go func() { // rotation: keys come and go, the clock runs
		defer rot.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			kid := fmt.Sprintf("tmp%d", i)
			key, err := tmpKey.Clone()
			if err == nil {
				err = key.Set(jwk.KeyIDKey, kid)
			}
			if err != nil {
				t.Error(err)
				return
			}
			e.idp.set(func(p *idp) { p.keys = append(p.keys, key) })
			e.clk.Advance(3 * time.Second)
			e.idp.withdraw(kid)
			time.Sleep(time.Millisecond)
		}
	}()

	var wg sync.WaitGroup
	var failures atomic.Int64
	report := func(format string, args ...any) {
		if failures.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				switch (g + i) % 4 {
				case 0:
					if p, err := e.a.Authenticate(request(ciKey)); err != nil || p.Name != "ci" {
						report("API key: %v", err)
					}
				case 1:
					if p, err := e.a.Authenticate(request(good[(g*7+i)%len(good)])); err != nil || p.Name != "alice" {
						report("good JWT: %v", err)
					}
				case 2:
					if _, err := e.a.Authenticate(request(bad[(g+i)%len(bad)])); err == nil {
						report("bad token accepted")
					}
				case 3:
					if _, err := e.a.Authenticate(request(noScope)); err == nil || err.(*Failure).Status != 403 {
						report("insufficient scope: %v", err)
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(stop)
	rot.Wait()
	if n := e.idp.jwksFetches.Load(); n < 2 {
		t.Logf("JWKS fetched %d times", n)
	}
}
