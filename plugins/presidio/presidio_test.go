package presidio

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

func TestPresidioMasksResults(t *testing.T) {
	h, err := New(json.RawMessage(`{"actions":{"CREDIT_CARD":"block"}}`), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	read := func(text string) (*plugin.Result, error) {
		backend := func(context.Context, *plugin.Call) (*plugin.Result, error) {
			raw, _ := json.Marshal(map[string]any{"contents": []map[string]string{{"uri": "file:///jane@example.com", "mimeType": "text/plain", "text": text}}})
			return &plugin.Result{Raw: raw}, nil
		}
		return h.Handle(context.Background(), &plugin.Call{Method: "resources/read", Params: []byte(`{"uri":"file:///x"}`), Server: "s"}, backend)
	}
	res, err := read("Contact: jane.doe@example.com, +1-415-555-0172.")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Contents []struct{ URI, Text string } }
	json.Unmarshal(res.Raw, &got)
	if got.Contents[0].Text != "Contact: <EMAIL_ADDRESS>, <PHONE_NUMBER>." || got.Contents[0].URI != "file:///jane@example.com" {
		t.Errorf("contents = %+v: want the text masked and the URI left alone", got.Contents)
	}
	// A blocked entity withholds the whole result.
	if _, err := read("card 4111 1111 1111 1111"); err == nil || !strings.Contains(err.Error(), "blocked by gateway policy: presidio: CREDIT_CARD found in the result") {
		t.Errorf("card in a resource: %v, want a block", err)
	}
}

func TestPresidioConfig(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"entities":["NOSUCH"]}`:                   `gateway.plugins.presidio: `,
		`{"servers":{"x":{"entities":["NOSUCH"]}}}`: `gateway.plugins.presidio.servers.x: `,
		`{"actions":{"EMAIL":"mask"}}`:              `unknown rule "EMAIL"`,
		`{"entity":["US_SSN"]}`:                     `unknown key "entity"`,
	} {
		if _, err := New(json.RawMessage(cfg), plugin.Env{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%s) = %v, want an error containing %q", cfg, err, want)
		}
	}
}

// A member name is context: a bare 9-digit SSN is masked as the value of
// "ssn", not as the value of "id".
func TestPresidioKeyContext(t *testing.T) {
	h, err := New(nil, plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	backend := func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return &plugin.Result{Raw: []byte(`{"content":[],"structuredContent":{"ssn":"536220781","id":"536220781"}}`)}, nil
	}
	res, err := h.Handle(context.Background(), &plugin.Call{Method: "tools/call", Params: []byte(`{"name":"t"}`), Server: "s"}, backend)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(res.Raw), `{"content":[],"structuredContent":{"ssn":"<US_SSN>","id":"536220781"}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
