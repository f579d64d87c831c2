// Package gateway is the proxy core: it keeps one supervised back session
// per backend, merges their lists into a catalog, and serves front sessions
// (clients), routing each call through the plugin chain to its backend and
// everything a backend sends on its own back to the client that owns it.
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/tracing"
	"github.com/mcpgw/mcp-gateway/transport"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// Options configures a Gateway.
type Options struct {
	Config  *config.Config
	Plugins []plugin.Handler // in chain order (see plugin.Build)
	// Events receives the gateway's own audit events (refused calls to
	// hidden definitions); nil: logged.
	Events plugin.EventSink
	// Observer sees every client request once its answer is ready (the
	// audit trail, metrics); nil: none, and no record is built.
	Observer CallObserver
	// AuditArguments puts the raw arguments into records (otherwise only
	// their digest).
	AuditArguments bool
	// BackendEvent, if set, is told when a backend becomes ready ("ready",
	// or "restarted" after the first start; detail: the protocol version)
	// and when it goes down ("down"; detail: why).
	BackendEvent func(server, event, detail string)
	// Tracer, if not nil, makes a span of every client request and puts
	// its W3C trace context on the backend hop (params._meta.traceparent
	// and, over HTTP, the traceparent header).
	Tracer  *tracing.Tracer
	Log     *slog.Logger
	Version string
	// StartTimeout bounds how long a client's initialize waits for
	// backends that are still starting. Zero value: 30s.
	StartTimeout time.Duration
	// DialRemote builds the dialer of a remote (http, sse) server. Nil:
	// the streamable HTTP / legacy SSE client of transport/httpclient.
	DialRemote func(sc config.Server, maxMessageBytes int, log *slog.Logger) (upstream.Dialer, error)
	// InitParams, if not nil, are the initialize params sent to backends
	// before any client has connected; nil: backends wait for the first
	// client's initialize and are shown its capabilities (or, with
	// MultiClient, the gateway's own params without client capabilities).
	InitParams []byte
	// MultiClient is set when the gateway serves many clients at once (the
	// HTTP front door). Backends with per-client isolation then get one
	// back session per front session, initialized with that client's own
	// params; shared back sessions are shown no client capabilities, since
	// their requests could not be routed to one client. False (stdio, one
	// client): every backend has one session, shown the client's params.
	MultiClient bool
}

// Gateway is the running proxy core.
type Gateway struct {
	opts     Options
	log      *slog.Logger
	sep      string
	pageSize int
	maxMsg   int

	// servers is what the config runs: swapped whole by Reload, read
	// without locks on the call path.
	servers atomic.Pointer[serverSet]

	snap      atomic.Pointer[catalog.Snapshot]
	rebuildMu sync.Mutex
	problems  map[string]bool // catalog problems already logged

	initOnce   sync.Once
	initReady  chan struct{}
	initParams []byte

	frontsMu sync.Mutex
	fronts   map[*Front]struct{}

	ready chan struct{} // closed once every backend has settled

	serverInfo []byte // the gateway's own Implementation object, raw

	parked sync.Map // requestState token → *Front holding the parked call

	paramCache atomic.Pointer[paramHeaderCache] // tools' Mcp-Param-* annotations

	judges     []plugin.DefinitionJudge // plugins that may hide definitions
	events     plugin.EventSink
	hiddenSeen map[string]bool // hidden definitions already reported, under rebuildMu

	stopListening chan struct{} // closed by StopListening
	stopOnce      sync.Once

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// runCtx is Start's context, under which Reload starts new backends;
	// reloadMu serialises Start and Reload.
	runCtx   context.Context
	reloadMu sync.Mutex
}

