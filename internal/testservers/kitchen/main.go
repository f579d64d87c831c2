// Command kitchen is an MCP test server over stdio, built on the official
// Go SDK, that exercises the whole protocol: progress, cancellation,
// sampling, elicitation, roots, logging, list_changed, subscriptions,
// completion and pagination. Its -name appears in results and URIs so that
// tests can tell instances apart.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	name := flag.String("name", "kitchen", "server name, used in results and URIs")
	nTools := flag.Int("tools", 0, "also register this many generated tools gen_000...")
	pageSize := flag.Int("page-size", 0, "paginate list results by this many items (0: SDK default)")
	flag.Parse()
	log.SetOutput(os.Stderr)

	var s *mcp.Server
	opts := &mcp.ServerOptions{
		PageSize: *pageSize,
		CompletionHandler: func(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
			var pool []string
			switch {
			case req.Params.Ref.Type == "ref/prompt" && req.Params.Argument.Name == "name":
				pool = []string{"alice", "bob", "carol"}
			case req.Params.Ref.Type == "ref/resource" && req.Params.Argument.Name == "id":
				for i := 1; i <= 20; i++ {
					pool = append(pool, fmt.Sprint(i))
				}
			}
			var out []string
			for _, v := range pool {
				if strings.HasPrefix(v, req.Params.Argument.Value) {
					out = append(out, v)
				}
			}
			return &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: out, Total: len(out)}}, nil
		},
		SubscribeHandler:   func(context.Context, *mcp.SubscribeRequest) error { return nil },
		UnsubscribeHandler: func(context.Context, *mcp.UnsubscribeRequest) error { return nil },
	}
	s = mcp.NewServer(&mcp.Implementation{Name: *name, Version: "1.0.0"}, opts)
	n := *name

	type echoArgs struct {
		Message string `json:"message"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Echoes the message, prefixed with the server name."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, any, error) {
			return text(n + ": " + a.Message), map[string]any{"server": n, "message": a.Message}, nil
		})
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "add", Description: "Adds two numbers."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a addArgs) (*mcp.CallToolResult, any, error) {
			return text(fmt.Sprint(a.A + a.B)), nil, nil
		})
	type slowArgs struct {
		Steps   int `json:"steps"`
		DelayMs int `json:"delayMs"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "slow", Description: "Works in steps, reporting progress; stops when cancelled."},
		func(ctx context.Context, req *mcp.CallToolRequest, a slowArgs) (*mcp.CallToolResult, any, error) {
			tok := req.Params.GetProgressToken()
			for i := 1; i <= a.Steps; i++ {
				select {
				case <-ctx.Done():
					log.Printf("slow: cancelled at step %d", i)
					return nil, nil, ctx.Err()
				case <-time.After(time.Duration(a.DelayMs) * time.Millisecond):
				}
				if tok != nil {
					req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(i), Total: float64(a.Steps), Message: fmt.Sprintf("step %d", i)})
				}
			}
			return text(fmt.Sprintf("done %d", a.Steps)), nil, nil
		})
	type promptArgs struct {
		Prompt string `json:"prompt"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "sample", Description: "Asks the client's model to answer the prompt."},
		func(ctx context.Context, req *mcp.CallToolRequest, a promptArgs) (*mcp.CallToolResult, any, error) {
			res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 50,
				Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: a.Prompt}}}})
			if err != nil {
				return nil, nil, err
			}
			t, _ := res.Content.(*mcp.TextContent)
			return text(n + " sampled: " + t.Text), nil, nil
		})
	type questionArgs struct {
		Question string `json:"question"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "elicit", Description: "Asks the user a question through the client."},
		func(ctx context.Context, req *mcp.CallToolRequest, a questionArgs) (*mcp.CallToolResult, any, error) {
			res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{Mode: "form", Message: a.Question, RequestedSchema: map[string]any{
				"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}}})
			if err != nil {
				return nil, nil, err
			}
			return text(fmt.Sprintf("%s elicited: %s %v", n, res.Action, res.Content["answer"])), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "roots", Description: "Lists the client's roots."},
		func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			res, err := req.Session.ListRoots(ctx, nil)
			if err != nil {
				return nil, nil, err
			}
			var uris []string
			for _, r := range res.Roots {
				uris = append(uris, r.URI)
			}
			return text(strings.Join(uris, "\n")), nil, nil
		})
	type logArgs struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "log", Description: "Sends a log message to the client."},
		func(ctx context.Context, req *mcp.CallToolRequest, a logArgs) (*mcp.CallToolResult, any, error) {
			err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: mcp.LoggingLevel(a.Level), Logger: n, Data: a.Message})
			if err != nil {
				return nil, nil, err
			}
			return text("logged"), nil, nil
		})
	type nameArgs struct {
		Name string `json:"name"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "add_tool", Description: "Adds a tool at run time (tools/list_changed)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a nameArgs) (*mcp.CallToolResult, any, error) {
			tn := a.Name
			mcp.AddTool(s, &mcp.Tool{Name: tn, Description: "Added at run time."},
				func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
					return text(n + ": I am " + tn), nil, nil
				})
			return text("added " + tn), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "remove_tool", Description: "Removes a tool at run time."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a nameArgs) (*mcp.CallToolResult, any, error) {
			s.RemoveTools(a.Name)
			return text("removed " + a.Name), nil, nil
		})
	type uriArgs struct {
		URI string `json:"uri"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "touch", Description: "Says a resource changed (resources/updated)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a uriArgs) (*mcp.CallToolResult, any, error) {
			if err := s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: a.URI}); err != nil {
				return nil, nil, err
			}
			return text("touched " + a.URI), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "crash", Description: "Exits the process before answering."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			log.Print("crash: exiting with status 3")
			os.Exit(3)
			return nil, nil, nil
		})
	for i := range *nTools {
		gn := fmt.Sprintf("gen_%03d", i)
		mcp.AddTool(s, &mcp.Tool{Name: gn, Description: "Generated tool " + gn + "."},
			func(context.Context, *mcp.CallToolRequest, echoArgs) (*mcp.CallToolResult, any, error) {
				return text(n + ": " + gn), nil, nil
			})
	}

	type greetArgs struct {
		Name string `json:"name"`
	}
	s.AddPrompt(&mcp.Prompt{Name: "greet", Description: "Greets someone.", Arguments: []*mcp.PromptArgument{{Name: "name", Required: true}}},
		func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user",
				Content: &mcp.TextContent{Text: "Hello " + req.Params.Arguments["name"] + " from " + n}}}}, nil
		})
	for i := 1; i <= 5; i++ {
		uri := fmt.Sprintf("test://%s/static/%d", n, i)
		s.AddResource(&mcp.Resource{URI: uri, Name: fmt.Sprintf("static %d", i), MIMEType: "text/plain"},
			func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
				return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: "static from " + n}}}, nil
			})
	}
	prefix := "test://" + n + "/item/"
	s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: prefix + "{id}", Name: "item", MIMEType: "text/plain"},
		func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			id := strings.TrimPrefix(req.Params.URI, prefix)
			if id == req.Params.URI || slices.Contains([]string{"", "/"}, id) {
				return nil, mcp.ResourceNotFoundError(req.Params.URI)
			}
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain", Text: "item " + id + " from " + n}}}, nil
		})

	if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		log.Printf("kitchen: %v", err)
	}
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}
