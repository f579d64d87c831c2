package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

func TestRateLimitRefusal(t *testing.T) {
	h, err := New(json.RawMessage(`{"rateLimits":[{"roles":["dev"],"tools":["k__echo"],"perMinute":2}]}`), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.(*Plugin).Close()
	reached := 0
	backend := func(context.Context, *plugin.Call) (*plugin.Result, error) {
		reached++
		return &plugin.Result{Raw: []byte(`{}`)}, nil
	}
	call := func(principal, tool string) error {
		c := &plugin.Call{Method: "tools/call", Params: []byte(`{"name":"` + tool + `"}`), Server: "k", Name: tool,
			Session: &plugin.Session{Identity: plugin.Identity{Principal: principal, Roles: []string{"dev"}}}}
		_, err := h.Handle(context.Background(), c, backend)
		return err
	}
	for i := range 2 {
		if err := call("alice", "k__echo"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	err = call("alice", "k__echo")
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Code != plugin.CodeRateLimited || !strings.Contains(pe.Message, "rate limit exceeded: 2 per minute") || !strings.Contains(pe.Message, "retry in") {
		t.Fatalf("third call: %v, want a rate-limit refusal", err)
	}
	var data struct{ RetryAfterMs int64 }
	if json.Unmarshal(pe.Data, &data) != nil || data.RetryAfterMs <= 0 || data.RetryAfterMs > 30000 {
		t.Errorf("error data %s: want retryAfterMs in (0, 30000]", pe.Data)
	}
	if reached != 2 {
		t.Errorf("backend reached %d times, want 2", reached)
	}
	// Other principals and other tools have their own budgets.
	if err := call("bob", "k__echo"); err != nil {
		t.Errorf("bob: %v", err)
	}
	if err := call("alice", "k__add"); err != nil {
		t.Errorf("alice on another tool: %v", err)
	}
}

func TestRateLimitConfigErrors(t *testing.T) {
	for raw, want := range map[string]string{
		`{"rateLimits":[{"tools":["x"]}]}`:                            "gateway.rateLimits[0]",
		`{"rateLimits":[{"perMinute":1}],"redis":{"url":"http://x"}}`: "redis",
		`{"rateLimits":[{"perMinute":1}],"extra":1}`:                  `unknown key "extra"`,
	} {
		if _, err := New(json.RawMessage(raw), plugin.Env{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%s) = %v, want an error containing %q", raw, err, want)
		}
	}
}
