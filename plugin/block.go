package plugin

import (
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// CodeBlocked is the JSON-RPC error code of a request a guardrail refused
// when the method has no result form for a refusal (everything but
// tools/call, whose refusals are tool results with isError).
const CodeBlocked = -32051

// CodeDenied is the JSON-RPC error code of a call the authorization
// policies refuse.
const CodeDenied = -32052

// CodeRateLimited is the JSON-RPC error code of a call refused by a rate
// limit; its error data is {"retryAfterMs": N}. Over the stateless HTTP
// transport it is answered with status 429 and Retry-After.
const CodeRateLimited = -32029

// Block is the answer to a call that a guardrail refuses, or that it
// could not check (fail closed: an error or a timeout in a guardrail
// blocks, it never lets unchecked data through). For tools/call it is a
// tool result with isError set and the text "blocked by gateway policy:
// <plugin>[: <reason>]", so that the model sees why; for other methods
// it is an *Error with CodeBlocked. reason must not quote the content.
func Block(method, pluginName, reason string) (*Result, error) {
	msg := "blocked by gateway policy: " + pluginName
	if reason != "" {
		msg += ": " + reason
	}
	if method != "tools/call" {
		return nil, &Error{Code: CodeBlocked, Message: msg, Plugin: pluginName}
	}
	raw := []byte(`{"content":[{"type":"text","text":`)
	raw = jsonrpc.AppendString(raw, msg)
	raw = append(raw, `}],"isError":true}`...)
	return &Result{Raw: raw, Changed: true, Blocked: pluginName}, nil
}
