package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// config is what the command line sets.
type config struct {
	name     string
	tools    int // generated tools gen_000 ...
	pageSize int // 0: the SDK's default
}

// kitchen holds the server's state.
type kitchen struct {
	name string
	s    *mcp.Server

	// itemTemplate is the URI template of the items, itemPrefix its part
	// before {id}.
	itemTemplate, itemPrefix string
	elicitations             atomic.Int64 // URL elicitations started, for their ids
}

// Fixed completion values.
var (
	greetNames = []string{"alice", "bob", "carol"}
	itemIDs    = func() []string {
		var ids []string
		for i := 1; i <= 20; i++ {
			ids = append(ids, strconv.Itoa(i))
		}
		return ids
	}()
)

// Limits of the fault tools, so that a typo cannot take the machine down.
const (
	maxBigBytes   = 256 << 20
	maxFloodLines = 1_000_000
	floodLineLen  = 200 // bytes per stderr_flood line, "\n" included
)

// Keys of the multi round-trip input requests.
const (
	inputSample    = "sample"
	inputElicit    = "elicit"
	inputElicitURL = "elicit_url"
	inputRoots     = "roots"
)

func newServer(cfg config) *mcp.Server {
	k := &kitchen{
		name:       cfg.name,
		itemPrefix: "test://" + cfg.name + "/item/",
	}
	k.itemTemplate = k.itemPrefix + "{id}"
	k.s = mcp.NewServer(&mcp.Implementation{Name: cfg.name, Title: "Kitchen-sink MCP test server", Version: "1.0.0"}, &mcp.ServerOptions{
		Instructions:       "Test server " + cfg.name + ": every MCP feature, for tests of MCP clients and gateways.",
		PageSize:           cfg.pageSize,
		CompletionHandler:  k.complete,
		SubscribeHandler:   k.subscribe,
		UnsubscribeHandler: func(context.Context, *mcp.UnsubscribeRequest) error { return nil },
		// Capabilities left nil: logging is enabled; tools, prompts,
		// resources (with subscribe and listChanged) and completions are
		// inferred.
	})
	k.addTools(cfg.tools)
	k.addPrompts()
	k.addResources()
	return k.s
}

