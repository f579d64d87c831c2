// Package jsonrpc reads and writes JSON-RPC 2.0 envelopes without decoding
// their payloads.
//
// [Parse] validates a whole message in one pass and returns its envelope
// fields as raw slices of the input: params, results and errors travel on
// byte for byte. The Append functions build messages by concatenation, and
// [SetField] rewrites one field of an object while keeping every other byte.
//
// Routing fields are matched strictly: keys are case-sensitive, and a key
// that differs from a routing key only by case ("Method" beside "method") or
// appears twice is an error, so that a peer that decodes keys
// case-insensitively can never be shown a different value than the gateway
// routed on.
package jsonrpc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is the kind of a JSON-RPC message.
type Kind uint8

// Message kinds.
const (
	KindInvalid      Kind = iota
	KindRequest           // has method and id
	KindNotification      // has method, no id
	KindResponse          // has id and result or error
)

func (k Kind) String() string {
	switch k {
	case KindRequest:
		return "request"
	case KindNotification:
		return "notification"
	case KindResponse:
		return "response"
	}
	return "invalid"
}

// Message is a parsed JSON-RPC envelope. Its slices alias Raw.
type Message struct {
	Raw    []byte // the whole message
	ID     []byte // raw id (a JSON string or number, or null); nil if absent
	Method string // method name; "" for responses
	Params []byte // raw params; nil if absent
	Result []byte // raw result; nil if absent
	Error  []byte // raw error object; nil if absent
	Kind   Kind
}

// Standard JSON-RPC and MCP error codes.
const (
	CodeParseError       = -32700
	CodeInvalidRequest   = -32600
	CodeMethodNotFound   = -32601
	CodeInvalidParams    = -32602
	CodeInternalError    = -32603
	CodeResourceNotFound = -32002 // MCP: resources/read of an unknown URI
	// CodeRequestCancelled is returned for a request cancelled by its client
	// when an answer must still be sent (e.g. to a backend waiting on us).
	CodeRequestCancelled = -32800
)

// Parse validates b as one JSON-RPC 2.0 message and returns its envelope.
// It never decodes params, result or error beyond validating their syntax.
func Parse(b []byte) (Message, error) {
	m := Message{Raw: b}
	i := skipSpace(b, 0)
	if i >= len(b) {
		return m, &SyntaxError{Offset: i, Msg: "empty message"}
	}
	if b[i] != '{' {
		if b[i] == '[' {
			return m, fmt.Errorf("JSON-RPC batches are not supported by MCP; send one message per line")
		}
		return m, syntaxErr(i, "expected a JSON object, got %q", b[i])
	}
	var version []byte
	var seen uint8
	end, err := eachField(b, i, 1, func(key []byte, esc bool, vs, ve int) error {
		var bit uint8
		var dst *[]byte
		switch string(key) {
		case "jsonrpc":
			bit, dst = 1, &version
		case "id":
			bit, dst = 2, &m.ID
		case "method":
			bit = 4
		case "params":
			bit, dst = 8, &m.Params
		case "result":
			bit, dst = 16, &m.Result
		case "error":
			bit, dst = 32, &m.Error
		default:
			return checkSmuggled(key, esc, envelopeKeys)
		}
		if seen&bit != 0 {
			return fmt.Errorf("duplicate key %q in message", key)
		}
		seen |= bit
		if dst != nil {
			*dst = b[vs:ve]
			return nil
		}
		// method
		v := b[vs:ve]
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v[1:len(v)-1], '\\') >= 0 {
			return fmt.Errorf(`"method" must be a plain string`)
		}
		m.Method = methodName(v[1 : len(v)-1])
		return nil
	})
	if err != nil {
		return m, err
	}
	if j := skipSpace(b, end); j != len(b) {
		return m, syntaxErr(j, "unexpected data after the message")
	}
	if string(version) != `"2.0"` {
		return m, fmt.Errorf(`"jsonrpc" must be "2.0"`)
	}
	if m.ID != nil {
		switch c := m.ID[0]; {
		case c == '"' || c == '-' || (c >= '0' && c <= '9'):
		case c == 'n' && m.Method == "" && m.Error != nil:
			// null id is allowed only on error responses (parse errors).
		default:
			return m, fmt.Errorf(`"id" must be a string or a number`)
		}
	}
	switch {
	case seen&4 != 0:
		if m.Result != nil || m.Error != nil {
			return m, fmt.Errorf("a message with a method cannot carry result or error")
		}
		if m.Params != nil && m.Params[0] != '{' {
			return m, fmt.Errorf(`"params" must be an object`)
		}
		if m.ID != nil {
			m.Kind = KindRequest
		} else {
			m.Kind = KindNotification
		}
	case m.ID == nil:
		return m, fmt.Errorf(`message has neither "method" nor "id"`)
	case (m.Result == nil) == (m.Error == nil):
		return m, fmt.Errorf("a response must carry exactly one of result and error")
	default:
		if m.Error != nil && m.Error[0] != '{' {
			return m, fmt.Errorf(`"error" must be an object`)
		}
		m.Kind = KindResponse
	}
	return m, nil
}

