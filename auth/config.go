package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
)

func init() { config.RegisterSection("auth") }

// Config is the "auth" section of the gateway config
// ("gateway": {"auth": {...}}). Build it with [ParseConfig], which checks
// it and fills nothing in: defaults are applied by [New].
type Config struct {
	// APIKeys are static bearer tokens, each naming its principal.
	APIKeys []APIKey `json:"apiKeys"`
	// OAuth, if set, accepts OAuth 2.1 access tokens from one issuer.
	OAuth *OAuthConfig `json:"oauth"`
}

// APIKey is one static key. Exactly one of Key and KeySHA256 is set.
type APIKey struct {
	// Name identifies the principal ([Principal.Name]); unique.
	Name string `json:"name"`
	// Key is the key itself (after ${VAR} expansion): at least 16
	// visible ASCII characters, no spaces.
	Key string `json:"key"`
	// KeySHA256 is the SHA-256 of the key as 64 hex digits, for configs
	// that must not hold the key itself.
	KeySHA256 string `json:"keySha256"`
	// Roles and Scopes are given to the principal as they are.
	Roles  []string `json:"roles"`
	Scopes []string `json:"scopes"`
}

// LogValue implements slog.LogValuer: the key is never logged.
func (k APIKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", k.Name), slog.Any("roles", k.Roles), slog.Any("scopes", k.Scopes))
}

// OAuthConfig configures the gateway as an OAuth 2.1 resource server for
// one authorization server (issuer).
type OAuthConfig struct {
	// Issuer is required; a token's "iss" must equal it exactly.
	Issuer string `json:"issuer"`
	// Audience lists the accepted "aud" values; a token must carry at
	// least one. Default: the resource URL ([Options.ResourceURL]).
	Audience []string `json:"audience"`
	// JWKSURL is where the issuer's signing keys are. Default: the
	// "jwks_uri" of the issuer's metadata, discovered at
	// {issuer}/.well-known/oauth-authorization-server, then
	// /.well-known/openid-configuration.
	JWKSURL string `json:"jwksUrl"`
	// Algorithms is the allowlist of JWS algorithms. Default: RS256,
	// RS384, RS512, PS256, ES256, ES384, EdDSA. "none" and HS* are
	// always refused.
	Algorithms []string `json:"algorithms"`
	// ClockSkew is the leeway for exp, nbf and iat, a Go duration of at
	// most 10m. Default "60s".
	ClockSkew string `json:"clockSkew"`
	// NameClaim names the claim that becomes [Principal.Name]. Default
	// "sub". Dotted paths reach into objects.
	NameClaim string `json:"nameClaim"`
	// RolesClaim names the claim holding roles: a list of strings or a
	// space-separated string. Default "roles". Dotted paths reach into
	// objects ("realm_access.roles").
	RolesClaim string `json:"rolesClaim"`
	// ScopesClaim names the claim holding scopes. Default: "scope" (a
	// space-separated string) falling back to "scp" (a list).
	ScopesClaim string `json:"scopesClaim"`
	// RequiredScopes must all be carried by every OAuth token, else the
	// request gets 403 insufficient_scope.
	RequiredScopes []string `json:"requiredScopes"`
	// Introspection, if set, validates opaque (non-JWT) tokens by RFC 7662.
	Introspection *IntrospectionConfig `json:"introspection"`
	// AuthorizationServers is published in the protected-resource
	// metadata. Default: [Issuer].
	AuthorizationServers []string `json:"authorizationServers"`
	// ScopesSupported is published in the metadata (optional).
	ScopesSupported []string `json:"scopesSupported"`
	// ResourceDocumentation is a URL published in the metadata (optional).
	ResourceDocumentation string `json:"resourceDocumentation"`
}

