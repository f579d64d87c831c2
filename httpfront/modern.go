package httpfront

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/httpserve"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/transport"
)

// The 2026-07-28 revision over streamable HTTP: no session; every POST is
// one request, carrying its version in the MCP-Protocol-Version header and
// in _meta, its method in Mcp-Method and, for calls naming a tool, prompt
// or resource, that name in Mcp-Name. Headers must agree with the body.
// The answer is JSON or an SSE stream of the request's own progress and
// log messages and then its response; closing the stream cancels it.

// modernRequest reports whether a POST is in the modern era: its header or
// its _meta names a revision that is not a session-based one.
func modernRequest(r *http.Request, m jsonrpc.Message) bool {
	if v := r.Header.Get("MCP-Protocol-Version"); v != "" && !gateway.IsLegacyVersion(v) {
		return true
	}
	if m.Kind != jsonrpc.KindRequest {
		return false
	}
	v := gateway.RequestProtocolVersion(m.Params)
	return v != "" && !gateway.IsLegacyVersion(v)
}

// nameHeaderField is the params field that Mcp-Name mirrors, per method.
var nameHeaderField = map[string]string{
	"tools/call":     "name",
	"prompts/get":    "name",
	"resources/read": "uri",
}

// checkModernHeaders validates the headers of a modern request against its
// body; on failure it returns the wire error code and message.
func (h *Handler) checkModernHeaders(r *http.Request, m jsonrpc.Message) (code int, msg string) {
	hv := strings.TrimSpace(r.Header.Get("MCP-Protocol-Version"))
	bv := gateway.RequestProtocolVersion(m.Params)
	switch {
	case hv == "":
		return gateway.CodeHeaderMismatch, "Mcp-Protocol-Version header is required for protocol revision " + bv
	case bv == "" && !gateway.IsModernVersion(hv):
		return gateway.CodeUnsupportedProtocolVersion, fmt.Sprintf("unsupported protocol version %q (supported: %s)", hv, strings.Join(gateway.AllVersions(), ", "))
	case bv == "":
		return jsonrpc.CodeInvalidParams, fmt.Sprintf("missing or invalid _meta field %q", gateway.MetaProtocolVersion)
	case hv != bv:
		return gateway.CodeHeaderMismatch, fmt.Sprintf("Mcp-Protocol-Version header %q does not match request %s %q", hv, gateway.MetaProtocolVersion, bv)
	}
	method, ok := r.Header[http.CanonicalHeaderKey("Mcp-Method")]
	if !ok || len(method) == 0 {
		return gateway.CodeHeaderMismatch, "missing required Mcp-Method header"
	}
	if got := strings.TrimSpace(method[0]); got != m.Method {
		return gateway.CodeHeaderMismatch, fmt.Sprintf("header mismatch: Mcp-Method header value %q does not match body value %q", got, m.Method)
	}
	field, named := nameHeaderField[m.Method]
	if !named {
		return 0, ""
	}
	v, _ := jsonrpc.Get(m.Params, field)
	body, _ := jsonrpc.String(v)
	name, ok := r.Header[http.CanonicalHeaderKey("Mcp-Name")]
	if !ok || len(name) == 0 {
		return gateway.CodeHeaderMismatch, fmt.Sprintf("missing required Mcp-Name header for method %q", m.Method)
	}
	got, ok := transport.DecodeHeaderValue(strings.TrimSpace(name[0]))
	if !ok {
		return gateway.CodeHeaderMismatch, "header mismatch: Mcp-Name header contains invalid Base64 encoding"
	}
	if got != body {
		return gateway.CodeHeaderMismatch, fmt.Sprintf("header mismatch: Mcp-Name header value %q does not match body value %q", got, body)
	}
	if m.Method == "tools/call" {
		err := h.g.CheckParamHeaders(body, m.Params, func(n string) (string, bool) {
			v, ok := r.Header[http.CanonicalHeaderKey(n)]
			if !ok || len(v) == 0 {
				return "", false
			}
			return v[0], true
		})
		if err != nil {
			return gateway.CodeHeaderMismatch, err.Error()
		}
	}
	return 0, ""
}

