package tracing

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/mcpgw/mcp-gateway/audit"
)

const (
	inTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	inSpan  = "00f067aa0ba902b7"
	hdTrace = "0af7651916cd43dd8448eb211c80319c"
	hdSpan  = "b7ad6b7169203331"
)

var discard = slog.New(slog.DiscardHandler)

func startTracer(t testing.TB) *Tracer {
	t.Helper()
	tr, err := FromEnv(context.Background(), Options{ServiceVersion: "1.2.3", Log: discard})
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if tr == nil {
		t.Fatal("FromEnv returned a nil Tracer with tracing configured")
	}
	return tr
}

func shutdown(t testing.TB, tr *Tracer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// spanID returns the span id part of a traceparent.
func spanID(t *testing.T, tp string) string {
	t.Helper()
	parts := strings.Split(tp, "-")
	if len(parts) != 4 || parts[0] != "00" || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		t.Fatalf("malformed traceparent %q", tp)
	}
	return parts[2]
}

// byID indexes received spans by span id.
func byID(spans []gotSpan) map[string]gotSpan {
	m := make(map[string]gotSpan, len(spans))
	for _, s := range spans {
		m[hexID(s.SpanId)] = s
	}
	return m
}

type wantSpan struct {
	name     string
	trace    string // "" = do not check
	parent   string // "" = root
	attrs    map[string]string
	absent   []string
	status   tracepb.Status_StatusCode
	message  string
	links    []string // trace ids of links
	traceSt  string
	wantRoot bool
}

func checkSpan(t *testing.T, label string, s gotSpan, w wantSpan) {
	t.Helper()
	if s.Span == nil {
		t.Errorf("%s: span not received", label)
		return
	}
	if s.Name != w.name {
		t.Errorf("%s: name %q, want %q", label, s.Name, w.name)
	}
	if s.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("%s: kind %v, want SERVER", label, s.Kind)
	}
	if w.trace != "" && hexID(s.TraceId) != w.trace {
		t.Errorf("%s: trace id %s, want %s", label, hexID(s.TraceId), w.trace)
	}
	if got := hexID(s.ParentSpanId); got != w.parent {
		t.Errorf("%s: parent span id %q, want %q", label, got, w.parent)
	}
	got := attrMap(s.Attributes)
	for k, v := range w.attrs {
		if got[k] != v {
			t.Errorf("%s: attribute %s = %q, want %q (all: %v)", label, k, got[k], v, got)
		}
	}
	for _, k := range w.absent {
		if v, ok := got[k]; ok {
			t.Errorf("%s: attribute %s = %q, want absent", label, k, v)
		}
	}
	if c := s.GetStatus().GetCode(); c != w.status {
		t.Errorf("%s: status %v, want %v", label, c, w.status)
	}
	if m := s.GetStatus().GetMessage(); m != w.message {
		t.Errorf("%s: status message %q, want %q", label, m, w.message)
	}
	var links []string
	for _, l := range s.Links {
		links = append(links, hexID(l.TraceId))
	}
	if fmt.Sprint(links) != fmt.Sprint(w.links) {
		t.Errorf("%s: links %v, want %v", label, links, w.links)
	}
	if s.TraceState != w.traceSt {
		t.Errorf("%s: trace state %q, want %q", label, s.TraceState, w.traceSt)
	}
	if s.StartTimeUnixNano == 0 || s.EndTimeUnixNano < s.StartTimeUnixNano {
		t.Errorf("%s: times %d..%d", label, s.StartTimeUnixNano, s.EndTimeUnixNano)
	}
	if s.Scope != ScopeName {
		t.Errorf("%s: scope %q, want %q", label, s.Scope, ScopeName)
	}
}

