package backendauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// maxBodySize bounds a token endpoint answer.
const maxBodySize = 1 << 20

// minRedactLen is the length from which a secret is blanked out of text
// from the authorization server.
const minRedactLen = 6

// grantTypeTokenExchange is the grant_type of RFC 8693 §2.1.
const grantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// tokenResponse is a successful token endpoint answer (RFC 6749 §5.1,
// RFC 8693 §2.2.1).
type tokenResponse struct {
	accessToken     string
	tokenType       string
	issuedTokenType string
	scope           string
	expiresIn       time.Duration
	hasExpiresIn    bool
	// quote makes a member fit for a message or a log line: cleaned,
	// and with the secrets of the request and the issued token blanked.
	quote func(string) string
}

// TokenError is a refusal by the token endpoint: an RFC 6749 §5.2 error
// answer, or an HTTP error status without one. Its fields never hold a
// secret (the description is cut short and has the client secret and the
// subject token blanked out should the server echo them).
type TokenError struct {
	// Server is the backend's name, URL the token endpoint without query.
	Server, URL string
	// Grant is GrantClientCredentials or GrantTokenExchange.
	Grant string
	// Status is the HTTP status of the answer.
	Status int
	// Code is the RFC 6749 "error" ("invalid_client", "invalid_grant",
	// ...), empty when the answer had none.
	Code string
	// Description is the "error_description", possibly empty.
	Description string
	hint        string
}

func (e *TokenError) Error() string {
	var b strings.Builder
	if e.Code == "" && e.Status >= 500 {
		fmt.Fprintf(&b, "token endpoint %s failed on the %s grant: HTTP %d %s", e.URL, grantName(e.Grant), e.Status, http.StatusText(e.Status))
	} else {
		fmt.Fprintf(&b, "token endpoint %s refused the %s grant: ", e.URL, grantName(e.Grant))
		switch {
		case e.Code == "":
			fmt.Fprintf(&b, "HTTP %d %s without an OAuth error in the answer", e.Status, http.StatusText(e.Status))
		case e.Description != "":
			fmt.Fprintf(&b, "%s: %s (HTTP %d)", e.Code, e.Description, e.Status)
		default:
			fmt.Fprintf(&b, "%s (HTTP %d)", e.Code, e.Status)
		}
	}
	if e.hint != "" {
		b.WriteString("; ")
		b.WriteString(e.hint)
	}
	return b.String()
}

func grantName(g string) string {
	if g == GrantTokenExchange {
		return "token exchange"
	}
	return "client credentials"
}

// form builds the token request for subject (ignored for client
// credentials), without client authentication.
func (s *Source) form(subject string) url.Values {
	f := url.Values{}
	if s.grant == GrantTokenExchange {
		f.Set("grant_type", grantTypeTokenExchange)
		f.Set("subject_token", subject)
		f.Set("subject_token_type", s.cfg.SubjectTokenType)
		if s.cfg.RequestedTokenType != "" {
			f.Set("requested_token_type", s.cfg.RequestedTokenType)
		}
	} else {
		f.Set("grant_type", "client_credentials")
	}
	if len(s.cfg.Scopes) > 0 {
		f.Set("scope", strings.Join(s.cfg.Scopes, " "))
	}
	if s.cfg.Audience != "" {
		f.Set("audience", s.cfg.Audience)
	}
	for _, r := range s.cfg.Resource {
		f.Add("resource", r)
	}
	return f
}