func textResult(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

type (
	echoArgs struct {
		Message string `json:"message" jsonschema:"the text to send back"`
	}
	echoOut struct {
		Server  string `json:"server" jsonschema:"the name of the server that answered"`
		Message string `json:"message" jsonschema:"the message, unchanged"`
	}
	addArgs struct {
		A float64 `json:"a" jsonschema:"first number"`
		B float64 `json:"b" jsonschema:"second number"`
	}
	slowArgs struct {
		Steps   int `json:"steps" jsonschema:"number of steps; one progress notification each"`
		DelayMs int `json:"delayMs,omitempty" jsonschema:"milliseconds to wait before each step (default 0)"`
	}
	sampleArgs struct {
		Prompt string `json:"prompt" jsonschema:"the text to ask the client's model"`
	}
	elicitArgs struct {
		Question string `json:"question" jsonschema:"the question to put to the user"`
	}
	elicitURLArgs struct {
		URL string `json:"url" jsonschema:"the URL the user should open"`
	}
	logArgs struct {
		Level   string `json:"level" jsonschema:"the message's severity"`
		Message string `json:"message" jsonschema:"the text to log"`
	}
	nameArgs struct {
		Name        string `json:"name" jsonschema:"a tool name"`
		Description string `json:"description,omitempty" jsonschema:"for add_tool: the new tool's description"`
	}
	uriArgs struct {
		URI string `json:"uri" jsonschema:"the URI of a resource"`
	}
	bigArgs struct {
		Bytes int `json:"bytes" jsonschema:"length of the text in bytes"`
	}
	floodArgs struct {
		Lines int `json:"lines" jsonschema:"number of 200-byte lines to write to stderr"`
	}
	whoamiOut struct {
		Server          string `json:"server"`
		ClientName      string `json:"clientName"`
		ClientVersion   string `json:"clientVersion"`
		ProtocolVersion string `json:"protocolVersion" jsonschema:"the protocol version the client asked for"`
		KitchenEnv      string `json:"kitchenEnv" jsonschema:"the value of KITCHEN_ENV"`
		KitchenEnvSet   bool   `json:"kitchenEnvSet" jsonschema:"whether KITCHEN_ENV is set"`
		Cwd             string `json:"cwd" jsonschema:"the server's working directory"`
		Traceparent     string `json:"traceparent,omitempty" jsonschema:"the W3C trace context the call carried in _meta"`
	}
	generatedArgs struct {
		Message string `json:"message,omitempty" jsonschema:"text to include in the answer"`
	}
)

// logLevels are the levels of notifications/message, lowest first.
var logLevels = []any{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// logSchema is the input schema of the tool log, with the levels as an enum.
func logSchema() *jsonschema.Schema {
	s, err := jsonschema.For[logArgs](nil)
	if err != nil {
		panic(err)
	}
	s.Properties["level"].Enum = logLevels
	return s
}

func (k *kitchen) addTools(generated int) {
	s, n := k.s, k.name
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Title: "Echo",
		Description: `Sends the message back as "<server>: <message>", with structured content {server, message}.`,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, echoOut, error) {
			return textResult(n + ": " + a.Message), echoOut{Server: n, Message: a.Message}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "add", Title: "Add", Description: "Adds two numbers and answers with the sum as text.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, a addArgs) (*mcp.CallToolResult, any, error) {
			return textResult(strconv.FormatFloat(a.A+a.B, 'g', -1, 64)), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "slow", Title: "Slow",
		Description: `Works through the given number of steps, waiting delayMs before each, and sends notifications/progress after each step when the call has a progress token. Stops as soon as the call is cancelled. Answers "done <steps>".`},
		k.slow)
	mcp.AddTool(s, &mcp.Tool{Name: "sample", Title: "Sample",
		Description: `Asks the client's model to answer the prompt (sampling/createMessage) and answers "<server> sampled: <the model's text>".`},
		k.sample)
	mcp.AddTool(s, &mcp.Tool{Name: "elicit", Title: "Elicit",
		Description: `Asks the user the question through the client (form elicitation with one string field "answer") and answers "<server> elicited: <action> <answer>".`},
		k.elicit)
	mcp.AddTool(s, &mcp.Tool{Name: "elicit_url", Title: "Elicit by URL",
		Description: `Asks the user, through the client, to open the URL (URL elicitation); when they accept, sends notifications/elicitation/complete. Answers "<server> elicited url: <action> <elicitationId>".`},
		k.elicitURL)
	mcp.AddTool(s, &mcp.Tool{Name: "roots", Title: "Roots",
		Description: "Asks the client for its roots (roots/list) and answers with their URIs, one per line."},
		k.roots)
	mcp.AddTool(s, &mcp.Tool{Name: "log", Title: "Log", InputSchema: logSchema(),
		Description: `Sends the message to the client as a log notification (notifications/message) at the given level, unless the level set with logging/setLevel filters it out. Answers "logged".`},
		func(ctx context.Context, req *mcp.CallToolRequest, a logArgs) (*mcp.CallToolResult, any, error) {
			if err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: mcp.LoggingLevel(a.Level), Logger: n, Data: a.Message}); err != nil {
				return nil, nil, err
			}
			return textResult("logged"), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "add_tool", Title: "Add a tool",
		Description: `Adds a tool with the given name (and description) at run time, or replaces one, which makes the server send notifications/tools/list_changed. The new tool takes no arguments and answers "<server>: I am <name>".`},
		func(_ context.Context, _ *mcp.CallToolRequest, a nameArgs) (*mcp.CallToolResult, any, error) {
			if a.Name == "" {
				return nil, nil, errors.New("add_tool needs a name")
			}
			tn, desc := a.Name, a.Description
			if desc == "" {
				desc = "A tool added at run time by add_tool."
			}
			mcp.AddTool(s, &mcp.Tool{Name: tn, Description: desc},
				func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
					return textResult(n + ": I am " + tn), nil, nil
				})
			return textResult("added " + tn), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "remove_tool", Title: "Remove a tool",
		Description: "Removes the tool with the given name at run time, which makes the server send notifications/tools/list_changed."},
		func(_ context.Context, _ *mcp.CallToolRequest, a nameArgs) (*mcp.CallToolResult, any, error) {
			s.RemoveTools(a.Name)
			return textResult("removed " + a.Name), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "touch", Title: "Touch a resource",
		Description: "Tells the clients subscribed to the resource that it changed (notifications/resources/updated)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, a uriArgs) (*mcp.CallToolResult, any, error) {
			if err := s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: a.URI}); err != nil {
				return nil, nil, err
			}
			return textResult("touched " + a.URI), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "crash", Title: "Crash",
		Description: "Writes a line to stderr and exits the server process with status 3, without answering.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: new(true)}},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			log.Print("crash: exiting with status 3")
			os.Exit(3)
			return nil, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "hang", Title: "Hang",
		Description: "Never answers, even when the call is cancelled: only killing the server ends it."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			log.Print("hang: blocking forever")
			<-make(chan struct{})
			return nil, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "big", Title: "Big result",
		Description: fmt.Sprintf("Answers with one text content of exactly the given number of ASCII bytes (at most %d).", maxBigBytes),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, a bigArgs) (*mcp.CallToolResult, any, error) {
			if a.Bytes < 0 || a.Bytes > maxBigBytes {
				return nil, nil, fmt.Errorf("bytes must be between 0 and %d", maxBigBytes)
			}
			return textResult(bigText(a.Bytes)), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "stderr_flood", Title: "Flood stderr",
		Description: fmt.Sprintf(`Writes the given number of %d-byte lines to the server's stderr (at most %d), then answers "flooded".`, floodLineLen, maxFloodLines)},
		func(_ context.Context, _ *mcp.CallToolRequest, a floodArgs) (*mcp.CallToolResult, any, error) {
			if a.Lines < 0 || a.Lines > maxFloodLines {
				return nil, nil, fmt.Errorf("lines must be between 0 and %d", maxFloodLines)
			}
			w := bufio.NewWriter(os.Stderr)
			for i := range a.Lines {
				w.WriteString(floodLine(n, i))
			}
			if err := w.Flush(); err != nil {
				return nil, nil, err
			}
			return textResult("flooded"), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Title: "Who am I",
		Description: "Tells what the server knows of its client and environment: the client's name and version and the protocol version it asked for at initialization, the environment variable KITCHEN_ENV, and the server's working directory.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		k.whoami)
	for i := range generated {
		gn := fmt.Sprintf("gen_%03d", i)
		mcp.AddTool(s, &mcp.Tool{Name: gn, Description: fmt.Sprintf("Generated tool number %d: answers \"<server>: %s <message>\".", i, gn)},
			func(_ context.Context, _ *mcp.CallToolRequest, a generatedArgs) (*mcp.CallToolResult, any, error) {
				return textResult(strings.TrimSuffix(n+": "+gn+" "+a.Message, " ")), nil, nil
			})
	}
}

