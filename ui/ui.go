// Package ui is the gateway's web dashboard: one page with the backends'
// state, the catalog, the live call log, security events and latency
// charts, served from assets embedded in the binary (plain HTML, CSS and
// JavaScript modules: no build step, nothing fetched from elsewhere), and
// the small JSON API the page reads.
//
// # Mounting
//
// [Handler] serves paths relative to where it is mounted: "/" is the page,
// "/assets/..." the static files, "/api/..." the API. Mount it under a
// prefix with [http.StripPrefix]:
//
//	mux.Handle("/ui/", http.StripPrefix("/ui", ui.Handler(src, ui.Options{...})))
//
// (stripping "/ui/" works too). The page uses relative URLs only, so any
// prefix works as long as the page is reached with its trailing slash
// (ServeMux redirects "/ui" to "/ui/" for the pattern above).
//
// # API
//
// Every route answers GET and HEAD only (405 otherwise). API and live
// requests go through Options.Authorize when it is set; the page and its
// assets hold no data and need no authorization.
//
//	GET api/servers                      {"version", "servers": [Server]}
//	GET api/catalog?q=&kind=             {"q", "total", "items": [CatalogItem]}
//	GET api/calls?server=&name=&principal=&method=&status=&since=&until=&after=&limit=
//	                                     {"calls": [audit.Record]} (newest first; oldest first with after)
//	GET api/events?kind=&server=&name=&principal=&since=&until=&after=&limit=
//	                                     {"events": [audit.Event]}
//	GET api/live                         text/event-stream: "event: hello" first, then
//	                                     "event: call" / "event: event" with the stored
//	                                     audit.Record / audit.Event as data, "event: missed"
//	                                     when the reader fell behind, ": keep-alive" comments
//
// q matches, case-insensitively, items whose name, title, description or
// server contain every word of it; hidden items are included and flagged.
//
// since and until take an RFC 3339 time or a Go duration meaning that long
// ago ("15m"); limit is 1..1000 (default 100); after is a store id. An
// unknown parameter, a repeated one or a bad value is answered with 400 and
// {"error", "param", "expected"}. A refused authorization is answered with
// 401, {"error"} and WWW-Authenticate: Bearer; a gateway without an audit
// trail with 503 on calls, events and live. Call arguments
// (audit.Record.Args) are never sent to the page.
//
// Every answer carries a strict Content-Security-Policy (the page's own
// files only, no inline script or style), X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and X-Frame-Options: DENY; API answers also
// Cache-Control: no-store.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

// Source is what the dashboard shows; the gateway implements it. Its
// methods are called concurrently, from many requests at once.
type Source interface {
	// Servers returns the configured backends and their state.
	Servers() []Server
	// Catalog returns every item of the merged catalog, hidden ones
	// included (flagged).
	Catalog() []CatalogItem
	// Calls and Events query the audit trail. They return an error
	// wrapping ErrUnavailable when the gateway keeps no audit trail.
	Calls(ctx context.Context, f audit.Filter) ([]audit.Record, error)
	Events(ctx context.Context, f audit.Filter) ([]audit.Event, error)
	// Subscribe follows the entries stored from now on (audit.Writer's
	// Subscribe); nil when there is no audit writer, and then the live
	// view says so. The dashboard closes the subscription when its reader
	// goes.
	Subscribe(buf int) *audit.Subscription
}

// ErrUnavailable is wrapped by Source errors when the gateway keeps no
// audit trail; the API answers 503 then.
var ErrUnavailable = errors.New("the gateway keeps no audit trail")

// Server states.
const (
	StateReady    = "ready"
	StateStarting = "starting"
	StateDown     = "down"
	StateStopped  = "stopped"
	StateDisabled = "disabled"
	StateBlocked  = "blocked"
)

// Server is one configured backend.
type Server struct {
	Name      string `json:"name"`
	Transport string `json:"transport"` // stdio, http, sse, ...
	// State is one of the State* constants; Error the last failure, if any.
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Restarts int64  `json:"restarts"`
	// Protocol is the MCP protocol version negotiated with the backend.
	Protocol string `json:"protocol,omitempty"`
	// Era is "legacy" or "modern" (2026-07-28) once known.
	Era string `json:"era,omitempty"`
	// Tools, Prompts and Resources count what the backend exposes.
	Tools     int `json:"tools"`
	Prompts   int `json:"prompts"`
	Resources int `json:"resources"`
	// Replicas are the server's instances when it has several.
	Replicas []Replica `json:"replicas,omitempty"`
}

// Replica is one instance of a server with replicas.
type Replica struct {
	Index  int    `json:"index"`
	Target string `json:"target"` // URL or command
	State  string `json:"state"`  // one of the State* constants
	// OutOfRotation is set while calls avoid it after failures.
	OutOfRotation bool   `json:"outOfRotation,omitempty"`
	Error         string `json:"error,omitempty"`
}

// Catalog item kinds.
const (
	KindTool     = "tool"
	KindPrompt   = "prompt"
	KindResource = "resource"
	KindTemplate = "template" // a resource template
)

// CatalogItem is one entry of the merged catalog.
type CatalogItem struct {
	Kind string `json:"kind"` // one of the Kind* constants
	// Name is the exposed name (the URI or URI template for resources);
	// Server the backend that provides it.
	Name        string `json:"name"`
	Server      string `json:"server"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// Hidden is set when a guardrail hides the item from clients (a
	// poisoned description, a changed pinned definition); HiddenReason
	// tells why.
	Hidden       bool   `json:"hidden,omitempty"`
	HiddenReason string `json:"hiddenReason,omitempty"`
}

// Options configures the Handler.
type Options struct {
	// Authorize, if set, is called for every API and live request; an
	// error is answered with 401, its message and WWW-Authenticate:
	// Bearer. The page sends the token a person enters as
	// "Authorization: Bearer <token>".
	Authorize func(r *http.Request) error
	// Log receives the handler's logs. Nil: slog.Default().
	Log *slog.Logger
	// Version is the gateway version the page shows.
	Version string
	// KeepAlive is the interval of comment lines on the live stream.
	// Zero value: 15s.
	KeepAlive time.Duration
	// QueryTimeout bounds one audit query. Zero value: 10s.
	QueryTimeout time.Duration
}

// Handler returns the dashboard handler for src (see the package doc for
// how to mount it).
func Handler(src Source, o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 10 * time.Second
	}
	return &handler{src: src, o: o, assets: loadAssets()}
}

type handler struct {
	src    Source
	o      Options
	assets map[string]*asset
}

// contentSecurityPolicy allows nothing but the page's own files and API:
// no inline script or style, no framing, no plugins.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")

	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // mounted with StripPrefix("/ui/")
	}
	api := p == "/api" || strings.HasPrefix(p, "/api/")
	if api {
		hd.Set("Cache-Control", "no-store")
		hd.Set("Vary", "Authorization")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		if api {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
		} else {
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		}
		return
	}
	if !api {
		h.serveAsset(w, r, p)
		return
	}
	if h.o.Authorize != nil {
		if err := h.o.Authorize(r); err != nil {
			hd.Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	switch p {
	case "/api/servers":
		h.servers(w, r)
	case "/api/catalog":
		h.catalog(w, r)
	case "/api/calls":
		h.calls(w, r)
	case "/api/events":
		h.events(w, r)
	case "/api/live":
		h.live(w, r)
	default:
		writeError(w, http.StatusNotFound, "no such API route: "+p)
	}
}
