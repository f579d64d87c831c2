package e2e

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/mcpgw/mcp-gateway/audit"
)

// otlpReceiver is an in-process OTLP/HTTP collector keeping the spans it
// is sent.
type otlpReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs map[string]string // resource attributes of the last batch
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		var msg coltracepb.ExportTraceServiceRequest
		if err != nil || req.URL.Path != "/v1/traces" || proto.Unmarshal(b, &msg) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.GetResourceSpans() {
			r.attrs = map[string]string{}
			for _, a := range rs.GetResource().GetAttributes() {
				r.attrs[a.GetKey()] = a.GetValue().GetStringValue()
			}
			for _, ss := range rs.GetScopeSpans() {
				r.spans = append(r.spans, ss.GetSpans()...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *otlpReceiver) find(name string) (*tracepb.Span, map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.spans {
		if s.GetName() == name {
			return s, r.attrs
		}
	}
	return nil, nil
}

// TestTracesThroughGateway: with the standard OTEL_* variables the gateway
// makes a span per call, continues the client's trace from
// _meta.traceparent, hands its own span to the backend in
// _meta.traceparent, records the trace id in the audit trail, and exports
// to the collector over OTLP/HTTP.
func TestTracesThroughGateway(t *testing.T) {
	b := build(t)
	rcv := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "gw-under-test")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	dataDir := t.TempDir()
	cfg := writeConfig(t, map[string]any{"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")}})
	cs, _ := connectArgs(t, b, cfg, nil, "--data-dir", dataDir)

	const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "k__whoami",
		Meta: mcp.Meta{"traceparent": "00-" + clientTrace + "-" + clientSpan + "-01"}})
	if err != nil {
		t.Fatal(err)
	}
	var who struct {
		Traceparent string `json:"traceparent"`
	}
	mustJSON(t, mustMarshal(t, res.StructuredContent), &who)
	parts := strings.Split(who.Traceparent, "-")
	if len(parts) != 4 || parts[1] != clientTrace || parts[2] == clientSpan {
		t.Fatalf("the backend got traceparent %q; want the client's trace %s with the gateway's span as parent", who.Traceparent, clientTrace)
	}
	var span *tracepb.Span
	var resAttrs map[string]string
	waitFor(t, func() bool {
		span, resAttrs = rcv.find("tools/call k__whoami")
		return span != nil
	})
	if got := hex.EncodeToString(span.GetTraceId()); got != clientTrace {
		t.Errorf("span trace id %s, want the client's %s", got, clientTrace)
	}
	if got := hex.EncodeToString(span.GetParentSpanId()); got != clientSpan {
		t.Errorf("span parent %s, want the client's span %s", got, clientSpan)
	}
	if got := hex.EncodeToString(span.GetSpanId()); got != parts[2] {
		t.Errorf("span id %s, but the backend was given parent %s", got, parts[2])
	}
	if span.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("span kind %v", span.GetKind())
	}
	attrs := map[string]string{}
	for _, a := range span.GetAttributes() {
		attrs[a.GetKey()] = a.GetValue().GetStringValue()
	}
	if attrs["mcp_gateway.server"] != "k" || attrs["gen_ai.tool.name"] != "k__whoami" || attrs["mcp.method.name"] != "tools/call" {
		t.Errorf("span attributes %v", attrs)
	}
	if resAttrs["service.name"] != "gw-under-test" {
		t.Errorf("resource %v, want service.name from OTEL_SERVICE_NAME", resAttrs)
	}
	cs.Close()
	waitFor(t, func() bool {
		rows := auditRows[audit.Record](t, b, "--data-dir", dataDir, "--tool", "k__whoami")
		return len(rows) == 1 && rows[0].TraceID == clientTrace
	})
}

// headerTrace adds a traceparent header to every request.
type headerTrace struct{ tp string }

func (h headerTrace) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("traceparent", h.tp)
	return http.DefaultTransport.RoundTrip(r)
}

// TestTraceHeaderOverHTTP: over HTTP, a client's traceparent header is
// the trace context of its call, as _meta.traceparent is.
func TestTraceHeaderOverHTTP(t *testing.T) {
	b := build(t)
	rcv := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	gw := startHTTPGateway(t, b, writeConfig(t, map[string]any{"mcpServers": map[string]any{"k": stdioServer(b.kitchen, "-name", "k")}}),
		"--data-dir", t.TempDir())
	const trace, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	client := mcp.NewClient(&mcp.Implementation{Name: "traced", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.url,
		HTTPClient: &http.Client{Transport: headerTrace{tp: "00-" + trace + "-" + parent + "-01"}}},
		&mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "k__whoami"})
	if err != nil {
		t.Fatal(err)
	}
	var who struct {
		Traceparent string `json:"traceparent"`
	}
	mustJSON(t, mustMarshal(t, res.StructuredContent), &who)
	if parts := strings.Split(who.Traceparent, "-"); len(parts) != 4 || parts[1] != trace || parts[2] == parent {
		t.Fatalf("the backend got traceparent %q; want trace %s from the client's header", who.Traceparent, trace)
	}
	waitFor(t, func() bool {
		s, _ := rcv.find("tools/call k__whoami")
		return s != nil && hex.EncodeToString(s.GetParentSpanId()) == parent
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
