package gateway

import (
	"context"
	"errors"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// CodeTimeout is the JSON-RPC error code for a backend that did not answer
// in time (the code the TypeScript SDK uses for request timeouts).
const CodeTimeout = -32001

// wireError turns any error of a call into the JSON-RPC error object sent
// to the client. It is the only place where that happens: messages of the
// gateway's own errors are written for clients; anything unexpected is
// logged in full and shown only as a generic internal error, so backend
// details never leak.
func (f *Front) wireError(method string, err error) []byte {
	var (
		pe *plugin.Error
		re *upstream.RPCError
		ce *callError
		ue *upstream.UnavailableError
		le *upstream.ConnectionLostError
		te *upstream.TooLargeAnswerError
	)
	switch {
	case errors.As(err, &pe):
		return jsonrpc.AppendError(nil, pe.Code, pe.Message, pe.Data)
	case errors.As(err, &re):
		// The backend's own error, passed through unchanged.
		return re.Raw
	case errors.As(err, &ce):
		return jsonrpc.AppendError(nil, ce.code, ce.msg, ce.data)
	case errors.As(err, &ue):
		return jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, ue.Error(), nil)
	case errors.As(err, &le):
		return jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, le.Error(), nil)
	case errors.As(err, &te):
		return jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, te.Error(), nil)
	case errors.Is(err, context.DeadlineExceeded):
		return jsonrpc.AppendError(nil, CodeTimeout, err.Error(), nil)
	}
	f.log.Error("internal error", "method", method, "err", err)
	return jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "internal error in the gateway while handling "+method+"; see the gateway log", nil)
}

func asRPCError(err error, target **upstream.RPCError) bool { return errors.As(err, target) }
