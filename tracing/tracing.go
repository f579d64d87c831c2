// Package tracing gives every client call that passes through the gateway
// one OpenTelemetry span, exported over OTLP/HTTP, and carries W3C trace
// context in (from the client) and out (to the backend).
//
// Configuration is the standard OTEL_* environment only; see [FromEnv] and
// README.md. When tracing is off, [FromEnv] returns a nil *[Tracer]; every
// method of a nil *Tracer and of a nil *[Span] is a no-op that allocates
// nothing, so the call path can use them unconditionally:
//
//	ctx = tr.Extract(ctx, req.Header)            // HTTP front only
//	ctx, sp := tr.StartCall(ctx, msg.Method, msg.Params)
//	rec.TraceID = sp.TraceID()
//	...routing...
//	sp.SetCall(server, name)
//	params, err = tracing.InjectMeta(params, sp.Traceparent(), sp.Tracestate())
//	...backend hop, HTTP header "traceparent" = sp.Traceparent()...
//	sp.End(&rec)
//
// Trace context inside a message follows the MCP convention of the
// OpenTelemetry semantic conventions: params._meta.traceparent and
// params._meta.tracestate hold the W3C header values.
package tracing

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// DefaultServiceName is the resource's service.name when neither
// OTEL_SERVICE_NAME nor a service.name in OTEL_RESOURCE_ATTRIBUTES is set.
const DefaultServiceName = "mcp-gateway"

// ScopeName is the instrumentation scope of the gateway's spans.
const ScopeName = "github.com/mcpgw/mcp-gateway/tracing"

// Span attribute keys. The mcp.*, gen_ai.*, rpc.*, error.type and
// enduser.id keys are those of the OpenTelemetry semantic conventions (the
// MCP ones are at Development stability); mcp_gateway.* are the gateway's
// own, for what the conventions do not cover.
const (
	AttrMethod        = attribute.Key("mcp.method.name")
	AttrSession       = attribute.Key("mcp.session.id")
	AttrResourceURI   = attribute.Key("mcp.resource.uri")
	AttrToolName      = attribute.Key("gen_ai.tool.name")
	AttrPromptName    = attribute.Key("gen_ai.prompt.name")
	AttrOperation     = attribute.Key("gen_ai.operation.name")
	AttrStatusCode    = attribute.Key("rpc.response.status_code")
	AttrErrorType     = attribute.Key("error.type")
	AttrPrincipal     = attribute.Key("enduser.id")
	AttrServer        = attribute.Key("mcp_gateway.server")
	AttrName          = attribute.Key("mcp_gateway.name")
	AttrStatus        = attribute.Key("mcp_gateway.status")
	AttrClient        = attribute.Key("mcp_gateway.client.name")
	AttrRequestID     = attribute.Key("mcp_gateway.request_id")
	AttrBytesIn       = attribute.Key("mcp_gateway.request.size")
	AttrBytesOut      = attribute.Key("mcp_gateway.response.size")
	AttrCached        = attribute.Key("mcp_gateway.cached")
	AttrPlugin        = attribute.Key("mcp_gateway.plugin")
	operationExecTool = "execute_tool"
)

// OtherSpanName names the span of a call whose method is not a known MCP
// method (its mcp.method.name attribute still holds the method), so that a
// client cannot create arbitrarily many span names.
const OtherSpanName = "_OTHER"

// Options configures [FromEnv]. Everything else comes from the environment.
type Options struct {
	// ServiceVersion is the resource's service.version ("" to leave it
	// out; a service.version in OTEL_RESOURCE_ATTRIBUTES takes precedence).
	ServiceVersion string
	// Log receives a line when tracing starts and the OpenTelemetry SDK's
	// errors (failed exports, at most one line per 10 s). When set, FromEnv
	// installs it as the process-wide OpenTelemetry error handler
	// (otel.SetErrorHandler). Nil: the SDK's default handler is kept.
	Log *slog.Logger
}

// Tracer starts the gateway's spans. A nil *Tracer is valid: tracing is off
// and every method is a no-op. A Tracer is safe for concurrent use.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

// Span is the span of one call. A nil *Span is valid (tracing off) and all
// its methods are no-ops. Its methods may be called from any goroutine.
type Span struct {
	span   trace.Span
	method string

	mu           sync.Mutex
	server, name string // from SetCall, recorded by End
}

