// Package http1 parses HTTP/1.1 message heads for the gateway's own
// HTTP code on the hot path (httpserve's fast path, httpclient's wire
// client), strictly: anything it is not sure to read exactly as net/http
// does is declined, and the caller then lets net/http read the same bytes.
//
// A head is parsed from one string: names and values are slices of it, so
// a head costs one string, one slice of values and the map, however many
// fields it has.
package http1

import (
	"bytes"
	"net/http"
	"net/textproto"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// HeadEnd returns the length of the head at the start of buf through its
// first empty line ("\n\n" or "\n\r\n"), or 0 when it has not all come. A
// head that ends with bare line feeds is found too, so that the caller can
// hand it to net/http at once instead of waiting for more.
func HeadEnd(buf []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		if i < len(buf) && buf[i] == '\n' {
			return i + 1
		}
		if i+1 < len(buf) && buf[i] == '\r' && buf[i+1] == '\n' {
			return i + 2
		}
	}
}

// Field is called by ParseFields for each header field, with its
// canonical key and its value; it returns false to decline the head, and
// keep false to leave the field out of the Header.
type Field func(key, value string) (ok, keep bool)

// ParseFields parses the header fields of head, a string holding a whole
// head that ends with an empty line, from offset pos (the start of the line
// after the start line) and returns them. Every line must end with CRLF;
// folded lines, names that are not tokens and values with control bytes
// decline the head, as do fields that field declines. Values are trimmed of
// spaces and tabs, after the bytes are checked (as textproto does).
func ParseFields(head string, pos int, field Field) (http.Header, bool) {
	lines := strings.Count(head[pos:], "\n") - 1 // not the empty line
	if lines < 0 {
		return nil, false
	}
	vals := make([]string, lines)
	h := make(http.Header, lines)
	for i := 0; ; i++ {
		e := strings.IndexByte(head[pos:], '\n') + pos
		if e <= pos || head[e-1] != '\r' {
			return nil, false
		}
		line := head[pos : e-1]
		pos = e + 1
		if line == "" {
			return h, true
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, false // a folded line
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
			return nil, false
		}
		value = strings.Trim(value, " \t")
		key := CanonicalKey(name)
		if field != nil {
			ok, keep := field(key, value)
			if !ok {
				return nil, false
			}
			if !keep {
				continue
			}
		}
		vals[i] = value
		if prev, ok := h[key]; ok {
			h[key] = append(prev, value)
		} else {
			h[key] = vals[i : i+1 : i+1]
		}
	}
}

// ParseLength parses a Content-Length value: decimal digits only, as
// strconv.ParseUint(v, 10, 63) reads them (net/http's rule).
func ParseLength(v string) (int64, bool) {
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

// ConnectionClose reads a Connection value: close tells whether it has the
// close token; ok is false when it has a token other than close and
// keep-alive.
func ConnectionClose(v string) (close, ok bool) {
	for tok := range strings.SplitSeq(v, ",") {
		switch strings.ToLower(textproto.TrimString(tok)) {
		case "close":
			close = true
		case "keep-alive", "":
		default:
			return false, false
		}
	}
	return close, true
}

// CanonicalKey returns the canonical form of a valid header name, as
// textproto.CanonicalMIMEHeaderKey does, without allocating when it is
// canonical already or a common one.
func CanonicalKey(name string) string {
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

// commonKeys are header names of MCP requests and answers, in canonical
// form: peers that send them in lower case (fetch, say) cost no
// allocation.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Date",
		"Host", "Keep-Alive", "Last-Event-Id", "Location", "Mcp-Method", "Mcp-Name",
		"Mcp-Protocol-Version", "Mcp-Session-Id", "Origin", "Pragma", "Referer", "Retry-After",
		"Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Server", "Set-Cookie",
		"Traceparent", "Tracestate", "Transfer-Encoding", "User-Agent", "Vary",
		"Www-Authenticate", "X-Accel-Buffering", "X-Api-Key", "X-Content-Type-Options",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Powered-By", "X-Request-Id",
	} {
		m[k] = k
	}
	return m
}()
