package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/httpfront"
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
	h := httpfront.New(o)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	srv.RegisterOnShutdown(h.Drain)
	log.Info("mcp-gateway starting", "version", buildVersion(), "config", st.cfg.Path, "format", st.cfg.Format,
		"servers", len(st.cfg.Servers), "plugins", plugin.Registered(), "data_dir", st.dataDir)
	// Backends outlive the signal: calls in flight finish before they stop
	// (g.Close, after the HTTP server has drained).
	g.Start(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The address line is what scripts and tests wait for.
	log.Info("serving MCP over HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "legacy_sse", "http://"+ln.Addr().String()+"/sse")
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
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("calls still in flight at the end of the shutdown timeout were cut", "timeout", timeout)
	}
	h.Close()
	g.Close()
	plugin.Close(st.plugins)
	return code
}
