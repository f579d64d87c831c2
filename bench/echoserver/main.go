// Command echoserver is the benchmark backend: a minimal, fast MCP server
// over stdio, so that a benchmark measures the gateway rather than the
// backend. It answers initialize, tools/list (-tools N tools) and
// tools/call (the "echo" tool, and every generated tool) with a small
// fixed-shape result, and answers requests concurrently in arrival order.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

func main() {
	tools := flag.Int("tools", 1, "number of tools to list (the first is echo)")
	flag.Parse()
	list := toolsList(*tools)
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	for {
		line, err := in.ReadSlice('\n')
		if err != nil {
			out.Flush()
			return
		}
		m, err := jsonrpc.Parse(bytes.TrimRight(line, "\r\n"))
		if err != nil || m.Kind != jsonrpc.KindRequest {
			continue
		}
		var res []byte
		switch m.Method {
		case "initialize":
			res = []byte(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"echoserver","version":"1"}}`)
		case "tools/list":
			res = list
		case "tools/call":
			args, _ := jsonrpc.Get(m.Params, "arguments")
			msg, _ := jsonrpc.Get(args, "message")
			res = append(append([]byte(`{"content":[{"type":"text","text":`), msg...), `}]}`...)
			if msg == nil {
				res = []byte(`{"content":[{"type":"text","text":"ok"}]}`)
			}
		case "ping":
			res = []byte(`{}`)
		default:
			out.Write(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeMethodNotFound, "unknown method", nil)))
			out.WriteByte('\n')
			continue
		}
		out.Write(jsonrpc.AppendResult(nil, m.ID, res))
		out.WriteByte('\n')
		// Flush when no more input is already buffered: pipelined requests
		// are answered in batches, single ones at once.
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return
			}
		}
	}
}

func toolsList(n int) []byte {
	b := []byte(`{"tools":[`)
	for i := range max(n, 1) {
		name := "echo"
		if i > 0 {
			name = "tool_" + strconv.Itoa(i)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"name":%q,"description":"Echoes the message back (tool %d).","inputSchema":{"type":"object","properties":{"message":{"type":"string","description":"text to echo"}},"required":["message"]}}`, name, i)
	}
	return append(b, "]}"...)
}
