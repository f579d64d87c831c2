// Command echoserver is the benchmark backend: a minimal, fast MCP server,
// so that a benchmark measures the gateway rather than the backend. It
// answers initialize, tools/list (-tools N tools) and tools/call (the
// "echo" tool, and every generated tool) with a small fixed-shape result.
//
// By default it speaks stdio and answers requests in arrival order. With
// -http ADDR it serves streamable HTTP at http://ADDR/mcp instead (see
// serveHTTP) and prints that URL as its first line on stdout:
//
//	echoserver                      # stdio
//	echoserver -http 127.0.0.1:0    # streamable HTTP on a free port
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
	addr := flag.String("http", "", "serve streamable HTTP at http://ADDR/mcp instead of stdio (port 0: a free one)")
	flag.Parse()
	list := toolsList(*tools)
	if *addr != "" {
		if err := serveHTTP(*addr, list); err != nil {
			fmt.Fprintln(os.Stderr, "echoserver:", err)
			os.Exit(1)
		}
		return
	}
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
		out.Write(answer(nil, m, list))
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

// answer appends to b the response to the request m; list is the
// tools/list result.
func answer(b []byte, m jsonrpc.Message, list []byte) []byte {
	var res []byte
	switch m.Method {
	case "initialize":
		res = []byte(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"echoserver","version":"1"}}`)
	case "tools/list":
		res = list
	case "tools/call":
		args, _ := jsonrpc.Get(m.Params, "arguments")
		msg, _ := jsonrpc.Get(args, "message")
		if msg == nil {
			res = []byte(`{"content":[{"type":"text","text":"ok"}]}`)
		} else {
			res = append(append([]byte(`{"content":[{"type":"text","text":`), msg...), `}]}`...)
		}
	case "ping":
		res = []byte(`{}`)
	default:
		return jsonrpc.AppendErrorResponse(b, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeMethodNotFound, "unknown method", nil))
	}
	return jsonrpc.AppendResult(b, m.ID, res)
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