// bigText returns n bytes of printable ASCII.
func bigText(n int) string {
	const pattern = "abcdefghijklmnopqrstuvwxyz0123456789"
	return strings.Repeat(pattern, n/len(pattern)+1)[:n]
}

// floodLine returns line i of stderr_flood: floodLineLen bytes, "\n" included.
func floodLine(name string, i int) string {
	line := fmt.Sprintf("kitchen %s: stderr flood line %d ", name, i)
	line = line[:min(len(line), floodLineLen-1)]
	return line + strings.Repeat(".", floodLineLen-1-len(line)) + "\n"
}

func (k *kitchen) slow(ctx context.Context, req *mcp.CallToolRequest, a slowArgs) (*mcp.CallToolResult, any, error) {
	tok := req.Params.GetProgressToken()
	delay := time.Duration(max(a.DelayMs, 0)) * time.Millisecond
	for i := 1; i <= a.Steps; i++ {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			log.Printf("slow: cancelled before step %d of %d", i, a.Steps)
			return nil, nil, ctx.Err()
		case <-t.C:
		}
		if tok != nil {
			err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
				ProgressToken: tok,
				Progress:      float64(i),
				Total:         float64(a.Steps),
				Message:       fmt.Sprintf("%s: step %d of %d", k.name, i, a.Steps),
			})
			if err != nil {
				return nil, nil, err
			}
		}
	}
	return textResult(fmt.Sprintf("done %d", a.Steps)), nil, nil
}