// Environment variables read by FromEnv itself (the SDK and the exporter
// read the others).
const (
	envSDKDisabled     = "OTEL_SDK_DISABLED"
	envExporter        = "OTEL_TRACES_EXPORTER"
	envEndpoint        = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envTracesEndpoint  = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envProtocol        = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envTracesProtocol  = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envSampler         = "OTEL_TRACES_SAMPLER"
	envSamplerArg      = "OTEL_TRACES_SAMPLER_ARG"
	defaultOTLPTraces  = "https://localhost:4318/v1/traces"
	protocolProtobuf   = "http/protobuf"
	protocolJSON       = "http/json"
	errorLogInterval   = 10 * time.Second
	supportedExporters = `"otlp" or "none"`
)

func getenv(k string) string { return strings.TrimSpace(os.Getenv(k)) }

// FromEnv returns the gateway's Tracer as the standard OpenTelemetry
// environment variables configure it, or nil (and a nil error) when tracing
// is off.
//
// Tracing is off when OTEL_SDK_DISABLED is "true" or OTEL_TRACES_EXPORTER is
// "none". It is on when OTEL_TRACES_EXPORTER is "otlp", or when
// OTEL_TRACES_EXPORTER is unset and OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; any other OTEL_TRACES_EXPORTER
// value is an error.
//
// Spans go through a batch span processor (OTEL_BSP_*) to an OTLP/HTTP
// exporter that reads OTEL_EXPORTER_OTLP_[TRACES_]{ENDPOINT, HEADERS,
// TIMEOUT, COMPRESSION, INSECURE, CERTIFICATE, CLIENT_CERTIFICATE,
// CLIENT_KEY, PROTOCOL} itself. The protocol must be http/protobuf (the
// default) or http/json: grpc is not built in and is an error, as is an
// endpoint that is not an http or https URL. The resource has service.name
// from OTEL_SERVICE_NAME (default "mcp-gateway"), the attributes of
// OTEL_RESOURCE_ATTRIBUTES, service.version from o, and the SDK and host
// attributes. The sampler is the SDK's, from OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on); FromEnv rejects
// values the SDK would ignore.
//
// Call [Tracer.Shutdown] before exiting to flush the last spans.
func FromEnv(ctx context.Context, o Options) (*Tracer, error) {
	on, err := enabledFromEnv()
	if err != nil || !on {
		return nil, err
	}
	if err := checkProtocol(); err != nil {
		return nil, err
	}
	endpoint, err := checkEndpoints()
	if err != nil {
		return nil, err
	}
	if err := checkSampler(); err != nil {
		return nil, err
	}
	res, err := newResource(ctx, o.ServiceVersion)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	if o.Log != nil {
		otel.SetErrorHandler(newErrorLogger(o.Log))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
	)
	if o.Log != nil {
		name := ""
		for _, kv := range res.Attributes() {
			if kv.Key == "service.name" {
				name = kv.Value.AsString()
			}
		}
		o.Log.Info("tracing on", "exporter", "otlp", "endpoint", endpoint, "service", name)
	}
	return &Tracer{
		tp:     tp,
		tracer: tp.Tracer(ScopeName, trace.WithInstrumentationVersion(o.ServiceVersion)),
	}, nil
}

// enabledFromEnv applies the on/off rules of FromEnv.
func enabledFromEnv() (bool, error) {
	if strings.EqualFold(getenv(envSDKDisabled), "true") {
		return false, nil
	}
	v := getenv(envExporter)
	if v == "" {
		return getenv(envEndpoint) != "" || getenv(envTracesEndpoint) != "", nil
	}
	// The variable is a comma-separated list; the only lists this build
	// supports are "otlp" and "none" (each possibly repeated).
	var otlp, none bool
	for e := range strings.SplitSeq(v, ",") {
		switch e = strings.ToLower(strings.TrimSpace(e)); e {
		case "otlp":
			otlp = true
		case "none":
			none = true
		case "":
		default:
			return false, fmt.Errorf("tracing: unsupported %s value %q: supported values are %s", envExporter, e, supportedExporters)
		}
	}
	switch {
	case otlp && none:
		return false, fmt.Errorf("tracing: %s=%q: \"none\" cannot be combined with another exporter", envExporter, v)
	case otlp:
		return true, nil
	case none:
		return false, nil
	}
	return false, fmt.Errorf("tracing: %s=%q names no exporter: supported values are %s", envExporter, v, supportedExporters)
}

