package httpserve

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpgw/mcp-gateway/internal/http1"
	"golang.org/x/net/http/httpguts"
)

// request is a request head the fast path serves.
type request struct {
	method, target, host string
	url                  url.URL
	header               http.Header
	contentLength        int64
	close                bool
	headLen              int
}

// parseRequest parses a head (through its empty line) and reports whether
// the fast path serves it. It declines anything it is not sure to read
// exactly as net/http does, which then reads it itself: so every rule here
// either matches net/http's or is stricter.
func parseRequest(head []byte, s *Server, req *request) bool {
	req.headLen = len(head)
	// One string for the whole head: the method, target, names and values
	// are pieces of it.
	blk := string(head)
	eol := strings.IndexByte(blk, '\n')
	if eol < 1 || blk[eol-1] != '\r' {
		return false
	}
	method, rest, ok := strings.Cut(blk[:eol-1], " ")
	if !ok || method == "" {
		return false
	}
	target, proto, ok := strings.Cut(rest, " ")
	if !ok || proto != "HTTP/1.1" || !validTarget(target) {
		return false
	}
	path, query, _ := strings.Cut(target, "?")
	if s.Fast == nil || !s.Fast(method, path) {
		return false
	}
	req.method, req.target = method, target
	req.url = url.URL{Path: path, RawQuery: query}
	haveLength := false
	h, ok := http1.ParseFields(blk, eol+1, func(key, value string) (bool, bool) {
		switch key {
		case "Host":
			if req.host != "" || value == "" || !httpguts.ValidHostHeader(value) {
				return false, false
			}
			req.host = value
			return true, false // net/http keeps it in Request.Host only
		case "Content-Length":
			n, ok := http1.ParseLength(value)
			if haveLength || !ok || n > s.MaxBodyBytes {
				return false, false
			}
			req.contentLength, haveLength = n, true
		case "Transfer-Encoding", "Expect", "Upgrade", "Te", "Trailer":
			return false, false
		case "Connection":
			close, ok := http1.ConnectionClose(value)
			if !ok {
				return false, false
			}
			req.close = req.close || close
		}
		return true, true
	})
	if !ok || req.host == "" || !haveLength {
		return false
	}
	req.header = h
	return true
}

// validTarget reports whether a request target is an origin-form path with
// an optional query of printable ASCII and no escapes: one whose URL is
// its path and query as they are.
func validTarget(t string) bool {
	if t == "" || t[0] != '/' {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f || c == '%' || c == '#' {
			return false
		}
	}
	return true
}
