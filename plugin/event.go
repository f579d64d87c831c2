package plugin

import (
	"context"
	"log/slog"
)

// Event is something a plugin found or decided that belongs in the audit
// trail: a masked secret, a blocked result, a hidden tool. It never holds
// the sensitive text itself, only what kind of thing was found where.
type Event struct {
	Plugin string // who reports it
	// Type is what happened: "masked", "blocked", "logged" (a finding
	// whose action is only to record it), "hidden" (a definition left out
	// of the catalog), "refused" (a call to a hidden definition).
	Type string
	// Server, Name: the backend and the exposed tool/prompt name or
	// resource URI concerned ("" when none).
	Server, Name string
	// Direction is "request" (arguments) or "response" (results), or ""
	// for definitions.
	Direction string
	// Rule is the rule, entity or check that fired; Count how many times
	// in this message.
	Rule  string
	Count int
	// Reason is a short human explanation (never the matched text).
	Reason string
	// Session is the calling client's session, nil for definitions.
	Session *Session
}

// EventSink receives plugin events. Report must not block for long: it is
// called on the call path.
type EventSink interface {
	Report(ctx context.Context, e Event)
}

// LogEvents is the EventSink that writes events to a log, at Warn for
// blocks, refusals and hidden definitions and at Info otherwise.
type LogEvents struct {
	Log *slog.Logger
	// Context, if set, adds attributes taken from the call's context
	// (its request id) to each line.
	Context func(ctx context.Context) []slog.Attr
}

// Report logs e (nowhere when Log is nil).
func (l LogEvents) Report(ctx context.Context, e Event) {
	if l.Log == nil {
		return
	}
	level := slog.LevelInfo
	switch e.Type {
	case "blocked", "refused", "hidden":
		level = slog.LevelWarn
	}
	if !l.Log.Enabled(ctx, level) {
		return // nothing built for a line nobody reads
	}
	attrs := []slog.Attr{slog.String("plugin", e.Plugin), slog.String("event", e.Type)}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("server", e.Server)
	add("name", e.Name)
	add("direction", e.Direction)
	add("rule", e.Rule)
	if e.Count > 0 {
		attrs = append(attrs, slog.Int("count", e.Count))
	}
	add("reason", e.Reason)
	if e.Session != nil {
		add("session", e.Session.ID)
		add("principal", e.Session.Principal)
	}
	if l.Context != nil {
		attrs = append(attrs, l.Context(ctx)...)
	}
	l.Log.LogAttrs(ctx, level, "guardrail "+e.Type, attrs...)
}