// needInput returns a result that asks the client for one input under key.
// Sessions before 2026-07-28 never see it: the SDK sends the request to the
// client itself and calls the handler again with the response.
func needInput(key string, r mcp.InputRequest, state string) *mcp.CallToolResult {
	return &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{key: r}, RequestState: state}
}

func (k *kitchen) sample(_ context.Context, req *mcp.CallToolRequest, a sampleArgs) (*mcp.CallToolResult, any, error) {
	resp, ok := req.Params.InputResponses[inputSample]
	if !ok {
		return needInput(inputSample, &mcp.CreateMessageParams{
			MaxTokens: 100,
			Messages:  []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: a.Prompt}}},
		}, ""), nil, nil
	}
	var contents []mcp.Content
	switch r := resp.(type) {
	case *mcp.CreateMessageResult:
		contents = []mcp.Content{r.Content}
	case *mcp.CreateMessageWithToolsResult:
		contents = r.Content
	default:
		return nil, nil, fmt.Errorf("sampling answered with %T", resp)
	}
	for _, c := range contents {
		if t, ok := c.(*mcp.TextContent); ok {
			return textResult(k.name + " sampled: " + t.Text), nil, nil
		}
	}
	return nil, nil, errors.New("the client's model answered without text")
}

func elicitResult(resp mcp.InputResponse) (*mcp.ElicitResult, error) {
	r, ok := resp.(*mcp.ElicitResult)
	if !ok {
		return nil, fmt.Errorf("elicitation answered with %T", resp)
	}
	return r, nil
}

func (k *kitchen) elicit(_ context.Context, req *mcp.CallToolRequest, a elicitArgs) (*mcp.CallToolResult, any, error) {
	resp, ok := req.Params.InputResponses[inputElicit]
	if !ok {
		return needInput(inputElicit, &mcp.ElicitParams{
			Mode:    "form",
			Message: a.Question,
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"answer": map[string]any{"type": "string", "title": "Answer", "description": "Your answer to the question"},
				},
			},
		}, ""), nil, nil
	}
	r, err := elicitResult(resp)
	if err != nil {
		return nil, nil, err
	}
	text := k.name + " elicited: " + r.Action
	if answer, ok := r.Content["answer"]; ok {
		text += " " + fmt.Sprint(answer)
	}
	return textResult(text), nil, nil
}

// elicitURL asks the client to have the user open a URL. The elicitation id
// travels in the request state between the two calls of the handler.
func (k *kitchen) elicitURL(ctx context.Context, req *mcp.CallToolRequest, a elicitURLArgs) (*mcp.CallToolResult, any, error) {
	resp, ok := req.Params.InputResponses[inputElicitURL]
	if !ok {
		if a.URL == "" {
			return nil, nil, errors.New("elicit_url needs a url")
		}
		id := fmt.Sprintf("%s-url-%d", k.name, k.elicitations.Add(1))
		return needInput(inputElicitURL, &mcp.ElicitParams{
			Mode:          "url",
			Message:       "Please open " + a.URL + " to continue.",
			URL:           a.URL,
			ElicitationID: id,
		}, id), nil, nil
	}
	r, err := elicitResult(resp)
	if err != nil {
		return nil, nil, err
	}
	id := req.Params.RequestState
	if !strings.HasPrefix(id, k.name+"-url-") {
		return nil, nil, fmt.Errorf("elicit_url: request state %q is not one of this server's elicitation ids", id)
	}
	if r.Action == "accept" {
		if err := req.Session.NotifyElicitationComplete(ctx, &mcp.ElicitationCompleteParams{ElicitationID: id}); err != nil {
			return nil, nil, err
		}
	}
	return textResult(k.name + " elicited url: " + r.Action + " " + id), nil, nil
}

func (k *kitchen) roots(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
	resp, ok := req.Params.InputResponses[inputRoots]
	if !ok {
		return needInput(inputRoots, &mcp.ListRootsParams{}, ""), nil, nil
	}
	r, ok := resp.(*mcp.ListRootsResult)
	if !ok {
		return nil, nil, fmt.Errorf("roots/list answered with %T", resp)
	}
	uris := make([]string, 0, len(r.Roots))
	for _, root := range r.Roots {
		uris = append(uris, root.URI)
	}
	return textResult(strings.Join(uris, "\n")), nil, nil
}

