package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// The 2026-07-28 revision ("modern"): no initialize; every request carries
// its protocol version, client capabilities and client info in _meta;
// results carry resultType (and cache hints on lists and reads). See
// docs/protocol-2026-07-28.md.

// Keys of the per-request _meta of the modern era.
const (
	MetaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	MetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	MetaClientInfo         = "io.modelcontextprotocol/clientInfo"
	MetaLogLevel           = "io.modelcontextprotocol/logLevel"
	MetaServerInfo         = "io.modelcontextprotocol/serverInfo"
	MetaSubscriptionID     = "io.modelcontextprotocol/subscriptionId"
)

// Error codes of the modern era.
const (
	CodeHeaderMismatch             = -32020
	CodeMissingRequiredCapability  = -32021
	CodeUnsupportedProtocolVersion = -32022
)

// ModernVersions are the stateless revisions the gateway speaks.
var ModernVersions = []string{"2026-07-28"}

// IsModernVersion reports whether v is a stateless revision the gateway
// speaks.
func IsModernVersion(v string) bool {
	for _, m := range ModernVersions {
		if v == m {
			return true
		}
	}
	return false
}

// IsLegacyVersion reports whether v is a session-based revision the
// gateway speaks.
func IsLegacyVersion(v string) bool {
	for _, l := range supportedVersions {
		if v == l {
			return true
		}
	}
	return false
}

// AllVersions returns every revision the gateway speaks, newest first.
func AllVersions() []string {
	return append(append([]string(nil), ModernVersions...), supportedVersions...)
}

// removedInModern are methods a modern request may not use.
var removedInModern = map[string]bool{
	"initialize": true, "ping": true, "logging/setLevel": true,
	"resources/subscribe": true, "resources/unsubscribe": true,
}

// modernMeta is what a modern request says about its client.
type modernMeta struct {
	version  string
	caps     []byte // raw clientCapabilities object
	info     []byte // raw clientInfo object or nil
	logLevel string // "" when the request did not opt into log messages
}

// RequestProtocolVersion returns the _meta protocol version of a request's
// raw params ("" when it has none): the mark of a modern request.
func RequestProtocolVersion(params []byte) string {
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil || meta == nil || meta[0] != '{' {
		return ""
	}
	v, err := jsonrpc.Get(meta, MetaProtocolVersion)
	if err != nil || v == nil {
		return ""
	}
	s, _ := jsonrpc.String(v)
	return s
}

// parseModernMeta reads and checks a request's per-request metadata. ok is
// false for a request without a protocol version (a legacy request); err
// is a wire-ready rejection of a malformed or unsupported one.
func parseModernMeta(params []byte) (mm modernMeta, ok bool, err error) {
	meta, gerr := jsonrpc.Get(params, "_meta")
	if gerr != nil || meta == nil || meta[0] != '{' {
		return mm, false, nil
	}
	v, lerr := jsonrpc.Lookup(meta, MetaProtocolVersion, MetaClientCapabilities, MetaClientInfo, MetaLogLevel)
	if lerr != nil {
		return mm, true, invalidParams("params._meta: %v", lerr)
	}
	if v[0] == nil {
		return mm, false, nil
	}
	ver, serr := jsonrpc.String(v[0])
	if serr != nil || ver == "" {
		return mm, true, invalidParams("missing or invalid _meta field %q", MetaProtocolVersion)
	}
	if !IsModernVersion(ver) {
		if IsLegacyVersion(ver) {
			return mm, false, nil // a legacy revision named per request: served as legacy
		}
		return mm, true, unsupportedVersion(ver)
	}
	mm.version = ver
	if v[1] == nil || v[1][0] != '{' {
		return mm, true, invalidParams("missing or invalid _meta field %q", MetaClientCapabilities)
	}
	mm.caps = v[1]
	if v[2] != nil {
		if v[2][0] != '{' {
			return mm, true, invalidParams("invalid _meta field %q: expected an object", MetaClientInfo)
		}
		mm.info = v[2]
	}
	if v[3] != nil {
		lvl, serr := jsonrpc.String(v[3])
		if serr != nil || logLevelRank(lvl) < 0 {
			return mm, true, invalidParams("invalid _meta field %q: expected one of debug, info, notice, warning, error, critical, alert, emergency", MetaLogLevel)
		}
		mm.logLevel = lvl
	}
	return mm, true, nil
}

