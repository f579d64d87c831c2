// Package lasso is the guardrail that asks the remote Lasso Security
// classification API about each call's arguments and result, and blocks
// what it flags. Without an API key it warns once and does nothing, as
// users of the Python gateway expect; with one, an API that errors or
// does not answer in time blocks the call (fail closed).
package lasso

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcpgw/mcp-gateway/guard/jsontext"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/plugins/internal/contentguard"
)

// Name is the plugin's name.
const Name = "lasso"

// DefaultAPIBase is where the classification API lives.
const DefaultAPIBase = "https://server.lasso.security"

func init() {
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is gateway.plugins.lasso. Every key is optional.
type Config struct {
	// APIKey defaults to $LASSO_API_KEY; UserID and ConversationID to
	// $LASSO_USER_ID and $LASSO_CONVERSATION_ID.
	APIKey         string `json:"apiKey"`
	UserID         string `json:"userId"`
	ConversationID string `json:"conversationId"`
	// APIBase is the API's base URL; requests go to
	// {apiBase}/gateway/v3/classify. Default DefaultAPIBase.
	APIBase string `json:"apiBase"`
	// Timeout bounds one classification. Default "10s".
	Timeout string `json:"timeout"`
	// Requests and Responses turn each direction on or off (both on).
	Requests  *bool `json:"requests"`
	Responses *bool `json:"responses"`
}

// Plugin is the lasso guardrail.
type Plugin struct {
	key, user, conversation string
	url                     string
	client                  *http.Client
	requests, responses     bool
	log                     *slog.Logger
	events                  plugin.EventSink
	warnOnce                sync.Once
}

// New builds the plugin from its section and the environment.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	sec, err := contentguard.ParseSection(Name, raw)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := sec.Decode("", &cfg); err != nil {
		return nil, err
	}
	p := &Plugin{key: cfg.APIKey, user: cfg.UserID, conversation: cfg.ConversationID,
		requests: true, responses: true, log: env.Log, events: env.Events}
	if p.log == nil {
		p.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if p.events == nil {
		p.events = plugin.LogEvents{Log: p.log}
	}
	if p.key == "" {
		p.key = os.Getenv("LASSO_API_KEY")
	}
	if p.user == "" {
		p.user = os.Getenv("LASSO_USER_ID")
	}
	if p.conversation == "" {
		p.conversation = os.Getenv("LASSO_CONVERSATION_ID")
	}
	base := strings.TrimRight(cfg.APIBase, "/")
	if base == "" {
		base = DefaultAPIBase
	}
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, fmt.Errorf("gateway.plugins.lasso.apiBase: %q is not an http(s) URL", cfg.APIBase)
	}
	p.url = base + "/gateway/v3/classify"
	timeout := 10 * time.Second
	if cfg.Timeout != "" {
		if timeout, err = time.ParseDuration(cfg.Timeout); err != nil || timeout <= 0 {
			return nil, fmt.Errorf("gateway.plugins.lasso.timeout: %q is not a positive duration such as \"10s\"", cfg.Timeout)
		}
	}
	p.client = &http.Client{Timeout: timeout}
	if cfg.Requests != nil {
		p.requests = *cfg.Requests
	}
	if cfg.Responses != nil {
		p.responses = *cfg.Responses
	}
	if p.key == "" {
		p.log.Warn("lasso: no API key (set LASSO_API_KEY or gateway.plugins.lasso.apiKey); the plugin does nothing")
	}
	return p, nil
}

// message is one entry of the API's "messages".
type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Handle classifies tools/call arguments and results.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	if c.Method != "tools/call" || p.key == "" {
		if p.key == "" && c.Method == "tools/call" {
			p.warnOnce.Do(func() { p.log.Warn("lasso: calls pass unchecked: no API key") })
		}
		return next(ctx, c)
	}
	if p.requests {
		if msgs := requestMessages(c.RawArguments()); len(msgs) > 0 {
			if res, err, done := p.verdict(ctx, c, "request", msgs); done {
				return res, err
			}
		}
	}
	res, err := next(ctx, c)
	if err != nil || res == nil || !p.responses || res.Blocked != "" {
		return res, err
	}
	if msgs := responseMessages(res.Raw); len(msgs) > 0 {
		if blocked, err, done := p.verdict(ctx, c, "response", msgs); done {
			return blocked, err
		}
	}
	return res, nil
}

