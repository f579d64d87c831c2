package xetrack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// The kinds of a field's value.
const (
	kText uint8 = iota + 1
	kInt
	kReal
)

// field is one column value of a row: a text (s), an integer (n) or a
// real (the bits of a float64 in n).
type field struct {
	name string
	s    string
	n    int64
	kind uint8
}

func text(name, s string) field          { return field{name: name, kind: kText, s: s} }
func integer(name string, n int64) field { return field{name: name, kind: kInt, n: n} }
func decimal(name string, f float64) field {
	return field{name: name, kind: kReal, n: int64(math.Float64bits(f))}
}

// real returns the value of a kReal field.
func (f field) real() float64 { return math.Float64frombits(uint64(f.n)) }

func flag(name string, b bool) field {
	if b {
		return integer(name, 1)
	}
	return integer(name, 0)
}

// argField is one top-level argument, flattened.
type argField struct {
	col string // its column: the key sanitized
	key string // the key as the client sent it
	val string // a string's value, or the JSON text of any other value
	str bool   // val is a string's value
}

// json appends the argument's value as JSON.
func (a argField) json(dst []byte) []byte {
	if a.str {
		return jsonrpc.AppendString(dst, a.val)
	}
	return append(dst, a.val...)
}

// entry is what one call leaves to write: the fields every row of the
// call has, its flattened arguments, and one set of fields per row (one
// per content item, or one).
type entry struct {
	at     time.Time
	fields []field
	args   []argField
	items  [][]field // nil until finish, for a call that has a result

	// Set by Handle for finish.
	method          string
	blocked         string // the plugin that refused the call with a result
	result, rawArgs []byte // copies
	size            int64  // what the entry holds, for the queue's byte budget
	done            bool   // finish ran

	flushed chan struct{} // set on the marker entries of flush
}

// The columns every row may have, with their SQL types, in table order.
// Argument columns whose names collide with these get the arg_ prefix.
var fixedColumns = []struct{ name, typ string }{
	{"timestamp", "TEXT"}, // xetrack's own, with track_id
	{"track_id", "TEXT"},
	{"timestamp_unix_ms", "INTEGER"},
	{"call_id", "TEXT"},
	{"server_name", "TEXT"},
	{"capability_type", "TEXT"},
	{"capability_name", "TEXT"},
	{"method", "TEXT"},
	{"principal", "TEXT"},
	{"client_name", "TEXT"},
	{"session_id", "TEXT"},
	{"duration_ms", "REAL"},
	{"is_error", "INTEGER"},
	{"error_code", "INTEGER"},
	{"error", "TEXT"},
	{"blocked_by", "TEXT"},
	{"cached", "INTEGER"},
	{"response_type", "TEXT"},
	{"content_index", "INTEGER"},
	{"content_role", "TEXT"},
	{"content_type", "TEXT"},
	{"content_text", "TEXT"},
	{"content_mime_type", "TEXT"},
	{"content_uri", "TEXT"},
	{"content_data_size", "INTEGER"},
	{"structured_content", "TEXT"},
	{"response", "TEXT"},
	{"arguments", "TEXT"},
	{"extra_arguments", "TEXT"},
}

var fixedNames = func() map[string]bool {
	m := make(map[string]bool, len(fixedColumns))
	for _, c := range fixedColumns {
		m[c.name] = true
	}
	return m
}()

// codeTimeout is the code the gateway answers a backend timeout with.
const codeTimeout = -32001

// entry builds the tracking entry of a finished call. It does only what
// is cheap: the call's own fields and copies of its arguments and result;
// the writer's goroutine reads them (finish).
func (p *Plugin) entry(c *plugin.Call, res *plugin.Result, err error, start, end time.Time) *entry {
	e := &entry{at: end, method: c.Method, fields: make([]field, 0, 20)}
	e.add(text("call_id", newUUID()))
	e.add(integer("timestamp_unix_ms", end.UnixMilli()))
	e.add(text("server_name", c.Server))
	e.add(text("capability_type", capabilityType(c.Method)))
	e.add(text("capability_name", c.Name))
	e.add(text("method", c.Method))
	if s := c.Session; s != nil {
		e.add(text("principal", s.Principal))
		e.add(text("client_name", s.ClientName))
		e.add(text("session_id", s.ID))
	}
	e.add(decimal("duration_ms", float64(end.Sub(start).Microseconds())/1000))
	refused := false
	if err != nil {
		code, msg, by := describeError(err)
		refused = by != ""
		e.add(flag("is_error", true))
		e.add(integer("error_code", int64(code)))
		e.add(text("error", msg))
		e.add(text("blocked_by", by))
		e.add(flag("cached", false))
		e.add(text("response_type", "error"))
		e.items = [][]field{nil}
	} else {
		e.add(text("response_type", responseType(c.Method)))
		if res != nil {
			e.add(flag("cached", res.Cached))
			e.blocked = res.Blocked
			e.add(text("blocked_by", res.Blocked))
			// The result's bytes may be reused once the call returns.
			e.result = bytes.Clone(res.Raw)
		}
		refused = e.blocked != ""
	}
	// A refusal can come before the guardrails masked the arguments: they
	// are not recorded then.
	if p.s.arguments && !refused {
		e.rawArgs = bytes.Clone(c.RawArguments())
	}
	e.size = int64(len(e.result) + len(e.rawArgs) + 512)
	return e
}

