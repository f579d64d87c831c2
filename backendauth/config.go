package backendauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
)

// Grants, the values of [Config.Grant].
const (
	// GrantClientCredentials is RFC 6749 §4.4: one token of the gateway's
	// own, shared by every request to the backend.
	GrantClientCredentials = "client_credentials"
	// GrantTokenExchange is RFC 8693: a token per end user, obtained by
	// exchanging the user's own bearer token.
	GrantTokenExchange = "token_exchange"
)

// Client authentication styles, the values of [Config.AuthStyle] (RFC 6749
// §2.3.1).
const (
	// AuthStyleBasic sends the client id and secret with HTTP Basic
	// authentication, each form-encoded first ("client_secret_basic").
	AuthStyleBasic = "basic"
	// AuthStylePost sends them as client_id and client_secret in the form
	// body ("client_secret_post").
	AuthStylePost = "post"
)

// Token type identifiers of RFC 8693 §3.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
)

// Defaults and limits of the configuration.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultCacheSize = 10_000
	maxTimeout       = 5 * time.Minute
	maxCacheSize     = 1_000_000
)

// Config is a server entry's "oauth" object in mcp.json: how the gateway
// obtains its own credentials for one remote backend. Build it with
// [Decode], which checks it and fills nothing in; defaults are applied by
// [New]. The zero value of every optional field means its default.
type Config struct {
	// Name is the server's key in mcp.json, named in errors ("check
	// clientId and clientSecret of server github"). It is not part of the
	// JSON object: the caller sets it. Required by New.
	Name string `json:"-"`

	// Grant is "client_credentials" (the default) or "token_exchange".
	Grant string `json:"grant"`
	// TokenURL is the authorization server's token endpoint. Required; an
	// https:// URL, or http:// for a loopback host (127.0.0.1, ::1,
	// localhost). A query is allowed (RFC 6749 §3.2), a fragment or user
	// info is not.
	TokenURL string `json:"tokenUrl"`
	// ClientID is the gateway's client id at the authorization server.
	// Required for client_credentials. Optional for token_exchange: without
	// it no client authentication is sent.
	ClientID string `json:"clientId"`
	// ClientSecret is the client's secret, already ${VAR}-expanded by the
	// caller (Decode does not expand). Required for client_credentials.
	// For token_exchange without it, the gateway is a public client and
	// sends only client_id in the form body.
	ClientSecret string `json:"clientSecret"`
	// AuthStyle is how the client authenticates: "basic" (the default,
	// client_secret_basic) or "post" (client_secret_post).
	AuthStyle string `json:"authStyle"`
	// Scopes are sent space-separated as "scope". Default: none (the
	// authorization server's default scopes).
	Scopes []string `json:"scopes"`
	// Audience is sent as "audience": RFC 8693 for token_exchange; for
	// client_credentials a common extension (e.g. Auth0). Default: none.
	Audience string `json:"audience"`
	// Resource are RFC 8707 resource indicators, each sent as a
	// "resource" parameter: absolute URIs without a fragment, typically
	// the backend's URL. In JSON a string or a list. Default: none.
	Resource []string `json:"resource"`
	// SubjectTokenType is the type of the user's token in a token
	// exchange. Default: TokenTypeAccessToken. token_exchange only.
	SubjectTokenType string `json:"subjectTokenType"`
	// RequestedTokenType is sent as "requested_token_type" when set.
	// token_exchange only.
	RequestedTokenType string `json:"requestedTokenType"`
	// CacheSize bounds the number of users whose exchanged token is kept;
	// the least recently used is dropped first. Default DefaultCacheSize.
	// token_exchange only.
	CacheSize int `json:"cacheSize"`
	// Timeout bounds one request to the token endpoint. Default
	// DefaultTimeout (10s); at most 5m.
	Timeout config.Duration `json:"timeout"`
}

// LogValue implements slog.LogValuer: the secret is never logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", c.Name),
		slog.String("grant", c.Grant),
		slog.String("tokenUrl", displayURL(c.TokenURL)),
		slog.String("clientId", c.ClientID),
		slog.Bool("clientSecret", c.ClientSecret != ""),
		slog.Any("scopes", c.Scopes),
		slog.String("audience", c.Audience),
		slog.Any("resource", c.Resource),
	)
}

// validKeys are the JSON keys of Config, sorted.
var validKeys = func() []string {
	var keys []string
	for f := range reflect.TypeFor[Config]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	sort.Strings(keys)
	return keys
}()

