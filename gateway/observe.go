package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
)

// CallObserver sees every client request once its answer is ready: the
// audit trail, metrics. CallDone runs on the call path and must be quick;
// it may keep r.
type CallObserver interface {
	CallDone(ctx context.Context, r *audit.Record)
}

// Observers fans a record out to several observers, in order.
type Observers []CallObserver

// CallDone calls every observer.
func (os Observers) CallDone(ctx context.Context, r *audit.Record) {
	for _, o := range os {
		o.CallDone(ctx, r)
	}
}

// unobserved are the requests that are not recorded: keep-alives.
var unobserved = map[string]bool{"ping": true}

// requestIDs makes request ids unique across processes: a random prefix
// per process and a counter.
var requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func init() {
	var b [6]byte
	_, _ = rand.Read(b[:])
	requestIDs.prefix = hex.EncodeToString(b[:]) + "-"
}

func newRequestID() string {
	var buf [32]byte
	out := append(buf[:0], requestIDs.prefix...)
	out = strconv.AppendUint(out, requestIDs.n.Add(1), 36)
	return string(out)
}

// beginRecord starts the record of a request.
func (f *Front) beginRecord(ctx context.Context, r *inflightReq, m jsonrpc.Message) (context.Context, *audit.Record) {
	if (f.g.opts.Observer == nil && f.g.opts.Tracer == nil) || unobserved[m.Method] {
		return ctx, nil
	}
	rec := &audit.Record{
		RequestID: newRequestID(),
		Time:      time.Now(),
		Principal: f.sess.Principal,
		Client:    f.sess.ClientName,
		Session:   f.sess.ID,
		Method:    m.Method,
		BytesIn:   len(m.Raw),
	}
	if f.g.opts.Tracer != nil {
		ctx, r.span = f.g.opts.Tracer.StartCall(ctx, m.Method, m.Params)
		rec.TraceID = r.span.TraceID()
	}
	return audit.WithRecord(ctx, rec), rec
}

// endRecord completes rec with how the request ended and hands it to the
// observer. err is the call's error and errObj the JSON-RPC error object
// sent (nil for a result).
func (f *Front) endRecord(ctx context.Context, rec *audit.Record, r *inflightReq, params, res []byte, err error, errObj []byte, out int) {
	if rec == nil {
		return
	}
	rec.Duration = time.Since(rec.Time)
	if rec.Client == "" {
		rec.Client = f.sess.ClientName // initialize sets it during the call
	}
	f.mu.Lock()
	rec.Server, rec.Name = r.server, r.name
	rec.Status, rec.Plugin, rec.Cached = r.status, r.plugin, r.cached
	f.mu.Unlock()
	if raw := argumentsOf(rec.Method, params); raw != nil {
		sum := sha256.Sum256(raw)
		rec.ArgsDigest = hex.EncodeToString(sum[:16])
		if f.g.opts.AuditArguments {
			rec.Args = append([]byte(nil), raw...)
		}
	}
	rec.BytesOut = out
	switch {
	case r.cancelled.Load():
		rec.Status = audit.StatusCancelled
	case errObj != nil:
		rec.Code = jsonrpc.ErrorCode(errObj)
		if pe := (*plugin.Error)(nil); errors.As(err, &pe) {
			rec.Plugin = pe.Plugin
		}
		if msg, _ := jsonrpc.Get(errObj, "message"); msg != nil {
			rec.Error, _ = jsonrpc.String(msg)
		}
		switch rec.Code {
		case plugin.CodeBlocked:
			rec.Status = audit.StatusBlocked
		case plugin.CodeDenied:
			rec.Status = audit.StatusDenied
		case plugin.CodeRateLimited:
			rec.Status = audit.StatusRateLimited
		default:
			rec.Status = audit.StatusError
		}
	case rec.Status == audit.StatusBlocked:
		// refused with a result by a guardrail (set by callChain)
		if text := firstText(res); text != "" {
			rec.Error = text
		}
	case rec.Method == "tools/call" && isErrorResult(res):
		rec.Status = audit.StatusToolError
	default:
		rec.Status = audit.StatusOK
	}
	if r.span != nil {
		r.span.SetCall(rec.Server, rec.Name)
		r.span.End(rec)
	}
	if f.g.opts.Observer != nil {
		f.g.opts.Observer.CallDone(ctx, rec)
	}
}

// argumentsOf returns the raw arguments of a call that has them.
func argumentsOf(method string, params []byte) []byte {
	switch method {
	case "tools/call", "prompts/get":
		v, _ := jsonrpc.Get(params, "arguments")
		return v
	}
	return nil
}

// isErrorResult reports whether a tools/call result has isError: true.
func isErrorResult(res []byte) bool {
	v, _ := jsonrpc.Get(res, "isError")
	return string(v) == "true"
}

// firstText returns the text of a result's first text content.
func firstText(res []byte) string {
	content, _ := jsonrpc.Get(res, "content")
	items, _ := jsonrpc.Elements(content)
	if len(items) == 0 {
		return ""
	}
	text, _ := jsonrpc.Get(items[0], "text")
	s, _ := jsonrpc.String(text)
	return s
}

// Catalogued reports whether name is in the current catalog as what method
// works on (a tool for tools/call, a prompt for prompts/get, a listed
// resource for resources/*), offered by server. Metrics use it to keep
// their labels bounded.
func (g *Gateway) Catalogued(method, server, name string) bool {
	var k catalog.Kind
	switch method {
	case "tools/call":
		k = catalog.Tools
	case "prompts/get":
		k = catalog.Prompts
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		k = catalog.Resources
	default:
		return false
	}
	it, ok := g.Snapshot().Lookup(k, name)
	return ok && it.Server == server
}

// SessionCount returns the number of client sessions open.
func (g *Gateway) SessionCount() int {
	g.frontsMu.Lock()
	defer g.frontsMu.Unlock()
	return len(g.fronts)
}

// Tracing reports whether the gateway traces calls (Options.Tracer).
func (g *Gateway) Tracing() bool { return g.opts.Tracer != nil }