// New builds a gateway from a loaded config; Start starts its backends.
func New(o Options) (*Gateway, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	cfg := o.Config
	g := &Gateway{
		opts:      o,
		log:       o.Log,
		sep:       cfg.Gateway.Separator,
		pageSize:  cfg.Gateway.PageSize,
		maxMsg:    int(cfg.Gateway.MaxMessageBytes),
		problems:  map[string]bool{},
		initReady: make(chan struct{}),
		fronts:    map[*Front]struct{}{},
		ready:     make(chan struct{}),

		stopListening: make(chan struct{}),
	}
	if g.sep == "" {
		g.sep = "__"
	}
	g.events = o.Events
	if g.events == nil {
		g.events = plugin.LogEvents{Log: g.log}
	}
	g.hiddenSeen = map[string]bool{}
	for _, h := range o.Plugins {
		if j, ok := h.(plugin.DefinitionJudge); ok {
			g.judges = append(g.judges, j)
		}
		if w, ok := h.(plugin.JudgementWatcher); ok {
			w.WatchJudgements(g.rejudge)
		}
	}
	g.serverInfo, _ = json.Marshal(map[string]string{"name": "mcp-gateway", "title": "MCP Gateway", "version": o.Version})
	if g.maxMsg <= 0 {
		g.maxMsg = transport.DefaultMaxMessageBytes
	}
	set, _, err := g.buildSet(cfg.Servers, nil)
	if err != nil {
		return nil, err
	}
	g.servers.Store(set)
	if o.InitParams == nil && o.MultiClient {
		o.InitParams = DefaultInitParams(o.Version)
	}
	if o.InitParams != nil {
		g.setInitParams(o.InitParams)
	}
	g.rebuild()
	return g, nil
}

func (g *Gateway) newBackend(sc config.Server) (*backend, error) {
	log := g.log.With("component", "upstream", "server", sc.Name)
	b := &backend{g: g, cfg: sc, src: sc, log: log}
	b.perClient = g.opts.MultiClient && isolation(sc) == config.IsolationPerClient
	switch sc.Era {
	case config.EraLegacy:
		b.era.Store(upstream.EraLegacy)
	case config.EraModern:
		b.era.Store(upstream.EraModern)
	}
	if b.cfg.Timeout <= 0 {
		b.cfg.Timeout = 60 * time.Second
	}
	if b.cfg.Balancing.MaxFailures <= 0 { // a Server not made by config.Load
		b.cfg.Balancing.MaxFailures = config.DefaultMaxFailures
	}
	if b.cfg.Balancing.EjectFor <= 0 {
		b.cfg.Balancing.EjectFor = config.DefaultEjectFor
	}
	if b.cfg.Balancing.HealthInterval <= 0 {
		b.cfg.Balancing.HealthInterval = config.DefaultHealthInterval
	}
	if b.cfg.Balancing.HealthTimeout <= 0 {
		b.cfg.Balancing.HealthTimeout = config.DefaultHealthTimeout
	}
	b.limit = newLimiter(sc.Name, sc.MaxConcurrency, sc.MaxQueue)
	instances := sc.Instances()
	for i, rc := range instances {
		rlog := log
		if len(instances) > 1 {
			rlog = log.With("replica", i)
		}
		d, err := g.replicaDialer(sc, rc, rlog)
		if err != nil {
			var l located
			if errors.As(err, &l) {
				return nil, err
			}
			where := sc.Where
			if len(instances) > 1 {
				where = rc.Where
			}
			return nil, fmt.Errorf("%s: server %s: %w", where, sc.Name, err)
		}
		b.replicas = append(b.replicas, b.newReplica(i, rc, d, rlog))
	}
	return b, nil
}

// replicaDialer builds the dialer of one instance of sc.
func (g *Gateway) replicaDialer(sc config.Server, rc config.Replica, log *slog.Logger) (upstream.Dialer, error) {
	switch rc.Transport {
	case config.TransportStdio:
		return &upstream.ProcessDialer{Log: log, Spec: upstream.ProcessSpec{
			Command: rc.Command, Args: rc.Args, Env: rc.Env, Dir: rc.Cwd, MaxMessageBytes: g.maxMsg,
		}}, nil
	case config.TransportHTTP, config.TransportSSE:
		dial := g.opts.DialRemote
		if dial == nil {
			dial = httpDialer
		}
		one := sc
		one.Replica = rc
		return dial(one, g.maxMsg, log)
	}
	return nil, fmt.Errorf("unknown transport %q", rc.Transport)
}

