package jsonrpc

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		kind    Kind
		id      string
		method  string
		params  string
		result  string
		errObj  string
		wantErr string
	}{
		{name: "request", in: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}`,
			kind: KindRequest, id: `7`, method: "tools/call", params: `{"name":"x"}`},
		{name: "string id and spaces", in: " { \"id\" : \"a-1\" , \"method\":\"ping\", \"jsonrpc\":\"2.0\" } ",
			kind: KindRequest, id: `"a-1"`, method: "ping"},
		{name: "notification", in: `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			kind: KindNotification, method: "notifications/initialized"},
		{name: "result", in: `{"jsonrpc":"2.0","id":0,"result":{"a":[1,2.5e-3,"\u00e9"]}}`,
			kind: KindResponse, id: `0`, result: `{"a":[1,2.5e-3,"\u00e9"]}`},
		{name: "error", in: `{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"no"}}`,
			kind: KindResponse, id: `"x"`, errObj: `{"code":-32601,"message":"no"}`},
		{name: "null id on error", in: `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}`,
			kind: KindResponse, id: `null`, errObj: `{"code":-32700,"message":"bad"}`},
		{name: "unknown key ignored", in: `{"jsonrpc":"2.0","id":1,"method":"m","x-trace":{"a":1}}`,
			kind: KindRequest, id: `1`, method: "m"},

		{name: "not json", in: `hello`, wantErr: "invalid JSON"},
		{name: "truncated", in: `{"jsonrpc":"2.0","id":1,"method":"m"`, wantErr: "unexpected end"},
		{name: "batch", in: `[{"jsonrpc":"2.0","id":1,"method":"m"}]`, wantErr: "batches are not supported"},
		{name: "wrong version", in: `{"jsonrpc":"1.0","id":1,"method":"m"}`, wantErr: `"jsonrpc" must be "2.0"`},
		{name: "missing version", in: `{"id":1,"method":"m"}`, wantErr: `"jsonrpc" must be "2.0"`},
		{name: "duplicate method", in: `{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}`, wantErr: `duplicate key "method"`},
		{name: "case smuggled method", in: `{"jsonrpc":"2.0","id":1,"method":"a","Method":"b"}`, wantErr: "only by case"},
		{name: "escaped method key", in: `{"jsonrpc":"2.0","id":1,"\u006dethod":"a"}`, wantErr: "must not be written with escapes"},
		{name: "object id", in: `{"jsonrpc":"2.0","id":{},"method":"m"}`, wantErr: `"id" must be a string or a number`},
		{name: "null id on request", in: `{"jsonrpc":"2.0","id":null,"method":"m"}`, wantErr: `"id" must be a string or a number`},
		{name: "array params", in: `{"jsonrpc":"2.0","id":1,"method":"m","params":[1]}`, wantErr: `"params" must be an object`},
		{name: "result and error", in: `{"jsonrpc":"2.0","id":1,"result":{},"error":{}}`, wantErr: "exactly one of result and error"},
		{name: "method and result", in: `{"jsonrpc":"2.0","id":1,"method":"m","result":{}}`, wantErr: "cannot carry result"},
		{name: "nothing", in: `{"jsonrpc":"2.0"}`, wantErr: `neither "method" nor "id"`},
		{name: "trailing data", in: `{"jsonrpc":"2.0","method":"m"} x`, wantErr: "unexpected data after"},
		{name: "bad escape", in: `{"jsonrpc":"2.0","method":"m","params":{"a":"\q"}}`, wantErr: "invalid escape"},
		{name: "control char", in: "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":\"\x01\"}}", wantErr: "control character"},
		{name: "invalid utf8 passes through", in: "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":\"\xff\"}}",
			kind: KindNotification, method: "m", params: "{\"a\":\"\xff\"}"},
		{name: "bad number", in: `{"jsonrpc":"2.0","id":01,"method":"m"}`, wantErr: "expected , or }"},
		{name: "method not string", in: `{"jsonrpc":"2.0","id":1,"method":5}`, wantErr: `"method" must be a plain string`},
		{name: "empty", in: ``, wantErr: "empty message"},
		{name: "deep nesting", in: `{"jsonrpc":"2.0","method":"m","params":{"a":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}}`, wantErr: "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Kind != tt.kind || string(m.ID) != tt.id || m.Method != tt.method ||
				string(m.Params) != tt.params || string(m.Result) != tt.result || string(m.Error) != tt.errObj {
				t.Errorf("Parse = kind %v id %s method %q params %s result %s error %s", m.Kind, m.ID, m.Method, m.Params, m.Result, m.Error)
			}
		})
	}
}

func TestLookupRejectsSmuggledKeys(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: `{"name":"a","arguments":{"Name":"inner is fine"}}`, want: []string{`"a"`, `{"Name":"inner is fine"}`}},
		{in: `{"arguments":{}}`, want: []string{"", `{}`}},
		{in: `{"name":"a","Name":"b"}`, wantErr: "only by case"},
		{in: `{"NAME":"b","name":"a"}`, wantErr: "only by case"},
		{in: `{"name":"a","name":"b"}`, wantErr: "duplicate"},
		{in: `{"n\u0061me":"b"}`, wantErr: "escapes"},
		{in: `[1]`, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		v, err := Lookup([]byte(tt.in), "name", "arguments")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Lookup(%s) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Lookup(%s): %v", tt.in, err)
			continue
		}
		for i := range tt.want {
			if string(v[i]) != tt.want[i] {
				t.Errorf("Lookup(%s)[%d] = %s, want %s", tt.in, i, v[i], tt.want[i])
			}
		}
	}
}