// add adds f, unless it is an empty text.
func (e *entry) add(f field) {
	if f.kind != kText || f.s != "" {
		e.fields = append(e.fields, f)
	}
}

// finish reads the entry's result and arguments into its fields and rows
// (once; in the writer's goroutine).
func (p *Plugin) finish(e *entry) {
	if e.done {
		return
	}
	e.done = true
	if e.items == nil {
		r := p.response(e.method, e.result)
		e.add(flag("is_error", r.isError || e.blocked != ""))
		if e.blocked != "" {
			e.add(text("error", r.firstText))
		}
		e.add(text("structured_content", r.structured))
		e.add(text("response", r.response))
		e.items = r.items
	}
	p.arguments(e, e.rawArgs)
	e.result, e.rawArgs = nil, nil
}

// arguments adds the call's arguments, flattened or whole.
func (p *Plugin) arguments(e *entry, raw []byte) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	if !p.s.flattenArguments {
		e.fields = append(e.fields, text("arguments", string(raw)))
		return
	}
	fields, err := jsonrpc.Fields(raw)
	if err != nil {
		// Not an object (the Python plugin's edge case): one column.
		e.fields = append(e.fields, text("arguments", string(raw)))
		return
	}
	e.args = make([]argField, 0, len(fields))
	for _, f := range fields {
		a := argField{col: columnName(f.Key), key: f.Key}
		if len(f.Value) > 0 && f.Value[0] == '"' {
			if s, err := jsonrpc.String(f.Value); err == nil {
				a.val, a.str = s, true
			}
		}
		if !a.str {
			a.val = string(f.Value)
		}
		e.args = append(e.args, a)
	}
}

