// Command raw is a hand-written MCP server over stdio, using the standard
// library only, for tests that need exact bytes and misbehaving servers.
//
// It reads newline-delimited JSON-RPC messages from stdin and writes one
// message per line to stdout, with the exact bytes of package rawdata;
// request ids are echoed byte for byte as received.
//
// Methods: initialize (echoes the requested protocol version when it is one
// of rawdata.SupportedProtocolVersions, else 2025-11-25; capabilities
// rawdata.Capabilities; serverInfo.name from -name; an unknown top-level
// field "x-extra"), ping ({}), tools/list (rawdata.ToolsListResult),
// tools/call. Other methods get error -32601; notifications are ignored.
//
// Tools:
//
//	fidelity          answers rawdata.FidelityResult
//	ask {question}    sends sampling/createMessage to the client with the
//	                  server's next request id, waits for the response with
//	                  that id and answers "<name> got: <text>"; concurrent
//	                  asks are answered independently
//	exit              exits with status 7 without answering
//
// Flags:
//
//	-name NAME           serverInfo.name and prefix of ask answers (default "raw")
//	-ask-id N            id of the first sampling request, a JSON number;
//	                     later ones count up from it (default 0)
//	-ask-id-string S     use string ids instead: "S", then "S-1", "S-2", ...
//	-garbage             write the line rawdata.Garbage before every message
//	-banner              write the line rawdata.Banner on stdout at start-up
//	-stderr-flood N      write N KiB to stderr at start-up
//
// Two instances started with the same -ask-id send sampling requests with
// the same ids: a gateway in front of both must keep them apart.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/mcpgw/mcp-gateway/internal/testservers/raw/rawdata"
)

func main() {
	name := flag.String("name", "raw", "server name (serverInfo.name, prefix of ask answers)")
	askID := flag.Int64("ask-id", 0, "id of the first server-to-client sampling request (a JSON number); later ones count up")
	askIDString := flag.String("ask-id-string", "", "if set, use string ids for sampling requests: this string, then string-1, string-2, ...")
	garbage := flag.Bool("garbage", false, "write a line of non-JSON garbage on stdout before every message")
	banner := flag.Bool("banner", false, "write a non-JSON banner line on stdout at start-up")
	flood := flag.Int("stderr-flood", 0, "write this many KiB to stderr at start-up")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetPrefix("raw " + *name + ": ")

	s := &server{
		name:      *name,
		out:       os.Stdout,
		garbage:   *garbage,
		nextAsk:   *askID,
		askString: *askIDString,
		pending:   map[string]chan json.RawMessage{},
	}
	if *flood > 0 {
		floodStderr(*name, *flood)
	}
	if *banner {
		fmt.Fprintln(os.Stdout, rawdata.Banner)
	}
	s.serve(os.Stdin)
}

// floodStderr writes kib KiB to stderr in lines of 64 bytes.
func floodStderr(name string, kib int) {
	w := bufio.NewWriter(os.Stderr)
	for i := range kib * 16 {
		line := fmt.Sprintf("raw %s: start-up noise line %d ", name, i)
		line = line[:min(len(line), 63)]
		w.WriteString(line + strings.Repeat("-", 63-len(line)) + "\n")
	}
	w.Flush()
}

type server struct {
	name    string
	garbage bool

	wmu sync.Mutex
	out io.Writer

	mu        sync.Mutex
	nextAsk   int64
	askSeq    int // number of string ids handed out
	askString string
	pending   map[string]chan json.RawMessage // by idKey of our requests; receives the whole response
}

// message is any JSON-RPC message. ID and Params keep their exact bytes.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

func (s *server) serve(in io.Reader) {
	r := bufio.NewReaderSize(in, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if line = bytes.TrimRight(line, "\r\n"); len(bytes.TrimSpace(line)) > 0 {
			s.handle(line)
		}
		if err != nil {
			if err != io.EOF {
				log.Printf("reading stdin: %v", err)
			}
			return
		}
	}
}

// writeLine writes one line on stdout, preceded by a garbage line with
// -garbage, in a single write.
func (s *server) writeLine(msg string) {
	var b []byte
	if s.garbage {
		b = append(b, rawdata.Garbage+"\n"...)
	}
	b = append(b, msg...)
	b = append(b, '\n')
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.out.Write(b); err != nil {
		log.Printf("writing stdout: %v", err)
	}
}

func (s *server) handle(line []byte) {
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		log.Printf("ignoring a line that is not a JSON-RPC message (%v): %.200s", err, line)
		return
	}
	switch {
	case m.Method == nil && m.ID != nil:
		s.response(m.ID, line)
	case m.Method == nil:
		log.Printf("ignoring a message with neither method nor id: %.200s", line)
	case m.ID == nil:
		// A notification: nothing to do.
	default:
		s.request(string(m.ID), *m.Method, m.Params)
	}
}

