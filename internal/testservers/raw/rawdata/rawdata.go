// Package rawdata holds the exact bytes that the raw test server
// (internal/testservers/raw) writes, so that tests can check that they
// arrive unchanged after passing through the gateway.
//
// Every message the server writes is one line: the JSON text below, built
// with the functions of this package, followed by "\n". Request ids are
// echoed with the exact bytes the client sent.
//
// It uses the standard library only.
package rawdata

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// FidelityTool is the definition of the tool "fidelity" as tools/list
// returns it: unknown fields ("x-vendor", "annotations.x-hint"), a _meta
// object, an unusual JSON schema ($schema, $defs with a $ref, oneOf,
// additionalProperties false, a pattern with backslashes), numbers spelled
// 1.0e+2 and -0, unicode escapes (\u2603, a surrogate pair, \/) and keys in
// non-alphabetical order.
const FidelityTool = `{"x-vendor":{"b":2,"a":1},"inputSchema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"pos":{"type":"number","minimum":-0,"maximum":1.0e+2}},"properties":{"z":{"$ref":"#/$defs/pos"},"a":{"oneOf":[{"type":"string","pattern":"^\\d+\\.\\w*$"},{"type":"null"}],"default":"\u2603"}},"additionalProperties":false,"required":["z"]},"name":"fidelity","_meta":{"vendor.example/x":[true,null,{"deep":"\u00e9\n"}]},"annotations":{"title":"Fidelity","readOnlyHint":true,"x-hint":-0.0},"description":"Exact bytes \u0041\u00e9 \ud83d\ude00 \/ survive."}`

// AskTool is the definition of the tool "ask" {question}: the server asks
// the client's model (sampling/createMessage) and answers with what it said.
const AskTool = `{"name":"ask","description":"Asks the client's model the question (sampling/createMessage) and answers \"<server> got: <answer>\".","inputSchema":{"type":"object","properties":{"question":{"type":"string","description":"what to ask the model"}},"required":["question"]}}`

// ExitTool is the definition of the tool "exit": the server exits with
// status 7 without answering.
const ExitTool = `{"name":"exit","description":"Exits the server process with status 7 without answering.","inputSchema":{"type":"object","properties":{}}}`

// ToolsListResult is the result of tools/list.
const ToolsListResult = `{"tools":[` + FidelityTool + `,` + AskTool + `,` + ExitTool + `],"_meta":{"x-list":true}}`

// FidelityResult is the result of tools/call "fidelity": unknown fields,
// _meta, annotations, and structuredContent written unusually (1E2, -0.0,
// \u2603, spaces inside an array).
const FidelityResult = `{"content":[{"type":"text","text":"r\u00e9sultat \ud83d\ude00","annotations":{"priority":0.50,"x-ann":{}}}],"structuredContent":{"n":1E2,"neg":-0.0,"s":"\u2603","arr":[ 1 , 2 ],"nested":{"z":null,"a":[]}},"_meta":{"trace":"abc","x":{"y":[]}},"x-unknown":{"keep":"me"},"isError":false}`

// Capabilities is the server's capabilities object in its initialize result.
const Capabilities = `{"tools":{"listChanged":true},"experimental":{"x-raw":{"k":1}}}`

// InitializeExtra is the value of the unknown top-level field "x-extra" of
// the initialize result, spaces included.
const InitializeExtra = `{"nested": [1, 2.50, "\u00e9"]}`

// ServerVersion is serverInfo.version in the initialize result.
const ServerVersion = "1.0.0"

// LatestProtocolVersion is the protocol version the server answers with when
// the client asks for one it does not support.
const LatestProtocolVersion = "2025-11-25"

// SupportedProtocolVersions are the versions the server echoes back when a
// client asks for one of them.
var SupportedProtocolVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// Banner is the line the server writes on stdout at start-up with -banner.
const Banner = "Server running on stdio"

// Garbage is the line the server writes before every message with -garbage.
const Garbage = "this is not json {"

// Error codes the server uses.
const (
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
)

// NegotiateVersion returns the protocol version the server answers to an
// initialize request asking for requested.
func NegotiateVersion(requested string) string {
	for _, v := range SupportedProtocolVersions {
		if v == requested {
			return v
		}
	}
	return LatestProtocolVersion
}

// InitializeResult is the result of initialize for a server named name that
// negotiated protocolVersion.
func InitializeResult(protocolVersion, name string) string {
	return `{"protocolVersion":` + Quote(protocolVersion) +
		`,"capabilities":` + Capabilities +
		`,"serverInfo":{"name":` + Quote(name) + `,"version":"` + ServerVersion + `"}` +
		`,"x-extra":` + InitializeExtra + `}`
}

// SamplingParams is the params of the sampling/createMessage request that
// the tool "ask" sends; question is the JSON string exactly as the client
// sent it in the tool's arguments.
func SamplingParams(question string) string {
	return `{"messages":[{"role":"user","content":{"type":"text","text":` + question + `}}],"maxTokens":100}`
}

// AskResult is the tools/call result of "ask" for a server named name when
// the client's model answered text.
func AskResult(name, text string) string {
	return `{"content":[{"type":"text","text":` + Quote(name+" got: "+text) + `}]}`
}

// AskErrorResult is the tools/call result of "ask" when the client answered
// the sampling request with an error or with no text.
func AskErrorResult(name, problem string) string {
	return `{"content":[{"type":"text","text":` + Quote(name+" could not sample: "+problem) + `}],"isError":true}`
}

// Response is a JSON-RPC response with the raw id and result.
func Response(id, result string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"result":` + result + `}`
}

// ErrorResponse is a JSON-RPC error response with the raw id.
func ErrorResponse(id string, code int, message string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"error":{"code":` + strconv.Itoa(code) + `,"message":` + Quote(message) + `}}`
}

// Request is a JSON-RPC request with the raw id and params.
func Request(id, method, params string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":` + Quote(method) + `,"params":` + params + `}`
}

// Quote returns s as a JSON string, as encoding/json writes it but without
// escaping <, > and &.
func Quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil { // cannot fail for a string
		panic(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