// newReplica returns the replica and its supervisor.
func (b *backend) newReplica(index int, rc config.Replica, d upstream.Dialer, log *slog.Logger) *replica {
	g, name := b.g, b.cfg.Name
	r := &replica{b: b, index: index, cfg: rc, dialer: d, log: log}
	detail := func(s string) string {
		if len(b.cfg.Replicas) > 1 {
			return fmt.Sprintf("replica %d: %s", index, s)
		}
		return s
	}
	r.sv = upstream.NewSupervisor(upstream.SupervisorOptions{
		Name:       name,
		Dialer:     d,
		Handler:    b,
		InitParams: g.waitInitParams,
		Handshake:  b.handshake,
		OnReady: func(ctx context.Context, s *upstream.Session) error {
			if err := b.onReady(ctx, s); err != nil {
				return err
			}
			if ev := g.opts.BackendEvent; ev != nil {
				_, _, restarts := r.sv.Status()
				typ := "ready"
				if restarts > 0 {
					typ = "restarted"
				}
				ev(name, typ, detail(s.Init.ProtocolVersion))
			}
			return nil
		},
		OnDown: func(err error) {
			if ev := g.opts.BackendEvent; ev != nil {
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				ev(name, "down", detail(msg))
			}
		},
		Log: log,
	})
	return r
}

// Start starts every backend concurrently. It returns at once; backends
// that fail keep being retried in the background.
func (g *Gateway) Start(ctx context.Context) {
	g.reloadMu.Lock()
	ctx, g.cancel = context.WithCancel(ctx)
	g.runCtx = ctx
	for _, b := range g.set().backends {
		g.startBackend(b)
	}
	g.reloadMu.Unlock()
	go func() {
		g.WaitSettled(ctx)
		if ctx.Err() == nil {
			close(g.ready)
		}
	}()
}

// Ready is closed once every backend has finished its first start attempt
// (successfully or not), so that the catalog holds every server that could
// be started.
func (g *Gateway) Ready() <-chan struct{} { return g.ready }

// Close stops every backend (killing stdio process groups) and waits.
func (g *Gateway) Close() {
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	for _, b := range g.set().backends {
		b.closePool()
	}
}

// WaitSettled waits until every backend has finished its first start
// attempt (successfully or not), or ctx ends.
func (g *Gateway) WaitSettled(ctx context.Context) {
	for _, b := range g.set().backends {
		for _, r := range b.replicas {
			select {
			case <-r.sv.Settled():
			case <-ctx.Done():
				return
			}
		}
	}
}

func (g *Gateway) setInitParams(p []byte) {
	g.initOnce.Do(func() {
		g.initParams = p
		close(g.initReady)
	})
}