// checkProtocol accepts the OTLP protocols the HTTP exporter speaks. The
// signal-specific variable takes precedence, as it does for the exporter.
func checkProtocol() error {
	name, v := envTracesProtocol, getenv(envTracesProtocol)
	if v == "" {
		name, v = envProtocol, getenv(envProtocol)
	}
	switch v {
	case "", protocolProtobuf, protocolJSON:
		return nil
	case "grpc":
		return fmt.Errorf("tracing: %s=grpc is not supported: this gateway exports OTLP over HTTP only; set %s=%s and point the endpoint at the collector's OTLP/HTTP port (usually 4318)", name, name, protocolProtobuf)
	}
	return fmt.Errorf("tracing: unsupported %s value %q: supported values are %q and %q", name, v, protocolProtobuf, protocolJSON)
}

// checkEndpoints rejects endpoint URLs the exporter would silently misuse
// and returns the URL spans are sent to, for the log.
func checkEndpoints() (string, error) {
	target := defaultOTLPTraces
	for _, name := range []string{envEndpoint, envTracesEndpoint} {
		v := getenv(name)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil {
			return "", fmt.Errorf("tracing: %s: %w", name, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("tracing: %s=%q must be an http:// or https:// URL with a host (e.g. http://localhost:4318)", name, v)
		}
		if name == envEndpoint {
			target = strings.TrimSuffix(v, "/") + "/v1/traces"
		} else {
			target = v
		}
	}
	return target, nil
}

// checkSampler validates OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG,
// which sdktrace.NewTracerProvider reads itself: it only reports bad values
// to the global error handler and falls back to its default, so they are
// refused here instead.
func checkSampler() error {
	s := strings.ToLower(getenv(envSampler))
	switch s {
	case "", "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
		return nil
	case "traceidratio", "parentbased_traceidratio":
		arg := getenv(envSamplerArg)
		if arg == "" {
			return nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return fmt.Errorf("tracing: %s=%q must be a ratio between 0 and 1 for %s=%s", envSamplerArg, arg, envSampler, s)
		}
		return nil
	}
	return fmt.Errorf("tracing: unsupported %s value %q: supported values are always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off and parentbased_traceidratio", envSampler, s)
}

// newResource builds the resource: defaults first, environment last, so
// that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults.
func newResource(ctx context.Context, version string) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("service.name", DefaultServiceName)}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attrs...),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME): %w", err)
	}
	return res, nil
}

// errorLogger logs the SDK's errors, at most one line per errorLogInterval
// (a collector that is down fails every export).
type errorLogger struct {
	log        *slog.Logger
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newErrorLogger(l *slog.Logger) *errorLogger { return &errorLogger{log: l} }

func (e *errorLogger) Handle(err error) {
	e.mu.Lock()
	now := time.Now()
	if !e.last.IsZero() && now.Sub(e.last) < errorLogInterval {
		e.suppressed++
		e.mu.Unlock()
		return
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	e.mu.Unlock()
	if n > 0 {
		e.log.Warn("tracing error", "err", err, "suppressed", n)
	} else {
		e.log.Warn("tracing error", "err", err)
	}
}

// Shutdown flushes the spans not yet exported and stops the exporter; ctx
// bounds how long it waits for the collector. Spans ended afterwards are
// dropped. Nil receiver: no-op.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// Extract returns ctx carrying the remote span context of the W3C
// traceparent (and tracestate) headers in h, for [Tracer.StartCall] to use
// as parent when the message itself carries none. Missing or malformed
// headers leave ctx as it is. Nil receiver: returns ctx.
func (t *Tracer) Extract(ctx context.Context, h http.Header) context.Context {
	if t == nil || len(h) == 0 {
		return ctx
	}
	return extractHeader(ctx, h)
}

func extractHeader(ctx context.Context, h http.Header) context.Context {
	return propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(h))
}

// StartCall starts the server-kind span of one client call and returns it
// with a ctx that carries it. The span is named after method (see
// [Span.SetCall] for the target suffix; methods that are not MCP methods
// are named [OtherSpanName]).
//
// The parent is the W3C trace context in params._meta.traceparent and
// params._meta.tracestate when the client sent a valid one (the span in ctx,
// if any, then becomes a link); otherwise the span in ctx (such as one
// [Tracer.Extract] put there from HTTP headers); otherwise the span is a
// root. A malformed traceparent, or a _meta that cannot be read, counts as
// absent: never an error. params is read, never kept or changed.
//
// Nil receiver: returns ctx and a nil *Span.
func (t *Tracer) StartCall(ctx context.Context, method string, params []byte) (context.Context, *Span) {
	if t == nil { // kept small enough to inline: tracing off costs a nil check
		return ctx, nil
	}
	return t.startCall(ctx, method, params)
}

func (t *Tracer) startCall(ctx context.Context, method string, params []byte) (context.Context, *Span) {
	opts := make([]trace.SpanStartOption, 0, 3)
	opts = append(opts, serverKind)
	if sc, ok := metaParent(params); ok {
		if cur := trace.SpanContextFromContext(ctx); cur.IsValid() && !cur.Equal(sc) {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: cur}))
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	name := method
	if o, ok := methodOpts[method]; ok {
		opts = append(opts, o)
	} else {
		name = OtherSpanName
		opts = append(opts, trace.WithAttributes(AttrMethod.String(method)))
	}
	ctx, sp := t.tracer.Start(ctx, name, opts...)
	return ctx, &Span{span: sp, method: method}
}