// IntrospectionConfig is an RFC 7662 token introspection endpoint and the
// gateway's client credentials for it (sent with HTTP Basic).
type IntrospectionConfig struct {
	URL          string `json:"url"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// LogValue implements slog.LogValuer: the secret is never logged.
func (c IntrospectionConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", c.URL), slog.String("clientId", c.ClientID))
}

// Limits and defaults of the configuration.
const (
	DefaultClockSkew = 60 * time.Second
	maxClockSkew     = 10 * time.Minute
	minKeyLength     = 16
	sectionPath      = "gateway.auth"
)

// DefaultAlgorithms is the JWS allowlist when none is configured.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}

// knownAlgorithms are the asymmetric JWS algorithms that may be allowed.
var knownAlgorithms = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true, "Ed25519": true,
}

// ParseConfig decodes raw, the value of "gateway.auth", strictly. An
// unknown key, a duplicate key or a value of the wrong type is an error
// naming its key path ("gateway.auth.apiKeys[1].keySha256: ..."). ${VAR}
// (also ${env:VAR}, ${VAR:-default}; "$${" is a literal "${") in "key" and
// "clientSecret" is expanded from the environment; an unset variable is an
// error naming it and the key path. Each API key has exactly one of key and
// keySha256 (64 hex digits); names and keys are unique. At least one of
// apiKeys and oauth must be given. Errors never contain key material.
func ParseConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	d := &decoder{}
	members, ok := d.object(raw, sectionPath, []string{"apiKeys", "oauth"})
	if !ok {
		return Config{}, d.err()
	}
	if v, ok := members["apiKeys"]; ok {
		cfg.APIKeys = d.apiKeys(v, sectionPath+".apiKeys")
	}
	if v, ok := members["oauth"]; ok {
		cfg.OAuth = d.oauth(v, sectionPath+".oauth")
	}
	if len(d.errs) == 0 && len(cfg.APIKeys) == 0 && cfg.OAuth == nil {
		d.fail(sectionPath, `nothing to authenticate with: give "apiKeys", "oauth" or both`)
	}
	if err := d.err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decoder collects errors of a strict decode, each prefixed by its path.
type decoder struct{ errs []string }

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, path+": "+fmt.Sprintf(format, args...))
}

// err joins the collected errors, one per line.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(d.errs, "\n"))
}

// object decodes an object, refusing duplicate and unknown keys.
func (d *decoder) object(raw json.RawMessage, path string, keys []string) (map[string]json.RawMessage, bool) {
	if k := config.JSONKind(raw); k != "an object" {
		d.fail(path, "expected an object, got %s", k)
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		d.fail(path, "invalid JSON: %v", err)
		return nil, false
	}
	members := make(map[string]json.RawMessage)
	okAll := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			d.fail(path, "invalid JSON: %v", err)
			return nil, false
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			d.fail(path, "invalid JSON: %v", err)
			return nil, false
		}
		switch {
		case !contains(keys, key):
			d.fail(path, "unknown key %q (valid keys: %s)", key, strings.Join(sorted(keys), ", "))
			okAll = false
		case members[key] != nil:
			d.fail(path+"."+key, "duplicate key")
			okAll = false
		default:
			members[key] = v
		}
	}
	if _, err := dec.Token(); err != nil {
		d.fail(path, "invalid JSON: %v", err)
		return nil, false
	}
	return members, okAll
}

func (d *decoder) str(raw json.RawMessage, path string) (string, bool) {
	var s string
	if config.JSONKind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		d.fail(path, "expected a string, got %s", config.JSONKind(raw))
		return "", false
	}
	return s, true
}

// strList decodes a list of non-empty strings.
func (d *decoder) strList(raw json.RawMessage, path string) []string {
	var items []json.RawMessage
	if config.JSONKind(raw) != "a list" || json.Unmarshal(raw, &items) != nil {
		d.fail(path, "expected a list of strings, got %s", config.JSONKind(raw))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		s, ok := d.str(it, p)
		if !ok {
			continue
		}
		if strings.TrimSpace(s) == "" {
			d.fail(p, "empty string")
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) apiKeys(raw json.RawMessage, path string) []APIKey {
	var items []json.RawMessage
	if config.JSONKind(raw) != "a list" || json.Unmarshal(raw, &items) != nil {
		d.fail(path, "expected a list of objects, got %s", config.JSONKind(raw))
		return nil
	}
	names := make(map[string]int)
	hashes := make(map[[32]byte]int)
	out := make([]APIKey, 0, len(items))
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := d.object(it, p, []string{"name", "key", "keySha256", "roles", "scopes"})
		if !ok {
			continue
		}
		var k APIKey
		nameRaw, hasName := m["name"]
		nameOK := false
		if hasName {
			k.Name, nameOK = d.str(nameRaw, p+".name")
		}
		if !hasName {
			d.fail(p, `missing "name"`)
		} else if !nameOK {
			// reported
		} else if strings.TrimSpace(k.Name) == "" {
			d.fail(p+".name", "empty name")
		} else if j, dup := names[k.Name]; dup {
			d.fail(p+".name", "duplicate name %q (also %s[%d])", k.Name, path, j)
		} else {
			names[k.Name] = i
		}
		_, hasKey := m["key"]
		_, hasHash := m["keySha256"]
		var sum [32]byte
		haveSum := false
		switch {
		case hasKey && hasHash:
			d.fail(p, `give one of "key" and "keySha256", not both`)
		case !hasKey && !hasHash:
			d.fail(p, `missing "key" or "keySha256"`)
		case hasKey:
			s, ok := d.str(m["key"], p+".key")
			if !ok {
				break
			}
			s, err := config.ExpandVars(s, os.LookupEnv)
			if err != nil {
				d.fail(p+".key", "%v", err)
				break
			}
			if msg := checkKeyChars(s); msg != "" {
				d.fail(p+".key", "%s", msg)
				break
			}
			k.Key = s
			sum, haveSum = sha256.Sum256([]byte(s)), true
		case hasHash:
			s, ok := d.str(m["keySha256"], p+".keySha256")
			if !ok {
				break
			}
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != sha256.Size {
				d.fail(p+".keySha256", "expected 64 hex digits (the SHA-256 of the key, e.g. from `printf %%s KEY | sha256sum`), got %d characters", len(s))
				break
			}
			k.KeySHA256 = strings.ToLower(s)
			copy(sum[:], b)
			haveSum = true
		}
		if haveSum {
			if j, dup := hashes[sum]; dup {
				d.fail(p, "the same key as %s[%d]; every API key must be different", path, j)
			} else {
				hashes[sum] = i
			}
		}
		if v, ok := m["roles"]; ok {
			k.Roles = d.strList(v, p+".roles")
		}
		if v, ok := m["scopes"]; ok {
			k.Scopes = d.scopeList(v, p+".scopes")
		}
		out = append(out, k)
	}
	return out
}

// checkKeyChars says what is wrong with an API key, or "".
func checkKeyChars(s string) string {
	if len(s) < minKeyLength {
		return fmt.Sprintf("too short (%d characters); use at least %d random characters", len(s), minKeyLength)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return "must be visible ASCII characters without spaces, as it is sent in an Authorization header"
		}
	}
	return ""
}

// scopeList decodes a list of scope tokens (RFC 6749 §3.3).
func (d *decoder) scopeList(raw json.RawMessage, path string) []string {
	list := d.strList(raw, path)
	for i, s := range list {
		for j := 0; j < len(s); j++ {
			c := s[j]
			if c <= ' ' || c > '~' || c == '"' || c == '\\' {
				d.fail(fmt.Sprintf("%s[%d]", path, i), "invalid scope %q: scopes are visible ASCII without spaces, quotes or backslashes", s)
				break
			}
		}
	}
	return list
}

func (d *decoder) oauth(raw json.RawMessage, path string) *OAuthConfig {
	m, ok := d.object(raw, path, []string{
		"issuer", "audience", "jwksUrl", "algorithms", "clockSkew", "nameClaim", "rolesClaim",
		"scopesClaim", "requiredScopes", "introspection", "authorizationServers", "scopesSupported",
		"resourceDocumentation",
	})
	if !ok {
		return nil
	}
	o := &OAuthConfig{}
	if v, ok := m["issuer"]; !ok {
		d.fail(path, `missing "issuer" (the authorization server's issuer identifier, e.g. "https://login.example.com")`)
	} else if s, ok := d.str(v, path+".issuer"); ok {
		if msg := checkURL(s, false); msg != "" {
			d.fail(path+".issuer", "%s", msg)
		}
		o.Issuer = s
	}
	if v, ok := m["audience"]; ok {
		o.Audience = d.strList(v, path+".audience")
	}
	if v, ok := m["jwksUrl"]; ok {
		if s, ok := d.str(v, path+".jwksUrl"); ok {
			if msg := checkURL(s, true); msg != "" {
				d.fail(path+".jwksUrl", "%s", msg)
			}
			o.JWKSURL = s
		}
	}
	if v, ok := m["algorithms"]; ok {
		o.Algorithms = d.strList(v, path+".algorithms")
		for i, a := range o.Algorithms {
			p := fmt.Sprintf("%s.algorithms[%d]", path, i)
			switch {
			case strings.EqualFold(a, "none"):
				d.fail(p, `"none" is never accepted: unsigned tokens prove nothing`)
			case strings.HasPrefix(strings.ToUpper(a), "HS"):
				d.fail(p, "%q is never accepted: with a shared secret anyone who can verify can also mint tokens; use an asymmetric algorithm such as RS256 or ES256", a)
			case !knownAlgorithms[a]:
				d.fail(p, "unknown algorithm %q (valid: %s)", a, strings.Join(sortedKeys(knownAlgorithms), ", "))
			}
		}
		if len(o.Algorithms) == 0 {
			d.fail(path+".algorithms", "empty list; leave the key out for the default (%s)", strings.Join(DefaultAlgorithms, ", "))
		}
	}
	if v, ok := m["clockSkew"]; ok {
		if s, ok := d.str(v, path+".clockSkew"); ok {
			if dur, err := time.ParseDuration(s); err != nil || dur < 0 || dur > maxClockSkew {
				d.fail(path+".clockSkew", "invalid duration %q: use a value from \"0s\" to \"10m\", such as \"60s\"", s)
			}
			o.ClockSkew = s
		}
	}
	for _, c := range []struct {
		key string
		dst *string
	}{{"nameClaim", &o.NameClaim}, {"rolesClaim", &o.RolesClaim}, {"scopesClaim", &o.ScopesClaim}} {
		if v, ok := m[c.key]; ok {
			if s, ok := d.str(v, path+"."+c.key); ok {
				if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
					d.fail(path+"."+c.key, "invalid claim name %q: give a claim name or a dotted path such as \"realm_access.roles\"", s)
				}
				*c.dst = s
			}
		}
	}
	if v, ok := m["requiredScopes"]; ok {
		o.RequiredScopes = d.scopeList(v, path+".requiredScopes")
	}
	if v, ok := m["introspection"]; ok {
		o.Introspection = d.introspection(v, path+".introspection")
	}
	if v, ok := m["authorizationServers"]; ok {
		o.AuthorizationServers = d.strList(v, path+".authorizationServers")
		for i, s := range o.AuthorizationServers {
			if msg := checkURL(s, false); msg != "" {
				d.fail(fmt.Sprintf("%s.authorizationServers[%d]", path, i), "%s", msg)
			}
		}
	}
	if v, ok := m["scopesSupported"]; ok {
		o.ScopesSupported = d.scopeList(v, path+".scopesSupported")
	}
	if v, ok := m["resourceDocumentation"]; ok {
		if s, ok := d.str(v, path+".resourceDocumentation"); ok {
			if msg := checkURL(s, true); msg != "" {
				d.fail(path+".resourceDocumentation", "%s", msg)
			}
			o.ResourceDocumentation = s
		}
	}
	return o
}

