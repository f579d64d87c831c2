// Package plugin is the contract for everything that inspects or changes a
// call on its way through the gateway: authentication, rate limits,
// authorization, guardrails, caching, auditing.
//
// A plugin is a [Handler]: it receives the call and the next handler, calls
// next at most once, and may change the request before and the result
// after. Plugins are chained in the one fixed order of [Order] (order.go);
// configuration enables and configures them, it never reorders them.
//
// Quick start for a plugin author:
//
//	type Upper struct{}
//
//	var _ plugin.Handler = (*Upper)(nil)
//
//	func (u *Upper) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
//		if c.Method != "tools/call" {
//			return next(ctx, c)
//		}
//		res, err := next(ctx, c)
//		// inspect or replace res.Raw here
//		return res, err
//	}
//
// and one line in order.go plus a Register call in the plugin's package.
package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mcpgw/mcp-gateway/guard/jsontext"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// Handler handles one call. It must call next at most once; not calling it
// answers the call without reaching the backend (a block or a cache hit).
type Handler interface {
	Handle(ctx context.Context, c *Call, next Next) (*Result, error)
}

// Next continues the chain.
type Next func(ctx context.Context, c *Call) (*Result, error)

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, c *Call, next Next) (*Result, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, c *Call, next Next) (*Result, error) {
	return f(ctx, c, next)
}

// Identity is who a client is, as authentication established it.
type Identity struct {
	Principal string   // authenticated name; "local" on stdio, "anonymous" without authentication
	Roles     []string // roles of the principal
	Scopes    []string // OAuth scopes granted to the token
	// Token is the OAuth bearer token the client authenticated with;
	// empty for API keys, stdio and anonymous clients. It is what the
	// gateway exchanges (RFC 8693) for a backend that acts on the user's
	// behalf, and it is never logged nor sent to a backend.
	Token Secret
}

// Secret is a credential that does not print itself: fmt, slog and JSON
// show "[redacted]". Convert it to string only where the value is used.
type Secret string

const redacted = "[redacted]"

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Session describes the client side of a call.
type Session struct {
	ID string // front session id (stable for the session's life)
	Identity
	ClientName string // clientInfo.name from initialize
}

// Call is a lazy view of one client request. Raw fields alias the wire
// bytes; nothing is decoded until a plugin asks for it.
type Call struct {
	// Method is the JSON-RPC method ("tools/call", "tools/list", ...).
	Method string
	// Params is the raw params object as the client sent it (nil if
	// absent). A plugin that changes the request replaces Params with a
	// new valid JSON object (use [Call.SetArguments] for arguments).
	Params []byte
	// Server is the backend the call is routed to, once known ("" for
	// calls the gateway answers itself, such as list methods).
	Server string
	// Name is the exposed tool or prompt name, or the resource URI, the
	// call is about ("" when none).
	Name string
	// Session is the calling client.
	Session *Session

	argsOnce sync.Once
	args     map[string]any
	argsErr  error
	changed  bool // SetArguments was called
}

// RawArguments returns params.arguments as raw JSON (nil if absent).
func (c *Call) RawArguments() []byte {
	v, _ := jsonrpc.Get(c.Params, "arguments")
	return v
}

// Arguments decodes params.arguments once and returns it. The map must not
// be modified; use SetArguments to change the arguments.
func (c *Call) Arguments() (map[string]any, error) {
	c.argsOnce.Do(func() {
		raw := c.RawArguments()
		if raw == nil {
			return
		}
		c.argsErr = json.Unmarshal(raw, &c.args)
	})
	return c.args, c.argsErr
}

// SetArguments replaces params.arguments with the raw JSON object args
// and marks the arguments changed (see [Call.ArgumentsChanged]).
func (c *Call) SetArguments(args []byte) error {
	p, err := jsonrpc.SetField(c.Params, "arguments", args)
	if err != nil {
		return fmt.Errorf("set arguments: %w", err)
	}
	c.Params = p
	c.argsOnce = sync.Once{}
	c.args, c.argsErr = nil, nil
	c.changed = true
	return nil
}

// ArgumentsChanged reports whether a plugin replaced the arguments with
// SetArguments (even with equal bytes) since the call arrived. The cache
// uses it: masked arguments no longer say what the client asked for, so
// their result must not be reused for another call.
func (c *Call) ArgumentsChanged() bool { return c.changed }

// Result is the answer to a call: a raw JSON-RPC result.
type Result struct {
	// Raw is the result object as it will be sent to the client.
	Raw []byte
	// Cached, Changed are set by plugins that served the result from a
	// cache or changed it, for the ones outside them (audit, cache).
	Cached  bool
	Changed bool
	// Blocked names the plugin that refused the call with a result (see
	// [Block]); "" when the result is the backend's.
	Blocked string

	strs *jsontext.Doc // see Strings
}

// Strings returns the string values of Raw, decoded once for all the
// plugins that read them in turn (the content guardrails), so that a
// result is walked and decoded once rather than once per plugin. A plugin
// that replaces strings through the Doc sets Raw to its Bytes; Raw set any
// other way (never modify it in place) makes the next call start over
// from the new bytes. The Doc is valid until the result leaves the chain
// (see [Chain]).
func (r *Result) Strings() *jsontext.Doc {
	if r.strs == nil || !r.strs.Is(r.Raw) {
		r.strs = jsontext.NewDoc(r.Raw)
	}
	return r.strs
}

// Error is a rejection that becomes a JSON-RPC error for the client. Its
// Message is shown to the client as is: it must not leak internals.
type Error struct {
	Code    int
	Message string
	Data    json.RawMessage // optional
	Plugin  string          // who rejected, for logs and audit
}

func (e *Error) Error() string { return e.Message }

// Chain composes handlers around final, the first handler outermost.
// When the call has been through every handler, the decoded strings of
// its result (see [Result.Strings]) are released for reuse.
func Chain(handlers []Handler, final Next) Next {
	next := final
	for i := len(handlers) - 1; i >= 0; i-- {
		h, n := handlers[i], next
		next = func(ctx context.Context, c *Call) (*Result, error) {
			return h.Handle(ctx, c, n)
		}
	}
	return func(ctx context.Context, c *Call) (*Result, error) {
		res, err := next(ctx, c)
		if res != nil && res.strs != nil {
			res.strs.Release()
			res.strs = nil
		}
		return res, err
	}
}