var serverKind trace.SpanStartOption = trace.WithSpanKind(trace.SpanKindServer)

// methodOpts holds the MCP methods whose name may name a span, with their
// span start attributes (built once: they depend on the method only).
var methodOpts = map[string]trace.SpanStartOption{}

func init() {
	for _, m := range []string{
		"initialize", "ping",
		"tools/list", "tools/call",
		"resources/list", "resources/templates/list", "resources/read",
		"resources/subscribe", "resources/unsubscribe",
		"prompts/list", "prompts/get",
		"completion/complete", "logging/setLevel",
		"sampling/createMessage", "elicitation/create", "roots/list",
		"server/discover", "subscriptions/listen",
		"tasks/get", "tasks/list", "tasks/result", "tasks/cancel",
		"notifications/initialized", "notifications/cancelled",
		"notifications/progress", "notifications/message",
		"notifications/roots/list_changed",
		"notifications/resources/list_changed", "notifications/resources/updated",
		"notifications/tools/list_changed", "notifications/prompts/list_changed",
		"notifications/elicitation/complete", "notifications/tasks/status",
		"notifications/subscriptions/acknowledged",
	} {
		if m == "tools/call" {
			methodOpts[m] = trace.WithAttributes(AttrMethod.String(m), AttrOperation.String(operationExecTool))
		} else {
			methodOpts[m] = trace.WithAttributes(AttrMethod.String(m))
		}
	}
}

// metaCarrier is a TextMapCarrier over the two values read from _meta.
type metaCarrier struct{ traceparent, tracestate string }

func (c metaCarrier) Get(k string) string {
	switch k {
	case "traceparent":
		return c.traceparent
	case "tracestate":
		return c.tracestate
	}
	return ""
}
func (metaCarrier) Set(string, string) {}
func (metaCarrier) Keys() []string     { return []string{"traceparent", "tracestate"} }

var metaKey = []byte(`"_meta"`)