func TestExportToOTLPReceiver(t *testing.T) {
	cleanEnv(t)
	rcv := newReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "gw-under-test")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,service.name=overridden-by-OTEL_SERVICE_NAME")
	tr := startTracer(t)
	ctx := context.Background()

	// 1. A tools/call whose client sent W3C trace context in _meta.
	params1 := `{"name":"search","arguments":{"q":"x"},"_meta":{"progressToken":7,` +
		`"traceparent":"00-` + inTrace + `-` + inSpan + `-01","tracestate":"vendor=abc"}}`
	ctx1, sp1 := tr.StartCall(ctx, "tools/call", []byte(params1))
	sp1.SetCall("github", "search")
	if got := sp1.TraceID(); got != inTrace {
		t.Errorf("TraceID() = %q, want the incoming %q", got, inTrace)
	}
	tp1 := sp1.Traceparent()
	id1 := spanID(t, tp1)
	if want := "00-" + inTrace + "-" + id1 + "-01"; tp1 != want || id1 == inSpan {
		t.Errorf("Traceparent() = %q, want %q with a new span id", tp1, want)
	}
	if got := sp1.Tracestate(); got != "vendor=abc" {
		t.Errorf("Tracestate() = %q, want vendor=abc", got)
	}
	if sc := trace.SpanContextFromContext(ctx1); sc.SpanID().String() != id1 {
		t.Errorf("ctx carries span %s, want %s", sc.SpanID(), id1)
	}
	// The backend hop: the gateway injects its own span; a traced backend
	// reading it becomes a child of the gateway span.
	hop, err := InjectMeta([]byte(params1), sp1.Traceparent(), sp1.Tracestate())
	if err != nil {
		t.Fatalf("InjectMeta: %v", err)
	}
	_, back := tr.StartCall(ctx, "tools/call", hop)
	backID := spanID(t, back.Traceparent())
	back.End(nil)
	sp1.End(&audit.Record{
		RequestID: "req-1", Principal: "alice", Client: "claude-code", Session: "sess-1",
		Method: "tools/call", Server: "github", Name: "search", Status: audit.StatusOK,
		BytesIn: 120, BytesOut: 3400, Cached: true,
	})

	// 2. A root resources/read that failed with a JSON-RPC error.
	uri := "file:///etc/motd"
	_, sp2 := tr.StartCall(ctx, "resources/read", []byte(`{"uri":"`+uri+`"}`))
	if sp2.TraceID() == "" || sp2.TraceID() == inTrace {
		t.Errorf("root span trace id %q", sp2.TraceID())
	}
	sp2.SetCall("files", uri)
	sp2.End(&audit.Record{RequestID: "req-2", Status: audit.StatusError, Code: -32603, Error: "backend exploded", Server: "files", Name: uri})
	id2 := spanID(t, sp2.Traceparent())

	// 3. No _meta, parent from the HTTP request's headers; refused by policy;
	// server and name only on the record.
	h := http.Header{}
	h.Set("Traceparent", "00-"+hdTrace+"-"+hdSpan+"-01")
	hctx := tr.Extract(ctx, h)
	_, sp3 := tr.StartCall(hctx, "prompts/get", []byte(`{"name":"summarize"}`))
	sp3.End(&audit.Record{RequestID: "req-3", Status: audit.StatusDenied, Error: "policy says no", Server: "notes", Name: "summarize", Plugin: "policy"})
	id3 := spanID(t, sp3.Traceparent())

	// 4. Both: _meta wins, the HTTP span becomes a link.
	_, sp4 := tr.StartCall(hctx, "tools/call", []byte(params1))
	sp4.End(&audit.Record{RequestID: "req-4", Status: audit.StatusToolError})
	id4 := spanID(t, sp4.Traceparent())

	// 5. Malformed _meta.traceparent: ignored, a new root ...
	bad := `{"name":"search","_meta":{"traceparent":"00-` + strings.ToUpper(inTrace) + `-` + inSpan + `-01"}}`
	_, sp5 := tr.StartCall(ctx, "tools/call", []byte(bad))
	sp5.End(&audit.Record{RequestID: "req-5", Status: audit.StatusOK})
	id5 := spanID(t, sp5.Traceparent())
	// ... or the HTTP parent when there is one.
	_, sp6 := tr.StartCall(hctx, "tools/call", []byte(bad))
	sp6.End(&audit.Record{RequestID: "req-6", Status: audit.StatusOK})
	id6 := spanID(t, sp6.Traceparent())

	// 7. A method that is not MCP's, and an unrouted tool name from the client.
	_, sp7 := tr.StartCall(ctx, "x-vendor/whatever-123", nil)
	sp7.End(&audit.Record{RequestID: "req-7", Status: audit.StatusError, Code: -32601, Error: "method not found"})
	id7 := spanID(t, sp7.Traceparent())
	_, sp8 := tr.StartCall(ctx, "tools/call", []byte(`{"name":"no-such-tool"}`))
	sp8.SetCall("", "no-such-tool")
	sp8.End(&audit.Record{RequestID: "req-8", Status: audit.StatusError, Code: -32602, Error: "unknown tool", Name: "no-such-tool"})
	id8 := spanID(t, sp8.Traceparent())

	// Concurrent calls (for -race).
	var wg sync.WaitGroup
	const workers, calls = 8, 25
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				_, sp := tr.StartCall(ctx, "tools/list", []byte(params1))
				sp.SetCall("github", "")
				sp.End(&audit.Record{RequestID: fmt.Sprintf("c-%d-%d", w, i), Status: audit.StatusOK})
			}
		})
	}
	wg.Wait()

	shutdown(t, tr)
	spans := rcv.received(t)
	if want := 9 + workers*calls; len(spans) != want {
		t.Fatalf("received %d spans, want %d", len(spans), want)
	}
	for _, s := range spans {
		r := s.Resource
		if r["service.name"] != "gw-under-test" || r["service.version"] != "1.2.3" ||
			r["deployment.environment.name"] != "test" || r["telemetry.sdk.language"] != "go" {
			t.Fatalf("resource %v", r)
		}
	}
	m := byID(spans)
	const unset, errc = tracepb.Status_STATUS_CODE_UNSET, tracepb.Status_STATUS_CODE_ERROR
	checkSpan(t, "meta parent", m[id1], wantSpan{
		name: "tools/call search", trace: inTrace, parent: inSpan, traceSt: "vendor=abc",
		attrs: map[string]string{
			"mcp.method.name": "tools/call", "gen_ai.operation.name": "execute_tool",
			"gen_ai.tool.name": "search", "mcp_gateway.server": "github",
			"mcp_gateway.status": "ok", "enduser.id": "alice", "mcp.session.id": "sess-1",
			"mcp_gateway.client.name": "claude-code", "mcp_gateway.request_id": "req-1",
			"mcp_gateway.request.size": "120", "mcp_gateway.response.size": "3400",
			"mcp_gateway.cached": "true",
		},
		absent: []string{"error.type", "rpc.response.status_code", "mcp_gateway.plugin"},
		status: unset,
	})
	checkSpan(t, "backend hop", m[backID], wantSpan{
		name: "tools/call", trace: inTrace, parent: id1, traceSt: "vendor=abc",
		attrs:  map[string]string{"mcp.method.name": "tools/call"},
		absent: []string{"mcp_gateway.status", "mcp_gateway.request.size"},
		status: unset,
	})
	checkSpan(t, "root error", m[id2], wantSpan{
		name: "resources/read",
		attrs: map[string]string{
			"mcp.method.name": "resources/read", "mcp.resource.uri": uri, "mcp_gateway.server": "files",
			"mcp_gateway.status": "error", "rpc.response.status_code": "-32603", "error.type": "-32603",
			"mcp_gateway.request_id": "req-2",
		},
		absent: []string{"gen_ai.operation.name", "gen_ai.tool.name", "enduser.id", "mcp.session.id"},
		status: errc, message: "backend exploded",
	})
	if s := m[id2]; s.Span != nil && hexID(s.TraceId) != sp2.TraceID() {
		t.Errorf("root span trace id %s, TraceID() said %s", hexID(s.TraceId), sp2.TraceID())
	}
	checkSpan(t, "http parent", m[id3], wantSpan{
		name: "prompts/get summarize", trace: hdTrace, parent: hdSpan,
		attrs: map[string]string{
			"gen_ai.prompt.name": "summarize", "mcp_gateway.server": "notes",
			"mcp_gateway.status": "denied", "error.type": "denied", "mcp_gateway.plugin": "policy",
		},
		absent: []string{"rpc.response.status_code"},
		status: errc, message: "policy says no",
	})
	checkSpan(t, "meta over http", m[id4], wantSpan{
		name: "tools/call", trace: inTrace, parent: inSpan, traceSt: "vendor=abc", links: []string{hdTrace},
		attrs:  map[string]string{"mcp_gateway.status": "tool_error", "error.type": "tool_error"},
		status: errc, message: "tool_error",
	})
	checkSpan(t, "malformed meta", m[id5], wantSpan{name: "tools/call", status: unset})
	if s := m[id5]; s.Span != nil && hexID(s.TraceId) == inTrace {
		t.Error("malformed traceparent was used")
	}
	checkSpan(t, "malformed meta, http parent", m[id6], wantSpan{name: "tools/call", trace: hdTrace, parent: hdSpan, status: unset})
	checkSpan(t, "unknown method", m[id7], wantSpan{
		name:   OtherSpanName,
		attrs:  map[string]string{"mcp.method.name": "x-vendor/whatever-123", "error.type": "-32601"},
		status: errc, message: "method not found",
	})
	checkSpan(t, "unrouted tool", m[id8], wantSpan{
		name:   "tools/call",
		attrs:  map[string]string{"gen_ai.tool.name": "no-such-tool", "error.type": "-32602"},
		absent: []string{"mcp_gateway.server"},
		status: errc, message: "unknown tool",
	})
	n := 0
	for _, s := range spans {
		if s.Name == "tools/list" {
			n++
			if hexID(s.TraceId) != inTrace || hexID(s.ParentSpanId) != inSpan {
				t.Errorf("concurrent span: trace %s parent %s", hexID(s.TraceId), hexID(s.ParentSpanId))
			}
		}
	}
	if n != workers*calls {
		t.Errorf("received %d concurrent spans, want %d", n, workers*calls)
	}
}

