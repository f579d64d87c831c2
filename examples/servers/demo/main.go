// Command demo is a small MCP server for trying the gateway: a clock, a
// calculator, an echo, and an in-memory notebook whose notes are also
// resources. It speaks MCP over stdio.
//
//	go run ./examples/servers/demo -name notes
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type notebook struct {
	mu    sync.Mutex
	notes map[string]string
}

func main() {
	name := flag.String("name", "demo", "server name, shown in results and resource URIs")
	flag.Parse()
	log.SetOutput(os.Stderr)
	s := mcp.NewServer(&mcp.Implementation{Name: *name, Version: "1.0.0"}, nil)
	nb := &notebook{notes: map[string]string{}}

	type nowArgs struct {
		Timezone string `json:"timezone,omitempty" jsonschema:"IANA time zone such as Europe/Paris (default UTC)"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "now", Description: "Tells the current date and time in a time zone."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a nowArgs) (*mcp.CallToolResult, any, error) {
			tz := a.Timezone
			if tz == "" {
				tz = "UTC"
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return nil, nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Paris", tz)
			}
			return text(time.Now().In(loc).Format("Monday 2 January 2006, 15:04:05 MST")), nil, nil
		})

	type addArgs struct {
		A float64 `json:"a" jsonschema:"first number"`
		B float64 `json:"b" jsonschema:"second number"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "add", Description: "Adds two numbers."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a addArgs) (*mcp.CallToolResult, any, error) {
			return text(fmt.Sprint(a.A + a.B)), nil, nil
		})

	type echoArgs struct {
		Message string `json:"message" jsonschema:"text to send back"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Sends the message back, prefixed with the server's name."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, any, error) {
			return text(*name + ": " + a.Message), nil, nil
		})

	type noteArgs struct {
		Title string `json:"title" jsonschema:"short title, used in the note's URI"`
		Body  string `json:"body" jsonschema:"the note's text"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "note_add", Description: "Saves a note (replacing one with the same title). Notes are readable as resources notes://<server>/<title>."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a noteArgs) (*mcp.CallToolResult, any, error) {
			if strings.TrimSpace(a.Title) == "" {
				return nil, nil, fmt.Errorf("a note needs a title")
			}
			nb.mu.Lock()
			_, existed := nb.notes[a.Title]
			nb.notes[a.Title] = a.Body
			nb.mu.Unlock()
			uri := "notes://" + *name + "/" + a.Title
			if !existed {
				s.AddResource(&mcp.Resource{URI: uri, Name: a.Title, MIMEType: "text/plain"}, nb.read(uri, a.Title))
			}
			return text("saved " + uri), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "note_list", Description: "Lists the titles of all saved notes."},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			nb.mu.Lock()
			titles := make([]string, 0, len(nb.notes))
			for t := range nb.notes {
				titles = append(titles, t)
			}
			nb.mu.Unlock()
			sort.Strings(titles)
			if len(titles) == 0 {
				return text("no notes yet"), nil, nil
			}
			return text(strings.Join(titles, "\n")), nil, nil
		})

	s.AddPrompt(&mcp.Prompt{Name: "summarize_notes", Description: "Asks the model to summarize every saved note."},
		func(ctx context.Context, _ *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			nb.mu.Lock()
			var sb strings.Builder
			for t, b := range nb.notes {
				fmt.Fprintf(&sb, "## %s\n%s\n\n", t, b)
			}
			nb.mu.Unlock()
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{
				Role:    "user",
				Content: &mcp.TextContent{Text: "Summarize these notes in three bullet points:\n\n" + sb.String()},
			}}}, nil
		})

	if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		log.Printf("demo server: %v", err)
	}
}

func (nb *notebook) read(uri, title string) mcp.ResourceHandler {
	return func(ctx context.Context, _ *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		nb.mu.Lock()
		body := nb.notes[title]
		nb.mu.Unlock()
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: body}}}, nil
	}
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}