// columnName turns an argument key into a column name: lower case
// [a-z0-9_], at most 64 characters, not starting with a digit, never one
// of the fixed columns (those get the arg_ prefix).
func columnName(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, c := range key {
		if b.Len() == 64 {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" || name[0] >= '0' && name[0] <= '9' || fixedNames[name] {
		name = "arg_" + name
		if len(name) > 64 {
			name = name[:64]
		}
	}
	return name
}

func capabilityType(method string) string {
	switch method {
	case "tools/call":
		return "tool"
	case "prompts/get":
		return "prompt"
	}
	return "resource"
}

func responseType(method string) string {
	switch method {
	case "tools/call":
		return "CallToolResult"
	case "prompts/get":
		return "GetPromptResult"
	}
	return "ReadResourceResult"
}

// describeError returns the JSON-RPC code and message the client gets
// for err, and the plugin that refused the call ("" for none).
func describeError(err error) (code int, msg, by string) {
	var pe *plugin.Error
	var re *upstream.RPCError
	switch {
	case errors.As(err, &pe):
		by = pe.Plugin
		if by == "" {
			by = "gateway"
		}
		return pe.Code, pe.Message, by
	case errors.As(err, &re):
		m, _ := jsonrpc.Get(re.Raw, "message")
		s, _ := jsonrpc.String(m)
		return jsonrpc.ErrorCode(re.Raw), s, ""
	case errors.Is(err, context.DeadlineExceeded):
		return codeTimeout, err.Error(), ""
	}
	return jsonrpc.CodeInternalError, err.Error(), ""
}

// result is what the rows record of a result.
type result struct {
	isError    bool
	firstText  string // the first content text (a refusal's reason)
	structured string
	response   string    // the whole result, when the response is not flattened
	items      [][]field // at least one
}

// content is one content item of a tool result or prompt message, or one
// entry of a resource's contents.
type content struct {
	typ, mimeType, uri string
	text               *string
	data, blob         int64 // decoded sizes, -1 when absent
	resource           *content
}

// parseContent reads a content item; payloads are measured, not copied.
func parseContent(raw []byte) (content, error) {
	c := content{data: -1, blob: -1}
	fields, err := jsonrpc.Fields(raw)
	if err != nil {
		return c, err
	}
	for _, f := range fields {
		switch f.Key {
		case "type":
			c.typ, _ = unquote(f.Value)
		case "text":
			if s, ok := unquote(f.Value); ok {
				c.text = &s
			}
		case "mimeType":
			c.mimeType, _ = unquote(f.Value)
		case "uri":
			c.uri, _ = unquote(f.Value)
		case "data":
			c.data = base64Size(f.Value)
		case "blob":
			c.blob = base64Size(f.Value)
		case "resource":
			if r, err := parseContent(f.Value); err == nil {
				c.resource = &r
			}
		}
	}
	return c, nil
}

// elements returns the objects of a JSON array (nil for anything else).
func elements(raw []byte) [][]byte {
	if len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	els, _ := jsonrpc.Elements(raw)
	return els
}

// response reads a result for its rows.
func (p *Plugin) response(method string, raw []byte) result {
	var r result
	top, decodeErr := jsonrpc.Fields(raw)
	var items []content
	var roles []string
	for _, f := range top {
		switch f.Key {
		case "isError":
			r.isError = string(f.Value) == "true"
		case "structuredContent":
			if string(f.Value) != "null" {
				r.structured = string(f.Value)
			}
		case "content":
			if method == "tools/call" {
				for _, el := range elements(f.Value) {
					if c, err := parseContent(el); err == nil {
						items = append(items, c)
					}
				}
			}
		case "messages":
			if method == "prompts/get" {
				for _, el := range elements(f.Value) {
					mf, err := jsonrpc.Fields(el)
					if err != nil {
						continue
					}
					var role string
					var c content
					found := false
					for _, m := range mf {
						switch m.Key {
						case "role":
							role, _ = unquote(m.Value)
						case "content":
							if c, err = parseContent(m.Value); err == nil {
								found = true
							}
						}
					}
					if found {
						items = append(items, c)
						roles = append(roles, role)
					}
				}
			}
		case "contents":
			if method == "resources/read" {
				for _, el := range elements(f.Value) {
					if c, err := parseContent(el); err == nil {
						items = append(items, c)
					}
				}
			}
		}
	}
	if !p.s.flattenResponse || decodeErr != nil {
		r.response = redactBinary(raw)
	}
	if len(items) > 0 && items[0].text != nil {
		r.firstText = *items[0].text
	}
	if !p.s.flattenResponse || decodeErr != nil || len(items) == 0 {
		r.items = [][]field{nil}
		return r
	}
	r.items = make([][]field, len(items))
	all := make([]field, 0, 7*len(items))
	for i, it := range items {
		start := len(all)
		all = append(all, integer("content_index", int64(i)))
		if roles != nil && roles[i] != "" {
			all = append(all, text("content_role", roles[i]))
		}
		typ := it.typ
		if method == "resources/read" && typ == "" {
			switch {
			case it.text != nil:
				typ = "text"
			case it.blob >= 0:
				typ = "blob"
			}
		}
		if typ != "" {
			all = append(all, text("content_type", typ))
		}
		src := &it
		if it.resource != nil {
			src = it.resource
		}
		if src.text != nil {
			all = append(all, text("content_text", *src.text))
		}
		if src.mimeType != "" {
			all = append(all, text("content_mime_type", src.mimeType))
		}
		if src.uri != "" {
			all = append(all, text("content_uri", src.uri))
		}
		switch {
		case src.data >= 0:
			all = append(all, integer("content_data_size", src.data))
		case src.blob >= 0:
			all = append(all, integer("content_data_size", src.blob))
		}
		r.items[i] = all[start:len(all):len(all)]
	}
	return r
}

// base64Size returns the decoded size of the base64 JSON string v, or -1
// when v is not a string. Whitespace, escapes and padding are skipped:
// the payload is measured, never decoded.
func base64Size(v []byte) int64 {
	if len(v) < 2 || v[0] != '"' {
		return -1
	}
	return base64Len(v[1 : len(v)-1])
}

// base64Len is the number of bytes the base64 text s (as it is inside a
// JSON string) decodes to.
func base64Len(s []byte) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '=', ' ', '\n', '\r', '\t':
		case '\\':
			// "\/" is a slash; "\n", "\r" and "\t" are line breaks.
			if i+1 < len(s) && s[i+1] == '/' {
				n++
			}
			i++
		default:
			n++
		}
	}
	return n * 6 / 8
}

// unquote decodes the JSON string v; ok is false for anything else.
func unquote(v []byte) (string, bool) {
	s, err := jsonrpc.String(v)
	return s, err == nil
}

// redactBinary returns the result JSON with every base64 payload (image
// and audio data, resource blobs) replaced by "<binary data (N bytes)>".
func redactBinary(raw []byte) string {
	if !bytes.Contains(raw, []byte(`"data"`)) && !bytes.Contains(raw, []byte(`"blob"`)) {
		return string(raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "<result not JSON>"
	}
	v = redact(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "<result not JSON>"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		typ, _ := x["type"].(string)
		for k, e := range x {
			s, isStr := e.(string)
			if isStr && (k == "blob" || k == "data" && (typ == "image" || typ == "audio")) {
				x[k] = "<binary data (" + strconv.FormatInt(base64Len([]byte(s)), 10) + " bytes)>"
				continue
			}
			x[k] = redact(e)
		}
	case []any:
		for i, e := range x {
			x[i] = redact(e)
		}
	}
	return v
}

// randRead fills b with random bytes.
func randRead(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("xetrack: no randomness: " + err.Error())
	}
}

// newUUID returns a random (version 4) UUID, as Python's uuid4.
func newUUID() string {
	var u [16]byte
	randRead(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}
