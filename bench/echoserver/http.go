package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// Bounds of the HTTP mode: it is a benchmark backend, but nothing it holds
// grows without limit.
const (
	maxBody     = 1 << 20 // of a POST body
	maxSessions = 100000  // open at once; DELETE frees one
)

// serveHTTP serves MCP over streamable HTTP at /mcp, as small as a server
// can be and still be correct for the gateway's client:
//   - POST initialize opens a session (its id in Mcp-Session-Id) and is
//     answered with protocol 2025-11-25 and the tools capability;
//   - every other POST must carry a known session id (400 without one,
//     with a JSON-RPC error for a request; 404 for an unknown one); a
//     notification or a response is answered 202, a request with its
//     response as application/json (never a stream, so the numbers
//     measure the gateway's plain path);
//   - GET answers 405: the server has no stream of its own messages;
//   - DELETE ends the session (204).
//
// It prints "listening on http://ADDR/mcp" on stdout once it accepts
// connections.
func serveHTTP(addr string, list []byte) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on http://%s/mcp\n", ln.Addr())
	return http.Serve(ln, &httpServer{list: list})
}

type httpServer struct {
	list     []byte
	sessions sync.Map // Mcp-Session-Id → struct{}
	count    atomic.Int64
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Header values shared by every answer (net/http does not modify them).
var (
	jsonType = []string{"application/json"}
	textType = []string{"text/plain; charset=utf-8"}
)

func (s *httpServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/mcp" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.post(w, r)
	case http.MethodDelete:
		sid := r.Header.Get("Mcp-Session-Id")
		if _, ok := s.sessions.LoadAndDelete(sid); !ok {
			plain(w, http.StatusNotFound, "unknown session")
			return
		}
		s.count.Add(-1)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		w.Header().Set("Allow", "POST, DELETE")
		plain(w, http.StatusMethodNotAllowed, "this server sends nothing of its own: no GET stream")
	default:
		w.Header().Set("Allow", "POST, DELETE")
		plain(w, http.StatusMethodNotAllowed, "use POST or DELETE")
	}
}

func (s *httpServer) post(w http.ResponseWriter, r *http.Request) {
	buf := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1)); err != nil || buf.Len() > maxBody {
		plain(w, http.StatusBadRequest, "unreadable or oversized body")
		return
	}
	m, err := jsonrpc.Parse(buf.Bytes())
	if err != nil {
		plain(w, http.StatusBadRequest, "malformed message: "+err.Error())
		return
	}
	if m.Kind == jsonrpc.KindRequest && m.Method == "initialize" {
		if s.count.Add(1) > maxSessions {
			s.count.Add(-1)
			plain(w, http.StatusServiceUnavailable, "too many sessions")
			return
		}
		var id [16]byte
		_, _ = rand.Read(id[:])
		sid := hex.EncodeToString(id[:])
		s.sessions.Store(sid, struct{}{})
		w.Header()["Mcp-Session-Id"] = []string{sid}
	} else {
		sid := r.Header.Get("Mcp-Session-Id")
		if sid == "" {
			// As session-based SDK servers do; a request's error carries
			// its id, so that a client probing for the stateless revision
			// (server/discover) gets an answer and falls back to
			// initialize.
			msg := "missing Mcp-Session-Id; send initialize first"
			if m.Kind != jsonrpc.KindRequest {
				plain(w, http.StatusBadRequest, msg)
				return
			}
			w.Header()["Content-Type"] = jsonType
			w.WriteHeader(http.StatusBadRequest)
			w.Write(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeInvalidRequest, msg, nil)))
			return
		}
		if _, ok := s.sessions.Load(sid); !ok {
			plain(w, http.StatusNotFound, "unknown session")
			return
		}
	}
	if m.Kind != jsonrpc.KindRequest {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(out)
	out.Reset()
	out.Write(answer(out.AvailableBuffer(), m, s.list))
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = []string{strconv.Itoa(out.Len())}
	w.Write(out.Bytes())
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header()["Content-Type"] = textType
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