// unsupportedVersion is the -32022 rejection, with the versions to pick
// from.
func unsupportedVersion(requested string) error {
	data, _ := json.Marshal(map[string]any{"supported": AllVersions(), "requested": requested})
	return &callError{code: CodeUnsupportedProtocolVersion, msg: fmt.Sprintf("unsupported protocol version %q", requested), data: data}
}

// logLevels are the syslog levels of MCP logging, least severe first.
var logLevels = []string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

func logLevelRank(l string) int {
	for i, v := range logLevels {
		if v == l {
			return i
		}
	}
	return -1
}

// legacyInitParams builds the initialize params shown to a legacy backend
// session on behalf of a modern client: the newest legacy revision, the
// client's per-request capabilities and identity.
func legacyInitParams(mm modernMeta) []byte {
	bp := []byte(`{"protocolVersion":`)
	bp = jsonrpc.AppendString(bp, supportedVersions[0])
	bp = append(bp, `,"capabilities":`...)
	bp = append(bp, mm.caps...)
	bp = append(bp, `,"clientInfo":`...)
	if mm.info != nil {
		bp = append(bp, mm.info...)
	} else {
		bp = append(bp, `{"name":"unknown-client","version":"0"}`...)
	}
	return append(bp, '}')
}

// cacheable lists the methods whose modern results carry ttlMs and
// cacheScope.
var cacheable = map[string]bool{
	"server/discover": true, "tools/list": true, "prompts/list": true,
	"resources/list": true, "resources/templates/list": true, "resources/read": true,
}

// modernResult completes a result for a modern client: resultType (a
// legacy backend sends none, which means "complete"), the gateway's
// identity in _meta, and cache hints where the revision requires them. A
// backend's own values are kept.
func (g *Gateway) modernResult(method string, res []byte) []byte {
	v, err := jsonrpc.Lookup(res, "resultType", "ttlMs", "cacheScope", "_meta", "inputRequests")
	if err != nil {
		return res
	}
	var add []byte
	complete := v[0] == nil || string(v[0]) == `"complete"`
	if v[0] == nil {
		if v[4] != nil && mayNeedInput[method] {
			// Input requests without a resultType: a session-based server
			// passing on a round it could not finish itself.
			add = append(add, `"resultType":"input_required",`...)
			complete = false
		} else {
			add = append(add, `"resultType":"complete",`...)
		}
	}
	if cacheable[method] && complete {
		hint := cacheHint{known: true}
		if k, isList := catalog.KindOfListMethod(method); isList {
			hint = g.listHint(k)
		}
		if v[1] == nil {
			add = append(add, `"ttlMs":`...)
			add = strconv.AppendInt(add, hint.ttlMs(), 10)
			add = append(add, ',')
		}
		if v[2] == nil {
			if hint.private {
				add = append(add, `"cacheScope":"private",`...)
			} else {
				add = append(add, `"cacheScope":"public",`...)
			}
		}
	}
	if v[3] == nil {
		add = append(add, `"_meta":{"`+MetaServerInfo+`":`...)
		add = append(add, g.serverInfo...)
		add = append(add, "},"...)
	} else if meta := v[3]; meta[0] == '{' {
		if has, _ := jsonrpc.Get(meta, MetaServerInfo); has == nil {
			if m2, err := jsonrpc.SetField(meta, MetaServerInfo, g.serverInfo); err == nil {
				if r2, err := jsonrpc.SetField(res, "_meta", m2); err == nil {
					res = r2
				}
			}
		}
	}
	if add == nil {
		return res
	}
	return prependFields(res, add)
}