// metaParent returns the valid remote span context in params._meta.
func metaParent(params []byte) (trace.SpanContext, bool) {
	// jsonrpc.Get finds only an unescaped "_meta" key (escaped or other-case
	// spellings are errors, which count as absent): without those bytes
	// there is nothing to find, and the scan of large arguments is saved.
	if !bytes.Contains(params, metaKey) {
		return trace.SpanContext{}, false
	}
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil || len(meta) == 0 || meta[0] != '{' {
		return trace.SpanContext{}, false
	}
	vals, err := jsonrpc.Lookup(meta, "traceparent", "tracestate")
	if err != nil || vals[0] == nil {
		return trace.SpanContext{}, false
	}
	var c metaCarrier
	if c.traceparent, err = jsonrpc.String(vals[0]); err != nil {
		return trace.SpanContext{}, false
	}
	if vals[1] != nil {
		c.tracestate, _ = jsonrpc.String(vals[1]) // a bad tracestate never spoils the traceparent
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
	return sc, sc.IsValid()
}

// SetCall records where the call was routed: server is the backend
// (attribute mcp_gateway.server), name the tool or prompt name or the
// resource URI, recorded as gen_ai.tool.name (tools/call), gen_ai.prompt.name
// (prompts/get), mcp.resource.uri (resources/read, resources/subscribe,
// resources/unsubscribe) or mcp_gateway.name (other methods). Empty
// arguments are left out. When the call was routed (server not empty) the
// span of a tools/call or prompts/get is renamed "{method} {name}", as the
// semantic conventions recommend; names of unrouted calls come from the
// client and stay out of the span name. The attributes are set when the
// span ends (non-empty Record.Server and Record.Name given to End take
// precedence). Nil receiver: no-op.
func (s *Span) SetCall(server, name string) {
	if s == nil {
		return
	}
	s.setCall(server, name)
}

func (s *Span) setCall(server, name string) {
	s.mu.Lock()
	if server != "" {
		s.server = server
	}
	if name != "" {
		s.name = name
	}
	s.mu.Unlock()
}

func targetKey(method string) attribute.Key {
	switch method {
	case "tools/call":
		return AttrToolName
	case "prompts/get":
		return AttrPromptName
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		return AttrResourceURI
	}
	return AttrName
}

// TraceID returns the span's trace id in hex (for audit.Record.TraceID),
// "" for a nil Span.
func (s *Span) TraceID() string {
	if s == nil {
		return ""
	}
	return s.traceID()
}

func (s *Span) traceID() string {
	sc := s.span.SpanContext()
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}

// Traceparent returns the W3C traceparent of this span, the parent of the
// backend hop: "00-{trace id}-{span id}-{flags}". "" for a nil Span.
func (s *Span) Traceparent() string {
	if s == nil {
		return ""
	}
	return s.traceparent()
}

func (s *Span) traceparent() string {
	sc := s.span.SpanContext()
	if !sc.IsValid() {
		return ""
	}
	const hexDigits = "0123456789abcdef"
	var b [55]byte
	b[0], b[1], b[2] = '0', '0', '-'
	tid, sid := sc.TraceID(), sc.SpanID()
	for i, c := range tid {
		b[3+2*i], b[4+2*i] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	b[35] = '-'
	for i, c := range sid {
		b[36+2*i], b[37+2*i] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	b[52] = '-'
	f := byte(sc.TraceFlags())
	b[53], b[54] = hexDigits[f>>4], hexDigits[f&0xf]
	return string(b[:])
}

// Tracestate returns the W3C tracestate of this span (inherited from its
// parent), "" when empty or for a nil Span.
func (s *Span) Tracestate() string {
	if s == nil {
		return ""
	}
	return s.tracestate()
}

func (s *Span) tracestate() string {
	ts := s.span.SpanContext().TraceState()
	if ts.Len() == 0 {
		return ""
	}
	return ts.String()
}

// End sets the span's attributes from the call's audit record r (nil: none)
// and ends the span. It records mcp_gateway.status, rpc.response.status_code
// (r.Code, when not 0), error.type (the code, or the status when there is
// none, for calls that did not end ok), enduser.id (r.Principal),
// mcp.session.id, mcp_gateway.client.name, mcp_gateway.request_id,
// mcp_gateway.request.size and response.size (r.BytesIn, r.BytesOut),
// mcp_gateway.cached and mcp_gateway.plugin when set, and r.Server and
// r.Name (or those given to [Span.SetCall]) as SetCall describes. A status other than ok sets the span status
// to Error, described by r.Error (or the status). r is read, never changed.
// Calls after the first End are ignored. Nil receiver: no-op.
func (s *Span) End(r *audit.Record) {
	if s == nil {
		return
	}
	s.end(r)
}

func (s *Span) end(r *audit.Record) {
	if s.span.IsRecording() {
		s.mu.Lock()
		server, name := s.server, s.name
		s.mu.Unlock()
		if r != nil {
			server, name = cmp.Or(r.Server, server), cmp.Or(r.Name, name)
		}
		// One SetAttributes call: the SDK grows its attribute slice per call.
		attrs := make([]attribute.KeyValue, 0, 16)
		if server != "" {
			attrs = append(attrs, AttrServer.String(server))
		}
		if name != "" {
			attrs = append(attrs, targetKey(s.method).String(name))
		}
		if server != "" && name != "" && (s.method == "tools/call" || s.method == "prompts/get") {
			s.span.SetName(s.method + " " + name)
		}
		if r != nil {
			attrs = appendRecordAttrs(attrs, r)
			if r.Status != "" && r.Status != audit.StatusOK {
				s.span.SetStatus(codes.Error, cmp.Or(r.Error, string(r.Status)))
			}
		}
		s.span.SetAttributes(attrs...)
	}
	s.span.End()
}

func appendRecordAttrs(attrs []attribute.KeyValue, r *audit.Record) []attribute.KeyValue {
	if r.Status != "" {
		attrs = append(attrs, AttrStatus.String(string(r.Status)))
	}
	code := ""
	if r.Code != 0 {
		code = strconv.Itoa(r.Code)
		attrs = append(attrs, AttrStatusCode.String(code))
	}
	if r.Status != "" && r.Status != audit.StatusOK {
		if code == "" {
			code = string(r.Status)
		}
		attrs = append(attrs, AttrErrorType.String(code))
	}
	for _, kv := range [...]struct {
		k attribute.Key
		v string
	}{
		{AttrPrincipal, r.Principal},
		{AttrSession, r.Session},
		{AttrClient, r.Client},
		{AttrRequestID, r.RequestID},
		{AttrPlugin, r.Plugin},
	} {
		if kv.v != "" {
			attrs = append(attrs, kv.k.String(kv.v))
		}
	}
	attrs = append(attrs, AttrBytesIn.Int(r.BytesIn), AttrBytesOut.Int(r.BytesOut))
	if r.Cached {
		attrs = append(attrs, AttrCached.Bool(true))
	}
	return attrs
}

// InjectMeta returns params with _meta.traceparent set to traceparent and,
// when tracestate is not empty, _meta.tracestate set to it (an existing
// _meta.tracestate is emptied otherwise, so that a stale one never travels
// with a new traceparent). Every other field of params and every other
// member of _meta is kept byte for byte; existing values are replaced in
// place, absent ones added first. params may be nil or empty (the result is
// then a new object) or an object without _meta (or with "_meta": null).
//
// An empty traceparent (tracing off, nil Span) returns params unchanged. It
// is an error when params is not a valid JSON object, when _meta is not an
// object, or when _meta, traceparent or tracestate appear twice or in another
// letter case (which a backend might read instead of the gateway's value).
func InjectMeta(params []byte, traceparent, tracestate string) ([]byte, error) {
	if traceparent == "" {
		return params, nil
	}
	if len(bytes.TrimSpace(params)) == 0 {
		out := make([]byte, 0, 32+len(traceparent)+len(tracestate))
		out = append(out, `{"_meta":`...)
		out = appendMeta(out, traceparent, tracestate)
		return append(out, '}'), nil
	}
	if err := jsonrpc.Valid(params); err != nil {
		return nil, fmt.Errorf("tracing: params: %w", err)
	}
	meta, err := jsonrpc.Get(params, "_meta")
	if err != nil {
		return nil, fmt.Errorf("tracing: params: %w", err)
	}
	var newMeta []byte
	switch {
	case meta == nil || string(meta) == "null":
		newMeta = appendMeta(nil, traceparent, tracestate)
	case meta[0] != '{':
		return nil, errors.New("tracing: params._meta is not an object")
	default:
		cur, err := jsonrpc.Lookup(meta, "traceparent", "tracestate")
		if err != nil {
			return nil, fmt.Errorf("tracing: params._meta: %w", err)
		}
		newMeta, err = jsonrpc.SetField(meta, "traceparent", jsonrpc.AppendString(nil, traceparent))
		if err != nil {
			return nil, fmt.Errorf("tracing: params._meta: %w", err)
		}
		switch {
		case tracestate != "":
			newMeta, err = jsonrpc.SetField(newMeta, "tracestate", jsonrpc.AppendString(nil, tracestate))
		case cur[1] != nil:
			newMeta, err = jsonrpc.SetField(newMeta, "tracestate", []byte(`""`))
		}
		if err != nil {
			return nil, fmt.Errorf("tracing: params._meta: %w", err)
		}
	}
	out, err := jsonrpc.SetField(params, "_meta", newMeta)
	if err != nil {
		return nil, fmt.Errorf("tracing: params: %w", err)
	}
	return out, nil
}

func appendMeta(dst []byte, traceparent, tracestate string) []byte {
	dst = append(dst, `{"traceparent":`...)
	dst = jsonrpc.AppendString(dst, traceparent)
	if tracestate != "" {
		dst = append(dst, `,"tracestate":`...)
		dst = jsonrpc.AppendString(dst, tracestate)
	}
	return append(dst, '}')
}