func TestSetFieldKeepsOtherBytes(t *testing.T) {
	tests := []struct{ obj, key, val, want string }{
		{`{"name":"a__b","arguments":{"x":1.50,"y":"\u00e9"},"_meta":{}}`, "name", `"b"`,
			`{"name":"b","arguments":{"x":1.50,"y":"\u00e9"},"_meta":{}}`},
		{`{ "a" : 1 ,  "name" : "x" }`, "name", `"y"`, `{ "a" : 1 ,  "name" : "y" }`},
		{`{"a":1}`, "_meta", `{"progressToken":3}`, `{"_meta":{"progressToken":3},"a":1}`},
		{`{}`, "k", `true`, `{"k":true}`},
		{` { } `, "k", `1`, ` {"k":1 } `},
		{``, "k", `1`, `{"k":1}`},
	}
	for _, tt := range tests {
		got, err := SetField([]byte(tt.obj), tt.key, []byte(tt.val))
		if err != nil {
			t.Errorf("SetField(%s): %v", tt.obj, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("SetField(%s, %s, %s) = %s, want %s", tt.obj, tt.key, tt.val, got, tt.want)
		}
		if err := Valid(got); err != nil {
			t.Errorf("SetField result is not valid JSON: %s: %v", got, err)
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "tab\tnl\nret\r", "\x00\x1f", "é☃😀", "bad\xffutf8", "\u2028\u2029"} {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("AppendString(%q) = %s: not valid JSON: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("AppendString(%q) round-trips to %q", s, back)
		}
	}
}

func TestBuilders(t *testing.T) {
	got := string(AppendRequest(nil, []byte(`5`), "tools/call", []byte(`{"a":1}`)))
	if want := `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"a":1}}`; got != want {
		t.Errorf("AppendRequest = %s", got)
	}
	got = string(AppendErrorResponse(nil, nil, AppendError(nil, -32600, `bad "x"`, nil)))
	if want := `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad \"x\""}}`; got != want {
		t.Errorf("AppendErrorResponse = %s", got)
	}
	if c := ErrorCode([]byte(`{"message":"m","code":-32002}`)); c != -32002 {
		t.Errorf("ErrorCode = %d", c)
	}
	for _, in := range []string{
		string(AppendRequest(nil, []byte(`"i"`), "m", nil)),
		string(AppendNotification(nil, "n", []byte(`{}`))),
		string(AppendResult(nil, []byte(`1`), []byte(`{}`))),
	} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("built message %s does not parse: %v", in, err)
		}
	}
}

func TestElements(t *testing.T) {
	els, err := Elements([]byte(` [ {"a":[1,2]} , "x,y" ,3 ] `))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"a":[1,2]}`, `"x,y"`, `3`}
	if len(els) != len(want) {
		t.Fatalf("Elements = %q", els)
	}
	for i := range want {
		if string(els[i]) != want[i] {
			t.Errorf("element %d = %s, want %s", i, els[i], want[i])
		}
	}
	if _, err := Elements([]byte(`[1,]`)); err == nil {
		t.Error("Elements accepted a trailing comma")
	}
}

// FuzzParse checks that Parse never panics and agrees with encoding/json
// on what is valid JSON.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__b","arguments":{"x":[1,{"y":null}]}}}`,
		`{"jsonrpc":"2.0","id":"s","result":{"content":[{"type":"text","text":"h\u00e9"}]}}`,
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":0.5}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"m","Method":"n"}`,
		`[1,2]`, `{`, `"\ud800"`, `{"a":1e999}`, `-0.0e+00`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if id, ok := PeekID(b, b); ok && !json.Valid(id) {
			t.Fatalf("PeekID(%q) = %q, not a JSON value", b, id)
		}
		m, err := Parse(b)
		stdValid := json.Valid(b)
		if err == nil {
			if !stdValid {
				t.Fatalf("Parse accepted invalid JSON %q", b)
			}
			if m.Kind == KindInvalid {
				t.Fatalf("Parse returned no kind for %q", b)
			}
			// Every slice must itself be valid JSON.
			for _, part := range [][]byte{m.ID, m.Params, m.Result, m.Error} {
				if part != nil && !json.Valid(part) {
					t.Fatalf("slice %q of %q is not valid JSON", part, b)
				}
			}
		}
		if verr := Valid(b); (verr == nil) != stdValid {
			t.Fatalf("Valid(%q) = %v, encoding/json says valid=%v", b, verr, stdValid)
		}
	})
}

func TestPeekID(t *testing.T) {
	tests := []struct {
		head, tail string
		id         string
		ok         bool
	}{
		{`{"jsonrpc":"2.0","id":42,"result":{"content":[{"text":"aaaa`, `aaa"}]}}`, `42`, true},
		{`{"id":"x-1","jsonrpc":"2.0","res`, `}`, `"x-1"`, true},
		{`{"result":{"content":"aaaaaaaa`, `aaaa"},"jsonrpc":"2.0","id":17}`, `17`, true},
		{`{"result":{"content":"aaaaaaaa`, `aaaa","id":3}}`, ``, false}, // a nested id
		{`{"result":{"content":"aaaaaaaa`, `aaaa"}}`, ``, false},
		{`not json`, `x`, ``, false},
		{`{"jsonrpc":"2.0","id":4`, `x`, ``, false}, // the id itself is cut off
	}
	for _, tt := range tests {
		id, ok := PeekID([]byte(tt.head), []byte(tt.tail))
		if ok != tt.ok || string(id) != tt.id {
			t.Errorf("PeekID(%q, %q) = %s, %v; want %s, %v", tt.head, tt.tail, id, ok, tt.id, tt.ok)
		}
	}
}
