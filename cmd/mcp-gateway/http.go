package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/auth"
	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/httpfront"
	"github.com/mcpgw/mcp-gateway/httpserve"
	"github.com/mcpgw/mcp-gateway/plugin"
)

// listenAddr resolves --listen: a bare port binds the loopback address, so
// that nothing is exposed beyond this machine unless asked for.
func listenAddr(a string) string {
	if !strings.Contains(a, ":") {
		a = ":" + a
	}
	if strings.HasPrefix(a, ":") {
		return "127.0.0.1" + a
	}
	return a
}

// newAuthenticator builds the HTTP front door's authentication from the
// "auth" section.
func newAuthenticator(raw []byte, publicURL string, log *slog.Logger) (*auth.Authenticator, error) {
	cfg, err := auth.ParseConfig(raw)
	if err != nil {
		return nil, err
	}
	return auth.New(cfg, auth.Options{ResourceURL: publicURL, Log: log})
}

// authFailure is an authentication failure with its HTTP answer.
type authFailure struct {
	f         *auth.Failure
	challenge string
}

func (e authFailure) Error() string     { return e.f.Error() }
func (e authFailure) HTTPStatus() int   { return e.f.Status }
func (e authFailure) Challenge() string { return e.challenge }

// identify turns the authenticator's principals into the gateway's
// identities.
func identify(a *auth.Authenticator) func(*http.Request) (plugin.Identity, error) {
	return func(r *http.Request) (plugin.Identity, error) {
		p, err := a.Authenticate(r)
		if err != nil {
			var f *auth.Failure
			if errors.As(err, &f) {
				return plugin.Identity{}, authFailure{f: f, challenge: a.Challenge(f)}
			}
			return plugin.Identity{}, err
		}
		id := plugin.Identity{Principal: p.Name, Roles: p.Roles, Scopes: p.Scopes}
		if p.Method != auth.MethodAPIKey {
			// An OAuth token can be exchanged for a backend's (RFC 8693);
			// an API key is the gateway's own secret and never leaves it.
			id.Token = plugin.Secret(auth.BearerToken(r))
		}
		return id, nil
	}
}

// serveHTTP runs the HTTP front door until ctx ends, then shuts down
// gracefully: new sessions are refused, streams end, calls in flight are
// answered (for at most the shutdown timeout), then backends stop.
func serveHTTP(ctx context.Context, listen string, hc httpfront.Config, g *gateway.Gateway, st *setup, stderr io.Writer) int {
	log := st.log
	ln, err := net.Listen("tcp", listenAddr(listen))
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway: --listen %s: %v\n", listen, err)
		return 2
	}
	tcp, _ := ln.Addr().(*net.TCPAddr)
	o := httpfront.Options{
		Gateway:      g,
		Log:          log,
		MaxBodyBytes: st.cfg.Gateway.MaxMessageBytes,
		Loopback:     tcp != nil && tcp.IP.IsLoopback(),
	}
	hc.Apply(&o)
	o.TraceContext = g.Tracing()
	o.Public = map[string]http.HandlerFunc{}
	publicURL := hc.PublicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String() + "/mcp"
	}
	if sec, ok := st.cfg.Gateway.Sections["auth"]; ok {
		a, err := newAuthenticator(sec.Raw, publicURL, log)
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "mcp-gateway: %s: %v\n", sec.Where, err)
			return 2
		}
		defer a.Close()
		o.Authenticate = identify(a)
		for _, p := range a.MetadataPaths() {
			o.Public[p] = a.ServeMetadata
		}
	}
	o.Public["/metrics"] = st.obs.metrics.Handler().ServeHTTP
	dc, err := parseDashboardConfig(st.cfg)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
		return 2
	}
	if !dc.Disabled {
		o.Public["/ui/"] = dashboardHandler(g, st, dc, o.Authenticate).ServeHTTP
	}
	h := httpfront.New(o)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	srv.RegisterOnShutdown(h.Drain)
	// MCP POSTs, the hot path, are read and answered by httpserve's own
	// HTTP/1.1 code; anything else on a connection hands it to srv.
	fast := &httpserve.Server{HTTP: srv, Fast: httpfront.FastPath, MaxBodyBytes: 1 << 20, Log: log}
	log.Info("mcp-gateway starting", "version", buildVersion(), "config", st.cfg.Path, "format", st.cfg.Format,
		"servers", len(st.cfg.Servers), "plugins", st.enabled, "data_dir", st.dataDir)
	// Backends outlive the signal: calls in flight finish before they stop
	// (g.Close, after the HTTP server has drained).
	g.Start(context.Background())
	go watchConfig(ctx, st, g)
	served := make(chan error, 1)
	go func() { served <- fast.Serve(ln) }()
	// The address line is what scripts and tests wait for.
	log.Info("serving MCP over HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "legacy_sse", "http://"+ln.Addr().String()+"/sse",
		"dashboard", "http://"+ln.Addr().String()+"/ui/", "metrics", "http://"+ln.Addr().String()+"/metrics")
	code := 0
	select {
	case err := <-served:
		log.Error("HTTP server failed", "err", err)
		code = 1
	case <-ctx.Done():
	}
	log.Info("mcp-gateway stopping")
	timeout := time.Duration(hc.ShutdownTimeout)
	if timeout <= 0 {
		timeout = httpfront.DefaultShutdownTimeout
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := fast.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("calls still in flight at the end of the shutdown timeout were cut", "timeout", timeout)
	}
	h.Close()
	g.Close()
	plugin.Close(st.plugins)
	st.obs.Close()
	return code
}

// serveAdmin serves /metrics, /healthz, /readyz and the dashboard at addr
// (a bare port binds the loopback address) until the returned stop is
// called. The dashboard, which shows every call, is served only on a
// loopback address (and then only to Host names of this machine, against
// DNS rebinding): stdio mode has no authentication.
func serveAdmin(addr string, g *gateway.Gateway, st *setup) (stop func(), err error) {
	dc, err := parseDashboardConfig(st.cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listenAddr(addr))
	if err != nil {
		return nil, err
	}
	tcp, _ := ln.Addr().(*net.TCPAddr)
	loopback := tcp != nil && tcp.IP.IsLoopback()
	mux := http.NewServeMux()
	mux.Handle("/metrics", st.obs.metrics.Handler())
	switch {
	case dc.Disabled:
	case loopback:
		dash := dashboardHandler(g, st, dc, nil)
		mux.Handle("/ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			if ip := net.ParseIP(strings.Trim(host, "[]")); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
				http.Error(w, fmt.Sprintf("host %q is not served here (DNS rebinding protection)", r.Host), http.StatusForbidden)
				return
			}
			dash.ServeHTTP(w, r)
		}))
	default:
		st.log.Warn("the dashboard is not served on --metrics-listen beyond this machine (stdio mode has no authentication); bind it to 127.0.0.1 or serve with --listen", "addr", ln.Addr().String())
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-g.Ready():
			io.WriteString(w, "ready\n")
		default:
			http.Error(w, "starting: backends have not all finished their first start", http.StatusServiceUnavailable)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	st.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics", "dashboard", "http://"+ln.Addr().String()+"/ui/")
	return func() { srv.Close() }, nil
}