// modernStatus is the HTTP status of a modern JSON answer: errors that
// say the request itself is wrong are 400, an unknown method 404.
func modernStatus(msg []byte) int {
	m, err := jsonrpc.Parse(msg)
	if err != nil || m.Error == nil {
		return http.StatusOK
	}
	return statusForCode(jsonrpc.ErrorCode(m.Error))
}

// writeModernHeader writes the status of a modern JSON answer, with
// Retry-After for a rate-limit refusal.
func writeModernHeader(w http.ResponseWriter, msg []byte) {
	status := modernStatus(msg)
	if status == http.StatusTooManyRequests {
		m, _ := jsonrpc.Parse(msg)
		if data, _ := jsonrpc.Get(m.Error, "data"); data != nil {
			if v, _ := jsonrpc.Get(data, "retryAfterMs"); v != nil {
				if ms, err := strconv.ParseInt(string(v), 10, 64); err == nil && ms >= 0 {
					w.Header().Set("Retry-After", strconv.FormatInt((ms+999)/1000, 10))
				}
			}
		}
	}
	w.WriteHeader(status)
}

func statusForCode(code int) int {
	switch code {
	case jsonrpc.CodeMethodNotFound:
		return http.StatusNotFound
	case jsonrpc.CodeInvalidParams, gateway.CodeHeaderMismatch, gateway.CodeMissingRequiredCapability, gateway.CodeUnsupportedProtocolVersion:
		return http.StatusBadRequest
	case plugin.CodeRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusOK
}

// requestPeer carries a modern request's messages to its response stream.
// What belongs to no request has nowhere to go in this revision and is
// dropped. A call parked for the client's input continues in a later
// request: the peer is then pointed at that request's stream.
type requestPeer struct{ st atomic.Pointer[stream] }

func (p *requestPeer) Write(msg []byte) error { return nil }

func (p *requestPeer) WriteResponse(id, msg []byte) error {
	if !p.st.Load().push(msg, true) {
		return errSlowClient
	}
	return nil
}

func (p *requestPeer) WriteFor(related, msg []byte) error {
	if related == nil {
		return nil
	}
	if !p.st.Load().push(msg, false) {
		return errSlowClient
	}
	return nil
}

// serveModernPost serves one modern request in a front session of its own,
// which ends with the request: when the answer is written, or when the
// client closes the stream (which cancels the call).
func (h *Handler) serveModernPost(w http.ResponseWriter, r *http.Request, id plugin.Identity, m jsonrpc.Message) {
	switch m.Kind {
	case jsonrpc.KindNotification:
		w.WriteHeader(http.StatusAccepted)
		return
	case jsonrpc.KindResponse:
		rpcHTTPError(w, http.StatusBadRequest, m.ID, jsonrpc.CodeInvalidRequest, "protocol revision 2026-07-28 has no server-to-client requests to answer; send requests only")
		return
	}
	if code, msg := h.checkModernHeaders(r, m); code != 0 {
		rpcHTTPError(w, statusForCode(code), m.ID, code, msg)
		return
	}
	if h.draining.Load() {
		rpcHTTPError(w, http.StatusServiceUnavailable, m.ID, jsonrpc.CodeInternalError, "the gateway is shutting down; send the request to another instance")
		return
	}
	st := newStream(newBudget(h.o.SessionBufferBytes), 0, 1)
	kick, _ := st.attach(false, 0)
	f := h.g.ParkedFront(m.Params, id.Principal)
	if f != nil {
		// A retry with answers: it continues the parked call where it runs.
		f.Peer().(*requestPeer).st.Store(st)
		f.Authenticated(id)
	} else {
		p := &requestPeer{}
		p.st.Store(st)
		f = h.g.OpenStatelessFront(h.baseCtx, p, id)
	}
	f.ReceiveParsed(m)
	// Closing the stream cancels the call: the connection is watched
	// while the call runs, before anything is written.
	if cw, ok := w.(httpserve.ClientWatcher); ok {
		cw.WatchClient()
	}
	acc := acceptsAnswers(r)
	h.writeStream(w, r, st, streamOut{sse: acc.sse, json: acc.json, kick: kick, modern: true})
	if st.finished() {
		f.CloseWhenIdle() // a call parked for input keeps it open
	} else {
		f.Close() // the client closed the stream: that cancels the call
	}
	st.end()
}