// post sends the token request for subject and decodes a successful
// answer. The client authenticates per AuthStyle; without a secret it
// sends only client_id in the body (a public client, RFC 6749 §3.2.1),
// and without a client id nothing. Errors never contain the client
// secret, the subject token or an issued token.
func (s *Source) post(ctx context.Context, subject string) (tokenResponse, error) {
	f := s.form(subject)
	id, secret := s.cfg.ClientID, s.cfg.ClientSecret
	basic := false
	switch {
	case secret == "":
		if id != "" {
			f.Set("client_id", id)
		}
	case s.cfg.AuthStyle == AuthStylePost:
		f.Set("client_id", id)
		f.Set("client_secret", secret)
	default:
		basic = true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(f.Encode()))
	if err != nil {
		// Not the error itself: it quotes the whole URL.
		return tokenResponse{}, fmt.Errorf("token endpoint %s: cannot make a request to it; check tokenUrl of server %s", s.url, s.name)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return tokenResponse{}, s.netError(err)
	}
	defer resp.Body.Close()
	red := s.redactor(subject)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodySize))
		loc := "nowhere"
		if l := resp.Header.Get("Location"); l != "" {
			loc = clean(red(displayURL(l)), 200)
		}
		return tokenResponse{}, fmt.Errorf("token endpoint %s answered with a redirect (HTTP %d to %s), which the gateway does not follow with credentials; set tokenUrl of server %s to the token endpoint itself", s.url, resp.StatusCode, loc, s.name)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	if err != nil {
		return tokenResponse{}, fmt.Errorf("token endpoint %s: reading the answer: %w", s.url, s.netCause(err))
	}
	if len(body) > maxBodySize {
		return tokenResponse{}, fmt.Errorf("token endpoint %s answered more than %d bytes; check tokenUrl of server %s", s.url, maxBodySize, s.name)
	}
	var m map[string]json.RawMessage
	isJSON := json.Unmarshal(body, &m) == nil && m != nil
	if isJSON {
		if code, ok := jsonString(m["error"]); ok && code != "" {
			desc, _ := jsonString(m["error_description"])
			return tokenResponse{}, s.tokenError(resp.StatusCode, clean(red(code), 64), clean(red(desc), 300))
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return tokenResponse{}, s.tokenError(resp.StatusCode, "", "")
	}
	if !isJSON {
		ct := "no Content-Type"
		if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
			ct = "Content-Type " + clean(mt, 100)
		}
		return tokenResponse{}, fmt.Errorf("token endpoint %s answered HTTP %d with a body that is not a JSON object (%s); check that tokenUrl of server %s is the token endpoint", s.url, resp.StatusCode, ct, s.name)
	}
	var r tokenResponse
	raw, ok := m["access_token"]
	if !ok {
		return tokenResponse{}, fmt.Errorf("token endpoint %s answered HTTP %d without an access_token; check that tokenUrl of server %s is the token endpoint", s.url, resp.StatusCode, s.name)
	}
	if r.accessToken, ok = jsonString(raw); !ok || r.accessToken == "" {
		return tokenResponse{}, fmt.Errorf("token endpoint %s answered an access_token that is not a non-empty string", s.url)
	}
	if !headerSafe(r.accessToken) {
		return tokenResponse{}, fmt.Errorf("token endpoint %s answered an access_token with spaces or control characters, which cannot be sent in an Authorization header", s.url)
	}
	r.tokenType, _ = jsonString(m["token_type"])
	r.issuedTokenType, _ = jsonString(m["issued_token_type"])
	r.scope, _ = jsonString(m["scope"])
	red = s.redactor(subject, r.accessToken)
	r.quote = func(t string) string { return clean(red(t), 200) }
	r.expiresIn, r.hasExpiresIn = expiresIn(m["expires_in"])
	return r, nil
}

// tokenError is the TokenError for an answer with status and the RFC 6749
// error code (may be empty), with a hint at what to change.
func (s *Source) tokenError(status int, code, desc string) *TokenError {
	e := &TokenError{Server: s.name, URL: s.url, Grant: s.grant, Status: status, Code: code, Description: desc}
	te := s.grant == GrantTokenExchange
	credentials := fmt.Sprintf("check clientId and clientSecret of server %s", s.name)
	switch {
	case s.cfg.ClientSecret == "":
		credentials = fmt.Sprintf("the authorization server may want the gateway to authenticate: set clientId and clientSecret of server %s", s.name)
	case s.cfg.AuthStyle == AuthStylePost:
		credentials += `; if they are right, try "authStyle": "basic"`
	default:
		credentials += `; if they are right, try "authStyle": "post"`
	}
	switch code {
	case "":
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			e.hint = credentials
		case status >= 500:
			e.hint = "the authorization server has a problem; try again later"
		default:
			e.hint = fmt.Sprintf("check tokenUrl of server %s", s.name)
		}
	case "invalid_client":
		e.hint = credentials
	case "invalid_scope":
		e.hint = fmt.Sprintf("check scopes of server %s", s.name)
	case "invalid_target":
		e.hint = fmt.Sprintf("check resource and audience of server %s", s.name)
	case "unauthorized_client":
		e.hint = fmt.Sprintf("client %q may not use the %s grant; allow it for this client at the authorization server", s.cfg.ClientID, grantName(s.grant))
	case "unsupported_grant_type":
		e.hint = fmt.Sprintf("the authorization server does not support the %s grant; check grant and tokenUrl of server %s", grantName(s.grant), s.name)
	case "invalid_grant":
		if te {
			e.hint = fmt.Sprintf("the user's token was not accepted for exchange (expired or revoked, or from an issuer the authorization server does not trust); check subjectTokenType of server %s", s.name)
		} else {
			e.hint = fmt.Sprintf("check the oauth settings of server %s", s.name)
		}
	default:
		e.hint = fmt.Sprintf("check the oauth settings of server %s", s.name)
	}
	return e
}

