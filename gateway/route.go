package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/tracing"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// callError is a rejection decided by the gateway itself; its message is
// written for the client.
type callError struct {
	code int
	msg  string
	data []byte // optional raw error data
}

func (e *callError) Error() string { return e.msg }

func invalidParams(format string, args ...any) error {
	return &callError{code: jsonrpc.CodeInvalidParams, msg: fmt.Sprintf(format, args...)}
}

// resolve finds the backend a call is for, so that plugins see it.
func (f *Front) resolve(c *plugin.Call) error {
	snap := f.g.Snapshot()
	switch c.Method {
	case "tools/call", "prompts/get":
		k := catalog.Tools
		if c.Method == "prompts/get" {
			k = catalog.Prompts
		}
		name, err := stringField(c.Params, "name")
		if err != nil {
			return err
		}
		it, ok := snap.Lookup(k, name)
		if !ok {
			if h, hidden := snap.Hidden(k, name); hidden {
				c.Server, c.Name = h.Server, name
				return &hiddenError{reason: h.Reason}
			}
			if k == catalog.Tools {
				return invalidParams("unknown tool %q: it is not in this gateway's tools/list (names are <server>%s<tool>)", name, f.g.sep)
			}
			return invalidParams("unknown prompt %q: it is not in this gateway's prompts/list", name)
		}
		c.Server, c.Name = it.Server, name
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		uri, err := stringField(c.Params, "uri")
		if err != nil {
			return err
		}
		c.Name = uri
		c.Server, _ = snap.ResourceOwner(uri)
	case "completion/complete":
		ref, err := jsonrpc.Get(c.Params, "ref")
		if err != nil || ref == nil {
			return invalidParams("completion/complete: params.ref is required")
		}
		v, err := jsonrpc.Lookup(ref, "type", "name", "uri")
		if err != nil {
			return invalidParams("completion/complete: params.ref: %v", err)
		}
		typ, _ := jsonrpc.String(v[0])
		switch typ {
		case "ref/prompt":
			name, _ := jsonrpc.String(v[1])
			it, ok := snap.Lookup(catalog.Prompts, name)
			if !ok {
				return invalidParams("completion/complete: unknown prompt %q", name)
			}
			c.Server, c.Name = it.Server, name
		case "ref/resource":
			uri, _ := jsonrpc.String(v[2])
			if it, ok := snap.Lookup(catalog.Templates, uri); ok {
				c.Server = it.Server
			} else if owner, ok := snap.ResourceOwner(uri); ok {
				c.Server = owner
			} else {
				return invalidParams("completion/complete: no server offers the resource or template %q", uri)
			}
			c.Name = uri
		default:
			return invalidParams("completion/complete: unknown ref type %q", typ)
		}
	case "tasks/get", "tasks/result", "tasks/cancel":
		id, err := stringField(c.Params, "taskId")
		if err != nil {
			return err
		}
		c.Server = f.taskOwner(id)
		if c.Server == "" {
			return invalidParams("unknown task %q: no call of this session created it", id)
		}
		c.Name = id
	}
	return nil
}

// hiddenError refuses a call to a definition a plugin hid from the
// catalog; callChain turns it into the refusal the method allows.
type hiddenError struct{ reason string } // "<plugin>: <why>"

func (e *hiddenError) Error() string { return "blocked by gateway policy: " + e.reason }

// stringField reads a required string field of params.
func stringField(params []byte, key string) (string, error) {
	if params == nil {
		return "", invalidParams("params.%s is required", key)
	}
	v, err := jsonrpc.Get(params, key)
	if err != nil {
		return "", invalidParams("params: %v", err)
	}
	if v == nil {
		return "", invalidParams("params.%s is required", key)
	}
	s, err := jsonrpc.String(v)
	if err != nil {
		return "", invalidParams("params.%s must be a string", key)
	}
	return s, nil
}

// route is the end of the plugin chain: it answers from the catalog or
// forwards to the backend.
func (f *Front) route(ctx context.Context, c *plugin.Call) (*plugin.Result, error) {
	var res []byte
	var err error
	switch c.Method {
	case "tools/list", "prompts/list", "resources/list", "resources/templates/list":
		res, err = f.list(c)
	case "tools/call":
		res, err = f.callTool(ctx, c)
	case "prompts/get":
		res, err = f.forwardRenamed(ctx, c, catalog.Prompts)
	case "resources/read":
		res, err = f.readResource(ctx, c)
	case "resources/subscribe", "resources/unsubscribe":
		res, err = f.subscribe(ctx, c)
	case "completion/complete":
		res, err = f.complete(ctx, c)
	case "logging/setLevel":
		res, err = f.setLevel(ctx, c)
	case "tasks/get", "tasks/result", "tasks/cancel":
		res, err = f.forward(ctx, c.Server, c.Method, c.Params)
	case "tasks/list":
		res, err = f.listTasks(ctx, c)
	default:
		err = &callError{code: jsonrpc.CodeMethodNotFound, msg: fmt.Sprintf("method %q is not supported by the gateway", c.Method)}
	}
	if err != nil {
		return nil, err
	}
	return &plugin.Result{Raw: res}, nil
}

