// Command rawserver is a hand-written MCP server over stdio for tests that
// need exact bytes: it answers with JSON written by hand (unknown fields,
// _meta, unusual schemas and number spellings), and on demand sends the
// client server→client requests with fixed ids, so that two instances
// collide on ids by design.
//
// Flags: -name NAME, -ask-id N (first id of its sampling requests).
// Tools: fidelity (returns FidelityResult), ask {question} (asks the client
// to sample, answers with what the client said).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/mcpgw/mcp-gateway/internal/rawserver/rawdata"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

type server struct {
	name string
	wmu  sync.Mutex
	w    *bufio.Writer

	mu      sync.Mutex
	nextAsk int64
	asks    map[string]chan jsonrpc.Message // by raw id of our request
}

func main() {
	name := flag.String("name", "raw", "server name")
	askID := flag.Int64("ask-id", 0, "id of the first server→client request")
	flag.Parse()
	s := &server{name: *name, w: bufio.NewWriter(os.Stdout), nextAsk: *askID, asks: map[string]chan jsonrpc.Message{}}
	r := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			m, perr := jsonrpc.Parse(bytes.TrimRight(line, "\r\n"))
			if perr == nil {
				s.handle(m)
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *server) write(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.w.Write(b)
	s.w.WriteByte('\n')
	s.w.Flush()
}

func (s *server) result(id []byte, res string) { s.write(jsonrpc.AppendResult(nil, id, []byte(res))) }

func (s *server) handle(m jsonrpc.Message) {
	switch m.Kind {
	case jsonrpc.KindResponse:
		s.mu.Lock()
		ch := s.asks[string(m.ID)]
		delete(s.asks, string(m.ID))
		s.mu.Unlock()
		if ch != nil {
			ch <- m
		}
		return
	case jsonrpc.KindNotification:
		return
	}
	switch m.Method {
	case "initialize":
		s.result(m.ID, `{"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"experimental":{"x-raw":{"k":1}}},"serverInfo":{"name":`+strconv.Quote(s.name)+`,"version":"1"},"x-extra":{"nested":[1,2.50,"\u00e9"]}}`)
	case "ping":
		s.result(m.ID, `{}`)
	case "tools/list":
		s.result(m.ID, `{"tools":[`+rawdata.FidelityTool+`,{"name":"ask","description":"Asks the client to sample.","inputSchema":{"type":"object","properties":{"question":{"type":"string"}}}}],"_meta":{"x-list":true}}`)
	case "tools/call":
		v, _ := jsonrpc.Lookup(m.Params, "name", "arguments")
		name, _ := jsonrpc.String(v[0])
		switch name {
		case "fidelity":
			s.result(m.ID, rawdata.FidelityResult)
		case "ask":
			q, _ := jsonrpc.Get(v[1], "question")
			go s.ask(m.ID, q)
		default:
			s.write(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, -32602, "unknown tool "+name, nil)))
		}
	default:
		s.write(jsonrpc.AppendErrorResponse(nil, m.ID, jsonrpc.AppendError(nil, jsonrpc.CodeMethodNotFound, "method not found", nil)))
	}
}

// ask sends sampling/createMessage with the server's next fixed id and
// answers the tools/call with the text the client sampled.
func (s *server) ask(callID, question []byte) {
	s.mu.Lock()
	id := []byte(strconv.FormatInt(s.nextAsk, 10))
	s.nextAsk++
	ch := make(chan jsonrpc.Message, 1)
	s.asks[string(id)] = ch
	s.mu.Unlock()
	params := fmt.Sprintf(`{"messages":[{"role":"user","content":{"type":"text","text":%s}}],"maxTokens":10,"_meta":{"asker":%q}}`, question, s.name)
	s.write(jsonrpc.AppendRequest(nil, id, "sampling/createMessage", []byte(params)))
	resp := <-ch
	if resp.Error != nil {
		s.result(callID, `{"content":[{"type":"text","text":"sampling failed"}],"isError":true}`)
		return
	}
	content, _ := jsonrpc.Get(resp.Result, "content")
	text, _ := jsonrpc.Get(content, "text")
	t, _ := jsonrpc.String(text)
	s.result(callID, `{"content":[{"type":"text","text":`+strconv.Quote(s.name+" got: "+t)+`}]}`)
}
