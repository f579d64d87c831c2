package basic

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

// token is a format-valid GitHub token built at run time.
func token() string {
	const alnum = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgHiJ"
	var sb strings.Builder
	sb.WriteString("gh" + "p_")
	for i := range 36 {
		sb.WriteByte(alnum[(i*7+3)%len(alnum)])
	}
	return sb.String()
}

func TestBasicMasksBothWays(t *testing.T) {
	h, err := New(json.RawMessage(`{}`), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	tok := token()
	var sent []byte
	backend := func(_ context.Context, c *plugin.Call) (*plugin.Result, error) {
		sent = append([]byte(nil), c.Params...)
		raw, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": "your key: " + tok + "."}}})
		return &plugin.Result{Raw: raw}, nil
	}
	args, _ := json.Marshal(map[string]any{"name": "s__t", "arguments": map[string]string{"q": "use \"" + tok + "\" please"}})
	res, err := h.Handle(context.Background(), &plugin.Call{Method: "tools/call", Params: args, Server: "s", Name: "s__t"}, backend)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sent), tok) || !strings.Contains(string(sent), `use \"<GITHUB_PERSONAL_ACCESS_TOKEN>\" please`) {
		t.Errorf("backend got %s", sent)
	}
	if strings.Contains(string(res.Raw), tok) || !strings.Contains(string(res.Raw), `your key: <GITHUB_PERSONAL_ACCESS_TOKEN>.`) || !res.Changed {
		t.Errorf("client got %s (changed %v)", res.Raw, res.Changed)
	}
}

func TestBasicConfig(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"rules":["nosuch"]}`:                     `gateway.plugins.basic: `,
		`{"servers":{"x":{"disable":["nosuch"]}}}`: `gateway.plugins.basic.servers.x: `,
		`{"actions":{"nosuch":"block"}}`:           `unknown rule "nosuch"`,
		`{"action":"redact"}`:                      `unknown action "redact"`,
		`{"rule":["github-pat"]}`:                  `unknown key "rule"`,
	} {
		if _, err := New(json.RawMessage(cfg), plugin.Env{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%s) = %v, want an error containing %q", cfg, err, want)
		}
	}
	if _, err := New(json.RawMessage(`{"rules":["github-pat"],"actions":{"github-pat":"block"},"servers":{"x":{"enabled":false}}}`), plugin.Env{}); err != nil {
		t.Errorf("a valid config was refused: %v", err)
	}
}
