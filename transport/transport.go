// Package transport moves whole JSON-RPC messages between the gateway and a
// peer. It knows nothing of MCP semantics: a message is an opaque JSON object.
//
// Implementations: [Stream] (newline-delimited JSON over any reader/writer:
// stdio fronts and stdio backends), and the HTTP client of remote backends
// (streamable HTTP and legacy SSE) in the httpclient subpackage.
package transport

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Conn is one bidirectional stream of JSON-RPC messages.
//
// Read and Write may be called concurrently with each other; Write is safe
// for concurrent use by many goroutines. Close unblocks a pending Read, which
// then returns an error wrapping [ErrClosed] (or the error that broke the
// connection).
type Conn interface {
	// Read returns the next complete message, without framing bytes. The
	// returned slice is owned by the caller and is never reused by the Conn.
	Read() ([]byte, error)
	// Write sends one complete message. msg must be a single JSON object
	// with no newline characters outside strings (JSON encoders never emit
	// them). The Conn does not retain msg after Write returns.
	Write(msg []byte) error
	// Close releases the connection. It is safe to call more than once.
	Close() error
}

// RoutedWriter is implemented by connections that carry messages to the
// peer on several streams (the streamable HTTP front door: one stream per
// POST plus the session's GET stream), so that each message goes where the
// peer expects it.
//
// Callers that know these facts use RoutedWriter when the Conn implements
// it, and Write otherwise.
type RoutedWriter interface {
	// WriteResponse sends msg, the response to the peer's request whose
	// raw JSON-RPC id is id.
	WriteResponse(id, msg []byte) error
	// WriteFor sends msg, a message caused by the peer's request with raw
	// id related (progress, a server→client request it led to). A nil
	// related means the message belongs to no request and goes on the
	// session's own stream.
	WriteFor(related, msg []byte) error
}

// HeaderWriter is implemented by HTTP client connections that can send a
// request with headers of its own besides the ones derived from the
// message (the 2026-07-28 Mcp-Param-* headers, which need the tool's
// schema to compute).
type HeaderWriter interface {
	WriteWithHeaders(msg []byte, hdr map[string]string) error
}

// Requester is implemented by connections whose requests each travel in an
// exchange of their own (streamable HTTP: one POST per request), which the
// caller's goroutine can carry instead of one that the Conn starts, as it
// does for Write. That saves a goroutine and two hand-offs per request.
type Requester interface {
	// Request sends the request msg, with the extra headers hdr (nil:
	// none, see HeaderWriter), and returns when its exchange has ended,
	// ctx has, or the deadline (zero: none) has passed. What the server
	// sends in the exchange arrives through Read, as after Write, except
	// the answer when it is the first message of the exchange: Request
	// returns that (owned by the caller) and Read never sees it. A nil
	// answer means that it comes, if at all, through Read (after the
	// messages before it, or on another stream). An exchange that goes
	// wrong ends in an error answer, as for Write; one that ctx or the
	// deadline ends is abandoned, and Request returns nil, nil. An error
	// means the request was not sent. Unlike Write, Request may read msg
	// until the exchange has ended, even after an abandoned one returns:
	// the caller must not reuse it.
	Request(ctx context.Context, deadline time.Time, msg []byte, hdr map[string]string) (answer []byte, err error)
}

// ErrClosed is returned (wrapped) by Read and Write after Close.
var ErrClosed = errors.New("connection closed")

// ErrSessionExpired is returned (wrapped) by HTTP client transports when the
// server answers 404 for a request carrying a session id: the session is
// gone and the caller must run the initialize handshake again on a new Conn.
var ErrSessionExpired = errors.New("session expired")

// RequestError is what Read returns, in place of an answer, when the
// transport could not deliver one request or receive its answer while the
// connection itself lives on (over HTTP: one POST that failed). The
// reader fails that request; it is not an error answer of the server.
type RequestError struct {
	ID     []byte // the request's raw JSON-RPC id
	Reason string // what happened, safe to show to clients (no URL)
}

func (e *RequestError) Error() string { return e.Reason }

// TooLargeError reports a message larger than the configured limit.
type TooLargeError struct {
	Limit int // the limit in bytes
	// Head and Tail hold the first (up to 4 KiB) and last (up to 256)
	// bytes of the message, so that the reader can still tell whose
	// answer it was: encoders put the id either first or last.
	Head, Tail []byte
}

// tooLargeHead is how much of an oversized message is kept.
const (
	tooLargeHead = 4 << 10
	tooLargeTail = 256
)

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("message larger than the %d-byte limit (raise gateway.maxMessageBytes to allow it)", e.Limit)
}