func TestExportGzipTracesEndpoint(t *testing.T) {
	cleanEnv(t)
	rcv := newReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", rcv.srv.URL+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")
	tr, err := FromEnv(context.Background(), Options{})
	if err != nil || tr == nil {
		t.Fatalf("FromEnv: %v, %v", tr, err)
	}
	_, sp := tr.StartCall(context.Background(), "ping", []byte(`{}`))
	sp.End(&audit.Record{Status: audit.StatusOK})
	shutdown(t, tr)
	spans := rcv.received(t)
	if len(spans) != 1 || spans[0].Name != "ping" {
		t.Fatalf("received %v", spans)
	}
	if got := spans[0].Resource["service.name"]; got != DefaultServiceName {
		t.Errorf("service.name %q, want %q", got, DefaultServiceName)
	}
	if _, ok := spans[0].Resource["service.version"]; ok {
		t.Error("service.version set without Options.ServiceVersion")
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if fmt.Sprint(rcv.encodings) != "[gzip]" || fmt.Sprint(rcv.types) != "[application/x-protobuf]" {
		t.Errorf("requests: encodings %v, types %v", rcv.encodings, rcv.types)
	}
}

func TestExportHTTPJSON(t *testing.T) {
	cleanEnv(t)
	rcv := newReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	tr := startTracer(t)
	_, sp := tr.StartCall(context.Background(), "tools/list", nil)
	id := sp.TraceID()
	sp.End(nil)
	shutdown(t, tr)
	rcv.received(t)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.jsonBody) != 1 || !strings.Contains(rcv.jsonBody[0], `"tools/list"`) || !strings.Contains(strings.ToLower(rcv.jsonBody[0]), id) {
		t.Errorf("JSON bodies %q, want one with the span (trace %s)", rcv.jsonBody, id)
	}
}

