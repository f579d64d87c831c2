// Package pinning is the rug-pull guard: it records a hash of every
// tool definition per server the first time it sees it, and hides a tool
// whose definition later changes, refusing its calls, until someone
// approves the new definition (`mcp-gateway tools approve SERVER TOOL`,
// or "approved" in the config). Pins live in the data directory and
// survive restarts.
package pinning

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/plugins/internal/contentguard"
)

// Name is the plugin's name.
const Name = "pinning"

func init() {
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is the plugin's section, gateway.plugins.pinning.
type Config struct {
	// Approved pins definitions from the config: server → tool → hash
	// ("sha256:<hex>", as `mcp-gateway tools pending` shows it). A tool
	// whose definition has that hash is accepted whatever the pins file
	// says.
	Approved map[string]map[string]string `json:"approved"`
	// PollInterval is how often the pins file is checked for approvals
	// made by another process. Zero value: 2s.
	PollInterval string `json:"pollInterval"`
}

// Plugin is the pinning plugin.
type Plugin struct {
	store    *Store
	approved map[string]map[string]string
	events   plugin.EventSink
	log      *slog.Logger
	poll     time.Duration

	mu      sync.Mutex
	pins    map[string]map[string]Pin // the store's content, as last read or written
	modTime time.Time                 // of the file when last read
	rejudge func()

	stop     chan struct{}
	stopOnce sync.Once
}

var (
	_ plugin.DefinitionJudge  = (*Plugin)(nil)
	_ plugin.JudgementWatcher = (*Plugin)(nil)
)

// New builds the plugin; its pins file is <data dir>/pins.json.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	sec, err := contentguard.ParseSection(Name, raw)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := sec.Decode("", &cfg); err != nil {
		return nil, err
	}
	poll := 2 * time.Second
	if cfg.PollInterval != "" {
		if poll, err = time.ParseDuration(cfg.PollInterval); err != nil || poll <= 0 {
			return nil, fmt.Errorf("gateway.plugins.pinning.pollInterval: %q is not a positive duration such as \"2s\"", cfg.PollInterval)
		}
	}
	for srv, tools := range cfg.Approved {
		for t, h := range tools {
			if len(h) != len("sha256:")+64 || h[:7] != "sha256:" {
				return nil, fmt.Errorf("gateway.plugins.pinning.approved.%s.%s: %q is not a pin; use the sha256:<64 hex digits> that `mcp-gateway tools pending` shows", srv, t, h)
			}
		}
	}
	if env.DataDir == "" {
		return nil, fmt.Errorf("pinning needs a data directory for its pins (--data-dir)")
	}
	p := &Plugin{store: OpenStore(filepath.Join(env.DataDir, FileName)), approved: cfg.Approved,
		events: env.Events, log: env.Log, poll: poll, stop: make(chan struct{})}
	if p.log == nil {
		p.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if p.events == nil {
		p.events = plugin.LogEvents{Log: p.log}
	}
	if err := p.reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// Handle passes calls on: refusing calls to changed tools is done by the
// catalog, which hides what Judge hides.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	return next(ctx, c)
}

// Judge pins a tool on first sight and hides it when its definition no
// longer matches its pin.
func (p *Plugin) Judge(d *plugin.Definition) *plugin.Judgement {
	if d.Kind != "tool" {
		return nil
	}
	h, err := Hash(d.Raw)
	if err != nil {
		return &plugin.Judgement{Plugin: Name, Reason: "its definition could not be hashed"}
	}
	if p.approved[d.Server][d.Name] == h {
		return nil
	}
	p.mu.Lock()
	pin, known := p.pins[d.Server][d.Name]
	p.mu.Unlock()
	if known && pin.SHA256 == h {
		return nil
	}
	if known && pin.Pending == h {
		return changed(d, pin)
	}
	// First sight, or a new change: record it.
	var result *plugin.Judgement
	err = p.store.Update(func(pins map[string]map[string]Pin) (bool, error) {
		srv := pins[d.Server]
		if srv == nil {
			srv = map[string]Pin{}
			pins[d.Server] = srv
		}
		now := time.Now().UTC()
		cur, ok := srv[d.Name]
		switch {
		case !ok:
			srv[d.Name] = Pin{SHA256: h, Since: now}
		case cur.SHA256 == h:
			return false, nil // approved meanwhile by another process
		case cur.Pending == h:
			result = changed(d, cur)
			return false, nil
		default:
			cur.Pending, cur.PendingSince = h, &now
			srv[d.Name] = cur
			result = changed(d, cur)
		}
		p.setPins(pins)
		return true, nil
	})
	if err != nil {
		// Fail closed: a tool that cannot be checked against its pin is
		// not offered.
		p.log.Warn("pinning: could not update the pins file; the tool is hidden", "server", d.Server, "tool", d.Name, "err", err)
		return &plugin.Judgement{Plugin: Name, Reason: "its pin could not be checked: " + err.Error()}
	}
	return result
}

func changed(d *plugin.Definition, pin Pin) *plugin.Judgement {
	return &plugin.Judgement{Plugin: Name, Reason: fmt.Sprintf(
		"the definition of tool %q of server %q changed since it was approved (pinned %s, now %s); review it and approve it with `mcp-gateway tools approve %s %s`",
		d.Name, d.Server, short(pin.SHA256), short(pin.Pending), d.Server, d.Name)}
}

func short(h string) string {
	if len(h) > 19 {
		return h[:19]
	}
	return h
}

func (p *Plugin) setPins(pins map[string]map[string]Pin) {
	cp := make(map[string]map[string]Pin, len(pins))
	for s, tools := range pins {
		m := make(map[string]Pin, len(tools))
		for t, pin := range tools {
			m[t] = pin
		}
		cp[s] = m
	}
	p.mu.Lock()
	p.pins = cp
	if st, err := os.Stat(p.store.Path()); err == nil {
		p.modTime = st.ModTime()
	}
	p.mu.Unlock()
}

// reload reads the pins file.
func (p *Plugin) reload() error {
	st, statErr := os.Stat(p.store.Path())
	pins, err := p.store.Load()
	if err != nil {
		return err
	}
	p.setPins(pins)
	if statErr == nil {
		p.mu.Lock()
		p.modTime = st.ModTime()
		p.mu.Unlock()
	}
	return nil
}

// WatchJudgements starts watching the pins file: when another process
// (an approval) changes it, the pins are read again and the catalog
// re-judged.
func (p *Plugin) WatchJudgements(rejudge func()) {
	p.mu.Lock()
	first := p.rejudge == nil
	p.rejudge = rejudge
	p.mu.Unlock()
	if first {
		go p.watch()
	}
}

func (p *Plugin) watch() {
	t := time.NewTicker(p.poll)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		st, err := os.Stat(p.store.Path())
		if err != nil {
			continue
		}
		p.mu.Lock()
		same := st.ModTime().Equal(p.modTime)
		rejudge := p.rejudge
		p.mu.Unlock()
		if same {
			continue
		}
		if err := p.reload(); err != nil {
			p.log.Warn("pinning: could not read the pins file; keeping the pins in memory", "err", err)
			continue
		}
		rejudge()
	}
}

// Close stops watching the pins file.
func (p *Plugin) Close() error {
	p.stopOnce.Do(func() { close(p.stop) })
	return nil
}