func (d *decoder) introspection(raw json.RawMessage, path string) *IntrospectionConfig {
	m, ok := d.object(raw, path, []string{"url", "clientId", "clientSecret"})
	if !ok {
		return nil
	}
	c := &IntrospectionConfig{}
	for _, f := range []struct {
		key    string
		dst    *string
		expand bool
	}{{"url", &c.URL, false}, {"clientId", &c.ClientID, false}, {"clientSecret", &c.ClientSecret, true}} {
		v, ok := m[f.key]
		if !ok {
			d.fail(path, "missing %q", f.key)
			continue
		}
		s, ok := d.str(v, path+"."+f.key)
		if !ok {
			continue
		}
		if f.expand {
			var err error
			if s, err = config.ExpandVars(s, os.LookupEnv); err != nil {
				d.fail(path+"."+f.key, "%v", err)
				continue
			}
		}
		if s == "" {
			d.fail(path+"."+f.key, "empty value")
			continue
		}
		*f.dst = s
	}
	if c.URL != "" {
		if msg := checkURL(c.URL, true); msg != "" {
			d.fail(path+".url", "%s", msg)
		}
	}
	return c
}

// checkURL says what is wrong with an http(s) URL, or "". A query is
// allowed only when allowQuery is set; a fragment never is.
func checkURL(s string, allowQuery bool) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("invalid URL %q", s)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("invalid URL %q: use an https:// URL", s)
	case u.Host == "":
		return fmt.Sprintf("invalid URL %q: no host", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("invalid URL %q: no fragment (#...) allowed", s)
	case !allowQuery && u.RawQuery != "":
		return fmt.Sprintf("invalid URL %q: no query (?...) allowed", s)
	case u.User != nil:
		return fmt.Sprintf("invalid URL %q: no user info allowed", s)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