// methodName returns name as a string, without allocating one for the
// methods of every call.
func methodName(name []byte) string {
	switch string(name) {
	case "tools/call":
		return "tools/call"
	case "tools/list":
		return "tools/list"
	case "prompts/get":
		return "prompts/get"
	case "prompts/list":
		return "prompts/list"
	case "resources/read":
		return "resources/read"
	case "resources/list":
		return "resources/list"
	case "ping":
		return "ping"
	case "notifications/progress":
		return "notifications/progress"
	case "notifications/message":
		return "notifications/message"
	case "notifications/cancelled":
		return "notifications/cancelled"
	case "notifications/initialized":
		return "notifications/initialized"
	case "initialize":
		return "initialize"
	}
	return string(name)
}

var envelopeKeys = []string{"jsonrpc", "id", "method", "params", "result", "error"}

// checkSmuggled rejects a key that equals one of keys except for case.
func checkSmuggled(key []byte, escaped bool, keys []string) error {
	if escaped {
		k, err := keyString(key, true)
		if err != nil {
			return err
		}
		return smuggled(k, keys)
	}
	// Most keys are none of the routing keys: test them without making a
	// string of the key that outlives the loop (which would allocate it).
	for _, want := range keys {
		if strings.EqualFold(string(key), want) {
			return smuggled(string(key), keys)
		}
	}
	return nil
}

func smuggled(k string, keys []string) error {
	for _, want := range keys {
		if k == want {
			// An escaped spelling of a routing key ("\u006dethod").
			return fmt.Errorf("key %q must not be written with escapes", want)
		}
		if strings.EqualFold(k, want) {
			return fmt.Errorf("key %q differs from %q only by case; keys are case-sensitive", k, want)
		}
	}
	return nil
}

// Lookup finds the given top-level keys in the JSON object obj and returns
// their raw values (nil where absent). It applies the routing-field rules:
// a duplicate of a wanted key, an escaped spelling of it or a key equal to
// it except for case is an error. obj must be valid JSON (as it is when it
// came from [Parse]); Lookup validates it again only as far as it walks.
func Lookup(obj []byte, keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	err := lookupInto(obj, keys, out)
	return out, err
}

func lookupInto(obj []byte, keys []string, out [][]byte) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errNotObject
	}
	_, err := eachField(obj, i, 1, func(key []byte, esc bool, vs, ve int) error {
		if !esc {
			for n, want := range keys {
				if string(key) == want {
					if out[n] != nil {
						return fmt.Errorf("duplicate key %q", want)
					}
					out[n] = obj[vs:ve]
					return nil
				}
			}
		}
		return checkSmuggled(key, esc, keys)
	})
	return err
}

// Get returns the raw value of one top-level key of obj (nil if absent),
// with the rules of [Lookup].
func Get(obj []byte, key string) ([]byte, error) {
	var out [1][]byte
	err := lookupInto(obj, []string{key}, out[:])
	return out[0], err
}

// SimpleString returns the value of the JSON string v if it has no escape
// sequences (the common case for names, methods and URIs). ok is false for
// a non-string or an escaped string; use [String] for those.
func SimpleString(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		return "", false
	}
	return string(inner), true
}

// String decodes the JSON string v, escapes included.
func String(v []byte) (string, error) {
	if s, ok := SimpleString(v); ok {
		return s, nil
	}
	if len(v) < 2 || v[0] != '"' {
		return "", fmt.Errorf("expected a JSON string")
	}
	return keyString(v[1:len(v)-1], true)
}

// AppendString appends s as a JSON string literal.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = fmt.Appendf(dst, `\u%04x`, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendRequest appends a request message with the given raw id and params
// (params may be nil).
func AppendRequest(dst, id []byte, method string, params []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"method":`...)
	dst = AppendString(dst, method)
	if params != nil {
		dst = append(dst, `,"params":`...)
		dst = append(dst, params...)
	}
	return append(dst, '}')
}

// AppendNotification appends a notification message (params may be nil).
func AppendNotification(dst []byte, method string, params []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","method":`...)
	dst = AppendString(dst, method)
	if params != nil {
		dst = append(dst, `,"params":`...)
		dst = append(dst, params...)
	}
	return append(dst, '}')
}

