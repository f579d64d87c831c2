// Command demo is a small MCP server for trying the gateway: a clock, a
// calculator, an echo, and an in-memory notebook whose notes are also
// resources. It speaks MCP over stdio and logs to stderr.
//
//	go run ./examples/servers/demo -name notes
//
// Tools:
//
//	now {timezone}        the current date and time in an IANA time zone (default UTC)
//	add {a, b}            the sum of two numbers
//	echo {message}        the message, prefixed with the server's name
//	note_add {title, body} saves a note (replacing one with the same title)
//	note_list             the titles of the saved notes
//
// Every note is a resource notes://<name>/<title> (the title path-escaped):
// adding one sends notifications/resources/list_changed, replacing one sends
// notifications/resources/updated to its subscribers. The prompt
// summarize_notes asks the model to summarize all notes.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	name := flag.String("name", "demo", "server name, shown in results and resource URIs")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetPrefix("demo " + *name + ": ")
	log.SetFlags(0)
	if err := newServer(*name).Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		log.Fatal(err)
	}
}
