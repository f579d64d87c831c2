// Package rawdata holds the exact bytes rawserver sends, so that tests can
// check that they arrive unchanged.
package rawdata

// FidelityTool is a tool definition with unknown fields, _meta, an unusual
// JSON schema ($schema, $defs and $ref, oneOf, a pattern with escapes),
// numbers spelled 1.0e+2 and -0, unicode escapes and keys out of order.
const FidelityTool = `{"x-vendor":{"b":2,"a":1},"inputSchema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"pos":{"type":"number","minimum":-0,"maximum":1.0e+2}},"properties":{"z":{"$ref":"#/$defs/pos"},"a":{"oneOf":[{"type":"string","pattern":"^\\d+\\.\\w*$"},{"type":"null"}],"default":"\u2603"}},"additionalProperties":false,"required":["z"]},"name":"fidelity","_meta":{"vendor/x":[true,null,{"deep":"\u00e9\n"}]},"description":"Exact bytes \u0041\u00e9 \ud83d\ude00 survive."}`

// FidelityResult is a tools/call result with unknown fields, _meta and
// structuredContent written unusually.
const FidelityResult = `{"content":[{"type":"text","text":"r\u00e9sultat","annotations":{"priority":0.50,"x-ann":{}}}],"structuredContent":{"n":1E2,"neg":-0.0,"s":"\u2603","arr":[ 1 , 2 ]},"_meta":{"trace":"abc","x":{"y":[]}},"x-unknown":{"keep":"me"},"isError":false}`
