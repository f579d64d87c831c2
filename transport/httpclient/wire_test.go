package httpclient

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/transport"
)

// wireServer counts the connections its clients open.
func wireServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func wireDial(t *testing.T, url string) transport.Conn {
	t.Helper()
	t.Cleanup(closeIdle)
	c, err := Dial(context.Background(), Options{URL: url, Mode: ModeStreamable, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.(*conn).wire == nil {
		t.Fatal("the conn does not use the wire client")
	}
	return c
}

func wireCall(t *testing.T, c transport.Conn) {
	t.Helper()
	got, err := doRequest(t, c, context.Background(), time.Now().Add(time.Minute), callReq)
	if err != nil || string(got) != callAnswer {
		t.Fatalf("Request = %s, %v", got, err)
	}
}

// TestWireReusesConnections: sequential POSTs share one connection,
// whether the answer has a length or is chunked, and 1xx answers before
// the answer are skipped.
func TestWireReusesConnections(t *testing.T) {
	for _, how := range []string{"length", "chunked", "early hints", "event stream"} {
		t.Run(how, func(t *testing.T) {
			checkLeaks(t)
			srv, conns := wireServer(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if string(body) != callReq || r.Header.Get("Accept") != "application/json, text/event-stream" || r.Host == "" {
					http.Error(w, "bad request", http.StatusBadRequest)
					return
				}
				switch how {
				case "chunked":
					w.Header().Set("Content-Type", "application/json")
					w.(http.Flusher).Flush()
					io.WriteString(w, callAnswer)
				case "early hints":
					w.Header().Set("Link", "</x>; rel=preload")
					w.WriteHeader(http.StatusEarlyHints)
					writeJSON(w, callAnswer)
				case "event stream":
					writeSSE(w, event(callAnswer))
				default:
					writeJSON(w, callAnswer)
				}
			})
			c := wireDial(t, srv.URL+"/mcp?x=1")
			p := c.(*conn).wire.pool
			for range 5 {
				wireCall(t, c)
				// The end of a stream may be awaited after the answer.
				waitUntil(t, "the connection back in the pool", func() bool {
					p.mu.Lock()
					defer p.mu.Unlock()
					return len(p.idle) == 1
				})
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections for 5 calls, want 1", n)
			}
		})
	}
}

// TestWireServerCloses: a connection the server closed while it was idle
// is not used again, nor is one after "Connection: close".
func TestWireServerCloses(t *testing.T) {
	checkLeaks(t)
	closeNext := atomic.Bool{}
	srv, conns := wireServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if closeNext.Swap(false) {
			w.Header().Set("Connection", "close")
		}
		writeJSON(w, callAnswer)
	})
	c := wireDial(t, srv.URL)
	wireCall(t, c)
	srv.CloseClientConnections()
	p := c.(*conn).wire.pool
	waitUntil(t, "the client to see the close", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle) == 1 && !p.idle[0].check.stillOpen()
	})
	wireCall(t, c)
	closeNext.Store(true)
	wireCall(t, c)
	wireCall(t, c)
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (after the server's close, after Connection: close)", n)
	}
}

// TestWireNotUsed: a client of the caller's own, TLS and headers it
// cannot write take net/http.
func TestWireNotUsed(t *testing.T) {
	u, _ := url.Parse("http://example.com/mcp")
	if newWireTarget(u, &http.Client{}, nil) != nil {
		t.Error("wire client with a client of the caller's own")
	}
	if us, _ := url.Parse("https://example.com/mcp"); newWireTarget(us, defaultClient, nil) != nil {
		t.Error("wire client for https")
	}
	if newWireTarget(u, defaultClient, map[string][]string{"X-Bad": {"a\r\nb"}}) != nil {
		t.Error("wire client with a header it cannot write")
	}
	// (A proxy is found with http.ProxyFromEnvironment, which reads the
	// environment once per process: not testable here.)
}

// TestWireHeadBounded: an answer whose head never ends is cut off at the
// bound net/http's transport has, and fails the call.
func TestWireHeadBounded(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 4096)
		nc.Read(buf)
		io.WriteString(nc, "HTTP/1.1 200 OK\r\nX-Long: ")
		line := []byte(strings.Repeat("a", 1<<16))
		for range (wireMaxHead >> 16) + 2 {
			if _, err := nc.Write(line); err != nil {
				return
			}
		}
	}()
	c := wireDial(t, "http://"+ln.Addr().String()+"/mcp")
	got, err := doRequest(t, c, context.Background(), time.Now().Add(time.Minute), callReq)
	if err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Fatalf("Request answered %s; want the request's failure through Read", got)
	}
	readFailure(t, c, "7")
}