func (f *Front) list(c *plugin.Call) ([]byte, error) {
	k, _ := catalog.KindOfListMethod(c.Method)
	cursor := ""
	if c.Params != nil {
		v, err := jsonrpc.Get(c.Params, "cursor")
		if err != nil {
			return nil, invalidParams("params: %v", err)
		}
		if v != nil && string(v) != "null" {
			if cursor, err = jsonrpc.String(v); err != nil {
				return nil, invalidParams("params.cursor must be a string")
			}
		}
	}
	res, err := f.g.Snapshot().List(k, cursor, f.g.pageSize)
	if err != nil {
		return nil, invalidParams("%s: %v", c.Method, err)
	}
	return res, nil
}

func (f *Front) callTool(ctx context.Context, c *plugin.Call) ([]byte, error) {
	if c.Server == "" && c.Name == metadataTool.Exposed {
		only := ""
		if args := c.RawArguments(); args != nil {
			if v, err := jsonrpc.Get(args, "server"); err == nil && v != nil {
				only, _ = jsonrpc.String(v)
			}
		}
		return f.g.metadata(only)
	}
	task, _ := jsonrpc.Get(c.Params, "task")
	res, err := f.forwardRenamed(ctx, c, catalog.Tools)
	if err == nil && task != nil {
		f.recordTask(c.Server, res)
	}
	return res, err
}

// forwardRenamed forwards a call whose params.name is an exposed name,
// restoring the backend's own name.
func (f *Front) forwardRenamed(ctx context.Context, c *plugin.Call, k catalog.Kind) ([]byte, error) {
	it, ok := f.g.Snapshot().Lookup(k, c.Name)
	if !ok || it.Server != c.Server {
		return nil, invalidParams("%q is no longer offered (the server's list changed); list again", c.Name)
	}
	params := c.Params
	if it.Name != it.Exposed {
		var err error
		if params, err = jsonrpc.SetField(params, "name", jsonrpc.AppendString(nil, it.Name)); err != nil {
			return nil, invalidParams("params: %v", err)
		}
	}
	return f.forward(ctx, c.Server, c.Method, params)
}

// forward sends one call to a backend and waits for the answer. A progress
// token in params._meta is swapped for the back session's own and restored,
// with its original JSON type, on each progress notification.
//
// The call waits for a slot under the server's "maxConcurrency". When its
// replica fails it (see replicaFault) and the call is safe to send again,
// it is sent to another replica, never to the same one twice.
func (f *Front) forward(ctx context.Context, server, method string, params []byte) ([]byte, error) {
	b := f.g.set().byName[server]
	if b == nil {
		return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("server %q is not running in this gateway", server)}
	}
	if err := b.limit.acquire(ctx); err != nil {
		return nil, err
	}
	defer b.limit.release()
	var tried []*replica
	for {
		res, t, err := f.forwardOnce(ctx, b, method, params, tried)
		if t.r == nil {
			return res, err
		}
		fault := replicaFault(ctx, err)
		t.r.done(t, fault)
		if fault == nil || len(tried)+1 >= len(b.replicas) || !f.safeToRetry(method, requestName(ctx)) {
			return res, err
		}
		tried = append(tried, t.r)
		f.log.Warn("call failed on a replica; retrying on another", "server", server, "method", method, "replica", t.r.index, "err", err)
	}
}

// requestName is the exposed tool name of the client request ctx serves.
func requestName(ctx context.Context) string {
	if r, _ := ctx.Value(requestKey{}).(*inflightReq); r != nil {
		return r.name
	}
	return ""
}

