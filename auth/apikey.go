package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
)

// apiKeyEntry is a configured API key: the SHA-256 of the key and the
// principal it stands for.
type apiKeyEntry struct {
	sum [sha256.Size]byte
	p   Principal
}

// buildAPIKeys checks keys (as ParseConfig would) and hashes them.
func buildAPIKeys(keys []APIKey) ([]apiKeyEntry, error) {
	out := make([]apiKeyEntry, 0, len(keys))
	seen := make(map[string]bool)
	sums := make(map[[sha256.Size]byte]bool)
	for i, k := range keys {
		where := fmt.Sprintf("auth: apiKeys[%d]", i)
		if k.Name == "" {
			return nil, errors.New(where + ": empty name")
		}
		if seen[k.Name] {
			return nil, fmt.Errorf("%s: duplicate name %q", where, k.Name)
		}
		seen[k.Name] = true
		var e apiKeyEntry
		switch {
		case (k.Key == "") == (k.KeySHA256 == ""):
			return nil, fmt.Errorf("%s (%s): give exactly one of key and keySha256", where, k.Name)
		case k.Key != "":
			if msg := checkKeyChars(k.Key); msg != "" {
				return nil, fmt.Errorf("%s (%s): key %s", where, k.Name, msg)
			}
			e.sum = sha256.Sum256([]byte(k.Key))
		default:
			b, err := hex.DecodeString(k.KeySHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("%s (%s): keySha256 must be 64 hex digits", where, k.Name)
			}
			copy(e.sum[:], b)
		}
		if sums[e.sum] {
			return nil, fmt.Errorf("%s (%s): the same key as another entry", where, k.Name)
		}
		sums[e.sum] = true
		e.p = Principal{Name: k.Name, Roles: k.Roles, Scopes: k.Scopes, Method: MethodAPIKey}
		out = append(out, e)
	}
	return out, nil
}

// matchAPIKey returns a copy of the principal of the API key whose SHA-256
// is sum, or nil. Every key is compared, in constant time, whatever
// matches: the time taken depends only on the number of keys.
func (a *Authenticator) matchAPIKey(sum *[sha256.Size]byte) *Principal {
	match := -1
	for i := range a.apiKeys {
		eq := subtle.ConstantTimeCompare(sum[:], a.apiKeys[i].sum[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return nil
	}
	p := a.apiKeys[match].p
	return &p
}