// Decode strictly decodes raw (the JSON value of a server's "oauth" key)
// and validates it. where is "file:line:col" of that value and path its
// key path (e.g. "mcpServers.github.oauth"); every error line names both,
// the key at fault, what is wrong and what to write instead:
//
//	mcp.json:12:14: mcpServers.github.oauth.grant: unknown grant "password" (use "client_credentials" or "token_exchange")
//
// Unknown and duplicate keys and values of the wrong type are errors; all
// errors are reported at once, one per line. Errors never contain the
// client secret. Decode does not expand ${VAR} and does not set
// [Config.Name].
func Decode(raw []byte, where, path string) (Config, error) {
	d := &decoder{where: where, path: path, bad: make(map[string]bool)}
	members, order, ok := d.object(raw)
	if !ok {
		return Config{}, d.err()
	}
	var c Config
	strs := map[string]*string{
		"grant": &c.Grant, "tokenUrl": &c.TokenURL, "clientId": &c.ClientID, "clientSecret": &c.ClientSecret,
		"authStyle": &c.AuthStyle, "audience": &c.Audience, "subjectTokenType": &c.SubjectTokenType,
		"requestedTokenType": &c.RequestedTokenType,
	}
	for _, key := range order {
		v := members[key]
		switch key {
		case "scopes":
			c.Scopes = d.strList(v, key, false)
		case "resource":
			c.Resource = d.strList(v, key, true)
		case "cacheSize":
			c.CacheSize = d.count(v, key)
		case "timeout":
			c.Timeout = d.duration(v, key)
		default:
			*strs[key] = d.str(v, key)
		}
	}
	for _, p := range c.problems() {
		if !d.bad[p.key] && !slices.ContainsFunc(p.deps, func(k string) bool { return d.bad[k] }) {
			d.fail(p.at(), "%s", p.msg)
		}
	}
	if err := d.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// problem is what is wrong with one key of a Config.
type problem struct {
	key  string // the top-level key, "" for the object itself
	idx  int    // index into a list, or -1
	msg  string
	deps []string // keys whose own errors make this one moot
}

func (p problem) at() string {
	if p.idx >= 0 {
		return fmt.Sprintf("%s[%d]", p.key, p.idx)
	}
	return p.key
}

// problems checks c's values against each other and their syntax. It is
// shared by Decode (which reports against the file) and New (which checks
// a Config built in code).
func (c Config) problems() []problem {
	var ps []problem
	add := func(key string, idx int, format string, args ...any) {
		ps = append(ps, problem{key: key, idx: idx, msg: fmt.Sprintf(format, args...)})
	}
	// byGrant is a problem that exists because of the grant.
	byGrant := func(key, format string, args ...any) {
		ps = append(ps, problem{key: key, idx: -1, msg: fmt.Sprintf(format, args...), deps: []string{"grant"}})
	}
	missing := func(key, msg string, deps ...string) {
		ps = append(ps, problem{idx: -1, msg: msg, deps: append(deps, key)})
	}
	grant := c.Grant
	switch grant {
	case "":
		grant = GrantClientCredentials
	case GrantClientCredentials, GrantTokenExchange:
	default:
		add("grant", -1, "unknown grant %q (use %q or %q)", c.Grant, GrantClientCredentials, GrantTokenExchange)
	}
	cc, te := grant == GrantClientCredentials, grant == GrantTokenExchange
	if c.TokenURL == "" {
		missing("tokenUrl", `missing "tokenUrl" (the authorization server's token endpoint, e.g. "https://login.example.com/oauth/token")`)
	} else if msg := checkTokenURL(c.TokenURL); msg != "" {
		add("tokenUrl", -1, "%s", msg)
	}
	if cc && c.ClientID == "" {
		missing("clientId", `missing "clientId" (the gateway's client id at the authorization server; the client credentials grant needs one)`, "grant")
	}
	if cc && c.ClientSecret == "" {
		missing("clientSecret", `missing "clientSecret" (the client credentials grant is for confidential clients; write "${VAR}" to take it from the environment)`, "grant")
	}
	if te && c.ClientSecret != "" && c.ClientID == "" {
		byGrant("clientSecret", `a client secret without "clientId"; add the gateway's client id`)
	}
	switch c.AuthStyle {
	case "", AuthStyleBasic, AuthStylePost:
	default:
		add("authStyle", -1, `unknown authStyle %q (use "basic" for HTTP Basic authentication, the default, or "post" to send the credentials in the form body)`, c.AuthStyle)
	}
	if c.Scopes != nil && len(c.Scopes) == 0 {
		add("scopes", -1, "empty list; leave the key out to get the authorization server's default scopes")
	}
	for i, s := range c.Scopes {
		if msg := checkScope(s); msg != "" {
			add("scopes", i, "%s", msg)
		}
	}
	if strings.ContainsFunc(c.Audience, isControl) {
		add("audience", -1, "contains control characters")
	}
	if c.Resource != nil && len(c.Resource) == 0 {
		add("resource", -1, "empty list; give the backend's URL, or leave the key out")
	}
	for i, r := range c.Resource {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") {
			add("resource", i, `invalid resource %q: use an absolute URI without a fragment, such as "https://mcp.example.com/mcp" (RFC 8707)`, r)
		}
	}
	for _, f := range []struct{ key, val string }{{"subjectTokenType", c.SubjectTokenType}, {"requestedTokenType", c.RequestedTokenType}} {
		switch {
		case f.val == "":
		case cc:
			byGrant(f.key, `only used with "grant": %q; remove it`, GrantTokenExchange)
		case !isAbsURI(f.val):
			add(f.key, -1, "invalid token type %q: use a token type URI such as %q (RFC 8693 §3)", f.val, TokenTypeAccessToken)
		}
	}
	switch {
	case c.CacheSize == 0:
	case cc:
		byGrant("cacheSize", `only used with "grant": %q (the client credentials grant keeps one token); remove it`, GrantTokenExchange)
	case c.CacheSize < 0 || c.CacheSize > maxCacheSize:
		add("cacheSize", -1, "%d is out of range: use 1 to %d users (default %d)", c.CacheSize, maxCacheSize, DefaultCacheSize)
	}
	if t := time.Duration(c.Timeout); t < 0 || t > maxTimeout {
		add("timeout", -1, `%s is out of range: use a positive duration up to "5m", such as "10s" (the default)`, t)
	}
	return ps
}