func TestSampling(t *testing.T) {
	cases := []struct {
		name     string
		sampler  string
		flags    string // of the incoming traceparent; "" = none
		exported bool
	}{
		{"default, root", "", "", true},
		{"default, sampled parent", "", "01", true},
		{"default, unsampled parent", "", "00", false},
		{"always_on, unsampled parent", "always_on", "00", true},
		{"always_off, root", "always_off", "", false},
		{"ratio 0", "traceidratio", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t)
			rcv := newReceiver(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
			t.Setenv("OTEL_TRACES_SAMPLER", c.sampler)
			if c.sampler == "traceidratio" {
				t.Setenv("OTEL_TRACES_SAMPLER_ARG", "0")
			}
			tr := startTracer(t)
			params := `{}`
			if c.flags != "" {
				params = `{"_meta":{"traceparent":"00-` + inTrace + `-` + inSpan + `-` + c.flags + `"}}`
			}
			_, sp := tr.StartCall(context.Background(), "tools/call", []byte(params))
			sp.SetCall("s", "t")
			tp := sp.Traceparent()
			sp.End(&audit.Record{Status: audit.StatusError, Code: -1})
			shutdown(t, tr)
			// Unsampled spans still propagate (with the sampled flag off).
			wantFlags := "-00"
			if c.exported {
				wantFlags = "-01"
			}
			if tp == "" || !strings.HasSuffix(tp, wantFlags) {
				t.Errorf("Traceparent() = %q, want flags %s", tp, wantFlags)
			}
			if c.flags != "" && sp.TraceID() != inTrace {
				t.Errorf("TraceID() = %q, want %q", sp.TraceID(), inTrace)
			}
			if got := len(rcv.received(t)); got != map[bool]int{true: 1}[c.exported] {
				t.Errorf("received %d spans, exported = %v", got, c.exported)
			}
		})
	}
}