// forwardOnce sends the call on one back session, not on tried replicas.
// The ticket names the replica it went to (none when no session was
// found).
func (f *Front) forwardOnce(ctx context.Context, b *backend, method string, params []byte, tried []*replica) ([]byte, ticket, error) {
	s, t, err := f.backSession(ctx, b, tried)
	if err != nil {
		return nil, ticket{}, err
	}
	r, _ := ctx.Value(requestKey{}).(*inflightReq) // nil for the gateway's own calls
	params, answered, err := f.adaptToEra(ctx, r, b, s, method, params)
	if err != nil || answered != nil {
		return answered, t, err
	}
	var opts upstream.CallOptions
	if s.Init.Modern && method == "tools/call" && r != nil {
		opts.Headers = f.g.ParamHeaders(r.name, params)
	}
	if r != nil && r.span != nil {
		// The backend's span becomes a child of the gateway's.
		if tp := r.span.Traceparent(); tp != "" {
			ts := r.span.Tracestate()
			if p, err := tracing.InjectMeta(params, tp, ts); err == nil {
				params = p
			}
			h := make(map[string]string, len(opts.Headers)+2)
			maps.Copy(h, opts.Headers)
			h["traceparent"] = tp
			if ts != "" {
				h["tracestate"] = ts
			}
			opts.Headers = h
		}
	}
	if tok := progressToken(params); tok != nil {
		opts.OnProgress = func(p []byte) {
			if ctx.Err() != nil {
				return // cancelled: late progress is dropped
			}
			p2, err := jsonrpc.SetField(p, "progressToken", tok)
			if err != nil {
				return
			}
			f.sendFor(requestID(ctx), jsonrpc.AppendNotification(make([]byte, 0, len(p2)+64), "notifications/progress", p2))
		}
	}
	b.inflight.Add(1)
	t.r.inflight.Add(1)
	res, err := s.CallTimeout(ctx, b.cfg.Timeout, method, params, opts)
	t.r.inflight.Add(-1)
	b.inflight.Add(-1)
	if err == nil && s.Init.Modern && mayNeedInput[method] && (r == nil || !r.modern) {
		res, err = f.answerInputRequests(ctx, b, s, method, params, res, opts)
	}
	return res, t, err
}

func progressToken(params []byte) []byte {
	if params == nil {
		return nil
	}
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil || meta == nil || meta[0] != '{' {
		return nil
	}
	tok, err := jsonrpc.Get(meta, "progressToken")
	if err != nil || tok == nil || string(tok) == "null" {
		return nil
	}
	return tok
}

func (f *Front) recordTask(server string, res []byte) {
	t, err := jsonrpc.Get(res, "task")
	if err != nil || t == nil {
		return
	}
	id, err := stringField(t, "taskId")
	if err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tasks) >= maxTasks {
		for k := range f.tasks { // drop an arbitrary old entry
			delete(f.tasks, k)
			break
		}
	}
	f.tasks[id] = server
}

// resourceServers returns the backends that offer resources, in order.
func (f *Front) resourceServers() []string {
	var out []string
	for _, b := range f.g.set().backends {
		b.mu.Lock()
		has, _ := jsonrpc.Get(b.caps, "resources")
		b.mu.Unlock()
		if has != nil {
			out = append(out, b.cfg.Name)
		}
	}
	return out
}

func (f *Front) readResource(ctx context.Context, c *plugin.Call) ([]byte, error) {
	if c.Server != "" {
		return f.forward(ctx, c.Server, c.Method, c.Params)
	}
	// Not listed and no template matches: ask each server that offers
	// resources, in config order, until one knows the URI.
	var lastErr error
	for _, server := range f.resourceServers() {
		res, err := f.forward(ctx, server, c.Method, c.Params)
		if err == nil {
			return res, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		lastErr = &callError{code: jsonrpc.CodeResourceNotFound, msg: fmt.Sprintf("resource %q not found: no server offers resources", c.Name)}
	}
	return nil, lastErr
}

func (f *Front) subscribe(ctx context.Context, c *plugin.Call) ([]byte, error) {
	if c.Server == "" {
		return nil, &callError{code: jsonrpc.CodeResourceNotFound, msg: fmt.Sprintf("resource %q not found: no server lists it or a template matching it", c.Name)}
	}
	key := subKey{c.Server, c.Name}
	if c.Method == "resources/subscribe" {
		f.mu.Lock()
		full := len(f.subs) >= maxSubscriptions
		f.mu.Unlock()
		if full {
			return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("too many subscriptions on this session (limit %d)", maxSubscriptions)}
		}
	}
	res, err := f.forward(ctx, c.Server, c.Method, c.Params)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if c.Method == "resources/subscribe" {
		f.subs[key] = struct{}{}
	} else {
		delete(f.subs, key)
	}
	f.mu.Unlock()
	return res, nil
}

func (f *Front) complete(ctx context.Context, c *plugin.Call) ([]byte, error) {
	params := c.Params
	if it, ok := f.g.Snapshot().Lookup(catalog.Prompts, c.Name); ok && it.Server == c.Server && it.Name != it.Exposed {
		ref, _ := jsonrpc.Get(params, "ref")
		ref, err := jsonrpc.SetField(ref, "name", jsonrpc.AppendString(nil, it.Name))
		if err == nil {
			params, err = jsonrpc.SetField(params, "ref", ref)
		}
		if err != nil {
			return nil, invalidParams("params.ref: %v", err)
		}
	}
	return f.forward(ctx, c.Server, c.Method, params)
}

