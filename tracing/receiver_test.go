package tracing

import (
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// receiver is an in-process OTLP/HTTP collector: it accepts POST /v1/traces
// (protobuf, gzip or not; JSON bodies are only counted) and keeps the spans.
type receiver struct {
	srv *httptest.Server

	mu        sync.Mutex
	spans     []gotSpan
	encodings []string // Content-Encoding of each request
	types     []string // Content-Type of each request
	jsonBody  []string // bodies of http/json requests
	errs      []string
	// discard makes the receiver read and drop bodies without decoding them
	// (for benchmarks: the collector's work is not the gateway's).
	discard bool
}

// gotSpan is one received span with its resource.
type gotSpan struct {
	*tracepb.Span
	Resource map[string]string
	Scope    string
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) fail(w http.ResponseWriter, format string, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, format+": "+err.Error())
	r.mu.Unlock()
	http.Error(w, err.Error(), http.StatusBadRequest)
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		r.mu.Lock()
		r.errs = append(r.errs, "unexpected request "+req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		http.NotFound(w, req)
		return
	}
	var body io.Reader = req.Body
	enc := req.Header.Get("Content-Encoding")
	if enc == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			r.fail(w, "gzip", err)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		r.fail(w, "read", err)
		return
	}
	if r.discard {
		w.Header().Set("Content-Type", "application/x-protobuf")
		return
	}
	ct := req.Header.Get("Content-Type")
	r.mu.Lock()
	r.encodings = append(r.encodings, enc)
	r.types = append(r.types, ct)
	r.mu.Unlock()
	if ct == "application/json" {
		r.mu.Lock()
		r.jsonBody = append(r.jsonBody, string(b))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &msg); err != nil {
		r.fail(w, "unmarshal", err)
		return
	}
	var got []gotSpan
	for _, rs := range msg.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				got = append(got, gotSpan{Span: sp, Resource: res, Scope: ss.GetScope().GetName()})
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *receiver) received(t testing.TB) []gotSpan {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.errs {
		t.Errorf("receiver: %s", e)
	}
	return append([]gotSpan(nil), r.spans...)
}

// attrMap flattens OTLP attributes to strings ("42" for ints, "true" for
// bools) for easy comparison.
func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = strconv.FormatInt(x.IntValue, 10)
		case *commonpb.AnyValue_BoolValue:
			if x.BoolValue {
				m[kv.GetKey()] = "true"
			} else {
				m[kv.GetKey()] = "false"
			}
		default:
			m[kv.GetKey()] = v.String()
		}
	}
	return m
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

// cleanEnv blanks every OTEL_* variable of the test process for the test,
// so that the machine's environment cannot change the outcome (the SDK and
// the exporter treat empty values as unset).
func cleanEnv(t testing.TB) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OTEL_") {
			t.Setenv(k, "")
		}
	}
}
