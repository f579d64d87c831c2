package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxTitle is the longest note title, in bytes.
const maxTitle = 200

// demo is the server's state: its name and the notebook.
type demo struct {
	name string
	s    *mcp.Server

	mu    sync.Mutex
	notes map[string]string // title → body
}

type (
	nowArgs struct {
		Timezone string `json:"timezone,omitempty" jsonschema:"IANA time zone such as Europe/Paris or America/New_York (default UTC)"`
	}
	nowOut struct {
		Time     string `json:"time" jsonschema:"the current time, RFC 3339"`
		Timezone string `json:"timezone" jsonschema:"the time zone used"`
	}
	addArgs struct {
		A float64 `json:"a" jsonschema:"first number"`
		B float64 `json:"b" jsonschema:"second number"`
	}
	echoArgs struct {
		Message string `json:"message" jsonschema:"text to send back"`
	}
	noteArgs struct {
		Title string `json:"title" jsonschema:"short title, used in the note's URI"`
		Body  string `json:"body" jsonschema:"the note's text"`
	}
)

func newServer(name string) *mcp.Server {
	d := &demo{name: name, notes: map[string]string{}}
	d.s = mcp.NewServer(&mcp.Implementation{Name: name, Title: "Demo server", Version: "1.0.0"}, &mcp.ServerOptions{
		Instructions: "A clock, a calculator, an echo and a notebook. Notes saved with note_add are readable as resources notes://" + name + "/<title>.",
		// Notes are subscribable: replacing one notifies its subscribers.
		SubscribeHandler:   d.subscribe,
		UnsubscribeHandler: func(context.Context, *mcp.UnsubscribeRequest) error { return nil },
		Capabilities:       &mcp.ServerCapabilities{Resources: &mcp.ResourceCapabilities{ListChanged: true, Subscribe: true}},
	})
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true}
	mcp.AddTool(d.s, &mcp.Tool{Name: "now", Title: "Current time", Annotations: readOnly,
		Description: "Tells the current date and time in a time zone (an IANA name such as Europe/Paris; UTC by default)."},
		d.now)
	mcp.AddTool(d.s, &mcp.Tool{Name: "add", Title: "Add", Annotations: readOnly,
		Description: "Adds two numbers."},
		func(_ context.Context, _ *mcp.CallToolRequest, a addArgs) (*mcp.CallToolResult, any, error) {
			return text(strconv.FormatFloat(a.A+a.B, 'g', -1, 64)), nil, nil
		})
	mcp.AddTool(d.s, &mcp.Tool{Name: "echo", Title: "Echo", Annotations: readOnly,
		Description: "Sends the message back, prefixed with the server's name."},
		func(_ context.Context, _ *mcp.CallToolRequest, a echoArgs) (*mcp.CallToolResult, any, error) {
			return text(name + ": " + a.Message), nil, nil
		})
	mcp.AddTool(d.s, &mcp.Tool{Name: "note_add", Title: "Save a note",
		Description: "Saves a note, replacing any note with the same title. Each note is readable as the resource notes://" + name + "/<title>."},
		d.noteAdd)
	mcp.AddTool(d.s, &mcp.Tool{Name: "note_list", Title: "List notes", Annotations: readOnly,
		Description: "Lists the titles of all saved notes, one per line."},
		d.noteList)
	d.s.AddPrompt(&mcp.Prompt{Name: "summarize_notes", Title: "Summarize notes",
		Description: "Asks the model to summarize every saved note in a few bullet points."},
		d.summarize)
	return d.s
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

func (d *demo) now(_ context.Context, _ *mcp.CallToolRequest, a nowArgs) (*mcp.CallToolResult, nowOut, error) {
	tz := a.Timezone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "local") {
		return nil, nowOut{}, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Paris", tz)
	}
	t := time.Now().In(loc)
	return text(t.Format("Monday 2 January 2006, 15:04:05 MST") + " (" + tz + ", UTC" + t.Format("-07:00") + ")"),
		nowOut{Time: t.Format(time.RFC3339), Timezone: tz}, nil
}

// noteURI is the URI of the note with the given title.
func (d *demo) noteURI(title string) string {
	return "notes://" + d.name + "/" + url.PathEscape(title)
}

func (d *demo) noteAdd(ctx context.Context, _ *mcp.CallToolRequest, a noteArgs) (*mcp.CallToolResult, any, error) {
	title := strings.TrimSpace(a.Title)
	switch {
	case title == "":
		return nil, nil, errors.New("a note needs a title")
	case len(title) > maxTitle:
		return nil, nil, fmt.Errorf("the title is longer than %d bytes", maxTitle)
	case strings.ContainsFunc(title, unicode.IsControl):
		return nil, nil, errors.New("the title must not contain control characters")
	}
	uri := d.noteURI(title)
	d.mu.Lock()
	_, existed := d.notes[title]
	d.notes[title] = a.Body
	d.mu.Unlock()
	if existed {
		if err := d.s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: uri}); err != nil {
			return nil, nil, err
		}
		return text("updated " + uri), nil, nil
	}
	// Adding a resource makes the SDK send resources/list_changed.
	d.s.AddResource(&mcp.Resource{URI: uri, Name: title, Title: title, Description: "A note saved with note_add.", MIMEType: "text/plain"},
		func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			d.mu.Lock()
			body := d.notes[title]
			d.mu.Unlock()
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: body}}}, nil
		})
	return text("saved " + uri), nil, nil
}

// titles returns the note titles, sorted.
func (d *demo) titles() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	titles := make([]string, 0, len(d.notes))
	for t := range d.notes {
		titles = append(titles, t)
	}
	slices.Sort(titles)
	return titles
}

func (d *demo) noteList(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
	titles := d.titles()
	if len(titles) == 0 {
		return text("no notes yet"), nil, nil
	}
	return text(strings.Join(titles, "\n")), nil, nil
}

func (d *demo) summarize(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	var sb strings.Builder
	titles := d.titles()
	if len(titles) == 0 {
		sb.WriteString("There are no notes yet: say so, and suggest saving one with the tool note_add.")
	} else {
		sb.WriteString("Summarize these notes in three bullet points:\n")
		d.mu.Lock()
		for _, t := range titles {
			fmt.Fprintf(&sb, "\n## %s\n%s\n", t, d.notes[t])
		}
		d.mu.Unlock()
	}
	return &mcp.GetPromptResult{
		Description: fmt.Sprintf("Summary of %d notes", len(titles)),
		Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: sb.String()}}},
	}, nil
}

// subscribe accepts subscriptions to saved notes.
func (d *demo) subscribe(_ context.Context, req *mcp.SubscribeRequest) error {
	for _, t := range d.titles() {
		if d.noteURI(t) == req.Params.URI {
			return nil
		}
	}
	return mcp.ResourceNotFoundError(req.Params.URI)
}
