package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/metrics"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/respcache"
)

// observability is everything that records what the gateway does: the
// audit writer, the metrics and the event sink the plugins report to.
type observability struct {
	log     *slog.Logger
	audit   audit.Config
	writer  *audit.Writer // nil when the audit trail is off
	metrics *metrics.Metrics
	events  *eventSink
	// eventLog writes plugin events to the log with their request id.
	eventLog plugin.LogEvents
	closed   bool
	// cacheStats reads the response cache's counters; nil without one.
	cacheStats func() metrics.CacheStats
}

// cacheStatsOf returns the counters of the response cache among handlers,
// nil when there is none.
func cacheStatsOf(handlers []plugin.Handler) func() metrics.CacheStats {
	for _, h := range handlers {
		if c, ok := h.(interface{ Stats() respcache.Stats }); ok {
			return func() metrics.CacheStats {
				s := c.Stats()
				return metrics.CacheStats{Hits: s.Hits, Misses: s.Misses, Coalesced: s.Coalesced,
					Evictions: s.Evictions, Errors: s.Errors, Entries: s.Entries, Bytes: s.Bytes}
			}
		}
	}
	return nil
}

// openAuditStore opens the store the audit section names.
func openAuditStore(ctx context.Context, cfg audit.Config, dataDir string) (audit.Store, string, error) {
	if cfg.Postgres != "" {
		s, err := audit.OpenPostgres(ctx, cfg.Postgres)
		return s, "postgres", err
	}
	path := sqlitePath(cfg, dataDir)
	s, err := audit.OpenSQLite(path)
	return s, path, err
}

// sqlitePath is the SQLite audit store's file: the configured one, else
// audit.db in the data dir.
func sqlitePath(cfg audit.Config, dataDir string) string {
	if cfg.SQLite != "" {
		return cfg.SQLite
	}
	return filepath.Join(dataDir, "audit.db")
}

// auditConfig reads the audit section of cfg.
func auditConfig(cfg *config.Config) (audit.Config, error) {
	sec, ok := cfg.Gateway.Sections[audit.Section]
	if !ok {
		return audit.ParseConfig(nil, "")
	}
	return audit.ParseConfig(sec.Raw, sec.Where)
}

// newObservability opens the audit trail (unless the config turns it off)
// and builds the event sink; the metrics come with attach, once the
// gateway exists.
func newObservability(cfg *config.Config, dataDir string, log *slog.Logger) (*observability, error) {
	ac, err := auditConfig(cfg)
	if err != nil {
		return nil, err
	}
	o := &observability{log: log, audit: ac, eventLog: plugin.LogEvents{Log: log, Context: requestIDAttr}}
	if !ac.Disabled {
		store, where, err := openAuditStore(context.Background(), ac, dataDir)
		if err != nil {
			return nil, fmt.Errorf("audit trail: %w (turn it off with \"gateway\": {\"audit\": {\"enabled\": false}})", err)
		}
		log.Debug("audit trail", "store", where, "retention_max_age", ac.Retention.MaxAge, "retention_max_bytes", ac.Retention.MaxBytes)
		o.writer = audit.NewWriter(store, audit.WriterOptions{Retention: ac.Retention, Log: log.With("component", "audit")})
	}
	o.events = &eventSink{o: o}
	return o, nil
}

// attach builds the metrics on the gateway.
func (o *observability) attach(g *gateway.Gateway, cfg *config.Config, transport string) {
	names := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		names[i] = s.Name
	}
	src := metrics.Source{
		Catalogued: g.Catalogued,
		Servers: func() []metrics.Server {
			st := g.Servers()
			out := make([]metrics.Server, len(st))
			for i, s := range st {
				out[i] = metrics.Server{Name: s.Name, Up: s.State == "ready", Restarts: s.Restarts, Inflight: s.Inflight}
			}
			return out
		},
		Sessions:   g.SessionCount,
		Configured: g.Configured,
		CatalogItems: func() map[string]int {
			snap := g.Snapshot()
			out := map[string]int{}
			for _, k := range []catalog.Kind{catalog.Tools, catalog.Prompts, catalog.Resources, catalog.Templates} {
				out[k.Noun()] = len(snap.Items(k))
			}
			return out
		},
	}
	if o.writer != nil {
		src.Audit = o.writer
	}
	src.Cache = o.cacheStats
	o.metrics = metrics.New(buildVersion(), transport, names, src)
}

