package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mcpgw/mcp-gateway/backendauth"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/transport"
	"github.com/mcpgw/mcp-gateway/transport/httpclient"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// httpDialer connects remote servers with transport/httpclient: streamable
// HTTP, legacy SSE, or either when the config gives no type. A server with
// an "oauth" entry gets the gateway's own OAuth tokens on every request
// (client credentials), or for each user a token exchanged for theirs
// (RFC 8693); the client's own token is never sent to a backend.
func httpDialer(sc config.Server, maxMessageBytes int, log *slog.Logger) (upstream.Dialer, error) {
	mode := sc.Transport
	if sc.AutoDetect {
		mode = httpclient.ModeAuto
	}
	d := remoteDialer{o: httpclient.Options{URL: sc.URL, Mode: mode, Headers: sc.Headers, MaxMessageBytes: maxMessageBytes, Logger: log}}
	if sc.OAuth == nil {
		return d, nil
	}
	cfg, err := backendauth.Decode(sc.OAuth.Raw, sc.OAuth.Where, sc.OAuth.Path)
	if err != nil {
		return nil, located{err} // Decode names the file, line and key
	}
	cfg.Name = sc.Name
	for k := range sc.Headers {
		if strings.EqualFold(k, "Authorization") {
			return nil, located{fmt.Errorf(`%s: %s: both "headers.%s" and "oauth" set this server's Authorization; remove one of them`, sc.OAuth.Where, sc.OAuth.Path, k)}
		}
	}
	if cfg.Grant == backendauth.GrantTokenExchange {
		if isolation(sc) == config.IsolationShared {
			return nil, located{fmt.Errorf(`%s: %s.grant: token exchange acts for each user, so the server needs its own session per client; remove "isolation": "shared" or use the client_credentials grant`, sc.OAuth.Where, sc.OAuth.Path)}
		}
		// What the gateway does on its own (the catalog, health checks)
		// uses a token of the same client for itself.
		own := cfg
		own.Grant = backendauth.GrantClientCredentials
		if d.own, err = backendauth.New(own, nil, log); err != nil {
			return nil, err
		}
		if d.user, err = backendauth.New(cfg, nil, log); err != nil {
			return nil, err
		}
		return d, nil
	}
	if d.own, err = backendauth.New(cfg, nil, log); err != nil {
		return nil, err
	}
	return d, nil
}

// located is a config error whose message already names its place in the
// file, so that it is not prefixed with the server's place again.
type located struct{ error }

func (e located) Unwrap() error { return e.error }

// remoteDialer dials one remote server. own, when set, authorizes the
// gateway's own sessions; user, when set, those opened for one client.
type remoteDialer struct {
	o         httpclient.Options
	own, user *backendauth.Source
}

// userDialer is implemented by dialers whose sessions for one client
// carry that client's credentials; subject returns the client's current
// OAuth bearer token.
type userDialer interface {
	DialFor(ctx context.Context, subject func() string) (transport.Conn, error)
	// NeedsSubject reports whether sessions cannot be opened for a client
	// without an OAuth token.
	NeedsSubject() bool
}

// NeedsSubject implements userDialer.
func (d remoteDialer) NeedsSubject() bool { return d.user != nil }

func (d remoteDialer) Dial(ctx context.Context) (transport.Conn, error) {
	o := d.o
	if d.own != nil {
		o.Client = &http.Client{Transport: &authTransport{base: httpclient.DefaultTransport, src: d.own}}
	}
	return httpclient.Dial(ctx, o)
}

// DialFor implements userDialer.
func (d remoteDialer) DialFor(ctx context.Context, subject func() string) (transport.Conn, error) {
	if d.user == nil {
		return d.Dial(ctx)
	}
	o := d.o
	o.Client = &http.Client{Transport: &authTransport{base: httpclient.DefaultTransport, src: d.user, subject: subject}}
	return httpclient.Dial(ctx, o)
}

// tokenSource yields Authorization values for a backend's requests
// (*backendauth.Source).
type tokenSource interface {
	Authorization(ctx context.Context, subject string) (string, error)
	Reject(subject, value string)
}

// authTransport sets each request's Authorization from src. When the
// backend answers 401, the value is rejected and the request sent once
// more with a fresh one, if its body can be sent again.
type authTransport struct {
	base    http.RoundTripper
	src     tokenSource
	subject func() string // nil: the gateway's own requests
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	subject := ""
	if t.subject != nil {
		subject = t.subject()
	}
	value, err := t.src.Authorization(req.Context(), subject)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base.RoundTrip(withAuthorization(req, value))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	t.src.Reject(subject, value)
	if req.Body != nil && req.GetBody == nil {
		return resp, nil
	}
	fresh, err := t.src.Authorization(req.Context(), subject)
	if err != nil || fresh == value {
		return resp, nil // the 401 says more than a second failure would
	}
	retry := withAuthorization(req, fresh)
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.base.RoundTrip(retry)
}

// withAuthorization returns a copy of req (a RoundTripper must not change
// its request) with the Authorization header set.
func withAuthorization(req *http.Request, value string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", value)
	return r
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
