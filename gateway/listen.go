package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// subscriptions/listen (2026-07-28): a long-lived request on which the
// client receives the change notifications it asked for, each tagged with
// the listen's id. The gateway serves it from its own catalog (every
// backend's list_changed re-fetches and then notifies) and, for resource
// subscriptions, from resources/subscribe on the owning backends.

// maxListens bounds the listens of one front session.
const maxListens = 64

// listen is one open subscriptions/listen request.
type listen struct {
	id    []byte // raw request id, also the subscriptionId
	kinds [3]bool
	uris  map[string]string // subscribed resource URI → owning server
}

type listenFilter struct {
	ToolsListChanged      bool     `json:"toolsListChanged,omitempty"`
	PromptsListChanged    bool     `json:"promptsListChanged,omitempty"`
	ResourcesListChanged  bool     `json:"resourcesListChanged,omitempty"`
	ResourceSubscriptions []string `json:"resourceSubscriptions,omitempty"`
}

// subscriptionsListen serves one listen until the client ends it (closing
// the stream or cancelling) or the gateway stops listening.
func (f *Front) subscriptionsListen(ctx context.Context, r *inflightReq, params []byte) ([]byte, error) {
	raw, err := jsonrpc.Get(params, "notifications")
	if err != nil || raw == nil || raw[0] != '{' {
		return nil, invalidParams("subscriptions/listen: params.notifications is required: an object naming the notifications to receive")
	}
	var want listenFilter
	if err := json.Unmarshal(raw, &want); err != nil {
		return nil, invalidParams("subscriptions/listen: params.notifications: %v", err)
	}
	var capsObj map[string]struct {
		ListChanged bool `json:"listChanged"`
		Subscribe   bool `json:"subscribe"`
	}
	_ = json.Unmarshal(f.g.capabilities(), &capsObj)
	l := &listen{id: r.id, uris: map[string]string{}}
	var granted listenFilter
	l.kinds[catalog.Tools] = want.ToolsListChanged && capsObj["tools"].ListChanged
	l.kinds[catalog.Prompts] = want.PromptsListChanged && capsObj["prompts"].ListChanged
	l.kinds[catalog.Resources] = want.ResourcesListChanged && capsObj["resources"].ListChanged
	granted.ToolsListChanged, granted.PromptsListChanged, granted.ResourcesListChanged = l.kinds[0], l.kinds[1], l.kinds[2]
	if capsObj["resources"].Subscribe {
		for _, uri := range want.ResourceSubscriptions {
			server, ok := f.g.Snapshot().ResourceOwner(uri)
			if !ok {
				continue // nobody offers it: not granted
			}
			if _, err := f.forward(ctx, server, "resources/subscribe", append(jsonrpc.AppendString([]byte(`{"uri":`), uri), '}')); err != nil {
				f.log.Warn("subscriptions/listen: a backend refused a resource subscription", "server", server, "uri", uri, "err", err)
				continue
			}
			l.uris[uri] = server
			granted.ResourceSubscriptions = append(granted.ResourceSubscriptions, uri)
		}
	}
	defer f.unsubscribeListen(l)
	f.mu.Lock()
	if len(f.listens) >= maxListens {
		f.mu.Unlock()
		return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("too many subscriptions/listen requests open on this session (limit %d)", maxListens)}
	}
	f.listens[string(r.id)] = l
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.listens, string(r.id))
		f.mu.Unlock()
	}()

	g, _ := json.Marshal(granted)
	ack := []byte(`{"_meta":{"` + MetaSubscriptionID + `":`)
	ack = append(ack, r.id...)
	ack = append(ack, `},"notifications":`...)
	ack = append(ack, g...)
	ack = append(ack, '}')
	f.sendFor(r.id, jsonrpc.AppendNotification(nil, "notifications/subscriptions/acknowledged", ack))
	done := []byte(`{"resultType":"complete","_meta":{"` + MetaSubscriptionID + `":` + string(r.id) + `}}`)
	if !l.kinds[0] && !l.kinds[1] && !l.kinds[2] && len(l.uris) == 0 {
		return done, nil // nothing granted: nothing will come
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.g.stopListening:
		return done, nil
	}
}

// unsubscribeListen drops a listen's resource subscriptions at the
// backends, unless another subscription of this session still needs them.
func (f *Front) unsubscribeListen(l *listen) {
	for uri, server := range l.uris {
		if f.subscribed(server, uri) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), f.g.set().byName[server].cfg.Timeout)
		_, _ = f.forward(ctx, server, "resources/unsubscribe", append(jsonrpc.AppendString([]byte(`{"uri":`), uri), '}'))
		cancel()
	}
}

// listenNotify sends a change notification to every listen of this
// session that asked for it, tagged with the listen's id.
func (f *Front) listenNotify(method string, k catalog.Kind, uri, server string, params []byte) {
	f.mu.Lock()
	var ids [][]byte
	for _, l := range f.listens {
		if uri != "" {
			if l.uris[uri] == server {
				ids = append(ids, l.id)
			}
		} else if l.kinds[k] {
			ids = append(ids, l.id)
		}
	}
	f.mu.Unlock()
	for _, id := range ids {
		p := params
		if p == nil {
			p = []byte("{}")
		}
		p, err := setMeta(p, MetaSubscriptionID, id, true)
		if err != nil {
			continue
		}
		f.sendFor(id, jsonrpc.AppendNotification(nil, method, p))
	}
}

// StopListening ends every subscriptions/listen with its final result, so
// that a draining server's streams finish.
func (g *Gateway) StopListening() {
	g.stopOnce.Do(func() { close(g.stopListening) })
}