// CallDone implements gateway.CallObserver: metrics, the audit trail, and
// a debug log line per call with the request id that names its audit row.
func (o *observability) CallDone(ctx context.Context, r *audit.Record) {
	if o.metrics != nil {
		o.metrics.CallDone(ctx, r)
	}
	if o.log.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{slog.String("request_id", r.RequestID),
			slog.String("method", r.Method), slog.String("server", r.Server), slog.String("name", r.Name),
			slog.String("status", string(r.Status)), slog.Duration("duration", r.Duration),
			slog.String("principal", r.Principal)}
		if r.TraceID != "" {
			attrs = append(attrs, slog.String("trace_id", r.TraceID))
		}
		o.log.LogAttrs(ctx, slog.LevelDebug, "call", attrs...)
	}
	if o.writer == nil {
		return
	}
	if err := o.writer.AddCall(r); err != nil {
		o.log.Error("audit record not stored", "request_id", r.RequestID, "error", err)
	}
}

func (o *observability) add(e *audit.Event) {
	if o.writer == nil {
		return
	}
	if err := o.writer.AddEvent(e); err != nil {
		o.log.Error("audit event not stored", "type", e.Type, "server", e.Server, "error", err)
	}
}

// BackendEvent records a backend's state change (gateway.Options.BackendEvent).
func (o *observability) BackendEvent(server, event, detail string) {
	o.add(&audit.Event{Time: time.Now(), Kind: audit.KindBackend, Type: event, Server: server, Reason: detail})
}

// Close writes every queued record: after it returns, nothing the gateway
// recorded is lost. It is idempotent.
func (o *observability) Close() {
	if o.closed {
		return
	}
	o.closed = true
	if o.writer == nil {
		return
	}
	if err := o.writer.Close(); err != nil {
		o.log.Error("audit trail", "error", err)
		return
	}
	o.log.Debug("audit trail flushed", "entries", o.writer.Written())
}

// requestIDAttr is the request id of the call ctx runs, as a log attribute.
func requestIDAttr(ctx context.Context) []slog.Attr {
	if id := audit.RequestID(ctx); id != "" {
		return []slog.Attr{slog.String("request_id", id)}
	}
	return nil
}

// eventSink receives plugin and gateway events: it logs them, adds
// findings to the record of the call they belong to, counts them and
// stores them as security events.
type eventSink struct{ o *observability }

var _ plugin.EventSink = (*eventSink)(nil)

func (s *eventSink) Report(ctx context.Context, e plugin.Event) {
	o := s.o
	reqID := audit.RequestID(ctx)
	o.eventLog.Report(ctx, e)
	switch e.Type {
	case "masked", "blocked", "logged":
		audit.AddFinding(ctx, audit.Finding{Plugin: e.Plugin, Type: e.Type, Rule: e.Rule, Direction: e.Direction, Count: e.Count})
	}
	if o.metrics != nil {
		o.metrics.Finding(e.Plugin, e.Rule, e.Type, e.Count)
	}
	ev := &audit.Event{Time: time.Now(), Kind: audit.KindSecurity, Plugin: e.Plugin, Type: e.Type, Server: e.Server,
		Name: e.Name, Rule: e.Rule, Direction: e.Direction, Count: e.Count, Reason: e.Reason, RequestID: reqID}
	if e.Session != nil {
		ev.Principal, ev.Session = e.Session.Principal, e.Session.ID
	}
	o.add(ev)
}