// verdict asks the API; done is set when the call is blocked.
func (p *Plugin) verdict(ctx context.Context, c *plugin.Call, dir string, msgs []message) (*plugin.Result, error, bool) {
	deputies, err := p.classify(ctx, msgs)
	if err != nil {
		p.log.Error("lasso: classification failed; blocking the call", "server", c.Server, "name", c.Name, "direction", dir, "err", err)
		p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "blocked", Server: c.Server, Name: c.Name, Direction: dir,
			Reason: "the classification API failed", Session: c.Session})
		res, err := plugin.Block(c.Method, Name, "the content could not be classified")
		return res, err, true
	}
	if deputies == nil {
		return nil, nil, false
	}
	p.events.Report(ctx, plugin.Event{Plugin: Name, Type: "blocked", Server: c.Server, Name: c.Name, Direction: dir,
		Rule: strings.Join(deputies, ","), Count: 1, Reason: "violations detected", Session: c.Session})
	reason := "guardrail violations detected"
	if len(deputies) > 0 {
		reason += ": " + strings.Join(deputies, ", ")
	}
	res, err := plugin.Block(c.Method, Name, reason)
	return res, err, true
}

// classify posts the messages; it returns nil when nothing was detected,
// else the violated deputies (possibly empty).
func (p *Plugin) classify(ctx context.Context, msgs []message) ([]string, error) {
	body, err := json.Marshal(map[string]any{"messages": msgs, "messageType": "PROMPT"})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("lasso-api-key", p.key)
	if p.user != "" {
		req.Header.Set("lasso-user-id", p.user)
	}
	if p.conversation != "" {
		req.Header.Set("lasso-conversation-id", p.conversation)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("the API answered %s", resp.Status)
	}
	var out struct {
		ViolationsDetected *bool           `json:"violations_detected"`
		Deputies           map[string]bool `json:"deputies"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("the API's answer is not JSON: %w", err)
	}
	if out.ViolationsDetected == nil {
		return nil, fmt.Errorf("the API's answer has no violations_detected")
	}
	if !*out.ViolationsDetected {
		return nil, nil
	}
	deputies := []string{}
	for d, v := range out.Deputies {
		if v {
			deputies = append(deputies, d)
		}
	}
	sort.Strings(deputies)
	return deputies, nil
}

// requestMessages turns tool arguments into API messages: a chat-style
// "messages" argument is sent as is; otherwise every string of the
// arguments, joined, is one user message.
func requestMessages(args []byte) []message {
	if args == nil {
		return nil
	}
	var chat struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	var out []message
	if json.Unmarshal(args, &chat) == nil {
		for _, m := range chat.Messages {
			var text string
			if json.Unmarshal(m.Content, &text) != nil {
				var obj struct{ Text string }
				if json.Unmarshal(m.Content, &obj) != nil || obj.Text == "" {
					continue
				}
				text = obj.Text
			}
			if m.Role != "" {
				out = append(out, message{Role: m.Role, Content: text})
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	var parts []string
	jsontext.Strings(args, func(_, s []byte) {
		if len(bytes.TrimSpace(s)) > 0 {
			parts = append(parts, string(s))
		}
	})
	if len(parts) == 0 {
		return nil
	}
	return []message{{Role: "user", Content: strings.Join(parts, " ")}}
}

// responseMessages turns a tool result's text content into assistant
// messages.
func responseMessages(result []byte) []message {
	var r struct {
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	}
	if json.Unmarshal(result, &r) != nil {
		return nil
	}
	var out []message
	for _, c := range r.Content {
		if c.Type == "text" && c.Text != "" {
			out = append(out, message{Role: "assistant", Content: c.Text})
		}
	}
	return out
}
