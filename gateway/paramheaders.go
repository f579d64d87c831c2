package gateway

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/transport"
)

// Mcp-Param-* headers (2026-07-28, streamable HTTP): a tool's input schema
// may mark arguments with "x-mcp-header": "Name"; a request calling it
// then carries each such argument in the header Mcp-Param-Name as well, so
// that intermediaries can route on it without reading the body. The
// gateway checks them on the way in and writes them for the backend hop
// (the tool's schema is the backend's own, so the annotations are the
// same; only the tool name changes).

// paramHeader is one annotated argument of a tool.
type paramHeader struct {
	path   []string // property names from the schema root
	header string   // "Mcp-Param-" + the annotation
	typ    string   // "string", "integer" or "boolean"
}

// paramHeadersOf reads the annotations of a tool definition. Annotations
// in places the revision does not allow (under items, combinators or
// $ref, or on other types) are ignored.
func paramHeadersOf(toolRaw []byte) []paramHeader {
	schema, err := jsonrpc.Get(toolRaw, "inputSchema")
	if err != nil || schema == nil || !strings.Contains(string(schema), "x-mcp-header") {
		return nil
	}
	var root map[string]any
	if json.Unmarshal(schema, &root) != nil {
		return nil
	}
	var out []paramHeader
	var walk func(node map[string]any, path []string)
	walk = func(node map[string]any, path []string) {
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			sub := append(append([]string(nil), path...), name)
			if h, ok := pm["x-mcp-header"].(string); ok && h != "" {
				typ, _ := pm["type"].(string)
				if typ == "string" || typ == "integer" || typ == "boolean" {
					out = append(out, paramHeader{path: sub, header: "Mcp-Param-" + h, typ: typ})
				}
			}
			walk(pm, sub)
		}
	}
	walk(root, nil)
	sort.Slice(out, func(i, j int) bool { return out[i].header < out[j].header })
	return out
}

// paramHeaderCache holds the annotations of the tools of one catalog
// snapshot, computed when first needed.
type paramHeaderCache struct {
	snap  *catalog.Snapshot
	tools sync.Map // exposed name → []paramHeader
}

// paramHeaders returns the annotated arguments of an exposed tool.
func (g *Gateway) paramHeaders(exposed string) []paramHeader {
	snap := g.Snapshot()
	c := g.paramCache.Load()
	if c == nil || c.snap != snap {
		c = &paramHeaderCache{snap: snap}
		g.paramCache.Store(c)
	}
	if v, ok := c.tools.Load(exposed); ok {
		return v.([]paramHeader)
	}
	var hs []paramHeader
	if it, ok := snap.Lookup(catalog.Tools, exposed); ok {
		hs = paramHeadersOf(it.Raw)
	}
	c.tools.Store(exposed, hs)
	return hs
}

// argument returns the raw JSON value at path in a call's arguments (nil
// when absent or null).
func argument(args []byte, path []string) []byte {
	v := args
	for _, k := range path {
		if v == nil || v[0] != '{' {
			return nil
		}
		v, _ = jsonrpc.Get(v, k)
	}
	if string(v) == "null" {
		return nil
	}
	return v
}

// headerValueOf renders an argument as its header value.
func headerValueOf(raw []byte, typ string) (string, bool) {
	switch typ {
	case "string":
		s, err := jsonrpc.String(raw)
		if err != nil {
			return "", false
		}
		return transport.EncodeHeaderValue(s), true
	case "integer":
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53-1 {
			return "", false
		}
		return strconv.FormatInt(int64(f), 10), true
	case "boolean":
		if s := string(raw); s == "true" || s == "false" {
			return s, true
		}
	}
	return "", false
}

// ParamHeaders returns the Mcp-Param-* headers a tools/call to the exposed
// tool must carry for its params (the backend hop's, or what a client's
// must match).
func (g *Gateway) ParamHeaders(exposed string, params []byte) map[string]string {
	return g.paramsFor(g.paramHeaders(exposed), params)
}

func (g *Gateway) paramsFor(hs []paramHeader, params []byte) map[string]string {
	if len(hs) == 0 {
		return nil
	}
	args, _ := jsonrpc.Get(params, "arguments")
	out := map[string]string{}
	for _, h := range hs {
		if v, ok := headerValueOf(argument(args, h.path), h.typ); ok {
			out[h.header] = v
		}
	}
	return out
}

// CheckParamHeaders validates a modern tools/call's Mcp-Param-* headers
// against its arguments; get returns a request header. The error is the
// message of a -32020 rejection.
func (g *Gateway) CheckParamHeaders(exposed string, params []byte, get func(name string) (string, bool)) error {
	return g.checkParams(g.paramHeaders(exposed), params, get)
}

func (g *Gateway) checkParams(hs []paramHeader, params []byte, get func(name string) (string, bool)) error {
	if len(hs) == 0 {
		return nil
	}
	args, _ := jsonrpc.Get(params, "arguments")
	for _, h := range hs {
		raw := argument(args, h.path)
		got, present := get(h.header)
		name := strings.Join(h.path, ".")
		switch {
		case raw == nil && present:
			return fmt.Errorf("header mismatch: %s header is present but argument %q is not", h.header, name)
		case raw == nil:
			continue
		case !present:
			return fmt.Errorf("header mismatch: missing %s header for parameter %q", h.header, name)
		}
		decoded, ok := transport.DecodeHeaderValue(strings.TrimSpace(got))
		if !ok {
			return fmt.Errorf("header mismatch: %s header contains invalid Base64 encoding", h.header)
		}
		if !sameArgument(raw, h.typ, decoded) {
			return fmt.Errorf("header mismatch: %s header value does not match argument %q", h.header, name)
		}
	}
	return nil
}

// sameArgument compares a header's decoded value with the argument.
func sameArgument(raw []byte, typ, header string) bool {
	switch typ {
	case "integer":
		a, err1 := strconv.ParseFloat(string(raw), 64)
		b, err2 := strconv.ParseFloat(header, 64)
		return err1 == nil && err2 == nil && a == b
	case "boolean":
		return string(raw) == header
	}
	s, err := jsonrpc.String(raw)
	return err == nil && s == header
}
