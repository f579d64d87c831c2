package gateway

import (
	"strings"
	"testing"
)

func TestParamHeaders(t *testing.T) {
	tool := []byte(`{"name":"t","inputSchema":{"type":"object","properties":{` +
		`"region":{"type":"string","x-mcp-header":"Region"},` +
		`"n":{"type":"integer","x-mcp-header":"N"},` +
		`"on":{"type":"boolean","x-mcp-header":"On"},` +
		`"f":{"type":"number","x-mcp-header":"F"},` +
		`"list":{"type":"array","items":{"type":"string","x-mcp-header":"Item"}},` +
		`"o":{"type":"object","properties":{"deep":{"type":"string","x-mcp-header":"Deep"}}},` +
		`"plain":{"type":"string"}}}}`)
	hs := paramHeadersOf(tool)
	var names []string
	for _, h := range hs {
		names = append(names, h.header)
	}
	if got := strings.Join(names, ","); got != "Mcp-Param-Deep,Mcp-Param-N,Mcp-Param-On,Mcp-Param-Region" {
		t.Fatalf("annotations = %s (number and items ones must be ignored)", got)
	}
	g := &Gateway{}
	check := func(args string, hdr map[string]string) error {
		return g.checkParams(hs, []byte(`{"name":"t","arguments":`+args+`}`), func(n string) (string, bool) { v, ok := hdr[n]; return v, ok })
	}
	cases := []struct {
		name string
		args string
		hdr  map[string]string
		want string // "" for valid
	}{
		{"all match", `{"region":"eu-west","n":42,"on":true,"o":{"deep":"x"}}`, map[string]string{"Mcp-Param-Region": "eu-west", "Mcp-Param-N": "42", "Mcp-Param-On": "true", "Mcp-Param-Deep": "x"}, ""},
		{"integer compared as a number", `{"n":42.0}`, map[string]string{"Mcp-Param-N": "42"}, ""},
		{"base64 value", `{"region":"zürich"}`, map[string]string{"Mcp-Param-Region": "=?base64?esO8cmljaA==?="}, ""},
		{"literal that looks half encoded", `{"region":"=?base64?SGVsbG8="}`, map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8="}, ""},
		{"absent argument, no header", `{}`, nil, ""},
		{"null argument, no header", `{"region":null}`, nil, ""},
		{"missing header", `{"region":"eu"}`, nil, "missing Mcp-Param-Region header"},
		{"header without argument", `{}`, map[string]string{"Mcp-Param-Region": "eu"}, "present but argument"},
		{"value differs", `{"region":"eu"}`, map[string]string{"Mcp-Param-Region": "us"}, "does not match"},
		{"bad base64", `{"region":"eu"}`, map[string]string{"Mcp-Param-Region": "=?base64?SGVs!!!bG8=?="}, "invalid Base64"},
	}
	for _, c := range cases {
		err := check(c.args, c.hdr)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// The backend hop: headers computed from the arguments.
	got := g.paramsFor(hs, []byte(`{"name":"t","arguments":{"region":" padded","n":7,"on":false}}`))
	want := map[string]string{"Mcp-Param-Region": "=?base64?IHBhZGRlZA==?=", "Mcp-Param-N": "7", "Mcp-Param-On": "false"}
	if len(got) != len(want) {
		t.Fatalf("headers = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