func (k *kitchen) whoami(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOut, error) {
	out := whoamiOut{Server: k.name}
	if p := req.Session.InitializeParams(); p != nil {
		out.ProtocolVersion = p.ProtocolVersion
		if p.ClientInfo != nil {
			out.ClientName, out.ClientVersion = p.ClientInfo.Name, p.ClientInfo.Version
		}
	}
	if tp, ok := req.Params.GetMeta()["traceparent"].(string); ok {
		out.Traceparent = tp
	}
	out.KitchenEnv, out.KitchenEnvSet = os.LookupEnv("KITCHEN_ENV")
	cwd, err := os.Getwd()
	if err != nil {
		return nil, out, err
	}
	out.Cwd = cwd
	env := out.KitchenEnv
	if !out.KitchenEnvSet {
		env = "(unset)"
	}
	text := fmt.Sprintf("server: %s\nclient: %s %s\nprotocol: %s\nKITCHEN_ENV: %s\ncwd: %s",
		k.name, out.ClientName, out.ClientVersion, out.ProtocolVersion, env, out.Cwd)
	return textResult(text), out, nil
}

func (k *kitchen) addPrompts() {
	k.s.AddPrompt(&mcp.Prompt{
		Name:        "greet",
		Title:       "Greet",
		Description: `A user message "Hello <name> from <server>". The argument name completes from alice, bob and carol.`,
		Arguments:   []*mcp.PromptArgument{{Name: "name", Description: "who to greet", Required: true}},
	}, func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		who := req.Params.Arguments["name"]
		if who == "" {
			return nil, errors.New("greet needs the argument name")
		}
		return &mcp.GetPromptResult{
			Description: "A greeting from " + k.name,
			Messages: []*mcp.PromptMessage{{
				Role:    "user",
				Content: &mcp.TextContent{Text: "Hello " + who + " from " + k.name},
			}},
		}, nil
	})
}

func (k *kitchen) staticURI(i int) string { return fmt.Sprintf("test://%s/static/%d", k.name, i) }

func (k *kitchen) addResources() {
	for i := 1; i <= 5; i++ {
		uri, text := k.staticURI(i), fmt.Sprintf("static %d from %s", i, k.name)
		k.s.AddResource(&mcp.Resource{
			URI:         uri,
			Name:        fmt.Sprintf("static-%d", i),
			Title:       fmt.Sprintf("Static resource %d", i),
			Description: fmt.Sprintf("The fixed text %q.", text),
			MIMEType:    "text/plain",
		}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: text}}}, nil
		})
	}
	k.s.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: k.itemTemplate,
		Name:        "item",
		Title:       "Item",
		Description: `Item <id> reads as "item <id> from <server>". The argument id completes from 1 to 20.`,
		MIMEType:    "text/plain",
	}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		id, ok := k.itemID(req.Params.URI)
		if !ok {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
			URI: req.Params.URI, MIMEType: "text/plain", Text: "item " + id + " from " + k.name,
		}}}, nil
	})
}

// itemID returns the id of an item URI.
func (k *kitchen) itemID(uri string) (string, bool) {
	id, ok := strings.CutPrefix(uri, k.itemPrefix)
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// subscribe accepts subscriptions to this server's resources only.
func (k *kitchen) subscribe(_ context.Context, req *mcp.SubscribeRequest) error {
	uri := req.Params.URI
	if _, ok := k.itemID(uri); ok {
		return nil
	}
	for i := 1; i <= 5; i++ {
		if uri == k.staticURI(i) {
			return nil
		}
	}
	return mcp.ResourceNotFoundError(uri)
}

// complete completes the name argument of the prompt greet and the id
// argument of the item template; anything else has no completions.
func (k *kitchen) complete(_ context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
	ref, arg := req.Params.Ref, req.Params.Argument
	var pool []string
	switch {
	case ref == nil:
	case ref.Type == "ref/prompt" && ref.Name == "greet" && arg.Name == "name":
		pool = greetNames
	case ref.Type == "ref/resource" && ref.URI == k.itemTemplate && arg.Name == "id":
		pool = itemIDs
	}
	values := slices.DeleteFunc(slices.Clone(pool), func(v string) bool { return !strings.HasPrefix(v, arg.Value) })
	if values == nil {
		values = []string{}
	}
	return &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: values, Total: len(values)}}, nil
}