// prependFields inserts fields (`"k":v,` pairs, with a trailing comma)
// at the start of the JSON object obj.
func prependFields(obj, fields []byte) []byte {
	i := 0
	for i < len(obj) && obj[i] != '{' {
		i++
	}
	if i == len(obj) {
		return obj
	}
	rest := strings.TrimLeft(string(obj[i+1:]), " \t\r\n")
	out := make([]byte, 0, len(obj)+len(fields))
	out = append(out, obj[:i+1]...)
	if strings.HasPrefix(rest, "}") {
		fields = fields[:len(fields)-1] // no field follows: drop the comma
	}
	out = append(out, fields...)
	return append(out, obj[i+1:]...)
}

// discover answers server/discover: every revision the gateway speaks and
// the union of what the backends offer.
func (g *Gateway) discover() []byte {
	res := map[string]any{
		"resultType":        "complete",
		"supportedVersions": AllVersions(),
		"capabilities":      json.RawMessage(g.capabilities()),
		"ttlMs":             0,
		"cacheScope":        "public",
		"_meta":             map[string]json.RawMessage{MetaServerInfo: g.serverInfo},
	}
	if instr := g.instructions(); instr != "" {
		res["instructions"] = instr
	}
	b, _ := json.Marshal(res)
	return b
}

// modernError rewrites error codes the modern revision forbids: resource
// not found is -32602 with the URI in data (SEP-2164), not -32002.
func modernError(errObj []byte, uri string) []byte {
	if jsonrpc.ErrorCode(errObj) != jsonrpc.CodeResourceNotFound {
		return errObj
	}
	msg, _ := jsonrpc.Get(errObj, "message")
	m, _ := jsonrpc.String(msg)
	if m == "" {
		m = "Resource not found"
	}
	data, _ := json.Marshal(map[string]string{"uri": uri})
	return jsonrpc.AppendError(nil, jsonrpc.CodeInvalidParams, m, data)
}

// startModern prepares a front session for its first modern request: on
// stdio, backends are started with this client's capabilities (no
// initialize will come), and the request waits until they have settled.
func (f *Front) startModern(ctx context.Context, mm modernMeta) {
	f.mu.Lock()
	first := f.initParams == nil
	if first {
		f.initParams = legacyInitParams(mm)
	}
	params := f.initParams
	f.mu.Unlock()
	if !first {
		return
	}
	f.g.setInitParams(params)
	wctx, cancel := context.WithTimeout(ctx, f.g.opts.StartTimeout)
	f.g.WaitSettled(wctx)
	cancel()
}

// withLogLevel puts the client's log level into a request's _meta for a
// modern backend, unless the request names one itself.
func withLogLevel(params []byte, level string) ([]byte, error) {
	return setMeta(params, MetaLogLevel, jsonrpc.AppendString(nil, level), false)
}

// setMeta sets params._meta[key] to the raw value val, creating _meta if
// needed; with replace false a value already there is kept.
func setMeta(params []byte, key string, val []byte, replace bool) ([]byte, error) {
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil && params != nil {
		return nil, err
	}
	if meta == nil || meta[0] != '{' {
		meta = []byte("{}")
	} else if have, _ := jsonrpc.Get(meta, key); have != nil && !replace {
		return params, nil
	}
	if meta, err = jsonrpc.SetField(meta, key, val); err != nil {
		return nil, err
	}
	return jsonrpc.SetField(params, "_meta", meta)
}