func (g *Gateway) waitInitParams(ctx context.Context) ([]byte, error) {
	select {
	case <-g.initReady:
		return g.initParams, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Snapshot returns the current catalog.
func (g *Gateway) Snapshot() *catalog.Snapshot { return g.snap.Load() }

// rebuild merges the backends' current lists into a new snapshot.
func (g *Gateway) rebuild() {
	g.rebuildMu.Lock()
	defer g.rebuildMu.Unlock()
	set := g.set()
	lists := make([]catalog.ServerLists, 0, len(set.backends))
	seen := map[string]bool{}
	defer func() { g.hiddenSeen = seen }()
	for _, b := range set.backends {
		b.mu.Lock()
		lists = append(lists, catalog.ServerLists{
			Server: b.cfg.Name, Prefix: b.cfg.Prefix, Items: b.lists,
			ToolsAllow: b.cfg.ToolsAllow, ToolsDeny: b.cfg.ToolsDeny,
			Hide: g.hider(b.cfg, seen),
		})
		b.mu.Unlock()
	}
	s := catalog.Build(g.sep, lists, map[catalog.Kind][]catalog.Item{catalog.Tools: {metadataTool}})
	for _, p := range s.Problems {
		if !g.problems[p] {
			g.problems[p] = true
			g.log.Error("catalog: " + p)
		}
	}
	g.snap.Store(s)
}

// hider returns the catalog's Hide function for one server: it asks every
// definition judge and reports a hidden definition when the previous
// build did not hide it for the same reason; seen collects this build's.
// Nil when no plugin judges definitions. Called under rebuildMu.
func (g *Gateway) hider(sc config.Server, seen map[string]bool) func(catalog.Kind, catalog.Item, []byte) string {
	if len(g.judges) == 0 {
		return nil
	}
	return func(k catalog.Kind, it catalog.Item, raw []byte) string {
		d := &plugin.Definition{Server: sc.Name, Kind: k.Noun(), Name: it.Name, Exposed: it.Exposed, Raw: raw, Skipped: sc.Blocked == "skipped"}
		for _, j := range g.judges {
			v := j.Judge(d)
			if v == nil {
				continue
			}
			key := sc.Name + "\x00" + d.Kind + "\x00" + it.Name + "\x00" + v.Plugin + "\x00" + v.Reason
			seen[key] = true
			if !g.hiddenSeen[key] {
				g.events.Report(context.Background(), plugin.Event{Plugin: v.Plugin, Type: "hidden",
					Server: sc.Name, Name: it.Exposed, Rule: d.Kind, Reason: v.Reason})
			}
			return v.Plugin + ": " + v.Reason
		}
		return ""
	}
}

// rejudge rebuilds the catalog with the judges' current decisions and
// tells every client that its lists may have changed.
func (g *Gateway) rejudge() {
	g.rebuild()
	for _, k := range []catalog.Kind{catalog.Tools, catalog.Prompts, catalog.Resources} {
		g.broadcastListChanged(k)
	}
}

func (g *Gateway) addFront(f *Front) {
	g.frontsMu.Lock()
	g.fronts[f] = struct{}{}
	g.frontsMu.Unlock()
}

func (g *Gateway) removeFront(f *Front) {
	g.frontsMu.Lock()
	delete(g.fronts, f)
	g.frontsMu.Unlock()
}

// eachFront calls fn for every front session that takes notifications:
// initialized ones, and those with an open subscriptions/listen.
func (g *Gateway) eachFront(fn func(*Front)) {
	g.frontsMu.Lock()
	fs := make([]*Front, 0, len(g.fronts))
	for f := range g.fronts {
		fs = append(fs, f)
	}
	g.frontsMu.Unlock()
	for _, f := range fs {
		if f.initialized.Load() || f.listening() {
			fn(f)
		}
	}
}

func (f *Front) listening() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.listens) > 0
}

// backend is one configured, active server and its supervised session.
type backend struct {
	g   *Gateway
	cfg config.Server // with defaults filled in
	src config.Server // as the config gave it, to compare on reload
	log *slog.Logger
	// stop ends its supervisors (Reload retiring it).
	stop context.CancelFunc
	// replicas are the server's instances (one unless the config lists
	// "replicas"); each supervises a shared session that feeds the
	// catalog, is health-checked and serves shared calls.
	replicas []*replica
	rr       atomic.Uint64 // round-robin position
	limit    *limiter      // nil: no bound on calls in flight
	// perClient: each front session gets its own back session (see
	// Options.MultiClient); the supervised ones then only feed the catalog.
	perClient bool
	era       atomic.Value // upstream.Era*: found by the first handshake, then kept
	pool      backPool     // idle per-client sessions of stateless clients
	// resListens are the resource subscriptions held at a modern backend
	// (as subscriptions/listen requests) for the clients' resources/subscribe.
	resListens map[resListenKey]*resListen // under mu

	mu         sync.Mutex
	lists      [4][][]byte  // raw items per catalog.Kind
	hints      [4]cacheHint // the backend's cache hints for each list (modern backends)
	fetched    [4]time.Time // when each list was last fetched
	caps       []byte       // raw capabilities from initialize
	serverInfo []byte
	instr      []byte
	logLevel   []byte // last logging/setLevel params, re-applied on restart

	inflight atomic.Int64 // calls waiting for the backend's answer
}

var _ upstream.Handler = (*backend)(nil)