// AppendResult appends a success response carrying the raw result.
func AppendResult(dst, id, result []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"result":`...)
	dst = append(dst, result...)
	return append(dst, '}')
}

// AppendErrorResponse appends an error response carrying the raw error
// object errObj (as built by [AppendError] or received from a peer).
func AppendErrorResponse(dst, id, errObj []byte) []byte {
	if id == nil {
		id = []byte("null")
	}
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	dst = append(dst, `,"error":`...)
	dst = append(dst, errObj...)
	return append(dst, '}')
}

// AppendError appends a JSON-RPC error object. data is raw JSON or nil.
func AppendError(dst []byte, code int, message string, data []byte) []byte {
	dst = fmt.Appendf(dst, `{"code":%d,"message":`, code)
	dst = AppendString(dst, message)
	if data != nil {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	return append(dst, '}')
}

// SetField returns obj with the top-level key set to the raw value val,
// keeping every other byte of obj unchanged. A present key has its value
// replaced in place; an absent key is added as the first field. obj must be
// a valid JSON object; a nil or empty obj is treated as {}.
func SetField(obj []byte, key string, val []byte) ([]byte, error) {
	if len(bytes.TrimSpace(obj)) == 0 {
		obj = []byte("{}")
	}
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, errNotObject
	}
	vs, ve := -1, -1
	_, err := eachField(obj, i, 1, func(k []byte, esc bool, s, e int) error {
		if !esc && string(k) == key {
			if vs >= 0 {
				return fmt.Errorf("duplicate key %q", key)
			}
			vs, ve = s, e
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if vs >= 0 {
		out := make([]byte, 0, len(obj)-(ve-vs)+len(val))
		out = append(out, obj[:vs]...)
		out = append(out, val...)
		return append(out, obj[ve:]...), nil
	}
	out := make([]byte, 0, len(obj)+len(key)+len(val)+4)
	out = append(out, obj[:i+1]...)
	out = AppendString(out, key)
	out = append(out, ':')
	out = append(out, val...)
	rest := obj[i+1:]
	if j := skipSpace(rest, 0); j < len(rest) && rest[j] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...), nil
}

// ErrorCode returns the code of a raw JSON-RPC error object, or 0.
func ErrorCode(errObj []byte) int {
	v, err := Get(errObj, "code")
	if err != nil || len(v) == 0 {
		return 0
	}
	n := 0
	neg := false
	for i, c := range v {
		if i == 0 && c == '-' {
			neg = true
			continue
		}
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// PeekID returns the raw id of a message too large to read whole, from its
// first bytes (head) and last bytes (tail). Encoders write the id either
// among the first fields or as the last one; ok is false when it is in
// neither place.
func PeekID(head, tail []byte) (id []byte, ok bool) {
	if i := skipSpace(head, 0); i < len(head) && head[i] == '{' {
		_, _ = eachField(head, i, 1, func(key []byte, esc bool, vs, ve int) error {
			if !esc && string(key) == "id" {
				// A number at the very end may have been cut short ("4"
				// of "42"): only a value followed by more bytes is whole.
				if ve < len(head) {
					id = head[vs:ve]
				}
				return errStop
			}
			return nil
		})
		if id != nil {
			return id, true
		}
	}
	// The last field: `"id":<value>}` closing the whole message. An id of
	// a nested object would be followed by at least two closing braces.
	t := bytes.TrimRight(tail, " \t\r\n")
	if len(t) < 2 || t[len(t)-1] != '}' {
		return nil, false
	}
	t = bytes.TrimRight(t[:len(t)-1], " \t\r\n")
	k := bytes.LastIndex(t, []byte(`"id"`))
	if k < 0 {
		return nil, false
	}
	// What precedes the key must end a previous field (or open the object).
	if p := bytes.TrimRight(t[:k], " \t\r\n"); len(p) == 0 || (p[len(p)-1] != ',' && p[len(p)-1] != '{') {
		return nil, false
	}
	rest := bytes.TrimLeft(t[k+4:], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	v := bytes.TrimSpace(rest[1:])
	if Valid(v) != nil || (v[0] != '"' && v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return nil, false
	}
	return v, true
}

var errStop = errors.New("stop")