func TestFromEnvSwitch(t *testing.T) {
	const ep = "http://127.0.0.1:1" // never contacted: no span is ended
	cases := []struct {
		name    string
		env     map[string]string
		on      bool
		errWant []string // substrings of the error; nil = no error
	}{
		{name: "unset", env: nil},
		{name: "only unrelated OTEL vars", env: map[string]string{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}},
		{name: "endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep}, on: true},
		{name: "traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ep + "/v1/traces"}, on: true},
		{name: "exporter otlp, default endpoint", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, on: true},
		{name: "exporter OTLP, spaces", env: map[string]string{"OTEL_TRACES_EXPORTER": " OTLP ", "OTEL_EXPORTER_OTLP_ENDPOINT": ep}, on: true},
		{name: "exporter none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": ep}},
		{name: "sdk disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": ep}},
		{name: "sdk disabled TRUE", env: map[string]string{"OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "otlp"}},
		{name: "sdk disabled wins over a bad exporter", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "zipkin"}},
		{name: "sdk disabled false", env: map[string]string{"OTEL_SDK_DISABLED": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": ep}, on: true},
		{name: "off: grpc not checked", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}},
		{name: "unknown exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, errWant: []string{"OTEL_TRACES_EXPORTER", `"zipkin"`, `"otlp"`, `"none"`}},
		{name: "console exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console", "OTEL_EXPORTER_OTLP_ENDPOINT": ep}, errWant: []string{`"console"`, `"otlp"`}},
		{name: "otlp with none", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp,none"}, errWant: []string{"none"}},
		{name: "grpc protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, errWant: []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "not supported", "http/protobuf"}},
		{name: "grpc traces protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, errWant: []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc", "http/protobuf"}},
		{name: "traces protocol overrides grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, on: true},
		{name: "http/protobuf", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, on: true},
		{name: "unknown protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/xml"}, errWant: []string{`"http/xml"`, "http/protobuf"}},
		{name: "endpoint without scheme", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"}, errWant: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://"}},
		{name: "bad sampler", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_TRACES_SAMPLER": "sometimes"}, errWant: []string{"OTEL_TRACES_SAMPLER", `"sometimes"`, "parentbased_always_on"}},
		{name: "bad sampler arg", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, errWant: []string{"OTEL_TRACES_SAMPLER_ARG", "1.5"}},
		{name: "ratio sampler", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}, on: true},
		{name: "bad resource attributes", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_RESOURCE_ATTRIBUTES": "novalue"}, errWant: []string{"OTEL_RESOURCE_ATTRIBUTES"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			tr, err := FromEnv(context.Background(), Options{Log: discard})
			if c.errWant != nil {
				if err == nil {
					t.Fatalf("FromEnv: no error, want one mentioning %q", c.errWant)
				}
				for _, s := range c.errWant {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				if tr != nil {
					t.Error("non-nil Tracer with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if (tr != nil) != c.on {
				t.Fatalf("FromEnv returned tracer %v, want on = %v", tr, c.on)
			}
			shutdown(t, tr)
		})
	}
}

func TestNilTracer(t *testing.T) {
	cleanEnv(t)
	tr, err := FromEnv(context.Background(), Options{Log: discard})
	if tr != nil || err != nil {
		t.Fatalf("FromEnv with tracing off = %v, %v; want nil, nil", tr, err)
	}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	h := http.Header{"Traceparent": {"00-" + hdTrace + "-" + hdSpan + "-01"}}
	if got := tr.Extract(ctx, h); got != ctx {
		t.Error("nil Extract changed ctx")
	}
	got, sp := tr.StartCall(ctx, "tools/call", []byte(`{"_meta":{"traceparent":"00-`+inTrace+`-`+inSpan+`-01"}}`))
	if got != ctx || sp != nil {
		t.Errorf("nil StartCall = %v, %v", got, sp)
	}
	sp.SetCall("s", "n")
	if sp.TraceID() != "" || sp.Traceparent() != "" || sp.Tracestate() != "" {
		t.Error("nil Span returned ids")
	}
	sp.End(&audit.Record{Status: audit.StatusError})
	sp.End(nil)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	// With the nil span's empty traceparent, InjectMeta leaves params alone.
	p := []byte(`{"a":1}`)
	if out, err := InjectMeta(p, sp.Traceparent(), sp.Tracestate()); err != nil || string(out) != string(p) {
		t.Errorf("InjectMeta with no traceparent = %s, %v", out, err)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		c, s := tr.StartCall(ctx, "tools/call", p)
		s.SetCall("s", "n")
		_ = s.TraceID()
		_ = s.Traceparent()
		s.End(&audit.Record{})
		_ = c
	}); allocs != 0 {
		t.Errorf("nil tracer call path allocates %v times", allocs)
	}
}

func TestMetaParent(t *testing.T) {
	good := "00-" + inTrace + "-" + inSpan + "-01"
	cases := []struct {
		name   string
		params string
		ok     bool
		state  string
	}{
		{"nil", "", false, ""},
		{"no _meta", `{"name":"x"}`, false, ""},
		{"_meta null", `{"_meta":null}`, false, ""},
		{"_meta not object", `{"_meta":[1]}`, false, ""},
		{"no traceparent", `{"_meta":{"progressToken":1}}`, false, ""},
		{"good", `{"_meta":{"traceparent":"` + good + `"}}`, true, ""},
		{"good, tracestate", `{"_meta":{"tracestate":"a=1,b=2","traceparent":"` + good + `"}}`, true, "a=1,b=2"},
		{"good, bad tracestate ignored", `{"_meta":{"traceparent":"` + good + `","tracestate":"=="}}`, true, ""},
		{"good, tracestate not a string", `{"_meta":{"traceparent":"` + good + `","tracestate":5}}`, true, ""},
		{"escaped good", `{"_meta":{"traceparent":"\u0030` + good[1:] + `"}}`, true, ""},
		{"number", `{"_meta":{"traceparent":5}}`, false, ""},
		{"empty", `{"_meta":{"traceparent":""}}`, false, ""},
		{"garbage", `{"_meta":{"traceparent":"hello"}}`, false, ""},
		{"upper case", `{"_meta":{"traceparent":"00-` + strings.ToUpper(inTrace) + `-` + inSpan + `-01"}}`, false, ""},
		{"zero trace id", `{"_meta":{"traceparent":"00-00000000000000000000000000000000-` + inSpan + `-01"}}`, false, ""},
		{"zero span id", `{"_meta":{"traceparent":"00-` + inTrace + `-0000000000000000-01"}}`, false, ""},
		{"version ff", `{"_meta":{"traceparent":"ff-` + inTrace + `-` + inSpan + `-01"}}`, false, ""},
		{"v00 extra field", `{"_meta":{"traceparent":"` + good + `-x"}}`, false, ""},
		{"short", `{"_meta":{"traceparent":"00-` + inTrace[:30] + `-` + inSpan + `-01"}}`, false, ""},
		{"case variant key", `{"_meta":{"traceparent":"` + good + `","TraceParent":"` + good + `"}}`, false, ""},
		{"duplicate", `{"_meta":{"traceparent":"` + good + `","traceparent":"` + good + `"}}`, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, ok := metaParent([]byte(c.params))
			if ok != c.ok {
				t.Fatalf("metaParent(%s) ok = %v, want %v", c.params, ok, c.ok)
			}
			if !ok {
				return
			}
			if sc.TraceID().String() != inTrace || sc.SpanID().String() != inSpan || !sc.IsSampled() || !sc.IsRemote() {
				t.Errorf("span context %v", sc)
			}
			if sc.TraceState().String() != c.state {
				t.Errorf("tracestate %q, want %q", sc.TraceState().String(), c.state)
			}
		})
	}
}

func TestInjectMeta(t *testing.T) {
	const tp = "00-" + inTrace + "-" + inSpan + "-01"
	cases := []struct {
		name   string
		params string
		nilIn  bool
		tp, ts string
		want   string
		err    string
	}{
		{name: "nil params", nilIn: true, tp: tp, want: `{"_meta":{"traceparent":"` + tp + `"}}`},
		{name: "nil params, tracestate", nilIn: true, tp: tp, ts: "a=1", want: `{"_meta":{"traceparent":"` + tp + `","tracestate":"a=1"}}`},
		{name: "blank params", params: " \n", tp: tp, want: `{"_meta":{"traceparent":"` + tp + `"}}`},
		{name: "empty object", params: `{}`, tp: tp, want: `{"_meta":{"traceparent":"` + tp + `"}}`},
		{name: "empty object with space", params: ` { } `, tp: tp, want: ` {"_meta":{"traceparent":"` + tp + `"} } `},
		{name: "no _meta", params: `{"name":"search", "arguments":{"q":"a\u00e9"}}`, tp: tp,
			want: `{"_meta":{"traceparent":"` + tp + `"},"name":"search", "arguments":{"q":"a\u00e9"}}`},
		{name: "_meta null", params: `{"name":"x","_meta":null}`, tp: tp, ts: "a=1",
			want: `{"name":"x","_meta":{"traceparent":"` + tp + `","tracestate":"a=1"}}`},
		{name: "existing _meta with other members", params: `{"name":"x","_meta":{ "progressToken" : 42,"io.vendor/k":[1, 2]} ,"z":true}`, tp: tp,
			want: `{"name":"x","_meta":{"traceparent":"` + tp + `", "progressToken" : 42,"io.vendor/k":[1, 2]} ,"z":true}`},
		{name: "existing empty _meta", params: `{"_meta":{}}`, tp: tp, ts: "a=1",
			want: `{"_meta":{"tracestate":"a=1","traceparent":"` + tp + `"}}`},
		{name: "existing traceparent replaced", params: `{"_meta":{"progressToken":"p","traceparent":"00-11111111111111111111111111111111-2222222222222222-00","x":1},"name":"n"}`, tp: tp,
			want: `{"_meta":{"progressToken":"p","traceparent":"` + tp + `","x":1},"name":"n"}`},
		{name: "existing tracestate replaced", params: `{"_meta":{"traceparent":"old","tracestate":"old=1"}}`, tp: tp, ts: "new=2",
			want: `{"_meta":{"traceparent":"` + tp + `","tracestate":"new=2"}}`},
		{name: "stale tracestate emptied", params: `{"_meta":{"traceparent":"old","tracestate":"old=1"}}`, tp: tp,
			want: `{"_meta":{"traceparent":"` + tp + `","tracestate":""}}`},
		{name: "no traceparent: unchanged", params: `{"a" : 1}`, want: `{"a" : 1}`},
		{name: "no traceparent, nil: nil", nilIn: true, want: ``},
		{name: "invalid JSON", params: `{"name":`, tp: tp, err: "invalid JSON"},
		{name: "trailing garbage", params: `{"name":1} x`, tp: tp, err: "invalid JSON"},
		{name: "not an object", params: `[1,2]`, tp: tp, err: "not a JSON object"},
		{name: "_meta not an object", params: `{"_meta":"x"}`, tp: tp, err: "_meta is not an object"},
		{name: "duplicate _meta", params: `{"_meta":{},"_meta":{}}`, tp: tp, err: "duplicate"},
		{name: "case variant _meta", params: `{"_Meta":{}}`, tp: tp, err: "case"},
		{name: "case variant traceparent", params: `{"_meta":{"TraceParent":"x"}}`, tp: tp, err: "case"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in []byte
			if !c.nilIn {
				in = []byte(c.params)
			}
			orig := string(in)
			out, err := InjectMeta(in, c.tp, c.ts)
			if string(in) != orig {
				t.Errorf("input modified: %s", in)
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("InjectMeta(%s) = %s, %v; want error containing %q", c.params, out, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("InjectMeta(%s): %v", c.params, err)
			}
			if string(out) != c.want {
				t.Errorf("InjectMeta(%s)\n got %s\nwant %s", c.params, out, c.want)
			}
			if c.tp == "" {
				return
			}
			if !json.Valid(out) {
				t.Errorf("result is not valid JSON: %s", out)
			}
			// What the gateway injects, a backend (or the gateway) reads back.
			sc, ok := metaParent(out)
			if !ok || sc.TraceID().String() != inTrace || sc.SpanID().String() != inSpan || sc.TraceState().String() != c.ts {
				t.Errorf("metaParent(InjectMeta) = %v, %v", sc, ok)
			}
		})
	}
}

func TestTraceparentFormat(t *testing.T) {
	cleanEnv(t)
	rcv := newReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
	tr := startTracer(t)
	defer shutdown(t, tr)
	ctx, sp := tr.StartCall(context.Background(), "tools/call", nil)
	defer sp.End(nil)
	sc := trace.SpanContextFromContext(ctx)
	want := fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
	if got := sp.Traceparent(); got != want {
		t.Errorf("Traceparent() = %q, want %q", got, want)
	}
	if sp.Tracestate() != "" {
		t.Errorf("Tracestate() of a root = %q", sp.Tracestate())
	}
}

func benchCall(b *testing.B, tr *Tracer, params []byte) {
	ctx := context.Background()
	rec := &audit.Record{
		RequestID: "req-1", Principal: "alice", Client: "claude-code", Session: "sess-1",
		Method: "tools/call", Server: "github", Name: "search", Status: audit.StatusOK,
		BytesIn: 120, BytesOut: 3400,
	}
	b.ReportAllocs()
	for b.Loop() {
		_, sp := tr.StartCall(ctx, "tools/call", params)
		sp.SetCall("github", "search")
		_ = sp.TraceID()
		sp.End(rec)
	}
}

func BenchmarkCall(b *testing.B) {
	plain := []byte(`{"name":"search","arguments":{"query":"open issues","limit":10}}`)
	meta := []byte(`{"name":"search","arguments":{"query":"open issues","limit":10},"_meta":{"progressToken":1,"traceparent":"00-` + inTrace + `-` + inSpan + `-01"}}`)
	b.Run("nil", func(b *testing.B) { benchCall(b, nil, plain) })
	b.Run("nil-meta-parent", func(b *testing.B) { benchCall(b, nil, meta) })
	b.Run("otlp", func(b *testing.B) {
		cleanEnv(b)
		rcv := newReceiver(b)
		rcv.discard = true
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
		tr := startTracer(b)
		defer shutdown(b, tr)
		benchCall(b, tr, plain)
	})
	b.Run("otlp-meta-parent", func(b *testing.B) {
		cleanEnv(b)
		rcv := newReceiver(b)
		rcv.discard = true
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
		tr := startTracer(b)
		defer shutdown(b, tr)
		benchCall(b, tr, meta)
	})
	b.Run("otlp-sampled-out", func(b *testing.B) {
		cleanEnv(b)
		rcv := newReceiver(b)
		rcv.discard = true
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
		b.Setenv("OTEL_TRACES_SAMPLER", "always_off")
		tr := startTracer(b)
		defer shutdown(b, tr)
		benchCall(b, tr, plain)
	})
}

func BenchmarkInjectMeta(b *testing.B) {
	params := []byte(`{"name":"search","arguments":{"query":"open issues","limit":10},"_meta":{"progressToken":1}}`)
	tp := "00-" + inTrace + "-" + inSpan + "-01"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := InjectMeta(params, tp, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func TestErrorLoggerRateLimit(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	l := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	e := newErrorLogger(l)
	for i := range 5 {
		e.Handle(fmt.Errorf("export failed %d", i))
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, "export failed 0") {
		t.Errorf("logged %d lines: %s", n, out)
	}
	e.mu.Lock()
	e.last = e.last.Add(-errorLogInterval) // as if the interval had passed
	e.mu.Unlock()
	e.Handle(fmt.Errorf("export failed again"))
	mu.Lock()
	out = buf.String()
	mu.Unlock()
	if !strings.Contains(out, "export failed again") || !strings.Contains(out, "suppressed=4") {
		t.Errorf("second line missing or without the suppressed count: %s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
