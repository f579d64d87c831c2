package transport

import (
	"encoding/base64"
	"strings"
)

// EncodeHeaderValue renders a value for an HTTP header of the 2026-07-28
// revision (Mcp-Name, Mcp-Param-*): as it is when it can travel in a
// header, otherwise (non-ASCII or control characters, surrounding spaces,
// or a value that itself looks encoded) as =?base64?<UTF-8 in Base64>?=.
func EncodeHeaderValue(s string) string {
	plain := strings.TrimSpace(s) == s && !(strings.HasPrefix(s, "=?base64?") && strings.HasSuffix(s, "?="))
	for i := 0; plain && i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// DecodeHeaderValue undoes EncodeHeaderValue. A value without the whole
// =?base64?...?= wrapper is literal; ok is false for a wrapped value that
// is not valid Base64.
func DecodeHeaderValue(v string) (s string, ok bool) {
	if !strings.HasPrefix(v, "=?base64?") || !strings.HasSuffix(v, "?=") || len(v) < len("=?base64??=") {
		return v, true
	}
	b, err := base64.StdEncoding.DecodeString(v[len("=?base64?") : len(v)-2])
	if err != nil {
		return "", false
	}
	return string(b), true
}