// checkTokenURL says what is wrong with a token endpoint URL, or "".
func checkTokenURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("invalid URL %q", displayURL(s))
	case u.Scheme == "http" && u.Host != "" && !isLoopback(u.Hostname()):
		return fmt.Sprintf("%q is plain http: the client secret and tokens would cross the network unencrypted; use https:// (http:// is accepted only for 127.0.0.1, ::1 and localhost)", displayURL(s))
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("invalid URL %q: use an https:// URL", displayURL(s))
	case u.Host == "":
		return fmt.Sprintf("invalid URL %q: no host", displayURL(s))
	case u.User != nil:
		return fmt.Sprintf("invalid URL %q: no user info allowed; give the client's credentials as clientId and clientSecret", displayURL(s))
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("invalid URL %q: no fragment (#...) allowed", displayURL(s))
	}
	return ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkScope says what is wrong with a scope token (RFC 6749 §3.3), or "".
func checkScope(s string) string {
	if strings.Contains(s, " ") {
		return fmt.Sprintf("invalid scope %q: one scope per list item; write %s", s, quoteList(strings.Fields(s)))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return fmt.Sprintf("invalid scope %q: scopes are visible ASCII without spaces, quotes or backslashes", s)
		}
	}
	return ""
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func isAbsURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' })
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// displayURL is u without query and user info, for messages: they may
// hold credentials.
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return u.String()
}

// decoder collects the errors of a strict decode, each prefixed by the
// position and key path.
type decoder struct {
	where, path string
	errs        []string
	bad         map[string]bool // keys with a reported error
}

func (d *decoder) fail(key, format string, args ...any) {
	var parts []string
	if d.where != "" {
		parts = append(parts, d.where)
	}
	p := d.path
	switch {
	case p == "":
		p = key
	case key != "":
		p += "." + key
	}
	if p != "" {
		parts = append(parts, p)
	}
	parts = append(parts, fmt.Sprintf(format, args...))
	d.errs = append(d.errs, strings.Join(parts, ": "))
	if k, _, _ := strings.Cut(key, "["); k != "" {
		d.bad[k] = true
	}
}

// err joins the collected errors, one per line.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(d.errs, "\n"))
}