// handshake opens a back session in the backend's era, probing it once
// (server/discover, then initialize) and remembering what it found.
func (b *backend) handshake(ctx context.Context, s *upstream.Session, params []byte) error {
	era, _ := b.era.Load().(string)
	found, err := s.Handshake(ctx, params, era, 0, b.cfg.Transport == config.TransportStdio)
	if err != nil {
		return err
	}
	if found != era {
		b.era.Store(found)
		b.log.Info("backend protocol era", "era", found, "protocol", s.Init.ProtocolVersion)
	}
	return nil
}

// capabilityFor maps list kinds to the capability that offers them.
var capabilityFor = [...]string{"tools", "prompts", "resources", "resources"}

// onReady fetches every list the backend offers; the catalog is rebuilt
// and clients are told of changes.
func (b *backend) onReady(ctx context.Context, s *upstream.Session) error {
	var fetched [4][][]byte
	var hints [4]cacheHint
	for k := catalog.Kind(0); k < 4; k++ {
		if has, _ := jsonrpc.Get(s.Init.Capabilities, capabilityFor[k]); has == nil {
			continue
		}
		items, hint, err := fetchAll(ctx, s, k)
		if err != nil {
			if k == catalog.Templates && isMethodNotFound(err) {
				continue // resources without templates
			}
			return fmt.Errorf("fetch %s: %w", k.ListMethod(), err)
		}
		fetched[k], hints[k] = items, hint
	}
	b.mu.Lock()
	old := b.lists
	b.lists, b.hints = fetched, hints
	now := time.Now()
	for k := range b.fetched {
		b.fetched[k] = now
	}
	b.caps, b.serverInfo, b.instr = s.Init.Capabilities, s.Init.ServerInfo, s.Init.Instructions
	level := b.logLevel
	b.mu.Unlock()
	if level != nil {
		if _, err := s.Call(ctx, "logging/setLevel", level, upstream.CallOptions{}); err != nil {
			b.log.Warn("could not re-apply the client's log level", "err", err)
		}
	}
	b.g.rebuild()
	for k := catalog.Kind(0); k < 3; k++ {
		if !sameItems(old[k], fetched[k]) || (k == catalog.Resources && !sameItems(old[catalog.Templates], fetched[catalog.Templates])) {
			b.g.broadcastListChanged(k)
		}
	}
	if s.Init.Modern {
		b.listenForChanges(s)
	}
	b.log.Info("catalog fetched", "tools", len(fetched[catalog.Tools]), "prompts", len(fetched[catalog.Prompts]),
		"resources", len(fetched[catalog.Resources]), "templates", len(fetched[catalog.Templates]))
	return nil
}

func isMethodNotFound(err error) bool {
	var re *upstream.RPCError
	return asRPCError(err, &re) && jsonrpc.ErrorCode(re.Raw) == jsonrpc.CodeMethodNotFound
}