// listenForChanges keeps a subscriptions/listen open on a modern backend's
// shared session for the list changes it offers: its notifications
// re-fetch the catalog like a legacy backend's list_changed. It ends with
// the session.
func (b *backend) listenForChanges(s *upstream.Session) {
	var caps map[string]struct {
		ListChanged bool `json:"listChanged"`
	}
	_ = json.Unmarshal(s.Init.Capabilities, &caps)
	f := listenFilter{
		ToolsListChanged:     caps["tools"].ListChanged,
		PromptsListChanged:   caps["prompts"].ListChanged,
		ResourcesListChanged: caps["resources"].ListChanged,
	}
	if !f.ToolsListChanged && !f.PromptsListChanged && !f.ResourcesListChanged {
		return
	}
	raw, _ := json.Marshal(map[string]any{"notifications": f})
	go func() {
		_, err := s.Call(context.Background(), "subscriptions/listen", raw, upstream.CallOptions{})
		if err != nil && !errors.Is(err, upstream.ErrSessionClosed) {
			b.log.Warn("the backend ended its change subscription; list changes are no longer followed until it restarts", "err", err)
		}
	}()
}

// resListenKey names one resource subscription held at a modern backend.
type resListenKey struct {
	s   *upstream.Session
	uri string
}

// resListen is a subscriptions/listen for one resource, shared by the
// clients subscribed to it through the same back session.
type resListen struct {
	n      int
	cancel context.CancelFunc
}

