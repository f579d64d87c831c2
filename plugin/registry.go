package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// Spec registers a built plugin.
type Spec struct {
	// Name is the plugin's name on the command line (-p NAME) and its
	// section key under "gateway" → "plugins" in the config.
	Name string
	// New builds the plugin from its raw config section (nil when the
	// config has none). It must decode strictly and return errors that
	// name the offending key.
	New func(raw json.RawMessage, env Env) (Handler, error)
}

// Env is what a plugin may use from the gateway while it is built.
type Env struct {
	Log     *slog.Logger
	DataDir string
	// Events receives what the plugin finds and decides, for the audit
	// trail. Build sets it to a LogEvents on the gateway log when nil.
	Events EventSink
}

var (
	regMu    sync.RWMutex
	registry = map[string]Spec{}
)

// Register makes a plugin available. It panics on a name missing from
// Order or registered twice: both are programming errors found by tests.
func Register(s Spec) {
	regMu.Lock()
	defer regMu.Unlock()
	if Position(s.Name) < 0 {
		panic("plugin: " + s.Name + " has no entry in plugin.Order")
	}
	if _, dup := registry[s.Name]; dup {
		panic("plugin: " + s.Name + " registered twice")
	}
	registry[s.Name] = s
}

// Registered returns the names of built plugins, in chain order.
func Registered() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for _, e := range Order {
		if _, ok := registry[e.Name]; ok {
			out = append(out, e.Name)
		}
	}
	return out
}

// Ordered returns the distinct names of names in chain order (unknown
// names last, as given).
func Ordered(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := Position(out[i]), Position(out[j])
		if pi < 0 || pj < 0 {
			return pi >= 0 && pj < 0
		}
		return pi < pj
	})
	return out
}

// Known returns every plugin name the gateway knows, built or not, sorted.
func Known() []string {
	out := make([]string, 0, len(Order))
	for _, e := range Order {
		out = append(out, e.Name)
	}
	sort.Strings(out)
	return out
}

// Build returns the handlers for the enabled plugin names in chain order.
// An unknown name is an error listing the known ones; a known plugin that
// is not built into this version is an error saying so, never silently
// accepted. sections holds each plugin's raw config by name.
func Build(enabled []string, sections map[string]json.RawMessage, env Env) ([]Handler, error) {
	seen := map[string]bool{}
	var names []string
	for _, n := range enabled {
		n = strings.TrimSpace(n)
		if seen[n] {
			continue
		}
		seen[n] = true
		if Position(n) < 0 {
			return nil, fmt.Errorf("unknown plugin %q (known plugins: %s)", n, strings.Join(Known(), ", "))
		}
		regMu.RLock()
		_, ok := registry[n]
		regMu.RUnlock()
		if !ok {
			built := Registered()
			hint := "this version has no built plugins"
			if len(built) > 0 {
				hint = "built plugins: " + strings.Join(built, ", ")
			}
			return nil, fmt.Errorf("plugin %q is known but not built into this version of mcp-gateway yet (%s); remove -p %s to run without it", n, hint, n)
		}
		names = append(names, n)
	}
	for n := range sections {
		if !seen[n] {
			if Position(n) < 0 {
				return nil, fmt.Errorf("gateway.plugins: unknown plugin %q (known plugins: %s)", n, strings.Join(Known(), ", "))
			}
		}
	}
	sort.Slice(names, func(i, j int) bool { return Position(names[i]) < Position(names[j]) })
	hs := make([]Handler, 0, len(names))
	for _, n := range names {
		regMu.RLock()
		s := registry[n]
		regMu.RUnlock()
		e := env
		if e.Log == nil {
			e.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if e.Events == nil {
			e.Events = LogEvents{Log: e.Log}
		}
		e.Log = e.Log.With("plugin", n)
		h, err := s.New(sections[n], e)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", n, err)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// Close closes the handlers that hold resources (those that implement
// io.Closer), once the gateway no longer uses them.
func Close(hs []Handler) {
	for _, h := range hs {
		if c, ok := h.(io.Closer); ok {
			c.Close()
		}
	}
}