// object decodes a JSON object into its members, refusing unknown and
// duplicate keys; order is the keys in file order.
func (d *decoder) object(raw []byte) (members map[string]json.RawMessage, order []string, ok bool) {
	if k := config.JSONKind(raw); k != "an object" {
		d.fail("", "expected an object, got %s", k)
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		d.fail("", "invalid JSON: %v", err)
		return nil, nil, false
	}
	members = make(map[string]json.RawMessage)
	ok = true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			d.fail("", "invalid JSON: %v", err)
			return nil, nil, false
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			d.fail("", "invalid JSON: %v", err)
			return nil, nil, false
		}
		if _, dup := members[key]; dup {
			d.fail(key, "duplicate key")
			ok = false
			continue
		}
		if !slices.Contains(validKeys, key) {
			msg := fmt.Sprintf("unknown key %q (valid keys: %s)", key, strings.Join(validKeys, ", "))
			if s := suggest(key); s != "" {
				msg = fmt.Sprintf("unknown key %q; did you mean %q? (valid keys: %s)", key, s, strings.Join(validKeys, ", "))
			}
			d.fail("", "%s", msg)
			ok = false
			continue
		}
		members[key] = v
		order = append(order, key)
	}
	if _, err := dec.Token(); err != nil {
		d.fail("", "invalid JSON: %v", err)
		return nil, nil, false
	}
	return members, order, ok
}

// suggest returns the valid key that key is likely a misspelling of:
// the same but for case, "_" and "-", or a plural "s".
func suggest(key string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	k := norm(key)
	for _, v := range validKeys {
		n := norm(v)
		if n == k || n == k+"s" || n+"s" == k || (v == "resource" && k == "resources") {
			return v
		}
	}
	if k == "scope" {
		return "scopes"
	}
	return ""
}

// str decodes a non-empty string.
func (d *decoder) str(raw json.RawMessage, key string) string {
	var s string
	if config.JSONKind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		d.fail(key, "expected a string, got %s", config.JSONKind(raw))
		return ""
	}
	if s == "" {
		switch key {
		case "grant":
			d.fail(key, "empty grant (use %q or %q, or leave the key out for %q)", GrantClientCredentials, GrantTokenExchange, GrantClientCredentials)
		case "clientSecret":
			d.fail(key, `empty value (if it is written "${VAR}", VAR is set but empty); give the secret, or leave the key out`)
		default:
			d.fail(key, "empty value; give a value, or leave the key out")
		}
	}
	return s
}

// strList decodes a list of non-empty strings; orString also accepts a
// single string.
func (d *decoder) strList(raw json.RawMessage, key string, orString bool) []string {
	if orString && config.JSONKind(raw) == "a string" {
		if s := d.str(raw, key); s != "" {
			return []string{s}
		}
		return nil
	}
	var items []json.RawMessage
	if config.JSONKind(raw) != "a list" || json.Unmarshal(raw, &items) != nil {
		want := "a list of strings"
		if orString {
			want = "a string or a list of strings"
		}
		d.fail(key, "expected %s, got %s", want, config.JSONKind(raw))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		at := fmt.Sprintf("%s[%d]", key, i)
		var s string
		if config.JSONKind(it) != "a string" || json.Unmarshal(it, &s) != nil {
			d.fail(at, "expected a string, got %s", config.JSONKind(it))
			continue
		}
		if strings.TrimSpace(s) == "" {
			d.fail(at, "empty string")
			continue
		}
		out = append(out, s)
	}
	return out
}

// count decodes a positive whole number.
func (d *decoder) count(raw json.RawMessage, key string) int {
	if config.JSONKind(raw) != "a number" {
		d.fail(key, "expected a number, got %s", config.JSONKind(raw))
		return 0
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	if err != nil || n < 1 {
		d.fail(key, "expected a whole number of at least 1, got %s", bytes.TrimSpace(raw))
		return 0
	}
	return n
}

// duration decodes a positive config.Duration.
func (d *decoder) duration(raw json.RawMessage, key string) config.Duration {
	if k := config.JSONKind(raw); k != "a string" && k != "a number" {
		d.fail(key, `expected a duration such as "10s" or a number of seconds, got %s`, k)
		return 0
	}
	var v config.Duration
	if err := v.UnmarshalJSON(raw); err != nil {
		d.fail(key, "%v", err)
		return 0
	}
	if v == 0 {
		d.fail(key, `a zero timeout would fail every token request; use a positive duration such as "10s" (the default), or leave the key out`)
	}
	return v
}