// netError describes a request that got no answer.
func (s *Source) netError(err error) error {
	cause := s.netCause(err)
	var errno syscall.Errno
	var dns *net.DNSError
	var ne net.Error
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("token endpoint %s did not answer within %s; check that it is reachable from the gateway, or raise \"timeout\" of server %s", s.url, s.timeout, s.name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot reach token endpoint %s: connection refused; check tokenUrl of server %s and that the authorization server is running", s.url, s.name)
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Errorf("cannot reach token endpoint %s: host %s not found; check tokenUrl of server %s", s.url, dns.Name, s.name)
	case errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ce), errors.As(err, &rh):
		return fmt.Errorf("cannot reach token endpoint %s: TLS: %v; check tokenUrl of server %s and the authorization server's certificate", s.url, cause, s.name)
	case errors.As(err, &errno):
		return fmt.Errorf("cannot reach token endpoint %s: %v; check tokenUrl of server %s", s.url, errno, s.name)
	}
	return fmt.Errorf("cannot reach token endpoint %s: %v; check tokenUrl of server %s", s.url, cause, s.name)
}

// netCause is what a client error wraps: url.Error quotes the whole URL,
// query included.
func (s *Source) netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactor returns a function blanking out the secrets of one request
// (the client secret, the subject token and more, raw and form-encoded)
// in text that came from the authorization server.
func (s *Source) redactor(subject string, more ...string) func(string) string {
	var olds []string
	for _, v := range append([]string{s.cfg.ClientSecret, subject}, more...) {
		// Shorter strings are no real secrets, and replacing them would
		// garble the text.
		if len(v) >= minRedactLen {
			olds = append(olds, v, "[redacted]", url.QueryEscape(v), "[redacted]")
		}
	}
	if len(olds) == 0 {
		return func(t string) string { return t }
	}
	r := strings.NewReplacer(olds...)
	return r.Replace
}

// clean makes text from the server fit a one-line message: valid UTF-8,
// no control characters, at most max bytes.
func clean(t string, max int) string {
	t = strings.ToValidUTF8(t, "\uFFFD")
	t = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, t)
	t = strings.Join(strings.Fields(t), " ")
	if len(t) <= max {
		return t
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(t[cut]) {
		cut--
	}
	return t[:cut] + "…"
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// expiresIn decodes "expires_in": a number of seconds, or (as some
// servers send it) a string of one. Anything else counts as absent.
func expiresIn(raw json.RawMessage) (time.Duration, bool) {
	if raw == nil {
		return 0, false
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil {
		s, ok := jsonString(raw)
		if !ok {
			return 0, false
		}
		if n, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return 0, false
		}
	}
	if n < 0 || n > 10*365*24*3600 {
		return 0, false
	}
	return time.Duration(n * float64(time.Second)), true
}

// headerSafe reports whether t can follow "Bearer " in a header: visible
// ASCII only.
func headerSafe(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}

// jwtExp returns the "exp" of a JWS compact token's payload, unverified:
// the token was verified by whoever handed it over, and only its lifetime
// is wanted.
func jwtExp(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[1]) > maxBodySize {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var c struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Exp == nil {
		return time.Time{}, false
	}
	f := *c.Exp
	if f <= 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}