func (f *Front) setLevel(ctx context.Context, c *plugin.Call) ([]byte, error) {
	lvl, err := stringField(c.Params, "level")
	if err != nil {
		return nil, err
	}
	if logLevelRank(lvl) < 0 {
		return nil, invalidParams("logging/setLevel: unknown level %q (use one of %s)", lvl, strings.Join(logLevels, ", "))
	}
	f.mu.Lock()
	f.logLevel = lvl
	f.mu.Unlock()
	for _, b := range f.g.set().backends {
		b.mu.Lock()
		if !b.perClient {
			b.logLevel = c.Params // re-applied when the shared session restarts
		}
		has, _ := jsonrpc.Get(b.caps, "logging")
		b.mu.Unlock()
		if has == nil {
			continue
		}
		if _, err := f.forward(ctx, b.cfg.Name, c.Method, c.Params); err != nil {
			b.log.Warn("logging/setLevel failed on a backend", "err", err)
		}
	}
	return []byte("{}"), nil
}

func (f *Front) listTasks(ctx context.Context, c *plugin.Call) ([]byte, error) {
	var all []json.RawMessage
	for _, b := range f.g.set().backends {
		b.mu.Lock()
		has, _ := jsonrpc.Get(b.caps, "tasks")
		b.mu.Unlock()
		if has == nil {
			continue
		}
		// Every page of every backend: task lists are short-lived and
		// small, and one merged list needs no composite cursor.
		els, _, err := fetchPages("tasks", func(params []byte) ([]byte, error) {
			return f.forward(ctx, b.cfg.Name, c.Method, params)
		})
		if err != nil {
			b.log.Warn("tasks/list failed on a backend", "err", err)
			continue
		}
		for _, e := range els {
			all = append(all, e)
			if id, err := stringField(e, "taskId"); err == nil {
				f.mu.Lock()
				if _, ok := f.tasks[id]; !ok && len(f.tasks) < maxTasks {
					f.tasks[id] = b.cfg.Name
				}
				f.mu.Unlock()
			}
		}
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	return json.Marshal(map[string]any{"tasks": all})
}

// initializeResult answers a client's initialize.
func (g *Gateway) initializeResult(version string) []byte {
	res := map[string]any{
		"protocolVersion": version,
		"capabilities":    json.RawMessage(g.capabilities()),
		"serverInfo":      json.RawMessage(g.serverInfo),
	}
	if instr := g.instructions(); instr != "" {
		res["instructions"] = instr
	}
	b, _ := json.Marshal(res)
	return b
}

// capabilities is the union of what the backends offer, with list_changed
// always on (the gateway follows every backend's changes).
func (g *Gateway) capabilities() []byte {
	caps := map[string]any{"tools": map[string]any{}}
	for _, b := range g.set().backends {
		b.mu.Lock()
		raw := b.caps
		b.mu.Unlock()
		if raw != nil {
			var m map[string]any
			if json.Unmarshal(raw, &m) == nil {
				mergeCaps(caps, m)
			}
		}
	}
	for _, k := range []string{"tools", "prompts", "resources"} {
		if m, ok := caps[k].(map[string]any); ok {
			m["listChanged"] = true
		}
	}
	b, _ := json.Marshal(caps)
	return b
}

// instructions joins the backends' instructions, each under its server.
func (g *Gateway) instructions() string {
	var instr []string
	for _, b := range g.set().backends {
		b.mu.Lock()
		ins := b.instr
		b.mu.Unlock()
		if s, err := jsonrpc.String(ins); err == nil && s != "" {
			instr = append(instr, fmt.Sprintf("Server %s (tools prefixed %q):\n%s", b.cfg.Name, b.cfg.Prefix+g.sep, s))
		}
	}
	return strings.Join(instr, "\n\n")
}

// mergeCaps merges capability objects: objects are unioned key by key,
// true wins over false, and the first value wins otherwise.
func mergeCaps(dst, src map[string]any) {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sv := src[k]
		dv, ok := dst[k]
		if !ok {
			if sm, isMap := sv.(map[string]any); isMap {
				cp := map[string]any{}
				mergeCaps(cp, sm)
				dst[k] = cp
			} else {
				dst[k] = sv
			}
			continue
		}
		switch d := dv.(type) {
		case map[string]any:
			if sm, isMap := sv.(map[string]any); isMap {
				mergeCaps(d, sm)
			}
		case bool:
			if sb, isBool := sv.(bool); isBool && sb {
				dst[k] = true
			}
		}
	}
}