// modernSubscription serves a client's resources/subscribe or unsubscribe
// on a modern backend, which has no such methods: a subscriptions/listen
// for the resource is held while any client of the session subscribes.
func (b *backend) modernSubscription(s *upstream.Session, method string, params []byte) ([]byte, error) {
	uri, err := stringField(params, "uri")
	if err != nil {
		return nil, err
	}
	key := resListenKey{s, uri}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.resListens == nil {
		b.resListens = map[resListenKey]*resListen{}
	}
	l := b.resListens[key]
	if method == "resources/unsubscribe" {
		if l != nil {
			if l.n--; l.n <= 0 {
				l.cancel()
				delete(b.resListens, key)
			}
		}
		return []byte("{}"), nil
	}
	if l != nil {
		l.n++
		return []byte("{}"), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	l = &resListen{n: 1, cancel: cancel}
	b.resListens[key] = l
	raw, _ := json.Marshal(map[string]any{"notifications": listenFilter{ResourceSubscriptions: []string{uri}}})
	go func() {
		_, err := s.Call(ctx, "subscriptions/listen", raw, upstream.CallOptions{})
		if err != nil && ctx.Err() == nil && !errors.Is(err, upstream.ErrSessionClosed) {
			b.log.Warn("the backend ended a resource subscription", "uri", uri, "err", err)
		}
		b.mu.Lock()
		if b.resListens[key] == l {
			delete(b.resListens, key)
		}
		b.mu.Unlock()
	}()
	return []byte("{}"), nil
}

// releaseSubscriptions drops a closing session's resource subscriptions
// at modern backends.
func (f *Front) releaseSubscriptions() {
	f.mu.Lock()
	subs := f.subs
	f.subs = map[subKey]struct{}{}
	f.mu.Unlock()
	for k := range subs {
		b := f.g.set().byName[k.server]
		if b == nil {
			continue
		}
		s := f.existingBackSession(b)
		if !b.perClient {
			s, _ = b.anySession()
		}
		if s != nil && s.Init.Modern {
			_, _ = b.modernSubscription(s, "resources/unsubscribe", append(jsonrpc.AppendString([]byte(`{"uri":`), k.uri), '}'))
		}
	}
}

// hasCap reports whether the backend declared a capability.
func (b *backend) hasCap(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, _ := jsonrpc.Get(b.caps, name)
	return v != nil
}

// modernMetaKeys are the per-request keys a session-based backend must not
// see: a server that speaks both eras would take the request for a
// stateless one and, for instance, no longer send it log messages or ask
// the client for input the session-based way.
var modernMetaKeys = map[string]bool{
	MetaProtocolVersion: true, MetaClientCapabilities: true, MetaClientInfo: true, MetaLogLevel: true,
}

// withoutModernMeta removes the modern per-request keys from params._meta.
func withoutModernMeta(params []byte) ([]byte, error) {
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil || meta == nil || meta[0] != '{' {
		return params, err
	}
	kept, err := withoutFields(meta, func(k string) bool { return modernMetaKeys[k] })
	if err != nil || len(kept) == len(meta) {
		return params, err
	}
	return jsonrpc.SetField(params, "_meta", kept)
}

// withoutFields returns the JSON object obj without the top-level keys for
// which drop is true (obj itself when there are none).
func withoutFields(obj []byte, drop func(key string) bool) ([]byte, error) {
	fields, err := jsonrpc.Fields(obj)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(obj))
	out = append(out, '{')
	n := 0
	for _, fl := range fields {
		if drop(fl.Key) {
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = jsonrpc.AppendString(out, fl.Key)
		out = append(out, ':')
		out = append(out, fl.Value...)
	}
	if n == len(fields) {
		return obj, nil
	}
	return append(out, '}'), nil
}

// adaptToEra fits a call to the era of the back session it goes to:
//   - a modern backend has no session state: logging/setLevel is answered
//     here (the client's level then rides in every call's _meta) and
//     resource subscriptions become subscriptions/listen requests
//     (answered, non-nil, when the gateway answered the call itself);
//   - a session-based backend must not see a modern client's
//     per-request _meta (it would take the request for a stateless one),
//     and gets the client's log level as its session's.
func (f *Front) adaptToEra(ctx context.Context, r *inflightReq, b *backend, s *upstream.Session, method string, params []byte) (out, answered []byte, err error) {
	modernReq := r != nil && r.modern
	switch {
	case s.Init.Modern:
		switch method {
		case "logging/setLevel":
			return params, []byte("{}"), nil
		case "resources/subscribe", "resources/unsubscribe":
			res, err := b.modernSubscription(s, method, params)
			return params, res, err
		}
		if lvl := f.level(); lvl != "" {
			if params, err = withLogLevel(params, lvl); err != nil {
				return nil, nil, invalidParams("params: %v", err)
			}
		}
	case modernReq:
		if params, err = withoutModernMeta(params); err != nil {
			return nil, nil, invalidParams("params._meta: %v", err)
		}
		if lvl := r.logLevel; lvl != "" && b.hasCap("logging") {
			if err := s.SetLevel(ctx, lvl, b.cfg.Timeout); err != nil {
				b.log.Warn("could not set the backend's log level for a modern request", "level", lvl, "err", err)
			}
		}
	}
	return params, nil, nil
}

// cacheHint is what a backend said of how long a list stays fresh
// (2026-07-28 ttlMs and cacheScope).
type cacheHint struct {
	known   bool  // the backend sent ttlMs (a modern backend)
	ttl     int64 // smallest ttlMs over the list's pages
	private bool  // some page was cacheScope private
}

// page folds one list page's hints in.
func (h cacheHint) page(first bool, ttl, scope []byte) cacheHint {
	if first {
		h = cacheHint{known: true, ttl: -1}
	}
	if n, err := strconv.ParseInt(string(ttl), 10, 64); err == nil && n >= 0 && ttl != nil {
		if h.ttl < 0 || n < h.ttl {
			h.ttl = n
		}
	} else {
		h.known = false // no hint (a legacy backend): nothing may be assumed
	}
	if string(scope) == `"private"` {
		h.private = true
	}
	return h
}

// ttlMs is the hint's freshness, 0 when unknown.
func (h cacheHint) ttlMs() int64 {
	if !h.known || h.ttl < 0 {
		return 0
	}
	return h.ttl
}

// listHint aggregates the backends' hints for a merged list: the smallest
// TTL (0 as soon as one backend gave none), private if any is private.
func (g *Gateway) listHint(k catalog.Kind) cacheHint {
	agg := cacheHint{known: true, ttl: -1}
	for _, b := range g.set().backends {
		b.mu.Lock()
		has := b.lists[k] != nil
		h := b.hints[k]
		b.mu.Unlock()
		if !has && !h.known {
			continue // offers nothing of this kind
		}
		if !h.known {
			agg.known = false
		} else if agg.ttl < 0 || h.ttl < agg.ttl {
			agg.ttl = h.ttl
		}
		agg.private = agg.private || h.private
	}
	return agg
}