func sameItems(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// maxListPages bounds how many pages the gateway follows per list.
const maxListPages = 1000

func fetchAll(ctx context.Context, s *upstream.Session, k catalog.Kind) ([][]byte, cacheHint, error) {
	return fetchPages(k.ResultKey(), func(params []byte) ([]byte, error) {
		return s.Call(ctx, k.ListMethod(), params, upstream.CallOptions{})
	})
}

// fetchPages follows a paginated list to its end (at most maxListPages),
// asking for each page with call, and returns the items of resultKey and
// the pages' cache hints. Errors are the caller's to put in context.
func fetchPages(resultKey string, call func(params []byte) ([]byte, error)) ([][]byte, cacheHint, error) {
	var items [][]byte
	var cursor []byte
	hint := cacheHint{}
	for page := 0; ; page++ {
		if page == maxListPages {
			return nil, hint, fmt.Errorf("more than %d pages; the server keeps returning a nextCursor", maxListPages)
		}
		var params []byte
		if cursor != nil {
			params = append(append([]byte(`{"cursor":`), cursor...), '}')
		}
		res, err := call(params)
		if err != nil {
			return nil, hint, err
		}
		v, err := jsonrpc.Lookup(res, resultKey, "nextCursor", "ttlMs", "cacheScope")
		if err != nil {
			return nil, hint, fmt.Errorf("malformed result: %w", err)
		}
		hint = hint.page(page == 0, v[2], v[3])
		if v[0] != nil {
			els, err := jsonrpc.Elements(v[0])
			if err != nil {
				return nil, hint, fmt.Errorf("malformed %q: %w", resultKey, err)
			}
			items = append(items, els...)
		}
		if v[1] == nil || string(v[1]) == "null" || string(v[1]) == `""` {
			return items, hint, nil
		}
		cursor = v[1]
	}
}

// refetch re-reads one kind of list after the backend said it changed.
func (b *backend) refetch(k catalog.Kind) { b.reread(k, true) }

// reread re-reads one kind of list; clients are told when it changed, or
// always with announce (the backend said it changed).
func (b *backend) reread(k catalog.Kind, announce bool) {
	s, err := b.anySession()
	if err != nil {
		return // the next onReady fetches everything
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
	defer cancel()
	kinds := []catalog.Kind{k}
	if k == catalog.Resources {
		kinds = append(kinds, catalog.Templates)
	}
	changed := false
	for _, kk := range kinds {
		items, hint, err := fetchAll(ctx, s, kk)
		if err != nil {
			if kk == catalog.Templates && isMethodNotFound(err) {
				continue
			}
			b.log.Error("could not re-fetch a changed list; keeping the old one", "list", kk.ListMethod(), "err", err)
			continue
		}
		b.mu.Lock()
		b.hints[kk] = hint
		b.fetched[kk] = time.Now()
		if !sameItems(b.lists[kk], items) {
			b.lists[kk] = items
			changed = true
		}
		b.mu.Unlock()
	}
	if changed {
		b.g.rebuild()
	}
	// Clients are told even when the exposed list did not change in a
	// visible way: descriptions may have been compared equal byte-wise
	// only after filtering, and a spurious notice costs one list call.
	if announce || changed {
		b.g.broadcastListChanged(k)
	}
}

func (g *Gateway) broadcastListChanged(k catalog.Kind) {
	method := [...]string{"notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed", "notifications/resources/list_changed"}[k]
	msg := jsonrpc.AppendNotification(nil, method, nil)
	g.eachFront(func(f *Front) {
		if f.initialized.Load() {
			f.send(msg)
		}
		f.listenNotify(method, k, "", "", nil)
	})
}

// Notification routes what the shared back session sends on its own to
// the clients it serves.
func (b *backend) Notification(s *upstream.Session, m jsonrpc.Message) {
	b.routeNotification(s, m, b.g.eachFront)
}

// routeNotification delivers a backend's notification to the front
// sessions that each visits and that are concerned by it.
func (b *backend) routeNotification(s *upstream.Session, m jsonrpc.Message, each func(func(*Front))) {
	switch m.Method {
	case "notifications/tools/list_changed":
		go b.refetch(catalog.Tools)
	case "notifications/prompts/list_changed":
		go b.refetch(catalog.Prompts)
	case "notifications/resources/list_changed":
		go b.refetch(catalog.Resources)
	case "notifications/resources/updated":
		uri, _ := jsonrpc.Get(m.Params, "uri")
		u, _ := jsonrpc.String(uri)
		each(func(f *Front) {
			if f.subscribed(b.cfg.Name, u) {
				f.send(m.Raw)
			}
			f.listenNotify(m.Method, catalog.Resources, u, b.cfg.Name, m.Params)
		})
	case "notifications/cancelled":
		id, _ := jsonrpc.Get(m.Params, "requestId")
		each(func(f *Front) { f.backendCancelled(s, id, m.Params) })
	case "notifications/tasks/status":
		tid, _ := jsonrpc.Get(m.Params, "taskId")
		t, _ := jsonrpc.String(tid)
		each(func(f *Front) {
			// A status sent before the task-creating call has answered
			// (its owner is not known yet) goes to the client whose call
			// to this backend is in flight, if that is unambiguous.
			owner := f.taskOwner(t)
			if owner == b.cfg.Name {
				f.send(m.Raw)
			} else if related := f.relatedRequest(b.cfg.Name); owner == "" && related != nil {
				f.sendFor(related, m.Raw)
			}
		})
	case "notifications/progress":
		b.log.Debug("dropped progress for a call that already ended")
	case "notifications/subscriptions/acknowledged":
		// The answer to the gateway's own subscriptions/listen.
	default:
		// notifications/message and anything newer: to the clients of
		// this back session, on the stream of the call that caused it
		// when that is unambiguous.
		each(func(f *Front) { f.serverNotification(b.cfg.Name, m) })
	}
}

// Request routes a server→client request of the shared back session to
// the client it serves; with several clients that is ambiguous, and the
// request is refused with the configuration that fixes it.
func (b *backend) Request(s *upstream.Session, m jsonrpc.Message) {
	b.g.frontsMu.Lock()
	var owner *Front
	n := len(b.g.fronts)
	for f := range b.g.fronts {
		owner = f
	}
	b.g.frontsMu.Unlock()
	if n != 1 {
		reason := "no client is connected to answer it"
		if n > 1 {
			reason = "several clients share this back session; set \"isolation\": \"per-client\" on the server so its requests reach the right client"
		}
		_ = s.Reply(m.ID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the gateway cannot forward "+m.Method+": "+reason, nil))
		return
	}
	owner.requestFromBackend(s, m)
}

// requestFromBackend forwards a backend's request to this client. A
// request that arrives while the client is still completing its handshake
// (servers ask for roots right after their own initialize) is held until
// the client is ready, for at most readyWait.
func (f *Front) requestFromBackend(s *upstream.Session, m jsonrpc.Message) {
	if f.bridgeRequest(s, m) {
		return // for a modern call: it becomes an InputRequiredResult
	}
	select {
	case <-f.ready:
		f.forwardRequest(s, m)
	default:
		go func() {
			t := time.NewTimer(readyWait)
			defer t.Stop()
			select {
			case <-f.ready:
				f.forwardRequest(s, m)
			case <-t.C:
				_ = s.Reply(m.ID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the gateway cannot forward "+m.Method+": the client did not finish initializing", nil))
			case <-f.ctx.Done():
				_ = s.Reply(m.ID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the client disconnected", nil))
			}
		}()
	}
}

// readyWait bounds how long a backend's request waits for the client's
// handshake to finish.
const readyWait = 30 * time.Second

// metadataTool is the gateway's own get_metadata tool (kept from the
// Python gateway so prompts written for it keep working).
var metadataTool = catalog.Item{
	Name:    "get_metadata",
	Exposed: "get_metadata",
	Raw: []byte(`{"name":"get_metadata","description":"Provides metadata about all available proxied MCPs, including their original capabilities: per server its status, capabilities and original tools, resources and prompts.",` +
		`"inputSchema":{"type":"object","properties":{"server":{"type":"string","description":"Only this server (optional)."}}}}`),
}

// metadata builds the get_metadata result.
func (g *Gateway) metadata(only string) ([]byte, error) {
	type serverMeta struct {
		Status            string            `json:"status"`
		Capabilities      json.RawMessage   `json:"capabilities"`
		OriginalTools     []json.RawMessage `json:"original_tools"`
		OriginalResources []json.RawMessage `json:"original_resources"`
		OriginalPrompts   []json.RawMessage `json:"original_prompts"`
		Error             string            `json:"error,omitempty"`
	}
	out := map[string]any{}
	set := g.set()
	for _, sc := range set.servers {
		if only != "" && sc.Name != only {
			continue
		}
		m := serverMeta{Status: "inactive", Capabilities: json.RawMessage("null"),
			OriginalTools: []json.RawMessage{}, OriginalResources: []json.RawMessage{}, OriginalPrompts: []json.RawMessage{}}
		b := set.byName[sc.Name]
		switch {
		case b == nil && sc.Blocked == "blocked":
			m.Error = "server is blocked in the config"
		case b == nil:
			m.Error = "server is disabled in the config"
		default:
			st, err, _ := b.status()
			b.mu.Lock()
			if b.caps != nil {
				m.Capabilities = b.caps
			}
			for _, t := range b.lists[catalog.Tools] {
				m.OriginalTools = append(m.OriginalTools, t)
			}
			for _, r := range b.lists[catalog.Resources] {
				m.OriginalResources = append(m.OriginalResources, r)
			}
			for _, p := range b.lists[catalog.Prompts] {
				m.OriginalPrompts = append(m.OriginalPrompts, p)
			}
			b.mu.Unlock()
			switch st {
			case upstream.StateReady:
				m.Status = "active"
			case upstream.StateDown:
				m.Status = "error"
				if err != nil {
					m.Error = err.Error()
				}
			default:
				m.Error = "server session not active yet: " + string(st)
			}
		}
		out[sc.Name] = m
	}
	if len(set.servers) == 0 {
		out = map[string]any{"status": "standalone_mode", "message": "No proxied MCPs configured"}
	} else if only != "" && len(out) == 0 {
		return nil, &callError{code: jsonrpc.CodeInvalidParams, msg: fmt.Sprintf("get_metadata: no server named %q in the config", only)}
	}
	js, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	res := []byte(`{"content":[{"type":"text","text":`)
	res = jsonrpc.AppendString(res, string(js))
	res = append(res, `}],"structuredContent":`...)
	res = append(res, js...)
	return append(res, '}'), nil
}

// Configured reports whether a server of that name is in the running
// configuration (active or not).
func (g *Gateway) Configured(server string) bool {
	for _, sc := range g.set().servers {
		if sc.Name == server {
			return true
		}
	}
	return false
}

// ServerStatus is one configured server as the gateway sees it now.
type ServerStatus struct {
	Name      string
	Transport string
	State     string // ready, starting, down, stopped, disabled, blocked
	Error     string // why it is down ("" otherwise)
	Restarts  int64
	Inflight  int64  // calls waiting for its answer
	Protocol  string // negotiated protocol version
	Tools     int    // tools the backend lists (before allow/deny)
	Prompts   int
	Resources int
	Era       string // upstream.EraLegacy or EraModern once known
	Replicas  []ReplicaStatus
}

// ReplicaStatus is one instance of a server.
type ReplicaStatus struct {
	Index        int
	Target       string // URL or command
	State        string // ready, starting, down, stopped
	Error        string // why it is down or out of rotation
	Restarts     int64
	Inflight     int64
	EjectedUntil time.Time // out of rotation until then; zero: in rotation
}

// Servers returns the status of every configured server, in config order.
func (g *Gateway) Servers() []ServerStatus {
	set := g.set()
	out := make([]ServerStatus, 0, len(set.servers))
	for _, sc := range set.servers {
		st := ServerStatus{Name: sc.Name, Transport: sc.Transport}
		b := set.byName[sc.Name]
		switch {
		case b == nil && sc.Blocked == "blocked":
			st.State = "blocked"
		case b == nil:
			st.State = "disabled"
		default:
			state, err, restarts := b.status()
			st.State, st.Restarts, st.Inflight = string(state), restarts, b.inflight.Load()
			if err != nil {
				st.Error = err.Error()
			}
			if s, err := b.anySession(); err == nil {
				st.Protocol = s.Init.ProtocolVersion
			}
			st.Era, _ = b.era.Load().(string)
			for _, r := range b.replicas {
				rs := ReplicaStatus{Index: r.index, Target: r.cfg.URL, Inflight: r.inflight.Load()}
				if rs.Target == "" {
					rs.Target = r.cfg.Command
				}
				state, err, restarts := r.sv.Status()
				rs.State, rs.Restarts = string(state), restarts
				if err != nil {
					rs.Error = err.Error()
				}
				if until := r.ejectedUntil(); time.Now().Before(until) {
					rs.EjectedUntil = until
					r.mu.Lock()
					rs.Error = r.lastFault
					r.mu.Unlock()
				}
				st.Replicas = append(st.Replicas, rs)
			}
			b.mu.Lock()
			st.Tools, st.Prompts, st.Resources = len(b.lists[catalog.Tools]), len(b.lists[catalog.Prompts]), len(b.lists[catalog.Resources])
			b.mu.Unlock()
		}
		out = append(out, st)
	}
	return out
}
