package all

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mcpgw/mcp-gateway/auth"
	"github.com/mcpgw/mcp-gateway/plugin"
)

// BenchmarkAuthnAuthzRateLimit is the per-call cost of identity and
// policy: authenticating the request's API key, then the authz and
// ratelimit plugins deciding one tools/call (the backend is a function).
func BenchmarkAuthnAuthzRateLimit(b *testing.B) {
	cfg, err := auth.ParseConfig(json.RawMessage(`{"apiKeys":[{"name":"alice","key":"alice-key-0123456789abcdef","roles":["dev"]},{"name":"bob","key":"bob-key-0123456789abcdef0","roles":["ops"]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(cfg, auth.Options{ResourceURL: "http://127.0.0.1/mcp"})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	hs, err := plugin.Build([]string{"authz", "ratelimit"}, map[string]json.RawMessage{
		"authz":     json.RawMessage(`[{"roles":["dev"],"allow":["everything__*"],"deny":["everything__delete_*"]},{"roles":["ops"],"allow":["*"]}]`),
		"ratelimit": json.RawMessage(`{"rateLimits":[{"roles":["dev"],"tools":["everything__*"],"perSecond":1e9}]}`),
	}, plugin.Env{})
	if err != nil {
		b.Fatal(err)
	}
	defer plugin.Close(hs)
	final := func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return &plugin.Result{Raw: []byte(`{}`)}, nil
	}
	chain := plugin.Chain(hs, final)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", nil)
	req.Header.Set("Authorization", "Bearer alice-key-0123456789abcdef")
	params := []byte(`{"name":"everything__echo","arguments":{"message":"hi"}}`)
	b.ReportAllocs()
	for b.Loop() {
		p, err := a.Authenticate(req)
		if err != nil {
			b.Fatal(err)
		}
		sess := &plugin.Session{ID: "s", Identity: plugin.Identity{Principal: p.Name, Roles: p.Roles, Scopes: p.Scopes}}
		c := &plugin.Call{Method: "tools/call", Params: params, Server: "everything", Name: "everything__echo", Session: sess}
		if _, err := chain(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
}
