package httpserve

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

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

// parseRequest parses a head (through its blank line) and reports whether
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
	line := blk[:eol-1]
	method, rest, ok := strings.Cut(line, " ")
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

	lines := strings.Count(blk, "\n") - 2 // header lines: not the request line, not the blank one
	vals := make([]string, lines)
	h := make(http.Header, lines)
	var haveLength bool
	pos := eol + 1
	for i := 0; ; i++ {
		e := strings.IndexByte(blk[pos:], '\n') + pos
		if e <= pos || blk[e-1] != '\r' {
			return false
		}
		line := blk[pos : e-1]
		pos = e + 1
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return false // a folded line
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return false
		}
		// As textproto: the bytes are checked before spaces and tabs are
		// trimmed from the ends (a CR is not trimmed, it is refused).
		if !httpguts.ValidHeaderFieldValue(value) {
			return false
		}
		value = strings.Trim(value, " \t")
		key := canonicalKey(name)
		switch key {
		case "Host":
			if req.host != "" || value == "" || !httpguts.ValidHostHeader(value) {
				return false
			}
			req.host = value
			continue // net/http keeps it in Request.Host only
		case "Content-Length":
			n, ok := parseLength(value)
			if haveLength || !ok || n > s.MaxBodyBytes {
				return false
			}
			req.contentLength, haveLength = n, true
		case "Transfer-Encoding", "Expect", "Upgrade", "Te", "Trailer":
			return false
		case "Connection":
			for tok := range strings.SplitSeq(value, ",") {
				switch strings.ToLower(textproto.TrimString(tok)) {
				case "close":
					req.close = true
				case "keep-alive", "":
				default:
					return false
				}
			}
		}
		vals[i] = value
		if prev, ok := h[key]; ok {
			h[key] = append(prev, value)
		} else {
			h[key] = vals[i : i+1 : i+1]
		}
	}
	if req.host == "" || !haveLength {
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

// parseLength parses a Content-Length value: decimal digits only.
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// canonicalKey returns the canonical form of a valid header name without
// allocating when it is canonical already or a common one.
func canonicalKey(name string) string {
	upper := true
	canonical := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (upper && 'a' <= c && c <= 'z') || (!upper && 'A' <= c && c <= 'Z') {
			canonical = false
			break
		}
		upper = c == '-'
	}
	if canonical {
		return name
	}
	if len(name) > 64 {
		return textproto.CanonicalMIMEHeaderKey(name)
	}
	var buf [64]byte
	b := buf[:len(name)]
	upper = true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if k, ok := commonKeys[string(b)]; ok {
		return k
	}
	return string(b)
}

// commonKeys are header names clients send, in canonical form: clients
// that send them in lower case (fetch, say) cost no allocation.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Length", "Content-Type", "Cookie", "Host", "Last-Event-Id",
		"Mcp-Method", "Mcp-Name", "Mcp-Protocol-Version", "Mcp-Session-Id", "Origin",
		"Pragma", "Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site",
		"Traceparent", "Tracestate", "User-Agent", "X-Api-Key", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id",
	} {
		m[k] = k
	}
	return m
}()
