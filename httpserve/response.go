package httpserve

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// response is the http.ResponseWriter of a fast request. An answer is held
// until the handler returns and then written with its Content-Length in
// one write; one the handler flushes, or one larger than maxHeld, is sent
// chunked as it is written.
type response struct {
	c           *conn
	header      http.Header
	status      int
	wroteHeader bool
	streaming   bool // the head is sent; the body goes out in chunks
	held        []byte
	closeAfter  bool
	err         error // the connection failed
}

// maxHeld is the largest answer body held to be sent with a
// Content-Length.
const maxHeld = 1 << 20

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("httpserve: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 {
		return // informational answers are not sent by this path
	}
	w.wroteHeader = true
	w.status = code
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.streaming {
		if len(w.held)+len(p) <= maxHeld {
			if w.held == nil {
				w.held = w.c.wbuf[:0]
			}
			w.held = append(w.held, p...)
			return len(p), nil
		}
		w.startStream(p)
		if w.err != nil {
			return 0, w.err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	bw := w.c.bw
	var hex [16]byte
	bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
	bw.WriteString("\r\n")
	bw.Write(p)
	if _, err := bw.WriteString("\r\n"); err != nil {
		w.err = err
		return 0, err
	}
	return len(p), nil
}

// Flush sends what has been written and what follows as it comes.
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.streaming {
		w.startStream(nil)
	}
	if w.err == nil {
		if err := w.c.bw.Flush(); err != nil {
			w.err = err
		}
	}
	w.c.watch()
}

// WatchClient implements ClientWatcher.
func (w *response) WatchClient() { w.c.watch() }

// startStream sends the head of a chunked answer and what is held; next
// is what is about to be written, for sniffing when nothing is held.
func (w *response) startStream(next []byte) {
	w.streaming = true
	if w.c.bw == nil {
		w.c.bw = bufio.NewWriterSize(w.c.nc, writeBufSize)
	}
	held := w.held
	w.held = nil
	sniff := held
	if len(sniff) == 0 {
		sniff = next
	}
	head := w.appendHead(make([]byte, 0, 256), -1, bodyAllowed(w.status), sniff)
	if _, err := w.c.bw.Write(head); err != nil {
		w.err = err
		return
	}
	if len(held) > 0 {
		w.Write(held)
	}
	w.c.wbuf = held[:0]
}

// finish completes the answer after the handler has returned and reports
// whether the connection is still good.
func (w *response) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	c := w.c
	if w.streaming {
		if w.err == nil && bodyAllowed(w.status) {
			c.bw.WriteString("0\r\n\r\n")
		}
		if w.err == nil {
			w.err = c.bw.Flush()
		}
		return w.err == nil
	}
	held := w.held
	head := w.appendHead(c.hbuf[:0], len(held), false, held)
	if len(held) <= 4<<10 {
		// The head and a small body in one buffer: one write.
		b := append(head, held...)
		_, w.err = c.nc.Write(b)
		c.hbuf = b[:0]
	} else {
		bufs := net.Buffers{head, held}
		_, w.err = bufs.WriteTo(c.nc)
		c.hbuf = head[:0]
	}
	c.wbuf = held[:0]
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // an idle connection keeps no large buffer
	}
	if cap(c.hbuf) > 64<<10 {
		c.hbuf = nil
	}
	return w.err == nil
}

// appendHead appends the status line and the headers: Content-Length when
// length >= 0 and the status has a body, Transfer-Encoding: chunked when
// chunked. body is the start of the body, for sniffing a missing
// Content-Type as net/http does.
func (w *response) appendHead(b []byte, length int, chunked bool, body []byte) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(w.status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(w.status)...)
	b = append(b, "\r\n"...)
	h := w.header
	if _, ok := h["Content-Type"]; !ok && len(body) > 0 && bodyAllowed(w.status) {
		h["Content-Type"] = []string{http.DetectContentType(body)}
	}
	for k, vs := range h {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue // this package's own
		}
		if !httpguts.ValidHeaderFieldName(k) {
			continue // as net/http: dropped
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = appendValue(b, v)
			b = append(b, "\r\n"...)
		}
	}
	if _, ok := h["Date"]; !ok {
		b = append(b, "Date: "...)
		b = append(b, httpDate()...)
		b = append(b, "\r\n"...)
	}
	switch {
	case !bodyAllowed(w.status) || w.status == http.StatusNoContent:
	case chunked:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	case length >= 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(length), 10)
		b = append(b, "\r\n"...)
	}
	if w.closeAfter || w.c.s.shutdown.Load() || headerHas(h, "Connection", "close") {
		w.closeAfter = true
		b = append(b, "Connection: close\r\n"...)
	}
	return append(b, "\r\n"...)
}

// appendValue appends a header value with CR and LF turned into spaces and
// the ends trimmed, as net/http writes it.
func appendValue(b []byte, v string) []byte {
	if strings.ContainsAny(v, "\r\n") {
		v = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, v)
	}
	return append(b, strings.Trim(v, " \t")...)
}

func headerHas(h http.Header, key, token string) bool {
	for _, v := range h[key] {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// bodyAllowed reports whether a status may have a body (RFC 9110).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// httpDate returns the Date header's value, formatted once a second.
func httpDate() string {
	now := time.Now()
	sec := now.Unix()
	if d := cachedDate.Load(); d != nil && d.sec == sec {
		return d.text
	}
	d := &dateText{sec: sec, text: now.UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}

type dateText struct {
	sec  int64
	text string
}

var cachedDate atomic.Pointer[dateText]

// ClientWatcher is implemented by the fast path's ResponseWriter. By
// default the fast path notices a client going away (its request's
// context ends) only while an answer is streamed; a handler that waits
// for something else before it writes (and that must stop when the client
// leaves) calls WatchClient first, once it has read the body, to have the
// context end as net/http's server ends it. It costs a goroutine for the
// rest of the request.
type ClientWatcher interface {
	WatchClient()
}

var _ http.Flusher = (*response)(nil)
var _ ClientWatcher = (*response)(nil)
var _ io.Writer = (*response)(nil)