func (s *server) request(id, method string, params json.RawMessage) {
	switch method {
	case "initialize":
		var p struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		json.Unmarshal(params, &p) // a missing or odd version gets the latest one
		s.writeLine(rawdata.Response(id, rawdata.InitializeResult(rawdata.NegotiateVersion(p.ProtocolVersion), s.name)))
	case "ping":
		s.writeLine(rawdata.Response(id, `{}`))
	case "tools/list":
		s.writeLine(rawdata.Response(id, rawdata.ToolsListResult))
	case "tools/call":
		s.callTool(id, params)
	default:
		s.writeLine(rawdata.ErrorResponse(id, rawdata.CodeMethodNotFound, "method not found: "+method))
	}
}

func (s *server) callTool(id string, params json.RawMessage) {
	var p struct {
		Name      string                     `json:"name"`
		Arguments map[string]json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		s.writeLine(rawdata.ErrorResponse(id, rawdata.CodeInvalidParams, "tools/call: "+err.Error()))
		return
	}
	switch p.Name {
	case "fidelity":
		s.writeLine(rawdata.Response(id, rawdata.FidelityResult))
	case "exit":
		log.Printf("tool exit: exiting with status 7")
		os.Exit(7)
	case "ask":
		q := bytes.TrimSpace(p.Arguments["question"])
		var question string
		if len(q) == 0 || q[0] != '"' || json.Unmarshal(q, &question) != nil {
			s.writeLine(rawdata.ErrorResponse(id, rawdata.CodeInvalidParams, "ask: arguments.question must be a string"))
			return
		}
		go s.ask(id, string(q))
	default:
		s.writeLine(rawdata.ErrorResponse(id, rawdata.CodeInvalidParams, "unknown tool "+strconv.Quote(p.Name)))
	}
}

// ask sends sampling/createMessage with the server's next id, waits for the
// client's response and answers the tools/call callID with it. question is
// the JSON string exactly as received.
func (s *server) ask(callID, question string) {
	s.mu.Lock()
	var id string
	if s.askString != "" {
		str := s.askString
		if s.askSeq > 0 {
			str += "-" + strconv.Itoa(s.askSeq)
		}
		s.askSeq++
		id = rawdata.Quote(str)
	} else {
		id = strconv.FormatInt(s.nextAsk, 10)
		s.nextAsk++
	}
	ch := make(chan json.RawMessage, 1)
	key := idKey([]byte(id))
	s.pending[key] = ch
	s.mu.Unlock()

	s.writeLine(rawdata.Request(id, "sampling/createMessage", rawdata.SamplingParams(question)))
	resp := <-ch // stdin closing ends the process, so this cannot leak for long

	var r struct {
		Result *struct {
			Content json.RawMessage `json:"content"`
		} `json:"result"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		s.writeLine(rawdata.Response(callID, rawdata.AskErrorResult(s.name, err.Error())))
		return
	}
	switch {
	case r.Error != nil:
		s.writeLine(rawdata.Response(callID, rawdata.AskErrorResult(s.name, fmt.Sprintf("error %d: %s", r.Error.Code, r.Error.Message))))
	case r.Result == nil:
		s.writeLine(rawdata.Response(callID, rawdata.AskErrorResult(s.name, "response without result")))
	default:
		text, ok := firstText(r.Result.Content)
		if !ok {
			s.writeLine(rawdata.Response(callID, rawdata.AskErrorResult(s.name, "no text content in the answer")))
			return
		}
		s.writeLine(rawdata.Response(callID, rawdata.AskResult(s.name, text)))
	}
}

// firstText returns the text of a sampling result's content: one content
// block, or an array of them (2025-11-25).
func firstText(content json.RawMessage) (string, bool) {
	type block struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	var blocks []block
	if err := json.Unmarshal(content, &blocks); err != nil {
		var one block
		if err := json.Unmarshal(content, &one); err != nil {
			return "", false
		}
		blocks = []block{one}
	}
	for _, b := range blocks {
		if b.Type == "text" {
			return b.Text, true
		}
	}
	return "", false
}

// response routes a client's response to the ask waiting for it.
func (s *server) response(id json.RawMessage, line []byte) {
	key := idKey(id)
	s.mu.Lock()
	ch := s.pending[key]
	delete(s.pending, key)
	s.mu.Unlock()
	if ch == nil {
		log.Printf("ignoring a response to no request of ours (id %s)", id)
		return
	}
	ch <- append([]byte(nil), line...)
}

// idKey identifies a request id independently of its spelling: a string by
// its value, an integer by its value, anything else by its bytes.
func idKey(id []byte) string {
	id = bytes.TrimSpace(id)
	var str string
	if len(id) > 0 && id[0] == '"' && json.Unmarshal(id, &str) == nil {
		return "s:" + str
	}
	if n, err := strconv.ParseInt(string(id), 10, 64); err == nil {
		return "n:" + strconv.FormatInt(n, 10)
	}
	var f float64
	if json.Unmarshal(id, &f) == nil && f == float64(int64(f)) {
		return "n:" + strconv.FormatInt(int64(f), 10)
	}
	return "r:" + string(id)
}
