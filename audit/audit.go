// Package audit is the gateway's audit trail: one Record per client
// request (who, what, where, how it ended, how long it took) and one Event
// per security or backend occurrence (a masked secret, a hidden tool, a
// backend restart). Records and events are queued by a [Writer], which
// writes them to a [Store] in batches off the call path and never drops
// one: when the queue is full, the caller waits.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Status is how a call ended.
type Status string

const (
	StatusOK          Status = "ok"           // a result (a tool result with isError is ToolError)
	StatusToolError   Status = "tool_error"   // a tools/call result with isError: true from the backend
	StatusError       Status = "error"        // a JSON-RPC error (bad params, backend error, backend down)
	StatusBlocked     Status = "blocked"      // refused by a guardrail
	StatusDenied      Status = "denied"       // refused by policy
	StatusRateLimited Status = "rate_limited" // refused by a rate limit
	StatusCancelled   Status = "cancelled"    // cancelled by the client before it ended
)

// Statuses lists every Status, for validation and help texts.
var Statuses = []Status{StatusOK, StatusToolError, StatusError, StatusBlocked, StatusDenied, StatusRateLimited, StatusCancelled}

// Record is one client request as the gateway saw it.
type Record struct {
	// ID is the store's sequence number, increasing with insertion; zero
	// until the record is stored.
	ID int64 `json:"id,omitempty"`
	// RequestID identifies the request in logs, traces and the audit trail
	// (unique across gateway processes).
	RequestID string `json:"requestId"`
	// TraceID is the W3C trace id of the call's span ("" without tracing).
	TraceID string `json:"traceId,omitempty"`
	// Time is when the request arrived; Duration how long it took until
	// its answer was ready.
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"durationNs"`
	// Principal is the authenticated caller ("local" on stdio), Client the
	// clientInfo.name it gave, Session the front session id.
	Principal string `json:"principal,omitempty"`
	Client    string `json:"client,omitempty"`
	Session   string `json:"session,omitempty"`
	// Method is the JSON-RPC method; Server the backend it was routed to
	// ("" for requests the gateway answers itself); Name the exposed tool or
	// prompt name or the resource URI.
	Method string `json:"method"`
	Server string `json:"server,omitempty"`
	Name   string `json:"name,omitempty"`
	// ArgsDigest is the hex SHA-256 of the raw arguments ("" when none);
	// Args the raw arguments themselves, only when configured.
	ArgsDigest string          `json:"argsDigest,omitempty"`
	Args       json.RawMessage `json:"args,omitempty"`
	// Status is how the call ended; Code and Error the JSON-RPC error code
	// and message for failures (Error also holds a block's reason).
	Status Status `json:"status"`
	Code   int    `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
	// BytesIn is the size of the request message, BytesOut of the answer.
	BytesIn  int `json:"bytesIn"`
	BytesOut int `json:"bytesOut"`
	// Cached is set when the answer came from the response cache.
	Cached bool `json:"cached,omitempty"`
	// Plugin names the plugin that refused or changed the call ("" when
	// none did).
	Plugin string `json:"plugin,omitempty"`
	// Findings are what guardrails found in this call's arguments and
	// results (never the matched text).
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is one guardrail finding within a call.
type Finding struct {
	Plugin    string `json:"plugin"`
	Type      string `json:"type"`                // masked, blocked, logged
	Rule      string `json:"rule,omitempty"`      // rule or entity
	Direction string `json:"direction,omitempty"` // request or response
	Count     int    `json:"count,omitempty"`
}

// Event kinds.
const (
	KindSecurity = "security" // guardrail findings, hidden definitions, policy decisions
	KindBackend  = "backend"  // backend lifecycle: started, exited, restarted
)

// Event is a security or backend occurrence, tied to a call (RequestID set)
// or not (a poisoned definition hidden at catalog build, a backend crash).
type Event struct {
	ID   int64     `json:"id,omitempty"` // store sequence; zero until stored
	Time time.Time `json:"time"`
	Kind string    `json:"kind"` // KindSecurity or KindBackend
	// Plugin reports it ("" for the gateway's own events); Type is what
	// happened: masked, blocked, logged, hidden, refused, denied,
	// rate_limited, started, exited, restarted, ...
	Plugin string `json:"plugin,omitempty"`
	Type   string `json:"type"`
	Server string `json:"server,omitempty"`
	Name   string `json:"name,omitempty"`
	// Rule, Direction, Count: as in Finding. Reason is a short human
	// explanation (never the sensitive text).
	Rule      string `json:"rule,omitempty"`
	Direction string `json:"direction,omitempty"`
	Count     int    `json:"count,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Principal, Session, RequestID: the call it belongs to, if any.
	Principal string `json:"principal,omitempty"`
	Session   string `json:"session,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// Filter selects records or events. Zero fields match everything.
type Filter struct {
	Since, Until time.Time // Time >= Since and Time < Until
	Server       string
	Name         string // tool/prompt name or resource URI (records), name (events)
	Principal    string
	Status       Status // records only
	Kind         string // events only
	Method       string // records only
	// AfterID selects rows stored after the one with this ID, oldest first
	// (for following new rows); zero: newest first.
	AfterID int64
	// Limit caps the number of rows returned; zero: 100.
	Limit int
}

// DefaultLimit is the number of rows a query returns when Filter.Limit is
// zero.
const DefaultLimit = 100

// Store keeps records and events. Implementations are safe for concurrent
// use. Every store keeps what it is given as it is, with one rule for text
// (the same in every store, so that they behave alike): NUL and invalid
// UTF-8 become U+FFFD, in stored strings and in filters. Args are kept
// byte for byte, Duration to the nanosecond, Time to the microsecond.
type Store interface {
	// Write stores a batch atomically, in order, and sets nothing on its
	// arguments.
	Write(ctx context.Context, recs []Record, evs []Event) error
	// Calls returns the records matching f.
	Calls(ctx context.Context, f Filter) ([]Record, error)
	// Events returns the events matching f.
	Events(ctx context.Context, f Filter) ([]Event, error)
	// Prune deletes what the retention policy no longer keeps and returns
	// the number of rows deleted.
	Prune(ctx context.Context, r Retention) (int64, error)
	Close() error
}

// Retention is how long, or how much, the store keeps. Zero fields: no
// limit.
type Retention struct {
	MaxAge time.Duration
	// MaxBytes bounds the space the rows take (the oldest rows go first).
	MaxBytes int64
}

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("audit: writer closed")
