package upstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// The 2026-07-28 revision on the backend hop. A backend is probed with
// server/discover; one that lists 2026-07-28 among its supportedVersions
// is modern: it gets no initialize, and every request carries the protocol
// version, the client's capabilities and identity in _meta. Anything else
// (an error, a result listing only older versions, no answer within the
// probe timeout) means a session-based backend, which gets initialize.

// ModernVersion is the stateless revision the gateway speaks to backends.
const ModernVersion = "2026-07-28"

// Per-request _meta keys of the modern revision.
const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	metaClientInfo         = "io.modelcontextprotocol/clientInfo"
	metaServerInfo         = "io.modelcontextprotocol/serverInfo"
)

// Eras of a backend.
const (
	EraUnknown = ""       // not probed yet
	EraModern  = "modern" // 2026-07-28: stateless, server/discover
	EraLegacy  = "legacy" // initialize handshake
)

// DefaultProbeTimeout bounds the server/discover probe: a session-based
// server may ignore a request that comes before initialize.
const DefaultProbeTimeout = 5 * time.Second

// Handshake opens the session in the backend's era: with era EraUnknown it
// probes server/discover first and falls back to initialize; with a known
// era it goes straight to it. params are the initialize params the
// gateway would send (protocolVersion, capabilities, clientInfo); for a
// modern backend their capabilities and clientInfo become the defaults of
// every request's _meta. It returns the era found.
//
// With initFirst set (a stdio backend: one process, one session) the order
// is reversed: initialize first, and server/discover only when initialize
// is refused (a modern-only server). A server that speaks both eras thus
// stays session-based for the process (the Go SDK's, for one, switch the
// whole process to 2026-07-28 once asked server/discover), and can ask
// session-based clients for input with requests; the gateway bridges
// modern clients to it.
func (s *Session) Handshake(ctx context.Context, params []byte, era string, probeTimeout time.Duration, initFirst bool) (string, error) {
	if probeTimeout <= 0 {
		probeTimeout = DefaultProbeTimeout
	}
	if initFirst && era != EraModern {
		err := s.Initialize(ctx, params)
		var re *RPCError
		if err == nil || era == EraLegacy || !errors.As(err, &re) {
			return EraLegacy, err
		}
		// An error answer to initialize: perhaps a modern-only server.
	}
	if era != EraLegacy {
		init, ok, err := s.discover(ctx, params, probeTimeout)
		if err != nil {
			return era, err
		}
		if ok {
			s.Init = init
			return EraModern, nil
		}
		if era == EraModern {
			return era, fmt.Errorf("server/discover: the server does not list protocol %s", ModernVersion)
		}
	}
	return EraLegacy, s.Initialize(ctx, params)
}

// discover probes server/discover; ok reports a modern backend. err is set
// only when the session itself failed (the connection ended, ctx ended).
func (s *Session) discover(ctx context.Context, initParams []byte, timeout time.Duration) (init InitResult, ok bool, err error) {
	v, _ := jsonrpc.Lookup(initParams, "capabilities", "clientInfo")
	caps, info := v[0], v[1]
	if caps == nil {
		caps = []byte("{}")
	}
	meta := []byte(`{"` + metaProtocolVersion + `":"` + ModernVersion + `","` + metaClientCapabilities + `":`)
	meta = append(meta, caps...)
	if info != nil {
		meta = append(meta, `,"`+metaClientInfo+`":`...)
		meta = append(meta, info...)
	}
	meta = append(meta, '}')
	res, err := s.CallTimeout(ctx, timeout, "server/discover", append(append([]byte(`{"_meta":`), meta...), '}'), CallOptions{})
	if err != nil {
		var lost *ConnectionLostError
		if errors.As(err, &lost) || ctx.Err() != nil {
			return init, false, err
		}
		return init, false, nil // an error answer or no answer: a session-based server
	}
	r, err := jsonrpc.Lookup(res, "supportedVersions", "capabilities", "_meta", "instructions")
	if err != nil || r[0] == nil {
		return init, false, nil
	}
	versions, err := jsonrpc.Elements(r[0])
	if err != nil {
		return init, false, nil
	}
	found := false
	for _, el := range versions {
		if vs, err := jsonrpc.String(el); err == nil && vs == ModernVersion {
			found = true
		}
	}
	if !found {
		return init, false, nil // it answers discover but speaks only older revisions
	}
	c := r[1]
	if c == nil {
		c = []byte("{}")
	}
	var serverInfo []byte
	if r[2] != nil {
		serverInfo, _ = jsonrpc.Get(r[2], metaServerInfo)
	}
	s.meta = meta
	return InitResult{Raw: res, ProtocolVersion: ModernVersion, Capabilities: c, ServerInfo: serverInfo, Instructions: r[3], Modern: true}, true, nil
}

// withModernMeta adds the session's per-request _meta defaults to params
// (those the request does not carry already: a modern client's own are
// kept).
func withModernMeta(params, defaults []byte) ([]byte, error) {
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil && params != nil {
		return nil, err
	}
	if meta == nil || string(meta) == "null" {
		return jsonrpc.SetField(params, "_meta", defaults)
	}
	have, err := jsonrpc.Lookup(meta, metaProtocolVersion, metaClientCapabilities, metaClientInfo)
	if err != nil {
		return nil, fmt.Errorf("_meta: %w", err)
	}
	def, _ := jsonrpc.Lookup(defaults, metaProtocolVersion, metaClientCapabilities, metaClientInfo)
	keys := []string{metaProtocolVersion, metaClientCapabilities, metaClientInfo}
	for i, k := range keys {
		if have[i] == nil && def[i] != nil {
			if meta, err = jsonrpc.SetField(meta, k, def[i]); err != nil {
				return nil, err
			}
		}
	}
	return jsonrpc.SetField(params, "_meta", meta)
}
